package cloudformation

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cmkguard/cmkguard/state"
)

// evaluate turns every DMS resource of the template into state.
func (t *template) evaluate() state.State {
	var s state.State
	for _, id := range t.order {
		res := t.resources[id]
		if !isDMS(res.typ) {
			continue
		}
		for _, item := range t.outcomes(res) {
			switch v := item.(type) {
			case state.ReplicationInstance:
				s.Instances = append(s.Instances, v)
			case state.ReplicationConfig:
				s.ReplicationConfigs = append(s.ReplicationConfigs, v)
			case state.Endpoint:
				s.Endpoints = append(s.Endpoints, v)
			case state.InstanceProfile:
				s.InstanceProfiles = append(s.InstanceProfiles, v)
			}
		}
	}
	return s
}

// outcome is one distinct result of evaluating a resource.
type outcome struct {
	item       any // a state resource, its Source.Variant not yet set
	variant    string
	assignment string
}

// outcomes evaluates res under every reachable combination of the
// conditions that matter to it (at most MaxCombinations) and returns one
// state resource per distinct result, each naming its combination. A
// resource that exists in no combination yields nothing.
func (t *template) outcomes(res *resource) []any {
	rel := t.relevanceOf(res)
	ch := &chooser{}
	var outs []outcome
	runs, existsAlways, capped := 0, true, false
	r := newRun(t, res, rel, ch)
	for {
		if runs == MaxCombinations {
			capped = true
			break
		}
		runs++
		r.reset()
		item, exists := r.resource()
		if r.limit != "" {
			// A bound was reached: what was evaluated is not to be trusted
			// (a condition cut short may look false), so the resource is
			// UNKNOWN, never absent.
			item, exists = r.notEvaluated(r.limit), true
		}
		if !exists {
			existsAlways = false
		} else if !containsOutcome(outs, item) {
			outs = append(outs, outcome{item: item, variant: r.variant(), assignment: r.assignment()})
		}
		if r.limit != "" || !ch.next() {
			break
		}
	}
	if capped {
		r := newRun(t, res, rel, &chooser{})
		item := r.notEvaluated(fmt.Sprintf("the resource depends on more than %d combinations of conditions, and only the first %d were evaluated: give some parameters with --cf-param", MaxCombinations, MaxCombinations))
		outs = append(outs, outcome{item: item, variant: fmt.Sprintf("the combinations after the first %d", MaxCombinations)})
	}
	named := len(outs) > 1 || !existsAlways
	seen := map[string]int{}
	for _, o := range outs {
		seen[o.variant]++
	}
	items := make([]any, len(outs))
	for i, o := range outs {
		variant := ""
		if named {
			variant = o.variant
			if seen[o.variant] > 1 && o.assignment != "" {
				variant = strings.TrimPrefix(variant+", "+o.assignment, ", ")
			}
		}
		items[i] = withVariant(o.item, variant)
	}
	return items
}

func containsOutcome(outs []outcome, item any) bool {
	for _, o := range outs {
		if reflect.DeepEqual(o.item, item) {
			return true
		}
	}
	return false
}

func withVariant(item any, variant string) any {
	switch v := item.(type) {
	case state.ReplicationInstance:
		v.Source.Variant = variant
		return v
	case state.ReplicationConfig:
		v.Source.Variant = variant
		return v
	case state.Endpoint:
		v.Source.Variant = variant
		return v
	case state.InstanceProfile:
		v.Source.Variant = variant
		return v
	}
	return item
}

// attr is a property as found in a run: its key and value nodes (nil when
// absent) and its evaluated value.
type attr struct {
	key, node *yaml.Node
	val       value
}

// prop looks up name in the mapping value v (merge keys included).
func (r *run) prop(v value, name string) attr {
	switch v.kind {
	case kindAbsent:
		return attr{val: absent}
	case kindMap:
	default:
		if len(v.reasons()) > 0 {
			return attr{val: unknownValue(v.render(), strings.Join(v.reasons(), "; "))}
		}
		return attr{val: absent}
	}
	k, n := r.lookup(v.node, name, 0)
	if k == nil {
		return attr{val: absent}
	}
	return attr{key: k, node: n, val: r.eval(n)}
}

