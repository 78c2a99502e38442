package keypolicy

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/iostreams"
)

func TestNewCmdKeyPolicyParsesFlags(t *testing.T) {
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_DEFAULT_REGION", "")
	tests := []struct {
		name string
		args []string
		want Options
	}{
		{
			name: "region falls back to AWS_REGION",
			args: []string{"--account", "111122223333"},
			want: Options{Account: "111122223333", Region: "eu-west-1"},
		},
		{
			name: "repeated principals are all kept",
			args: []string{"--region", "us-east-1", "--key-admin", "arn:aws:iam::111122223333:role/A", "--key-admin", "arn:aws:iam::111122223333:role/B", "--key-user", "arn:aws:iam::111122223333:role/U", "--external-account", "444455556666"},
			want: Options{Region: "us-east-1", Admins: []string{"arn:aws:iam::111122223333:role/A", "arn:aws:iam::111122223333:role/B"}, Users: []string{"arn:aws:iam::111122223333:role/U"}, ExternalAccounts: []string{"444455556666"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			var got *Options
			cmd := NewCmdKeyPolicy(&factory.Factory{IOStreams: ios, Now: time.Now}, func(_ context.Context, o *Options) error {
				got = o
				return nil
			})
			cmd.SetArgs(tt.args)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, *got, cmp.FilterPath(func(p cmp.Path) bool {
				return p.String() == "IO" || p.String() == "CallerAccount"
			}, cmp.Ignore())); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKeyPolicyRun(t *testing.T) {
	tests := []struct {
		name     string
		opts     Options
		wantSids []string
		wantCode int
		wantErr  string
	}{
		{
			name:     "prints valid JSON with every statement when users are named",
			opts:     Options{Account: "111122223333", Region: "us-east-1", Admins: []string{"arn:aws:iam::111122223333:role/Admin"}, Users: []string{"arn:aws:iam::111122223333:role/User"}},
			wantSids: []string{"EnableIAMUserPermissions", "AllowKeyAdministration", "AllowUseThroughDMSOnly", "AllowGrantsForAWSResourcesThroughDMSOnly"},
		},
		{
			name:     "asks STS for the account when none is given",
			opts:     Options{Region: "us-east-1"},
			wantSids: []string{"EnableIAMUserPermissions"},
		},
		{
			name:     "a malformed principal is a usage error",
			opts:     Options{Account: "111122223333", Region: "us-east-1", Users: []string{"not-an-arn"}},
			wantCode: exit.Usage,
			wantErr:  `key user "not-an-arn"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, _ := iostreams.Test()
			opts := tt.opts
			opts.IO = ios
			opts.CallerAccount = func(context.Context, *Options) (string, error) { return "999988887777", nil }
			err := keyPolicyRun(context.Background(), &opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || exit.Code(err) != tt.wantCode {
					t.Fatalf("err = %v (code %d), want %q (code %d)", err, exit.Code(err), tt.wantErr, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Statement []struct {
					Sid       string
					Principal struct{ AWS []string }
				}
			}
			if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out)
			}
			var sids []string
			for _, s := range doc.Statement {
				sids = append(sids, s.Sid)
			}
			if diff := cmp.Diff(tt.wantSids, sids); diff != "" {
				t.Errorf("statements (-want +got):\n%s", diff)
			}
			if tt.opts.Account == "" && doc.Statement[0].Principal.AWS[0] != "arn:aws:iam::999988887777:root" {
				t.Errorf("root principal = %v, want the caller's account", doc.Statement[0].Principal.AWS)
			}
		})
	}
}

// TestKeyPolicyValidatesEverythingBeforeAnyCall: bad flags are usage errors
// (exit 2) with audit's wording, and no request leaves the process.
func TestKeyPolicyValidatesEverythingBeforeAnyCall(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIATEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"a region that does not exist", []string{"--region", "xx-fake-1"}, `--region "xx-fake-1": not an AWS region name`},
		{"an endpoint that is not a URL", []string{"--region", "us-east-1", "--endpoint-url", "localhost:4566"}, `--endpoint-url "localhost:4566": want an http:// or https:// URL`},
		{"an account that is not one", []string{"--region", "us-east-1", "--account", "1234"}, `--account "1234": not a 12-digit AWS account id`},
		{"a malformed principal, account still to be found", []string{"--region", "us-east-1", "--key-user", "not-an-arn"}, `key user "not-an-arn"`},
		{"no region at all", nil, "--region is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls.Store(0)
			ios, _, _, _ := iostreams.Test()
			cmd := NewCmdKeyPolicy(&factory.Factory{IOStreams: ios, Now: time.Now}, nil)
			args := append([]string{}, tt.args...)
			if !slices.Contains(args, "--endpoint-url") {
				args = append(args, "--endpoint-url", srv.URL)
			}
			cmd.SetArgs(args)
			cmd.SilenceUsage, cmd.SilenceErrors = true, true
			err := cmd.Execute()
			if err == nil || exit.Code(err) != exit.Usage || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v (code %d), want a usage error containing %q", err, exit.Code(err), tt.wantErr)
			}
			if n := calls.Load(); n != 0 {
				t.Errorf("%d call(s) were made before the flags were refused", n)
			}
		})
	}
}
