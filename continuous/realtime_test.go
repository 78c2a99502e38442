package continuous_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/cmkguard/cmkguard/continuous"
	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/internal/awsemu"
	"github.com/cmkguard/cmkguard/internal/cli/permissions"
)

const topic = "arn:aws:sns:eu-west-1:111122223333:cmkguard-findings"

// asffFinding is what the test reads of an imported ASFF finding.
type asffFinding struct {
	Resources []struct {
		ID string `json:"Id"`
	} `json:"Resources"`
	Compliance struct {
		Status string `json:"Status"`
	} `json:"Compliance"`
	GeneratorID string `json:"GeneratorId"`
}

func imported(t *testing.T, hs *harness) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, raw := range hs.srv.ImportedFindings() {
		var f asffFinding
		if err := json.Unmarshal(raw, &f); err != nil || len(f.Resources) == 0 {
			t.Fatalf("imported finding: %s", raw)
		}
		out[f.Resources[0].ID] = append(out[f.Resources[0].ID], f.Compliance.Status)
	}
	return out
}

func snsFindings(t *testing.T, hs *harness) map[string][]finding.Status {
	t.Helper()
	out := map[string][]finding.Status{}
	for _, m := range hs.sns.sent() {
		if m.Get("TopicArn") != topic || m.Get("Subject") == "" || len(m.Get("Subject")) > 100 {
			t.Errorf("SNS publish: topic %q subject %q", m.Get("TopicArn"), m.Get("Subject"))
		}
		var msg struct {
			Findings []finding.Finding `json:"findings"`
		}
		if err := json.Unmarshal([]byte(m.Get("Message")), &msg); err != nil {
			t.Fatalf("SNS message is not JSON: %v", err)
		}
		for _, f := range msg.Findings {
			out[f.ResourceARN] = append(out[f.ResourceARN], f.Status)
		}
	}
	return out
}

func realtime(t *testing.T) *harness {
	return newHarness(t, testEstate(), defaults(func(s *continuous.Settings) { s.SecurityHub, s.SNSTopicARN = true, topic }))
}

func TestRealTimeEventsSendFindings(t *testing.T) {
	tests := []struct {
		name, fixture string
		before        func(t *testing.T, hs *harness)
		// wantSNS lists each resource and the statuses SNS carries for it;
		// wantHub each resource and whether Security Hub got a FAILED one.
		wantSNS map[string][]finding.Status
		wantHub map[string]bool
	}{
		{name: "an instance created on the default key", fixture: "cloudtrail-create-replication-instance.json",
			wantSNS: map[string][]finding.Status{dmsARN("rep", "RINEW"): {finding.StatusFail}},
			wantHub: map[string]bool{dmsARN("rep", "RINEW"): true}},
		{name: "an S3 endpoint created on a customer key", fixture: "cloudtrail-create-endpoint.json",
			wantSNS: map[string][]finding.Status{},
			wantHub: map[string]bool{dmsARN("endpoint", "EPNEW"): false}},
		{name: "a serverless config that names no key", fixture: "cloudtrail-create-replication-config.json",
			wantSNS: map[string][]finding.Status{dmsARN("replication-config", "RCNEW"): {finding.StatusFail}},
			wantHub: map[string]bool{dmsARN("replication-config", "RCNEW"): true}},
		{name: "a modified instance whose record has no response, read live", fixture: "cloudtrail-modify-replication-instance-no-response.json",
			wantSNS: map[string][]finding.Status{dmsARN("rep", "RIDEFAULT"): {finding.StatusFail}},
			wantHub: map[string]bool{dmsARN("rep", "RIDEFAULT"): true}},
		{name: "a disabled key: every resource using it", fixture: "cloudtrail-kms-disable-key.json",
			before: func(t *testing.T, hs *harness) {
				if _, err := kms.NewFromConfig(hs.cfg).DisableKey(context.Background(), &kms.DisableKeyInput{KeyId: aws.String(keyARN(cmkID))}); err != nil {
					t.Fatal(err)
				}
			},
			// The endpoint is evaluated too; no rule judges an endpoint
			// key's state (only its manager), so it still passes.
			wantSNS: map[string][]finding.Status{dmsARN("rep", "RICMK"): {finding.StatusFail}},
			wantHub: map[string]bool{dmsARN("rep", "RICMK"): true, dmsARN("endpoint", "EPCMK"): false}},
		{name: "a key scheduled for deletion, named by its bare id", fixture: "cloudtrail-kms-schedule-key-deletion.json",
			before: func(t *testing.T, hs *harness) {
				if _, err := kms.NewFromConfig(hs.cfg).ScheduleKeyDeletion(context.Background(), &kms.ScheduleKeyDeletionInput{KeyId: aws.String(keyARN(cmkID)), PendingWindowInDays: aws.Int32(7)}); err != nil {
					t.Fatal(err)
				}
			},
			// The endpoint is evaluated too; no rule judges an endpoint
			// key's state (only its manager), so it still passes.
			wantSNS: map[string][]finding.Status{dmsARN("rep", "RICMK"): {finding.StatusFail}},
			wantHub: map[string]bool{dmsARN("rep", "RICMK"): true, dmsARN("endpoint", "EPCMK"): false}},
		{name: "a failed call changes nothing and sends nothing", fixture: "cloudtrail-create-replication-instance-denied.json",
			wantSNS: map[string][]finding.Status{}, wantHub: map[string]bool{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hs := realtime(t)
			if tt.before != nil {
				tt.before(t, hs)
			}
			if err := hs.h.Handle(context.Background(), json.RawMessage(fixture(t, tt.fixture))); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			gotSNS := snsFindings(t, hs)
			if len(gotSNS) != len(tt.wantSNS) {
				t.Errorf("SNS findings = %v, want %v", gotSNS, tt.wantSNS)
			}
			for arn, want := range tt.wantSNS {
				if !containsAll(gotSNS[arn], want) {
					t.Errorf("SNS findings of %s = %v, want %v", arn, gotSNS[arn], want)
				}
			}
			hub := imported(t, hs)
			if len(hub) != len(tt.wantHub) {
				t.Errorf("Security Hub findings = %v, want resources %v", hub, tt.wantHub)
			}
			for arn, failed := range tt.wantHub {
				statuses, ok := hub[arn]
				if !ok {
					t.Errorf("no Security Hub finding for %s (got %v)", arn, hub)
					continue
				}
				if got := contains(statuses, "FAILED"); got != failed {
					t.Errorf("Security Hub statuses of %s = %v, want FAILED present = %v", arn, statuses, failed)
				}
			}
			if n, _ := hs.calls("config:PutEvaluations"); n != 0 {
				t.Errorf("the real-time path put %d evaluations: it has no result token to put them with", n)
			}
		})
	}
}