// lookup finds key in mapping m, then in the mappings its merge keys (<<)
// bring in.
func (r *run) lookup(m *yaml.Node, key string, depth int) (*yaml.Node, *yaml.Node) {
	if !r.step() {
		return nil, nil
	}
	if k, v := mappingValue(m, key); k != nil {
		return k, v
	}
	_, merge := mappingValue(m, "<<")
	if merge = r.deref(merge); merge == nil || depth > 10 {
		return nil, nil
	}
	sources := []*yaml.Node{merge}
	if merge.Kind == yaml.SequenceNode {
		sources = merge.Content
	}
	for _, s := range sources {
		if k, v := r.lookup(r.deref(s), key, depth+1); k != nil {
			return k, v
		}
	}
	return nil, nil
}

func (r *run) props() value { return r.eval(r.res.props) }

// source is where the deciding attribute a is written, or the resource
// block when a is absent.
func (r *run) source(a attr) state.Source {
	src := state.Source{File: r.t.file, Address: r.res.id, Suppressions: r.res.suppressions}
	if a.key != nil {
		src.StartLine, src.EndLine = r.t.span(a.key, a.node)
	} else {
		src.StartLine, src.EndLine = r.t.span(r.res.keyNode, r.res.body)
	}
	return src
}

func (r *run) account() string { return r.t.opts.Params["AWS::AccountId"] }
func (r *run) region() string  { return r.t.opts.Params["AWS::Region"] }

// resource evaluates the resource of this run; exists is false when its
// Condition is false.
func (r *run) resource() (any, bool) {
	if c := r.res.condition; c != "" {
		v, ok := r.conditionTop(c)
		if !ok {
			return r.notEvaluated(r.condReason(c)), true
		}
		if !v {
			return nil, false
		}
	}
	switch r.res.typ {
	case typeInstance:
		return r.instance(), true
	case typeConfig:
		return r.config(), true
	case typeProfile:
		return r.profile(), true
	}
	return r.endpoint(), true
}

func (r *run) literalProp(props value, name string) string {
	s, _ := r.prop(props, name).val.text()
	return s
}

func (r *run) instance() state.ReplicationInstance {
	props := r.props()
	key := r.prop(props, "KmsKeyId")
	ref, facts := r.ownKey(key.val)
	// Only what decides a verdict is evaluated: another property (the
	// class, an If on the stage) must not split the resource into variants.
	return state.ReplicationInstance{Source: r.source(key), ID: r.res.id, Account: r.account(), Region: r.region(), KeyRef: ref, Key: facts}
}

func (r *run) config() state.ReplicationConfig {
	compute := r.prop(r.props(), "ComputeConfig")
	key := r.prop(compute.val, "KmsKeyId")
	ref, facts := r.ownKey(key.val)
	deciding := key
	if key.key == nil && compute.key != nil {
		deciding = compute
	}
	return state.ReplicationConfig{Source: r.source(deciding), ID: r.res.id, Account: r.account(), Region: r.region(), KeyRef: ref, Key: facts}
}

// profile is an instance profile. Unlike the other resources, an absent
// KmsKeyArn does not mean aws/dms but an AWS *owned* key, which the
// customer cannot even see: the profile names no key (as the live adapter
// records it) and the rule judges that.
func (r *run) profile() state.InstanceProfile {
	key := r.prop(r.props(), "KmsKeyArn")
	p := state.InstanceProfile{Source: r.source(key), ID: r.res.id, Account: r.account(), Region: r.region()}
	if s, ok := key.val.text(); key.val.kind == kindAbsent || (ok && s == "") {
		return p
	}
	p.KeyRef, p.Key = r.classify(key.val, true)
	return p
}

