package continuous_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/continuous"
	"github.com/cmkguard/cmkguard/rule"
	"github.com/cmkguard/cmkguard/state"
)

func TestParseParameters(t *testing.T) {
	tests := []struct {
		name, raw string
		want      continuous.Parameters
		err       string
	}{
		{"none: the default policy, everything included", "", continuous.Parameters{IncludeServerless: true, IncludeEndpoints: true}, ""},
		{"strings, as the console writes them", `{"minProtection":"cloudhsm","trustedKeyAccounts":"444455556666, 111122223333","includeServerless":"false","includeEndpoints":"TRUE"}`,
			continuous.Parameters{Rule: rule.Options{MinProtection: state.ProtectionCloudHSM, TrustedKeyAccounts: []string{"111122223333", "444455556666"}}, IncludeEndpoints: true}, ""},
		{"JSON types", `{"trustedKeyAccounts":["444455556666"],"includeServerless":false,"includeEndpoints":false}`,
			continuous.Parameters{Rule: rule.Options{TrustedKeyAccounts: []string{"444455556666"}}}, ""},
		{"a misspelt name", `{"minprotection":"cloudhsm"}`, continuous.Parameters{}, `unknown parameter "minprotection"`},
		{"a bad boolean", `{"includeEndpoints":"yes please"}`, continuous.Parameters{}, "want true or false"},
		{"a bad account", `{"trustedKeyAccounts":"12345"}`, continuous.Parameters{}, "not a 12-digit"},
		{"not an object", `["x"]`, continuous.Parameters{}, "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := continuous.ParseParameters(tt.raw)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestTruncateCountsUTF16AndMarksTheCut(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"short", 256, "short"},
		{strings.Repeat("a", 300), 10, "aaaaaaaaa…"},
		{"ab😀cd", 4, "ab…"}, // the emoji is two UTF-16 units
	}
	for _, tt := range tests {
		if got := continuous.Truncate(tt.in, tt.max); got != tt.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func TestSettingsFromEnv(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		err  string
	}{
		{"nothing set", nil, ""},
		{"everything set", map[string]string{continuous.EnvSecurityHub: "true", continuous.EnvSNSTopic: "arn:aws:sns:eu-west-1:111122223333:t",
			continuous.EnvRuleParameters: `{"minProtection":"imported"}`, continuous.EnvAssumeExecutionRole: "false"}, ""},
		{"a flag that is not a boolean", map[string]string{continuous.EnvSecurityHub: "yes"}, continuous.EnvSecurityHub},
		{"a topic that is not an ARN", map[string]string{continuous.EnvSNSTopic: "findings"}, continuous.EnvSNSTopic},
		{"parameters with a typo", map[string]string{continuous.EnvRuleParameters: `{"minProtecton":"imported"}`}, continuous.EnvRuleParameters},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := continuous.SettingsFromEnv(func(k string) string { return tt.env[k] })
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if tt.env[continuous.EnvSecurityHub] == "true" && (!s.SecurityHub || s.Parameters.Rule.MinProtection != state.ProtectionImported) {
					t.Errorf("settings = %+v", s)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("err = %v, want one naming %s", err, tt.err)
			}
		})
	}
}
