// Package analyse judges a KMS key policy document: is the key open to the
// world (any AWS principal may use or administer it, with no condition that
// limits the caller to known accounts or the organisation), and does the
// policy let the principals that create DMS resources use the key through
// DMS (kms:CreateGrant for AWS resources)?
//
// It reads the policy as IAM does: Statement as one object or a list,
// Principal / NotPrincipal, Action / NotAction with wildcards, Resource /
// NotResource, and Condition with its operators, their IfExists and
// ForAnyValue: / ForAllValues: forms and case-insensitive keys. Conditions
// are judged three ways: a condition it understands is proved to hold, or
// not, for the caller in question; a condition it does not understand makes
// the verdict UNKNOWN, naming the statement, and never PASS.
//
// Analyse is called once per distinct key (by `cmkguard key-policy --check`
// now, by the audit after kms:GetKeyPolicy later) and returns rule-ready
// facts, not findings: the rule decides the finding's severity (a key that
// DMS cannot use is a FAIL for new resources, CRITICAL for existing ones).
//
// It imports only the standard library.
package analyse
