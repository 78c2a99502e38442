package terraform

import (
	"errors"

	"github.com/hashicorp/hcl/v2/ext/customdecode"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// tryFunc is Terraform's try: the first argument that evaluates without
// error. An argument not known before apply makes the result unknown, as in
// Terraform; unlike HCL's own try, the unknown keeps the argument's marks,
// so the reason it is unknown (or the key it refers to) is not lost.
var tryFunc = function.New(&function.Spec{
	VarParam: &function.Parameter{Name: "expressions", Type: customdecode.ExpressionClosureType},
	Type:     function.StaticReturnType(cty.DynamicPseudoType),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		if len(args) == 0 {
			return cty.NilVal, errors.New("at least one argument is required")
		}
		for _, a := range args {
			closure := customdecode.ExpressionClosureFromVal(a)
			v, diags := closure.Value()
			if diags.HasErrors() {
				continue
			}
			if !v.IsWhollyKnown() {
				_, marks := v.UnmarkDeep()
				return cty.DynamicVal.WithMarks(marks), nil
			}
			return v, nil
		}
		return cty.NilVal, errors.New("no expression succeeded")
	},
})

// canFunc is Terraform's can, keeping an unknown argument's marks.
var canFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "expression", Type: customdecode.ExpressionClosureType}},
	Type:   function.StaticReturnType(cty.Bool),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		closure := customdecode.ExpressionClosureFromVal(args[0])
		v, diags := closure.Value()
		if diags.HasErrors() {
			return cty.False, nil
		}
		if !v.IsWhollyKnown() {
			_, marks := v.UnmarkDeep()
			return cty.UnknownVal(cty.Bool).WithMarks(marks), nil
		}
		return cty.True, nil
	},
})

// lookupFunc is Terraform's lookup(map, key, default), where default may
// be null (modules write lookup(each.value, "kms_key_arn", null)).
var lookupFunc = function.New(&function.Spec{
	Params: []function.Parameter{
		{Name: "inputMap", Type: cty.DynamicPseudoType},
		{Name: "key", Type: cty.String},
	},
	VarParam: &function.Parameter{Name: "default", Type: cty.DynamicPseudoType, AllowNull: true, AllowUnknown: true, AllowDynamicType: true, AllowMarked: true},
	Type:     function.StaticReturnType(cty.DynamicPseudoType),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		m, key := args[0], args[1].AsString()
		if len(args) > 3 {
			return cty.NilVal, errors.New("lookup takes at most three arguments")
		}
		ty := m.Type()
		if !(ty.IsObjectType() || ty.IsMapType()) {
			return cty.NilVal, errors.New("the first argument must be a map or an object")
		}
		if m.IsNull() {
			return cty.NilVal, errors.New("the map is null")
		}
		switch {
		case ty.IsObjectType() && ty.HasAttribute(key):
			return m.GetAttr(key), nil
		case ty.IsMapType() && m.HasIndex(cty.StringVal(key)).True():
			return m.Index(cty.StringVal(key)), nil
		}
		if len(args) == 3 {
			return args[2], nil
		}
		return cty.NilVal, errors.New("the map has no element for the key and no default was given")
	},
})
