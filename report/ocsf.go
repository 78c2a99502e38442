package report

import (
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/cmkguard/cmkguard/finding"
)

// OCSF writes OCSF 1.1 Compliance Findings (class 2003, category 2
// Findings, activity 1 Create, type 200301) as JSON lines: one event per
// line, as Amazon Security Lake and most SIEMs ingest them.
//
// compliance.status_id is 1 Pass, 3 Fail, 0 Unknown (UNKNOWN: the check could
// not run); a SUPPRESSED finding is Fail with the finding status 3
// Suppressed. The event status is 4 Resolved for a PASS, 1 New otherwise.
// severity_id is the rule's severity (1 Informational .. 5 Critical) whatever
// the verdict; the compliance status says whether it applies.
// finding_info.uid is stable across runs (rule id and resource identity).
type OCSF struct{}

var _ Reporter = (*OCSF)(nil)

// OCSFVersion is the OCSF schema version the events follow.
const OCSFVersion = "1.1.0"

type ocsfEvent struct {
	ActivityID   int              `json:"activity_id"`
	ActivityName string           `json:"activity_name"`
	CategoryUID  int              `json:"category_uid"`
	CategoryName string           `json:"category_name"`
	ClassUID     int              `json:"class_uid"`
	ClassName    string           `json:"class_name"`
	TypeUID      int              `json:"type_uid"`
	TypeName     string           `json:"type_name"`
	Time         int64            `json:"time"`
	SeverityID   int              `json:"severity_id"`
	Severity     string           `json:"severity"`
	StatusID     int              `json:"status_id"`
	Status       string           `json:"status"`
	Message      string           `json:"message"`
	Metadata     ocsfMetadata     `json:"metadata"`
	FindingInfo  ocsfFindingInfo  `json:"finding_info"`
	Compliance   ocsfCompliance   `json:"compliance"`
	Cloud        ocsfCloud        `json:"cloud"`
	Resources    []ocsfResource   `json:"resources"`
	Remediation  *ocsfRemediation `json:"remediation,omitempty"`
	Unmapped     ocsfUnmapped     `json:"unmapped"`
}

type ocsfMetadata struct {
	Version  string      `json:"version"`
	Product  ocsfProduct `json:"product"`
	Profiles []string    `json:"profiles"`
}

type ocsfProduct struct {
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
	Version    string `json:"version,omitempty"`
}

type ocsfFindingInfo struct {
	UID         string   `json:"uid"`
	Title       string   `json:"title"`
	Desc        string   `json:"desc"`
	CreatedTime int64    `json:"created_time"`
	Types       []string `json:"types"`
}

type ocsfCompliance struct {
	Control string `json:"control"`
	// Standards are the frameworks the rule maps to, after cmkguard's own
	// rule set; Requirements are their controls ("NIST SP 800-53 Rev. 5 SC-28").
	Standards    []string `json:"standards"`
	Requirements []string `json:"requirements,omitempty"`
	StatusID     int      `json:"status_id"`
	Status       string   `json:"status"`
}

func ocsfComplianceFor(rule finding.Rule, ruleID string, statusID int, status string) ocsfCompliance {
	c := ocsfCompliance{Control: ruleID, Standards: []string{"cmkguard DMS KMS rules"}, StatusID: statusID, Status: status}
	for _, ctl := range rule.Compliance {
		if !slices.Contains(c.Standards, ctl.Framework) {
			c.Standards = append(c.Standards, ctl.Framework)
		}
		c.Requirements = append(c.Requirements, ctl.String())
	}
	return c
}

type ocsfCloud struct {
	Provider string       `json:"provider"`
	Region   string       `json:"region,omitempty"`
	Account  *ocsfAccount `json:"account,omitempty"`
}

type ocsfAccount struct {
	UID    string `json:"uid"`
	Type   string `json:"type"`
	TypeID int    `json:"type_id"`
}

type ocsfResource struct {
	UID            string            `json:"uid"`
	Name           string            `json:"name"`
	Type           string            `json:"type"`
	Region         string            `json:"region,omitempty"`
	CloudPartition string            `json:"cloud_partition"`
	Data           map[string]string `json:"data,omitempty"`
}

type ocsfRemediation struct {
	Desc       string   `json:"desc"`
	References []string `json:"references,omitempty"`
}

type ocsfUnmapped struct {
	Status             string `json:"cmkguard_status"`
	RuleShortCode      string `json:"cmkguard_short_code,omitempty"`
	Evidence           string `json:"evidence,omitempty"`
	KeyManager         string `json:"key_manager,omitempty"`
	KeyState           string `json:"key_state,omitempty"`
	ProtectionLevel    string `json:"protection_level,omitempty"`
	MissingPermission  string `json:"missing_permission,omitempty"`
	SourceFile         string `json:"source_file,omitempty"`
	SourceStartLine    int    `json:"source_start_line,omitempty"`
	SourceEndLine      int    `json:"source_end_line,omitempty"`
	SuppressionReason  string `json:"suppression_reason,omitempty"`
	SuppressionExpires string `json:"suppression_expires,omitempty"`
	SuppressionExpired bool   `json:"suppression_expired,omitempty"`
	// Scope and RulesNotEvaluated record the run's scope on every event
	// (a rule not evaluated has no event of its own).
	Scope             []string `json:"scope,omitempty"`
	RulesNotEvaluated []string `json:"rules_not_evaluated,omitempty"`
}

