package permissions

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/iostreams"
)

// AuditOptions are `permissions audit`'s dependencies and flags.
type AuditOptions struct {
	IO *iostreams.IOStreams
	// Org adds what `audit --org` / `--accounts` needs of the caller:
	// organizations:ListAccounts and sts:AssumeRole on RoleName.
	Org      bool
	RoleName string
	// SecurityHub adds what `audit --securityhub` needs:
	// securityhub:BatchImportFindings, the only write the audit can make.
	SecurityHub bool
}

// NewCmdAudit returns `permissions audit`. runF replaces auditRun in tests.
func NewCmdAudit(f *factory.Factory, runF func(context.Context, *AuditOptions) error) *cobra.Command {
	opts := &AuditOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Print the IAM policy `cmkguard audit` needs",
		Long: `Print, as JSON, the least-privilege IAM policy 'cmkguard audit' needs. Every
action is read-only:

  ec2:DescribeRegions               find the regions enabled for the account, and check
                                    the --region names given (without it, --region is
                                    scanned as given, with a warning)
  dms:DescribeReplicationInstances  list each region's replication instances
  kms:DescribeKey                   read who manages each instance's key and its state
  kms:ListAliases                   fallback when a key policy denies DescribeKey:
                                    the alias aws/dms identifies the default key
  dms:DescribeReplicationConfigs    list DMS Serverless replication configs, and
  dms:DescribeReplications          whether each has started (unless --scope leaves serverless out)
  dms:DescribeEndpoints             list DMS endpoints (unless --scope leaves endpoints out)
  dms:ListTagsForResource           read the resources' tags (only when the --ignore-file
                                    selects resources by tag)
  dms:DescribeInstanceProfiles      list DMS instance profiles (unless --scope leaves instance-profiles out)
  dms:DescribeCertificates          list imported certificates (unless --scope leaves certificates out)
  dms:DescribeReplicationTaskAssessmentRuns
                                    list premigration assessment runs (unless --scope leaves assessment-runs out)
  kms:GetKeyPolicy                  judge each customer key's policy once: open to the world?
                                    usable by DMS? (unless --scope leaves keys out)
  kms:GetKeyRotationStatus          whether each symmetric customer key rotates automatically

sts:GetCallerIdentity needs no permission. A key in another account is read
only if that key's policy also allows kms:DescribeKey to this account.
Without these permissions the audit reports UNKNOWN (never PASS) and names
the missing action.

With --org, the policy also holds what 'cmkguard audit --org' (or
--accounts) needs of the caller, in the management account or a delegated
administrator:

  organizations:ListAccounts        list the organization's accounts (--org only)
  sts:AssumeRole                    on arn:aws:iam::*:role/ROLE (--assume-role) in
                                    every account but the caller's own

The role in each account must trust the caller (and may require
--external-id) and hold the policy printed without --org.
OrganizationAccountAccessRole, the default, has AdministratorAccess;
a dedicated read-only role is better.

With --securityhub, the policy also grants securityhub:BatchImportFindings on
the default product (arn:aws:securityhub:*:*:product/*/default: a caller can
only import into its own account's),
which 'cmkguard audit --securityhub' uses to import its findings. It is the
only write an audit can make, and only when asked.`,
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
	cmd.Flags().BoolVar(&opts.Org, "org", false, "Also grant what 'audit --org' / '--accounts' needs: organizations:ListAccounts, sts:AssumeRole")
	cmd.Flags().StringVar(&opts.RoleName, "assume-role", "OrganizationAccountAccessRole", "With --org: the role 'audit --assume-role' names")
	cmd.Flags().BoolVar(&opts.SecurityHub, "securityhub", false, "Also grant what 'audit --securityhub' needs: securityhub:BatchImportFindings")
	return cmd
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
			{Sid: "CmkguardAuditReadTags", Effect: "Allow", Action: []string{"dms:ListTagsForResource"}, Resource: "*"},
			{Sid: "CmkguardAuditListInstanceProfiles", Effect: "Allow", Action: []string{"dms:DescribeInstanceProfiles", "dms:DescribeCertificates", "dms:DescribeReplicationTaskAssessmentRuns"}, Resource: "*"},
			{Sid: "CmkguardAuditReadKeySoundness", Effect: "Allow", Action: []string{"kms:GetKeyPolicy", "kms:GetKeyRotationStatus"}, Resource: "*"},
		},
	}
}

// OrgAuditPolicy is AuditPolicy plus what an organisation-wide audit
// needs of the caller: listing the accounts and assuming roleName in each.
func OrgAuditPolicy(roleName string) Policy {
	p := AuditPolicy()
	p.Statement = append(p.Statement,
		Statement{Sid: "CmkguardAuditListAccounts", Effect: "Allow", Action: []string{"organizations:ListAccounts"}, Resource: "*"},
		Statement{Sid: "CmkguardAuditAssumeRole", Effect: "Allow", Action: []string{"sts:AssumeRole"}, Resource: "arn:aws:iam::*:role/" + roleName},
	)
	return p
}

// WithSecurityHub adds to p what `audit --securityhub` needs: importing
// findings into the caller's own Security Hub default product.
func WithSecurityHub(p Policy) Policy {
	p.Statement = append(p.Statement, Statement{
		Sid: "CmkguardAuditImportFindings", Effect: "Allow",
		Action:   []string{"securityhub:BatchImportFindings"},
		Resource: "arn:aws:securityhub:*:*:product/*/default",
	})
	return p
}

func auditRun(opts *AuditOptions) error {
	policy := AuditPolicy()
	if opts.Org {
		policy = OrgAuditPolicy(opts.RoleName)
	}
	if opts.SecurityHub {
		policy = WithSecurityHub(policy)
	}
	if err := WritePolicy(opts.IO.Out, policy); err != nil {
		return fmt.Errorf("permissions audit: %w", err)
	}
	return nil
}
