// Package keypolicy is the `cmkguard key-policy` command: it prints the
// recommended key policy for a customer-managed KMS key that protects DMS
// data, as built by the keypolicy package (the same builder `remediate
// --create-key` uses), or, with --check, judges a policy document with
// keypolicy/analyse (the analysis the audit runs on each key's policy).
//
// It may import keypolicy, keypolicy/analyse, the CLI plumbing packages and,
// to find the caller's account when --account is not given, the AWS SDK's
// config and STS.
package keypolicy
