package remediate_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/internal/awsemu"
	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/remediate"
)

// The remediation items of issue 8 through the command line, against the
// in-process emulator through the real SDK.

// makePlan plans smallEstate's us-east-1 with a new key and returns the plan file.
func makePlan(t *testing.T, url string, extra ...string) string {
	t.Helper()
	planFile := filepath.Join(t.TempDir(), "plan.json")
	args := append([]string{"remediate", "--endpoint-url", url, "--region", "us-east-1", "--create-key", "alias/dms-cmk", "--delete-old", "--keep-identifier", "--out", planFile}, extra...)
	if code, out, errOut := run(t, args...); code != exit.OK {
		t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
	}
	return planFile
}

// failMidRun applies planFile with MoveReplicationTask denied: the run
// stops after stopping orders-cdc, with nothing moved.
func failMidRun(t *testing.T, srv *awsemu.Server, url, planFile string, extra ...string) {
	t.Helper()
	srv.AddDeny(awsemu.DenyRule{Action: "dms:MoveReplicationTask"})
	defer srv.ClearDeny()
	code, _, errOut := run(t, append([]string{"remediate", "--apply", planFile, "--yes", "--poll-interval", "1ms", "--endpoint-url", url}, extra...)...)
	if code != exit.Error || !strings.Contains(errOut, "move failed") && !strings.Contains(errOut, "/move failed") {
		t.Fatalf("apply: exit %d, want a failed move; stderr:\n%s", code, errOut)
	}
}

// Item 13: a second journal for a plan already being applied is refused,
// before any call and without writing that journal.
func TestOnePlanIsAppliedByOneRunWhateverTheJournal(t *testing.T) {
	srv, url := emulator(t, smallEstate())
	planFile := makePlan(t, url)
	failMidRun(t, srv, url, planFile)
	other := filepath.Join(t.TempDir(), "other.journal")
	srv.ResetLog()
	code, _, errOut := run(t, "remediate", "--apply", planFile, "--journal", other, "--yes", "--endpoint-url", url)
	if code != exit.Error || !strings.Contains(errOut, "is already applied by journal "+planFile+".journal") || !strings.Contains(errOut, "--resume "+planFile+".journal") {
		t.Fatalf("second apply: exit %d, stderr:\n%s", code, errOut)
	}
	if got := mutatingCalls(srv); len(got) != 0 {
		t.Errorf("the refused apply made mutating calls: %v", got)
	}
	if _, err := os.Stat(other); !os.IsNotExist(err) {
		t.Errorf("the refused apply wrote its journal (stat: %v)", err)
	}

	t.Run("from another machine, the plan's tags in AWS refuse it", func(t *testing.T) {
		t.Setenv(remediate.StateDirEnv, t.TempDir()) // no claim on this machine
		srv.ResetLog()
		code, _, errOut := run(t, "remediate", "--apply", planFile, "--journal", other, "--yes", "--endpoint-url", url)
		if code != exit.Error || !strings.Contains(errOut, "has already been applied by another run (found in AWS: key arn:aws:kms:us-east-1:") ||
			!strings.Contains(errOut, "instance orders-cmk in us-east-1") {
			t.Fatalf("apply: exit %d, stderr:\n%s", code, errOut)
		}
		if got := mutatingCalls(srv); len(got) != 0 {
			t.Errorf("the refused apply made mutating calls: %v", got)
		}
		if _, err := os.Stat(other); !os.IsNotExist(err) {
			t.Errorf("the refused apply wrote its journal (stat: %v)", err)
		}
	})
}

// Item 15: with its journal lost, a run is finished (or undone) from the
// plan's tags in AWS, by following what the refusal says.
func TestALostJournalNeverLeavesThePlanStuck(t *testing.T) {
	for _, way := range []string{"--resume", "--rollback"} {
		t.Run(way, func(t *testing.T) {
			srv, url := emulator(t, smallEstate())
			planFile := makePlan(t, url)
			failMidRun(t, srv, url, planFile)
			if err := os.Remove(planFile + ".journal"); err != nil {
				t.Fatal(err)
			}
			code, _, errOut := run(t, "remediate", "--apply", planFile, "--yes", "--endpoint-url", url)
			if code != exit.Error || !strings.Contains(errOut, "which no longer exists") || !strings.Contains(errOut, way+" "+planFile) {
				t.Fatalf("apply after the journal was lost: exit %d, want it to point at %s %s; stderr:\n%s", code, way, planFile, errOut)
			}
			code, _, errOut = run(t, "remediate", way, planFile, "--yes", "--poll-interval", "1ms", "--endpoint-url", url)
			if code != exit.OK {
				t.Fatalf("%s %s: exit %d, stderr:\n%s", way, planFile, code, errOut)
			}
			got := cliWorld(t, url)
			want := []string{"alias alias/dms-cmk", "instance orders CUSTOMER available", "key CUSTOMER Enabled",
				"task orders-cdc on orders running", "task orders-full on orders stopped", "task orders-new on orders ready"}
			if way == "--rollback" {
				want = []string{"instance orders AWS available", "key CUSTOMER PendingDeletion",
					"task orders-cdc on orders running", "task orders-full on orders stopped", "task orders-new on orders ready"}
				for _, said := range []string{"rollback: restarted task orders-cdc", "rollback: deleted instance orders-cmk", "rollback: removed alias alias/dms-cmk", "rollback: scheduled deletion of key"} {
					if !strings.Contains(errOut, said) {
						t.Errorf("the rollback does not say %q:\n%s", said, errOut)
					}
				}
			}
			if !slices.Equal(want, got) {
				t.Errorf("world after %s:\n got %q\nwant %q", way, got, want)
			}
		})
	}
}

