package permissions

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/iostreams"
)

// AuditOptions are `permissions audit`'s dependencies.
type AuditOptions struct {
	IO *iostreams.IOStreams
}

// NewCmdAudit returns `permissions audit`. runF replaces auditRun in tests.
func NewCmdAudit(f *factory.Factory, runF func(context.Context, *AuditOptions) error) *cobra.Command {
	opts := &AuditOptions{IO: f.IOStreams}
	return &cobra.Command{
		Use:   "audit",
		Short: "Print the IAM policy `cmkguard audit` needs",
		Long: `Print, as JSON, the least-privilege IAM policy 'cmkguard audit' needs. Every
action is read-only:

  ec2:DescribeRegions               find the regions enabled for the account
                                    (not needed when every region is given with --region)
  dms:DescribeReplicationInstances  list each region's replication instances
  kms:DescribeKey                   read who manages each instance's key and its state
  kms:ListAliases                   fallback when a key policy denies DescribeKey:
                                    the alias aws/dms identifies the default key
  dms:DescribeReplicationConfigs    list DMS Serverless replication configs, and
  dms:DescribeReplications          whether each has started (only with --include-serverless)
  dms:DescribeEndpoints             list DMS endpoints (only with --include-endpoints)

sts:GetCallerIdentity needs no permission. A key in another account is read
only if that key's policy also allows kms:DescribeKey to this account.
Without these permissions the audit reports UNKNOWN (never PASS) and names
the missing action.`,
		Example: `  cmkguard permissions audit > cmkguard-audit-policy.json
  aws iam create-policy --policy-name cmkguard-audit --policy-document file://cmkguard-audit-policy.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return auditRun(opts)
		},
	}
}

// AuditPolicy is the least-privilege policy of `cmkguard audit`.
func AuditPolicy() Policy {
	return Policy{
		Version: "2012-10-17",
		Statement: []Statement{
			{Sid: "CmkguardAuditListRegions", Effect: "Allow", Action: []string{"ec2:DescribeRegions"}, Resource: "*"},
			{Sid: "CmkguardAuditListReplicationInstances", Effect: "Allow", Action: []string{"dms:DescribeReplicationInstances"}, Resource: "*"},
			{Sid: "CmkguardAuditListServerlessConfigs", Effect: "Allow", Action: []string{"dms:DescribeReplicationConfigs", "dms:DescribeReplications"}, Resource: "*"},
			{Sid: "CmkguardAuditListEndpoints", Effect: "Allow", Action: []string{"dms:DescribeEndpoints"}, Resource: "*"},
			{Sid: "CmkguardAuditReadKeys", Effect: "Allow", Action: []string{"kms:DescribeKey", "kms:ListAliases"}, Resource: "*"},
		},
	}
}

func auditRun(opts *AuditOptions) error {
	if err := WritePolicy(opts.IO.Out, AuditPolicy()); err != nil {
		return fmt.Errorf("permissions audit: %w", err)
	}
	return nil
}
