package estatefile_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	dmstypes "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	cmkguard "github.com/cmkguard/cmkguard"
	"github.com/cmkguard/cmkguard/internal/awsemu"
	"github.com/cmkguard/cmkguard/internal/estatefile"
)

// demo serves the demo estate and returns SDK clients for a region.
type demo struct{ url string }

func startDemo(t *testing.T) demo {
	t.Helper()
	e, err := estatefile.Parse(cmkguard.DemoEstateYAML)
	if err != nil {
		t.Fatal(err)
	}
	srv := awsemu.New(awsemu.Options{})
	if err := srv.LoadEstate(e); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return demo{url: ts.URL}
}

func (d demo) cfg(region string) aws.Config {
	return aws.Config{Region: region, RetryMaxAttempts: 1, Credentials: credentials.NewStaticCredentialsProvider("AKIADEMO", "secret", "")}
}

func (d demo) kms(region string) *kms.Client {
	return kms.NewFromConfig(d.cfg(region), func(o *kms.Options) { o.BaseEndpoint = aws.String(d.url) })
}

func (d demo) dms(region string) *dms.Client {
	return dms.NewFromConfig(d.cfg(region), func(o *dms.Options) { o.BaseEndpoint = aws.String(d.url) })
}

func code(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// instanceKey returns the KmsKeyId DMS reports for an instance.
func (d demo) instanceKey(t *testing.T, region, id string) string {
	t.Helper()
	out, err := d.dms(region).DescribeReplicationInstances(context.Background(), &dms.DescribeReplicationInstancesInput{
		Filters: []dmstypes.Filter{{Name: aws.String("replication-instance-id"), Values: []string{id}}}})
	if err != nil {
		t.Fatalf("describe %s in %s: %v", id, region, err)
	}
	return *out.ReplicationInstances[0].KmsKeyId
}

// aliasTarget returns the key id an alias names in a region ("" if none).
func (d demo) aliasTarget(t *testing.T, region, alias string) (string, error) {
	t.Helper()
	out, err := d.kms(region).ListAliases(context.Background(), &kms.ListAliasesInput{})
	if err != nil {
		return "", err
	}
	for _, a := range out.Aliases {
		if *a.AliasName == alias {
			return *a.TargetKeyId, nil
		}
	}
	return "", nil
}

func TestTheDemoEstateHoldsEveryVerdictClass(t *testing.T) {
	d := startDemo(t)
	ctx := context.Background()
	type keyFacts struct{ Manager, Origin, State, Account string }
	describe := func(region, keyARN string) (keyFacts, string) {
		out, err := d.kms(region).DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyARN)})
		if err != nil {
			return keyFacts{}, code(err)
		}
		m := out.KeyMetadata
		return keyFacts{string(m.KeyManager), string(m.Origin), string(m.KeyState), *m.AWSAccountId}, ""
	}
	readable := []struct {
		instance string
		want     keyFacts
	}{
		{"payments-cdc-prod-01", keyFacts{"AWS", "AWS_KMS", "Enabled", "111122223333"}},
		{"orders-replication-prod", keyFacts{"CUSTOMER", "AWS_KMS", "Enabled", "111122223333"}},
		{"ledger-ext-prod", keyFacts{"CUSTOMER", "EXTERNAL", "Enabled", "111122223333"}},
		{"cards-hsm-prod", keyFacts{"CUSTOMER", "AWS_CLOUDHSM", "Enabled", "111122223333"}},
		{"fraud-xks-prod", keyFacts{"CUSTOMER", "EXTERNAL_KEY_STORE", "Enabled", "111122223333"}},
		{"reporting-legacy-01", keyFacts{"CUSTOMER", "AWS_KMS", "Disabled", "111122223333"}},
		{"archive-migration-01", keyFacts{"CUSTOMER", "AWS_KMS", "PendingDeletion", "111122223333"}},
		{"crm-sync-prod", keyFacts{"CUSTOMER", "AWS_KMS", "Enabled", "444455556666"}},
	}
	for _, r := range readable {
		t.Run("us-east-1 "+r.instance, func(t *testing.T) {
			got, errCode := describe("us-east-1", d.instanceKey(t, "us-east-1", r.instance))
			if errCode != "" {
				t.Fatalf("DescribeKey: %s", errCode)
			}
			if diff := cmp.Diff(r.want, got); diff != "" {
				t.Errorf("key facts (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("us-east-1 analytics-etl-prod: DescribeKey denied, a customer alias names the key", func(t *testing.T) {
		keyARN := d.instanceKey(t, "us-east-1", "analytics-etl-prod")
		if _, errCode := describe("us-east-1", keyARN); errCode != "AccessDeniedException" {
			t.Errorf("DescribeKey: %q, want AccessDeniedException", errCode)
		}
		target, err := d.aliasTarget(t, "us-east-1", "alias/dms-analytics")
		if err != nil || keyARN != "arn:aws:kms:us-east-1:111122223333:key/"+target {
			t.Errorf("alias/dms-analytics → %q (%v), instance key %s", target, err, keyARN)
		}
	})
	t.Run("eu-west-1 dublin-cdc-prod-01: DescribeKey denied, alias/aws/dms names the key", func(t *testing.T) {
		keyARN := d.instanceKey(t, "eu-west-1", "dublin-cdc-prod-01")
		if _, errCode := describe("eu-west-1", keyARN); errCode != "AccessDeniedException" {
			t.Errorf("DescribeKey: %q, want AccessDeniedException", errCode)
		}
		target, err := d.aliasTarget(t, "eu-west-1", "alias/aws/dms")
		if err != nil || keyARN != "arn:aws:kms:eu-west-1:111122223333:key/"+target {
			t.Errorf("alias/aws/dms → %q (%v), instance key %s", target, err, keyARN)
		}
	})
	t.Run("eu-central-1 frankfurt-inventory-01: DescribeKey and ListAliases both denied", func(t *testing.T) {
		keyARN := d.instanceKey(t, "eu-central-1", "frankfurt-inventory-01")
		if _, errCode := describe("eu-central-1", keyARN); errCode != "AccessDeniedException" {
			t.Errorf("DescribeKey: %q", errCode)
		}
		if _, err := d.aliasTarget(t, "eu-central-1", "alias/dms-inventory"); code(err) != "AccessDeniedException" {
			t.Errorf("ListAliases: %v", err)
		}
	})
	t.Run("ap-southeast-2: DescribeReplicationInstances denied", func(t *testing.T) {
		_, err := d.dms("ap-southeast-2").DescribeReplicationInstances(ctx, &dms.DescribeReplicationInstancesInput{})
		if code(err) != "AccessDeniedException" {
			t.Errorf("err = %v, want AccessDeniedException", err)
		}
	})
	t.Run("af-south-1 is not enabled", func(t *testing.T) {
		_, err := d.dms("af-south-1").DescribeReplicationInstances(ctx, &dms.DescribeReplicationInstancesInput{})
		if code(err) != "UnrecognizedClientException" {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("us-east-1 holds running and stopped tasks, endpoints and a serverless config", func(t *testing.T) {
		c := d.dms("us-east-1")
		tasks, err := c.DescribeReplicationTasks(ctx, &dms.DescribeReplicationTasksInput{})
		if err != nil {
			t.Fatal(err)
		}
		statuses := map[string]bool{}
		for _, task := range tasks.ReplicationTasks {
			statuses[*task.Status] = true
		}
		if !statuses["running"] || !statuses["stopped"] {
			t.Errorf("task statuses %v, want running and stopped", statuses)
		}
		eps, err := c.DescribeEndpoints(ctx, &dms.DescribeEndpointsInput{})
		if err != nil || len(eps.Endpoints) < 2 {
			t.Errorf("endpoints: %d, %v", len(eps.Endpoints), err)
		}
		cfgs, err := c.DescribeReplicationConfigs(ctx, &dms.DescribeReplicationConfigsInput{})
		if err != nil || len(cfgs.ReplicationConfigs) != 1 {
			t.Errorf("serverless configs: %d, %v", len(cfgs.ReplicationConfigs), err)
		}
	})
}
