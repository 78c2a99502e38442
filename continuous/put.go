package continuous

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cstypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
)

// MaxBatch is the most evaluations one PutEvaluations call takes.
const MaxBatch = 100

// PutEvaluationsAPI is the Config call that reports evaluations.
type PutEvaluationsAPI interface {
	PutEvaluations(ctx context.Context, in *configservice.PutEvaluationsInput, optFns ...func(*configservice.Options)) (*configservice.PutEvaluationsOutput, error)
}

// Putter reports evaluations to Config. Throttled and failed calls are
// retried by the client's retryer (awslive.NewRetryer: ten attempts,
// jittered backoff); what Putter adds is the retry of a partial failure,
// for the evaluations PutEvaluations lists as failed and only those.
type Putter struct {
	Client PutEvaluationsAPI
	// PartialRetries is how many times failed evaluations are sent again
	// (0: 5).
	PartialRetries int
	// Backoff is the wait before partial retry n (nil: 200 ms·2^(n-1),
	// full jitter, at most 5 s).
	Backoff func(retry int) time.Duration
}

// PutResult says what became of the evaluations.
type PutResult struct {
	Put   int
	Calls int
	// Sent counts the evaluations of the batches that were sent through
	// to the end (put, or failed after the partial retries); those after
	// it were not sent.
	Sent int
	// Failed are the evaluations still failed after the retries.
	Failed []cstypes.Evaluation
}

// Put sends evals with the invocation's result token, in batches of at
// most MaxBatch. It stops at the first call that fails for good and
// returns an error saying how many evaluations were not put; a partial
// failure that outlasts the retries is an error too.
func (p *Putter) Put(ctx context.Context, token string, evals []cstypes.Evaluation) (PutResult, error) {
	var res PutResult
	for start := 0; start < len(evals); start += MaxBatch {
		batch := evals[start:min(start+MaxBatch, len(evals))]
		if err := p.putBatch(ctx, token, batch, &res); err != nil {
			return res, fmt.Errorf("put evaluations %d-%d of %d: %w (%d put before)", start+1, start+len(batch), len(evals), err, res.Put)
		}
		res.Sent += len(batch)
	}
	if len(res.Failed) > 0 {
		return res, fmt.Errorf("put evaluations: %d of %d still failed after %d retries (first: %s %s)", len(res.Failed), len(evals),
			p.retries(), aws.ToString(res.Failed[0].ComplianceResourceType), aws.ToString(res.Failed[0].ComplianceResourceId))
	}
	return res, nil
}

func (p *Putter) retries() int {
	if p.PartialRetries > 0 {
		return p.PartialRetries
	}
	return 5
}

func (p *Putter) putBatch(ctx context.Context, token string, batch []cstypes.Evaluation, res *PutResult) error {
	pending := batch
	for attempt := 0; ; attempt++ {
		res.Calls++
		out, err := p.Client.PutEvaluations(ctx, &configservice.PutEvaluationsInput{ResultToken: aws.String(token), Evaluations: pending})
		if err != nil {
			return err
		}
		failed := out.FailedEvaluations
		res.Put += len(pending) - len(failed)
		if len(failed) == 0 {
			return nil
		}
		if attempt == p.retries() {
			res.Failed = append(res.Failed, failed...)
			return nil
		}
		if err := sleep(ctx, p.backoff(attempt+1)); err != nil {
			res.Failed = append(res.Failed, failed...)
			return err
		}
		pending = failed
	}
}

func (p *Putter) backoff(retry int) time.Duration {
	if p.Backoff != nil {
		return p.Backoff(retry)
	}
	ceiling := min(200*time.Millisecond<<min(retry-1, 5), 5*time.Second)
	return time.Duration(rand.Int64N(int64(ceiling)) + 1)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
