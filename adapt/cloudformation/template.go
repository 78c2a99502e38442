package cloudformation

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cmkguard/cmkguard/state"
)

// template is a loaded template: its sections, indexed, and the text
// needed to compute line ranges.
type template struct {
	file string
	data []byte // as parsed (tabs of a JSON file replaced by spaces)
	// lineStarts[i] is the offset of line i+1 in data.
	lineStarts []int
	opts       Options

	params     map[string]*parameter
	conditions map[string]*yaml.Node
	mappings   *yaml.Node
	resources  map[string]*resource
	order      []string // logical ids in file order

	steps int // evaluation work done so far (maxSteps)
	// untagged holds the argument node of each short-form function.
	untagged map[*yaml.Node]*yaml.Node
	// ends holds the last line of each node asked for (endLine).
	ends map[*yaml.Node]int
}

// parameter is one entry of Parameters.
type parameter struct {
	name    string
	typ     string
	def     *string
	allowed []string
	line    int
}

// resource is one entry of Resources.
type resource struct {
	id        string
	typ       string
	keyNode   *yaml.Node // the logical id
	body      *yaml.Node
	props     *yaml.Node // may be nil
	condition string
	// suppressions from Metadata.cmkguard.ignore.
	suppressions []state.InlineSuppression
}

// normalise makes a JSON document parseable as YAML without moving any
// line or column: JSON cannot hold a raw tab inside a string, so every tab
// is whitespace, which YAML does not accept everywhere JSON does.
// A byte-order mark before a JSON document becomes spaces too (YAML reads
// one itself).
func normalise(data []byte) []byte {
	if !isJSON(data) {
		return data
	}
	bom := bytes.HasPrefix(data, []byte("\xef\xbb\xbf"))
	if !bom && !bytes.Contains(data, []byte("\t")) {
		return data
	}
	out := bytes.ReplaceAll(data, []byte("\t"), []byte(" "))
	if bom {
		copy(out, "   ")
	}
	return out
}

