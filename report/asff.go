package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"iter"
	"strings"
	"unicode/utf8"

	"github.com/cmkguard/cmkguard/finding"
)

// ASFF writes findings in the AWS Security Finding Format, as
// {"Findings":[...]}: the input of `aws securityhub batch-import-findings
// --cli-input-json`. Findings come from a custom integration, so ProductArn
// is arn:<partition>:securityhub:<region>:<account>:product/<account>/default.
//
// Security Hub accepts findings of that product only in the product's region
// and only for the calling account. Region and Account, when set, are that
// region and account (the publisher sets them); when empty, each finding uses
// its own resource's region and account.
//
// Verdicts map to Compliance.Status: PASS → PASSED, FAIL → FAILED, UNKNOWN →
// NOT_AVAILABLE (the check could not run), SUPPRESSED → FAILED with
// Workflow.Status SUPPRESSED. A PASS is INFORMATIONAL; others keep the rule's
// severity. Ids are stable (rule id and resource identity), so a later import
// updates the same finding.
type ASFF struct {
	// Region is the Security Hub region of ProductArn; empty: each finding's region.
	Region string
	// Account is the account of ProductArn, and of findings that name none
	// (infrastructure as code); empty: each finding's account.
	Account string
}

var _ Reporter = (*ASFF)(nil)

// ASFF limits, from the BatchImportFindings API reference.
const (
	asffSchemaVersion  = "2018-10-08"
	asffMaxTitle       = 256
	asffMaxDescription = 1024
	asffMaxRemediation = 512
	asffMaxID          = 512
	asffMaxFieldValue  = 1024
)

// ASFFType is the finding type cmkguard reports under.
const ASFFType = "Software and Configuration Checks/AWS Security Best Practices"

// ASFFFinding is one AwsSecurityFinding, with the fields cmkguard sets. Its
// JSON field names are ASFF's own.
type ASFFFinding struct {
	SchemaVersion   string            `json:"SchemaVersion"`
	ID              string            `json:"Id"`
	ProductArn      string            `json:"ProductArn"`
	GeneratorID     string            `json:"GeneratorId"`
	AwsAccountID    string            `json:"AwsAccountId"`
	Types           []string          `json:"Types"`
	CreatedAt       string            `json:"CreatedAt"`
	UpdatedAt       string            `json:"UpdatedAt"`
	FirstObservedAt string            `json:"FirstObservedAt,omitempty"`
	LastObservedAt  string            `json:"LastObservedAt,omitempty"`
	Severity        ASFFSeverity      `json:"Severity"`
	Title           string            `json:"Title"`
	Description     string            `json:"Description"`
	Remediation     *ASFFRemediation  `json:"Remediation,omitempty"`
	ProductFields   map[string]string `json:"ProductFields,omitempty"`
	Resources       []ASFFResource    `json:"Resources"`
	Compliance      ASFFCompliance    `json:"Compliance"`
	Workflow        ASFFWorkflow      `json:"Workflow"`
	RecordState     string            `json:"RecordState"`
}

// ASFFSeverity is a finding's severity: Label is INFORMATIONAL, LOW, MEDIUM,
// HIGH or CRITICAL; Original is cmkguard's own name for it.
type ASFFSeverity struct {
	Label    string `json:"Label"`
	Original string `json:"Original,omitempty"`
}

// ASFFRemediation holds the recommended fix.
type ASFFRemediation struct {
	Recommendation ASFFRecommendation `json:"Recommendation"`
}

// ASFFRecommendation is the fix, as text and an optional documentation link.
type ASFFRecommendation struct {
	Text string `json:"Text,omitempty"`
	URL  string `json:"Url,omitempty"`
}

// ASFFResource is the resource a finding is about.
type ASFFResource struct {
	Type      string              `json:"Type"`
	ID        string              `json:"Id"`
	Partition string              `json:"Partition,omitempty"`
	Region    string              `json:"Region,omitempty"`
	Details   ASFFResourceDetails `json:"Details"`
}

