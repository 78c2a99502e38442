package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/adapt/awslive"
	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/iostreams"
	"github.com/cmkguard/cmkguard/state"
)

const acct = "111122223333"

var now = time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)

func inst(id string, k state.Key) state.ReplicationInstance {
	arn := "arn:aws:dms:eu-west-1:" + acct + ":rep:" + strings.ToUpper(id)
	return state.ReplicationInstance{ARN: arn, ID: id, Account: acct, Region: "eu-west-1", KeyRef: k.ARN, Key: k}
}

func key(manager state.KeyManager, keyState string) state.Key {
	return state.Key{ARN: "arn:aws:kms:eu-west-1:" + acct + ":key/" + string(manager) + keyState, Account: acct, Region: "eu-west-1",
		Resolved: true, Evidence: state.EvidenceDescribeKey, Manager: manager, State: keyState, Origin: "AWS_KMS"}
}

// scanOf returns a ScanFunc that yields st, and records the options it saw.
func scanOf(st state.State, seen **Options) ScanFunc {
	return func(_ context.Context, o *Options) (state.State, *awslive.Stats, error) {
		if seen != nil {
			*seen = o
		}
		return st, awslive.NewStats(), nil
	}
}

func estate(instances ...state.ReplicationInstance) state.State {
	return state.State{
		Regions:   []state.RegionScan{{Account: acct, Region: "eu-west-1", Status: state.RegionScanned}},
		Instances: instances,
	}
}

// run runs the audit command with args over scan and returns its exit code and streams.
func run(t *testing.T, scan ScanFunc, args ...string) (int, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	f := &factory.Factory{IOStreams: ios, Now: func() time.Time { return now }, Version: "test"}
	cmd := NewCmdAudit(f, func(ctx context.Context, o *Options) error {
		o.Scan = scan
		return Run(ctx, o)
	})
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(context.Background())
	return exit.Code(err), out.String(), errOut.String()
}

func TestFlagsReachTheOptions(t *testing.T) {
	t.Parallel()
	ios, _, _, _ := iostreams.Test()
	var got *Options
	cmd := NewCmdAudit(&factory.Factory{IOStreams: ios, Now: time.Now}, func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"--profile", "prod", "--region", "eu-west-1,us-east-1", "--region", "ap-south-1", "--endpoint-url", "http://127.0.0.1:4566",
		"--format", "json", "--format", "sarif=x.sarif", "--fail-on", "critical", "--min-protection", "cloudhsm",
		"--trusted-key-account", "444455556666", "--ignore-file", "ignore.yaml", "--stats", "--include-serverless", "--include-endpoints",
		"--scope", "instances,endpoints", "--allow-broad-suppressions",
		"--accounts", "222233334444,333344445555", "--assume-role", "audit/cmkguard", "--external-id", "ext-1", "--max-accounts-parallel", "4"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	want := Options{Profile: "prod", Regions: []string{"eu-west-1", "us-east-1", "ap-south-1"}, EndpointURL: "http://127.0.0.1:4566",
		Formats: []string{"json", "sarif=x.sarif"}, FailOn: "critical", MinProtection: "cloudhsm",
		TrustedKeyAccounts: []string{"444455556666"}, IgnoreFile: "ignore.yaml", Stats: true, IncludeServerless: true, IncludeEndpoints: true,
		Scope: []string{"instances", "endpoints"}, AllowBroadSuppressions: true,
		Accounts: []string{"222233334444", "333344445555"}, AssumeRole: "audit/cmkguard", ExternalID: "ext-1", MaxAccountsParallel: 4}
	got.IO, got.Now = nil, nil
	if diff := cmp.Diff(want, *got, cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "Scan" }, cmp.Ignore())); diff != "" {
		t.Errorf("options (-want +got):\n%s", diff)
	}
}

