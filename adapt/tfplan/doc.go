// Package tfplan turns a Terraform plan in JSON (`terraform show -json
// plan.out`) into state.State, read with hashicorp/terraform-json.
//
// Each DMS resource that the plan creates, updates, replaces or keeps is
// taken from resource_changes (after, after_unknown); a resource being
// deleted yields nothing. A key ARN the plan knows is classified by package
// keyref; a key known only after apply is judged by the configuration's
// expression references, followed through module calls and outputs, so that
// `kms_key_arn = aws_kms_key.dms.arn` PASSes while the key does not exist yet.
//
// It imports state, keyref and adapt/terraform (the shared key decisions);
// never rule.
package tfplan
