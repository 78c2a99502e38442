package rule

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/state"
)

const ksKeyARN = "arn:aws:kms:eu-west-1:111122223333:key/0123abcd-0000-0000-0000-000000000001"

// soundKey is a customer key whose policy and rotation checks passed.
func soundKey() state.Key {
	return state.Key{ARN: ksKeyARN, Account: "111122223333", Region: "eu-west-1", Resolved: true, Evidence: state.EvidenceDescribeKey,
		Manager: state.KeyManagerCustomer, State: "Enabled", Origin: "AWS_KMS", Spec: "SYMMETRIC_DEFAULT",
		Policy: &state.KeyPolicy{Read: true, World: state.PolicyCheck{Verdict: "PASS", Reason: "closed"},
			DMS: []state.PolicyCheck{{Verdict: "PASS", Basis: "key-policy", Account: "111122223333", Reason: "statement DMS allows it"}}},
		Rotation: &state.KeyRotation{Read: true, Applies: true, Enabled: true, PeriodDays: 180, NextRotation: "2027-01-01T00:00:00Z"}}
}

func keyState(k state.Key, users int) *state.State {
	s := &state.State{}
	for i := range users {
		id := string(rune('a' + i))
		s.Instances = append(s.Instances, state.ReplicationInstance{ARN: "arn:aws:dms:eu-west-1:111122223333:rep:" + id, ID: "ri-" + id,
			Account: "111122223333", Region: "eu-west-1", KeyRef: k.ARN, Key: k})
	}
	return s
}

// keyVerdicts maps each key rule's short code to its verdict on the key.
func keyVerdicts(t *testing.T, s *state.State) map[string]finding.Finding {
	t.Helper()
	out := map[string]finding.Finding{}
	for _, f := range Evaluate(s, Options{}) {
		if f.ResourceType != keyResourceType {
			continue
		}
		if _, dup := out[f.ShortCode]; dup {
			t.Errorf("%s judged the key twice: one finding per key, not per resource", f.ShortCode)
		}
		out[f.ShortCode] = f
	}
	return out
}

func TestTheKeyRulesJudgeEachKeyOnceFromItsFacts(t *testing.T) {
	t.Parallel()
	const world, dms, rot = "dms-key-policy-not-public", "dms-key-policy-allows-dms", "dms-key-rotation"
	pass, fail, unknown := finding.StatusPass, finding.StatusFail, finding.StatusUnknown
	tests := []struct {
		name   string
		change func(*state.Key)
		want   map[string]finding.Status
		reason map[string]string // a part of the reason, by rule
	}{
		{"a sound key passes all three", func(*state.Key) {}, map[string]finding.Status{world: pass, dms: pass, rot: pass},
			map[string]string{rot: "every 180 days, next on 2027-01-01", world: "used by 3 DMS resource(s): instance ri-a, instance ri-b, instance ri-c"}},
		{"a policy open to the world fails naming the statement", func(k *state.Key) {
			k.Policy.World = state.PolicyCheck{Verdict: "FAIL", Statements: []string{`"Open"`}, Reason: `statement "Open" allows kms:Decrypt to everyone`}
		}, map[string]finding.Status{world: fail, dms: pass, rot: pass}, map[string]string{world: `"Open"`}},
		{"an unknown condition is UNKNOWN naming the statement", func(k *state.Key) {
			k.Policy.World = state.PolicyCheck{Verdict: "UNKNOWN", Statements: []string{`"Odd"`}, Reason: "condition key ec2:SourceInstanceARN"}
		}, map[string]finding.Status{world: unknown, dms: pass, rot: pass}, map[string]string{world: `"Odd"`}},
		{"a Deny of DMS fails, critical", func(k *state.Key) {
			k.Policy.DMS = []state.PolicyCheck{{Verdict: "FAIL", ExplicitDeny: true, Account: "111122223333", Statements: []string{`"NoGrants"`}}}
		}, map[string]finding.Status{world: pass, dms: fail, rot: pass}, map[string]string{dms: "a Deny stops it"}},
		{"a policy that leaves DMS to IAM is UNKNOWN", func(k *state.Key) {
			k.Policy.DMS = []state.PolicyCheck{{Verdict: "PASS", Basis: "iam", Account: "111122223333"}}
		}, map[string]finding.Status{world: pass, dms: unknown, rot: pass}, map[string]string{dms: "not visible to the audit"}},
		{"the worst account decides DMS use", func(k *state.Key) {
			k.Policy.DMS = append(k.Policy.DMS, state.PolicyCheck{Verdict: "FAIL", Account: "444455556666"})
		}, map[string]finding.Status{world: pass, dms: fail, rot: pass}, map[string]string{dms: "account 444455556666: nothing allows it"}},
		{"a denied policy read is UNKNOWN naming the permission", func(k *state.Key) {
			k.Policy = &state.KeyPolicy{UnknownReason: "kms:GetKeyPolicy was denied", MissingPermission: "kms:GetKeyPolicy"}
		}, map[string]finding.Status{world: unknown, dms: unknown, rot: pass}, map[string]string{world: "kms:GetKeyPolicy was denied"}},
		{"rotation off fails and shows the period", func(k *state.Key) {
			k.Rotation = &state.KeyRotation{Read: true, Applies: true}
		}, map[string]finding.Status{world: pass, dms: pass, rot: fail}, map[string]string{rot: "rotation period: none"}},
		{"a denied rotation read is UNKNOWN", func(k *state.Key) {
			k.Rotation = &state.KeyRotation{Applies: true, UnknownReason: "denied", MissingPermission: "kms:GetKeyRotationStatus"}
		}, map[string]finding.Status{world: pass, dms: pass, rot: unknown}, nil},
		{"an asymmetric, imported, CloudHSM or external key store key is not judged on rotation", func(k *state.Key) {
			k.Rotation = &state.KeyRotation{Read: true}
		}, map[string]finding.Status{world: pass, dms: pass}, nil},
		{"a source that did not read the key's policy or rotation gives no finding", func(k *state.Key) {
			k.Policy, k.Rotation = nil, nil
		}, map[string]finding.Status{}, nil},
		{"an AWS-managed key is not judged (the CMK rules fail it)", func(k *state.Key) {
			k.Manager = state.KeyManagerAWS
		}, map[string]finding.Status{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k := soundKey()
			tt.change(&k)
			got := keyVerdicts(t, keyState(k, 3))
			status := map[string]finding.Status{}
			for code, f := range got {
				status[code] = f.Status
				if f.ResourceARN != ksKeyARN || f.Account != "111122223333" || f.Region != "eu-west-1" {
					t.Errorf("%s names %s in %s/%s, want the key", code, f.ResourceARN, f.Account, f.Region)
				}
				if f.Status == finding.StatusUnknown && f.Remediation == "" {
					t.Errorf("%s UNKNOWN without a remediation", code)
				}
			}
			if diff := cmp.Diff(tt.want, status); diff != "" {
				t.Errorf("verdicts (-want +got):\n%s", diff)
			}
			for code, part := range tt.reason {
				if !strings.Contains(got[code].Reason, part) {
					t.Errorf("%s reason %q, want %q in it", code, got[code].Reason, part)
				}
			}
			if f, ok := got[world]; ok && f.MissingPermission != k.Policy.MissingPermission {
				t.Errorf("missing permission %q, want %q", f.MissingPermission, k.Policy.MissingPermission)
			}
		})
	}
}

