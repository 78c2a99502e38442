package iac_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/internal/awsemu"
	"github.com/cmkguard/cmkguard/internal/cli"
	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/iostreams"
	"github.com/cmkguard/cmkguard/state"
)

// TestOnlineAgainstTheEmulator runs `cmkguard iac --online` through the
// standard AWS configuration against the emulator: a literal ARN of an
// AWS-managed key FAILs, a disabled customer key is a critical FAIL, a
// customer alias is followed to its enabled key, all by kms:DescribeKey.
func TestOnlineAgainstTheEmulator(t *testing.T) {
	const account = "111122223333"
	awsManaged := "0a1b2c3d-0000-4000-8000-000000000001"
	disabled := "0a1b2c3d-0000-4000-8000-000000000002"
	enabled := "0a1b2c3d-0000-4000-8000-000000000003"
	est := &awsemu.Estate{DefaultAccount: account, DefaultRegion: "eu-west-1", Regions: []awsemu.EstateRegion{{Name: "eu-west-1"}},
		Keys: []awsemu.EstateKey{
			{ID: awsManaged, Region: "eu-west-1", Manager: "AWS", Aliases: []string{"alias/aws/dms"}},
			{ID: disabled, Region: "eu-west-1", State: "Disabled"},
			{ID: enabled, Region: "eu-west-1", Aliases: []string{"alias/orders"}},
		}}
	srv := awsemu.New(awsemu.Options{DefaultAccount: account})
	if err := srv.LoadEstate(est); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	home := t.TempDir()
	for k, v := range map[string]string{"HOME": home, "AWS_CONFIG_FILE": home + "/config", "AWS_SHARED_CREDENTIALS_FILE": home + "/credentials",
		"AWS_ACCESS_KEY_ID": "AKIDCMKGUARDIAC", "AWS_SECRET_ACCESS_KEY": "not-a-secret", "AWS_REGION": "eu-west-1", "AWS_PROFILE": "", "AWS_ENDPOINT_URL": ""} {
		t.Setenv(k, v)
	}
	dir := t.TempDir()
	arn := func(id string) string { return "arn:aws:kms:eu-west-1:" + account + ":key/" + id }
	tf := `provider "aws" { region = "eu-west-1" }
resource "aws_dms_replication_instance" "aws_managed" { kms_key_arn = "` + arn(awsManaged) + `" }
resource "aws_dms_replication_instance" "disabled" { kms_key_arn = "` + arn(disabled) + `" }
resource "aws_dms_replication_instance" "alias" { kms_key_arn = "alias/orders" }
`
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(tf), 0o644); err != nil {
		t.Fatal(err)
	}
	ios, _, out, errOut := iostreams.Test()
	f := &factory.Factory{IOStreams: ios, Now: time.Now, Version: "test"}
	code := cli.Main(context.Background(), f, []string{"iac", dir, "--online", "--endpoint-url", ts.URL, "--format", "json"})
	if code != exit.Findings {
		t.Fatalf("exit %d, want 3; stderr:\n%s", code, errOut)
	}
	var rep finding.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	want := map[string]finding.Status{
		"CMKG-DMS-001 aws_dms_replication_instance.aws_managed": finding.StatusFail,
		"CMKG-DMS-002 aws_dms_replication_instance.disabled":    finding.StatusFail,
		"CMKG-DMS-001 aws_dms_replication_instance.alias":       finding.StatusPass,
		"CMKG-DMS-002 aws_dms_replication_instance.alias":       finding.StatusPass,
	}
	for _, fd := range rep.Findings {
		key := fd.RuleID + " " + fd.Source.Address
		if w, ok := want[key]; ok {
			if fd.Status != w || fd.Evidence != state.EvidenceDescribeKey {
				t.Errorf("%s: %s by %s (%s), want %s by kms:DescribeKey", key, fd.Status, fd.Evidence, fd.Reason, w)
			}
			delete(want, key)
		}
	}
	for key := range want {
		t.Errorf("no finding %s", key)
	}
}
