package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/cmkguard/cmkguard/finding"
)

// CSV writes one row per finding after a header row, quoted as RFC 4180
// says (encoding/csv, CRLF line ends). A text cell that a spreadsheet would
// run as a formula (starting with =, +, -, @, tab or carriage return) is
// prefixed with a single quote; ARNs, ids and numbers never start that way.
type CSV struct{}

var _ Reporter = (*CSV)(nil)

// CSVHeader is the header row, in column order.
var CSVHeader = []string{
	"rule_id", "short_code", "title", "severity", "status",
	"account", "region", "resource_type", "resource_arn", "resource_id",
	"source_file", "source_start_line", "source_end_line", "source_address",
	"key_arn", "key_account", "key_manager", "key_state", "protection_level", "evidence",
	"reason", "remediation", "missing_permission",
	"suppression_reason", "suppression_expires", "suppression_expired", "suppression_source",
	"fingerprint", "compliance",
}

// Write writes r's findings as CSV.
func (*CSV) Write(w io.Writer, r *finding.Report) error {
	if r == nil {
		return fmt.Errorf("write CSV: no report")
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("write CSV header: %w", err)
	}
	row := make([]string, len(CSVHeader))
	compliance := csvCompliance(r.Rules)
	for i := range r.Findings {
		csvRow(row, &r.Findings[i], compliance[r.Findings[i].RuleID])
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write CSV row %d: %w", i+1, err)
		}
	}
	// A rule not evaluated gets a row of its own, status NOT_EVALUATED,
	// so that a spreadsheet never shows its absence as clean.
	for _, n := range notEvaluated(r) {
		csvRow(row, &finding.Finding{RuleID: n.ID, ShortCode: n.ShortCode, Title: n.Title, Severity: n.Severity,
			Status: csvNotEvaluated, Reason: n.Reason}, compliance[n.ID])
		row[len(row)-2] = "" // no fingerprint: there is no finding
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write CSV row for %s: %w", n.ID, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}

// csvNotEvaluated is the status of a CSV row for a rule the run did not
// evaluate.
const csvNotEvaluated finding.Status = "NOT_EVALUATED"

// csvCompliance maps each rule id to its controls, "; "-separated.
func csvCompliance(rules []finding.Rule) map[string]string {
	out := make(map[string]string, len(rules))
	for _, rule := range rules {
		var cells []string
		for _, c := range rule.Compliance {
			cells = append(cells, c.String())
		}
		out[rule.ID] = strings.Join(cells, "; ")
	}
	return out
}

// csvRow fills row (len(CSVHeader) cells) from f and its rule's controls.
func csvRow(row []string, f *finding.Finding, compliance string) {
	var supReason, supExpires, supExpired, supSource string
	if s := f.Suppression; s != nil {
		supReason, supExpires, supExpired, supSource = s.Reason, s.Expires, strconv.FormatBool(s.Expired), s.Source
	}
	cells := [...]string{
		f.RuleID, f.ShortCode, f.Title, string(f.Severity), string(f.Status),
		f.Account, f.Region, f.ResourceType, f.ResourceARN, f.ResourceID,
		f.Source.File, lineNumber(f.Source.StartLine), lineNumber(f.Source.EndLine), f.Source.Address,
		f.KeyARN, f.KeyAccount, string(f.KeyManager), f.KeyState, string(f.ProtectionLevel), string(f.Evidence),
		f.Reason, f.Remediation, f.MissingPermission,
		supReason, supExpires, supExpired, supSource,
		findingFingerprint(f), compliance,
	}
	for i, c := range cells {
		row[i] = csvSafe(c)
	}
}

func lineNumber(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// csvSafe defuses a cell a spreadsheet would evaluate as a formula.
func csvSafe(cell string) string {
	if cell == "" {
		return cell
	}
	switch cell[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + cell
	}
	return cell
}
