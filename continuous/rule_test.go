package continuous_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"

	"github.com/cmkguard/cmkguard/continuous"
	"github.com/cmkguard/cmkguard/internal/awsemu"
)

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestChangeNotificationsPutOneEvaluationEach(t *testing.T) {
	tests := []struct {
		name, fixture string
		edit          func(string) string
		id            string
		compliance    string
		annotation    []string // substrings
		at            string
	}{
		{"an endpoint on a customer key is compliant", "change-endpoint-cmk.json", nil, "EPCMK", "COMPLIANT",
			[]string{"PASS dms-endpoint-cmk", keyARN(cmkID)}, "2026-12-01T09:15:30.123Z"},
		{"an endpoint on aws/dms is non-compliant and names the key", "change-endpoint-default-key.json", nil, "EPDEFAULT", "NON_COMPLIANT",
			[]string{"FAIL dms-endpoint-cmk", keyARN(defaultID)}, "2026-12-01T09:15:30.123Z"},
		{"an endpoint whose key cannot be read is non-compliant, marked UNKNOWN", "change-endpoint-default-key.json",
			func(s string) string { return strings.ReplaceAll(s, defaultID, deniedID) }, "EPDEFAULT", "NON_COMPLIANT",
			[]string{"UNKNOWN (not verified, so not compliant)", keyARN(deniedID)}, "2026-12-01T09:15:30.123Z"},
		{"a resource that left the scope is not applicable", "change-endpoint-left-scope.json", nil, "EPCMK", "NOT_APPLICABLE",
			[]string{"left the rule's scope"}, "2026-12-01T09:15:30.123Z"},
		{"a deleted resource is not applicable", "change-endpoint-deleted.json", nil, "EPDEFAULT", "NOT_APPLICABLE",
			[]string{"deleted", "ResourceDeleted"}, "2026-12-01T10:00:00Z"},
		{"endpoints are not applicable when includeEndpoints is false", "change-endpoint-default-key.json",
			func(s string) string {
				return strings.ReplaceAll(s, `\"includeEndpoints\":\"true\"`, `\"includeEndpoints\":\"false\"`)
			}, "EPDEFAULT", "NOT_APPLICABLE", []string{"includeEndpoints is false"}, "2026-12-01T09:15:30.123Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hs := newHarness(t, testEstate(), defaults(nil))
			if _, err := hs.invoke(t, tt.fixture, tt.edit); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			got := hs.srv.ConfigEvaluations(acct, region, ruleName)
			if len(got) != 1 {
				t.Fatalf("evaluations = %+v, want exactly one", got)
			}
			e := got[0]
			if e.ResourceType != "AWS::DMS::Endpoint" || e.ResourceID != tt.id || e.ComplianceType != tt.compliance {
				t.Errorf("evaluation = %s %s %s, want AWS::DMS::Endpoint %s %s", e.ResourceType, e.ResourceID, e.ComplianceType, tt.id, tt.compliance)
			}
			for _, sub := range tt.annotation {
				if !strings.Contains(e.Annotation, sub) {
					t.Errorf("annotation %q lacks %q", e.Annotation, sub)
				}
			}
			if len([]rune(e.Annotation)) > 256 {
				t.Errorf("annotation is %d characters", len([]rune(e.Annotation)))
			}
			if !e.OrderingTimestamp.Equal(mustTime(tt.at)) {
				t.Errorf("OrderingTimestamp = %v, want the item's capture time %s", e.OrderingTimestamp, tt.at)
			}
			lines := 0
			for _, l := range hs.logLines(t) {
				if l["msg"] == "evaluation" {
					lines++
					if l["resourceId"] != tt.id || l["compliance"] != tt.compliance || l["outcome"] != "put" {
						t.Errorf("log line = %v", l)
					}
				}
			}
			if lines != 1 {
				t.Errorf("%d evaluation log lines, want 1", lines)
			}
		})
	}
}

