// Package cloudformation turns a CloudFormation template (YAML or JSON,
// short-form tags, CDK synth output) into cmkguard's state: the DMS
// replication instances, serverless replication configs and endpoints it
// declares, with the facts about each one's KMS key as the template
// declares them (evidence "declared"), or why they cannot be known from it.
//
// It evaluates what decides a key: Ref, Fn::GetAtt, Fn::Sub, Fn::Join,
// Fn::Select, Fn::Split, Fn::FindInMap, Fn::If, Fn::ImportValue (never
// known), Parameters (Default, --cf-param, AllowedValues) and Conditions.
// A resource is evaluated under every reachable combination of the
// conditions that matter to it (its own Condition, the Fn::If of the
// properties that decide a verdict and of the keys it refers to, and the
// conditions those name), as cfn-lint does: a parameter those conditions
// compare is tried with its Default, each literal it is compared with
// (within its AllowedValues) and "any other value"; a parameter with
// AllowedValues that a key property uses as a value is tried with each.
// Each distinct outcome is one state resource, naming its combination in
// Source.Variant; the caller keeps the worst. A resource whose Condition is
// false in every combination yields nothing. Other parameters take their
// --cf-param value or Default.
//
// What it guarantees:
//   - a resource that names no key is given DMS's default key (aws/dms), so
//     the rules FAIL it; an alias/aws/ name, written out or built by Fn::Sub
//     or Fn::Join around unknown pseudo parameters, is an AWS-managed key;
//   - a value the template does not determine (a parameter without Default,
//     an SSM parameter, Fn::ImportValue, a dynamic reference) is UNKNOWN,
//     with a reason that says what to pass, never PASS;
//   - errors name file:line; a malformed file, an alias bomb, deep
//     nesting, a huge file or a huge number of conditions costs bounded time
//     and memory (MaxTemplateBytes, MaxCombinations, an evaluation budget)
//     and ends in an error or an UNKNOWN, never a hang, a panic or a PASS.
//
// Key references are classified by package keyref, shared with the live
// adapter. It imports state, keyref and go.yaml.in/yaml/v3; never rule.
package cloudformation