func TestExitCodesFollowFailOn(t *testing.T) {
	t.Parallel()
	awsManaged := estate(inst("a", key(state.KeyManagerAWS, "Enabled")))
	disabledCMK := estate(inst("d", key(state.KeyManagerCustomer, "Disabled")))
	clean := estate(inst("c", key(state.KeyManagerCustomer, "Enabled")))
	denied := estate(inst("u", state.Key{ARN: "arn:aws:kms:eu-west-1:" + acct + ":key/x", Evidence: state.EvidenceNone, UnknownReason: "denied", MissingPermission: "kms:DescribeKey"}))
	tests := []struct {
		name string
		st   state.State
		args []string
		want int
	}{
		{"a compliant account exits 0", clean, nil, exit.OK},
		{"an AWS-managed key fails at the default threshold", awsManaged, nil, exit.Findings},
		{"an AWS-managed key (high) passes a critical threshold", awsManaged, []string{"--fail-on", "critical"}, exit.OK},
		{"a disabled key (critical) fails a critical threshold", disabledCMK, []string{"--fail-on", "critical"}, exit.Findings},
		{"an unknown key counts at its rule's severity", denied, []string{"--fail-on", "critical"}, exit.Findings},
		{"fail-on none never exits 3", awsManaged, []string{"--fail-on", "none"}, exit.OK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, _, _ := run(t, scanOf(tt.st, nil), tt.args...)
			if code != tt.want {
				t.Errorf("exit code = %d, want %d", code, tt.want)
			}
		})
	}
}

func TestBadInputIsAUsageError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	badIgnore := filepath.Join(dir, "ignore.yaml")
	if err := os.WriteFile(badIgnore, []byte("suppressions:\n  - {resource: '*', rule: dms-instance-cmk}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"an unknown format", []string{"--format", "yaml"}, "unknown format"},
		{"an unknown fail-on severity", []string{"--fail-on", "severe"}, "--fail-on"},
		{"an unknown protection level", []string{"--min-protection", "vault"}, "unknown protection level"},
		{"a malformed trusted account", []string{"--trusted-key-account", "12"}, "12-digit"},
		{"a malformed region", []string{"--region", "europe"}, "not an AWS region name"},
		{"a malformed endpoint", []string{"--endpoint-url", "localhost:4566"}, "--endpoint-url"},
		{"an invalid ignore file", []string{"--ignore-file", badIgnore}, "reason is required"},
		{"a missing ignore file", []string{"--ignore-file", filepath.Join(dir, "nope.yaml")}, "nope.yaml"},
		{"a region of no partition", []string{"--region", "xx-fake-1"}, `"xx-fake-1": not an AWS region name`},
		{"regions of two partitions", []string{"--region", "us-east-1,cn-north-1"}, "different AWS partitions"},
		{"both --org and --accounts", []string{"--org", "--accounts", "222233334444"}, "give one or the other"},
		{"a malformed account", []string{"--accounts", "2222-3333-4444"}, `--accounts "2222-3333-4444": not a 12-digit`},
		{"a role name that is none", []string{"--org", "--assume-role", "arn:aws:iam::1:role/x"}, "not an IAM role name"},
		{"an external id without accounts", []string{"--external-id", "x"}, "--external-id needs --org or --accounts"},
		{"a role without accounts", []string{"--assume-role", "Auditor"}, "--assume-role needs --org or --accounts"},
		{"a negative account parallelism", []string{"--org", "--max-accounts-parallel", "-1"}, "--max-accounts-parallel -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			scanned := false
			scan := func(context.Context, *Options) (state.State, *awslive.Stats, error) {
				scanned = true
				return state.State{}, nil, nil
			}
			ios, _, _, _ := iostreams.Test()
			opts := &Options{IO: ios, Now: func() time.Time { return now }, Scan: scan, Formats: []string{"table"}, FailOn: "high"}
			cmd := NewCmdAudit(&factory.Factory{IOStreams: ios, Now: time.Now}, func(context.Context, *Options) error { return nil })
			if err := cmd.ParseFlags(tt.args); err != nil {
				t.Fatal(err)
			}
			// Copy the parsed flags over the test's options.
			applyFlags(t, cmd.Flags().Lookup, opts)
			err := Run(context.Background(), opts)
			if exit.Code(err) != exit.Usage || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v (exit %d), want a usage error containing %q", err, exit.Code(err), tt.wantErr)
			}
			if scanned {
				t.Errorf("the account was scanned despite bad input")
			}
		})
	}
}

