package analyse

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Input is one key's policy and what the analysis needs to know about the key.
type Input struct {
	// Policy is the key policy document, as kms:GetKeyPolicy returns it.
	Policy string
	// KeyAccount is the 12-digit account that owns the key.
	KeyAccount string
	// Region is the key's region; DMS calls KMS there as
	// dms.<region>.amazonaws.com.
	Region string
	// KeyARN, when known, lets a Resource that names the key be matched.
	KeyARN string
	// OrgID, when known, is the key account's organisation, so that
	// aws:PrincipalOrgID conditions can be judged for DMS callers.
	OrgID string
	// DMSAccounts are the accounts whose DMS resources use (or will use) the
	// key; empty means the key's own account.
	DMSAccounts []string
}

// Check names one judgement of the analysis.
type Check string

// The checks.
const (
	// CheckWorldAccess: may principals outside known accounts and the
	// organisation use or administer the key?
	CheckWorldAccess Check = "world-access"
	// CheckDMSAccess: may the principals of an account use the key through
	// DMS (kms:CreateGrant for AWS resources, kms:DescribeKey)?
	CheckDMSAccess Check = "dms-access"
)

// Verdict is PASS, FAIL or UNKNOWN, spelled as finding.Status spells them.
type Verdict string

// Verdicts.
const (
	Pass    Verdict = "PASS"
	Fail    Verdict = "FAIL"
	Unknown Verdict = "UNKNOWN"
)

// Basis says what lets DMS use the key, for a DMS access PASS.
type Basis string

const (
	// BasisKeyPolicy: the key policy itself allows the callers.
	BasisKeyPolicy Basis = "key-policy"
	// BasisIAM: the key policy leaves the decision to IAM policies of the
	// calling account (the account-root statement, or any cross-account
	// use), which the key policy does not show.
	BasisIAM Basis = "iam"
)

// Result is one check's verdict, with the facts a rule or a person needs.
type Result struct {
	Check   Check
	Verdict Verdict
	// Reason says why, for a person; it names the statements.
	Reason string
	// Statements are the statements behind the verdict, by Sid or as #N.
	Statements []string
	// Actions are the sensitive actions open to the world (world-access
	// FAIL or UNKNOWN), or the actions DMS needs that are not allowed
	// (dms-access FAIL or UNKNOWN).
	Actions []string
	// Account is the calling account judged (dms-access only).
	Account string
	// Basis is what allows DMS (dms-access PASS only).
	Basis Basis
	// ExplicitDeny is true when a Deny statement stops DMS (dms-access FAIL).
	ExplicitDeny bool
}

// Analysis is the whole judgement of one key policy.
type Analysis struct {
	World Result
	// DMS has one result per DMS account, in Input order.
	DMS []Result
	// ExternalPrincipals are the AWS principals of other accounts the
	// policy allows by name (sharing, not world access), sorted.
	ExternalPrincipals []string
}

// DMSActions are what a principal creating a DMS resource needs on the key,
// through DMS: DMS describes the key and creates a grant for the resource.
var DMSActions = []string{"kms:CreateGrant", "kms:DescribeKey"}

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?|sc)?-[a-z]+-[0-9]+$`)
)

// Analyse parses and judges in.Policy. It returns an error for input it
// cannot judge at all (a document that is not a policy, an account or
// region of the wrong shape); every other doubt is an UNKNOWN verdict.
func Analyse(in Input) (*Analysis, error) {
	if !accountRE.MatchString(in.KeyAccount) {
		return nil, fmt.Errorf("key account %q is not a 12-digit AWS account id", in.KeyAccount)
	}
	if !regionRE.MatchString(in.Region) {
		return nil, fmt.Errorf("region %q is not an AWS region name", in.Region)
	}
	for _, a := range in.DMSAccounts {
		if !accountRE.MatchString(a) {
			return nil, fmt.Errorf("DMS account %q is not a 12-digit AWS account id", a)
		}
	}
	if strings.TrimSpace(in.Policy) == "" {
		return nil, errors.New("key policy is empty")
	}
	stmts, err := Parse([]byte(in.Policy))
	if err != nil {
		return nil, err
	}
	a := &Analysis{World: worldAccess(stmts, in)}
	accounts := in.DMSAccounts
	if len(accounts) == 0 {
		accounts = []string{in.KeyAccount}
	}
	for _, acct := range accounts {
		a.DMS = append(a.DMS, dmsAccess(stmts, in, acct))
	}
	a.ExternalPrincipals = externalPrincipals(stmts, in.KeyAccount)
	return a, nil
}

// accountOf returns the account an AWS principal names: a bare account id
// or the account field of an IAM or STS ARN.
func accountOf(principal string) string {
	if accountRE.MatchString(principal) {
		return principal
	}
	parts := strings.SplitN(principal, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" && (parts[2] == "iam" || parts[2] == "sts") {
		return parts[4]
	}
	return ""
}

// isAccountPrincipal reports whether p names a whole account (its root).
func isAccountPrincipal(p, account string) bool {
	if p == account {
		return true
	}
	parts := strings.SplitN(p, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && parts[2] == "iam" && parts[4] == account && parts[5] == "root"
}

func externalPrincipals(stmts []statement, keyAccount string) []string {
	var out []string
	for i := range stmts {
		s := &stmts[i]
		if s.Effect != allow || s.NotPrincipal {
			continue
		}
		for _, p := range s.Principal.AWS {
			if acct := accountOf(p); acct != "" && acct != keyAccount && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	slices.Sort(out)
	return out
}

func names(stmts []*statement) []string {
	var out []string
	for _, s := range stmts {
		if n := s.Name(); !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func addOnce(list []*statement, s *statement) []*statement {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
