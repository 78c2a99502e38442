package terraform

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/dynblock"
	"github.com/zclconf/go-cty/cty"

	"github.com/cmkguard/cmkguard/state"
)

// dmsTypes are the resource types cmkguard evaluates.
var dmsTypes = map[string]bool{
	"aws_dms_replication_instance": true, "aws_dms_replication_config": true,
	"aws_dms_endpoint": true, "aws_dms_s3_endpoint": true,
}

func attrs(names ...string) []hcl.AttributeSchema {
	out := make([]hcl.AttributeSchema, len(names))
	for i, n := range names {
		out[i] = hcl.AttributeSchema{Name: n}
	}
	return out
}

var settingsSchema = &hcl.BodySchema{Attributes: attrs("encryption_mode", "server_side_encryption_kms_key_id")}

var resourceSchemas = map[string]*hcl.BodySchema{
	"aws_dms_replication_instance": {Attributes: attrs("kms_key_arn", "replication_instance_id", "replication_instance_class", "multi_az", "publicly_accessible")},
	"aws_dms_replication_config": {Attributes: attrs("replication_config_identifier"),
		Blocks: []hcl.BlockHeaderSchema{{Type: "compute_config"}}},
	"aws_dms_endpoint": {Attributes: attrs("endpoint_id", "endpoint_type", "engine_name", "kms_key_arn", "extra_connection_attributes"),
		Blocks: []hcl.BlockHeaderSchema{{Type: "s3_settings"}, {Type: "redshift_settings"}}},
	"aws_dms_s3_endpoint": {Attributes: attrs("endpoint_id", "endpoint_type", "kms_key_arn", "encryption_mode", "server_side_encryption_kms_key_id")},
}

var nestedSchemas = map[string]*hcl.BodySchema{
	"compute_config":    {Attributes: attrs("kms_key_id")},
	"s3_settings":       settingsSchema,
	"redshift_settings": settingsSchema,
}

// resourceBody is one resource instance's arguments, dynamic blocks expanded.
type resourceBody struct {
	attrs  hcl.Attributes
	blocks map[string]*hcl.Block // the first block of each nested type
	nested map[string]hcl.Attributes
}

func (s *scope) resourceBody(decl *resourceDecl) resourceBody {
	schema := resourceSchemas[decl.typ]
	node := dynblock.WalkExpandVariables(decl.body)
	vars, children := node.Visit(schema)
	for _, c := range children {
		ns := nestedSchemas[c.BlockTypeName]
		if ns == nil {
			ns = &hcl.BodySchema{}
		}
		cv, _ := c.Node.Visit(ns)
		vars = append(vars, cv...)
	}
	body := dynblock.Expand(decl.body, s.ctxFor(vars))
	rb := resourceBody{attrs: hcl.Attributes{}, blocks: map[string]*hcl.Block{}, nested: map[string]hcl.Attributes{}}
	content, _, diags := body.PartialContent(schema)
	if diags.HasErrors() {
		s.mi.ev.problems.diags(diags)
	}
	if content == nil {
		return rb
	}
	rb.attrs = content.Attributes
	for _, b := range content.Blocks {
		if rb.blocks[b.Type] != nil {
			continue
		}
		rb.blocks[b.Type] = b
		c, _, _ := b.Body.PartialContent(nestedSchemas[b.Type])
		if c != nil {
			rb.nested[b.Type] = c.Attributes
		} else {
			rb.nested[b.Type] = hcl.Attributes{}
		}
	}
	return rb
}

// stringArg evaluates a plain string argument; "" when absent or not known.
func (s *scope) stringArg(a *hcl.Attribute) (string, bool) {
	if a == nil {
		return "", true
	}
	v, diags := s.eval(a.Expr)
	if diags.HasErrors() {
		return "", false
	}
	v, _ = v.UnmarkDeep()
	if !v.IsKnown() {
		return "", false
	}
	if v.IsNull() || v.Type() != cty.String {
		return "", true
	}
	return v.AsString(), true
}

// noteFor records a decision's note for a finding field.
func (ev *evaluator) noteFor(file, address, field string, d keyDecision) {
	ev.notes[NoteKey(file, address, field)] = Note{Text: d.note, StartLine: d.rng.Start.Line, EndLine: d.rng.End.Line}
}

