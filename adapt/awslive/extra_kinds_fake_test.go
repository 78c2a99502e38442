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

// noCertificates is a region without imported certificates.
type noCertificates struct{}

func (noCertificates) DescribeCertificates(context.Context, *dms.DescribeCertificatesInput, ...func(*dms.Options)) (*dms.DescribeCertificatesOutput, error) {
	return &dms.DescribeCertificatesOutput{}, nil
}

// noAssessmentRuns is a region without premigration assessment runs.
type noAssessmentRuns struct{}

func (noAssessmentRuns) DescribeReplicationTaskAssessmentRuns(context.Context, *dms.DescribeReplicationTaskAssessmentRunsInput, ...func(*dms.Options)) (*dms.DescribeReplicationTaskAssessmentRunsOutput, error) {
	return &dms.DescribeReplicationTaskAssessmentRunsOutput{}, nil
}
