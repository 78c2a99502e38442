package awsemu

import (
	"encoding/json"
	"strings"
)

// Key policies: the statements the emulator evaluates, and how.

// policyStatement is the part of a key policy statement the emulator reads.
type policyStatement struct {
	Effect    string          `json:"Effect"`
	Principal json.RawMessage `json:"Principal"`
	Action    json.RawMessage `json:"Action"`
	Condition json.RawMessage `json:"Condition"`

	actions     []string
	conditional bool
	principals  []string // the AWS principals named
	anyone      bool     // Principal "*"
}

// parsePolicy returns a policy's statements (none when it does not parse).
// The result is never nil, so that callers can cache it.
func parsePolicy(policy string) []policyStatement {
	var doc struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if json.Unmarshal([]byte(policy), &doc) != nil || len(doc.Statement) == 0 {
		return []policyStatement{}
	}
	var stmts []policyStatement
	if json.Unmarshal(doc.Statement, &stmts) != nil {
		var one policyStatement
		if json.Unmarshal(doc.Statement, &one) != nil {
			return []policyStatement{}
		}
		stmts = []policyStatement{one}
	}
	for i := range stmts {
		st := &stmts[i]
		st.actions = rawStrings(st.Action)
		st.conditional = len(st.Condition) > 0 && string(st.Condition) != "null" && string(st.Condition) != "{}"
		st.principals, st.anyone = parsePrincipal(st.Principal)
	}
	if stmts == nil {
		stmts = []policyStatement{}
	}
	return stmts
}

// keyPolicyDecision evaluates a key policy's statements for a caller and
// action. Statements with conditions are not evaluated (they neither allow
// nor deny).
func keyPolicyDecision(stmts []policyStatement, who identity, action string) (allowed, denied bool) {
	for _, st := range stmts {
		if st.conditional {
			continue
		}
		if !actionMatches(st.actions, action) || !principalMatches(st, who) {
			continue
		}
		switch st.Effect {
		case "Deny":
			denied = true
		case "Allow":
			allowed = true
		}
	}
	return allowed, denied
}

// parsePrincipal reads a statement's Principal: "*" or {"AWS": …}.
func parsePrincipal(raw json.RawMessage) (aws []string, anyone bool) {
	var star string
	if json.Unmarshal(raw, &star) == nil {
		return nil, star == "*"
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil, false
	}
	return rawStrings(m["AWS"]), false
}

func principalMatches(st policyStatement, who identity) bool {
	if st.anyone {
		return true
	}
	for _, p := range st.principals {
		switch {
		case p == "*", p == who.Account, p == "arn:aws:iam::"+who.Account+":root":
			return true
		case wildcardMatch(p, who.ARN):
			return true
		}
	}
	return false
}

func actionMatches(patterns []string, action string) bool {
	for _, p := range patterns {
		if wildcardMatch(strings.ToLower(p), strings.ToLower(action)) {
			return true
		}
	}
	return false
}