// ASFFResourceDetails holds the one detail object that fits the resource type.
type ASFFResourceDetails struct {
	AwsDmsReplicationInstance *ASFFDmsReplicationInstance `json:"AwsDmsReplicationInstance,omitempty"`
	AwsDmsEndpoint            *ASFFDmsEndpoint            `json:"AwsDmsEndpoint,omitempty"`
	Other                     map[string]string           `json:"Other,omitempty"`
}

// ASFFDmsReplicationInstance is the AwsDmsReplicationInstance detail.
type ASFFDmsReplicationInstance struct {
	KmsKeyID                      string `json:"KmsKeyId,omitempty"`
	ReplicationInstanceIdentifier string `json:"ReplicationInstanceIdentifier,omitempty"`
}

// ASFFDmsEndpoint is the AwsDmsEndpoint detail.
type ASFFDmsEndpoint struct {
	KmsKeyID           string `json:"KmsKeyId,omitempty"`
	EndpointArn        string `json:"EndpointArn,omitempty"`
	EndpointIdentifier string `json:"EndpointIdentifier,omitempty"`
}

// ASFFCompliance is the compliance status (PASSED, FAILED or
// NOT_AVAILABLE), the framework controls the rule supports
// (RelatedRequirements, at most asffMaxRequirements) and the Security Hub
// standards among them (AssociatedStandards: only NIST SP 800-53 Rev. 5 has
// a Security Hub standard of the same version as the mapping).
type ASFFCompliance struct {
	Status              string                   `json:"Status"`
	RelatedRequirements []string                 `json:"RelatedRequirements,omitempty"`
	AssociatedStandards []ASFFAssociatedStandard `json:"AssociatedStandards,omitempty"`
}

// ASFFAssociatedStandard names a Security Hub standard by its StandardsId.
type ASFFAssociatedStandard struct {
	StandardsID string `json:"StandardsId"`
}

// asffMaxRequirements is ASFF's limit on Compliance.RelatedRequirements.
const asffMaxRequirements = 32

// asffStandards maps a framework to its Security Hub standard, where one
// exists for the same version.
var asffStandards = map[string]string{
	"NIST SP 800-53 Rev. 5": "standards/nist-800-53/v/5.0.0",
}

func asffCompliance(f *finding.Finding, rule finding.Rule) ASFFCompliance {
	c := ASFFCompliance{Status: asffComplianceStatus(f.Status)}
	seen := map[string]bool{}
	for _, ctl := range rule.Compliance {
		if len(c.RelatedRequirements) < asffMaxRequirements {
			c.RelatedRequirements = append(c.RelatedRequirements, truncateRunes(ctl.String(), asffMaxFieldValue))
		}
		if id, ok := asffStandards[ctl.Framework]; ok && !seen[id] {
			seen[id] = true
			c.AssociatedStandards = append(c.AssociatedStandards, ASFFAssociatedStandard{StandardsID: id})
		}
	}
	return c
}

// ASFFWorkflow is the workflow status a new finding starts in.
type ASFFWorkflow struct {
	Status string `json:"Status"`
}

// Write writes r's findings as {"Findings":[...]}.
func (a *ASFF) Write(w io.Writer, r *finding.Report) error {
	out := newJSONStream(w)
	out.raw("{\n  \"Findings\": [")
	n := 0
	for af, err := range a.All(r) {
		if err != nil {
			return fmt.Errorf("write ASFF: %w", err)
		}
		if n > 0 {
			out.raw(",")
		}
		out.raw("\n    ")
		out.value(af, "    ", true)
		n++
	}
	if n > 0 {
		out.raw("\n  ")
	}
	out.raw("]\n}\n")
	if err := out.close(); err != nil {
		return fmt.Errorf("write ASFF: %w", err)
	}
	return nil
}

// All yields r's findings in ASFF, one at a time, in the report's order.
// It yields an error (and stops) for a finding that cannot be expressed: no
// account, or a report without a time.
func (a *ASFF) All(r *finding.Report) iter.Seq2[ASFFFinding, error] {
	return func(yield func(ASFFFinding, error) bool) {
		if r == nil {
			yield(ASFFFinding{}, fmt.Errorf("no report"))
			return
		}
		if r.GeneratedAt == "" {
			yield(ASFFFinding{}, fmt.Errorf("the report has no generatedAt time"))
			return
		}
		rules, index := ruleCatalog(r)
		for i := range r.Findings {
			f := &r.Findings[i]
			af, err := a.finding(r, f, rules[index[f.RuleID]])
			if !yield(af, err) || err != nil {
				return
			}
		}
	}
}

