package awsemu_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	dmstypes "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/cmkguard/cmkguard/internal/awsemu"
)

func TestATagRequestWithOneBadTagChangesNoTag(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	r, err := e.dms().CreateReplicationInstance(ctx, &dms.CreateReplicationInstanceInput{ReplicationInstanceIdentifier: aws.String("tagged"), ReplicationInstanceClass: aws.String("dms.t3.medium")})
	if err != nil {
		t.Fatal(err)
	}
	key := mustCreateKey(t, e.kms(), &kms.CreateKeyInput{})
	tests := []struct {
		name, key, value string
	}{
		{"a key under aws:", "aws:team", "x"},
		{"an empty key", "", "x"},
		{"a value longer than 256 characters", "team", string(make([]byte, 257))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.dms().AddTagsToResource(ctx, &dms.AddTagsToResourceInput{ResourceArn: r.ReplicationInstance.ReplicationInstanceArn,
				Tags: []dmstypes.Tag{{Key: aws.String("good"), Value: aws.String("1")}, {Key: aws.String(tt.key), Value: aws.String(tt.value)}}})
			if got := errorCode(t, err); got != "InvalidParameterValueException" {
				t.Errorf("DMS: code %q", got)
			}
			dmsTags, err := e.dms().ListTagsForResource(ctx, &dms.ListTagsForResourceInput{ResourceArn: r.ReplicationInstance.ReplicationInstanceArn})
			if err != nil || len(dmsTags.TagList) != 0 {
				t.Errorf("DMS tags after a refused request: %v %v", dmsTags, err)
			}
			_, err = e.kms().TagResource(ctx, &kms.TagResourceInput{KeyId: key.KeyId,
				Tags: []kmstypes.Tag{{TagKey: aws.String("good"), TagValue: aws.String("1")}, {TagKey: aws.String(tt.key), TagValue: aws.String(tt.value)}}})
			if got := errorCode(t, err); got != "TagException" {
				t.Errorf("KMS: code %q", got)
			}
			kmsTags, err := e.kms().ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: key.KeyId})
			if err != nil || len(kmsTags.Tags) != 0 {
				t.Errorf("KMS tags after a refused request: %v %v", kmsTags, err)
			}
		})
	}
}
