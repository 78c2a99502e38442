package report

import (
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/cmkguard/cmkguard/finding"
)

// SARIF writes a SARIF 2.1.0 log: one run, one reportingDescriptor per rule,
// one result per finding that is not PASS (code-scanning tools open an alert
// for every result, and a resource that passes is not an alert; when a later
// run no longer reports a fingerprint, GitHub closes the alert). Set
// IncludePass to also write PASS results, as kind "pass" with level "none".
//
// A live resource has a logical location (its ARN, kind "resource"); a
// resource read from infrastructure as code also has a physical location
// (file and lines). partialFingerprints["cmkguard/v1"] hashes the rule id and
// the resource identity, so the same problem keeps its identity across runs.
type SARIF struct {
	// IncludePass also writes PASS results.
	IncludePass bool
	// BaselineStates, when set, holds each finding's baselineState (new,
	// unchanged, updated or absent), index for index (`cmkguard diff`). An
	// absent result is written as kind "pass", level "none": the problem
	// it was is gone.
	BaselineStates []string
}

var _ Reporter = (*SARIF)(nil)

const (
	sarifSchemaURI      = "https://json.schemastore.org/sarif-2.1.0.json"
	sarifFingerprint    = "cmkguard/v1"
	sarifInformationURI = "https://github.com/cmkguard/cmkguard"
)

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string             `json:"id"`
	Name                 string             `json:"name,omitempty"`
	ShortDescription     sarifText          `json:"shortDescription"`
	FullDescription      sarifText          `json:"fullDescription"`
	Help                 sarifText          `json:"help"`
	HelpURI              string             `json:"helpUri,omitempty"`
	DefaultConfiguration sarifConfiguration `json:"defaultConfiguration"`
	Properties           sarifRuleProps     `json:"properties"`
}

type sarifConfiguration struct {
	Level string `json:"level"`
}

type sarifRuleProps struct {
	// Evaluated is false for a rule the run did not evaluate (out of
	// scope); absent when the report does not record its scope.
	Evaluated *bool `json:"evaluated,omitempty"`
	// SecuritySeverity is GitHub code scanning's numeric severity (a string).
	SecuritySeverity string   `json:"security-severity"`
	Severity         string   `json:"severity,omitempty"`
	Precision        string   `json:"precision"`
	Tags             []string `json:"tags"`
	// Compliance lists the framework controls the rule supports; each is
	// also a tag ("NIST SP 800-53 Rev. 5 SC-28"), which code scanning shows.
	Compliance []finding.Control `json:"compliance,omitempty"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	EndTimeUTC                 string              `json:"endTimeUtc,omitempty"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
	// ToolConfigurationNotifications name the rules not evaluated.
	ToolConfigurationNotifications []sarifNotification `json:"toolConfigurationNotifications,omitempty"`
}

type sarifNotification struct {
	Level      string                    `json:"level"`
	Message    sarifText                 `json:"message"`
	Descriptor *sarifReportingDescriptor `json:"descriptor,omitempty"`
}

// sarifReportingDescriptor points a notification at a rule.
type sarifReportingDescriptor struct {
	ID    string `json:"id"`
	Index int    `json:"index"`
}

// sarifRunProps record the run's scope: the resource kinds covered and the
// rules not evaluated.
type sarifRunProps struct {
	Scope             []string `json:"scope"`
	RulesNotEvaluated []string `json:"rulesNotEvaluated"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Kind                string             `json:"kind"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	BaselineState       string             `json:"baselineState,omitempty"`
	Properties          sarifResultProps   `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysicalLocation `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogicalLocation `json:"logicalLocations"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           *sarifRegion          `json:"region,omitempty"`
}

type sarifArtifactLocation struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
	EndLine   int `json:"endLine,omitempty"`
}

type sarifLogicalLocation struct {
	Name               string `json:"name,omitempty"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification,omitempty"`
}

type sarifResultProps struct {
	Status             string `json:"status"`
	Severity           string `json:"severity,omitempty"`
	Account            string `json:"account,omitempty"`
	Region             string `json:"region,omitempty"`
	ResourceType       string `json:"resourceType,omitempty"`
	KeyARN             string `json:"keyArn,omitempty"`
	KeyAccount         string `json:"keyAccount,omitempty"`
	KeyManager         string `json:"keyManager,omitempty"`
	KeyState           string `json:"keyState,omitempty"`
	ProtectionLevel    string `json:"protectionLevel,omitempty"`
	Evidence           string `json:"evidence,omitempty"`
	MissingPermission  string `json:"missingPermission,omitempty"`
	Remediation        string `json:"remediation,omitempty"`
	SuppressionExpired bool   `json:"suppressionExpired,omitempty"`
	SuppressionReason  string `json:"suppressionReason,omitempty"`
	SuppressionExpires string `json:"suppressionExpires,omitempty"`
}

