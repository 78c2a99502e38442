package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/state"
)

// TestTableEscapesControlCharactersFromAWS: a value read from AWS (an id,
// an ARN, a reason quoting an error message, an account, a region status)
// cannot add a line to the table or send an escape sequence to the
// terminal, whether the table is coloured or not.
func TestTableEscapesControlCharactersFromAWS(t *testing.T) {
	t.Parallel()
	const forged = "\nPASS        HIGH      CMKG-DMS-001 (dms-instance-cmk)  forged"
	hostile := []struct {
		name string
		set  func(f *finding.Finding, r *finding.Report)
		want string // the escaped text the table must show
	}{
		{"resource id with a newline", func(f *finding.Finding, _ *finding.Report) { f.ResourceID = "rep-1" + forged }, `rep-1\nPASS`},
		{"resource ARN with a carriage return", func(f *finding.Finding, _ *finding.Report) {
			f.ResourceARN = "arn:aws:dms:eu-west-1:111122223333:rep:X\rPASS"
		}, `rep:X\rPASS`},
		{"reason with a clear-screen sequence", func(f *finding.Finding, _ *finding.Report) { f.Reason = "denied\x1b[2J\x1b[H" }, `denied\x1b[2J\x1b[H`},
		{"key ARN with a bidi override", func(f *finding.Finding, _ *finding.Report) {
			f.KeyARN = "arn:aws:kms:eu-west-1:111122223333:key/\u202eabc"
		}, `key/\u202eabc`},
		{"account with a tab (would shift the columns)", func(f *finding.Finding, r *finding.Report) {
			f.Account = "111122223333\tx"
			r.Accounts = []string{f.Account}
		}, `111122223333\tx`},
		{"region reason with an OSC title sequence", func(_ *finding.Finding, r *finding.Report) {
			r.Regions = []finding.Region{{Account: "111122223333", Region: "eu-west-1", Status: "failed", Reason: "\x1b]0;owned\a" + forged}}
		}, `\x1b]0;owned\a\nPASS`},
		{"suppression reason with a newline", func(f *finding.Finding, _ *finding.Report) {
			f.Status = finding.StatusSuppressed
			f.Suppression = &finding.Suppression{Reason: "ok" + forged, Expires: "2027-01-01", Source: "ignore.yaml#1"}
		}, "ok\n               PASS"},
		{"reason with a newline continues indented", func(f *finding.Finding, _ *finding.Report) { f.Reason = "denied" + forged }, "denied\n               PASS"},
	}
	for _, h := range hostile {
		for _, color := range []bool{false, true} {
			t.Run(h.name, func(t *testing.T) {
				t.Parallel()
				f := finding.Finding{
					RuleID: "CMKG-DMS-001", ShortCode: "dms-instance-cmk", Severity: finding.SeverityHigh, Status: finding.StatusFail,
					ResourceARN: "arn:aws:dms:eu-west-1:111122223333:rep:ABC", ResourceID: "rep-1", ResourceType: "AWS::DMS::ReplicationInstance",
					Region: "eu-west-1", Account: "111122223333", KeyARN: "arn:aws:kms:eu-west-1:111122223333:key/k", KeyManager: state.KeyManagerAWS,
					Reason: "encrypted with aws/dms",
				}
				r := &finding.Report{SchemaVersion: "1.0", Accounts: []string{"111122223333"}}
				h.set(&f, r)
				r.Findings = []finding.Finding{f}
				r.Summary = finding.Summarize(r.Findings)
				var buf bytes.Buffer
				if err := (&Table{Color: color}).Write(&buf, r); err != nil {
					t.Fatal(err)
				}
				out := buf.String()
				if !strings.Contains(out, h.want) {
					t.Errorf("table does not show the escaped value %q:\n%s", h.want, out)
				}
				for _, line := range strings.Split(out, "\n") {
					if strings.HasPrefix(line, "PASS") {
						t.Errorf("a value forged a line: %q", line)
					}
					if strings.ContainsAny(line, "\r\a\u202e") {
						t.Errorf("a control character reached the output: %q", line)
					}
					if !color && strings.Contains(line, "\x1b") {
						t.Errorf("an escape sequence reached the piped output: %q", line)
					}
					if color && strings.Contains(strings.NewReplacer(ansiReset, "", ansiBold, "", ansiRed, "", ansiGreen, "", ansiYellow, "", ansiDim, "").Replace(line), "\x1b") {
						t.Errorf("an escape sequence other than the table's colours reached the terminal: %q", line)
					}
				}
			})
		}
	}
}
