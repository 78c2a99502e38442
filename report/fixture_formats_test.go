package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/state"
)

// goldenUpdateRequested reports whether the test binary was run with
// -update. The flag is declared once for the package (see golden_flag_test.go);
// looking it up by name keeps every format's tests independent of that file.
func goldenUpdateRequested() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// compareWithGolden compares got with testdata/<name>, or rewrites the file
// when the tests run with -update.
func compareWithGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if goldenUpdateRequested() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test ./report -update to create it): %v", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", name, cmp.Diff(string(want), string(got)))
	}
}

// fixtureRules are the two DMS rules, as the rule package describes them.
func fixtureRules() []finding.Rule {
	return []finding.Rule{
		{
			ID: "CMKG-DMS-001", ShortCode: "dms-instance-cmk", Title: "DMS replication instance encrypted with a customer-managed KMS key",
			Severity:    finding.SeverityHigh,
			Description: "A replication instance encrypted with the AWS-managed key aws/dms leaves key policy, rotation and revocation to AWS.",
			Remediation: "Create a replacement instance with a customer-managed key, move the tasks to it, then delete the old instance.",
			References:  []string{"https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Security.html#CHAP_Security.EncryptionKey"},
			Compliance: []finding.Control{
				{Framework: "GDPR", ID: "Art. 32(1)(a)", Title: "Encryption of personal data"},
				{Framework: "NIST SP 800-53 Rev. 5", ID: "SC-28", Title: "Protection of Information at Rest"},
				{Framework: "NIST SP 800-53 Rev. 5", ID: "SC-28(1)", Title: "Protection of Information at Rest | Cryptographic Protection"},
				{Framework: "PCI DSS v4.0", ID: "3.5.1", Title: "PAN is rendered unreadable anywhere it is stored"},
			},
		},
		{
			ID: "CMKG-DMS-002", ShortCode: "dms-instance-key-usable", Title: "DMS replication instance key is usable",
			Severity:    finding.SeverityCritical,
			Description: "A disabled, pending-deletion or unavailable key makes the instance's data unreadable.",
			Remediation: "Re-enable the key or cancel its deletion; if it is gone, restore from the source.",
			Compliance: []finding.Control{
				{Framework: "NIST SP 800-53 Rev. 5", ID: "SC-12(1)", Title: "Cryptographic Key Establishment and Management | Availability"},
			},
		},
		{
			ID: "CMKG-DMS-003", ShortCode: "dms-serverless-cmk", Title: "DMS Serverless replication config encrypted with a customer-managed KMS key",
			Severity:    finding.SeverityHigh,
			Description: "A serverless replication config on the AWS-managed key aws/dms leaves key policy, rotation and revocation to AWS.",
			Remediation: "Modify the config's ComputeConfig.KmsKeyId before it starts, or re-create it.",
		},
	}
}

// fixtureScope is an audit narrowed to instances: the serverless rule was
// not evaluated, and every format must say so.
func fixtureScope() finding.Scope {
	return finding.Scope{
		Resources: []string{"instances"},
		Rules: []finding.RuleScope{
			{ID: "CMKG-DMS-001", Evaluated: true},
			{ID: "CMKG-DMS-002", Evaluated: true},
			{ID: "CMKG-DMS-003", Reason: "serverless replication configs were not in the scope (instances): not checked, which proves nothing about them"},
		},
	}
}

// fixtureEmpty is an audit that found nothing to report.
func fixtureEmpty() *finding.Report {
	return &finding.Report{
		SchemaVersion: finding.SchemaVersion,
		Tool:          finding.Tool{Name: "cmkguard", Version: "1.2.3"},
		GeneratedAt:   "2026-11-27T15:00:00Z",
		Accounts:      []string{},
		Regions:       []finding.Region{},
		Scope:         fixtureScope(),
		Rules:         fixtureRules(),
		Findings:      []finding.Finding{},
		Summary:       finding.Summarize(nil),
	}
}