// addResource evaluates one instance of a DMS resource into the state.
func (ev *evaluator) addResource(s *scope, decl *resourceDecl, address string) {
	rb := s.resourceBody(decl)
	file := ev.rel(decl.file.path)
	region := s.mi.rootRegion()
	if decl.providerAlias != "" {
		// An aliased provider's region, when this module declares it;
		// otherwise unknown (passed in by the caller's providers map).
		region = s.mi.mod.aliasRegions[decl.providerAlias]
	}
	src := state.Source{File: file, StartLine: decl.rng.Start.Line, EndLine: decl.rng.End.Line, Address: address,
		Suppressions: inlineSuppressions(decl.file, decl.defRange.Start.Line),
		Variant:      "evaluated from root module " + ev.rel(s.mi.root.dir)}
	at := func(d keyDecision) state.Source {
		out := src
		out.StartLine, out.EndLine = d.rng.Start.Line, d.rng.End.Line
		return out
	}
	idOr := func(attr string) string {
		if id, _ := s.stringArg(rb.attrs[attr]); id != "" {
			return id
		}
		return address
	}
	switch decl.typ {
	case "aws_dms_replication_instance":
		d := s.decideKey(rb.attrs["kms_key_arn"], "kms_key_arn", decl.rng, region, true, "aws/dms")
		ev.noteFor(file, address, "key", d)
		ev.state.Instances = append(ev.state.Instances, state.ReplicationInstance{Source: at(d), ID: idOr("replication_instance_id"),
			Region: region, KeyRef: d.ref, Key: d.key})
	case "aws_dms_replication_config":
		blockRng := decl.rng
		var keyAttr *hcl.Attribute
		if b := rb.blocks["compute_config"]; b != nil {
			blockRng = blockRange(b)
			keyAttr = rb.nested["compute_config"]["kms_key_id"]
		}
		d := s.decideKey(keyAttr, "compute_config.kms_key_id", blockRng, region, true, "aws/dms")
		ev.noteFor(file, address, "key", d)
		ev.state.ReplicationConfigs = append(ev.state.ReplicationConfigs, state.ReplicationConfig{Source: at(d),
			ID: idOr("replication_config_identifier"), Region: region, KeyRef: d.ref, Key: d.key})
	case "aws_dms_endpoint", "aws_dms_s3_endpoint":
		ev.addEndpoint(s, decl, rb, address, region, src, at)
	}
}

func (ev *evaluator) addEndpoint(s *scope, decl *resourceDecl, rb resourceBody, address, region string, src state.Source, at func(keyDecision) state.Source) {
	file := src.File
	d := s.decideKey(rb.attrs["kms_key_arn"], "kms_key_arn", decl.rng, region, true, "aws/dms")
	ev.noteFor(file, address, "key", d)
	e := state.Endpoint{Source: at(d), Region: region, KeyRef: d.ref, Key: d.key}
	e.ID, _ = s.stringArg(rb.attrs["endpoint_id"])
	if e.ID == "" {
		e.ID = address
	}
	e.EndpointType, _ = s.stringArg(rb.attrs["endpoint_type"])
	e.EngineName, _ = s.stringArg(rb.attrs["engine_name"])
	if decl.typ == "aws_dms_s3_endpoint" {
		e.EngineName = "s3"
	}
	engine := strings.ToLower(e.EngineName)
	if strings.EqualFold(e.EndpointType, "target") && (engine == "s3" || engine == "redshift" || engine == "redshift-serverless") {
		settings, block := rb.attrs, decl.rng
		if decl.typ == "aws_dms_endpoint" {
			name := "s3_settings"
			if engine != "s3" {
				name = "redshift_settings"
			}
			settings = rb.nested[name]
			if b := rb.blocks[name]; b != nil {
				block = blockRange(b)
			}
		}
		eca, _ := s.stringArg(rb.attrs["extra_connection_attributes"])
		t := s.decideTarget(settings, block, eca, rb.attrs["extra_connection_attributes"], region)
		ev.noteFor(file, address, "target", t.keyDecision)
		e.TargetEncryptionMode, e.TargetKeyRef, e.TargetKey = t.mode, t.ref, t.key
	}
	ev.state.Endpoints = append(ev.state.Endpoints, e)
}

