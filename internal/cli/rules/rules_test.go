package rules

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/iostreams"
	"github.com/cmkguard/cmkguard/rule"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	cmd := NewCmdRules(&factory.Factory{IOStreams: ios, Now: time.Now}, nil)
	cmd.SetArgs(args)
	cmd.SetOut(out)
	err := cmd.Execute()
	return out.String(), err
}

func TestRulesListsEveryRuleWithItsMapping(t *testing.T) {
	t.Parallel()
	all := rule.Metadata()
	tests := []struct {
		name   string
		args   []string
		checks func(t *testing.T, out string)
	}{
		{"table names each rule and every framework, with — where none applies", nil, func(t *testing.T, out string) {
			for _, r := range all {
				if !strings.Contains(out, r.ID) || !strings.Contains(out, r.ShortCode) {
					t.Errorf("table lacks %s", r.ID)
				}
			}
			for _, fw := range rule.Frameworks {
				if !strings.Contains(out, fw) {
					t.Errorf("table lacks framework %s", fw)
				}
			}
			if !strings.Contains(out, "SC-28(1)") || !strings.Contains(out, "—") {
				t.Errorf("table lacks a control or the none marker:\n%s", out)
			}
		}},
		{"json is the rules' metadata, compliance included", []string{"--format", "json"}, func(t *testing.T, out string) {
			var got []finding.Rule
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("not JSON: %v", err)
			}
			if len(got) != len(all) {
				t.Fatalf("%d rules, want %d", len(got), len(all))
			}
			for i := range got {
				if got[i].ID != all[i].ID || len(got[i].Compliance) != len(all[i].Compliance) || len(got[i].Compliance) == 0 {
					t.Errorf("rule %d: %s with %d controls, want %s with %d", i, got[i].ID, len(got[i].Compliance), all[i].ID, len(all[i].Compliance))
				}
			}
		}},
		{"markdown is one table row per rule and a column per framework", []string{"--format", "MarkDown"}, func(t *testing.T, out string) {
			lines := strings.Split(strings.TrimSpace(out), "\n")
			rows := 0
			for _, l := range lines {
				if strings.HasPrefix(l, "| `CMKG-") {
					rows++
					if got, want := strings.Count(l, " |"), 3+len(rule.Frameworks); got != want {
						t.Errorf("row has %d cells, want %d: %s", got, want, l)
					}
				}
			}
			if rows != len(all) {
				t.Errorf("%d rows, want %d:\n%s", rows, len(all), out)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := run(t, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			tt.checks(t, out)
		})
	}
}

func TestRulesRefusesAnUnknownFormat(t *testing.T) {
	t.Parallel()
	_, err := run(t, "--format", "yaml")
	if exit.Code(err) != exit.Usage || !strings.Contains(err.Error(), "want one of table, json, markdown") {
		t.Fatalf("err = %v (code %d), want a usage error", err, exit.Code(err))
	}
}
