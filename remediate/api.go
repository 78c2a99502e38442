package remediate

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// One-method interfaces over the SDK: *databasemigrationservice.Client,
// *kms.Client and *sts.Client satisfy them, and so can test fakes.

// DescribeReplicationInstancesAPI lists replication instances.
type DescribeReplicationInstancesAPI interface {
	DescribeReplicationInstances(context.Context, *databasemigrationservice.DescribeReplicationInstancesInput, ...func(*databasemigrationservice.Options)) (*databasemigrationservice.DescribeReplicationInstancesOutput, error)
}

// DescribeReplicationTasksAPI lists replication tasks.
type DescribeReplicationTasksAPI interface {
	DescribeReplicationTasks(context.Context, *databasemigrationservice.DescribeReplicationTasksInput, ...func(*databasemigrationservice.Options)) (*databasemigrationservice.DescribeReplicationTasksOutput, error)
}

// ListDMSTagsAPI reads a DMS resource's tags.
type ListDMSTagsAPI interface {
	ListTagsForResource(context.Context, *databasemigrationservice.ListTagsForResourceInput, ...func(*databasemigrationservice.Options)) (*databasemigrationservice.ListTagsForResourceOutput, error)
}

// CreateReplicationInstanceAPI creates a replication instance.
type CreateReplicationInstanceAPI interface {
	CreateReplicationInstance(context.Context, *databasemigrationservice.CreateReplicationInstanceInput, ...func(*databasemigrationservice.Options)) (*databasemigrationservice.CreateReplicationInstanceOutput, error)
}

// DeleteReplicationInstanceAPI deletes a replication instance.
type DeleteReplicationInstanceAPI interface {
	DeleteReplicationInstance(context.Context, *databasemigrationservice.DeleteReplicationInstanceInput, ...func(*databasemigrationservice.Options)) (*databasemigrationservice.DeleteReplicationInstanceOutput, error)
}

// ModifyReplicationInstanceAPI modifies (here: renames) a replication instance.
type ModifyReplicationInstanceAPI interface {
	ModifyReplicationInstance(context.Context, *databasemigrationservice.ModifyReplicationInstanceInput, ...func(*databasemigrationservice.Options)) (*databasemigrationservice.ModifyReplicationInstanceOutput, error)
}

// MoveReplicationTaskAPI moves a task to another replication instance.
type MoveReplicationTaskAPI interface {
	MoveReplicationTask(context.Context, *databasemigrationservice.MoveReplicationTaskInput, ...func(*databasemigrationservice.Options)) (*databasemigrationservice.MoveReplicationTaskOutput, error)
}

// StopReplicationTaskAPI stops a task.
type StopReplicationTaskAPI interface {
	StopReplicationTask(context.Context, *databasemigrationservice.StopReplicationTaskInput, ...func(*databasemigrationservice.Options)) (*databasemigrationservice.StopReplicationTaskOutput, error)
}

// StartReplicationTaskAPI starts a task.
type StartReplicationTaskAPI interface {
	StartReplicationTask(context.Context, *databasemigrationservice.StartReplicationTaskInput, ...func(*databasemigrationservice.Options)) (*databasemigrationservice.StartReplicationTaskOutput, error)
}

// DescribeReplicationConfigsAPI lists DMS Serverless replication configs.
type DescribeReplicationConfigsAPI interface {
	DescribeReplicationConfigs(context.Context, *databasemigrationservice.DescribeReplicationConfigsInput, ...func(*databasemigrationservice.Options)) (*databasemigrationservice.DescribeReplicationConfigsOutput, error)
}

// DescribeReplicationsAPI lists DMS Serverless replications (one per config).
type DescribeReplicationsAPI interface {
	DescribeReplications(context.Context, *databasemigrationservice.DescribeReplicationsInput, ...func(*databasemigrationservice.Options)) (*databasemigrationservice.DescribeReplicationsOutput, error)
}

// CreateReplicationConfigAPI creates a serverless replication config.
type CreateReplicationConfigAPI interface {
	CreateReplicationConfig(context.Context, *databasemigrationservice.CreateReplicationConfigInput, ...func(*databasemigrationservice.Options)) (*databasemigrationservice.CreateReplicationConfigOutput, error)
}

// ModifyReplicationConfigAPI modifies a serverless replication config.
type ModifyReplicationConfigAPI interface {
	ModifyReplicationConfig(context.Context, *databasemigrationservice.ModifyReplicationConfigInput, ...func(*databasemigrationservice.Options)) (*databasemigrationservice.ModifyReplicationConfigOutput, error)
}

