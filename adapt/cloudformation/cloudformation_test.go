package cloudformation

import (
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/rule"
	"github.com/cmkguard/cmkguard/state"
)

// common declares the parameters, mappings and keys the cases refer to.
const common = `AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  KeyArnNoDefault: {Type: String}
  KeyArnDefault: {Type: String, Default: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
  AwsKeyDefault: {Type: String, Default: alias/aws/dms}
  SsmKey: {Type: "AWS::SSM::Parameter::Value<String>", Default: /dms/key-arn}
  ModeNoDefault: {Type: String}
Mappings:
  SameKey:
    us-east-1: {KeyArn: alias/aws/dms}
    eu-west-1: {KeyArn: alias/aws/dms}
  RegionKey:
    us-east-1: {KeyArn: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
    eu-west-1: {KeyArn: alias/aws/dms}
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties: {KeyPolicy: {}}
  DisabledKey:
    Type: AWS::KMS::Key
    Properties: {Enabled: false, KeyPolicy: {}}
  ExternalKey:
    Type: AWS::KMS::Key
    Properties: {Origin: EXTERNAL, KeyPolicy: {}}
  AsymmetricKey:
    Type: AWS::KMS::Key
    Properties: {KeySpec: RSA_2048, KeyUsage: SIGN_VERIFY, KeyPolicy: {}}
  Replica:
    Type: AWS::KMS::ReplicaKey
    Properties: {PrimaryKeyArn: "arn:aws:kms:us-west-2:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab", KeyPolicy: {}}
  Alias:
    Type: AWS::KMS::Alias
    Properties: {AliasName: alias/dms-data, TargetKeyId: !Ref DisabledKey}
  OtherAlias:
    Type: AWS::KMS::Alias
    Properties: {AliasName: alias/dms-other, TargetKeyId: "1234abcd-12ab-34cd-56ef-1234567890ab"}
  ReservedAlias:
    Type: AWS::KMS::Alias
    Properties: {AliasName: alias/aws/dms, TargetKeyId: !Ref Key}
  Bucket:
    Type: AWS::S3::Bucket
`

