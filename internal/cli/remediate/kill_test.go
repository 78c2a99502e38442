package remediate_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/internal/awsemu"

	"github.com/cmkguard/cmkguard/internal/cli"
	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/iostreams"
	"github.com/cmkguard/cmkguard/remediate"
)

// TestHelperProcess is cmkguard itself when the test binary is re-run with
// CMKGUARD_HELPER_ARGS set (the os/exec test pattern); otherwise it does nothing.
func TestHelperProcess(t *testing.T) {
	args := os.Getenv("CMKGUARD_HELPER_ARGS")
	if args == "" {
		return
	}
	var argv []string
	if err := json.Unmarshal([]byte(args), &argv); err != nil {
		os.Exit(99)
	}
	os.Exit(cli.Main(context.Background(), &factory.Factory{IOStreams: iostreams.System(), Now: time.Now, Version: "test"}, argv))
}

// killer runs cmkguard as a separate process (the test binary re-run as
// TestHelperProcess) and kills it with SIGKILL: no cleanup, possibly in the
// middle of a journal write or between an AWS call and its journal record.
type killer struct {
	t   *testing.T
	srv *awsemu.Server
	rng *rand.Rand
}

// runUntil starts cmkguard with args and kills it once when(requests since
// start) says so; nil never kills. It says whether the process was killed,
// and how many mutating calls it made before.
func (k *killer) runUntil(args []string, when func(journalGrew bool, requests, mutations int) bool, journal string) (killed bool, mutations int, stderr string) {
	k.t.Helper()
	b, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "CMKGUARD_HELPER_ARGS="+string(b))
	var errOut strings.Builder
	cmd.Stderr = &errOut
	lines, reqs, muts := journalLines(journal), len(k.srv.Requests()), len(k.srv.MutatingRequests())
	if err := cmd.Start(); err != nil {
		k.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	poll := time.NewTicker(time.Millisecond)
	defer poll.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				k.t.Fatalf("cmkguard %v failed on its own: %v\n%s", args, err, errOut.String())
			}
			return false, len(k.srv.MutatingRequests()) - muts, errOut.String()
		case <-poll.C:
			if when != nil && when(journalLines(journal) > lines, len(k.srv.Requests())-reqs, len(k.srv.MutatingRequests())-muts) {
				if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
					k.t.Fatal(err)
				}
				<-done
				return true, len(k.srv.MutatingRequests()) - muts, errOut.String()
			}
		}
	}
}

// faults are the emulator's injected faults during the kill loops: some
// throttling and server errors on every service, retried by the product.
var killLoopFaults = awsemu.Faults{Throttle: map[string]float64{"*": 0.1}, ServerErrorRate: 0.03, Seed: 8}

// TestApplySurvivesBeingKilledOverAndOver kills a real cmkguard process at
// least 20 times during an apply (once it has journaled something new, or
// right after an AWS change, then a random number of API calls later), under throttling and
// server errors, resuming each time, until a run finishes; the end state,
// read with the AWS CLI, must be the one an uninterrupted run reaches.
func TestApplySurvivesBeingKilledOverAndOver(t *testing.T) {
	srv, url := emulator(t, smallEstate())
	srv.SetDelay(40 * time.Millisecond)
	dir := t.TempDir()
	planFile := filepath.Join(dir, "plan.json")
	journal := planFile + ".journal"
	if code, out, errOut := run(t, "remediate", "--endpoint-url", url, "--region", "us-east-1,eu-west-1", "--create-key", "alias/dms-cmk",
		"--delete-old", "--keep-identifier", "--out", planFile); code != exit.OK {
		t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
	}
	srv.SetFaults(killLoopFaults)
	k := &killer{t: t, srv: srv, rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))}
	kills, afterMutation := 0, 0
	for attempt := 0; ; attempt++ {
		if attempt == 300 {
			t.Fatalf("no run finished after %d attempts", attempt)
		}
		args := []string{"remediate", "--resume", journal, "--yes", "--endpoint-url", url, "--poll-interval", "5ms"}
		if remediate.Unstarted(journal) {
			args = []string{"remediate", "--apply", planFile, "--yes", "--endpoint-url", url, "--poll-interval", "5ms"}
		}
		// Two kills in three come once the run has journaled something new,
		// one right after an AWS change (before its journal record: the
		// answer is, in effect, lost); each a random 0 to 3 calls later.
		extra := k.rng.IntN(4)
		var when func(bool, int, int) bool
		if kills < 30 {
			startAt := -1
			afterChange := attempt%3 == 2
			when = func(grew bool, requests, mutations int) bool {
				if startAt < 0 && (grew && !afterChange || mutations > 0 && afterChange) {
					startAt = requests
				}
				return startAt >= 0 && requests >= startAt+extra
			}
		}
		killed, muts, _ := k.runUntil(args, when, journal)
		if !killed {
			break
		}
		kills++
		if muts > 0 {
			afterMutation++
		}
	}
	srv.SetFaults(awsemu.Faults{})
	t.Logf("apply: finished after %d kill -9 (%d of them after the run had changed something)", kills, afterMutation)
	if kills < 20 {
		t.Errorf("only %d kill(s) landed, want at least 20", kills)
	}
	checkKilledRunEnd(t, url)
}

