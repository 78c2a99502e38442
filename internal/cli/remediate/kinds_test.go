package remediate

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/iostreams"
	"github.com/cmkguard/cmkguard/remediate"
)

// TestAFileOfTheWrongKindSaysWhichCommandTakesIt: an audit report given
// where a plan is expected (and every other mix-up of report, plan and
// journal) is a usage error that names the kind of file and the command
// that takes it, before any AWS call; a malformed file names its line,
// column and field.
func TestAFileOfTheWrongKindSaysWhichCommandTakesIt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	report := filepath.Join(dir, "audit.json")
	if err := os.WriteFile(report, []byte(`{"schemaVersion": "1.0", "tool": {"name": "cmkguard"}, "findings": [], "summary": {}}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	plan := filepath.Join(dir, "plan.json")
	if err := writePlanFile(plan, testPlan()); err != nil {
		t.Fatal(err)
	}
	journal := filepath.Join(dir, "run.journal")
	j, err := remediate.CreateJournal(journal, testPlan(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	b, _ := os.ReadFile(plan)
	badPlan := filepath.Join(dir, "edited-plan.json")
	if err := os.WriteFile(badPlan, []byte(strings.Replace(string(b), `"account":`, `"acount":`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	badReport := filepath.Join(dir, "bad-audit.json")
	if err := os.WriteFile(badReport, []byte("{\n  \"schemaVersion\": \"1.0\",\n  \"findings\": [\n    {\"ruleId\": 1}\n  ]\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"a report given to --apply", []string{"--apply", report, "--yes"}, exit.Usage,
			"--apply " + report + ": this is an audit report, not a remediation plan; make a plan from it first: cmkguard remediate --from-report " + report},
		{"a journal given to --apply", []string{"--apply", journal, "--yes"}, exit.Usage,
			"this is the journal of a remediation run, not a remediation plan; continue that run with: cmkguard remediate --resume " + journal},
		{"a plan given to --from-report", []string{"--from-report", plan, "--kms-key", "alias/k"}, exit.Usage,
			"--from-report " + plan + ": this is a remediation plan, not an audit report; apply it with: cmkguard remediate --apply " + plan},
		{"a journal given to --from-report", []string{"--from-report", journal, "--kms-key", "alias/k"}, exit.Usage,
			"--from-report " + journal + ": this is the journal of a remediation run, not an audit report; continue that run with"},
		{"a report given to --rollback", []string{"--rollback", report, "--yes"}, exit.Usage, "this is an audit report, not the journal of a remediation run"},
		{"a plan over a journal", []string{"--kms-key", "alias/k", "--format", "json=" + journal}, exit.Usage,
			"--format json=" + journal + ": that file is the journal of a remediation run, which cmkguard never overwrites"},
		{"an edited plan names the line and the field", []string{"--apply", badPlan, "--yes"}, exit.Error,
			badPlan + ": read plan: line 6, column 3: acount: unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, _, _ := iostreams.Test()
			cmd := NewCmdRemediate(&factory.Factory{IOStreams: ios, Now: time.Now}, nil)
			cmd.SetArgs(append(tt.args, "--endpoint-url", "http://127.0.0.1:1"))
			cmd.SilenceErrors, cmd.SilenceUsage = true, true
			err := cmd.ExecuteContext(context.Background())
			if err == nil || exit.Code(err) != tt.wantCode || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v (exit %d), want exit %d and %q", err, exit.Code(err), tt.wantCode, tt.want)
			}
		})
	}
	t.Run("a malformed report names the line and the field", func(t *testing.T) {
		t.Parallel()
		_, _, _, _, err := findTargets(context.Background(), aws.Config{}, &Options{FromReport: badReport})
		want := "line 4, column 16: findings[0].ruleId: want text, found the number 1"
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), badReport) {
			t.Fatalf("err = %v, want the file and %q", err, want)
		}
	})
}
