package analyse

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// dmsRequest is what KMS sees when a principal of account creates a DMS
// resource with the key: the call comes through DMS in the key's region,
// and a CreateGrant is for an AWS resource. Keys that describe the calling
// principal (its ARN, tags, MFA) are left out: they depend on which
// principal it is, which IAM decides.
func dmsRequest(in Input, account, action string) *request {
	r := &request{
		values: map[string]string{
			"kms:calleraccount":         account,
			"aws:principalaccount":      account,
			"aws:resourceaccount":       in.KeyAccount,
			"kms:viaservice":            "dms." + in.Region + ".amazonaws.com",
			"aws:viaawsservice":         "true",
			"aws:principalisawsservice": "false",
			"aws:securetransport":       "true",
			"aws:requestedregion":       in.Region,
		},
		absent: map[string]bool{
			"aws:sourceaccount": true, "aws:sourcearn": true, "aws:sourceorgid": true, "aws:sourceorgpaths": true,
			"aws:principalservicename": true, "aws:principalservicenameslist": true,
		},
		vars: map[string]string{
			"${aws:resourceaccount}":  in.KeyAccount,
			"${aws:principalaccount}": account,
			"${kms:calleraccount}":    account,
		},
	}
	if action == "kms:CreateGrant" {
		r.values["kms:grantisforawsresource"] = "true"
	} else {
		r.absent["kms:grantisforawsresource"] = true
	}
	if in.OrgID != "" {
		r.values["aws:principalorgid"] = in.OrgID
		r.vars["${aws:principalorgid}"] = in.OrgID
		if account == in.KeyAccount {
			r.vars["${aws:resourceorgid}"] = in.OrgID
		}
	}
	return r
}

// withPrincipal returns r for one named principal (aws:PrincipalArn known).
func (r *request) withPrincipal(arn string) *request {
	c := &request{values: maps.Clone(r.values), absent: r.absent, vars: r.vars}
	c.values["aws:principalarn"] = arn
	return c
}

// conditions combines s's conditions for r: false if one is false, else
// unclear or depends if one is, else true.
func (r *request) conditions(s *statement) (holds, string) {
	result, why := holdsTrue, ""
	for i := range s.Conditions {
		h, w := r.eval(&s.Conditions[i])
		switch {
		case h == holdsFalse:
			return holdsFalse, ""
		case h == holdsUnclear && result != holdsUnclear:
			result, why = holdsUnclear, w
		case h == holdsDepends && result == holdsTrue:
			result, why = holdsDepends, w
		}
	}
	return result, why
}

// path is one way a statement lets principals of the account make the call.
type path struct {
	stmt *statement
	// principal is the named principal, or "" for any principal of the
	// account (Principal "*" or NotPrincipal) or the account itself (root).
	principal string
	root      bool
	req       *request
}

func (p path) basis(in Input, account string) Basis {
	if p.root || account != in.KeyAccount {
		return BasisIAM
	}
	return BasisKeyPolicy
}

// paths lists the ways Allow statement s admits principals of account.
func (s *statement) paths(base *request, account string) []path {
	if s.NotPrincipal || s.Principal.Everyone {
		if s.NotPrincipal && s.Principal.Everyone {
			return nil
		}
		return []path{{stmt: s, req: base}}
	}
	var out []path
	for _, p := range s.Principal.AWS {
		switch {
		case isAccountPrincipal(p, account):
			out = append(out, path{stmt: s, root: true, req: base})
		case accountOf(p) == account:
			out = append(out, path{stmt: s, principal: p, req: base.withPrincipal(p)})
		}
	}
	return out
}

// denies says whether Deny statement s stops the calls of path p: yes,
// maybe (with why), or no.
func (s *statement) denies(p path, in Input, account string) (tri, string) {
	covered := no
	switch {
	case s.NotPrincipal:
		covered = yes
		for _, listed := range s.Principal.AWS {
			if p.principal != "" && listed == p.principal {
				covered = no
				break
			}
			if p.principal == "" && accountOf(listed) == account && !isAccountPrincipal(listed, account) {
				// Some principals of the account escape it (listing the
				// account root exempts only the root user); which of them
				// create DMS resources is for IAM to say.
				covered = maybe
			}
		}
		if s.Principal.Everyone {
			covered = no
		}
	case s.Principal.Everyone:
		covered = yes
	default:
		for _, listed := range s.Principal.AWS {
			if isAccountPrincipal(listed, account) || (p.principal != "" && listed == p.principal) {
				covered = yes
			}
		}
	}
	if covered == no {
		return no, ""
	}
	res := s.resourceCoverage(in.KeyARN)
	if res == no {
		return no, ""
	}
	h, why := p.req.conditions(s)
	switch {
	case h == holdsFalse:
		return no, ""
	case h != holdsTrue:
		return maybe, why
	case covered == maybe:
		return maybe, "its NotPrincipal exempts some principals of account " + account + ", and which of them create DMS resources is for IAM to say"
	case res == maybe:
		return maybe, "its Resource may or may not be this key"
	}
	return yes, ""
}

// actionOutcome is the verdict for one action DMS needs.
type actionOutcome struct {
	verdict Verdict
	basis   Basis
	allowBy *statement
	denyBy  *statement
	why     string
	unsure  *statement
}

