package awslive_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/adapt/awslive"
	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/internal/awsemu"
	"github.com/cmkguard/cmkguard/rule"
	"github.com/cmkguard/cmkguard/state"
)

// fastRetries gives cfg's clients the product's retryer with a short
// backoff, so that a test can throttle most calls and still run in
// seconds; the budget is what bounds each call.
func fastRetries(cfg *aws.Config, budget time.Duration) {
	cfg.Retryer = func() aws.Retryer {
		return awslive.NewRetryerWith(awslive.RetryPolicy{MaxAttempts: 100000, BackoffBase: time.Millisecond, MaxBackoff: 2 * time.Millisecond, Budget: budget})
	}
}

func TestEightyPercentThrottlingStillYieldsEveryVerdict(t *testing.T) {
	t.Parallel()
	_, calm := startEmulator(t, everyVerdictEstate())
	want, _, err := awslive.ScanAccount(context.Background(), calm, awslive.Options{Regions: []string{"eu-west-1"}})
	if err != nil {
		t.Fatal(err)
	}

	srv, cfg := startEmulator(t, everyVerdictEstate())
	srv.SetFaults(awsemu.Faults{Throttle: map[string]float64{"*": 0.8}, Seed: 42})
	fastRetries(&cfg, time.Minute)
	st, stats, err := awslive.ScanAccount(context.Background(), cfg, awslive.Options{Regions: []string{"eu-west-1"}})
	if err != nil {
		t.Fatalf("Scan under 80%% throttling: %v", err)
	}
	if diff := cmp.Diff(verdicts(t, want, rule.Options{}), verdicts(t, st, rule.Options{})); diff != "" {
		t.Errorf("verdicts under 80%% throttling differ from the calm scan's (-calm +throttled):\n%s", diff)
	}
	if stats.Throttled()["kms:DescribeKey"] == 0 {
		t.Errorf("no DescribeKey was throttled: the fault did not apply (%v)", stats.Throttled())
	}
}