func TestAKeyOnlyS3WritesWithIsNotJudgedOnDMSUse(t *testing.T) {
	t.Parallel()
	k := soundKey()
	s := &state.State{Endpoints: []state.Endpoint{{ARN: "arn:aws:dms:eu-west-1:111122223333:endpoint:T", ID: "lake", Account: "111122223333",
		Region: "eu-west-1", EndpointType: "target", EngineName: "s3", TargetEncryptionMode: "SSE_KMS", TargetKeyRef: k.ARN, TargetKey: k}}}
	got := keyVerdicts(t, s)
	if _, judged := got["dms-key-policy-allows-dms"]; judged {
		t.Error("the key of an S3 target's data was judged on DMS use: S3 uses it, not DMS grants")
	}
	if got["dms-key-policy-not-public"].Status != finding.StatusPass || got["dms-key-rotation"].Status != finding.StatusPass {
		t.Errorf("world and rotation: %v", got)
	}
}

func TestAScopeWithoutKeysLeavesTheKeyRulesNotEvaluated(t *testing.T) {
	t.Parallel()
	s := keyState(soundKey(), 1)
	s.Scope = []state.ResourceKind{state.KindInstances}
	if got := keyVerdicts(t, s); len(got) != 0 {
		t.Errorf("key rules ran outside the scope: %v", got)
	}
	rep := NewReport(s, nil, finding.Tool{Name: "cmkguard"}, time.Unix(0, 0))
	var notEvaluated []string
	for _, r := range rep.Scope.NotEvaluated() {
		notEvaluated = append(notEvaluated, r.ID)
	}
	for _, id := range []string{"CMKG-DMS-007", "CMKG-DMS-008", "CMKG-DMS-009"} {
		if !strings.Contains(strings.Join(notEvaluated, " "), id) {
			t.Errorf("%s is not reported as not evaluated (%v)", id, notEvaluated)
		}
	}
}

func TestAScopeOfKeysAloneIsRefused(t *testing.T) {
	t.Parallel()
	if _, err := ParseScope([]string{"keys"}); err == nil || !strings.Contains(err.Error(), "at least one resource kind") {
		t.Errorf("--scope keys: %v, want an error asking for a resource kind", err)
	}
	got, err := ParseScope([]string{"keys,instances"})
	if err != nil || len(got) != 2 || got[0] != state.KindInstances || got[1] != state.KindKeys {
		t.Errorf("--scope keys,instances: %v, %v", got, err)
	}
}
