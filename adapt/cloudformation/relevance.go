package cloudformation

import (
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

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
