package analyse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// MaxPolicyBytes bounds the documents Parse reads. KMS limits a key policy
// to 32 KiB; a larger document is not a key policy.
const MaxPolicyBytes = 1 << 20

// effect is Allow or Deny.
type effect string

const (
	allow effect = "Allow"
	deny  effect = "Deny"
)

// statement is one policy statement, normalised.
type statement struct {
	Index  int // position in the document, from 0
	Sid    string
	Effect effect
	// Principal, or NotPrincipal when Not is true.
	Principal    principals
	NotPrincipal bool
	// Actions, or the actions not covered when NotAction is true.
	Actions   []string
	NotAction bool
	// Resources, or the resources not covered when NotResource is true.
	Resources   []string
	NotResource bool
	Conditions  []condition
}

// Name is how findings name the statement: its Sid, or its position.
func (s *statement) Name() string {
	if s.Sid != "" {
		return fmt.Sprintf("%q", s.Sid)
	}
	return fmt.Sprintf("#%d", s.Index+1)
}

// principals are the principals a Principal or NotPrincipal element names.
type principals struct {
	// Everyone is "*" or {"AWS": "*"} (or "*" under any principal type).
	Everyone      bool
	AWS           []string
	Service       []string
	Federated     []string
	CanonicalUser []string
}

// condition is one (operator, key, values) triple of a Condition block.
type condition struct {
	// Operator is as written; Base is its canonical name without the set
	// prefix and IfExists suffix ("StringEquals"); Known is false for an
	// operator IAM does not define.
	Operator string
	Base     string
	Known    bool
	IfExists bool
	// Set is "", "ForAnyValue" or "ForAllValues".
	Set string
	// Key is as written; key is lower-case, for matching.
	Key    string
	key    string
	Values []string
}

// operators are IAM's condition operators, by lower-case name.
var operators = map[string]string{}

func init() {
	for _, op := range []string{
		"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
		"StringLike", "StringNotLike",
		"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
		"NumericGreaterThan", "NumericGreaterThanEquals",
		"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
		"Bool", "BinaryEquals", "IpAddress", "NotIpAddress",
		"ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
	} {
		operators[strings.ToLower(op)] = op
	}
}

// parseOperator splits "ForAnyValue:StringLikeIfExists" into its parts.
func parseOperator(op string) condition {
	c := condition{Operator: op}
	rest := op
	if set, after, ok := strings.Cut(rest, ":"); ok {
		switch strings.ToLower(set) {
		case "foranyvalue":
			c.Set = "ForAnyValue"
		case "forallvalues":
			c.Set = "ForAllValues"
		default:
			return c // unknown prefix: not Known
		}
		rest = after
	}
	lower := strings.ToLower(rest)
	if strings.HasSuffix(lower, "ifexists") && lower != "ifexists" {
		c.IfExists = true
		lower = strings.TrimSuffix(lower, "ifexists")
	}
	c.Base, c.Known = operators[lower]
	if c.Known && c.Base == "Null" && (c.IfExists || c.Set != "") {
		c.Known = false // IAM defines neither NullIfExists nor a set form of Null
	}
	return c
}

// document is the part of a policy document the analyser reads. Field
// matching is case-insensitive, as encoding/json does it.
type document struct {
	Version   string          `json:"Version"`
	Statement json.RawMessage `json:"Statement"`
}

type rawStatement struct {
	Sid          json.RawMessage `json:"Sid"`
	Effect       string          `json:"Effect"`
	Principal    json.RawMessage `json:"Principal"`
	NotPrincipal json.RawMessage `json:"NotPrincipal"`
	Action       json.RawMessage `json:"Action"`
	NotAction    json.RawMessage `json:"NotAction"`
	Resource     json.RawMessage `json:"Resource"`
	NotResource  json.RawMessage `json:"NotResource"`
	Condition    json.RawMessage `json:"Condition"`
}

