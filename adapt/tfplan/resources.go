package tfplan

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/cmkguard/cmkguard/adapt/terraform"
	"github.com/cmkguard/cmkguard/keyref"
	"github.com/cmkguard/cmkguard/state"
)

var kmsTypes = map[string]bool{
	"aws_kms_key": true, "aws_kms_replica_key": true, "aws_kms_external_key": true,
	"aws_kms_replica_external_key": true, "aws_kms_alias": true,
}

// values is one resource's planned values: after, and what of it is known
// only after apply.
type values struct {
	after, unknown any
}

// at walks path ("compute_config", 0, "kms_key_id") in v.
func at(v any, path ...any) any {
	for _, step := range path {
		switch s := step.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[s]
		case int:
			l, ok := v.([]any)
			if !ok || s >= len(l) {
				return nil
			}
			v = l[s]
		}
	}
	return v
}

func (v values) isUnknown(path ...any) bool {
	for i := 0; i <= len(path); i++ {
		if b, ok := at(v.unknown, path[:i]...).(bool); ok && b {
			return true
		}
	}
	return false
}

func (v values) str(path ...any) string {
	s, _ := at(v.after, path...).(string)
	return s
}

func (p *planReader) addResource(rc *tfjson.ResourceChange) {
	v := values{after: rc.Change.After, unknown: rc.Change.AfterUnknown}
	line := p.line(rc.Address)
	src := state.Source{File: p.rel, StartLine: line, EndLine: line, Address: rc.Address}
	modPath := modulePath(rc.ModuleAddress)
	cfg := p.configResource(modPath, rc.Type, rc.Name)
	decide := func(path []any, name, dflt string, own bool) keyDecision {
		return p.decideKey(v, path, cfg, modPath, name, dflt, own)
	}
	note := func(field string, d keyDecision) {
		p.res.Notes[terraform.NoteKey(p.rel, rc.Address, field)] = terraform.Note{Text: d.note, StartLine: line, EndLine: line}
	}
	id := func(attr string) string {
		if s := v.str(attr); s != "" {
			return s
		}
		return rc.Address
	}
	switch rc.Type {
	case "aws_dms_replication_instance":
		d := decide([]any{"kms_key_arn"}, "kms_key_arn", "aws/dms", true)
		note(terraform.FieldKey, d)
		p.res.State.Instances = append(p.res.State.Instances, state.ReplicationInstance{Source: src, ID: id("replication_instance_id"),
			ARN: v.str("replication_instance_arn"), Region: p.region, KeyRef: d.ref, Key: d.key})
	case "aws_dms_replication_config":
		d := decide([]any{"compute_config", 0, "kms_key_id"}, "compute_config.kms_key_id", "aws/dms", true)
		note(terraform.FieldKey, d)
		p.res.State.ReplicationConfigs = append(p.res.State.ReplicationConfigs, state.ReplicationConfig{Source: src,
			ID: id("replication_config_identifier"), ARN: v.str("replication_config_arn"), Region: p.region, KeyRef: d.ref, Key: d.key})
	case "aws_dms_endpoint", "aws_dms_s3_endpoint":
		d := decide([]any{"kms_key_arn"}, "kms_key_arn", "aws/dms", true)
		note(terraform.FieldKey, d)
		e := state.Endpoint{Source: src, ID: id("endpoint_id"), ARN: v.str("endpoint_arn"), Region: p.region,
			EndpointType: v.str("endpoint_type"), EngineName: v.str("engine_name"), KeyRef: d.ref, Key: d.key}
		if rc.Type == "aws_dms_s3_endpoint" {
			e.EngineName = "s3"
		}
		engine := strings.ToLower(e.EngineName)
		if strings.EqualFold(e.EndpointType, "target") && (engine == "s3" || engine == "redshift" || engine == "redshift-serverless") {
			prefix := []any{}
			if rc.Type == "aws_dms_endpoint" {
				block := "s3_settings"
				if engine != "s3" {
					block = "redshift_settings"
				}
				prefix = []any{block, 0}
			}
			t := p.decideTarget(v, prefix, cfg, modPath)
			note(terraform.FieldTarget, t.keyDecision)
			e.TargetEncryptionMode, e.TargetKeyRef, e.TargetKey = t.mode, t.ref, t.key
		}
		p.res.State.Endpoints = append(p.res.State.Endpoints, e)
	}
}

