package rule

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/state"
)

const (
	acct    = "111122223333"
	other   = "444455556666"
	region  = "eu-west-1"
	instARN = "arn:aws:dms:eu-west-1:111122223333:rep:ABCDEFGHIJ"
)

func keyARN(account, id string) string {
	return "arn:aws:kms:eu-west-1:" + account + ":key/" + id
}

func instance(k state.Key) state.ReplicationInstance {
	ref := k.ARN
	return state.ReplicationInstance{
		ARN: instARN, ID: "orders", Account: acct, Region: region, Status: "available",
		Source: state.Source{ARN: instARN}, KeyRef: ref, Key: k,
	}
}

func described(manager state.KeyManager, origin, keyState, account string) state.Key {
	return state.Key{
		ARN: keyARN(account, "k1"), Account: account, Region: region, Resolved: true,
		Evidence: state.EvidenceDescribeKey, Manager: manager, Origin: origin, State: keyState,
	}
}

// verdict is the part of a finding the rule tests compare.
type verdict struct {
	Status            finding.Status
	ProtectionLevel   state.ProtectionLevel
	MissingPermission string
}

func TestInstanceRules(t *testing.T) {
	t.Parallel()
	denied := state.Key{
		ARN: keyARN(acct, "k1"), Account: acct, Region: region, Evidence: state.EvidenceNone,
		UnknownReason: "kms:DescribeKey was denied", MissingPermission: "kms:DescribeKey",
	}
	awsByAlias := state.Key{
		ARN: keyARN(acct, "k1"), Account: acct, Region: region, Resolved: true, Evidence: state.EvidenceListAliases,
		Manager: state.KeyManagerAWS, Aliases: []string{"alias/aws/dms"}, MissingPermission: "kms:DescribeKey",
	}
	customerByAlias := state.Key{
		ARN: keyARN(acct, "k1"), Account: acct, Region: region, Resolved: true, Evidence: state.EvidenceListAliases,
		Manager: state.KeyManagerCustomer, Aliases: []string{"alias/dms-orders"}, MissingPermission: "kms:DescribeKey",
	}
	noKey := state.ReplicationInstance{ARN: instARN, ID: "orders", Account: acct, Region: region}

	tests := []struct {
		name     string
		inst     state.ReplicationInstance
		opts     Options
		cmk      verdict
		usable   verdict
		inReason string // a phrase the CMK finding's reason must contain
		// usableInReason is a phrase the usability finding's reason must contain.
		usableInReason string
	}{
		{
			name:     "an AWS-managed key fails the CMK rule and passes the usability rule",
			inst:     instance(described(state.KeyManagerAWS, "AWS_KMS", "Enabled", acct)),
			cmk:      verdict{Status: finding.StatusFail},
			usable:   verdict{Status: finding.StatusPass},
			inReason: "AWS-managed",
		},
		{
			name:     "an enabled customer key passes both rules at level customer-managed",
			inst:     instance(described(state.KeyManagerCustomer, "AWS_KMS", "Enabled", acct)),
			cmk:      verdict{Status: finding.StatusPass, ProtectionLevel: state.ProtectionCustomerManaged},
			usable:   verdict{Status: finding.StatusPass, ProtectionLevel: state.ProtectionCustomerManaged},
			inReason: "protection level customer-managed",
		},
		{
			name:   "an imported key passes at level imported",
			inst:   instance(described(state.KeyManagerCustomer, "EXTERNAL", "Enabled", acct)),
			cmk:    verdict{Status: finding.StatusPass, ProtectionLevel: state.ProtectionImported},
			usable: verdict{Status: finding.StatusPass, ProtectionLevel: state.ProtectionImported},
		},
		{
			name:   "a CloudHSM key passes at level cloudhsm",
			inst:   instance(described(state.KeyManagerCustomer, "AWS_CLOUDHSM", "Enabled", acct)),
			cmk:    verdict{Status: finding.StatusPass, ProtectionLevel: state.ProtectionCloudHSM},
			usable: verdict{Status: finding.StatusPass, ProtectionLevel: state.ProtectionCloudHSM},
		},
		{
			name:   "an external key store key passes at level external-key-store",
			inst:   instance(described(state.KeyManagerCustomer, "EXTERNAL_KEY_STORE", "Enabled", acct)),
			cmk:    verdict{Status: finding.StatusPass, ProtectionLevel: state.ProtectionExternalKeyStore},
			usable: verdict{Status: finding.StatusPass, ProtectionLevel: state.ProtectionExternalKeyStore},
		},
		{
			name:     "a customer key below the minimum protection level fails",
			inst:     instance(described(state.KeyManagerCustomer, "AWS_KMS", "Enabled", acct)),
			opts:     Options{MinProtection: state.ProtectionCloudHSM},
			cmk:      verdict{Status: finding.StatusFail, ProtectionLevel: state.ProtectionCustomerManaged},
			usable:   verdict{Status: finding.StatusPass, ProtectionLevel: state.ProtectionCustomerManaged},
			inReason: "below the required cloudhsm",
		},
		{
			name:   "a customer key at the minimum protection level passes",
			inst:   instance(described(state.KeyManagerCustomer, "AWS_CLOUDHSM", "Enabled", acct)),
			opts:   Options{MinProtection: state.ProtectionCloudHSM},
			cmk:    verdict{Status: finding.StatusPass, ProtectionLevel: state.ProtectionCloudHSM},
			usable: verdict{Status: finding.StatusPass, ProtectionLevel: state.ProtectionCloudHSM},
		},
		{
			name:     "a disabled customer key passes the CMK rule and fails the usability rule",
			inst:     instance(described(state.KeyManagerCustomer, "AWS_KMS", "Disabled", acct)),
			cmk:      verdict{Status: finding.StatusPass, ProtectionLevel: state.ProtectionCustomerManaged},
			usable:   verdict{Status: finding.StatusFail, ProtectionLevel: state.ProtectionCustomerManaged},
			inReason: "customer-managed",
		},
		{
			name:   "a key pending deletion fails the usability rule",
			inst:   instance(described(state.KeyManagerCustomer, "AWS_KMS", "PendingDeletion", acct)),
			cmk:    verdict{Status: finding.StatusPass, ProtectionLevel: state.ProtectionCustomerManaged},
			usable: verdict{Status: finding.StatusFail, ProtectionLevel: state.ProtectionCustomerManaged},
		},
		{
			name:   "a key pending import fails the usability rule",
			inst:   instance(described(state.KeyManagerCustomer, "EXTERNAL", "PendingImport", acct)),
			cmk:    verdict{Status: finding.StatusPass, ProtectionLevel: state.ProtectionImported},
			usable: verdict{Status: finding.StatusFail, ProtectionLevel: state.ProtectionImported},
		},
		{
			name:   "an unavailable key store key fails the usability rule",
			inst:   instance(described(state.KeyManagerCustomer, "AWS_CLOUDHSM", "Unavailable", acct)),
			cmk:    verdict{Status: finding.StatusPass, ProtectionLevel: state.ProtectionCloudHSM},
			usable: verdict{Status: finding.StatusFail, ProtectionLevel: state.ProtectionCloudHSM},
		},
		{
			name:   "a key in a transitional state is unknown for the usability rule",
			inst:   instance(described(state.KeyManagerCustomer, "AWS_KMS", "Creating", acct)),
			cmk:    verdict{Status: finding.StatusPass, ProtectionLevel: state.ProtectionCustomerManaged},
			usable: verdict{Status: finding.StatusUnknown, ProtectionLevel: state.ProtectionCustomerManaged},
		},
		{
			name:     "a denied DescribeKey with no alias evidence is unknown for both rules and names the permission",
			inst:     instance(denied),
			cmk:      verdict{Status: finding.StatusUnknown, MissingPermission: "kms:DescribeKey"},
			usable:   verdict{Status: finding.StatusUnknown, MissingPermission: "kms:DescribeKey"},
			inReason: "kms:DescribeKey was denied",
		},
		{
			name:           "the aws/dms alias proves an AWS-managed key when DescribeKey is denied, and so a usable one",
			inst:           instance(awsByAlias),
			cmk:            verdict{Status: finding.StatusFail},
			usable:         verdict{Status: finding.StatusPass},
			inReason:       "kms:ListAliases",
			usableInReason: "customers cannot disable or delete",
		},
		{
			name: "a key in another account whose metadata cannot be read passes the CMK rule on that evidence, its state stays unknown",
			inst: instance(state.Key{ARN: keyARN(other, "k1"), Account: other, Region: region, Resolved: true,
				Evidence: state.EvidenceCrossAccount, Manager: state.KeyManagerCustomer, MissingPermission: "kms:DescribeKey",
				UnknownReason: "kms:DescribeKey was denied (AccessDeniedException)"}),
			cmk:            verdict{Status: finding.StatusPass},
			usable:         verdict{Status: finding.StatusUnknown, MissingPermission: "kms:DescribeKey"},
			inReason:       "AWS-managed keys cannot be used from another account, so it is customer-managed; its metadata could not be read: kms:DescribeKey was denied",
			usableInReason: "not whether it is enabled",
		},
		{
			name: "cross-account evidence for a key of the resource's own account proves nothing",
			inst: instance(state.Key{ARN: keyARN(acct, "k1"), Account: acct, Region: region, Resolved: true,
				Evidence: state.EvidenceCrossAccount, Manager: state.KeyManagerCustomer}),
			cmk:      verdict{Status: finding.StatusUnknown},
			usable:   verdict{Status: finding.StatusUnknown},
			inReason: "not known to differ",
		},
		{
			name: "cross-account evidence still meets the trusted key accounts",
			inst: instance(state.Key{ARN: keyARN(other, "k1"), Account: other, Region: region, Resolved: true,
				Evidence: state.EvidenceCrossAccount, Manager: state.KeyManagerCustomer}),
			opts:     Options{TrustedKeyAccounts: []string{"999999999999"}},
			cmk:      verdict{Status: finding.StatusFail},
			usable:   verdict{Status: finding.StatusUnknown},
			inReason: "not a trusted key account",
		},
		{
			name: "cross-account evidence cannot prove a minimum protection level",
			inst: instance(state.Key{ARN: keyARN(other, "k1"), Account: other, Region: region, Resolved: true,
				Evidence: state.EvidenceCrossAccount, Manager: state.KeyManagerCustomer}),
			opts:     Options{MinProtection: state.ProtectionCloudHSM},
			cmk:      verdict{Status: finding.StatusUnknown},
			usable:   verdict{Status: finding.StatusUnknown},
			inReason: "origin is unknown",
		},
		{
			name:     "a customer alias proves a customer-managed key but not its state",
			inst:     instance(customerByAlias),
			cmk:      verdict{Status: finding.StatusPass},
			usable:   verdict{Status: finding.StatusUnknown, MissingPermission: "kms:DescribeKey"},
			inReason: "alias/dms-orders",
		},
		{
			name:     "a customer alias cannot prove a minimum protection level",
			inst:     instance(customerByAlias),
			opts:     Options{MinProtection: state.ProtectionImported},
			cmk:      verdict{Status: finding.StatusUnknown, MissingPermission: "kms:DescribeKey"},
			usable:   verdict{Status: finding.StatusUnknown, MissingPermission: "kms:DescribeKey"},
			inReason: "origin is unknown",
		},
		{
			name:     "an instance that reports no key is unknown, never compliant",
			inst:     noKey,
			cmk:      verdict{Status: finding.StatusUnknown},
			usable:   verdict{Status: finding.StatusUnknown},
			inReason: "reports no KMS key",
		},
		{
			name:     "a key in another account passes and says who owns it",
			inst:     instance(described(state.KeyManagerCustomer, "AWS_KMS", "Enabled", other)),
			cmk:      verdict{Status: finding.StatusPass, ProtectionLevel: state.ProtectionCustomerManaged},
			usable:   verdict{Status: finding.StatusPass, ProtectionLevel: state.ProtectionCustomerManaged},
			inReason: "owned by another account (444455556666)",
		},
		{
			name:     "a key in an account not trusted fails",
			inst:     instance(described(state.KeyManagerCustomer, "AWS_KMS", "Enabled", other)),
			opts:     Options{TrustedKeyAccounts: []string{"999999999999"}},
			cmk:      verdict{Status: finding.StatusFail, ProtectionLevel: state.ProtectionCustomerManaged},
			usable:   verdict{Status: finding.StatusPass, ProtectionLevel: state.ProtectionCustomerManaged},
			inReason: "not a trusted key account",
		},
		{
			name:   "a key in a trusted account passes",
			inst:   instance(described(state.KeyManagerCustomer, "AWS_KMS", "Enabled", other)),
			opts:   Options{TrustedKeyAccounts: []string{other}},
			cmk:    verdict{Status: finding.StatusPass, ProtectionLevel: state.ProtectionCustomerManaged},
			usable: verdict{Status: finding.StatusPass, ProtectionLevel: state.ProtectionCustomerManaged},
		},
		{
			name:   "a key in the instance's own account passes whatever the trusted list",
			inst:   instance(described(state.KeyManagerCustomer, "AWS_KMS", "Enabled", acct)),
			opts:   Options{TrustedKeyAccounts: []string{other}},
			cmk:    verdict{Status: finding.StatusPass, ProtectionLevel: state.ProtectionCustomerManaged},
			usable: verdict{Status: finding.StatusPass, ProtectionLevel: state.ProtectionCustomerManaged},
		},
		{
			name:     "an unrecognised key manager is unknown, never compliant",
			inst:     instance(described("SOMEONE_ELSE", "AWS_KMS", "Enabled", acct)),
			cmk:      verdict{Status: finding.StatusUnknown},
			usable:   verdict{Status: finding.StatusPass},
			inReason: `unrecognised key manager "SOMEONE_ELSE"`,
		},
		{
			name:           "a DescribeKey answer without a key state is unknown for the usability rule, with no permission to blame",
			inst:           instance(described(state.KeyManagerCustomer, "AWS_KMS", "", acct)),
			cmk:            verdict{Status: finding.StatusPass, ProtectionLevel: state.ProtectionCustomerManaged},
			usable:         verdict{Status: finding.StatusUnknown, ProtectionLevel: state.ProtectionCustomerManaged},
			usableInReason: "answered without the key's state",
		},
		{
			name:           "a key state cmkguard does not know is unknown and not called transitional",
			inst:           instance(described(state.KeyManagerCustomer, "AWS_KMS", "Frozen", acct)),
			cmk:            verdict{Status: finding.StatusPass, ProtectionLevel: state.ProtectionCustomerManaged},
			usable:         verdict{Status: finding.StatusUnknown, ProtectionLevel: state.ProtectionCustomerManaged},
			usableInReason: `key state cmkguard does not know ("Frozen")`,
		},
		{
			name:     "with trusted key accounts, a key whose owner is unknown is unknown, not trusted",
			inst:     instance(described(state.KeyManagerCustomer, "AWS_KMS", "Enabled", "")),
			opts:     Options{TrustedKeyAccounts: []string{other}},
			cmk:      verdict{Status: finding.StatusUnknown, ProtectionLevel: state.ProtectionCustomerManaged},
			usable:   verdict{Status: finding.StatusPass, ProtectionLevel: state.ProtectionCustomerManaged},
			inReason: "cannot be checked against the trusted key accounts",
		},
		{
			name: "an instance naming alias/aws/dms fails by the name alone when the alias cannot be followed",
			inst: state.ReplicationInstance{ARN: instARN, ID: "orders", Account: acct, Region: region, KeyRef: "alias/aws/dms",
				Key: state.Key{Account: acct, Region: region, Resolved: true, Evidence: state.EvidenceDeclared, Manager: state.KeyManagerAWS,
					Aliases: []string{"alias/aws/dms"}, MissingPermission: "kms:ListAliases", UnknownReason: "the alias was not followed"}},
			cmk:            verdict{Status: finding.StatusFail},
			usable:         verdict{Status: finding.StatusPass},
			inReason:       "alias/aws/dms, an alias name only AWS can create",
			usableInReason: "which customers cannot disable or delete, so DMS can use it",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &state.State{
				Regions:   []state.RegionScan{{Account: acct, Region: region, Status: state.RegionScanned}},
				Instances: []state.ReplicationInstance{tt.inst},
			}
			got := byRule(t, Evaluate(s, tt.opts))
			if diff := cmp.Diff(tt.cmk, verdictOf(got["CMKG-DMS-001"])); diff != "" {
				t.Errorf("CMKG-DMS-001 verdict (-want +got):\n%s\nreason: %s", diff, got["CMKG-DMS-001"].Reason)
			}
			if diff := cmp.Diff(tt.usable, verdictOf(got["CMKG-DMS-002"])); diff != "" {
				t.Errorf("CMKG-DMS-002 verdict (-want +got):\n%s\nreason: %s", diff, got["CMKG-DMS-002"].Reason)
			}
			if !strings.Contains(got["CMKG-DMS-001"].Reason, tt.inReason) {
				t.Errorf("CMKG-DMS-001 reason %q does not contain %q", got["CMKG-DMS-001"].Reason, tt.inReason)
			}
			if !strings.Contains(got["CMKG-DMS-002"].Reason, tt.usableInReason) {
				t.Errorf("CMKG-DMS-002 reason %q does not contain %q", got["CMKG-DMS-002"].Reason, tt.usableInReason)
			}
			for id, f := range got {
				if f.Reason == "" {
					t.Errorf("%s has no reason", id)
				}
				if f.Status != finding.StatusPass && f.Remediation == "" {
					t.Errorf("%s is %s without a remediation", id, f.Status)
				}
				if f.ResourceARN != instARN || f.Account != acct || f.Region != region {
					t.Errorf("%s names the wrong resource: %s %s %s", id, f.ResourceARN, f.Account, f.Region)
				}
			}
		})
	}
}

