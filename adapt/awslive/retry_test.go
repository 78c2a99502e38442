package awslive

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/smithy-go/middleware"
)

func TestTheRetryerStopsOnItsTimeBudgetNotAFixedAttemptCount(t *testing.T) {
	t.Parallel()
	r := NewRetryerWith(RetryPolicy{MaxAttempts: 1000, BackoffBase: time.Millisecond, MaxBackoff: time.Millisecond, Budget: time.Minute})
	if n := r.MaxAttempts(); n != 1000 {
		t.Errorf("MaxAttempts %d, want the policy's 1000", n)
	}
	if n := NewRetryer().MaxAttempts(); n <= 10 {
		t.Errorf("the default retryer allows %d attempts; the budget, not 10 attempts, must bound a call", n)
	}
	throttled := errors.New("throttled")
	tests := []struct {
		name    string
		started time.Duration // ago
		refused bool
	}{
		{"within the budget a retry is allowed", time.Second, false},
		{"past the budget no retry starts", 2 * time.Minute, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := &retryClock{start: time.Now().Add(-tt.started)}
			clock.attempts.Store(37)
			ctx := context.WithValue(context.Background(), retryClockKey{}, clock)
			_, err := r.(*budgetRetryer).GetRetryToken(ctx, throttled)
			var budget *RetryBudgetError
			if got := errors.As(err, &budget); got != tt.refused {
				t.Fatalf("GetRetryToken error %v, want refused=%v", err, tt.refused)
			}
			if tt.refused && (budget.Attempts != 37 || budget.Budget != time.Minute) {
				t.Errorf("budget error %+v, want 37 attempts of a 1m budget", budget)
			}
		})
	}
}

func TestTheRetryClockRunsAheadOfTheRetryLoop(t *testing.T) {
	t.Parallel()
	stack := middleware.NewStack("test", func() any { return nil })
	if err := stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("Retry", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		if _, ok := ctx.Value(retryClockKey{}).(*retryClock); !ok {
			t.Error("the retry loop runs without the clock")
		}
		return next.HandleFinalize(ctx, in)
	}), middleware.After); err != nil {
		t.Fatal(err)
	}
	if err := AddRetryClock(stack); err != nil {
		t.Fatal(err)
	}
	if ids := stack.Finalize.List(); len(ids) != 2 || ids[0] != "cmkguardRetryClock" {
		t.Errorf("finalize order %v, want the clock first", ids)
	}
}
