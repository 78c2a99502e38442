// Package version is the version command and the one place that says which
// cmkguard this is: the version stamped at build time (-ldflags), else the
// module version and VCS commit the Go toolchain records in the binary
// (runtime/debug.ReadBuildInfo).
//
// It may import internal/cli/factory and cobra.
package version
