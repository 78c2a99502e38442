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
	// ASFF and OCSF carry findings only (Security Hub and OCSF consumers
	// import one finding per object); a rule not evaluated has none, so
	// those formats are paired with a report that records the scope.
	for _, name := range []string{"table", "json", "sarif", "junit", "csv", "html", "markdown"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rep, err := New(name, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := rep.Write(&buf, fixtureEveryVerdict()); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if !strings.Contains(out, "CMKG-DMS-003") || !strings.Contains(strings.ToLower(strings.ReplaceAll(out, "_", " ")), "not evaluated") &&
				!strings.Contains(out, `"evaluated": false`) {
				t.Errorf("%s does not show CMKG-DMS-003 as not evaluated", name)
			}
			if !strings.Contains(out, "instances") {
				t.Errorf("%s does not record the scope", name)
			}
		})
	}
}
