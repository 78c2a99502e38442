package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/finding"
)

func TestTableMatchesGoldenFiles(t *testing.T) {
	t.Parallel()
	for _, tc := range fixtureCases() {
		for _, mode := range []struct {
			suffix string
			color  bool
		}{{"piped", false}, {"terminal", true}} {
			t.Run(tc.name+" "+mode.suffix, func(t *testing.T) {
				t.Parallel()
				var buf bytes.Buffer
				if err := (&Table{Color: mode.color}).Write(&buf, tc.report); err != nil {
					t.Fatalf("Write: %v", err)
				}
				compareWithGolden(t, tc.name+"."+mode.suffix+".table", buf.Bytes())
			})
		}
	}
}

func TestPipedTableHasNoEscapeCodesAndTerminalTableHas(t *testing.T) {
	t.Parallel()
	r := fixtureEveryVerdict()
	var piped, term bytes.Buffer
	if err := (&Table{}).Write(&piped, r); err != nil {
		t.Fatal(err)
	}
	if err := (&Table{Color: true}).Write(&term, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(piped.String(), "\x1b[") {
		t.Errorf("piped table contains ANSI escape codes")
	}
	if !strings.Contains(term.String(), ansiRed+"FAIL") {
		t.Errorf("terminal table does not colour FAIL red")
	}
}

func TestTableShowsEveryFindingThatNeedsAttention(t *testing.T) {
	t.Parallel()
	r := fixtureEveryVerdict()
	var buf bytes.Buffer
	if err := (&Table{}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, f := range r.Findings {
		if !strings.Contains(out, resourceLabel(&f)) {
			t.Errorf("table does not name %s", resourceLabel(&f))
		}
		if f.Status != finding.StatusPass && !strings.Contains(out, f.Remediation) {
			t.Errorf("table does not show the remediation of %s", resourceLabel(&f))
		}
	}
	if !strings.Contains(out, "EXPIRED on 2026-01-31") {
		t.Errorf("table does not say a suppression expired")
	}
}

func TestJSONMatchesGoldenFiles(t *testing.T) {
	t.Parallel()
	for _, tc := range fixtureCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := (JSON{}).Write(&buf, tc.report); err != nil {
				t.Fatalf("Write: %v", err)
			}
			compareWithGolden(t, tc.name+".json", buf.Bytes())
		})
	}
}

func TestStreamedJSONIsExactlyTheMarshalledReport(t *testing.T) {
	t.Parallel()
	reports := map[string]*finding.Report{"empty": fixtureEmpty(), "every verdict": fixtureEveryVerdict(), "nil findings": fixtureEmpty()}
	reports["nil findings"].Findings = nil
	for name, r := range reports {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := (JSON{}).Write(&buf, r); err != nil {
				t.Fatal(err)
			}
			want, err := json.MarshalIndent(r, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want)+"\n", buf.String()); diff != "" {
				t.Errorf("streamed JSON differs from json.MarshalIndent (-want +got):\n%s", diff)
			}
			var back finding.Report
			if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
				t.Fatalf("output does not parse back: %v", err)
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWritersReportErrors(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"table", "json"} {
		r, err := New(name, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Write(failingWriter{}, fixtureEveryVerdict()); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("%s: write to a failing writer = %v, want the writer's error", name, err)
		}
		if err := r.Write(&bytes.Buffer{}, nil); err == nil {
			t.Errorf("%s: a nil report gave no error", name)
		}
	}
}

func TestParseOutputs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		values  []string
		want    []Output
		wantErr string
	}{
		{name: "one format goes to stdout", values: []string{"json"}, want: []Output{{Format: "json"}}},
		{name: "formats with files are listed in order", values: []string{"table,json=out.json"}, want: []Output{{Format: "table"}, {Format: "json", Path: "out.json"}}},
		{name: "repeated flags add up", values: []string{"table", "json=a.json"}, want: []Output{{Format: "table"}, {Format: "json", Path: "a.json"}}},
		{name: "a dash means stdout", values: []string{"json=-"}, want: []Output{{Format: "json"}}},
		{name: "names are case-insensitive", values: []string{"JSON"}, want: []Output{{Format: "json"}}},
		{name: "an unknown format is refused", values: []string{"yaml"}, wantErr: `unknown format "yaml"`},
		{name: "two formats on stdout are refused", values: []string{"table,json"}, wantErr: "both write to stdout"},
		{name: "two formats to one file are refused", values: []string{"json=a,table=a"}, wantErr: "two formats write to a"},
		{name: "an empty file name is refused", values: []string{"json="}, wantErr: "empty file name"},
		{name: "nothing is refused", values: []string{" , "}, wantErr: "no format given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseOutputs(tt.values)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestTableNamesTheOwnerOfACrossAccountKey(t *testing.T) {
	t.Parallel()
	r := fixtureEmpty()
	f := fixturePass("111111111111", "us-east-1", "shared-key", "customer-managed")
	f.KeyAccount = "999999999999"
	r.Findings = []finding.Finding{f}
	r.Summary = finding.Summarize(r.Findings)
	var buf bytes.Buffer
	if err := (&Table{}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "customer-managed, key in 999999999999") {
		t.Errorf("table does not name the key's account:\n%s", buf.String())
	}
}

func TestTableCountsRatherThanListsAHugePassingList(t *testing.T) {
	t.Parallel()
	r := fixtureEmpty()
	for i := range maxPassingLines + 1 {
		r.Findings = append(r.Findings, fixturePass("111111111111", "us-east-1", fmt.Sprintf("ri-%04d", i), "customer-managed"))
	}
	r.Summary = finding.Summarize(r.Findings)
	var buf bytes.Buffer
	if err := (&Table{}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "ri-0000") || !strings.Contains(out, "use --format json or csv") {
		t.Errorf("a passing list of %d lines was not summarised:\n%s", maxPassingLines+1, out)
	}
	if !strings.Contains(out, fmt.Sprintf("%d", maxPassingLines+1)) {
		t.Errorf("the passing count is missing")
	}
}
