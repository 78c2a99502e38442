package reportdiff

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/state"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const acct = "111122223333"

func live(rule string, sev finding.Severity, id string, status finding.Status, key string) finding.Finding {
	arn := "arn:aws:dms:eu-west-1:" + acct + ":rep:" + id
	return finding.Finding{
		RuleID: rule, ShortCode: strings.ToLower(rule), Title: rule + " title", Severity: sev, Status: status,
		ResourceARN: arn, ResourceID: id, ResourceType: "AWS::DMS::ReplicationInstance", Region: "eu-west-1", Account: acct,
		Source: state.Source{ARN: arn}, KeyARN: key, Reason: id + " is " + string(status),
	}
}

func iac(status finding.Status, arn string) finding.Finding {
	return finding.Finding{
		RuleID: "CMKG-DMS-001", Severity: finding.SeverityHigh, Status: status,
		ResourceARN: arn, ResourceType: "AWS::DMS::ReplicationInstance",
		Source: state.Source{File: "infra/dms.tf", StartLine: 3, EndLine: 9, Address: "aws_dms_replication_instance.main"}, Reason: "declared",
	}
}

const (
	keyA  = "arn:aws:kms:eu-west-1:111122223333:key/aaaa"
	keyB  = "arn:aws:kms:eu-west-1:111122223333:key/bbbb"
	high  = finding.SeverityHigh
	crit  = finding.SeverityCritical
	med   = finding.SeverityMedium
	fail  = finding.StatusFail
	pass  = finding.StatusPass
	unkn  = finding.StatusUnknown
	suppr = finding.StatusSuppressed
)

func report(at string, fs ...finding.Finding) *finding.Report {
	return &finding.Report{
		SchemaVersion: "1.1", Tool: finding.Tool{Name: "cmkguard", Version: "1.2.3"}, GeneratedAt: at,
		Accounts: []string{acct}, Regions: []finding.Region{}, Findings: fs, Summary: finding.Summarize(fs),
		Rules: []finding.Rule{
			{ID: "CMKG-DMS-001", ShortCode: "dms-instance-cmk", Title: "customer key", Severity: high},
			{ID: "CMKG-DMS-002", ShortCode: "dms-instance-key-usable", Title: "key usable", Severity: crit},
		},
	}
}

// fixture pairs two audits: every kind of change, once.
func fixture() (*finding.Report, *finding.Report) {
	old := report("2026-11-01T10:00:00Z",
		live("CMKG-DMS-001", high, "still-failing", fail, keyA),
		live("CMKG-DMS-001", high, "regressed", pass, keyB),
		live("CMKG-DMS-001", high, "fixed", fail, keyA),
		live("CMKG-DMS-001", high, "deleted", fail, keyA),
		live("CMKG-DMS-001", high, "rekeyed", fail, keyA),
		live("CMKG-DMS-002", crit, "suppressed-now", fail, keyB),
		iac(fail, "arn:aws:dms:eu-west-1:111122223333:rep:planned-1"),
	)
	cur := report("2026-12-01T10:00:00Z",
		live("CMKG-DMS-001", high, "still-failing", fail, keyA),
		live("CMKG-DMS-001", high, "regressed", fail, keyA),
		live("CMKG-DMS-001", high, "fixed", pass, keyB),
		live("CMKG-DMS-001", high, "rekeyed", fail, keyB),
		live("CMKG-DMS-002", crit, "suppressed-now", suppr, keyB),
		live("CMKG-DMS-001", high, "brand-new", fail, keyA),
		live("CMKG-DMS-001", high, "new-and-fine", pass, keyB),
		live("CMKG-DMS-002", med, "new-unknown", unkn, ""),
		// The same IaC resource, with a different synthetic ARN: identity is file#address.
		iac(fail, "arn:aws:dms:eu-west-1:111122223333:rep:planned-2"),
	)
	cur.Findings[7].Severity = med
	return old, cur
}

