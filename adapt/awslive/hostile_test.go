package awslive

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	dmstypes "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice/types"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/rule"
	"github.com/cmkguard/cmkguard/state"
)

// verdictsOf maps "instance-id rule-short-code" to the finding's status and
// keeps the findings, for their reasons.
func verdictsOf(st state.State, opts rule.Options) (map[string]finding.Status, map[string]finding.Finding) {
	statuses, findings := map[string]finding.Status{}, map[string]finding.Finding{}
	for _, f := range rule.Evaluate(&st, opts) {
		k := f.ResourceID + " " + f.ShortCode
		statuses[k], findings[k] = f.Status, f
	}
	return statuses, findings
}

// TestScanVerdictsWhenAWSAnswersOddly feeds Scan what a hostile or broken
// account, proxy or API could answer, and checks that no such answer turns
// into a PASS, and that each says why.
func TestScanVerdictsWhenAWSAnswersOddly(t *testing.T) {
	t.Parallel()
	const r = "eu-west-1"
	const cmk, usable = "dms-instance-cmk", "dms-instance-key-usable"
	pass, fail, unknown := finding.StatusPass, finding.StatusFail, finding.StatusUnknown
	customer := func(f *fakeAWS, id string) string {
		return f.addKey(r, me, id, kmstypes.KeyManagerTypeCustomer, kmstypes.OriginTypeAwsKms, kmstypes.KeyStateEnabled)
	}
	tests := []struct {
		name string
		// setup returns the key reference the instance "odd" reports.
		setup      func(f *fakeAWS) string
		cmk        finding.Status
		usable     finding.Status
		reason     string // in the CMK finding's reason
		describeOK bool   // DescribeKey may be called for the odd key
	}{
		{
			name: "a key ARN of another partition is unknown and never described",
			setup: func(*fakeAWS) string {
				return "arn:aws-cn:kms:cn-north-1:" + me + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"
			},
			cmk: unknown, usable: unknown,
			reason: "is in partition aws-cn, but the resource is in aws",
		},
		{
			name:  "a malformed key ARN is unknown and never described",
			setup: func(*fakeAWS) string { return "arn:aws:kms:" + r },
			cmk:   unknown, usable: unknown,
			reason: "is not a valid ARN",
		},
		{
			name: "a key ARN of another region is unknown and never described: DMS uses its own region's keys",
			setup: func(f *fakeAWS) string {
				return f.addKey("us-east-1", me, "mrk-0123456789abcdef0123456789abcdef", kmstypes.KeyManagerTypeCustomer, kmstypes.OriginTypeAwsKms, kmstypes.KeyStateEnabled)
			},
			cmk: unknown, usable: unknown,
			reason: "is in region us-east-1, but the resource is in eu-west-1",
		},
		{
			name:  "a key ARN with a region that is none is unknown and never described",
			setup: func(*fakeAWS) string { return "arn:aws:kms:xx-fake-1:" + me + ":key/abc" },
			cmk:   unknown, usable: unknown,
			reason: "names no region of partition aws",
		},
		{
			name: "alias/aws/dms fails by its name when ListAliases is denied, and is never described",
			setup: func(f *fakeAWS) string {
				f.denyListAliases[r] = true
				return "alias/aws/dms"
			},
			// An AWS-managed key cannot be disabled by customers: usable.
			cmk: fail, usable: pass,
			reason: "an alias name only AWS can create",
		},
		{
			name:  "alias/aws/dms of another account fails by its name",
			setup: func(*fakeAWS) string { return "arn:aws:kms:" + r + ":" + other + ":alias/aws/dms" },
			cmk:   fail, usable: pass,
			reason: "an alias name only AWS can create",
		},
		{
			name: "a customer alias that cannot be followed is unknown",
			setup: func(f *fakeAWS) string {
				f.denyListAliases[r] = true
				return "alias/orders"
			},
			cmk: unknown, usable: unknown,
			reason: "kms:ListAliases was denied",
		},
		{
			name: "a customer alias is followed to its key, described by ARN",
			setup: func(f *fakeAWS) string {
				f.addKey(r, me, "aliased", kmstypes.KeyManagerTypeCustomer, kmstypes.OriginTypeAwsKms, kmstypes.KeyStateEnabled, "alias/orders")
				return "alias/orders"
			},
			cmk: pass, usable: pass, describeOK: true,
			reason: "customer-managed",
		},
		{
			name: "a DescribeKey answer without a key manager is unknown",
			setup: func(f *fakeAWS) string {
				arn := customer(f, "no-manager")
				md := f.keys[arn]
				md.KeyManager = ""
				f.keys[arn] = md
				return arn
			},
			cmk: unknown, usable: unknown, describeOK: true,
			reason: "returned no key manager",
		},
		{
			name: "an unknown key manager is unknown",
			setup: func(f *fakeAWS) string {
				arn := customer(f, "odd-manager")
				md := f.keys[arn]
				md.KeyManager = "PARTNER"
				f.keys[arn] = md
				return arn
			},
			cmk: unknown, usable: pass, describeOK: true,
			reason: `unrecognised key manager "PARTNER"`,
		},
		{
			name: "an unknown key state passes the CMK rule and is unknown for the usability rule",
			setup: func(f *fakeAWS) string {
				arn := customer(f, "odd-state")
				md := f.keys[arn]
				md.KeyState = "Frozen"
				f.keys[arn] = md
				return arn
			},
			cmk: pass, usable: unknown, describeOK: true,
			reason: "customer-managed",
		},
		{
			name: "DescribeKey answering for another key is not used",
			setup: func(f *fakeAWS) string {
				asked := fmt.Sprintf("arn:aws:kms:%s:%s:key/asked", r, me)
				answered := customer(f, "answered")
				f.keys[asked] = f.keys[answered]
				return asked
			},
			cmk: unknown, usable: unknown, describeOK: true,
			reason: "answered for key arn:aws:kms:eu-west-1:111122223333:key/answered, not for arn:aws:kms:eu-west-1:111122223333:key/asked",
		},
		{
			name: "DescribeKey naming another owner than the ARN's account is not used",
			setup: func(f *fakeAWS) string {
				arn := customer(f, "owner-mismatch")
				md := f.keys[arn]
				md.AWSAccountId = aws.String(other)
				f.keys[arn] = md
				return arn
			},
			cmk: unknown, usable: unknown, describeOK: true,
			reason: "as owned by account 444455556666, not 111122223333",
		},
		{
			name:  "NotFound for a key of another account says the owner's policy may hide it",
			setup: func(*fakeAWS) string { return fmt.Sprintf("arn:aws:kms:%s:%s:key/hidden", r, other) },
			// Customer-managed by its account alone; its state is unknown.
			cmk: pass, usable: unknown, describeOK: true,
			reason: "the key belongs to account 444455556666, and either that account's key policy does not let this account describe it (the owner must allow kms:DescribeKey to account 111122223333) or it was deleted",
		},
		{
			name:  "NotFound for a key of the account says it may be deleted",
			setup: func(*fakeAWS) string { return fmt.Sprintf("arn:aws:kms:%s:%s:key/deleted", r, me) },
			cmk:   unknown, usable: unknown, describeOK: true,
			reason: "if it was deleted, DMS can no longer decrypt the data it protects",
		},
		{
			name: "a key still throttled after every retry falls back to ListAliases, and without an alias is unknown, and only that key",
			setup: func(f *fakeAWS) string {
				arn := customer(f, "throttled")
				f.failDescribeKey[arn] = &retry.MaxAttemptsError{Attempt: MaxAttempts, Err: apiError("ThrottlingException")}
				return arn
			},
			cmk: unknown, usable: unknown, describeOK: true,
			reason: "still throttled after 100 attempts (ThrottlingException); no alias in eu-west-1 targets the key, so kms:ListAliases cannot tell",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(me)
			f.regions[r] = "opt-in-not-required"
			good := customer(f, "good")
			f.addInstance(r, "good", good)
			ref := tt.setup(f)
			f.addInstance(r, "odd", ref)
			st, err := Scan(context.Background(), f.clients(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			statuses, findings := verdictsOf(st, rule.Options{})
			want := map[string]finding.Status{"good " + cmk: pass, "good " + usable: pass, "odd " + cmk: tt.cmk, "odd " + usable: tt.usable}
			for k, w := range want {
				if statuses[k] != w {
					t.Errorf("%s: %s, want %s (reason: %s)", k, statuses[k], w, findings[k].Reason)
				}
			}
			if got := findings["odd "+cmk].Reason; !strings.Contains(got, tt.reason) {
				t.Errorf("reason %q does not contain %q", got, tt.reason)
			}
			for _, c := range f.calls {
				if !strings.HasPrefix(c, "kms:DescribeKey") {
					continue
				}
				if strings.Contains(c, "alias/") {
					t.Errorf("DescribeKey was called on an alias: %s", c)
				}
				if !tt.describeOK && !strings.HasSuffix(c, good) {
					t.Errorf("DescribeKey was called for the odd key: %s", c)
				}
			}
		})
	}
}

func TestScanNeverPresentsAPartialListingAsAWholeRegion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		failPage   string // marker of the page that fails
		err        error
		wantListed int
		wantReason string
	}{
		{"a denial on page 2 keeps page 1's instances and fails the region", "100", apiError("AccessDeniedFault"), 100,
			"the listing stopped after 100 instances: dms:DescribeReplicationInstances was denied"},
		{"throttling beyond retries on page 3", "200", &retry.MaxAttemptsError{Attempt: MaxAttempts, Err: apiError("ThrottlingException")}, 200,
			"the listing stopped after 200 instances: dms:DescribeReplicationInstances was still throttled"},
		{"not-found on a later page is a failure, not an empty region", "100", &dmstypes.ResourceNotFoundFault{Message: aws.String("gone")}, 100,
			"the listing stopped after 100 instances"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const r = "us-east-1"
			f := newFake(me)
			f.regions[r] = "opt-in-not-required"
			awsKey := f.addKey(r, me, "aws-default", kmstypes.KeyManagerTypeAws, kmstypes.OriginTypeAwsKms, kmstypes.KeyStateEnabled, "alias/aws/dms")
			for i := range 250 {
				f.addInstance(r, fmt.Sprintf("i%03d", i), awsKey)
			}
			f.failDMSPage[r+" "+tt.failPage] = tt.err
			st, err := Scan(context.Background(), f.clients(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Regions) != 1 || st.Regions[0].Status != state.RegionFailed || !strings.Contains(st.Regions[0].Reason, tt.wantReason) {
				t.Fatalf("regions %+v; want %s failed with %q", st.Regions, r, tt.wantReason)
			}
			if len(st.Instances) != tt.wantListed {
				t.Errorf("%d instances reported, want the %d listed before the failure", len(st.Instances), tt.wantListed)
			}
			statuses, _ := verdictsOf(st, rule.Options{})
			if statuses[r+" dms-instance-cmk"] != finding.StatusUnknown {
				t.Errorf("no UNKNOWN finding for the region: %v", statuses[r+" dms-instance-cmk"])
			}
			if statuses["i000 dms-instance-cmk"] != finding.StatusFail {
				t.Errorf("an instance listed before the failure lost its FAIL: %v", statuses["i000 dms-instance-cmk"])
			}
		})
	}
}