func dmsAction(stmts []statement, in Input, account, action string) actionOutcome {
	base := dmsRequest(in, account, action)
	var best *actionOutcome
	var unsure *actionOutcome
	var deniedBy *statement
	for i := range stmts {
		s := &stmts[i]
		if s.Effect != allow || !s.coversAction(action) || s.resourceCoverage(in.KeyARN) == no {
			continue
		}
		for _, p := range s.paths(base, account) {
			h, why := p.req.conditions(s)
			if h == holdsFalse {
				continue
			}
			if h != holdsTrue {
				if unsure == nil {
					unsure = &actionOutcome{verdict: Unknown, unsure: s, why: why}
				}
				continue
			}
			blocked, maybeBy, maybeWhy := denied(stmts, p, in, account, action)
			switch {
			case blocked != nil:
				deniedBy = blocked
			case maybeBy != nil:
				if unsure == nil {
					unsure = &actionOutcome{verdict: Unknown, unsure: maybeBy, why: maybeWhy}
				}
			default:
				o := actionOutcome{verdict: Pass, basis: p.basis(in, account), allowBy: s}
				if best == nil || (best.basis == BasisIAM && o.basis == BasisKeyPolicy) {
					best = &o
				}
			}
		}
	}
	switch {
	case best != nil:
		return *best
	case unsure != nil:
		return *unsure
	case deniedBy != nil:
		return actionOutcome{verdict: Fail, denyBy: deniedBy}
	}
	// Nothing allows it; a Deny of everyone would stop it even if IAM did.
	return actionOutcome{verdict: Fail}
}

// denied finds a Deny that stops path p, or one that might.
func denied(stmts []statement, p path, in Input, account, action string) (by, maybeBy *statement, why string) {
	for i := range stmts {
		s := &stmts[i]
		if s.Effect != deny || !s.coversAction(action) {
			continue
		}
		switch d, w := s.denies(p, in, account); d {
		case yes:
			return s, nil, ""
		case maybe:
			if maybeBy == nil {
				maybeBy, why = s, w
			}
		}
	}
	return nil, maybeBy, why
}

func dmsAccess(stmts []statement, in Input, account string) Result {
	r := Result{Check: CheckDMSAccess, Account: account, Verdict: Pass, Basis: BasisKeyPolicy}
	var allowBy, failBy, unsureBy []*statement
	var failed, denied, missing, unsure []string
	var unsureWhy []string
	explicit := false
	for _, action := range DMSActions {
		o := dmsAction(stmts, in, account, action)
		switch o.verdict {
		case Pass:
			allowBy = addOnce(allowBy, o.allowBy)
			if o.basis == BasisIAM {
				r.Basis = BasisIAM
			}
		case Fail:
			failed = append(failed, action)
			if o.denyBy != nil {
				explicit = true
				failBy = addOnce(failBy, o.denyBy)
				denied = append(denied, action)
			} else {
				missing = append(missing, action)
			}
		case Unknown:
			unsure = append(unsure, action)
			if !slices.Contains(unsureBy, o.unsure) {
				unsureBy = append(unsureBy, o.unsure)
				unsureWhy = append(unsureWhy, fmt.Sprintf("statement %s: %s", o.unsure.Name(), o.why))
			}
		}
	}
	via := "dms." + in.Region + ".amazonaws.com"
	switch {
	case len(failed) > 0:
		r.Verdict, r.Actions, r.ExplicitDeny, r.Basis = Fail, failed, explicit, ""
		r.Statements = names(failBy)
		var parts []string
		if len(denied) > 0 {
			parts = append(parts, fmt.Sprintf("statement %s denies %s to principals of account %s calling through %s",
				strings.Join(r.Statements, ", "), strings.Join(denied, " and "), account, via))
		}
		if len(missing) > 0 {
			parts = append(parts, fmt.Sprintf("no statement allows principals of account %s %s through %s, directly or through IAM (an account-root statement)",
				account, strings.Join(missing, " and "), via))
		}
		r.Reason = strings.Join(parts, "; ")
		r.Reason += ": DMS cannot use the key for its resources, so new DMS resources cannot be created with it and existing ones fail when they restart"
	case len(unsure) > 0:
		r.Verdict, r.Actions, r.Basis = Unknown, unsure, ""
		r.Statements = names(unsureBy)
		r.Reason = strings.Join(unsureWhy, "; ") + fmt.Sprintf("; so whether principals of account %s may use the key through DMS (%s) is not known",
			account, strings.Join(unsure, ", "))
	default:
		r.Statements = names(allowBy)
		if r.Basis == BasisIAM {
			r.Reason = iamReason(in, account, r.Statements)
		} else {
			r.Reason = fmt.Sprintf("statement %s lets principals of account %s create grants for AWS resources and describe the key through %s",
				strings.Join(r.Statements, ", "), account, via)
		}
	}
	return r
}

func iamReason(in Input, account string, stmts []string) string {
	if account != in.KeyAccount {
		return fmt.Sprintf("statement %s lets account %s use the key through DMS; as the key is in account %s, the IAM policies of account %s must also allow %s on it, which the key policy does not show",
			strings.Join(stmts, ", "), account, in.KeyAccount, account, strings.Join(DMSActions, " and "))
	}
	return fmt.Sprintf("statement %s (the account-root statement) leaves it to IAM: principals of account %s may use the key through DMS when their IAM policies allow %s, which the key policy does not show",
		strings.Join(stmts, ", "), account, strings.Join(DMSActions, " and "))
}
