package terraform

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/cmkguard/cmkguard/keyref"
	"github.com/cmkguard/cmkguard/state"
)

// keyDecision is what one key argument of a resource instance says about
// its key, with where it is written and a sentence for the finding.
type keyDecision struct {
	ref  string
	key  state.Key
	note string
	rng  hcl.Range
}

// DefaultKey is the key of a resource that names none: DMS (or S3) uses its
// AWS-managed default key, which is always enabled.
func DefaultKey() state.Key {
	return state.Key{Resolved: true, Evidence: state.EvidenceDeclared, Manager: state.KeyManagerAWS, State: "Enabled"}
}

// decideKey evaluates the key argument attr (nil when absent) of a
// resource instance. blockRng is used when the argument is absent;
// defaultName names the default key in notes (aws/dms, aws/s3).
func (s *scope) decideKey(attr *hcl.Attribute, name string, blockRng hcl.Range, region string, own bool, defaultName string) keyDecision {
	if attr == nil {
		return keyDecision{key: DefaultKey(), rng: blockRng, note: fmt.Sprintf("%s is not set: DMS uses %s", name, defaultName)}
	}
	d := keyDecision{rng: attr.Range}
	v, diags := s.eval(attr.Expr)
	d.ref = s.mi.ev.exprText(attr.Expr)
	if diags.HasErrors() {
		d.key = unknownKeyBecause(fmt.Sprintf("%s cannot be evaluated: %s", name, diagText(diags[0])))
		return d
	}
	v, marks := marksOf(v)
	if v.IsKnown() {
		if v.IsNull() {
			return keyDecision{key: DefaultKey(), rng: attr.Range, note: fmt.Sprintf("%s is null: DMS uses %s", name, defaultName)}
		}
		str, err := convert.Convert(v, cty.String)
		if err != nil {
			d.key = unknownKeyBecause(fmt.Sprintf("%s is a %s, not a key reference", name, v.Type().FriendlyName()))
			return d
		}
		lit := str.AsString()
		if strings.TrimSpace(lit) == "" {
			return keyDecision{key: DefaultKey(), rng: attr.Range, note: fmt.Sprintf("%s is \"\": DMS uses %s", name, defaultName)}
		}
		d.ref = lit
		d.key = LiteralKey(lit, region, own)
		if lit != s.mi.ev.exprText(attr.Expr) && strings.Trim(s.mi.ev.exprText(attr.Expr), `"`) != lit {
			d.note = fmt.Sprintf("%s = %s evaluates to %q", name, s.mi.ev.exprText(attr.Expr), lit)
		}
		return d
	}
	if rs := reasons(marks); len(rs) > 0 {
		d.key = unknownKeyBecause(joinReasons(rs))
		return d
	}
	d.key, d.note = keyFromMarks(name, marks, region)
	return d
}

func unknownKeyBecause(why string) state.Key {
	return state.Key{Evidence: state.EvidenceNone, UnknownReason: why}
}

// LiteralKey classifies a key reference written as a value.
func LiteralKey(ref, region string, own bool) state.Key {
	var k keyref.Ref
	if own && region != "" {
		k = keyref.ParseOwn(ref, "", region)
	} else {
		k = keyref.Parse(ref, "", region)
	}
	if k.Malformed != "" {
		return unknownKeyBecause(k.Malformed)
	}
	key := state.Key{Account: k.Account, Resolved: true, Evidence: state.EvidenceDeclared, Manager: state.KeyManagerCustomer}
	if k.Account != "" {
		key.ARN = k.ARN // a bare key id's account is the caller's, not known here
	}
	if strings.HasPrefix(ref, "arn:") {
		key.Region = k.Region
	}
	if k.AWSManagedName {
		key.Manager, key.State, key.Aliases = state.KeyManagerAWS, "Enabled", []string{k.Alias}
	}
	return key
}

// keyFromMarks decides a value known only after apply by what it refers to.
func keyFromMarks(name string, marks cty.ValueMarks, region string) (state.Key, string) {
	var managers []state.KeyManager
	var from []string
	var declared []kmsResource
	var aliases []string
	for m := range marks {
		switch k := m.(type) {
		case kmsResource:
			managers = append(managers, state.KeyManagerCustomer)
			from = append(from, k.address)
			declared = append(declared, k)
		case kmsData:
			r := keyref.Parse(k.ref, "", region)
			switch {
			case r.Malformed != "":
				return unknownKeyBecause(fmt.Sprintf("%s reads %s, whose argument %q: %s", name, k.address, k.ref, r.Malformed)), ""
			case r.AWSManagedName:
				managers = append(managers, state.KeyManagerAWS)
				aliases = append(aliases, r.Alias)
			default:
				managers = append(managers, state.KeyManagerCustomer)
			}
			from = append(from, fmt.Sprintf("%s (%q)", k.address, k.ref))
		}
	}
	slices.Sort(from)
	managers = slices.Compact(slices.Sorted(slices.Values(managers)))
	switch len(managers) {
	case 0:
		return unknownKeyBecause(name + " is known only after apply, and refers to no KMS key declared in the configuration"), ""
	case 1:
	default:
		return unknownKeyBecause(fmt.Sprintf("%s may name an AWS-managed or a customer-managed key (%s)", name, strings.Join(from, ", "))), ""
	}
	note := fmt.Sprintf("%s refers to %s", name, strings.Join(from, ", "))
	if managers[0] == state.KeyManagerAWS {
		slices.Sort(aliases)
		return state.Key{Resolved: true, Evidence: state.EvidenceDeclared, Manager: state.KeyManagerAWS, State: "Enabled",
			Aliases: slices.Compact(aliases)}, note
	}
	k := state.Key{Resolved: true, Evidence: state.EvidenceDeclared, Manager: state.KeyManagerCustomer}
	if len(declared) == 1 {
		k.State, k.Origin, k.MultiRegion = declared[0].state, declared[0].origin, declared[0].multi
	}
	return k, note
}
