package cloudformation

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// chooser enumerates the choices of repeated runs depth first: a run
// asks for a choice among n options whenever it meets one (a parameter its
// conditions compare, a comparison that cannot be decided), and next moves
// to the following combination. Each run makes the same choices as the
// previous one up to the last that still has options left.
type chooser struct {
	path []choice
	pos  int
}

type choice struct{ n, i int }

func (c *chooser) choose(n int) int {
	if c.pos < len(c.path) {
		i := c.path[c.pos].i
		c.pos++
		return i
	}
	c.path = append(c.path, choice{n: n})
	c.pos++
	return 0
}

// next prepares the next combination; false when there is none.
func (c *chooser) next() bool {
	c.path = c.path[:c.pos]
	for len(c.path) > 0 {
		last := &c.path[len(c.path)-1]
		if last.i+1 < last.n {
			last.i++
			c.pos = 0
			return true
		}
		c.path = c.path[:len(c.path)-1]
	}
	return false
}

// candidate is one value a parameter is given in a combination: a literal,
// or "any value but those its conditions compare it with".
type candidate struct {
	text  string
	other bool
}

// relevance is what matters to one resource: the conditions it (and the
// keys it refers to) depend on, and for each parameter those conditions
// compare, the values worth trying.
type relevance struct {
	conditions map[string]bool
	// valueParams are the parameters the deciding properties use as values.
	valueParams map[string]bool
	candidates  map[string][]candidate
	// compared are the literals each parameter is compared with.
	compared map[string][]string
}

// run is one evaluation of a resource under one combination of choices.
type run struct {
	t   *template
	res *resource
	rel *relevance
	ch  *chooser

	assigned  map[string]value
	condMemo  map[string]bool
	condBusy  map[string]bool
	condBad   map[string]string
	atoms     map[*yaml.Node]bool
	consulted map[string]bool
	depth     int
	// limit, once set, says why evaluation stopped (a bound was reached).
	limit string
}

func newRun(t *template, res *resource, rel *relevance, ch *chooser) *run {
	ch.pos = 0
	return &run{t: t, res: res, rel: rel, ch: ch,
		assigned: map[string]value{}, condMemo: map[string]bool{}, condBusy: map[string]bool{},
		condBad: map[string]string{}, atoms: map[*yaml.Node]bool{}, consulted: map[string]bool{}}
}

// step counts one unit of work against the template's budget.
func (r *run) step() bool {
	if r.limit != "" {
		return false
	}
	r.t.steps++
	if r.t.steps > maxSteps {
		r.limit = fmt.Sprintf("evaluating the template took more than %d steps (aliases expanding to a huge document, or too many conditions), so it was stopped", maxSteps)
		return false
	}
	return true
}

func (r *run) enter() bool {
	if !r.step() {
		return false
	}
	if r.depth >= maxDepth {
		r.limit = fmt.Sprintf("the template nests intrinsic functions or conditions more than %d levels deep", maxDepth)
		return false
	}
	r.depth++
	return true
}

func (r *run) leave() { r.depth-- }

// reset prepares r for the next combination of its chooser.
func (r *run) reset() {
	r.ch.pos = 0
	for _, m := range []map[string]bool{r.condMemo, r.condBusy, r.consulted} {
		clear(m)
	}
	clear(r.assigned)
	clear(r.condBad)
	clear(r.atoms)
	r.depth, r.limit = 0, ""
}

// conditionTop evaluates a condition a resource names directly (its
// Condition, an Fn::If), recording it for the combination's name.
func (r *run) conditionTop(name string) (bool, bool) {
	v, ok := r.condition(name)
	if ok {
		r.consulted[name] = v
	}
	return v, ok
}

func (r *run) condition(name string) (bool, bool) {
	if v, ok := r.condMemo[name]; ok {
		return v, true
	}
	if _, bad := r.condBad[name]; bad {
		return false, false
	}
	n, ok := r.t.conditions[name]
	if !ok {
		r.condBad[name] = fmt.Sprintf("condition %s is not declared in Conditions", name)
		return false, false
	}
	if r.condBusy[name] {
		r.condBad[name] = fmt.Sprintf("condition %s refers to itself (CloudFormation rejects circular conditions)", name)
		return false, false
	}
	r.condBusy[name] = true
	v := r.evalCondition(n)
	delete(r.condBusy, name)
	if _, bad := r.condBad[name]; bad || r.limit != "" {
		if r.limit != "" {
			r.condBad[name] = r.limit
		}
		return false, false
	}
	r.condMemo[name] = v
	return v, true
}

