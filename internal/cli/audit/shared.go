package audit

import (
	"strings"

	"github.com/cmkguard/cmkguard/finding"
)

// FailOn is the audit's exit-code policy: a FindingsError when a FAIL or
// UNKNOWN finding is at or above threshold ("" for none).
func FailOn(rep *finding.Report, threshold finding.Severity) error { return failOn(rep, threshold) }

// ParseFailOn validates a --fail-on value: a severity, or none ("").
func ParseFailOn(v string) (finding.Severity, bool) {
	if strings.EqualFold(v, FailOnNone) {
		return "", true
	}
	return finding.ParseSeverity(v)
}
