package awslive

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
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
	case code == "UnrecognizedClientException" || code == "InvalidClientTokenId" || code == "AuthFailure" || code == "OptInRequired":
		return problem{reason: fmt.Sprintf("%s refused the credentials (%s): is this an opt-in region that is not enabled for the account?", action, code)}
	}
	msg := apiErr.ErrorMessage()
	if msg == "" {
		return problem{reason: fmt.Sprintf("%s failed (%s)", action, code)}
	}
	return problem{reason: fmt.Sprintf("%s failed (%s: %s)", action, code, msg)}
}

// isCanceled reports whether err comes from the scan's own context being
// cancelled or timing out: that stops the scan rather than becoming a
// finding.
func isCanceled(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ctx.Err()))
}
