package awslive

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
)

// DefaultRegion is used for the account-wide calls (STS, EC2
// DescribeRegions) when the configuration names no region.
const DefaultRegion = "us-east-1"

// Retry tuning: throttling is normal when an audit fans out over many
// regions and keys, so a call is retried for a time budget rather than a
// fixed number of attempts (the SDK's default is 3), backing off
// exponentially with full jitter up to MaxBackoff, without the SDK's
// client-side retry quota (its token bucket runs dry after a burst of
// throttles and then fails calls that would have succeeded). MaxAttempts
// only bounds a budget that fast failures would otherwise spend in a
// tight loop.
const (
	MaxAttempts = 100
	BackoffBase = 100 * time.Millisecond
	MaxBackoff  = 20 * time.Second
	// RetryBudget is how long one call keeps being retried: no retry
	// starts once it has passed since the call's first attempt.
	RetryBudget = 3 * time.Minute
)

// DefaultRetryPolicy is the retry policy of every client LoadConfig builds.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: MaxAttempts, BackoffBase: BackoffBase, MaxBackoff: MaxBackoff, Budget: RetryBudget}

// LoadConfig loads the standard AWS configuration (environment, shared
// config and credentials files, SSO, AWS_PROFILE, AWS_REGION,
// AWS_ENDPOINT_URL) and applies the command line's choices on top:
// profile selects a shared-config profile, region the default region for
// account-wide calls, endpointURL the endpoint of every client (the local
// emulator, or a VPC endpoint). Empty values leave the standard lookup alone.
func LoadConfig(ctx context.Context, profile, endpointURL, region string) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(NewRetryer),
		config.WithAPIOptions([]func(*middleware.Stack) error{AddRetryClock}),
		config.WithHTTPClient(newHTTPClient()),
		// The SDK's own log lines ("WARN Response has no supported
		// checksum") are not for cmkguard's users: errors reach them
		// through the calls' results.
		config.WithLogger(logging.Nop{}),
		config.WithClientLogMode(0),
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.Credentials != nil {
		// Typed, so that a scan stops on credentials that cannot be had
		// (CredentialsStopped) instead of filing every call as UNKNOWN.
		cfg.Credentials = aws.NewCredentialsCache(typedCredentials{provider: cfg.Credentials})
	}
	if endpointURL != "" {
		cfg.BaseEndpoint = aws.String(endpointURL)
	}
	return cfg, nil
}

// NewRetryer returns the retryer every client uses: NewRetryerWith
// DefaultRetryPolicy.
func NewRetryer() aws.Retryer { return NewRetryerWith(DefaultRetryPolicy) }

// NewRetryerWith returns standard retries with p's backoff (JitterBackoff),
// no client-side rate limiter, and p's time budget per call. The budget
// needs the clients' stacks to carry the retry clock (LoadConfig adds it;
// see AddRetryClock); without it only p.MaxAttempts bounds the retries.
func NewRetryerWith(p RetryPolicy) aws.Retryer {
	return withBudget(retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = p.MaxAttempts
		o.MaxBackoff = p.MaxBackoff
		o.Backoff = JitterBackoff{Base: p.BackoffBase, Max: p.MaxBackoff}
		o.RateLimiter = ratelimit.None
		o.Retryables = append([]retry.IsErrorRetryable{refusedIsFinal, retry.RetryableErrorCode{Codes: ServerErrorCodes}}, o.Retryables...)
	}), p.Budget)
}

// ServerErrorCodes are the codes AWS services send for a failure on their
// side: the common InternalFailure and ServiceUnavailable, and the
// services' own (KMS KMSInternalException, Organizations ServiceException,
// Security Hub InternalException, EC2 InternalError and Unavailable). They
// are retried whatever HTTP status carries them.
var ServerErrorCodes = map[string]struct{}{
	"InternalFailure": {}, "ServiceUnavailable": {}, "KMSInternalException": {},
	"ServiceException": {}, "InternalException": {}, "InternalError": {}, "Unavailable": {},
}

// refusedIsFinal stops retrying a refused connection: an AWS endpoint
// never refuses one, so it means a wrong --endpoint-url or a local service
// that is not running, and ten patient retries would only hide that.
var refusedIsFinal = retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return aws.FalseTernary
	}
	return aws.UnknownTernary
})

// JitterBackoff waits a uniformly random time between 0 and
// min(Max, Base·2^(attempt-1)) ("full jitter"), so that clients throttled
// together do not retry together.
type JitterBackoff struct {
	Base, Max time.Duration
}

// BackoffDelay implements retry.BackoffDelayer.
func (b JitterBackoff) BackoffDelay(attempt int, _ error) (time.Duration, error) {
	ceiling := b.Base
	for i := 1; i < attempt && ceiling < b.Max; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, b.Max)
	if ceiling <= 0 {
		return 0, nil
	}
	return rand.N(ceiling), nil
}

// newHTTPClient keeps enough idle connections for a scan's fan-out (every
// region's keys at once) to reuse them.
func newHTTPClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().
		WithTimeout(2 * time.Minute).
		WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConns = 1024
			t.MaxIdleConnsPerHost = 256
		})
}