func TestScanCountsAnInstanceListedOnTwoPagesOnce(t *testing.T) {
	t.Parallel()
	const r = "us-east-1"
	f := newFake(me)
	f.regions[r] = "opt-in-not-required"
	key := f.addKey(r, me, "k", kmstypes.KeyManagerTypeCustomer, kmstypes.OriginTypeAwsKms, kmstypes.KeyStateEnabled)
	for i := range 150 {
		f.addInstance(r, fmt.Sprintf("i%03d", i), key)
	}
	// An instance deleted between two pages shifts the next page back by
	// one: its first instance is the previous page's last.
	all := f.instances[r]
	f.instances[r] = append(append(all[:100:100], all[99]), all[100:]...)
	st, err := Scan(context.Background(), f.clients(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Instances) != 150 {
		t.Errorf("%d instances, want 150 distinct ones", len(st.Instances))
	}
	seen := map[string]int{}
	for _, fd := range rule.Evaluate(&st, rule.Options{}) {
		seen[fd.ResourceARN+" "+fd.RuleID]++
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%d findings for %s, want 1", n, k)
		}
	}
}

func TestScanReturnsNothingWhenCancelledMidway(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(f *fakeAWS, cancel context.CancelFunc)
	}{
		{"while reading page 2", func(f *fakeAWS, cancel context.CancelFunc) {
			f.beforeDMSPage = func(ctx context.Context, marker string) error {
				if marker == "100" {
					cancel()
					return ctx.Err()
				}
				return nil
			}
		}},
		{"while a key is described", func(f *fakeAWS, cancel context.CancelFunc) {
			f.beforeDescribeKey = func(ctx context.Context) error {
				cancel()
				return ctx.Err()
			}
		}},
		{"while the aliases are listed after a denied DescribeKey", func(f *fakeAWS, cancel context.CancelFunc) {
			for arn := range f.keys {
				f.denyDescribeKey[arn] = true
			}
			f.beforeListAliases = func(ctx context.Context) error {
				cancel()
				return ctx.Err()
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const r = "us-east-1"
			f := newFake(me)
			f.regions[r] = "opt-in-not-required"
			key := f.addKey(r, me, "k", kmstypes.KeyManagerTypeCustomer, kmstypes.OriginTypeAwsKms, kmstypes.KeyStateEnabled)
			for i := range 150 {
				f.addInstance(r, fmt.Sprintf("i%03d", i), key)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			tt.setup(f, cancel)
			st, err := Scan(ctx, f.clients(), Options{})
			if !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want context.Canceled", err)
			}
			if len(st.Regions) != 0 || len(st.Instances) != 0 {
				t.Errorf("a cancelled scan returned a partial state: %d regions, %d instances", len(st.Regions), len(st.Instances))
			}
		})
	}
}

