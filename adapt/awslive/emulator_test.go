package awslive_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/adapt/awslive"
	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/internal/awsemu"
	"github.com/cmkguard/cmkguard/internal/cli/permissions"
	"github.com/cmkguard/cmkguard/rule"
	"github.com/cmkguard/cmkguard/state"
)

const (
	me       = "111122223333"
	keyOwner = "444455556666"
	stranger = "777788889999"
)

// startEmulator serves est on 127.0.0.1 and returns the emulator and an SDK
// configuration, loaded by LoadConfig, that points at it with dummy
// credentials.
func startEmulator(t testing.TB, est *awsemu.Estate) (*awsemu.Server, aws.Config) {
	t.Helper()
	srv := awsemu.New(awsemu.Options{DefaultAccount: me})
	if est != nil {
		if err := srv.LoadEstate(est); err != nil {
			t.Fatalf("load estate: %v", err)
		}
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	cfg, err := awslive.LoadConfig(context.Background(), "", ts.URL, "us-east-1")
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	cfg.Credentials = credentials.NewStaticCredentialsProvider("AKIDCMKGUARDTEST", "not-a-secret", "")
	return srv, cfg
}

// policyFor lets account use a key of another account through DMS and,
// when describe is set, describe it.
func policyFor(owner, account string, describe bool) string {
	actions := `"kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:CreateGrant"`
	if describe {
		actions += `,"kms:DescribeKey"`
	}
	return `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + owner + `:root"},"Action":"kms:*","Resource":"*"},` +
		`{"Sid":"guest","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:root"},"Action":[` + actions + `],"Resource":"*"}]}`
}

func keyARN(region, account, id string) string {
	return fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", region, account, id)
}

// everyVerdictEstate holds, in eu-west-1, one instance per verdict class.
func everyVerdictEstate() *awsemu.Estate {
	const r = "eu-west-1"
	key := func(id, manager, origin, st string, aliases ...string) awsemu.EstateKey {
		k := awsemu.EstateKey{ID: id, Region: r, Manager: manager, Origin: origin, State: st, Aliases: aliases}
		switch origin {
		case "EXTERNAL":
			if st == "Enabled" {
				// The emulator seeds instances before applying an explicit
				// state, and an imported key is PendingImport until then;
				// an empty state means "imported material, Enabled".
				k.State = ""
			}
		case "AWS_CLOUDHSM":
			k.CustomKeyStoreID, k.CloudHsmClusterID = "cks-1234567890abcdef0", "cluster-1234567abcd"
		case "EXTERNAL_KEY_STORE":
			k.CustomKeyStoreID, k.XksKeyID = "cks-0fedcba0987654321", "xks-key-1"
		}
		return k
	}
	return &awsemu.Estate{
		DefaultAccount: me,
		Accounts:       []awsemu.EstateAccount{{ID: me}, {ID: keyOwner}, {ID: stranger}},
		Keys: []awsemu.EstateKey{
			key("11111111-0000-0000-0000-000000000001", "CUSTOMER", "AWS_KMS", "Enabled", "alias/orders"),
			key("11111111-0000-0000-0000-000000000002", "CUSTOMER", "EXTERNAL", "Enabled"),
			key("11111111-0000-0000-0000-000000000003", "CUSTOMER", "AWS_CLOUDHSM", "Enabled"),
			key("11111111-0000-0000-0000-000000000004", "CUSTOMER", "EXTERNAL_KEY_STORE", "Enabled"),
			key("11111111-0000-0000-0000-000000000005", "CUSTOMER", "AWS_KMS", "Disabled"),
			key("11111111-0000-0000-0000-000000000006", "CUSTOMER", "AWS_KMS", "PendingDeletion"),
			// A PendingImport key is covered by the rule tests only: the
			// emulator refuses to seed an instance on an EXTERNAL key whose
			// state is PendingImport (reported to its owner).
			key("11111111-0000-0000-0000-000000000008", "CUSTOMER", "AWS_CLOUDHSM", "Unavailable"),
			{ID: "22222222-0000-0000-0000-000000000001", Account: keyOwner, Region: r, Policy: policyFor(keyOwner, me, true)},
			{ID: "33333333-0000-0000-0000-000000000001", Account: stranger, Region: r, Policy: policyFor(stranger, me, false)},
		},
		ReplicationInstances: []awsemu.EstateReplicationInstance{
			{ID: "default-key", Region: r},
			{ID: "cmk", Region: r, KmsKey: keyARN(r, me, "11111111-0000-0000-0000-000000000001")},
			{ID: "imported", Region: r, KmsKey: keyARN(r, me, "11111111-0000-0000-0000-000000000002")},
			{ID: "cloudhsm", Region: r, KmsKey: keyARN(r, me, "11111111-0000-0000-0000-000000000003")},
			{ID: "xks", Region: r, KmsKey: keyARN(r, me, "11111111-0000-0000-0000-000000000004")},
			{ID: "disabled", Region: r, KmsKey: keyARN(r, me, "11111111-0000-0000-0000-000000000005")},
			{ID: "pending-deletion", Region: r, KmsKey: keyARN(r, me, "11111111-0000-0000-0000-000000000006")},
			{ID: "unavailable", Region: r, KmsKey: keyARN(r, me, "11111111-0000-0000-0000-000000000008")},
			{ID: "cross-account", Region: r, KmsKey: keyARN(r, keyOwner, "22222222-0000-0000-0000-000000000001")},
			{ID: "cross-account-hidden", Region: r, KmsKey: keyARN(r, stranger, "33333333-0000-0000-0000-000000000001")},
		},
	}
}

// verdicts maps "instance-id rule-short-code" to the finding's status.
func verdicts(t testing.TB, st state.State, opts rule.Options) map[string]finding.Status {
	t.Helper()
	out := map[string]finding.Status{}
	for _, f := range rule.Evaluate(&st, opts) {
		out[f.ResourceID+" "+f.ShortCode] = f.Status
	}
	return out
}

func TestScanOfTheEmulatorGivesEveryVerdict(t *testing.T) {
	t.Parallel()
	srv, cfg := startEmulator(t, everyVerdictEstate())
	st, stats, err := awslive.ScanAccount(context.Background(), cfg, awslive.Options{Regions: []string{"eu-west-1"}})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	const cmk, usable = "dms-instance-cmk", "dms-instance-key-usable"
	pass, fail, unknown := finding.StatusPass, finding.StatusFail, finding.StatusUnknown
	want := map[string]finding.Status{
		"default-key " + cmk: fail, "default-key " + usable: pass,
		"cmk " + cmk: pass, "cmk " + usable: pass,
		"imported " + cmk: pass, "imported " + usable: pass,
		"cloudhsm " + cmk: pass, "cloudhsm " + usable: pass,
		"xks " + cmk: pass, "xks " + usable: pass,
		"disabled " + cmk: pass, "disabled " + usable: fail,
		"pending-deletion " + cmk: pass, "pending-deletion " + usable: fail,
		"unavailable " + cmk: pass, "unavailable " + usable: fail,
		"cross-account " + cmk: pass, "cross-account " + usable: pass,
		// The key of another account that this one cannot describe is
		// customer-managed by its account alone; its state stays unknown.
		"cross-account-hidden " + cmk: pass, "cross-account-hidden " + usable: unknown,
	}
	// The key rules' verdicts on these keys: keysound_emulator_test.go.
	if diff := cmp.Diff(want, withoutKeyRules(verdicts(t, st, rule.Options{}))); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}

	levels := map[string]state.ProtectionLevel{}
	for _, inst := range st.Instances {
		levels[inst.ID] = inst.Key.Protection()
	}
	wantLevels := map[string]state.ProtectionLevel{"cmk": "customer-managed", "imported": "imported", "cloudhsm": "cloudhsm", "xks": "external-key-store"}
	for id, lvl := range wantLevels {
		if levels[id] != lvl {
			t.Errorf("%s: protection level %q, want %q", id, levels[id], lvl)
		}
	}

	// A trusted-account policy that does not list the key's owner fails it.
	strict := verdicts(t, st, rule.Options{TrustedKeyAccounts: []string{stranger}})
	if strict["cross-account "+cmk] != fail {
		t.Errorf("cross-account key with an untrusted owner: %s, want FAIL", strict["cross-account "+cmk])
	}

	// Read-only, by full ARN, never on an alias, once per distinct key.
	var described []string
	for _, e := range srv.Requests() {
		if e.Mutating {
			t.Errorf("the audit made a mutating call: %s", e.Action())
		}
		if e.Action() == "kms:DescribeKey" {
			described = append(described, e.Resource)
		}
	}
	if n := stats.Calls()["kms:DescribeKey"]; n != len(st.Instances) {
		t.Errorf("DescribeKey called %d times for %d distinct keys", n, len(st.Instances))
	}
	for _, arn := range described {
		if strings.Contains(arn, "alias/") {
			t.Errorf("DescribeKey on an alias: %s", arn)
		}
	}
	if n := stats.Calls()["kms:ListAliases"]; n != 0 {
		t.Errorf("ListAliases called %d times although nothing was denied", n)
	}
}

