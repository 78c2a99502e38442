package rules

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/iostreams"
	"github.com/cmkguard/cmkguard/rule"
)

// Options are the rules command's dependencies and flags.
type Options struct {
	IO     *iostreams.IOStreams
	Format string
	// Rules returns the rules' metadata (rule.Metadata; tests replace it).
	Rules func() []finding.Rule
}

// Formats are the --format values.
var Formats = []string{"table", "json", "markdown"}

// NewCmdRules returns the rules command. runF replaces rulesRun in tests.
func NewCmdRules(f *factory.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Rules: rule.Metadata}
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the rules and the compliance controls each supports",
		Long: `List every rule: its id, short code, severity and title, and the controls of
GDPR, APRA CPS 234, NIST SP 800-53 Rev. 5, PCI DSS v4.0, HIPAA and CIS AWS
Foundations it gives evidence for. docs/rules.md cites the control text each
mapping relies on.`,
		Example: `  cmkguard rules
  cmkguard rules --format json | jq '.[].compliance'
  cmkguard rules --format markdown >> evidence.md`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			opts.Format = strings.ToLower(strings.TrimSpace(opts.Format))
			if !validFormat(opts.Format) {
				return exit.Usagef("--format %q: want one of %s", opts.Format, strings.Join(Formats, ", "))
			}
			if runF != nil {
				return runF(opts)
			}
			return rulesRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "table", "Output format: "+strings.Join(Formats, ", "))
	return cmd
}

func validFormat(f string) bool {
	for _, v := range Formats {
		if f == v {
			return true
		}
	}
	return false
}

func rulesRun(opts *Options) error {
	rules := opts.Rules()
	switch opts.Format {
	case "json":
		b, err := json.MarshalIndent(rules, "", "  ")
		if err != nil {
			return fmt.Errorf("encode rules: %w", err)
		}
		_, err = fmt.Fprintf(opts.IO.Out, "%s\n", b)
		return err
	case "markdown":
		return writeMarkdown(opts.IO.Out, rules)
	}
	return writeTable(opts.IO.Out, rules)
}

// byFramework lists a rule's control ids for each framework, in
// rule.Frameworks order, "—" for none.
func byFramework(r finding.Rule) []string {
	out := make([]string, len(rule.Frameworks))
	for i, fw := range rule.Frameworks {
		var ids []string
		for _, c := range r.Compliance {
			if c.Framework == fw {
				ids = append(ids, c.ID)
			}
		}
		out[i] = "—"
		if len(ids) > 0 {
			out[i] = strings.Join(ids, ", ")
		}
	}
	return out
}

func writeTable(w io.Writer, rules []finding.Rule) error {
	width := 0
	for _, fw := range rule.Frameworks {
		width = max(width, len(fw))
	}
	var b strings.Builder
	for i, r := range rules {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s  %s  %s\n  %s\n", r.ID, r.ShortCode, r.Severity, r.Title)
		for j, ids := range byFramework(r) {
			fmt.Fprintf(&b, "    %-*s  %s\n", width, rule.Frameworks[j], ids)
		}
	}
	b.WriteString("\nThe control text each mapping relies on: docs/rules.md. — means no control of that framework covers the rule.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func writeMarkdown(w io.Writer, rules []finding.Rule) error {
	var b strings.Builder
	b.WriteString("| Rule | Severity | Title | " + strings.Join(rule.Frameworks, " | ") + " |\n|---|---|---|")
	b.WriteString(strings.Repeat("---|", len(rule.Frameworks)) + "\n")
	for _, r := range rules {
		fmt.Fprintf(&b, "| `%s` `%s` | %s | %s |", r.ID, r.ShortCode, r.Severity, mdCell(r.Title))
		for _, ids := range byFramework(r) {
			b.WriteString(" " + mdCell(ids) + " |")
		}
		b.WriteString("\n")
	}
	b.WriteString("\nThe control text each mapping relies on is cited in docs/rules.md; — means no control of that framework covers the rule.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func mdCell(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}
