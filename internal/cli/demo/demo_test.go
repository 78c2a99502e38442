package demo

import (
	stdcmp "cmp"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard"
	"github.com/cmkguard/cmkguard/adapt/awslive"
	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/iostreams"
	"github.com/cmkguard/cmkguard/rule"
	"github.com/cmkguard/cmkguard/state"
)

func runDemo(t *testing.T, args ...string) (error, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	f := &factory.Factory{IOStreams: ios, Now: func() time.Time { return time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC) }, Version: "test"}
	cmd := NewCmdDemo(f, nil)
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(context.Background())
	return err, out.String(), errOut.String()
}

func TestDemoPrintsTheAuditAndExitsZero(t *testing.T) {
	t.Parallel()
	err, out, errOut := runDemo(t)
	if code := exit.Code(err); code != exit.OK {
		t.Fatalf("demo exit code %d (%v), want 0\nstderr:\n%s", code, err, errOut)
	}
	for _, want := range []string{"Summary by region", "FAIL", "UNKNOWN", "PASS", "af-south-1", "ap-southeast-2"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo table has no %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "cmkguard audit --profile") {
		t.Errorf("demo does not tell the user how to audit their own account:\n%s", errOut)
	}
}

func TestDemoEstateHoldsEveryVerdictClass(t *testing.T) {
	t.Parallel()
	err, out, errOut := runDemo(t, "--format", "json")
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, errOut)
	}
	var rep finding.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("demo --format json: %v", err)
	}
	seen := map[string]bool{}
	for _, f := range rep.Findings {
		seen[f.ShortCode+" "+string(f.Status)] = true
		if f.Evidence == "kms:ListAliases" {
			seen["evidence kms:ListAliases "+string(f.Status)] = true
		}
		if f.ProtectionLevel != "" {
			seen["level "+string(f.ProtectionLevel)] = true
		}
	}
	regions := map[string]string{}
	for _, r := range rep.Regions {
		regions[r.Region] = r.Status
	}
	for _, want := range []string{
		"dms-instance-cmk PASS", "dms-instance-cmk FAIL", "dms-instance-cmk UNKNOWN",
		"dms-instance-key-usable PASS", "dms-instance-key-usable FAIL", "dms-instance-key-usable UNKNOWN",
		"evidence kms:ListAliases FAIL", "evidence kms:ListAliases PASS",
		"dms-serverless-cmk FAIL", "dms-serverless-key-usable PASS",
		"dms-endpoint-cmk FAIL", "dms-endpoint-cmk PASS", "dms-target-sse-kms FAIL", "dms-target-sse-kms PASS",
		"level customer-managed", "level imported", "level cloudhsm", "level external-key-store",
	} {
		if !seen[want] {
			t.Errorf("the demo shows no %s", want)
		}
	}
	if regions["af-south-1"] != "skipped" || regions["ap-southeast-2"] != "failed" {
		t.Errorf("regions: af-south-1 %q (want skipped), ap-southeast-2 %q (want failed)", regions["af-south-1"], regions["ap-southeast-2"])
	}
}

