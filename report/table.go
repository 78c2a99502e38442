package report

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/internal/printable"
)

// Table writes the report for a person: a summary by region and verdict,
// then every finding that needs attention (FAIL, UNKNOWN, SUPPRESSED) with
// its key, reason and remediation, then one line per passing resource.
// With Color (stdout is a terminal) verdicts are coloured; piped output is
// plain text with the same content. Every value that comes from the report
// (names, ids, ARNs, reasons: read from AWS or a file) is written through
// printable.Line, so that none can forge a line or reach the terminal as an
// escape sequence.
type Table struct {
	Color bool
}

// maxPassingLines caps the passing list: past it, a large account's passing
// resources are only counted (in the summary), so that what needs
// attention stays on screen.
const maxPassingLines = 100

var _ Reporter = (*Table)(nil)

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiDim    = "\x1b[2m"
)

// Write writes r to w.
func (t *Table) Write(w io.Writer, r *finding.Report) error {
	if r == nil {
		return errors.New("table report: no report")
	}
	bw := bufio.NewWriter(w)
	t.header(bw, r)
	t.regionSummary(bw, r)
	t.attention(bw, r)
	t.passing(bw, r)
	t.totals(bw, r)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("table report: %w", err)
	}
	return nil
}

func (t *Table) paint(color, s string) string {
	if !t.Color || color == "" {
		return s
	}
	return color + s + ansiReset
}

func statusColor(s finding.Status) string {
	switch s {
	case finding.StatusFail:
		return ansiRed
	case finding.StatusUnknown:
		return ansiYellow
	case finding.StatusPass:
		return ansiGreen
	case finding.StatusSuppressed:
		return ansiDim
	}
	return ""
}

func (t *Table) header(w io.Writer, r *finding.Report) {
	accounts := "none"
	if len(r.Accounts) > 0 {
		accounts = printable.Line(strings.Join(r.Accounts, ", "))
	}
	fmt.Fprintf(w, "%s\n", t.paint(ansiBold, "cmkguard: the KMS keys behind AWS DMS resources"))
	fmt.Fprintf(w, "Accounts: %s\n", accounts)
	fmt.Fprintf(w, "Scope: %s\n", scopeText(r))
	if ne := notEvaluated(r); len(ne) > 0 {
		fmt.Fprintf(w, "Not evaluated: %s (out of scope: no finding here is not a PASS)\n", notEvaluatedIDs(ne))
	}
	fmt.Fprintf(w, "Generated: %s by %s %s\n\n", printable.Line(r.GeneratedAt), printable.Line(r.Tool.Name), printable.Line(r.Tool.Version))
}

// regionRow counts one account+region's findings by verdict.
type regionRow struct {
	account, region, scan, reason string
	pass, fail, unknown, supp     int
}

func regionRows(r *finding.Report) []*regionRow {
	rows := map[[2]string]*regionRow{}
	get := func(account, region string) *regionRow {
		k := [2]string{account, region}
		if rows[k] == nil {
			rows[k] = &regionRow{account: printable.Line(account), region: printable.Line(region), scan: "-"}
		}
		return rows[k]
	}
	for _, reg := range r.Regions {
		row := get(reg.Account, reg.Region)
		row.scan, row.reason = printable.Line(reg.Status), printable.Line(reg.Reason)
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		row := get(f.Account, f.Region)
		switch f.Status {
		case finding.StatusPass:
			row.pass++
		case finding.StatusFail:
			row.fail++
		case finding.StatusUnknown:
			row.unknown++
		case finding.StatusSuppressed:
			row.supp++
		}
	}
	out := make([]*regionRow, 0, len(rows))
	for _, row := range rows {
		out = append(out, row)
	}
	slices.SortFunc(out, func(a, b *regionRow) int {
		return cmp.Or(cmp.Compare(a.account, b.account), cmp.Compare(a.region, b.region))
	})
	return out
}