func TestScanOfTheEmulatorReadsEveryPageAndOneKeyPerDistinctARN(t *testing.T) {
	t.Parallel()
	est := &awsemu.Estate{DefaultAccount: me}
	for k := range 7 {
		est.Keys = append(est.Keys, awsemu.EstateKey{ID: fmt.Sprintf("aaaaaaaa-0000-0000-0000-%012d", k), Region: "us-west-2"})
	}
	for i := range 250 {
		est.ReplicationInstances = append(est.ReplicationInstances, awsemu.EstateReplicationInstance{
			ID: fmt.Sprintf("ri-%03d", i), Region: "us-west-2", KmsKey: keyARN("us-west-2", me, est.Keys[i%7].ID),
		})
	}
	_, cfg := startEmulator(t, est)
	st, stats, err := awslive.ScanAccount(context.Background(), cfg, awslive.Options{Regions: []string{"us-west-2"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Instances) != 250 {
		t.Errorf("got %d instances, want 250", len(st.Instances))
	}
	// With --region, one ec2:DescribeRegions checks the region exists.
	// Every kind is listed by default: one page each of serverless
	// configs, their replications and endpoints, none found.
	want := map[string]int{"sts:GetCallerIdentity": 1, "ec2:DescribeRegions": 1, "dms:DescribeReplicationInstances": 3, "kms:DescribeKey": 7,
		"dms:DescribeReplicationConfigs": 1, "dms:DescribeReplications": 1, "dms:DescribeEndpoints": 1,
		// Key soundness: one policy and one rotation read per distinct key.
		"kms:GetKeyPolicy": 7, "kms:GetKeyRotationStatus": 7, "dms:DescribeInstanceProfiles": 1, "dms:DescribeCertificates": 1,
		"dms:DescribeReplicationTaskAssessmentRuns": 1}
	if diff := cmp.Diff(want, stats.Calls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestScanOfTheEmulatorFallsBackToAliasesWhenDescribeKeyIsDenied(t *testing.T) {
	t.Parallel()
	const r = "eu-west-1"
	tests := []struct {
		name         string
		denyAliases  bool
		wantCMK      map[string]finding.Status
		wantEvidence state.KeyEvidence
		wantLists    int
	}{
		{
			name: "ListAliases proves the default key AWS-managed and the aliased key customer-managed",
			wantCMK: map[string]finding.Status{
				"default-key": finding.StatusFail, "cmk": finding.StatusPass, "imported": finding.StatusUnknown,
			},
			wantEvidence: state.EvidenceListAliases, wantLists: 1,
		},
		{
			name:        "without ListAliases every key is unknown",
			denyAliases: true,
			wantCMK: map[string]finding.Status{
				"default-key": finding.StatusUnknown, "cmk": finding.StatusUnknown, "imported": finding.StatusUnknown,
			},
			wantEvidence: state.EvidenceNone, wantLists: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, cfg := startEmulator(t, everyVerdictEstate())
			srv.AddDeny(awsemu.DenyRule{Action: "kms:DescribeKey"})
			if tt.denyAliases {
				srv.AddDeny(awsemu.DenyRule{Action: "kms:ListAliases"})
			}
			st, stats, err := awslive.ScanAccount(context.Background(), cfg, awslive.Options{Regions: []string{r}})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]finding.Status{}
			for _, f := range rule.Evaluate(&st, rule.Options{}) {
				if _, ok := tt.wantCMK[f.ResourceID]; ok && f.RuleID == "CMKG-DMS-001" {
					got[f.ResourceID] = f.Status
				}
				if f.Status == finding.StatusUnknown && f.MissingPermission != "kms:DescribeKey" && f.ResourceType != "AWS::KMS::Key" {
					t.Errorf("%s %s is UNKNOWN without naming kms:DescribeKey: %q", f.ResourceID, f.ShortCode, f.MissingPermission)
				}
				// A key proved AWS-managed is usable (customers cannot
				// disable it); any other key's state is unknown.
				if f.RuleID == "CMKG-DMS-002" && f.Status == finding.StatusPass && (f.ResourceID != "default-key" || tt.denyAliases) {
					t.Errorf("%s: key usability PASS although its state could not be read", f.ResourceID)
				}
				if f.RuleID == "CMKG-DMS-002" && f.ResourceID == "default-key" && !tt.denyAliases && f.Status != finding.StatusPass {
					t.Errorf("default-key: key usability %s, want PASS on the aws/dms alias (%s)", f.Status, f.Reason)
				}
			}
			if diff := cmp.Diff(tt.wantCMK, got); diff != "" {
				t.Errorf("CMKG-DMS-001 verdicts (-want +got):\n%s", diff)
			}
			for _, inst := range st.Instances {
				if inst.ID == "default-key" && inst.Key.Evidence != tt.wantEvidence {
					t.Errorf("default-key evidence %q, want %q", inst.Key.Evidence, tt.wantEvidence)
				}
			}
			if n := stats.Calls()["kms:ListAliases"]; n != tt.wantLists {
				t.Errorf("ListAliases called %d times, want %d (once for the region)", n, tt.wantLists)
			}
		})
	}
}

func TestScanOfTheEmulatorUnderDenialPassesNothing(t *testing.T) {
	t.Parallel()
	srv, cfg := startEmulator(t, everyVerdictEstate())
	srv.AddDeny(awsemu.DenyRule{Action: "kms:*"})
	st, _, err := awslive.ScanAccount(context.Background(), cfg, awslive.Options{Regions: []string{"eu-west-1", "us-east-1"}})
	if err != nil {
		t.Fatal(err)
	}
	findings := rule.Evaluate(&st, rule.Options{})
	if len(findings) == 0 {
		t.Fatal("no findings")
	}
	for _, f := range findings {
		// Only what needs no KMS answer may pass: a key of another account
		// is customer-managed by its account alone.
		if f.Status == finding.StatusPass && f.Evidence != state.EvidenceCrossAccount {
			t.Errorf("%s %s is PASS although KMS denied everything", f.ResourceID, f.ShortCode)
		}
	}
}

func TestScanOfTheEmulatorSkipsOptInRegionsAndReportsFailedOnes(t *testing.T) {
	t.Parallel()
	est := everyVerdictEstate()
	est.Regions = []awsemu.EstateRegion{
		{Name: "us-east-1"}, {Name: "eu-west-1"}, {Name: "ap-south-1"},
		{Name: "me-south-1", OptInStatus: "opted-in"}, {Name: "ap-east-1", OptInStatus: "not-opted-in"},
	}
	srv, cfg := startEmulator(t, est)
	srv.AddDeny(awsemu.DenyRule{Action: "dms:DescribeReplicationInstances", Region: "ap-south-1"})
	st, stats, err := awslive.ScanAccount(context.Background(), cfg, awslive.Options{})
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
	}
	want := []row{
		{"ap-east-1", state.RegionSkipped, ""},
		{"ap-south-1", state.RegionFailed, "dms:DescribeReplicationInstances"},
		{"eu-west-1", state.RegionScanned, ""},
		{"me-south-1", state.RegionScanned, ""},
		{"us-east-1", state.RegionScanned, ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("regions (-want +got):\n%s", diff)
	}
	var regionUnknowns []string
	for _, f := range rule.Evaluate(&st, rule.Options{}) {
		if f.ResourceType == "AWS::Region" {
			regionUnknowns = append(regionUnknowns, f.Region+" "+string(f.Status))
		}
	}
	if diff := cmp.Diff([]string{"ap-south-1 UNKNOWN", "ap-south-1 UNKNOWN"}, regionUnknowns); diff != "" {
		t.Errorf("failed-region findings (-want +got):\n%s", diff)
	}
	if n := stats.Calls()["ec2:DescribeRegions"]; n != 1 {
		t.Errorf("DescribeRegions called %d times, want 1", n)
	}
	for _, e := range srv.Requests() {
		if e.Region == "ap-east-1" {
			t.Errorf("a region that is not enabled was called: %s", e.Action())
		}
	}
}

func TestScanOfTheEmulatorWithThrottlingGivesTheSameFindings(t *testing.T) {
	t.Parallel()
	est := everyVerdictEstate()
	for i := range 120 {
		est.ReplicationInstances = append(est.ReplicationInstances, awsemu.EstateReplicationInstance{
			ID: fmt.Sprintf("bulk-%03d", i), Region: "eu-west-1", KmsKey: keyARN("eu-west-1", me, est.Keys[i%7].ID),
		})
	}
	regions := []string{"eu-west-1", "us-east-1", "ap-southeast-2"}
	srv, cfg := startEmulator(t, est)
	scan := func() ([]finding.Finding, *awslive.Stats) {
		st, stats, err := awslive.ScanAccount(context.Background(), cfg, awslive.Options{Regions: regions})
		if err != nil {
			t.Fatal(err)
		}
		return rule.Evaluate(&st, rule.Options{}), stats
	}
	clean, _ := scan()
	throttles := 0
	for _, seed := range []uint64{42, 7, 2026} {
		srv.SetFaults(awsemu.Faults{Throttle: map[string]float64{"*": 0.3}, Seed: seed})
		throttled, stats := scan()
		if diff := cmp.Diff(clean, throttled); diff != "" {
			t.Errorf("seed %d: findings differ under 30%% throttling (-clean +throttled):\n%s", seed, diff)
		}
		for _, n := range stats.Throttled() {
			throttles += n
		}
	}
	if throttles == 0 {
		t.Errorf("no call was throttled: the fault injection did not run")
	}
	t.Logf("%d throttled attempts retried over 3 seeds", throttles)
}

func TestScanOfTheEmulatorStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	srv, cfg := startEmulator(t, everyVerdictEstate())
	srv.SetFaults(awsemu.Faults{Latency: 2 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, _, err := awslive.ScanAccount(ctx, cfg, awslive.Options{Regions: []string{"eu-west-1"}})
	if err == nil {
		t.Fatal("a cancelled scan returned no error")
	}
}

func TestTheAuditPolicyCoversEveryCallTheScanMakes(t *testing.T) {
	t.Parallel()
	srv, cfg := startEmulator(t, everyVerdictEstate())
	srv.AddDeny(awsemu.DenyRule{Action: "kms:DescribeKey", Resource: keyARN("eu-west-1", me, "11111111-0000-0000-0000-000000000001")})
	// With tags read (for suppressions by tag), the scan makes every call.
	if _, _, err := awslive.ScanAccount(context.Background(), cfg, awslive.Options{Tags: true}); err != nil {
		t.Fatal(err)
	}
	// The actions of `cmkguard permissions audit`, and sts:GetCallerIdentity,
	// which needs no permission.
	policy := append(permissions.AuditPolicy().Actions(), "sts:GetCallerIdentity")
	seen := map[string]bool{}
	for _, e := range srv.Requests() {
		seen[e.Action()] = true
		if !slices.Contains(policy, e.Action()) {
			t.Errorf("the scan called %s, which the audit policy does not grant", e.Action())
		}
	}
	if len(seen) != len(policy) {
		t.Errorf("the scan called %d distinct actions, the policy lists %d: %v", len(seen), len(policy), seen)
	}
}

func TestScanOfTheEmulatorCoversServerlessConfigsByDefaultAndScopeNarrows(t *testing.T) {
	t.Parallel()
	const r = "eu-west-1"
	est := everyVerdictEstate()
	est.Endpoints = []awsemu.EstateEndpoint{
		{ID: "src", Region: r, Type: "source", Engine: "mysql", ServerName: "db.example.com", Port: 3306, Username: "dms"},
		{ID: "dst", Region: r, Type: "target", Engine: "postgres", ServerName: "pg.example.com", Port: 5432, DatabaseName: "orders", Username: "dms"},
	}
	est.ReplicationConfigs = []awsemu.EstateReplicationConfig{
		{ID: "serverless-default", Region: r, Source: "src", Target: "dst", MaxCapacityUnits: 4},
		{ID: "serverless-cmk", Region: r, Source: "src", Target: "dst", MaxCapacityUnits: 4, KmsKey: keyARN(r, me, "11111111-0000-0000-0000-000000000001"), Started: true},
	}
	_, cfg := startEmulator(t, est)

	st, stats, err := awslive.ScanAccount(context.Background(), cfg, awslive.Options{Regions: []string{r}, Scope: []state.ResourceKind{state.KindInstances}})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.ReplicationConfigs) != 0 || stats.Calls()["dms:DescribeReplicationConfigs"] != 0 {
		t.Errorf("configs were listed with --scope instances")
	}
	if diff := cmp.Diff([]state.ResourceKind{state.KindInstances}, st.Scope); diff != "" {
		t.Errorf("the state does not record the scope (-want +got):\n%s", diff)
	}

	st, stats, err = awslive.ScanAccount(context.Background(), cfg, awslive.Options{Regions: []string{r}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]finding.Status{}
	for _, f := range rule.Evaluate(&st, rule.Options{}) {
		if f.ResourceType == "AWS::DMS::ReplicationConfig" {
			got[f.ResourceID+" "+f.ShortCode] = f.Status
		}
	}
	want := map[string]finding.Status{
		"serverless-default dms-serverless-cmk": finding.StatusFail, "serverless-default dms-serverless-key-usable": finding.StatusPass,
		"serverless-cmk dms-serverless-cmk": finding.StatusPass, "serverless-cmk dms-serverless-key-usable": finding.StatusPass,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("serverless verdicts (-want +got):\n%s", diff)
	}
	if n := stats.Calls()["dms:DescribeReplicationConfigs"]; n != 1 {
		t.Errorf("DescribeReplicationConfigs called %d times, want 1", n)
	}
	started := map[string]bool{}
	for _, rc := range st.ReplicationConfigs {
		started[rc.ID] = rc.Started
	}
	if diff := cmp.Diff(map[string]bool{"serverless-default": false, "serverless-cmk": true}, started); diff != "" {
		t.Errorf("Started (-want +got):\n%s", diff)
	}
}

func TestScanOfTheEmulatorCoversEndpointsByDefault(t *testing.T) {
	t.Parallel()
	const r = "eu-west-1"
	cmk := keyARN(r, me, "11111111-0000-0000-0000-000000000001")
	est := everyVerdictEstate()
	est.Endpoints = []awsemu.EstateEndpoint{
		{ID: "src-default", Region: r, Type: "source", Engine: "mysql", ServerName: "db.example.com", Port: 3306, Username: "dms"},
		{ID: "lake-sse-s3", Region: r, Type: "target", Engine: "s3", KmsKey: cmk,
			S3Settings: map[string]any{"BucketName": "lake", "EncryptionMode": "SSE_S3"}},
		{ID: "lake-sse-kms", Region: r, Type: "target", Engine: "s3", KmsKey: cmk,
			S3Settings: map[string]any{"BucketName": "lake2", "EncryptionMode": "SSE_KMS", "ServerSideEncryptionKmsKeyId": cmk}},
	}
	_, cfg := startEmulator(t, est)
	st, stats, err := awslive.ScanAccount(context.Background(), cfg, awslive.Options{Regions: []string{r}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]finding.Status{}
	for _, f := range rule.Evaluate(&st, rule.Options{}) {
		if f.ResourceType == "AWS::DMS::Endpoint" {
			got[f.ResourceID+" "+f.ShortCode] = f.Status
		}
	}
	want := map[string]finding.Status{
		"src-default dms-endpoint-cmk":    finding.StatusFail,
		"lake-sse-s3 dms-endpoint-cmk":    finding.StatusPass,
		"lake-sse-s3 dms-target-sse-kms":  finding.StatusFail,
		"lake-sse-kms dms-endpoint-cmk":   finding.StatusPass,
		"lake-sse-kms dms-target-sse-kms": finding.StatusPass,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("endpoint verdicts (-want +got):\n%s", diff)
	}
	if n := stats.Calls()["dms:DescribeEndpoints"]; n != 1 {
		t.Errorf("DescribeEndpoints called %d times, want 1", n)
	}
}

func TestARefusedConnectionFailsFastWithAClearError(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(awsemu.New(awsemu.Options{}))
	url := ts.URL
	ts.Close() // nothing listens there any more
	cfg, err := awslive.LoadConfig(context.Background(), "", url, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Credentials = credentials.NewStaticCredentialsProvider("AKIDCMKGUARDTEST", "not-a-secret", "")
	_, stats, err := awslive.ScanAccount(context.Background(), cfg, awslive.Options{Regions: []string{"us-east-1"}})
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("err = %v, want a refused connection", err)
	}
	if n := stats.Attempts()["sts:GetCallerIdentity"]; n != 1 {
		t.Errorf("a refused connection was tried %d times, want 1", n)
	}
}
