// Package suppress reads an ignore file (YAML) and applies it to findings:
// a reasoned, dated, auditable way to accept a finding, where other tools
// let users skip a rule silently.
//
// A matched FAIL or UNKNOWN finding becomes SUPPRESSED and carries the
// entry's reason; an entry past its expiry date no longer applies, and the
// finding keeps its real status while saying that its suppression expired.
//
// It imports finding (and sigs.k8s.io/yaml); it knows rules only through the
// ids and short codes its caller passes in.
package suppress