// isJSON reports whether data starts (after whitespace and a byte-order
// mark) with a JSON object or array.
func isJSON(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	return len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[')
}

// logicalID is what CloudFormation accepts as a logical id.
var logicalID = regexp.MustCompile(`^[A-Za-z0-9]{1,255}$`)

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseDocument parses data into its root node, with errors naming file:line.
func parseDocument(file string, data []byte) (*yaml.Node, error) {
	if isJSON(data) {
		if err := jsonSyntax(file, data); err != nil {
			return nil, err
		}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		msg := err.Error()
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			return nil, positionError(file, line, "not valid YAML: %s", m[2])
		}
		return nil, positionError(file, 0, "not valid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
	}
	top := documentRoot(&root)
	if top == nil || top.Kind == 0 {
		return nil, positionError(file, 0, "empty document: not a CloudFormation template")
	}
	return top, nil
}

// jsonSyntax checks a JSON document with encoding/json, whose errors carry
// the offset YAML's do not give for JSON.
func jsonSyntax(file string, data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	var discard json.RawMessage
	err := dec.Decode(&discard)
	if err == nil {
		if _, err2 := dec.Token(); err2 == nil {
			return positionError(file, lineOfOffset(data, int(dec.InputOffset())), "not valid JSON: text after the end of the template")
		}
		return nil
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return positionError(file, lineOfOffset(data, int(syn.Offset)), "not valid JSON: %s", syn.Error())
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return positionError(file, lineOfOffset(data, len(data)), "not valid JSON: unexpected end of file")
	}
	return positionError(file, 0, "not valid JSON: %v", err)
}

func lineOfOffset(data []byte, off int) int {
	if off > len(data) {
		off = len(data)
	}
	if off < 0 {
		off = 0
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// documentRoot returns the content of a document node.
func documentRoot(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		return n.Content[0]
	}
	return n
}

// mappingValue returns the key and value nodes of key in mapping m, or nils.
func mappingValue(m *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// load parses and indexes a template.
func load(file string, data []byte, opts Options) (*template, error) {
	if len(data) > MaxTemplateBytes {
		return nil, positionError(file, 0, "the file is %.1f MB; CloudFormation accepts templates of at most 1 MB and cmkguard reads at most %d MB", float64(len(data))/(1<<20), MaxTemplateBytes>>20)
	}
	data = normalise(data)
	top, err := parseDocument(file, data)
	if err != nil {
		return nil, err
	}
	if top.Kind != yaml.MappingNode {
		return nil, positionError(file, top.Line, "a CloudFormation template is a mapping of sections (Resources, Parameters, ...), not a %s", kindName(top))
	}
	t := &template{file: file, data: data, opts: opts,
		params: map[string]*parameter{}, conditions: map[string]*yaml.Node{}, resources: map[string]*resource{},
		untagged: map[*yaml.Node]*yaml.Node{}, ends: map[*yaml.Node]int{}}
	t.lineStarts = lineStarts(data)
	if err := t.checkDuplicates(top); err != nil {
		return nil, err
	}
	if err := t.loadParameters(top); err != nil {
		return nil, err
	}
	if _, c := mappingValue(top, "Conditions"); c != nil {
		if c.Kind != yaml.MappingNode {
			return nil, positionError(file, c.Line, "Conditions must be a mapping of condition names to conditions")
		}
		for i := 0; i+1 < len(c.Content); i += 2 {
			t.conditions[c.Content[i].Value] = c.Content[i+1]
		}
	}
	if _, m := mappingValue(top, "Mappings"); m != nil {
		t.mappings = m
	}
	if err := t.loadResources(top); err != nil {
		return nil, err
	}
	return t, nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "single value"
	case yaml.AliasNode:
		return "alias"
	}
	return "mapping"
}

func lineStarts(data []byte) []int {
	starts := []int{0}
	for i, b := range data {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// checkDuplicates refuses a mapping that names a key twice, anywhere:
// CloudFormation rejects such a template, and a second KmsKeyId must not
// hide behind the first. Aliases are not followed (their target is checked
// where it is written), so this is one pass over the document.
func (t *template) checkDuplicates(top *yaml.Node) error {
	stack := []*yaml.Node{top}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.Kind == yaml.MappingNode {
			seen := make(map[string]int, len(n.Content)/2)
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if k.Kind == yaml.ScalarNode && k.Value != "<<" {
					if first, dup := seen[k.Value]; dup {
						return positionError(t.file, k.Line, "duplicate key %q (first at line %d): CloudFormation rejects the template", k.Value, first)
					}
					seen[k.Value] = k.Line
				}
			}
		}
		if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
			stack = append(stack, n.Content...)
		}
	}
	return nil
}

func (t *template) loadParameters(top *yaml.Node) error {
	_, ps := mappingValue(top, "Parameters")
	if ps == nil {
		return nil
	}
	if ps.Kind != yaml.MappingNode {
		return positionError(t.file, ps.Line, "Parameters must be a mapping of parameter names to declarations")
	}
	for i := 0; i+1 < len(ps.Content); i += 2 {
		name, decl := ps.Content[i], ps.Content[i+1]
		if decl.Kind != yaml.MappingNode {
			return positionError(t.file, decl.Line, "parameter %s must be a mapping (Type, Default, ...)", name.Value)
		}
		p := &parameter{name: name.Value, line: name.Line}
		if _, typ := mappingValue(decl, "Type"); typ != nil && typ.Kind == yaml.ScalarNode {
			p.typ = typ.Value
		}
		if _, d := mappingValue(decl, "Default"); d != nil {
			s, ok := scalarText(d)
			if !ok {
				return positionError(t.file, d.Line, "the Default of parameter %s must be a single value", name.Value)
			}
			p.def = &s
		}
		if _, av := mappingValue(decl, "AllowedValues"); av != nil && av.Kind == yaml.SequenceNode {
			for _, v := range av.Content {
				if s, ok := scalarText(v); ok {
					p.allowed = append(p.allowed, s)
				}
			}
		}
		t.params[p.name] = p
	}
	return nil
}

// scalarText returns the text of a scalar (a list of scalars is joined
// with commas, as CloudFormation takes a CommaDelimitedList default).
func scalarText(n *yaml.Node) (string, bool) {
	switch n.Kind {
	case yaml.ScalarNode:
		return n.Value, true
	case yaml.SequenceNode:
		var items []string
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return "", false
			}
			items = append(items, c.Value)
		}
		return strings.Join(items, ","), true
	}
	return "", false
}

