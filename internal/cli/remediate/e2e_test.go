package remediate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard"
	"github.com/cmkguard/cmkguard/internal/awsemu"
	"github.com/cmkguard/cmkguard/internal/cli"
	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/cli/permissions"
	"github.com/cmkguard/cmkguard/internal/estatefile"
	"github.com/cmkguard/cmkguard/internal/iostreams"
	"github.com/cmkguard/cmkguard/remediate"
)

// emulator starts the emulator on 127.0.0.1 with estate and points the
// standard AWS configuration of this process at it. Tests that call it set
// environment variables, so they do not run in parallel.
func emulator(t *testing.T, estate *awsemu.Estate) (*awsemu.Server, string) {
	t.Helper()
	srv := awsemu.New(awsemu.Options{DefaultAccount: "111122223333"})
	if estate != nil {
		if err := srv.LoadEstate(estate); err != nil {
			t.Fatalf("load estate: %v", err)
		}
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	t.Setenv("CMKGUARD_TEST_URL", ts.URL)
	home := t.TempDir()
	t.Setenv(remediate.StateDirEnv, filepath.Join(home, "state"))
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIATEST", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "",
		"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_PROFILE": "", "AWS_ENDPOINT_URL": "",
		"AWS_CONFIG_FILE": filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "credentials"),
	} {
		t.Setenv(k, v) // restored after the test
		if v == "" {
			os.Unsetenv(k)
		}
	}
	return srv, ts.URL
}

// run runs cmkguard in-process and returns its exit code, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	f := &factory.Factory{IOStreams: ios, Now: time.Now, Version: "test"}
	code := cli.Main(context.Background(), f, args)
	return code, out.String(), errOut.String()
}

func mutatingCalls(srv *awsemu.Server) []string {
	var out []string
	for _, r := range srv.MutatingRequests() {
		out = append(out, r.Region+" "+r.Action())
	}
	return out
}

func TestRemediatePlanOnTheDemoEstateMakesNoMutatingCall(t *testing.T) {
	demo, err := estatefile.Parse(cmkguard.DemoEstateYAML)
	if err != nil {
		t.Fatal(err)
	}
	srv, url := emulator(t, demo)
	dir := t.TempDir()
	planFile := filepath.Join(dir, "plan.json")
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"live audit, new key", []string{"remediate", "--endpoint-url", url, "--create-key", "alias/cmkguard-dms", "--delete-old", "--keep-identifier", "--out", planFile}},
		{"live audit, as shell commands", []string{"remediate", "--endpoint-url", url, "--create-key", "alias/cmkguard-dms", "--format", "shell"}},
		{"existing key in one region", []string{"remediate", "--endpoint-url", url, "--region", "us-east-1", "--kms-key", "alias/dms-orders", "--format", "json"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv.ResetLog()
			code, out, errOut := run(t, tt.args...)
			if code != exit.OK {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			if got := mutatingCalls(srv); len(got) != 0 {
				t.Errorf("planning made mutating calls: %v", got)
			}
			if len(srv.Requests()) == 0 {
				t.Fatal("no request reached the emulator: the test proves nothing")
			}
			if !strings.Contains(out, "arn:aws:dms:us-east-1:111122223333:rep:") {
				t.Errorf("the plan names no us-east-1 instance to replace:\n%s", out)
			}
		})
	}
	p, err := remediate.LoadPlan(planFile)
	if err != nil {
		t.Fatalf("the plan written with --out does not load: %v", err)
	}
	if p.Account != "111122223333" || len(p.Replacements) == 0 || p.Source.Kind != "live" {
		t.Errorf("plan: account %s, %d replacement(s), source %+v", p.Account, len(p.Replacements), p.Source)
	}
}

