package terraform

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
)

// maxModuleDepth bounds module nesting, so that a cycle the resolver did not
// see (through an ever-deeper path) still ends.
const maxModuleDepth = 64

// maxEvalDepth bounds how many expressions one evaluation may go through
// (a local referring to a local, ...), so that a chain of 100,000 locals
// ends with a reason instead of overflowing the stack.
const maxEvalDepth = 2000

// root is one root module being evaluated, with its variable values.
type root struct {
	dir      string
	manifest manifest
	values   map[string]rootValue
	funcs    map[string]function.Function
}

// rootValue is a root module variable's value as given: an expression (from
// a tfvars file) or a raw string (--var, TF_VAR_*), whose parsing depends on
// the variable's type as in Terraform.
type rootValue struct {
	expr  hcl.Expression
	raw   *string
	where string
}

// moduleInstance is one instance of a module: the root, or one instance of
// a module call (module.a["x"].module.b).
type moduleInstance struct {
	ev     *evaluator
	root   *root
	mod    *module
	addr   string // "" for the root module
	key    string // manifest key: call names joined by "."
	parent *moduleInstance
	call   *moduleCall
	// callScope is the calling module's scope for this instance (with the
	// call's count.index or each).
	callScope *scope
	chain     []string // module directories from the root, for cycles
	depth     int

	vars       map[string]cty.Value
	locals     map[string]cty.Value
	localsBusy map[string]bool
	outputs    map[string]cty.Value
	outBusy    map[string]bool
	children   map[string]*childSet
	kmsMarks   map[string]cty.Value
}

// childSet is the instances of one module call.
type childSet struct {
	instances []*moduleInstance
	mode      instanceMode
	// unavailable says why the call has no instances to evaluate (its
	// source is not available, a cycle); "" otherwise.
	unavailable string
	unknownWhy  cty.ValueMarks
}

type instanceMode int

const (
	single instanceMode = iota
	byCount
	byForEach
	unknownInstances
)

// scope is where an expression is evaluated: a module instance, and the
// count.index or each of the resource or module call being evaluated.
type scope struct {
	mi    *moduleInstance
	count cty.Value // cty.NilVal when the block has no count
	each  *eachPair
}

type eachPair struct{ key, value cty.Value }

func newModuleInstance(ev *evaluator, r *root, mod *module) *moduleInstance {
	mi := &moduleInstance{ev: ev, root: r, mod: mod, chain: []string{mod.dir}}
	mi.init()
	return mi
}

func (mi *moduleInstance) init() {
	mi.vars, mi.locals, mi.localsBusy = map[string]cty.Value{}, map[string]cty.Value{}, map[string]bool{}
	mi.outputs, mi.outBusy = map[string]cty.Value{}, map[string]bool{}
	mi.children, mi.kmsMarks = map[string]*childSet{}, map[string]cty.Value{}
}

// where names the module instance for messages.
func (mi *moduleInstance) where() string {
	if mi.addr == "" {
		return "the root module " + mi.ev.rel(mi.mod.dir)
	}
	return mi.addr
}

func (mi *moduleInstance) prefix() string {
	if mi.addr == "" {
		return ""
	}
	return mi.addr + "."
}

func (mi *moduleInstance) moduleScope() *scope { return &scope{mi: mi} }

// eval evaluates expr in s. A panic in a library (never expected) becomes
// an unknown value with the reason, never a crash.
func (s *scope) eval(expr hcl.Expression) (v cty.Value, diags hcl.Diagnostics) {
	ev := s.mi.ev
	if ev.depth >= maxEvalDepth {
		rng := expr.Range()
		return unknownBecause("the expression at %s:%d refers through more than %d other values", ev.rel(rng.Filename), rng.Start.Line, maxEvalDepth), nil
	}
	rng := expr.Range()
	nested, seen := ev.forNesting[rng]
	if !seen {
		nested = forNesting(hcl.UnwrapExpression(expr))
		ev.forNesting[rng] = nested
	}
	if nested > maxForNesting {
		ev.problems.add(rng.Filename, rng.Start.Line, "for expressions nest more than %d deep; the expression is not evaluated", maxForNesting)
		return unknownBecause("the expression at %s:%d nests for expressions more than %d deep, which cmkguard does not evaluate", ev.rel(rng.Filename), rng.Start.Line, maxForNesting), nil
	}
	ev.depth++
	defer func() { ev.depth-- }()
	defer func() {
		if r := recover(); r != nil {
			rng := expr.Range()
			v = unknownBecause("the expression at %s:%d could not be evaluated (%v)", s.mi.ev.rel(rng.Filename), rng.Start.Line, r)
			diags = nil
		}
	}()
	ctx := s.ctxFor(expr.Variables())
	return expr.Value(ctx)
}

