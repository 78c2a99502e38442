package awsemu_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	dmstypes "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go"

	"github.com/cmkguard/cmkguard/internal/awsemu"
)

const testPEM = "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n"

func TestInstanceProfilesReportTheKeyGivenOrNone(t *testing.T) {
	t.Parallel()
	e := startEmu(t, awsemu.Options{DefaultAccount: "111122223333"})
	ctx := context.Background()
	key, err := e.kms().CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	keyARN := aws.ToString(key.KeyMetadata.Arn)
	c := e.dms()
	with, err := c.CreateInstanceProfile(ctx, &dms.CreateInstanceProfileInput{InstanceProfileName: aws.String("with-key"), KmsKeyArn: aws.String(keyARN)})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(with.InstanceProfile.KmsKeyArn); got != keyARN {
		t.Errorf("KmsKeyArn %q, want %q", got, keyARN)
	}
	if !strings.Contains(aws.ToString(with.InstanceProfile.InstanceProfileArn), ":dms:us-east-1:111122223333:instance-profile:") {
		t.Errorf("ARN %q", aws.ToString(with.InstanceProfile.InstanceProfileArn))
	}
	if _, err := c.CreateInstanceProfile(ctx, &dms.CreateInstanceProfileInput{InstanceProfileName: aws.String("aws-owned")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateInstanceProfile(ctx, &dms.CreateInstanceProfileInput{InstanceProfileName: aws.String("bad-key"), KmsKeyArn: aws.String("arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000")})
	var notAccessible *dmstypes.KMSKeyNotAccessibleFault
	if !errors.As(err, &notAccessible) {
		t.Errorf("a missing key: %v, want KMSKeyNotAccessibleFault", err)
	}
	_, err = c.CreateInstanceProfile(ctx, &dms.CreateInstanceProfileInput{InstanceProfileName: aws.String("with-key")})
	var exists *dmstypes.ResourceAlreadyExistsFault
	if !errors.As(err, &exists) {
		t.Errorf("a duplicate name: %v, want ResourceAlreadyExistsFault", err)
	}
	out, err := c.DescribeInstanceProfiles(ctx, &dms.DescribeInstanceProfilesInput{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range out.InstanceProfiles {
		got[aws.ToString(p.InstanceProfileName)] = aws.ToString(p.KmsKeyArn)
	}
	if len(got) != 2 || got["with-key"] != keyARN || got["aws-owned"] != "" {
		t.Errorf("profiles %v: want with-key under %s and aws-owned with no key (an AWS owned key)", got, keyARN)
	}
	one, err := c.DescribeInstanceProfiles(ctx, &dms.DescribeInstanceProfilesInput{Filters: []dmstypes.Filter{{Name: aws.String("instance-profile-identifier"), Values: []string{aws.ToString(with.InstanceProfile.InstanceProfileArn)}}}})
	if err != nil || len(one.InstanceProfiles) != 1 {
		t.Errorf("filter by ARN: %d profiles, %v", len(one.InstanceProfiles), err)
	}
}

func TestImportedCertificatesReportTheKeyTheyAreEncryptedWith(t *testing.T) {
	t.Parallel()
	e := startEmu(t, awsemu.Options{DefaultAccount: "111122223333"})
	ctx := context.Background()
	key, err := e.kms().CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	keyARN := aws.ToString(key.KeyMetadata.Arn)
	c := e.dms()
	if _, err := c.ImportCertificate(ctx, &dms.ImportCertificateInput{CertificateIdentifier: aws.String("cmk-cert"), CertificatePem: aws.String(testPEM), KmsKeyId: aws.String(keyARN)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ImportCertificate(ctx, &dms.ImportCertificateInput{CertificateIdentifier: aws.String("default-cert"), CertificatePem: aws.String(testPEM)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ImportCertificate(ctx, &dms.ImportCertificateInput{CertificateIdentifier: aws.String("not-pem"), CertificatePem: aws.String("hello")})
	var invalid *dmstypes.InvalidCertificateFault
	if !errors.As(err, &invalid) {
		t.Errorf("a non-PEM certificate: %v, want InvalidCertificateFault", err)
	}
	out, err := c.DescribeCertificates(ctx, &dms.DescribeCertificatesInput{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, cert := range out.Certificates {
		got[aws.ToString(cert.CertificateIdentifier)] = aws.ToString(cert.KmsKeyId)
	}
	aliases, err := e.kms().ListAliases(ctx, &kms.ListAliasesInput{})
	if err != nil {
		t.Fatal(err)
	}
	dmsKey := ""
	for _, a := range aliases.Aliases {
		if aws.ToString(a.AliasName) == "alias/aws/dms" {
			dmsKey = aws.ToString(a.TargetKeyId)
		}
	}
	if got["cmk-cert"] != keyARN || dmsKey == "" || !strings.HasSuffix(got["default-cert"], "key/"+dmsKey) {
		t.Errorf("certificates %v: want cmk-cert under %s, default-cert under the aws/dms key %s", got, keyARN, dmsKey)
	}
	_, err = c.DescribeCertificates(ctx, &dms.DescribeCertificatesInput{Filters: []dmstypes.Filter{{Name: aws.String("certificate-id"), Values: []string{"nope"}}}})
	var nf *dmstypes.ResourceNotFoundFault
	if !errors.As(err, &nf) {
		t.Errorf("a filter matching nothing: %v, want ResourceNotFoundFault", err)
	}
}

func TestTheNewListingsCanBeDenied(t *testing.T) {
	t.Parallel()
	for _, action := range []string{"dms:DescribeInstanceProfiles", "dms:DescribeCertificates"} {
		t.Run(action, func(t *testing.T) {
			t.Parallel()
			e := startEmu(t, awsemu.Options{DefaultAccount: "111122223333"})
			e.srv.AddDeny(awsemu.DenyRule{Action: action})
			var err error
			if action == "dms:DescribeCertificates" {
				_, err = e.dms().DescribeCertificates(context.Background(), &dms.DescribeCertificatesInput{})
			} else {
				_, err = e.dms().DescribeInstanceProfiles(context.Background(), &dms.DescribeInstanceProfilesInput{})
			}
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || !strings.Contains(apiErr.ErrorCode(), "AccessDenied") || !strings.Contains(apiErr.ErrorMessage(), action) {
				t.Errorf("%s denied: %v, want an access-denied error naming the action", action, err)
			}
		})
	}
}

func TestDocumentDBAndMongoDBSettingsKeepTheirKey(t *testing.T) {
	t.Parallel()
	e := startEmu(t, awsemu.Options{DefaultAccount: "111122223333"})
	ctx := context.Background()
	key, err := e.kms().CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	keyARN := aws.ToString(key.KeyMetadata.Arn)
	c := e.dms()
	if _, err := c.CreateEndpoint(ctx, &dms.CreateEndpointInput{EndpointIdentifier: aws.String("docdb"), EndpointType: dmstypes.ReplicationEndpointTypeValueSource,
		EngineName: aws.String("docdb"), DocDbSettings: &dmstypes.DocDbSettings{KmsKeyId: aws.String(keyARN), DatabaseName: aws.String("orders")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateEndpoint(ctx, &dms.CreateEndpointInput{EndpointIdentifier: aws.String("mongo"), EndpointType: dmstypes.ReplicationEndpointTypeValueSource,
		EngineName: aws.String("mongodb"), MongoDbSettings: &dmstypes.MongoDbSettings{AuthType: dmstypes.AuthTypeValuePassword}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateEndpoint(ctx, &dms.CreateEndpointInput{EndpointIdentifier: aws.String("bad"), EndpointType: dmstypes.ReplicationEndpointTypeValueSource,
		EngineName: aws.String("mongodb"), MongoDbSettings: &dmstypes.MongoDbSettings{KmsKeyId: aws.String("arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000")}})
	var notAccessible *dmstypes.KMSKeyNotAccessibleFault
	if !errors.As(err, &notAccessible) {
		t.Errorf("a MongoDbSettings key that does not exist: %v, want KMSKeyNotAccessibleFault", err)
	}
	out, err := c.DescribeEndpoints(ctx, &dms.DescribeEndpointsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ep := range out.Endpoints {
		switch aws.ToString(ep.EndpointIdentifier) {
		case "docdb":
			if ep.DocDbSettings == nil || aws.ToString(ep.DocDbSettings.KmsKeyId) != keyARN {
				t.Errorf("docdb settings %+v, want KmsKeyId %s", ep.DocDbSettings, keyARN)
			}
		case "mongo":
			if ep.MongoDbSettings == nil || ep.MongoDbSettings.KmsKeyId != nil || ep.MongoDbSettings.AuthType != dmstypes.AuthTypeValuePassword {
				t.Errorf("mongodb settings %+v, want them as given, without a key", ep.MongoDbSettings)
			}
		}
	}
}

func TestAssessmentRunsKeepTheirResultEncryption(t *testing.T) {
	t.Parallel()
	e := startEmu(t, awsemu.Options{DefaultAccount: "111122223333"})
	if err := e.srv.LoadEstate(&awsemu.Estate{
		Endpoints: []awsemu.EstateEndpoint{
			{ID: "src", Type: "source", Engine: "postgres", ServerName: "db.example.com", Port: 5432, Username: "dms"},
			{ID: "dst", Type: "target", Engine: "postgres", ServerName: "db2.example.com", Port: 5432, Username: "dms"},
		},
		ReplicationInstances: []awsemu.EstateReplicationInstance{{ID: "ri"}},
		ReplicationTasks:     []awsemu.EstateReplicationTask{{ID: "task", Instance: "ri", Source: "src", Target: "dst"}},
	}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	key, err := e.kms().CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	keyARN := aws.ToString(key.KeyMetadata.Arn)
	c := e.dms()
	tasks, err := c.DescribeReplicationTasks(ctx, &dms.DescribeReplicationTasksInput{})
	if err != nil || len(tasks.ReplicationTasks) != 1 {
		t.Fatalf("tasks: %v", err)
	}
	taskARN := tasks.ReplicationTasks[0].ReplicationTaskArn
	start := func(name, mode, key string) error {
		in := &dms.StartReplicationTaskAssessmentRunInput{ReplicationTaskArn: taskARN, AssessmentRunName: aws.String(name),
			ServiceAccessRoleArn: aws.String("arn:aws:iam::111122223333:role/dms-assess"), ResultLocationBucket: aws.String("results")}
		if mode != "" {
			in.ResultEncryptionMode = aws.String(mode)
		}
		if key != "" {
			in.ResultKmsKeyArn = aws.String(key)
		}
		_, err := c.StartReplicationTaskAssessmentRun(ctx, in)
		return err
	}
	for _, run := range []struct{ name, mode, key string }{{"kms", "SSE_KMS", keyARN}, {"s3", "SSE_S3", ""}, {"none", "", ""}} {
		if err := start(run.name, run.mode, run.key); err != nil {
			t.Fatalf("start %s: %v", run.name, err)
		}
	}
	var invalid smithy.APIError
	if err := start("kms-without-key", "SSE_KMS", ""); !errors.As(err, &invalid) || invalid.ErrorCode() != "InvalidParameterValueException" {
		t.Errorf("SSE_KMS without a key: %v, want InvalidParameterValueException", err)
	}
	var notAccessible *dmstypes.KMSKeyNotAccessibleFault
	if err := start("missing-key", "SSE_KMS", "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000"); !errors.As(err, &notAccessible) {
		t.Errorf("a key that does not exist: %v, want KMSKeyNotAccessibleFault", err)
	}
	out, err := c.DescribeReplicationTaskAssessmentRuns(ctx, &dms.DescribeReplicationTaskAssessmentRunsInput{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range out.ReplicationTaskAssessmentRuns {
		got[aws.ToString(r.AssessmentRunName)] = aws.ToString(r.ResultEncryptionMode) + " " + aws.ToString(r.ResultKmsKeyArn)
	}
	want := map[string]string{"kms": "SSE_KMS " + keyARN, "s3": "SSE_S3 ", "none": " "}
	if len(got) != len(want) || got["kms"] != want["kms"] || got["s3"] != want["s3"] || got["none"] != want["none"] {
		t.Errorf("runs %v, want %v", got, want)
	}
}

func TestServerlessReplicationsReportTheirPremigrationAssessments(t *testing.T) {
	t.Parallel()
	e := startEmu(t, awsemu.Options{DefaultAccount: "111122223333"})
	if err := e.srv.LoadEstate(&awsemu.Estate{
		Keys: []awsemu.EstateKey{{ID: "11111111-2222-3333-4444-555555555555"}},
		Endpoints: []awsemu.EstateEndpoint{
			{ID: "src", Type: "source", Engine: "postgres", ServerName: "db.example.com", Port: 5432, Username: "dms"},
			{ID: "dst", Type: "target", Engine: "postgres", ServerName: "db2.example.com", Port: 5432, Username: "dms"},
		},
		ReplicationConfigs: []awsemu.EstateReplicationConfig{{ID: "sync", Source: "src", Target: "dst", PremigrationAssessments: []awsemu.EstatePremigrationAssessment{
			{EncryptionMode: "SSE_S3"},
			{EncryptionMode: "SSE_KMS", KmsKey: "arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555"},
		}}},
	}); err != nil {
		t.Fatal(err)
	}
	out, err := e.dms().DescribeReplications(context.Background(), &dms.DescribeReplicationsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Replications) != 1 || len(out.Replications[0].PremigrationAssessmentStatuses) != 2 {
		t.Fatalf("replications %+v: want one with two premigration assessments", out.Replications)
	}
	st := out.Replications[0].PremigrationAssessmentStatuses
	if aws.ToString(st[0].ResultEncryptionMode) != "SSE_S3" || aws.ToString(st[1].ResultKmsKeyArn) == "" || aws.ToString(st[1].PremigrationAssessmentRunArn) == "" {
		t.Errorf("premigration assessments %+v", st)
	}
	if err := awsemu.New(awsemu.Options{}).LoadEstate(&awsemu.Estate{
		Endpoints: []awsemu.EstateEndpoint{
			{ID: "src", Type: "source", Engine: "postgres", ServerName: "db.example.com", Port: 5432, Username: "dms"},
			{ID: "dst", Type: "target", Engine: "postgres", ServerName: "db2.example.com", Port: 5432, Username: "dms"},
		},
		ReplicationConfigs: []awsemu.EstateReplicationConfig{{ID: "sync", Source: "src", Target: "dst",
			PremigrationAssessments: []awsemu.EstatePremigrationAssessment{{EncryptionMode: "SSE_KMS"}}}},
	}); err == nil {
		t.Error("an SSE_KMS premigration assessment without a key was seeded")
	}
}
