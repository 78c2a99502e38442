package report

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCSVMatchesGoldenFiles(t *testing.T) {
	t.Parallel()
	for _, tc := range fixtureCases() {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := (&CSV{}).Write(&buf, tc.report); err != nil {
				t.Fatal(err)
			}
			compareWithGolden(t, tc.name+".csv", buf.Bytes())
		})
	}
}

func TestCSVReadsBackAsOneRowPerFindingUnderTheHeader(t *testing.T) {
	t.Parallel()
	r := fixtureEveryVerdict()
	var buf bytes.Buffer
	if err := (&CSV{}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("output is not valid CSV: %v", err)
	}
	if diff := cmp.Diff(CSVHeader, records[0]); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	// One row per finding, then one per rule not evaluated.
	if got, want := len(records)-1, len(r.Findings)+1; got != want {
		t.Fatalf("got %d rows, want %d", got, want)
	}
	last := records[len(records)-1]
	if last[0] != "CMKG-DMS-003" || last[4] != "NOT_EVALUATED" {
		t.Errorf("last row %v, want the rule not evaluated", last[:5])
	}
	col := map[string]int{}
	for i, name := range CSVHeader {
		col[name] = i
	}
	for i, f := range r.Findings {
		got := records[i+1]
		want := []string{f.RuleID, string(f.Status), f.ResourceARN, f.Remediation}
		gotCells := []string{got[col["rule_id"]], got[col["status"]], got[col["resource_arn"]], got[col["remediation"]]}
		if diff := cmp.Diff(want, gotCells); diff != "" {
			t.Errorf("row %d (-want +got):\n%s", i+1, diff)
		}
	}
}

func TestCSVKeepsQuotesCommasAndNewlinesAndDefusesFormulas(t *testing.T) {
	t.Parallel()
	r := fixtureEveryVerdict()
	var buf bytes.Buffer
	if err := (&CSV{}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	reason := 0
	for i, name := range CSVHeader {
		if name == "reason" {
			reason = i
		}
	}
	// The critical finding's reason has quotes, a comma, a newline and, on
	// its second line, formula-looking text: it reads back unchanged.
	if diff := cmp.Diff(r.Findings[5].Reason, records[6][reason]); diff != "" {
		t.Errorf("reason (-want +got):\n%s", diff)
	}
	tests := []struct{ in, want string }{
		{"=1+1", "'=1+1"},
		{"+cmd", "'+cmd"},
		{"-2", "'-2"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"arn:aws:dms:us-east-1:1:rep:x", "arn:aws:dms:us-east-1:1:rep:x"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := csvSafe(tt.in); got != tt.want {
			t.Errorf("csvSafe(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