// ctxFor builds the evaluation context for exactly the references given:
// only what an expression refers to is evaluated, lazily and once per
// module instance.
func (s *scope) ctxFor(travs []hcl.Traversal) *hcl.EvalContext {
	mi := s.mi
	vars := map[string]cty.Value{}
	groups := map[string]map[string]cty.Value{}
	nested := map[string]map[string]map[string]cty.Value{} // data and resources: type → name → value
	put := func(root, name string, v cty.Value) {
		if groups[root] == nil {
			groups[root] = map[string]cty.Value{}
		}
		groups[root][name] = v
	}
	putNested := func(root, typ, name string, v cty.Value) {
		if nested[root] == nil {
			nested[root] = map[string]map[string]cty.Value{}
		}
		if nested[root][typ] == nil {
			nested[root][typ] = map[string]cty.Value{}
		}
		nested[root][typ][name] = v
	}
	for _, t := range travs {
		root := t.RootName()
		name := stepName(t, 1)
		switch root {
		case "var":
			if name != "" {
				put(root, name, mi.variable(name))
			}
		case "local":
			if name != "" {
				put(root, name, mi.local(name))
			}
		case "module":
			if name != "" {
				put(root, name, mi.moduleValue(name))
			}
		case "data":
			if n := stepName(t, 2); name != "" && n != "" {
				putNested(root, name, n, mi.dataValue(name, n))
			}
		case "count":
			vars["count"] = cty.ObjectVal(map[string]cty.Value{"index": s.countIndex()})
		case "each":
			k, v := s.eachValues()
			vars["each"] = cty.ObjectVal(map[string]cty.Value{"key": k, "value": v})
		case "path":
			vars["path"] = cty.ObjectVal(map[string]cty.Value{
				"module": cty.StringVal(mi.mod.dir), "root": cty.StringVal(mi.root.dir), "cwd": cty.StringVal(mi.root.dir)})
		case "terraform":
			vars["terraform"] = cty.ObjectVal(map[string]cty.Value{"workspace": cty.StringVal("default")})
		case "self":
			vars["self"] = unknownBecause("self is known only after apply")
		default:
			if name != "" {
				put("\x00"+root, name, mi.resourceValue(root, name))
			}
		}
	}
	for root, g := range groups {
		vars[strings.TrimPrefix(root, "\x00")] = cty.ObjectVal(g)
	}
	for root, types := range nested {
		obj := map[string]cty.Value{}
		for typ, names := range types {
			obj[typ] = cty.ObjectVal(names)
		}
		vars[root] = cty.ObjectVal(obj)
	}
	return &hcl.EvalContext{Variables: vars, Functions: mi.root.funcs}
}

// stepName returns the attribute name at step i of t ("" when there is none).
func stepName(t hcl.Traversal, i int) string {
	if len(t) <= i {
		return ""
	}
	switch s := t[i].(type) {
	case hcl.TraverseAttr:
		return s.Name
	case hcl.TraverseIndex:
		if s.Key.Type() == cty.String && s.Key.IsKnown() {
			return s.Key.AsString()
		}
	}
	return ""
}

func (s *scope) countIndex() cty.Value {
	if s.count == cty.NilVal {
		return unknownBecause("count.index is used in a block that has no count")
	}
	return s.count
}

func (s *scope) eachValues() (cty.Value, cty.Value) {
	if s.each == nil {
		v := unknownBecause("each is used in a block that has no for_each")
		return v, v
	}
	return s.each.key, s.each.value
}

// variable returns var.name of the instance: its caller's input (or the
// root's tfvars, --var, TF_VAR_*), else its default, converted to its type
// with its optional() defaults.
func (mi *moduleInstance) variable(name string) cty.Value {
	if v, ok := mi.vars[name]; ok {
		return v
	}
	v := mi.computeVariable(name)
	if decl := mi.mod.variables[name]; decl != nil {
		v = mi.bounded(v, "var."+name, decl.rng)
	}
	mi.vars[name] = v
	return v
}

