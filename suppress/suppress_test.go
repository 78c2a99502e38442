package suppress

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/state"
)

var rules = RuleIDs{
	"CMKG-DMS-001": "CMKG-DMS-001", "dms-instance-cmk": "CMKG-DMS-001",
	"CMKG-DMS-002": "CMKG-DMS-002", "dms-instance-key-usable": "CMKG-DMS-002",
}

var now = time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)

func parse(t *testing.T, doc string) *List {
	t.Helper()
	l, err := Parse([]byte(doc), rules, Options{Now: now})
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
  - {resource: "arn:aws:dms:*", rule: "*", reason: renewed, expires: 2027-06-30}
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
		{"an unknown field", "suppressions:\n  - {resource: a, rule: '*', reason: r, expires: 2027-06-30, owner: me}", "not a valid ignore file"},
		{"a missing reason", "suppressions:\n  - {resource: a, rule: '*', expires: 2027-06-30}", "suppression #1: reason is required"},
		{"a missing resource", "suppressions:\n  - {rule: '*', reason: r, expires: 2027-06-30}", "name what it suppresses"},
		{"an unknown rule", "suppressions:\n  - {resource: a, rule: CMKG-XXX-9, reason: r, expires: 2027-06-30}", `unknown rule "CMKG-XXX-9"`},
		{"a missing expiry", "suppressions:\n  - {resource: a, rule: '*', reason: r}", "expires is required"},
		{"a malformed expiry", "suppressions:\n  - {resource: a, rule: '*', reason: r, expires: 31/12/2026}", "not a date"},
		{"an unsupported version", "version: 2\nsuppressions: []", "unsupported version 2"},
		{"every bad entry is reported", "suppressions:\n  - {resource: a, rule: '*', reason: r}\n  - {resource: b, rule: '*', reason: r}", "suppression #2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.doc), rules, Options{Now: now})
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
	if err := os.WriteFile(good, []byte("suppressions:\n  - {resource: '*', rule: dms-instance-cmk, reason: r, expires: 2027-06-30}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := Load(good, rules, Options{Now: now})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	got := l.Apply([]finding.Finding{{RuleID: "CMKG-DMS-001", ResourceARN: "x", Status: finding.StatusFail}}, now)
	if want := good + " suppression #1"; got[0].Suppression == nil || got[0].Suppression.Source != want {
		t.Errorf("source = %+v, want %q", got[0].Suppression, want)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml"), rules, Options{Now: now}); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
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

func TestEntriesSelectByIdentifierARNTagAddressAndFile(t *testing.T) {
	t.Parallel()
	live := finding.Finding{RuleID: "CMKG-DMS-001", ResourceARN: "arn:aws:dms:eu-west-1:111122223333:rep:ABC", ResourceID: "orders-prod",
		Tags: map[string]string{"env": "sandbox-7", "team": "data"}, Status: finding.StatusFail}
	iac := finding.Finding{RuleID: "CMKG-DMS-001", ResourceID: "this", Status: finding.StatusFail,
		Source: state.Source{File: "modules/legacy/dms/main.tf", Address: `module.legacy.aws_dms_replication_instance.this["pg"]`}}
	tests := []struct {
		name, selector string
		want           map[string]bool // finding → suppressed
	}{
		{"by ARN glob", `resource: "arn:aws:dms:*:111122223333:rep:*"`, map[string]bool{"live": true, "iac": false}},
		{"by resource identifier", `resource: "orders-*"`, map[string]bool{"live": true, "iac": false}},
		{"by tag with a glob value", `tag: "env=sandbox-*"`, map[string]bool{"live": true, "iac": false}},
		{"by tag, value must match", `tag: "env=prod"`, map[string]bool{"live": false, "iac": false}},
		{"by IaC address glob", `address: "module.legacy.aws_dms_replication_instance.*"`, map[string]bool{"live": false, "iac": true}},
		{"by file doublestar glob", `file: "modules/legacy/**/*.tf"`, map[string]bool{"live": false, "iac": true}},
		{"every selector given must match", "file: \"modules/**\"\n    tag: \"env=sandbox-*\"", map[string]bool{"live": false, "iac": false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := parse(t, "suppressions:\n  - "+tt.selector+"\n    rule: dms-instance-cmk\n    reason: accepted\n    expires: 2026-12-31\n")
			got := map[string]bool{}
			for name, f := range map[string]finding.Finding{"live": live, "iac": iac} {
				out := l.Apply([]finding.Finding{f}, now)
				got[name] = out[0].Status == finding.StatusSuppressed
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("suppressed (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBroadEntriesAreRefusedUnlessAllowed(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, doc, want string }{
		{"every rule on every resource", "suppressions:\n  - {resource: '*', rule: '*', reason: r, expires: 2026-12-31}", "every rule on every resource"},
		{"every rule on every address", "suppressions:\n  - {address: '**', rule: '*', reason: r, expires: 2026-12-31}", "every rule on every resource"},
		{"an expiry more than a year away", "suppressions:\n  - {resource: 'arn:aws:dms:*', rule: '*', reason: r, expires: 2028-01-01}", "more than a year away"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Parse([]byte(tt.doc), rules, Options{Now: now}); err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "--allow-broad-suppressions") {
				t.Errorf("Parse error = %v, want one containing %q and naming --allow-broad-suppressions", err, tt.want)
			}
			if _, err := Parse([]byte(tt.doc), rules, Options{Now: now, AllowBroad: true}); err != nil {
				t.Errorf("with AllowBroad: %v", err)
			}
		})
	}
	// One rule on every resource, or every rule on some, is not broad.
	for _, doc := range []string{
		"suppressions:\n  - {resource: '*', rule: CMKG-DMS-001, reason: r, expires: 2026-12-31}",
		"suppressions:\n  - {resource: 'arn:aws:dms:eu-west-1:*', rule: '*', reason: r, expires: 2026-12-31}",
	} {
		if _, err := Parse([]byte(doc), rules, Options{Now: now}); err != nil {
			t.Errorf("%s: %v", doc, err)
		}
	}
}

func TestUnusedEntriesAreListed(t *testing.T) {
	t.Parallel()
	l := parse(t, `
suppressions:
  - {resource: "arn:aws:dms:*:111122223333:rep:USED", rule: "*", reason: r, expires: 2026-12-31}
  - {resource: "arn:aws:dms:*:111122223333:rep:GONE", rule: dms-instance-cmk, reason: r, expires: 2026-12-31}
`)
	l.Apply([]finding.Finding{{RuleID: "CMKG-DMS-001", ResourceARN: "arn:aws:dms:eu-west-1:111122223333:rep:USED", Status: finding.StatusFail}}, now)
	want := []string{"suppression #2 matched no finding (resource arn:aws:dms:*:111122223333:rep:GONE, rule dms-instance-cmk)"}
	if diff := cmp.Diff(want, l.Unused()); diff != "" {
		t.Errorf("unused (-want +got):\n%s", diff)
	}
}

func TestInlineSuppressionsHaveTheIgnoreFilesSemantics(t *testing.T) {
	t.Parallel()
	src := func(in ...state.InlineSuppression) state.Source {
		return state.Source{File: "main.tf", Address: "aws_dms_endpoint.x", Suppressions: in}
	}
	tests := []struct {
		name       string
		source     state.Source
		wantStatus finding.Status
		wantSource string // of the recorded suppression, if any
		problem    string // in Problems, if any
	}{
		{"an inline suppression of the finding's rule applies", src(state.InlineSuppression{Rule: "dms-instance-cmk", Reason: "legacy", Expires: "2026-12-31", Line: 4}),
			finding.StatusSuppressed, "main.tf:4 inline suppression", ""},
		{"one of another rule does not", src(state.InlineSuppression{Rule: "CMKG-DMS-002", Reason: "legacy", Expires: "2026-12-31", Line: 4}),
			finding.StatusFail, "", ""},
		{"an expired one says so and does not apply", src(state.InlineSuppression{Rule: "CMKG-DMS-001", Reason: "legacy", Expires: "2026-01-31", Line: 9}),
			finding.StatusFail, "main.tf:9 inline suppression", ""},
		{"one without a reason does not apply and is a problem", src(state.InlineSuppression{Rule: "CMKG-DMS-001", Expires: "2026-12-31", Line: 2}),
			finding.StatusFail, "", "main.tf:2: inline suppression of \"CMKG-DMS-001\" not applied: reason is required"},
		{"one without an expiry does not apply and is a problem", src(state.InlineSuppression{Rule: "CMKG-DMS-001", Reason: "legacy", Line: 2}),
			finding.StatusFail, "", "expires is required"},
		{"one of an unknown rule is a problem", src(state.InlineSuppression{Rule: "CMKG-NOPE", Reason: "legacy", Expires: "2026-12-31"}),
			finding.StatusFail, "", `unknown rule "CMKG-NOPE"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := New(rules, Options{Now: now})
			out := l.Apply([]finding.Finding{{RuleID: "CMKG-DMS-001", ShortCode: "dms-instance-cmk", Status: finding.StatusFail, Source: tt.source}}, now)
			if out[0].Status != tt.wantStatus {
				t.Errorf("status %s, want %s", out[0].Status, tt.wantStatus)
			}
			gotSource := ""
			if out[0].Suppression != nil {
				gotSource = out[0].Suppression.Source
				if tt.wantStatus == finding.StatusFail && !out[0].Suppression.Expired {
					t.Errorf("a suppression that did not apply is recorded as active: %+v", out[0].Suppression)
				}
			}
			if gotSource != tt.wantSource {
				t.Errorf("suppression source %q, want %q", gotSource, tt.wantSource)
			}
			problems := strings.Join(l.Problems(), "\n")
			if (tt.problem == "") != (problems == "") || !strings.Contains(problems, tt.problem) {
				t.Errorf("problems %q, want %q", problems, tt.problem)
			}
		})
	}
}
