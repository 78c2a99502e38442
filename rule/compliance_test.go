package rule

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// TestEveryRuleCarriesCitedControls keeps the mapping and docs/rules.md
// together: every rule maps to at least one control, every control belongs
// to a known framework, and the docs cite each control's text.
func TestEveryRuleCarriesCitedControls(t *testing.T) {
	t.Parallel()
	docs, err := os.ReadFile("../docs/rules.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range Metadata() {
		if len(m.Compliance) == 0 {
			t.Errorf("%s maps to no control", m.ID)
		}
		seen := map[string]bool{}
		for _, c := range m.Compliance {
			if !slices.Contains(Frameworks, c.Framework) {
				t.Errorf("%s: framework %q is not in Frameworks", m.ID, c.Framework)
			}
			if c.ID == "" || c.Title == "" {
				t.Errorf("%s: control %+v lacks an id or title", m.ID, c)
			}
			if seen[c.String()] {
				t.Errorf("%s: control %s listed twice", m.ID, c)
			}
			seen[c.String()] = true
			if !strings.Contains(string(docs), "**"+c.String()+"**") {
				t.Errorf("%s: docs/rules.md does not cite %s (want a line starting **%s**)", m.ID, c, c)
			}
		}
		if !strings.Contains(string(docs), "`"+m.ID+"`") {
			t.Errorf("docs/rules.md does not list %s", m.ID)
		}
	}
}