// smallEstate: two regions, running, stopped and never-started tasks, an
// instance without tasks.
func smallEstate() *awsemu.Estate {
	return &awsemu.Estate{
		DefaultAccount: "111122223333",
		ReplicationInstances: []awsemu.EstateReplicationInstance{
			{ID: "orders", Region: "us-east-1", Class: "dms.t3.medium", AllocatedStorage: 50, EngineVersion: "3.5.2", Tags: map[string]string{"team": "orders"}},
			{ID: "billing", Region: "eu-west-1", Class: "dms.t3.large", AllocatedStorage: 20, EngineVersion: "3.4.7", MultiAZ: true},
		},
		Endpoints: []awsemu.EstateEndpoint{
			{ID: "src", Region: "us-east-1", Type: "source", Engine: "mysql"},
			{ID: "tgt", Region: "us-east-1", Type: "target", Engine: "postgres"},
		},
		ReplicationTasks: []awsemu.EstateReplicationTask{
			{ID: "orders-cdc", Region: "us-east-1", Instance: "orders", Source: "src", Target: "tgt", Status: "running"},
			{ID: "orders-full", Region: "us-east-1", Instance: "orders", Source: "src", Target: "tgt", Status: "stopped"},
			{ID: "orders-new", Region: "us-east-1", Instance: "orders", Source: "src", Target: "tgt", Status: "ready"},
		},
	}
}

