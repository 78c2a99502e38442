// Package rule holds cmkguard's rules: each decides, over the plain state
// model, whether a DMS resource's data at rest is protected by a KMS key the
// customer controls, and says why in a finding.
//
// A rule is written once and runs on every source an adapter can turn into
// state (a live account, a saved audit, infrastructure as code). Rules are
// pure: they call nothing and read no clock.
//
// It imports only state and finding (and the standard library).
package rule
