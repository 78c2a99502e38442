package remediate

import (
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	dmstypes "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// The mutating requests are built here, once, so that Apply and the shell
// rendering say exactly the same thing.

// createKeyInput is the CreateKey request for a key to create.
func createKeyInput(p *Plan, k KeyPlan) *kms.CreateKeyInput {
	return &kms.CreateKeyInput{
		Description: aws.String(k.Description),
		Policy:      aws.String(k.Policy),
		KeyUsage:    kmstypes.KeyUsageTypeEncryptDecrypt,
		KeySpec:     kmstypes.KeySpecSymmetricDefault,
		Tags: []kmstypes.Tag{
			{TagKey: aws.String(TagPlanID), TagValue: aws.String(p.ID)},
			{TagKey: aws.String("cmkguard:alias"), TagValue: aws.String(k.Alias)},
		},
	}
}

// createInstanceInput is the CreateReplicationInstance request for a
// replacement: every setting of the old instance, the customer key, the old
// tags and the plan-id tag. A Multi-AZ instance gets no AvailabilityZone
// (DMS refuses both).
func createInstanceInput(p *Plan, r Replacement, keyARN string) *dms.CreateReplicationInstanceInput {
	s := r.New
	in := &dms.CreateReplicationInstanceInput{
		ReplicationInstanceIdentifier:    aws.String(r.NewID),
		ReplicationInstanceClass:         aws.String(s.Class),
		AllocatedStorage:                 aws.Int32(s.AllocatedStorage),
		EngineVersion:                    optional(s.EngineVersion),
		KmsKeyId:                         aws.String(keyARN),
		MultiAZ:                          aws.Bool(s.MultiAZ),
		PubliclyAccessible:               aws.Bool(s.PubliclyAccessible),
		AutoMinorVersionUpgrade:          aws.Bool(s.AutoMinorVersionUpgrade),
		PreferredMaintenanceWindow:       optional(s.PreferredMaintenanceWindow),
		NetworkType:                      optional(s.NetworkType),
		DnsNameServers:                   optional(s.DNSNameServers),
		ReplicationSubnetGroupIdentifier: optional(s.SubnetGroupID),
		VpcSecurityGroupIds:              append([]string(nil), s.VPCSecurityGroupIDs...),
	}
	if !s.MultiAZ {
		in.AvailabilityZone = optional(s.AvailabilityZone)
	}
	if k := s.Kerberos; k != nil {
		in.KerberosAuthenticationSettings = &dmstypes.KerberosAuthenticationSettings{
			KeyCacheSecretIamArn: optional(k.KeyCacheSecretIAMARN),
			KeyCacheSecretId:     optional(k.KeyCacheSecretID),
			Krb5FileContents:     optional(k.Krb5FileContents),
		}
	}
	in.Tags = planTags(s.Tags, p.ID)
	return in
}

// planTags are a resource's tags, in key order, then the plan-id tag (an old
// plan-id tag is dropped: the copy belongs to this plan).
func planTags(tags map[string]string, planID string) []dmstypes.Tag {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		if k != TagPlanID {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]dmstypes.Tag, 0, len(keys)+1)
	for _, k := range keys {
		out = append(out, dmstypes.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return append(out, dmstypes.Tag{Key: aws.String(TagPlanID), Value: aws.String(planID)})
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
