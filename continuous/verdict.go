package continuous

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/aws/aws-sdk-go-v2/aws"
	cstypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"

	"github.com/cmkguard/cmkguard/adapt/configevent"
	"github.com/cmkguard/cmkguard/finding"
)

// MaxAnnotation is the longest annotation PutEvaluations accepts.
const MaxAnnotation = 256

// Verdict is the rule's answer for one resource: the worst of the
// findings of every rule that applies to it.
type Verdict struct {
	ResourceType string
	ResourceID   string
	// ResourceARN is the resource's ARN (the account, for a region that
	// could not be listed).
	ResourceARN string
	Compliance  cstypes.ComplianceType
	Annotation  string
	// Status is the deciding finding's status; Finding is that finding
	// (nil for a verdict no finding decided: deleted, out of scope).
	Status  finding.Status
	Finding *finding.Finding
}

// rank orders statuses worst first: a FAIL of one rule decides, then an
// UNKNOWN, then a suppression, and PASS only when every rule passed.
func rank(s finding.Status) int {
	switch s {
	case finding.StatusFail:
		return 0
	case finding.StatusUnknown:
		return 1
	case finding.StatusSuppressed:
		return 2
	case finding.StatusPass:
		return 3
	}
	return 1 // an unrecognised status is not a pass
}

// Verdicts groups findings by resource and returns one verdict each,
// sorted by resource type and ARN. A finding about a region that could not
// be listed becomes a verdict on the account (AWS::::Account), since
// Config's evaluations are per account and region already.
func Verdicts(findings []finding.Finding) []Verdict {
	byResource := map[string][]finding.Finding{}
	var order []string
	for _, f := range findings {
		k := f.ResourceType + " " + f.ResourceARN
		if _, ok := byResource[k]; !ok {
			order = append(order, k)
		}
		byResource[k] = append(byResource[k], f)
	}
	var out []Verdict
	for _, k := range order {
		fs := byResource[k]
		slices.SortStableFunc(fs, func(a, b finding.Finding) int {
			return cmp.Or(cmp.Compare(rank(a.Status), rank(b.Status)), cmp.Compare(a.RuleID, b.RuleID))
		})
		worst := fs[0]
		v := Verdict{ResourceType: worst.ResourceType, ResourceID: worst.ResourceARN, ResourceARN: worst.ResourceARN, Status: worst.Status, Finding: &worst}
		if worst.ResourceType == "AWS::Region" || worst.ResourceType == "AWS::Account" {
			v.ResourceType, v.ResourceID = configevent.TypeAccount, worst.Account
		}
		v.Compliance = complianceOf(worst.Status)
		v.Annotation = annotation(&worst)
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b Verdict) int {
		return cmp.Or(cmp.Compare(a.ResourceType, b.ResourceType), cmp.Compare(a.ResourceID, b.ResourceID))
	})
	return out
}

// complianceOf maps a verdict to the compliance types a rule's function may
// report. INSUFFICIENT_DATA is not one of them (PutEvaluations refuses
// it), and UNKNOWN must never read as compliant, so UNKNOWN is
// NON_COMPLIANT; its annotation says UNKNOWN and why.
func complianceOf(s finding.Status) cstypes.ComplianceType {
	switch s {
	case finding.StatusPass:
		return cstypes.ComplianceTypeCompliant
	case finding.StatusSuppressed:
		return cstypes.ComplianceTypeNotApplicable
	}
	return cstypes.ComplianceTypeNonCompliant
}

// annotation says why, in at most MaxAnnotation characters, and names the
// key: "FAIL dms-instance-cmk, key arn:...: <reason>".
func annotation(f *finding.Finding) string {
	key := f.KeyARN
	if key == "" {
		key = "none reported"
	}
	label := string(f.Status)
	reason := f.Reason
	switch f.Status {
	case finding.StatusUnknown:
		label = "UNKNOWN (not verified, so not compliant)"
	case finding.StatusSuppressed:
		if f.Suppression != nil {
			reason = "suppressed until " + f.Suppression.Expires + ": " + f.Suppression.Reason
		}
	}
	prefix := fmt.Sprintf("%s %s, key %s: ", label, f.ShortCode, key)
	if f.ResourceType == "AWS::Region" || f.ResourceType == "AWS::Account" {
		prefix = fmt.Sprintf("%s %s, region %s: ", label, f.ShortCode, f.Region)
	}
	return Truncate(prefix+reason, MaxAnnotation)
}

// Truncate shortens s to at most max UTF-16 code units (the unit AWS
// counts string lengths in), ending it with "…" when it was cut.
func Truncate(s string, max int) string {
	if utf16Len(s) <= max {
		return s
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		w := utf16.RuneLen(r)
		if w < 0 {
			w = 1
		}
		if n+w > max-1 {
			break
		}
		b.WriteRune(r)
		n += w
	}
	return strings.TrimRight(b.String(), " ") + "…"
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if w := utf16.RuneLen(r); w > 0 {
			n += w
		} else {
			n++
		}
	}
	return n
}

// Evaluation is v as PutEvaluations takes it, ordered at at.
func (v Verdict) Evaluation(at time.Time) cstypes.Evaluation {
	e := cstypes.Evaluation{
		ComplianceResourceType: aws.String(v.ResourceType),
		ComplianceResourceId:   aws.String(v.ResourceID),
		ComplianceType:         v.Compliance,
		OrderingTimestamp:      aws.Time(at),
	}
	if v.Annotation != "" {
		e.Annotation = aws.String(Truncate(v.Annotation, MaxAnnotation))
	}
	return e
}

// notApplicable is a verdict no rule decided: the resource is gone, out of
// scope, or of a type cmkguard does not evaluate.
func notApplicable(resourceType, resourceID, why string) Verdict {
	return Verdict{ResourceType: resourceType, ResourceID: resourceID, Compliance: cstypes.ComplianceTypeNotApplicable,
		Annotation: Truncate(why, MaxAnnotation)}
}
