package terraform

import (
	"math/big"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

func bigInt(n int) *big.Float { return new(big.Float).SetInt64(int64(n)) }

// resourceValue is a reference to a managed resource (type.name): unknown
// before apply, marked with what it is. A KMS key or alias declared here
// is a customer-managed key; anything else is known only after apply; an
// undeclared resource (a misspelt type, aws-kms_key) is unknown, never a key.
func (mi *moduleInstance) resourceValue(typ, name string) cty.Value {
	decl := mi.mod.declared[typ+"."+name]
	if decl == nil {
		return unknownBecause("%s.%s is not declared in %s", typ, name, mi.where())
	}
	if !kmsTypes[typ] {
		return unknownBecause("%s%s.%s is known only after apply", mi.prefix(), typ, name)
	}
	return mi.kmsMark(decl)
}

// kmsMark is the marked unknown value every attribute of a declared KMS
// key or alias takes, with the key's declared state.
func (mi *moduleInstance) kmsMark(decl *resourceDecl) cty.Value {
	key := decl.address()
	if v, ok := mi.kmsMarks[key]; ok {
		return v
	}
	// A reference to itself while its own attributes are evaluated (an
	// alias targeting an alias) is unknown.
	mi.kmsMarks[key] = unknownBecause("%s%s refers to itself", mi.prefix(), key)
	addr := mi.prefix() + key
	insts, _, why := mi.moduleScope().expand(decl.count, decl.forEach, addr)
	var v cty.Value
	switch {
	case len(insts) == 0:
		v = unknownBecause("%s has no instances (count = 0 or an empty for_each), so nothing it would create exists", addr)
	default:
		in := insts[0]
		s := &scope{mi: mi, count: in.count, each: in.each}
		if len(insts) > 1 {
			// The key facts are read once for all instances.
			s = &scope{mi: mi}
			if decl.count != nil {
				s.count = cty.UnknownVal(cty.Number)
			}
			if decl.forEach != nil {
				s.each = &eachPair{key: cty.UnknownVal(cty.String), value: cty.DynamicVal}
			}
		}
		_ = why
		m := s.kmsFacts(decl, addr)
		v = cty.DynamicVal.Mark(m)
	}
	mi.kmsMarks[key] = v
	return v
}

// kmsFacts reads what the declaration says about its key.
func (s *scope) kmsFacts(decl *resourceDecl, addr string) kmsResource {
	m := kmsResource{address: addr, typ: decl.typ}
	c, _, _ := decl.body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "is_enabled"}, {Name: "enabled"}, {Name: "custom_key_store_id"}, {Name: "multi_region"},
		{Name: "key_material_base64"}, {Name: "target_key_id"}, {Name: "primary_key_arn"},
	}})
	if c == nil {
		return m
	}
	attr := func(n string) (cty.Value, bool) {
		a := c.Attributes[n]
		if a == nil {
			return cty.NilVal, false
		}
		v, diags := s.eval(a.Expr)
		if diags.HasErrors() {
			return cty.DynamicVal, true
		}
		v, _ = v.UnmarkDeep()
		return v, true
	}
	boolOr := func(n string, dflt bool) (bool, bool) {
		v, ok := attr(n)
		if !ok {
			return dflt, true
		}
		if !v.IsKnown() || v.IsNull() || v.Type() != cty.Bool {
			return false, v.IsKnown() && v.IsNull()
		}
		return v.True(), true
	}
	state := func(enabled, known bool) string {
		switch {
		case !known:
			return ""
		case enabled:
			return "Enabled"
		}
		return "Disabled"
	}
	switch decl.typ {
	case "aws_kms_key":
		m.origin = "AWS_KMS"
		if _, ok := attr("custom_key_store_id"); ok {
			m.origin = "" // CloudHSM or an external key store: the store decides
		}
		m.state = state(boolOr("is_enabled", true))
		m.multi, _ = boolOr("multi_region", false)
	case "aws_kms_replica_key":
		m.state = state(boolOr("enabled", true))
		m.multi = true
	case "aws_kms_external_key", "aws_kms_replica_external_key":
		m.origin = "EXTERNAL"
		if _, ok := attr("key_material_base64"); !ok {
			m.state = "PendingImport"
		} else {
			m.state = state(boolOr("enabled", true))
		}
		if decl.typ == "aws_kms_replica_external_key" {
			m.multi = true
		}
	case "aws_kms_alias":
		// The alias's key is its target's, when the target is declared here.
		if a := c.Attributes["target_key_id"]; a != nil {
			v, _ := s.eval(a.Expr)
			_, marks := v.UnmarkDeep()
			for mk := range marks {
				if k, ok := mk.(kmsResource); ok && k.typ != "aws_kms_alias" {
					m.state, m.origin, m.multi = k.state, k.origin, k.multi
				}
			}
		}
	}
	return m
}

// dataValue is a data source's value: the KMS lookups are judged by their
// static argument; every other data source is read at plan time, which
// cmkguard does not do.
func (mi *moduleInstance) dataValue(typ, name string) cty.Value {
	decl := mi.mod.declared["data."+typ+"."+name]
	addr := mi.prefix() + "data." + typ + "." + name
	if decl == nil {
		return unknownBecause("%s is not declared in %s", addr, mi.where())
	}
	var arg string
	switch typ {
	case "aws_kms_alias":
		arg = "name"
	case "aws_kms_key":
		arg = "key_id"
	case "terraform_remote_state":
		return unknownBecause("%s reads another configuration's remote state, which cmkguard does not read: pass the key with --var instead", addr)
	case "aws_ssm_parameter":
		return unknownBecause("%s is read from SSM Parameter Store at plan time, which cmkguard does not do", addr)
	default:
		return unknownBecause("%s is read from the provider at plan time, which cmkguard does not do", addr)
	}
	c, _, _ := decl.body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: arg}}})
	if c == nil || c.Attributes[arg] == nil {
		return unknownBecause("%s sets no %s", addr, arg)
	}
	s := mi.moduleScope()
	if decl.count != nil {
		s.count = cty.UnknownVal(cty.Number).Mark(unresolved{why: addr + " has count"})
	}
	if decl.forEach != nil {
		u := cty.DynamicVal.Mark(unresolved{why: addr + " has for_each"})
		s.each = &eachPair{key: u, value: u}
	}
	v, diags := s.eval(c.Attributes[arg].Expr)
	if diags.HasErrors() {
		return unknownBecause("%s's %s cannot be evaluated: %s", addr, arg, diagText(diags[0]))
	}
	v, marks := v.UnmarkDeep()
	if !v.IsKnown() {
		return cty.DynamicVal.WithMarks(withReason(marks, cty.NewValueMarks(unresolved{why: addr + "'s " + arg + " is not known"})))
	}
	if v.IsNull() || v.Type() != cty.String || v.AsString() == "" {
		return unknownBecause("%s's %s is not a string", addr, arg)
	}
	return cty.DynamicVal.Mark(kmsData{address: addr, ref: v.AsString()})
}
