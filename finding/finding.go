package finding

import "github.com/cmkguard/cmkguard/state"

// SchemaVersion is the version of the JSON report schema (docs/report-schema.md).
// Bump the minor version for added fields, the major for anything else.
const SchemaVersion = "1.1"

// Status is a rule's verdict on one resource.
type Status string

// Verdicts. UNKNOWN is never counted as PASS.
const (
	StatusPass       Status = "PASS"
	StatusFail       Status = "FAIL"
	StatusUnknown    Status = "UNKNOWN"
	StatusSuppressed Status = "SUPPRESSED"
)

// Severity is a rule's risk level.
type Severity string

// Severities, lowest to highest.
const (
	SeverityInfo     Severity = "info"
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Rank orders severities; an unrecognised severity ranks 0.
func (s Severity) Rank() int {
	switch s {
	case SeverityInfo:
		return 1
	case SeverityLow:
		return 2
	case SeverityMedium:
		return 3
	case SeverityHigh:
		return 4
	case SeverityCritical:
		return 5
	}
	return 0
}

// ParseSeverity accepts a severity name (any case); ok is false otherwise.
func ParseSeverity(s string) (Severity, bool) {
	sev := Severity(lower(s))
	return sev, sev.Rank() > 0
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// Rule is the metadata of a rule, as reports show it.
type Rule struct {
	// ID is stable forever (e.g. CMKG-DMS-001); ShortCode is a readable alias.
	ID          string   `json:"id"`
	ShortCode   string   `json:"shortCode"`
	Title       string   `json:"title"`
	Severity    Severity `json:"severity"`
	Description string   `json:"description"`
	// Remediation is the general fix, for a person.
	Remediation string `json:"remediation"`
	// References are links to AWS documentation.
	References []string `json:"references,omitempty"`
	// Compliance lists the framework controls the rule gives evidence for
	// (docs/rules.md cites the control text each relies on).
	Compliance []Control `json:"compliance,omitempty"`
}

// Control is one control of a compliance framework.
type Control struct {
	// Framework names the framework and its version ("NIST SP 800-53 Rev. 5").
	Framework string `json:"framework"`
	// ID is the control's own identifier ("SC-28(1)").
	ID string `json:"id"`
	// Title is the control's short name.
	Title string `json:"title,omitempty"`
}

// String is "Framework ID", the form reports list requirements in.
func (c Control) String() string { return c.Framework + " " + c.ID }

// Suppression records why a finding is suppressed (or why an expired
// suppression no longer applies).
type Suppression struct {
	Reason  string `json:"reason"`
	Expires string `json:"expires,omitempty"` // YYYY-MM-DD
	// Expired is true when the matching suppression has expired and so no
	// longer applies; the finding keeps its real status.
	Expired bool `json:"expired,omitempty"`
	// Source is the ignore file and entry that matched.
	Source string `json:"source,omitempty"`
}

// Finding is one rule's verdict on one resource (or on a region that could
// not be scanned).
type Finding struct {
	RuleID    string   `json:"ruleId"`
	ShortCode string   `json:"shortCode"`
	Title     string   `json:"title"`
	Severity  Severity `json:"severity"`
	Status    Status   `json:"status"`

	ResourceARN  string       `json:"resourceArn"`
	ResourceID   string       `json:"resourceId,omitempty"`
	ResourceType string       `json:"resourceType"` // e.g. AWS::DMS::ReplicationInstance, AWS::Region
	Region       string       `json:"region"`
	Account      string       `json:"account"`
	Source       state.Source `json:"source"`
	// Tags are the resource's tags, when the source read them; ignore-file
	// entries can select resources by tag.
	Tags map[string]string `json:"tags,omitempty"`

	KeyARN          string                `json:"keyArn,omitempty"`
	KeyAccount      string                `json:"keyAccount,omitempty"`
	KeyManager      state.KeyManager      `json:"keyManager,omitempty"`
	KeyState        string                `json:"keyState,omitempty"`
	ProtectionLevel state.ProtectionLevel `json:"protectionLevel,omitempty"`
	Evidence        state.KeyEvidence     `json:"evidence,omitempty"`

	// Reason says, for a person, why this verdict.
	Reason string `json:"reason"`
	// Remediation says what to do about this resource; empty for PASS.
	Remediation string `json:"remediation,omitempty"`
	// MissingPermission names a denied IAM action behind an UNKNOWN.
	MissingPermission string `json:"missingPermission,omitempty"`

	// Suppression is set when an ignore entry matched (applied or expired).
	Suppression *Suppression `json:"suppression,omitempty"`
}

// Report is a whole audit's result: the envelope of `audit --format json`.
type Report struct {
	SchemaVersion string    `json:"schemaVersion"`
	Tool          Tool      `json:"tool"`
	GeneratedAt   string    `json:"generatedAt"` // RFC 3339, UTC
	Accounts      []string  `json:"accounts"`
	Regions       []Region  `json:"regions"`
	Scope         Scope     `json:"scope"`
	Rules         []Rule    `json:"rules"`
	Findings      []Finding `json:"findings"`
	Summary       Summary   `json:"summary"`
}

// Scope is what a run covered: the resource kinds it listed and, for every
// rule, whether it was evaluated. A rule not evaluated has no findings, and
// that absence proves nothing: reports show it as not evaluated, never as
// clean. A report of schema 1.0 has no scope (zero value): every rule was
// then evaluated over what was listed.
type Scope struct {
	// Resources are the resource kinds covered (instances, serverless,
	// endpoints).
	Resources []string `json:"resources"`
	// Rules lists every rule of the report, evaluated or not.
	Rules []RuleScope `json:"rules"`
}

// RuleScope says whether a run evaluated one rule.
type RuleScope struct {
	ID        string `json:"id"`
	Evaluated bool   `json:"evaluated"`
	// Reason says why the rule was not evaluated.
	Reason string `json:"reason,omitempty"`
}

// NotEvaluated returns the rules the run did not evaluate, in report order.
func (s Scope) NotEvaluated() []RuleScope {
	var out []RuleScope
	for _, r := range s.Rules {
		if !r.Evaluated {
			out = append(out, r)
		}
	}
	return out
}

// Evaluated reports whether the rule id was evaluated; a rule the scope
// does not list (a report without scope) counts as evaluated.
func (s Scope) Evaluated(id string) bool {
	for _, r := range s.Rules {
		if r.ID == id {
			return r.Evaluated
		}
	}
	return true
}

// Tool names the producer of a report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Region is a region the audit considered and how its scan went.
type Region struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	Status  string `json:"status"` // scanned, skipped, failed
	Reason  string `json:"reason,omitempty"`
}

// Summary counts findings by status.
type Summary struct {
	Total      int `json:"total"`
	Pass       int `json:"pass"`
	Fail       int `json:"fail"`
	Unknown    int `json:"unknown"`
	Suppressed int `json:"suppressed"`
}

// Summarize counts findings by status.
func Summarize(findings []Finding) Summary {
	s := Summary{Total: len(findings)}
	for _, f := range findings {
		switch f.Status {
		case StatusPass:
			s.Pass++
		case StatusFail:
			s.Fail++
		case StatusUnknown:
			s.Unknown++
		case StatusSuppressed:
			s.Suppressed++
		}
	}
	return s
}
