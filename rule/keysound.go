package rule

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/state"
)

const keyResourceType = "AWS::KMS::Key"

// keyUser is one DMS resource that uses a key.
type keyUser struct {
	noun, id, arn string
	// grant is true when DMS itself uses the key for the resource (a grant
	// for an AWS resource); false for an S3 or Redshift target's data key,
	// which S3 or Redshift uses on the endpoint's service role's behalf.
	grant bool
}

// usedKey is one distinct customer-managed key and the DMS resources of
// the state that use it.
type usedKey struct {
	key   state.Key
	users []keyUser
}

// usedKeys collects the customer-managed keys of every resource in s's
// scope, by key ARN, in ARN order. The key rules judge each key once,
// listing the resources that use it: an auditor asks "is this key sound?"
// once per key, and fixes it once.
func usedKeys(s *state.State) []*usedKey {
	byARN := map[string]*usedKey{}
	add := func(k state.Key, u keyUser) {
		if k.Manager != state.KeyManagerCustomer || k.ARN == "" {
			return
		}
		uk := byARN[k.ARN]
		if uk == nil {
			uk = &usedKey{key: k}
			byARN[k.ARN] = uk
		}
		uk.users = append(uk.users, u)
	}
	if s.InScope(state.KindInstances) {
		for _, r := range s.Instances {
			add(r.Key, keyUser{"instance", r.ID, r.ARN, true})
		}
	}
	if s.InScope(state.KindServerless) {
		for _, r := range s.ReplicationConfigs {
			add(r.Key, keyUser{"serverless config", r.ID, r.ARN, true})
		}
	}
	if s.InScope(state.KindEndpoints) {
		for _, r := range s.Endpoints {
			add(r.Key, keyUser{"endpoint", r.ID, r.ARN, true})
			add(r.TargetKey, keyUser{"target endpoint (data written)", r.ID, r.ARN, false})
			add(r.ContentKey, keyUser{"endpoint (" + r.ContentSettings + ")", r.ID, r.ARN, true})
		}
	}
	if s.InScope(state.KindInstanceProfiles) {
		for _, r := range s.InstanceProfiles {
			add(r.Key, keyUser{"instance profile", r.ID, r.ARN, true})
		}
	}
	if s.InScope(state.KindCertificates) {
		for _, r := range s.Certificates {
			add(r.Key, keyUser{"certificate", r.ID, r.ARN, true})
		}
	}
	if s.InScope(state.KindAssessmentRuns) {
		for _, r := range s.AssessmentRuns {
			add(r.Key, keyUser{"assessment run (results written)", r.ID, r.ARN, false})
		}
	}
	var out []*usedKey
	for _, uk := range byARN {
		out = append(out, uk)
	}
	slices.SortFunc(out, func(a, b *usedKey) int { return cmp.Compare(a.key.ARN, b.key.ARN) })
	return out
}