func TestCompareClassifiesEveryKindOfChange(t *testing.T) {
	t.Parallel()
	d, err := Compare(fixture())
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Change            Change
		Label             string
		Regression, Fixed bool
		Fields            string
	}
	var got []row
	for i := range d.Entries {
		e := &d.Entries[i]
		got = append(got, row{e.Change, e.label(), e.Regression, e.Fixed, strings.Join(e.Fields, ",")})
	}
	want := []row{
		{ChangeNew, "brand-new", true, false, ""},
		{ChangeNew, "new-and-fine", false, false, ""},
		{ChangeNew, "new-unknown", true, false, ""},
		{ChangeChanged, "suppressed-now", false, true, "status"}, // critical first
		{ChangeChanged, "fixed", false, true, "status,keyArn"},
		{ChangeChanged, "regressed", true, false, "status,keyArn"},
		{ChangeChanged, "rekeyed", false, false, "keyArn"},
		{ChangeResolved, "deleted", false, true, ""},
		{ChangeUnchanged, "still-failing", false, false, ""},
		{ChangeUnchanged, "aws_dms_replication_instance.main", false, false, ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	wantSum := Summary{New: 3, Changed: 4, Resolved: 1, Unchanged: 2, Regressions: 3, Fixed: 3}
	if d.Summary != wantSum {
		t.Errorf("summary = %+v, want %+v", d.Summary, wantSum)
	}
}

func TestGateAppliesTheAuditPolicyToWhatIsNew(t *testing.T) {
	t.Parallel()
	d, err := Compare(fixture())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		threshold finding.Severity
		onlyNew   bool
		want      int
	}{
		{"only new, high: the regression and the new FAIL", high, true, 2},
		{"only new, medium: and the new UNKNOWN, which counts at its severity", med, true, 3},
		{"only new, critical: nothing new is critical", crit, true, 0},
		{"everything, high: every FAIL of the new report, old ones too", high, false, 5},
	}
	for _, tt := range tests {
		if got := d.Gate(tt.threshold, tt.onlyNew); got != tt.want {
			t.Errorf("%s: Gate = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestBaselineStates(t *testing.T) {
	t.Parallel()
	d, err := Compare(fixture())
	if err != nil {
		t.Fatal(err)
	}
	r, states := d.SARIFReport()
	got := map[string]string{}
	for i, f := range r.Findings {
		got[f.ResourceID+f.Source.Address] = states[i] + " " + string(f.Status)
	}
	want := map[string]string{
		"brand-new":                         "new FAIL",
		"new-unknown":                       "new UNKNOWN",
		"regressed":                         "new FAIL",
		"fixed":                             "absent FAIL",
		"rekeyed":                           "updated FAIL",
		"suppressed-now":                    "absent FAIL",
		"deleted":                           "absent FAIL",
		"still-failing":                     "unchanged FAIL",
		"aws_dms_replication_instance.main": "unchanged FAIL",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SARIF results (-want +got):\n%s", diff)
	}
}

func TestReadRefusesWhatIsNotAReport(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, body, wantErr string }{
		{"not JSON", "{", "is not a cmkguard JSON report"},
		{"no schema version", `{"findings":[]}`, "has no schemaVersion"},
		{"schema 2", `{"schemaVersion":"2.0","findings":[]}`, `report schema "2.0"`},
		{"finding without a rule", `{"schemaVersion":"1.0","findings":[{"status":"FAIL"}]}`, "finding 1 has no ruleId"},
		{"two documents", `{"schemaVersion":"1.0"} {}`, "data after the report"},
	}
	for _, tt := range tests {
		_, err := Read(strings.NewReader(tt.body), "old.json")
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "old.json") {
			t.Errorf("%s: err = %v, want %q naming the file", tt.name, err, tt.wantErr)
		}
	}
	if _, err := Read(strings.NewReader(`{"schemaVersion":"1.0","findings":[]}`), "x"); err != nil {
		t.Errorf("schema 1.0 refused: %v", err)
	}
}

func TestOutputsMatchGoldenFiles(t *testing.T) {
	t.Parallel()
	d, err := Compare(fixture())
	if err != nil {
		t.Fatal(err)
	}
	same, err := Compare(fixture2())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		d     *Diff
		write func(*Diff, *bytes.Buffer) error
	}{
		{"every-change.table", d, func(d *Diff, b *bytes.Buffer) error { return d.WriteTable(b) }},
		{"every-change.md", d, func(d *Diff, b *bytes.Buffer) error { return d.WriteMarkdown(b) }},
		{"every-change.json", d, func(d *Diff, b *bytes.Buffer) error { return d.WriteJSON(b) }},
		{"no-change.table", same, func(d *Diff, b *bytes.Buffer) error { return d.WriteTable(b) }},
		{"no-change.md", same, func(d *Diff, b *bytes.Buffer) error { return d.WriteMarkdown(b) }},
	} {
		var b bytes.Buffer
		if err := tt.write(tt.d, &b); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if strings.HasSuffix(tt.name, ".json") && !json.Valid(b.Bytes()) {
			t.Fatalf("%s: not JSON", tt.name)
		}
		path := filepath.Join("testdata", tt.name)
		if *update {
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read golden file (go test ./reportdiff -update): %v", err)
		}
		if diff := cmp.Diff(string(want), b.String()); diff != "" {
			t.Errorf("%s differs (-want +got):\n%s", path, diff)
		}
	}
}

// fixture2 is one audit compared with itself.
func fixture2() (*finding.Report, *finding.Report) {
	_, cur := fixture()
	return cur, cur
}
