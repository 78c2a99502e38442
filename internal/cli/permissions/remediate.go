package permissions

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/iostreams"
)

// RemediateOptions are `permissions remediate`'s dependencies and flags.
type RemediateOptions struct {
	IO *iostreams.IOStreams
	// PlanOnly limits the policy to planning (read-only).
	PlanOnly bool
}

// NewCmdRemediate returns `permissions remediate`. runF replaces remediateRun in tests.
func NewCmdRemediate(f *factory.Factory, runF func(context.Context, *RemediateOptions) error) *cobra.Command {
	opts := &RemediateOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "remediate",
		Short: "Print the IAM policy `cmkguard remediate` needs",
		Long: `Print, as JSON, the IAM policy 'cmkguard remediate' needs.

Planning (read-only, also all that --plan-only prints):
  ec2:DescribeRegions, dms:DescribeReplicationInstances, kms:DescribeKey,
  kms:ListAliases,
  dms:DescribeInstanceProfiles, dms:DescribeCertificates,
  dms:DescribeReplicationTaskAssessmentRuns,
  kms:GetKeyPolicy, kms:GetKeyRotationStatus
                                the live audit, every kind (not needed with --from-report)
  dms:DescribeReplicationTasks  the tasks on each instance
  dms:ListTagsForResource       each instance's tags, copied to its replacement
  dms:DescribeReplicationConfigs,
  dms:DescribeReplications      serverless configs and whether they have started
  dms:DescribeEndpoints         endpoints, whose findings the plan lists as not fixed

Applying (--apply, --resume):
  dms:CreateReplicationInstance, dms:AddTagsToResource   the replacement, with the old tags
  dms:StopReplicationTask, dms:MoveReplicationTask,
  dms:StartReplicationTask      move each task, restart it with resume-processing
  dms:DeleteReplicationInstance the old instance (--delete-old)
  dms:ModifyReplicationInstance the rename (--keep-identifier)
  dms:ModifyReplicationConfig, dms:CreateReplicationConfig, dms:DeleteReplicationConfig,
  dms:StopReplication           serverless configs (dms:StartReplication: rollback only)
  kms:CreateKey, kms:TagResource, kms:CreateAlias, kms:ListKeys,
  kms:ListResourceTags          --create-key: create the key, tagged with the plan
                                id so that a resumed run finds it instead of
                                creating a second one
  kms:CreateGrant               DMS creates a grant on the key for the new instance,
                                as the caller, through DMS only

Rolling back (--rollback):
  kms:DeleteAlias, kms:ScheduleKeyDeletion   only keys the run created

sts:GetCallerIdentity needs no permission. With --kms-key, the key's own
policy must also let this principal use it through DMS.`,
		Example: `  cmkguard permissions remediate > cmkguard-remediate-policy.json
  cmkguard permissions remediate --plan-only`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return remediateRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.PlanOnly, "plan-only", false, "Only the read-only permissions planning needs")
	return cmd
}

// ConditionalStatement is a Statement with an IAM condition block.
type ConditionalStatement struct {
	Statement
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// RemediatePolicy is the policy of `cmkguard remediate`; planOnly keeps
// only the read-only statements.
func RemediatePolicy(planOnly bool) []ConditionalStatement {
	st := []ConditionalStatement{
		{Statement: Statement{Sid: "CmkguardRemediatePlanAudit", Effect: "Allow", Resource: "*", Action: []string{
			"ec2:DescribeRegions", "dms:DescribeReplicationInstances", "kms:DescribeKey", "kms:ListAliases",
			"dms:DescribeInstanceProfiles", "dms:DescribeCertificates", "dms:DescribeReplicationTaskAssessmentRuns",
			"kms:GetKeyPolicy", "kms:GetKeyRotationStatus"}}},
		{Statement: Statement{Sid: "CmkguardRemediatePlanDescribe", Effect: "Allow", Resource: "*", Action: []string{
			"dms:DescribeReplicationTasks", "dms:ListTagsForResource", "dms:DescribeReplicationConfigs", "dms:DescribeReplications", "dms:DescribeEndpoints"}}},
	}
	if planOnly {
		return st
	}
	return append(st,
		ConditionalStatement{Statement: Statement{Sid: "CmkguardRemediateReplaceInstances", Effect: "Allow", Resource: "*", Action: []string{
			"dms:CreateReplicationInstance", "dms:AddTagsToResource", "dms:DeleteReplicationInstance", "dms:ModifyReplicationInstance"}}},
		ConditionalStatement{Statement: Statement{Sid: "CmkguardRemediateMoveTasks", Effect: "Allow", Resource: "*", Action: []string{
			"dms:StopReplicationTask", "dms:MoveReplicationTask", "dms:StartReplicationTask"}}},
		ConditionalStatement{Statement: Statement{Sid: "CmkguardRemediateServerlessConfigs", Effect: "Allow", Resource: "*", Action: []string{
			"dms:ModifyReplicationConfig", "dms:CreateReplicationConfig", "dms:DeleteReplicationConfig", "dms:StopReplication", "dms:StartReplication"}}},
		ConditionalStatement{Statement: Statement{Sid: "CmkguardRemediateCreateKey", Effect: "Allow", Resource: "*", Action: []string{
			"kms:CreateKey", "kms:TagResource", "kms:CreateAlias", "kms:ListKeys", "kms:ListResourceTags"}}},
		ConditionalStatement{
			Statement: Statement{Sid: "CmkguardRemediateGrantForDMS", Effect: "Allow", Resource: "*", Action: []string{"kms:CreateGrant"}},
			Condition: map[string]map[string]string{"Bool": {"kms:GrantIsForAWSResource": "true"}},
		},
		ConditionalStatement{Statement: Statement{Sid: "CmkguardRemediateRollback", Effect: "Allow", Resource: "*", Action: []string{
			"kms:DeleteAlias", "kms:ScheduleKeyDeletion"}}},
	)
}

func remediateRun(opts *RemediateOptions) error {
	doc := struct {
		Version   string                 `json:"Version"`
		Statement []ConditionalStatement `json:"Statement"`
	}{"2012-10-17", RemediatePolicy(opts.PlanOnly)}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("permissions remediate: %w", err)
	}
	_, err = fmt.Fprintf(opts.IO.Out, "%s\n", b)
	return err
}
