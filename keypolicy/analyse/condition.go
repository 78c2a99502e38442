package analyse

import (
	"fmt"
	"strings"
)

// Conditions are judged from two points of view.
//
// The outsider's (is the key open to the world?): a principal in an account
// that no condition value names, who chooses everything a caller can choose
// (the service it calls through, the encryption context, its IP address,
// its tags), but not its own account, organisation or ARN. A condition is
// then forced false (it limits the caller to known accounts or the
// organisation), forced true, the outsider's choice, or not understood.
//
// The DMS caller's (can DMS use the key?): a principal of a given account
// creating a DMS resource, whose request KMS sees through DMS
// (kms:ViaService dms.<region>.amazonaws.com) as a grant for an AWS
// resource. A condition is then true, false, decided by facts about the
// principal that only IAM holds (its tags, its name), or not understood.

// outcome is a condition's value for every outsider.
type outcome int

const (
	forcedFalse outcome = iota // no outsider satisfies it: it limits the caller
	notUnderstood
	choosable  // some outsiders do, some do not
	forcedTrue // every outsider satisfies it
)

// identityKind is what an identity condition key holds.
type identityKind int

const (
	accountID identityKind = iota
	orgID
	orgPath
	arnValue
)

// identityKey describes a condition key that identifies the caller's (or the
// calling service's source) account or organisation: the keys that can limit
// a key to known accounts.
type identityKey struct {
	kind identityKind
	// alwaysPresent: IAM sets the key on every request (so IfExists does not
	// let an outsider escape it).
	alwaysPresent bool
}

var identityKeys = map[string]identityKey{
	"kms:calleraccount":     {accountID, true},
	"aws:principalaccount":  {accountID, true},
	"aws:sourceaccount":     {accountID, false},
	"aws:principalorgid":    {orgID, false},
	"aws:sourceorgid":       {orgID, false},
	"aws:principalorgpaths": {orgPath, false},
	"aws:sourceorgpaths":    {orgPath, false},
	"aws:principalarn":      {arnValue, true},
	"aws:sourcearn":         {arnValue, false},
}

// callerKeys are keys whose values the caller chooses, or that describe the
// key or the request rather than who calls: they never limit the caller to
// known accounts (kms:ViaService alone is the classic mistake: any account
// can call through the same service).
var callerKeys = map[string]bool{}

// callerKeyPrefixes are the families of such keys (tags, encryption context).
var callerKeyPrefixes = []string{
	"kms:encryptioncontext:", "kms:recipientattestation:",
	"aws:principaltag/", "aws:requesttag/", "aws:resourcetag/",
}

func init() {
	for _, k := range []string{
		"kms:viaservice", "kms:grantisforawsresource", "kms:grantoperations", "kms:grantconstrainttype",
		"kms:granteeprincipal", "kms:retiringprincipal", "kms:encryptioncontextkeys", "kms:encryptionalgorithm",
		"kms:signingalgorithm", "kms:macalgorithm", "kms:messagetype", "kms:requestalias",
		"kms:keyagreementalgorithm", "kms:datakeypairspec", "kms:reencryptonsamekey",
		"kms:bypasspolicylockoutsafetycheck", "kms:schedulekeydeletionpendingwindowindays", "kms:keyorigin",
		"kms:keyspec", "kms:keyusage", "kms:customermasterkeyspec", "kms:customermasterkeyusage",
		"kms:multiregion", "kms:multiregionkeytype", "kms:primaryregion", "kms:replicaregion",
		"kms:rotationperiodindays", "kms:expirationmodel", "kms:wrappingalgorithm", "kms:wrappingkeyspec",
		"kms:validto", "kms:resourcealiases",
		"aws:securetransport", "aws:sourceip", "aws:sourcevpc", "aws:sourcevpce", "aws:vpcsourceip",
		"aws:useragent", "aws:referer", "aws:currenttime", "aws:epochtime", "aws:tokenissuetime",
		"aws:multifactorauthpresent", "aws:multifactorauthage", "aws:principaltype", "aws:userid",
		"aws:username", "aws:tagkeys", "aws:requestedregion", "aws:calledvia", "aws:calledviafirst",
		"aws:calledvialast", "aws:viaawsservice", "aws:principalisawsservice", "aws:principalservicename",
		"aws:principalservicenameslist", "aws:federatedprovider", "aws:sourceidentity",
		"aws:resourceaccount", "aws:resourceorgid", "aws:resourceorgpaths",
		"aws:ec2instancesourcevpc", "aws:ec2instancesourceprivateipv4",
	} {
		callerKeys[k] = true
	}
}

