package remediate

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/iostreams"
)

// TestPathsAreCheckedBeforeAnyCall: a plan that would overwrite its report,
// a journal that would overwrite its plan, or a file that cannot be
// written is a usage error before any AWS call (the endpoint is a closed
// port: a call would fail otherwise), and the input is left as it was.
func TestPathsAreCheckedBeforeAnyCall(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	report := filepath.Join(dir, "audit.json")
	plan := filepath.Join(dir, "plan.json")
	for _, f := range []string{report, plan} {
		if err := os.WriteFile(f, []byte("{}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(report, filepath.Join(dir, "latest.json")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"the plan over its report", []string{"--from-report", report, "--kms-key", "alias/k", "--format", "json=" + report},
			"--format json=" + report + " is the same file as --from-report " + report},
		{"the plan over its report through a link (old --out spelling)", []string{"--from-report", dir + "/latest.json", "--kms-key", "alias/k", "--out", report},
			"is the same file as --from-report"},
		{"the journal over its plan", []string{"--apply", plan, "--journal", plan, "--yes"}, "--journal " + plan + " is the same file as --apply " + plan},
		{"the journal over its plan spelt another way", []string{"--apply", plan, "--journal", dir + "/./plan.json", "--yes"}, "is the same file as --apply"},
		{"a plan in a directory that does not exist", []string{"--from-report", report, "--kms-key", "alias/k", "--format", "text,json=" + dir + "/no/plan.json"}, "directory " + dir + "/no does not exist"},
		{"a journal in a directory that does not exist", []string{"--apply", plan, "--journal", dir + "/no/j", "--yes"}, "directory " + dir + "/no does not exist"},
		{"a plan that is a directory", []string{"--from-report", report, "--kms-key", "alias/k", "--format", "json=" + dir}, "is a directory"},
		{"two formats on stdout", []string{"--kms-key", "alias/k", "--format", "text,shell"}, "formats text and shell both write to stdout"},
		{"a text plan to a file", []string{"--kms-key", "alias/k", "--format", "shell=" + dir + "/x.sh"}, "only the json plan"},
		{"two plan files", []string{"--kms-key", "alias/k", "--format", "json=" + dir + "/a.json", "--out", dir + "/b.json"}, "the plan file is given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, _, _ := iostreams.Test()
			cmd := NewCmdRemediate(&factory.Factory{IOStreams: ios, Now: time.Now}, nil)
			cmd.SetArgs(append(tt.args, "--endpoint-url", "http://127.0.0.1:1"))
			cmd.SilenceErrors, cmd.SilenceUsage = true, true
			err := cmd.ExecuteContext(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || exit.Code(err) != exit.Usage {
				t.Fatalf("err = %v (exit %d), want a usage error containing %q", err, exit.Code(err), tt.wantErr)
			}
			for _, f := range []string{report, plan} {
				if b, _ := os.ReadFile(f); string(b) != "{}\n" {
					t.Errorf("%s was changed: %q", f, b)
				}
			}
		})
	}
}

func TestThePlanFileIsPrivateWhateverExistedBefore(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(path, []byte("an old, longer, world-readable file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writePlanFile(path, testPlan()); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("plan mode = %v, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), `"rp-cli"`) || strings.Contains(string(b), "world-readable") {
		t.Errorf("plan file is not the new plan, whole:\n%s", b)
	}
}
