package report

import (
	"slices"

	"github.com/cmkguard/cmkguard/finding"
)

// verdictCounts counts findings by status.
type verdictCounts struct {
	Pass, Fail, Unknown, Suppressed int
}

func (c *verdictCounts) add(o verdictCounts) {
	c.Pass += o.Pass
	c.Fail += o.Fail
	c.Unknown += o.Unknown
	c.Suppressed += o.Suppressed
}

// complianceControl is one framework control and the verdicts of the rules
// that give evidence for it.
type complianceControl struct {
	Control finding.Control
	Rules   []string
	verdictCounts
}

// complianceFramework is one framework's standing in a report: its controls,
// and the verdicts of every rule that maps to it (each finding once).
type complianceFramework struct {
	Name     string
	Controls []complianceControl
	verdictCounts
}

// complianceSummary groups the report's verdicts by framework and control,
// frameworks and controls in the order the rules first name them.
func complianceSummary(r *finding.Report) []complianceFramework {
	byRule := map[string]*verdictCounts{}
	for _, rule := range r.Rules {
		byRule[rule.ID] = &verdictCounts{}
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		c, ok := byRule[f.RuleID]
		if !ok {
			continue
		}
		switch f.Status {
		case finding.StatusPass:
			c.Pass++
		case finding.StatusFail:
			c.Fail++
		case finding.StatusUnknown:
			c.Unknown++
		case finding.StatusSuppressed:
			c.Suppressed++
		}
	}
	var out []complianceFramework
	index := map[string]int{}
	rulesOf := map[string][]string{}
	for _, rule := range r.Rules {
		for _, ctl := range rule.Compliance {
			fi, ok := index[ctl.Framework]
			if !ok {
				fi = len(out)
				index[ctl.Framework] = fi
				out = append(out, complianceFramework{Name: ctl.Framework})
			}
			fw := &out[fi]
			if !slices.Contains(rulesOf[ctl.Framework], rule.ID) {
				rulesOf[ctl.Framework] = append(rulesOf[ctl.Framework], rule.ID)
				fw.add(*byRule[rule.ID])
			}
			ci := slices.IndexFunc(fw.Controls, func(c complianceControl) bool { return c.Control.ID == ctl.ID })
			if ci < 0 {
				ci = len(fw.Controls)
				fw.Controls = append(fw.Controls, complianceControl{Control: ctl})
			}
			cc := &fw.Controls[ci]
			if !slices.Contains(cc.Rules, rule.ID) {
				cc.Rules = append(cc.Rules, rule.ID)
				cc.add(*byRule[rule.ID])
			}
		}
	}
	return out
}
