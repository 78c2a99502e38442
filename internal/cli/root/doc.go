// Package root assembles the cmkguard command tree.
//
// It imports every command package under internal/cli, one AddCommand line each.
package root