func TestOversizedItemIsReadFromTheHistory(t *testing.T) {
	hs := newHarness(t, testEstate(), defaults(nil))
	hs.srv.RecordConfigurationItem(awsemu.ConfigurationItem{Account: acct, Region: region, ResourceType: "AWS::DMS::Endpoint",
		ResourceID: "EPDEFAULT", ResourceName: "ep-default", ARN: dmsARN("endpoint", "EPDEFAULT"), CaptureTime: mustTime("2026-12-01T11:00:00Z"),
		Configuration: `{"EndpointIdentifier":"ep-default","EndpointType":"target","EngineName":"postgres","KmsKeyId":"` + keyARN(defaultID) + `"}`})
	// A newer item than the notification's must not be the one read.
	hs.srv.RecordConfigurationItem(awsemu.ConfigurationItem{Account: acct, Region: region, ResourceType: "AWS::DMS::Endpoint",
		ResourceID: "EPDEFAULT", ARN: dmsARN("endpoint", "EPDEFAULT"), CaptureTime: mustTime("2026-12-01T12:00:00Z"),
		Configuration: `{"KmsKeyId":"` + keyARN(cmkID) + `"}`})
	if _, err := hs.invoke(t, "oversized-endpoint.json", nil); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	got := hs.evaluations()["EPDEFAULT"]
	if got.ComplianceType != "NON_COMPLIANT" || !strings.Contains(got.Annotation, keyARN(defaultID)) {
		t.Errorf("evaluation = %+v, want NON_COMPLIANT on the aws/dms key", got)
	}
	if !got.OrderingTimestamp.Equal(mustTime("2026-12-01T11:00:00Z")) {
		t.Errorf("OrderingTimestamp = %v, want the summary's capture time", got.OrderingTimestamp)
	}
	if ok, _ := hs.calls("config:GetResourceConfigHistory"); ok != 1 {
		t.Errorf("GetResourceConfigHistory calls = %d, want 1", ok)
	}
}

func TestOversizedItemNotRecordedIsAnError(t *testing.T) {
	hs := newHarness(t, testEstate(), defaults(nil))
	_, err := hs.invoke(t, "oversized-endpoint.json", nil)
	if err == nil || !strings.Contains(err.Error(), "GetResourceConfigHistory") {
		t.Fatalf("err = %v, want the history read's failure", err)
	}
	if n, _ := hs.calls("config:PutEvaluations"); n != 0 {
		t.Errorf("%d PutEvaluations calls, want none", n)
	}
}

func TestMalformedEventsPutNothing(t *testing.T) {
	tests := []struct {
		name, fixture string
		edit          func(string) string
		want          string
	}{
		{"no result token", "change-endpoint-cmk.json", func(s string) string {
			return strings.Replace(s, `"resultToken": "RESULT-TOKEN"`, `"resultToken": ""`, 1)
		}, "no resultToken"},
		{"an invoking event that is not JSON", "change-endpoint-cmk.json", func(s string) string {
			return strings.Replace(s, `"invokingEvent": "{`, `"invokingEvent": "not json{`, 1)
		}, "invokingEvent is not a JSON document"},
		{"an unknown message type", "scheduled.json", func(s string) string {
			return strings.Replace(s, "ScheduledNotification", "ConfigurationSnapshotDeliveryCompleted", 1)
		}, "messageType"},
		{"a configuration item without an ARN", "change-endpoint-cmk.json", func(s string) string { return strings.Replace(s, `\"ARN\":`, `\"NotARN\":`, 1) }, "has no ARN"},
		{"a capture time that is not a time", "change-endpoint-cmk.json", func(s string) string { return strings.Replace(s, "2026-12-01T09:15:30.123Z", "yesterday", 1) }, "configurationItemCaptureTime"},
		{"a misspelt rule parameter", "scheduled.json", func(s string) string { return strings.Replace(s, `\"minProtection\"`, `\"minprotection\"`, 1) }, `unknown parameter "minprotection"`},
		{"an unknown protection level", "scheduled.json", func(s string) string { return strings.Replace(s, `customer-managed`, `hsm`, 1) }, "unknown protection level"},
		{"neither kind of event", "", func(string) string { return `{"hello":"world"}` }, "neither an AWS Config rule invocation"},
		{"not JSON at all", "", func(string) string { return `{"invokingEvent":` }, "malformed event"},
		{"a CloudTrail event this function does not handle", "cloudtrail-kms-disable-key.json", func(s string) string { return strings.Replace(s, `"DisableKey"`, `"EnableKey"`, 1) }, "not an API call this function evaluates"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hs := newHarness(t, testEstate(), defaults(nil))
			name := tt.fixture
			if name == "" {
				name = "scheduled.json"
			}
			_, err := hs.invoke(t, name, tt.edit)
			if !errors.Is(err, continuous.ErrMalformedEvent) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want a malformed-event error mentioning %q", err, tt.want)
			}
			if n := len(hs.srv.Requests()); n != 0 {
				t.Errorf("%d API calls made for a malformed event, want none", n)
			}
		})
	}
}

