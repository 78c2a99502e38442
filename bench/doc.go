// Package bench holds cmkguard's benchmarks that compare it with something
// outside it: manual-cli.sh follows the rule text's AWS CLI audit procedure,
// and BenchmarkManualProcedureVsCmkguard runs it and cmkguard's scan against
// the same emulator and reports the ratio of their wall times.
//
// The benchmark needs the AWS CLI: it skips without it, and fails without it
// when CMKGUARD_REQUIRE_AWSCLI is set.
//
// BenchmarkIaCMonorepo scans a generated monorepo (5,000 .tf files in 500
// modules, 10,000 DMS resources, 500 CloudFormation templates) with the
// cmkguard binary against the 10 s and 500 MB targets, and times
// `trivy config` on the same tree when trivy is installed (TRIVY or PATH;
// CMKGUARD_REQUIRE_TRIVY makes its absence a failure).
//
// It may import adapt/awslive, internal/awsemu and the standard library.
package bench
