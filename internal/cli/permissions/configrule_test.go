package permissions

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/iostreams"
)

func TestPermissionsConfigRule(t *testing.T) {
	t.Parallel()
	reads := []string{"ec2:DescribeRegions", "dms:DescribeReplicationInstances", "dms:DescribeReplicationConfigs", "dms:DescribeReplications",
		"dms:DescribeEndpoints", "kms:DescribeKey", "kms:ListAliases", "dms:ListTagsForResource", "config:PutEvaluations", "config:GetResourceConfigHistory", "config:GetComplianceDetailsByConfigRule"}
	tests := []struct {
		name string
		args []string
		want []string
		err  bool
	}{
		{"the rule alone", []string{"config-rule"}, reads, false},
		{"with Security Hub and SNS", []string{"config-rule", "--securityhub", "--sns-topic", "arn:aws:sns:eu-west-1:111122223333:findings"},
			append(append([]string{}, reads...), "securityhub:BatchImportFindings", "sns:Publish"), false},
		{"a topic that is not an ARN", []string{"config-rule", "--sns-topic", "findings"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, out, _ := iostreams.Test()
			cmd := NewCmdPermissions(&factory.Factory{IOStreams: ios, Now: time.Now})
			cmd.SetArgs(tt.args)
			err := cmd.Execute()
			if tt.err {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got Policy
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatalf("not a JSON policy: %v", err)
			}
			if d := cmp.Diff(tt.want, got.Actions()); d != "" {
				t.Errorf("actions (-want +got):\n%s", d)
			}
			for _, s := range got.Statement {
				if s.Sid == "" || s.Effect != "Allow" {
					t.Errorf("statement %+v", s)
				}
				if s.Sid == "CmkguardConfigRulePublish" && s.Resource != "arn:aws:sns:eu-west-1:111122223333:findings" {
					t.Errorf("sns:Publish on %s, want the topic only", s.Resource)
				}
			}
		})
	}
}
