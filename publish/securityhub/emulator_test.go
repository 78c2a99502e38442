package securityhub

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	shsdk "github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/internal/awsemu"
	"github.com/cmkguard/cmkguard/report"
	"github.com/cmkguard/cmkguard/state"
)

// startEmulator serves the local AWS emulator on 127.0.0.1:0.
func startEmulator(t *testing.T) (*awsemu.Server, string) {
	t.Helper()
	emu := awsemu.New(awsemu.Options{DefaultAccount: testAccount})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return emu, srv.URL
}

func emulatorClient(url string) *shsdk.Client {
	return shsdk.New(shsdk.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDCMKGUARDTEST", "not-a-secret", ""),
		Retryer:      aws.NopRetryer{},
	})
}

// mixedReport has every verdict and every resource shape ASFF gets from
// cmkguard: DMS instances, a DMS endpoint, a region that could not be
// scanned (type Other) and an IaC finding without an account.
func mixedReport() *finding.Report {
	r := testReport(4, testAccount)
	r.Findings[0].Status = finding.StatusPass
	r.Findings[0].KeyManager, r.Findings[0].ProtectionLevel = state.KeyManagerCustomer, state.ProtectionCloudHSM
	r.Findings[1].Status, r.Findings[1].MissingPermission = finding.StatusUnknown, "kms:DescribeKey"
	r.Findings[2].Status = finding.StatusSuppressed
	r.Findings[2].Suppression = &finding.Suppression{Reason: "accepted until the move", Expires: "2027-01-31"}
	r.Findings[3].Severity, r.Findings[3].KeyState = finding.SeverityCritical, "Disabled"
	r.Findings = append(r.Findings,
		finding.Finding{RuleID: "CMKG-DMS-001", Severity: finding.SeverityHigh, Status: finding.StatusUnknown,
			ResourceID: "us-west-2", ResourceType: "AWS::Region", Region: "us-west-2", Account: testAccount,
			Reason: "The region could not be listed.", MissingPermission: "dms:DescribeReplicationInstances"},
		finding.Finding{RuleID: "CMKG-DMS-001", Severity: finding.SeverityHigh, Status: finding.StatusFail,
			ResourceARN: "arn:aws:dms:us-east-1:" + testAccount + ":endpoint:src", ResourceID: "src", ResourceType: "AWS::DMS::Endpoint",
			Region: "us-east-1", Account: testAccount, KeyARN: "arn:aws:kms:us-east-1:" + testAccount + ":key/default", Reason: "aws/dms"},
		finding.Finding{RuleID: "CMKG-DMS-001", Severity: finding.SeverityHigh, Status: finding.StatusFail,
			ResourceID: "aws_dms_replication_instance.main", ResourceType: "AWS::DMS::ReplicationInstance", Region: "us-east-1",
			Source: state.Source{File: "infra/dms.tf", StartLine: 3, EndLine: 20, Address: "aws_dms_replication_instance.main"},
			Reason: "kms_key_arn is not set."},
	)
	r.Summary = finding.Summarize(r.Findings)
	return r
}

func TestPublishThroughTheSDKToTheEmulator(t *testing.T) {
	t.Parallel()
	emu, url := startEmulator(t)
	r := testReport(230, testAccount)
	p := &Publisher{Client: emulatorClient(url), Account: testAccount, Region: "us-east-1",
		Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }}
	res, err := p.Publish(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 230 || res.Calls != 3 || len(res.Rejected) != 0 {
		t.Errorf("result %s, want 230 accepted in 3 calls", res.Summary())
	}
	imported := emu.ImportedFindings()
	if len(imported) != 230 {
		t.Fatalf("the emulator holds %d findings, want 230", len(imported))
	}
	var first struct {
		Id, ProductArn, AwsAccountId string
		Compliance                   struct{ Status string }
		Resources                    []struct {
			Type    string
			Details struct{ AwsDmsReplicationInstance struct{ KmsKeyId string } }
		}
	}
	if err := json.Unmarshal(imported[0], &first); err != nil {
		t.Fatal(err)
	}
	got := []string{first.Id, first.ProductArn, first.AwsAccountId, first.Compliance.Status, first.Resources[0].Type, first.Resources[0].Details.AwsDmsReplicationInstance.KmsKeyId}
	want := []string{idOf(0), "arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default", testAccount, "FAILED",
		"AwsDmsReplicationInstance", "arn:aws:kms:us-east-1:111111111111:key/default"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("first imported finding (-want +got):\n%s", diff)
	}
}

func TestPublishRidesOutThrottlingFromTheEmulator(t *testing.T) {
	t.Parallel()
	emu, url := startEmulator(t)
	emu.SetFaults(awsemu.Faults{Throttle: map[string]float64{"securityhub:BatchImportFindings": 0.5}, Seed: 7})
	p := &Publisher{Client: emulatorClient(url), Account: testAccount, Region: "us-east-1", MaxAttempts: 20,
		Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }}
	res, err := p.Publish(context.Background(), testReport(500, testAccount))
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 500 || len(emu.ImportedFindings()) != 500 {
		t.Errorf("%s; emulator holds %d, want all 500", res.Summary(), len(emu.ImportedFindings()))
	}
	if res.Retries == 0 {
		t.Error("no call was retried: the throttling fault did not fire")
	}
}