func (t *template) loadResources(top *yaml.Node) error {
	_, rs := mappingValue(top, "Resources")
	if rs == nil {
		return positionError(t.file, top.Line, "the template has no Resources section")
	}
	if rs.Kind != yaml.MappingNode {
		return positionError(t.file, rs.Line, "Resources must be a mapping of logical ids to resources")
	}
	for i := 0; i+1 < len(rs.Content); i += 2 {
		key, body := rs.Content[i], rs.Content[i+1]
		if strings.HasPrefix(key.Value, "Fn::ForEach::") {
			return positionError(t.file, key.Line, "%s: cmkguard does not expand Fn::ForEach (the AWS::LanguageExtensions transform), so the resources it would create cannot be checked", key.Value)
		}
		if !logicalID.MatchString(key.Value) {
			return positionError(t.file, key.Line, "resource logical id %q is not alphanumeric, as CloudFormation requires", key.Value)
		}
		if body.Kind != yaml.MappingNode {
			return positionError(t.file, body.Line, "resource %s must be a mapping (Type, Properties, ...)", key.Value)
		}
		r := &resource{id: key.Value, keyNode: key, body: body}
		_, typ := mappingValue(body, "Type")
		if typ == nil || typ.Kind != yaml.ScalarNode {
			return positionError(t.file, key.Line, "resource %s has no Type", key.Value)
		}
		r.typ = typ.Value
		_, r.props = mappingValue(body, "Properties")
		if _, c := mappingValue(body, "Condition"); c != nil {
			if c.Kind != yaml.ScalarNode {
				return positionError(t.file, c.Line, "the Condition of resource %s must be a condition name", key.Value)
			}
			if _, ok := t.conditions[c.Value]; !ok {
				return positionError(t.file, c.Line, "resource %s names condition %q, which Conditions does not declare", key.Value, c.Value)
			}
			r.condition = c.Value
		}
		if isDMS(r.typ) {
			s, err := t.suppressions(r)
			if err != nil {
				return err
			}
			r.suppressions = s
		}
		t.resources[r.id] = r
		t.order = append(t.order, r.id)
	}
	return nil
}