func byRule(t *testing.T, fs []finding.Finding) map[string]finding.Finding {
	t.Helper()
	out := map[string]finding.Finding{}
	for _, f := range fs {
		if _, dup := out[f.RuleID]; dup {
			t.Fatalf("two findings for rule %s", f.RuleID)
		}
		out[f.RuleID] = f
	}
	if len(out) != 2 {
		t.Fatalf("got findings for %d rules, want the 2 instance rules", len(out))
	}
	return out
}

func verdictOf(f finding.Finding) verdict {
	return verdict{Status: f.Status, ProtectionLevel: f.ProtectionLevel, MissingPermission: f.MissingPermission}
}

func TestFailedRegionsBecomeUnknownFindings(t *testing.T) {
	t.Parallel()
	s := &state.State{Regions: []state.RegionScan{
		{Account: acct, Region: "us-east-1", Status: state.RegionScanned},
		{Account: acct, Region: "ap-east-1", Status: state.RegionSkipped, Reason: "opt-in region not enabled"},
		{Account: acct, Region: "eu-west-1", Status: state.RegionFailed, Reason: "dms:DescribeReplicationInstances was denied", MissingPermission: "dms:DescribeReplicationInstances"},
		{Account: acct, Region: "cn-north-1", Status: state.RegionFailed, Reason: "unreachable"},
		{Account: acct, Region: "us-gov-west-1", Status: state.RegionFailed, Reason: "unreachable"},
	}, Scope: []state.ResourceKind{state.KindInstances}}
	got := Evaluate(s, Options{})
	type row struct {
		Rule, Region, ARN, Type string
		Status                  finding.Status
		Perm                    string
	}
	var rows []row
	for _, f := range got {
		rows = append(rows, row{f.RuleID, f.Region, f.ResourceARN, f.ResourceType, f.Status, f.MissingPermission})
	}
	// A region's ARN is in the region's partition, so that suppressions
	// written with the ARNs of those partitions match.
	want := []row{
		{"CMKG-DMS-001", "cn-north-1", "arn:aws-cn:dms:cn-north-1:111122223333:*", "AWS::Region", finding.StatusUnknown, ""},
		{"CMKG-DMS-002", "cn-north-1", "arn:aws-cn:dms:cn-north-1:111122223333:*", "AWS::Region", finding.StatusUnknown, ""},
		{"CMKG-DMS-001", "eu-west-1", "arn:aws:dms:eu-west-1:111122223333:*", "AWS::Region", finding.StatusUnknown, "dms:DescribeReplicationInstances"},
		{"CMKG-DMS-002", "eu-west-1", "arn:aws:dms:eu-west-1:111122223333:*", "AWS::Region", finding.StatusUnknown, "dms:DescribeReplicationInstances"},
		{"CMKG-DMS-001", "us-gov-west-1", "arn:aws-us-gov:dms:us-gov-west-1:111122223333:*", "AWS::Region", finding.StatusUnknown, ""},
		{"CMKG-DMS-002", "us-gov-west-1", "arn:aws-us-gov:dms:us-gov-west-1:111122223333:*", "AWS::Region", finding.StatusUnknown, ""},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

func TestAnAccountThatCouldNotBeScannedGetsOneUnknownFindingPerRule(t *testing.T) {
	t.Parallel()
	s := &state.State{Regions: []state.RegionScan{
		{Account: other, Region: "*", Status: state.RegionFailed, MissingPermission: "sts:AssumeRole",
			Reason: "the account could not be scanned: cmkguard could not assume arn:aws:iam::444455556666:role/OrganizationAccountAccessRole: sts:AssumeRole was denied (AccessDenied)"},
		{Account: "777788889999", Region: "*", Status: state.RegionSkipped, Reason: "account 777788889999 is SUSPENDED in the organization: not scanned"},
	}, Scope: []state.ResourceKind{state.KindInstances}}
	got := Evaluate(s, Options{})
	type row struct {
		Rule, ARN, ID, Type string
		Status              finding.Status
		Perm                string
	}
	var rows []row
	for _, f := range got {
		rows = append(rows, row{f.RuleID, f.ResourceARN, f.ResourceID, f.ResourceType, f.Status, f.MissingPermission})
		if !strings.HasPrefix(f.Reason, "the account could not be scanned: cmkguard could not assume") || !strings.Contains(f.Reason, "none of its replication instances were checked") {
			t.Errorf("%s reason %q", f.RuleID, f.Reason)
		}
		if !strings.Contains(f.Remediation, "sts:AssumeRole on the role (see `cmkguard permissions audit --org`)") {
			t.Errorf("%s remediation %q does not name sts:AssumeRole", f.RuleID, f.Remediation)
		}
	}
	arn := "arn:aws:dms:*:444455556666:*"
	want := []row{
		{"CMKG-DMS-001", arn, other, "AWS::Account", finding.StatusUnknown, "sts:AssumeRole"},
		{"CMKG-DMS-002", arn, other, "AWS::Account", finding.StatusUnknown, "sts:AssumeRole"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

func TestEvaluateOrdersFindingsDeterministically(t *testing.T) {
	t.Parallel()
	k := described(state.KeyManagerAWS, "AWS_KMS", "Enabled", acct)
	mk := func(region, arn string) state.ReplicationInstance {
		i := instance(k)
		i.Region, i.ARN = region, arn
		return i
	}
	s := &state.State{Instances: []state.ReplicationInstance{
		mk("us-east-1", "arn:aws:dms:us-east-1:111122223333:rep:B"),
		mk("eu-west-1", "arn:aws:dms:eu-west-1:111122223333:rep:Z"),
		mk("us-east-1", "arn:aws:dms:us-east-1:111122223333:rep:A"),
	}}
	var got []string
	for _, f := range Evaluate(s, Options{}) {
		got = append(got, f.ResourceARN[len(f.ResourceARN)-1:]+" "+f.RuleID)
	}
	want := []string{"Z CMKG-DMS-001", "Z CMKG-DMS-002", "A CMKG-DMS-001", "A CMKG-DMS-002", "B CMKG-DMS-001", "B CMKG-DMS-002"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func TestRulesHaveStableIDsAndCompleteMetadata(t *testing.T) {
	t.Parallel()
	var got []string
	for _, m := range Metadata() {
		got = append(got, m.ID+" "+m.ShortCode+" "+string(m.Severity))
		if m.Title == "" || m.Description == "" || m.Remediation == "" {
			t.Errorf("%s has incomplete metadata: %+v", m.ID, m)
		}
	}
	want := []string{
		"CMKG-DMS-001 dms-instance-cmk high", "CMKG-DMS-002 dms-instance-key-usable critical",
		"CMKG-DMS-003 dms-serverless-cmk high", "CMKG-DMS-004 dms-serverless-key-usable critical",
		"CMKG-DMS-005 dms-endpoint-cmk medium", "CMKG-DMS-006 dms-target-sse-kms high",
		"CMKG-DMS-007 dms-key-policy-not-public high", "CMKG-DMS-008 dms-key-policy-allows-dms critical",
		"CMKG-DMS-009 dms-key-rotation medium", "CMKG-DMS-010 dms-instance-profile-cmk high",
		"CMKG-DMS-011 dms-certificate-cmk medium",
		"CMKG-DMS-012 dms-endpoint-docdb-cmk high", "CMKG-DMS-013 dms-endpoint-mongodb-cmk high",
		"CMKG-DMS-014 dms-assessment-results-sse-kms high",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
}

func TestLookupFindsRulesByIDOrShortCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		wantID string
	}{
		{"CMKG-DMS-001", "CMKG-DMS-001"},
		{"cmkg-dms-002", "CMKG-DMS-002"},
		{"dms-instance-cmk", "CMKG-DMS-001"},
		{"no-such-rule", ""},
	}
	for _, tt := range tests {
		r, ok := Lookup(tt.in)
		got := ""
		if ok {
			got = r.Metadata().ID
		}
		if got != tt.wantID {
			t.Errorf("Lookup(%q) = %q, want %q", tt.in, got, tt.wantID)
		}
	}
}

func TestValidateOptionsRejectsBadValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    Options
		wantErr bool
	}{
		{"the default policy is valid", Options{}, false},
		{"a known protection level is valid", Options{MinProtection: state.ProtectionCloudHSM}, false},
		{"an unknown protection level is refused", Options{MinProtection: "vault"}, true},
		{"a 12-digit account is valid", Options{TrustedKeyAccounts: []string{other}}, false},
		{"a short account id is refused", Options{TrustedKeyAccounts: []string{"1234"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := ValidateOptions(tt.opts)
			if (err != nil) != tt.wantErr {
				t.Errorf("ValidateOptions(%+v) = %v, want error %v", tt.opts, err, tt.wantErr)
			}
		})
	}
}

func TestUntrustedKeyFixOffersToTrustTheAccount(t *testing.T) {
	t.Parallel()
	key := described(state.KeyManagerCustomer, "AWS_KMS", "Enabled", other)
	opts := Options{TrustedKeyAccounts: []string{"999999999999"}}
	tests := []struct {
		name string
		s    *state.State
		code string
		want string
	}{
		{
			name: "an endpoint is re-created, or the key's account trusted",
			s:    &state.State{Endpoints: []state.Endpoint{endpoint("mysql", "source", key, "", state.Key{})}},
			code: "dms-endpoint-cmk",
			want: "An endpoint's KMS key cannot be changed: re-create endpoint lake with --kms-key-id set to a customer-managed key in eu-west-1, point its tasks at the new endpoint, then delete the old one. Or add 444455556666 to --trusted-key-account if that account is yours.",
		},
		{
			name: "a serverless config is modified, or the key's account trusted",
			s:    &state.State{ReplicationConfigs: []state.ReplicationConfig{config(key, false)}},
			code: "dms-serverless-cmk",
			want: "Set ComputeConfig.KmsKeyId of replication config orders-sync to a customer-managed key in eu-west-1 (aws dms modify-replication-config) if no replication has started under it yet; otherwise re-create the config with that key. Or add 444455556666 to --trusted-key-account if that account is yours.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, f := range Evaluate(tt.s, opts) {
				if f.ShortCode != tt.code {
					continue
				}
				if f.Status != finding.StatusFail || f.Remediation != tt.want {
					t.Errorf("got %s with remediation\n%q\nwant FAIL with\n%q", f.Status, f.Remediation, tt.want)
				}
				return
			}
			t.Errorf("no %s finding", tt.code)
		})
	}
}

func TestARegionFailsUnderTheRulesOfTheKindsThatCouldNotBeListed(t *testing.T) {
	t.Parallel()
	kinds := func(serverless, endpoints state.RegionStatus) []state.KindScan {
		return []state.KindScan{
			{Kind: state.KindInstances, Status: state.RegionScanned},
			{Kind: state.KindServerless, Status: serverless, Reason: "dms:DescribeReplicationConfigs was denied (AccessDeniedException)", MissingPermission: "dms:DescribeReplicationConfigs"},
			{Kind: state.KindEndpoints, Status: endpoints, Reason: "dms:DescribeEndpoints was denied (AccessDeniedException)", MissingPermission: "dms:DescribeEndpoints"},
		}
	}
	tests := []struct {
		name  string
		scan  state.RegionScan
		scope []state.ResourceKind
		want  map[string]string // rule id → missing permission of its UNKNOWN region finding
	}{
		{
			name: "serverless configs that cannot be listed are filed under 003 and 004",
			scan: state.RegionScan{Account: acct, Region: region, Status: state.RegionFailed, Kinds: kinds(state.RegionFailed, state.RegionScanned)},
			want: map[string]string{"CMKG-DMS-003": "dms:DescribeReplicationConfigs", "CMKG-DMS-004": "dms:DescribeReplicationConfigs"},
		},
		{
			name: "endpoints that cannot be listed are filed under 005, 006, 012 and 013",
			scan: state.RegionScan{Account: acct, Region: region, Status: state.RegionFailed, Kinds: kinds(state.RegionScanned, state.RegionFailed)},
			want: map[string]string{"CMKG-DMS-005": "dms:DescribeEndpoints", "CMKG-DMS-006": "dms:DescribeEndpoints",
				"CMKG-DMS-012": "dms:DescribeEndpoints", "CMKG-DMS-013": "dms:DescribeEndpoints"},
		},
		{
			name: "a region that failed as a whole is filed under every rule in scope",
			scan: state.RegionScan{Account: acct, Region: region, Status: state.RegionFailed, Reason: "unreachable"},
			want: map[string]string{"CMKG-DMS-001": "", "CMKG-DMS-002": "", "CMKG-DMS-003": "", "CMKG-DMS-004": "", "CMKG-DMS-005": "", "CMKG-DMS-006": "", "CMKG-DMS-010": "", "CMKG-DMS-011": "", "CMKG-DMS-012": "", "CMKG-DMS-013": "", "CMKG-DMS-014": ""},
		},
		{
			name:  "a kind out of scope gets no finding, even for a region that failed as a whole",
			scan:  state.RegionScan{Account: acct, Region: region, Status: state.RegionFailed, Reason: "unreachable"},
			scope: []state.ResourceKind{state.KindEndpoints},
			want:  map[string]string{"CMKG-DMS-005": "", "CMKG-DMS-006": "", "CMKG-DMS-012": "", "CMKG-DMS-013": ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &state.State{Regions: []state.RegionScan{tt.scan}, Scope: tt.scope}
			got := map[string]string{}
			for _, f := range Evaluate(s, Options{}) {
				if f.Status != finding.StatusUnknown || f.ResourceType != "AWS::Region" {
					t.Errorf("%s: %s %s, want an UNKNOWN region finding", f.RuleID, f.Status, f.ResourceType)
				}
				got[f.RuleID] = f.MissingPermission
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("region findings by rule (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRulesOutOfScopeAreNotEvaluated(t *testing.T) {
	t.Parallel()
	aws := described(state.KeyManagerAWS, "AWS_KMS", "Enabled", acct)
	s := &state.State{
		Regions:            []state.RegionScan{{Account: acct, Region: region, Status: state.RegionScanned}},
		Instances:          []state.ReplicationInstance{instance(aws)},
		ReplicationConfigs: []state.ReplicationConfig{{ARN: "arn:aws:dms:eu-west-1:111122223333:replication-config:X", ID: "x", Account: acct, Region: region, KeyRef: aws.ARN, Key: aws}},
		Scope:              []state.ResourceKind{state.KindInstances},
	}
	for _, f := range Evaluate(s, Options{}) {
		if f.ResourceType != instanceResourceType {
			t.Errorf("%s was evaluated on %s, out of scope", f.RuleID, f.ResourceType)
		}
	}
}
