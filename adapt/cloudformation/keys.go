package cloudformation

import (
	"fmt"
	"strings"

	"github.com/cmkguard/cmkguard/keyref"
	"github.com/cmkguard/cmkguard/state"
)

// defaultKeyAlias is the key DMS uses when a resource names none.
const defaultKeyAlias = "alias/aws/dms"

// awsManaged is the facts of an AWS-managed key named by alias: KMS keeps
// such keys enabled (customers can neither disable nor delete them).
func awsManaged(alias string) state.Key {
	return state.Key{Resolved: true, Evidence: state.EvidenceDeclared, Manager: state.KeyManagerAWS, State: "Enabled", Aliases: []string{alias}}
}

func unresolved(reason string) state.Key {
	return state.Key{Evidence: state.EvidenceNone, UnknownReason: reason}
}

// ownKey classifies the key that encrypts a DMS resource's own data. An
// absent key (not given, null, "", Ref AWS::NoValue) is DMS's default: no
// reference, and the facts of the AWS-managed aws/dms key, so that every
// key rule judges it as the default key.
func (r *run) ownKey(v value) (string, state.Key) {
	if s, ok := v.text(); v.kind == kindAbsent || (ok && s == "") {
		return "", awsManaged(defaultKeyAlias)
	}
	return r.classify(v, true)
}

// classify turns an evaluated key reference into its reference text and
// key facts. own is true for the key of the resource's own data (DMS uses
// only keys of the resource's own region).
func (r *run) classify(v value, own bool) (string, state.Key) {
	text := v.render()
	switch v.kind {
	case kindList, kindMap:
		return text, unresolved("the key reference is a list or mapping, not a key ARN, id or alias")
	case kindAbsent:
		return "", state.Key{}
	}
	if s, ok := v.text(); ok {
		return s, r.classifyLiteral(s, own)
	}
	if ref, ok := v.singleRef(); ok {
		return text, r.classifyResource(ref)
	}
	return text, r.classifyPartial(v)
}

// classifyLiteral classifies a key reference written out in full.
func (r *run) classifyLiteral(s string, own bool) state.Key {
	region := r.region()
	if region == "" {
		// The stack's region is not known: judge an ARN in its own region.
		if parts := strings.SplitN(s, ":", 6); len(parts) == 6 && strings.HasPrefix(s, "arn:") {
			region = parts[3]
		}
	}
	parse := keyref.Parse
	if own && r.region() != "" {
		parse = keyref.ParseOwn
	}
	k := parse(s, r.account(), region)
	switch {
	case k.Malformed != "":
		return unresolved(k.Malformed)
	case k.AWSManagedName:
		return awsManaged(k.Alias)
	}
	key := state.Key{Resolved: true, Evidence: state.EvidenceDeclared, Manager: state.KeyManagerCustomer, Account: k.Account, Region: k.Region}
	if k.KeyID != "" && k.Account != "" && k.Region != "" {
		key.ARN = k.ARN
	}
	return key
}

// classifyResource classifies a Ref or Fn::GetAtt of a resource of the
// template.
func (r *run) classifyResource(ref *resourceRef) state.Key {
	res := r.t.resources[ref.id]
	if res.condition != "" {
		exists, ok := r.conditionTop(res.condition)
		if !ok {
			return unresolved(r.condReason(res.condition))
		}
		if !exists {
			return unresolved(fmt.Sprintf("%s is not created when %s=false (its Condition), so the reference has no value and CloudFormation rejects the stack", res.id, res.condition))
		}
	}
	switch res.typ {
	case typeKey, typeReplica:
		if ref.attr != "" && ref.attr != "Arn" && ref.attr != "KeyId" {
			return unresolved(fmt.Sprintf("%s.%s is not a key attribute (want Arn or KeyId)", res.id, ref.attr))
		}
		return r.declaredKey(res)
	case typeAlias:
		if ref.attr != "" {
			return unresolved(fmt.Sprintf("AWS::KMS::Alias %s has no attribute %s", res.id, ref.attr))
		}
		return r.aliasKey(res)
	}
	return unresolved(fmt.Sprintf("%s is a %s, not a KMS key", res.id, res.typ))
}

// aliasKey is the key behind an AWS::KMS::Alias of the template: a
// customer-managed key, since no one but AWS can create an alias/aws/
// alias. Its state is known when TargetKeyId refers to a key of the
// template.
func (r *run) aliasKey(res *resource) state.Key {
	props := r.eval(res.props)
	if name, ok := r.prop(props, "AliasName").val.text(); ok && strings.HasPrefix(name, "alias/aws/") {
		return unresolved(fmt.Sprintf("alias %s (%s) is in the reserved alias/aws/ namespace, which only AWS can create: CloudFormation fails to create it", res.id, name))
	}
	target := r.prop(props, "TargetKeyId").val
	if ref, ok := target.singleRef(); ok {
		if tr := r.t.resources[ref.id]; tr != nil && (tr.typ == typeKey || tr.typ == typeReplica) {
			return r.classifyResource(ref)
		}
	}
	return state.Key{Resolved: true, Evidence: state.EvidenceDeclared, Manager: state.KeyManagerCustomer, Account: r.account(), Region: r.region()}
}

