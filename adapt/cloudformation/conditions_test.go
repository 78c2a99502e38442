package cloudformation

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/rule"
	"github.com/cmkguard/cmkguard/state"
)

// variantsOf lists, per variant of address Dms, the CMKG-DMS-001 status.
func variantsOf(s state.State) map[string]finding.Status { return variantsOfAddress(s, "Dms") }

// variantsOfAddress lists, per variant of address, the CMKG-DMS-001 status.
func variantsOfAddress(s state.State, address string) map[string]finding.Status {
	out := map[string]finding.Status{}
	for _, f := range rule.Evaluate(&s, rule.Options{}) {
		if f.RuleID == "CMKG-DMS-001" && f.Source.Address == address {
			out[f.Source.Variant] = f.Status
		}
	}
	return out
}

func TestConditions(t *testing.T) {
	t.Parallel()
	const params = `Parameters:
  Env: {Type: String, Default: dev}
  Stage: {Type: String, Default: dev, AllowedValues: [dev, test]}
  UseKmsParam: {Type: String, Default: "true", AllowedValues: ["true", "false"]}
  KeyArn: {Type: String, Default: ""}
  KeyChoice: {Type: String, Default: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", AllowedValues: ["arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", alias/aws/dms]}
`
	instance := func(extra, key string) string {
		return "  Dms:\n    Type: AWS::DMS::ReplicationInstance\n" + extra + "    Properties:\n      ReplicationInstanceClass: dms.t3.medium\n" + prop("      KmsKeyId", key)
	}
	tests := []struct {
		name       string
		conditions string
		resources  string
		params     map[string]string
		// want maps each variant to the CMKG-DMS-001 status; nil = no resource.
		want map[string]finding.Status
	}{
		{
			name:       "an instance behind a condition exists only where it is true",
			conditions: "  CreateDms: !Equals [!Ref Env, prod]\n",
			resources:  instance("    Condition: CreateDms\n", ""),
			want:       map[string]finding.Status{"CreateDms=true": fail},
		},
		{
			name:       "a condition false in every combination: no resource, never a PASS",
			conditions: "  Never: !Equals [a, b]\n",
			resources:  instance("    Condition: Never\n", ""),
			want:       map[string]finding.Status{},
		},
		{
			name:       "AllowedValues rule out the value a condition needs",
			conditions: "  IsProd: !Equals [!Ref Stage, prod]\n",
			resources:  instance("    Condition: IsProd\n", ""),
			want:       map[string]finding.Status{},
		},
		{
			name:       "Fn::If over a key: both branches, not just the default",
			conditions: "  UseKms: !Equals [!Ref UseKmsParam, \"true\"]\n",
			resources:  "  Key: {Type: AWS::KMS::Key}\n" + instance("", "!If [UseKms, !GetAtt Key.Arn, !Ref AWS::NoValue]"),
			want:       map[string]finding.Status{"UseKms=true": pass, "UseKms=false": fail},
		},
		{
			name:       "a parameter given fixes the combination",
			conditions: "  UseKms: !Equals [!Ref UseKmsParam, \"true\"]\n",
			resources:  "  Key: {Type: AWS::KMS::Key}\n" + instance("", "!If [UseKms, !GetAtt Key.Arn, !Ref AWS::NoValue]"),
			params:     map[string]string{"UseKmsParam": "true"},
			want:       map[string]finding.Status{"": pass},
		},
		{
			name:       "the parameter a condition tests is the key: empty default FAILs, any other value is unknown",
			conditions: "  HasKey: !Not [!Equals [!Ref KeyArn, \"\"]]\n",
			resources:  instance("", "!If [HasKey, !Ref KeyArn, !Ref AWS::NoValue]"),
			want:       map[string]finding.Status{"HasKey=false": fail, "HasKey=true": unknown},
		},
		{
			name:       "a key behind a false condition has no value",
			conditions: "  UseKms: !Equals [!Ref UseKmsParam, \"true\"]\n",
			resources:  "  Key: {Type: AWS::KMS::Key, Condition: UseKms}\n" + instance("", "!GetAtt Key.Arn"),
			want:       map[string]finding.Status{"UseKms=true": pass, "UseKms=false": unknown},
		},
		{
			name:       "nested conditions, And, Or, Not",
			conditions: "  IsProd: !Equals [!Ref Env, prod]\n  IsTest: !Equals [!Ref Env, test]\n  Either: !Or [!Condition IsProd, !Condition IsTest]\n  UseKms: !And [{Condition: Either}, !Not [!Equals [!Ref UseKmsParam, \"false\"]]]\n",
			resources:  "  Key: {Type: AWS::KMS::Key}\n" + instance("", "!If [UseKms, !GetAtt Key.Arn, alias/aws/dms]"),
			want:       map[string]finding.Status{"UseKms=true": pass, "UseKms=false": fail},
		},
		{
			name:       "two conditions name the combination in order",
			conditions: "  IsProd: !Equals [!Ref Env, prod]\n  UseKms: !Equals [!Ref UseKmsParam, \"true\"]\n",
			resources:  "  Key: {Type: AWS::KMS::Key}\n" + instance("    Condition: IsProd\n", "!If [UseKms, !GetAtt Key.Arn, !Ref AWS::NoValue]"),
			want:       map[string]finding.Status{"IsProd=true, UseKms=true": pass, "IsProd=true, UseKms=false": fail},
		},
		{
			name:       "a comparison the template does not decide is tried both ways",
			conditions: "  Shared: !Equals [!ImportValue shared-mode, kms]\n",
			resources:  "  Key: {Type: AWS::KMS::Key}\n" + instance("", "!If [Shared, !GetAtt Key.Arn, alias/aws/dms]"),
			want:       map[string]finding.Status{"Shared=true": pass, "Shared=false": fail},
		},
		{
			name:       "a condition on the region",
			conditions: "  InUS: !Equals [!Ref \"AWS::Region\", us-east-1]\n",
			resources:  "  Key: {Type: AWS::KMS::Key}\n" + instance("", "!If [InUS, !GetAtt Key.Arn, alias/aws/dms]"),
			want:       map[string]finding.Status{"InUS=true": pass, "InUS=false": fail},
		},
		{
			name:       "a condition on the region, with the region given",
			conditions: "  InUS: !Equals [!Ref \"AWS::Region\", us-east-1]\n",
			resources:  "  Key: {Type: AWS::KMS::Key}\n" + instance("", "!If [InUS, !GetAtt Key.Arn, alias/aws/dms]"),
			params:     map[string]string{"AWS::Region": "us-east-1"},
			want:       map[string]finding.Status{"": pass},
		},
		{
			name:       "a key parameter with AllowedValues is tried with each",
			conditions: "  Unused: !Equals [a, b]\n",
			resources:  instance("", "!Ref KeyChoice"),
			want:       map[string]finding.Status{`KeyChoice="arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"`: pass, `KeyChoice="alias/aws/dms"`: fail},
		},
		{
			name:       "a condition on a property that decides nothing does not split the resource",
			conditions: "  IsProd: !Equals [!Ref Env, prod]\n",
			resources:  "  Dms:\n    Type: AWS::DMS::ReplicationInstance\n    Properties:\n      ReplicationInstanceClass: !If [IsProd, dms.r5.large, dms.t3.micro]\n      KmsKeyId: alias/aws/dms\n",
			want:       map[string]finding.Status{"": fail},
		},
		{
			name:       "circular conditions are UNKNOWN",
			conditions: "  A: !Condition B\n  B: !Not [!Condition A]\n",
			resources:  instance("    Condition: A\n", ""),
			want:       map[string]finding.Status{"": unknown},
		},
		{
			name:       "conditions no DMS resource uses do not multiply its variants",
			conditions: "  IsProd: !Equals [!Ref Env, prod]\n  IsTest: !Equals [!Ref Env, test]\n",
			resources:  "  Topic: {Type: AWS::SNS::Topic, Condition: IsProd}\n" + instance("", "alias/aws/dms"),
			want:       map[string]finding.Status{"": fail},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tmpl := params + "Conditions:\n" + tc.conditions + "Resources:\n" + tc.resources
			got := variantsOf(mustParse(t, tmpl, tc.params))
			if diff := cmpDiff(tc.want, got); diff != "" {
				t.Errorf("variants (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCombinationsAreCapped: a resource depending on 2^20 combinations is
// evaluated for MaxCombinations of them, plus one UNKNOWN variant saying
// that the rest were not.
func TestCombinationsAreCapped(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("Parameters:\n")
	for i := range 20 {
		fmt.Fprintf(&b, "  P%d: {Type: String}\n", i)
	}
	b.WriteString("Conditions:\n")
	for i := range 20 {
		fmt.Fprintf(&b, "  C%d: !Equals [!Ref P%d, \"on\"]\n", i, i)
	}
	// Every condition is consulted in every combination (no short cut).
	b.WriteString("Resources:\n  Dms:\n    Type: AWS::DMS::ReplicationInstance\n    Properties:\n      KmsKeyId: !Join [\"\", [")
	for i := range 20 {
		fmt.Fprintf(&b, "!If [C%d, \"\", \"\"], ", i)
	}
	b.WriteString("alias/aws/dms]]\n")
	s := mustParse(t, b.String(), nil)
	if len(s.Instances) != 2 {
		// Every evaluated combination yields the same FAIL: one outcome,
		// plus the UNKNOWN for the combinations not evaluated.
		t.Fatalf("got %d instances, want 2 (one outcome and the capped variant)", len(s.Instances))
	}
	last := s.Instances[1]
	if last.Key.Resolved || !strings.Contains(last.Key.UnknownReason, "more than 256 combinations") {
		t.Errorf("capped variant: %+v", last.Key)
	}
	v := variantsOf(s)
	if !slices.Contains(mapValues(v), unknown) {
		t.Errorf("variants %v: want an UNKNOWN", v)
	}
}

func mapValues[K comparable, V any](m map[K]V) []V {
	var out []V
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