// condReason says why condition name could not be evaluated.
func (r *run) condReason(name string) string {
	if why := r.condBad[name]; why != "" {
		return why
	}
	return fmt.Sprintf("condition %s could not be evaluated", name)
}

// evalCondition evaluates a condition function.
func (r *run) evalCondition(n *yaml.Node) bool {
	if !r.enter() {
		return false
	}
	defer r.leave()
	if n = r.deref(n); n == nil {
		return false
	}
	name, arg, ok := r.t.intrinsicOf(n, true)
	if !ok {
		if n.Kind == yaml.ScalarNode && (n.Value == "true" || n.Value == "false") {
			return n.Value == "true"
		}
		return r.atom(n)
	}
	switch name {
	case "Fn::Equals":
		items := r.args(arg, 2)
		if items == nil {
			return r.atom(n)
		}
		return r.equals(r.eval(items[0]), r.eval(items[1]), n)
	case "Fn::And", "Fn::Or":
		items := r.args(arg, -1)
		if len(items) == 0 {
			return r.atom(n)
		}
		want := name == "Fn::Or"
		for _, c := range items {
			if r.evalCondition(c) == want {
				return want
			}
		}
		return !want
	case "Fn::Not":
		items := r.args(arg, 1)
		if items == nil {
			return r.atom(n)
		}
		return !r.evalCondition(items[0])
	case "Condition":
		a := r.deref(arg)
		if a == nil || a.Kind != yaml.ScalarNode {
			return r.atom(n)
		}
		v, ok := r.condition(a.Value)
		if !ok {
			// The referring condition cannot be evaluated either.
			for busy := range r.condBusy {
				r.condBad[busy] = r.condReason(a.Value)
			}
		}
		return v
	}
	return r.atom(n)
}

// equals decides Fn::Equals, or, when the template does not determine it,
// makes it a choice of its own (both outcomes are tried).
func (r *run) equals(a, b value, n *yaml.Node) bool {
	sa, oka := a.text()
	sb, okb := b.text()
	if oka && okb {
		return sa == sb
	}
	if p, ok := otherOf(a); ok && okb && slices.Contains(r.rel.compared[p], sb) {
		return false
	}
	if p, ok := otherOf(b); ok && oka && slices.Contains(r.rel.compared[p], sa) {
		return false
	}
	if pa, ok := otherOf(a); ok {
		if pb, ok := otherOf(b); ok && pa == pb {
			return true
		}
	}
	if a.kind == kindList && b.kind == kindList {
		la, lb := value{kind: kindList, list: r.listItems(a)}, value{kind: kindList, list: r.listItems(b)}
		if len(la.reasons()) == 0 && len(lb.reasons()) == 0 {
			return la.render() == lb.render()
		}
	}
	return r.atom(n)
}

func otherOf(v value) (string, bool) {
	if v.kind == kindString && len(v.parts) == 1 && v.parts[0].otherOf != "" {
		return v.parts[0].otherOf, true
	}
	return "", false
}

// atom is a comparison the template does not decide: it becomes a choice.
func (r *run) atom(n *yaml.Node) bool {
	if v, ok := r.atoms[n]; ok {
		return v
	}
	v := r.ch.choose(2) == 0
	r.atoms[n] = v
	return v
}

