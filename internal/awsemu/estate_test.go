package awsemu_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/cmkguard/cmkguard/internal/awsemu"
)

func TestAnEstateSeedsResourcesOnAKeyOfEveryOriginInEveryState(t *testing.T) {
	const keyID = "6f1c2b3a-1d2e-4f50-8a9b-0c1d2e3f4a02"
	tests := []struct {
		origin, state, wantState string
	}{
		{"EXTERNAL", "", "Enabled"},
		{"EXTERNAL", "Enabled", "Enabled"},
		{"EXTERNAL", "PendingImport", "PendingImport"},
		{"EXTERNAL", "Disabled", "Disabled"},
		{"EXTERNAL", "PendingDeletion", "PendingDeletion"},
		{"AWS_KMS", "Disabled", "Disabled"},
		{"AWS_KMS", "PendingImport", "PendingImport"},
	}
	for _, tt := range tests {
		t.Run(tt.origin+" key in state "+tt.wantState+" (estate state "+tt.state+")", func(t *testing.T) {
			t.Parallel()
			e := startEmu(t, awsemu.Options{})
			estate := &awsemu.Estate{
				Keys:                 []awsemu.EstateKey{{ID: keyID, Origin: tt.origin, State: tt.state, Aliases: []string{"alias/ledger"}}},
				ReplicationInstances: []awsemu.EstateReplicationInstance{{ID: "ledger-ext-prod", KmsKey: "alias/ledger"}},
				Endpoints: []awsemu.EstateEndpoint{
					{ID: "ledger-source", Type: "source", Engine: "postgres", KmsKey: keyID},
					{ID: "ledger-target", Type: "target", Engine: "s3", KmsKey: keyID},
				},
				ReplicationConfigs: []awsemu.EstateReplicationConfig{{ID: "ledger-serverless", Source: "ledger-source", Target: "ledger-target", KmsKey: keyID}},
			}
			if err := e.srv.LoadEstate(estate); err != nil {
				t.Fatalf("LoadEstate: %v", err)
			}
			key, err := e.kms().DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyID)})
			if err != nil {
				t.Fatal(err)
			}
			if got := string(key.KeyMetadata.KeyState); got != tt.wantState || string(key.KeyMetadata.Origin) != tt.origin {
				t.Errorf("key is %s %s, want %s %s", key.KeyMetadata.Origin, got, tt.origin, tt.wantState)
			}
			inst, err := e.dms().DescribeReplicationInstances(ctx, &dms.DescribeReplicationInstancesInput{})
			if err != nil {
				t.Fatal(err)
			}
			if len(inst.ReplicationInstances) != 1 || *inst.ReplicationInstances[0].KmsKeyId != *key.KeyMetadata.Arn {
				t.Errorf("instances = %+v, want one on %s", inst.ReplicationInstances, *key.KeyMetadata.Arn)
			}
		})
	}
}
