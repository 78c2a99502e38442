package rule

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/state"
)

const configARN = "arn:aws:dms:eu-west-1:111122223333:replication-config:ORDERS"

func config(k state.Key, started bool) state.ReplicationConfig {
	return state.ReplicationConfig{ARN: configARN, ID: "orders-sync", Account: acct, Region: region,
		Source: state.Source{ARN: configARN}, KeyRef: k.ARN, Key: k, Started: started}
}

func TestServerlessRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		rc              state.ReplicationConfig
		opts            Options
		cmk, usable     finding.Status
		inReason, inFix string
	}{
		{
			name: "a config on the AWS-managed key fails and can be modified before it starts",
			rc:   config(described(state.KeyManagerAWS, "AWS_KMS", "Enabled", acct), false),
			cmk:  finding.StatusFail, usable: finding.StatusPass,
			inReason: "AWS-managed", inFix: "modify-replication-config",
		},
		{
			name: "a started config on the AWS-managed key must be re-created",
			rc:   config(described(state.KeyManagerAWS, "AWS_KMS", "Enabled", acct), true),
			cmk:  finding.StatusFail, usable: finding.StatusPass,
			inReason: "AWS-managed", inFix: "re-create the config",
		},
		{
			name: "a config that names no key uses the default key and fails",
			rc:   config(state.Key{}, false),
			cmk:  finding.StatusFail, usable: finding.StatusPass,
			inReason: "no KMS key is named",
		},
		{
			name: "a config on an enabled customer key passes",
			rc:   config(described(state.KeyManagerCustomer, "AWS_KMS", "Enabled", acct), false),
			cmk:  finding.StatusPass, usable: finding.StatusPass,
			inReason: "protection level customer-managed",
		},
		{
			name: "a config on a disabled customer key fails the usability rule",
			rc:   config(described(state.KeyManagerCustomer, "AWS_KMS", "Disabled", acct), false),
			cmk:  finding.StatusPass, usable: finding.StatusFail,
		},
		{
			name: "a config whose key cannot be read is unknown for both rules",
			rc: config(state.Key{ARN: keyARN(acct, "k1"), Evidence: state.EvidenceNone, UnknownReason: "kms:DescribeKey was denied",
				MissingPermission: "kms:DescribeKey"}, false),
			cmk: finding.StatusUnknown, usable: finding.StatusUnknown,
			inReason: "denied",
		},
		{
			name: "a config on a key of an untrusted account fails",
			rc:   config(described(state.KeyManagerCustomer, "AWS_KMS", "Enabled", other), false),
			opts: Options{TrustedKeyAccounts: []string{"999999999999"}},
			cmk:  finding.StatusFail, usable: finding.StatusPass,
			inReason: "not a trusted key account",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &state.State{ReplicationConfigs: []state.ReplicationConfig{tt.rc}}
			got := map[string]finding.Finding{}
			for _, f := range Evaluate(s, tt.opts) {
				got[f.ShortCode] = f
				if f.ResourceType != "AWS::DMS::ReplicationConfig" || f.ResourceARN != configARN {
					t.Errorf("%s names %s %s", f.ShortCode, f.ResourceType, f.ResourceARN)
				}
			}
			status := map[string]finding.Status{"cmk": got["dms-serverless-cmk"].Status, "usable": got["dms-serverless-key-usable"].Status}
			if diff := cmp.Diff(map[string]finding.Status{"cmk": tt.cmk, "usable": tt.usable}, status); diff != "" {
				t.Errorf("verdicts (-want +got):\n%s\nreasons: %q / %q", diff, got["dms-serverless-cmk"].Reason, got["dms-serverless-key-usable"].Reason)
			}
			cmk := got["dms-serverless-cmk"]
			if !strings.Contains(cmk.Reason, tt.inReason) {
				t.Errorf("reason %q does not contain %q", cmk.Reason, tt.inReason)
			}
			if !strings.Contains(cmk.Remediation, tt.inFix) {
				t.Errorf("remediation %q does not contain %q", cmk.Remediation, tt.inFix)
			}
		})
	}
}
