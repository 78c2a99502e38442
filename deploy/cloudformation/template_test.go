// Package cloudformation holds cmkguard's CloudFormation templates; its
// tests check them against the CloudFormation registry schemas in
// testdata/schemas (copied from cfn-lint, see its README).
package cloudformation

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/cmkguard/cmkguard/internal/cli/permissions"
)

var templates = []string{"cmkguard-config-rule.yaml", "cmkguard-org.yaml"}

// schema is the part of a registry schema the checks read.
type schema struct {
	TypeName            string                     `json:"typeName"`
	Properties          map[string]json.RawMessage `json:"properties"`
	Definitions         map[string]definition      `json:"definitions"`
	Required            []string                   `json:"required"`
	ReadOnlyProperties  []string                   `json:"readOnlyProperties"`
	AdditionalPropsFlag *bool                      `json:"additionalProperties"`
}

type definition struct {
	Type       any                        `json:"type"`
	Properties map[string]json.RawMessage `json:"properties"`
	Required   []string                   `json:"required"`
	Enum       []any                      `json:"enum"`
}

// property is one property's schema.
type property struct {
	Ref   string     `json:"$ref"`
	Type  any        `json:"type"`
	Enum  []any      `json:"enum"`
	Items *property  `json:"items"`
	AnyOf []property `json:"anyOf"`
}

func loadSchemas(t *testing.T) map[string]*schema {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "schemas", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no schemas: %v", err)
	}
	out := map[string]*schema{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var s schema
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[s.TypeName] = &s
	}
	return out
}

// load parses a template, turning the short-form intrinsic functions (!Ref,
// !GetAtt, !Sub, ...) into their long form.
func load(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	v, err := convert(doc.Content[0])
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v.(map[string]any)
}

func convert(n *yaml.Node) (any, error) {
	var v any
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			val, err := convert(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = val
		}
		v = m
	case yaml.SequenceNode:
		list := []any{}
		for _, c := range n.Content {
			val, err := convert(c)
			if err != nil {
				return nil, err
			}
			list = append(list, val)
		}
		v = list
	case yaml.ScalarNode:
		if err := n.Decode(&v); err != nil {
			v = n.Value
		}
		if n.Tag == "!!str" || (strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!")) {
			v = n.Value
		}
	default:
		return nil, fmt.Errorf("line %d: unexpected YAML node", n.Line)
	}
	if !strings.HasPrefix(n.Tag, "!") || strings.HasPrefix(n.Tag, "!!") {
		return v, nil
	}
	fn := strings.TrimPrefix(n.Tag, "!")
	switch fn {
	case "Ref", "Condition":
		return map[string]any{fn: v}, nil
	case "GetAtt":
		if s, ok := v.(string); ok {
			res, attr, _ := strings.Cut(s, ".")
			v = []any{res, attr}
		}
		return map[string]any{"Fn::GetAtt": v}, nil
	case "Sub", "If", "Equals", "Not", "And", "Or", "Join", "Select", "Split", "FindInMap", "GetAZs", "ImportValue", "Base64", "Cidr":
		return map[string]any{"Fn::" + fn: v}, nil
	}
	return nil, fmt.Errorf("line %d: unknown intrinsic function !%s", n.Line, fn)
}

// intrinsic reports whether v is an intrinsic function call.
func intrinsic(v any) (string, any, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", nil, false
	}
	for k, arg := range m {
		if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
			return k, arg, true
		}
	}
	return "", nil, false
}

// checker walks one template.
type checker struct {
	errs       []string
	name       string
	schemas    map[string]*schema
	params     map[string]any
	resources  map[string]any
	conditions map[string]any
}

func (c *checker) errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf(c.name+": "+format, args...))
}

func TestTemplatesMatchTheRegistrySchemas(t *testing.T) {
	schemas := loadSchemas(t)
	for _, name := range templates {
		t.Run(name, func(t *testing.T) {
			for _, e := range check(name, load(t, name), schemas) {
				t.Error(e)
			}
		})
	}
}

