package keypolicy

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"

	"github.com/cmkguard/cmkguard/adapt/awslive"
	"github.com/cmkguard/cmkguard/internal/cli/awsflags"
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
	CallerAccount func(ctx context.Context, o *Options) (string, error)

	// AWS configuration (as audit), for finding the caller's account.
	Profile     string
	EndpointURL string

	Account          string
	Region           string
	Admins           []string
	Users            []string
	ExternalAccounts []string

	// Check is a policy file to analyse instead of printing one (--check).
	Check string
	// DMSAccounts and OrgID tune --check (see check.go).
	DMSAccounts []string
	OrgID       string
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
    --key-user arn:aws:iam::111122223333:role/dms-vpc-role > policy.json
  cmkguard key-policy --check policy.json --region eu-west-1 --account 111122223333`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return keyPolicyRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Profile, "profile", "", "Shared config profile (default: AWS_PROFILE), for finding the caller's account")
	cmd.Flags().StringVar(&opts.EndpointURL, "endpoint-url", "", "Send the STS call to this endpoint (e.g. the local emulator)")
	cmd.Flags().StringVar(&opts.Account, "account", "", "Account that owns the key (default: the caller's account, via STS)")
	cmd.Flags().StringVar(&opts.Region, "region", "", "Region of the key (default: AWS_REGION)")
	cmd.Flags().StringSliceVar(&opts.Admins, "key-admin", nil, "IAM principal ARN that administers the key (repeatable or comma-separated)")
	cmd.Flags().StringSliceVar(&opts.Users, "key-user", nil, "IAM principal ARN that may use the key through DMS (repeatable or comma-separated)")
	cmd.Flags().StringSliceVar(&opts.ExternalAccounts, "external-account", nil, "Other account id whose principals may use the key through DMS (repeatable or comma-separated)")
	addCheckFlags(cmd, opts)
	return cmd
}

// validate checks every flag before any call, as audit does: the region,
// the endpoint, the account and every principal (by building the policy
// with a placeholder account when the caller's is still to be found).
func (opts *Options) validate() error {
	if opts.Region == "" {
		opts.Region = envRegion()
	}
	if opts.Region == "" {
		return exit.Usagef("--region is required (or set AWS_REGION)")
	}
	if err := awsflags.Regions([]string{opts.Region}); err != nil {
		return err
	}
	if err := awsflags.Endpoint(opts.EndpointURL); err != nil {
		return err
	}
	if opts.Account != "" && !awslive.ValidAccountID(opts.Account) {
		return exit.Usagef("--account %q: not a 12-digit AWS account id", opts.Account)
	}
	account := opts.Account
	if account == "" {
		account = "000000000000"
	}
	if _, err := keypolicy.Build(keypolicy.Options{Account: account, Region: opts.Region, Admins: opts.Admins, Users: opts.Users, ExternalAccounts: opts.ExternalAccounts}); err != nil {
		return &exit.UsageError{Err: err}
	}
	return nil
}

func keyPolicyRun(ctx context.Context, opts *Options) error {
	if opts.Check != "" {
		return checkRun(ctx, opts)
	}
	if opts.Account == "" {
		acct, err := opts.CallerAccount(ctx, opts)
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

func stsCallerAccount(ctx context.Context, opts *Options) (string, error) {
	cfg, err := awslive.LoadConfig(ctx, opts.Profile, opts.EndpointURL, opts.Region)
	if err != nil {
		return "", err
	}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("sts get-caller-identity: %w", err)
	}
	return aws.ToString(out.Account), nil
}