func (a *ASFF) finding(r *finding.Report, f *finding.Finding, rule finding.Rule) (ASFFFinding, error) {
	account := firstNonEmpty(f.Account, a.Account)
	if !isAccountID(account) {
		return ASFFFinding{}, fmt.Errorf("finding %s on %s: ASFF needs a 12-digit account id, have %q (set the ASFF account)", f.RuleID, resourceIdentity(f), account)
	}
	region := firstNonEmpty(a.Region, f.Region)
	if region == "" {
		return ASFFFinding{}, fmt.Errorf("finding %s on %s: ASFF needs a region (set the ASFF region)", f.RuleID, resourceIdentity(f))
	}
	productAccount := firstNonEmpty(a.Account, account)
	partition := arnPartition(resourceIdentity(f))
	af := ASFFFinding{
		SchemaVersion:   asffSchemaVersion,
		ID:              asffID(f),
		ProductArn:      fmt.Sprintf("arn:%s:securityhub:%s:%s:product/%s/default", partition, region, productAccount, productAccount),
		GeneratorID:     f.RuleID,
		AwsAccountID:    account,
		Types:           []string{ASFFType},
		CreatedAt:       r.GeneratedAt,
		UpdatedAt:       r.GeneratedAt,
		FirstObservedAt: r.GeneratedAt,
		LastObservedAt:  r.GeneratedAt,
		Severity:        ASFFSeverity{Label: asffSeverityLabel(f), Original: string(f.Severity)},
		Title:           truncateRunes(firstNonEmpty(f.Title, rule.Title, f.RuleID), asffMaxTitle),
		Description:     truncateRunes(asffDescription(f), asffMaxDescription),
		ProductFields:   asffProductFields(r, f),
		Resources:       []ASFFResource{asffResource(f, partition)},
		Compliance:      asffCompliance(f, rule),
		Workflow:        ASFFWorkflow{Status: asffWorkflowStatus(f.Status)},
		RecordState:     "ACTIVE",
	}
	text := f.Remediation
	if text == "" && f.Status != finding.StatusPass {
		text = rule.Remediation
	}
	if text != "" {
		af.Remediation = &ASFFRemediation{Recommendation: ASFFRecommendation{Text: truncateRunes(text, asffMaxRemediation)}}
		if len(rule.References) > 0 {
			af.Remediation.Recommendation.URL = rule.References[0]
		}
	}
	return af, nil
}

// asffID is stable across runs: the same rule on the same resource is the
// same Security Hub finding, updated in place.
func asffID(f *finding.Finding) string {
	id := "cmkguard/" + f.RuleID + "/" + resourceIdentity(f)
	if len(id) > asffMaxID {
		sum := sha256.Sum256([]byte(id))
		id = "cmkguard/" + f.RuleID + "/" + hex.EncodeToString(sum[:])
	}
	return id
}

func asffDescription(f *finding.Finding) string {
	d := resourceLabel(f) + ": " + firstNonEmpty(f.Reason, f.Title)
	if f.KeyARN != "" {
		d += " Key: " + f.KeyARN + "."
	}
	if f.MissingPermission != "" {
		d += " Missing permission: " + f.MissingPermission + "."
	}
	if s := f.Suppression; s != nil {
		if s.Expired {
			d += " An expired suppression (" + s.Expires + ") no longer applies: " + s.Reason
		} else {
			d += " Suppressed: " + s.Reason
		}
	}
	return d
}