// Write writes r as one SARIF log.
func (s *SARIF) Write(w io.Writer, r *finding.Report) error {
	if r == nil {
		return fmt.Errorf("write SARIF: no report")
	}
	if s.BaselineStates != nil && len(s.BaselineStates) != len(r.Findings) {
		return fmt.Errorf("write SARIF: %d baseline states for %d findings", len(s.BaselineStates), len(r.Findings))
	}
	rules, index := ruleCatalog(r)
	out := newJSONStream(w)
	out.raw("{\n  \"$schema\": \"" + sarifSchemaURI + "\",\n  \"version\": \"2.1.0\",\n  \"runs\": [\n    {\n      \"tool\": {\n        \"driver\": ")
	out.value(sarifDriverFor(r, rules), "        ", true)
	out.raw("\n      },\n      \"invocations\": ")
	out.value([]sarifInvocation{sarifInvocationFor(r, index)}, "      ", true)
	if r.Scope.Rules != nil {
		props := sarifRunProps{Scope: r.Scope.Resources, RulesNotEvaluated: []string{}}
		for _, n := range notEvaluated(r) {
			props.RulesNotEvaluated = append(props.RulesNotEvaluated, n.ID)
		}
		out.raw(",\n      \"properties\": ")
		out.value(props, "      ", true)
	}
	out.raw(",\n      \"results\": [")
	n := 0
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Status == finding.StatusPass && !s.IncludePass {
			continue
		}
		if n > 0 {
			out.raw(",")
		}
		out.raw("\n        ")
		res := sarifResultFor(f, index[f.RuleID])
		if s.BaselineStates != nil {
			res.BaselineState = s.BaselineStates[i]
			if res.BaselineState == "absent" {
				res.Kind, res.Level = "pass", "none"
			}
		}
		out.value(res, "        ", true)
		n++
	}
	if n > 0 {
		out.raw("\n      ")
	}
	out.raw("]\n    }\n  ]\n}\n")
	if err := out.close(); err != nil {
		return fmt.Errorf("write SARIF: %w", err)
	}
	return nil
}

func sarifDriverFor(r *finding.Report, rules []finding.Rule) sarifDriver {
	name := r.Tool.Name
	if name == "" {
		name = "cmkguard"
	}
	d := sarifDriver{Name: name, Version: r.Tool.Version, InformationURI: sarifInformationURI, Rules: make([]sarifRule, 0, len(rules))}
	for _, rule := range rules {
		sr := sarifRuleFor(rule)
		if r.Scope.Rules != nil {
			evaluated := r.Scope.Evaluated(rule.ID)
			sr.Properties.Evaluated = &evaluated
		}
		d.Rules = append(d.Rules, sr)
	}
	return d
}

func sarifRuleFor(rule finding.Rule) sarifRule {
	title := firstNonEmpty(rule.Title, rule.ShortCode, rule.ID)
	full := firstNonEmpty(rule.Description, title)
	helpText := full
	helpMarkdown := "**Why it matters:** " + full
	if rule.Remediation != "" {
		helpText += "\n\nFix: " + rule.Remediation
		helpMarkdown += "\n\n**Fix:** " + rule.Remediation
	}
	for _, ref := range rule.References {
		helpMarkdown += "\n\n- <" + ref + ">"
	}
	sr := sarifRule{
		ID:                   rule.ID,
		Name:                 rule.ShortCode,
		ShortDescription:     sarifText{Text: title},
		FullDescription:      sarifText{Text: full},
		Help:                 sarifText{Text: helpText, Markdown: helpMarkdown},
		DefaultConfiguration: sarifConfiguration{Level: sarifSeverityLevel(rule.Severity)},
		Properties: sarifRuleProps{
			SecuritySeverity: sarifSecuritySeverity(rule.Severity),
			Severity:         string(rule.Severity),
			Precision:        "very-high",
			Tags:             sarifTags(rule),
			Compliance:       rule.Compliance,
		},
	}
	if len(rule.References) > 0 {
		sr.HelpURI = rule.References[0]
	}
	return sr
}

