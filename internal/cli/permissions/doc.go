// Package permissions is the `cmkguard permissions` command group: each
// subcommand prints the least-privilege IAM policy one cmkguard command
// needs, as JSON to attach to the principal that runs it.
//
// `permissions audit` lives in audit.go; other commands add their own
// subcommand file and one AddCommand line in NewCmdPermissions.
//
// It may import the CLI plumbing packages only.
package permissions
