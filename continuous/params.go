package continuous

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cmkguard/cmkguard/rule"
	"github.com/cmkguard/cmkguard/state"
)

// Parameters are the rule's policy choices: the ruleParameters of a Config
// rule (InputParameters), or CMKGUARD_RULE_PARAMETERS for the real-time
// path, which EventBridge events do not carry.
type Parameters struct {
	Rule rule.Options
	// IncludeServerless and IncludeEndpoints choose whether DMS Serverless
	// configs and endpoints are evaluated; both default to true (a
	// compliance rule should see everything it can).
	IncludeServerless bool
	IncludeEndpoints  bool
}

// Scope is the audit scope the parameters choose: instances always, and
// serverless configs and endpoints unless excluded.
func (p Parameters) Scope() []state.ResourceKind {
	scope := []state.ResourceKind{state.KindInstances}
	if p.IncludeServerless {
		scope = append(scope, state.KindServerless)
	}
	if p.IncludeEndpoints {
		scope = append(scope, state.KindEndpoints)
	}
	return scope
}

// parameterNames are the names ParseParameters accepts.
var parameterNames = []string{"minProtection", "trustedKeyAccounts", "includeServerless", "includeEndpoints"}

// ParseParameters reads a rule's parameters, a JSON object. Values may be
// strings, as the Config console writes them ("true",
// "111122223333,444455556666"), or JSON booleans and arrays. An unknown
// name is an error, so that a misspelt parameter does not silently leave
// the default policy in force.
func ParseParameters(raw string) (Parameters, error) {
	p := Parameters{IncludeServerless: true, IncludeEndpoints: true}
	if strings.TrimSpace(raw) == "" {
		return p, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return p, fmt.Errorf("rule parameters: not a JSON object: %w", err)
	}
	for name, v := range m {
		var err error
		switch name {
		case "minProtection":
			var s string
			s, err = stringValue(v)
			p.Rule.MinProtection = state.ProtectionLevel(strings.TrimSpace(s))
		case "trustedKeyAccounts":
			p.Rule.TrustedKeyAccounts, err = listValue(v)
		case "includeServerless":
			p.IncludeServerless, err = boolValue(v)
		case "includeEndpoints":
			p.IncludeEndpoints, err = boolValue(v)
		default:
			return p, fmt.Errorf("rule parameters: unknown parameter %q (known: %s)", name, strings.Join(parameterNames, ", "))
		}
		if err != nil {
			return p, fmt.Errorf("rule parameters: %s: %w", name, err)
		}
	}
	if err := rule.ValidateOptions(p.Rule); err != nil {
		return p, fmt.Errorf("rule parameters: %w", err)
	}
	return p, nil
}

func stringValue(v json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", fmt.Errorf("want a string, got %s", v)
	}
	return s, nil
}

func boolValue(v json.RawMessage) (bool, error) {
	var b bool
	if json.Unmarshal(v, &b) == nil {
		return b, nil
	}
	s, err := stringValue(v)
	if err != nil {
		return false, fmt.Errorf("want true or false, got %s", v)
	}
	b, err = strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		return false, fmt.Errorf("want true or false, got %q", s)
	}
	return b, nil
}

func listValue(v json.RawMessage) ([]string, error) {
	var list []string
	if json.Unmarshal(v, &list) != nil {
		s, err := stringValue(v)
		if err != nil {
			return nil, fmt.Errorf("want a comma-separated string or a list of strings, got %s", v)
		}
		list = strings.Split(s, ",")
	}
	var out []string
	for _, a := range list {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