// param returns the value of a parameter (or pseudo parameter) in this run.
func (r *run) param(name string) value {
	p := r.t.params[name]
	if s, ok := r.t.opts.Params[name]; ok {
		return paramValue(p, s)
	}
	if name == "AWS::Partition" || name == "AWS::URLSuffix" {
		if region, ok := r.t.opts.Params["AWS::Region"]; ok {
			return literal(derivedFromRegion(name, region))
		}
	}
	if v, ok := r.assigned[name]; ok {
		return v
	}
	if cands := r.rel.candidates[name]; len(cands) > 1 {
		c := cands[r.ch.choose(len(cands))]
		v := r.candidateValue(p, name, c)
		r.assigned[name] = v
		return v
	}
	if p == nil {
		return unknownValue("${"+name+"}", fmt.Sprintf("%s is known only when the stack is deployed: pass --cf-param %s=...", name, name))
	}
	if isSSMType(p.typ) {
		def := ""
		if p.def != nil {
			def = " " + *p.def
		}
		return unknownValue("${"+name+"}", fmt.Sprintf("parameter %s is of type %s: its value is read from SSM parameter%s at deploy time: pass --cf-param %s=<its value>", name, p.typ, def, name))
	}
	if p.def == nil {
		return unknownValue("${"+name+"}", fmt.Sprintf("parameter %s has no Default: pass --cf-param %s=...", name, name))
	}
	return paramValue(p, *p.def)
}

func (r *run) candidateValue(p *parameter, name string, c candidate) value {
	if !c.other {
		return paramValue(p, c.text)
	}
	quoted := make([]string, len(r.rel.compared[name]))
	for i, s := range r.rel.compared[name] {
		quoted[i] = strconv.Quote(s)
	}
	reason := fmt.Sprintf("in this combination %s is none of %s, and no value is given for it: pass --cf-param %s=...", name, strings.Join(quoted, ", "), name)
	return value{kind: kindString, parts: []part{{unknown: reason, expr: "${" + name + "}", otherOf: name}}}
}

func isSSMType(typ string) bool { return strings.HasPrefix(typ, "AWS::SSM::Parameter::Value<") }

// paramValue is a parameter's value from its text: a list for list types.
func paramValue(p *parameter, s string) value {
	if p != nil && (p.typ == "CommaDelimitedList" || strings.HasPrefix(p.typ, "List<")) {
		out := value{kind: kindList}
		for _, item := range strings.Split(s, ",") {
			out.list = append(out.list, literal(strings.TrimSpace(item)))
		}
		return out
	}
	return literal(s)
}

// derivedFromRegion returns AWS::Partition or AWS::URLSuffix for a region.
func derivedFromRegion(name, region string) string {
	partition := "aws"
	switch {
	case strings.HasPrefix(region, "cn-"):
		partition = "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		partition = "aws-us-gov"
	}
	if name == "AWS::URLSuffix" {
		if partition == "aws-cn" {
			return "amazonaws.com.cn"
		}
		return "amazonaws.com"
	}
	return partition
}

// variant names the combination of this run: the conditions the resource
// consulted, and their values.
func (r *run) variant() string {
	names := make([]string, 0, len(r.consulted))
	for name := range r.consulted {
		names = append(names, name)
	}
	sort.Strings(names)
	items := make([]string, len(names))
	for i, name := range names {
		items[i] = fmt.Sprintf("%s=%t", name, r.consulted[name])
	}
	return strings.Join(items, ", ")
}

// assignment names the parameter values chosen in this run.
func (r *run) assignment() string {
	names := make([]string, 0, len(r.assigned))
	for name := range r.assigned {
		names = append(names, name)
	}
	sort.Strings(names)
	items := make([]string, len(names))
	for i, name := range names {
		v := r.assigned[name]
		if s, ok := v.text(); ok {
			items[i] = fmt.Sprintf("%s=%q", name, s)
		} else {
			items[i] = name + "=(another value)"
		}
	}
	return strings.Join(items, ", ")
}

