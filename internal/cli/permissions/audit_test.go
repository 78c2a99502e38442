package permissions

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/iostreams"
)

func TestPermissionsAuditPrintsAValidReadOnlyPolicy(t *testing.T) {
	t.Parallel()
	ios, _, out, _ := iostreams.Test()
	cmd := NewCmdPermissions(&factory.Factory{IOStreams: ios, Now: time.Now})
	cmd.SetArgs([]string{"audit"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	var got Policy
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("output is not a JSON policy: %v\n%s", err, out)
	}
	if got.Version != "2012-10-17" {
		t.Errorf("Version = %q", got.Version)
	}
	// Exactly the calls adapt/awslive makes (STS GetCallerIdentity needs no permission).
	want := []string{"ec2:DescribeRegions", "dms:DescribeReplicationInstances", "dms:DescribeReplicationConfigs", "dms:DescribeReplications", "dms:DescribeEndpoints", "kms:DescribeKey", "kms:ListAliases", "dms:ListTagsForResource", "dms:DescribeInstanceProfiles", "dms:DescribeCertificates", "dms:DescribeReplicationTaskAssessmentRuns", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus"}
	if diff := cmp.Diff(want, got.Actions()); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	for _, s := range got.Statement {
		if s.Effect != "Allow" || s.Resource != "*" || s.Sid == "" {
			t.Errorf("statement %+v: want a named Allow on *", s)
		}
	}
}

func TestPermissionsAuditOrgAddsListAccountsAndAssumeRole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		role string
	}{
		{"the default role", []string{"audit", "--org"}, "arn:aws:iam::*:role/OrganizationAccountAccessRole"},
		{"a named role with a path", []string{"audit", "--org", "--assume-role", "audit/cmkguard"}, "arn:aws:iam::*:role/audit/cmkguard"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, out, _ := iostreams.Test()
			cmd := NewCmdPermissions(&factory.Factory{IOStreams: ios, Now: time.Now})
			cmd.SetArgs(tt.args)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			var got Policy
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatalf("output is not a JSON policy: %v\n%s", err, out)
			}
			want := []string{"ec2:DescribeRegions", "dms:DescribeReplicationInstances", "dms:DescribeReplicationConfigs", "dms:DescribeReplications", "dms:DescribeEndpoints", "kms:DescribeKey", "kms:ListAliases", "dms:ListTagsForResource", "dms:DescribeInstanceProfiles", "dms:DescribeCertificates", "dms:DescribeReplicationTaskAssessmentRuns", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "organizations:ListAccounts", "sts:AssumeRole"}
			if diff := cmp.Diff(want, got.Actions()); diff != "" {
				t.Errorf("actions (-want +got):\n%s", diff)
			}
			last := got.Statement[len(got.Statement)-1]
			if last.Resource != tt.role {
				t.Errorf("sts:AssumeRole on %q, want %q", last.Resource, tt.role)
			}
		})
	}
}

func TestPermissionsAuditSecurityHubAddsOnlyTheImport(t *testing.T) {
	t.Parallel()
	ios, _, out, _ := iostreams.Test()
	cmd := NewCmdPermissions(&factory.Factory{IOStreams: ios, Now: time.Now})
	cmd.SetArgs([]string{"audit", "--securityhub"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	var got Policy
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("output is not a JSON policy: %v\n%s", err, out)
	}
	want := append(AuditPolicy().Actions(), "securityhub:BatchImportFindings")
	if diff := cmp.Diff(want, got.Actions()); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	last := got.Statement[len(got.Statement)-1]
	if last.Resource != "arn:aws:securityhub:*:*:product/*/default" {
		t.Errorf("securityhub:BatchImportFindings on %q, want the default product only", last.Resource)
	}
}
