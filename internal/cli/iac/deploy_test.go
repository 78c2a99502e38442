package iac

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/cmkguard/cmkguard/adapt/cloudformation"
	"github.com/cmkguard/cmkguard/finding"
)

// TestOurOwnDeploymentTemplatesScanClean: cmkguard iac over deploy/ (the
// Config rule's CloudFormation templates and Terraform modules) reads every
// template and reports no finding about our own resources, and no problem.
func TestOurOwnDeploymentTemplatesScanClean(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	templates, err := filepath.Glob(filepath.Join(root, "deploy", "cloudformation", "*.yaml"))
	if err != nil || len(templates) < 2 {
		t.Fatalf("deploy/cloudformation templates: %v %v", templates, err)
	}
	for _, path := range templates {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !cloudformation.Detect(data) {
			t.Errorf("%s is not detected as a CloudFormation template, so iac would skip it", path)
		}
	}
	opts, out, errOut := newOptions(t, root, filepath.Join(root, "deploy"))
	if err := Run(context.Background(), opts); err != nil {
		t.Fatalf("iac deploy/: %v\n%s", err, errOut)
	}
	var rep finding.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Findings {
		if f.Status != finding.StatusPass {
			t.Errorf("finding about our own deployment: %s %s %s: %s", f.RuleID, f.Status, f.Source.Address, f.Reason)
		}
	}
}
