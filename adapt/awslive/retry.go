package awslive

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"
)

// RetryPolicy is how the clients retry a failed call (throttling, server
// errors, connection resets): exponential backoff with full jitter from
// BackoffBase up to MaxBackoff, for at most Budget since the call's first
// attempt, and never more than MaxAttempts attempts.
type RetryPolicy struct {
	MaxAttempts             int
	BackoffBase, MaxBackoff time.Duration
	Budget                  time.Duration
}

// RetryBudgetError is returned when a call was still failing with a
// retryable error when its retry budget ran out; it is joined with that
// last error, which errors.As still finds.
type RetryBudgetError struct {
	Budget   time.Duration
	Elapsed  time.Duration
	Attempts int
}

func (e *RetryBudgetError) Error() string {
	return fmt.Sprintf("retry budget of %s spent after %d attempts over %s", e.Budget, e.Attempts, e.Elapsed.Round(time.Millisecond))
}

// retryClock is what AddRetryClock records for one call: when its first
// attempt started, and how many attempts it made.
type retryClock struct {
	start    time.Time
	attempts atomic.Int32
}

type retryClockKey struct{}

// AddRetryClock adds to a client's stack, ahead of its retry loop, the
// clock the retryer's time budget reads.
func AddRetryClock(stack *middleware.Stack) error {
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("cmkguardRetryClock",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			return next.HandleFinalize(context.WithValue(ctx, retryClockKey{}, &retryClock{start: time.Now()}), in)
		}), middleware.Before)
}

// budgetRetryer is a retryer that refuses to start a retry once its budget
// has passed since the call began.
type budgetRetryer struct {
	aws.RetryerV2
	budget time.Duration
}

func withBudget(r aws.RetryerV2, budget time.Duration) aws.Retryer {
	return &budgetRetryer{RetryerV2: r, budget: budget}
}

// GetAttemptToken counts the call's attempts.
func (r *budgetRetryer) GetAttemptToken(ctx context.Context) (func(error) error, error) {
	if c, ok := ctx.Value(retryClockKey{}).(*retryClock); ok {
		c.attempts.Add(1)
	}
	return r.RetryerV2.GetAttemptToken(ctx)
}

// GetRetryToken refuses the retry once the budget is spent.
func (r *budgetRetryer) GetRetryToken(ctx context.Context, opErr error) (func(error) error, error) {
	if c, ok := ctx.Value(retryClockKey{}).(*retryClock); ok && r.budget > 0 {
		if elapsed := time.Since(c.start); elapsed >= r.budget {
			return nil, &RetryBudgetError{Budget: r.budget, Elapsed: elapsed, Attempts: int(c.attempts.Load())}
		}
	}
	return r.RetryerV2.GetRetryToken(ctx, opErr)
}

// retriesSpent says, for a person, how a retryable error outlasted its
// retries ("after 14 attempts over 3m0.2s, its retry budget of 3m0s").
func retriesSpent(err error) string {
	var budget *RetryBudgetError
	if errors.As(err, &budget) {
		return fmt.Sprintf("after %d attempts over %s (its retry budget is %s)", budget.Attempts, budget.Elapsed.Round(time.Millisecond), budget.Budget)
	}
	var max *retry.MaxAttemptsError
	if errors.As(err, &max) {
		return fmt.Sprintf("after %d attempts", max.Attempt)
	}
	return "after its retries"
}
