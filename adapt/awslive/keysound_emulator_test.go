package awslive_test

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/adapt/awslive"
	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/internal/awsemu"
	"github.com/cmkguard/cmkguard/rule"
	"github.com/cmkguard/cmkguard/state"
)

// withoutKeyRules drops the key rules' verdicts (by key id) from a
// verdicts map, for tests about the resource rules.
func withoutKeyRules(v map[string]finding.Status) map[string]finding.Status {
	maps.DeleteFunc(v, func(k string, _ finding.Status) bool {
		return strings.HasSuffix(k, " dms-key-policy-not-public") || strings.HasSuffix(k, " dms-key-policy-allows-dms") || strings.HasSuffix(k, " dms-key-rotation")
	})
	return v
}

const ksRegion = "eu-west-1"

// Key ids of the key soundness estate.
const (
	ksDefault  = "cccccccc-0000-0000-0000-000000000001" // KMS's default policy, no rotation
	ksOpen     = "cccccccc-0000-0000-0000-000000000002" // Principal "*" without a condition, rotating
	ksOdd      = "cccccccc-0000-0000-0000-000000000003" // Principal "*" under a condition the analyser does not know
	ksDenied   = "cccccccc-0000-0000-0000-000000000004" // a Deny of kms:CreateGrant to everyone
	ksDMS      = "cccccccc-0000-0000-0000-000000000005" // the aws/dms pattern: "*" with kms:CallerAccount and kms:ViaService
	ksImported = "cccccccc-0000-0000-0000-000000000006" // imported material: rotation does not apply
)

func ksPolicy(extra string) string {
	return `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + me + `:root"},"Action":"kms:*","Resource":"*"}` + extra + `]}`
}

