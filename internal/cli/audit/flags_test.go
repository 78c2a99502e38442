package audit

import (
	"strconv"
	"testing"

	"github.com/spf13/pflag"
)

// applyFlags copies the flags a test changed onto opts, for tests that call
// Run directly with their own dependencies.
func applyFlags(t *testing.T, lookup func(string) *pflag.Flag, opts *Options) {
	t.Helper()
	str := func(name string, dst *string) {
		if f := lookup(name); f != nil && f.Changed {
			*dst = f.Value.String()
		}
	}
	list := func(name string, dst *[]string) {
		if f := lookup(name); f != nil && f.Changed {
			if sv, ok := f.Value.(pflag.SliceValue); ok {
				*dst = sv.GetSlice()
			}
		}
	}
	str("fail-on", &opts.FailOn)
	str("min-protection", &opts.MinProtection)
	str("endpoint-url", &opts.EndpointURL)
	str("ignore-file", &opts.IgnoreFile)
	list("format", &opts.Formats)
	list("region", &opts.Regions)
	list("trusted-key-account", &opts.TrustedKeyAccounts)
	list("accounts", &opts.Accounts)
	str("assume-role", &opts.AssumeRole)
	str("external-id", &opts.ExternalID)
	if f := lookup("org"); f != nil && f.Changed {
		opts.Org = f.Value.String() == "true"
	}
	if f := lookup("max-accounts-parallel"); f != nil && f.Changed {
		n, err := strconv.Atoi(f.Value.String())
		if err != nil {
			t.Fatal(err)
		}
		opts.MaxAccountsParallel = n
	}
}
