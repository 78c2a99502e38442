// Package remediate replaces DMS replication instances whose data is
// encrypted with the AWS-managed aws/dms key by instances encrypted with a
// customer-managed key, without losing their replication tasks.
//
// It has two halves:
//
//   - Plan is pure. Describe reads the world (read-only calls only: it never
//     calls DescribeKey on an AWS-managed alias) into Facts; NewPlan turns a
//     Request and Facts into a versioned, digest-protected Plan that records
//     the account, regions, source audit, every setting of every instance it
//     replaces and each step. Plans render as text and as AWS CLI commands.
//   - Apply executes a plan step by step (key ready → new instance available
//     → its key verified by DescribeKey → each task stopped, moved, verified,
//     restarted → old instance deleted once nothing is attached → rename).
//     Every step is journaled (append-only JSON lines, fsync'd) before and
//     after it runs and re-reads the world before acting, so a crashed run
//     resumes from its journal without creating a second key or instance or
//     moving a task twice. A run locks its journal, so that no second run of
//     it acts at the same time. Rollback undoes a run whose tasks are all
//     still on their old instances (it re-reads them to be sure).
//
// It talks to AWS only through the one-method interfaces in api.go, which
// the SDK clients, the emulator-backed clients and test fakes all satisfy.
//
// It may import state, finding, keypolicy, the AWS SDK (dms, kms, sts, smithy)
// and the standard library; never the CLI packages.
package remediate
