// Package remediate is the `cmkguard remediate` command: it plans (the
// default, read-only), applies, resumes and rolls back the replacement of
// DMS replication instances that fail CMKG-DMS-001 by instances encrypted
// with a customer-managed key. The work is done by the remediate package;
// this package parses flags, builds AWS clients, asks for consent and
// renders.
//
// It may import remediate, keypolicy, adapt/awslive, rule, finding, state, the CLI
// plumbing packages and the AWS SDK.
package remediate
