package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/iostreams"
)

// runMain runs Main with stdout and stderr as terminals or not.
func runMain(t *testing.T, tty bool, args ...string) (int, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	ios.SetStdoutTTY(tty)
	ios.SetStderrTTY(tty)
	f := &factory.Factory{IOStreams: ios, Now: func() time.Time { return time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC) }, Version: "v1.2.3"}
	code := Main(context.Background(), f, args)
	return code, out.String(), errOut.String()
}

func TestUsageErrorsPointAtTheSubcommandsHelp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantHelp string
	}{
		{"an unknown command", []string{"audti"}, "Run 'cmkguard --help' for usage."},
		{"an unknown audit flag", []string{"audit", "--no-such-flag"}, "Run 'cmkguard audit --help' for usage."},
		{"a bad audit value", []string{"audit", "--fail-on", "sometimes"}, "Run 'cmkguard audit --help' for usage."},
		{"a bad remediate format", []string{"remediate", "--format", "yaml"}, "Run 'cmkguard remediate --help' for usage."},
		{"an unknown permissions subcommand", []string{"permissions", "audti"}, "Run 'cmkguard permissions --help' for usage."},
		{"an argument to a subcommand of a group", []string{"permissions", "audit", "extra"}, "Run 'cmkguard permissions audit --help' for usage."},
		{"a bad key-policy region", []string{"key-policy", "--region", "nowhere 1"}, "Run 'cmkguard key-policy --help' for usage."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := runMain(t, false, tt.args...)
			if code != exit.Usage {
				t.Errorf("exit %d, want %d", code, exit.Usage)
			}
			if !strings.Contains(errOut, tt.wantHelp) {
				t.Errorf("stderr does not say %q:\n%s", tt.wantHelp, errOut)
			}
		})
	}
}

func TestVersionAndCompletion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		wantStdout string
	}{
		{"the version command", []string{"version"}, "cmkguard v1.2.3"},
		{"the --version flag", []string{"--version"}, "cmkguard version v1.2.3"},
		{"bash completion", []string{"completion", "bash"}, "bash completion V2 for cmkguard"},
		{"zsh completion", []string{"completion", "zsh"}, "#compdef cmkguard"},
		{"fish completion", []string{"completion", "fish"}, "fish completion for cmkguard"},
		{"powershell completion", []string{"completion", "powershell"}, "powershell completion for cmkguard"},
		{"completion knows the subcommands", []string{"__complete", "au"}, "audit"},
		{"completion knows the flags", []string{"__complete", "audit", "--ignore"}, "--ignore-file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runMain(t, false, tt.args...)
			if code != exit.OK || !strings.Contains(out, tt.wantStdout) {
				t.Errorf("exit %d, stdout does not hold %q:\n%s\nstderr:\n%s", code, tt.wantStdout, out, errOut)
			}
		})
	}
}

// TestNoColorAndQuiet: on a terminal the demo's table is coloured and its
// messages go to stderr; --no-color removes the colour and --quiet the
// messages, and neither changes the report itself.
func TestNoColorAndQuiet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                  string
		args                  []string
		wantColor, wantStderr bool
	}{
		{"a terminal", nil, true, true},
		{"--no-color", []string{"--no-color"}, false, true},
		{"--no-color before the command", []string{}, false, true},
		{"--quiet", []string{"--quiet"}, true, false},
		{"-q and --no-color", []string{"-q", "--no-color"}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"demo"}, tt.args...)
			if tt.name == "--no-color before the command" {
				args = []string{"--no-color", "demo"}
			}
			code, out, errOut := runMain(t, true, args...)
			if code != exit.OK {
				t.Fatalf("exit %d:\n%s", code, errOut)
			}
			if got := strings.Contains(out, "\x1b["); got != tt.wantColor {
				t.Errorf("coloured = %v, want %v", got, tt.wantColor)
			}
			if !strings.Contains(out, "Summary by region") {
				t.Errorf("the table is missing:\n%s", out)
			}
			if got := errOut != ""; got != tt.wantStderr {
				t.Errorf("stderr written = %v, want %v:\n%s", got, tt.wantStderr, errOut)
			}
		})
	}
}