// TestTheCheckCatchesMistakes proves the check is not vacuous: a template
// with one mistake of each kind gets one error each.
func TestTheCheckCatchesMistakes(t *testing.T) {
	const broken = `
Parameters:
  Bucket: {Type: String}
Conditions:
  Yes: !Equals [a, a]
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Condition: Missing
    Properties:
      Code: {S3Bucket: !Ref Bucket, S3Kee: x}
      Role: !GetAtt Role.Arn
      Runtime: !If [Nope, provided.al2023, !Ref AWS::NoValue]
      Architectures: [sparc]
      Handlr: bootstrap
  Perm:
    Type: AWS::Lambda::Permission
    DependsOn: Ghost
    Properties:
      FunctionName: !GetAtt Fn.Colour
      Action: lambda:InvokeFunction
      SourceArn: !Sub "arn:${AWS::Partition}:x:${Unknown}"
  Thing:
    Type: AWS::Made::Up
`
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(broken), &doc); err != nil {
		t.Fatal(err)
	}
	v, err := convert(doc.Content[0])
	if err != nil {
		t.Fatal(err)
	}
	errs := strings.Join(check("broken", v.(map[string]any), loadSchemas(t)), "\n")
	for _, want := range []string{
		"condition \"Missing\" is not defined", "no property S3Kee", "GetAtt Role.Arn: no resource Role", "!If condition Nope",
		"sparc is not one of", "no property Handlr", "DependsOn \"Ghost\"", "has no attribute Colour", "Ref Unknown names no",
		"required property Principal is missing", "AWS::Made::Up\" has no registry schema",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("no error %q in:\n%s", want, errs)
		}
	}
}

// check returns every mistake in tpl.
func check(name string, tpl map[string]any, schemas map[string]*schema) []string {
	c := &checker{name: name, schemas: schemas, params: asMap(tpl["Parameters"]), resources: asMap(tpl["Resources"]), conditions: asMap(tpl["Conditions"])}
	if len(c.resources) == 0 {
		c.errorf("no resources")
	}
	for logical, raw := range c.resources {
		c.resource(logical, asMap(raw))
	}
	c.refs("", tpl)
	slices.Sort(c.errs)
	return c.errs
}

func (c *checker) resource(logical string, res map[string]any) {
	typ, _ := res["Type"].(string)
	s, ok := c.schemas[typ]
	if !ok {
		c.errorf("%s: type %q has no registry schema in testdata/schemas", logical, typ)
		return
	}
	if cond, ok := res["Condition"].(string); ok && c.conditions[cond] == nil {
		c.errorf("%s: condition %q is not defined", logical, cond)
	}
	for _, dep := range asStrings(res["DependsOn"]) {
		if c.resources[dep] == nil {
			c.errorf("%s: DependsOn %q is not a resource", logical, dep)
		}
	}
	props := asMap(res["Properties"])
	for _, req := range s.Required {
		if _, ok := props[req]; !ok {
			c.errorf("%s (%s): required property %s is missing", logical, typ, req)
		}
	}
	for _, ro := range s.ReadOnlyProperties {
		name := strings.TrimPrefix(ro, "/properties/")
		if _, ok := props[name]; ok && !strings.Contains(name, "/") {
			c.errorf("%s (%s): %s is read-only", logical, typ, ro)
		}
	}
	for k, v := range props {
		raw, ok := s.Properties[k]
		if !ok {
			c.errorf("%s (%s): no property %s", logical, typ, k)
			continue
		}
		c.value(logical+"."+k, s, raw, v)
	}
}

// value checks a literal value against its property schema: the keys of
// an object exist in its definition, required keys are present, an enum
// value is allowed. Intrinsic functions are checked by refs; both
// branches of an !If are checked here.
func (c *checker) value(path string, s *schema, raw json.RawMessage, v any) {
	var p property
	if err := json.Unmarshal(raw, &p); err != nil {
		return
	}
	if fn, arg, ok := intrinsic(v); ok {
		if fn == "Fn::If" {
			if args, ok := arg.([]any); ok && len(args) == 3 {
				for _, branch := range args[1:] {
					if ref, _, ok := intrinsic(branch); !(ok && ref == "Ref" && asMap(branch)["Ref"] == "AWS::NoValue") {
						c.value(path, s, raw, branch)
					}
				}
			}
		}
		return
	}
	if p.Ref != "" {
		def, ok := s.Definitions[strings.TrimPrefix(p.Ref, "#/definitions/")]
		if !ok {
			return
		}
		if len(def.Enum) > 0 {
			c.enum(path, def.Enum, v)
		}
		m, ok := v.(map[string]any)
		if !ok || def.Properties == nil {
			return
		}
		for _, req := range def.Required {
			if _, ok := m[req]; !ok {
				c.errorf("%s: required %s is missing", path, req)
			}
		}
		for k, sub := range m {
			rawSub, ok := def.Properties[k]
			if !ok {
				c.errorf("%s: no property %s", path, k)
				continue
			}
			c.value(path+"."+k, s, rawSub, sub)
		}
		return
	}
	if len(p.Enum) > 0 {
		c.enum(path, p.Enum, v)
	}
	if p.Items != nil {
		items, _ := json.Marshal(p.Items)
		for i, e := range asList(v) {
			c.value(fmt.Sprintf("%s[%d]", path, i), s, items, e)
		}
	}
}

