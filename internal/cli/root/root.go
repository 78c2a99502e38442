package root

import (
	"github.com/spf13/cobra"

	"github.com/cmkguard/cmkguard/internal/cli/audit"
	"github.com/cmkguard/cmkguard/internal/cli/demo"
	"github.com/cmkguard/cmkguard/internal/cli/emulator"
	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/cli/iac"
	keypolicycmd "github.com/cmkguard/cmkguard/internal/cli/keypolicy"
	"github.com/cmkguard/cmkguard/internal/cli/permissions"
	remediatecmd "github.com/cmkguard/cmkguard/internal/cli/remediate"
)

// NewCmdRoot returns the root command with every subcommand attached.
func NewCmdRoot(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cmkguard <command> [flags]",
		Short: "Audit and fix the KMS keys behind AWS DMS resources",
		Long: `cmkguard checks that every AWS DMS replication instance encrypts its data at rest
with a KMS key the customer controls rather than the AWS-managed aws/dms key,
and replaces the ones that do not.`,
		Version:       f.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.SetOut(f.IOStreams.Out)
	cmd.SetErr(f.IOStreams.ErrOut)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exit.UsageError{Err: err}
	})
	cmd.CompletionOptions.DisableDefaultCmd = true

	// Subcommands: one line each, one folder each under internal/cli.
	cmd.AddCommand(emulator.NewCmdEmulator(f, nil))
	cmd.AddCommand(keypolicycmd.NewCmdKeyPolicy(f, nil))
	cmd.AddCommand(remediatecmd.NewCmdRemediate(f, nil))
	cmd.AddCommand(audit.NewCmdAudit(f, nil))
	cmd.AddCommand(iac.NewCmdIaC(f, nil))
	cmd.AddCommand(demo.NewCmdDemo(f, nil))
	cmd.AddCommand(permissions.NewCmdPermissions(f))

	return cmd
}
