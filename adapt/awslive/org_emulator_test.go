package awslive_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/adapt/awslive"
	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/internal/awsemu"
	"github.com/cmkguard/cmkguard/internal/cli/permissions"
	"github.com/cmkguard/cmkguard/rule"
)

// Accounts of the organization estate: the management account (the
// caller), two members, one whose role is denied, one suspended.
const (
	orgMember    = "222233334444"
	orgDenied    = "333344445555"
	orgSuspended = "777788889999"
)

// orgEstate is an organization of four accounts: three active (one of them
// denies the audit role) and one suspended; two regions.
func orgEstate() *awsemu.Estate {
	const east, west = "us-east-1", "eu-west-1"
	deniedRole := "arn:aws:iam::" + orgDenied + ":role/" + awslive.DefaultRoleName
	return &awsemu.Estate{
		DefaultAccount: me,
		Accounts: []awsemu.EstateAccount{
			{ID: me, Name: "management"}, {ID: orgMember, Name: "payments"},
			{ID: orgDenied, Name: "locked-down"}, {ID: orgSuspended, Name: "old-sandbox", Status: "SUSPENDED"},
		},
		Organization: &awsemu.EstateOrganization{ID: "o-a1b2c3d4e5", ManagementAccount: me},
		// The role Organizations creates in the accounts it created; the
		// emulator answers AccessDenied for any role not declared.
		Roles: []string{
			"arn:aws:iam::" + orgMember + ":role/" + awslive.DefaultRoleName, deniedRole,
			"arn:aws:iam::" + orgSuspended + ":role/" + awslive.DefaultRoleName,
		},
		Regions: []awsemu.EstateRegion{{Name: east}, {Name: west}, {Name: "af-south-1", OptInStatus: "not-opted-in"}},
		Keys: []awsemu.EstateKey{
			{ID: "aaaaaaaa-1111-0000-0000-000000000001", Account: me, Region: east},
			{ID: "aaaaaaaa-2222-0000-0000-000000000001", Account: orgMember, Region: west},
			{ID: "aaaaaaaa-3333-0000-0000-000000000001", Account: orgDenied, Region: east},
		},
		ReplicationInstances: []awsemu.EstateReplicationInstance{
			{ID: "mgmt-default", Account: me, Region: east},
			{ID: "mgmt-cmk", Account: me, Region: east, KmsKey: keyARN(east, me, "aaaaaaaa-1111-0000-0000-000000000001")},
			{ID: "member-default", Account: orgMember, Region: west},
			{ID: "member-cmk", Account: orgMember, Region: west, KmsKey: keyARN(west, orgMember, "aaaaaaaa-2222-0000-0000-000000000001")},
			{ID: "hidden-cmk", Account: orgDenied, Region: east, KmsKey: keyARN(east, orgDenied, "aaaaaaaa-3333-0000-0000-000000000001")},
			{ID: "suspended-default", Account: orgSuspended, Region: east},
		},
		Deny: []awsemu.DenyRule{{Action: "sts:AssumeRole", Resource: deniedRole}},
	}
}

