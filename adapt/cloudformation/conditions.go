package cloudformation

import (
	"fmt"
	"slices"

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