// Item 17: a signed plan edited and re-sealed (as whoever can edit the file
// can) is refused; the prompt says what an unsigned digest proves and shows
// the key policy.
func TestASignedPlanCannotBeEditedAndResealed(t *testing.T) {
	srv, url := emulator(t, smallEstate())
	key := filepath.Join(t.TempDir(), "plan.key")
	if err := os.WriteFile(key, []byte(strings.Repeat("k", 40)), 0o600); err != nil {
		t.Fatal(err)
	}
	planFile := makePlan(t, url, "--sign-key", key)
	p, err := remediate.LoadPlan(planFile)
	if err != nil || !strings.HasPrefix(p.Signature, "hmac-sha256:") {
		t.Fatalf("plan: %v, signature %q", err, p.Signature)
	}
	// The attacker re-targets the key policy and recomputes the digest.
	p.Keys[0].Policy = strings.Replace(p.Keys[0].Policy, "111122223333:root", "999999999999:root", 1)
	if err := p.Seal(); err != nil {
		t.Fatal(err)
	}
	edited := filepath.Join(t.TempDir(), "edited.json")
	f, err := os.Create(edited)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Write(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	srv.ResetLog()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--apply", edited, "--sign-key", key}, "signature does not match"},
		{[]string{"--apply", edited}, "the plan is signed: pass the same --sign-key"},
		{[]string{"--apply", planFile}, "the plan is signed: pass the same --sign-key"},
	} {
		code, _, errOut := run(t, append(append([]string{"remediate"}, tt.args...), "--yes", "--endpoint-url", url)...)
		if code == exit.OK || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, want %q; stderr:\n%s", tt.args, code, tt.want, errOut)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("refused plans made %d call(s)", n)
	}
	if code, _, errOut := run(t, "remediate", "--apply", planFile, "--sign-key", key, "--yes", "--poll-interval", "1ms", "--endpoint-url", url); code != exit.OK {
		t.Fatalf("the signed plan: exit %d\n%s", code, errOut)
	}
}

// Item 18: flags, regions and the endpoint are checked as audit checks
// them, before any call.
func TestRemediateValidatesLikeAuditBeforeAnyCall(t *testing.T) {
	srv, url := emulator(t, smallEstate())
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--region", "xx-fake-1", "--create-key", "alias/k"}, `--region "xx-fake-1": not an AWS region name`},
		{[]string{"--region", "us-east-1,cn-north-1", "--create-key", "alias/k"}, "belong to different AWS partitions"},
		{[]string{"--endpoint-url", "localhost:4566", "--create-key", "alias/k"}, `--endpoint-url "localhost:4566": want an http:// or https:// URL`},
		{[]string{"--create-key", "alias/aws/dms"}, "reserved for AWS-managed keys"},
		{[]string{"--create-key", "alias/k", "--key-user", "not-an-arn"}, `key user "not-an-arn"`},
		{[]string{"--kms-key", "alias/k", "--key-admin", "arn:aws:iam::111122223333:role/A"}, "go with --create-key"},
		{[]string{"--create-key", "alias/k", "--keep-identifier"}, "--keep-identifier needs --delete-old"},
		{[]string{"--create-key", "alias/k", "--sign-key", "/does/not/exist"}, "--sign-key"},
	} {
		srv.ResetLog()
		args := append([]string{"remediate"}, tt.args...)
		if !slices.Contains(args, "--endpoint-url") {
			args = append(args, "--endpoint-url", url)
		}
		code, _, errOut := run(t, args...)
		if code != exit.Usage || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, want 2 and %q; stderr:\n%s", tt.args, code, tt.want, errOut)
		}
		if n := len(srv.Requests()); n != 0 {
			t.Errorf("%v: %d call(s) before the flags were refused", tt.args, n)
		}
	}
}