func (t *Table) regionSummary(w io.Writer, r *finding.Report) {
	rows := regionRows(r)
	fmt.Fprintf(w, "%s\n", t.paint(ansiBold, "Summary by region"))
	if len(rows) == 0 {
		fmt.Fprintf(w, "  no region was scanned and nothing was found\n\n")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	// AlignRight pads every cell on the left; text columns go first and are
	// padded on the right by hand so that they read left-aligned.
	accW, regW, scanW := len("ACCOUNT"), len("REGION"), len("SCAN")
	for _, row := range rows {
		accW, regW, scanW = max(accW, len(row.account)), max(regW, len(row.region)), max(scanW, len(row.scan))
	}
	left := func(account, region, scan string) string {
		return fmt.Sprintf("%-*s  %-*s  %-*s", accW, account, regW, region, scanW, scan)
	}
	fmt.Fprintf(tw, "%s\tPASS\tFAIL\tUNKNOWN\tSUPPRESSED\t\n", left("ACCOUNT", "REGION", "SCAN"))
	for _, row := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t\n", left(row.account, row.region, row.scan), row.pass, row.fail, row.unknown, row.supp)
	}
	s := r.Summary
	fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t\n", left("TOTAL", "", ""), s.Pass, s.Fail, s.Unknown, s.Suppressed)
	_ = tw.Flush()
	for _, row := range rows {
		if row.scan == "skipped" || row.scan == "failed" {
			fmt.Fprintf(w, "  %s %s/%s: %s\n", t.paint(statusColor(finding.StatusUnknown), "region "+row.scan), row.account, row.region, cmp.Or(row.reason, "no reason given"))
		}
	}
	fmt.Fprintln(w)
}

// attentionOrder lists the verdicts shown in full, most urgent first.
var attentionOrder = []finding.Status{finding.StatusFail, finding.StatusUnknown, finding.StatusSuppressed}

func (t *Table) attention(w io.Writer, r *finding.Report) {
	n := r.Summary.Fail + r.Summary.Unknown + r.Summary.Suppressed
	fmt.Fprintf(w, "%s\n", t.paint(ansiBold, fmt.Sprintf("Findings that need attention (%d)", n)))
	if n == 0 {
		fmt.Fprintf(w, "  none\n\n")
		return
	}
	for _, status := range attentionOrder {
		// Most severe first within a verdict; report order otherwise.
		for rank := 5; rank >= 0; rank-- {
			for i := range r.Findings {
				f := &r.Findings[i]
				if f.Status == status && f.Severity.Rank() == rank {
					t.finding(w, f)
				}
			}
		}
	}
}

func (t *Table) finding(w io.Writer, f *finding.Finding) {
	sev := strings.ToUpper(string(f.Severity))
	fmt.Fprintf(w, "%s %s  %s (%s)  %s\n",
		t.paint(statusColor(f.Status), fmt.Sprintf("%-10s", printable.Line(string(f.Status)))), fmt.Sprintf("%-8s", printable.Line(sev)),
		printable.Line(f.RuleID), printable.Line(f.ShortCode), printable.Line(resourceLabel(f)))
	// line writes a labelled value; a multi-line text (a reason) continues
	// indented under it, so that none of its lines reads as a finding.
	line := func(label, text string) {
		if text != "" {
			text = printable.Text(text)
			text = strings.ReplaceAll(strings.TrimRight(text, "\n"), "\n", "\n"+strings.Repeat(" ", 15))
			fmt.Fprintf(w, "    %-10s %s\n", label, text)
		}
	}
	line("resource", printable.Line(resourceIdentity(f)))
	line("where", printable.Line(whereText(f)))
	line("key", printable.Line(keyText(f)))
	line("why", f.Reason)
	if f.MissingPermission != "" {
		line("missing", printable.Line(f.MissingPermission))
	}
	if s := f.Suppression; s != nil {
		if s.Expired {
			line("suppress", (fmt.Sprintf("EXPIRED on %s, no longer applies: %s (%s)", s.Expires, s.Reason, s.Source)))
		} else {
			line("suppress", (fmt.Sprintf("%s (until %s, %s)", s.Reason, s.Expires, s.Source)))
		}
	}
	line("fix", f.Remediation)
	fmt.Fprintln(w)
}