// keyValues are every kind of KmsKeyId value, with the verdicts of the
// key-manager rule and the key-usable rule (for resources that have one).
var keyValues = []struct {
	name          string
	value         string // "" = the property is absent
	params        map[string]string
	manager       finding.Status
	usable        finding.Status
	reasonContain string
}{
	{name: "absent is the default aws/dms key", value: "", manager: fail, usable: pass},
	{name: "empty string is the default key", value: `""`, manager: fail, usable: pass},
	{name: "null is the default key", value: `null`, manager: fail, usable: pass},
	{name: "Ref AWS::NoValue is the default key", value: `!Ref AWS::NoValue`, manager: fail, usable: pass},
	{name: "literal alias/aws/dms", value: `alias/aws/dms`, manager: fail, usable: pass},
	{name: "literal aws/dms alias ARN", value: `arn:aws:kms:us-east-1:111122223333:alias/aws/dms`, manager: fail, usable: pass},
	{name: "Sub of pseudo parameters yielding alias/aws/dms", value: `!Sub "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/aws/dms"`, manager: fail, usable: pass},
	{name: "long-form Sub yielding alias/aws/dms", value: `{"Fn::Sub": ["arn:${P}:kms:${AWS::Region}:${AWS::AccountId}:alias/aws/${S}", {P: !Ref "AWS::Partition", S: dms}]}`, manager: fail, usable: pass},
	{name: "Join yielding alias/aws/dms", value: `!Join ["", ["arn:aws:kms:", !Ref "AWS::Region", ":", !Ref "AWS::AccountId", ":alias/aws/dms"]]`, manager: fail, usable: pass},
	{name: "parameter defaulting to alias/aws/dms", value: `!Ref AwsKeyDefault`, manager: fail, usable: pass},
	{name: "Select of a Split yielding alias/aws/dms", value: `!Select [0, !Split [",", "alias/aws/dms,alias/other"]]`, manager: fail, usable: pass},
	{name: "FindInMap whose entries all hold alias/aws/dms", value: `!FindInMap [SameKey, !Ref "AWS::Region", KeyArn]`, manager: fail, usable: pass},
	{name: "FindInMap by an unknown region whose entries differ", value: `!FindInMap [RegionKey, !Ref "AWS::Region", KeyArn]`, manager: unknown, usable: unknown, reasonContain: "AWS::Region"},
	{name: "FindInMap with the region given", value: `!FindInMap [RegionKey, !Ref "AWS::Region", KeyArn]`, params: map[string]string{"AWS::Region": "eu-west-1"}, manager: fail, usable: pass},
	{name: "GetAtt of a declared key", value: `!GetAtt Key.Arn`, manager: pass, usable: pass},
	{name: "long-form GetAtt of a declared key", value: `{"Fn::GetAtt": ["Key", "Arn"]}`, manager: pass, usable: pass},
	{name: "Ref of a declared key", value: `!Ref Key`, manager: pass, usable: pass},
	{name: "Sub building the ARN of a declared key", value: `!Sub "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${Key}"`, manager: pass, usable: pass},
	{name: "declared key with Enabled false", value: `!GetAtt DisabledKey.Arn`, manager: pass, usable: fail},
	{name: "declared key with Origin EXTERNAL has no material", value: `!GetAtt ExternalKey.Arn`, manager: pass, usable: fail},
	{name: "asymmetric declared key cannot be used", value: `!GetAtt AsymmetricKey.Arn`, manager: unknown, usable: unknown, reasonContain: "symmetric"},
	{name: "declared replica key", value: `!GetAtt Replica.Arn`, manager: pass, usable: pass},
	{name: "Ref of a declared alias follows it to its key", value: `!Ref Alias`, manager: pass, usable: fail},
	{name: "declared alias in the reserved namespace cannot be created", value: `!Ref ReservedAlias`, manager: unknown, usable: unknown, reasonContain: "reserved alias/aws/ namespace"},
	{name: "declared alias of a literal key id", value: `!Ref OtherAlias`, manager: pass, usable: unknown},
	{name: "Sub of the ARN of a declared alias", value: `!Sub "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:${OtherAlias}"`, manager: pass, usable: unknown},
	{name: "Sub of a customer alias ARN", value: `!Sub "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/dms-data"`, manager: pass, usable: unknown},
	{name: "literal customer alias", value: `alias/dms-data`, manager: pass, usable: unknown},
	{name: "literal key ARN", value: `arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab`, manager: pass, usable: unknown},
	{name: "literal key id", value: `1234abcd-12ab-34cd-56ef-1234567890ab`, manager: pass, usable: unknown},
	{name: "literal key ARN of another region than the one given", value: `arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab`, params: map[string]string{"AWS::Region": "eu-west-1"}, manager: unknown, usable: unknown, reasonContain: "region"},
	{name: "literal key ARN of another partition", value: `arn:aws-cn:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab`, manager: unknown, usable: unknown, reasonContain: "partition"},
	{name: "malformed ARN", value: `arn:aws:s3:::bucket`, manager: unknown, usable: unknown, reasonContain: "not a KMS ARN"},
	{name: "parameter with a key ARN default", value: `!Ref KeyArnDefault`, manager: pass, usable: unknown},
	{name: "parameter with a value given", value: `!Ref KeyArnNoDefault`, params: map[string]string{"KeyArnNoDefault": "alias/aws/dms"}, manager: fail, usable: pass},
	{name: "parameter without default", value: `!Ref KeyArnNoDefault`, manager: unknown, usable: unknown, reasonContain: "parameter KeyArnNoDefault has no Default: pass --cf-param KeyArnNoDefault="},
	{name: "SSM parameter type", value: `!Ref SsmKey`, manager: unknown, usable: unknown, reasonContain: "/dms/key-arn at deploy time: pass --cf-param SsmKey="},
	{name: "ImportValue", value: `!ImportValue shared-dms-key-arn`, manager: unknown, usable: unknown, reasonContain: "Fn::ImportValue"},
	{name: "SSM dynamic reference", value: `"{{resolve:ssm:/dms/key-arn}}"`, manager: unknown, usable: unknown, reasonContain: "dynamic reference"},
	{name: "Ref to nothing", value: `!Ref Missing`, manager: unknown, usable: unknown, reasonContain: "names no parameter or resource"},
	{name: "GetAtt of something that is not a key", value: `!GetAtt Bucket.Arn`, manager: unknown, usable: unknown, reasonContain: "AWS::S3::Bucket, not a KMS key"},
	{name: "Sub with an unknown key id", value: `!Sub "arn:aws:kms:us-east-1:111122223333:key/${KeyArnNoDefault}"`, manager: unknown, usable: unknown, reasonContain: "KeyArnNoDefault"},
	{name: "Sub with an unknown alias name", value: `!Sub "alias/${KeyArnNoDefault}"`, manager: unknown, usable: unknown, reasonContain: "KeyArnNoDefault"},
	{name: "a list is not a key", value: `[alias/aws/dms]`, manager: unknown, usable: unknown, reasonContain: "list"},
}