// Item 18: a refused apply writes no journal; --resume needs the consent
// --apply needs; waits say they wait.
func TestRefusedApplyWritesNoJournalAndResumeNeedsConsent(t *testing.T) {
	srv, url := emulator(t, smallEstate())
	planFile := makePlan(t, url)
	// Drift: someone starts orders-full after the plan.
	var taskARN string
	p, err := remediate.LoadPlan(planFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range p.Replacements[0].Tasks {
		if task.ID == "orders-full" {
			taskARN = task.ARN
		}
	}
	sdkStartTask(t, url, taskARN)
	code, _, errOut := run(t, "remediate", "--apply", planFile, "--yes", "--endpoint-url", url)
	if code != exit.Error || !strings.Contains(errOut, "task orders-full was stopped, is now") {
		t.Fatalf("apply with drift: exit %d, stderr:\n%s", code, errOut)
	}
	if _, err := os.Stat(planFile + ".journal"); !os.IsNotExist(err) {
		t.Errorf("the refused apply wrote a journal (stat: %v)", err)
	}

	planFile2 := makePlan(t, url)
	failMidRun(t, srv, url, planFile2)
	code, _, errOut = run(t, "remediate", "--resume", planFile2+".journal", "--endpoint-url", url)
	if code != exit.Usage || !strings.Contains(errOut, "--resume changes the account: pass --yes") {
		t.Fatalf("resume without consent: exit %d, stderr:\n%s", code, errOut)
	}
	srv.SetDelay(30 * time.Millisecond)
	code, _, errOut = run(t, "remediate", "--resume", planFile2+".journal", "--yes", "--poll-interval", "1ms", "--endpoint-url", url)
	if code != exit.OK {
		t.Fatalf("resume: exit %d, stderr:\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "  waiting for task ") || !strings.Contains(errOut, " (up to 1h0m0s)") || !strings.Contains(errOut, "  done waiting for ") {
		t.Errorf("no wait was shown on stderr:\n%s", errOut)
	}
}

// Item 18: the live plan covers serverless configs and lists the findings
// it does not fix.
func TestTheLivePlanCoversServerlessAndListsWhatItDoesNotFix(t *testing.T) {
	e := smallEstate()
	e.ReplicationConfigs = []awsemu.EstateReplicationConfig{{ID: "fresh", Region: "us-east-1", Source: "src", Target: "tgt", ReplicationType: "cdc", MaxCapacityUnits: 4}}
	_, url := emulator(t, e)
	code, out, errOut := run(t, "remediate", "--endpoint-url", url, "--region", "us-east-1", "--create-key", "alias/dms-cmk", "--format", "json")
	if code != exit.OK {
		t.Fatalf("plan: exit %d\n%s", code, errOut)
	}
	var p remediate.Plan
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Configs) != 1 || p.Configs[0].Old.ID != "fresh" || p.Configs[0].Action != remediate.ConfigModify {
		t.Errorf("the live plan's serverless configs: %+v, want fresh, modified", p.Configs)
	}
	notes := strings.Join(p.Notes, "\n")
	for _, want := range []string{"not fixed by this plan: arn:aws:dms:us-east-1:111122223333:endpoint:", "CMKG-DMS-005"} {
		if !strings.Contains(notes, want) {
			t.Errorf("the plan's notes do not say %q:\n%s", want, notes)
		}
	}
}

// Plans and journals are 0600 whatever existed before (they name every
// resource of the account that the run touches).
func TestPlansAndJournalsAreOwnerOnly(t *testing.T) {
	_, url := emulator(t, smallEstate())
	dir := t.TempDir()
	planFile := filepath.Join(dir, "plan.json")
	journal := planFile + ".journal"
	for _, f := range []string{planFile, journal} {
		if err := os.WriteFile(f, nil, 0o644); err != nil { // left by someone, or by a run killed at once
			t.Fatal(err)
		}
	}
	if code, _, errOut := run(t, "remediate", "--endpoint-url", url, "--region", "us-east-1", "--create-key", "alias/dms-cmk", "--out", planFile); code != exit.OK {
		t.Fatalf("plan: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := run(t, "remediate", "--apply", planFile, "--yes", "--poll-interval", "1ms", "--endpoint-url", url); code != exit.OK {
		t.Fatalf("apply: exit %d\n%s", code, errOut)
	}
	for _, f := range []string{planFile, journal} {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", filepath.Base(f), st.Mode().Perm())
		}
	}
}
