package securityhub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	shsdk "github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/report"
	"github.com/cmkguard/cmkguard/state"
)

const (
	testAccount      = "111111111111"
	otherTestAccount = "222222222222"
)

// testReport has n failing findings in account, plus extra findings in
// other accounts.
func testReport(n int, account string, others ...string) *finding.Report {
	r := &finding.Report{
		SchemaVersion: finding.SchemaVersion,
		Tool:          finding.Tool{Name: "cmkguard", Version: "test"},
		GeneratedAt:   "2026-11-27T15:00:00Z",
		Rules: []finding.Rule{{ID: "CMKG-DMS-001", ShortCode: "dms-instance-cmk", Title: "DMS replication instance encrypted with a customer-managed KMS key",
			Severity: finding.SeverityHigh, Remediation: "Replace the instance with one encrypted by a customer-managed key.",
			// Compliance fills Compliance.RelatedRequirements and AssociatedStandards,
			// which the AWS CLI test checks against the service model.
			Compliance: []finding.Control{
				{Framework: "NIST SP 800-53 Rev. 5", ID: "SC-28(1)", Title: "Protection of Information at Rest | Cryptographic Protection"},
				{Framework: "PCI DSS v4.0", ID: "3.5.1", Title: "PAN is rendered unreadable anywhere it is stored"},
			}}},
	}
	add := func(acct string, i int) {
		id := fmt.Sprintf("db-%05d", i)
		arn := "arn:aws:dms:us-east-1:" + acct + ":rep:" + id
		r.Findings = append(r.Findings, finding.Finding{
			RuleID: "CMKG-DMS-001", ShortCode: "dms-instance-cmk", Title: r.Rules[0].Title, Severity: finding.SeverityHigh,
			Status: finding.StatusFail, ResourceARN: arn, ResourceID: id, ResourceType: "AWS::DMS::ReplicationInstance",
			Region: "us-east-1", Account: acct, Source: state.Source{ARN: arn},
			KeyARN: "arn:aws:kms:us-east-1:" + acct + ":key/default", KeyManager: state.KeyManagerAWS,
			Evidence: state.EvidenceDescribeKey, Reason: "Encrypted with the AWS-managed key aws/dms.",
		})
	}
	for i := range n {
		add(account, i)
	}
	for j, acct := range others {
		add(acct, n+j)
	}
	r.Summary = finding.Summarize(r.Findings)
	return r
}

// fakeHub is Security Hub in memory: it records each call's finding ids and
// answers from a script of errors (one per call, nil for success), rejecting
// the findings listed in reject.
type fakeHub struct {
	mu     sync.Mutex
	calls  [][]string
	errs   []error
	reject map[string]string
}

func (h *fakeHub) BatchImportFindings(ctx context.Context, in *shsdk.BatchImportFindingsInput, _ ...func(*shsdk.Options)) (*shsdk.BatchImportFindingsOutput, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ids []string
	for _, f := range in.Findings {
		ids = append(ids, aws.ToString(f.Id))
	}
	n := len(h.calls)
	h.calls = append(h.calls, ids)
	if n < len(h.errs) && h.errs[n] != nil {
		return nil, h.errs[n]
	}
	out := &shsdk.BatchImportFindingsOutput{}
	for _, id := range ids {
		if code, ok := h.reject[id]; ok {
			out.FailedFindings = append(out.FailedFindings, shtypes.ImportFindingsError{Id: aws.String(id), ErrorCode: aws.String(code), ErrorMessage: aws.String("rejected by test")})
		}
	}
	out.FailedCount = aws.Int32(int32(len(out.FailedFindings)))
	out.SuccessCount = aws.Int32(int32(len(ids) - len(out.FailedFindings)))
	return out, nil
}

func (h *fakeHub) batchSizes() []int {
	h.mu.Lock()
	defer h.mu.Unlock()
	var sizes []int
	for _, c := range h.calls {
		sizes = append(sizes, len(c))
	}
	return sizes
}