// declaredKey is the facts of an AWS::KMS::Key or AWS::KMS::ReplicaKey of
// the template.
func (r *run) declaredKey(res *resource) state.Key {
	props := r.eval(res.props)
	key := state.Key{Resolved: true, Evidence: state.EvidenceDeclared, Manager: state.KeyManagerCustomer, Account: r.account(), Region: r.region(), State: "Enabled"}
	if res.typ == typeKey {
		key.Origin = "AWS_KMS"
		if spec, ok := r.prop(props, "KeySpec").val.text(); ok && spec != "SYMMETRIC_DEFAULT" {
			return unresolved(fmt.Sprintf("key %s has KeySpec %s: DMS encrypts only with symmetric encryption keys (SYMMETRIC_DEFAULT), so CloudFormation cannot create the resource with it", res.id, spec))
		}
		if usage, ok := r.prop(props, "KeyUsage").val.text(); ok && usage != "ENCRYPT_DECRYPT" {
			return unresolved(fmt.Sprintf("key %s has KeyUsage %s: DMS needs an ENCRYPT_DECRYPT key, so CloudFormation cannot create the resource with it", res.id, usage))
		}
		if mr, ok := r.prop(props, "MultiRegion").val.text(); ok && mr == "true" {
			key.MultiRegion = true
		}
	} else {
		key.MultiRegion = true
	}
	enabled := r.prop(props, "Enabled").val
	switch s, ok := enabled.text(); {
	case enabled.kind == kindAbsent:
	case ok && s == "false":
		key.State = "Disabled"
	case ok && s == "true":
	default:
		key.State = "" // decided at deploy time: unknown
	}
	if origin, ok := r.prop(props, "Origin").val.text(); ok && res.typ == typeKey {
		key.Origin = origin
		if origin == "EXTERNAL" {
			// A key for imported material is created without any: KMS
			// keeps it PendingImport until material is imported.
			key.State = "PendingImport"
		}
	}
	return key
}

// classifyPartial classifies a reference built from known and unknown
// parts (Fn::Sub, Fn::Join), which is decided by its last field: the alias
// name or key id after the last ":" of an ARN. alias/aws/... is an
// AWS-managed key whatever account, region or partition the ARN names.
func (r *run) classifyPartial(v value) state.Key {
	tail := tailParts(v.parts)
	prefix, rest := literalPrefix(tail)
	why := strings.Join(v.reasons(), "; ")
	switch {
	case strings.HasPrefix(prefix, "alias/aws/") && len(prefix) > len("alias/aws/"):
		return awsManaged(prefix + value{kind: kindString, parts: rest}.render())
	case strings.HasPrefix(prefix, "alias/") && len(prefix) > len("alias/") && !strings.HasPrefix("alias/aws/", prefix):
		return state.Key{Resolved: true, Evidence: state.EvidenceDeclared, Manager: state.KeyManagerCustomer, Account: r.account(), Region: r.region()}
	case prefix == "key/" && len(rest) == 1 && rest[0].ref != nil:
		if res := r.t.resources[rest[0].ref.id]; res.typ == typeKey || res.typ == typeReplica {
			return r.classifyResource(rest[0].ref)
		}
	case prefix == "" && len(rest) == 1 && rest[0].ref != nil && rest[0].ref.attr == "":
		// arn:...:${Alias}: an alias's Ref is its name, alias/...
		if res := r.t.resources[rest[0].ref.id]; res.typ == typeAlias {
			return r.classifyResource(rest[0].ref)
		}
	case strings.HasPrefix(prefix, "key/") && len(prefix) > len("key/") && len(rest) == 0:
		return state.Key{Resolved: true, Evidence: state.EvidenceDeclared, Manager: state.KeyManagerCustomer, Account: r.account(), Region: r.region()}
	}
	if why == "" {
		why = fmt.Sprintf("%s does not name a KMS key ARN, id or alias", v.render())
	}
	return unresolved(why)
}

// tailParts returns the parts after the last literal ":".
func tailParts(parts []part) []part {
	for i := len(parts) - 1; i >= 0; i-- {
		if parts[i].literal() {
			if j := strings.LastIndex(parts[i].text, ":"); j >= 0 {
				tail := []part{{text: parts[i].text[j+1:]}}
				return append(tail, parts[i+1:]...)
			}
		}
	}
	return parts
}

// literalPrefix joins the literal parts at the start of parts.
func literalPrefix(parts []part) (string, []part) {
	var b strings.Builder
	i := 0
	for ; i < len(parts) && parts[i].literal(); i++ {
		b.WriteString(parts[i].text)
	}
	return b.String(), parts[i:]
}