func TestPeriodicEvaluatesEverythingAndRetiresWhatDisappeared(t *testing.T) {
	hs := newHarness(t, testEstate(), defaults(nil))
	// Config knows ep-cmk by its item's resource id, from a change
	// notification; the periodic run must keep that id current too.
	if _, err := hs.invoke(t, "change-endpoint-cmk.json", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := hs.invoke(t, "scheduled.json", nil); err != nil {
		t.Fatalf("periodic: %v", err)
	}
	at := mustTime("2026-12-01T12:00:00Z")
	want := map[string]string{
		dmsARN("rep", "RICMK"): "COMPLIANT", dmsARN("rep", "RIDEFAULT"): "NON_COMPLIANT", dmsARN("rep", "RIDENIED"): "NON_COMPLIANT",
		dmsARN("endpoint", "EPCMK"): "COMPLIANT", dmsARN("endpoint", "EPDEFAULT"): "NON_COMPLIANT", "EPCMK": "COMPLIANT",
	}
	got := hs.evaluations()
	if len(got) != len(want) {
		t.Errorf("evaluations: %d, want %d: %v", len(got), len(want), got)
	}
	for id, c := range want {
		e, ok := got[id]
		switch {
		case !ok:
			t.Errorf("no evaluation of %s", id)
		case e.ComplianceType != c:
			t.Errorf("%s: %s (%s), want %s", id, e.ComplianceType, e.Annotation, c)
		case !e.OrderingTimestamp.Equal(at):
			t.Errorf("%s: OrderingTimestamp %v, want the notification time %v", id, e.OrderingTimestamp, at)
		}
	}
	if a := got[dmsARN("rep", "RIDENIED")].Annotation; !strings.HasPrefix(a, "UNKNOWN") || !strings.Contains(a, keyARN(deniedID)) {
		t.Errorf("unreadable key's annotation = %q, want UNKNOWN naming the key", a)
	}

	// ri-default is deleted; the next run retires its evaluation.
	c := dms.NewFromConfig(hs.cfg)
	if _, err := c.DeleteReplicationInstance(context.Background(), &dms.DeleteReplicationInstanceInput{ReplicationInstanceArn: aws.String(dmsARN("rep", "RIDEFAULT"))}); err != nil {
		t.Fatal(err)
	}
	later := func(s string) string {
		return strings.ReplaceAll(s, "2026-12-01T12:00:00.000Z", "2026-12-02T12:00:00.000Z")
	}
	if _, err := hs.invoke(t, "scheduled.json", later); err != nil {
		t.Fatalf("second periodic: %v", err)
	}
	gone := hs.evaluations()[dmsARN("rep", "RIDEFAULT")]
	if gone.ComplianceType != "NOT_APPLICABLE" || !strings.Contains(gone.Annotation, "no longer exists") || !gone.OrderingTimestamp.Equal(mustTime("2026-12-02T12:00:00Z")) {
		t.Errorf("deleted instance's evaluation = %+v, want NOT_APPLICABLE, no longer exists", gone)
	}
	if n, _ := hs.calls("config:GetComplianceDetailsByConfigRule"); n < 2 {
		t.Errorf("GetComplianceDetailsByConfigRule calls = %d, want one per periodic run", n)
	}
}

func TestPeriodicWithAFailedRegionRetiresNothing(t *testing.T) {
	hs := newHarness(t, testEstate(), defaults(nil))
	if _, err := hs.invoke(t, "scheduled.json", nil); err != nil {
		t.Fatal(err)
	}
	hs.srv.AddDeny(awsemu.DenyRule{Action: "dms:DescribeReplicationInstances"})
	later := func(s string) string {
		return strings.ReplaceAll(s, "2026-12-01T12:00:00.000Z", "2026-12-02T12:00:00.000Z")
	}
	if _, err := hs.invoke(t, "scheduled.json", later); err != nil {
		t.Fatal(err)
	}
	got := hs.evaluations()
	if e := got[acct]; e.ResourceType != "AWS::::Account" || e.ComplianceType != "NON_COMPLIANT" || !strings.Contains(e.Annotation, "dms:DescribeReplicationInstances") {
		t.Errorf("account evaluation = %+v, want NON_COMPLIANT naming the denied call", e)
	}
	if e := got[dmsARN("rep", "RIDEFAULT")]; e.ComplianceType != "NON_COMPLIANT" {
		t.Errorf("an instance the failed listing could not see was changed: %+v", e)
	}
	// Listed in full again: the account evaluation is retired.
	hs.srv.ClearDeny()
	hs.srv.AddDeny(awsemu.DenyRule{Action: "kms:DescribeKey", Resource: keyARN(deniedID)})
	third := func(s string) string {
		return strings.ReplaceAll(s, "2026-12-01T12:00:00.000Z", "2026-12-03T12:00:00.000Z")
	}
	if _, err := hs.invoke(t, "scheduled.json", third); err != nil {
		t.Fatal(err)
	}
	if e := hs.evaluations()[acct]; e.ComplianceType != "NOT_APPLICABLE" {
		t.Errorf("account evaluation after a full listing = %+v, want NOT_APPLICABLE", e)
	}
}

func TestThrottledPutEvaluationsLandOnce(t *testing.T) {
	hs := newHarness(t, manyInstances(250), defaults(nil))
	hs.srv.SetFaults(awsemu.Faults{Throttle: map[string]float64{"config:PutEvaluations": 0.5}, Seed: 3})
	if _, err := hs.invoke(t, "scheduled.json", nil); err != nil {
		t.Fatalf("periodic under throttling: %v", err)
	}
	ok, throttled := hs.calls("config:PutEvaluations")
	if ok != 3 {
		t.Errorf("PutEvaluations accepted %d calls, want 3 (250 evaluations in batches of at most 100)", ok)
	}
	if throttled == 0 {
		t.Errorf("no call was throttled: the test proves nothing")
	}
	assertOnce(t, hs.srv.ConfigEvaluationsAccepted(acct, region, ruleName), 250)
}

func TestPartialFailureRetriesOnlyTheFailed(t *testing.T) {
	hs := newHarness(t, manyInstances(150), defaults(nil))
	hs.srv.FailNextConfigEvaluations(7)
	if _, err := hs.invoke(t, "scheduled.json", nil); err != nil {
		t.Fatalf("periodic: %v", err)
	}
	if ok, _ := hs.calls("config:PutEvaluations"); ok != 3 {
		t.Errorf("PutEvaluations calls = %d, want 3 (two batches, one retry of the 7 failed)", ok)
	}
	assertOnce(t, hs.srv.ConfigEvaluationsAccepted(acct, region, ruleName), 150)
}

func TestPartialFailureThatOutlastsTheRetriesIsAnError(t *testing.T) {
	hs := newHarness(t, manyInstances(3), defaults(nil))
	hs.srv.FailNextConfigEvaluations(1000)
	_, err := hs.invoke(t, "scheduled.json", nil)
	if err == nil || !strings.Contains(err.Error(), "still failed") {
		t.Fatalf("err = %v, want the evaluations still failed", err)
	}
	failed := 0
	for _, l := range hs.logLines(t) {
		if l["msg"] == "evaluation" && l["outcome"] == "failed" {
			failed++
		}
	}
	if failed != 3 {
		t.Errorf("%d evaluation lines logged as failed, want 3", failed)
	}
}

// manyInstances is an account with n instances on one customer key.
func manyInstances(n int) *awsemu.Estate {
	est := &awsemu.Estate{DefaultAccount: acct, Keys: []awsemu.EstateKey{{ID: cmkID, Region: region}}}
	for i := range n {
		est.ReplicationInstances = append(est.ReplicationInstances, awsemu.EstateReplicationInstance{
			ID: fmt.Sprintf("ri-%04d", i), Region: region, KmsKey: keyARN(cmkID)})
	}
	return est
}

// assertOnce checks that every resource's evaluation was accepted exactly
// once and that there are want of them.
func assertOnce(t *testing.T, accepted []awsemu.ConfigEvaluation, want int) {
	t.Helper()
	seen := map[string]int{}
	for _, e := range accepted {
		seen[e.ResourceType+" "+e.ResourceID]++
	}
	if len(seen) != want {
		t.Errorf("%d resources evaluated, want %d", len(seen), want)
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s accepted %d times, want once", k, n)
		}
	}
}

