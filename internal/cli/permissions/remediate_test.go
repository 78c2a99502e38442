package permissions

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/iostreams"
)

func TestPermissionsRemediatePrintsThePolicyRemediateNeeds(t *testing.T) {
	t.Parallel()
	planActions := []string{"ec2:DescribeRegions", "dms:DescribeReplicationInstances", "kms:DescribeKey", "kms:ListAliases",
		"dms:DescribeInstanceProfiles", "dms:DescribeCertificates", "dms:DescribeReplicationTaskAssessmentRuns", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "dms:DescribeReplicationTasks", "dms:ListTagsForResource", "dms:DescribeReplicationConfigs", "dms:DescribeReplications", "dms:DescribeEndpoints"}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"plan only is read-only", []string{"remediate", "--plan-only"}, planActions},
		{"the full policy covers apply and rollback", []string{"remediate"}, append(append([]string{}, planActions...),
			"dms:CreateReplicationInstance", "dms:AddTagsToResource", "dms:DeleteReplicationInstance", "dms:ModifyReplicationInstance",
			"dms:StopReplicationTask", "dms:MoveReplicationTask", "dms:StartReplicationTask",
			"dms:ModifyReplicationConfig", "dms:CreateReplicationConfig", "dms:DeleteReplicationConfig", "dms:StopReplication", "dms:StartReplication",
			"kms:CreateKey", "kms:TagResource", "kms:CreateAlias", "kms:ListKeys", "kms:ListResourceTags",
			"kms:CreateGrant", "kms:DeleteAlias", "kms:ScheduleKeyDeletion")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, out, _ := iostreams.Test()
			cmd := NewCmdPermissions(&factory.Factory{IOStreams: ios, Now: time.Now})
			cmd.SetArgs(tt.args)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			var got struct {
				Version   string
				Statement []ConditionalStatement
			}
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatalf("not a JSON policy: %v\n%s", err, out)
			}
			var actions []string
			for _, s := range got.Statement {
				actions = append(actions, s.Action...)
				if s.Sid == "CmkguardRemediateGrantForDMS" && s.Condition["Bool"]["kms:GrantIsForAWSResource"] != "true" {
					t.Errorf("CreateGrant must be limited to AWS resources, got %v", s.Condition)
				}
			}
			if diff := cmp.Diff(tt.want, actions); diff != "" {
				t.Errorf("actions (-want +got):\n%s", diff)
			}
		})
	}
}