func TestScanOrganizationOfTheEmulator(t *testing.T) {
	t.Parallel()
	srv, cfg := startEmulator(t, orgEstate())
	st, stats, err := awslive.ScanOrganization(context.Background(), cfg, awslive.OrgOptions{Organization: true}, awslive.Options{})
	if err != nil {
		t.Fatalf("ScanOrganization: %v", err)
	}
	const cmk = "dms-instance-cmk"
	pass, fail, unknown := finding.StatusPass, finding.StatusFail, finding.StatusUnknown
	got := map[string]finding.Status{}
	var deniedFinding finding.Finding
	for _, f := range rule.Evaluate(&st, rule.Options{}) {
		if f.ShortCode != cmk {
			continue
		}
		got[f.Account+" "+f.ResourceID] = f.Status
		if f.Account == orgDenied {
			deniedFinding = f
			if f.Status == pass {
				t.Errorf("a PASS for the account whose role was denied: %+v", f)
			}
		}
	}
	want := map[string]finding.Status{
		me + " mgmt-default": fail, me + " mgmt-cmk": pass,
		orgMember + " member-default": fail, orgMember + " member-cmk": pass,
		orgDenied + " " + orgDenied: unknown,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CMKG-DMS-001 verdicts by account (-want +got):\n%s", diff)
	}
	for _, phrase := range []string{"could not assume arn:aws:iam::" + orgDenied + ":role/OrganizationAccountAccessRole", "sts:AssumeRole was denied"} {
		if !strings.Contains(deniedFinding.Reason, phrase) {
			t.Errorf("the denied account's reason %q does not contain %q", deniedFinding.Reason, phrase)
		}
	}
	if deniedFinding.MissingPermission != "sts:AssumeRole" || deniedFinding.ResourceType != "AWS::Account" {
		t.Errorf("the denied account's finding: permission %q, type %q; want sts:AssumeRole, AWS::Account", deniedFinding.MissingPermission, deniedFinding.ResourceType)
	}

	regions := map[string]string{}
	for _, r := range st.Regions {
		regions[r.Account+" "+r.Region] = string(r.Status)
	}
	wantRegions := map[string]string{
		me + " us-east-1": "scanned", me + " eu-west-1": "scanned", me + " af-south-1": "skipped",
		orgMember + " us-east-1": "scanned", orgMember + " eu-west-1": "scanned", orgMember + " af-south-1": "skipped",
		orgDenied + " *": "failed", orgSuspended + " *": "skipped",
	}
	if diff := cmp.Diff(wantRegions, regions); diff != "" {
		t.Errorf("regions (-want +got):\n%s", diff)
	}
	rep := rule.NewReport(&st, rule.Evaluate(&st, rule.Options{}), finding.Tool{Name: "cmkguard"}, time.Now())
	if diff := cmp.Diff([]string{me, orgMember, orgDenied, orgSuspended}, rep.Accounts); diff != "" {
		t.Errorf("report accounts (-want +got):\n%s", diff)
	}

	// The caller's account is scanned with the caller's own credentials:
	// one AssumeRole per other active account, none for the suspended one.
	if n := stats.Calls()["sts:AssumeRole"]; n != 2 {
		t.Errorf("sts:AssumeRole called %d times, want 2 (member and denied)", n)
	}
	if n := stats.Calls()["organizations:ListAccounts"]; n != 1 {
		t.Errorf("organizations:ListAccounts called %d times, want 1", n)
	}
	for _, e := range srv.Requests() {
		if e.Action() == "sts:AssumeRole" && strings.Contains(e.Resource, orgSuspended) {
			t.Errorf("the suspended account's role was assumed")
		}
	}
}

func TestScanAccountsGivenByID(t *testing.T) {
	t.Parallel()
	srv, cfg := startEmulator(t, orgEstate())
	// The member's role may not list regions: its given region is scanned
	// unchecked, and the warning names the account.
	srv.AddDeny(awsemu.DenyRule{Action: "ec2:DescribeRegions", Account: orgMember})
	var warnings []string
	st, _, err := awslive.ScanOrganization(context.Background(), cfg,
		awslive.OrgOptions{Accounts: []string{orgMember, orgDenied, orgMember}, MaxParallel: 1},
		awslive.Options{Regions: []string{"eu-west-1"}, Warn: func(w string) { warnings = append(warnings, w) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.HasPrefix(warnings[0], "account "+orgMember+": could not check the regions given (eu-west-1)") {
		t.Errorf("warnings %q, want one naming account %s", warnings, orgMember)
	}
	got := map[string]string{}
	for _, r := range st.Regions {
		got[r.Account+" "+r.Region] = string(r.Status)
	}
	want := map[string]string{orgMember + " eu-west-1": "scanned", orgDenied + " *": "failed"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("regions (-want +got):\n%s", diff)
	}
	if len(st.Instances) != 2 {
		t.Errorf("%d instances, want the member's 2", len(st.Instances))
	}
}

func TestTheOrgAuditPolicyCoversEveryCallTheCallerMakes(t *testing.T) {
	t.Parallel()
	srv, cfg := startEmulator(t, orgEstate())
	if _, _, err := awslive.ScanOrganization(context.Background(), cfg, awslive.OrgOptions{Organization: true}, awslive.Options{}); err != nil {
		t.Fatal(err)
	}
	// What the caller does (in its own account, and to reach the others)
	// is `permissions audit --org`; what the roles do is `permissions audit`.
	callerPolicy := permissions.OrgAuditPolicy(awslive.DefaultRoleName)
	allowed := append(callerPolicy.Actions(), "sts:GetCallerIdentity")
	rolePolicy := append(permissions.AuditPolicy().Actions(), "sts:GetCallerIdentity")
	for _, e := range srv.Requests() {
		policy := allowed
		if e.Account != me {
			policy = rolePolicy
		}
		if !slices.Contains(policy, e.Action()) {
			t.Errorf("account %s called %s, which its policy does not grant", e.Account, e.Action())
		}
		if e.Action() == "sts:AssumeRole" && !strings.HasPrefix(e.Resource, "arn:aws:iam::") {
			t.Errorf("AssumeRole on %q", e.Resource)
		}
	}
	last := callerPolicy.Statement[len(callerPolicy.Statement)-1]
	if last.Resource != "arn:aws:iam::*:role/"+awslive.DefaultRoleName {
		t.Errorf("the policy grants sts:AssumeRole on %q", last.Resource)
	}
}