// relevanceOf finds what matters to res: the conditions named by res and
// by the KMS resources it refers to (and the conditions those refer to),
// and the parameters those conditions compare. It reads the nodes only; no
// value is evaluated.
func (t *template) relevanceOf(res *resource) *relevance {
	rel := &relevance{conditions: map[string]bool{}, valueParams: map[string]bool{}, candidates: map[string][]candidate{}, compared: map[string][]string{}}
	w := &walker{t: t, seen: map[*yaml.Node]bool{}, resources: map[string]bool{}}
	w.resource(res, rel)
	queue := make([]string, 0, len(rel.conditions))
	for c := range rel.conditions {
		queue = append(queue, c)
	}
	referenced := map[string]bool{}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		w.condition(t.conditions[name], rel, referenced, &queue)
	}
	names := make([]string, 0, len(referenced))
	for name := range referenced {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, pinned := t.opts.Params[name]; pinned {
			continue
		}
		rel.candidates[name] = t.candidates(name, rel.compared[name])
	}
	// A parameter whose AllowedValues the key properties use as a value
	// is tried with each of them: the template lets a deployment pick any.
	for name := range rel.valueParams {
		p := t.params[name]
		if _, pinned := t.opts.Params[name]; pinned || p == nil || len(p.allowed) == 0 || isSSMType(p.typ) {
			continue
		}
		cands := rel.candidates[name]
		if p.def != nil && slices.Contains(p.allowed, *p.def) && !slices.Contains(cands, candidate{text: *p.def}) {
			cands = append([]candidate{{text: *p.def}}, cands...)
		}
		for _, v := range p.allowed {
			if c := (candidate{text: v}); !slices.Contains(cands, c) {
				cands = append(cands, c)
			}
		}
		rel.candidates[name] = cands
	}
	return rel
}

// candidates are the values worth trying for a parameter its conditions
// compare with the literals compared: each of them (that AllowedValues
// permits) and one value that is none of them, the Default first.
func (t *template) candidates(name string, compared []string) []candidate {
	p := t.params[name]
	var def *string
	var allowed []string
	if p != nil && !isSSMType(p.typ) {
		def, allowed = p.def, p.allowed
	}
	var out []candidate
	add := func(c candidate) {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	if def != nil && (len(allowed) == 0 || slices.Contains(allowed, *def)) {
		add(candidate{text: *def})
	}
	for _, s := range compared {
		if len(allowed) == 0 || slices.Contains(allowed, s) {
			add(candidate{text: s})
		}
	}
	if len(allowed) > 0 {
		for _, s := range allowed {
			if !slices.Contains(compared, s) {
				add(candidate{text: s})
				break
			}
		}
		return out
	}
	if def == nil || slices.Contains(compared, *def) {
		add(candidate{other: true})
	}
	return out
}

// walker reads nodes for relevanceOf, each node once (aliases included).
type walker struct {
	t         *template
	seen      map[*yaml.Node]bool
	resources map[string]bool
	steps     int
}

func (w *walker) budget() bool {
	w.steps++
	return w.steps <= maxSteps/10
}

// decidingProperties are the properties of each DMS type that decide a
// verdict; the conditions and parameters of the others do not matter.
var decidingProperties = map[string][]string{
	typeInstance: {"KmsKeyId"},
	typeConfig:   {"ComputeConfig"},
	typeEndpoint: {"KmsKeyId", "EndpointType", "EngineName", "S3Settings", "RedshiftSettings", "ExtraConnectionAttributes"},
}

func (w *walker) resource(res *resource, rel *relevance) {
	if w.resources[res.id] {
		return
	}
	w.resources[res.id] = true
	if res.condition != "" {
		rel.conditions[res.condition] = true
	}
	names, dms := decidingProperties[res.typ]
	if !dms || res.props == nil || res.props.Kind != yaml.MappingNode {
		w.node(res.props, rel) // a key's every property, or Properties built by a function
		return
	}
	for _, name := range names {
		_, v := mappingValue(res.props, name)
		w.node(v, rel)
	}
	if _, merge := mappingValue(res.props, "<<"); merge != nil {
		w.node(merge, rel)
	}
}

// node collects the Fn::If conditions under n and follows references to
// KMS resources.
func (w *walker) node(n *yaml.Node, rel *relevance) {
	stack := []*yaml.Node{n}
	for len(stack) > 0 && w.budget() {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n == nil || w.seen[n] {
			continue
		}
		w.seen[n] = true
		if n.Kind == yaml.AliasNode {
			stack = append(stack, n.Alias)
			continue
		}
		if name, arg, ok := w.t.intrinsicOf(n, false); ok {
			w.intrinsic(name, arg, rel)
			stack = append(stack, arg)
			continue
		}
		stack = append(stack, n.Content...)
	}
}

func (w *walker) intrinsic(name string, arg *yaml.Node, rel *relevance) {
	for arg != nil && arg.Kind == yaml.AliasNode {
		arg = arg.Alias
	}
	if arg == nil {
		return
	}
	var ids []string
	switch {
	case name == "Fn::If" && arg.Kind == yaml.SequenceNode && len(arg.Content) > 0 && arg.Content[0].Kind == yaml.ScalarNode:
		rel.conditions[arg.Content[0].Value] = true
	case name == "Ref" && arg.Kind == yaml.ScalarNode:
		ids = []string{arg.Value}
		if w.t.params[arg.Value] != nil {
			rel.valueParams[arg.Value] = true
		}
	case name == "Fn::GetAtt" && arg.Kind == yaml.ScalarNode:
		id, _, _ := strings.Cut(arg.Value, ".")
		ids = []string{id}
	case name == "Fn::GetAtt" && arg.Kind == yaml.SequenceNode && len(arg.Content) > 0:
		ids = []string{arg.Content[0].Value}
	case name == "Fn::Sub":
		ids = subNames(arg)
		for _, id := range ids {
			if w.t.params[id] != nil {
				rel.valueParams[id] = true
			}
		}
	}
	for _, id := range ids {
		id, _, _ = strings.Cut(id, ".")
		if res := w.t.resources[id]; res != nil && (res.typ == typeKey || res.typ == typeReplica || res.typ == typeAlias) {
			w.resource(res, rel)
		}
	}
}

// subNames lists the ${...} names of an Fn::Sub argument.
func subNames(arg *yaml.Node) []string {
	tmpl := arg
	if arg.Kind == yaml.SequenceNode && len(arg.Content) > 0 {
		tmpl = arg.Content[0]
	}
	if tmpl.Kind != yaml.ScalarNode {
		return nil
	}
	var names []string
	s := tmpl.Value
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return names
		}
		j := strings.Index(s[i:], "}")
		if j < 0 {
			return names
		}
		if name := s[i+2 : i+j]; !strings.HasPrefix(name, "!") {
			names = append(names, strings.TrimSpace(name))
		}
		s = s[i+j+1:]
	}
}