type keyDecision struct {
	ref, note string
	key       state.Key
}

type targetDecision struct {
	keyDecision
	mode string
}

func (p *planReader) decideTarget(v values, prefix []any, cfg *tfjson.ConfigResource, modPath []string) targetDecision {
	path := func(name string) []any { return append(slices.Clip(prefix), name) }
	eca := v.str("extra_connection_attributes")
	var t targetDecision
	switch {
	case v.isUnknown(path("encryption_mode")...):
		t.mode, t.key = "SSE_KMS", state.Key{Evidence: state.EvidenceNone, UnknownReason: "encryption_mode is known only after apply"}
		return t
	case v.str(path("encryption_mode")...) != "":
		t.mode = strings.ToUpper(v.str(path("encryption_mode")...))
	case terraform.ExtraAttribute(eca, "encryptionMode") != "":
		t.mode = strings.ToUpper(terraform.ExtraAttribute(eca, "encryptionMode"))
		t.note = "extra_connection_attributes sets encryptionMode=" + t.mode
	default:
		t.mode, t.note = "SSE_S3", "encryption_mode is not set: DMS writes with SSE_S3"
	}
	if t.mode != "SSE_KMS" {
		return t
	}
	if at(v.after, path("server_side_encryption_kms_key_id")...) == nil && !v.isUnknown(path("server_side_encryption_kms_key_id")...) {
		if k := terraform.ExtraAttribute(eca, "serverSideEncryptionKmsKeyId"); k != "" {
			t.keyDecision = keyDecision{ref: k, key: terraform.LiteralKey(k, p.region, false)}
			return t
		}
	}
	t.keyDecision = p.decideKey(v, path("server_side_encryption_kms_key_id"), cfg, modPath, "server_side_encryption_kms_key_id", "aws/s3", false)
	return t
}

// decideKey judges the key argument at path: by its planned value when the
// plan knows it, else by what the configuration's expression refers to.
func (p *planReader) decideKey(v values, path []any, cfg *tfjson.ConfigResource, modPath []string, name, dflt string, own bool) keyDecision {
	if v.isUnknown(path...) {
		expr := configExpression(cfg, path)
		if expr == nil {
			return keyDecision{key: unknownKey(name + " is known only after apply, and the plan's configuration has no expression for it")}
		}
		k, note := p.judgeRefs(modPath, expr.References, name, 0)
		return keyDecision{ref: strings.Join(primaryRefs(expr.References), ", "), key: k, note: note}
	}
	val := at(v.after, path...)
	if val == nil {
		return keyDecision{key: terraform.DefaultKey(), note: fmt.Sprintf("%s is not set: DMS uses %s", name, dflt)}
	}
	s, ok := val.(string)
	if !ok {
		return keyDecision{key: unknownKey(fmt.Sprintf("%s is a %T, not a key reference", name, val))}
	}
	if strings.TrimSpace(s) == "" {
		return keyDecision{key: terraform.DefaultKey(), note: fmt.Sprintf("%s is \"\": DMS uses %s", name, dflt)}
	}
	return keyDecision{ref: s, key: terraform.LiteralKey(s, p.region, own)}
}

func unknownKey(why string) state.Key {
	return state.Key{Evidence: state.EvidenceNone, UnknownReason: why}
}

