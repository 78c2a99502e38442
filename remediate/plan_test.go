package remediate

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/state"
)

var update = flag.Bool("update", false, "rewrite golden files")

const (
	acct     = "111122223333"
	oldARN1  = "arn:aws:dms:us-east-1:111122223333:rep:AAAAAAAAAAAAAAAAAAAAAAAAAA"
	oldARN2  = "arn:aws:dms:eu-west-1:111122223333:rep:BBBBBBBBBBBBBBBBBBBBBBBBBB"
	awsKey1  = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-0000000000aa"
	awsKey2  = "arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-0000-0000-0000000000bb"
	custKey1 = "arn:aws:kms:us-east-1:111122223333:key/11111111-1111-1111-1111-111111111111"
)

// fixtureRequest is a request over two failing instances in two regions.
func fixtureRequest() Request {
	return Request{
		PlanID:       "rp-test",
		Now:          time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC),
		Tool:         "cmkguard test",
		Account:      acct,
		Source:       Source{Kind: "report", File: "audit.json", SHA256: "sha256:abc", GeneratedAt: "2026-11-27T14:00:00Z", Findings: 2},
		Targets:      []Target{{ARN: oldARN1, ID: "orders", Region: "us-east-1", Account: acct}, {ARN: oldARN2, ID: "billing", Region: "eu-west-1", Account: acct}},
		Key:          KeyRequest{CreateAlias: "alias/dms-cmk", Admins: []string{"arn:aws:iam::111122223333:role/KeyAdmin"}},
		NameTemplate: DefaultNameTemplate,
		DeleteOld:    true, KeepIdentifier: true,
		ConfigTargets: []Target{
			{ARN: cfgFresh, ID: "fresh", Region: "us-east-1", Account: acct},
			{ARN: cfgStarted, ID: "started", Region: "us-east-1", Account: acct},
		},
		RecreateStartedConfigs: true,
	}
}

const (
	cfgFresh   = "arn:aws:dms:us-east-1:111122223333:replication-config:FRESH"
	cfgStarted = "arn:aws:dms:us-east-1:111122223333:replication-config:STARTED"
)

func fixtureFacts() Facts {
	return Facts{
		Instances: map[string]DescribedInstance{
			oldARN1: {
				Instance: Instance{ARN: oldARN1, ID: "orders", Status: "available", KeyARN: awsKey1, Settings: InstanceSettings{
					Class: "dms.t3.medium", AllocatedStorage: 50, EngineVersion: "3.5.2",
					VPCSecurityGroupIDs: []string{"sg-0123"}, SubnetGroupID: "default-vpc", AvailabilityZone: "us-east-1a",
					PubliclyAccessible: false, AutoMinorVersionUpgrade: true, PreferredMaintenanceWindow: "sun:06:00-sun:06:30",
					NetworkType: "IPV4", Tags: map[string]string{"team": "orders"},
				}},
				Tasks: []Task{
					{ARN: "arn:aws:dms:us-east-1:111122223333:task:T2", ID: "orders-cdc", Status: "running"},
					{ARN: "arn:aws:dms:us-east-1:111122223333:task:T1", ID: "orders-full", Status: "stopped"},
				},
			},
			oldARN2: {
				Instance: Instance{ARN: oldARN2, ID: "billing", Status: "available", KeyARN: awsKey2, Settings: InstanceSettings{
					Class: "dms.r5.large", AllocatedStorage: 100, EngineVersion: "3.4.7", MultiAZ: true, AvailabilityZone: "eu-west-1b",
				}},
			},
		},
		Identifiers: map[string]map[string]bool{"us-east-1": {"orders": true}, "eu-west-1": {"billing": true}},
		Aliases:     map[string]map[string]bool{"us-east-1": {"alias/aws/dms": true}},
		Configs: map[string]Config{
			cfgFresh: {ARN: cfgFresh, ID: "fresh", KeyARN: awsKey1, ReplicationStatus: "created", SourceEndpointARN: "arn:aws:dms:us-east-1:111122223333:endpoint:SRC",
				TargetEndpointARN: "arn:aws:dms:us-east-1:111122223333:endpoint:TGT", ReplicationType: "cdc", Compute: ComputeSettings{MaxCapacityUnits: 4}},
			cfgStarted: {ARN: cfgStarted, ID: "started", KeyARN: awsKey1, ReplicationStatus: "running", Started: true, SourceEndpointARN: "arn:aws:dms:us-east-1:111122223333:endpoint:SRC",
				TargetEndpointARN: "arn:aws:dms:us-east-1:111122223333:endpoint:TGT", ReplicationType: "full-load-and-cdc", TableMappings: `{"rules":[]}`,
				Compute: ComputeSettings{MaxCapacityUnits: 8, MinCapacityUnits: 2, SubnetGroupID: "default-vpc", VPCSecurityGroupIDs: []string{"sg-0a1"}}, Tags: map[string]string{"app": "cdc"}},
		},
		ConfigIdentifiers: map[string]map[string]bool{"us-east-1": {"fresh": true, "started": true}},
	}
}