func (mi *moduleInstance) computeVariable(name string) cty.Value {
	decl := mi.mod.variables[name]
	if decl == nil {
		return unknownBecause("var.%s is not declared in %s", name, mi.where())
	}
	ty, defaults := cty.DynamicPseudoType, (*typeexpr.Defaults)(nil)
	if decl.typeExpr != nil {
		t, d, diags := typeexpr.TypeConstraintWithDefaults(typeExprOf(decl.typeExpr))
		if diags.HasErrors() {
			mi.ev.problems.diags(diags)
			return unknownBecause("var.%s has a type cmkguard cannot read", name)
		}
		ty, defaults = t, d
	}
	raw, given, where := mi.givenValue(name, ty)
	if !given && decl.deflt != nil {
		v, diags := decl.deflt.Expr.Value(nil)
		if diags.HasErrors() {
			mi.ev.problems.diags(diags)
			return unknownBecause("the default of var.%s cannot be evaluated", name)
		}
		raw, given, where = v, true, "default"
	}
	if !given {
		if mi.addr == "" {
			return cty.UnknownVal(ty).Mark(unresolved{why: fmt.Sprintf("var.%s has no value: pass --var %s=... or --var-file", name, name)})
		}
		return cty.UnknownVal(ty).Mark(unresolved{why: fmt.Sprintf("%s does not set input %s, and var.%s has no default", mi.addr, name, name)})
	}
	if raw.IsNull() && decl.deflt != nil && isFalse(decl.nullable) {
		raw, _ = decl.deflt.Expr.Value(nil)
	}
	return mi.convertVariable(name, raw, ty, defaults, where)
}

func (mi *moduleInstance) convertVariable(name string, raw cty.Value, ty cty.Type, defaults *typeexpr.Defaults, where string) (v cty.Value) {
	defer func() {
		if r := recover(); r != nil {
			v = unknownBecause("var.%s (%s) could not be converted to its type: %v", name, where, r)
		}
	}()
	if defaults != nil {
		raw = defaults.Apply(raw)
	}
	out, err := convert.Convert(raw, ty)
	if err != nil {
		return unknownBecause("var.%s (%s) is not a %s: %v", name, where, typeexpr.TypeString(ty), err)
	}
	return out
}

func isFalse(a *hcl.Attribute) bool {
	if a == nil {
		return false
	}
	v, diags := a.Expr.Value(nil)
	return !diags.HasErrors() && v.IsKnown() && !v.IsNull() && v.Type() == cty.Bool && v.False()
}

// typeExprOf returns a type expression as HCL native syntax: in .tf.json a
// type is a string ("list(string)") that Terraform parses as an expression.
func typeExprOf(expr hcl.Expression) hcl.Expression {
	if _, ok := expr.(hclsyntax.Expression); ok {
		return expr
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() || !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
		return expr
	}
	parsed, diags := hclsyntax.ParseExpression([]byte(v.AsString()), expr.Range().Filename, expr.Range().Start)
	if diags.HasErrors() {
		return expr
	}
	return parsed
}

// givenValue is the value the caller gives var.name, if any.
func (mi *moduleInstance) givenValue(name string, ty cty.Type) (cty.Value, bool, string) {
	if mi.addr == "" {
		rv, ok := mi.root.values[name]
		if !ok {
			return cty.NilVal, false, ""
		}
		if rv.raw != nil {
			if ty == cty.DynamicPseudoType || ty.IsPrimitiveType() {
				return cty.StringVal(*rv.raw), true, rv.where
			}
			expr, diags := hclsyntax.ParseExpression([]byte(*rv.raw), rv.where, hcl.InitialPos)
			if diags.HasErrors() {
				return unknownBecause("%s does not parse as a %s: %s", rv.where, typeexpr.TypeString(ty), diagText(diags[0])), true, rv.where
			}
			rv.expr = expr
		}
		v, diags := rv.expr.Value(nil)
		if diags.HasErrors() {
			mi.ev.problems.diags(diags)
			return unknownBecause("var.%s (%s) cannot be evaluated: %s", name, rv.where, diagText(diags[0])), true, rv.where
		}
		return v, true, rv.where
	}
	attr := mi.call.inputs[name]
	if attr == nil {
		return cty.NilVal, false, ""
	}
	v, diags := mi.callScope.eval(attr.Expr)
	if diags.HasErrors() {
		return unknownBecause("input %s of %s cannot be evaluated: %s", name, mi.addr, diagText(diags[0])), true, "input"
	}
	return v, true, fmt.Sprintf("input of %s at %s:%d", mi.addr, mi.ev.rel(attr.Range.Filename), attr.Range.Start.Line)
}