// configExpression finds the expression of the argument at path ("kms_key_arn",
// or "compute_config", 0, "kms_key_id") in the resource's configuration.
func configExpression(cfg *tfjson.ConfigResource, path []any) *tfjson.Expression {
	if cfg == nil {
		return nil
	}
	exprs := cfg.Expressions
	for i := 0; i < len(path); i++ {
		name, _ := path[i].(string)
		e := exprs[name]
		if e == nil || e.ExpressionData == nil {
			return nil
		}
		if i == len(path)-1 {
			return e
		}
		idx, ok := path[i+1].(int)
		if !ok || idx >= len(e.NestedBlocks) {
			return nil
		}
		exprs = e.NestedBlocks[idx]
		i++
	}
	return nil
}

var indexPart = regexp.MustCompile(`\[[^\]]*\]`)

// primaryRefs drops references that only shorten another ("aws_kms_key.a"
// beside "aws_kms_key.a.arn").
func primaryRefs(refs []string) []string {
	var out []string
	for _, r := range refs {
		longer := slices.ContainsFunc(refs, func(o string) bool { return o != r && strings.HasPrefix(o, r) })
		if !longer {
			out = append(out, r)
		}
	}
	return out
}

// judgeRefs decides a key known only after apply by the references of its
// expression in module modPath: a managed KMS key or alias is
// customer-managed; a KMS data source is judged by its static argument;
// var and module references are followed to the caller and the output.
func (p *planReader) judgeRefs(modPath []string, refs []string, name string, depth int) (state.Key, string) {
	if depth > 32 {
		return unknownKey(name + ": its references are nested too deeply to follow"), ""
	}
	var managers []state.KeyManager
	var why, from []string
	var declared []state.Key
	var aliases []string
	seen := map[string]bool{}
	for _, r := range primaryRefs(refs) {
		parts := strings.Split(indexPart.ReplaceAllString(r, ""), ".")
		base := strings.Join(parts[:min(len(parts), 2)], ".")
		if parts[0] == "data" || parts[0] == "module" {
			base = strings.Join(parts[:min(len(parts), 3)], ".")
		}
		if seen[base] {
			continue
		}
		seen[base] = true
		k, w, via := p.judgeRef(modPath, parts, name, depth)
		if w != "" {
			why = append(why, w)
			continue
		}
		managers = append(managers, k.Manager)
		switch {
		case strings.HasPrefix(via, "("):
			base += " " + via
		case via != "":
			base += " → " + via
		}
		from = append(from, base)
		if k.Manager == state.KeyManagerCustomer {
			declared = append(declared, k)
		}
		aliases = append(aliases, k.Aliases...)
	}
	if len(why) > 0 {
		return unknownKey(strings.Join(why, "; ")), ""
	}
	managers = slices.Compact(slices.Sorted(slices.Values(managers)))
	switch len(managers) {
	case 0:
		return unknownKey(name + " is known only after apply, and refers to no KMS key in the configuration"), ""
	case 1:
	default:
		return unknownKey(fmt.Sprintf("%s may name an AWS-managed or a customer-managed key (%s)", name, strings.Join(from, ", "))), ""
	}
	note := fmt.Sprintf("%s refers to %s", name, strings.Join(from, ", "))
	if managers[0] == state.KeyManagerAWS {
		return state.Key{Resolved: true, Evidence: state.EvidenceDeclared, Manager: state.KeyManagerAWS, State: "Enabled", Aliases: slices.Compact(aliases)}, note
	}
	k := state.Key{Resolved: true, Evidence: state.EvidenceDeclared, Manager: state.KeyManagerCustomer}
	if len(declared) == 1 {
		k.State, k.Origin = declared[0].State, declared[0].Origin
	}
	return k, note
}

