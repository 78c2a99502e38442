package awslive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"
)

// Stats counts the API calls a scan made, per service and operation: Calls
// counts operations as the code asked for them (once each, however many
// times the SDK retried), Attempts counts requests sent, Throttled the
// attempts that were throttled. It is safe for concurrent use.
type Stats struct {
	mu        sync.Mutex
	calls     map[string]int
	attempts  map[string]int
	throttled map[string]int
}

// NewStats returns empty counters.
func NewStats() *Stats {
	return &Stats{calls: map[string]int{}, attempts: map[string]int{}, throttled: map[string]int{}}
}

// Calls returns a copy of the operation counts, keyed "service:Operation"
// (e.g. "kms:DescribeKey").
func (s *Stats) Calls() map[string]int { return s.copyOf(s.calls) }

// Attempts returns a copy of the request counts, keyed like Calls.
func (s *Stats) Attempts() map[string]int { return s.copyOf(s.attempts) }

// Throttled returns a copy of the throttled-attempt counts, keyed like Calls.
func (s *Stats) Throttled() map[string]int { return s.copyOf(s.throttled) }

func (s *Stats) copyOf(m map[string]int) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Total sums Calls over the given services ("dms", "kms", "ec2", "sts"),
// or over all services when none is given.
func (s *Stats) Total(services ...string) int {
	n := 0
	for k, v := range s.Calls() {
		svc, _, _ := strings.Cut(k, ":")
		if len(services) == 0 || slices.Contains(services, svc) {
			n += v
		}
	}
	return n
}

// Write prints the counts as a small table, one line per operation.
func (s *Stats) Write(w io.Writer) error {
	calls, attempts, throttled := s.Calls(), s.Attempts(), s.Throttled()
	keys := make([]string, 0, len(calls))
	for k := range calls {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "API calls (operations / requests sent / throttled):\n")
	total, totalAttempts, totalThrottled := 0, 0, 0
	for _, k := range keys {
		fmt.Fprintf(&b, "  %-40s %6d %6d %6d\n", k, calls[k], attempts[k], throttled[k])
		total, totalAttempts, totalThrottled = total+calls[k], totalAttempts+attempts[k], totalThrottled+throttled[k]
	}
	fmt.Fprintf(&b, "  %-40s %6d %6d %6d\n", "total", total, totalAttempts, totalThrottled)
	_, err := io.WriteString(w, b.String())
	return err
}

// serviceNames shortens SDK service ids to the IAM service prefixes.
var serviceNames = map[string]string{
	"Database Migration Service": "dms",
	"KMS":                        "kms",
	"EC2":                        "ec2",
	"STS":                        "sts",
	"Organizations":              "organizations",
	"SecurityHub":                "securityhub",
}

func opKey(ctx context.Context) string {
	svc := awsmiddleware.GetServiceID(ctx)
	if short, ok := serviceNames[svc]; ok {
		svc = short
	} else {
		svc = strings.ToLower(strings.ReplaceAll(svc, " ", ""))
	}
	return svc + ":" + awsmiddleware.GetOperationName(ctx)
}

func (s *Stats) add(m map[string]int, key string) {
	s.mu.Lock()
	m[key]++
	s.mu.Unlock()
}

// AddMiddleware installs the counters on a client's stack; pass it in
// aws.Config.APIOptions or a client's Options.APIOptions.
func (s *Stats) AddMiddleware(stack *middleware.Stack) error {
	err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("cmkguardCallCounter",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			s.add(s.calls, opKey(ctx))
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
	if err != nil {
		return err
	}
	// At the end of Finalize, after the retry middleware: runs once per attempt.
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("cmkguardAttemptCounter",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			key := opKey(ctx)
			s.add(s.attempts, key)
			out, md, err := next.HandleFinalize(ctx, in)
			if err != nil && isThrottle(err) {
				s.add(s.throttled, key)
			}
			return out, md, err
		}), middleware.After)
}

func isThrottle(err error) bool {
	var code interface{ ErrorCode() string }
	if errors.As(err, &code) && throttleCodes[code.ErrorCode()] {
		return true
	}
	return retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err).Bool()
}

// throttleCodes are the error codes AWS services use for throttling.
var throttleCodes = map[string]bool{
	"Throttling": true, "ThrottlingException": true, "ThrottledException": true,
	"RequestThrottledException": true, "TooManyRequestsException": true,
	"ProvisionedThroughputExceededException": true, "TransactionInProgressException": true,
	"RequestLimitExceeded": true, "BandwidthLimitExceeded": true, "LimitExceededException": true,
	"RequestThrottled": true, "SlowDown": true, "PriorRequestNotComplete": true,
	"EC2ThrottledException": true,
}
