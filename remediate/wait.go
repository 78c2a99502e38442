package remediate

import (
	"context"
	"errors"
	"fmt"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// errNotYet is returned by a wait condition that is not met yet.
var errNotYet = errors.New("not yet")

// waitFor polls check until it returns nil, a permanent error, or timeout.
// Transient errors (throttling) are retried until the timeout. A wait that
// lasts says so on the run's log when it begins and every ProgressEvery, so
// that a person watching knows the run is alive and what it waits for.
func (r *run) waitFor(ctx context.Context, timeout time.Duration, what string, check func() error) error {
	start := time.Now()
	deadline := start.Add(timeout)
	said := time.Time{}
	for {
		err := check()
		if err == nil {
			if !said.IsZero() {
				r.a.logf("  done waiting for %s (%s)", what, elapsed(start))
			}
			return nil
		}
		if !errors.Is(err, errNotYet) && !transient(err) {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s (last: %v)", timeout, what, err)
		}
		switch {
		case said.IsZero():
			r.a.logf("  waiting for %s (up to %s)…", what, timeout)
			said = time.Now()
		case time.Since(said) >= r.a.ProgressEvery:
			r.a.logf("  still waiting for %s (%s so far)", what, elapsed(start))
			said = time.Now()
		}
		if err := sleep(ctx, r.a.PollInterval); err != nil {
			return err
		}
	}
}

// elapsed is the time since start, to the second (to the millisecond below one).
func elapsed(start time.Time) time.Duration {
	d := time.Since(start)
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}

// waitGone waits, up to timeout, until exists says the resource is gone.
func (r *run) waitGone(ctx context.Context, timeout time.Duration, what string, exists func() (bool, error)) error {
	return r.waitFor(ctx, timeout, what+" to be deleted", func() error {
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
	// The request may not have arrived, or its answer was lost: every step
	// re-reads the world before it acts, so trying it again is safe.
	var send *smithyhttp.RequestSendError
	if errors.As(err, &send) {
		return true
	}
	// Any server error (5xx), whatever its code: AWS says to retry them.
	var resp *awshttp.ResponseError
	if errors.As(err, &resp) && resp.HTTPStatusCode() >= 500 {
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
