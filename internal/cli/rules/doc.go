// Package rules is the `cmkguard rules` command: it lists every rule with
// its severity and the compliance controls it gives evidence for, as a
// table, JSON or Markdown.
//
// It may import rule, finding and the CLI plumbing packages.
package rules