func (c *checker) enum(path string, allowed []any, v any) {
	if _, _, ok := intrinsic(v); ok {
		return
	}
	for _, a := range allowed {
		if fmt.Sprint(a) == fmt.Sprint(v) {
			return
		}
	}
	c.errorf("%s: %v is not one of %v", path, v, allowed)
}

var subVar = regexp.MustCompile(`\$\{([^!}][^}]*)\}`)

// refs checks every Ref, GetAtt, Sub variable and If condition in v.
func (c *checker) refs(path string, v any) {
	if fn, arg, ok := intrinsic(v); ok {
		switch fn {
		case "Ref":
			c.ref(path, fmt.Sprint(arg))
		case "Fn::GetAtt":
			args := asList(arg)
			if len(args) == 2 {
				c.getAtt(path, fmt.Sprint(args[0]), fmt.Sprint(args[1]))
			} else {
				c.errorf("%s: GetAtt %v is not [resource, attribute]", path, arg)
			}
		case "Fn::Sub":
			text, ok := arg.(string)
			if !ok {
				c.errorf("%s: only the one-string form of !Sub is used here", path)
				break
			}
			for _, m := range subVar.FindAllStringSubmatch(text, -1) {
				if res, attr, ok := strings.Cut(m[1], "."); ok {
					c.getAtt(path, res, attr)
				} else {
					c.ref(path, m[1])
				}
			}
			return
		case "Fn::If":
			if args := asList(arg); len(args) == 3 {
				if c.conditions[fmt.Sprint(args[0])] == nil {
					c.errorf("%s: !If condition %v is not defined", path, args[0])
				}
				c.refs(path, args[1])
				c.refs(path, args[2])
				return
			}
			c.errorf("%s: !If takes three arguments", path)
		case "Condition":
			if c.conditions[fmt.Sprint(arg)] == nil {
				c.errorf("%s: condition %v is not defined", path, arg)
			}
		}
		c.refs(path, arg)
		return
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			c.refs(path+"/"+k, e)
		}
	case []any:
		for i, e := range x {
			c.refs(fmt.Sprintf("%s[%d]", path, i), e)
		}
	}
}

func (c *checker) ref(path, name string) {
	if strings.HasPrefix(name, "AWS::") {
		if !slices.Contains([]string{"AWS::AccountId", "AWS::Region", "AWS::Partition", "AWS::StackName", "AWS::StackId", "AWS::URLSuffix", "AWS::NoValue", "AWS::NotificationARNs"}, name) {
			c.errorf("%s: %s is not a pseudo parameter", path, name)
		}
		return
	}
	if c.params[name] == nil && c.resources[name] == nil {
		c.errorf("%s: Ref %s names no parameter or resource", path, name)
	}
}

func (c *checker) getAtt(path, res, attr string) {
	r := asMap(c.resources[res])
	if r == nil {
		c.errorf("%s: GetAtt %s.%s: no resource %s", path, res, attr, res)
		return
	}
	s := c.schemas[fmt.Sprint(r["Type"])]
	if s == nil {
		return // reported with the resource
	}
	if _, ok := s.Properties[attr]; !ok || !slices.Contains(s.ReadOnlyProperties, "/properties/"+attr) && !slices.Contains(s.Required, attr) {
		if _, ok := s.Properties[attr]; !ok {
			c.errorf("%s: GetAtt %s.%s: %s has no attribute %s", path, res, attr, r["Type"], attr)
		}
	}
}

