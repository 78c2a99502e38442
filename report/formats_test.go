package report

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// issue5Formats are the formats of report/{sarif,junit,csv,asff,ocsf,html,markdown}.go.
var issue5Formats = []string{"sarif", "junit", "csv", "asff", "ocsf", "html", "markdown"}

// brokenAfterWriter accepts n bytes, then fails every write.
type brokenAfterWriter struct{ n int }

var errBrokenWriter = errors.New("device full")

func (w *brokenAfterWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errBrokenWriter
	}
	w.n -= len(p)
	return len(p), nil
}

func TestEveryFormatIsRegisteredUnderItsName(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"sarif": "*report.SARIF", "junit": "*report.JUnit", "csv": "*report.CSV", "asff": "*report.ASFF",
		"ocsf": "*report.OCSF", "html": "*report.HTML", "markdown": "*report.Markdown",
	}
	got := map[string]string{}
	for _, name := range issue5Formats {
		r, err := New(name, Options{})
		if err != nil {
			t.Fatalf("format %s: %v", name, err)
		}
		got[name] = typeName(r)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("registry (-want +got):\n%s", diff)
	}
}

func typeName(v any) string {
	switch v.(type) {
	case *SARIF:
		return "*report.SARIF"
	case *JUnit:
		return "*report.JUnit"
	case *CSV:
		return "*report.CSV"
	case *ASFF:
		return "*report.ASFF"
	case *OCSF:
		return "*report.OCSF"
	case *HTML:
		return "*report.HTML"
	case *Markdown:
		return "*report.Markdown"
	}
	return "other"
}

func TestEveryFormatReturnsTheWritersErrorAtAnyPoint(t *testing.T) {
	t.Parallel()
	for _, name := range issue5Formats {
		var full bytes.Buffer
		if err := reporterFor(t, name).Write(&full, fixtureEveryVerdict()); err != nil {
			t.Fatal(err)
		}
		// At the start, in the middle and on the last byte.
		for _, after := range []int{0, full.Len() / 2, full.Len() - 1} {
			err := reporterFor(t, name).Write(&brokenAfterWriter{n: after}, fixtureEveryVerdict())
			if !errors.Is(err, errBrokenWriter) {
				t.Errorf("%s failing after %d bytes: err = %v, want the writer's error", name, after, err)
			}
		}
		if err := reporterFor(t, name).Write(&bytes.Buffer{}, nil); err == nil {
			t.Errorf("%s: a nil report gave no error", name)
		}
	}
}

func TestNoFormatChangesTheReportItRenders(t *testing.T) {
	t.Parallel()
	for _, name := range issue5Formats {
		r := fixtureEveryVerdict()
		if err := reporterFor(t, name).Write(&bytes.Buffer{}, r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(fixtureEveryVerdict(), r); diff != "" {
			t.Errorf("%s changed the report (-before +after):\n%s", name, diff)
		}
	}
}

func TestEveryFormatIsDeterministic(t *testing.T) {
	t.Parallel()
	for _, name := range issue5Formats {
		var first, second bytes.Buffer
		if err := reporterFor(t, name).Write(&first, fixtureEveryVerdict()); err != nil {
			t.Fatal(err)
		}
		if err := reporterFor(t, name).Write(&second, fixtureEveryVerdict()); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Errorf("%s: two renderings of the same report differ", name)
		}
	}
}

// reporterFor returns the reporter the golden files use for a format.
func reporterFor(t *testing.T, name string) Reporter {
	t.Helper()
	if name == "asff" {
		return fixtureASFF()
	}
	r, err := New(name, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestEveryFindingsFormatShowsTheRulesNotEvaluated(t *testing.T) {
	t.Parallel()
	// What says, in each format, that CMKG-DMS-003 was not evaluated. ASFF
	// and OCSF hold one object per finding (a rule not evaluated has none),
	// so each finding records the run's scope.
	markers := map[string]string{
		"table":    "NOT EVALUATED  CMKG-DMS-003",
		"json":     `"id": "CMKG-DMS-003",` + "\n" + `        "evaluated": false`,
		"sarif":    "Rule CMKG-DMS-003 was not evaluated",
		"junit":    `<testcase name="CMKG-DMS-003 not evaluated"`,
		"csv":      "CMKG-DMS-003,dms-serverless-cmk,DMS Serverless replication config encrypted with a customer-managed KMS key,high,NOT_EVALUATED",
		"html":     "<code>CMKG-DMS-003</code>",
		"markdown": "| `CMKG-DMS-003` |",
		"asff":     `"cmkguard/RulesNotEvaluated": "CMKG-DMS-003"`,
		"ocsf":     `"rules_not_evaluated":["CMKG-DMS-003"]`,
	}
	if len(markers) != len(Names()) {
		t.Fatalf("%d formats checked, %d registered: every format must show the rules not evaluated", len(markers), len(Names()))
	}
	for name, marker := range markers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rep, err := New(name, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if name == "asff" {
				rep = fixtureASFF() // the IaC finding needs an account
			}
			var buf bytes.Buffer
			if err := rep.Write(&buf, fixtureEveryVerdict()); err != nil {
				t.Fatal(err)
			}
			if out := buf.String(); !strings.Contains(out, marker) {
				t.Errorf("%s does not show CMKG-DMS-003 as not evaluated (no %q)", name, marker)
			}
			if !strings.Contains(buf.String(), "instances") {
				t.Errorf("%s does not record the scope", name)
			}
		})
	}
}
