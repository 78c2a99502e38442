package rule

import (
	"cmp"
	"slices"
	"time"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/state"
)

// NewReport wraps findings (already evaluated, and suppressed if need be)
// in the report envelope every format renders: the accounts and regions the
// scan covered (skipped and failed ones included), the rules' metadata and
// the summary, and the scope: the resource kinds covered and the rules not
// evaluated, which reports show as such, never as clean.
func NewReport(s *state.State, findings []finding.Finding, tool finding.Tool, generatedAt time.Time) *finding.Report {
	if findings == nil {
		findings = []finding.Finding{}
	}
	accounts := []string{}
	seen := map[string]bool{}
	addAccount := func(a string) {
		if a != "" && !seen[a] {
			seen[a] = true
			accounts = append(accounts, a)
		}
	}
	regions := []finding.Region{}
	for _, r := range s.Regions {
		addAccount(r.Account)
		regions = append(regions, finding.Region{Account: r.Account, Region: r.Region, Status: string(r.Status), Reason: r.Reason})
	}
	for _, f := range findings {
		addAccount(f.Account)
	}
	slices.Sort(accounts)
	slices.SortFunc(regions, func(a, b finding.Region) int {
		return cmp.Or(cmp.Compare(a.Account, b.Account), cmp.Compare(a.Region, b.Region))
	})
	return &finding.Report{
		SchemaVersion: finding.SchemaVersion,
		Tool:          tool,
		GeneratedAt:   generatedAt.UTC().Format(time.RFC3339),
		Accounts:      accounts,
		Regions:       regions,
		Scope:         reportScope(s),
		Rules:         Metadata(),
		Findings:      findings,
		Summary:       finding.Summarize(findings),
	}
}