// DeleteReplicationConfigAPI deletes a serverless replication config.
type DeleteReplicationConfigAPI interface {
	DeleteReplicationConfig(context.Context, *databasemigrationservice.DeleteReplicationConfigInput, ...func(*databasemigrationservice.Options)) (*databasemigrationservice.DeleteReplicationConfigOutput, error)
}

// StopReplicationAPI stops a serverless replication.
type StopReplicationAPI interface {
	StopReplication(context.Context, *databasemigrationservice.StopReplicationInput, ...func(*databasemigrationservice.Options)) (*databasemigrationservice.StopReplicationOutput, error)
}

// StartReplicationAPI starts a serverless replication (rollback only).
type StartReplicationAPI interface {
	StartReplication(context.Context, *databasemigrationservice.StartReplicationInput, ...func(*databasemigrationservice.Options)) (*databasemigrationservice.StartReplicationOutput, error)
}

// DescribeKeyAPI reads a KMS key's metadata.
type DescribeKeyAPI interface {
	DescribeKey(context.Context, *kms.DescribeKeyInput, ...func(*kms.Options)) (*kms.DescribeKeyOutput, error)
}

// ListAliasesAPI lists KMS aliases.
type ListAliasesAPI interface {
	ListAliases(context.Context, *kms.ListAliasesInput, ...func(*kms.Options)) (*kms.ListAliasesOutput, error)
}

// ListKeysAPI lists KMS keys.
type ListKeysAPI interface {
	ListKeys(context.Context, *kms.ListKeysInput, ...func(*kms.Options)) (*kms.ListKeysOutput, error)
}

// ListResourceTagsAPI reads a KMS key's tags.
type ListResourceTagsAPI interface {
	ListResourceTags(context.Context, *kms.ListResourceTagsInput, ...func(*kms.Options)) (*kms.ListResourceTagsOutput, error)
}

// CreateKeyAPI creates a KMS key.
type CreateKeyAPI interface {
	CreateKey(context.Context, *kms.CreateKeyInput, ...func(*kms.Options)) (*kms.CreateKeyOutput, error)
}

// CreateAliasAPI creates a KMS alias.
type CreateAliasAPI interface {
	CreateAlias(context.Context, *kms.CreateAliasInput, ...func(*kms.Options)) (*kms.CreateAliasOutput, error)
}

// DeleteAliasAPI deletes a KMS alias (rollback only).
type DeleteAliasAPI interface {
	DeleteAlias(context.Context, *kms.DeleteAliasInput, ...func(*kms.Options)) (*kms.DeleteAliasOutput, error)
}

// ScheduleKeyDeletionAPI schedules a KMS key's deletion (rollback only).
type ScheduleKeyDeletionAPI interface {
	ScheduleKeyDeletion(context.Context, *kms.ScheduleKeyDeletionInput, ...func(*kms.Options)) (*kms.ScheduleKeyDeletionOutput, error)
}

// GetCallerIdentityAPI names the account of the credentials in use.
type GetCallerIdentityAPI interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// DMSReader is the read-only DMS surface Describe uses.
type DMSReader interface {
	DescribeReplicationInstancesAPI
	DescribeReplicationTasksAPI
	ListDMSTagsAPI
	DescribeReplicationConfigsAPI
	DescribeReplicationsAPI
}

// KMSReader is the read-only KMS surface Describe uses.
type KMSReader interface {
	DescribeKeyAPI
	ListAliasesAPI
}

// DMSWriter is the DMS surface Apply uses.
type DMSWriter interface {
	DMSReader
	CreateReplicationInstanceAPI
	DeleteReplicationInstanceAPI
	ModifyReplicationInstanceAPI
	MoveReplicationTaskAPI
	StopReplicationTaskAPI
	StartReplicationTaskAPI
	CreateReplicationConfigAPI
	ModifyReplicationConfigAPI
	DeleteReplicationConfigAPI
	StopReplicationAPI
	StartReplicationAPI
}

// KMSWriter is the KMS surface Apply uses.
type KMSWriter interface {
	KMSReader
	ListKeysAPI
	ListResourceTagsAPI
	CreateKeyAPI
	CreateAliasAPI
	DeleteAliasAPI
	ScheduleKeyDeletionAPI
}

// ReadClients are the read-only clients for one region.
type ReadClients struct {
	DMS DMSReader
	KMS KMSReader
}

// WriteClients are the clients Apply needs for one region.
type WriteClients struct {
	DMS DMSWriter
	KMS KMSWriter
}

// Compile-time proof that the SDK clients satisfy the interfaces.
var (
	_ DMSWriter                     = (*databasemigrationservice.Client)(nil)
	_ KMSWriter                     = (*kms.Client)(nil)
	_ GetCallerIdentityAPI          = (*sts.Client)(nil)
	_ DescribeReplicationConfigsAPI = (*databasemigrationservice.Client)(nil)
)
