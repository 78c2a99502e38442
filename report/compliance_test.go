package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/finding"
)

func TestComplianceSummaryCountsEachFindingOncePerFramework(t *testing.T) {
	t.Parallel()
	r := fixtureEveryVerdict()
	got := complianceSummary(r)
	type row struct {
		Name                          string
		Controls, Fail, Unknown, Pass int
	}
	var rows []row
	for _, fw := range got {
		rows = append(rows, row{fw.Name, len(fw.Controls), fw.Fail, fw.Unknown, fw.Pass})
	}
	// CMKG-DMS-001 has two NIST controls and -002 one: NIST counts each
	// finding of both rules once, not once per control.
	var want []row
	counts := map[string]verdictCounts{}
	for _, f := range r.Findings {
		c := counts[f.RuleID]
		switch f.Status {
		case finding.StatusFail:
			c.Fail++
		case finding.StatusUnknown:
			c.Unknown++
		case finding.StatusPass:
			c.Pass++
		}
		counts[f.RuleID] = c
	}
	one, two := counts["CMKG-DMS-001"], counts["CMKG-DMS-002"]
	want = []row{
		{"GDPR", 1, one.Fail, one.Unknown, one.Pass},
		{"NIST SP 800-53 Rev. 5", 3, one.Fail + two.Fail, one.Unknown + two.Unknown, one.Pass + two.Pass},
		{"PCI DSS v4.0", 1, one.Fail, one.Unknown, one.Pass},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if one.Fail == 0 || two.Fail == 0 {
		t.Fatal("fixture should fail both rules, or this test proves little")
	}
}

func TestASFFCapsRelatedRequirementsAt32(t *testing.T) {
	t.Parallel()
	r := fixtureEveryVerdict()
	var many []finding.Control
	for i := range 40 {
		many = append(many, finding.Control{Framework: "NIST SP 800-53 Rev. 5", ID: fmt.Sprintf("XX-%d", i)})
	}
	r.Rules[0].Compliance = many
	var buf bytes.Buffer
	if err := fixtureASFF().Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	var out struct{ Findings []ASFFFinding }
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range out.Findings {
		if f.GeneratorID != "CMKG-DMS-001" {
			continue
		}
		checked++
		if n := len(f.Compliance.RelatedRequirements); n != asffMaxRequirements {
			t.Errorf("%s: %d RelatedRequirements, want %d", f.ID, n, asffMaxRequirements)
		}
		if len(f.Compliance.AssociatedStandards) != 1 || f.Compliance.AssociatedStandards[0].StandardsID != "standards/nist-800-53/v/5.0.0" {
			t.Errorf("%s: AssociatedStandards = %+v", f.ID, f.Compliance.AssociatedStandards)
		}
	}
	if checked == 0 {
		t.Fatal("no CMKG-DMS-001 finding in the fixture")
	}
}

func TestCSVAndSARIFCarryTheRulesControls(t *testing.T) {
	t.Parallel()
	r := fixtureEveryVerdict()
	var csvOut, sarifOut bytes.Buffer
	if err := (&CSV{}).Write(&csvOut, r); err != nil {
		t.Fatal(err)
	}
	if err := (&SARIF{}).Write(&sarifOut, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(csvOut.String(), "GDPR Art. 32(1)(a); NIST SP 800-53 Rev. 5 SC-28; NIST SP 800-53 Rev. 5 SC-28(1); PCI DSS v4.0 3.5.1") {
		t.Errorf("CSV lacks the compliance column for CMKG-DMS-001:\n%s", csvOut.String())
	}
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID         string
						Properties struct {
							Tags       []string
							Compliance []finding.Control
						}
					}
				}
			}
		}
	}
	if err := json.Unmarshal(sarifOut.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	rules := log.Runs[0].Tool.Driver.Rules
	if len(rules) == 0 || len(rules[0].Properties.Compliance) != 4 || !strings.Contains(strings.Join(rules[0].Properties.Tags, ","), "NIST SP 800-53 Rev. 5 SC-28(1)") {
		t.Errorf("SARIF rule properties = %+v", rules)
	}
}
