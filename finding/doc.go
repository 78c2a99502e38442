// Package finding defines the result of evaluating a rule over one resource:
// what reports render, what suppressions act on and what remediation reads.
//
// It imports only the standard library (and state, for Source).
package finding
