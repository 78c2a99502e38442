// Package iac is the `cmkguard iac` command: it walks the paths given,
// tells each file's kind by its content, turns Terraform (adapt/terraform),
// plan JSON (adapt/tfplan) and CloudFormation (adapt/cloudformation) into
// one state, runs the audit's rules over it, keeps the worst finding per
// rule and resource, applies suppressions, and reports with the audit's
// formats and exit codes.
//
// It imports the adapters, rule, suppress, report and internal/cli/audit
// (the shared report writing and --fail-on policy).
package iac
