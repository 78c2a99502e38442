// Package audit is the `cmkguard audit` command: it scans a live AWS account,
// or several accounts of an organization (--org, --accounts),
// through adapt/awslive, evaluates the rules (rule), applies the ignore file
// (suppress), writes the reports (report) and maps the outcome to an exit
// code (internal/cli/exit).
//
// Run is exported so that `cmkguard demo` runs exactly the same audit
// against the local emulator.
//
// It may import the CLI plumbing packages, adapt/awslive, rule, suppress,
// report, finding and state.
package audit