func TestAScanErrorExits1(t *testing.T) {
	t.Parallel()
	scan := func(context.Context, *Options) (state.State, *awslive.Stats, error) {
		return state.State{}, nil, errors.New("identify the account: no credentials")
	}
	code, _, _ := run(t, scan)
	if code != exit.Error {
		t.Errorf("exit code = %d, want %d", code, exit.Error)
	}
}

func TestOutputsGoWhereTheyAreAsked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "audit.json")
	st := estate(inst("a", key(state.KeyManagerAWS, "Enabled")), inst("c", key(state.KeyManagerCustomer, "Enabled")))
	code, out, errOut := run(t, scanOf(st, nil), "--format", "table,json="+jsonPath, "--stats", "--fail-on", "none")
	if code != exit.OK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	if !strings.Contains(out, "Summary by region") || !strings.Contains(out, "FAIL") {
		t.Errorf("stdout is not the table:\n%s", out)
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("piped table has colour codes")
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep finding.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("json report does not parse: %v", err)
	}
	if diff := cmp.Diff(finding.Summary{Total: 4, Pass: 3, Fail: 1}, rep.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if rep.SchemaVersion != finding.SchemaVersion || rep.GeneratedAt != "2026-11-27T15:00:00Z" {
		t.Errorf("envelope: version %q generated %q", rep.SchemaVersion, rep.GeneratedAt)
	}
	if !strings.Contains(errOut, "API calls") {
		t.Errorf("--stats printed nothing on stderr: %q", errOut)
	}
	if strings.Contains(errOut, "scanning") {
		t.Errorf("progress printed although stderr is not a terminal")
	}
}

func TestSuppressionsApplyAndExpiredOnesSaySo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ignore := filepath.Join(dir, "ignore.yaml")
	doc := `suppressions:
  - resource: "arn:aws:dms:eu-west-1:111122223333:rep:DEMO"
    rule: dms-instance-cmk
    reason: demo instance, no customer data
    expires: 2027-01-31
  - resource: "arn:aws:dms:eu-west-1:111122223333:rep:OLD"
    rule: CMKG-DMS-001
    reason: was to be replaced in October
    expires: 2026-10-31
`
	if err := os.WriteFile(ignore, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	st := estate(inst("demo", key(state.KeyManagerAWS, "Enabled")), inst("old", key(state.KeyManagerAWS, "Enabled")))
	code, out, _ := run(t, scanOf(st, nil), "--format", "json", "--ignore-file", ignore)
	if code != exit.Findings {
		t.Errorf("exit code = %d, want 3 (the expired suppression no longer applies)", code)
	}
	var rep finding.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range rep.Findings {
		if f.RuleID != "CMKG-DMS-001" {
			continue
		}
		s := string(f.Status)
		if f.Suppression != nil {
			s += " " + f.Suppression.Reason
			if f.Suppression.Expired {
				s += " (expired)"
			}
		}
		got[f.ResourceID] = s
	}
	want := map[string]string{"demo": "SUPPRESSED demo instance, no customer data", "old": "FAIL was to be replaced in October (expired)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestTerminalOutputIsColouredAndShowsProgressOnlyOnATerminal(t *testing.T) {
	t.Parallel()
	ios, _, out, _ := iostreams.Test()
	ios.SetStdoutTTY(true)
	opts := &Options{IO: ios, Now: func() time.Time { return now }, Formats: []string{"table"}, FailOn: "none",
		Scan: scanOf(estate(inst("a", key(state.KeyManagerAWS, "Enabled"))), nil)}
	if err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "\x1b[31mFAIL") {
		t.Errorf("terminal table is not coloured:\n%s", out)
	}
	var buf bytes.Buffer
	var mu sync.Mutex
	progress := progressPrinter(&buf, &mu)
	progress(awslive.Progress{Region: "eu-west-1", Status: state.RegionScanned, Instances: 3, Keys: 2, Done: 1, Total: 2})
	progress(awslive.Progress{Account: "222233334444", Region: "us-east-1", Status: state.RegionFailed, Reason: "denied", Done: 2, Total: 2})
	want := "  [1/2] eu-west-1: 3 instances, 2 keys\n  [2/2] 222233334444 us-east-1: could not be scanned: denied\n"
	if got := buf.String(); got != want {
		t.Errorf("progress lines = %q, want %q", got, want)
	}
}
