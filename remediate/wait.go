package remediate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/smithy-go"
)

// errNotYet is returned by a wait condition that is not met yet.
var errNotYet = errors.New("not yet")

// waitFor polls check until it returns nil, a permanent error, or timeout.
// Transient errors (throttling) are retried until the timeout.
func waitFor(ctx context.Context, interval, timeout time.Duration, what string, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return nil
		}
		if !errors.Is(err, errNotYet) && !transient(err) {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s (last: %v)", timeout, what, err)
		}
		if err := sleep(ctx, interval); err != nil {
			return err
		}
	}
}

// waitGone waits, up to timeout, until exists says the resource is gone.
func waitGone(ctx context.Context, interval, timeout time.Duration, what string, exists func() (bool, error)) error {
	return waitFor(ctx, interval, timeout, what+" to be deleted", func() error {
		ok, err := exists()
		switch {
		case err != nil:
			return err
		case ok:
			return errNotYet
		}
		return nil
	})
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// transient recognises errors worth retrying: throttling, and DMS saying a
// resource is briefly in the wrong state.
func transient(err error) bool {
	if errors.Is(err, errNotYet) {
		return true
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded",
			"ServiceUnavailable", "InternalFailure", "InvalidResourceStateFault",
			"KMSInternalException", "ServiceException", "InternalException", "InternalError", "Unavailable":
			return true
		}
	}
	return false
}
