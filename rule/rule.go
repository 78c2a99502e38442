package rule

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/state"
)

// Options are the policy choices a team makes; the zero value is the
// default policy (any customer-managed key passes, keys in any account are
// accepted and shown as such).
type Options struct {
	// MinProtection is the lowest protection level that passes; a
	// customer-managed key below it FAILs. ProtectionNone means any
	// customer-managed key passes.
	MinProtection state.ProtectionLevel
	// TrustedKeyAccounts, when not empty, lists the accounts (besides the
	// resource's own) whose keys are accepted; a key owned by any other
	// account FAILs.
	TrustedKeyAccounts []string
}

// Rule is one check over the state.
type Rule interface {
	// Metadata describes the rule: stable id, short code, severity, fix.
	Metadata() finding.Rule
	// Kind is the resource kind the rule judges; a state whose scope
	// leaves it out is not evaluated by the rule.
	Kind() state.ResourceKind
	// Evaluate returns one finding per resource the rule applies to, plus
	// an UNKNOWN finding per region whose listing of the rule's kind failed.
	Evaluate(s *state.State, opts Options) []finding.Finding
}

// All returns every rule, in id order.
func All() []Rule {
	return []Rule{instanceCMK{}, instanceKeyUsable{}, serverlessCMK{}, serverlessKeyUsable{}, endpointCMK{}, targetSSEKMS{},
		keyPolicyNotPublic{}, keyPolicyAllowsDMS{}, keyRotation{}, instanceProfileCMK{}, certificateCMK{},
		docDBContentCMK, mongoDBContentCMK, assessmentResultsSSEKMS{}}
}

// Metadata returns the metadata of every rule, in id order.
func Metadata() []finding.Rule {
	var out []finding.Rule
	for _, r := range All() {
		out = append(out, r.Metadata())
	}
	return out
}

// Lookup finds a rule by its id or short code (case-insensitive).
func Lookup(idOrShortCode string) (Rule, bool) {
	for _, r := range All() {
		m := r.Metadata()
		if strings.EqualFold(m.ID, idOrShortCode) || strings.EqualFold(m.ShortCode, idOrShortCode) {
			return r, true
		}
	}
	return nil, false
}

// Evaluate runs every rule whose kind is in s's scope over s and returns
// the findings in a deterministic order: by account, region, resource ARN,
// then rule id. NewReport names the rules it did not run.
func Evaluate(s *state.State, opts Options) []finding.Finding {
	var out []finding.Finding
	for _, r := range All() {
		if !s.InScope(r.Kind()) {
			continue
		}
		out = append(out, r.Evaluate(s, opts)...)
	}
	Sort(out)
	return out
}

// Sort orders findings by account, region, resource ARN and rule id, the
// order every report uses.
func Sort(fs []finding.Finding) {
	slices.SortStableFunc(fs, func(a, b finding.Finding) int {
		return cmp.Or(
			cmp.Compare(a.Account, b.Account),
			cmp.Compare(a.Region, b.Region),
			cmp.Compare(a.ResourceARN, b.ResourceARN),
			cmp.Compare(a.RuleID, b.RuleID),
		)
	})
}

// ValidateOptions checks opts for values no rule understands.
func ValidateOptions(opts Options) error {
	if opts.MinProtection != state.ProtectionNone && opts.MinProtection.Rank() == 0 {
		return fmt.Errorf("unknown protection level %q (want one of %s)", opts.MinProtection, ProtectionLevelNames())
	}
	for _, a := range opts.TrustedKeyAccounts {
		if !isAccountID(a) {
			return fmt.Errorf("trusted key account %q is not a 12-digit AWS account id", a)
		}
	}
	return nil
}

// ProtectionLevelNames lists the protection levels, lowest first, for messages.
func ProtectionLevelNames() string {
	var names []string
	for _, l := range state.ProtectionLevels {
		names = append(names, string(l))
	}
	return strings.Join(names, ", ")
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

// wholeAccount is the region of a state.RegionScan that stands for a whole
// account (adapt/awslive's AllRegions).
const wholeAccount = "*"

// regionFindings turns every region whose listing of kind failed into an
// UNKNOWN finding for rule m, a rule over kind: a region that could not be
// read is never silently dropped, and it is filed under the rules of the
// resources that could not be listed. noun names them in the reason.
func regionFindings(s *state.State, m finding.Rule, kind state.ResourceKind, noun string) []finding.Finding {
	if !s.InScope(kind) {
		return nil
	}
	var out []finding.Finding
	for _, r := range s.Regions {
		why, missingPermission, failed := r.FailureFor(kind)
		if !failed {
			continue
		}
		reason := "the region could not be fully scanned"
		if why != "" {
			reason += ": " + why
		}
		reason += "; the " + noun + " that could not be listed were not checked"
		scope, resourceID := "AWS::Region", r.Region
		if r.Region == wholeAccount {
			resourceID = r.Account
			// An account none of whose regions could be listed (its role
			// could not be assumed): one finding per rule for the account.
			scope = "AWS::Account"
			reason = cmp.Or(why, "the account could not be scanned") + "; none of its " + noun + " were checked"
		}
		out = append(out, finding.Finding{
			RuleID:            m.ID,
			ShortCode:         m.ShortCode,
			Title:             m.Title,
			Severity:          m.Severity,
			Status:            finding.StatusUnknown,
			ResourceARN:       regionARN(r),
			ResourceID:        resourceID,
			ResourceType:      scope,
			Region:            r.Region,
			Account:           r.Account,
			Reason:            reason,
			Remediation:       unknownRemediation(missingPermission),
			MissingPermission: missingPermission,
		})
	}
	return out
}

// regionARN names a region's DMS resources as a whole, so that a region
// finding has an ARN-shaped resource that suppressions can match.
func regionARN(r state.RegionScan) string {
	return fmt.Sprintf("arn:%s:dms:%s:%s:*", partitionOf(r.Region), r.Region, r.Account)
}

// partitionOf returns the ARN partition of a region name: aws-cn for
// China, aws-us-gov for GovCloud, aws-iso* for the isolated regions, aws
// otherwise.
func partitionOf(region string) string {
	for _, p := range []struct{ prefix, partition string }{
		{"cn-", "aws-cn"}, {"us-gov-", "aws-us-gov"}, {"us-isob-", "aws-iso-b"}, {"us-isof-", "aws-iso-f"},
		{"us-iso-", "aws-iso"}, {"eu-isoe-", "aws-iso-e"}, {"eusc-", "aws-eusc"},
	} {
		if strings.HasPrefix(region, p.prefix) {
			return p.partition
		}
	}
	return "aws"
}

func unknownRemediation(missingPermission string) string {
	if missingPermission == "sts:AssumeRole" {
		return "Grant the auditing principal sts:AssumeRole on the role (see `cmkguard permissions audit --org`), make sure the role exists in the account and trusts the auditing principal, then run the audit again."
	}
	if missingPermission != "" {
		return fmt.Sprintf("Grant the auditing principal %s (see `cmkguard permissions audit`), then run the audit again.", missingPermission)
	}
	return "Fix the cause above (network, throttling, a deleted key) and run the audit again; until then treat the resource as non-compliant."
}
