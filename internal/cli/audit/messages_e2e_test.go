package audit_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard"
	"github.com/cmkguard/cmkguard/internal/awsemu"
	"github.com/cmkguard/cmkguard/internal/cli"
	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/estatefile"
	"github.com/cmkguard/cmkguard/internal/iostreams"
)

// closedPort returns the address of a port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// expiredToken answers every JSON-protocol call (DMS, KMS) as AWS does once
// session credentials have expired; STS and EC2 (the first calls of a
// scan) still reach the emulator, so the credentials expire mid-scan.
func expiredToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") == "" {
			next.ServeHTTP(w, r)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-ErrorType", "ExpiredTokenException")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"ExpiredTokenException","message":"The security token included in the request is expired"}`)
	})
}

// interruptOnDMS cancels the run (as Ctrl-C does) when the first DMS call
// arrives, and holds that call until the client gives up.
func interruptOnDMS(next http.Handler, cancel context.CancelFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("X-Amz-Target"), "AmazonDMSv20160101") {
			next.ServeHTTP(w, r)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body) // so the server notices the client hang up
		cancel()
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
}

// TestErrorsSayWhatWentWrong: a wrong endpoint is named as a connection or
// DNS failure (not as missing credentials), credentials that expire mid-scan
// stop the audit with exit 1 instead of filing UNKNOWN findings, and Ctrl-C
// says "interrupted" and exits 130. None writes a report.
func TestErrorsSayWhatWentWrong(t *testing.T) {
	est, err := estatefile.Parse(cmkguard.DemoEstateYAML)
	if err != nil {
		t.Fatal(err)
	}
	srv := awsemu.New(awsemu.Options{DefaultAccount: est.DefaultAccount})
	if err := srv.LoadEstate(est); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("AWS_CONFIG_FILE", home+"/config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", home+"/credentials")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDCMKGUARDE2E")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret")
	t.Setenv("AWS_SESSION_TOKEN", "session-token")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ENDPOINT_URL", "")

	expiring := httptest.NewServer(expiredToken(srv))
	t.Cleanup(expiring.Close)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	interrupting := httptest.NewServer(interruptOnDMS(srv, cancel))
	t.Cleanup(interrupting.Close)

	tests := []struct {
		name      string
		ctx       context.Context
		endpoint  string
		wantCode  int
		want      []string
		wantNever []string
	}{
		{"a closed port is a refused connection", context.Background(), "http://" + closedPort(t), exit.Error,
			[]string{"connection refused by 127.0.0.1:", "is the emulator or proxy running?", "--endpoint-url"}, []string{"credentials"}},
		{"an unresolvable host is a DNS failure", context.Background(), "http://cmkguard-no-such-host.invalid:4566", exit.Error,
			[]string{"the host cmkguard-no-such-host.invalid does not resolve (DNS: ", "--endpoint-url"}, []string{"credentials"}},
		{"credentials that expire mid-scan stop the audit", context.Background(), expiring.URL, exit.Error,
			[]string{"audit stopped, and wrote no report: the AWS credentials expired (ExpiredTokenException): refresh them"}, []string{"UNKNOWN"}},
		{"Ctrl-C says interrupted", ctx, interrupting.URL, exit.Interrupted,
			[]string{"cmkguard: interrupted: "}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := iostreams.Test()
			f := &factory.Factory{IOStreams: ios, Now: time.Now, Version: "e2e"}
			report := filepath.Join(t.TempDir(), "audit.json")
			code := cli.Main(tt.ctx, f, []string{"audit", "--endpoint-url", tt.endpoint, "--region", "us-east-1,eu-west-1", "--format", "table,json=" + report})
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("stderr does not say %q:\n%s", w, errOut)
				}
			}
			for _, w := range tt.wantNever {
				if strings.Contains(errOut.String()+out.String(), w) {
					t.Errorf("output says %q:\n%s%s", w, out, errOut)
				}
			}
			if out.Len() > 0 {
				t.Errorf("a report was written to stdout:\n%s", out)
			}
			if _, err := os.Stat(report); err == nil {
				t.Errorf("a report file was written")
			}
		})
	}
}
