package awsemu_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cstypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	dmstypes "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/cmkguard/cmkguard/internal/awsemu"
)

// modelEstate has one of everything, so every operation has something to act on.
func modelEstate() *awsemu.Estate {
	const key = "6f1c2b3a-1d2e-4f50-8a9b-0c1d2e3f4a01"
	return &awsemu.Estate{
		Accounts:     []awsemu.EstateAccount{{ID: awsemu.DefaultAccount, Name: "payments", Email: "payments@example.com"}, {ID: "444455556666"}},
		Organization: &awsemu.EstateOrganization{ID: "o-a1b2c3d4e5", ManagementAccount: awsemu.DefaultAccount},
		Roles:        []string{"arn:aws:iam::444455556666:role/cmkguard-audit"},
		Keys: []awsemu.EstateKey{
			{ID: key, Aliases: []string{"alias/dms-orders"}, Tags: map[string]string{"team": "payments"}},
			{ID: "0d5e1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b", Manager: "AWS", Aliases: []string{"alias/aws/dms"}},
			{ID: "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d", State: "PendingDeletion", PendingWindowInDays: 7},
		},
		SubnetGroups: []awsemu.EstateSubnetGroup{{ID: "private", Description: "private subnets", VpcID: "vpc-0a1b2c3d4e5f60718",
			Subnets: []awsemu.EstateSubnet{{ID: "subnet-0a11b22c33d44e551", AvailabilityZone: "us-east-1a"}, {ID: "subnet-0a11b22c33d44e552", AvailabilityZone: "us-east-1b"}}}},
		ReplicationInstances: []awsemu.EstateReplicationInstance{
			{ID: "orders-a", KmsKey: "alias/dms-orders", SubnetGroup: "private", AllocatedStorage: 100, EngineVersion: "3.5.3"},
			{ID: "orders-b", KmsKey: key, AllocatedStorage: 100, EngineVersion: "3.5.3", Tags: map[string]string{"team": "payments"}},
		},
		Endpoints: []awsemu.EstateEndpoint{
			{ID: "orders-source", Type: "source", Engine: "postgres", ServerName: "db.example.com", Port: 5432, DatabaseName: "orders", Username: "dms"},
			{ID: "orders-target", Type: "target", Engine: "s3", S3Settings: map[string]any{"BucketName": "lake", "EncryptionMode": "sse-kms", "ServerSideEncryptionKmsKeyId": "arn:aws:kms:us-east-1:111122223333:key/" + key}},
		},
		ReplicationTasks:   []awsemu.EstateReplicationTask{{ID: "orders-cdc", Instance: "orders-a", Source: "orders-source", Target: "orders-target", Status: "running"}},
		ReplicationConfigs: []awsemu.EstateReplicationConfig{{ID: "orders-serverless", Source: "orders-source", Target: "orders-target", KmsKey: key, MaxCapacityUnits: 16, Started: true}},
	}
}

// TestEveryOperationConformsToTheOfficialModels drives every operation the
// emulator serves, succeeding and failing, through the real SDK and raw
// requests, and checks every response against the official AWS models
// (see model_check_test.go). It fails when an operation was not both
// answered and refused at least once, so a new operation needs a line here.
func TestEveryOperationConformsToTheOfficialModels(t *testing.T) {
	mc := newModelChecker(t)
	srv := awsemu.New(awsemu.Options{})
	if err := srv.LoadEstate(modelEstate()); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(mc.handler(t, srv))
	t.Cleanup(ts.Close)
	e := &emu{srv: srv, url: ts.URL, cfg: sdkConfig("us-east-1", "AKIAEMULATORTEST", "")}

	driveSuccesses(t, e)
	driveErrors(t, e)
	driveFaults(t, e)

	answered, refused := map[string]bool{}, map[string]bool{}
	for _, c := range mc.seen {
		if c.Status == http.StatusOK {
			answered[c.Service+":"+c.Operation] = true
		} else {
			refused[c.Service+":"+c.Operation] = true
		}
	}
	var missing []string
	for _, op := range awsemu.Operations() {
		if !answered[op] {
			missing = append(missing, op+" (never answered)")
		}
		if !refused[op] {
			missing = append(missing, op+" (never refused)")
		}
	}
	if len(missing) > 0 {
		t.Errorf("operations not checked against their model (add them to model_test.go):\n  %s", strings.Join(missing, "\n  "))
	}
	t.Logf("%d responses checked against the models", len(mc.seen))
}