// judgeRef judges one reference; why is set when it cannot be judged, via
// names what a var or module reference led to.
func (p *planReader) judgeRef(modPath []string, parts []string, name string, depth int) (k state.Key, why, via string) {
	mod := p.configModule(modPath)
	where := "the root module"
	if len(modPath) > 0 {
		where = "module." + strings.Join(modPath, ".module.")
	}
	switch {
	case parts[0] == "var" && len(parts) >= 2:
		if len(modPath) == 0 {
			if pv := p.plan.Variables[parts[1]]; pv != nil {
				if s, ok := pv.Value.(string); ok && s != "" {
					return terraform.LiteralKey(s, p.region, true), "", fmt.Sprintf("%q", s)
				}
			}
			return k, fmt.Sprintf("var.%s is known only after apply", parts[1]), ""
		}
		parent := p.configModule(modPath[:len(modPath)-1])
		if parent == nil || parent.ModuleCalls[modPath[len(modPath)-1]] == nil {
			return k, "the caller of " + where + " is not in the plan's configuration", ""
		}
		e := parent.ModuleCalls[modPath[len(modPath)-1]].Expressions[parts[1]]
		if e == nil || e.ExpressionData == nil {
			return k, fmt.Sprintf("%s's input %s is not set", where, parts[1]), ""
		}
		if s, ok := e.ConstantValue.(string); ok {
			return terraform.LiteralKey(s, p.region, true), "", fmt.Sprintf("%q", s)
		}
		return p.judgeOne(modPath[:len(modPath)-1], e.References, name, depth)
	case parts[0] == "module" && len(parts) >= 3:
		if mod == nil || mod.ModuleCalls[parts[1]] == nil || mod.ModuleCalls[parts[1]].Module == nil {
			return k, fmt.Sprintf("module.%s is not in the plan's configuration", parts[1]), ""
		}
		out := mod.ModuleCalls[parts[1]].Module.Outputs[parts[2]]
		if out == nil || out.Expression == nil || out.Expression.ExpressionData == nil {
			return k, fmt.Sprintf("module.%s has no output %s", parts[1], parts[2]), ""
		}
		return p.judgeOne(append(slices.Clip(modPath), parts[1]), out.Expression.References, name, depth)
	case parts[0] == "data" && len(parts) >= 3:
		k, why, ref := p.judgeData(mod, modPath, parts[1], parts[2])
		if ref != "" {
			ref = fmt.Sprintf("(%q)", ref)
		}
		return k, why, ref
	case kmsTypes[parts[0]] && len(parts) >= 2:
		return p.declaredKey(modPath, parts[0], parts[1]), "", ""
	case parts[0] == "local":
		return k, fmt.Sprintf("%s refers to local.%s, whose expression the plan does not record", name, strings.Join(parts[1:], ".")), ""
	case parts[0] == "each" || parts[0] == "count":
		return k, fmt.Sprintf("%s refers to %s, which the plan does not record", name, strings.Join(parts, ".")), ""
	}
	return k, fmt.Sprintf("%s is known only after apply", strings.Join(parts, ".")), ""
}

func (p *planReader) judgeOne(modPath []string, refs []string, name string, depth int) (state.Key, string, string) {
	k, note := p.judgeRefs(modPath, refs, name, depth+1)
	if !k.Resolved {
		return k, k.UnknownReason, ""
	}
	return k, "", strings.TrimPrefix(note, name+" refers to ")
}

func (p *planReader) judgeData(mod *tfjson.ConfigModule, modPath []string, typ, name string) (state.Key, string, string) {
	arg := map[string]string{"aws_kms_alias": "name", "aws_kms_key": "key_id"}[typ]
	addr := "data." + typ + "." + name
	if arg == "" {
		return state.Key{}, addr + " is read from the provider, and the plan does not record its result", ""
	}
	if cr := findResource(mod, tfjson.DataResourceMode, typ, name); cr != nil {
		if e := cr.Expressions[arg]; e != nil && e.ExpressionData != nil {
			if s, ok := e.ConstantValue.(string); ok && s != "" {
				return classifyArg(s, p.region), "", s
			}
		}
	}
	// A data source read during the plan has its values in prior_state.
	if p.plan.PriorState != nil && p.plan.PriorState.Values != nil {
		prefix := ""
		if len(modPath) > 0 {
			prefix = "module." + strings.Join(modPath, ".module.") + "."
		}
		for _, r := range stateResources(p.plan.PriorState.Values.RootModule) {
			if indexPart.ReplaceAllString(r.Address, "") == prefix+addr {
				if s, ok := r.AttributeValues[arg].(string); ok && s != "" {
					return classifyArg(s, p.region), "", s
				}
			}
		}
	}
	return state.Key{}, addr + "'s " + arg + " is not known from the plan", ""
}