func TestTheDemoAuditIsReadOnlyAndCallsEachKeyOnce(t *testing.T) {
	t.Parallel()
	emu, err := StartEmulator(cmkguard.DemoEstateYAML)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := emu.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	st, stats, err := awslive.ScanAccount(context.Background(), emu.Config(), awslive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m := emu.Server.MutatingRequests(); len(m) != 0 {
		t.Errorf("the audit made %d mutating calls, first %s", len(m), m[0].Action())
	}
	distinct := map[string]bool{}
	for _, inst := range st.Instances {
		if inst.KeyRef != "" {
			distinct[inst.KeyRef] = true
		}
	}
	for _, rc := range st.ReplicationConfigs {
		if rc.KeyRef != "" {
			distinct[rc.KeyRef] = true
		}
	}
	targets, contents := 0, 0
	for _, e := range st.Endpoints {
		if e.KeyRef != "" {
			distinct[e.KeyRef] = true
		}
		if e.TargetKeyRef != "" {
			distinct[e.TargetKeyRef] = true
		}
		if e.EndpointType == "target" && (e.EngineName == "s3" || e.EngineName == "redshift") {
			targets++
		}
		if e.ContentKeyRef != "" {
			// Settings keep the reference as given (an alias, here), which
			// resolves to a key already described.
			distinct[stdcmp.Or(e.ContentKey.ARN, e.ContentKeyRef)] = true
		}
		if e.ContentSettings != "" {
			contents++ // a DocumentDB or MongoDB endpoint's own rule
		}
	}
	for _, ip := range st.InstanceProfiles {
		if ip.KeyRef != "" {
			distinct[ip.KeyRef] = true
		}
	}
	for _, c := range st.Certificates {
		if c.KeyRef != "" {
			distinct[c.KeyRef] = true
		}
	}
	if got := stats.Calls()["kms:DescribeKey"]; got != len(distinct) {
		t.Errorf("DescribeKey called %d times for %d distinct keys", got, len(distinct))
	}
	// The audit uses ListAliases at most once per region.
	if got, regions := stats.Calls()["kms:ListAliases"], len(st.Regions); got > regions {
		t.Errorf("ListAliases called %d times for %d regions", got, regions)
	}
	// Two rules per instance and per config, one per endpoint and one more
	// per S3 or Redshift target, and two per kind a region failed to list.
	// One per instance profile; and per distinct customer key, one for
	// its policy, one for DMS's use of it (unless only S3 or Redshift
	// use it) and one for its rotation where rotation applies.
	keyFindings, policies, rotations := customerKeyFindings(st)
	want := 2*len(st.Instances) + 2*len(st.ReplicationConfigs) + len(st.Endpoints) + targets + 2*failedKinds(st.Regions) +
		len(st.InstanceProfiles) + len(st.Certificates) + len(st.AssessmentRuns) + contents + keyFindings
	if got := stats.Calls()["kms:GetKeyPolicy"]; got != policies {
		t.Errorf("GetKeyPolicy called %d times for %d distinct customer keys of this account", got, policies)
	}
	if got := stats.Calls()["kms:GetKeyRotationStatus"]; got != rotations {
		t.Errorf("GetKeyRotationStatus called %d times for %d distinct customer keys KMS may rotate", got, rotations)
	}
	if diff := cmp.Diff(want, len(rule.Evaluate(&st, rule.Options{}))); diff != "" {
		t.Errorf("every resource and failed region should have one finding per rule: %s", diff)
	}
}

func TestDemoRefusesBadFlags(t *testing.T) {
	t.Parallel()
	err, _, _ := runDemo(t, "--format", "yaml")
	if code := exit.Code(err); code != exit.Usage {
		t.Errorf("demo --format yaml: exit %d (%v), want 2", code, err)
	}
}

// failedKinds counts, over every region, the resource kinds whose listing
// failed (each kind has two rules).
func failedKinds(regions []state.RegionScan) int {
	n := 0
	for _, r := range regions {
		for _, k := range []state.ResourceKind{state.KindInstances, state.KindServerless, state.KindEndpoints} {
			if _, _, failed := r.FailureFor(k); failed {
				n++
			}
		}
	}
	return n
}

// customerKeyFindings counts the key rules' findings over st's distinct
// customer keys, and the policy and rotation reads they needed.
func customerKeyFindings(st state.State) (findings, policies, rotations int) {
	type use struct {
		key   state.Key
		grant bool
	}
	keys := map[string]*use{}
	add := func(k state.Key, grant bool) {
		if k.Manager != state.KeyManagerCustomer || k.ARN == "" {
			return
		}
		if keys[k.ARN] == nil {
			keys[k.ARN] = &use{key: k}
		}
		keys[k.ARN].grant = keys[k.ARN].grant || grant
	}
	for _, r := range st.Instances {
		add(r.Key, true)
	}
	for _, r := range st.ReplicationConfigs {
		add(r.Key, true)
	}
	for _, r := range st.Endpoints {
		add(r.Key, true)
		add(r.TargetKey, false)
		add(r.ContentKey, true)
	}
	for _, r := range st.InstanceProfiles {
		add(r.Key, true)
	}
	for _, r := range st.Certificates {
		add(r.Key, true)
	}
	for _, r := range st.AssessmentRuns {
		add(r.Key, false)
	}
	for _, u := range keys {
		if u.key.Policy != nil {
			findings++
			if u.grant {
				findings++
			}
			if u.key.Policy.Read || u.key.Policy.MissingPermission != "" {
				policies++
			}
		}
		if r := u.key.Rotation; r != nil && (!r.Read || r.Applies) {
			findings++
		}
		if u.key.Origin == "AWS_KMS" && u.key.Spec == "SYMMETRIC_DEFAULT" || u.key.Origin == "" {
			rotations++
		}
	}
	return findings, policies, rotations
}