func must[T any](t *testing.T, what string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

// driveSuccesses calls every operation so that it succeeds.
func driveSuccesses(t *testing.T, e *emu) {
	d, k := e.dms(), e.kms()

	// KMS
	key := must[*kms.CreateKeyOutput](t, "CreateKey")(k.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("model"),
		Tags: []kmstypes.Tag{{TagKey: aws.String("team"), TagValue: aws.String("payments")}}})).KeyMetadata
	must[*kms.CreateKeyOutput](t, "CreateKey RSA")(k.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: kmstypes.KeySpecRsa2048, KeyUsage: kmstypes.KeyUsageTypeSignVerify}))
	must[*kms.CreateKeyOutput](t, "CreateKey HMAC")(k.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: kmstypes.KeySpecHmac256, KeyUsage: kmstypes.KeyUsageTypeGenerateVerifyMac}))
	must[*kms.CreateKeyOutput](t, "CreateKey external")(k.CreateKey(ctx, &kms.CreateKeyInput{Origin: kmstypes.OriginTypeExternal}))
	must[*kms.DescribeKeyOutput](t, "DescribeKey")(k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: key.Arn}))
	must[*kms.DescribeKeyOutput](t, "DescribeKey aws/dms")(k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/aws/dms")}))
	must[*kms.DescribeKeyOutput](t, "DescribeKey pending deletion")(k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d")}))
	must[*kms.ListKeysOutput](t, "ListKeys")(k.ListKeys(ctx, &kms.ListKeysInput{Limit: aws.Int32(1)}))
	must[*kms.CreateAliasOutput](t, "CreateAlias")(k.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/model"), TargetKeyId: key.KeyId}))
	must[*kms.ListAliasesOutput](t, "ListAliases")(k.ListAliases(ctx, &kms.ListAliasesInput{}))
	must[*kms.ListAliasesOutput](t, "ListAliases by key")(k.ListAliases(ctx, &kms.ListAliasesInput{KeyId: key.KeyId, Limit: aws.Int32(1)}))
	must[*kms.DeleteAliasOutput](t, "DeleteAlias")(k.DeleteAlias(ctx, &kms.DeleteAliasInput{AliasName: aws.String("alias/model")}))
	policy := must[*kms.GetKeyPolicyOutput](t, "GetKeyPolicy")(k.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: key.KeyId, PolicyName: aws.String("default")}))
	must[*kms.PutKeyPolicyOutput](t, "PutKeyPolicy")(k.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: key.KeyId, Policy: policy.Policy, PolicyName: aws.String("default")}))
	must[*kms.EnableKeyRotationOutput](t, "EnableKeyRotation")(k.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: key.KeyId}))
	must[*kms.GetKeyRotationStatusOutput](t, "GetKeyRotationStatus")(k.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: key.KeyId}))
	must[*kms.DisableKeyRotationOutput](t, "DisableKeyRotation")(k.DisableKeyRotation(ctx, &kms.DisableKeyRotationInput{KeyId: key.KeyId}))
	must[*kms.GetKeyRotationStatusOutput](t, "GetKeyRotationStatus disabled")(k.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: key.KeyId}))
	must[*kms.DisableKeyOutput](t, "DisableKey")(k.DisableKey(ctx, &kms.DisableKeyInput{KeyId: key.KeyId}))
	must[*kms.EnableKeyOutput](t, "EnableKey")(k.EnableKey(ctx, &kms.EnableKeyInput{KeyId: key.KeyId}))
	must[*kms.TagResourceOutput](t, "TagResource")(k.TagResource(ctx, &kms.TagResourceInput{KeyId: key.KeyId, Tags: []kmstypes.Tag{{TagKey: aws.String("env"), TagValue: aws.String("prod")}}}))
	must[*kms.ListResourceTagsOutput](t, "ListResourceTags")(k.ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: key.KeyId}))
	must[*kms.UntagResourceOutput](t, "UntagResource")(k.UntagResource(ctx, &kms.UntagResourceInput{KeyId: key.KeyId, TagKeys: []string{"env"}}))
	must[*kms.ScheduleKeyDeletionOutput](t, "ScheduleKeyDeletion")(k.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: key.KeyId, PendingWindowInDays: aws.Int32(7)}))
	must[*kms.DescribeKeyOutput](t, "DescribeKey scheduled")(k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: key.Arn}))
	must[*kms.CancelKeyDeletionOutput](t, "CancelKeyDeletion")(k.CancelKeyDeletion(ctx, &kms.CancelKeyDeletionInput{KeyId: key.KeyId}))
	must[*kms.EnableKeyOutput](t, "EnableKey after cancelling deletion")(k.EnableKey(ctx, &kms.EnableKeyInput{KeyId: key.KeyId}))

	// DMS
	instances := must[*dms.DescribeReplicationInstancesOutput](t, "DescribeReplicationInstances")(d.DescribeReplicationInstances(ctx, &dms.DescribeReplicationInstancesInput{}))
	byID := map[string]dmstypes.ReplicationInstance{}
	for _, r := range instances.ReplicationInstances {
		byID[*r.ReplicationInstanceIdentifier] = r
	}
	a, b := byID["orders-a"], byID["orders-b"]
	inst := must[*dms.CreateReplicationInstanceOutput](t, "CreateReplicationInstance")(d.CreateReplicationInstance(ctx, &dms.CreateReplicationInstanceInput{
		ReplicationInstanceIdentifier: aws.String("model-instance"), ReplicationInstanceClass: aws.String("dms.t3.medium"), AllocatedStorage: aws.Int32(50),
		KmsKeyId: key.Arn, ReplicationSubnetGroupIdentifier: aws.String("private"), PreferredMaintenanceWindow: aws.String("sun:05:00-sun:06:00"),
		Tags: []dmstypes.Tag{{Key: aws.String("team"), Value: aws.String("payments")}}})).ReplicationInstance
	must[*dms.ModifyReplicationInstanceOutput](t, "ModifyReplicationInstance")(d.ModifyReplicationInstance(ctx, &dms.ModifyReplicationInstanceInput{
		ReplicationInstanceArn: inst.ReplicationInstanceArn, AllocatedStorage: aws.Int32(60), ApplyImmediately: true}))
	must[*dms.ModifyReplicationInstanceOutput](t, "ModifyReplicationInstance later")(d.ModifyReplicationInstance(ctx, &dms.ModifyReplicationInstanceInput{
		ReplicationInstanceArn: b.ReplicationInstanceArn, ReplicationInstanceClass: aws.String("dms.r5.large"), ApplyImmediately: false}))
	must[*dms.DescribeReplicationInstancesOutput](t, "DescribeReplicationInstances pending")(d.DescribeReplicationInstances(ctx, &dms.DescribeReplicationInstancesInput{}))

	must[*dms.DescribeReplicationSubnetGroupsOutput](t, "DescribeReplicationSubnetGroups")(d.DescribeReplicationSubnetGroups(ctx, &dms.DescribeReplicationSubnetGroupsInput{}))
	must[*dms.CreateReplicationSubnetGroupOutput](t, "CreateReplicationSubnetGroup")(d.CreateReplicationSubnetGroup(ctx, &dms.CreateReplicationSubnetGroupInput{
		ReplicationSubnetGroupIdentifier: aws.String("model-sg"), ReplicationSubnetGroupDescription: aws.String("model"),
		SubnetIds: []string{"subnet-0a11b22c33d44e553", "subnet-0a11b22c33d44e554"}}))
	must[*dms.ModifyReplicationSubnetGroupOutput](t, "ModifyReplicationSubnetGroup")(d.ModifyReplicationSubnetGroup(ctx, &dms.ModifyReplicationSubnetGroupInput{
		ReplicationSubnetGroupIdentifier: aws.String("model-sg"), ReplicationSubnetGroupDescription: aws.String("changed"),
		SubnetIds: []string{"subnet-0a11b22c33d44e553", "subnet-0a11b22c33d44e555"}}))
	must[*dms.DeleteReplicationSubnetGroupOutput](t, "DeleteReplicationSubnetGroup")(d.DeleteReplicationSubnetGroup(ctx, &dms.DeleteReplicationSubnetGroupInput{ReplicationSubnetGroupIdentifier: aws.String("model-sg")}))
	must[*dms.ImportCertificateOutput](t, "ImportCertificate")(d.ImportCertificate(ctx, &dms.ImportCertificateInput{
		CertificateIdentifier: aws.String("model-cert"), CertificatePem: aws.String("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")}))
	must[*dms.DescribeCertificatesOutput](t, "DescribeCertificates")(d.DescribeCertificates(ctx, &dms.DescribeCertificatesInput{}))

	ep := must[*dms.CreateEndpointOutput](t, "CreateEndpoint")(d.CreateEndpoint(ctx, &dms.CreateEndpointInput{EndpointIdentifier: aws.String("model-ep"),
		EndpointType: dmstypes.ReplicationEndpointTypeValueSource, EngineName: aws.String("mysql"), ServerName: aws.String("db"), Port: aws.Int32(3306),
		Username: aws.String("u"), Password: aws.String("p"), SslMode: dmstypes.DmsSslModeValueRequire})).Endpoint
	endpoints := must[*dms.DescribeEndpointsOutput](t, "DescribeEndpoints")(d.DescribeEndpoints(ctx, &dms.DescribeEndpointsInput{}))
	var src, tgt string
	for _, x := range endpoints.Endpoints {
		switch *x.EndpointIdentifier {
		case "orders-source":
			src = *x.EndpointArn
		case "orders-target":
			tgt = *x.EndpointArn
		}
	}
	must[*dms.ModifyEndpointOutput](t, "ModifyEndpoint")(d.ModifyEndpoint(ctx, &dms.ModifyEndpointInput{EndpointArn: ep.EndpointArn, Port: aws.Int32(3307)}))
	must[*dms.DeleteEndpointOutput](t, "DeleteEndpoint")(d.DeleteEndpoint(ctx, &dms.DeleteEndpointInput{EndpointArn: ep.EndpointArn}))

	task := must[*dms.CreateReplicationTaskOutput](t, "CreateReplicationTask")(d.CreateReplicationTask(ctx, &dms.CreateReplicationTaskInput{
		ReplicationTaskIdentifier: aws.String("model-task"), ReplicationInstanceArn: a.ReplicationInstanceArn, SourceEndpointArn: aws.String(src),
		TargetEndpointArn: aws.String(tgt), MigrationType: dmstypes.MigrationTypeValueFullLoad, TableMappings: aws.String(`{"rules":[]}`)})).ReplicationTask
	must[*dms.DescribeReplicationTasksOutput](t, "DescribeReplicationTasks")(d.DescribeReplicationTasks(ctx, &dms.DescribeReplicationTasksInput{}))
	must[*dms.StartReplicationTaskAssessmentRunOutput](t, "StartReplicationTaskAssessmentRun")(d.StartReplicationTaskAssessmentRun(ctx, &dms.StartReplicationTaskAssessmentRunInput{
		ReplicationTaskArn: task.ReplicationTaskArn, AssessmentRunName: aws.String("model-run"), ServiceAccessRoleArn: aws.String("arn:aws:iam::111122223333:role/dms-assess"),
		ResultLocationBucket: aws.String("model-bucket"), ResultEncryptionMode: aws.String("SSE_S3")}))
	must[*dms.DescribeReplicationTaskAssessmentRunsOutput](t, "DescribeReplicationTaskAssessmentRuns")(d.DescribeReplicationTaskAssessmentRuns(ctx, &dms.DescribeReplicationTaskAssessmentRunsInput{}))
	must[*dms.ModifyReplicationTaskOutput](t, "ModifyReplicationTask")(d.ModifyReplicationTask(ctx, &dms.ModifyReplicationTaskInput{ReplicationTaskArn: task.ReplicationTaskArn, MigrationType: dmstypes.MigrationTypeValueFullLoadAndCdc}))
	must[*dms.DescribeReplicationTasksOutput](t, "DescribeReplicationTasks ready")(d.DescribeReplicationTasks(ctx, &dms.DescribeReplicationTasksInput{}))
	must[*dms.StartReplicationTaskOutput](t, "StartReplicationTask")(d.StartReplicationTask(ctx, &dms.StartReplicationTaskInput{ReplicationTaskArn: task.ReplicationTaskArn, StartReplicationTaskType: dmstypes.StartReplicationTaskTypeValueStartReplication}))
	must[*dms.DescribeReplicationTasksOutput](t, "DescribeReplicationTasks running")(d.DescribeReplicationTasks(ctx, &dms.DescribeReplicationTasksInput{}))
	must[*dms.StopReplicationTaskOutput](t, "StopReplicationTask")(d.StopReplicationTask(ctx, &dms.StopReplicationTaskInput{ReplicationTaskArn: task.ReplicationTaskArn}))
	must[*dms.DescribeReplicationTasksOutput](t, "DescribeReplicationTasks stopped")(d.DescribeReplicationTasks(ctx, &dms.DescribeReplicationTasksInput{}))
	must[*dms.MoveReplicationTaskOutput](t, "MoveReplicationTask")(d.MoveReplicationTask(ctx, &dms.MoveReplicationTaskInput{ReplicationTaskArn: task.ReplicationTaskArn, TargetReplicationInstanceArn: b.ReplicationInstanceArn}))
	must[*dms.DescribeReplicationTasksOutput](t, "DescribeReplicationTasks moved")(d.DescribeReplicationTasks(ctx, &dms.DescribeReplicationTasksInput{}))
	must[*dms.DeleteReplicationTaskOutput](t, "DeleteReplicationTask")(d.DeleteReplicationTask(ctx, &dms.DeleteReplicationTaskInput{ReplicationTaskArn: task.ReplicationTaskArn}))

	cfg := must[*dms.CreateReplicationConfigOutput](t, "CreateReplicationConfig")(d.CreateReplicationConfig(ctx, &dms.CreateReplicationConfigInput{
		ReplicationConfigIdentifier: aws.String("model-config"), ReplicationType: dmstypes.MigrationTypeValueFullLoad,
		SourceEndpointArn: aws.String(src), TargetEndpointArn: aws.String(tgt), TableMappings: aws.String(`{"rules":[]}`),
		ComputeConfig: &dmstypes.ComputeConfig{MaxCapacityUnits: aws.Int32(4), KmsKeyId: key.Arn, ReplicationSubnetGroupId: aws.String("private")}})).ReplicationConfig
	must[*dms.DescribeReplicationConfigsOutput](t, "DescribeReplicationConfigs")(d.DescribeReplicationConfigs(ctx, &dms.DescribeReplicationConfigsInput{}))
	must[*dms.ModifyReplicationConfigOutput](t, "ModifyReplicationConfig")(d.ModifyReplicationConfig(ctx, &dms.ModifyReplicationConfigInput{ReplicationConfigArn: cfg.ReplicationConfigArn,
		ComputeConfig: &dmstypes.ComputeConfig{MaxCapacityUnits: aws.Int32(8)}}))
	must[*dms.StartReplicationOutput](t, "StartReplication")(d.StartReplication(ctx, &dms.StartReplicationInput{ReplicationConfigArn: cfg.ReplicationConfigArn, StartReplicationType: aws.String("start-replication")}))
	must[*dms.DescribeReplicationsOutput](t, "DescribeReplications")(d.DescribeReplications(ctx, &dms.DescribeReplicationsInput{}))
	must[*dms.StopReplicationOutput](t, "StopReplication")(d.StopReplication(ctx, &dms.StopReplicationInput{ReplicationConfigArn: cfg.ReplicationConfigArn}))
	must[*dms.DescribeReplicationsOutput](t, "DescribeReplications stopped")(d.DescribeReplications(ctx, &dms.DescribeReplicationsInput{}))
	must[*dms.DeleteReplicationConfigOutput](t, "DeleteReplicationConfig")(d.DeleteReplicationConfig(ctx, &dms.DeleteReplicationConfigInput{ReplicationConfigArn: cfg.ReplicationConfigArn}))

	must[*dms.AddTagsToResourceOutput](t, "AddTagsToResource")(d.AddTagsToResource(ctx, &dms.AddTagsToResourceInput{ResourceArn: a.ReplicationInstanceArn, Tags: []dmstypes.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}))
	must[*dms.ListTagsForResourceOutput](t, "ListTagsForResource")(d.ListTagsForResource(ctx, &dms.ListTagsForResourceInput{ResourceArn: a.ReplicationInstanceArn}))
	must[*dms.ListTagsForResourceOutput](t, "ListTagsForResource by list")(d.ListTagsForResource(ctx, &dms.ListTagsForResourceInput{ResourceArnList: []string{*a.ReplicationInstanceArn, *b.ReplicationInstanceArn}}))
	must[*dms.RemoveTagsFromResourceOutput](t, "RemoveTagsFromResource")(d.RemoveTagsFromResource(ctx, &dms.RemoveTagsFromResourceInput{ResourceArn: a.ReplicationInstanceArn, TagKeys: []string{"env"}}))
	must[*dms.DeleteReplicationInstanceOutput](t, "DeleteReplicationInstance")(d.DeleteReplicationInstance(ctx, &dms.DeleteReplicationInstanceInput{ReplicationInstanceArn: inst.ReplicationInstanceArn}))
	must[*dms.DescribeReplicationInstancesOutput](t, "DescribeReplicationInstances after delete")(d.DescribeReplicationInstances(ctx, &dms.DescribeReplicationInstancesInput{}))

	// EC2, STS, Organizations, Security Hub
	must[*ec2.DescribeRegionsOutput](t, "DescribeRegions")(e.ec2().DescribeRegions(ctx, &ec2.DescribeRegionsInput{AllRegions: aws.Bool(true)}))
	must[*sts.GetCallerIdentityOutput](t, "GetCallerIdentity")(e.sts().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	must[*sts.AssumeRoleOutput](t, "AssumeRole")(e.sts().AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::444455556666:role/cmkguard-audit"), RoleSessionName: aws.String("model")}))
	must[*organizations.DescribeOrganizationOutput](t, "DescribeOrganization")(e.orgs().DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{}))
	must[*organizations.ListAccountsOutput](t, "ListAccounts")(e.orgs().ListAccounts(ctx, &organizations.ListAccountsInput{}))
	now := time.Now().UTC().Format(time.RFC3339)
	good := shtypes.AwsSecurityFinding{SchemaVersion: aws.String("2018-10-08"), Id: aws.String("f1"), ProductArn: aws.String("arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default"),
		GeneratorId: aws.String("cmkguard"), AwsAccountId: aws.String(awsemu.DefaultAccount), CreatedAt: aws.String(now), UpdatedAt: aws.String(now),
		Title: aws.String("t"), Description: aws.String("d"), Severity: &shtypes.Severity{Label: shtypes.SeverityLabelHigh},
		Resources: []shtypes.Resource{{Type: aws.String("AwsDmsReplicationInstance"), Id: aws.String("arn:aws:dms:us-east-1:111122223333:rep:X")}}}
	bad := good
	bad.Id, bad.CreatedAt = aws.String("f2"), aws.String("yesterday")
	must[*securityhub.BatchImportFindingsOutput](t, "BatchImportFindings")(e.securityhub().BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{good, bad}}))

	// AWS Config
	const endpointARN = "arn:aws:dms:us-east-1:111122223333:endpoint:ORDERSSOURCE"
	e.srv.RecordConfigurationItem(awsemu.ConfigurationItem{Account: awsemu.DefaultAccount, Region: "us-east-1",
		ResourceType: "AWS::DMS::Endpoint", ResourceID: "ORDERSSOURCE", ResourceName: "orders-source", ARN: endpointARN,
		CaptureTime: time.Now().Add(-time.Hour), Configuration: `{"kmsKeyId":"alias/aws/dms"}`})
	c := e.config()
	must[*configservice.PutEvaluationsOutput](t, "PutEvaluations")(c.PutEvaluations(ctx, &configservice.PutEvaluationsInput{
		ResultToken: aws.String(e.srv.NewConfigResultToken(awsemu.DefaultAccount, "us-east-1", "cmkguard")),
		Evaluations: []cstypes.Evaluation{{ComplianceResourceType: aws.String("AWS::DMS::Endpoint"), ComplianceResourceId: aws.String("ORDERSSOURCE"),
			ComplianceType: cstypes.ComplianceTypeNonCompliant, Annotation: aws.String("aws/dms"), OrderingTimestamp: aws.Time(time.Now())}}}))
	must[*configservice.GetComplianceDetailsByConfigRuleOutput](t, "GetComplianceDetailsByConfigRule")(c.GetComplianceDetailsByConfigRule(ctx,
		&configservice.GetComplianceDetailsByConfigRuleInput{ConfigRuleName: aws.String("cmkguard")}))
	must[*configservice.GetResourceConfigHistoryOutput](t, "GetResourceConfigHistory")(c.GetResourceConfigHistory(ctx,
		&configservice.GetResourceConfigHistoryInput{ResourceType: cstypes.ResourceTypeDMSEndpoint, ResourceId: aws.String("ORDERSSOURCE")}))
}

