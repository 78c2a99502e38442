package outfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func write(t *testing.T, path, content string, mode fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // whatever the umask
		t.Fatal(err)
	}
}

func TestCheckRefusesOutputsThatCannotOrMustNotBeWritten(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := filepath.Join(dir, "ignore.yaml")
	write(t, in, "suppressions: []\n", 0o644)
	if err := os.Symlink(in, filepath.Join(dir, "link-to-ignore.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(in, filepath.Join(dir, "hardlink.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "reports"), 0o755); err != nil {
		t.Fatal(err)
	}
	readOnly := filepath.Join(dir, "read-only")
	if err := os.Mkdir(readOnly, 0o555); err != nil {
		t.Fatal(err)
	}
	type file struct{ flag, path string }
	tests := []struct {
		name    string
		inputs  []file
		outputs []file
		wantErr string // "" for no error
	}{
		{"a new file in an existing directory", []file{{"--ignore-file", in}}, []file{{"--format json=", dir + "/out.json"}}, ""},
		{"an existing report is replaced", nil, []file{{"--format json=", in}}, ""},
		{"/dev/null", nil, []file{{"--format json=", os.DevNull}}, ""},
		{"a directory", nil, []file{{"--format json=", dir + "/reports"}}, "is a directory"},
		{"a missing directory", nil, []file{{"--format json=", dir + "/nope/out.json"}}, "directory " + dir + "/nope does not exist"},
		{"a file as the directory", nil, []file{{"--format json=", in + "/out.json"}}, "is not a directory"},
		{"the input itself", []file{{"--ignore-file", in}}, []file{{"--format json=", in}}, "is the same file as --ignore-file"},
		{"the input spelt another way", []file{{"--ignore-file", in}}, []file{{"--format json=", dir + "/reports/../ignore.yaml"}}, "is the same file as --ignore-file"},
		{"a symbolic link to the input", []file{{"--ignore-file", in}}, []file{{"--format json=", dir + "/link-to-ignore.yaml"}}, "is the same file as --ignore-file"},
		{"the input given through a symbolic link", []file{{"--ignore-file", dir + "/link-to-ignore.yaml"}}, []file{{"--format json=", in}}, "is the same file as --ignore-file"},
		{"a hard link to the input", []file{{"--from-report", in}}, []file{{"--out", dir + "/hardlink.yaml"}}, "is the same file as --from-report"},
		{"two outputs to one new file", nil, []file{{"--format json=", dir + "/a.json"}, {"--format sarif=", dir + "/reports/../a.json"}}, "are the same file"},
	}
	notWritable := readOnly
	if os.Geteuid() == 0 && runtime.GOOS == "linux" {
		notWritable = "/sys" // root may write anywhere but in sysfs
	}
	if os.Geteuid() != 0 || runtime.GOOS == "linux" {
		tests = append(tests, struct {
			name    string
			inputs  []file
			outputs []file
			wantErr string
		}{"a directory cmkguard may not write to", nil, []file{{"--format json=", notWritable + "/out.json"}}, "--format json=" + notWritable + "/out.json: cannot create files in " + notWritable})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var s Set
			for _, f := range tt.inputs {
				s.Input(f.flag, f.path)
			}
			for _, f := range tt.outputs {
				s.Output(f.flag, f.path)
			}
			s.Output("--not-given", "")
			err := s.Check()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Check: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Check = %v, want an error containing %q", err, tt.wantErr)
			}
			entries, _ := os.ReadDir(readOnly)
			all, _ := os.ReadDir(dir)
			for _, e := range append(entries, all...) {
				if strings.HasPrefix(e.Name(), ".cmkguard-probe") {
					t.Errorf("Check left %s behind", e.Name())
				}
			}
		})
	}
}

func TestWriteReplacesTheFileWholeWithTheRightMode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		existing fs.FileMode // 0: no file before
		mode     fs.FileMode
		wantMode fs.FileMode
	}{
		{"a new report", 0, Shared, 0o644},
		{"an existing report keeps its mode", 0o640, Shared, 0o640},
		{"a new plan", 0, Private, 0o600},
		{"an existing world-readable plan becomes private", 0o644, Private, 0o600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "out")
			if tt.existing != 0 {
				write(t, path, "old content that is longer than the new\n", tt.existing)
			}
			if err := Write(path, tt.mode, func(w io.Writer) error {
				_, err := io.WriteString(w, "new\n")
				return err
			}); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil || string(b) != "new\n" {
				t.Fatalf("content = %q, %v; want %q", b, err, "new\n")
			}
			fi, _ := os.Stat(path)
			if fi.Mode().Perm() != tt.wantMode {
				t.Errorf("mode = %v, want %v", fi.Mode().Perm(), tt.wantMode)
			}
			onlyFile(t, filepath.Dir(path), "out")
		})
	}
}

func TestWriteThatFailsLeavesTheOldFileAndNoTemporary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	write(t, path, "old\n", 0o644)
	boom := errors.New("disk full")
	err := Write(path, Shared, func(w io.Writer) error {
		io.WriteString(w, "half a rep")
		return boom
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want the writer's error naming %s", err, path)
	}
	if b, _ := os.ReadFile(path); string(b) != "old\n" {
		t.Errorf("content = %q, want the old content", b)
	}
	onlyFile(t, dir, "report.json")
}

func TestWriteThroughASymbolicLinkReplacesItsTarget(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "real.json")
	write(t, target, "old\n", 0o644)
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := Write(link, Shared, func(w io.Writer) error { _, err := io.WriteString(w, "new\n"); return err }); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link was replaced by a file")
	}
	if b, _ := os.ReadFile(target); string(b) != "new\n" {
		t.Errorf("target content = %q, want new", b)
	}
}

func TestWriteToADeviceWritesInPlace(t *testing.T) {
	t.Parallel()
	if err := Write(os.DevNull, Shared, func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err }); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(os.DevNull); err != nil || fi.Mode().IsRegular() {
		t.Fatalf("%s is no longer a device: %v", os.DevNull, err)
	}
}

func onlyFile(t *testing.T, dir, name string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != name {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %q, want only %s", names, name)
	}
}
