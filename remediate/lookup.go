package remediate

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	dmstypes "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice/types"
)

// Lookups of one resource by ARN or identifier; nil when it does not exist.

func instanceByARN(ctx context.Context, c DescribeReplicationInstancesAPI, arn string) (*dmstypes.ReplicationInstance, error) {
	return oneInstance(ctx, c, "replication-instance-arn", arn)
}

func instanceByID(ctx context.Context, c DescribeReplicationInstancesAPI, id string) (*dmstypes.ReplicationInstance, error) {
	return oneInstance(ctx, c, "replication-instance-id", id)
}

func oneInstance(ctx context.Context, c DescribeReplicationInstancesAPI, filter, value string) (*dmstypes.ReplicationInstance, error) {
	all, err := listInstances(ctx, c, []dmstypes.Filter{{Name: aws.String(filter), Values: []string{value}}})
	if err != nil {
		return nil, fmt.Errorf("describe replication instance %s: %w", value, err)
	}
	for i := range all {
		ri := &all[i]
		if filter == "replication-instance-arn" && aws.ToString(ri.ReplicationInstanceArn) == value ||
			filter == "replication-instance-id" && aws.ToString(ri.ReplicationInstanceIdentifier) == value {
			return ri, nil
		}
	}
	return nil, nil
}

func taskByARN(ctx context.Context, c DescribeReplicationTasksAPI, arn string) (*dmstypes.ReplicationTask, error) {
	out, err := c.DescribeReplicationTasks(ctx, &dms.DescribeReplicationTasksInput{
		Filters:         []dmstypes.Filter{{Name: aws.String("replication-task-arn"), Values: []string{arn}}},
		WithoutSettings: aws.Bool(true),
	})
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("describe replication task %s: %w", arn, err)
	}
	for i := range out.ReplicationTasks {
		if aws.ToString(out.ReplicationTasks[i].ReplicationTaskArn) == arn {
			return &out.ReplicationTasks[i], nil
		}
	}
	return nil, nil
}