func TestAuditRemediateAuditThroughTheCommandLine(t *testing.T) {
	srv, url := emulator(t, smallEstate())
	dir := t.TempDir()
	report, planFile := filepath.Join(dir, "audit.json"), filepath.Join(dir, "plan.json")
	regions := []string{"--region", "us-east-1,eu-west-1", "--endpoint-url", url}

	code, out, errOut := run(t, append([]string{"audit", "--format", "json=" + report}, regions...)...)
	if code != exit.Findings {
		t.Fatalf("first audit: exit %d, want %d (findings)\n%s%s", code, exit.Findings, out, errOut)
	}
	srv.ResetLog()
	code, out, errOut = run(t, append([]string{"remediate", "--from-report", report, "--create-key", "alias/dms-cmk", "--delete-old", "--keep-identifier", "--out", planFile}, regions...)...)
	if code != exit.OK {
		t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
	}
	if got := mutatingCalls(srv); len(got) != 0 {
		t.Fatalf("planning from a report made mutating calls: %v", got)
	}

	t.Run("apply refuses to run unattended without --yes", func(t *testing.T) {
		code, _, errOut := run(t, "remediate", "--apply", planFile, "--endpoint-url", url)
		if code != exit.Usage || !strings.Contains(errOut, "pass --yes when not interactive") {
			t.Fatalf("exit %d, stderr:\n%s", code, errOut)
		}
		if got := mutatingCalls(srv); len(got) != 0 {
			t.Fatalf("a refused apply made mutating calls: %v", got)
		}
	})
	t.Run("apply refuses a plan for another region", func(t *testing.T) {
		code, _, errOut := run(t, "remediate", "--apply", planFile, "--yes", "--region", "us-east-1", "--endpoint-url", url)
		if code != exit.Error || !strings.Contains(errOut, "covers region eu-west-1, which is not among --region us-east-1") {
			t.Fatalf("exit %d, stderr:\n%s", code, errOut)
		}
	})

	code, out, errOut = run(t, "remediate", "--apply", planFile, "--yes", "--poll-interval", "1ms", "--endpoint-url", url)
	if code != exit.OK {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "Journal: "+planFile+".journal") {
		t.Errorf("apply did not say where its journal is:\n%s", errOut)
	}
	// What remediation replaces; the estate's endpoints stay on aws/dms.
	code, out, errOut = run(t, append([]string{"audit", "--scope", "instances,serverless", "--format", "json"}, regions...)...)
	if code != exit.OK {
		t.Fatalf("audit after remediation: exit %d\n%s%s", code, out, errOut)
	}
	var rep struct {
		Summary struct{ Pass, Fail, Unknown int }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Fail != 0 || rep.Summary.Unknown != 0 || rep.Summary.Pass == 0 {
		t.Errorf("audit after remediation: %+v, want only PASS", rep.Summary)
	}

	t.Run("a second apply of the same plan points at --resume", func(t *testing.T) {
		code, _, errOut := run(t, "remediate", "--apply", planFile, "--yes", "--endpoint-url", url)
		if code != exit.Error || !strings.Contains(errOut, "--resume "+planFile+".journal") {
			t.Fatalf("exit %d, stderr:\n%s", code, errOut)
		}
	})
	t.Run("resuming a finished journal changes nothing", func(t *testing.T) {
		srv.ResetLog()
		code, _, errOut := run(t, "remediate", "--resume", planFile+".journal", "--yes", "--endpoint-url", url)
		if code != exit.OK || !strings.Contains(errOut, "already applied completely") {
			t.Fatalf("exit %d, stderr:\n%s", code, errOut)
		}
		if got := mutatingCalls(srv); len(got) != 0 {
			t.Fatalf("resume made mutating calls: %v", got)
		}
	})
}

func TestRemediateRefusesATamperedPlanBeforeAnyCall(t *testing.T) {
	srv, url := emulator(t, smallEstate())
	dir := t.TempDir()
	planFile := filepath.Join(dir, "plan.json")
	code, out, errOut := run(t, "remediate", "--endpoint-url", url, "--region", "us-east-1", "--create-key", "alias/dms-cmk", "--out", planFile)
	if code != exit.OK {
		t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
	}
	b, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(planFile, bytes.Replace(b, []byte(`"allocatedStorage": 50`), []byte(`"allocatedStorage": 5`), -1), 0o600); err != nil {
		t.Fatal(err)
	}
	srv.ResetLog()
	code, _, errOut = run(t, "remediate", "--apply", planFile, "--yes", "--endpoint-url", url)
	if code != exit.Error || !strings.Contains(errOut, "plan was modified after it was made") {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	if got := len(srv.Requests()); got != 0 {
		t.Errorf("a tampered plan reached AWS (%d calls)", got)
	}
}

// TestAWSCLIEndToEnd builds an estate with the AWS CLI, remediates it with
// cmkguard, and checks the result with the AWS CLI.
func TestAWSCLIEndToEnd(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		if os.Getenv("CMKGUARD_REQUIRE_AWSCLI") == "1" {
			t.Fatal("the aws CLI is required (CMKGUARD_REQUIRE_AWSCLI=1) but not found")
		}
		t.Skip("aws CLI not installed (set CMKGUARD_REQUIRE_AWSCLI=1 to require it)")
	}
	_, url := emulator(t, nil)
	aws := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("aws", append([]string{"--endpoint-url", url, "--region", "us-east-1", "--output", "json"}, args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return string(out)
	}
	query := func(args ...string) string {
		t.Helper()
		return strings.TrimSpace(aws(append(args, "--output", "text")...))
	}

	instanceARN := query("dms", "create-replication-instance", "--replication-instance-identifier", "legacy",
		"--replication-instance-class", "dms.t3.medium", "--allocated-storage", "40", "--engine-version", "3.5.2",
		"--tags", "Key=owner,Value=data-team", "--query", "ReplicationInstance.ReplicationInstanceArn")
	src := query("dms", "create-endpoint", "--endpoint-identifier", "src", "--endpoint-type", "source", "--engine-name", "mysql",
		"--server-name", "db.example.com", "--port", "3306", "--username", "u", "--password", "p", "--query", "Endpoint.EndpointArn")
	tgt := query("dms", "create-endpoint", "--endpoint-identifier", "tgt", "--endpoint-type", "target", "--engine-name", "postgres",
		"--server-name", "pg.example.com", "--port", "5432", "--username", "u", "--password", "p", "--database-name", "d", "--query", "Endpoint.EndpointArn")
	for _, id := range []string{"cdc", "full"} {
		query("dms", "create-replication-task", "--replication-task-identifier", id, "--source-endpoint-arn", src, "--target-endpoint-arn", tgt,
			"--replication-instance-arn", instanceARN, "--migration-type", "full-load-and-cdc", "--table-mappings",
			`{"rules":[{"rule-type":"selection","rule-id":"1","rule-name":"1","object-locator":{"schema-name":"%","table-name":"%"},"rule-action":"include"}]}`,
			"--query", "ReplicationTask.ReplicationTaskArn")
	}
	cdcARN := query("dms", "describe-replication-tasks", "--filters", "Name=replication-task-id,Values=cdc", "--query", "ReplicationTasks[0].ReplicationTaskArn")
	query("dms", "start-replication-task", "--replication-task-arn", cdcARN, "--start-replication-task-type", "start-replication", "--query", "ReplicationTask.Status")

	dir := t.TempDir()
	planFile := filepath.Join(dir, "plan.json")
	if code, out, errOut := run(t, "remediate", "--endpoint-url", url, "--region", "us-east-1", "--create-key", "alias/dms-cmk",
		"--key-user", "arn:aws:iam::111122223333:role/dms-access", "--delete-old", "--keep-identifier", "--out", planFile); code != exit.OK {
		t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := run(t, "remediate", "--apply", planFile, "--yes", "--poll-interval", "1ms", "--endpoint-url", url); code != exit.OK {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}

	got := strings.Fields(query("dms", "describe-replication-instances", "--query",
		"ReplicationInstances[].[ReplicationInstanceIdentifier,ReplicationInstanceClass,AllocatedStorage,EngineVersion,ReplicationInstanceStatus]"))
	if diff := cmp.Diff([]string{"legacy", "dms.t3.medium", "40", "3.5.2", "available"}, got); diff != "" {
		t.Errorf("instances (-want +got):\n%s", diff)
	}
	keyARN := query("dms", "describe-replication-instances", "--query", "ReplicationInstances[0].KmsKeyId")
	if manager := query("kms", "describe-key", "--key-id", keyARN, "--query", "KeyMetadata.KeyManager"); manager != "CUSTOMER" {
		t.Errorf("the instance's key is managed by %s", manager)
	}
	if alias := query("kms", "describe-key", "--key-id", "alias/dms-cmk", "--query", "KeyMetadata.Arn"); alias != keyARN {
		t.Errorf("alias/dms-cmk is %s, the instance's key is %s", alias, keyARN)
	}
	newARN := query("dms", "describe-replication-instances", "--query", "ReplicationInstances[0].ReplicationInstanceArn")
	tasks := strings.Fields(query("dms", "describe-replication-tasks", "--without-settings", "--query",
		"sort_by(ReplicationTasks, &ReplicationTaskIdentifier)[].[ReplicationTaskIdentifier,Status,ReplicationInstanceArn]"))
	if diff := cmp.Diff([]string{"cdc", "running", newARN, "full", "ready", newARN}, tasks); diff != "" {
		t.Errorf("tasks (-want +got):\n%s", diff)
	}
	if tags := query("dms", "list-tags-for-resource", "--resource-arn", newARN, "--query", "TagList[?Key=='owner'].Value"); tags != "data-team" {
		t.Errorf("tag owner = %q, want data-team", tags)
	}
	var policy struct{ Statement []struct{ Sid string } }
	if err := json.Unmarshal([]byte(query("kms", "get-key-policy", "--key-id", keyARN, "--policy-name", "default", "--query", "Policy")), &policy); err != nil {
		t.Fatalf("key policy: %v", err)
	}
	if len(policy.Statement) != 3 {
		t.Errorf("key policy has %d statements, want root, use through DMS and grants: %+v", len(policy.Statement), policy)
	}
}

// TestPermissionsRemediateCoversEveryCallOfAPlanAndApply checks the policy
// printed by `permissions remediate` against what a live plan and an apply
// really call.
func TestPermissionsRemediateCoversEveryCallOfAPlanAndApply(t *testing.T) {
	srv, url := emulator(t, smallEstate())
	planFile := filepath.Join(t.TempDir(), "plan.json")
	if code, out, errOut := run(t, "remediate", "--endpoint-url", url, "--create-key", "alias/dms-cmk", "--delete-old", "--keep-identifier", "--out", planFile); code != exit.OK {
		t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := run(t, "remediate", "--apply", planFile, "--yes", "--poll-interval", "1ms", "--endpoint-url", url); code != exit.OK {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	allowed := map[string]bool{"sts:GetCallerIdentity": true} // needs no permission
	for _, s := range permissions.RemediatePolicy(false) {
		for _, a := range s.Action {
			allowed[a] = true
		}
	}
	called := map[string]bool{}
	for _, r := range srv.Requests() {
		called[r.Action()] = true
	}
	if len(called) < 10 {
		t.Fatalf("only %d distinct actions were called: the test proves little", len(called))
	}
	for a := range called {
		if !allowed[a] {
			t.Errorf("%s was called but `permissions remediate` does not grant it", a)
		}
	}
}

// TestShellPlanRunsWithTheAWSCLI runs the `--format shell` script with the
// AWS CLI against the emulator, then audits: the script must be exact and
// complete.
func TestShellPlanRunsWithTheAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		if os.Getenv("CMKGUARD_REQUIRE_AWSCLI") == "1" {
			t.Fatal("the aws CLI is required (CMKGUARD_REQUIRE_AWSCLI=1) but not found")
		}
		t.Skip("aws CLI not installed (set CMKGUARD_REQUIRE_AWSCLI=1 to require it)")
	}
	srv, url := emulator(t, smallEstate())
	script := filepath.Join(t.TempDir(), "fix.sh")
	code, out, errOut := run(t, "remediate", "--endpoint-url", url, "--region", "us-east-1", "--create-key", "alias/dms-cmk",
		"--delete-old", "--keep-identifier", "--format", "shell")
	if code != exit.OK {
		t.Fatalf("plan: exit %d\n%s", code, errOut)
	}
	if err := os.WriteFile(script, []byte(out), 0o700); err != nil {
		t.Fatal(err)
	}
	// The script calls plain `aws`, as a team would; a wrapper first on PATH
	// sends it to the emulator (older AWS CLIs ignore AWS_ENDPOINT_URL).
	realAWS, _ := exec.LookPath("aws")
	bin := t.TempDir()
	wrapper := "#!/bin/sh\nexec " + realAWS + " --endpoint-url " + url + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "aws"), []byte(wrapper), 0o700); err != nil {
		t.Fatal(err)
	}
	srv.ResetLog()
	cmd := exec.Command("bash", script)
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "AWS_DEFAULT_REGION=us-east-1")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the script failed: %v\n%s", err, b)
	}
	var moves int
	for _, r := range srv.MutatingRequests() {
		if r.Action() == "dms:MoveReplicationTask" && r.OK() {
			moves++
		}
	}
	if moves != 3 {
		t.Errorf("the script moved %d task(s), want 3", moves)
	}
	code, out, errOut = run(t, "audit", "--scope", "instances,serverless", "--endpoint-url", url, "--region", "us-east-1", "--format", "json")
	if code != exit.OK {
		t.Fatalf("audit after the script: exit %d\n%s%s", code, out, errOut)
	}
}

