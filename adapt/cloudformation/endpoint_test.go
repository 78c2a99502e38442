package cloudformation

import (
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/finding"
)

// TestTargetEncryption: how an S3 or Redshift target encrypts the data it
// writes (CMKG-DMS-006), from its settings or its extra connection
// attributes, and that the rule applies to targets only.
func TestTargetEncryption(t *testing.T) {
	t.Parallel()
	endpoint := func(typ, engine, props string) string {
		return common + "  Dms:\n    Type: AWS::DMS::Endpoint\n    Properties:\n      EndpointType: " + typ + "\n      EngineName: " + engine + "\n      KmsKeyId: !GetAtt Key.Arn\n" + props
	}
	tests := []struct {
		name, tmpl    string
		params        map[string]string
		want          finding.Status // "" = rule 006 does not apply
		reasonContain string
	}{
		{name: "S3 target without settings writes SSE_S3", tmpl: endpoint("target", "s3", ""), want: fail, reasonContain: "SSE_S3 (the default)"},
		{name: "S3 target with SSE_S3", tmpl: endpoint("target", "s3", "      S3Settings: {BucketName: b, EncryptionMode: SSE_S3}\n"), want: fail},
		{name: "S3 target with SSE_S3 and a key, which DMS ignores", tmpl: endpoint("target", "s3", "      S3Settings: {EncryptionMode: SSE_S3, ServerSideEncryptionKmsKeyId: !GetAtt Key.Arn}\n"), want: fail},
		{name: "S3 target with SSE_KMS and no key uses aws/s3", tmpl: endpoint("target", "s3", "      S3Settings: {EncryptionMode: SSE_KMS}\n"), want: fail, reasonContain: "aws/s3"},
		{name: "S3 target with SSE_KMS and a declared key", tmpl: endpoint("target", "s3", "      S3Settings: {EncryptionMode: SSE_KMS, ServerSideEncryptionKmsKeyId: !GetAtt Key.Arn}\n"), want: pass},
		{name: "S3 target with SSE_KMS and alias/aws/s3", tmpl: endpoint("target", "s3", "      S3Settings: {EncryptionMode: SSE_KMS, ServerSideEncryptionKmsKeyId: alias/aws/s3}\n"), want: fail},
		{name: "S3 target with SSE_KMS and a Sub of the aws/s3 alias ARN", tmpl: endpoint("target", "s3", "      S3Settings: {EncryptionMode: SSE_KMS, ServerSideEncryptionKmsKeyId: !Sub \"arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/aws/s3\"}\n"), want: fail},
		{name: "S3 target whose mode is a parameter without default", tmpl: endpoint("target", "s3", "      S3Settings: {EncryptionMode: !Ref ModeNoDefault, ServerSideEncryptionKmsKeyId: !GetAtt Key.Arn}\n"), want: unknown, reasonContain: "--cf-param ModeNoDefault="},
		{name: "S3 target whose mode is given", tmpl: endpoint("target", "s3", "      S3Settings: {EncryptionMode: !Ref ModeNoDefault, ServerSideEncryptionKmsKeyId: !GetAtt Key.Arn}\n"), params: map[string]string{"ModeNoDefault": "SSE_KMS"}, want: pass},
		{name: "extra connection attributes with SSE_S3 (CDK style)", tmpl: endpoint("target", "s3", "      ExtraConnectionAttributes: \"bucketName=b;encryptionMode=SSE_S3;serverSideEncryptionKmsKeyId=arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab\"\n"), want: fail},
		{name: "extra connection attributes with SSE_KMS and a joined key (CDK synth)", tmpl: endpoint("target", "s3", "      ExtraConnectionAttributes: {\"Fn::Join\": [\"\", [\"encryptionMode=SSE_KMS;serverSideEncryptionKmsKeyId=\", {\"Fn::GetAtt\": [Key, Arn]}, \";bucketFolder=x\"]]}\n"), want: pass},
		{name: "extra connection attributes with SSE_KMS and no key", tmpl: endpoint("target", "s3", "      ExtraConnectionAttributes: encryptionMode=SSE_KMS\n"), want: fail},
		{name: "S3 source: the rule applies to targets only", tmpl: endpoint("source", "s3", "      S3Settings: {BucketName: b}\n"), want: ""},
		{name: "Redshift target with SSE_KMS and a declared key", tmpl: endpoint("target", "redshift", "      RedshiftSettings: {EncryptionMode: SSE_KMS, ServerSideEncryptionKmsKeyId: !Ref Key}\n"), want: pass},
		{name: "Redshift target with defaults", tmpl: endpoint("target", "redshift", ""), want: fail},
		{name: "Redshift target with SSE_KMS and a disabled key", tmpl: endpoint("target", "redshift", "      RedshiftSettings: {EncryptionMode: SSE_KMS, ServerSideEncryptionKmsKeyId: !GetAtt DisabledKey.Arn}\n"), want: pass},
		{name: "engine in upper case", tmpl: endpoint("target", "S3", ""), want: fail},
		{name: "postgres target: no data encryption rule", tmpl: endpoint("target", "postgres", ""), want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, reasons := verdicts(mustParse(t, tc.tmpl, tc.params))
			if got["Dms CMKG-DMS-006"] != tc.want {
				t.Fatalf("CMKG-DMS-006: got %q, want %q\n%s%q", got["Dms CMKG-DMS-006"], tc.want, formatVerdicts(got), reasons["Dms CMKG-DMS-006"])
			}
			if got["Dms CMKG-DMS-005"] != pass {
				t.Errorf("CMKG-DMS-005: got %q, want PASS (the endpoint's own key is declared)", got["Dms CMKG-DMS-005"])
			}
			if tc.reasonContain != "" && !strings.Contains(strings.Join(reasons["Dms CMKG-DMS-006"], "\n"), tc.reasonContain) {
				t.Errorf("reasons %q do not mention %q", reasons["Dms CMKG-DMS-006"], tc.reasonContain)
			}
		})
	}
}
