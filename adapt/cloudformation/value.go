package cloudformation

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// valueKind is what an evaluated template value is.
type valueKind int

const (
	// kindAbsent: not given, null, or Ref AWS::NoValue.
	kindAbsent valueKind = iota
	// kindString: a string (numbers and booleans too), possibly with parts
	// that are not known from the template.
	kindString
	kindList
	// kindMap: a mapping, whose entries are evaluated when looked up.
	kindMap
)

// part is one piece of a string value: literal text, a resource's Ref or
// attribute, or something the template does not determine.
type part struct {
	text string
	// unknown, when not empty, says for a person why the part is not known.
	unknown string
	// expr is how the part is written (${AWS::Region}, ${Key.Arn}).
	expr string
	ref  *resourceRef
	// otherOf names the parameter this part stands for when, in this
	// combination, the parameter is none of the values its conditions
	// compare it with.
	otherOf string
}

func (p part) literal() bool { return p.unknown == "" && p.ref == nil }

// resourceRef is Ref (attr "") or Fn::GetAtt of a resource of the template.
type resourceRef struct{ id, attr string }

// value is an evaluated template value.
type value struct {
	kind  valueKind
	parts []part
	list  []value
	// items, for a list written in the template, are its unevaluated
	// items: a list is evaluated one level at a time (run.items), so that
	// an alias bomb of nested lists costs nothing until a function walks it.
	items []*yaml.Node
	node  *yaml.Node
}

var absent = value{kind: kindAbsent}

func literal(s string) value { return value{kind: kindString, parts: []part{{text: s}}} }

func unknownValue(expr, reason string) value {
	return value{kind: kindString, parts: []part{{unknown: reason, expr: expr}}}
}

// text returns the string when it is known, whole, from the template.
func (v value) text() (string, bool) {
	if v.kind != kindString {
		return "", false
	}
	var b strings.Builder
	for _, p := range v.parts {
		if !p.literal() {
			return "", false
		}
		b.WriteString(p.text)
	}
	return b.String(), true
}

// singleRef returns the resource reference a value is, when it is exactly one.
func (v value) singleRef() (*resourceRef, bool) {
	if v.kind == kindString && len(v.parts) == 1 && v.parts[0].ref != nil {
		return v.parts[0].ref, true
	}
	return nil, false
}

// render writes the value for a person, unknown parts as ${...}.
func (v value) render() string {
	switch v.kind {
	case kindAbsent:
		return ""
	case kindMap:
		return "{...}"
	case kindList:
		if v.items != nil {
			return "[...]"
		}
		items := make([]string, len(v.list))
		for i, item := range v.list {
			items[i] = item.render()
		}
		return "[" + strings.Join(items, ", ") + "]"
	}
	if r, ok := v.singleRef(); ok {
		if r.attr == "" {
			return "!Ref " + r.id
		}
		return "!GetAtt " + r.id + "." + r.attr
	}
	if len(v.parts) == 1 && !v.parts[0].literal() {
		// A whole value written as one reference reads as the short form.
		if name, ok := strings.CutPrefix(v.parts[0].expr, "${"); ok && strings.HasSuffix(name, "}") && !strings.Contains(name, ".") {
			return "!Ref " + strings.TrimSuffix(name, "}")
		}
	}
	var b strings.Builder
	for _, p := range v.parts {
		if p.literal() {
			b.WriteString(p.text)
		} else {
			b.WriteString(p.expr)
		}
	}
	return b.String()
}

// reasons lists, once each, why parts of v are not known.
func (v value) reasons() []string {
	var out []string
	var walk func(value)
	walk = func(v value) {
		for _, p := range v.parts {
			if p.unknown != "" && !slices.Contains(out, p.unknown) {
				out = append(out, p.unknown)
			}
		}
		for _, item := range v.list {
			walk(item)
		}
	}
	walk(v)
	return out
}

func refExpr(r *resourceRef) string {
	if r.attr == "" {
		return "${" + r.id + "}"
	}
	return "${" + r.id + "." + r.attr + "}"
}

// appendText appends literal text to parts, merged with a literal part
// before it, so that equal strings have equal parts.
func appendText(parts []part, s string) []part {
	if s == "" {
		return parts
	}
	if n := len(parts); n > 0 && parts[n-1].literal() {
		parts[n-1].text += s
		return parts
	}
	return append(parts, part{text: s})
}

