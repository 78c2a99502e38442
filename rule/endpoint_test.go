package rule

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/state"
)

const endpointARN = "arn:aws:dms:eu-west-1:111122223333:endpoint:TARGET"

func endpoint(engine, typ string, conn state.Key, mode string, target state.Key) state.Endpoint {
	return state.Endpoint{ARN: endpointARN, ID: "lake", Account: acct, Region: region, Source: state.Source{ARN: endpointARN},
		EndpointType: typ, EngineName: engine, KeyRef: conn.ARN, Key: conn,
		TargetEncryptionMode: mode, TargetKeyRef: target.ARN, TargetKey: target}
}

func TestEndpointRules(t *testing.T) {
	t.Parallel()
	cmk := described(state.KeyManagerCustomer, "AWS_KMS", "Enabled", acct)
	awsKey := described(state.KeyManagerAWS, "AWS_KMS", "Enabled", acct)
	tests := []struct {
		name     string
		e        state.Endpoint
		want     map[string]finding.Status
		inReason string // in the dms-target-sse-kms reason, when it applies
		// notInReason must not be in the dms-target-sse-kms reason.
		notInReason string
	}{
		{
			name: "a source endpoint is checked for its connection key only",
			e:    endpoint("mysql", "source", awsKey, "", state.Key{}),
			want: map[string]finding.Status{"dms-endpoint-cmk": finding.StatusFail},
		},
		{
			name: "an endpoint that names no key uses the default key",
			e:    endpoint("postgres", "target", state.Key{}, "", state.Key{}),
			want: map[string]finding.Status{"dms-endpoint-cmk": finding.StatusFail},
		},
		{
			name:     "an S3 target with SSE_S3 fails the data rule",
			e:        endpoint("s3", "target", cmk, "SSE_S3", state.Key{}),
			want:     map[string]finding.Status{"dms-endpoint-cmk": finding.StatusPass, "dms-target-sse-kms": finding.StatusFail},
			inReason: "SSE_S3",
		},
		{
			name:     "an S3 target with no mode uses SSE_S3 and fails",
			e:        endpoint("s3", "target", cmk, "", state.Key{}),
			want:     map[string]finding.Status{"dms-endpoint-cmk": finding.StatusPass, "dms-target-sse-kms": finding.StatusFail},
			inReason: "SSE_S3 (the default)",
		},
		{
			name:     "an S3 target with SSE_KMS and no key uses aws/s3 and fails",
			e:        endpoint("s3", "target", cmk, "SSE_KMS", state.Key{}),
			want:     map[string]finding.Status{"dms-endpoint-cmk": finding.StatusPass, "dms-target-sse-kms": finding.StatusFail},
			inReason: "aws/s3",
		},
		{
			name:     "a Redshift target with SSE_KMS and a customer key passes",
			e:        endpoint("redshift", "target", cmk, "SSE_KMS", cmk),
			want:     map[string]finding.Status{"dms-endpoint-cmk": finding.StatusPass, "dms-target-sse-kms": finding.StatusPass},
			inReason: "customer-managed",
		},
		{
			name:        "an S3 target with SSE_KMS on an AWS-managed key fails",
			e:           endpoint("s3", "target", cmk, "SSE_KMS", awsKey),
			want:        map[string]finding.Status{"dms-endpoint-cmk": finding.StatusPass, "dms-target-sse-kms": finding.StatusFail},
			inReason:    "AWS-managed",
			notInReason: "aws/dms",
		},
		{
			name: "an S3 target on aws/s3 is described as the AWS-managed S3 key, not as aws/dms",
			e: func() state.Endpoint {
				e := endpoint("s3", "target", cmk, "SSE_KMS", state.Key{Account: acct, Region: region, Resolved: true,
					Evidence: state.EvidenceDeclared, Manager: state.KeyManagerAWS, Aliases: []string{"alias/aws/s3"},
					AWSManagedKey: "the AWS-managed S3 key aws/s3"})
				e.TargetKeyRef = "alias/aws/s3"
				return e
			}(),
			want:        map[string]finding.Status{"dms-endpoint-cmk": finding.StatusPass, "dms-target-sse-kms": finding.StatusFail},
			inReason:    "encrypted with the AWS-managed S3 key aws/s3, which the customer cannot control",
			notInReason: "aws/dms",
		},
		{
			name: "an endpoint whose key cannot be read is unknown",
			e:    endpoint("oracle", "source", state.Key{ARN: keyARN(acct, "x"), UnknownReason: "denied", MissingPermission: "kms:DescribeKey"}, "", state.Key{}),
			want: map[string]finding.Status{"dms-endpoint-cmk": finding.StatusUnknown},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &state.State{Endpoints: []state.Endpoint{tt.e}}
			got := map[string]finding.Status{}
			for _, f := range Evaluate(s, Options{}) {
				got[f.ShortCode] = f.Status
				if f.ResourceType != "AWS::DMS::Endpoint" {
					t.Errorf("%s has resource type %s", f.ShortCode, f.ResourceType)
				}
				if f.ShortCode == "dms-target-sse-kms" && !strings.Contains(f.Reason, tt.inReason) {
					t.Errorf("reason %q does not contain %q", f.Reason, tt.inReason)
				}
				if f.ShortCode == "dms-target-sse-kms" && tt.notInReason != "" && strings.Contains(f.Reason, tt.notInReason) {
					t.Errorf("reason %q contains %q", f.Reason, tt.notInReason)
				}
				if f.Status == finding.StatusFail && f.Remediation == "" {
					t.Errorf("%s FAILs without a remediation", f.ShortCode)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("verdicts (-want +got):\n%s", diff)
			}
		})
	}
}
