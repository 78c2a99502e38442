package awslive_test

import (
	"context"
	"testing"

	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/cmkguard/cmkguard/internal/awsemu"
)

// TestTheRetryerOutlastsEveryServerErrorAWSSends: with half the calls
// failing on the server's side, with each service's own codes and
// statuses, every call made through LoadConfig's clients still succeeds.
func TestTheRetryerOutlastsEveryServerErrorAWSSends(t *testing.T) {
	srv, cfg := startEmulator(t, &awsemu.Estate{
		Accounts:     []awsemu.EstateAccount{{ID: me}},
		Organization: &awsemu.EstateOrganization{ID: "o-a1b2c3d4e5", ManagementAccount: me},
	})
	ctx := context.Background()
	calls := []struct {
		service string
		call    func() error
	}{
		{"dms", func() error {
			_, err := dms.NewFromConfig(cfg).DescribeReplicationInstances(ctx, &dms.DescribeReplicationInstancesInput{})
			return err
		}},
		{"kms", func() error { _, err := kms.NewFromConfig(cfg).ListKeys(ctx, &kms.ListKeysInput{}); return err }},
		{"organizations", func() error {
			_, err := organizations.NewFromConfig(cfg).DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
			return err
		}},
		{"ec2", func() error {
			_, err := ec2.NewFromConfig(cfg).DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
			return err
		}},
		{"sts", func() error {
			_, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		}},
	}
	srv.SetFaults(awsemu.Faults{ServerErrorRate: 0.5, Seed: 11})
	for _, c := range calls {
		for i := range 10 {
			if err := c.call(); err != nil {
				t.Errorf("%s call %d failed through the retryer: %v", c.service, i, err)
			}
		}
	}
	injected := map[string]bool{}
	for _, e := range srv.Requests() {
		if e.HTTPStatus >= 500 {
			injected[e.Service+" "+e.ErrorCode] = true
		}
	}
	for _, want := range []string{"dms InternalFailure", "kms KMSInternalException", "organizations ServiceException", "ec2 InternalError", "sts InternalFailure"} {
		if !injected[want] {
			t.Errorf("no %s was injected (and retried): %v", want, injected)
		}
	}
}