func whereText(f *finding.Finding) string {
	parts := []string{}
	if f.Account != "" {
		parts = append(parts, "account "+f.Account)
	}
	if f.Region != "" {
		parts = append(parts, "region "+f.Region)
	}
	if f.Source.File != "" {
		loc := f.Source.File
		if f.Source.StartLine > 0 {
			loc += fmt.Sprintf(":%d-%d", f.Source.StartLine, f.Source.EndLine)
		}
		parts = append(parts, loc)
	}
	return strings.Join(parts, ", ")
}

func keyText(f *finding.Finding) string {
	if f.KeyARN == "" && f.KeyManager == "" {
		return ""
	}
	var facts []string
	if f.KeyManager != "" {
		facts = append(facts, "manager "+string(f.KeyManager))
	}
	if f.KeyState != "" {
		facts = append(facts, "state "+f.KeyState)
	}
	if f.ProtectionLevel != "" {
		facts = append(facts, string(f.ProtectionLevel))
	}
	if f.KeyAccount != "" && f.KeyAccount != f.Account {
		facts = append(facts, "owned by "+f.KeyAccount)
	}
	if f.Evidence != "" {
		facts = append(facts, "evidence "+string(f.Evidence))
	}
	key := cmp.Or(f.KeyARN, "(no ARN)")
	if len(facts) == 0 {
		return key
	}
	return key + " (" + strings.Join(facts, ", ") + ")"
}

func (t *Table) passing(w io.Writer, r *finding.Report) {
	if r.Summary.Pass == 0 {
		return
	}
	fmt.Fprintf(w, "%s\n", t.paint(ansiBold, fmt.Sprintf("Passing (%d)", r.Summary.Pass)))
	if r.Summary.Pass > maxPassingLines {
		fmt.Fprintf(w, "  more than %d: counted by region above; use --format json or csv to list each one\n\n", maxPassingLines)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Status != finding.StatusPass {
			continue
		}
		detail := cmp.Or(string(f.ProtectionLevel), string(f.Evidence))
		if f.KeyAccount != "" && f.KeyAccount != f.Account {
			detail += ", key in " + f.KeyAccount
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", t.paint(statusColor(f.Status), "PASS"),
			printable.Line(f.RuleID), printable.Line(resourceLabel(f)), printable.Line(f.Region), printable.Line(f.Account), printable.Line(detail))
	}
	_ = tw.Flush()
	fmt.Fprintln(w)
}

func (t *Table) totals(w io.Writer, r *finding.Report) {
	s := r.Summary
	fmt.Fprintf(w, "%d findings: %s, %s, %s, %s\n", s.Total,
		t.paint(statusColor(finding.StatusFail), fmt.Sprintf("%d FAIL", s.Fail)),
		t.paint(statusColor(finding.StatusUnknown), fmt.Sprintf("%d UNKNOWN", s.Unknown)),
		t.paint(statusColor(finding.StatusSuppressed), fmt.Sprintf("%d SUPPRESSED", s.Suppressed)),
		t.paint(statusColor(finding.StatusPass), fmt.Sprintf("%d PASS", s.Pass)))
	if s.Unknown > 0 {
		fmt.Fprintln(w, "UNKNOWN is not PASS: cmkguard could not prove these resources compliant.")
	}
	for _, n := range notEvaluated(r) {
		fmt.Fprintf(w, "%s  %s  %s: %s\n", t.paint(statusColor(finding.StatusUnknown), "NOT EVALUATED"), n.ID, n.ShortCode, n.Reason)
	}
}