// targetSettings names the settings block of each engine whose target
// data S3 encrypts.
var targetSettings = map[string]string{"s3": "S3Settings", "redshift": "RedshiftSettings", "redshift-serverless": "RedshiftSettings"}

func (r *run) endpoint() state.Endpoint {
	props := r.props()
	key := r.prop(props, "KmsKeyId")
	ref, facts := r.ownKey(key.val)
	ep := state.Endpoint{ID: r.res.id, Account: r.account(), Region: r.region(), KeyRef: ref, Key: facts}
	ep.EndpointType = strings.ToLower(r.literalProp(props, "EndpointType"))
	ep.EngineName = strings.ToLower(r.literalProp(props, "EngineName"))
	if ep.EngineName == "" {
		// An engine the template does not fix: judge the target settings
		// it carries rather than skip them.
		for _, s := range []string{"S3Settings", "RedshiftSettings"} {
			if r.prop(props, s).key != nil {
				ep.EngineName = map[string]string{"S3Settings": "s3", "RedshiftSettings": "redshift"}[s]
			}
		}
	}
	if ep.EndpointType == "" && r.prop(props, "EndpointType").val.kind != kindAbsent {
		ep.EndpointType = "target" // not fixed by the template: judged as the stricter case
	}
	deciding := key
	settingsName, dataTarget := targetSettings[ep.EngineName]
	if dataTarget && ep.EndpointType == "target" {
		t := r.targetEncryption(props, settingsName)
		ep.TargetEncryptionMode, ep.TargetKeyRef, ep.TargetKey = t.mode, t.keyRef, t.key
		if ownKeyGood(facts) && !targetGood(t) {
			deciding = t.deciding
		}
	}
	ep.Source = r.source(deciding)
	return ep
}

// ownKeyGood reports whether key facts would pass both key rules.
func ownKeyGood(k state.Key) bool {
	return k.Resolved && k.Manager == state.KeyManagerCustomer && (k.State == "" || k.State == "Enabled")
}

func targetGood(t target) bool {
	return strings.EqualFold(t.mode, "SSE_KMS") && t.keyRef != "" && ownKeyGood(t.key)
}

// target is how an S3 or Redshift target encrypts the data it writes.
type target struct {
	mode, keyRef string
	key          state.Key
	deciding     attr
}

// targetEncryption reads EncryptionMode and ServerSideEncryptionKmsKeyId
// from the settings block, or else from ExtraConnectionAttributes
// ("encryptionMode=SSE_KMS;serverSideEncryptionKmsKeyId=arn:..."), as CDK
// users often write them.
func (r *run) targetEncryption(props value, settingsName string) target {
	settings := r.prop(props, settingsName)
	mode := r.prop(settings.val, "EncryptionMode")
	keyID := r.prop(settings.val, "ServerSideEncryptionKmsKeyId")
	eca := r.prop(props, "ExtraConnectionAttributes")
	attrs := connectionAttributes(eca.val)
	if mode.val.kind == kindAbsent {
		if v, ok := attrs["encryptionmode"]; ok {
			mode = attr{key: eca.key, node: eca.node, val: v}
		}
	}
	if keyID.val.kind == kindAbsent {
		if v, ok := attrs["serversideencryptionkmskeyid"]; ok {
			keyID = attr{key: eca.key, node: eca.node, val: v}
		}
	}
	t := target{deciding: mode}
	if mode.key == nil {
		t.deciding = settings
	}
	if keyID.key != nil && mode.val.kind != kindAbsent {
		if s, _ := mode.val.text(); strings.EqualFold(s, "SSE_KMS") {
			t.deciding = keyID
		}
	}
	if keyID.val.kind != kindAbsent {
		t.keyRef, t.key = r.classify(keyID.val, false)
	}
	modeText, known := mode.val.text()
	switch {
	case mode.val.kind == kindAbsent:
		t.mode = ""
	case known:
		t.mode = modeText
	default:
		// The mode is not known: the data is not proven to be under a
		// customer's key.
		t.mode = "SSE_KMS"
		if t.keyRef == "" {
			t.keyRef = mode.val.render()
		}
		t.key = state.Key{Evidence: state.EvidenceNone, UnknownReason: fmt.Sprintf("%s.EncryptionMode is %s, which the template does not determine: %s", settingsName, mode.val.render(), strings.Join(mode.val.reasons(), "; "))}
	}
	if t.deciding.key == nil {
		t.deciding = attr{}
	}
	return t
}