var throttled = &smithy.GenericAPIError{Code: "TooManyRequestsException", Message: "slow down"}

func newTestPublisher(hub BatchImportFindingsAPIClient, slept *[]time.Duration) *Publisher {
	return &Publisher{
		Client: hub, Account: testAccount, Region: "us-east-1",
		Backoff: func(retry int) time.Duration { return time.Duration(retry) * time.Second },
		Sleep: func(ctx context.Context, d time.Duration) error {
			if slept != nil {
				*slept = append(*slept, d)
			}
			return ctx.Err()
		},
	}
}

func idOf(i int) string {
	return fmt.Sprintf("cmkguard/CMKG-DMS-001/arn:aws:dms:us-east-1:%s:rep:db-%05d", testAccount, i)
}

func TestPublishSendsBatchesOfAtMostOneHundred(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		findings  int
		batchSize int
		want      []int
	}{
		{"no findings make no call", 0, 0, nil},
		{"one finding is one call", 1, 0, []int{1}},
		{"exactly one hundred is one call", 100, 0, []int{100}},
		{"250 findings are 100, 100 and 50", 250, 0, []int{100, 100, 50}},
		{"a batch size over the limit is capped", 150, 500, []int{100, 50}},
		{"a smaller batch size is honoured", 5, 2, []int{2, 2, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hub := &fakeHub{}
			p := newTestPublisher(hub, nil)
			p.BatchSize = tt.batchSize
			res, err := p.Publish(context.Background(), testReport(tt.findings, testAccount))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, hub.batchSizes()); diff != "" {
				t.Errorf("batch sizes (-want +got):\n%s", diff)
			}
			if res.Sent != tt.findings {
				t.Errorf("Sent = %d, want %d", res.Sent, tt.findings)
			}
		})
	}
}

