package cloudformation

import (
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/state"
)

// TestLines: Source names the attribute that decided the verdict (the
// resource block when it is absent), in YAML and in JSON, tabs included.
func TestLines(t *testing.T) {
	t.Parallel()
	const yamlTmpl = `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Key:
    Type: AWS::KMS::Key
  Inst:
    Type: AWS::DMS::ReplicationInstance
    Properties:
      ReplicationInstanceClass: dms.t3.medium
      KmsKeyId: !If
        - Never
        - !GetAtt Key.Arn
        - alias/aws/dms
  Bare:
    Type: AWS::DMS::ReplicationInstance
    Properties:
      ReplicationInstanceClass: dms.t3.medium

  Target:
    Type: AWS::DMS::Endpoint
    Properties:
      EndpointType: target
      EngineName: s3
      KmsKeyId: !GetAtt Key.Arn
      S3Settings:
        BucketName: b
        EncryptionMode: SSE_S3
  Sse:
    Type: AWS::DMS::Endpoint
    Properties:
      EndpointType: target
      EngineName: s3
      KmsKeyId: !GetAtt Key.Arn
      ExtraConnectionAttributes: >-
        encryptionMode=SSE_S3;
        bucketName=b
Conditions:
  Never: !Equals [a, b]
`
	const jsonTmpl = "{\n" +
		"\t\"Resources\": {\n" +
		"\t\t\"Key\": {\"Type\": \"AWS::KMS::Key\"},\n" +
		"\t\t\"Inst\": {\n" +
		"\t\t\t\"Type\": \"AWS::DMS::ReplicationInstance\",\n" +
		"\t\t\t\"Properties\": {\n" +
		"\t\t\t\t\"KmsKeyId\": {\n" +
		"\t\t\t\t\t\"Fn::GetAtt\": [\n" +
		"\t\t\t\t\t\t\"Key\",\n" +
		"\t\t\t\t\t\t\"Arn\"\n" +
		"\t\t\t\t\t]\n" +
		"\t\t\t\t}\n" +
		"\t\t\t}\n" +
		"\t\t},\n" +
		"\t\t\"Bare\": {\n" +
		"\t\t\t\"Type\": \"AWS::DMS::ReplicationInstance\",\n" +
		"\t\t\t\"Properties\": {\"ReplicationInstanceClass\": \"dms.t3.medium\"}\n" +
		"\t\t}\n" +
		"\t}\n" +
		"}\n"
	tests := []struct {
		name, file, tmpl string
		want             map[string][2]int // address → start, end
	}{
		{name: "YAML", file: "t.yaml", tmpl: yamlTmpl, want: map[string][2]int{
			"Inst":   {9, 12}, // the KmsKeyId attribute, its Fn::If included
			"Bare":   {13, 16},
			"Target": {26, 26}, // the key is fine: the target's EncryptionMode decided
			"Sse":    {33, 35}, // the folded ExtraConnectionAttributes
		}},
		{name: "tab-indented JSON", file: "t.template", tmpl: jsonTmpl, want: map[string][2]int{
			"Inst": {7, 12}, // through the closing brace of the KmsKeyId object
			"Bare": {15, 18},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := Parse(tc.file, []byte(tc.tmpl), Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][2]int{}
			each(s, func(src state.Source) {
				if src.File != tc.file {
					t.Errorf("%s: file %q, want %q", src.Address, src.File, tc.file)
				}
				got[src.Address] = [2]int{src.StartLine, src.EndLine}
			})
			if diff := cmpDiff(tc.want, got); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}

// each calls f with the Source of every resource of s.
func each(s state.State, f func(state.Source)) {
	for _, r := range s.Instances {
		f(r.Source)
	}
	for _, r := range s.ReplicationConfigs {
		f(r.Source)
	}
	for _, r := range s.Endpoints {
		f(r.Source)
	}
}

// TestInlineSuppressions: Metadata.cmkguard.ignore entries are recorded as
// written, with their lines, on every variant of the resource.
func TestInlineSuppressions(t *testing.T) {
	t.Parallel()
	const tmpl = `Resources:
  Inst:
    Type: AWS::DMS::ReplicationInstance
    Metadata:
      cmkguard:
        ignore:
          - rule: CMKG-DMS-001
            reason: migration ends in March
            expires: 2027-03-31
          - {rule: CMKG-DMS-002, reason: default key}
    Properties:
      ReplicationInstanceClass: dms.t3.medium
`
	s := mustParse(t, tmpl, nil)
	want := []state.InlineSuppression{
		{Rule: "CMKG-DMS-001", Reason: "migration ends in March", Expires: "2027-03-31", Line: 7},
		{Rule: "CMKG-DMS-002", Reason: "default key", Line: 10},
	}
	if len(s.Instances) != 1 {
		t.Fatalf("got %d instances", len(s.Instances))
	}
	if diff := cmpDiff(want, s.Instances[0].Source.Suppressions); diff != "" {
		t.Errorf("suppressions (-want +got):\n%s", diff)
	}

	for _, bad := range []struct{ name, metadata, want string }{
		{"ignore is not a list", "      cmkguard: {ignore: CMKG-DMS-001}\n", "t.yaml:5: Metadata.cmkguard of resource Inst must be"},
		{"an entry is not a mapping", "      cmkguard:\n        ignore: [CMKG-DMS-001]\n", "t.yaml:6: each Metadata.cmkguard.ignore entry"},
		{"an unknown field", "      cmkguard:\n        ignore: [{rule: CMKG-DMS-001, reson: typo}]\n", `t.yaml:6: Metadata.cmkguard.ignore: unknown field "reson"`},
	} {
		t.Run(bad.name, func(t *testing.T) {
			tmpl := "Resources:\n  Inst:\n    Type: AWS::DMS::ReplicationInstance\n    Metadata:\n" + bad.metadata
			_, err := Parse("t.yaml", []byte(tmpl), Options{})
			if err == nil || !strings.Contains(err.Error(), bad.want) {
				t.Errorf("error %v, want %q", err, bad.want)
			}
		})
	}
}

// TestByteOrderMark: a JSON template saved with a byte-order mark (as some
// Windows editors do) parses, with its lines.
func TestByteOrderMark(t *testing.T) {
	t.Parallel()
	data := "\xef\xbb\xbf{\r\n\t\"Resources\": {\r\n\t\t\"Inst\": {\r\n\t\t\t\"Type\": \"AWS::DMS::ReplicationInstance\",\r\n\t\t\t\"Properties\": {\"KmsKeyId\": \"alias/aws/dms\"}\r\n\t\t}\r\n\t}\r\n}\r\n"
	s, err := Parse("bom.json", []byte(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Instances) != 1 || s.Instances[0].Source.StartLine != 5 || s.Instances[0].KeyRef != "alias/aws/dms" {
		t.Errorf("instances %+v", s.Instances)
	}
}