// condition reads a condition's body: the conditions it names (queued),
// the parameters it refers to, and the literals it compares them with.
func (w *walker) condition(n *yaml.Node, rel *relevance, referenced map[string]bool, queue *[]string) {
	stack := []*yaml.Node{n}
	for len(stack) > 0 && w.budget() {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for n != nil && n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		if n == nil || w.seen[n] {
			continue
		}
		w.seen[n] = true
		name, arg, ok := w.t.intrinsicOf(n, true)
		if !ok {
			stack = append(stack, n.Content...)
			continue
		}
		for arg != nil && arg.Kind == yaml.AliasNode {
			arg = arg.Alias
		}
		if arg == nil {
			continue
		}
		switch name {
		case "Condition":
			if arg.Kind == yaml.ScalarNode && !rel.conditions[arg.Value] {
				rel.conditions[arg.Value] = true
				*queue = append(*queue, arg.Value)
			}
			continue
		case "Ref":
			if arg.Kind == yaml.ScalarNode && w.isParameter(arg.Value) {
				referenced[arg.Value] = true
			}
			continue
		case "Fn::Sub":
			for _, s := range subNames(arg) {
				if w.isParameter(s) {
					referenced[s] = true
				}
			}
			continue
		case "Fn::Equals":
			w.comparison(arg, rel)
		}
		stack = append(stack, arg)
	}
}

func (w *walker) isParameter(name string) bool {
	return pseudoParameters[name] || w.t.params[name] != nil
}

// comparison records Fn::Equals [Ref P, literal] (either order).
func (w *walker) comparison(arg *yaml.Node, rel *relevance) {
	if arg.Kind != yaml.SequenceNode || len(arg.Content) != 2 {
		return
	}
	for i := range 2 {
		ref, other := arg.Content[i], arg.Content[1-i]
		name, a, ok := w.t.intrinsicOf(ref, false)
		if !ok || name != "Ref" || a.Kind != yaml.ScalarNode || !w.isParameter(a.Value) {
			continue
		}
		if _, _, isFn := w.t.intrinsicOf(other, false); isFn || other.Kind != yaml.ScalarNode {
			continue
		}
		if !slices.Contains(rel.compared[a.Value], other.Value) {
			rel.compared[a.Value] = append(rel.compared[a.Value], other.Value)
		}
	}
}
