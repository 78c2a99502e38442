package rule

import (
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/state"
)

func TestTheNewPlacesDMSKeepsDataUnderAKey(t *testing.T) {
	t.Parallel()
	const acct, region = "111122223333", "eu-west-1"
	cmk := state.Key{ARN: "arn:aws:kms:eu-west-1:111122223333:key/c", Account: acct, Region: region, Resolved: true,
		Evidence: state.EvidenceDescribeKey, Manager: state.KeyManagerCustomer, State: "Enabled", Origin: "AWS_KMS"}
	awsKey := state.Key{ARN: "arn:aws:kms:eu-west-1:111122223333:key/a", Account: acct, Region: region, Resolved: true,
		Evidence: state.EvidenceDescribeKey, Manager: state.KeyManagerAWS, State: "Enabled"}
	unread := state.Key{ARN: "arn:aws:kms:eu-west-1:111122223333:key/u", Account: acct, Region: region, Evidence: state.EvidenceNone,
		UnknownReason: "kms:DescribeKey was denied", MissingPermission: "kms:DescribeKey"}
	arn := func(kind, id string) string { return "arn:aws:dms:eu-west-1:111122223333:" + kind + ":" + id }
	s := &state.State{
		InstanceProfiles: []state.InstanceProfile{
			{ARN: arn("instance-profile", "P1"), ID: "owned", Account: acct, Region: region},
			{ARN: arn("instance-profile", "P2"), ID: "cmk", Account: acct, Region: region, KeyRef: cmk.ARN, Key: cmk},
			{ARN: arn("instance-profile", "P3"), ID: "aws", Account: acct, Region: region, KeyRef: awsKey.ARN, Key: awsKey},
			{ARN: arn("instance-profile", "P4"), ID: "unread", Account: acct, Region: region, KeyRef: unread.ARN, Key: unread},
		},
		Certificates: []state.Certificate{
			{ARN: arn("cert", "C1"), ID: "default", Account: acct, Region: region, KeyRef: awsKey.ARN, Key: awsKey},
			{ARN: arn("cert", "C2"), ID: "cmk", Account: acct, Region: region, KeyRef: cmk.ARN, Key: cmk},
		},
		Endpoints: []state.Endpoint{
			{ARN: arn("endpoint", "E1"), ID: "docdb-none", Account: acct, Region: region, EngineName: "docdb", ContentSettings: "DocDbSettings"},
			{ARN: arn("endpoint", "E2"), ID: "mongo-cmk", Account: acct, Region: region, EngineName: "mongodb", ContentSettings: "MongoDbSettings", ContentKeyRef: cmk.ARN, ContentKey: cmk},
			{ARN: arn("endpoint", "E3"), ID: "postgres", Account: acct, Region: region, EngineName: "postgres"},
		},
		AssessmentRuns: []state.AssessmentRun{
			{ARN: arn("assessment-run", "A1"), ID: "no-setting", Account: acct, Region: region},
			{ARN: arn("assessment-run", "A2"), ID: "sse-s3", Account: acct, Region: region, EncryptionMode: "SSE_S3"},
			{ARN: arn("assessment-run", "A3"), ID: "kms-no-key", Account: acct, Region: region, EncryptionMode: "SSE_KMS"},
			{ARN: arn("assessment-run", "A4"), ID: "kms-cmk", Account: acct, Region: region, EncryptionMode: "SSE_KMS", KeyRef: cmk.ARN, Key: cmk},
		},
	}
	want := map[string]struct {
		status finding.Status
		reason string
	}{
		"dms-instance-profile-cmk owned":            {finding.StatusFail, "AWS owned key"},
		"dms-instance-profile-cmk cmk":              {finding.StatusPass, "customer-managed"},
		"dms-instance-profile-cmk aws":              {finding.StatusFail, "AWS-managed"},
		"dms-instance-profile-cmk unread":           {finding.StatusUnknown, "kms:DescribeKey was denied"},
		"dms-certificate-cmk default":               {finding.StatusFail, "AWS-managed"},
		"dms-certificate-cmk cmk":                   {finding.StatusPass, "customer-managed"},
		"dms-endpoint-docdb-cmk docdb-none":         {finding.StatusFail, "default AWS-managed aws/dms key"},
		"dms-endpoint-mongodb-cmk mongo-cmk":        {finding.StatusPass, "customer-managed"},
		"dms-assessment-results-sse-kms no-setting": {finding.StatusFail, "names no ResultEncryptionMode"},
		"dms-assessment-results-sse-kms sse-s3":     {finding.StatusFail, "SSE_S3"},
		"dms-assessment-results-sse-kms kms-no-key": {finding.StatusFail, "aws/s3"},
		"dms-assessment-results-sse-kms kms-cmk":    {finding.StatusPass, "customer-managed"},
	}
	got := map[string]finding.Finding{}
	for _, f := range Evaluate(s, Options{}) {
		switch f.ShortCode {
		case "dms-instance-profile-cmk", "dms-certificate-cmk", "dms-endpoint-docdb-cmk", "dms-endpoint-mongodb-cmk", "dms-assessment-results-sse-kms":
			got[f.ShortCode+" "+f.ResourceID] = f
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d findings, want %d (one per resource the rule applies to; none for the postgres endpoint)", len(got), len(want))
	}
	for k, w := range want {
		f, ok := got[k]
		if !ok {
			t.Errorf("%s: no finding", k)
			continue
		}
		if f.Status != w.status || !strings.Contains(f.Reason, w.reason) {
			t.Errorf("%s: %s %q, want %s mentioning %q", k, f.Status, f.Reason, w.status, w.reason)
		}
		if f.Status == finding.StatusFail && f.Remediation == "" {
			t.Errorf("%s: FAIL without a fix", k)
		}
	}
	if f := got["dms-instance-profile-cmk unread"]; f.MissingPermission != "kms:DescribeKey" {
		t.Errorf("an unreadable profile key names %q, want kms:DescribeKey", f.MissingPermission)
	}
}