func isCallerKey(key string) bool {
	if callerKeys[key] {
		return true
	}
	for _, p := range callerKeyPrefixes {
		if strings.HasPrefix(key, p) && len(key) > len(p) {
			return true
		}
	}
	return false
}

// negated reports whether an operator is true when the value does not match.
func negated(base string) bool {
	switch base {
	case "StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike",
		"NumericNotEquals", "DateNotEquals", "NotIpAddress":
		return true
	}
	return false
}

// absentValue is an operator's result when the request lacks the key.
func absentValue(c *condition) bool {
	switch {
	case c.IfExists, c.Set == "ForAllValues":
		return true
	case c.Set == "ForAnyValue":
		return false
	}
	return negated(c.Base)
}

// match is how an outsider's value relates to one condition value.
type match int

const (
	never    match = iota // no outsider's value matches (the value names a known account, org or principal)
	possibly              // a wildcard some outsiders match
	always                // every outsider matches ("*", or the caller's own value)
	unclear               // not understood
)

// outsider returns the condition's outcome for every outsider, and why
// when it is not understood.
func (c *condition) outsider() (outcome, string) {
	if !c.Known {
		return notUnderstood, fmt.Sprintf("condition operator %q is not one IAM defines", c.Operator)
	}
	id, isID := identityKeys[c.key]
	if !isID {
		if isCallerKey(c.key) {
			return choosable, ""
		}
		return notUnderstood, fmt.Sprintf("condition key %q is not one the analyser understands", c.Key)
	}
	var results [2]bool // results seen: [false, true]
	if !id.alwaysPresent {
		results[b2i(c.Base == "Null" && hasValue(c.Values, "true") || c.Base != "Null" && absentValue(c))] = true
	}
	if c.Base == "Null" {
		for _, v := range c.Values {
			if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
				return notUnderstood, fmt.Sprintf("Null %s: value %q is neither true nor false", c.Key, v)
			}
		}
		results[b2i(hasValue(c.Values, "false"))] = true // the key is present
		return outcomeOf(results), ""
	}
	m := never
	for _, v := range c.Values {
		switch vm := outsiderMatch(c, id.kind, v); {
		case vm == always:
			m = always
		case vm == unclear && m != always:
			m = unclear
		case vm == possibly && m == never:
			m = possibly
		}
	}
	if m == unclear {
		return notUnderstood, fmt.Sprintf("%s %s: the analyser cannot tell which callers the values %q admit", c.Operator, c.Key, c.Values)
	}
	neg := negated(c.Base)
	switch m {
	case always:
		results[b2i(!neg)] = true
	case never:
		results[b2i(neg)] = true
	case possibly:
		results[0], results[1] = true, true
	}
	return outcomeOf(results), ""
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func outcomeOf(results [2]bool) outcome {
	switch {
	case results[0] && results[1]:
		return choosable
	case results[1]:
		return forcedTrue
	}
	return forcedFalse
}

func hasValue(values []string, want string) bool {
	for _, v := range values {
		if strings.EqualFold(v, want) {
			return true
		}
	}
	return false
}

// outsiderMatch says whether an outsider's value of an identity key matches
// the condition value v under c's operator.
func outsiderMatch(c *condition, kind identityKind, v string) match {
	if strings.Contains(v, "${") {
		return variableMatch(c.key, v)
	}
	switch c.Base {
	case "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase":
		return never // a named value: a known account, organisation or principal
	case "StringLike", "StringNotLike":
		if v == "*" {
			return always
		}
		if hasWildcard(identityPart(kind, v, false)) {
			return possibly
		}
		return never
	case "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike":
		if kind != arnValue {
			return unclear
		}
		if v == "*" {
			return always
		}
		if len(strings.SplitN(v, ":", 6)) != 6 {
			return never // matches no ARN
		}
		if hasWildcard(identityPart(kind, v, true)) {
			return possibly
		}
		return never
	}
	return unclear // numeric, date, IP, binary or Bool on an identity key
}

