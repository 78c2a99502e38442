package reportdiff

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/cmkguard/cmkguard/finding"
)

// jsonDiff is the JSON output: both reports' headers, the summary, and every
// entry that is not unchanged (unchanged ones are only counted).
type jsonDiff struct {
	SchemaVersion string  `json:"schemaVersion"`
	Old           Side    `json:"old"`
	New           Side    `json:"new"`
	Summary       Summary `json:"summary"`
	Changes       []Entry `json:"changes"`
}

// WriteJSON writes d as indented JSON.
func (d *Diff) WriteJSON(w io.Writer) error {
	out := jsonDiff{SchemaVersion: SchemaVersion, Old: d.Old, New: d.New, Summary: d.Summary, Changes: []Entry{}}
	for _, e := range d.Entries {
		if e.Change != ChangeUnchanged {
			out.Changes = append(out.Changes, e)
		}
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return fmt.Errorf("encode diff: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// verdicts is "FAIL", or "PASS → FAIL" for a change.
func (e *Entry) verdicts() string {
	switch {
	case e.Old == nil:
		return string(e.New.Status)
	case e.New == nil:
		return string(e.Old.Status)
	case e.Old.Status != e.New.Status:
		return string(e.Old.Status) + " → " + string(e.New.Status)
	}
	return string(e.New.Status)
}

func (e *Entry) label() string {
	if f := e.Current(); f.Source.Address != "" {
		return f.Source.Address
	} else if f.ResourceID != "" {
		return f.ResourceID
	}
	return e.Identity
}

// why says what moved, for a person.
func (e *Entry) why() string {
	f := e.Current()
	switch {
	case e.Change == ChangeResolved:
		return "no longer reported (the resource is gone or no longer checked)"
	case e.Old != nil && e.Old.KeyARN != e.New.KeyARN:
		return fmt.Sprintf("key %s → %s; %s", orNone(e.Old.KeyARN), orNone(e.New.KeyARN), f.Reason)
	}
	return f.Reason
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// WriteTable writes the summary and one line per change (unchanged findings
// are counted, not listed).
func (d *Diff) WriteTable(w io.Writer) error {
	s := d.Summary
	fmt.Fprintf(w, "%d new, %d changed, %d resolved, %d unchanged; %d regression(s), %d fixed\n", s.New, s.Changed, s.Resolved, s.Unchanged, s.Regressions, s.Fixed)
	if s.New+s.Changed+s.Resolved == 0 {
		_, err := fmt.Fprintln(w, "No finding changed.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nCHANGE\tVERDICT\tSEVERITY\tRULE\tRESOURCE\tWHY")
	for i := range d.Entries {
		e := &d.Entries[i]
		if e.Change == ChangeUnchanged {
			continue
		}
		change := string(e.Change)
		switch {
		case e.Regression:
			change += " (regression)"
		case e.Fixed:
			change += " (fixed)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", change, e.verdicts(), e.Current().Severity, e.RuleID, oneLine(e.label()), oneLine(e.why()))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write diff: %w", err)
	}
	return nil
}

func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ").Replace(s)
}

// MaxMarkdownRows caps each Markdown table, so a large diff still fits in a
// pull-request comment.
const MaxMarkdownRows = 25

// WriteMarkdown writes a pull-request comment: a headline, the counts, then
// the regressions, the fixes and the other changes.
func (d *Diff) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	s := d.Summary
	headline := "✅ no new failing findings"
	if s.Regressions > 0 {
		headline = fmt.Sprintf("❌ %d new failing finding(s)", s.Regressions)
	}
	if s.Fixed > 0 {
		headline += fmt.Sprintf(", 🎉 %d fixed", s.Fixed)
	}
	fmt.Fprintf(&b, "## cmkguard: changes since the last audit: %s\n\n", headline)
	if d.Old.GeneratedAt != "" || d.New.GeneratedAt != "" {
		fmt.Fprintf(&b, "Compared %s with %s\n\n", mdText(orNone(d.Old.GeneratedAt)), mdText(orNone(d.New.GeneratedAt)))
	}
	fmt.Fprintf(&b, "| Change | Count |\n|---|---:|\n| ❌ Regressions (new FAIL or UNKNOWN) | %d |\n| 🎉 Fixed | %d |\n| New | %d |\n| Changed | %d |\n| Resolved | %d |\n| Unchanged | %d |\n\n",
		s.Regressions, s.Fixed, s.New, s.Changed, s.Resolved, s.Unchanged)
	d.mdTable(&b, "New failing", func(e *Entry) bool { return e.Regression })
	d.mdTable(&b, "Fixed", func(e *Entry) bool { return e.Fixed })
	d.mdTable(&b, "Other changes", func(e *Entry) bool {
		return e.Change != ChangeUnchanged && !e.Regression && !e.Fixed && !(e.Change == ChangeNew && e.New.Status == finding.StatusPass)
	})
	_, err := io.WriteString(w, b.String())
	return err
}

func (d *Diff) mdTable(b *strings.Builder, title string, keep func(*Entry) bool) {
	total := 0
	for i := range d.Entries {
		if keep(&d.Entries[i]) {
			total++
		}
	}
	if total == 0 {
		return
	}
	fmt.Fprintf(b, "### %s (%d)\n\n| Change | Verdict | Severity | Rule | Resource | Why |\n|---|---|---|---|---|---|\n", title, total)
	n := 0
	for i := range d.Entries {
		e := &d.Entries[i]
		if !keep(e) {
			continue
		}
		if n == MaxMarkdownRows {
			fmt.Fprintf(b, "\n…and %d more; see the JSON output.\n", total-n)
			break
		}
		fmt.Fprintf(b, "| %s | %s | %s | `%s` | **%s**<br>`%s` | %s |\n", e.Change, mdCell(e.verdicts()), e.Current().Severity,
			mdCode(e.RuleID), mdCell(e.label()), mdCode(e.Identity), mdCell(e.why()))
		n++
	}
	b.WriteString("\n")
}

func mdText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r\n", " ", "\n", " ", "\r", " ", "`", "&#96;", "*", "\\*", "_", "\\_", "[", "\\[", "]", "\\]").Replace(s)
}

func mdCell(s string) string { return strings.ReplaceAll(mdText(s), "|", "\\|") }

func mdCode(s string) string {
	return strings.NewReplacer("`", "'", "|", "\\|", "\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// SARIFReport returns the findings a SARIF log of the diff holds, as a
// report for report.SARIF, and each one's baselineState: the new report's
// problems (new, updated or unchanged) and the old report's problems that
// are gone (absent).
func (d *Diff) SARIFReport() (*finding.Report, []string) {
	r := &finding.Report{
		SchemaVersion: d.New.SchemaVersion, Tool: d.New.Tool, GeneratedAt: d.New.GeneratedAt,
		Accounts: []string{}, Regions: []finding.Region{}, Rules: d.Rules, Findings: []finding.Finding{},
	}
	var states []string
	for i := range d.Entries {
		state, f, ok := d.Entries[i].BaselineState()
		if !ok {
			continue
		}
		r.Findings = append(r.Findings, *f)
		states = append(states, state)
	}
	r.Summary = finding.Summarize(r.Findings)
	if states == nil {
		states = []string{}
	}
	return r, states
}
