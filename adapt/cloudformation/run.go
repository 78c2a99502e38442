package cloudformation

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

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
