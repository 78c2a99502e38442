// Package diff is the `cmkguard diff OLD.json NEW.json` command: what
// changed between two JSON audit reports, with the audit's exit-code policy
// applied to the whole new report or, with --fail-on-new, to regressions
// only.
//
// It may import reportdiff, report, finding and the CLI plumbing packages.
package diff
