package awsemu_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/cmkguard/cmkguard/internal/awsemu"
)

func TestInjectedServerErrorsUseTheCodesAndStatusesAWSSends(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	if err := e.srv.LoadEstate(&awsemu.Estate{Organization: &awsemu.EstateOrganization{ID: "o-a1b2c3d4e5", ManagementAccount: awsemu.DefaultAccount},
		Accounts: []awsemu.EstateAccount{{ID: awsemu.DefaultAccount}}}); err != nil {
		t.Fatal(err)
	}
	calls := []struct {
		service string
		call    func() error
		want    map[string]int // code → status
	}{
		{"dms", func() error {
			_, err := e.dms().DescribeReplicationInstances(ctx, &dms.DescribeReplicationInstancesInput{})
			return err
		}, map[string]int{"InternalFailure": 500, "ServiceUnavailable": 503}},
		{"kms", func() error { _, err := e.kms().ListKeys(ctx, &kms.ListKeysInput{}); return err },
			map[string]int{"KMSInternalException": 500, "ServiceUnavailable": 503}},
		{"organizations", func() error {
			_, err := e.orgs().DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
			return err
		}, map[string]int{"ServiceException": 500, "ServiceUnavailable": 503}},
		{"securityhub", func() error {
			_, err := e.securityhub().BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{}})
			return err
		}, map[string]int{"InternalException": 500, "ServiceUnavailable": 503}},
		{"ec2", func() error { _, err := e.ec2().DescribeRegions(ctx, &ec2.DescribeRegionsInput{}); return err },
			map[string]int{"InternalError": 500, "Unavailable": 503}},
		{"sts", func() error { _, err := e.sts().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); return err },
			map[string]int{"InternalFailure": 500, "ServiceUnavailable": 503}},
	}
	for _, tt := range calls {
		t.Run(tt.service, func(t *testing.T) {
			e.srv.SetFaults(awsemu.Faults{ServerErrorRate: 1, Seed: 3})
			seen := map[string]bool{}
			for range 16 {
				err := tt.call()
				code := errorCode(t, err)
				want, ok := tt.want[code]
				if !ok {
					t.Fatalf("code %q is not one %s sends for a server error (want one of %v)", code, tt.service, tt.want)
				}
				if got := httpStatus(err); got != want {
					t.Errorf("%s: HTTP %d, want %d", code, got, want)
				}
				seen[code] = true
			}
			if len(seen) != len(tt.want) {
				t.Errorf("16 draws gave only %v of %v", seen, tt.want)
			}
		})
	}
}

func TestALostAnswerLeavesTheOperationDone(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	e.srv.SetFaults(awsemu.Faults{LoseAnswer: map[string]float64{"kms:CreateKey": 1}, LoseAnswerLimit: 1})
	_, err := e.kms().CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("lost")})
	if err == nil {
		t.Fatal("CreateKey whose answer was lost succeeded")
	}
	var apiErr interface{ ErrorCode() string }
	if errors.As(err, &apiErr) {
		t.Errorf("a lost answer came back as API error %v; want a broken connection", err)
	}
	keys, err := e.kms().ListKeys(ctx, &kms.ListKeysInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys.Keys) != 1 {
		t.Fatalf("ListKeys after a lost CreateKey answer: %d keys, want the 1 created", len(keys.Keys))
	}
	if _, err := e.kms().CreateKey(ctx, &kms.CreateKeyInput{}); err != nil {
		t.Errorf("the limit of one lost answer was not kept: %v", err)
	}
	log := e.srv.Requests()
	if !log[0].AnswerLost || log[0].Operation != "CreateKey" || !log[0].OK() || !log[0].Mutating {
		t.Errorf("log entry of the lost answer = %+v", log[0])
	}
	if log[2].AnswerLost {
		t.Errorf("the second CreateKey was logged as lost: %+v", log[2])
	}
}

func TestTheSDKRetriesALostAnswerAndMeetsTheChangedState(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	e.cfg.RetryMaxAttempts = 3
	e.srv.SetFaults(awsemu.Faults{LoseAnswer: map[string]float64{"dms:*": 1}, LoseAnswerLimit: 1})
	_, err := e.dms().CreateReplicationSubnetGroup(ctx, &dms.CreateReplicationSubnetGroupInput{
		ReplicationSubnetGroupIdentifier: aws.String("lost"), ReplicationSubnetGroupDescription: aws.String("lost answer"),
		SubnetIds: []string{"subnet-0a11b22c33d44e551", "subnet-0a11b22c33d44e552"},
	})
	if got := errorCode(t, err); got != "ResourceAlreadyExistsFault" {
		t.Fatalf("the retry of a create whose answer was lost: %v, want ResourceAlreadyExistsFault", err)
	}
}

func TestALostAnswerWithoutAConnectionToHijackIsAServerError(t *testing.T) {
	srv := awsemu.New(awsemu.Options{})
	srv.SetFaults(awsemu.Faults{LoseAnswer: map[string]float64{"*": 1}})
	resp := rawCall(t, srv, http.MethodPost, "/", sigv4("kms"), "TrentService.CreateKey", "application/x-amz-json-1.1", "{}")
	if resp.status != http.StatusInternalServerError || resp.errorType != "KMSInternalException" {
		t.Errorf("got %d %q", resp.status, resp.errorType)
	}
	if log := srv.Requests(); len(log) != 1 || !log[0].AnswerLost {
		t.Errorf("log = %+v", log)
	}
	resp = rawCall(t, srv, http.MethodPost, "/", sigv4("kms"), "TrentService.ListKeys", "application/x-amz-json-1.1", "{}")
	if resp.status != http.StatusInternalServerError {
		t.Fatalf("ListKeys: %d", resp.status)
	}
	srv.SetFaults(awsemu.Faults{})
	resp = rawCall(t, srv, http.MethodPost, "/", sigv4("kms"), "TrentService.ListKeys", "application/x-amz-json-1.1", "{}")
	if resp.status != http.StatusOK || !containsKeyCount(resp.body, 1) {
		t.Errorf("the key whose answer was lost is not listed: %s", resp.body)
	}
}

func TestLoseAnswerRefusesBadProbabilities(t *testing.T) {
	for _, f := range []awsemu.Faults{{LoseAnswer: map[string]float64{"*": 2}}, {LoseAnswerLimit: -1}} {
		if f.Validate() == nil {
			t.Errorf("%+v validated", f)
		}
	}
}

func containsKeyCount(body string, n int) bool {
	var out struct{ Keys []struct{ KeyId string } }
	if json.Unmarshal([]byte(body), &out) != nil {
		return false
	}
	return len(out.Keys) == n
}
