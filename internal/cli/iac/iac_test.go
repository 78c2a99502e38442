package iac

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/adapt/terraform"
	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/iostreams"
	"github.com/cmkguard/cmkguard/keyref"
	"github.com/cmkguard/cmkguard/state"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/iac/golden")

var fixedNow = func() time.Time { return time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC) }

// repoRoot is the repository's root, which the tests name files relative to.
func repoRoot(t *testing.T) string {
	t.Helper()
	abs, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// newOptions returns options for a run of the paths from dir, with no
// environment and a fixed clock.
func newOptions(t *testing.T, dir string, paths ...string) (*Options, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	return &Options{IO: ios, Now: fixedNow, Version: "test", Env: []string{}, Getwd: func() (string, error) { return dir, nil },
		Paths: paths, Formats: []string{"json"}, FailOn: "high"}, out, errOut
}

func TestFlagsKeepVarAndVarFileInOrder(t *testing.T) {
	t.Parallel()
	ios, _, _, _ := iostreams.Test()
	var got *Options
	cmd := NewCmdIaC(&factory.Factory{IOStreams: ios, Now: fixedNow, Version: "test"}, func(_ context.Context, o *Options) error {
		got = o
		return nil
	})
	cmd.SetArgs([]string{"--var-file", "a.tfvars", "--var", "k=alias/x=y", "--var-file", "b.tfvars", "--cf-param", "Env=prod",
		"--format", "json,sarif=out.sarif", "--online", "infra", "cdk.out"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	want := []terraform.VarArg{{File: "a.tfvars"}, {Name: "k", Value: "alias/x=y"}, {File: "b.tfvars"}}
	if len(got.Vars) != len(want) {
		t.Fatalf("vars %+v, want %+v", got.Vars, want)
	}
	for i := range want {
		if got.Vars[i] != want[i] {
			t.Fatalf("vars %+v, want %+v", got.Vars, want)
		}
	}
	if strings.Join(got.Paths, " ") != "infra cdk.out" || !got.Online || got.CFParams[0] != "Env=prod" {
		t.Fatalf("options %+v", got)
	}
}

func TestDefaultPathIsTheCurrentDirectory(t *testing.T) {
	t.Parallel()
	ios, _, _, _ := iostreams.Test()
	var got *Options
	cmd := NewCmdIaC(&factory.Factory{IOStreams: ios, Now: fixedNow}, func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs(nil)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if len(got.Paths) != 1 || got.Paths[0] != "." {
		t.Fatalf("paths %v, want [.]", got.Paths)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		modify func(*Options)
	}{
		{"an unknown format", func(o *Options) { o.Formats = []string{"yaml"} }},
		{"an unknown --fail-on", func(o *Options) { o.FailOn = "severe" }},
		{"a missing --var-file", func(o *Options) { o.Vars = []terraform.VarArg{{File: "/nonexistent.tfvars"}} }},
		{"a --cf-param without =", func(o *Options) { o.CFParams = []string{"Env"} }},
		{"--endpoint-url without --online", func(o *Options) { o.EndpointURL = "http://127.0.0.1:1" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts, _, _ := newOptions(t, repoRoot(t), filepath.Join(repoRoot(t), "testdata/iac/terraform"))
			tt.modify(opts)
			if err := Run(context.Background(), opts); exit.Code(err) != exit.Usage {
				t.Fatalf("exit %d (%v), want %d", exit.Code(err), err, exit.Usage)
			}
		})
	}
}

// TestGoldenReports runs the corpus under testdata/iac (Terraform and a
// plan) and compares the JSON and SARIF reports with golden files
// (go test ./internal/cli/iac -update rewrites them).
func TestGoldenReports(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	out := t.TempDir()
	opts, _, errOut := newOptions(t, root, filepath.Join(root, "testdata/iac/terraform"), filepath.Join(root, "testdata/iac/plan"))
	opts.Formats = []string{"json=" + filepath.Join(out, "report.json"), "sarif=" + filepath.Join(out, "report.sarif")}
	err := Run(context.Background(), opts)
	if exit.Code(err) != exit.Findings {
		t.Fatalf("exit %d (%v), want %d; stderr:\n%s", exit.Code(err), err, exit.Findings, errOut)
	}
	for _, name := range []string{"report.json", "report.sarif"} {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join(root, "testdata/iac/golden", name)
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (run with -update after checking the difference)", name, golden)
		}
	}
}

// corpusReport runs the Terraform corpus and returns its JSON report.
func corpusReport(t *testing.T, modify func(*Options)) (*finding.Report, error) {
	t.Helper()
	root := repoRoot(t)
	opts, out, _ := newOptions(t, root, filepath.Join(root, "testdata/iac/terraform"))
	if modify != nil {
		modify(opts)
	}
	err := Run(context.Background(), opts)
	var rep finding.Report
	if jerr := json.Unmarshal(out.Bytes(), &rep); jerr != nil {
		t.Fatalf("report: %v\n%s", jerr, out)
	}
	return &rep, err
}

func findingOf(rep *finding.Report, ruleID, address string) *finding.Finding {
	for i := range rep.Findings {
		if rep.Findings[i].RuleID == ruleID && rep.Findings[i].Source.Address == address {
			return &rep.Findings[i]
		}
	}
	return nil
}

func TestCorpusVerdicts(t *testing.T) {
	t.Parallel()
	rep, _ := corpusReport(t, nil)
	tests := []struct {
		rule, address string
		status        finding.Status
		reason        string
		file          string
		line          int
	}{
		{"CMKG-DMS-001", "aws_dms_replication_instance.no_key", finding.StatusFail, "kms_key_arn is not set: DMS uses aws/dms", "testdata/iac/terraform/standalone/main.tf", 26},
		{"CMKG-DMS-001", "aws_dms_replication_instance.managed_alias", finding.StatusFail, "AWS-managed", "testdata/iac/terraform/standalone/main.tf", 34},
		{"CMKG-DMS-001", "aws_dms_replication_instance.from_variable", finding.StatusUnknown, "var.kms_key_arn has no value: pass --var", "testdata/iac/terraform/standalone/main.tf", 65},
		{"CMKG-DMS-001", "aws_dms_replication_instance.typo", finding.StatusUnknown, "aws-kms_key.pike is not declared", "testdata/iac/terraform/standalone/main.tf", 59},
		{"CMKG-DMS-002", "aws_dms_replication_instance.disabled_key", finding.StatusFail, "disabled", "testdata/iac/terraform/standalone/main.tf", 52},
		{"CMKG-DMS-001", "module.dms.aws_dms_replication_instance.this[0]", finding.StatusPass, "refers to aws_kms_key.dms", "testdata/iac/terraform/dms-module/main.tf", 12},
		{"CMKG-DMS-005", `module.dms.aws_dms_endpoint.this["pg"]`, finding.StatusFail, `data.aws_kms_alias.dms ("alias/aws/dms")`, "testdata/iac/terraform/dms-module/main.tf", 22},
		{"CMKG-DMS-006", `module.dms.aws_dms_endpoint.this["lake"]`, finding.StatusFail, "SSE_S3", "testdata/iac/terraform/dms-module/main.tf", 28},
		{"CMKG-DMS-003", `module.dms.aws_dms_replication_config.this["nightly"]`, finding.StatusPass, "", "testdata/iac/terraform/dms-module/main.tf", 45},
		{"CMKG-DMS-003", "aws_dms_replication_config.serverless", finding.StatusFail, "compute_config.kms_key_id is not set", "testdata/iac/terraform/standalone/main.tf", 130},
	}
	for _, tt := range tests {
		f := findingOf(rep, tt.rule, tt.address)
		if f == nil {
			t.Errorf("no %s finding for %s", tt.rule, tt.address)
			continue
		}
		if f.Status != tt.status || !strings.Contains(f.Reason, tt.reason) || f.Source.File != tt.file || f.Source.StartLine != tt.line {
			t.Errorf("%s %s: %s %q at %s:%d, want %s saying %q at %s:%d", tt.rule, tt.address, f.Status, f.Reason,
				f.Source.File, f.Source.StartLine, tt.status, tt.reason, tt.file, tt.line)
		}
	}
	if f := findingOf(rep, "CMKG-DMS-001", "aws_dms_replication_instance.not_created"); f != nil {
		t.Errorf("a resource with count = 0 has a finding: %+v", f)
	}
}

func TestVarOverridesTheCorpus(t *testing.T) {
	t.Parallel()
	rep, _ := corpusReport(t, func(o *Options) {
		o.Vars = []terraform.VarArg{{Name: "kms_key_arn", Value: "alias/aws/dms"}}
	})
	if f := findingOf(rep, "CMKG-DMS-001", "aws_dms_replication_instance.from_variable"); f == nil || f.Status != finding.StatusFail {
		t.Fatalf("with --var kms_key_arn=alias/aws/dms: %+v, want FAIL", f)
	}
}

func TestExitCodes(t *testing.T) {
	t.Parallel()
	if _, err := corpusReport(t, nil); exit.Code(err) != exit.Findings {
		t.Errorf("corpus: exit %d (%v), want 3", exit.Code(err), err)
	}
	if _, err := corpusReport(t, func(o *Options) { o.FailOn = "none" }); err != nil {
		t.Errorf("--fail-on none: %v, want exit 0", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(`resource "aws_kms_key" "k" {}
resource "aws_dms_replication_instance" "x" { kms_key_arn = aws_kms_key.k.arn }`), 0o644); err != nil {
		t.Fatal(err)
	}
	opts, _, _ := newOptions(t, dir, dir)
	if err := Run(context.Background(), opts); err != nil {
		t.Errorf("a compliant configuration: %v, want exit 0", err)
	}
}

// TestBadInputIsReportedAndTheRestKept: each bad file is an error naming
// it, the run exits 1, and the good file's findings are still reported.
func TestBadInputIsReportedAndTheRestKept(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("good/main.tf", `resource "aws_dms_replication_instance" "good" {}`)
	write("malformed/main.tf", "resource \"aws_dms_replication_instance\" \"x\" {\n  kms_key_arn = [\n")
	write("cycle/a/main.tf", `module "b" { source = "../b" }`)
	write("cycle/b/main.tf", "module \"a\" {\n  source = \"../a\"\n}\n")
	write("plan/plan.json", "{\"format_version\": \"1.2\", \"planned_values\": {},\n \"resource_changes\": 7}")
	big := bytes.Repeat([]byte("# padding padding padding padding padding padding padding padding padding\n"), 50<<20/72)
	write("big/main.tf", string(big))
	if err := os.Symlink("loop.tf", filepath.Join(dir, "good", "loop.tf")); err != nil {
		t.Fatal(err)
	}
	opts, out, errOut := newOptions(t, dir, dir)
	start := time.Now()
	err := Run(context.Background(), opts)
	if exit.Code(err) != exit.Error {
		t.Fatalf("exit %d (%v), want 1", exit.Code(err), err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("bad input took %s", d)
	}
	for _, want := range []string{"malformed/main.tf:3", "cycle/", "module cycle", "plan/plan.json", "big/main.tf", "more than the 10 MiB", "good/loop.tf", "symbolic link loop"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr does not say %q:\n%s", want, errOut)
		}
	}
	var rep finding.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("no report: %v\n%s", err, out)
	}
	if f := findingOf(&rep, "CMKG-DMS-001", "aws_dms_replication_instance.good"); f == nil || f.Status != finding.StatusFail || f.Source.File != "good/main.tf" {
		t.Fatalf("the good file's finding is lost or wrong: %+v", f)
	}
}

func TestOnlineResolvesLiteralKeys(t *testing.T) {
	t.Parallel()
	var asked []string
	rep, _ := corpusReport(t, func(o *Options) {
		o.Online = true
		o.Resolver = func(_ context.Context, ref keyref.Ref) (state.Key, error) {
			asked = append(asked, ref.ARN+ref.Alias)
			return state.Key{ARN: ref.ARN, Account: ref.Account, Region: ref.Region, Resolved: true, Evidence: state.EvidenceDescribeKey,
				Manager: state.KeyManagerAWS, State: "Enabled"}, nil
		}
	})
	f := findingOf(rep, "CMKG-DMS-001", "aws_dms_replication_instance.literal_key")
	if f == nil || f.Status != finding.StatusFail || f.Evidence != state.EvidenceDescribeKey {
		t.Fatalf("literal ARN of an AWS-managed key with --online: %+v, want FAIL by kms:DescribeKey", f)
	}
	for _, a := range asked {
		if strings.Contains(a, "alias/aws/") {
			t.Errorf("--online looked up %s: an alias/aws/* alias is never described", a)
		}
	}
}

// TestGoldenJSONMatchesThePublishedSchema: an IaC report is a schema 1.x
// report like the audit's.
func TestGoldenJSONMatchesThePublishedSchema(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	sf, err := os.Open(filepath.Join(root, "docs/report-schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer sf.Close()
	doc, err := jsonschema.UnmarshalJSON(sf)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("report-schema.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("report-schema.json")
	if err != nil {
		t.Fatal(err)
	}
	rf, err := os.Open(filepath.Join(root, "testdata/iac/golden/report.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	inst, err := jsonschema.UnmarshalJSON(rf)
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Errorf("the IaC report does not match docs/report-schema.json: %v", err)
	}
}

// TestAModuleUnderTwoRootsKeepsTheWorst: one module file reached from two
// examples gives one finding per rule, the worst, naming its root.
func TestAModuleUnderTwoRootsKeepsTheWorst(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{
		"modules/dms/main.tf": "variable \"k\" {}\nresource \"aws_dms_replication_instance\" \"this\" {\n  kms_key_arn = var.k\n}\n",
		"examples/good/main.tf": `resource "aws_kms_key" "k" {}
module "dms" {
  source = "../../modules/dms"
  k      = aws_kms_key.k.arn
}`,
		"examples/bad/main.tf": `module "dms" {
  source = "../../modules/dms"
  k      = "alias/aws/dms"
}`,
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	opts, out, _ := newOptions(t, dir, dir)
	_ = Run(context.Background(), opts)
	var rep finding.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range rep.Findings {
		if f.RuleID != "CMKG-DMS-001" {
			continue
		}
		n++
		if f.Status != finding.StatusFail || f.Source.File != "modules/dms/main.tf" || f.Source.StartLine != 3 ||
			!strings.Contains(f.Reason, "the worst of 2 evaluations: evaluated from root module examples/bad") {
			t.Errorf("finding %s at %s:%d: %s", f.Status, f.Source.File, f.Source.StartLine, f.Reason)
		}
	}
	if n != 1 {
		t.Fatalf("%d CMKG-DMS-001 findings, want 1", n)
	}
}

func TestNothingToCheckIsSaid(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.yaml"), []byte("a: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	opts, _, errOut := newOptions(t, dir, dir, filepath.Join(dir, "notes.yaml"))
	if err := Run(context.Background(), opts); err != nil {
		t.Fatalf("exit %d (%v), want 0", exit.Code(err), err)
	}
	for _, want := range []string{"notes.yaml: not a Terraform, Terraform plan or CloudFormation file", "no Terraform, Terraform plan or CloudFormation file found"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr does not say %q:\n%s", want, errOut)
		}
	}
}
