// Package terraform turns Terraform configurations (*.tf, *.tf.json, their
// tfvars) into state.State, evaluating them with Terraform's own language
// libraries (hashicorp/hcl/v2 and zclconf/go-cty) rather than matching
// strings: variables with their types, defaults and optional() attributes,
// tfvars in Terraform's precedence, locals, count and for_each per instance,
// dynamic blocks, the functions real modules call, local and downloaded
// modules with their callers' inputs, module outputs, and the static
// arguments of data sources.
//
// What cannot be known before apply is carried as an unknown cty value with
// marks saying why ("var.kms_key_arn has no value") or what it refers to (a
// managed aws_kms_key, a data.aws_kms_alias named alias/aws/dms), so that a
// key reference is judged by what it is, never by its presence. Key
// references are classified by package keyref, as for live AWS.
//
// It imports state, keyref, the HCL and cty libraries; never rule (it
// gathers facts, it does not judge).
package terraform
