package root

import (
	"strconv"

	"github.com/spf13/cobra"

	"github.com/cmkguard/cmkguard/internal/cli/audit"
	"github.com/cmkguard/cmkguard/internal/cli/demo"
	diffcmd "github.com/cmkguard/cmkguard/internal/cli/diff"
	"github.com/cmkguard/cmkguard/internal/cli/emulator"
	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/cli/iac"
	keypolicycmd "github.com/cmkguard/cmkguard/internal/cli/keypolicy"
	"github.com/cmkguard/cmkguard/internal/cli/permissions"
	remediatecmd "github.com/cmkguard/cmkguard/internal/cli/remediate"
	rulescmd "github.com/cmkguard/cmkguard/internal/cli/rules"
	"github.com/cmkguard/cmkguard/internal/cli/version"
)

// NewCmdRoot returns the root command with every subcommand attached.
func NewCmdRoot(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cmkguard <command> [flags]",
		Short: "Audit and fix the KMS keys behind AWS DMS resources",
		Long: `cmkguard checks that every AWS DMS replication instance encrypts its data at rest
with a KMS key the customer controls rather than the AWS-managed aws/dms key,
and replaces the ones that do not.`,
		Version:       version.Current(f.Version).String(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.SetOut(f.IOStreams.Out)
	cmd.SetErr(f.IOStreams.ErrOut)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exit.UsageError{Err: err}
	})
	addGlobalFlags(cmd, f)

	// Subcommands: one line each, one folder each under internal/cli.
	cmd.AddCommand(emulator.NewCmdEmulator(f, nil))
	cmd.AddCommand(keypolicycmd.NewCmdKeyPolicy(f, nil))
	cmd.AddCommand(remediatecmd.NewCmdRemediate(f, nil))
	cmd.AddCommand(audit.NewCmdAudit(f, nil))
	cmd.AddCommand(iac.NewCmdIaC(f, nil))
	cmd.AddCommand(demo.NewCmdDemo(f, nil))
	cmd.AddCommand(permissions.NewCmdPermissions(f))
	cmd.AddCommand(version.NewCmdVersion(f))
	cmd.AddCommand(rulescmd.NewCmdRules(f, nil))
	cmd.AddCommand(diffcmd.NewCmdDiff(f, nil))
	// cobra's own completion command: bash, zsh, fish, powershell.

	return cmd
}

// addGlobalFlags adds the flags every command takes: --no-color (as the
// NO_COLOR environment variable) and --quiet (no progress, no
// informational messages; warnings and errors still go to stderr).
func addGlobalFlags(cmd *cobra.Command, f *factory.Factory) {
	fl := cmd.PersistentFlags()
	fl.BoolFunc("no-color", "Do not colour the output (also: the NO_COLOR environment variable)", func(v string) error {
		b, err := strconv.ParseBool(v)
		if b {
			f.IOStreams.SetColorDisabled(true)
		}
		return err
	})
	fl.BoolFuncP("quiet", "q", "Print no progress and no informational messages on stderr (warnings and errors still)", func(v string) error {
		b, err := strconv.ParseBool(v)
		f.IOStreams.SetQuiet(b)
		return err
	})
}
