package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/cli/root"
	"github.com/cmkguard/cmkguard/internal/cli/version"
	"github.com/cmkguard/cmkguard/internal/printable"
)

// Version is set at build time with -ldflags "-X github.com/cmkguard/cmkguard/internal/cli.Version=...".
var Version = "dev"

// Main runs the command line with args (without the program name) and
// returns the exit code.
func Main(ctx context.Context, f *factory.Factory, args []string) int {
	if f.Version == "" || f.Version == "dev" {
		// Not stamped with -ldflags: the module version of `go install
		// …@v1.2.3`, in reports as in `cmkguard version`.
		f.Version = version.Current(f.Version).Version
	}
	cmd := root.NewCmdRoot(f)
	cmd.SetArgs(args)
	failed, err := cmd.ExecuteContextC(ctx)
	if err != nil {
		var findings *exit.FindingsError
		if ctx.Err() != nil && !errors.As(err, &findings) {
			// Ctrl-C or SIGTERM: say so first, then what the command
			// said about where it stopped (a journal to resume).
			fmt.Fprintf(f.IOStreams.ErrOut, "cmkguard: interrupted: %s\n", printable.Text(err.Error()))
			return exit.Interrupted
		}
		if !errors.As(err, &findings) {
			fmt.Fprintf(f.IOStreams.ErrOut, "cmkguard: %s\n", printable.Text(err.Error()))
			if isUsage(err) {
				// The help of the command that was mistyped, not the root's.
				fmt.Fprintf(f.IOStreams.ErrOut, "Run '%s --help' for usage.\n", failed.CommandPath())
			}
		}
		return codeOf(err)
	}
	return exit.OK
}

func isUsage(err error) bool {
	return exit.Code(err) == exit.Usage || isCobraUsage(err)
}

// isCobraUsage recognises cobra's own argument errors, which it does not type.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "invalid argument", "flag needs an argument", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func codeOf(err error) int {
	if isCobraUsage(err) {
		return exit.Usage
	}
	return exit.Code(err)
}
