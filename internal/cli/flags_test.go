package cli

import (
	"slices"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/cli/root"
	"github.com/cmkguard/cmkguard/internal/iostreams"
)

// eachFlag calls fn for every flag of every command under cmd.
func eachFlag(cmd *cobra.Command, fn func(cmd *cobra.Command, f *pflag.Flag)) {
	cmd.LocalFlags().VisitAll(func(f *pflag.Flag) { fn(cmd, f) })
	for _, sub := range cmd.Commands() {
		eachFlag(sub, fn)
	}
}

// TestEveryListFlagTakesCommasAndRepeats: a flag that takes several values
// takes them comma-separated, repeated, or both, in every command.
func TestEveryListFlagTakesCommasAndRepeats(t *testing.T) {
	t.Parallel()
	ios, _, _, _ := iostreams.Test()
	cmd := root.NewCmdRoot(&factory.Factory{IOStreams: ios, Now: time.Now})
	n := 0
	eachFlag(cmd, func(c *cobra.Command, f *pflag.Flag) {
		if f.Name == "format" {
			return // FORMAT[=FILE] lists: parsed by the command (report.ParseOutputs), tested there
		}
		if c.Name() == "iac" && f.Name == "cf-param" {
			return // NAME=VALUE, where VALUE may be a CloudFormation CommaDelimitedList: repeat the flag
		}
		sv, ok := f.Value.(pflag.SliceValue)
		if !ok {
			return
		}
		n++
		t.Run(c.CommandPath()+" --"+f.Name, func(t *testing.T) {
			if err := f.Value.Set("a,b"); err != nil {
				t.Fatal(err)
			}
			if err := f.Value.Set("c"); err != nil {
				t.Fatal(err)
			}
			if got := sv.GetSlice(); !slices.Equal(got, []string{"a", "b", "c"}) {
				t.Errorf("--%s a,b --%s c = %q, want [a b c] (type %s)", f.Name, f.Name, got, f.Value.Type())
			}
		})
	})
	if n < 8 {
		t.Errorf("found %d list flags, want the region, account and key principal lists of audit, remediate and key-policy", n)
	}
}

// TestTheSameFlagMeansTheSameInEveryCommand: a flag name that appears in
// several commands takes the same kind of value in each.
func TestTheSameFlagMeansTheSameInEveryCommand(t *testing.T) {
	t.Parallel()
	ios, _, _, _ := iostreams.Test()
	cmd := root.NewCmdRoot(&factory.Factory{IOStreams: ios, Now: time.Now})
	// key-policy describes one key, in one region.
	exceptions := map[string]bool{"cmkguard key-policy --region": true}
	types := map[string]string{}
	where := map[string]string{}
	eachFlag(cmd, func(c *cobra.Command, f *pflag.Flag) {
		id := c.CommandPath() + " --" + f.Name
		if exceptions[id] || f.Name == "help" || f.Name == "format" {
			return
		}
		if prev, ok := types[f.Name]; ok && prev != f.Value.Type() {
			t.Errorf("%s takes a %s, but %s takes a %s", id, f.Value.Type(), where[f.Name], prev)
		}
		types[f.Name], where[f.Name] = f.Value.Type(), id
	})
}
