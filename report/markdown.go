package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/cmkguard/cmkguard/finding"
)

// Markdown writes a summary for pull-request comments and CI job summaries
// (GitHub-flavoured Markdown): a headline, a table of counts, a table of
// failing findings (worst first), a table of findings that could not be
// decided, and each of them in a collapsed <details> block with its evidence
// and remediation. Each table lists at most MaxRows findings and says how
// many it left out, so that a large audit still fits in a comment (GitHub
// allows 65,536 characters).
type Markdown struct {
	// MaxRows caps each table; 0 means DefaultMarkdownRows.
	MaxRows int
}

var _ Reporter = (*Markdown)(nil)

// DefaultMarkdownRows is the default number of findings per table.
const DefaultMarkdownRows = 25

var markdownSeverities = []finding.Severity{
	finding.SeverityCritical, finding.SeverityHigh, finding.SeverityMedium, finding.SeverityLow, finding.SeverityInfo,
}

// Write writes r as Markdown.
func (m *Markdown) Write(w io.Writer, r *finding.Report) error {
	if r == nil {
		return fmt.Errorf("write Markdown: no report")
	}
	limit := m.MaxRows
	if limit <= 0 {
		limit = DefaultMarkdownRows
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	s := finding.Summarize(r.Findings)
	name := firstNonEmpty(r.Tool.Name, "cmkguard")

	headline := "✅ no failing DMS resources"
	switch {
	case s.Fail > 0:
		headline = fmt.Sprintf("❌ %d failing", s.Fail)
		if s.Unknown > 0 {
			headline += fmt.Sprintf(", ⚠️ %d unknown", s.Unknown)
		}
	case s.Unknown > 0:
		headline = fmt.Sprintf("⚠️ %d could not be decided", s.Unknown)
	}
	ne := notEvaluated(r)
	if len(ne) > 0 {
		headline += fmt.Sprintf(" · ⏭️ %d rule(s) not evaluated", len(ne))
	}
	fmt.Fprintf(bw, "## %s DMS encryption audit: %s\n\n", mdText(name), headline)
	meta := []string{}
	if r.GeneratedAt != "" {
		meta = append(meta, "Generated "+mdText(r.GeneratedAt))
	}
	if r.Tool.Version != "" {
		meta = append(meta, mdText(name+" "+r.Tool.Version))
	}
	meta = append(meta, fmt.Sprintf("%d account(s)", len(r.Accounts)), fmt.Sprintf("%d region scan(s)", len(r.Regions)), "scope: "+mdText(scopeText(r)))
	fmt.Fprintf(bw, "%s\n\n", strings.Join(meta, " · "))

	fmt.Fprintf(bw, "| Verdict | Count |\n|---|---:|\n")
	fmt.Fprintf(bw, "| ❌ Fail | %d |\n| ⚠️ Unknown | %d |\n| 🔕 Suppressed | %d |\n| ✅ Pass | %d |\n| **Total** | **%d** |\n\n",
		s.Fail, s.Unknown, s.Suppressed, s.Pass, s.Total)
	if len(ne) > 0 {
		fmt.Fprintf(bw, "### Not evaluated\n\nThese rules did not run, so their lack of findings proves nothing.\n\n| Rule | Title | Why |\n|---|---|---|\n")
		for _, n := range ne {
			fmt.Fprintf(bw, "| `%s` | %s | %s |\n", mdCode(n.ID), mdCell(n.Title), mdCell(n.Reason))
		}
		fmt.Fprintln(bw)
	}

	mdCompliance(bw, complianceSummary(r))
	if s.Fail > 0 {
		fmt.Fprintf(bw, "### Failing\n\n| Severity | Rule | Resource | Account | Region | Why |\n|---|---|---|---|---|---|\n")
		n := 0
		eachWorstFirst(r, finding.StatusFail, func(f *finding.Finding) bool {
			fmt.Fprintf(bw, "| %s | `%s` | %s | %s | %s | %s |\n",
				mdCell(string(f.Severity)), mdCode(f.RuleID), mdResource(f), mdCell(f.Account), mdCell(f.Region), mdCell(f.Reason))
			n++
			return n < limit
		})
		mdMore(bw, s.Fail-n)
	}
	if s.Unknown > 0 {
		fmt.Fprintf(bw, "### Could not be decided\n\n| Rule | Resource | Account | Region | Missing permission | Why |\n|---|---|---|---|---|---|\n")
		n := 0
		eachWorstFirst(r, finding.StatusUnknown, func(f *finding.Finding) bool {
			fmt.Fprintf(bw, "| `%s` | %s | %s | %s | %s | %s |\n",
				mdCode(f.RuleID), mdResource(f), mdCell(f.Account), mdCell(f.Region), mdCodeOrEmpty(f.MissingPermission), mdCell(f.Reason))
			n++
			return n < limit
		})
		mdMore(bw, s.Unknown-n)
	}
	if s.Fail+s.Unknown > 0 {
		fmt.Fprintf(bw, "<details><summary>Details and remediation (%d)</summary>\n\n", min(s.Fail, limit)+min(s.Unknown, limit))
		for _, status := range []finding.Status{finding.StatusFail, finding.StatusUnknown} {
			n := 0
			eachWorstFirst(r, status, func(f *finding.Finding) bool {
				mdDetails(bw, f)
				n++
				return n < limit
			})
		}
		fmt.Fprintf(bw, "</details>\n\n")
	}
	if s.Suppressed > 0 {
		fmt.Fprintf(bw, "<details><summary>Suppressed (%d)</summary>\n\n| Rule | Resource | Reason | Expires |\n|---|---|---|---|\n", s.Suppressed)
		n := 0
		eachWorstFirst(r, finding.StatusSuppressed, func(f *finding.Finding) bool {
			reason, expires := "", ""
			if f.Suppression != nil {
				reason, expires = f.Suppression.Reason, f.Suppression.Expires
			}
			fmt.Fprintf(bw, "| `%s` | %s | %s | %s |\n", mdCode(f.RuleID), mdResource(f), mdCell(reason), mdCell(expires))
			n++
			return n < limit
		})
		mdMore(bw, s.Suppressed-n)
		fmt.Fprintf(bw, "</details>\n\n")
	}
	if s.Total == 0 {
		fmt.Fprintf(bw, "No DMS resources were found in the scanned regions.\n")
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write Markdown: %w", err)
	}
	return nil
}

// eachWorstFirst calls fn for the findings with the given status, highest
// severity first and in report order within a severity, until fn returns
// false. It walks the findings once per severity instead of sorting a copy.
func eachWorstFirst(r *finding.Report, status finding.Status, fn func(*finding.Finding) bool) {
	known := map[finding.Severity]bool{}
	for _, sev := range markdownSeverities {
		known[sev] = true
	}
	pass := func(match func(finding.Severity) bool) bool {
		for i := range r.Findings {
			f := &r.Findings[i]
			if f.Status == status && match(f.Severity) && !fn(f) {
				return false
			}
		}
		return true
	}
	for _, sev := range markdownSeverities {
		if !pass(func(s finding.Severity) bool { return s == sev }) {
			return
		}
	}
	pass(func(s finding.Severity) bool { return !known[s] })
}

func mdDetails(w io.Writer, f *finding.Finding) {
	fmt.Fprintf(w, "#### %s · `%s` · %s\n\n", mdText(resourceLabel(f)), mdCode(f.RuleID), mdText(string(f.Status)))
	item := func(label, value string, code bool) {
		if value == "" {
			return
		}
		if code {
			fmt.Fprintf(w, "- **%s:** `%s`\n", label, mdCode(value))
		} else {
			fmt.Fprintf(w, "- **%s:** %s\n", label, mdText(value))
		}
	}
	item("Resource", resourceIdentity(f), true)
	if f.Source.File != "" && f.Source.StartLine > 0 {
		item("Location", fmt.Sprintf("%s:%d-%d", f.Source.File, f.Source.StartLine, f.Source.EndLine), true)
	}
	item("Key", f.KeyARN, true)
	item("Key manager", string(f.KeyManager), false)
	item("Key state", f.KeyState, false)
	item("Protection level", string(f.ProtectionLevel), false)
	item("Evidence", string(f.Evidence), false)
	item("Missing permission", f.MissingPermission, true)
	item("Why", f.Reason, false)
	if s := f.Suppression; s != nil && s.Expired {
		item("Expired suppression", s.Reason+" (expired "+s.Expires+")", false)
	}
	item("Fix", f.Remediation, false)
	fmt.Fprintln(w)
}

// mdCompliance writes the per-framework summary, then each control in a
// collapsed block.
func mdCompliance(w io.Writer, frameworks []complianceFramework) {
	if len(frameworks) == 0 {
		return
	}
	fmt.Fprintf(w, "### Compliance\n\n| Framework | Controls | ❌ Fail | ⚠️ Unknown | 🔕 Suppressed | ✅ Pass |\n|---|---:|---:|---:|---:|---:|\n")
	n := 0
	for _, fw := range frameworks {
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %d |\n", mdCell(fw.Name), len(fw.Controls), fw.Fail, fw.Unknown, fw.Suppressed, fw.Pass)
		n += len(fw.Controls)
	}
	fmt.Fprintf(w, "\n<details><summary>Controls (%d)</summary>\n\n| Framework | Control | Rules | Fail | Unknown | Suppressed | Pass |\n|---|---|---|---:|---:|---:|---:|\n", n)
	for _, fw := range frameworks {
		for _, c := range fw.Controls {
			fmt.Fprintf(w, "| %s | %s %s | `%s` | %d | %d | %d | %d |\n", mdCell(fw.Name), mdCell(c.Control.ID), mdCell(c.Control.Title),
				mdCode(strings.Join(c.Rules, " ")), c.Fail, c.Unknown, c.Suppressed, c.Pass)
		}
	}
	fmt.Fprintf(w, "\n</details>\n\n")
}

func mdMore(w io.Writer, left int) {
	if left > 0 {
		fmt.Fprintf(w, "\n…and %d more; see the full report.\n", left)
	}
	fmt.Fprintln(w)
}

// mdText makes text safe in Markdown: HTML is escaped (GitHub renders it),
// and line breaks become spaces.
func mdText(s string) string {
	s = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r\n", " ", "\n", " ", "\r", " ", "`", "&#96;", "*", "\\*", "_", "\\_", "[", "\\[", "]", "\\]").Replace(s)
	return s
}

// mdCell is mdText for a table cell: pipes are escaped too.
func mdCell(s string) string {
	return strings.ReplaceAll(mdText(s), "|", "\\|")
}

// mdCode is text for inside a code span in a table: no backticks, pipes
// escaped, one line.
func mdCode(s string) string {
	s = strings.NewReplacer("`", "'", "|", "\\|", "\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	return s
}

func mdCodeOrEmpty(s string) string {
	if s == "" {
		return ""
	}
	return "`" + mdCode(s) + "`"
}

// mdResource names a resource in a table: its short label in bold, its
// identity as code.
func mdResource(f *finding.Finding) string {
	label, identity := resourceLabel(f), resourceIdentity(f)
	if label == identity {
		return "`" + mdCode(identity) + "`"
	}
	return "**" + mdCell(label) + "**<br>`" + mdCode(identity) + "`"
}
