// Package bench holds cmkguard's benchmarks that compare it with something
// outside it: manual-cli.sh follows the rule text's AWS CLI audit procedure,
// and BenchmarkManualProcedureVsCmkguard runs it and cmkguard's scan against
// the same emulator and reports the ratio of their wall times.
//
// The benchmark needs the AWS CLI: it skips without it, and fails without it
// when CMKGUARD_REQUIRE_AWSCLI is set.
//
// It may import adapt/awslive, internal/awsemu and the standard library.
package bench
