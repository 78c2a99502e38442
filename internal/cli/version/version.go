package version

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/cmkguard/cmkguard/internal/cli/factory"
)

// Info is what a build says about itself.
type Info struct {
	// Version is the release (v1.2.3), a pseudo-version, or "dev".
	Version string
	// Commit is the VCS revision, Time its commit time (RFC 3339), and
	// Modified whether the tree had uncommitted changes; empty when the
	// binary was built without VCS information.
	Commit   string
	Time     string
	Modified bool
	// Go is the toolchain, and Platform GOOS/GOARCH.
	Go, Platform string
}

// Resolve returns the build's Info: stamped is the version set with
// -ldflags ("dev" or "" when none), bi the binary's build information (nil
// when there is none).
func Resolve(stamped string, bi *debug.BuildInfo) Info {
	info := Info{Version: stamped, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi == nil {
		if info.Version == "" {
			info.Version = "dev"
		}
		return info
	}
	if bi.GoVersion != "" {
		info.Go = bi.GoVersion
	}
	if (info.Version == "" || info.Version == "dev") && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		info.Version = bi.Main.Version
	}
	if info.Version == "" {
		info.Version = "dev"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Commit = s.Value
		case "vcs.time":
			info.Time = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}

// Current is the running binary's Info, with stamped as Resolve's.
func Current(stamped string) Info {
	bi, _ := debug.ReadBuildInfo()
	return Resolve(stamped, bi)
}

// String is the one-line form: "v1.2.3 (commit 0123abc, 2026-11-27T10:00:00Z, modified)".
func (i Info) String() string {
	s := i.Version
	if i.Commit == "" {
		return s
	}
	commit := i.Commit
	if len(commit) > 12 {
		commit = commit[:12]
	}
	s += " (commit " + commit
	if i.Time != "" {
		s += ", " + i.Time
	}
	if i.Modified {
		s += ", modified"
	}
	return s + ")"
}

// NewCmdVersion returns the version command.
func NewCmdVersion(f *factory.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print cmkguard's version, commit and Go toolchain",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := Current(f.Version)
			_, err := fmt.Fprintf(f.IOStreams.Out, "cmkguard %s\n%s %s\n", info, info.Go, info.Platform)
			return err
		},
	}
}
