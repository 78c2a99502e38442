package rule

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/state"
)

// ScopeNames lists the resource kinds --scope accepts, comma-separated, for
// messages and help.
func ScopeNames() string {
	var names []string
	for _, k := range state.ResourceKinds {
		names = append(names, string(k))
	}
	return strings.Join(names, ",")
}

// ParseScope parses --scope values: each a comma-separated list of
// resource kinds (instances, serverless, endpoints), any case, repeated
// or not. It returns the kinds in state.ResourceKinds order, each once;
// nil when values name none (every kind). An unknown kind is an error
// naming the kinds there are.
func ParseScope(values []string) ([]state.ResourceKind, error) {
	seen := map[state.ResourceKind]bool{}
	for _, v := range values {
		for item := range strings.SplitSeq(v, ",") {
			item = strings.ToLower(strings.TrimSpace(item))
			if item == "" {
				continue
			}
			k := state.ResourceKind(item)
			if !slices.Contains(state.ResourceKinds, k) {
				return nil, fmt.Errorf("unknown resource kind %q (want a comma-separated list of %s)", item, ScopeNames())
			}
			seen[k] = true
		}
	}
	if len(values) > 0 && len(seen) == 0 {
		return nil, fmt.Errorf("names no resource kind (want a comma-separated list of %s)", ScopeNames())
	}
	if len(seen) == 1 && seen[state.KindKeys] {
		// The key checks judge the keys of the resources listed: alone,
		// they would judge nothing and look clean.
		return nil, fmt.Errorf("keys judges the customer keys of the resources listed: name at least one resource kind with it (e.g. instances,keys)")
	}
	var out []state.ResourceKind
	for _, k := range state.ResourceKinds {
		if seen[k] {
			out = append(out, k)
		}
	}
	return out, nil
}

// kindNouns name each kind's resources in "not evaluated" reasons.
var kindNouns = map[state.ResourceKind]string{
	state.KindInstances:        "replication instances",
	state.KindServerless:       "serverless replication configs",
	state.KindEndpoints:        "endpoints",
	state.KindKeys:             "the policies and rotation of the customer keys",
	state.KindInstanceProfiles: "instance profiles",
	state.KindCertificates:     "imported certificates",
	state.KindAssessmentRuns:   "premigration assessment runs",
}

// reportScope is the scope of a report over s: the kinds covered, and for
// every rule whether it was evaluated and, if not, why.
func reportScope(s *state.State) finding.Scope {
	sc := finding.Scope{Resources: []string{}, Rules: []finding.RuleScope{}}
	for _, k := range state.ResourceKinds {
		if s.InScope(k) {
			sc.Resources = append(sc.Resources, string(k))
		}
	}
	for _, r := range All() {
		rs := finding.RuleScope{ID: r.Metadata().ID, Evaluated: s.InScope(r.Kind())}
		if !rs.Evaluated {
			rs.Reason = fmt.Sprintf("%s were not in the scope (%s): not checked, which proves nothing about them", kindNouns[r.Kind()], strings.Join(sc.Resources, ","))
		}
		sc.Rules = append(sc.Rules, rs)
	}
	return sc
}
