package keypolicy

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"

	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/iostreams"
	"github.com/cmkguard/cmkguard/keypolicy"
)

// Options are the key-policy command's dependencies and flags.
type Options struct {
	IO *iostreams.IOStreams
	// CallerAccount finds the account of the current credentials; used only
	// when --account is not given.
	CallerAccount func(ctx context.Context, region string) (string, error)

	Account          string
	Region           string
	Admins           []string
	Users            []string
	ExternalAccounts []string
}

// NewCmdKeyPolicy returns the key-policy command. runF replaces keyPolicyRun in tests.
func NewCmdKeyPolicy(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, CallerAccount: stsCallerAccount}
	cmd := &cobra.Command{
		Use:   "key-policy",
		Short: "Print the recommended key policy for a DMS customer-managed key",
		Long: `Print the recommended KMS key policy for a customer-managed key that protects
DMS data, as JSON: the account root statement (so IAM policies keep working),
key administrators, key users who may use the key only through DMS in the
key's region (kms:ViaService), and grants only for AWS resources
(kms:GrantIsForAWSResource). 'cmkguard remediate --create-key' attaches the
same policy to the key it creates.`,
		Example: `  cmkguard key-policy --region eu-west-1 --account 111122223333 \
    --key-admin arn:aws:iam::111122223333:role/KeyAdmin \
    --key-user arn:aws:iam::111122223333:role/dms-vpc-role > policy.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Region == "" {
				opts.Region = envRegion()
			}
			if opts.Region == "" {
				return exit.Usagef("--region is required (or set AWS_REGION)")
			}
			if !keypolicy.ValidRegion(opts.Region) {
				return exit.Usagef("--region %q is not an AWS region name", opts.Region)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return keyPolicyRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Account, "account", "", "Account that owns the key (default: the caller's account, via STS)")
	cmd.Flags().StringVar(&opts.Region, "region", "", "Region of the key (default: AWS_REGION)")
	cmd.Flags().StringSliceVar(&opts.Admins, "key-admin", nil, "IAM principal ARN that administers the key (repeatable or comma-separated)")
	cmd.Flags().StringSliceVar(&opts.Users, "key-user", nil, "IAM principal ARN that may use the key through DMS (repeatable or comma-separated)")
	cmd.Flags().StringSliceVar(&opts.ExternalAccounts, "external-account", nil, "Other account id whose principals may use the key through DMS (repeatable or comma-separated)")
	return cmd
}

func keyPolicyRun(ctx context.Context, opts *Options) error {
	if opts.Account == "" {
		acct, err := opts.CallerAccount(ctx, opts.Region)
		if err != nil {
			return fmt.Errorf("find the caller's account (or pass --account): %w", err)
		}
		opts.Account = acct
	}
	doc, err := keypolicy.Build(keypolicy.Options{
		Account:          opts.Account,
		Region:           opts.Region,
		Admins:           opts.Admins,
		Users:            opts.Users,
		ExternalAccounts: opts.ExternalAccounts,
	})
	if err != nil {
		return &exit.UsageError{Err: err}
	}
	b, err := doc.JSON()
	if err != nil {
		return err
	}
	_, err = opts.IO.Out.Write(b)
	return err
}

func envRegion() string {
	if r := os.Getenv("AWS_REGION"); r != "" {
		return r
	}
	return os.Getenv("AWS_DEFAULT_REGION")
}

func stsCallerAccount(ctx context.Context, region string) (string, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region))
	if err != nil {
		return "", fmt.Errorf("load AWS configuration: %w", err)
	}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("sts get-caller-identity: %w", err)
	}
	return aws.ToString(out.Account), nil
}
