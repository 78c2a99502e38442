package audit

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/internal/awsemu"
	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/state"
)

// TestSecurityHubFlagSendsTheFindings runs the audit with --securityhub
// against the emulator: the findings reach BatchImportFindings for the
// calling account, and stderr says how many were accepted.
func TestSecurityHubFlagSendsTheFindings(t *testing.T) {
	emu := awsemu.New(awsemu.Options{DefaultAccount: acct})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	home := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDCMKGUARDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret")
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, "credentials"))
	t.Setenv("AWS_PROFILE", "")

	st := estate(inst("orders", key(state.KeyManagerAWS, "Enabled")), inst("billing", key(state.KeyManagerCustomer, "Enabled")))
	code, _, errOut := run(t, scanOf(st, nil), "--securityhub", "--endpoint-url", srv.URL,
		"--format", "json="+filepath.Join(home, "audit.json"), "--fail-on", "none")
	if code != exit.OK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	data, err := os.ReadFile(filepath.Join(home, "audit.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct{ Findings []json.RawMessage }
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	imported := emu.ImportedFindings()
	if len(imported) != len(rep.Findings) || len(imported) == 0 {
		t.Fatalf("Security Hub got %d findings, the report has %d; stderr:\n%s", len(imported), len(rep.Findings), errOut)
	}
	var first struct{ ProductArn, AwsAccountId string }
	if err := json.Unmarshal(imported[0], &first); err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:securityhub:eu-west-1:" + acct + ":product/" + acct + "/default"; first.ProductArn != want || first.AwsAccountId != acct {
		t.Errorf("ProductArn %s, account %s; want %s, %s", first.ProductArn, first.AwsAccountId, want, acct)
	}
	if !strings.Contains(errOut, fmt.Sprintf("Security Hub accepted %d finding(s)", len(rep.Findings))) {
		t.Errorf("stderr does not report what Security Hub accepted:\n%s", errOut)
	}
}
