package keypolicy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/iostreams"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckPassesTheGeneratedPolicy(t *testing.T) {
	for _, extra := range [][]string{nil, {"arn:aws:iam::111122223333:role/dms-vpc-role"}} {
		ios, _, out, _ := iostreams.Test()
		gen := Options{IO: ios, Account: "111122223333", Region: "eu-west-1", Admins: []string{"arn:aws:iam::111122223333:role/KeyAdmin"}, Users: extra}
		if err := keyPolicyRun(context.Background(), &gen); err != nil {
			t.Fatal(err)
		}
		path := writeFile(t, out.String())
		ios2, _, out2, _ := iostreams.Test()
		chk := Options{IO: ios2, Account: "111122223333", Region: "eu-west-1", Check: path}
		if err := keyPolicyRun(context.Background(), &chk); err != nil {
			t.Fatalf("check of the generated policy (users %v): %v\n%s", extra, err, out2)
		}
		if got := strings.Count(out2.String(), "PASS"); got != 2 {
			t.Errorf("want two PASS lines:\n%s", out2)
		}
	}
}

func TestCheckExitCodes(t *testing.T) {
	const open = `{"Version":"2012-10-17","Statement":[{"Sid":"Open","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}]}`
	const odd = `{"Statement":[{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},{"Sid":"Odd","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Condition":{"StringEquals":{"kms:Unheard":"x"}}}]}`
	tests := []struct {
		name     string
		body     string
		stdin    bool
		opts     Options
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{name: "a policy open to the world exits 3 naming the statement", body: open, wantCode: exit.Findings, wantOut: `FAIL    world-access: statement "Open"`},
		{name: "an unknown condition exits 3 with UNKNOWN", body: odd, wantCode: exit.Findings, wantOut: `UNKNOWN world-access: statement "Odd"`},
		{name: "read from stdin with -", body: open, stdin: true, wantCode: exit.Findings, wantOut: "FAIL"},
		{name: "a policy DMS of another account cannot use", body: `{"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*"}}`,
			opts: Options{DMSAccounts: []string{"444455556666"}}, wantCode: exit.Findings, wantOut: "FAIL    dms-access (account 444455556666)"},
		{name: "malformed JSON is an error, not a verdict", body: `{"Statement": [`, wantCode: exit.Error, wantErr: "not a JSON policy document"},
		{name: "building flags with --check is a usage error", body: open, opts: Options{Users: []string{"arn:aws:iam::111122223333:role/x"}}, wantCode: exit.Usage, wantErr: "use one or the other"},
		{name: "a missing file is an error", wantCode: exit.Error, wantErr: "read key policy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, in, out, _ := iostreams.Test()
			opts := tt.opts
			opts.IO, opts.Region = ios, "us-east-1"
			opts.CallerAccount = func(context.Context, *Options) (string, error) { return "111122223333", nil }
			switch {
			case tt.stdin:
				in.WriteString(tt.body)
				opts.Check = "-"
			case tt.body != "":
				opts.Check = writeFile(t, tt.body)
			default:
				opts.Check = filepath.Join(t.TempDir(), "missing.json")
			}
			err := keyPolicyRun(context.Background(), &opts)
			if code := exit.Code(err); code != tt.wantCode {
				t.Fatalf("exit code %d (%v), want %d\n%s", code, err, tt.wantCode, out)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("error %v, want it to contain %q", err, tt.wantErr)
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("output lacks %q:\n%s", tt.wantOut, out)
			}
		})
	}
}