func classifyArg(ref, region string) state.Key {
	r := keyref.Parse(ref, "", region)
	if r.Malformed != "" {
		return unknownKey(r.Malformed)
	}
	if r.AWSManagedName {
		return state.Key{Resolved: true, Evidence: state.EvidenceDeclared, Manager: state.KeyManagerAWS, State: "Enabled", Aliases: []string{r.Alias}}
	}
	return state.Key{Resolved: true, Evidence: state.EvidenceDeclared, Manager: state.KeyManagerCustomer}
}

// declaredKey is a KMS key or alias managed in the configuration, with the
// state its planned values give.
func (p *planReader) declaredKey(modPath []string, typ, name string) state.Key {
	k := state.Key{Resolved: true, Evidence: state.EvidenceDeclared, Manager: state.KeyManagerCustomer}
	prefix := ""
	if len(modPath) > 0 {
		prefix = "module." + strings.Join(modPath, ".module.") + "."
	}
	for _, rc := range p.plan.ResourceChanges {
		if rc == nil || rc.Change == nil || rc.Type != typ || indexPart.ReplaceAllString(rc.Address, "") != prefix+typ+"."+name {
			continue
		}
		v := values{after: rc.Change.After, unknown: rc.Change.AfterUnknown}
		enabledAttr := "enabled"
		if typ == "aws_kms_key" {
			enabledAttr, k.Origin = "is_enabled", "AWS_KMS"
		}
		if b, ok := at(v.after, enabledAttr).(bool); ok {
			k.State = map[bool]string{true: "Enabled", false: "Disabled"}[b]
		} else if typ == "aws_kms_key" && at(v.after, enabledAttr) == nil && !v.isUnknown(enabledAttr) {
			k.State = "Enabled"
		}
		break
	}
	return k
}

func (p *planReader) configModule(path []string) *tfjson.ConfigModule {
	if p.plan.Config == nil {
		return nil
	}
	m := p.plan.Config.RootModule
	for _, name := range path {
		if m == nil || m.ModuleCalls[name] == nil {
			return nil
		}
		m = m.ModuleCalls[name].Module
	}
	return m
}

func (p *planReader) configResource(modPath []string, typ, name string) *tfjson.ConfigResource {
	return findResource(p.configModule(modPath), tfjson.ManagedResourceMode, typ, name)
}

func findResource(m *tfjson.ConfigModule, mode tfjson.ResourceMode, typ, name string) *tfjson.ConfigResource {
	if m == nil {
		return nil
	}
	for _, r := range m.Resources {
		if r != nil && r.Mode == mode && r.Type == typ && r.Name == name {
			return r
		}
	}
	return nil
}

func stateResources(m *tfjson.StateModule) []*tfjson.StateResource {
	if m == nil {
		return nil
	}
	out := slices.Clone(m.Resources)
	for _, c := range m.ChildModules {
		out = append(out, stateResources(c)...)
	}
	return out
}

// modulePath turns module.a["x"].module.b into [a b].
func modulePath(addr string) []string {
	if addr == "" {
		return nil
	}
	var out []string
	parts := strings.Split(indexPart.ReplaceAllString(addr, ""), ".")
	for i := 0; i+1 < len(parts); i += 2 {
		if parts[i] == "module" {
			out = append(out, parts[i+1])
		}
	}
	return out
}