func TestADescribeKeyThrottledPastItsBudgetFallsBackToListAliases(t *testing.T) {
	t.Parallel()
	srv, cfg := startEmulator(t, everyVerdictEstate())
	srv.SetFaults(awsemu.Faults{Throttle: map[string]float64{"kms:DescribeKey": 1}, Seed: 7})
	fastRetries(&cfg, time.Second)
	st, stats, err := awslive.ScanAccount(context.Background(), cfg, awslive.Options{Regions: []string{"eu-west-1"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]finding.Finding{}
	for _, f := range rule.Evaluate(&st, rule.Options{}) {
		got[f.ResourceID+" "+f.ShortCode] = f
	}
	// The default key is proved AWS-managed by alias/aws/dms, the aliased
	// customer key customer-managed by alias/orders.
	for id, want := range map[string]finding.Status{"default-key": finding.StatusFail, "cmk": finding.StatusPass} {
		f := got[id+" dms-instance-cmk"]
		if f.Status != want || f.Evidence != state.EvidenceListAliases {
			t.Errorf("%s: %s on %s, want %s on kms:ListAliases (%s)", id, f.Status, f.Evidence, want, f.Reason)
		}
	}
	if r := got["cmk dms-instance-key-usable"].Reason; !strings.Contains(r, "still throttled after") || !strings.Contains(r, "retry budget") {
		t.Errorf("the usability reason does not say DescribeKey ran out of its retry budget: %q", r)
	}
	// The budget, not an attempt count, ended the retries (how many
	// attempts fit in it depends on the machine; retry_test.go pins the
	// retryer itself).
	if n, calls := stats.Attempts()["kms:DescribeKey"], stats.Calls()["kms:DescribeKey"]; n <= calls {
		t.Errorf("DescribeKey: %d attempts for %d calls, want retries", n, calls)
	}
	if r := got["cmk dms-instance-key-usable"].Reason; !strings.Contains(r, "(its retry budget is 1s)") {
		t.Errorf("the reason does not say the 1s budget ended the retries: %q", r)
	}
	if n := stats.Calls()["kms:ListAliases"]; n != 1 {
		t.Errorf("ListAliases called %d times, want once for the region", n)
	}
}

func TestConfigsOrEndpointsThatCannotBeListedAreFiledUnderTheirRules(t *testing.T) {
	t.Parallel()
	const r = "eu-west-1"
	tests := []struct {
		name, deny string
		want       map[string]string // rule id → missing permission
	}{
		{"serverless configs", "dms:DescribeReplicationConfigs",
			map[string]string{"CMKG-DMS-003": "dms:DescribeReplicationConfigs", "CMKG-DMS-004": "dms:DescribeReplicationConfigs"}},
		{"endpoints", "dms:DescribeEndpoints",
			map[string]string{"CMKG-DMS-005": "dms:DescribeEndpoints", "CMKG-DMS-006": "dms:DescribeEndpoints",
				"CMKG-DMS-012": "dms:DescribeEndpoints", "CMKG-DMS-013": "dms:DescribeEndpoints"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, cfg := startEmulator(t, everyVerdictEstate())
			srv.AddDeny(awsemu.DenyRule{Action: tt.deny})
			st, _, err := awslive.ScanAccount(context.Background(), cfg, awslive.Options{Regions: []string{r}})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			instances := 0
			for _, f := range rule.Evaluate(&st, rule.Options{}) {
				if f.ResourceType == "AWS::Region" {
					got[f.RuleID] = f.MissingPermission
				}
				if f.ResourceType == "AWS::DMS::ReplicationInstance" {
					instances++
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("region findings by rule (-want +got):\n%s", diff)
			}
			if instances != 2*len(st.Instances) || len(st.Instances) == 0 {
				t.Errorf("the instances, which were listed, lost their findings: %d for %d", instances, len(st.Instances))
			}
		})
	}
}

func TestAnS3TargetOnAWSS3IsNamedAsTheAWSManagedS3Key(t *testing.T) {
	t.Parallel()
	const r = "eu-west-1"
	est := everyVerdictEstate()
	est.Endpoints = []awsemu.EstateEndpoint{{ID: "lake", Region: r, Type: "target", Engine: "s3",
		KmsKey:     keyARN(r, me, "11111111-0000-0000-0000-000000000001"),
		S3Settings: map[string]any{"BucketName": "lake", "EncryptionMode": "SSE_KMS", "ServerSideEncryptionKmsKeyId": "alias/aws/s3"}}}
	_, cfg := startEmulator(t, est)
	st, _, err := awslive.ScanAccount(context.Background(), cfg, awslive.Options{Regions: []string{r}})
	if err != nil {
		t.Fatal(err)
	}
	var f *finding.Finding
	findings := rule.Evaluate(&st, rule.Options{})
	for i := range findings {
		if findings[i].ShortCode == "dms-target-sse-kms" {
			f = &findings[i]
		}
	}
	if f == nil {
		t.Fatal("no dms-target-sse-kms finding")
	}
	if f.Status != finding.StatusFail || !strings.Contains(f.Reason, "the AWS-managed S3 key aws/s3") || strings.Contains(f.Reason, "aws/dms") {
		t.Errorf("%s: %q, want FAIL naming the AWS-managed S3 key, not aws/dms", f.Status, f.Reason)
	}
}

func TestAnOrganisationAccountWhoseRegionsCannotBeListedNamesTheMissingPermission(t *testing.T) {
	t.Parallel()
	est := orgEstate()
	est.Deny = append(est.Deny, awsemu.DenyRule{Action: "ec2:DescribeRegions", Account: orgMember})
	_, cfg := startEmulator(t, est)
	st, _, err := awslive.ScanOrganization(context.Background(), cfg, awslive.OrgOptions{Organization: true}, awslive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range rule.Evaluate(&st, rule.Options{}) {
		if f.Account != orgMember {
			continue
		}
		n++
		if f.Status != finding.StatusUnknown || f.MissingPermission != "ec2:DescribeRegions" || !strings.Contains(f.Reason, "ec2:DescribeRegions was denied") {
			t.Errorf("%s for %s: %s, permission %q, reason %q; want UNKNOWN naming ec2:DescribeRegions", f.RuleID, f.ResourceID, f.Status, f.MissingPermission, f.Reason)
		}
	}
	// The key rules judge the keys of listed resources: an account none of
	// whose resources could be listed has no key to judge, and every
	// resource rule already reports it.
	listing := 0
	for _, r := range rule.All() {
		if r.Kind() != state.KindKeys {
			listing++
		}
	}
	if n != listing {
		t.Errorf("%d findings for the account, want one per resource rule (%d)", n, listing)
	}
}

func TestTagsAreReadOnlyWhenAskedOneCallPerRegion(t *testing.T) {
	t.Parallel()
	const r = "eu-west-1"
	est := everyVerdictEstate()
	est.ReplicationInstances[0].Tags = map[string]string{"env": "sandbox", "team": "data"}
	est.Endpoints = []awsemu.EstateEndpoint{{ID: "src", Region: r, Type: "source", Engine: "mysql", ServerName: "db.example.com", Port: 3306, Username: "dms",
		Tags: map[string]string{"env": "prod"}}}
	_, cfg := startEmulator(t, est)

	st, stats, err := awslive.ScanAccount(context.Background(), cfg, awslive.Options{Regions: []string{r}})
	if err != nil {
		t.Fatal(err)
	}
	if n := stats.Calls()["dms:ListTagsForResource"]; n != 0 || st.Instances[0].Tags != nil {
		t.Errorf("tags read %d times without being asked", n)
	}

	st, stats, err = awslive.ScanAccount(context.Background(), cfg, awslive.Options{Regions: []string{r}, Tags: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]string{}
	for _, inst := range st.Instances {
		if inst.Tags != nil {
			got[inst.ID] = inst.Tags
		}
	}
	for _, e := range st.Endpoints {
		got[e.ID] = e.Tags
	}
	want := map[string]map[string]string{"default-key": {"env": "sandbox", "team": "data"}, "src": {"env": "prod"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	if n := stats.Calls()["dms:ListTagsForResource"]; n != 1 {
		t.Errorf("ListTagsForResource called %d times for %d resources, want once (batched)", n, len(st.Instances)+len(st.Endpoints))
	}
}
