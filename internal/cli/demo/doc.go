// Package demo is the `cmkguard demo` command: it starts the local AWS
// emulator in-process on 127.0.0.1 with the built-in demo estate, runs
// exactly the audit `cmkguard audit` runs (internal/cli/audit.Run) against
// it with dummy credentials, prints the report, and tells the user how to
// run the audit on their own account.
//
// Its exit code is 0 whatever the demo estate's findings (they are there on
// purpose); it is 1 only when the demo itself broke, and 2 for bad flags.
//
// It may import the CLI plumbing packages, internal/cli/audit,
// adapt/awslive, internal/awsemu, internal/estatefile and the module root
// (the embedded demo estate).
package demo