// resourceKinds places a KmsKeyId value in each DMS resource type.
var resourceKinds = []struct {
	typ, managerRule, usableRule string
	block                        func(value string) string
}{
	{typ: "instance", managerRule: "CMKG-DMS-001", usableRule: "CMKG-DMS-002", block: func(v string) string {
		return "  Dms:\n    Type: AWS::DMS::ReplicationInstance\n    Properties:\n      ReplicationInstanceClass: dms.t3.medium\n" + prop("      KmsKeyId", v)
	}},
	{typ: "serverless config", managerRule: "CMKG-DMS-003", usableRule: "CMKG-DMS-004", block: func(v string) string {
		return "  Dms:\n    Type: AWS::DMS::ReplicationConfig\n    Properties:\n      ReplicationType: full-load\n      ComputeConfig:\n        MaxCapacityUnits: 16\n" + prop("        KmsKeyId", v)
	}},
	{typ: "endpoint", managerRule: "CMKG-DMS-005", block: func(v string) string {
		return "  Dms:\n    Type: AWS::DMS::Endpoint\n    Properties:\n      EndpointType: source\n      EngineName: postgres\n" + prop("      KmsKeyId", v)
	}},
}

func prop(key, v string) string {
	if v == "" {
		return ""
	}
	return key + ": " + v + "\n"
}

// TestKeyValues: every kind of key value, in every resource type ("configured"
// and "defaults" cases included), judged by the real rules.
func TestKeyValues(t *testing.T) {
	t.Parallel()
	for _, kind := range resourceKinds {
		for _, tc := range keyValues {
			t.Run(kind.typ+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				want := map[string]finding.Status{"Dms " + kind.managerRule: tc.manager}
				if kind.usableRule != "" {
					usable := tc.usable
					if kind.typ == "serverless config" && tc.manager == fail && usable == pass {
						usable = pass // a config naming no key: the default key is always usable
					}
					want["Dms "+kind.usableRule] = usable
				}
				reasons := checkVerdicts(t, common+kind.block(tc.value), tc.params, want)
				if tc.reasonContain != "" && !strings.Contains(strings.Join(reasons["Dms "+kind.managerRule], "\n"), tc.reasonContain) {
					t.Errorf("reasons %q do not mention %q", reasons["Dms "+kind.managerRule], tc.reasonContain)
				}
			})
		}
	}
}