func TestExecutionRoleIsAssumedWhenAsked(t *testing.T) {
	role := "arn:aws:iam::" + acct + ":role/cmkguard-config-rule-exec"
	estate := testEstate()
	estate.Roles = append(estate.Roles, role) // the emulator assumes only declared roles
	hs := newHarness(t, estate, defaults(func(s *continuous.Settings) { s.AssumeExecutionRole = true }))
	edit := func(s string) string {
		return strings.Replace(s, "arn:aws:iam::111122223333:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig", role, 1)
	}
	if _, err := hs.invoke(t, "change-endpoint-cmk.json", edit); err != nil {
		t.Fatal(err)
	}
	if n, _ := hs.calls("sts:AssumeRole"); n != 1 {
		t.Fatalf("AssumeRole calls = %d, want 1", n)
	}
	for _, e := range hs.srv.Requests() {
		if e.Action() == "config:PutEvaluations" && !strings.Contains(e.Principal, "assumed-role/cmkguard-config-rule-exec") {
			t.Errorf("PutEvaluations made as %s, not the execution role", e.Principal)
		}
	}
	if len(hs.evaluations()) != 1 {
		t.Errorf("evaluations = %v", hs.evaluations())
	}
}

func TestLogsHoldNoSecret(t *testing.T) {
	hs := newHarness(t, testEstate(), defaults(nil))
	token, err := hs.invoke(t, "scheduled.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	logs := hs.logs.String()
	for _, secret := range []string{"not-a-secret-emulator-key", token} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q", secret)
		}
	}
	n := 0
	for _, l := range hs.logLines(t) {
		if l["msg"] == "evaluation" {
			n++
		}
	}
	if want := len(hs.srv.ConfigEvaluationsAccepted(acct, region, ruleName)); n != want {
		t.Errorf("%d evaluation log lines for %d evaluations", n, want)
	}
}