func fixtureInstance(account, region, id string) finding.Finding {
	arn := "arn:aws:dms:" + region + ":" + account + ":rep:" + id
	return finding.Finding{
		RuleID: "CMKG-DMS-001", ShortCode: "dms-instance-cmk",
		Title:       "DMS replication instance encrypted with a customer-managed KMS key",
		Severity:    finding.SeverityHigh,
		ResourceARN: arn, ResourceID: id, ResourceType: "AWS::DMS::ReplicationInstance",
		Region: region, Account: account, Source: state.Source{ARN: arn},
	}
}

func fixturePass(account, region, id string, level state.ProtectionLevel) finding.Finding {
	f := fixtureInstance(account, region, id)
	f.Status = finding.StatusPass
	f.KeyARN = "arn:aws:kms:" + region + ":" + account + ":key/" + id + "-key"
	f.KeyAccount = account
	f.KeyManager = state.KeyManagerCustomer
	f.KeyState = "Enabled"
	f.ProtectionLevel = level
	f.Evidence = state.EvidenceDescribeKey
	f.Reason = "Encrypted with customer-managed key (" + string(level) + ")."
	return f
}

// fixtureEveryVerdict holds one finding of every verdict class, across two
// accounts and three regions, plus an IaC finding and text that needs escaping
// in every format.
func fixtureEveryVerdict() *finding.Report {
	const a1, a2 = "111111111111", "222222222222"
	const use1, euw1, apse2 = "us-east-1", "eu-west-1", "ap-southeast-2"

	awsManaged := fixtureInstance(a1, use1, "orders-replica")
	awsManaged.Status = finding.StatusFail
	awsManaged.KeyARN = "arn:aws:kms:us-east-1:111111111111:key/0f0e0d0c-aaaa-bbbb-cccc-000000000001"
	awsManaged.KeyAccount = a1
	awsManaged.KeyManager = state.KeyManagerAWS
	awsManaged.KeyState = "Enabled"
	awsManaged.Evidence = state.EvidenceDescribeKey
	awsManaged.Reason = "Encrypted with the AWS-managed key aws/dms."
	awsManaged.Remediation = "Replace the instance with one encrypted by a customer-managed key: cmkguard fix --instance orders-replica."

	disabled := fixtureInstance(a2, euw1, "billing-cdc")
	disabled.RuleID, disabled.ShortCode = "CMKG-DMS-002", "dms-instance-key-usable"
	disabled.Title, disabled.Severity = "DMS replication instance key is usable", finding.SeverityCritical
	disabled.Status = finding.StatusFail
	disabled.KeyARN = "arn:aws:kms:eu-west-1:222222222222:key/disabled-key"
	disabled.KeyAccount = a2
	disabled.KeyManager = state.KeyManagerCustomer
	disabled.KeyState = "Disabled"
	disabled.ProtectionLevel = state.ProtectionCustomerManaged
	disabled.Evidence = state.EvidenceDescribeKey
	disabled.Reason = `Key is Disabled: the instance's data cannot be read. Policy says "deny", see <b>x</b>, and
=cmd|'/c calc'!A1 stays text.`
	disabled.Remediation = "Enable the key: aws kms enable-key --key-id arn:aws:kms:eu-west-1:222222222222:key/disabled-key."

	denied := fixtureInstance(a1, euw1, "crm-sync")
	denied.Status = finding.StatusUnknown
	denied.KeyARN = "arn:aws:kms:eu-west-1:333333333333:key/cross-account"
	denied.KeyAccount = "333333333333"
	denied.Evidence = state.EvidenceNone
	denied.Reason = "kms:DescribeKey was denied on the key, and no alias names it."
	denied.MissingPermission = "kms:DescribeKey"

	region := finding.Finding{
		RuleID: "CMKG-DMS-001", ShortCode: "dms-instance-cmk",
		Title:    "DMS replication instance encrypted with a customer-managed KMS key",
		Severity: finding.SeverityHigh, Status: finding.StatusUnknown,
		ResourceID: apse2, ResourceType: "AWS::Region", Region: apse2, Account: a2,
		Reason:            "The region could not be listed: AccessDenied.",
		MissingPermission: "dms:DescribeReplicationInstances",
	}

	suppressed := fixtureInstance(a1, apse2, "legacy-etl")
	suppressed.Status = finding.StatusSuppressed
	suppressed.KeyARN = "arn:aws:kms:ap-southeast-2:111111111111:key/aws-dms-default"
	suppressed.KeyManager = state.KeyManagerAWS
	suppressed.Evidence = state.EvidenceListAliases
	suppressed.Reason = "Encrypted with the AWS-managed key aws/dms (alias aws/dms targets it)."
	suppressed.Suppression = &finding.Suppression{Reason: "Decommissioned in Q1; no sensitive data.", Expires: "2027-03-31", Source: ".cmkguardignore:3"}

	expired := fixtureInstance(a2, use1, "reporting")
	expired.Status = finding.StatusFail
	expired.KeyARN = "arn:aws:kms:us-east-1:222222222222:key/aws-dms-default"
	expired.KeyManager = state.KeyManagerAWS
	expired.KeyState = "Enabled"
	expired.Evidence = state.EvidenceDescribeKey
	expired.Reason = "Encrypted with the AWS-managed key aws/dms."
	expired.Remediation = "Replace the instance with one encrypted by a customer-managed key."
	expired.Suppression = &finding.Suppression{Reason: "Waiting for the migration window.", Expires: "2026-01-31", Expired: true, Source: ".cmkguardignore:7"}

	iac := finding.Finding{
		RuleID: "CMKG-DMS-001", ShortCode: "dms-instance-cmk",
		Title:    "DMS replication instance encrypted with a customer-managed KMS key",
		Severity: finding.SeverityHigh, Status: finding.StatusFail,
		ResourceID: "aws_dms_replication_instance.main", ResourceType: "AWS::DMS::ReplicationInstance",
		Region:      use1,
		Source:      state.Source{File: "infra/dms.tf", StartLine: 12, EndLine: 30, Address: "aws_dms_replication_instance.main"},
		KeyManager:  state.KeyManagerAWS,
		Evidence:    state.EvidenceDeclared,
		Reason:      "kms_key_arn is not set, so DMS uses the AWS-managed key aws/dms.",
		Remediation: "Set kms_key_arn to a customer-managed key; the instance will be replaced.",
	}

	findings := []finding.Finding{
		fixturePass(a1, use1, "sales-cmk", state.ProtectionCustomerManaged),
		fixturePass(a1, euw1, "hr-imported", state.ProtectionImported),
		fixturePass(a2, use1, "payments-hsm", state.ProtectionCloudHSM),
		fixturePass(a2, apse2, "vault-xks", state.ProtectionExternalKeyStore),
		awsManaged, disabled, denied, region, suppressed, expired, iac,
	}
	return &finding.Report{
		SchemaVersion: finding.SchemaVersion,
		Tool:          finding.Tool{Name: "cmkguard", Version: "1.2.3"},
		GeneratedAt:   "2026-11-27T15:00:00Z",
		Accounts:      []string{a1, a2},
		Regions: []finding.Region{
			{Account: a1, Region: apse2, Status: "scanned"},
			{Account: a1, Region: euw1, Status: "scanned"},
			{Account: a1, Region: use1, Status: "scanned"},
			{Account: a2, Region: apse2, Status: "failed", Reason: "AccessDenied"},
			{Account: a2, Region: euw1, Status: "scanned"},
			{Account: a2, Region: use1, Status: "scanned"},
		},
		Scope:    fixtureScope(),
		Rules:    fixtureRules(),
		Findings: findings,
		Summary:  finding.Summarize(findings),
	}
}

// fixtureCases are the reports every format renders to a golden file.
func fixtureCases() []struct {
	name   string
	report *finding.Report
} {
	return []struct {
		name   string
		report *finding.Report
	}{
		{"empty", fixtureEmpty()},
		{"every-verdict", fixtureEveryVerdict()},
	}
}
