package diff

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/iostreams"
	"github.com/cmkguard/cmkguard/report"
	"github.com/cmkguard/cmkguard/reportdiff"
)

// Options are the diff command's dependencies and flags.
type Options struct {
	IO       *iostreams.IOStreams
	OldPath  string
	NewPath  string
	Format   string
	FailOn   string
	FailOnly bool // --fail-on-new
}

// Formats are the --format values.
var Formats = []string{"table", "json", "markdown", "sarif"}

// NewCmdDiff returns the diff command. runF replaces diffRun in tests.
func NewCmdDiff(f *factory.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "diff OLD.json NEW.json",
		Short: "Show what changed between two JSON audit reports",
		Long: `Compare two reports of 'cmkguard audit --format json' (schema 1.x): findings that
are new, resolved, or changed (their verdict or their key), and which of them
are regressions (newly FAIL or UNKNOWN) or fixes. A finding is the same across
reports when its rule and resource are: the resource ARN, or file#address for
infrastructure as code.

Exit codes, as the audit's: 0 nothing FAIL or UNKNOWN at or above --fail-on in
the new report; 3 some; 1 error; 2 usage. With --fail-on-new only regressions
count, so CI fails on what a change made worse, not on what was already there.

--format sarif writes the new report's problems with baselineState new,
updated or unchanged, and the problems that are gone as absent (kind pass).`,
		Example: `  cmkguard diff main.json pr.json
  cmkguard diff main.json pr.json --fail-on-new --format markdown > comment.md
  cmkguard diff main.json pr.json --fail-on-new --fail-on critical --format sarif > cmkguard.sarif`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 2 {
				return exit.Usagef("diff needs two reports, OLD.json and NEW.json (got %d argument(s))", len(args))
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error {
			opts.OldPath, opts.NewPath = args[0], args[1]
			opts.Format = strings.ToLower(strings.TrimSpace(opts.Format))
			if !contains(Formats, opts.Format) {
				return exit.Usagef("--format %q: want one of %s", opts.Format, strings.Join(Formats, ", "))
			}
			if _, err := threshold(opts.FailOn); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return diffRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "table", "Output format: "+strings.Join(Formats, ", "))
	cmd.Flags().StringVar(&opts.FailOn, "fail-on", string(finding.SeverityHigh), "Exit 3 when a FAIL or UNKNOWN finding has this severity or higher (info, low, medium, high, critical, none)")
	cmd.Flags().BoolVar(&opts.FailOnly, "fail-on-new", false, "Apply --fail-on to regressions only (findings newly FAIL or UNKNOWN)")
	return cmd
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// threshold parses --fail-on; "" means none.
func threshold(s string) (finding.Severity, error) {
	if strings.EqualFold(s, "none") {
		return "", nil
	}
	sev, ok := finding.ParseSeverity(s)
	if !ok {
		return "", exit.Usagef("--fail-on %q: want info, low, medium, high, critical or none", s)
	}
	return sev, nil
}

func readReport(path string) (*finding.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	defer f.Close()
	return reportdiff.Read(f, path)
}

func diffRun(opts *Options) error {
	oldRep, err := readReport(opts.OldPath)
	if err != nil {
		return err
	}
	newRep, err := readReport(opts.NewPath)
	if err != nil {
		return err
	}
	d, err := reportdiff.Compare(oldRep, newRep)
	if err != nil {
		return err
	}
	switch opts.Format {
	case "json":
		err = d.WriteJSON(opts.IO.Out)
	case "markdown":
		err = d.WriteMarkdown(opts.IO.Out)
	case "sarif":
		r, states := d.SARIFReport()
		err = (&report.SARIF{BaselineStates: states}).Write(opts.IO.Out, r)
	default:
		err = d.WriteTable(opts.IO.Out)
	}
	if err != nil {
		return err
	}
	sev, _ := threshold(opts.FailOn)
	if sev == "" {
		return nil
	}
	if n := d.Gate(sev, opts.FailOnly); n > 0 {
		return &exit.FindingsError{Count: n, Threshold: string(sev)}
	}
	return nil
}
