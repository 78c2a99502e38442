package remediate_test

import (
	"context"
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
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/internal/awsemu"
	"github.com/cmkguard/cmkguard/remediate"
)

// serverlessEstate has, in us-east-1, a serverless config never started and
// one whose replication is running, both on aws/dms.
func serverlessEstate() awsemu.Estate {
	e := estate()
	e.ReplicationConfigs = []awsemu.EstateReplicationConfig{
		{ID: "fresh", Region: east, Source: "src", Target: "tgt", ReplicationType: "cdc", MaxCapacityUnits: 4},
		{ID: "live", Region: east, Source: "src", Target: "tgt", MaxCapacityUnits: 8, MinCapacityUnits: 2, Started: true, Tags: map[string]string{"app": "cdc"}},
	}
	return e
}

// configTargets lists the configs as an audit that covers them would.
func (e *env) configTargets(t *testing.T) []remediate.Target {
	t.Helper()
	out, err := e.dms(east).DescribeReplicationConfigs(context.Background(), &dms.DescribeReplicationConfigsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var ts []remediate.Target
	for _, rc := range out.ReplicationConfigs {
		ts = append(ts, remediate.Target{ARN: aws.ToString(rc.ReplicationConfigArn), ID: aws.ToString(rc.ReplicationConfigIdentifier), Region: east, Account: account})
	}
	return ts
}

// configs describes every config: id, key manager, replication status.
func (e *env) configs(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	out, err := e.dms(east).DescribeReplicationConfigs(ctx, &dms.DescribeReplicationConfigsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, rc := range out.ReplicationConfigs {
		k, err := e.kms(east).DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: rc.ComputeConfig.KmsKeyId})
		if err != nil {
			t.Fatal(err)
		}
		reps, err := e.dms(east).DescribeReplications(ctx, &dms.DescribeReplicationsInput{})
		if err != nil {
			t.Fatal(err)
		}
		status := ""
		for _, r := range reps.Replications {
			if aws.ToString(r.ReplicationConfigArn) == aws.ToString(rc.ReplicationConfigArn) {
				status = aws.ToString(r.Status)
			}
		}
		got = append(got, fmt.Sprintf("%s key=%s replication=%s capacity=%d-%d", aws.ToString(rc.ReplicationConfigIdentifier), k.KeyMetadata.KeyManager,
			status, aws.ToInt32(rc.ComputeConfig.MinCapacityUnits), aws.ToInt32(rc.ComputeConfig.MaxCapacityUnits)))
	}
	sort.Strings(got)
	return got
}

func serverlessRequest(e *env, t *testing.T, consent bool) func(*remediate.Request) {
	return func(r *remediate.Request) {
		r.Targets = onlyRegion(r.Targets, east)
		r.ConfigTargets = e.configTargets(t)
		r.RecreateStartedConfigs = consent
	}
}

