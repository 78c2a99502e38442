package awslive

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// CallerIdentityAPI identifies the account being scanned.
type CallerIdentityAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// DescribeRegionsAPI lists the account's regions and their opt-in status.
type DescribeRegionsAPI interface {
	DescribeRegions(ctx context.Context, in *ec2.DescribeRegionsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeRegionsOutput, error)
}

// DescribeReplicationInstancesAPI lists a region's replication instances;
// it is the SDK's paginator client interface.
type DescribeReplicationInstancesAPI = dms.DescribeReplicationInstancesAPIClient

// DescribeReplicationConfigsAPI lists a region's DMS Serverless replication
// configs; it is the SDK's paginator client interface.
type DescribeReplicationConfigsAPI = dms.DescribeReplicationConfigsAPIClient

// DescribeReplicationsAPI lists a region's serverless replications (to
// learn which configs have started); it is the SDK's paginator client
// interface.
type DescribeReplicationsAPI = dms.DescribeReplicationsAPIClient

// DescribeEndpointsAPI lists a region's DMS endpoints; it is the SDK's
// paginator client interface.
type DescribeEndpointsAPI = dms.DescribeEndpointsAPIClient

// ListTagsForResourceAPI reads DMS resources' tags.
type ListTagsForResourceAPI interface {
	ListTagsForResource(ctx context.Context, in *dms.ListTagsForResourceInput, optFns ...func(*dms.Options)) (*dms.ListTagsForResourceOutput, error)
}

// DescribeKeyAPI reads a KMS key's metadata.
type DescribeKeyAPI interface {
	DescribeKey(ctx context.Context, in *kms.DescribeKeyInput, optFns ...func(*kms.Options)) (*kms.DescribeKeyOutput, error)
}

// ListAliasesAPI lists a region's KMS aliases; it is the SDK's paginator
// client interface.
type ListAliasesAPI = kms.ListAliasesAPIClient

// Clients gives Scan the clients it needs, per region where the API is
// regional. Tests fill it with fakes; NewClients fills it with SDK clients.
type Clients struct {
	// Identity and Regions are account-wide (called in the configuration's
	// region).
	Identity CallerIdentityAPI
	Regions  DescribeRegionsAPI
	// DMS, DMSConfigs, DescribeKey and ListAliases return a client for a
	// region. DMSConfigs is used only when Options.Scope covers serverless.
	DMS        func(region string) DescribeReplicationInstancesAPI
	DMSConfigs func(region string) DescribeReplicationConfigsAPI
	// DMSReplications is used only when Options.Scope covers serverless.
	DMSReplications func(region string) DescribeReplicationsAPI
	// DMSEndpoints is used only when Options.Scope covers endpoints.
	DMSEndpoints func(region string) DescribeEndpointsAPI
	// DMSTags is used only with Options.Tags.
	DMSTags     func(region string) ListTagsForResourceAPI
	DescribeKey func(region string) DescribeKeyAPI
	ListAliases func(region string) ListAliasesAPI
	// KeyPolicy and KeyRotation are used only when Options.Scope covers
	// keys; nil records each customer key's policy or rotation as not read.
	KeyPolicy   func(region string) GetKeyPolicyAPI
	KeyRotation func(region string) GetKeyRotationStatusAPI
	// DMSInstanceProfiles is used only when Options.Scope covers
	// instance profiles.
	DMSInstanceProfiles func(region string) DescribeInstanceProfilesAPI
	// DMSCertificates is used only when Options.Scope covers certificates.
	DMSCertificates func(region string) DescribeCertificatesAPI
	// DMSAssessmentRuns is used only when Options.Scope covers assessment runs.
	DMSAssessmentRuns func(region string) DescribeAssessmentRunsAPI
}

// NewClients returns SDK clients built from cfg. When stats is not nil,
// every client counts its calls there.
func NewClients(cfg aws.Config, stats *Stats) Clients {
	cfg = cfg.Copy()
	if stats != nil {
		cfg.APIOptions = append(cfg.APIOptions, stats.AddMiddleware)
	}
	dmsClients := perRegion(func(region string) *dms.Client {
		return dms.NewFromConfig(cfg, func(o *dms.Options) { o.Region = region })
	})
	kmsClients := perRegion(func(region string) *kms.Client {
		return kms.NewFromConfig(cfg, func(o *kms.Options) { o.Region = region })
	})
	return Clients{
		Identity:            sts.NewFromConfig(cfg),
		Regions:             ec2.NewFromConfig(cfg),
		DMS:                 func(r string) DescribeReplicationInstancesAPI { return dmsClients(r) },
		DMSConfigs:          func(r string) DescribeReplicationConfigsAPI { return dmsClients(r) },
		DMSEndpoints:        func(r string) DescribeEndpointsAPI { return dmsClients(r) },
		DMSReplications:     func(r string) DescribeReplicationsAPI { return dmsClients(r) },
		DMSTags:             func(r string) ListTagsForResourceAPI { return dmsClients(r) },
		DescribeKey:         func(r string) DescribeKeyAPI { return kmsClients(r) },
		ListAliases:         func(r string) ListAliasesAPI { return kmsClients(r) },
		KeyPolicy:           func(r string) GetKeyPolicyAPI { return kmsClients(r) },
		KeyRotation:         func(r string) GetKeyRotationStatusAPI { return kmsClients(r) },
		DMSInstanceProfiles: func(r string) DescribeInstanceProfilesAPI { return dmsClients(r) },
		DMSCertificates:     func(r string) DescribeCertificatesAPI { return dmsClients(r) },
		DMSAssessmentRuns:   func(r string) DescribeAssessmentRunsAPI { return dmsClients(r) },
	}
}

// perRegion caches one client per region.
func perRegion[C any](build func(region string) C) func(region string) C {
	var mu sync.Mutex
	cache := map[string]C{}
	return func(region string) C {
		mu.Lock()
		defer mu.Unlock()
		c, ok := cache[region]
		if !ok {
			c = build(region)
			cache[region] = c
		}
		return c
	}
}