// appendParts appends src to dst, merging literal text.
func appendParts(dst, src []part) []part {
	for _, p := range src {
		if p.literal() {
			dst = appendText(dst, p.text)
		} else {
			dst = append(dst, p)
		}
	}
	return dst
}

// intrinsicOf recognises an intrinsic function: a short-form tag (!Ref,
// !GetAtt, ...) or a mapping with one key, Ref or Fn::*. inCondition also
// accepts {Condition: name}, which is only a function inside Conditions.
// The argument of a short form is the node without its tag, made once.
func (t *template) intrinsicOf(n *yaml.Node, inCondition bool) (string, *yaml.Node, bool) {
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		name := n.Tag[1:]
		if name != "Ref" && name != "Condition" {
			name = "Fn::" + name
		}
		arg, ok := t.untagged[n]
		if !ok {
			c := *n
			c.Tag = ""
			arg = &c
			t.untagged[n] = arg
		}
		return name, arg, true
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Content[0].Kind == yaml.ScalarNode {
		k := n.Content[0].Value
		if k == "Ref" || strings.HasPrefix(k, "Fn::") || (inCondition && k == "Condition") {
			return k, n.Content[1], true
		}
	}
	return "", nil, false
}

// deref follows aliases; nil for a dangling one.
func (r *run) deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		if !r.step() {
			return nil
		}
		n = n.Alias
	}
	return n
}

// eval evaluates a template node in this run.
func (r *run) eval(n *yaml.Node) value {
	if n == nil {
		return absent
	}
	if !r.enter() {
		return unknownValue("(not evaluated)", r.limit)
	}
	defer r.leave()
	if n = r.deref(n); n == nil {
		return r.limitOr(absent)
	}
	if name, arg, ok := r.t.intrinsicOf(n, false); ok {
		return r.intrinsic(name, arg)
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return absent
		}
		if strings.Contains(n.Value, "{{resolve:") {
			return unknownValue(n.Value, fmt.Sprintf("%s is a dynamic reference, which CloudFormation resolves at deploy time and cmkguard cannot read from the template", n.Value))
		}
		return literal(n.Value)
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			return value{kind: kindList}
		}
		return value{kind: kindList, items: n.Content}
	case yaml.MappingNode:
		return value{kind: kindMap, node: n}
	}
	return absent
}

// listItems evaluates the items of a list, one level deep; Ref
// AWS::NoValue removes an item.
func (r *run) listItems(v value) []value {
	if v.items == nil {
		return v.list
	}
	var out []value
	for _, c := range v.items {
		if item := r.eval(c); item.kind != kindAbsent {
			out = append(out, item)
		}
	}
	return out
}

func (r *run) limitOr(v value) value {
	if r.limit != "" {
		return unknownValue("(not evaluated)", r.limit)
	}
	return v
}

// args returns the items of a function's list argument, or nil when it is
// not a list of n items (any n when n < 0).
func (r *run) args(arg *yaml.Node, n int) []*yaml.Node {
	arg = r.deref(arg)
	if arg == nil || arg.Kind != yaml.SequenceNode || (n >= 0 && len(arg.Content) != n) {
		return nil
	}
	return arg.Content
}