// bounded is v, or an unknown with the reason (and a problem) when v holds
// more than maxValueElements elements.
func (mi *moduleInstance) bounded(v cty.Value, what string, rng hcl.Range) cty.Value {
	if !tooLarge(v) {
		return v
	}
	mi.ev.problems.add(rng.Filename, rng.Start.Line, "%s holds more than %d elements; it is not evaluated", what, maxValueElements)
	return unknownBecause("%s holds more than %d elements, which cmkguard does not evaluate", what, maxValueElements)
}

// local returns local.name, evaluated once; a local that refers to itself
// is unknown, not an endless loop.
func (mi *moduleInstance) local(name string) cty.Value {
	if v, ok := mi.locals[name]; ok {
		return v
	}
	attr := mi.mod.locals[name]
	if attr == nil {
		return unknownBecause("local.%s is not declared in %s", name, mi.where())
	}
	if mi.localsBusy[name] {
		return unknownBecause("local.%s refers to itself", name)
	}
	mi.localsBusy[name] = true
	v, diags := mi.moduleScope().eval(attr.Expr)
	delete(mi.localsBusy, name)
	if diags.HasErrors() {
		v = unknownBecause("local.%s (%s:%d) cannot be evaluated: %s", name, mi.ev.rel(attr.Range.Filename), attr.Range.Start.Line, diagText(diags[0]))
	}
	v = mi.bounded(v, "local."+name, attr.Range)
	mi.locals[name] = v
	return v
}

// output returns the value of the instance's output name.
func (mi *moduleInstance) output(name string) cty.Value {
	if v, ok := mi.outputs[name]; ok {
		return v
	}
	attr := mi.mod.outputs[name]
	if attr == nil {
		return unknownBecause("%s has no output %q", mi.where(), name)
	}
	if mi.outBusy[name] {
		return unknownBecause("output %s of %s refers to itself", name, mi.where())
	}
	mi.outBusy[name] = true
	v, diags := mi.moduleScope().eval(attr.Expr)
	delete(mi.outBusy, name)
	if diags.HasErrors() {
		v = unknownBecause("output %s of %s cannot be evaluated: %s", name, mi.where(), diagText(diags[0]))
	}
	v = mi.bounded(v, "output "+name, attr.Range)
	mi.outputs[name] = v
	return v
}

// outputsObject is every output of the instance, as module.x is seen.
func (mi *moduleInstance) outputsObject() cty.Value {
	names := make([]string, 0, len(mi.mod.outputs))
	for n := range mi.mod.outputs {
		names = append(names, n)
	}
	slices.Sort(names)
	obj := map[string]cty.Value{}
	for _, n := range names {
		obj[n] = mi.output(n)
	}
	return cty.ObjectVal(obj)
}

// moduleValue is module.name as its caller sees it.
func (mi *moduleInstance) moduleValue(name string) cty.Value {
	call := mi.mod.calls[name]
	if call == nil {
		return unknownBecause("module.%s is not declared in %s", name, mi.where())
	}
	cs := mi.childrenOf(call)
	if cs.unavailable != "" {
		return unknownBecause("%s", cs.unavailable)
	}
	switch cs.mode {
	case byCount:
		if len(cs.instances) == 0 {
			return cty.EmptyTupleVal
		}
		vals := make([]cty.Value, len(cs.instances))
		for i, c := range cs.instances {
			vals[i] = c.outputsObject()
		}
		return cty.TupleVal(vals)
	case byForEach:
		obj := map[string]cty.Value{}
		for _, c := range cs.instances {
			obj[c.instanceKey()] = c.outputsObject()
		}
		return cty.ObjectVal(obj)
	case unknownInstances:
		return cty.DynamicVal.WithMarks(cs.unknownWhy)
	}
	return cs.instances[0].outputsObject()
}