// TestConfiguredAndDefaults is the defsec-style pair for each resource type:
// the state a fully configured resource yields, and the one of a resource
// that leaves everything to the defaults.
func TestConfiguredAndDefaults(t *testing.T) {
	t.Parallel()
	declared := state.Key{Resolved: true, Evidence: state.EvidenceDeclared, Manager: state.KeyManagerCustomer, State: "Enabled", Origin: "AWS_KMS"}
	defaultKey := state.Key{Resolved: true, Evidence: state.EvidenceDeclared, Manager: state.KeyManagerAWS, State: "Enabled", Aliases: []string{"alias/aws/dms"}}
	tests := []struct {
		name string
		tmpl string
		want state.State
	}{
		{name: "instance configured", tmpl: `Resources:
  Key: {Type: AWS::KMS::Key}
  Inst:
    Type: AWS::DMS::ReplicationInstance
    Properties:
      ReplicationInstanceClass: dms.r5.large
      EngineVersion: "3.5.3"
      KmsKeyId: !GetAtt Key.Arn
`, want: state.State{Instances: []state.ReplicationInstance{{
			Source: state.Source{File: "t.yaml", StartLine: 8, EndLine: 8, Address: "Inst"},
			ID:     "Inst", KeyRef: "!GetAtt Key.Arn", Key: declared}}}},
		{name: "instance defaults", tmpl: `Resources:
  Inst:
    Type: AWS::DMS::ReplicationInstance
    Properties:
      ReplicationInstanceClass: dms.t3.micro
`, want: state.State{Instances: []state.ReplicationInstance{{
			Source: state.Source{File: "t.yaml", StartLine: 2, EndLine: 5, Address: "Inst"},
			ID:     "Inst", Key: defaultKey}}}},
		{name: "serverless config configured", tmpl: `Resources:
  Key: {Type: AWS::KMS::Key}
  Cfg:
    Type: AWS::DMS::ReplicationConfig
    Properties:
      ComputeConfig:
        MaxCapacityUnits: 16
        KmsKeyId: !Ref Key
`, want: state.State{ReplicationConfigs: []state.ReplicationConfig{{
			Source: state.Source{File: "t.yaml", StartLine: 8, EndLine: 8, Address: "Cfg"},
			ID:     "Cfg", KeyRef: "!Ref Key", Key: declared}}}},
		{name: "serverless config defaults", tmpl: `Resources:
  Cfg:
    Type: AWS::DMS::ReplicationConfig
    Properties:
      ComputeConfig:
        MaxCapacityUnits: 16
`, want: state.State{ReplicationConfigs: []state.ReplicationConfig{{
			Source: state.Source{File: "t.yaml", StartLine: 5, EndLine: 6, Address: "Cfg"},
			ID:     "Cfg", Key: defaultKey}}}},
		{name: "S3 target endpoint configured", tmpl: `Resources:
  Key: {Type: AWS::KMS::Key}
  Ep:
    Type: AWS::DMS::Endpoint
    Properties:
      EndpointType: target
      EngineName: s3
      KmsKeyId: !GetAtt Key.Arn
      S3Settings:
        EncryptionMode: SSE_KMS
        ServerSideEncryptionKmsKeyId: !GetAtt Key.Arn
`, want: state.State{Endpoints: []state.Endpoint{{
			Source: state.Source{File: "t.yaml", StartLine: 8, EndLine: 8, Address: "Ep"},
			ID:     "Ep", EndpointType: "target", EngineName: "s3", KeyRef: "!GetAtt Key.Arn", Key: declared,
			TargetEncryptionMode: "SSE_KMS", TargetKeyRef: "!GetAtt Key.Arn", TargetKey: declared}}}},
		{name: "S3 target endpoint defaults", tmpl: `Resources:
  Ep:
    Type: AWS::DMS::Endpoint
    Properties:
      EndpointType: target
      EngineName: s3
`, want: state.State{Endpoints: []state.Endpoint{{
			Source: state.Source{File: "t.yaml", StartLine: 2, EndLine: 6, Address: "Ep"},
			ID:     "Ep", EndpointType: "target", EngineName: "s3", Key: defaultKey}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := mustParse(t, tc.tmpl, nil)
			if diff := cmpDiff(tc.want, got); diff != "" {
				t.Errorf("state (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAccountAndRegionGiven: with AWS::AccountId and AWS::Region given, the
// resources carry them, so that a key of another account is shown as such
// and --trusted-key-account can judge it.
func TestAccountAndRegionGiven(t *testing.T) {
	t.Parallel()
	const tmpl = `Resources:
  Dms:
    Type: AWS::DMS::ReplicationInstance
    Properties:
      KmsKeyId: arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab
`
	params := map[string]string{"AWS::AccountId": "111122223333", "AWS::Region": "eu-west-1"}
	s := mustParse(t, tmpl, params)
	if len(s.Instances) != 1 {
		t.Fatalf("got %d instances", len(s.Instances))
	}
	inst := s.Instances[0]
	if inst.Account != "111122223333" || inst.Region != "eu-west-1" || inst.Key.Account != "444455556666" {
		t.Errorf("account %q region %q key account %q", inst.Account, inst.Region, inst.Key.Account)
	}
	for _, tc := range []struct {
		trusted []string
		want    finding.Status
	}{{nil, pass}, {[]string{"777788889999"}, fail}, {[]string{"444455556666"}, pass}} {
		for _, f := range rule.Evaluate(&s, rule.Options{TrustedKeyAccounts: tc.trusted}) {
			if f.RuleID == "CMKG-DMS-001" && f.Status != tc.want {
				t.Errorf("trusted %v: %s (%s), want %s", tc.trusted, f.Status, f.Reason, tc.want)
			}
		}
	}
}
