package version

import (
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/iostreams"
)

func TestResolveSaysWhichBuildThisIs(t *testing.T) {
	t.Parallel()
	vcs := []debug.BuildSetting{
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "3a17a35b02e12a69db57f1806a4d290c9d7aa11b"},
		{Key: "vcs.time", Value: "2026-12-02T13:00:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}
	tests := []struct {
		name    string
		stamped string
		bi      *debug.BuildInfo
		want    string
	}{
		{"a release stamped with -ldflags", "v1.4.0", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs},
			"v1.4.0 (commit 3a17a35b02e1, 2026-12-02T13:00:00Z, modified)"},
		{"go install of a tagged module", "dev", &debug.BuildInfo{Main: debug.Module{Version: "v1.3.2"}}, "v1.3.2"},
		{"a build from a checkout", "dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs[:3]},
			"dev (commit 3a17a35b02e1, 2026-12-02T13:00:00Z)"},
		{"a pseudo-version from the module proxy", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261202130000-3a17a35b02e1"}},
			"v0.0.0-20261202130000-3a17a35b02e1"},
		{"no build information", "", nil, "dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Resolve(tt.stamped, tt.bi).String(); got != tt.want {
				t.Errorf("Resolve = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestVersionCommandPrintsVersionAndToolchain(t *testing.T) {
	t.Parallel()
	ios, _, out, _ := iostreams.Test()
	cmd := NewCmdVersion(&factory.Factory{IOStreams: ios, Now: time.Now, Version: "v9.9.9"})
	cmd.SetArgs(nil)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "cmkguard v9.9.9") || !strings.HasPrefix(lines[1], "go1.") {
		t.Errorf("version output = %q, want 'cmkguard v9.9.9 …' then the Go toolchain", out)
	}
}
