// Package awslive turns a live AWS account into cmkguard's state: it lists
// every DMS replication instance in every region it is asked to scan and
// resolves the facts about each instance's KMS key, or records why they
// could not be resolved.
//
// The entry points are LoadConfig (the standard AWS configuration, tuned
// for throttling), NewClients (SDK clients with a call counter), Scan (one
// account) and ScanAccounts / ScanOrganization (several accounts of an
// organization, each reached through sts:AssumeRole but the caller's own).
// Scan depends on one-method interfaces declared next to their use, so
// tests run it against fakes or, through the real SDK, against the local
// emulator.
//
// What it guarantees:
//   - kms:DescribeKey is called once per distinct key ARN, always by full
//     ARN (a bare id would look in the caller's account and miss
//     cross-account keys), and never on alias/aws/dms (which can create the
//     AWS-managed key as a side effect);
//   - kms:ListAliases is called at most once per region, and only when a
//     DescribeKey in the caller's own account was denied;
//   - a region that cannot be listed is recorded as failed, never dropped;
//     an opt-in region that is not enabled is recorded as skipped; regions
//     given are checked against ec2:DescribeRegions, because an endpoint
//     (or an emulator) answers any well-formed name;
//   - nothing a call answers decides a verdict unchecked: a malformed or
//     cross-partition key reference is not described, a DescribeKey answer
//     for another key or owner is not used;
//   - an account whose role cannot be assumed is recorded as failed (region
//     AllRegions), a suspended one as skipped, never dropped.
//
// It imports state and the AWS SDK; never rule, finding or report.
package awslive
