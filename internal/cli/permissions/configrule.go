package permissions

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/iostreams"
)

// ConfigRuleOptions are `permissions config-rule`'s dependencies and flags.
type ConfigRuleOptions struct {
	IO *iostreams.IOStreams
	// SecurityHub adds securityhub:BatchImportFindings (real-time findings).
	SecurityHub bool
	// SNSTopicARN adds sns:Publish on the topic.
	SNSTopicARN string
}

// NewCmdConfigRule returns `permissions config-rule`. runF replaces
// configRuleRun in tests.
func NewCmdConfigRule(f *factory.Factory, runF func(context.Context, *ConfigRuleOptions) error) *cobra.Command {
	opts := &ConfigRuleOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "config-rule",
		Short: "Print the IAM policy of the cmkguard AWS Config rule's Lambda function",
		Long: `Print, as JSON, the least-privilege IAM policy of the cmkguard-config-rule
Lambda function (docs/continuous.md): what 'cmkguard permissions audit' grants,
for the same reads, plus the AWS Config calls of a custom rule:

  config:PutEvaluations                    report each resource's compliance
  config:GetResourceConfigHistory          read an oversized configuration item
  config:GetComplianceDetailsByConfigRule  the periodic run's previous evaluations,
                                           to retire resources that no longer exist

With --securityhub, securityhub:BatchImportFindings on the default product
(real-time findings); with --sns-topic, sns:Publish on that topic. The
function also needs the AWS managed policy AWSLambdaBasicExecutionRole (its
logs), which the templates attach.`,
		Example: `  cmkguard permissions config-rule --securityhub > cmkguard-config-rule-policy.json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return configRuleRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.SecurityHub, "securityhub", false, "Also grant securityhub:BatchImportFindings (real-time findings to Security Hub)")
	cmd.Flags().StringVar(&opts.SNSTopicARN, "sns-topic", "", "Also grant sns:Publish on this topic ARN (real-time findings to SNS)")
	return cmd
}

// ConfigRulePolicy is the least-privilege policy of the Config rule's
// function: the audit's reads of the kinds the rule evaluates (instances,
// serverless configs, endpoints: not the key-soundness reads, instance
// profiles, certificates or assessment runs, which it does not evaluate)
// and the Config calls.
func ConfigRulePolicy(securityHub bool, snsTopicARN string) Policy {
	p := Policy{Version: "2012-10-17"}
	for _, s := range AuditPolicy().Statement {
		if s.Sid == "CmkguardAuditListInstanceProfiles" || s.Sid == "CmkguardAuditReadKeySoundness" {
			continue
		}
		s.Sid = strings.Replace(s.Sid, "CmkguardAudit", "CmkguardConfigRule", 1)
		p.Statement = append(p.Statement, s)
	}
	p.Statement = append(p.Statement, Statement{Sid: "CmkguardConfigRuleReportEvaluations", Effect: "Allow",
		Action: []string{"config:PutEvaluations", "config:GetResourceConfigHistory", "config:GetComplianceDetailsByConfigRule"}, Resource: "*"})
	if securityHub {
		p.Statement = append(p.Statement, Statement{Sid: "CmkguardConfigRuleImportFindings", Effect: "Allow",
			Action: []string{"securityhub:BatchImportFindings"}, Resource: "arn:aws:securityhub:*:*:product/*/default"})
	}
	if snsTopicARN != "" {
		p.Statement = append(p.Statement, Statement{Sid: "CmkguardConfigRulePublish", Effect: "Allow",
			Action: []string{"sns:Publish"}, Resource: snsTopicARN})
	}
	return p
}

func configRuleRun(opts *ConfigRuleOptions) error {
	if t := opts.SNSTopicARN; t != "" && (!strings.HasPrefix(t, "arn:") || strings.Count(t, ":") != 5) {
		return exit.Usagef("--sns-topic %q: want a topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)", opts.SNSTopicARN)
	}
	if err := WritePolicy(opts.IO.Out, ConfigRulePolicy(opts.SecurityHub, opts.SNSTopicARN)); err != nil {
		return fmt.Errorf("permissions config-rule: %w", err)
	}
	return nil
}