// identityPart is the part of a condition value that fixes the caller's
// account or organisation: the whole value for an account or org id, the
// organisation id for an org path, and for an ARN everything up to and
// including the account (with StringLike a wildcard before the account can
// stand for it too).
func identityPart(kind identityKind, v string, arnOp bool) string {
	switch kind {
	case orgPath:
		org, _, _ := strings.Cut(v, "/")
		return org
	case arnValue:
		parts := strings.SplitN(v, ":", 6)
		if len(parts) < 6 {
			return v
		}
		if arnOp {
			return parts[4]
		}
		return strings.Join(parts[:5], ":")
	}
	return v
}

// variableMatch judges a policy variable in a condition value on an
// identity key: ${aws:ResourceAccount} and ${aws:ResourceOrgID} name the
// key's own account and organisation; the caller's own value always matches.
func variableMatch(key, v string) match {
	switch strings.ToLower(v) {
	case "${aws:resourceaccount}":
		if key == "kms:calleraccount" || key == "aws:principalaccount" || key == "aws:sourceaccount" {
			return never
		}
	case "${aws:resourceorgid}":
		if key == "aws:principalorgid" || key == "aws:sourceorgid" {
			return never
		}
	case "${aws:principalaccount}", "${kms:calleraccount}":
		if key == "kms:calleraccount" || key == "aws:principalaccount" {
			return always
		}
	case "${aws:principalorgid}":
		if key == "aws:principalorgid" {
			return always
		}
	}
	return unclear
}

// verdict of one condition for a DMS caller.
type holds int

const (
	holdsFalse holds = iota
	holdsTrue
	holdsDepends // decided by facts about the principal that only IAM has
	holdsUnclear // not understood
)

// request is what KMS sees of one DMS caller's request: the values of the
// keys it sets, the keys it leaves out, and the keys whose value depends on
// which principal calls.
type request struct {
	values map[string]string
	absent map[string]bool
	// vars resolves policy variables in condition values.
	vars map[string]string
}

func (r *request) eval(c *condition) (holds, string) {
	if !c.Known {
		return holdsUnclear, fmt.Sprintf("condition operator %q is not one IAM defines", c.Operator)
	}
	_, isID := identityKeys[c.key]
	if !isID && !isCallerKey(c.key) {
		return holdsUnclear, fmt.Sprintf("condition key %q is not one the analyser understands", c.Key)
	}
	if r.absent[c.key] {
		if c.Base == "Null" {
			return holdsOf(hasValue(c.Values, "true")), ""
		}
		return holdsOf(absentValue(c)), ""
	}
	got, ok := r.values[c.key]
	if !ok {
		return holdsDepends, fmt.Sprintf("%s %s depends on which principal creates the DMS resource and how it calls, which IAM and the caller decide and a key policy does not show", c.Operator, c.Key)
	}
	if c.Base == "Null" {
		return holdsOf(hasValue(c.Values, "false")), ""
	}
	matchedAny := false
	for _, v := range c.Values {
		v, ok := r.resolve(v)
		if !ok {
			return holdsUnclear, fmt.Sprintf("%s %s: policy variable in %q not understood", c.Operator, c.Key, v)
		}
		m, understood := compare(c.Base, v, got)
		if !understood {
			return holdsUnclear, fmt.Sprintf("%s on %s is not a comparison the analyser understands", c.Operator, c.Key)
		}
		matchedAny = matchedAny || m
	}
	return holdsOf(matchedAny != negated(c.Base)), ""
}

func holdsOf(b bool) holds {
	if b {
		return holdsTrue
	}
	return holdsFalse
}

// resolve replaces a whole-value policy variable it knows.
func (r *request) resolve(v string) (string, bool) {
	if !strings.Contains(v, "${") {
		return v, true
	}
	out, ok := r.vars[strings.ToLower(v)]
	return out, ok
}

// compare applies an operator's comparison (without its negation).
func compare(base, want, got string) (matched, understood bool) {
	switch base {
	case "StringEquals", "StringNotEquals":
		return want == got, true
	case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase":
		return strings.EqualFold(want, got), true
	case "StringLike", "StringNotLike":
		return glob(want, got, false), true
	case "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike":
		return arnGlob(want, got), true
	case "Bool":
		return strings.EqualFold(want, got), true
	}
	return false, false
}
