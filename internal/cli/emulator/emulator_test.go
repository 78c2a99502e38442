package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/internal/awsemu"
	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/iostreams"
)

func TestFlagsAreParsedIntoOptions(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want Options
	}{
		{"the defaults bind loopback ports 4566 and 4567 (admin)", nil, Options{Addr: "127.0.0.1:4566", AdminAddr: "127.0.0.1:4567", Seed: 1}},
		{"every flag", []string{"--addr", "127.0.0.1:0", "--estate", "demo", "--latency", "50ms", "--jitter", "10ms",
			"--throttle", "0.1", "--throttle", "kms:DescribeKey=0.5", "--server-errors", "0.01", "--seed", "7", "--delay", "2s", "--allow-remote",
			"--admin-addr", "127.0.0.1:9000", "--lose-answer", "kms:CreateKey=1"},
			Options{Addr: "127.0.0.1:0", AdminAddr: "127.0.0.1:9000", Estate: "demo", Latency: 50 * time.Millisecond, Jitter: 10 * time.Millisecond,
				Throttle: []string{"0.1", "kms:DescribeKey=0.5"}, ServerErrorRate: 0.01, LoseAnswer: []string{"kms:CreateKey=1"}, Seed: 7, Delay: 2 * time.Second, AllowRemote: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			var got *Options
			cmd := NewCmdEmulator(&factory.Factory{IOStreams: ios}, func(_ context.Context, o *Options) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			got.IO = nil
			if diff := cmp.Diff(tt.want, *got, cmp.AllowUnexported(Options{}), cmp.Comparer(func(a, b func(string, *awsemu.Server)) bool { return a == nil && b == nil })); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRunRefusesBadSettingsAsUsageErrors(t *testing.T) {
	tests := []struct {
		name, want string
		opts       Options
	}{
		{"a non-loopback address", "--allow-remote", Options{Addr: "0.0.0.0:4566"}},
		{"an address on every interface", "--allow-remote", Options{Addr: ":4566"}},
		{"an address that is not host:port", "host:port", Options{Addr: "localhost"}},
		{"a port out of range", "port", Options{Addr: "127.0.0.1:99999"}},
		{"a throttle that is not a probability", "--throttle", Options{Addr: "127.0.0.1:0", Throttle: []string{"lots"}}},
		{"a throttle above one", "probability", Options{Addr: "127.0.0.1:0", Throttle: []string{"kms:*=2"}}},
		{"a lost-answer probability that is not one", "--lose-answer", Options{Addr: "127.0.0.1:0", LoseAnswer: []string{"=0.5"}}},
		{"a non-loopback admin address", "--admin-addr", Options{Addr: "127.0.0.1:0", AdminAddr: "0.0.0.0:4567"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			tt.opts.IO = ios
			err := Run(context.Background(), &tt.opts)
			var usage *exit.UsageError
			if !errors.As(err, &usage) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run error = %v, want a usage error mentioning %q", err, tt.want)
			}
		})
	}
}

func TestRunReportsABadEstateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "estate.yaml")
	if err := os.WriteFile(path, []byte("keys:\n  - description: no id\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ios, _, _, _ := iostreams.Test()
	err := Run(context.Background(), &Options{IO: ios, Addr: "127.0.0.1:0", Estate: path})
	if err == nil || !strings.Contains(err.Error(), "explicit id") {
		t.Errorf("Run error = %v, want the estate problem", err)
	}
}

func TestRunExportsTheEstatesDefaultRegion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "estate.yaml")
	if err := os.WriteFile(path, []byte("defaultRegion: eu-west-1\nregions:\n  - name: eu-west-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ios, _, stdout, _ := iostreams.Test()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, &Options{IO: ios, Addr: "127.0.0.1:0", Estate: path, Ready: func(string, *awsemu.Server) { cancel() }})
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "\nexport AWS_REGION=eu-west-1\nexport AWS_DEFAULT_REGION=eu-west-1\n") {
		t.Errorf("stdout = %q, want the estate's region (us-east-1 does not exist in it)", stdout.String())
	}
}

func TestRunServesTheDemoEstateUntilCancelled(t *testing.T) {
	ios, _, stdout, stderr := iostreams.Test()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, &Options{IO: ios, Addr: "127.0.0.1:0", Estate: DemoEstate, Seed: 1,
			Ready: func(addr string, _ *awsemu.Server) { ready <- addr }})
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("Run returned early: %v", err)
	}
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(DummyAccessKeyID, DummySecretAccessKey, "")}
	endpoint := aws.String("http://" + addr)
	who, err := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = endpoint }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *who.Account != "111122223333" {
		t.Errorf("account = %s", *who.Account)
	}
	out, err := dms.NewFromConfig(cfg, func(o *dms.Options) { o.BaseEndpoint = endpoint }).DescribeReplicationInstances(ctx, &dms.DescribeReplicationInstancesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ReplicationInstances) == 0 {
		t.Error("the demo estate has no instances in us-east-1")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run after cancel: %v", err)
	}
	wantOut := "export AWS_ENDPOINT_URL=http://" + addr + "\nexport AWS_ACCESS_KEY_ID=" + DummyAccessKeyID +
		"\nexport AWS_SECRET_ACCESS_KEY=" + DummySecretAccessKey + "\nexport AWS_REGION=us-east-1\nexport AWS_DEFAULT_REGION=us-east-1\n"
	if diff := cmp.Diff(wantOut, stdout.String()); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
	if !strings.Contains(stderr.String(), "estate: demo") || !strings.Contains(stderr.String(), "stopped") {
		t.Errorf("stderr = %q", stderr.String())
	}
}