// intrinsic evaluates one intrinsic function.
func (r *run) intrinsic(name string, arg *yaml.Node) value {
	bad := func(want string) value {
		return unknownValue(name, fmt.Sprintf("%s at line %d is malformed (%s)", name, arg.Line, want))
	}
	switch name {
	case "Ref":
		a := r.deref(arg)
		if a == nil || a.Kind != yaml.ScalarNode {
			return bad("a name")
		}
		return r.ref(a.Value)
	case "Fn::GetAtt":
		return r.getAtt(arg)
	case "Fn::Sub":
		a := r.deref(arg)
		if a != nil && a.Kind == yaml.ScalarNode {
			return r.sub(a.Value, nil)
		}
		items := r.args(arg, 2)
		if items == nil || r.deref(items[0]) == nil || r.deref(items[0]).Kind != yaml.ScalarNode {
			return bad("a string, or [string, {variables}]")
		}
		return r.sub(r.deref(items[0]).Value, r.deref(items[1]))
	case "Fn::Join":
		items := r.args(arg, 2)
		if items == nil {
			return bad("[delimiter, [values]]")
		}
		delim, ok := r.eval(items[0]).text()
		if !ok {
			return bad("a literal delimiter")
		}
		list := r.eval(items[1])
		if list.kind != kindList {
			return unknownValue(list.render(), "Fn::Join of a list that is not known: "+strings.Join(list.reasons(), "; "))
		}
		out := value{kind: kindString}
		for i, item := range r.listItems(list) {
			if i > 0 {
				out.parts = appendText(out.parts, delim)
			}
			if item.kind != kindString {
				return bad("a list of strings")
			}
			out.parts = appendParts(out.parts, item.parts)
		}
		if len(out.parts) == 0 {
			return literal("")
		}
		return out
	case "Fn::Select":
		items := r.args(arg, 2)
		if items == nil {
			return bad("[index, [values]]")
		}
		idx, ok := r.eval(items[0]).text()
		i, err := strconv.Atoi(idx)
		if !ok || err != nil || i < 0 {
			return bad("a literal index")
		}
		list := r.eval(items[1])
		if list.kind != kindList {
			return unknownValue("Fn::Select", "Fn::Select from a list that is not known: "+strings.Join(list.reasons(), "; "))
		}
		values := r.listItems(list)
		if i >= len(values) {
			return bad(fmt.Sprintf("index %d of a list of %d", i, len(values)))
		}
		return values[i]
	case "Fn::Split":
		items := r.args(arg, 2)
		if items == nil {
			return bad("[delimiter, string]")
		}
		delim, ok := r.eval(items[0]).text()
		if !ok || delim == "" {
			return bad("a literal delimiter")
		}
		src := r.eval(items[1])
		s, ok := src.text()
		if !ok {
			return unknownValue("Fn::Split", "Fn::Split of a string that is not known: "+strings.Join(src.reasons(), "; "))
		}
		out := value{kind: kindList}
		for _, piece := range strings.Split(s, delim) {
			out.list = append(out.list, literal(piece))
		}
		return out
	case "Fn::FindInMap":
		return r.findInMap(arg)
	case "Fn::If":
		items := r.args(arg, 3)
		if items == nil {
			return bad("[condition, value if true, value if false]")
		}
		cn := r.deref(items[0])
		if cn == nil || cn.Kind != yaml.ScalarNode {
			return bad("a condition name")
		}
		v, ok := r.conditionTop(cn.Value)
		if !ok {
			return unknownValue("Fn::If "+cn.Value, r.condReason(cn.Value))
		}
		if v {
			return r.eval(items[1])
		}
		return r.eval(items[2])
	case "Fn::ImportValue":
		exp := r.eval(arg).render()
		return unknownValue("!ImportValue "+exp, fmt.Sprintf("the value is imported from another stack's export %q (Fn::ImportValue), which is not in this template: declare the key here, or pass its ARN as a parameter", exp))
	case "Fn::Base64":
		v := r.eval(arg)
		if s, ok := v.text(); ok {
			return literal(base64.StdEncoding.EncodeToString([]byte(s)))
		}
		return unknownValue("Fn::Base64", "Fn::Base64 of a value that is not known")
	}
	return unknownValue(name, fmt.Sprintf("%s (line %d) is not evaluated by cmkguard", name, arg.Line))
}

// pseudoParameters are the parameters CloudFormation defines for every stack.
var pseudoParameters = map[string]bool{
	"AWS::AccountId": true, "AWS::Region": true, "AWS::Partition": true, "AWS::URLSuffix": true,
	"AWS::StackName": true, "AWS::StackId": true, "AWS::NotificationARNs": true,
}

// ref evaluates Ref name.
func (r *run) ref(name string) value {
	switch {
	case name == "AWS::NoValue":
		return absent
	case pseudoParameters[name] || r.t.params[name] != nil:
		return r.param(name)
	case r.t.resources[name] != nil:
		ref := &resourceRef{id: name}
		return value{kind: kindString, parts: []part{{ref: ref, expr: refExpr(ref)}}}
	}
	return unknownValue("${"+name+"}", fmt.Sprintf("Ref %s names no parameter or resource of the template", name))
}

func (r *run) getAtt(arg *yaml.Node) value {
	var id, attr string
	a := r.deref(arg)
	switch {
	case a != nil && a.Kind == yaml.ScalarNode:
		id, attr, _ = strings.Cut(a.Value, ".")
	case a != nil && a.Kind == yaml.SequenceNode && len(a.Content) == 2:
		idv, ok1 := r.eval(a.Content[0]).text()
		attrv, ok2 := r.eval(a.Content[1]).text()
		if !ok1 || !ok2 {
			return unknownValue("Fn::GetAtt", fmt.Sprintf("Fn::GetAtt at line %d names a resource or attribute that is not known", a.Line))
		}
		id, attr = idv, attrv
	default:
		return unknownValue("Fn::GetAtt", fmt.Sprintf("Fn::GetAtt at line %d is malformed (want Resource.Attribute)", arg.Line))
	}
	return r.attribute(id, attr)
}