// Parse reads a key policy document. It returns an error, naming the
// statement, for anything IAM would not accept as a statement (no Effect, no
// principal, no action, a value of the wrong JSON type); a condition it
// merely does not understand is kept, for the verdict to say UNKNOWN.
func Parse(policy []byte) ([]statement, error) {
	if len(policy) > MaxPolicyBytes {
		return nil, fmt.Errorf("key policy is %d bytes, more than the %d a policy document can be", len(policy), MaxPolicyBytes)
	}
	var doc document
	if err := decodeStrict(policy, &doc); err != nil {
		return nil, fmt.Errorf("key policy is not a JSON policy document: %w", err)
	}
	if isNull(doc.Statement) {
		return nil, errors.New("key policy has no Statement")
	}
	var raws []rawStatement
	if bytes.HasPrefix(bytes.TrimSpace(doc.Statement), []byte("[")) {
		if err := json.Unmarshal(doc.Statement, &raws); err != nil {
			return nil, fmt.Errorf("key policy Statement: %w", err)
		}
	} else {
		var one rawStatement
		if err := json.Unmarshal(doc.Statement, &one); err != nil {
			return nil, fmt.Errorf("key policy Statement: %w", err)
		}
		raws = []rawStatement{one}
	}
	if len(raws) == 0 {
		return nil, errors.New("key policy has an empty Statement list")
	}
	out := make([]statement, 0, len(raws))
	for i := range raws {
		st, err := parseStatement(i, &raws[i])
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// decodeStrict decodes one JSON value and refuses trailing data.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the policy document")
	}
	return nil
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

func parseStatement(i int, r *rawStatement) (statement, error) {
	st := statement{Index: i}
	if !isNull(r.Sid) {
		if err := json.Unmarshal(r.Sid, &st.Sid); err != nil {
			return st, fmt.Errorf("statement #%d: Sid is not a string", i+1)
		}
	}
	fail := func(format string, args ...any) (statement, error) {
		return st, fmt.Errorf("statement %s: %s", st.Name(), fmt.Sprintf(format, args...))
	}
	switch strings.ToLower(r.Effect) {
	case "allow":
		st.Effect = allow
	case "deny":
		st.Effect = deny
	default:
		return fail("Effect %q is neither Allow nor Deny", r.Effect)
	}

	var err error
	switch hasP, hasNP := !isNull(r.Principal), !isNull(r.NotPrincipal); {
	case hasP && hasNP:
		return fail("has both Principal and NotPrincipal")
	case hasP:
		st.Principal, err = parsePrincipals(r.Principal)
	case hasNP:
		st.NotPrincipal = true
		st.Principal, err = parsePrincipals(r.NotPrincipal)
	default:
		return fail("names no Principal (a key policy statement must)")
	}
	if err != nil {
		return fail("%v", err)
	}

	switch hasA, hasNA := !isNull(r.Action), !isNull(r.NotAction); {
	case hasA && hasNA:
		return fail("has both Action and NotAction")
	case hasA:
		st.Actions, err = stringOrList(r.Action)
	case hasNA:
		st.NotAction = true
		st.Actions, err = stringOrList(r.NotAction)
	default:
		return fail("names no Action")
	}
	if err != nil {
		return fail("Action: %v", err)
	}

	switch hasR, hasNR := !isNull(r.Resource), !isNull(r.NotResource); {
	case hasR && hasNR:
		return fail("has both Resource and NotResource")
	case hasR:
		st.Resources, err = stringOrList(r.Resource)
	case hasNR:
		st.NotResource = true
		st.Resources, err = stringOrList(r.NotResource)
	default:
		st.Resources = []string{"*"} // KMS reads a missing Resource as this key
	}
	if err != nil {
		return fail("Resource: %v", err)
	}

	if !isNull(r.Condition) {
		st.Conditions, err = parseConditions(r.Condition)
		if err != nil {
			return fail("Condition: %v", err)
		}
	}
	return st, nil
}

func parsePrincipals(raw json.RawMessage) (principals, error) {
	var p principals
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s != "*" {
			return p, fmt.Errorf("principal %q: a bare string principal can only be \"*\"", s)
		}
		p.Everyone = true
		return p, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return p, errors.New("principal is neither \"*\" nor an object of principal types")
	}
	if len(m) == 0 {
		return p, errors.New("principal object is empty")
	}
	for typ, v := range m {
		list, err := stringOrList(v)
		if err != nil {
			return p, fmt.Errorf("principal %s: %v", typ, err)
		}
		for _, name := range list {
			if name == "*" {
				p.Everyone = true
			}
		}
		switch strings.ToLower(typ) {
		case "aws":
			p.AWS = append(p.AWS, list...)
		case "service":
			p.Service = append(p.Service, list...)
		case "federated":
			p.Federated = append(p.Federated, list...)
		case "canonicaluser":
			p.CanonicalUser = append(p.CanonicalUser, list...)
		default:
			return p, fmt.Errorf("principal type %q is not AWS, Service, Federated or CanonicalUser", typ)
		}
	}
	return p, nil
}

// stringOrList reads a JSON string or a non-empty list of strings.
func stringOrList(raw json.RawMessage) ([]string, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, errors.New("want a string or a list of strings")
	}
	if len(list) == 0 {
		return nil, errors.New("empty list")
	}
	return list, nil
}

// parseConditions reads {"Operator": {"key": value-or-list}}. Values may be
// strings, booleans or numbers, as IAM accepts them.
func parseConditions(raw json.RawMessage) ([]condition, error) {
	var ops map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &ops); err != nil {
		return nil, errors.New("want {\"Operator\": {\"key\": value}}")
	}
	var out []condition
	for op, keys := range ops {
		for key, v := range keys {
			c := parseOperator(op)
			c.Key, c.key = key, strings.ToLower(key)
			values, err := conditionValues(v)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %v", op, key, err)
			}
			c.Values = values
			out = append(out, c)
		}
	}
	sortConditions(out)
	return out, nil
}

func conditionValues(raw json.RawMessage) ([]string, error) {
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		list = []json.RawMessage{raw}
	}
	if len(list) == 0 {
		return nil, errors.New("no values")
	}
	out := make([]string, 0, len(list))
	for _, item := range list {
		var v any
		dec := json.NewDecoder(bytes.NewReader(item))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case bool:
			out = append(out, fmt.Sprint(x))
		case json.Number:
			out = append(out, x.String())
		default:
			return nil, errors.New("a value must be a string, a boolean or a number")
		}
	}
	return out, nil
}
