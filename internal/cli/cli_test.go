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

func TestMainReturnsTheExitCodeAndSaysWhy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		want       int
		wantStderr string
	}{
		{"help succeeds", []string{"--help"}, exit.OK, ""},
		{"an unknown command is a usage error", []string{"audti"}, exit.Usage, "unknown command"},
		{"an unknown flag is a usage error", []string{"audit", "--no-such-flag"}, exit.Usage, "unknown flag"},
		{"a bad format is a usage error", []string{"audit", "--format", "bogus", "--region", "us-east-1"}, exit.Usage, "unknown format"},
		{"a mistyped key-policy region is refused before any AWS call", []string{"key-policy", "--region", "not a region"}, exit.Usage, "not an AWS region name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, _, errOut := iostreams.Test()
			f := &factory.Factory{IOStreams: ios, Now: time.Now, Version: "test"}
			got := Main(context.Background(), f, tt.args)
			if got != tt.want {
				t.Errorf("Main(%q) = %d, want %d; stderr:\n%s", tt.args, got, tt.want, errOut)
			}
			if !strings.Contains(errOut.String(), tt.wantStderr) {
				t.Errorf("stderr does not say %q:\n%s", tt.wantStderr, errOut)
			}
		})
	}
}