// pagedConfigs and pagedEndpoints answer from fixed pages (the marker is
// the page's index) and fail the page named in fail.
type pagedConfigs struct {
	pages [][]dmstypes.ReplicationConfig
	fail  map[int]error
}

func (p pagedConfigs) DescribeReplicationConfigs(_ context.Context, in *dms.DescribeReplicationConfigsInput, _ ...func(*dms.Options)) (*dms.DescribeReplicationConfigsOutput, error) {
	i, _ := strconv.Atoi(aws.ToString(in.Marker))
	if err := p.fail[i]; err != nil {
		return nil, err
	}
	out := &dms.DescribeReplicationConfigsOutput{ReplicationConfigs: p.pages[i]}
	if i+1 < len(p.pages) {
		out.Marker = aws.String(strconv.Itoa(i + 1))
	}
	return out, nil
}

type pagedEndpoints struct {
	pages [][]dmstypes.Endpoint
	fail  map[int]error
}

func (p pagedEndpoints) DescribeEndpoints(_ context.Context, in *dms.DescribeEndpointsInput, _ ...func(*dms.Options)) (*dms.DescribeEndpointsOutput, error) {
	i, _ := strconv.Atoi(aws.ToString(in.Marker))
	if err := p.fail[i]; err != nil {
		return nil, err
	}
	out := &dms.DescribeEndpointsOutput{Endpoints: p.pages[i]}
	if i+1 < len(p.pages) {
		out.Marker = aws.String(strconv.Itoa(i + 1))
	}
	return out, nil
}

