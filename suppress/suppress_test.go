package suppress

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/finding"
)

var rules = RuleIDs{
	"CMKG-DMS-001": "CMKG-DMS-001", "dms-instance-cmk": "CMKG-DMS-001",
	"CMKG-DMS-002": "CMKG-DMS-002", "dms-instance-key-usable": "CMKG-DMS-002",
}

var now = time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)

func parse(t *testing.T, doc string) *List {
	t.Helper()
	l, err := Parse([]byte(doc), rules)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return l
}

func TestApplySuppressesMatchingFindings(t *testing.T) {
	t.Parallel()
	const doc = `
version: 1
suppressions:
  - resource: "arn:aws:dms:eu-west-1:111122223333:rep:DEMO*"
    rule: dms-instance-cmk
    reason: demo instances, rebuilt nightly
    expires: 2026-12-31
  - resource: "arn:aws:dms:us-east-1:111122223333:rep:OLD"
    rule: "*"
    reason: decommissioned next week
    expires: 2026-11-26
  - resource: "arn:aws:dms:*:111122223333:rep:LAST"
    rule: CMKG-DMS-002
    reason: expires today, still applies
    expires: 2026-11-27
`
	l := parse(t, doc)
	in := []finding.Finding{
		{RuleID: "CMKG-DMS-001", ResourceARN: "arn:aws:dms:eu-west-1:111122223333:rep:DEMO1", Status: finding.StatusFail},
		{RuleID: "CMKG-DMS-002", ResourceARN: "arn:aws:dms:eu-west-1:111122223333:rep:DEMO1", Status: finding.StatusFail},
		{RuleID: "CMKG-DMS-001", ResourceARN: "arn:aws:dms:eu-west-1:111122223333:rep:DEMO2", Status: finding.StatusUnknown},
		{RuleID: "CMKG-DMS-001", ResourceARN: "arn:aws:dms:eu-west-1:111122223333:rep:DEMO3", Status: finding.StatusPass},
		{RuleID: "CMKG-DMS-001", ResourceARN: "arn:aws:dms:us-east-1:111122223333:rep:OLD", Status: finding.StatusFail},
		{RuleID: "CMKG-DMS-002", ResourceARN: "arn:aws:dms:ap-south-1:111122223333:rep:LAST", Status: finding.StatusFail},
	}
	got := l.Apply(in, now)
	want := []finding.Finding{
		{RuleID: "CMKG-DMS-001", ResourceARN: "arn:aws:dms:eu-west-1:111122223333:rep:DEMO1", Status: finding.StatusSuppressed,
			Suppression: &finding.Suppression{Reason: "demo instances, rebuilt nightly", Expires: "2026-12-31", Source: "suppression #1"}},
		{RuleID: "CMKG-DMS-002", ResourceARN: "arn:aws:dms:eu-west-1:111122223333:rep:DEMO1", Status: finding.StatusFail},
		{RuleID: "CMKG-DMS-001", ResourceARN: "arn:aws:dms:eu-west-1:111122223333:rep:DEMO2", Status: finding.StatusSuppressed,
			Suppression: &finding.Suppression{Reason: "demo instances, rebuilt nightly", Expires: "2026-12-31", Source: "suppression #1"}},
		{RuleID: "CMKG-DMS-001", ResourceARN: "arn:aws:dms:eu-west-1:111122223333:rep:DEMO3", Status: finding.StatusPass},
		{RuleID: "CMKG-DMS-001", ResourceARN: "arn:aws:dms:us-east-1:111122223333:rep:OLD", Status: finding.StatusFail,
			Suppression: &finding.Suppression{Reason: "decommissioned next week", Expires: "2026-11-26", Expired: true, Source: "suppression #2"}},
		{RuleID: "CMKG-DMS-002", ResourceARN: "arn:aws:dms:ap-south-1:111122223333:rep:LAST", Status: finding.StatusSuppressed,
			Suppression: &finding.Suppression{Reason: "expires today, still applies", Expires: "2026-11-27", Source: "suppression #3"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Apply (-want +got):\n%s", diff)
	}
}

func TestAnActiveEntryWinsOverAnEarlierExpiredOne(t *testing.T) {
	t.Parallel()
	l := parse(t, `
suppressions:
  - {resource: "arn:aws:dms:*", rule: "*", reason: old, expires: 2020-01-01}
  - {resource: "arn:aws:dms:*", rule: "*", reason: renewed, expires: 2030-01-01}
`)
	got := l.Apply([]finding.Finding{{RuleID: "CMKG-DMS-001", ResourceARN: "arn:aws:dms:x", Status: finding.StatusFail}}, now)
	if got[0].Status != finding.StatusSuppressed || got[0].Suppression.Reason != "renewed" {
		t.Errorf("got %s with %+v, want SUPPRESSED by the renewed entry", got[0].Status, got[0].Suppression)
	}
}

func TestParseRejectsInvalidFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		doc     string
		wantErr string
	}{
		{"an empty file", ``, "no 'suppressions' list"},
		{"a file that is not YAML", "suppressions: [", "not a valid ignore file"},
		{"an unknown field", "suppressions:\n  - {resource: a, rule: '*', reason: r, expires: 2030-01-01, owner: me}", "not a valid ignore file"},
		{"a missing reason", "suppressions:\n  - {resource: a, rule: '*', expires: 2030-01-01}", "suppression #1: reason is required"},
		{"a missing resource", "suppressions:\n  - {rule: '*', reason: r, expires: 2030-01-01}", "resource is required"},
		{"an unknown rule", "suppressions:\n  - {resource: a, rule: CMKG-XXX-9, reason: r, expires: 2030-01-01}", `unknown rule "CMKG-XXX-9"`},
		{"a missing expiry", "suppressions:\n  - {resource: a, rule: '*', reason: r}", "expires is required"},
		{"a malformed expiry", "suppressions:\n  - {resource: a, rule: '*', reason: r, expires: 31/12/2026}", "not a date"},
		{"an unsupported version", "version: 2\nsuppressions: []", "unsupported version 2"},
		{"every bad entry is reported", "suppressions:\n  - {resource: a, rule: '*', reason: r}\n  - {resource: b, rule: '*', reason: r}", "suppression #2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.doc), rules)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoadNamesTheFileInErrorsAndSources(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "ignore.yaml")
	if err := os.WriteFile(good, []byte("suppressions:\n  - {resource: '*', rule: dms-instance-cmk, reason: r, expires: 2030-01-01}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := Load(good, rules)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	got := l.Apply([]finding.Finding{{RuleID: "CMKG-DMS-001", ResourceARN: "x", Status: finding.StatusFail}}, now)
	if want := good + " suppression #1"; got[0].Suppression == nil || got[0].Suppression.Source != want {
		t.Errorf("source = %+v, want %q", got[0].Suppression, want)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml"), rules); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("Load of a missing file: %v, want an error naming it", err)
	}
}

func TestGlob(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"arn:aws:dms:us-east-1:1:rep:ABC", "arn:aws:dms:us-east-1:1:rep:ABC", true},
		{"arn:aws:dms:us-east-1:1:rep:ABC", "arn:aws:dms:us-east-1:1:rep:ABCD", false},
		{"arn:aws:dms:*:1:rep:*", "arn:aws:dms:eu-west-1:1:rep:X", true},
		{"arn:aws:dms:*:2:rep:*", "arn:aws:dms:eu-west-1:1:rep:X", false},
		{"*", "anything/with:colons", true},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*b*b*", "abxxbz", true},
		{"", "", true},
		{"", "a", false},
	}
	for _, tt := range tests {
		if got := Glob(tt.pattern, tt.name); got != tt.want {
			t.Errorf("Glob(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}
