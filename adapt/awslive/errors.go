package awslive

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"
)

// problem is why a call failed, for a person, and the IAM action to grant
// when it was denied.
type problem struct {
	reason     string
	permission string
	denied     bool
	notFound   bool
	// throttled is true when the call was still throttled when its retry
	// budget ran out.
	throttled bool
}

// classify explains err, returned by action (an IAM action name such as
// kms:DescribeKey), without leaking anything secret: AWS error messages name
// resources and principals, never credentials.
func classify(action string, err error) problem {
	if reason, ok := connectionFailure(err); ok {
		return problem{reason: action + " " + reason}
	}
	if reason, ok := credentialsFailure(err); ok {
		return problem{reason: action + " " + reason}
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		var maxAttempts *retry.MaxAttemptsError
		if errors.As(err, &maxAttempts) {
			return problem{reason: fmt.Sprintf("%s failed after %d attempts: %v", action, maxAttempts.Attempt, maxAttempts.Err)}
		}
		return problem{reason: fmt.Sprintf("%s could not be called: %v", action, err)}
	}
	code := apiErr.ErrorCode()
	switch {
	case strings.Contains(code, "AccessDenied") || code == "UnauthorizedOperation" || code == "UnauthorizedAccess":
		return problem{reason: fmt.Sprintf("%s was denied (%s)", action, code), permission: action, denied: true}
	case code == "NotFoundException":
		return problem{reason: fmt.Sprintf("%s found no such key (%s): it was deleted, or it belongs to another account whose key policy does not let this account see it", action, code), notFound: true}
	case isThrottle(err):
		return problem{reason: fmt.Sprintf("%s was still throttled %s (%s)", action, retriesSpent(err), code), throttled: true}
	case (code == "UnrecognizedClientException" || code == "InvalidClientTokenId") && strings.HasPrefix(action, "sts:"):
		return problem{reason: fmt.Sprintf("%s refused the credentials (%s): the access key is not valid (mistyped, deleted or deactivated, or of another partition); check the profile or AWS_ACCESS_KEY_ID", action, code)}
	case code == "UnrecognizedClientException" || code == "InvalidClientTokenId" || code == "AuthFailure" || code == "OptInRequired":
		return problem{reason: fmt.Sprintf("%s refused the credentials (%s): is this an opt-in region that is not enabled for the account?", action, code)}
	}
	msg := apiErr.ErrorMessage()
	if msg == "" {
		return problem{reason: fmt.Sprintf("%s failed (%s)", action, code)}
	}
	return problem{reason: fmt.Sprintf("%s failed (%s: %s)", action, code, msg)}
}

// Explain says for a person why a call of action (an IAM action name such
// as sts:GetCallerIdentity) failed: denied, throttled, refused connection,
// unresolvable host, expired credentials, … For commands other than the
// scan (remediate, key-policy) that report a call's failure.
func Explain(action string, err error) string { return classify(action, err).reason }

// isCanceled reports whether err stops the scan rather than becoming a
// finding: the scan's own context was cancelled or timed out, or the
// credentials stopped working (expired, or could not be refreshed), after
// which every call would fail alike and UNKNOWN findings would hide the
// cause (see CredentialsStopped).
func isCanceled(ctx context.Context, err error) bool {
	if _, stopped := CredentialsStopped(err); stopped {
		return true
	}
	return ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ctx.Err()))
}

// expiredCodes are the error codes AWS returns for credentials past their
// expiry: ExpiredToken (query protocols: STS, EC2), ExpiredTokenException
// (JSON protocols: DMS, KMS, Organizations, Security Hub), RequestExpired
// (EC2, also when the clock is wrong).
var expiredCodes = map[string]bool{"ExpiredToken": true, "ExpiredTokenException": true, "RequestExpired": true}

// CredentialsStopped reports whether err means the credentials no longer
// work (they expired, or the SDK could not retrieve or refresh them), and
// says so for a person. A scan stops with an error then: the
// credentials will not come back by themselves.
func CredentialsStopped(err error) (string, bool) {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && expiredCodes[apiErr.ErrorCode()] {
		return fmt.Sprintf("the AWS credentials expired (%s): refresh them (aws sso login, or new session credentials; check the clock if they should still be valid) and run again", apiErr.ErrorCode()), true
	}
	var retrieval *credentialsRetrievalError
	var signing *v4.SigningError
	if errors.As(err, &retrieval) || errors.As(err, &signing) {
		cause := err
		if retrieval != nil {
			cause = retrieval.err
		}
		return fmt.Sprintf("could not get usable AWS credentials (%v): configure or refresh them (aws configure, aws sso login, AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)", cause), true
	}
	return "", false
}

// credentialsRetrievalError is a credential provider's failure (no
// credentials anywhere in the chain, an SSO session or role that cannot be
// refreshed), told apart from the other errors of a call, which the SDK
// does not type.
type credentialsRetrievalError struct{ err error }

func (e *credentialsRetrievalError) Error() string { return e.err.Error() }
func (e *credentialsRetrievalError) Unwrap() error { return e.err }

// typedCredentials marks its provider's errors as credentialsRetrievalError.
type typedCredentials struct{ provider aws.CredentialsProvider }

// Retrieve implements aws.CredentialsProvider.
func (t typedCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := t.provider.Retrieve(ctx)
	if err != nil && ctx.Err() == nil {
		return c, &credentialsRetrievalError{err: err}
	}
	return c, err
}

// credentialsFailure is CredentialsStopped's reason, for classify.
func credentialsFailure(err error) (string, bool) {
	reason, ok := CredentialsStopped(err)
	if !ok {
		return "", false
	}
	return "failed: " + reason, true
}

// connectionFailure explains a call that never reached AWS: a host that
// does not resolve, a port nothing listens on, a connection that timed
// out. Those are not credential problems, and the fix is the endpoint or
// the network.
func connectionFailure(err error) (string, bool) {
	const check = "check --endpoint-url or AWS_ENDPOINT_URL, the region, and the network (proxy, VPC endpoint, DNS)"
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return fmt.Sprintf("could not reach AWS: the host %s does not resolve (DNS: %s); %s", dnsErr.Name, dnsErr.Err, check), true
	}
	var opErr *net.OpError
	if errors.Is(err, syscall.ECONNREFUSED) {
		addr := "the endpoint"
		if errors.As(err, &opErr) && opErr.Addr != nil {
			addr = opErr.Addr.String()
		}
		return fmt.Sprintf("could not reach AWS: connection refused by %s (nothing listens there: is the emulator or proxy running?); %s", addr, check), true
	}
	if errors.As(err, &opErr) && opErr.Op == "dial" && opErr.Timeout() {
		return fmt.Sprintf("could not reach AWS: connecting to %v timed out; %s", opErr.Addr, check), true
	}
	return "", false
}