func TestSuppressedIsNotApplicableWithTheReason(t *testing.T) {
	// Within the year an acceptance may last without --allow-broad-suppressions.
	expires := time.Now().AddDate(0, 6, 0).Format("2006-01-02")
	ignore := filepath.Join(t.TempDir(), "ignore.yaml")
	if err := os.WriteFile(ignore, []byte(`version: 1
suppressions:
  - resource: `+dmsARN("rep", "RIDEFAULT")+`
    rule: dms-instance-cmk
    reason: migration host, retired in January (SEC-4711)
    expires: `+expires+`
`), 0o600); err != nil {
		t.Fatal(err)
	}
	hs := newHarness(t, testEstate(), defaults(func(s *continuous.Settings) { s.IgnoreFile = ignore }))
	if _, err := hs.invoke(t, "scheduled.json", nil); err != nil {
		t.Fatal(err)
	}
	got := hs.evaluations()
	e := got[dmsARN("rep", "RIDEFAULT")]
	if e.ComplianceType != "NOT_APPLICABLE" || !strings.Contains(e.Annotation, "SEC-4711") || !strings.Contains(e.Annotation, expires) || !strings.Contains(e.Annotation, keyARN(defaultID)) {
		t.Errorf("suppressed instance = %+v, want NOT_APPLICABLE with the reason, the expiry and the key", e)
	}
	if e := got[dmsARN("endpoint", "EPDEFAULT")]; e.ComplianceType != "NON_COMPLIANT" {
		t.Errorf("an unsuppressed resource = %+v, want NON_COMPLIANT", e)
	}
}

func TestABadIgnoreFileStopsTheFunctionFromStarting(t *testing.T) {
	ignore := filepath.Join(t.TempDir(), "ignore.yaml")
	if err := os.WriteFile(ignore, []byte("suppressions:\n  - resource: '*'\n    rule: nope\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := continuous.New(aws.Config{}, defaults(func(s *continuous.Settings) { s.IgnoreFile = ignore }), nil)
	if err == nil || !strings.Contains(err.Error(), continuous.EnvIgnoreFile) {
		t.Fatalf("err = %v, want the ignore file's error", err)
	}
}