func (r *run) attribute(id, attr string) value {
	if r.t.resources[id] == nil || attr == "" {
		return unknownValue("${"+id+"."+attr+"}", fmt.Sprintf("Fn::GetAtt %s.%s names no resource of the template", id, attr))
	}
	ref := &resourceRef{id: id, attr: attr}
	return value{kind: kindString, parts: []part{{ref: ref, expr: refExpr(ref)}}}
}

// sub evaluates Fn::Sub: ${Name} is a Ref (or a variable of vars),
// ${Resource.Attribute} a GetAtt, ${!Text} the literal ${Text}.
func (r *run) sub(tmpl string, vars *yaml.Node) value {
	out := value{kind: kindString}
	for {
		i := strings.Index(tmpl, "${")
		if i < 0 {
			out.parts = appendText(out.parts, tmpl)
			break
		}
		out.parts = appendText(out.parts, tmpl[:i])
		rest := tmpl[i+2:]
		j := strings.Index(rest, "}")
		if j < 0 {
			out.parts = appendText(out.parts, tmpl[i:])
			break
		}
		name := strings.TrimSpace(rest[:j])
		tmpl = rest[j+1:]
		if strings.HasPrefix(name, "!") {
			out.parts = appendText(out.parts, "${"+name[1:]+"}")
			continue
		}
		v := r.subVariable(name, vars)
		if v.kind == kindAbsent {
			continue
		}
		if v.kind != kindString {
			return unknownValue("${"+name+"}", fmt.Sprintf("Fn::Sub variable %s is not a string", name))
		}
		out.parts = appendParts(out.parts, v.parts)
	}
	return out
}

func (r *run) subVariable(name string, vars *yaml.Node) value {
	if _, v := mappingValue(vars, name); v != nil {
		return r.eval(v)
	}
	if id, attr, ok := strings.Cut(name, "."); ok && !pseudoParameters[name] {
		return r.attribute(id, attr)
	}
	return r.ref(name)
}

// findInMap evaluates Fn::FindInMap [Map, TopKey, SecondKey]. A key that
// is not known (${AWS::Region}) still yields a value when every entry it
// could select holds the same one.
func (r *run) findInMap(arg *yaml.Node) value {
	items := r.args(arg, -1)
	if len(items) != 3 && len(items) != 4 {
		return unknownValue("Fn::FindInMap", fmt.Sprintf("Fn::FindInMap at line %d is malformed (want [Map, TopKey, SecondKey])", arg.Line))
	}
	mapName, ok := r.eval(items[0]).text()
	_, m := mappingValue(r.t.mappings, mapName)
	if !ok || m == nil || m.Kind != yaml.MappingNode {
		return unknownValue("Fn::FindInMap", fmt.Sprintf("Fn::FindInMap at line %d names no mapping of the template", arg.Line))
	}
	top, second := r.eval(items[1]), r.eval(items[2])
	var candidates []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k, known := top.text(); known && m.Content[i].Value != k {
			continue
		}
		inner := r.deref(m.Content[i+1])
		for j := 0; inner != nil && inner.Kind == yaml.MappingNode && j+1 < len(inner.Content); j += 2 {
			if k, known := second.text(); known && inner.Content[j].Value != k {
				continue
			}
			candidates = append(candidates, inner.Content[j+1])
		}
	}
	if len(candidates) == 0 {
		if len(items) == 4 {
			if _, def := mappingValue(r.deref(items[3]), "DefaultValue"); def != nil {
				return r.eval(def)
			}
		}
		return unknownValue("Fn::FindInMap", fmt.Sprintf("Fn::FindInMap at line %d: mapping %s has no entry %s/%s", arg.Line, mapName, top.render(), second.render()))
	}
	first := r.eval(candidates[0])
	for _, c := range candidates[1:] {
		if r.eval(c).render() != first.render() {
			why := append(top.reasons(), second.reasons()...)
			return unknownValue("Fn::FindInMap "+mapName, fmt.Sprintf("Fn::FindInMap %s selects by a key that is not known, and its entries differ: %s", mapName, strings.Join(why, "; ")))
		}
	}
	return first
}