func TestRunServesTheAdminAPIOnItsOwnAddress(t *testing.T) {
	ios, _, stdout, stderr := iostreams.Test()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, &Options{IO: ios, Addr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0", Estate: DemoEstate, Seed: 1,
			LoseAnswer: []string{"sts:GetCallerIdentity=1"},
			Ready:      func(addr string, _ *awsemu.Server) { ready <- addr }})
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("Run returned early: %v", err)
	}
	var admin string
	for _, line := range strings.Split(stdout.String(), "\n") {
		if v, ok := strings.CutPrefix(line, "export CMKGUARD_EMULATOR_ADMIN_URL="); ok {
			admin = v
		}
	}
	if admin == "" || admin == "http://"+addr {
		t.Fatalf("no admin URL of its own in stdout %q", stdout.String())
	}
	if !strings.Contains(stderr.String(), "admin API: "+admin+"/_cmkguard/") {
		t.Errorf("stderr does not name the admin API: %q", stderr.String())
	}
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(DummyAccessKeyID, DummySecretAccessKey, ""), RetryMaxAttempts: 1}
	client := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String("http://" + addr) })
	if _, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
		t.Error("--lose-answer sts:GetCallerIdentity=1 did not lose the answer")
	}
	resp, err := http.Post(admin+"/_cmkguard/faults", "application/json", strings.NewReader(`{}`))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST faults: %v %v", resp, err)
	}
	resp.Body.Close()
	if _, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("after clearing the faults: %v", err)
	}
	resp, err = http.Get(admin + "/_cmkguard/requests")
	if err != nil {
		t.Fatal(err)
	}
	var log []awsemu.LogEntry
	err = json.NewDecoder(resp.Body).Decode(&log)
	resp.Body.Close()
	if err != nil || len(log) != 2 || !log[0].AnswerLost || log[1].AnswerLost {
		t.Errorf("request log = %+v (%v)", log, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run after cancel: %v", err)
	}
}

// TestQuietSilencesTheEmulatorsOwnMessages: --quiet leaves stderr to
// warnings and errors; the exports on stdout stay.
func TestQuietSilencesTheEmulatorsOwnMessages(t *testing.T) {
	for _, quiet := range []bool{false, true} {
		ios, _, stdout, stderr := iostreams.Test()
		ios.SetQuiet(quiet)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- Run(ctx, &Options{IO: ios, Addr: "127.0.0.1:0", Estate: "demo", Ready: func(string, *awsemu.Server) { cancel() }})
		}()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(stderr.String(), "cmkguard emulator: serving"); got == quiet {
			t.Errorf("quiet=%v: stderr = %q", quiet, stderr.String())
		}
		if !strings.Contains(stdout.String(), "export AWS_ENDPOINT_URL=") {
			t.Errorf("quiet=%v: stdout lost the exports: %q", quiet, stdout.String())
		}
	}
}