func asffProductFields(r *finding.Report, f *finding.Finding) map[string]string {
	fields := map[string]string{
		"cmkguard/RuleId":      f.RuleID,
		"cmkguard/ShortCode":   f.ShortCode,
		"cmkguard/Status":      string(f.Status),
		"cmkguard/ToolVersion": r.Tool.Version,
	}
	set := func(k, v string) {
		if v != "" {
			fields["cmkguard/"+k] = truncateRunes(v, asffMaxFieldValue)
		}
	}
	set("KeyArn", f.KeyARN)
	set("KeyAccount", f.KeyAccount)
	set("KeyManager", string(f.KeyManager))
	set("KeyState", f.KeyState)
	set("ProtectionLevel", string(f.ProtectionLevel))
	set("Evidence", string(f.Evidence))
	set("MissingPermission", f.MissingPermission)
	// The run's scope, on every finding: a rule not evaluated has none.
	set("Scope", strings.Join(r.Scope.Resources, ","))
	set("RulesNotEvaluated", notEvaluatedIDs(notEvaluated(r)))
	if f.Source.File != "" {
		set("SourceFile", fmt.Sprintf("%s:%d-%d", f.Source.File, f.Source.StartLine, f.Source.EndLine))
	}
	if s := f.Suppression; s != nil {
		set("SuppressionReason", s.Reason)
		set("SuppressionExpires", s.Expires)
		if s.Expired {
			set("SuppressionExpired", "true")
		}
	}
	for k, v := range fields {
		if v == "" {
			delete(fields, k)
		}
	}
	return fields
}

func asffResource(f *finding.Finding, partition string) ASFFResource {
	res := ASFFResource{ID: resourceIdentity(f), Partition: partition, Region: f.Region}
	switch f.ResourceType {
	case "AWS::DMS::ReplicationInstance":
		res.Type = "AwsDmsReplicationInstance"
		res.Details.AwsDmsReplicationInstance = &ASFFDmsReplicationInstance{KmsKeyID: f.KeyARN, ReplicationInstanceIdentifier: f.ResourceID}
		if f.Source.Address != "" && f.ResourceID == f.Source.Address {
			res.Details.AwsDmsReplicationInstance.ReplicationInstanceIdentifier = ""
		}
	case "AWS::DMS::Endpoint":
		res.Type = "AwsDmsEndpoint"
		res.Details.AwsDmsEndpoint = &ASFFDmsEndpoint{KmsKeyID: f.KeyARN, EndpointArn: f.ResourceARN, EndpointIdentifier: f.ResourceID}
	default:
		res.Type = "Other"
		res.Details.Other = map[string]string{"ResourceType": f.ResourceType}
		if f.ResourceID != "" {
			res.Details.Other["ResourceId"] = truncateRunes(f.ResourceID, asffMaxFieldValue)
		}
		if f.KeyARN != "" {
			res.Details.Other["KmsKeyId"] = f.KeyARN
		}
	}
	return res
}

func asffSeverityLabel(f *finding.Finding) string {
	if f.Status == finding.StatusPass {
		return "INFORMATIONAL"
	}
	switch f.Severity {
	case finding.SeverityCritical:
		return "CRITICAL"
	case finding.SeverityHigh:
		return "HIGH"
	case finding.SeverityMedium:
		return "MEDIUM"
	case finding.SeverityLow:
		return "LOW"
	}
	return "INFORMATIONAL"
}

func asffComplianceStatus(s finding.Status) string {
	switch s {
	case finding.StatusPass:
		return "PASSED"
	case finding.StatusUnknown:
		return "NOT_AVAILABLE"
	}
	return "FAILED"
}

func asffWorkflowStatus(s finding.Status) string {
	switch s {
	case finding.StatusPass:
		return "RESOLVED"
	case finding.StatusSuppressed:
		return "SUPPRESSED"
	}
	return "NEW"
}

// arnPartition returns the partition of an ARN that ASFF accepts (aws,
// aws-cn, aws-us-gov), or "aws".
func arnPartition(arn string) string {
	if rest, ok := strings.CutPrefix(arn, "arn:"); ok {
		p, _, _ := strings.Cut(rest, ":")
		switch p {
		case "aws-cn", "aws-us-gov":
			return p
		}
	}
	return "aws"
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// truncateRunes cuts s to at most max characters, ending with "…" when cut,
// without splitting a UTF-8 sequence.
func truncateRunes(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	runes := []rune(s)
	return string(runes[:max-1]) + "…"
}