func TestRuleTemplateGrantsWhatThePermissionsCommandPrints(t *testing.T) {
	tpl := load(t, "cmkguard-config-rule.yaml")
	role := asMap(asMap(asMap(tpl["Resources"])["FunctionRole"])["Properties"])
	doc := asMap(asMap(asList(role["Policies"])[0])["PolicyDocument"])
	var got []string
	for _, st := range asList(doc["Statement"]) {
		if fn, arg, ok := intrinsic(st); ok && fn == "Fn::If" {
			st = asList(arg)[1]
		}
		got = append(got, asStrings(asMap(st)["Action"])...)
	}
	want := permissions.ConfigRulePolicy(true, "arn:aws:sns:eu-west-1:111122223333:t").Actions()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("template grants %v,\n`permissions config-rule --securityhub --sns-topic` prints %v", got, want)
	}
}

func TestRuleTemplateInvokesTheFunctionForEveryTrigger(t *testing.T) {
	tpl := load(t, "cmkguard-config-rule.yaml")
	res := asMap(tpl["Resources"])
	fn := asMap(asMap(res["Function"])["Properties"])
	if fn["Runtime"] != "provided.al2023" || fn["Handler"] != "bootstrap" || fmt.Sprint(fn["Timeout"]) != "900" {
		t.Errorf("function runtime %v handler %v timeout %v", fn["Runtime"], fn["Handler"], fn["Timeout"])
	}
	src := asMap(asMap(asMap(res["ConfigRule"])["Properties"])["Source"])
	var types []string
	for _, d := range asList(src["SourceDetails"]) {
		types = append(types, fmt.Sprint(asMap(d)["MessageType"]))
	}
	want := []string{"ConfigurationItemChangeNotification", "OversizedConfigurationItemChangeNotification", "ScheduledNotification"}
	if !slices.Equal(types, want) || src["Owner"] != "CUSTOM_LAMBDA" {
		t.Errorf("rule source %v %v, want CUSTOM_LAMBDA with %v", src["Owner"], types, want)
	}
	pattern := asMap(asMap(asMap(res["APICallRule"])["Properties"])["EventPattern"])
	names := asStrings(asMap(pattern["detail"])["eventName"])
	for _, n := range []string{"CreateReplicationInstance", "ModifyReplicationInstance", "CreateEndpoint", "ModifyEndpoint", "CreateReplicationConfig", "ModifyReplicationConfig", "DisableKey", "ScheduleKeyDeletion"} {
		if !slices.Contains(names, n) {
			t.Errorf("the EventBridge rule misses %s", n)
		}
	}
}

func TestOrgTemplatePassesOnlyParametersTheRuleTemplateHas(t *testing.T) {
	rule := asMap(load(t, "cmkguard-config-rule.yaml")["Parameters"])
	org := load(t, "cmkguard-org.yaml")
	ss := asMap(asMap(asMap(org["Resources"])["StackSet"])["Properties"])
	if ss["PermissionModel"] != "SERVICE_MANAGED" || asMap(ss["AutoDeployment"])["Enabled"] != true {
		t.Errorf("stack set %v, auto-deployment %v: want SERVICE_MANAGED with auto-deployment", ss["PermissionModel"], ss["AutoDeployment"])
	}
	passed := map[string]bool{}
	for _, p := range asList(ss["Parameters"]) {
		k := fmt.Sprint(asMap(p)["ParameterKey"])
		passed[k] = true
		if rule[k] == nil {
			t.Errorf("the stack set passes %s, which the rule template does not take", k)
		}
	}
	for k, p := range rule {
		if _, hasDefault := asMap(p)["Default"]; !hasDefault && !passed[k] {
			t.Errorf("the rule template needs %s (no default) and the stack set does not pass it", k)
		}
	}
}

// TestCfnLint runs cfn-lint, which knows every resource specification, when
// it is installed (required in CI).
func TestCfnLint(t *testing.T) {
	path, err := exec.LookPath("cfn-lint")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("cfn-lint is not installed (required in CI)")
		}
		t.Skip("cfn-lint is not installed")
	}
	out, err := exec.Command(path, templates...).CombinedOutput()
	if err != nil {
		t.Fatalf("cfn-lint: %v\n%s", err, out)
	}
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func asStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	return nil
}
