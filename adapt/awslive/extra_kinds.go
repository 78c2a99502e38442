package awslive

import (
	"cmp"
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	dmstypes "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice/types"

	"github.com/cmkguard/cmkguard/state"
)

// DescribeInstanceProfilesAPI lists a region's DMS instance profiles; it
// is the SDK's paginator client interface.
type DescribeInstanceProfilesAPI = dms.DescribeInstanceProfilesAPIClient

// listInstanceProfiles reads every page of the region's DMS instance
// profiles, telling found about each as its page arrives.
func (s *scanner) listInstanceProfiles(ctx context.Context, region string, found func(*state.InstanceProfile)) ([]state.InstanceProfile, error) {
	p := dms.NewDescribeInstanceProfilesPaginator(s.c.DMSInstanceProfiles(region), &dms.DescribeInstanceProfilesInput{MaxRecords: aws.Int32(100)})
	return listDMS(ctx, p, func(page *dms.DescribeInstanceProfilesOutput) []state.InstanceProfile {
		var out []state.InstanceProfile
		for _, ip := range page.InstanceProfiles {
			out = append(out, instanceProfileFromAPI(ip, s.account, region))
		}
		return out
	}, func(ip *state.InstanceProfile) string { return ip.ARN }, found)
}

func instanceProfileFromAPI(ip dmstypes.InstanceProfile, account, region string) state.InstanceProfile {
	arn := aws.ToString(ip.InstanceProfileArn)
	return state.InstanceProfile{
		Source: state.Source{ARN: arn}, ARN: arn, ID: aws.ToString(ip.InstanceProfileName),
		Account: cmp.Or(accountOfARN(arn), account), Region: region,
		KeyRef: strings.TrimSpace(aws.ToString(ip.KmsKeyArn)),
	}
}

// DescribeCertificatesAPI lists a region's imported DMS certificates; it
// is the SDK's paginator client interface.
type DescribeCertificatesAPI = dms.DescribeCertificatesAPIClient

// listCertificates reads every page of the region's DMS certificates,
// telling found about each as its page arrives.
func (s *scanner) listCertificates(ctx context.Context, region string, found func(*state.Certificate)) ([]state.Certificate, error) {
	p := dms.NewDescribeCertificatesPaginator(s.c.DMSCertificates(region), &dms.DescribeCertificatesInput{MaxRecords: aws.Int32(100)})
	return listDMS(ctx, p, func(page *dms.DescribeCertificatesOutput) []state.Certificate {
		var out []state.Certificate
		for _, c := range page.Certificates {
			arn := aws.ToString(c.CertificateArn)
			out = append(out, state.Certificate{
				Source: state.Source{ARN: arn}, ARN: arn, ID: aws.ToString(c.CertificateIdentifier),
				Account: cmp.Or(accountOfARN(arn), s.account), Region: region,
				KeyRef: strings.TrimSpace(aws.ToString(c.KmsKeyId)),
			})
		}
		return out
	}, func(c *state.Certificate) string { return c.ARN }, found)
}

// contentSettings records the DocumentDB or MongoDB settings' own key of
// an endpoint: DMS keeps the content it migrates under it, or under its
// default aws/dms key when it is absent. An endpoint of those engines that
// reports no settings at all gets the default key too.
func contentSettings(e *state.Endpoint, ep dmstypes.Endpoint) {
	switch {
	case ep.DocDbSettings != nil:
		e.ContentSettings, e.ContentKeyRef = "DocDbSettings", strings.TrimSpace(aws.ToString(ep.DocDbSettings.KmsKeyId))
	case ep.MongoDbSettings != nil:
		e.ContentSettings, e.ContentKeyRef = "MongoDbSettings", strings.TrimSpace(aws.ToString(ep.MongoDbSettings.KmsKeyId))
	case strings.EqualFold(e.EngineName, "docdb"):
		e.ContentSettings = "DocDbSettings"
	case strings.EqualFold(e.EngineName, "mongodb"):
		e.ContentSettings = "MongoDbSettings"
	}
}

// DescribeAssessmentRunsAPI lists a region's premigration assessment runs;
// it is the SDK's paginator client interface.
type DescribeAssessmentRunsAPI = dms.DescribeReplicationTaskAssessmentRunsAPIClient

// listAssessmentRuns reads every page of the region's premigration
// assessment runs, telling found about each as its page arrives. The
// results' key is S3's (SSE_KMS), parsed like an S3 target's.
func (s *scanner) listAssessmentRuns(ctx context.Context, region string, found func(*state.AssessmentRun)) ([]state.AssessmentRun, error) {
	p := dms.NewDescribeReplicationTaskAssessmentRunsPaginator(s.c.DMSAssessmentRuns(region), &dms.DescribeReplicationTaskAssessmentRunsInput{MaxRecords: aws.Int32(100)})
	return listDMS(ctx, p, func(page *dms.DescribeReplicationTaskAssessmentRunsOutput) []state.AssessmentRun {
		var out []state.AssessmentRun
		for _, r := range page.ReplicationTaskAssessmentRuns {
			out = append(out, assessmentRun(aws.ToString(r.ReplicationTaskAssessmentRunArn), aws.ToString(r.AssessmentRunName),
				aws.ToString(r.ReplicationTaskArn), s.account, region, r.ResultEncryptionMode, r.ResultKmsKeyArn))
		}
		return out
	}, func(a *state.AssessmentRun) string { return a.ARN }, found)
}

// serverlessAssessments are the premigration assessments of a DMS
// Serverless replication, as assessment runs: their results go to S3 the
// same way (ResultEncryptionMode, ResultKmsKeyArn). They come with
// dms:DescribeReplications, which the scan calls anyway.
func serverlessAssessments(r dmstypes.Replication, account, region string) []state.AssessmentRun {
	var out []state.AssessmentRun
	for _, p := range r.PremigrationAssessmentStatuses {
		out = append(out, assessmentRun(aws.ToString(p.PremigrationAssessmentRunArn), aws.ToString(r.ReplicationConfigIdentifier)+" premigration assessment",
			aws.ToString(r.ReplicationConfigArn), account, region, p.ResultEncryptionMode, p.ResultKmsKeyArn))
	}
	return out
}

// assessmentRun is one premigration assessment's results, of a task or of
// a serverless replication: the encryption mode as DMS spells it in either
// place (sse-kms, SSE_KMS), and the key only under SSE_KMS (DMS ignores it
// otherwise).
func assessmentRun(arn, id, taskARN, account, region string, mode, key *string) state.AssessmentRun {
	a := state.AssessmentRun{
		Source: state.Source{ARN: arn}, ARN: arn, ID: id,
		Account: cmp.Or(accountOfARN(arn), account), Region: region, TaskARN: taskARN,
		EncryptionMode: strings.ReplaceAll(strings.ToUpper(strings.TrimSpace(aws.ToString(mode))), "-", "_"),
	}
	if a.EncryptionMode == "SSE_KMS" {
		a.KeyRef = strings.TrimSpace(aws.ToString(key))
	}
	return a
}
