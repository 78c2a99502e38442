package awslive

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cmkguard/cmkguard/state"
)

const (
	me    = "111122223333"
	other = "444455556666"
)

// keyFacts is the part of a resolved key the tests compare.
type keyFacts struct {
	Resolved   bool
	Evidence   state.KeyEvidence
	Manager    state.KeyManager
	State      string
	Origin     string
	Account    string
	Aliases    []string
	Permission string
}

func factsOf(k state.Key) keyFacts {
	return keyFacts{k.Resolved, k.Evidence, k.Manager, k.State, k.Origin, k.Account, k.Aliases, k.MissingPermission}
}

func TestScanResolvesEveryKindOfKey(t *testing.T) {
	t.Parallel()
	f := newFake(me)
	const r = "eu-west-1"
	f.regions[r] = "opt-in-not-required"
	awsKey := f.addKey(r, me, "aws-default", kmstypes.KeyManagerTypeAws, kmstypes.OriginTypeAwsKms, kmstypes.KeyStateEnabled, "alias/aws/dms")
	cmk := f.addKey(r, me, "cmk", kmstypes.KeyManagerTypeCustomer, kmstypes.OriginTypeAwsKms, kmstypes.KeyStateEnabled, "alias/orders")
	hsm := f.addKey(r, me, "hsm", kmstypes.KeyManagerTypeCustomer, kmstypes.OriginTypeAwsCloudhsm, kmstypes.KeyStateEnabled)
	disabled := f.addKey(r, me, "disabled", kmstypes.KeyManagerTypeCustomer, kmstypes.OriginTypeExternal, kmstypes.KeyStateDisabled)
	cross := f.addKey(r, other, "cross", kmstypes.KeyManagerTypeCustomer, kmstypes.OriginTypeAwsKms, kmstypes.KeyStateEnabled)
	gone := fmt.Sprintf("arn:aws:kms:%s:%s:key/deleted", r, me)

	want := map[string]keyFacts{
		f.addInstance(r, "default", awsKey):    {true, state.EvidenceDescribeKey, state.KeyManagerAWS, "Enabled", "AWS_KMS", me, nil, ""},
		f.addInstance(r, "cmk", cmk):           {true, state.EvidenceDescribeKey, state.KeyManagerCustomer, "Enabled", "AWS_KMS", me, nil, ""},
		f.addInstance(r, "hsm", hsm):           {true, state.EvidenceDescribeKey, state.KeyManagerCustomer, "Enabled", "AWS_CLOUDHSM", me, nil, ""},
		f.addInstance(r, "disabled", disabled): {true, state.EvidenceDescribeKey, state.KeyManagerCustomer, "Disabled", "EXTERNAL", me, nil, ""},
		f.addInstance(r, "cross", cross):       {true, state.EvidenceDescribeKey, state.KeyManagerCustomer, "Enabled", "AWS_KMS", other, nil, ""},
		f.addInstance(r, "gone", gone):         {false, state.EvidenceNone, "", "", "", me, nil, ""},
		f.addInstance(r, "nokey", ""):          {false, state.EvidenceNone, "", "", "", "", nil, ""},
		f.addInstance(r, "default2", awsKey):   {true, state.EvidenceDescribeKey, state.KeyManagerAWS, "Enabled", "AWS_KMS", me, nil, ""},
	}
	st, err := Scan(context.Background(), f.clients(), Options{})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	got := map[string]keyFacts{}
	for _, inst := range st.Instances {
		got[inst.ARN] = factsOf(inst.Key)
		if inst.Key.Resolved && inst.Key.UnknownReason != "" {
			t.Errorf("%s: resolved key with an unknown reason %q", inst.ID, inst.Key.UnknownReason)
		}
		if !inst.Key.Resolved && inst.Key.UnknownReason == "" {
			t.Errorf("%s: unresolved key without a reason", inst.ID)
		}
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	if n := f.count("kms:DescribeKey"); n != 6 {
		t.Errorf("DescribeKey called %d times, want 6 (once per distinct key)\n%s", n, strings.Join(f.calls, "\n"))
	}
	if n := f.count("kms:ListAliases"); n != 0 {
		t.Errorf("ListAliases called %d times although no DescribeKey was denied", n)
	}
}

func TestScanCopiesTheInstanceSettings(t *testing.T) {
	t.Parallel()
	f := newFake(me)
	f.regions["us-east-1"] = "opt-in-not-required"
	arn := f.addInstance("us-east-1", "orders", "")
	st, err := Scan(context.Background(), f.clients(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := state.ReplicationInstance{
		Source: state.Source{ARN: arn}, ARN: arn, ID: "orders", Account: me, Region: "us-east-1", Status: "available",
		Class: "dms.t3.medium", AllocatedStorage: 50, EngineVersion: "3.5.3", VPCSecurityGroupIDs: []string{"sg-1"}, SubnetGroupID: "default",
		Key: state.Key{Evidence: state.EvidenceNone, UnknownReason: "the instance reports no KMS key"},
	}
	if diff := cmp.Diff([]state.ReplicationInstance{want}, st.Instances); diff != "" {
		t.Errorf("instances (-want +got):\n%s", diff)
	}
}

func TestScanReadsEveryPage(t *testing.T) {
	t.Parallel()
	f := newFake(me)
	f.regions["us-east-1"] = "opt-in-not-required"
	key := f.addKey("us-east-1", me, "k", kmstypes.KeyManagerTypeCustomer, kmstypes.OriginTypeAwsKms, kmstypes.KeyStateEnabled)
	for i := range 250 {
		f.addInstance("us-east-1", fmt.Sprintf("i%03d", i), key)
	}
	st, err := Scan(context.Background(), f.clients(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Instances) != 250 {
		t.Errorf("got %d instances, want 250", len(st.Instances))
	}
	if n := f.count("dms:DescribeReplicationInstances"); n != 3 {
		t.Errorf("DescribeReplicationInstances called %d times, want 3 pages", n)
	}
	if n := f.count("kms:DescribeKey"); n != 1 {
		t.Errorf("DescribeKey called %d times, want 1", n)
	}
}

func TestScanFallsBackToAliasesWhenDescribeKeyIsDenied(t *testing.T) {
	t.Parallel()
	const r = "eu-west-1"
	tests := []struct {
		name        string
		aliases     []string
		denyAliases bool
		crossAcct   bool
		want        keyFacts
		wantLists   int
		inReason    string
	}{
		{
			name: "the aws/dms alias proves an AWS-managed key", aliases: []string{"alias/aws/dms"},
			want:      keyFacts{true, state.EvidenceListAliases, state.KeyManagerAWS, "", "", me, []string{"alias/aws/dms"}, "kms:DescribeKey"},
			wantLists: 1, inReason: "proved by kms:ListAliases",
		},
		{
			name: "a customer alias proves a customer-managed key", aliases: []string{"alias/orders"},
			want:      keyFacts{true, state.EvidenceListAliases, state.KeyManagerCustomer, "", "", me, []string{"alias/orders"}, "kms:DescribeKey"},
			wantLists: 1, inReason: "its state is unknown",
		},
		{
			name:      "a key no alias targets stays unknown",
			want:      keyFacts{false, state.EvidenceNone, "", "", "", me, nil, "kms:DescribeKey"},
			wantLists: 1, inReason: "no alias in eu-west-1 targets the key",
		},
		{
			name: "a denied ListAliases leaves the key unknown", aliases: []string{"alias/aws/dms"}, denyAliases: true,
			want:      keyFacts{false, state.EvidenceNone, "", "", "", me, nil, "kms:DescribeKey"},
			wantLists: 1, inReason: "kms:ListAliases was denied",
		},
		{
			name: "a key of another account is not looked up in this account's aliases, and is customer-managed by its account", crossAcct: true,
			want:      keyFacts{true, state.EvidenceCrossAccount, state.KeyManagerCustomer, "", "", other, nil, "kms:DescribeKey"},
			wantLists: 0, inReason: "belongs to account 444455556666",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(me)
			f.regions[r] = "opt-in-not-required"
			owner := me
			if tt.crossAcct {
				owner = other
			}
			// Padding aliases so that ListAliases needs several pages.
			f.addKey(r, me, "unrelated", kmstypes.KeyManagerTypeCustomer, kmstypes.OriginTypeAwsKms, kmstypes.KeyStateEnabled, "alias/a", "alias/b", "alias/c")
			key := f.addKey(r, owner, "denied", kmstypes.KeyManagerTypeCustomer, kmstypes.OriginTypeAwsKms, kmstypes.KeyStateEnabled, tt.aliases...)
			second := f.addKey(r, owner, "denied-too", kmstypes.KeyManagerTypeCustomer, kmstypes.OriginTypeAwsKms, kmstypes.KeyStateEnabled)
			f.denyDescribeKey[key], f.denyDescribeKey[second] = true, true
			f.denyListAliases[r] = tt.denyAliases
			f.addInstance(r, "one", key)
			f.addInstance(r, "two", second)
			st, err := Scan(context.Background(), f.clients(), Options{Regions: []string{r}})
			if err != nil {
				t.Fatal(err)
			}
			var got state.Key
			for _, inst := range st.Instances {
				if inst.ID == "one" {
					got = inst.Key
				}
			}
			if diff := cmp.Diff(tt.want, factsOf(got), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("key (-want +got):\n%s", diff)
			}
			if !strings.Contains(got.UnknownReason, tt.inReason) {
				t.Errorf("reason %q does not contain %q", got.UnknownReason, tt.inReason)
			}
			// One listing (one first page) however many keys were denied.
			if lists := f.count("kms:ListAliases " + r + " start"); lists != tt.wantLists {
				t.Errorf("ListAliases listings = %d, want %d\n%s", lists, tt.wantLists, strings.Join(f.calls, "\n"))
			}
		})
	}
}

func TestScanRecordsSkippedAndFailedRegions(t *testing.T) {
	t.Parallel()
	f := newFake(me)
	f.regions["us-east-1"] = "opt-in-not-required"
	f.regions["ap-east-1"] = "not-opted-in"
	f.regions["me-south-1"] = "opted-in"
	f.regions["eu-west-1"] = "opt-in-not-required"
	f.failDMS["eu-west-1"] = apiError("AccessDeniedFault")
	f.failDMS["me-south-1"] = errors.New("dial tcp: connection refused")
	f.addInstance("us-east-1", "a", "")
	st, err := Scan(context.Background(), f.clients(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Region     string
		Status     state.RegionStatus
		Permission string
	}
	var got []row
	for _, r := range st.Regions {
		got = append(got, row{r.Region, r.Status, r.MissingPermission})
		if r.Account != me {
			t.Errorf("%s has account %q", r.Region, r.Account)
		}
		if r.Status != state.RegionScanned && r.Reason == "" {
			t.Errorf("%s is %s without a reason", r.Region, r.Status)
		}
	}
	want := []row{
		{"ap-east-1", state.RegionSkipped, ""},
		{"eu-west-1", state.RegionFailed, "dms:DescribeReplicationInstances"},
		{"me-south-1", state.RegionFailed, ""},
		{"us-east-1", state.RegionScanned, ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("regions (-want +got):\n%s", diff)
	}
	if n := f.count("dms:DescribeReplicationInstances ap-east-1"); n != 0 {
		t.Errorf("a region that is not enabled was called %d times", n)
	}
}

func TestScanChecksGivenRegionsAgainstTheAccount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		given       []string
		failRegions error
		wantRegions []string // "region status"
		wantErr     string   // an InvalidRegionError containing this
		wantWarning string
		// wantReason is every scanned region's reason.
		wantReason string
	}{
		{
			name:        "listed regions are scanned once each",
			given:       []string{"us-west-2", "us-west-2", "eu-central-1"},
			wantRegions: []string{"eu-central-1 scanned", "us-west-2 scanned"},
		},
		{
			name:        "an opt-in region that is not enabled is skipped, not scanned",
			given:       []string{"eu-central-1", "ap-east-1"},
			wantRegions: []string{"ap-east-1 skipped", "eu-central-1 scanned"},
		},
		{
			name:    "a well-formed region the partition does not have is an error naming it",
			given:   []string{"eu-central-1", "eu-fake-9"},
			wantErr: `"eu-fake-9": no such region in this account's partition`,
		},
		{
			name:        "when the region list is denied the regions are scanned as given, with a warning",
			given:       []string{"us-west-2", "eu-fake-9"},
			failRegions: apiError("UnauthorizedOperation"),
			wantRegions: []string{"eu-fake-9 scanned", "us-west-2 scanned"},
			wantWarning: "could not check the regions given (eu-fake-9, us-west-2) against the account's region list: ec2:DescribeRegions was denied (UnauthorizedOperation)",
			wantReason:  "ec2:DescribeRegions could not check that the region exists and is enabled: ec2:DescribeRegions was denied (UnauthorizedOperation)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(me)
			f.regions = map[string]string{"us-west-2": "opt-in-not-required", "eu-central-1": "opt-in-not-required", "ap-east-1": "not-opted-in"}
			f.failRegions = tt.failRegions
			var warnings []string
			st, err := Scan(context.Background(), f.clients(), Options{Regions: tt.given, Warn: func(w string) { warnings = append(warnings, w) }})
			if tt.wantErr != "" {
				var bad *InvalidRegionError
				if !errors.As(err, &bad) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want an InvalidRegionError containing %q", err, tt.wantErr)
				}
				if n := f.count("dms:"); n != 0 {
					t.Errorf("%d DMS calls made although a region was refused", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var regions []string
			for _, r := range st.Regions {
				regions = append(regions, r.Region+" "+string(r.Status))
				if r.Status == state.RegionScanned && r.Reason != tt.wantReason {
					t.Errorf("%s: reason %q, want %q", r.Region, r.Reason, tt.wantReason)
				}
			}
			if diff := cmp.Diff(tt.wantRegions, regions); diff != "" {
				t.Errorf("regions (-want +got):\n%s", diff)
			}
			if n := f.count("ec2:DescribeRegions"); n != 1 {
				t.Errorf("DescribeRegions called %d times, want 1 (the check of the given regions)", n)
			}
			if n := f.count("dms:DescribeReplicationInstances ap-east-1"); n != 0 {
				t.Errorf("a region that is not enabled was called %d times", n)
			}
			switch {
			case tt.wantWarning == "" && len(warnings) > 0:
				t.Errorf("unexpected warnings %q", warnings)
			case tt.wantWarning != "" && (len(warnings) != 1 || !strings.Contains(warnings[0], tt.wantWarning)):
				t.Errorf("warnings %q, want one containing %q", warnings, tt.wantWarning)
			}
		})
	}
}

func TestRegionNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		regions       []string
		wantPartition string
		wantErr       string
	}{
		{[]string{"us-east-1", "eu-west-1", "ap-southeast-5", "il-central-1", "mx-central-1"}, "aws", ""},
		{[]string{"us-gov-west-1"}, "aws-us-gov", ""},
		{[]string{"cn-north-1", "cn-northwest-1"}, "aws-cn", ""},
		{[]string{"us-iso-east-1"}, "aws-iso", ""},
		{nil, "", ""},
		{[]string{"xx-fake-1"}, "", `"xx-fake-1": not an AWS region name`},
		{[]string{"us-east-1", "EU-WEST-1", "eu-west"}, "", `"EU-WEST-1", "eu-west": not an AWS region name`},
		{[]string{"us-east-1", "cn-north-1"}, "", "belong to different AWS partitions (aws, aws-cn)"},
	}
	for _, tt := range tests {
		got, err := CheckRegions(tt.regions)
		if tt.wantErr == "" {
			if err != nil || got != tt.wantPartition {
				t.Errorf("CheckRegions(%q) = %q, %v; want %q", tt.regions, got, err, tt.wantPartition)
			}
			continue
		}
		var bad *InvalidRegionError
		if !errors.As(err, &bad) || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("CheckRegions(%q) error %v, want an InvalidRegionError containing %q", tt.regions, err, tt.wantErr)
		}
	}
}

func TestScanFailsWhenItCannotStart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		setup   func(f *fakeAWS)
		opts    Options
		wantErr string
	}{
		{"the caller cannot be identified", func(f *fakeAWS) { f.failIdentity = apiError("InvalidClientTokenId") }, Options{}, "sts:GetCallerIdentity"},
		{"regions cannot be listed and none were given", func(f *fakeAWS) { f.failRegions = apiError("UnauthorizedOperation") }, Options{}, "name the regions with --region"},
		{"a region name is malformed", func(*fakeAWS) {}, Options{Regions: []string{"Mars-1"}}, `"Mars-1": not an AWS region name`},
		{"the region list has no enabled region", func(f *fakeAWS) { f.regions = map[string]string{"ap-east-1": "not-opted-in"} }, Options{},
			"ec2:DescribeRegions listed no enabled region (1 not enabled)"},
		{"the region list is empty and regions were given", func(f *fakeAWS) { f.regions = map[string]string{} }, Options{Regions: []string{"eu-west-1"}},
			`"eu-west-1": no such region in this account's partition (ec2:DescribeRegions lists no region at all)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(me)
			tt.setup(f)
			_, err := Scan(context.Background(), f.clients(), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestScanStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	f := newFake(me)
	f.regions["us-east-1"] = "opt-in-not-required"
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f.failDMS["us-east-1"] = context.Canceled
	if _, err := Scan(ctx, f.clients(), Options{}); err == nil {
		t.Errorf("Scan with a cancelled context returned no error")
	}
}

func TestScanNeverDescribesAnAlias(t *testing.T) {
	t.Parallel()
	f := newFake(me)
	const r = "us-east-1"
	f.regions[r] = "opt-in-not-required"
	f.addKey(r, me, "aws-default", kmstypes.KeyManagerTypeAws, kmstypes.OriginTypeAwsKms, kmstypes.KeyStateEnabled, "alias/aws/dms")
	f.addKey(r, me, "cmk", kmstypes.KeyManagerTypeCustomer, kmstypes.OriginTypeAwsKms, kmstypes.KeyStateEnabled, "alias/orders")
	f.addInstance(r, "by-default-alias", "alias/aws/dms")
	f.addInstance(r, "by-alias-arn", "arn:aws:kms:us-east-1:"+me+":alias/orders")
	st, err := Scan(context.Background(), f.clients(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]keyFacts{}
	for _, inst := range st.Instances {
		got[inst.ID] = factsOf(inst.Key)
	}
	want := map[string]keyFacts{
		"by-default-alias": {true, state.EvidenceListAliases, state.KeyManagerAWS, "", "", me, []string{"alias/aws/dms"}, ""},
		"by-alias-arn":     {true, state.EvidenceDescribeKey, state.KeyManagerCustomer, "Enabled", "AWS_KMS", me, nil, ""},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	for _, c := range f.calls {
		if strings.HasPrefix(c, "kms:DescribeKey") && strings.Contains(c, "alias/") {
			t.Errorf("DescribeKey was called on an alias: %s", c)
		}
	}
}

func TestJitterBackoffStaysWithinItsCeiling(t *testing.T) {
	t.Parallel()
	b := JitterBackoff{Base: 100e6, Max: 1e9}
	ceilings := map[int]int64{1: 100e6, 2: 200e6, 3: 400e6, 4: 800e6, 5: 1e9, 12: 1e9}
	for attempt, ceiling := range ceilings {
		for range 200 {
			d, err := b.BackoffDelay(attempt, nil)
			if err != nil {
				t.Fatal(err)
			}
			if d < 0 || int64(d) >= ceiling {
				t.Fatalf("attempt %d: delay %v outside [0, %v)", attempt, d, ceiling)
			}
		}
	}
}

func TestParseKeyRef(t *testing.T) {
	t.Parallel()
	const east = "us-east-1"
	tests := []struct {
		name          string
		in, region    string
		want          keyRef
		wantMalformed string
	}{
		{name: "a key ARN of another account", in: "arn:aws:kms:eu-west-1:444455556666:key/abc", region: east,
			want: keyRef{ARN: "arn:aws:kms:eu-west-1:444455556666:key/abc", KeyID: "abc", Account: other, Region: "eu-west-1", Partition: "aws"}},
		{name: "a bare key id is the resource's account and region", in: "abc", region: east,
			want: keyRef{ARN: "arn:aws:kms:us-east-1:111122223333:key/abc", KeyID: "abc", Account: me, Region: east, Partition: "aws"}},
		{name: "a bare id in China takes the aws-cn partition", in: "abc", region: "cn-north-1",
			want: keyRef{ARN: "arn:aws-cn:kms:cn-north-1:111122223333:key/abc", KeyID: "abc", Account: me, Region: "cn-north-1", Partition: "aws-cn"}},
		{name: "the default alias", in: "alias/aws/dms", region: east,
			want: keyRef{Alias: "alias/aws/dms", Account: me, Region: east, Partition: "aws", AWSManagedName: true}},
		{name: "an alias ARN in its own partition", in: "arn:aws-cn:kms:cn-north-1:111122223333:alias/x", region: "cn-north-1",
			want: keyRef{Alias: "alias/x", Account: me, Region: "cn-north-1", Partition: "aws-cn"}},
		{name: "a key ARN of another partition", in: "arn:aws-cn:kms:cn-north-1:111122223333:key/abc", region: east, wantMalformed: "is in partition aws-cn, but the resource is in aws"},
		{name: "an ARN cut short", in: "arn:aws:kms:us-east-1:111122223333", region: east, wantMalformed: "is not a valid ARN"},
		{name: "an ARN of another service", in: "arn:aws:s3:::bucket/key/abc", region: east, wantMalformed: `is not a KMS ARN (service "s3")`},
		{name: "an ARN with a region that is none", in: "arn:aws:kms:xx-fake-1:111122223333:key/abc", region: east, wantMalformed: "names no region of partition aws"},
		{name: "an ARN without an account", in: "arn:aws:kms:us-east-1::key/abc", region: east, wantMalformed: "names no 12-digit account"},
		{name: "an ARN with an empty key id", in: "arn:aws:kms:us-east-1:111122223333:key/", region: east, wantMalformed: "names no key id or alias"},
		{name: "a key id with a slash, which KMS could read as something else", in: "key/alias/aws/dms", region: east, wantMalformed: "names no key id or alias"},
		{name: "an empty alias", in: "alias/", region: east, wantMalformed: "names no key id or alias"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := parseKeyRef(tt.in, me, tt.region)
			if tt.wantMalformed != "" {
				if !strings.Contains(got.Malformed, tt.wantMalformed) || got.ARN != "" || got.Alias != "" {
					t.Errorf("parseKeyRef(%q) = %+v; want malformed %q and nothing to look up", tt.in, got, tt.wantMalformed)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(keyRef{})); diff != "" {
				t.Errorf("parseKeyRef(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}