func TestNewPlanMatchesGoldenRenderings(t *testing.T) {
	t.Parallel()
	p, err := NewPlan(fixtureRequest(), fixtureFacts())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		golden string
		write  func(*bytes.Buffer) error
	}{
		{"plan.txt", func(b *bytes.Buffer) error { return WriteText(b, p) }},
		{"plan.sh", func(b *bytes.Buffer) error { return WriteShell(b, p) }},
		{"plan.json", func(b *bytes.Buffer) error { return p.Write(b) }},
	} {
		t.Run("renders "+tt.golden, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.write(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.golden, b.String())
		})
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

func TestNewPlanOrdersStepsSafely(t *testing.T) {
	t.Parallel()
	p, err := NewPlan(fixtureRequest(), fixtureFacts())
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, s := range p.Steps {
		if s.Region == "us-east-1" {
			kinds = append(kinds, s.ID)
		}
	}
	want := []string{
		"us-east-1/key",
		"us-east-1/orders/create",
		"us-east-1/orders/verify-key",
		"us-east-1/orders/task/orders-cdc/stop",
		"us-east-1/orders/task/orders-cdc/move",
		"us-east-1/orders/task/orders-cdc/start",
		"us-east-1/orders/task/orders-full/stop",
		"us-east-1/orders/task/orders-full/move",
		"us-east-1/orders/task/orders-full/start",
		"us-east-1/orders/delete-old",
		"us-east-1/orders/rename",
		"us-east-1/config/fresh/modify",
		"us-east-1/config/started/stop",
		"us-east-1/config/started/create",
		"us-east-1/config/started/delete-old",
		"us-east-1/config/started/rename",
	}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
}

func TestNewPlanCopiesEverySettingAndTheMultiAZRule(t *testing.T) {
	t.Parallel()
	p, err := NewPlan(fixtureRequest(), fixtureFacts())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p.Replacements {
		if diff := cmp.Diff(r.Old.Settings, r.New); diff != "" {
			t.Errorf("%s: replacement settings differ from the old instance's (-old +new):\n%s", r.Old.ID, diff)
		}
		in := createInstanceInput(p, r, custKey1)
		if r.New.MultiAZ && in.AvailabilityZone != nil {
			t.Errorf("%s: a Multi-AZ replacement must not name an AZ, got %s", r.Old.ID, *in.AvailabilityZone)
		}
		if got := *in.KmsKeyId; got != custKey1 {
			t.Errorf("%s: key = %s, want %s", r.Old.ID, got, custKey1)
		}
	}
}

