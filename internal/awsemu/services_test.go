package awsemu_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/internal/awsemu"
)

func TestDescribeRegionsShowsOptInRegionsOnlyWhenAsked(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	if err := e.srv.LoadEstate(&awsemu.Estate{Regions: []awsemu.EstateRegion{{Name: "us-east-1"}, {Name: "eu-west-1"}, {Name: "af-south-1", OptInStatus: "not-opted-in"}, {Name: "ap-east-1", OptInStatus: "opted-in"}}}); err != nil {
		t.Fatal(err)
	}
	names := func(in *ec2.DescribeRegionsInput) []string {
		t.Helper()
		out, err := e.ec2().DescribeRegions(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		var n []string
		for _, r := range out.Regions {
			n = append(n, *r.RegionName+"/"+*r.OptInStatus)
		}
		return n
	}
	tests := []struct {
		name string
		in   ec2.DescribeRegionsInput
		want []string
	}{
		{"by default only enabled regions", ec2.DescribeRegionsInput{}, []string{"us-east-1/opt-in-not-required", "eu-west-1/opt-in-not-required", "ap-east-1/opted-in"}},
		{"AllRegions adds the disabled ones", ec2.DescribeRegionsInput{AllRegions: aws.Bool(true)}, []string{"us-east-1/opt-in-not-required", "eu-west-1/opt-in-not-required", "af-south-1/not-opted-in", "ap-east-1/opted-in"}},
		{"a filter on opt-in-status", ec2.DescribeRegionsInput{AllRegions: aws.Bool(true), Filters: []ec2types.Filter{{Name: aws.String("opt-in-status"), Values: []string{"not-opted-in"}}}}, []string{"af-south-1/not-opted-in"}},
		{"named regions", ec2.DescribeRegionsInput{RegionNames: []string{"eu-west-1"}}, []string{"eu-west-1/opt-in-not-required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, names(&tt.in)); diff != "" {
				t.Errorf("regions (-want +got):\n%s", diff)
			}
		})
	}
	_, err := e.ec2().DescribeRegions(ctx, &ec2.DescribeRegionsInput{RegionNames: []string{"mars-north-1"}})
	if got := errorCode(t, err); got != "InvalidParameterValue" {
		t.Errorf("an unknown region: code %q", got)
	}
}