func TestRealTimeKeyNoResourceUsesSendsNothing(t *testing.T) {
	hs := realtime(t)
	ev := strings.ReplaceAll(fixture(t, "cloudtrail-kms-disable-key.json"), cmkID, "9999dddd-0000-4000-8000-000000000009")
	if err := hs.h.Handle(context.Background(), json.RawMessage(ev)); err != nil {
		t.Fatal(err)
	}
	if n := len(hs.sns.sent()) + len(hs.srv.ImportedFindings()); n != 0 {
		t.Errorf("%d messages sent for a key no DMS resource uses", n)
	}
	if !strings.Contains(hs.logs.String(), "no DMS resource of the region uses the key") {
		t.Errorf("logs do not say why nothing was sent: %s", hs.logs.String())
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func containsAll(got, want []finding.Status) bool {
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			return false
		}
	}
	return true
}

// TestEveryCallIsInThePrintedPolicy runs each kind of event and checks
// that every call the function made is granted by `cmkguard permissions
// config-rule --securityhub --sns-topic ...` (STS GetCallerIdentity needs
// no permission).
func TestEveryCallIsInThePrintedPolicy(t *testing.T) {
	hs := realtime(t)
	hs.srv.RecordConfigurationItem(awsemu.ConfigurationItem{Account: acct, Region: region, ResourceType: "AWS::DMS::Endpoint",
		ResourceID: "EPDEFAULT", ARN: dmsARN("endpoint", "EPDEFAULT"), CaptureTime: mustTime("2026-12-01T10:00:00Z"), Configuration: `{"KmsKeyId":"` + keyARN(defaultID) + `"}`})
	for _, f := range []string{"scheduled.json", "change-endpoint-cmk.json", "oversized-endpoint.json"} {
		if _, err := hs.invoke(t, f, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"cloudtrail-create-replication-instance.json", "cloudtrail-kms-disable-key.json"} {
		if err := hs.h.Handle(context.Background(), json.RawMessage(fixture(t, f))); err != nil {
			t.Fatal(err)
		}
	}
	granted := map[string]bool{"sts:GetCallerIdentity": true}
	for _, a := range permissions.ConfigRulePolicy(true, topic).Actions() {
		granted[a] = true
	}
	for _, e := range hs.srv.Requests() {
		if !granted[e.Action()] {
			t.Errorf("the function called %s, which the policy does not grant", e.Action())
		}
	}
	if len(hs.sns.sent()) == 0 {
		t.Error("no SNS publish: sns:Publish went unchecked")
	}
}
