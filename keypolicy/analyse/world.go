package analyse

import (
	"fmt"
	"slices"
	"strings"
)

// reachesOutsiders says whether a statement's principals include principals
// outside known accounts: "*" (under any principal type), or NotPrincipal
// (everyone but those listed). A principal ARN with a wildcard is not valid
// in a key policy; it is reported as not understood.
func (s *statement) reachesOutsiders() (tri, string) {
	if s.NotPrincipal {
		if s.Principal.Everyone {
			return no, ""
		}
		return yes, ""
	}
	if s.Principal.Everyone {
		return yes, ""
	}
	for _, list := range [][]string{s.Principal.AWS, s.Principal.Federated, s.Principal.CanonicalUser} {
		for _, p := range list {
			if hasWildcard(p) {
				return maybe, fmt.Sprintf("principal %q has a wildcard, which key policies do not support", p)
			}
		}
	}
	return no, ""
}

// outsiderConditions combines a statement's conditions (all must hold): one
// that no outsider satisfies limits the statement; otherwise one not
// understood makes it unclear.
func (s *statement) outsiderConditions() (outcome, string) {
	result, why := forcedTrue, ""
	for i := range s.Conditions {
		o, w := s.Conditions[i].outsider()
		switch {
		case o == forcedFalse:
			return forcedFalse, ""
		case o == notUnderstood && result != notUnderstood:
			result, why = notUnderstood, w
		case o == choosable && result == forcedTrue:
			result = choosable
		}
	}
	return result, why
}

// limitingKeys names the conditions of s that keep outsiders out, for reasons.
func (s *statement) limitingKeys() []string {
	var out []string
	for i := range s.Conditions {
		if o, _ := s.Conditions[i].outsider(); o == forcedFalse && !slices.Contains(out, s.Conditions[i].Key) {
			out = append(out, s.Conditions[i].Key)
		}
	}
	return out
}

func worldAccess(stmts []statement, in Input) Result {
	var (
		exposed       = map[*statement][]string{} // statement → actions it opens
		exposers      []*statement
		unclear       []*statement
		unclearWhy    []string
		unclearAction []string
		limited       []*statement
	)
	note := func(s *statement, why, action string) {
		if !slices.Contains(unclear, s) {
			unclear = append(unclear, s)
			unclearWhy = append(unclearWhy, fmt.Sprintf("statement %s: %s", s.Name(), why))
		}
		if !slices.Contains(unclearAction, action) {
			unclearAction = append(unclearAction, action)
		}
	}
	for _, action := range SensitiveActions {
		var opens, unsure []*statement
		var unsureWhy []string
		for i := range stmts {
			s := &stmts[i]
			if s.Effect != allow || !s.coversAction(action) || s.resourceCoverage(in.KeyARN) == no {
				continue
			}
			reach, why := s.reachesOutsiders()
			if reach == no {
				continue
			}
			o, cwhy := s.outsiderConditions()
			switch {
			case o == forcedFalse:
				limited = addOnce(limited, s)
			case reach == maybe:
				unsure, unsureWhy = append(unsure, s), append(unsureWhy, why)
			case o == notUnderstood:
				unsure, unsureWhy = append(unsure, s), append(unsureWhy, cwhy)
			default:
				opens = append(opens, s)
			}
		}
		if len(opens) == 0 && len(unsure) == 0 {
			continue
		}
		removed, maybeRemoved, maybeWhy := denyForOutsiders(stmts, in, action)
		if removed {
			continue
		}
		for _, s := range opens {
			if maybeRemoved != nil {
				note(s, fmt.Sprintf("allows %s to %s, unless statement %s denies it", action, principalPhrase(s), maybeRemoved.Name()), action)
				note(maybeRemoved, maybeWhy, action)
				continue
			}
			if _, seen := exposed[s]; !seen {
				exposers = append(exposers, s)
			}
			exposed[s] = append(exposed[s], action)
		}
		for i, s := range unsure {
			note(s, unsureWhy[i], action)
		}
	}

	r := Result{Check: CheckWorldAccess}
	switch {
	case len(exposers) > 0:
		r.Verdict = Fail
		r.Statements = names(exposers)
		var parts []string
		for _, s := range exposers {
			parts = append(parts, fmt.Sprintf("statement %s allows %s to %s%s", s.Name(),
				summariseActions(exposed[s]), principalPhrase(s), conditionPhrase(s)))
			for _, a := range exposed[s] {
				if !slices.Contains(r.Actions, a) {
					r.Actions = append(r.Actions, a)
				}
			}
		}
		r.Reason = strings.Join(parts, "; ") + ", with no condition that limits the caller to known accounts or the organisation"
		if len(unclear) > 0 {
			r.Reason += " (and " + strings.Join(unclearWhy, "; ") + ")"
		}
	case len(unclear) > 0:
		r.Verdict = Unknown
		r.Statements = names(unclear)
		r.Actions = unclearAction
		r.Reason = strings.Join(unclearWhy, "; ") + "; so it cannot be proved that the key is closed to principals outside known accounts"
	default:
		r.Verdict = Pass
		r.Statements = names(limited)
		r.Reason = "no statement lets principals outside known accounts or the organisation use or administer the key"
		for _, s := range limited {
			r.Reason += fmt.Sprintf("; statement %s names any principal but limits the caller with %s", s.Name(), strings.Join(s.limitingKeys(), " and "))
		}
	}
	slices.Sort(r.Actions)
	return r
}

// denyForOutsiders finds a Deny that stops every outsider doing action:
// removed is true when one surely does; otherwise maybe names a Deny that
// might (its conditions or resource are not understood).
func denyForOutsiders(stmts []statement, in Input, action string) (removed bool, maybe *statement, why string) {
	for i := range stmts {
		s := &stmts[i]
		if s.Effect != deny || !s.coversAction(action) {
			continue
		}
		if reach, _ := s.reachesOutsiders(); reach != yes {
			continue
		}
		res := s.resourceCoverage(in.KeyARN)
		if res == no {
			continue
		}
		o, cwhy := s.outsiderConditions()
		switch {
		case o == forcedTrue && res == yes:
			return true, nil, ""
		case o == forcedTrue && maybe == nil:
			maybe, why = s, "its Resource may or may not be this key, so whether it stops outsiders is not known"
		case o == notUnderstood && maybe == nil:
			maybe, why = s, cwhy+"; it may or may not stop outsiders"
		}
	}
	return false, maybe, why
}

func principalPhrase(s *statement) string {
	if s.NotPrincipal {
		return "every principal not named in its NotPrincipal"
	}
	return `any principal (Principal "*")`
}

func conditionPhrase(s *statement) string {
	if len(s.Conditions) == 0 {
		return ""
	}
	var keys []string
	for _, c := range s.Conditions {
		if !slices.Contains(keys, c.Key) {
			keys = append(keys, c.Key)
		}
	}
	return " (its conditions on " + strings.Join(keys, ", ") + " do not limit who calls: any account can meet them)"
}

// summariseActions names actions compactly: "kms:* (every sensitive
// action)" when all are open.
func summariseActions(actions []string) string {
	if len(actions) == len(SensitiveActions) {
		return "every use and administration action (" + strings.Join(actions[:3], ", ") + ", ...)"
	}
	return strings.Join(actions, ", ")
}
