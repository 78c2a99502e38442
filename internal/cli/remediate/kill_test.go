package remediate_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/google/go-cmp/cmp"

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

// TestApplySurvivesBeingKilledOverAndOver kills a real cmkguard process
// (SIGKILL: no cleanup, possibly mid-write) again and again during an apply,
// resuming each time, until a run finishes; the end state must be the one
// an uninterrupted run reaches.
func TestApplySurvivesBeingKilledOverAndOver(t *testing.T) {
	srv, url := emulator(t, smallEstate())
	srv.SetDelay(60 * time.Millisecond)
	dir := t.TempDir()
	planFile := filepath.Join(dir, "plan.json")
	journal := planFile + ".journal"
	if code, out, errOut := run(t, "remediate", "--endpoint-url", url, "--region", "us-east-1,eu-west-1", "--create-key", "alias/dms-cmk",
		"--delete-old", "--keep-identifier", "--out", planFile); code != exit.OK {
		t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
	}
	kills := 0
	for attempt := 0; ; attempt++ {
		if attempt == 300 {
			t.Fatalf("no run finished after %d attempts", attempt)
		}
		args := []string{"remediate", "--resume", journal, "--yes", "--endpoint-url", url, "--poll-interval", "5ms"}
		if remediate.Unstarted(journal) {
			args = []string{"remediate", "--apply", planFile, "--yes", "--endpoint-url", url, "--poll-interval", "5ms"}
		}
		b, _ := json.Marshal(args)
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
		cmd.Env = append(os.Environ(), "CMKGUARD_HELPER_ARGS="+string(b))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		before := journalLines(journal)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		// Kill once the run has journaled something new (so every run makes
		// progress and the loop ends), a little later each time in the step.
		killAt := time.Duration(attempt%4) * 15 * time.Millisecond
		var progressed <-chan time.Time
		poll := time.NewTicker(2 * time.Millisecond)
	wait:
		for {
			select {
			case err := <-done:
				poll.Stop()
				if err != nil {
					t.Fatalf("run %d failed on its own: %v\n%s", attempt, err, stderr.String())
				}
				t.Logf("finished after %d kill(s)", kills)
				checkKilledRunEnd(t)
				if kills < 3 {
					t.Errorf("only %d kill(s) landed: the test proves little", kills)
				}
				return
			case <-poll.C:
				if progressed == nil && journalLines(journal) > before+1 {
					progressed = time.After(killAt)
				}
			case <-progressed:
				poll.Stop()
				if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
					t.Fatal(err)
				}
				<-done
				kills++
				break wait
			}
		}
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

// checkKilledRunEnd checks the end state through the SDK: names kept, every
// task on a customer-key instance in its prior state, one key and alias per
// region, no other instance.
func checkKilledRunEnd(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, region := range []string{"eu-west-1", "us-east-1"} {
		d := dms.NewFromConfig(cfg, func(o *dms.Options) { o.Region = region; o.BaseEndpoint = aws.String(os.Getenv("CMKGUARD_TEST_URL")) })
		k := kms.NewFromConfig(cfg, func(o *kms.Options) { o.Region = region; o.BaseEndpoint = aws.String(os.Getenv("CMKGUARD_TEST_URL")) })
		ris, err := d.DescribeReplicationInstances(ctx, &dms.DescribeReplicationInstancesInput{})
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]string{}
		for _, ri := range ris.ReplicationInstances {
			key, err := k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: ri.KmsKeyId})
			if err != nil {
				t.Fatal(err)
			}
			names[aws.ToString(ri.ReplicationInstanceArn)] = aws.ToString(ri.ReplicationInstanceIdentifier)
			got = append(got, fmt.Sprintf("%s instance %s %s %s", region, aws.ToString(ri.ReplicationInstanceIdentifier), key.KeyMetadata.KeyManager, aws.ToString(ri.ReplicationInstanceStatus)))
		}
		if tasks, err := d.DescribeReplicationTasks(ctx, &dms.DescribeReplicationTasksInput{}); err == nil {
			for _, tk := range tasks.ReplicationTasks {
				got = append(got, fmt.Sprintf("%s task %s on %s %s", region, aws.ToString(tk.ReplicationTaskIdentifier), names[aws.ToString(tk.ReplicationInstanceArn)], aws.ToString(tk.Status)))
			}
		}
		keys, err := k.ListKeys(ctx, &kms.ListKeysInput{})
		if err != nil {
			t.Fatal(err)
		}
		for _, key := range keys.Keys {
			m, err := k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: key.KeyArn})
			if err != nil {
				t.Fatal(err)
			}
			if m.KeyMetadata.KeyManager == "CUSTOMER" {
				got = append(got, fmt.Sprintf("%s key %s", region, m.KeyMetadata.KeyState))
			}
		}
		aliases, err := k.ListAliases(ctx, &kms.ListAliasesInput{})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range aliases.Aliases {
			if !strings.HasPrefix(aws.ToString(a.AliasName), "alias/aws/") {
				got = append(got, region+" alias "+aws.ToString(a.AliasName))
			}
		}
	}
	sort.Strings(got)
	want := []string{
		"eu-west-1 alias alias/dms-cmk",
		"eu-west-1 instance billing CUSTOMER available",
		"eu-west-1 key Enabled",
		"us-east-1 alias alias/dms-cmk",
		"us-east-1 instance orders CUSTOMER available",
		"us-east-1 key Enabled",
		"us-east-1 task orders-cdc on orders running",
		"us-east-1 task orders-full on orders stopped",
		"us-east-1 task orders-new on orders ready",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("end state (-want +got):\n%s", diff)
	}
}