func TestNewPlanRefusesBadInput(t *testing.T) {
	t.Parallel()
	existingKey := func(kf KeyFacts) func(*Request, *Facts) {
		return func(r *Request, f *Facts) {
			r.Key = KeyRequest{Existing: kf.Ref}
			f.Keys = map[string]KeyFacts{"us-east-1": kf, "eu-west-1": kf}
		}
	}
	tests := []struct {
		name    string
		edit    func(*Request, *Facts)
		wantErr string
	}{
		{"no key chosen", func(r *Request, _ *Facts) { r.Key = KeyRequest{} }, "choose the key"},
		{"both key choices", func(r *Request, _ *Facts) { r.Key.Existing = custKey1 }, "are exclusive"},
		{"an AWS-managed alias as --kms-key", func(r *Request, _ *Facts) { r.Key = KeyRequest{Existing: "alias/aws/dms"} }, "is an AWS-managed key"},
		{"an AWS-managed alias ARN as --kms-key", func(r *Request, _ *Facts) {
			r.Key = KeyRequest{Existing: "arn:aws:kms:us-east-1:111122223333:alias/aws/dms"}
		}, "is an AWS-managed key"},
		{"an AWS-managed key ARN as --kms-key", existingKey(KeyFacts{Ref: awsKey1, ARN: awsKey1, Region: "us-east-1", Manager: "AWS", State: "Enabled"}), "is managed by AWS"},
		{"a disabled key", existingKey(KeyFacts{Ref: custKey1, ARN: custKey1, Region: "us-east-1", Manager: "CUSTOMER", State: "Disabled"}), "is Disabled"},
		{"a key in another region", existingKey(KeyFacts{Ref: custKey1, ARN: custKey1, Region: "us-east-1", Manager: "CUSTOMER", State: "Enabled"}), "eu-west-1: key " + custKey1 + " is in region us-east-1"},
		{"an asymmetric key", existingKey(KeyFacts{Ref: custKey1, ARN: custKey1, Region: "us-east-1", Manager: "CUSTOMER", State: "Enabled", Spec: "RSA_2048"}), "needs a symmetric key"},
		{"a key that was not found", existingKey(KeyFacts{Ref: "alias/nope", Problem: "was not found in us-east-1"}), "alias/nope: was not found"},
		{"an engine downgrade", func(r *Request, _ *Facts) { r.EngineVersion = "3.4.6" }, "engine version 3.4.6 is older than the instance's 3.5.2"},
		{"a new key below the minimum protection", func(r *Request, _ *Facts) { r.MinProtection = state.ProtectionCloudHSM }, "below --min-protection cloudhsm"},
		{"an existing key below the minimum protection", func(r *Request, f *Facts) {
			existingKey(KeyFacts{Ref: custKey1, ARN: custKey1, Region: "us-east-1", Manager: "CUSTOMER", State: "Enabled", Origin: "AWS_KMS"})(r, f)
			r.Targets = r.Targets[:1]
			r.MinProtection = state.ProtectionImported
		}, "has protection customer-managed (origin AWS_KMS), below --min-protection imported"},
		{"keep-identifier without delete-old", func(r *Request, _ *Facts) { r.DeleteOld = false }, "--keep-identifier needs --delete-old"},
		{"a name template without {id}", func(r *Request, _ *Facts) { r.NameTemplate = "replacement" }, "must contain {id}"},
		{"a name that is taken", func(_ *Request, f *Facts) { f.Identifiers["us-east-1"]["orders-cmk"] = true }, "identifier orders-cmk is already in use"},
		{"a name that is too long", func(r *Request, _ *Facts) { r.NameTemplate = "{id}-" + strings.Repeat("x", 60) }, "is not valid"},
		{"an alias that exists", func(_ *Request, f *Facts) { f.Aliases["us-east-1"]["alias/dms-cmk"] = true }, "alias alias/dms-cmk already exists"},
		{"a reserved alias", func(r *Request, _ *Facts) { r.Key.CreateAlias = "alias/aws/mine" }, "reserved for AWS-managed keys"},
		{"a malformed key user", func(r *Request, _ *Facts) { r.Key.Users = []string{"bob"} }, `key user "bob"`},
		{"a region that is not a region name (a crafted report)", func(r *Request, f *Facts) {
			const region, arn = "eu-west-1;id", "arn:aws:dms:eu-west-1;id:111122223333:rep:BBBBBBBBBBBBBBBBBBBBBBBBBB"
			r.Targets[1].Region, r.Targets[1].ARN = region, arn
			d := f.Instances[oldARN2]
			d.Instance.ARN = arn
			f.Instances[arn] = d
		}, `region "eu-west-1;id" is not an AWS region name`},
		{"a plan id with shell syntax", func(r *Request, _ *Facts) { r.PlanID = "rp-$(id)" }, `plan id "rp-$(id)" is not`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, facts := fixtureRequest(), fixtureFacts()
			tt.edit(&req, &facts)
			_, err := NewPlan(req, facts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("NewPlan error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestNewPlanNotesWhatItSkips(t *testing.T) {
	t.Parallel()
	req, facts := fixtureRequest(), fixtureFacts()
	req.Targets = append(req.Targets,
		Target{ARN: "arn:aws:dms:us-east-1:999999999999:rep:X", ID: "other", Region: "us-east-1", Account: "999999999999"},
		Target{ARN: "arn:aws:dms:us-east-1:111122223333:rep:GONE", ID: "gone", Region: "us-east-1", Account: acct})
	p, err := NewPlan(req, facts)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"skipped arn:aws:dms:us-east-1:999999999999:rep:X: it is in account 999999999999, the credentials are for 111122223333",
		"skipped arn:aws:dms:us-east-1:111122223333:rep:GONE: it no longer exists",
	}
	if diff := cmp.Diff(want, p.Notes); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
}

func TestReadPlanRefusesTamperedAndInvalidPlans(t *testing.T) {
	t.Parallel()
	p, err := NewPlan(fixtureRequest(), fixtureFacts())
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		t.Fatal(err)
	}
	good := b.String()
	tests := []struct {
		name    string
		text    string
		wantErr string
		is      error
	}{
		{"an edited setting", strings.Replace(good, `"dms.t3.medium"`, `"dms.t3.micro"`, 1), "", ErrTampered},
		{"another version", strings.Replace(good, PlanVersion, "cmkguard.remediate/v9", 1), "version \"cmkguard.remediate/v9\" is not supported", nil},
		{"an unknown field", strings.Replace(good, `"version"`, `"surprise": 1, "version"`, 1), "unknown field", nil},
		{"not JSON", "plan", "read plan", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadPlan(strings.NewReader(tt.text))
			if err == nil {
				t.Fatal("ReadPlan accepted it")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("err = %v, want %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
	t.Run("the untouched plan reads back equal", func(t *testing.T) {
		t.Parallel()
		got, err := ReadPlan(strings.NewReader(good))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(p, got); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
	})
}

func TestTargetsFromFindingsTakesOnlyFailuresOfTheInstanceRule(t *testing.T) {
	t.Parallel()
	fs := []finding.Finding{
		{RuleID: RuleID, Status: finding.StatusFail, ResourceType: "AWS::DMS::ReplicationInstance", ResourceARN: oldARN1, ResourceID: "orders", Region: "us-east-1", Account: acct},
		{RuleID: RuleID, Status: finding.StatusFail, ResourceType: "AWS::DMS::ReplicationInstance", ResourceARN: oldARN1, ResourceID: "orders", Region: "us-east-1", Account: acct},
		{RuleID: RuleID, Status: finding.StatusPass, ResourceType: "AWS::DMS::ReplicationInstance", ResourceARN: "p"},
		{RuleID: RuleID, Status: finding.StatusUnknown, ResourceType: "AWS::DMS::ReplicationInstance", ResourceARN: "u"},
		{RuleID: RuleID, Status: finding.StatusSuppressed, ResourceType: "AWS::DMS::ReplicationInstance", ResourceARN: "s"},
		{RuleID: RuleID, Status: finding.StatusFail, ResourceType: "AWS::Region", ResourceARN: "r"},
		{RuleID: "CMKG-DMS-002", Status: finding.StatusFail, ResourceType: "AWS::DMS::ReplicationInstance", ResourceARN: "o"},
	}
	want := []Target{{ARN: oldARN1, ID: "orders", Region: "us-east-1", Account: acct}}
	if diff := cmp.Diff(want, TargetsFromFindings(fs)); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
}

func TestCompareEngine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
	}{
		{"3.5.2", "3.5.2", 0}, {"3.5.10", "3.5.9", 1}, {"3.4.7", "3.5.1", -1}, {"3.5", "3.5.0", 0}, {"3.6.0", "3.5.4", 1},
	}
	for _, tt := range tests {
		if got := compareEngine(tt.a, tt.b); got != tt.want {
			t.Errorf("compareEngine(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestNewPlanRecreatesAStartedConfigOnlyWithConsent(t *testing.T) {
	t.Parallel()
	req := fixtureRequest()
	req.RecreateStartedConfigs = false
	p, err := NewPlan(req, fixtureFacts())
	if err != nil {
		t.Fatal(err)
	}
	var configSteps []string
	for _, s := range p.Steps {
		if s.Config >= 0 {
			configSteps = append(configSteps, s.ID)
		}
	}
	if diff := cmp.Diff([]string{"us-east-1/config/fresh/modify"}, configSteps); diff != "" {
		t.Errorf("config steps without consent (-want +got):\n%s", diff)
	}
	wantNote := "not planned: serverless config " + cfgStarted + " has started"
	if len(p.Notes) != 1 || !strings.HasPrefix(p.Notes[0], wantNote) {
		t.Errorf("notes = %q, want one starting %q", p.Notes, wantNote)
	}
}