// suppressions reads Metadata.cmkguard.ignore of a resource: a list of
// {rule, reason, expires}. Entries are recorded as written; package
// suppress decides whether each is valid (reason and expiry required).
func (t *template) suppressions(r *resource) ([]state.InlineSuppression, error) {
	_, md := mappingValue(r.body, "Metadata")
	_, cg := mappingValue(md, "cmkguard")
	if cg == nil {
		return nil, nil
	}
	_, ignore := mappingValue(cg, "ignore")
	if cg.Kind != yaml.MappingNode || ignore == nil || ignore.Kind != yaml.SequenceNode {
		return nil, positionError(t.file, cg.Line, "Metadata.cmkguard of resource %s must be {ignore: [{rule: CMKG-DMS-001, reason: ..., expires: YYYY-MM-DD}]}", r.id)
	}
	var out []state.InlineSuppression
	for _, e := range ignore.Content {
		if e.Kind != yaml.MappingNode {
			return nil, positionError(t.file, e.Line, "each Metadata.cmkguard.ignore entry of resource %s must be a mapping {rule, reason, expires}", r.id)
		}
		s := state.InlineSuppression{Line: e.Line}
		for i := 0; i+1 < len(e.Content); i += 2 {
			v, ok := scalarText(e.Content[i+1])
			if !ok || e.Content[i+1].Kind != yaml.ScalarNode {
				return nil, positionError(t.file, e.Content[i+1].Line, "Metadata.cmkguard.ignore: %s must be a single value", e.Content[i].Value)
			}
			switch e.Content[i].Value {
			case "rule":
				s.Rule = v
			case "reason":
				s.Reason = v
			case "expires":
				s.Expires = v
			default:
				return nil, positionError(t.file, e.Content[i].Line, "Metadata.cmkguard.ignore: unknown field %q (want rule, reason, expires)", e.Content[i].Value)
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// Resource types this adapter turns into state, and the key types it
// follows references to.
const (
	typeInstance = "AWS::DMS::ReplicationInstance"
	typeConfig   = "AWS::DMS::ReplicationConfig"
	typeEndpoint = "AWS::DMS::Endpoint"
	// typeProfile is a DMS instance profile (Schema Conversion, homogeneous
	// data migrations): KmsKeyArn, or an AWS owned key when absent.
	typeProfile = "AWS::DMS::InstanceProfile"
	typeKey     = "AWS::KMS::Key"
	typeAlias   = "AWS::KMS::Alias"
	typeReplica = "AWS::KMS::ReplicaKey"
)

func isDMS(typ string) bool {
	return typ == typeInstance || typ == typeConfig || typ == typeEndpoint || typ == typeProfile
}

// endLine returns the last line of the text of node n: for a flow
// collection (every JSON object and array) the line of its closing
// bracket, otherwise the last line of its last descendant. Aliases are not
// followed. Results are kept, since every combination of conditions asks
// for the same lines.
func (t *template) endLine(n *yaml.Node) int {
	if end, ok := t.ends[n]; ok {
		return end
	}
	end := n.Line
	type item struct {
		n *yaml.Node
		// scan is false under a flow collection whose closing bracket was
		// not found: its descendants are not scanned for theirs (which
		// would cost the rest of the file each).
		scan bool
	}
	stack := []item{{n, true}}
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		last := c.n.Line
		switch {
		case (c.n.Kind == yaml.MappingNode || c.n.Kind == yaml.SequenceNode) && c.n.Style&yaml.FlowStyle != 0 && c.scan:
			if l := t.closingLine(c.n); l > 0 {
				last = l
				break
			}
			for _, child := range c.n.Content {
				stack = append(stack, item{child, false})
			}
		case c.n.Kind == yaml.MappingNode || c.n.Kind == yaml.SequenceNode:
			for _, child := range c.n.Content {
				stack = append(stack, item{child, c.scan})
			}
		case c.n.Kind == yaml.ScalarNode && c.n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
			last = t.blockScalarEnd(c.n.Line)
		case c.n.Kind == yaml.ScalarNode:
			last = c.n.Line + strings.Count(c.n.Value, "\n")
		}
		if last > end {
			end = last
		}
	}
	t.ends[n] = end
	return end
}

// blockScalarEnd returns the last line of a block scalar (| or >) whose
// indicator is on line: its content is the following lines indented at
// least as much as the first of them (blank lines inside included).
func (t *template) blockScalarEnd(line int) int {
	last, indent := line, -1
	for l := line + 1; l <= len(t.lineStarts); l++ {
		text := t.lineText(l)
		if strings.TrimSpace(text) == "" {
			continue
		}
		n := len(text) - len(strings.TrimLeft(text, " "))
		if indent < 0 {
			indent = n
		}
		if n < indent || n == 0 {
			break
		}
		last = l
	}
	return last
}

func (t *template) lineText(l int) string {
	start := t.lineStarts[l-1]
	end := len(t.data)
	if l < len(t.lineStarts) {
		end = t.lineStarts[l] - 1
	}
	if end < start {
		end = start
	}
	return string(t.data[start:end])
}

// closingLine finds the bracket that closes the flow collection n, or 0.
func (t *template) closingLine(n *yaml.Node) int {
	if n.Line < 1 || n.Line > len(t.lineStarts) {
		return 0
	}
	off := t.lineStarts[n.Line-1] + n.Column - 1
	if off < 0 || off >= len(t.data) || (t.data[off] != '{' && t.data[off] != '[') {
		return 0
	}
	depth, inString, quote := 0, false, byte(0)
	for i := off; i < len(t.data); i++ {
		b := t.data[i]
		switch {
		case inString && b == '\\' && quote == '"':
			i++
		case inString && b == quote:
			inString = false
		case inString:
		case b == '"' || b == '\'':
			inString, quote = true, b
		case b == '{' || b == '[':
			depth++
		case b == '}' || b == ']':
			depth--
			if depth == 0 {
				return sort.SearchInts(t.lineStarts, i+1)
			}
		}
	}
	return 0
}

// span is the line range of a key and its value.
func (t *template) span(key, value *yaml.Node) (int, int) {
	start := key.Line
	end := t.endLine(value)
	if end < start {
		end = start
	}
	return start, end
}
