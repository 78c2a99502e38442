package keypolicy

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/keypolicy/analyse"
)

// maxCheckFile bounds what --check reads (a key policy is at most 32 KiB).
const maxCheckFile = analyse.MaxPolicyBytes

func addCheckFlags(cmd *cobra.Command, opts *Options) {
	cmd.Flags().StringVar(&opts.Check, "check", "", "Analyse the key policy in `FILE` (- for stdin) instead of printing one: world access and DMS use; exit 3 on FAIL or UNKNOWN")
	cmd.Flags().StringSliceVar(&opts.DMSAccounts, "dms-account", nil, "With --check: an account whose DMS resources will use the key (repeatable or comma-separated; default the key's account)")
	cmd.Flags().StringVar(&opts.OrgID, "org-id", "", "With --check: the key account's organisation id, to judge aws:PrincipalOrgID conditions")
}

// checkRun analyses a policy document before it is applied: the same
// analysis the audit runs on each key's policy.
func checkRun(ctx context.Context, opts *Options) error {
	if len(opts.Admins)+len(opts.Users)+len(opts.ExternalAccounts) > 0 {
		return exit.Usagef("--check reads a policy; --key-admin, --key-user and --external-account build one: use one or the other")
	}
	policy, err := readPolicy(opts)
	if err != nil {
		return err
	}
	if opts.Account == "" {
		acct, err := opts.CallerAccount(ctx, opts)
		if err != nil {
			return fmt.Errorf("find the caller's account (or pass --account): %w", err)
		}
		opts.Account = acct
	}
	a, err := analyse.Analyse(analyse.Input{
		Policy: policy, KeyAccount: opts.Account, Region: opts.Region,
		OrgID: opts.OrgID, DMSAccounts: opts.DMSAccounts,
	})
	if err != nil {
		return fmt.Errorf("check %s: %w", opts.Check, err)
	}
	results := append([]analyse.Result{a.World}, a.DMS...)
	var b strings.Builder
	fmt.Fprintf(&b, "%s: key policy of account %s in %s\n", opts.Check, opts.Account, opts.Region)
	problems := 0
	for _, r := range results {
		label := string(r.Check)
		if r.Account != "" {
			label += " (account " + r.Account + ")"
		}
		fmt.Fprintf(&b, "%-7s %s: %s\n", r.Verdict, label, r.Reason)
		if r.Verdict != analyse.Pass {
			problems++
		}
	}
	for _, p := range a.ExternalPrincipals {
		fmt.Fprintf(&b, "note    shared by name with %s\n", p)
	}
	if _, err := io.WriteString(opts.IO.Out, b.String()); err != nil {
		return err
	}
	if problems > 0 {
		// Both checks are high: an open key, or one DMS cannot use for new
		// resources (critical for existing ones, which the audit judges).
		return &exit.FindingsError{Count: problems, Threshold: "high"}
	}
	return nil
}

func readPolicy(opts *Options) (string, error) {
	var r io.Reader
	if opts.Check == "-" {
		r = opts.IO.In
	} else {
		f, err := os.Open(opts.Check)
		if err != nil {
			return "", fmt.Errorf("read key policy: %w", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxCheckFile+1))
	if err != nil {
		return "", fmt.Errorf("read key policy %s: %w", opts.Check, err)
	}
	if len(b) > maxCheckFile {
		return "", fmt.Errorf("key policy %s is larger than %d bytes", opts.Check, maxCheckFile)
	}
	return string(b), nil
}
