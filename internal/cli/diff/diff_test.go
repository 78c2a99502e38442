package diff

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/iostreams"
	"github.com/cmkguard/cmkguard/report"
	"github.com/cmkguard/cmkguard/rule"
	"github.com/cmkguard/cmkguard/state"
)

func instanceFinding(id string, status finding.Status, sev finding.Severity) finding.Finding {
	arn := "arn:aws:dms:eu-west-1:111122223333:rep:" + id
	return finding.Finding{
		RuleID: "CMKG-DMS-001", ShortCode: "dms-instance-cmk", Title: "customer key", Severity: sev, Status: status,
		ResourceARN: arn, ResourceID: id, ResourceType: "AWS::DMS::ReplicationInstance", Region: "eu-west-1", Account: "111122223333",
		Source: state.Source{ARN: arn}, KeyARN: "arn:aws:kms:eu-west-1:111122223333:key/k", Reason: id + " reason",
	}
}

// writeReport writes findings as `audit --format json` would: the rule
// package's envelope through the report package's JSON writer.
func writeReport(t *testing.T, name string, fs ...finding.Finding) string {
	t.Helper()
	rep := rule.NewReport(&state.State{}, fs, finding.Tool{Name: "cmkguard", Version: "test"}, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	var b bytes.Buffer
	if err := (&report.JSON{}).Write(&b, rep); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	cmd := NewCmdDiff(&factory.Factory{IOStreams: ios, Now: time.Now}, nil)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestDiffExitCodes(t *testing.T) {
	t.Parallel()
	old := writeReport(t, "old.json",
		instanceFinding("legacy", finding.StatusFail, finding.SeverityHigh),
		instanceFinding("good", finding.StatusPass, finding.SeverityHigh))
	regressed := writeReport(t, "new.json",
		instanceFinding("legacy", finding.StatusFail, finding.SeverityHigh),
		instanceFinding("good", finding.StatusFail, finding.SeverityHigh))
	same := writeReport(t, "same.json",
		instanceFinding("legacy", finding.StatusFail, finding.SeverityHigh),
		instanceFinding("good", finding.StatusPass, finding.SeverityHigh))
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"a regression fails --fail-on-new", []string{old, regressed, "--fail-on-new"}, exit.Findings, "changed (regression)"},
		{"no regression passes --fail-on-new although an old FAIL remains", []string{old, same, "--fail-on-new"}, exit.OK, "0 regression(s)"},
		{"without --fail-on-new the old FAIL counts, as in the audit", []string{old, same}, exit.Findings, "No finding changed."},
		{"--fail-on none never fails", []string{old, regressed, "--fail-on", "none"}, exit.OK, "1 regression(s)"},
		{"--fail-on critical ignores a high regression", []string{old, regressed, "--fail-on-new", "--fail-on", "critical"}, exit.OK, ""},
		{"markdown for a pull-request comment", []string{old, regressed, "--fail-on-new", "--format", "markdown"}, exit.Findings, "❌ 1 new failing finding(s)"},
		{"json", []string{old, regressed, "--format", "json", "--fail-on", "none"}, exit.OK, `"regressions": 1`},
		{"one argument is a usage error", []string{old}, exit.Usage, ""},
		{"an unknown format is a usage error", []string{old, same, "--format", "html"}, exit.Usage, ""},
		{"an unknown severity is a usage error", []string{old, same, "--fail-on", "severe"}, exit.Usage, ""},
		{"a missing file is an error", []string{old, filepath.Join(t.TempDir(), "nope.json")}, exit.Error, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := run(t, tt.args...)
			if code := exit.Code(err); code != tt.wantCode {
				t.Fatalf("exit %d (%v), want %d\n%s", code, err, tt.wantCode, out)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("output lacks %q:\n%s", tt.wantOut, out)
			}
		})
	}
}

func TestDiffRefusesAReportOfAnotherSchema(t *testing.T) {
	t.Parallel()
	old := writeReport(t, "old.json")
	p := filepath.Join(t.TempDir(), "v2.json")
	if err := os.WriteFile(p, []byte(`{"schemaVersion":"2.0","findings":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := run(t, old, p)
	if exit.Code(err) != exit.Error || !strings.Contains(err.Error(), `report schema "2.0"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestDiffSARIFIsValidAndSetsBaselineState(t *testing.T) {
	t.Parallel()
	old := writeReport(t, "old.json",
		instanceFinding("legacy", finding.StatusFail, finding.SeverityHigh),
		instanceFinding("fixed", finding.StatusFail, finding.SeverityHigh))
	cur := writeReport(t, "new.json",
		instanceFinding("legacy", finding.StatusFail, finding.SeverityHigh),
		instanceFinding("fixed", finding.StatusPass, finding.SeverityHigh),
		instanceFinding("added", finding.StatusUnknown, finding.SeverityHigh))
	out, err := run(t, old, cur, "--format", "sarif", "--fail-on", "none")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join("..", "..", "..", "report", "testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Errorf("not valid SARIF 2.1.0: %v", err)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				BaselineState string
				Kind          string
				Locations     []struct {
					LogicalLocations []struct{ Name string }
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range log.Runs[0].Results {
		got[r.Locations[0].LogicalLocations[0].Name] = r.BaselineState + "/" + r.Kind
	}
	want := map[string]string{"added": "new/fail", "legacy": "unchanged/fail", "fixed": "absent/pass"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}