func sarifTags(rule finding.Rule) []string {
	tags := []string{"security", "aws", "dms", "kms", "encryption"}
	for _, c := range rule.Compliance {
		tags = append(tags, c.String())
	}
	return tags
}

func sarifInvocationFor(r *finding.Report, index map[string]int) sarifInvocation {

	inv := sarifInvocation{ExecutionSuccessful: true, EndTimeUTC: r.GeneratedAt}
	for _, reg := range r.Regions {
		if reg.Status != "failed" {
			continue
		}
		msg := fmt.Sprintf("Region %s of account %s could not be scanned", reg.Region, reg.Account)
		if reg.Reason != "" {
			msg += ": " + reg.Reason
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{Level: "warning", Message: sarifText{Text: msg}})
	}
	for _, n := range notEvaluated(r) {
		inv.ToolConfigurationNotifications = append(inv.ToolConfigurationNotifications, sarifNotification{Level: "note",
			Message:    sarifText{Text: "Rule " + n.ID + " was not evaluated: " + n.Reason},
			Descriptor: &sarifReportingDescriptor{ID: n.ID, Index: index[n.ID]}})
	}
	return inv
}

func sarifResultFor(f *finding.Finding, ruleIndex int) sarifResult {
	res := sarifResult{
		RuleID:              f.RuleID,
		RuleIndex:           ruleIndex,
		Kind:                "fail",
		Message:             sarifText{Text: resourceLabel(f) + ": " + firstNonEmpty(f.Reason, f.Title)},
		Locations:           []sarifLocation{sarifLocationFor(f)},
		PartialFingerprints: map[string]string{sarifFingerprint: findingFingerprint(f)},
		Properties: sarifResultProps{
			Status: string(f.Status), Severity: string(f.Severity),
			Account: f.Account, Region: f.Region, ResourceType: f.ResourceType,
			KeyARN: f.KeyARN, KeyAccount: f.KeyAccount, KeyManager: string(f.KeyManager), KeyState: f.KeyState,
			ProtectionLevel: string(f.ProtectionLevel), Evidence: string(f.Evidence),
			MissingPermission: f.MissingPermission, Remediation: f.Remediation,
		},
	}
	switch f.Status {
	case finding.StatusFail:
		res.Level = "error"
	case finding.StatusUnknown:
		res.Level = "warning"
	case finding.StatusPass:
		res.Kind, res.Level = "pass", "none"
	default: // SUPPRESSED: keep the rule's own level.
		res.Level = sarifSeverityLevel(f.Severity)
	}
	if sup := f.Suppression; sup != nil {
		res.Properties.SuppressionReason = sup.Reason
		res.Properties.SuppressionExpires = sup.Expires
		res.Properties.SuppressionExpired = sup.Expired
		if !sup.Expired && f.Status == finding.StatusSuppressed {
			res.Suppressions = []sarifSuppression{{Kind: "external", Status: "accepted", Justification: sup.Reason}}
		}
	}
	return res
}

func sarifLocationFor(f *finding.Finding) sarifLocation {
	loc := sarifLocation{LogicalLocations: []sarifLogicalLocation{{
		Name: resourceLabel(f), FullyQualifiedName: resourceIdentity(f), Kind: "resource",
	}}}
	if f.Source.File != "" {
		phys := &sarifPhysicalLocation{ArtifactLocation: sarifArtifactLocation{
			URI: path.Clean(strings.ReplaceAll(f.Source.File, "\\", "/")), URIBaseID: "%SRCROOT%",
		}}
		if f.Source.StartLine > 0 {
			phys.Region = &sarifRegion{StartLine: f.Source.StartLine}
			if f.Source.EndLine >= f.Source.StartLine {
				phys.Region.EndLine = f.Source.EndLine
			}
		}
		loc.PhysicalLocation = phys
	}
	return loc
}

// sarifSeverityLevel maps a rule severity to a SARIF level.
func sarifSeverityLevel(s finding.Severity) string {
	switch s {
	case finding.SeverityCritical, finding.SeverityHigh:
		return "error"
	case finding.SeverityMedium:
		return "warning"
	}
	return "note"
}

// sarifSecuritySeverity maps a severity to GitHub's 0.0-10.0 scale
// (critical above 9.0, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9).
func sarifSecuritySeverity(s finding.Severity) string {
	switch s {
	case finding.SeverityCritical:
		return "9.5"
	case finding.SeverityHigh:
		return "8.0"
	case finding.SeverityMedium:
		return "5.5"
	case finding.SeverityLow:
		return "3.0"
	}
	return "0.0"
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