// keySoundEstate has one instance per key verdict, two more on the default
// key (one call per key, not per resource), and instance profiles without a
// key, with a customer key and with the AWS-managed aws/dms key.
func keySoundEstate() *awsemu.Estate {
	viaDMS := `"kms:ViaService":"dms.` + ksRegion + `.amazonaws.com"`
	keys := []awsemu.EstateKey{
		{ID: ksDefault, Region: ksRegion},
		{ID: ksOpen, Region: ksRegion, RotationEnabled: true,
			Policy: ksPolicy(`,{"Sid":"Open","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}`)},
		{ID: ksOdd, Region: ksRegion, RotationEnabled: true,
			Policy: ksPolicy(`,{"Sid":"Odd","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"aws:SomethingNew":"x"}}}`)},
		{ID: ksDenied, Region: ksRegion, RotationEnabled: true,
			Policy: ksPolicy(`,{"Sid":"NoGrants","Effect":"Deny","Principal":"*","Action":"kms:CreateGrant","Resource":"*"}`)},
		{ID: ksDMS, Region: ksRegion, RotationEnabled: true,
			Policy: ksPolicy(`,{"Sid":"DMS","Effect":"Allow","Principal":{"AWS":"*"},"Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:CreateGrant","kms:ListGrants","kms:DescribeKey"],"Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"` + me + `",` + viaDMS + `}}}`)},
		{ID: ksImported, Region: ksRegion, Origin: "EXTERNAL"},
	}
	est := &awsemu.Estate{DefaultAccount: me, Keys: keys}
	for _, inst := range []struct{ id, key string }{
		{"default-a", ksDefault}, {"default-b", ksDefault}, {"default-c", ksDefault},
		{"open", ksOpen}, {"odd", ksOdd}, {"denied", ksDenied}, {"dms", ksDMS}, {"imported", ksImported},
	} {
		est.ReplicationInstances = append(est.ReplicationInstances, awsemu.EstateReplicationInstance{
			ID: inst.id, Region: ksRegion, KmsKey: keyARN(ksRegion, me, inst.key)})
	}
	est.InstanceProfiles = []awsemu.EstateInstanceProfile{
		{Name: "profile-aws-owned", Region: ksRegion},
		{Name: "profile-cmk", Region: ksRegion, KmsKey: keyARN(ksRegion, me, ksDefault)},
		{Name: "profile-aws-dms", Region: ksRegion, KmsKey: "alias/aws/dms"},
	}
	est.Endpoints = []awsemu.EstateEndpoint{
		{ID: "docdb-cmk", Region: ksRegion, Type: "source", Engine: "docdb", KmsKey: keyARN(ksRegion, me, ksDMS),
			DocDbSettings: map[string]any{"KmsKeyId": keyARN(ksRegion, me, ksDMS), "NestingLevel": "none"}},
		{ID: "docdb-default", Region: ksRegion, Type: "source", Engine: "docdb", KmsKey: keyARN(ksRegion, me, ksDMS),
			DocDbSettings: map[string]any{"NestingLevel": "one"}},
		{ID: "mongodb-no-settings", Region: ksRegion, Type: "source", Engine: "mongodb", KmsKey: keyARN(ksRegion, me, ksDMS)},
		{ID: "mongodb-cmk", Region: ksRegion, Type: "source", Engine: "mongodb", KmsKey: keyARN(ksRegion, me, ksDMS),
			MongoDbSettings: map[string]any{"KmsKeyId": keyARN(ksRegion, me, ksDMS), "AuthType": "password"}},
		{ID: "lake", Region: ksRegion, Type: "target", Engine: "s3", S3Settings: map[string]any{
			"BucketName": "lake", "ServiceAccessRoleArn": "arn:aws:iam::" + me + ":role/dms-s3", "EncryptionMode": "SSE_KMS",
			"ServerSideEncryptionKmsKeyId": keyARN(ksRegion, me, ksDMS)}},
	}
	est.ReplicationTasks = []awsemu.EstateReplicationTask{{ID: "docdb-to-lake", Region: ksRegion, Instance: "dms", Source: "docdb-cmk", Target: "lake"}}
	est.ReplicationConfigs = []awsemu.EstateReplicationConfig{{ID: "serverless-lake", Region: ksRegion, Source: "docdb-cmk", Target: "lake",
		KmsKey: keyARN(ksRegion, me, ksDMS), PremigrationAssessments: []awsemu.EstatePremigrationAssessment{
			{EncryptionMode: "SSE_KMS", KmsKey: keyARN(ksRegion, me, ksDMS)}}}}
	est.AssessmentRuns = []awsemu.EstateAssessmentRun{
		{Name: "run-sse-s3", Region: ksRegion, Task: "docdb-to-lake", EncryptionMode: "SSE_S3"},
		{Name: "run-no-setting", Region: ksRegion, Task: "docdb-to-lake"},
		{Name: "run-cmk", Region: ksRegion, Task: "docdb-to-lake", EncryptionMode: "SSE_KMS", KmsKey: keyARN(ksRegion, me, ksDMS)},
	}
	est.Certificates = []awsemu.EstateCertificate{
		{ID: "cert-default-key", Region: ksRegion},
		{ID: "cert-cmk", Region: ksRegion, KmsKey: keyARN(ksRegion, me, ksDMS)},
	}
	return est
}

