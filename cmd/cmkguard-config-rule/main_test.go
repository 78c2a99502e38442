package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// maxBootstrapBytes bounds the stripped binary (Lambda allows 250 MB
// unzipped; the figure is recorded in docs/continuous.md).
const maxBootstrapBytes = 40 << 20

// TestBootstrapIsStaticForBothArchitectures builds the function as the
// docs say, for arm64 and amd64, and checks each ELF is statically linked:
// no program interpreter, no shared library needed (provided.al2023 has a
// libc, but a static binary does not depend on its version).
func TestBootstrapIsStaticForBothArchitectures(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries")
	}
	for _, arch := range []struct{ goarch, machine string }{{"arm64", "EM_AARCH64"}, {"amd64", "EM_X86_64"}} {
		t.Run(arch.goarch, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "bootstrap")
			cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w", "-o", out, ".")
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch.goarch)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go build: %v\n%s", err, b)
			}
			f, err := elf.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Machine.String() != arch.machine {
				t.Errorf("machine %s, want %s", f.Machine, arch.machine)
			}
			for _, p := range f.Progs {
				if p.Type == elf.PT_INTERP {
					t.Error("the binary has a program interpreter: it is dynamically linked")
				}
			}
			if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
				t.Errorf("shared libraries %v (%v), want none", libs, err)
			}
			st, err := os.Stat(out)
			if err != nil {
				t.Fatal(err)
			}
			if st.Size() > maxBootstrapBytes {
				t.Errorf("bootstrap is %d bytes, more than %d", st.Size(), maxBootstrapBytes)
			}
			t.Logf("bootstrap linux/%s: %d bytes", arch.goarch, st.Size())
		})
	}
}