// usedBy names the resources that use the key, for a reason.
func (uk *usedKey) usedBy(grantOnly bool) string {
	var names []string
	for _, u := range uk.users {
		if grantOnly && !u.grant {
			continue
		}
		names = append(names, u.noun+" "+u.id)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	return fmt.Sprintf("used by %d DMS resource(s): %s", len(names), strings.Join(names, ", "))
}

func (uk *usedKey) hasGrantUser() bool {
	return slices.ContainsFunc(uk.users, func(u keyUser) bool { return u.grant })
}

// keyFinding starts a finding for rule m on the key itself.
func keyFinding(m finding.Rule, k state.Key) finding.Finding {
	id := k.ARN
	if i := strings.LastIndex(id, ":key/"); i >= 0 {
		id = id[i+len(":key/"):]
	}
	return finding.Finding{
		RuleID: m.ID, ShortCode: m.ShortCode, Title: m.Title, Severity: m.Severity,
		ResourceARN: k.ARN, ResourceID: id, ResourceType: keyResourceType,
		Region: k.Region, Account: k.Account, Source: state.Source{ARN: k.ARN},
		KeyARN: k.ARN, KeyAccount: k.Account, KeyManager: k.Manager, KeyState: k.State,
		ProtectionLevel: k.Protection(), Evidence: cmp.Or(k.Evidence, state.EvidenceNone),
	}
}

// policyUnknown fills f as UNKNOWN because the key's policy was not read.
func policyUnknown(f finding.Finding, p *state.KeyPolicy, used string) finding.Finding {
	f.Status = finding.StatusUnknown
	f.Reason = "the key policy could not be read: " + cmp.Or(p.UnknownReason, "no reason recorded") + "; " + used
	f.MissingPermission = p.MissingPermission
	f.Remediation = unknownRemediation(p.MissingPermission)
	return f
}

func statementsText(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return " (statements " + strings.Join(names, ", ") + ")"
}

// keyPolicyNotPublic is CMKG-DMS-007: no customer key a DMS resource uses
// may be open to the world.
type keyPolicyNotPublic struct{}

func (keyPolicyNotPublic) Kind() state.ResourceKind { return state.KindKeys }

func (keyPolicyNotPublic) Metadata() finding.Rule {
	return finding.Rule{
		ID:        "CMKG-DMS-007",
		ShortCode: "dms-key-policy-not-public",
		Title:     "KMS key policy of a DMS key is not open to the world",
		Severity:  finding.SeverityHigh,
		Description: "A customer-managed key protects DMS data only if its policy keeps other principals out. A statement " +
			"that lets \"*\" (or everyone outside a NotPrincipal) use or administer the key, with no condition limiting the " +
			"caller to known accounts or the organisation (kms:CallerAccount, aws:PrincipalAccount, aws:PrincipalOrgID, ...), " +
			"gives the control only on paper. kms:ViaService alone does not limit the caller. Judged once per key, from kms:GetKeyPolicy.",
		Remediation: "Limit the named statements to the key's account or organisation (add kms:CallerAccount or aws:PrincipalOrgID " +
			"conditions, or name the principals), then check the new policy with `cmkguard key-policy --check FILE` before " +
			"applying it with aws kms put-key-policy.",
		References: []string{
			"https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html",
			"https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyPolicy.html",
		},
		Compliance: keyPolicyControls,
	}
}

func (r keyPolicyNotPublic) Evaluate(s *state.State, _ Options) []finding.Finding {
	m := r.Metadata()
	var out []finding.Finding
	for _, uk := range usedKeys(s) {
		p := uk.key.Policy
		if p == nil {
			continue
		}
		f := keyFinding(m, uk.key)
		used := uk.usedBy(false)
		if !p.Read {
			out = append(out, policyUnknown(f, p, used))
			continue
		}
		w := p.World
		switch w.Verdict {
		case "PASS":
			f.Status = finding.StatusPass
			f.Reason = "the key policy lets no principal outside known accounts and the organisation use or administer the key: " + w.Reason + "; " + used
		case "FAIL":
			f.Status = finding.StatusFail
			f.Reason = fmt.Sprintf("the key policy is open to the world%s: %s; %s", statementsText(w.Statements), w.Reason, used)
			f.Remediation = fmt.Sprintf("Limit statement(s) %s of key %s to the key's account or organisation (a kms:CallerAccount or aws:PrincipalOrgID condition, or named principals), check the policy with `cmkguard key-policy --check FILE`, then apply it: aws kms put-key-policy --key-id %s --policy-name default --policy file://FILE",
				strings.Join(w.Statements, ", "), f.ResourceID, uk.key.ARN)
		default:
			f.Status = finding.StatusUnknown
			f.Reason = fmt.Sprintf("whether the key policy is open to the world cannot be decided%s: %s; %s", statementsText(w.Statements), w.Reason, used)
			f.Remediation = "Review the named statement(s): replace a condition cmkguard does not understand with one that limits the caller to known accounts or the organisation, or confirm it does and suppress this finding with a reason."
		}
		out = append(out, f)
	}
	return out
}

// keyPolicyAllowsDMS is CMKG-DMS-008: the policy of a key DMS resources use
// must let DMS use it (grants for AWS resources).
type keyPolicyAllowsDMS struct{}

func (keyPolicyAllowsDMS) Kind() state.ResourceKind { return state.KindKeys }

func (keyPolicyAllowsDMS) Metadata() finding.Rule {
	return finding.Rule{
		ID:        "CMKG-DMS-008",
		ShortCode: "dms-key-policy-allows-dms",
		Title:     "KMS key policy lets DMS use the key of existing DMS resources",
		Severity:  finding.SeverityCritical,
		Description: "DMS uses a customer key through grants it creates (kms:CreateGrant for an AWS resource, kms:DescribeKey) as " +
			"the principal that creates the resource. A policy that allows neither, or that denies them, makes new resources " +
			"impossible to create with the key and makes existing ones fail when they restart: critical for keys in use. " +
			"Where the key policy leaves the decision to IAM (the account-root statement), the IAM policies are not visible " +
			"to the audit and the verdict is UNKNOWN.",
		Remediation: "Let the principals that create DMS resources call kms:CreateGrant (with kms:GrantIsForAWSResource) and " +
			"kms:DescribeKey through dms.<region>.amazonaws.com in the key policy (`cmkguard key-policy` generates such a " +
			"policy), and remove any Deny that stops them.",
		References: []string{
			"https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Security.html#CHAP_Security.EncryptionKey",
			"https://docs.aws.amazon.com/kms/latest/developerguide/grants.html",
		},
		Compliance: keyUsable,
	}
}

func (r keyPolicyAllowsDMS) Evaluate(s *state.State, _ Options) []finding.Finding {
	m := r.Metadata()
	var out []finding.Finding
	for _, uk := range usedKeys(s) {
		p := uk.key.Policy
		if p == nil || !uk.hasGrantUser() {
			continue
		}
		f := keyFinding(m, uk.key)
		used := uk.usedBy(true)
		if !p.Read {
			out = append(out, policyUnknown(f, p, used))
			continue
		}
		out = append(out, dmsUseFinding(f, p.DMS, uk.key.ARN, used))
	}
	return out
}

// dmsUseFinding turns the per-account DMS results into one verdict: the
// worst of them.
func dmsUseFinding(f finding.Finding, checks []state.PolicyCheck, keyARN, used string) finding.Finding {
	if len(checks) == 0 {
		f.Status = finding.StatusUnknown
		f.Reason = "the key policy was read but no DMS account was judged; " + used
		f.Remediation = unknownRemediation("")
		return f
	}
	var fail, unknown, iam, pass []string
	for _, c := range checks {
		who := "account " + cmp.Or(c.Account, "?")
		switch {
		case c.Verdict == "FAIL":
			what := "nothing allows it"
			if c.ExplicitDeny {
				what = "a Deny stops it"
			}
			fail = append(fail, fmt.Sprintf("%s: %s%s: %s", who, what, statementsText(c.Statements), c.Reason))
		case c.Verdict == "PASS" && c.Basis == "key-policy":
			pass = append(pass, who+": "+c.Reason)
		case c.Verdict == "PASS":
			iam = append(iam, who+": "+c.Reason)
		default:
			unknown = append(unknown, fmt.Sprintf("%s%s: %s", who, statementsText(c.Statements), c.Reason))
		}
	}
	switch {
	case len(fail) > 0:
		f.Status = finding.StatusFail
		f.Reason = "the key policy does not let DMS use the key (" + strings.Join(fail, "; ") + "): existing resources fail when they restart, and new ones cannot be created; " + used
		f.Remediation = fmt.Sprintf("Allow kms:CreateGrant (kms:GrantIsForAWSResource true) and kms:DescribeKey through dms.<region>.amazonaws.com to the principals that create DMS resources in the policy of key %s, and remove any Deny that stops them (`cmkguard key-policy` generates such a policy; check yours with `cmkguard key-policy --check FILE`).", keyARN)
	case len(unknown) > 0:
		f.Status = finding.StatusUnknown
		f.Reason = "whether DMS may use the key cannot be decided from the key policy (" + strings.Join(unknown, "; ") + "); " + used
		f.Remediation = "Review the named statement(s); `cmkguard key-policy --check FILE` shows the analysis."
	case len(iam) > 0:
		f.Status = finding.StatusUnknown
		f.Reason = "the key policy leaves the decision to IAM (" + strings.Join(iam, "; ") + "), and the IAM policies of the principals that create DMS resources are not visible to the audit; " + used
		f.Remediation = "Confirm that the IAM policies of the principals that create or restart these DMS resources allow kms:CreateGrant and kms:DescribeKey on the key, or state it in the key policy itself (`cmkguard key-policy` generates such a policy)."
	default:
		f.Status = finding.StatusPass
		f.Reason = "the key policy lets DMS use the key (" + strings.Join(pass, "; ") + "); " + used
	}
	return f
}

// keyRotation is CMKG-DMS-009: a symmetric customer key whose material KMS
// generated must rotate automatically.
type keyRotation struct{}

func (keyRotation) Kind() state.ResourceKind { return state.KindKeys }

func (keyRotation) Metadata() finding.Rule {
	return finding.Rule{
		ID:        "CMKG-DMS-009",
		ShortCode: "dms-key-rotation",
		Title:     "KMS key of DMS resources rotates automatically",
		Severity:  finding.SeverityMedium,
		Description: "KMS rotates the material of a symmetric encryption key it generated (origin AWS_KMS) when automatic " +
			"rotation is enabled, every 90 to 2560 days (365 by default), keeping old material to decrypt old data. Keys " +
			"whose material KMS cannot rotate (imported material, CloudHSM and external key stores, asymmetric and HMAC " +
			"keys) are not judged. Read once per key with kms:GetKeyRotationStatus.",
		Remediation: "Enable automatic rotation: aws kms enable-key-rotation --key-id KEY --rotation-period-in-days 365.",
		References: []string{
			"https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html",
			"https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyRotationStatus.html",
		},
		Compliance: keyRotationControls,
	}
}

func (r keyRotation) Evaluate(s *state.State, _ Options) []finding.Finding {
	m := r.Metadata()
	var out []finding.Finding
	for _, uk := range usedKeys(s) {
		rot := uk.key.Rotation
		if rot == nil || (rot.Read && !rot.Applies) {
			continue
		}
		f := keyFinding(m, uk.key)
		used := uk.usedBy(false)
		switch {
		case !rot.Read:
			f.Status = finding.StatusUnknown
			f.Reason = "the key's rotation status could not be read: " + cmp.Or(rot.UnknownReason, "no reason recorded") + "; " + used
			f.MissingPermission = rot.MissingPermission
			f.Remediation = unknownRemediation(rot.MissingPermission)
		case rot.Enabled:
			f.Status = finding.StatusPass
			f.Reason = fmt.Sprintf("KMS rotates the key's material automatically every %d days", rot.PeriodDays)
			if rot.NextRotation != "" {
				f.Reason += ", next on " + rot.NextRotation
			}
			f.Reason += "; " + used
		default:
			f.Status = finding.StatusFail
			f.Reason = "automatic rotation is disabled (rotation period: none; KMS would rotate every 365 days by default once enabled), so the key's material never changes; " + used
			f.Remediation = fmt.Sprintf("Enable automatic rotation: aws kms enable-key-rotation --key-id %s --rotation-period-in-days 365 (any period from 90 to 2560 days; DMS keeps working, old data stays readable).", uk.key.ARN)
		}
		out = append(out, f)
	}
	return out
}
