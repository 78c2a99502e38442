package audit

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/adapt/awslive"
	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/state"
)

// TestOutputPathsAreCheckedBeforeTheScan: a report file that would
// overwrite the ignore file, or that cannot be written, is a usage error
// before any AWS call, and the input is left as it was.
func TestOutputPathsAreCheckedBeforeTheScan(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ignore := filepath.Join(dir, "ignore.yaml")
	const doc = "suppressions: []\n"
	if err := os.WriteFile(ignore, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(ignore, filepath.Join(dir, "link.json")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"a report over the ignore file", []string{"--ignore-file", ignore, "--format", "json=" + ignore}, "--format json=" + ignore + " is the same file as --ignore-file " + ignore},
		{"a report over the ignore file through a symbolic link", []string{"--ignore-file", ignore, "--format", "table,sarif=" + dir + "/link.json"}, "is the same file as --ignore-file"},
		{"a report over the ignore file spelt another way", []string{"--ignore-file", ignore, "--format", "csv=" + dir + "/./sub/../ignore.yaml"}, "is the same file as --ignore-file"},
		{"a report in a directory that does not exist", []string{"--format", "json=" + dir + "/missing/audit.json"}, "directory " + dir + "/missing does not exist"},
		{"a report that is a directory", []string{"--format", "html=" + dir}, "is a directory"},
		{"two reports to one file", []string{"--format", "json=" + dir + "/a.json,sarif=" + dir + "/./a.json"}, "are the same file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			scanned := false
			scan := func(context.Context, *Options) (state.State, *awslive.Stats, error) {
				scanned = true
				return estate(), nil, nil
			}
			code, _, _ := run(t, scan, tt.args...)
			if code != exit.Usage {
				t.Errorf("exit %d, want %d (usage)", code, exit.Usage)
			}
			if scanned {
				t.Error("the scan ran before the paths were checked")
			}
			if b, _ := os.ReadFile(ignore); string(b) != doc {
				t.Errorf("the ignore file was changed: %q", b)
			}
		})
	}
}

func TestUsageErrorsSayWhichPathIsWrong(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ignore := filepath.Join(dir, "ignore.yaml")
	if err := os.WriteFile(ignore, []byte("suppressions: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := &Options{Formats: []string{"json=" + ignore}, IgnoreFile: ignore, FailOn: "none"}
	_, err := validate(opts)
	want := "--format json=" + ignore + " is the same file as --ignore-file " + ignore + ": cmkguard never overwrites its input"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want %q", err, want)
	}
}

// TestReportsAreWrittenWholeWithTheirMode: a report replaces the old one
// through a rename (no temporary left), keeps the old file's mode, and a
// new one is 0644.
func TestReportsAreWrittenWholeWithTheirMode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	old := filepath.Join(dir, "old.json")
	if err := os.WriteFile(old, []byte(strings.Repeat("x", 100000)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(old, 0o640); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(dir, "new.sarif")
	st := estate(inst("a", key(state.KeyManagerAWS, "Enabled")))
	code, _, errOut := run(t, scanOf(st, nil), "--format", "json="+old+",sarif="+fresh, "--fail-on", "none")
	if code != exit.OK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for path, mode := range map[string]os.FileMode{old: 0o640, fresh: 0o644} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v", filepath.Base(path), fi.Mode().Perm(), mode)
		}
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), "xxx") || !strings.HasSuffix(strings.TrimSpace(string(b)), "}") {
			t.Errorf("%s is not one whole new report", filepath.Base(path))
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("directory holds %d files, want the 2 reports", len(entries))
	}
}

func TestAMistakeInTheIgnoreFileNamesItsLineAndField(t *testing.T) {
	t.Parallel()
	ignore := filepath.Join(t.TempDir(), "ignore.yaml")
	doc := "suppressions:\n  - resource: arn:aws:dms:*:111122223333:rep:*\n    rule: dms-instance-cmk\n    reason: staging\n    expire: 2027-01-31\n"
	if err := os.WriteFile(ignore, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := validate(&Options{Formats: []string{"table"}, IgnoreFile: ignore, FailOn: "none"})
	want := "line 5, column 5: suppressions[0].expire: unknown field (want one of resource, tag, address, file, rule, reason, expires)"
	if err == nil || exit.Code(err) != exit.Usage || !strings.Contains(err.Error(), ignore) || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want a usage error naming %s and %q", err, ignore, want)
	}
}