// connectionAttributes splits "a=1;b=2" into its attributes (names in
// lower case), keeping the parts of a value the template does not
// determine (a GetAtt of a key joined in by CDK).
func connectionAttributes(v value) map[string]value {
	if v.kind != kindString {
		return nil
	}
	out := map[string]value{}
	var segment []part
	flush := func() {
		name, val, ok := splitAttribute(segment)
		if ok {
			out[strings.ToLower(name)] = val
		}
		segment = nil
	}
	for _, p := range v.parts {
		if !p.literal() {
			segment = append(segment, p)
			continue
		}
		pieces := strings.Split(p.text, ";")
		for i, piece := range pieces {
			if i > 0 {
				flush()
			}
			if piece != "" {
				segment = append(segment, part{text: piece})
			}
		}
	}
	flush()
	return out
}

// splitAttribute splits one name=value segment; the name must be literal.
func splitAttribute(seg []part) (string, value, bool) {
	if len(seg) == 0 || !seg[0].literal() {
		return "", value{}, false
	}
	name, rest, ok := strings.Cut(seg[0].text, "=")
	if !ok {
		return "", value{}, false
	}
	val := value{kind: kindString}
	if rest != "" {
		val.parts = append(val.parts, part{text: rest})
	}
	val.parts = append(val.parts, seg[1:]...)
	if len(val.parts) == 0 {
		return strings.TrimSpace(name), absent, true
	}
	return strings.TrimSpace(name), val, true
}

// notEvaluated is the resource as UNKNOWN, for why.
func (r *run) notEvaluated(why string) any {
	src := state.Source{File: r.t.file, Address: r.res.id, Suppressions: r.res.suppressions}
	src.StartLine, src.EndLine = r.t.span(r.res.keyNode, r.res.body)
	key := state.Key{Evidence: state.EvidenceNone, UnknownReason: why}
	const ref = "(not evaluated)"
	switch r.res.typ {
	case typeInstance:
		return state.ReplicationInstance{Source: src, ID: r.res.id, Account: r.account(), Region: r.region(), KeyRef: ref, Key: key}
	case typeConfig:
		return state.ReplicationConfig{Source: src, ID: r.res.id, Account: r.account(), Region: r.region(), KeyRef: ref, Key: key}
	case typeProfile:
		return state.InstanceProfile{Source: src, ID: r.res.id, Account: r.account(), Region: r.region(), KeyRef: ref, Key: key}
	}
	ep := state.Endpoint{Source: src, ID: r.res.id, Account: r.account(), Region: r.region(), KeyRef: ref, Key: key}
	// Read the engine and type as written, without evaluating, so that the
	// target rule still sees a target it cannot judge.
	_, props := mappingValue(r.res.body, "Properties")
	if _, e := mappingValue(props, "EngineName"); e != nil && e.Kind == yaml.ScalarNode {
		ep.EngineName = strings.ToLower(e.Value)
	}
	if _, e := mappingValue(props, "EndpointType"); e != nil && e.Kind == yaml.ScalarNode {
		ep.EndpointType = strings.ToLower(e.Value)
	}
	if _, dataTarget := targetSettings[ep.EngineName]; dataTarget && ep.EndpointType == "target" {
		ep.TargetEncryptionMode, ep.TargetKeyRef, ep.TargetKey = "SSE_KMS", ref, key
	}
	return ep
}
