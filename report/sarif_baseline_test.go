package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestSARIFBaselineStates(t *testing.T) {
	t.Parallel()
	r := fixtureEveryVerdict()
	states := make([]string, len(r.Findings))
	for i := range states {
		states[i] = []string{"new", "unchanged", "updated", "absent"}[i%4]
	}
	var buf bytes.Buffer
	if err := (&SARIF{IncludePass: true, BaselineStates: states}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	validateSARIF(t, buf.Bytes())
	var log struct {
		Runs []struct {
			Results []struct {
				Kind, Level, BaselineState string
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	res := log.Runs[0].Results
	if len(res) != len(states) {
		t.Fatalf("%d results for %d findings", len(res), len(states))
	}
	for i, got := range res {
		if got.BaselineState != states[i] {
			t.Errorf("result %d: baselineState %q, want %q", i, got.BaselineState, states[i])
		}
		if states[i] == "absent" && (got.Kind != "pass" || got.Level != "none") {
			t.Errorf("result %d: an absent result is kind %q level %q, want pass/none", i, got.Kind, got.Level)
		}
	}

	err := (&SARIF{BaselineStates: []string{"new"}}).Write(&buf, r)
	if err == nil || !strings.Contains(err.Error(), "baseline states") {
		t.Errorf("a mismatched BaselineStates: err = %v", err)
	}
}