// instanceKey is the for_each key of a module instance.
func (mi *moduleInstance) instanceKey() string {
	if mi.callScope != nil && mi.callScope.each != nil && mi.callScope.each.key.IsKnown() {
		return mi.callScope.each.key.AsString()
	}
	return ""
}

// childrenOf returns the instances of a module call, creating them once.
func (mi *moduleInstance) childrenOf(call *moduleCall) *childSet {
	if cs, ok := mi.children[call.name]; ok {
		return cs
	}
	cs := &childSet{}
	mi.children[call.name] = cs
	key := call.name
	if mi.key != "" {
		key = mi.key + "." + call.name
	}
	where := fmt.Sprintf("%s:%d", mi.ev.rel(call.file.path), call.rng.Start.Line)
	dir := ""
	if d, ok := mi.root.manifest[key]; ok {
		dir = d
	} else if isLocalSource(call.source) {
		dir = filepath.Join(mi.mod.dir, filepath.FromSlash(call.source))
	}
	addr := mi.prefix() + "module." + call.name
	if dir == "" {
		cs.unavailable = fmt.Sprintf("%s (source %q) is not available locally: run terraform init so that .terraform/modules holds it", addr, call.source)
		mi.ev.warn("%s: %s", where, cs.unavailable)
		return cs
	}
	real, err := resolveDir(dir)
	if err != nil {
		cs.unavailable = fmt.Sprintf("%s (source %q) cannot be read: %v", addr, call.source, err)
		mi.ev.problems.add(call.file.path, call.rng.Start.Line, "%s", cs.unavailable)
		return cs
	}
	if i := slices.Index(mi.chain, real); i >= 0 {
		var path []string
		for _, d := range append(mi.chain[i:], real) {
			path = append(path, mi.ev.rel(d))
		}
		cs.unavailable = fmt.Sprintf("%s is part of a module cycle (%s)", addr, strings.Join(path, " → "))
		mi.ev.problems.add(call.file.path, call.rng.Start.Line, "module cycle: module %q calls %s again (%s)", call.name, mi.ev.rel(real), strings.Join(path, " → "))
		return cs
	}
	if mi.depth+1 > maxModuleDepth {
		cs.unavailable = fmt.Sprintf("%s is nested more than %d modules deep", addr, maxModuleDepth)
		mi.ev.problems.add(call.file.path, call.rng.Start.Line, "%s", cs.unavailable)
		return cs
	}
	mod := mi.ev.loader.load(real)
	mi.ev.visited[real] = true
	insts, mode, why := mi.moduleScope().expand(call.count, call.forEach, addr)
	cs.mode, cs.unknownWhy = mode, why
	for _, in := range insts {
		child := &moduleInstance{ev: mi.ev, root: mi.root, mod: mod, addr: mi.prefix() + "module." + call.name + in.suffix,
			key: key, parent: mi, call: call, callScope: &scope{mi: mi, count: in.count, each: in.each},
			chain: append(slices.Clip(mi.chain), real), depth: mi.depth + 1}
		child.init()
		cs.instances = append(cs.instances, child)
	}
	return cs
}

// instance is one expanded instance of a resource or module call.
type instance struct {
	suffix string // "", [0], ["key"], [*]
	count  cty.Value
	each   *eachPair
}