func TestAssumeRoleCredentialsActAsTheRolesAccount(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	estate := &awsemu.Estate{
		Accounts: []awsemu.EstateAccount{{ID: "111122223333"}, {ID: "444455556666"}},
		Roles:    []string{"arn:aws:iam::444455556666:role/CmkguardAudit"},
		Keys:     []awsemu.EstateKey{{ID: "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d", Account: "444455556666"}},
	}
	if err := e.srv.LoadEstate(estate); err != nil {
		t.Fatal(err)
	}
	me, err := e.sts().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *me.Account != "111122223333" {
		t.Errorf("default account = %s", *me.Account)
	}
	out, err := e.sts().AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::444455556666:role/CmkguardAudit"), RoleSessionName: aws.String("cmkguard"), DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(*out.Credentials.AccessKeyId, "ASIA") || out.Credentials.Expiration == nil {
		t.Errorf("credentials = %+v", out.Credentials)
	}
	role := e.as(*out.Credentials.AccessKeyId, *out.Credentials.SessionToken)
	who, err := role.sts().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"444455556666", "arn:aws:sts::444455556666:assumed-role/CmkguardAudit/cmkguard"}, []string{*who.Account, *who.Arn}); diff != "" {
		t.Errorf("identity (-want +got):\n%s", diff)
	}
	keys, err := role.kms().ListKeys(ctx, &kms.ListKeysInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys.Keys) != 1 || *keys.Keys[0].KeyId != "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d" {
		t.Errorf("the role sees keys %+v, want its account's one key", keys.Keys)
	}
	refusals := []struct {
		name string
		in   sts.AssumeRoleInput
		want string
	}{
		{"a role of an unknown account", sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::999999999999:role/x"), RoleSessionName: aws.String("s1")}, "AccessDenied"},
		{"a role the estate does not declare, in a known account", sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::444455556666:role/NotThere"), RoleSessionName: aws.String("s1")}, "AccessDenied"},
		{"a malformed role ARN", sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::role"), RoleSessionName: aws.String("s1")}, "ValidationError"},
		{"a session name with spaces", sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::444455556666:role/x"), RoleSessionName: aws.String("a b")}, "ValidationError"},
		{"a too short duration", sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::444455556666:role/x"), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(60)}, "ValidationError"},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			_, err := e.sts().AssumeRole(ctx, &r.in)
			if got := errorCode(t, err); got != r.want {
				t.Errorf("code = %q, want %q", got, r.want)
			}
		})
	}
}

func TestOrganizationsListsAccountsInPagesWithSuspendedOnes(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	_, err := e.orgs().DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if got := errorCode(t, err); got != "AWSOrganizationsNotInUseException" {
		t.Errorf("without an organization: code %q", got)
	}
	estate := &awsemu.Estate{Organization: &awsemu.EstateOrganization{ID: "o-a1b2c3d4e5", ManagementAccount: "111122223333"}}
	var want []string
	for i := range 25 {
		id := fmt.Sprintf("1000000000%02d", i)
		if i == 0 {
			id = "111122223333"
		}
		status := "ACTIVE"
		if i%10 == 7 {
			status = "SUSPENDED"
		}
		estate.Accounts = append(estate.Accounts, awsemu.EstateAccount{ID: id, Name: "acct-" + id, Email: id + "@example.com", Status: status})
		want = append(want, id+"/"+status)
	}
	if err := e.srv.LoadEstate(estate); err != nil {
		t.Fatal(err)
	}
	org, err := e.orgs().DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *org.Organization.Id != "o-a1b2c3d4e5" || *org.Organization.MasterAccountId != "111122223333" {
		t.Errorf("organization = %+v", org.Organization)
	}
	var got []string
	pages := 0
	for p := organizations.NewListAccountsPaginator(e.orgs(), &organizations.ListAccountsInput{MaxResults: aws.Int32(10)}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, a := range out.Accounts {
			got = append(got, *a.Id+"/"+string(a.Status))
		}
	}
	if diff := cmp.Diff(want, got); diff != "" || pages != 3 {
		t.Errorf("%d pages (-want +got):\n%s", pages, diff)
	}
	member := e.as("AKIAMEMBER", "")
	if err := e.srv.LoadEstate(&awsemu.Estate{Accounts: estate.Accounts, Organization: estate.Organization, Credentials: []awsemu.EstateCredential{{AccessKeyID: "AKIAMEMBER", Account: "100000000005"}}}); err != nil {
		t.Fatal(err)
	}
	_, err = member.orgs().ListAccounts(ctx, &organizations.ListAccountsInput{})
	if got := errorCode(t, err); got != "AccessDeniedException" {
		t.Errorf("a member account listing accounts: code %q", got)
	}
}

func finding(id string) shtypes.AwsSecurityFinding {
	return shtypes.AwsSecurityFinding{
		SchemaVersion: aws.String("2018-10-08"), Id: aws.String(id),
		ProductArn:  aws.String("arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default"),
		GeneratorId: aws.String("cmkguard/CMKG-DMS-001"), AwsAccountId: aws.String("111122223333"),
		CreatedAt: aws.String("2026-11-27T15:00:00Z"), UpdatedAt: aws.String("2026-11-27T15:00:00Z"),
		Title: aws.String("DMS instance uses the AWS-managed key"), Description: aws.String("..."),
		Severity:  &shtypes.Severity{Label: shtypes.SeverityLabelHigh},
		Resources: []shtypes.Resource{{Type: aws.String("AwsDmsReplicationInstance"), Id: aws.String("arn:aws:dms:us-east-1:111122223333:rep:ABC")}},
		Types:     []string{"Software and Configuration Checks"},
	}
}

func TestBatchImportFindingsValidatesASFF(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	c := e.securityhub()
	noTitle := finding("f-3")
	noTitle.Title = aws.String("") // the SDK refuses nil itself
	noSeverity := finding("f-4")
	noSeverity.Severity = nil
	providerSeverity := finding("f-5")
	providerSeverity.Severity = nil
	providerSeverity.FindingProviderFields = &shtypes.FindingProviderFields{Severity: &shtypes.FindingProviderSeverity{Label: shtypes.SeverityLabelHigh}}
	out, err := c.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{finding("f-1"), finding("f-2"), noTitle, noSeverity, providerSeverity}})
	if err != nil {
		t.Fatal(err)
	}
	if *out.SuccessCount != 3 || *out.FailedCount != 2 {
		t.Errorf("success %d failed %d, want 3 and 2", *out.SuccessCount, *out.FailedCount)
	}
	var failed []string
	for _, f := range out.FailedFindings {
		failed = append(failed, *f.Id+": "+*f.ErrorCode)
	}
	if diff := cmp.Diff([]string{"f-3: InvalidInput", "f-4: InvalidInput"}, failed); diff != "" {
		t.Errorf("failed findings (-want +got):\n%s", diff)
	}
	if n := len(e.srv.ImportedFindings()); n != 3 {
		t.Errorf("%d findings stored, want 3", n)
	}
	var many []shtypes.AwsSecurityFinding
	for i := range 101 {
		many = append(many, finding(fmt.Sprintf("m-%d", i)))
	}
	_, err = c.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: many})
	if got := errorCode(t, err); got != "InvalidInputException" {
		t.Errorf("101 findings: code %q", got)
	}
}