func TestPublishSendsEveryFindingShapeTheEmulatorAccepts(t *testing.T) {
	t.Parallel()
	emu, url := startEmulator(t)
	r := mixedReport()
	res, err := (&Publisher{Client: emulatorClient(url), Account: testAccount, Region: "us-east-1"}).Publish(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != len(r.Findings) || len(res.Rejected) != 0 {
		t.Errorf("%s, rejected %+v; want all %d accepted", res.Summary(), res.Rejected, len(r.Findings))
	}
	if got := len(emu.ImportedFindings()); got != len(r.Findings) {
		t.Errorf("emulator holds %d findings, want %d", got, len(r.Findings))
	}
}

// awsCLI finds the AWS CLI; without it the test skips, unless
// CMKGUARD_REQUIRE_AWSCLI is set (CI), where it fails.
func awsCLI(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("aws")
	if err == nil {
		return path
	}
	if os.Getenv("CMKGUARD_REQUIRE_AWSCLI") != "" {
		t.Fatal("CMKGUARD_REQUIRE_AWSCLI is set but the aws CLI is not installed (apt-get install awscli)")
	}
	t.Skip("aws CLI not installed; set CMKGUARD_REQUIRE_AWSCLI=1 to make this a failure")
	return ""
}

// runAWSCLI runs `aws securityhub batch-import-findings --cli-input-json`
// on file against the emulator, isolated from the user's AWS configuration.
func runAWSCLI(t *testing.T, cli, url, file string) (string, error) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(cli, "securityhub", "batch-import-findings",
		"--cli-input-json", "file://"+file, "--endpoint-url", url, "--region", "us-east-1", "--output", "json")
	cmd.Env = []string{
		"HOME=" + home, "PATH=" + os.Getenv("PATH"),
		"AWS_ACCESS_KEY_ID=AKIDCMKGUARDTEST", "AWS_SECRET_ACCESS_KEY=not-a-secret",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=",
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// TestTheAWSCLIAcceptsTheASFFFile validates report.ASFF's output against
// the real Security Hub service model: the CLI checks parameter names,
// types and required members before it sends anything.
func TestTheAWSCLIAcceptsTheASFFFile(t *testing.T) {
	t.Parallel()
	cli := awsCLI(t)
	emu, url := startEmulator(t)
	r := mixedReport()
	file := filepath.Join(t.TempDir(), "findings.asff.json")
	var buf bytes.Buffer
	if err := (&report.ASFF{Region: "us-east-1", Account: testAccount}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runAWSCLI(t, cli, url, file)
	if err != nil && strings.Contains(out, "Unknown parameter") && strings.Contains(out, "AwsDms") {
		t.Fatalf("this AWS CLI (%s) has a Security Hub model older than the AwsDms* resource details (botocore from late 2023 on knows them); put a newer aws first on PATH:\n%s", cli, out)
	}
	if err != nil {
		t.Fatalf("aws securityhub batch-import-findings failed: %v\n%s", err, out)
	}
	var resp struct{ FailedCount, SuccessCount int }
	if err := json.Unmarshal([]byte(out), &resp); err != nil {
		t.Fatalf("CLI output is not the response: %v\n%s", err, out)
	}
	if resp.SuccessCount != len(r.Findings) || resp.FailedCount != 0 {
		t.Errorf("CLI says %d accepted, %d failed; want %d accepted\n%s", resp.SuccessCount, resp.FailedCount, len(r.Findings), out)
	}
	if got := len(emu.ImportedFindings()); got != len(r.Findings) {
		t.Errorf("emulator holds %d findings, want %d", got, len(r.Findings))
	}
}

func TestTheAWSCLIRejectsAFindingTheModelDoesNotAllow(t *testing.T) {
	t.Parallel()
	// Guards the validation above: a field the model lacks must fail in the CLI.
	cli := awsCLI(t)
	emu, url := startEmulator(t)
	file := filepath.Join(t.TempDir(), "bad.json")
	var buf bytes.Buffer
	if err := (&report.ASFF{Region: "us-east-1", Account: testAccount}).Write(&buf, testReport(1, testAccount)); err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(buf.String(), `"SchemaVersion"`, `"NotAnASFFField": "x", "SchemaVersion"`, 1)
	if err := os.WriteFile(file, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runAWSCLI(t, cli, url, file)
	if err == nil || !strings.Contains(out, "NotAnASFFField") {
		t.Errorf("the CLI accepted an unknown field (err %v):\n%s", err, out)
	}
	if got := len(emu.ImportedFindings()); got != 0 {
		t.Errorf("emulator holds %d findings, want none", got)
	}
}

func TestNewFromConfigPublishesForTheCallingAccount(t *testing.T) {
	t.Parallel()
	emu, url := startEmulator(t)
	cfg := aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDCMKGUARDTEST", "not-a-secret", ""),
	}
	p, err := NewFromConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if p.Account != testAccount || p.Region != "us-east-1" {
		t.Errorf("publisher for %s in %s, want %s in us-east-1", p.Account, p.Region, testAccount)
	}
	res, err := p.Publish(context.Background(), testReport(2, testAccount, otherTestAccount))
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 2 || len(res.Skipped) != 1 || len(emu.ImportedFindings()) != 2 {
		t.Errorf("%s; skipped %+v", res.Summary(), res.Skipped)
	}
	if _, err := NewFromConfig(context.Background(), aws.Config{}); err == nil {
		t.Error("a configuration without a region was accepted")
	}
}