// expand returns the instances count or for_each yield (one instance for a
// block with neither). An unknown count or for_each yields one instance
// whose count.index or each is unknown, with the reason: a resource is never
// dropped for want of a value. Zero instances is zero.
func (s *scope) expand(count, forEach *hcl.Attribute, addr string) ([]instance, instanceMode, cty.ValueMarks) {
	unknownOne := func(why cty.ValueMarks, countMode bool) ([]instance, instanceMode, cty.ValueMarks) {
		u := cty.DynamicVal.WithMarks(why)
		in := instance{suffix: "[*]"}
		if countMode {
			in.count = cty.UnknownVal(cty.Number).WithMarks(why)
		} else {
			in.each = &eachPair{key: cty.UnknownVal(cty.String).WithMarks(why), value: u}
		}
		return []instance{in}, unknownInstances, why
	}
	because := func(a *hcl.Attribute, format string, args ...any) cty.ValueMarks {
		return cty.NewValueMarks(unresolved{why: fmt.Sprintf("%s of %s (%s:%d) ", a.Name, addr, s.mi.ev.rel(a.Range.Filename), a.Range.Start.Line) + fmt.Sprintf(format, args...)})
	}
	limit := s.mi.ev.maxInstances
	switch {
	case count != nil:
		v, diags := s.eval(count.Expr)
		if diags.HasErrors() {
			s.mi.ev.problems.diags(diags)
			return unknownOne(because(count, "cannot be evaluated: %s", diagText(diags[0])), true)
		}
		v, marks := marksOf(v)
		if !v.IsKnown() {
			return unknownOne(withReason(marks, because(count, "is not known")), true)
		}
		if v.IsNull() {
			return unknownOne(because(count, "is null"), true)
		}
		n, err := convert.Convert(v, cty.Number)
		if err != nil {
			return unknownOne(because(count, "is not a number"), true)
		}
		bf := n.AsBigFloat()
		if !bf.IsInt() || bf.Sign() < 0 {
			return unknownOne(because(count, "is not a whole number 0 or more"), true)
		}
		if !bf.IsInt() || bf.Cmp(bigInt(limit)) > 0 {
			s.mi.ev.problems.add(count.Range.Filename, count.Range.Start.Line, "count of %s is %s, more than the %d instances cmkguard evaluates per resource; it is evaluated once as [*]", addr, bf.Text('f', 0), limit)
			return unknownOne(because(count, "is more than %d", limit), true)
		}
		c, _ := bf.Int64()
		out := make([]instance, c)
		for i := range out {
			out[i] = instance{suffix: "[" + strconv.Itoa(i) + "]", count: cty.NumberIntVal(int64(i))}
		}
		return out, byCount, nil
	case forEach != nil:
		v, diags := s.eval(forEach.Expr)
		if diags.HasErrors() {
			s.mi.ev.problems.diags(diags)
			return unknownOne(because(forEach, "cannot be evaluated: %s", diagText(diags[0])), false)
		}
		// Only the top-level marks go: each.value keeps the marks of what
		// it holds (a key reference, a reason).
		v, marks := v.Unmark()
		if !v.IsKnown() {
			return unknownOne(withReason(marks, because(forEach, "is not known")), false)
		}
		if v.IsNull() {
			return unknownOne(because(forEach, "is null"), false)
		}
		ty := v.Type()
		isSet := ty.IsSetType()
		if !(ty.IsMapType() || ty.IsObjectType() || isSet) {
			return unknownOne(because(forEach, "is a %s, not a map or a set of strings (Terraform rejects it)", ty.FriendlyName()), false)
		}
		if !v.IsWhollyKnown() && isSet {
			_, deep := v.UnmarkDeep()
			return unknownOne(withReason(deep, because(forEach, "holds values not known before apply")), false)
		}
		if v.LengthInt() > limit {
			s.mi.ev.problems.add(forEach.Range.Filename, forEach.Range.Start.Line, "for_each of %s has %d elements, more than the %d instances cmkguard evaluates per resource; it is evaluated once as [*]", addr, v.LengthInt(), limit)
			return unknownOne(because(forEach, "has more than %d elements", limit), false)
		}
		var out []instance
		for it := v.ElementIterator(); it.Next(); {
			k, val := it.Element()
			if isSet {
				if k.Type() != cty.String || k.IsNull() {
					return unknownOne(because(forEach, "is a set of %s, not of strings", k.Type().FriendlyName()), false)
				}
				val = k
			}
			out = append(out, instance{suffix: "[" + strconv.Quote(k.AsString()) + "]", each: &eachPair{key: k, value: val}})
		}
		return out, byForEach, nil
	}
	return []instance{{}}, single, nil
}

// withReason is marks, plus fallback when marks hold no reason.
func withReason(marks, fallback cty.ValueMarks) cty.ValueMarks {
	rs := reasons(marks)
	if len(rs) == 0 {
		return fallback
	}
	out := make(cty.ValueMarks, len(fallback))
	for m := range fallback {
		u := m.(unresolved)
		out[unresolved{why: u.why + ": " + joinReasons(rs)}] = struct{}{}
	}
	return out
}
