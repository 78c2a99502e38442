package report

import (
	"strings"

	"github.com/cmkguard/cmkguard/finding"
)

// notEvaluatedRule is a rule the run did not evaluate, described for a
// person from the report's rule list.
type notEvaluatedRule struct {
	ID, ShortCode, Title string
	Severity             finding.Severity
	Reason               string
}

// notEvaluated lists the rules r's scope says were not evaluated, in scope
// order. Every format shows them as not evaluated: a rule with no finding
// because it did not run must never read as clean.
func notEvaluated(r *finding.Report) []notEvaluatedRule {
	var out []notEvaluatedRule
	for _, rs := range r.Scope.NotEvaluated() {
		ne := notEvaluatedRule{ID: rs.ID, Reason: firstNonEmpty(rs.Reason, "not evaluated")}
		for _, rule := range r.Rules {
			if rule.ID == rs.ID {
				ne.ShortCode, ne.Title, ne.Severity = rule.ShortCode, rule.Title, rule.Severity
			}
		}
		out = append(out, ne)
	}
	return out
}

// scopeText names the resource kinds r covered ("instances, serverless,
// endpoints"), or says the report does not record them (schema 1.0).
func scopeText(r *finding.Report) string {
	if r.Scope.Resources == nil && r.Scope.Rules == nil {
		return "not recorded"
	}
	if len(r.Scope.Resources) == 0 {
		return "none"
	}
	return strings.Join(r.Scope.Resources, ", ")
}

// notEvaluatedIDs joins the ids of the rules not evaluated.
func notEvaluatedIDs(ne []notEvaluatedRule) string {
	ids := make([]string, 0, len(ne))
	for _, n := range ne {
		ids = append(ids, n.ID)
	}
	return strings.Join(ids, ", ")
}
