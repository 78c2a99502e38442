package report

import (
	"bytes"
	"encoding/xml"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/finding"
)

func TestJUnitMatchesGoldenFiles(t *testing.T) {
	t.Parallel()
	for _, tc := range fixtureCases() {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := (&JUnit{}).Write(&buf, tc.report); err != nil {
				t.Fatal(err)
			}
			compareWithGolden(t, tc.name+".junit.xml", buf.Bytes())
		})
	}
}

type junitDecoded struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Skipped  int `xml:"skipped,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Cases    []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestJUnitMapsEachVerdictToItsElement(t *testing.T) {
	t.Parallel()
	r := fixtureEveryVerdict()
	var buf bytes.Buffer
	if err := (&JUnit{}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc junitDecoded
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("output is not XML: %v", err)
	}
	s := finding.Summarize(r.Findings)
	type counts struct{ Tests, Failures, Errors, Skipped int }
	// The rule not evaluated is one more skipped test.
	if diff := cmp.Diff(counts{s.Total + 1, s.Fail, s.Unknown, s.Suppressed + 1}, counts{doc.Tests, doc.Failures, doc.Errors, doc.Skipped}); diff != "" {
		t.Errorf("totals (-want +got):\n%s", diff)
	}
	got := map[string]string{}
	cases := 0
	for _, suite := range doc.Suites {
		for _, c := range suite.Cases {
			cases++
			kind := "pass"
			switch {
			case c.Failure != nil:
				kind = "failure: " + c.Failure.Message
			case c.Error != nil:
				kind = "error: " + c.Error.Message
			case c.Skipped != nil:
				kind = "skipped: " + c.Skipped.Message
			}
			got[suite.Name+" "+c.Name] = kind
		}
	}
	if cases != len(r.Findings)+1 {
		t.Errorf("got %d testcases, want one per finding (%d) and one for the rule not evaluated", cases, len(r.Findings))
	}
	want := map[string]string{
		"CMKG-DMS-003 dms-serverless-cmk CMKG-DMS-003 not evaluated": "skipped: not evaluated: " + r.Scope.Rules[2].Reason,
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		kind := "pass"
		switch f.Status {
		case finding.StatusFail:
			kind = "failure: " + f.Reason
		case finding.StatusUnknown:
			kind = "error: " + f.Reason
		case finding.StatusSuppressed:
			kind = "skipped: suppressed: " + f.Suppression.Reason
		}
		want[f.RuleID+" "+f.ShortCode+" "+resourceIdentity(f)] = kind
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("testcases (-want +got):\n%s", diff)
	}
}

func TestJUnitStaysWellFormedWithControlCharactersAndCDATAEnds(t *testing.T) {
	t.Parallel()
	r := fixtureEveryVerdict()
	r.Findings[4].Reason = "bell \a, nul \x00 and ]]> end"
	var buf bytes.Buffer
	if err := (&JUnit{}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc junitDecoded
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("output is not well-formed XML: %v", err)
	}
	if got, want := doc.Suites[0].Cases[4].Failure.Message, "bell \uFFFD, nul \uFFFD and ]]> end"; got != want {
		t.Errorf("failure message = %q, want %q", got, want)
	}
}
