package remediate_test

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/internal/awsemu"
	"github.com/cmkguard/cmkguard/internal/cli/exit"
)

// requireAWSCLI returns the AWS CLI's path, or skips (fails under
// CMKGUARD_REQUIRE_AWSCLI=1 or CI=1).
func requireAWSCLI(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CMKGUARD_REQUIRE_AWSCLI") == "1" || os.Getenv("CI") == "1" {
			t.Fatal("the aws CLI is required (CMKGUARD_REQUIRE_AWSCLI=1 or CI=1) but not found")
		}
		t.Skip("aws CLI not installed (set CMKGUARD_REQUIRE_AWSCLI=1 to require it)")
	}
	return p
}

// shellRunner runs a `--format shell` script with the real AWS CLI against
// the emulator at url (a wrapper first on PATH adds --endpoint-url).
type shellRunner struct {
	t      *testing.T
	script string
	env    []string
}

func newShellRunner(t *testing.T, url, script string) *shellRunner {
	t.Helper()
	realAWS := requireAWSCLI(t)
	bin := t.TempDir()
	wrapper := "#!/bin/sh\nexec " + realAWS + " --endpoint-url " + url + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "aws"), []byte(wrapper), 0o700); err != nil {
		t.Fatal(err)
	}
	return &shellRunner{t: t, script: script, env: append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"AWS_DEFAULT_REGION=us-east-1", "CMKGUARD_POLL_SECONDS=0.1")}
}

// run runs the script; killAfter > 0 kills it (and its AWS CLI) with
// SIGKILL that long after it started. It says whether the script
// succeeded, and whether the kill landed.
func (s *shellRunner) run(killAfter time.Duration) (ok, killed bool, out string) {
	s.t.Helper()
	cmd := exec.Command("bash", s.script)
	cmd.Env = s.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var timer <-chan time.Time
	if killAfter > 0 {
		timer = time.After(killAfter)
	}
	select {
	case err := <-done:
		return err == nil, false, buf.String()
	case <-timer:
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return false, true, buf.String()
	}
}

// TestShellScriptIsSafeToRunAgain: the `--format shell` script, run with the
// AWS CLI, is interrupted by a refused CreateAlias (a key without alias), by a
// refused move (a task it stopped), by kill -9 at random points, then run to
// the end and run again after success. The end is the one an uninterrupted
// run reaches: one key, one alias, the replacement under the old name, every
// task in its prior state, and the second run after success changes nothing.
func TestShellScriptIsSafeToRunAgain(t *testing.T) {
	requireAWSCLI(t)
	srv, url := emulator(t, smallEstate())
	code, out, errOut := run(t, "remediate", "--endpoint-url", url, "--region", "us-east-1", "--create-key", "alias/dms-cmk",
		"--delete-old", "--keep-identifier", "--format", "shell")
	if code != exit.OK {
		t.Fatalf("plan: exit %d\n%s", code, errOut)
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "fix.sh")
	if err := os.WriteFile(script, []byte(out), 0o700); err != nil {
		t.Fatal(err)
	}
	sh := newShellRunner(t, url, script)

	srv.AddDeny(awsemu.DenyRule{Action: "kms:CreateAlias"})
	if ok, _, out := sh.run(0); ok || !strings.Contains(out, "CreateAlias") {
		t.Fatalf("run with CreateAlias denied: ok=%v\n%s", ok, out)
	}
	srv.ClearDeny()
	srv.AddDeny(awsemu.DenyRule{Action: "dms:MoveReplicationTask"})
	if ok, _, out := sh.run(0); ok || !strings.Contains(out, "MoveReplicationTask") {
		t.Fatalf("run with MoveReplicationTask denied: ok=%v\n%s", ok, out)
	}
	srv.ClearDeny()
	if w := cliWorld(t, url); !slices.Contains(w, "task orders-cdc on orders stopped") {
		t.Fatalf("the test needs orders-cdc stopped by the script: %v", w)
	}

	kills, runs := 0, 2
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 8))
	for attempt := 0; ; attempt++ {
		if attempt == 30 {
			t.Fatalf("the script never finished after %d runs", runs)
		}
		var killAfter time.Duration
		if kills < 3 {
			killAfter = time.Duration(1000+rng.IntN(6000)) * time.Millisecond
		}
		runs++
		ok, killed, out := sh.run(killAfter)
		if killed {
			kills++
			continue
		}
		if !ok {
			t.Fatalf("run %d failed on its own:\n%s", runs, out)
		}
		break
	}
	want := []string{"alias alias/dms-cmk", "instance orders CUSTOMER available", "key CUSTOMER Enabled",
		"task orders-cdc on orders running", "task orders-full on orders stopped", "task orders-new on orders ready"}
	if got := cliWorld(t, url); !slices.Equal(want, got) {
		t.Errorf("after %d run(s), %d kill(s):\n got %q\nwant %q", runs, kills, got, want)
	}
	srv.ResetLog()
	if ok, _, out := sh.run(0); !ok {
		t.Fatalf("a run after success failed:\n%s", out)
	}
	if got := mutatingCalls(srv); len(got) != 0 {
		t.Errorf("a run after success changed the account: %v", got)
	}
	if got := cliWorld(t, url); !slices.Equal(want, got) {
		t.Errorf("after a run after success:\n got %q\nwant %q", got, want)
	}
	t.Logf("shell script: %d run(s), %d kill -9, then one more run after success", runs+1, kills)
}