type targetDecision struct {
	keyDecision
	mode string
}

// decideTarget evaluates an S3 or Redshift target's encryption: its
// encryption_mode (SSE_S3 by default, as in DMS) and, for SSE_KMS, its key.
// A mode not known before apply is judged as SSE_KMS with an unknown key,
// so that the verdict is UNKNOWN rather than a FAIL it cannot prove.
func (s *scope) decideTarget(settings hcl.Attributes, block hcl.Range, eca string, ecaAttr *hcl.Attribute, region string) targetDecision {
	ecaMode, ecaKey := ExtraAttribute(eca, "encryptionMode"), ExtraAttribute(eca, "serverSideEncryptionKmsKeyId")
	modeAttr := settings["encryption_mode"]
	var t targetDecision
	switch {
	case modeAttr != nil:
		mode, known := s.stringArg(modeAttr)
		t.rng = modeAttr.Range
		if !known {
			v, _ := s.eval(modeAttr.Expr)
			_, marks := marksOf(v)
			why := "encryption_mode is not known before apply"
			if rs := reasons(marks); len(rs) > 0 {
				why += ": " + joinReasons(rs)
			}
			t.mode, t.key = "SSE_KMS", unknownKeyBecause(why)
			return t
		}
		t.mode = strings.ToUpper(mode)
		if t.mode == "" {
			t.mode = "SSE_S3"
			t.note = "encryption_mode is null: DMS writes with SSE_S3"
		}
	case ecaMode != "":
		t.mode, t.rng = strings.ToUpper(ecaMode), ecaAttr.Range
		t.note = fmt.Sprintf("extra_connection_attributes sets encryptionMode=%s", ecaMode)
	default:
		t.mode, t.rng = "", block
		t.note = "encryption_mode is not set: DMS writes with SSE_S3"
	}
	if t.mode != "SSE_KMS" {
		if t.mode == "" {
			t.mode = "SSE_S3"
		}
		return t
	}
	keyAttr := settings["server_side_encryption_kms_key_id"]
	if keyAttr == nil && ecaKey != "" {
		t.keyDecision = keyDecision{ref: ecaKey, key: LiteralKey(ecaKey, region, false), rng: ecaAttr.Range,
			note: "extra_connection_attributes sets serverSideEncryptionKmsKeyId"}
		return t
	}
	kd := s.decideKey(keyAttr, "server_side_encryption_kms_key_id", t.rng, region, false, "aws/s3")
	if keyAttr == nil {
		kd.note = "encryption_mode is SSE_KMS but server_side_encryption_kms_key_id is not set: S3 uses aws/s3"
	}
	t.keyDecision = kd
	return t
}

// ExtraAttribute returns the value of key in DMS extra connection attributes
// ("a=b;c=d"), matched without regard to case.
func ExtraAttribute(eca, key string) string {
	for part := range strings.SplitSeq(eca, ";") {
		k, v, ok := strings.Cut(part, "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), key) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// rootRegion is the region of the root module's AWS provider.
func (mi *moduleInstance) rootRegion() string {
	for m := mi; m != nil; m = m.parent {
		if m.mod.region != "" {
			return m.mod.region
		}
	}
	return ""
}

// evaluateResources adds every DMS resource instance of mi and its
// children to the state.
func (ev *evaluator) evaluateResources(mi *moduleInstance) {
	for _, decl := range mi.mod.resources {
		if !decl.managed || !dmsTypes[decl.typ] {
			continue
		}
		addr := mi.prefix() + decl.address()
		insts, _, _ := mi.moduleScope().expand(decl.count, decl.forEach, addr)
		for _, in := range insts {
			ev.addResource(&scope{mi: mi, count: in.count, each: in.each}, decl, addr+in.suffix)
		}
	}
	for _, call := range mi.mod.callOrder {
		for _, child := range mi.childrenOf(call).instances {
			ev.evaluateResources(child)
		}
	}
}