func TestPublishRetriesAThrottledBatchWithBackoff(t *testing.T) {
	t.Parallel()
	hub := &fakeHub{errs: []error{throttled, throttled, nil}}
	var slept []time.Duration
	res, err := newTestPublisher(hub, &slept).Publish(context.Background(), testReport(3, testAccount))
	if err != nil {
		t.Fatal(err)
	}
	got := []int{res.Sent, res.Calls, res.Retries}
	if diff := cmp.Diff([]int{3, 3, 2}, got); diff != "" {
		t.Errorf("sent, calls, retries (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]time.Duration{time.Second, 2 * time.Second}, slept); diff != "" {
		t.Errorf("backoff (-want +got):\n%s", diff)
	}
}

func TestPublishGivesUpAfterMaxAttemptsAndListsWhatWasNotSent(t *testing.T) {
	t.Parallel()
	hub := &fakeHub{errs: []error{nil, throttled, throttled, throttled}}
	p := newTestPublisher(hub, nil)
	p.MaxAttempts = 3
	p.BatchSize = 2
	res, err := p.Publish(context.Background(), testReport(5, testAccount))
	if err == nil || !strings.Contains(err.Error(), "TooManyRequests") {
		t.Fatalf("err = %v, want the throttling error", err)
	}
	if res.Sent != 2 {
		t.Errorf("Sent = %d, want the first batch's 2", res.Sent)
	}
	var notSent []string
	for _, s := range res.Skipped {
		if s.Code == "NotSent" {
			notSent = append(notSent, s.ID)
		}
	}
	if diff := cmp.Diff([]string{idOf(2), idOf(3), idOf(4)}, notSent); diff != "" {
		t.Errorf("not sent (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{2, 2, 2, 2}, hub.batchSizes()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestPublishStopsAtAnErrorThatRetryingCannotFix(t *testing.T) {
	t.Parallel()
	denied := &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not allowed"}
	hub := &fakeHub{errs: []error{denied}}
	res, err := newTestPublisher(hub, nil).Publish(context.Background(), testReport(3, testAccount))
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDeniedException" {
		t.Fatalf("err = %v, want AccessDeniedException", err)
	}
	if res.Calls != 1 || len(res.Skipped) != 3 {
		t.Errorf("calls %d, skipped %d; want one call and all three not sent", res.Calls, len(res.Skipped))
	}
}

func TestPublishReportsEachRejectedFinding(t *testing.T) {
	t.Parallel()
	hub := &fakeHub{reject: map[string]string{idOf(1): "InvalidInput", idOf(3): "FindingSizeExceeded"}}
	res, err := newTestPublisher(hub, nil).Publish(context.Background(), testReport(4, testAccount))
	if err != nil {
		t.Fatal(err)
	}
	want := []Problem{
		{ID: idOf(1), Resource: "arn:aws:dms:us-east-1:111111111111:rep:db-00001", Code: "InvalidInput", Message: "rejected by test"},
		{ID: idOf(3), Resource: "arn:aws:dms:us-east-1:111111111111:rep:db-00003", Code: "FindingSizeExceeded", Message: "rejected by test"},
	}
	if diff := cmp.Diff(want, res.Rejected); diff != "" {
		t.Errorf("rejected (-want +got):\n%s", diff)
	}
	if res.Sent != 2 {
		t.Errorf("Sent = %d, want 2", res.Sent)
	}
	if s := res.Summary(); !strings.Contains(s, "accepted 2") || !strings.Contains(s, "rejected 2") {
		t.Errorf("summary %q does not say 2 accepted and 2 rejected", s)
	}
}

func TestPublishSkipsOtherAccountsFindings(t *testing.T) {
	t.Parallel()
	hub := &fakeHub{}
	res, err := newTestPublisher(hub, nil).Publish(context.Background(), testReport(2, testAccount, otherTestAccount))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Skipped) != 1 || res.Skipped[0].Code != "AccountMismatch" {
		t.Errorf("skipped = %+v, want the other account's finding", res.Skipped)
	}
	if diff := cmp.Diff([]int{2}, hub.batchSizes()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestPublishStopsWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	hub := &fakeHub{errs: []error{throttled, throttled, throttled}}
	ctx, cancel := context.WithCancel(context.Background())
	p := newTestPublisher(hub, nil)
	p.Sleep = func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }
	_, err := p.Publish(ctx, testReport(1, testAccount))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestPublishNeedsAClientAndARegion(t *testing.T) {
	t.Parallel()
	for _, p := range []*Publisher{{Region: "us-east-1"}, {Client: &fakeHub{}}} {
		if _, err := p.Publish(context.Background(), testReport(1, testAccount)); err == nil {
			t.Errorf("%+v: want an error", p)
		}
	}
}

// TestTheSDKFindingCarriesEveryASFFField guards the JSON conversion: every
// field report.ASFF sets reaches the SDK's AwsSecurityFinding.
func TestTheSDKFindingCarriesEveryASFFField(t *testing.T) {
	t.Parallel()
	r := testReport(1, testAccount)
	r.Findings[0].Suppression = &finding.Suppression{Reason: "accepted", Expires: "2027-01-01"}
	r.Findings[0].Status = finding.StatusSuppressed
	for af, err := range (&report.ASFF{Region: "us-east-1", Account: testAccount}).All(r) {
		if err != nil {
			t.Fatal(err)
		}
		sdk, err := toSDK(af)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(compactJSON(t, af), compactJSON(t, sdk)); diff != "" {
			t.Errorf("fields lost in conversion (-asff +sdk):\n%s", diff)
		}
	}
}

// compactJSON is v as generic JSON without nulls, empty strings, empty
// lists and empty objects.
func compactJSON(t *testing.T, v any) any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var generic any
	if err := json.Unmarshal(data, &generic); err != nil {
		t.Fatal(err)
	}
	return prune(generic)
}

func prune(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			if p := prune(x); p != nil {
				out[k] = p
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		var out []any
		for _, x := range v {
			if p := prune(x); p != nil {
				out = append(out, p)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case string:
		if v == "" {
			return nil
		}
	}
	return v
}