type noReplications struct{}

func (noReplications) DescribeReplications(context.Context, *dms.DescribeReplicationsInput, ...func(*dms.Options)) (*dms.DescribeReplicationsOutput, error) {
	return &dms.DescribeReplicationsOutput{}, nil
}

func TestScanOfConfigsAndEndpointsAcrossPages(t *testing.T) {
	t.Parallel()
	const r = "us-east-1"
	config := func(id string) dmstypes.ReplicationConfig {
		return dmstypes.ReplicationConfig{ReplicationConfigArn: aws.String("arn:aws:dms:us-east-1:" + me + ":replication-config:" + id),
			ReplicationConfigIdentifier: aws.String(id)}
	}
	endpoint := func(id string) dmstypes.Endpoint {
		return dmstypes.Endpoint{EndpointArn: aws.String("arn:aws:dms:us-east-1:" + me + ":endpoint:" + id), EndpointIdentifier: aws.String(id),
			EndpointType: dmstypes.ReplicationEndpointTypeValueSource}
	}
	notFound := &dmstypes.ResourceNotFoundFault{Message: aws.String("gone")}
	tests := []struct {
		name          string
		configs       pagedConfigs
		endpoints     pagedEndpoints
		wantConfigs   []string
		wantEndpoints []string
		wantFailed    string // the region's reason, when it must be failed
	}{
		{
			name:          "a resource listed on two pages counts once",
			configs:       pagedConfigs{pages: [][]dmstypes.ReplicationConfig{{config("a"), config("b")}, {config("b"), config("c")}}},
			endpoints:     pagedEndpoints{pages: [][]dmstypes.Endpoint{{endpoint("x")}, {endpoint("x"), endpoint("y")}}},
			wantConfigs:   []string{"a", "b", "c"},
			wantEndpoints: []string{"x", "y"},
		},
		{
			name:          "not-found on the first page is an empty list",
			configs:       pagedConfigs{pages: [][]dmstypes.ReplicationConfig{nil}, fail: map[int]error{0: notFound}},
			endpoints:     pagedEndpoints{pages: [][]dmstypes.Endpoint{nil}, fail: map[int]error{0: notFound}},
			wantConfigs:   nil,
			wantEndpoints: nil,
		},
		{
			name:       "not-found on a later page fails the region",
			configs:    pagedConfigs{pages: [][]dmstypes.ReplicationConfig{{config("a")}, nil}, fail: map[int]error{1: notFound}},
			endpoints:  pagedEndpoints{pages: [][]dmstypes.Endpoint{{endpoint("x")}, nil}, fail: map[int]error{1: notFound}},
			wantFailed: "serverless replication configs: dms:DescribeReplicationConfigs failed (ResourceNotFoundFault: gone); endpoints: dms:DescribeEndpoints failed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(me)
			f.regions[r] = "opt-in-not-required"
			c := f.clients()
			c.DMSConfigs = func(string) DescribeReplicationConfigsAPI { return tt.configs }
			c.DMSEndpoints = func(string) DescribeEndpointsAPI { return tt.endpoints }
			c.DMSReplications = func(string) DescribeReplicationsAPI { return noReplications{} }
			st, err := Scan(context.Background(), c, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantFailed != "" {
				if st.Regions[0].Status != state.RegionFailed || !strings.Contains(st.Regions[0].Reason, tt.wantFailed) {
					t.Errorf("region %+v, want failed with %q", st.Regions[0], tt.wantFailed)
				}
				return
			}
			if st.Regions[0].Status != state.RegionScanned {
				t.Errorf("region %+v, want scanned", st.Regions[0])
			}
			var configs, endpoints []string
			for _, rc := range st.ReplicationConfigs {
				configs = append(configs, rc.ID)
			}
			for _, e := range st.Endpoints {
				endpoints = append(endpoints, e.ID)
			}
			if diff := cmp.Diff(tt.wantConfigs, configs); diff != "" {
				t.Errorf("configs (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantEndpoints, endpoints); diff != "" {
				t.Errorf("endpoints (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAnS3TargetKeyOfAnotherRegionIsStillDescribed(t *testing.T) {
	t.Parallel()
	const r = "eu-west-1"
	f := newFake(me)
	f.regions[r] = "opt-in-not-required"
	bucketKey := f.addKey("us-east-1", me, "bucket-key", kmstypes.KeyManagerTypeCustomer, kmstypes.OriginTypeAwsKms, kmstypes.KeyStateEnabled)
	c := f.clients()
	c.DMSEndpoints = func(string) DescribeEndpointsAPI {
		return pagedEndpoints{pages: [][]dmstypes.Endpoint{{{
			EndpointArn: aws.String("arn:aws:dms:eu-west-1:" + me + ":endpoint:LAKE"), EndpointIdentifier: aws.String("lake"),
			EndpointType: dmstypes.ReplicationEndpointTypeValueTarget, EngineName: aws.String("s3"),
			S3Settings: &dmstypes.S3Settings{EncryptionMode: dmstypes.EncryptionModeValueSseKms, ServerSideEncryptionKmsKeyId: aws.String(bucketKey)},
		}}}}
	}
	st, err := Scan(context.Background(), c, Options{Scope: []state.ResourceKind{state.KindEndpoints}})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Endpoints) != 1 {
		t.Fatalf("%d endpoints, want 1", len(st.Endpoints))
	}
	got := factsOf(st.Endpoints[0].TargetKey)
	want := keyFacts{true, state.EvidenceDescribeKey, state.KeyManagerCustomer, "Enabled", "AWS_KMS", me, nil, ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("target key (-want +got):\n%s\nreason: %s", diff, st.Endpoints[0].TargetKey.UnknownReason)
	}
}