// TestRollbackThroughTheCommandLine makes an apply fail (the emulator denies
// StopReplicationTask), then rolls it back from its journal.
func TestRollbackThroughTheCommandLine(t *testing.T) {
	srv, url := emulator(t, smallEstate())
	planFile := filepath.Join(t.TempDir(), "plan.json")
	journal := planFile + ".journal"
	if code, out, errOut := run(t, "remediate", "--endpoint-url", url, "--region", "us-east-1", "--create-key", "alias/dms-cmk", "--out", planFile); code != exit.OK {
		t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
	}
	srv.AddDeny(awsemu.DenyRule{Action: "dms:StopReplicationTask"})
	code, _, errOut := run(t, "remediate", "--apply", planFile, "--yes", "--poll-interval", "1ms", "--endpoint-url", url)
	if code != exit.Error || !strings.Contains(errOut, "step us-east-1/orders/task/orders-cdc/stop failed") || !strings.Contains(errOut, "--rollback "+journal) {
		t.Fatalf("apply: exit %d, stderr:\n%s", code, errOut)
	}
	srv.ClearDeny()
	if code, _, errOut := run(t, "remediate", "--rollback", journal, "--endpoint-url", url); code != exit.Usage || !strings.Contains(errOut, "pass --yes") {
		t.Fatalf("rollback without --yes: exit %d, stderr:\n%s", code, errOut)
	}
	if code, _, errOut := run(t, "remediate", "--rollback", journal, "--yes", "--poll-interval", "1ms", "--endpoint-url", url); code != exit.OK {
		t.Fatalf("rollback: exit %d, stderr:\n%s", code, errOut)
	}
	code, out, errOut := run(t, "audit", "--scope", "instances,serverless", "--endpoint-url", url, "--region", "us-east-1", "--format", "json", "--fail-on", "none")
	if code != exit.OK {
		t.Fatalf("audit: exit %d\n%s", code, errOut)
	}
	var rep struct {
		Findings []struct{ ResourceID, Status string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rep.Findings {
		got = append(got, f.ResourceID+" "+f.Status)
	}
	sort.Strings(got)
	// Back to the start: orders alone, on aws/dms, FAIL for CMKG-DMS-001;
	// no replacement left behind (the audit is of instances: the endpoints
	// src and tgt are not what remediation replaces).
	if diff := cmp.Diff([]string{"orders FAIL", "orders PASS"}, got); diff != "" {
		t.Errorf("findings after rollback (-want +got):\n%s", diff)
	}
}
