// Package reportdiff compares two JSON audit reports (schema 1.x): which
// findings are new, which are resolved, which changed (their verdict or
// their key), and which of them are regressions (newly FAIL or UNKNOWN), so
// that CI can fail on what a change made worse rather than on what was
// already there. It also renders the comparison as a table, JSON and
// Markdown; SARIF goes through report.SARIF with baseline states.
//
// A finding's identity is its rule and its resource: the resource ARN for a
// live resource, file#address for infrastructure as code (and the variant,
// when a source yields one resource several ways).
//
// It imports finding (and state through it) and the standard library.
package reportdiff