// rawAPI sends one request in the service's wire protocol, bypassing the
// SDK's own checks, and returns the status.
func rawAPI(t *testing.T, e *emu, service, op, body string) int {
	t.Helper()
	var req *http.Request
	var err error
	switch service {
	case "ec2", "sts":
		version := map[string]string{"ec2": "2016-11-15", "sts": "2011-06-15"}[service]
		form := "Action=" + url.QueryEscape(op) + "&Version=" + version
		if body != "" {
			form += "&" + body
		}
		req, err = http.NewRequest(http.MethodPost, e.url+"/", strings.NewReader(form))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	case "securityhub":
		req, err = http.NewRequest(http.MethodPost, e.url+"/findings/import", strings.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
	default:
		prefix := map[string]string{"dms": "AmazonDMSv20160101", "kms": "TrentService", "organizations": "AWSOrganizationsV20161128", "config": "StarlingDoveService"}[service]
		req, err = http.NewRequest(http.MethodPost, e.url+"/", strings.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			req.Header.Set("X-Amz-Target", prefix+"."+op)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", strings.Replace(testAuth, "%s", service, 1))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s:%s: %v", service, op, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// driveErrors makes every operation fail at least once, with the errors a
// caller meets most: a missing or malformed parameter, an unknown resource.
func driveErrors(t *testing.T, e *emu) {
	const noRep = `"arn:aws:dms:us-east-1:111122223333:rep:NOSUCHINSTANCE"`
	const noKey = `"00000000-0000-4000-8000-000000000000"`
	const missingFilter = `{"Filters":[{"Name":"replication-instance-id","Values":["nope"]}]}`
	calls := []struct{ service, op, body string }{}
	for _, op := range awsemu.Operations() {
		svc, name, _ := strings.Cut(op, ":")
		calls = append(calls, struct{ service, op, body string }{svc, name, "{}"})
	}
	calls = append(calls, []struct{ service, op, body string }{
		{"dms", "DescribeReplicationInstances", missingFilter},
		{"dms", "DescribeReplicationTasks", `{"Filters":[{"Name":"replication-task-id","Values":["nope"]}]}`},
		{"dms", "DescribeEndpoints", `{"Filters":[{"Name":"endpoint-id","Values":["nope"]}]}`},
		{"dms", "DescribeReplicationConfigs", `{"Filters":[{"Name":"replication-config-id","Values":["nope"]}]}`},
		{"dms", "DescribeReplications", `{"Filters":[{"Name":"replication-config-id","Values":["nope"]}]}`},
		{"dms", "DescribeReplicationSubnetGroups", `{"Filters":[{"Name":"replication-subnet-group-id","Values":["nope"]}]}`},
		{"dms", "DescribeReplicationInstances", `{"MaxRecords":5}`},
		{"dms", "DeleteReplicationInstance", `{"ReplicationInstanceArn":` + noRep + `}`},
		{"dms", "ModifyReplicationInstance", `{"ReplicationInstanceArn":` + noRep + `}`},
		{"dms", "ListTagsForResource", `{"ResourceArn":` + noRep + `}`},
		{"kms", "ListKeys", `{"Marker":"not-a-marker"}`},
		{"kms", "ListAliases", `{"Marker":"not-a-marker"}`},
		{"kms", "ListAliases", `{"KeyId":` + noKey + `}`},
		{"kms", "DescribeKey", `{"KeyId":` + noKey + `}`},
		{"kms", "CreateKey", `{"KeyUsage":"SIGN_VERIFY"}`},
		{"kms", "CreateKey", `{"Tags":[{"TagKey":"aws:team","TagValue":"x"}]}`},
		{"kms", "ScheduleKeyDeletion", `{"KeyId":` + noKey + `}`},
		{"organizations", "ListAccounts", `{"NextToken":"garbage"}`},
		{"ec2", "DescribeRegions", "AllRegions=maybe"},
		{"sts", "AssumeRole", "RoleArn=arn:aws:iam::444455556666:role/not-declared&RoleSessionName=model"},
		{"securityhub", "BatchImportFindings", `{"Findings":[]}`},
	}...)
	for _, c := range calls {
		rawAPI(t, e, c.service, c.op, c.body)
	}
	// Operations with no natural failure here (GetCallerIdentity,
	// DescribeOrganization in an organisation) are refused by the faults pass.
}

// driveFaults throttles every operation and fails it on the server's side,
// checking those errors' codes and statuses too.
func driveFaults(t *testing.T, e *emu) {
	ops := awsemu.Operations()
	sort.Strings(ops)
	for _, fault := range []awsemu.Faults{{Throttle: map[string]float64{"*": 1}}, {ServerErrorRate: 1, Seed: 1}, {ServerErrorRate: 1, Seed: 2}} {
		e.srv.SetFaults(fault)
		for _, op := range ops {
			svc, name, _ := strings.Cut(op, ":")
			if status := rawAPI(t, e, svc, name, "{}"); status < 400 {
				t.Errorf("%s under %+v: HTTP %d", op, fault, status)
			}
		}
	}
	e.srv.SetFaults(awsemu.Faults{})
}

// TestTheModelCheckerCatchesWhatItShould feeds the checker responses that
// break the models, so that a check that passes means something.
func TestTheModelCheckerCatchesWhatItShould(t *testing.T) {
	mc := newModelChecker(t)
	jsonErr := func(code string) http.Header {
		h := http.Header{}
		h.Set("X-Amzn-Errortype", code)
		return h
	}
	tests := []struct {
		name, service, op string
		status            int
		header            http.Header
		body              string
		want              string // in a problem; "" for none
	}{
		{"a good answer", "kms", "ListKeys", 200, nil, `{"Keys":[{"KeyId":"k","KeyArn":"arn:aws:kms:us-east-1:111122223333:key/k"}],"Truncated":false}`, ""},
		{"an ARN too short for its shape", "kms", "ListKeys", 200, nil, `{"Keys":[{"KeyId":"k","KeyArn":"arn"}],"Truncated":false}`, "outside 20..2048"},
		{"a member the shape lacks", "kms", "ListKeys", 200, nil, `{"Keys":[],"Truncated":false,"Extra":1}`, `member "Extra" is not in`},
		{"a string where a boolean belongs", "kms", "ListKeys", 200, nil, `{"Keys":[],"Truncated":"false"}`, "want a JSON boolean"},
		{"a value outside its enum", "kms", "DescribeKey", 200, nil, `{"KeyMetadata":{"KeyId":"k","KeyState":"Sleeping"}}`, "is not a value of the enum"},
		{"a required member missing", "kms", "DescribeKey", 200, nil, `{"KeyMetadata":{"Arn":"a"}}`, `required member "KeyId"`},
		{"a timestamp as text", "kms", "DescribeKey", 200, nil, `{"KeyMetadata":{"KeyId":"k","CreationDate":"2026-01-01"}}`, "epoch seconds"},
		{"a number out of range", "kms", "GetKeyRotationStatus", 200, nil, `{"RotationPeriodInDays":30}`, "outside"},
		{"a null", "kms", "DescribeKey", 200, nil, `{"KeyMetadata":null}`, "null"},
		{"a declared error", "kms", "ListKeys", 400, jsonErr("InvalidMarkerException"), `{}`, ""},
		{"a declared error with the wrong status", "kms", "ListKeys", 503, jsonErr("InvalidMarkerException"), `{}`, "the model says 400"},
		{"an error the operation does not declare", "kms", "ListKeys", 400, jsonErr("ResourceNotFoundFault"), `{}`, "neither declared"},
		{"a common error", "dms", "DescribeEndpoints", 400, jsonErr("AccessDeniedException"), `{}`, ""},
		{"a common error with the wrong status", "dms", "DescribeEndpoints", 500, jsonErr("ThrottlingException"), `{}`, "want 400"},
		{"an EC2 element the shape lacks", "ec2", "DescribeRegions", 200, nil, `<DescribeRegionsResponse><requestId>r</requestId><regionInfo><item><regionName>x</regionName><colour>red</colour></item></regionInfo></DescribeRegionsResponse>`, `element "colour"`},
		{"an STS answer without its result wrapper", "sts", "GetCallerIdentity", 200, nil, `<GetCallerIdentityResponse><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, "no GetCallerIdentityResult"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.header
			if h == nil {
				h = http.Header{}
			}
			_, problems := mc.problems(tt.service, tt.op, tt.status, h, []byte(tt.body))
			all := strings.Join(problems, "; ")
			switch {
			case tt.want == "" && len(problems) > 0:
				t.Errorf("problems %q, want none", all)
			case tt.want != "" && !strings.Contains(all, tt.want):
				t.Errorf("problems %q, want one mentioning %q", all, tt.want)
			}
		})
	}
}