// rollbackEstate: 23 instances without tasks, then one with a running and
// a stopped task (steps run in identifier order, so the apply creates 24
// replacements before it reaches the first move, and the rollback has 27
// changes to make).
func rollbackEstate() *awsemu.Estate {
	e := &awsemu.Estate{DefaultAccount: "111122223333",
		Endpoints: []awsemu.EstateEndpoint{
			{ID: "src", Region: "us-east-1", Type: "source", Engine: "mysql"},
			{ID: "tgt", Region: "us-east-1", Type: "target", Engine: "postgres"},
		},
		ReplicationTasks: []awsemu.EstateReplicationTask{
			{ID: "zorders-cdc", Region: "us-east-1", Instance: "zorders", Source: "src", Target: "tgt", Status: "running"},
			{ID: "zorders-full", Region: "us-east-1", Instance: "zorders", Source: "src", Target: "tgt", Status: "stopped"},
		},
	}
	var ids []string
	for i := 1; i <= 23; i++ {
		ids = append(ids, fmt.Sprintf("a%02d", i))
	}
	for _, id := range append(ids, "zorders") {
		e.ReplicationInstances = append(e.ReplicationInstances, awsemu.EstateReplicationInstance{ID: id, Region: "us-east-1", Class: "dms.t3.medium", AllocatedStorage: 50, EngineVersion: "3.5.2"})
	}
	return e
}

// TestRollbackSurvivesBeingKilledOverAndOver: an apply stops at its first
// move (denied) with 24 replacements made and a task stopped; the rollback
// is then killed at least 20 times, each after a random number of its API
// calls, under throttling and server errors, and re-run until it finishes.
// The world, read with the AWS CLI, must be as before the apply: every task
// in its prior state, every old instance on its old key, no replacement, no
// alias, the key scheduled for deletion.
func TestRollbackSurvivesBeingKilledOverAndOver(t *testing.T) {
	srv, url := emulator(t, rollbackEstate())
	srv.SetDelay(40 * time.Millisecond)
	before, how := checkedWorld(t, url, "us-east-1")
	planFile := filepath.Join(t.TempDir(), "plan.json")
	journal := planFile + ".journal"
	if code, out, errOut := run(t, "remediate", "--endpoint-url", url, "--region", "us-east-1", "--create-key", "alias/dms-cmk", "--out", planFile); code != exit.OK {
		t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
	}
	srv.AddDeny(awsemu.DenyRule{Action: "dms:MoveReplicationTask"})
	if code, _, errOut := run(t, "remediate", "--apply", planFile, "--yes", "--poll-interval", "5ms", "--endpoint-url", url); code != exit.Error || !strings.Contains(errOut, "zorders-cdc/move failed") {
		t.Fatalf("apply: exit %d, want the move to fail; stderr:\n%s", code, errOut)
	}
	srv.ClearDeny()
	if w := sdkWorld(t, url, "us-east-1"); !slices.Contains(w, "instance a23-cmk CUSTOMER available") || !slices.Contains(w, "task zorders-cdc on zorders stopped") {
		t.Fatalf("the test needs six replacements and zorders-cdc stopped: %v", w)
	}
	srv.SetFaults(killLoopFaults)
	k := &killer{t: t, srv: srv, rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))}
	kills, afterMutation := 0, 0
	args := []string{"remediate", "--rollback", journal, "--yes", "--endpoint-url", url, "--poll-interval", "5ms"}
	for attempt := 0; ; attempt++ {
		if attempt == 200 {
			t.Fatalf("no rollback finished after %d attempts", attempt)
		}
		// Each kill comes a random 0 to 3 calls after the rollback's first
		// change in this run: between a call and its journal record, or in
		// the wait that follows.
		var when func(bool, int, int) bool
		if kills < 30 {
			extra, startAt := k.rng.IntN(4), -1
			when = func(_ bool, requests, mutations int) bool {
				if startAt < 0 && mutations > 0 {
					startAt = requests
				}
				return startAt >= 0 && requests >= startAt+extra
			}
		}
		killed, muts, stderr := k.runUntil(args, when, journal)
		if !killed {
			if !strings.Contains(stderr, "Rolled back plan") {
				t.Fatalf("the last rollback did not say it rolled back:\n%s", stderr)
			}
			break
		}
		kills++
		if muts > 0 {
			afterMutation++
		}
	}
	srv.SetFaults(awsemu.Faults{})
	t.Logf("rollback: finished after %d kill -9 (%d of them after the rollback had changed something)", kills, afterMutation)
	if kills < 20 {
		t.Errorf("only %d kill(s) landed, want at least 20", kills)
	}
	got, how := checkedWorld(t, url, "us-east-1")
	want := append(slices.Clone(before), "key CUSTOMER PendingDeletion")
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("world after the rollback, read with the %s (-before +after):\n%s", how, diff)
	}
}

// journalLines counts the complete lines of a journal (0 when missing).
func journalLines(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "\n")
}

// checkKilledRunEnd checks the end state with the AWS CLI (else the SDK):
// names kept, every task on a customer-key instance in its prior state, one
// key and alias per region, no other instance, key or alias.
func checkKilledRunEnd(t *testing.T, url string) {
	t.Helper()
	var got []string
	how := ""
	for _, region := range []string{"eu-west-1", "us-east-1"} {
		lines, by := checkedWorld(t, url, region)
		how = by
		for _, l := range lines {
			got = append(got, region+" "+l)
		}
	}
	want := []string{
		"eu-west-1 alias alias/dms-cmk",
		"eu-west-1 instance billing CUSTOMER available",
		"eu-west-1 key CUSTOMER Enabled",
		"us-east-1 alias alias/dms-cmk",
		"us-east-1 instance orders CUSTOMER available",
		"us-east-1 key CUSTOMER Enabled",
		"us-east-1 task orders-cdc on orders running",
		"us-east-1 task orders-full on orders stopped",
		"us-east-1 task orders-new on orders ready",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("end state, read with the %s (-want +got):\n%s", how, diff)
	}
}
