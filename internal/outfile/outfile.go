package outfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Modes of the files written.
const (
	// Private is the mode of plans and journals, whatever the file had
	// before: they name the account's resources and drive changes to them.
	Private fs.FileMode = 0o600
	// Shared is the mode of a new report; an existing report keeps its own.
	Shared fs.FileMode = 0o644
)

// Set is a command's input and output files, each with the flag that named
// it (for messages). The zero value is ready to use; empty paths are
// ignored (stdout, or a flag not given).
type Set struct {
	inputs, outputs []entry
}

type entry struct{ flag, path string }

// String is how messages name the file: "--out plan.json", or
// "--format json=audit.json" for a flag spelt FORMAT=.
func (e entry) String() string {
	if strings.HasSuffix(e.flag, "=") {
		return e.flag + e.path
	}
	return e.flag + " " + e.path
}

// Input adds a file the command reads.
func (s *Set) Input(flag, path string) {
	if path != "" {
		s.inputs = append(s.inputs, entry{flag, path})
	}
}

// Output adds a file the command writes.
func (s *Set) Output(flag, path string) {
	if path != "" {
		s.outputs = append(s.outputs, entry{flag, path})
	}
}

// Check checks every output: it is not a directory, its directory exists
// and cmkguard may create files in it, and it is neither an input nor
// another output. Errors name the flag and the path.
func (s *Set) Check() error {
	var errs []error
	for i, out := range s.outputs {
		if err := checkOutput(out.path); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", out, err))
			continue
		}
		for _, in := range s.inputs {
			if same(out.path, in.path) {
				errs = append(errs, fmt.Errorf("%s is the same file as %s: cmkguard never overwrites its input; write to another file", out, in))
			}
		}
		for _, other := range s.outputs[:i] {
			if same(out.path, other.path) {
				errs = append(errs, fmt.Errorf("%s and %s are the same file: give each output its own", other, out))
			}
		}
	}
	return errors.Join(errs...)
}

// checkOutput checks that path can be written.
func checkOutput(path string) error {
	fi, statErr := os.Stat(path)
	if statErr == nil {
		if fi.IsDir() {
			return errors.New("is a directory; name a file")
		}
		if !fi.Mode().IsRegular() {
			return nil // a device or a pipe (/dev/null, /dev/stdout) is written in place
		}
	}
	if err := checkDir(filepath.Dir(target(path))); err != nil {
		return err
	}
	if statErr != nil && !errors.Is(statErr, fs.ErrNotExist) {
		return unwrapPath(statErr)
	}
	return nil
}

// checkDir checks that dir exists and that files can be created in it.
func checkDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("directory %s does not exist", dir)
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	}
	probe, err := os.CreateTemp(dir, ".cmkguard-probe-*")
	if err != nil {
		return fmt.Errorf("cannot create files in %s: %w", dir, unwrapPath(err))
	}
	name := probe.Name()
	probe.Close()
	os.Remove(name)
	return nil
}

// same reports whether a and b are one file: the same file on disk when
// both exist (whatever the links or spellings that lead to it), or the same
// resolved path when one does not exist yet.
func same(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(fa, fb)
	}
	ra, rb := resolved(a), resolved(b)
	return ra != "" && ra == rb
}

// resolved is path made absolute with every symbolic link of its directory
// (and of itself, when it exists) resolved; "" when that fails.
func resolved(path string) string {
	t := target(path)
	dir, err := filepath.EvalSymlinks(filepath.Dir(t))
	if err != nil {
		return ""
	}
	abs, err := filepath.Abs(filepath.Join(dir, filepath.Base(t)))
	if err != nil {
		return ""
	}
	return abs
}

// target is the file a write to path replaces: the file a symbolic link
// points to (so the link stays), else path itself.
func target(path string) string {
	if t, err := filepath.EvalSymlinks(path); err == nil {
		return t
	}
	return path
}

// Write writes path through write: to a temporary file in the same
// directory, synced, then renamed over path (or over the file path links
// to), so that path holds the old content or the new, never part of it. The
// file gets mode, except that a Shared file that exists keeps its own mode;
// a Private file is always Private. A device or pipe (/dev/stdout) is
// written in place. On error nothing is left behind and path is unchanged.
func Write(path string, mode fs.FileMode, write func(io.Writer) error) (err error) {
	dst := target(path)
	if fi, statErr := os.Stat(dst); statErr == nil {
		if !fi.Mode().IsRegular() {
			return writeInPlace(dst, write)
		}
		if mode != Private {
			mode = fi.Mode().Perm()
		}
	}
	dir, base := filepath.Split(dst)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, unwrapPath(err))
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("write %s: %w", path, unwrapPath(err))
	}
	if err := write(tmp); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, unwrapPath(err))
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, unwrapPath(err))
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("write %s: %w", path, unwrapPath(err))
	}
	syncDir(dir)
	return nil
}

func writeInPlace(path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, unwrapPath(err))
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, unwrapPath(err))
	}
	return nil
}

// syncDir makes a rename in dir durable; where a directory cannot be
// synced (some systems), the rename is still atomic.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// unwrapPath drops the *fs.PathError's operation and temporary name, which
// say nothing to the user: "permission denied", not "open
// /dir/.x.tmp-123: permission denied".
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