func TestApplyFixesServerlessConfigs(t *testing.T) {
	t.Parallel()
	want := []string{
		"fresh key=CUSTOMER replication=created capacity=0-4",
		"live key=CUSTOMER replication=created capacity=2-8",
	}
	t.Run("uninterrupted", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, serverlessEstate())
		p := e.mustPlan(t, serverlessRequest(e, t, true))
		if err := e.apply(t, p, filepath.Join(t.TempDir(), "j"), nil); err != nil {
			t.Fatalf("apply: %v", err)
		}
		if diff := cmp.Diff(want, e.configs(t)); diff != "" {
			t.Errorf("configs (-want +got):\n%s", diff)
		}
	})
	e := newEnv(t, serverlessEstate())
	p := e.mustPlan(t, serverlessRequest(e, t, true))
	for _, s := range p.Steps {
		if s.Config < 0 {
			continue
		}
		for _, at := range []remediate.FaultPoint{remediate.FaultBeforeAction, remediate.FaultAfterAction, remediate.FaultAfterDone} {
			t.Run(fmt.Sprintf("resumed after a failure in %s at %s", s.ID, at), func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, serverlessEstate())
				p := e.mustPlan(t, serverlessRequest(e, t, true))
				path := filepath.Join(t.TempDir(), "j")
				injected := errors.New("injected")
				if err := e.apply(t, p, path, func(id string, point remediate.FaultPoint) error {
					if id == s.ID && point == at {
						return injected
					}
					return nil
				}); !errors.Is(err, injected) {
					t.Fatalf("apply error = %v", err)
				}
				if err := e.resume(t, path); err != nil {
					t.Fatalf("resume: %v", err)
				}
				if diff := cmp.Diff(want, e.configs(t)); diff != "" {
					t.Errorf("configs (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestApplyLeavesAStartedConfigAloneWithoutConsent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, serverlessEstate())
	p := e.mustPlan(t, serverlessRequest(e, t, false))
	if err := e.apply(t, p, filepath.Join(t.TempDir(), "j"), nil); err != nil {
		t.Fatalf("apply: %v", err)
	}
	want := []string{
		"fresh key=CUSTOMER replication=created capacity=0-4",
		"live key=AWS replication=running capacity=2-8",
	}
	if diff := cmp.Diff(want, e.configs(t)); diff != "" {
		t.Errorf("configs (-want +got):\n%s", diff)
	}
}

func TestRollbackRestoresServerlessConfigs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, serverlessEstate())
	before := e.configs(t)
	p := e.mustPlan(t, func(r *remediate.Request) {
		serverlessRequest(e, t, true)(r)
		r.Targets = nil
	})
	path := filepath.Join(t.TempDir(), "j")
	injected := errors.New("injected")
	if err := e.apply(t, p, path, func(id string, at remediate.FaultPoint) error {
		if id == "us-east-1/config/live/create" && at == remediate.FaultAfterDone {
			return injected
		}
		return nil
	}); !errors.Is(err, injected) {
		t.Fatalf("apply error = %v", err)
	}
	j, err := remediate.OpenJournal(path, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := e.applier(j).Rollback(context.Background()); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	if diff := cmp.Diff(before, e.configs(t)); diff != "" {
		t.Errorf("configs after rollback (-before +after):\n%s", diff)
	}
}

// TestShellScriptFixesServerlessConfigsWithTheAWSCLI runs the serverless
// part of a `--format shell` script with the real AWS CLI against the
// emulator: the modified config and the re-created copy must end on the
// customer key, the copy renamed and not started.
func TestShellScriptFixesServerlessConfigsWithTheAWSCLI(t *testing.T) {
	t.Parallel()
	realAWS, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CMKGUARD_REQUIRE_AWSCLI") == "1" {
			t.Fatal("the aws CLI is required (CMKGUARD_REQUIRE_AWSCLI=1) but not found")
		}
		t.Skip("aws CLI not installed (set CMKGUARD_REQUIRE_AWSCLI=1 to require it)")
	}
	e := newEnv(t, serverlessEstate())
	p := e.mustPlan(t, func(r *remediate.Request) {
		serverlessRequest(e, t, true)(r)
		r.Targets = nil
	})
	var script strings.Builder
	if err := remediate.WriteShell(&script, p); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	wrapper := "#!/bin/sh\nexec " + realAWS + " --endpoint-url " + e.url + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "aws"), []byte(wrapper), 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-c", script.String())
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "PATH=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Dir = dir // the script's state file lands beside it, not in the package
	cmd.Env = append(cmd.Env, "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"), "AWS_DEFAULT_REGION="+east, "CMKGUARD_POLL_SECONDS=0.1",
		"AWS_ACCESS_KEY_ID=AKIATEST", "AWS_SECRET_ACCESS_KEY=secret",
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the script failed: %v\n%s", err, out)
	}
	want := []string{"fresh key=CUSTOMER replication=created capacity=0-4", "live key=CUSTOMER replication=created capacity=2-8"}
	if diff := cmp.Diff(want, e.configs(t)); diff != "" {
		t.Errorf("configs after the script (-want +got):\n%s", diff)
	}
}