// Write writes one OCSF event per finding, one per line.
func (*OCSF) Write(w io.Writer, r *finding.Report) error {
	if r == nil {
		return fmt.Errorf("write OCSF: no report")
	}
	var when int64
	if r.GeneratedAt != "" {
		t, err := time.Parse(time.RFC3339, r.GeneratedAt)
		if err != nil {
			return fmt.Errorf("write OCSF: report time %q: %w", r.GeneratedAt, err)
		}
		when = t.UnixMilli()
	}
	rules, index := ruleCatalog(r)
	out := newJSONStream(w)
	for i := range r.Findings {
		f := &r.Findings[i]
		out.value(ocsfEventFor(r, f, rules[index[f.RuleID]], when), "", false)
		out.raw("\n")
	}
	if err := out.close(); err != nil {
		return fmt.Errorf("write OCSF: %w", err)
	}
	return nil
}

func ocsfEventFor(r *finding.Report, f *finding.Finding, rule finding.Rule, when int64) ocsfEvent {
	sevID, sev := ocsfSeverity(f.Severity)
	statusID, status := 1, "New"
	compID, comp := 3, "Fail"
	switch f.Status {
	case finding.StatusPass:
		statusID, status = 4, "Resolved"
		compID, comp = 1, "Pass"
	case finding.StatusUnknown:
		compID, comp = 0, "Unknown"
	case finding.StatusSuppressed:
		statusID, status = 3, "Suppressed"
	}
	identity := resourceIdentity(f)
	e := ocsfEvent{
		ActivityID: 1, ActivityName: "Create",
		CategoryUID: 2, CategoryName: "Findings",
		ClassUID: 2003, ClassName: "Compliance Finding",
		TypeUID: 200301, TypeName: "Compliance Finding: Create",
		Time:       when,
		SeverityID: sevID, Severity: sev,
		StatusID: statusID, Status: status,
		Message: resourceLabel(f) + ": " + firstNonEmpty(f.Reason, f.Title),
		Metadata: ocsfMetadata{
			Version:  OCSFVersion,
			Product:  ocsfProduct{Name: firstNonEmpty(r.Tool.Name, "cmkguard"), VendorName: "cmkguard", Version: r.Tool.Version},
			Profiles: []string{"cloud"},
		},
		FindingInfo: ocsfFindingInfo{
			UID:         "cmkguard-" + findingFingerprint(f),
			Title:       firstNonEmpty(f.Title, rule.Title, f.RuleID),
			Desc:        firstNonEmpty(f.Reason, rule.Description),
			CreatedTime: when,
			Types:       []string{ASFFType},
		},
		Compliance: ocsfComplianceFor(rule, f.RuleID, compID, comp),
		Cloud:      ocsfCloud{Provider: "AWS", Region: f.Region},
		Resources: []ocsfResource{{
			UID: identity, Name: resourceLabel(f), Type: f.ResourceType, Region: f.Region,
			CloudPartition: arnPartition(identity), Data: ocsfResourceData(f),
		}},
		Unmapped: ocsfUnmapped{
			Status: string(f.Status), RuleShortCode: f.ShortCode, Evidence: string(f.Evidence),
			KeyManager: string(f.KeyManager), KeyState: f.KeyState, ProtectionLevel: string(f.ProtectionLevel),
			MissingPermission: f.MissingPermission,
			SourceFile:        f.Source.File, SourceStartLine: f.Source.StartLine, SourceEndLine: f.Source.EndLine,
			Scope: r.Scope.Resources,
		},
	}
	for _, n := range notEvaluated(r) {
		e.Unmapped.RulesNotEvaluated = append(e.Unmapped.RulesNotEvaluated, n.ID)
	}
	if f.Account != "" {
		e.Cloud.Account = &ocsfAccount{UID: f.Account, Type: "AWS Account", TypeID: 10}
	}
	if text := f.Remediation; text != "" || (f.Status != finding.StatusPass && rule.Remediation != "") {
		e.Remediation = &ocsfRemediation{Desc: firstNonEmpty(text, rule.Remediation), References: rule.References}
	}
	if s := f.Suppression; s != nil {
		e.Unmapped.SuppressionReason, e.Unmapped.SuppressionExpires, e.Unmapped.SuppressionExpired = s.Reason, s.Expires, s.Expired
	}
	return e
}

func ocsfResourceData(f *finding.Finding) map[string]string {
	data := map[string]string{}
	if f.KeyARN != "" {
		data["kms_key_arn"] = f.KeyARN
	}
	if f.KeyAccount != "" {
		data["kms_key_account"] = f.KeyAccount
	}
	if f.Source.Address != "" {
		data["iac_address"] = f.Source.Address
	}
	if len(data) == 0 {
		return nil
	}
	return data
}

// ocsfSeverity maps a severity to OCSF's severity_id and caption.
func ocsfSeverity(s finding.Severity) (int, string) {
	switch s {
	case finding.SeverityInfo:
		return 1, "Informational"
	case finding.SeverityLow:
		return 2, "Low"
	case finding.SeverityMedium:
		return 3, "Medium"
	case finding.SeverityHigh:
		return 4, "High"
	case finding.SeverityCritical:
		return 5, "Critical"
	}
	return 0, "Unknown"
}