func TestScanOfTheEmulatorJudgesEachCustomerKeyOnce(t *testing.T) {
	t.Parallel()
	_, cfg := startEmulator(t, keySoundEstate())
	st, stats, err := awslive.ScanAccount(context.Background(), cfg, awslive.Options{Regions: []string{ksRegion}})
	if err != nil {
		t.Fatal(err)
	}
	pass, fail, unknown := finding.StatusPass, finding.StatusFail, finding.StatusUnknown
	const world, dmsUse, rotation = " dms-key-policy-not-public", " dms-key-policy-allows-dms", " dms-key-rotation"
	want := map[string]finding.Status{
		// KMS's default policy leaves DMS to IAM, which the audit cannot see.
		ksDefault + world: pass, ksDefault + dmsUse: unknown, ksDefault + rotation: fail,
		ksOpen + world: fail, ksOpen + dmsUse: pass, ksOpen + rotation: pass,
		ksOdd + world: unknown, ksOdd + dmsUse: unknown, ksOdd + rotation: pass,
		ksDenied + world: pass, ksDenied + dmsUse: fail, ksDenied + rotation: pass,
		ksDMS + world: pass, ksDMS + dmsUse: pass, ksDMS + rotation: pass,
		// Imported material: rotation is not judged.
		ksImported + world: pass, ksImported + dmsUse: unknown,
		"profile-aws-owned dms-instance-profile-cmk":                             fail,
		"profile-cmk dms-instance-profile-cmk":                                   pass,
		"profile-aws-dms dms-instance-profile-cmk":                               fail,
		"cert-default-key dms-certificate-cmk":                                   fail,
		"cert-cmk dms-certificate-cmk":                                           pass,
		"docdb-cmk dms-endpoint-docdb-cmk":                                       pass,
		"docdb-default dms-endpoint-docdb-cmk":                                   fail,
		"mongodb-no-settings dms-endpoint-mongodb-cmk":                           fail,
		"mongodb-cmk dms-endpoint-mongodb-cmk":                                   pass,
		"run-sse-s3 dms-assessment-results-sse-kms":                              fail,
		"run-no-setting dms-assessment-results-sse-kms":                          fail,
		"run-cmk dms-assessment-results-sse-kms":                                 pass,
		"serverless-lake premigration assessment dms-assessment-results-sse-kms": pass,
	}
	got := map[string]finding.Status{}
	findings := rule.Evaluate(&st, rule.Options{})
	for _, f := range findings {
		if f.ResourceType == "AWS::KMS::Key" || f.ShortCode == "dms-instance-profile-cmk" || f.ShortCode == "dms-certificate-cmk" ||
			f.ShortCode == "dms-endpoint-docdb-cmk" || f.ShortCode == "dms-endpoint-mongodb-cmk" || f.ShortCode == "dms-assessment-results-sse-kms" {
			got[f.ResourceID+" "+f.ShortCode] = f.Status
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("key verdicts (-want +got):\n%s", diff)
	}
	for _, f := range findings {
		switch {
		case f.ResourceID == ksDefault && f.ShortCode == "dms-key-rotation":
			if !strings.Contains(f.Reason, "rotation period: none") || !strings.Contains(f.Reason, "instance default-a, instance default-b, instance default-c, instance profile profile-cmk") {
				t.Errorf("rotation FAIL reason %q: want the period and every resource using the key", f.Reason)
			}
		case f.ResourceID == ksOpen && f.ShortCode == "dms-key-rotation":
			if !strings.Contains(f.Reason, "every 365 days") {
				t.Errorf("rotation PASS reason %q: want the rotation period", f.Reason)
			}
		case f.ResourceID == ksOpen && f.ShortCode == "dms-key-policy-not-public":
			if !strings.Contains(f.Reason, "Open") || f.Severity != finding.SeverityHigh {
				t.Errorf("world FAIL %s %q: want high, naming statement Open", f.Severity, f.Reason)
			}
		case f.ResourceID == ksOdd && f.ShortCode == "dms-key-policy-not-public":
			if !strings.Contains(f.Reason, "Odd") {
				t.Errorf("world UNKNOWN reason %q: want statement Odd named", f.Reason)
			}
		case f.ResourceID == ksDenied && f.ShortCode == "dms-key-policy-allows-dms":
			if f.Severity != finding.SeverityCritical || !strings.Contains(f.Reason, "a Deny stops it") {
				t.Errorf("DMS FAIL %s %q: want critical, naming the Deny", f.Severity, f.Reason)
			}
		case f.ResourceID == ksDefault && f.ShortCode == "dms-key-policy-allows-dms":
			if !strings.Contains(f.Reason, "IAM") {
				t.Errorf("DMS UNKNOWN reason %q: want IAM named", f.Reason)
			}
		}
	}
	// Six distinct customer keys, twenty-one resources: one policy read per
	// key, one rotation read per key KMS can rotate (not the imported one).
	calls := stats.Calls()
	if calls["kms:GetKeyPolicy"] != 6 || calls["kms:GetKeyRotationStatus"] != 5 || calls["kms:DescribeKey"] != 7 {
		t.Errorf("calls %v: want 6 GetKeyPolicy, 5 GetKeyRotationStatus (one per distinct customer key KMS can rotate), 7 DescribeKey", calls)
	}
}

func TestADeniedKeySoundnessReadIsUnknownNamingThePermission(t *testing.T) {
	t.Parallel()
	tests := []struct {
		action string
		rules  []string
		// partial: what could be listed keeps its verdict; only the
		// region's finding is UNKNOWN (the task runs were listed, the
		// serverless replications' assessments were not).
		partial bool
	}{
		{"kms:GetKeyPolicy", []string{"dms-key-policy-not-public", "dms-key-policy-allows-dms"}, false},
		{"kms:GetKeyRotationStatus", []string{"dms-key-rotation"}, false},
		{"dms:DescribeInstanceProfiles", []string{"dms-instance-profile-cmk"}, false},
		{"dms:DescribeCertificates", []string{"dms-certificate-cmk"}, false},
		{"dms:DescribeReplicationTaskAssessmentRuns", []string{"dms-assessment-results-sse-kms"}, true},
		{"dms:DescribeReplications", []string{"dms-assessment-results-sse-kms"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			t.Parallel()
			srv, cfg := startEmulator(t, keySoundEstate())
			srv.AddDeny(awsemu.DenyRule{Action: tt.action})
			st, _, err := awslive.ScanAccount(context.Background(), cfg, awslive.Options{Regions: []string{ksRegion}})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, f := range rule.Evaluate(&st, rule.Options{}) {
				for _, r := range tt.rules {
					if f.ShortCode != r || (tt.partial && f.ResourceType != "AWS::Region") {
						continue
					}
					n++
					if f.Status != finding.StatusUnknown || f.MissingPermission != tt.action || !strings.Contains(f.Remediation, tt.action) {
						t.Errorf("%s on %s: %s naming %q (%q), want UNKNOWN naming %s", r, f.ResourceID, f.Status, f.MissingPermission, f.Remediation, tt.action)
					}
				}
			}
			if n == 0 {
				t.Errorf("no finding of %v", tt.rules)
			}
		})
	}
}

func TestThrottledKeySoundnessReadsKeepTheVerdicts(t *testing.T) {
	t.Parallel()
	_, calm := startEmulator(t, keySoundEstate())
	want, _, err := awslive.ScanAccount(context.Background(), calm, awslive.Options{Regions: []string{ksRegion}})
	if err != nil {
		t.Fatal(err)
	}
	srv, cfg := startEmulator(t, keySoundEstate())
	srv.SetFaults(awsemu.Faults{Throttle: map[string]float64{"kms:GetKeyPolicy": 0.8, "kms:GetKeyRotationStatus": 0.8, "dms:DescribeInstanceProfiles": 0.8, "dms:DescribeCertificates": 0.8, "dms:DescribeReplicationTaskAssessmentRuns": 0.8}, Seed: 11})
	fastRetries(&cfg, time.Minute)
	st, stats, err := awslive.ScanAccount(context.Background(), cfg, awslive.Options{Regions: []string{ksRegion}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(verdicts(t, want, rule.Options{}), verdicts(t, st, rule.Options{})); diff != "" {
		t.Errorf("verdicts under throttling differ (-calm +throttled):\n%s", diff)
	}
	if th := stats.Throttled(); th["kms:GetKeyPolicy"] == 0 || th["kms:GetKeyRotationStatus"] == 0 {
		t.Errorf("the key soundness reads were not throttled: %v", th)
	}
}

func TestAScopeWithoutKeysReadsNoKeyPolicy(t *testing.T) {
	t.Parallel()
	_, cfg := startEmulator(t, keySoundEstate())
	st, stats, err := awslive.ScanAccount(context.Background(), cfg, awslive.Options{Regions: []string{ksRegion}, Scope: []state.ResourceKind{state.KindInstances}})
	if err != nil {
		t.Fatal(err)
	}
	if c := stats.Calls(); c["kms:GetKeyPolicy"]+c["kms:GetKeyRotationStatus"]+c["dms:DescribeInstanceProfiles"]+c["dms:DescribeCertificates"]+c["dms:DescribeReplicationTaskAssessmentRuns"] != 0 {
		t.Errorf("calls %v: want no key soundness or instance profile read outside the scope", c)
	}
	for _, f := range rule.Evaluate(&st, rule.Options{}) {
		if f.ResourceType == "AWS::KMS::Key" || f.ShortCode == "dms-instance-profile-cmk" {
			t.Errorf("%s %s evaluated outside the scope", f.ShortCode, f.ResourceID)
		}
	}
}
