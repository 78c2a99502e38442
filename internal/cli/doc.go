// Package cli runs cmkguard's command line: it builds the command tree, runs
// it and turns the outcome into an exit code. Only main exits.
//
// It may import every project package; it is, with cmd/cmkguard, the only
// place that knows about flags, prompts and exit codes.
package cli