func TestLoadEstateRejectsBadEstatesNamingTheItem(t *testing.T) {
	tests := []struct {
		name, want string
		estate     awsemu.Estate
	}{
		{"a key without an id", "every key needs an explicit id", awsemu.Estate{Keys: []awsemu.EstateKey{{}}}},
		{"a key in an unknown region", "mars-1", awsemu.Estate{Keys: []awsemu.EstateKey{{ID: "k", Region: "mars-1"}}}},
		{"a customer key on an aws alias", "reserved", awsemu.Estate{Keys: []awsemu.EstateKey{{ID: "k", Aliases: []string{"alias/aws/dms"}}}}},
		{"an instance on a missing key", "payments", awsemu.Estate{ReplicationInstances: []awsemu.EstateReplicationInstance{{ID: "payments", KmsKey: "alias/none"}}}},
		{"a task on a missing instance", "orders-task", awsemu.Estate{ReplicationTasks: []awsemu.EstateReplicationTask{{ID: "orders-task", Instance: "nope"}}}},
		{"a bad account id", "12345", awsemu.Estate{DefaultAccount: "12345"}},
		{"a bad key state", "Melting", awsemu.Estate{Keys: []awsemu.EstateKey{{ID: "k", State: "Melting"}}}},
		{"a bad fault latency", "latency", awsemu.Estate{Faults: &awsemu.EstateFaults{Latency: "fast"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := awsemu.New(awsemu.Options{}).LoadEstate(&tt.estate)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("LoadEstate error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
	if err := awsemu.New(awsemu.Options{}).LoadEstate(nil); err == nil {
		t.Error("LoadEstate(nil) succeeded")
	}
}

func TestGetCallerIdentityCannotBeDenied(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	e.srv.AddDeny(awsemu.DenyRule{Action: "*"})
	e.srv.AddDeny(awsemu.DenyRule{Action: "sts:GetCallerIdentity"})
	who, err := e.sts().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity under an explicit deny: %v; AWS answers it whatever the policies", err)
	}
	if *who.Account != awsemu.DefaultAccount {
		t.Errorf("account %s", *who.Account)
	}
	_, err = e.sts().AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111122223333:role/x"), RoleSessionName: aws.String("s1")})
	if got := errorCode(t, err); got != "AccessDenied" {
		t.Errorf("AssumeRole under the deny: %q", got)
	}
}

func TestAnEstateRoleMustBeARoleARNOfAKnownAccount(t *testing.T) {
	for _, role := range []string{"OrganizationAccountAccessRole", "arn:aws:iam::999999999999:role/x"} {
		if err := awsemu.New(awsemu.Options{}).LoadEstate(&awsemu.Estate{Roles: []string{role}}); err == nil || !strings.Contains(err.Error(), "role") {
			t.Errorf("role %q: %v, want an error naming it", role, err)
		}
	}
}
