package cloudformation

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/rule"
	"github.com/cmkguard/cmkguard/state"
)

// mustParse parses a template given as text, failing the test on error.
func mustParse(t *testing.T, tmpl string, params map[string]string) state.State {
	t.Helper()
	s, err := Parse("t.yaml", []byte(tmpl), Options{Params: params})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s
}

// statusRank orders verdicts from best to worst, as the command keeps the
// worst variant of an address.
var statusRank = map[finding.Status]int{finding.StatusPass: 0, finding.StatusUnknown: 1, finding.StatusFail: 2}

// verdicts runs the real rules over s and returns, per "address rule", the
// worst status over the address's variants, plus the reasons seen.
func verdicts(s state.State) (map[string]finding.Status, map[string][]string) {
	worst := map[string]finding.Status{}
	reasons := map[string][]string{}
	for _, f := range rule.Evaluate(&s, rule.Options{}) {
		k := f.Source.Address + " " + f.RuleID
		if cur, ok := worst[k]; !ok || statusRank[f.Status] > statusRank[cur] {
			worst[k] = f.Status
		}
		reasons[k] = append(reasons[k], fmt.Sprintf("[%s] %s: %s", f.Source.Variant, f.Status, f.Reason))
	}
	return worst, reasons
}

// formatVerdicts renders verdicts sorted, for failure messages.
func formatVerdicts(v map[string]finding.Status) string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "  %s: %s\n", k, v[k])
	}
	return b.String()
}

// checkVerdicts compares the verdicts of tmpl with want ("Address RULE" →
// status); rules not named in want are not checked.
func checkVerdicts(t *testing.T, tmpl string, params map[string]string, want map[string]finding.Status) map[string][]string {
	t.Helper()
	got, reasons := verdicts(mustParse(t, tmpl, params))
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: got %q, want %s\nall verdicts:\n%sreasons: %q", k, got[k], w, formatVerdicts(got), reasons[k])
		}
	}
	return reasons
}

const (
	pass    = finding.StatusPass
	fail    = finding.StatusFail
	unknown = finding.StatusUnknown
)

func cmpDiff(want, got any) string { return cmp.Diff(want, got) }
