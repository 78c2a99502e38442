package awslive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
)

func TestClassifyNamesConnectionAndCredentialFailures(t *testing.T) {
	t.Parallel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4566}, Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	dns := &net.DNSError{Err: "no such host", Name: "dms.nowhere.invalid", IsNotFound: true}
	api := func(code string) error {
		return fmt.Errorf("operation error: %w", &smithy.GenericAPIError{Code: code, Message: "The security token included in the request is expired"})
	}
	tests := []struct {
		name, action string
		err          error
		want         string
		stops        bool
	}{
		{"a refused connection", "sts:GetCallerIdentity", fmt.Errorf("send: %w", refused), "sts:GetCallerIdentity could not reach AWS: connection refused by 127.0.0.1:4566", false},
		{"a host that does not resolve", "dms:DescribeReplicationInstances", fmt.Errorf("send: %w", dns), "the host dms.nowhere.invalid does not resolve (DNS: no such host)", false},
		{"an expired session token (JSON protocols)", "kms:DescribeKey", api("ExpiredTokenException"), "kms:DescribeKey failed: the AWS credentials expired (ExpiredTokenException)", true},
		{"an expired session token (query protocols)", "ec2:DescribeRegions", api("ExpiredToken"), "the AWS credentials expired (ExpiredToken)", true},
		{"credentials that cannot be retrieved", "sts:GetCallerIdentity", fmt.Errorf("get identity: %w", &credentialsRetrievalError{err: errors.New("no EC2 IMDS role found")}),
			"could not get usable AWS credentials (no EC2 IMDS role found)", true},
		{"an invalid access key at STS", "sts:GetCallerIdentity", api("InvalidClientTokenId"), "the access key is not valid", false},
		{"an invalid token in a region is the opt-in question", "dms:DescribeReplicationInstances", api("UnrecognizedClientException"), "is this an opt-in region that is not enabled", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := classify(tt.action, tt.err)
			if !strings.Contains(p.reason, tt.want) {
				t.Errorf("reason = %q, want it to contain %q", p.reason, tt.want)
			}
			if strings.Contains(p.reason, "credentials configured") {
				t.Errorf("reason blames the credentials' configuration: %q", p.reason)
			}
			if got := isCanceled(context.Background(), tt.err); got != tt.stops {
				t.Errorf("stops the scan = %v, want %v", got, tt.stops)
			}
		})
	}
}

// TestTheSDKsOwnLogStaysOffTheTerminal: the SDK writes its warnings
// ("WARN Response has no supported checksum") to stderr by default;
// cmkguard's configuration discards them.
func TestTheSDKsOwnLogStaysOffTheTerminal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = w
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDLOGTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	cfg, err := LoadConfig(context.Background(), "", "", "us-east-1")
	os.Stderr = stderr
	if err != nil {
		t.Fatal(err)
	}
	cfg.Logger.Logf(logging.Warn, "Response has no supported checksum. Not validating response payload.")
	w.Close()
	got, _ := io.ReadAll(r)
	if len(got) > 0 {
		t.Errorf("the SDK wrote to stderr: %q", got)
	}
	if cfg.ClientLogMode != 0 {
		t.Errorf("ClientLogMode = %v, want none", cfg.ClientLogMode)
	}
	if _, err := cfg.Credentials.Retrieve(context.Background()); err != nil {
		t.Errorf("credentials from the environment: %v", err)
	}
	var _ aws.CredentialsProvider = typedCredentials{}
}
