// Package terraform holds cmkguard's Terraform modules (modules/) and
// their examples (examples/); its test runs terraform validate on each
// example.
package terraform

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestExamplesValidate runs `terraform init -backend=false` and `terraform
// validate` on every example, with the AWS provider from a local mirror
// (CMKGUARD_TF_PLUGIN_MIRROR, default /opt/tf-plugins): the modules are
// checked against the provider's own schema, offline. Without terraform or
// the mirror it skips, except in CI.
func TestExamplesValidate(t *testing.T) {
	tf, err := exec.LookPath("terraform")
	mirror := os.Getenv("CMKGUARD_TF_PLUGIN_MIRROR")
	if mirror == "" {
		mirror = "/opt/tf-plugins"
	}
	if _, statErr := os.Stat(filepath.Join(mirror, "registry.terraform.io", "hashicorp", "aws")); err != nil || statErr != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("terraform (%v) and the AWS provider mirror %s (%v) are required in CI", err, mirror, statErr)
		}
		t.Skipf("terraform or the AWS provider mirror %s is not installed", mirror)
	}
	if out, err := exec.Command(tf, "fmt", "-check", "-recursive", ".").CombinedOutput(); err != nil {
		t.Errorf("terraform fmt -check: %v\n%s", err, out)
	}
	tmp := t.TempDir()
	rc := filepath.Join(tmp, "terraformrc")
	if err := os.WriteFile(rc, []byte(`provider_installation {
  filesystem_mirror {
    path    = "`+mirror+`"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(filepath.Join(tmp, "tf"), os.DirFS(".")); err != nil {
		t.Fatal(err)
	}
	for _, ex := range []string{"account", "organization"} {
		t.Run(ex, func(t *testing.T) {
			dir := filepath.Join(tmp, "tf", "examples", ex)
			for _, args := range [][]string{{"init", "-backend=false", "-input=false", "-no-color"}, {"validate", "-no-color"}} {
				cmd := exec.Command(tf, args...)
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("terraform %s: %v\n%s", args[0], err, out)
				}
			}
		})
	}
}
