package awslive

import (
	"context"

	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
)

// noInstanceProfiles is a region without DMS instance profiles.
type noInstanceProfiles struct{}

func (noInstanceProfiles) DescribeInstanceProfiles(context.Context, *dms.DescribeInstanceProfilesInput, ...func(*dms.Options)) (*dms.DescribeInstanceProfilesOutput, error) {
	return &dms.DescribeInstanceProfilesOutput{}, nil
}
