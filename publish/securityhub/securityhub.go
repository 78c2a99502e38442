package securityhub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	shsdk "github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/report"
)

// BatchImportFindingsAPIClient is the one Security Hub call the publisher makes.
type BatchImportFindingsAPIClient interface {
	BatchImportFindings(ctx context.Context, params *shsdk.BatchImportFindingsInput, optFns ...func(*shsdk.Options)) (*shsdk.BatchImportFindingsOutput, error)
}

// MaxBatchSize is the most findings BatchImportFindings takes in one call.
const MaxBatchSize = 100

// Publisher sends findings to Security Hub in one account and region.
type Publisher struct {
	// Client is Security Hub in Region.
	Client BatchImportFindingsAPIClient
	// Account is the calling account: Security Hub accepts findings of a
	// custom integration only for the account that sends them, so findings of
	// other accounts are skipped (and reported as such), not sent to fail.
	Account string
	// Region is the Security Hub region; every finding's ProductArn names it.
	Region string

	// BatchSize is the findings per call, 1 to MaxBatchSize (0: MaxBatchSize).
	BatchSize int
	// MaxAttempts is the tries per batch while Security Hub throttles or
	// fails on its side (0: 6).
	MaxAttempts int
	// Backoff returns the wait before retry n (1, 2, ...); nil: exponential
	// from 500 ms, capped at 20 s, with full jitter.
	Backoff func(retry int) time.Duration
	// Sleep waits for d or until ctx ends; nil: a real timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Problem is one finding that Security Hub did not take.
type Problem struct {
	// ID is the ASFF finding id.
	ID string
	// Resource is the resource the finding is about.
	Resource string
	// Code and Message say why: Security Hub's error code and message for a
	// rejected finding; NotSent or AccountMismatch for one never sent.
	Code    string
	Message string
}

// Result says what happened to each finding.
type Result struct {
	// Sent counts the findings Security Hub accepted.
	Sent int
	// Rejected are findings Security Hub refused (a partial failure).
	Rejected []Problem
	// Skipped are findings not sent: another account's, or after a batch
	// failed for good.
	Skipped []Problem
	// Calls counts BatchImportFindings calls, retries included.
	Calls int
	// Retries counts calls repeated after throttling.
	Retries int
}

// Summary is one line for a person.
func (r *Result) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Security Hub accepted %d finding(s)", r.Sent)
	if len(r.Rejected) > 0 {
		fmt.Fprintf(&b, ", rejected %d", len(r.Rejected))
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(&b, ", %d not sent", len(r.Skipped))
	}
	fmt.Fprintf(&b, " (%d call(s), %d retried)", r.Calls, r.Retries)
	return b.String()
}

// pending is one finding ready to send.
type pending struct {
	sdk      shtypes.AwsSecurityFinding
	id       string
	resource string
}

// Publish sends r's findings. It returns the result so far together with an
// error when a batch fails for good (access denied, throttled past
// MaxAttempts, the context ends): findings of later batches are then listed
// in Skipped with code NotSent. Rejected findings are not an error; the
// caller reports them from the result.
func (p *Publisher) Publish(ctx context.Context, r *finding.Report) (*Result, error) {
	if p.Client == nil {
		return nil, errors.New("publish to Security Hub: no client")
	}
	if p.Region == "" {
		return nil, errors.New("publish to Security Hub: no region")
	}
	size := p.BatchSize
	if size <= 0 || size > MaxBatchSize {
		size = MaxBatchSize
	}
	res := &Result{}
	asff := &report.ASFF{Region: p.Region, Account: p.Account}
	batch := make([]pending, 0, size)
	var sendErr error
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if sendErr == nil {
			sendErr = p.send(ctx, batch, res)
		} else {
			skipAll(res, batch, "NotSent", "an earlier batch failed")
		}
		batch = batch[:0]
	}
	for af, err := range asff.All(r) {
		if err != nil {
			return res, fmt.Errorf("publish to Security Hub: %w", err)
		}
		resource := ""
		if len(af.Resources) > 0 {
			resource = af.Resources[0].ID
		}
		if p.Account != "" && af.AwsAccountID != p.Account {
			res.Skipped = append(res.Skipped, Problem{ID: af.ID, Resource: resource, Code: "AccountMismatch",
				Message: fmt.Sprintf("finding of account %s; a custom integration imports only the calling account's (%s) findings", af.AwsAccountID, p.Account)})
			continue
		}
		sdk, err := toSDK(af)
		if err != nil {
			return res, fmt.Errorf("publish to Security Hub: finding %s: %w", af.ID, err)
		}
		batch = append(batch, pending{sdk: sdk, id: af.ID, resource: resource})
		if len(batch) == size {
			flush()
		}
	}
	flush()
	return res, sendErr
}

// toSDK converts a finding through its JSON form: report.ASFF uses ASFF's own
// field names, which are the SDK struct's field names.
func toSDK(af report.ASFFFinding) (shtypes.AwsSecurityFinding, error) {
	var out shtypes.AwsSecurityFinding
	data, err := json.Marshal(af)
	if err != nil {
		return out, err
	}
	err = json.Unmarshal(data, &out)
	return out, err
}

func skipAll(res *Result, batch []pending, code, msg string) {
	for _, f := range batch {
		res.Skipped = append(res.Skipped, Problem{ID: f.id, Resource: f.resource, Code: code, Message: msg})
	}
}

// send imports one batch, retrying while Security Hub throttles.
func (p *Publisher) send(ctx context.Context, batch []pending, res *Result) error {
	in := &shsdk.BatchImportFindingsInput{Findings: make([]shtypes.AwsSecurityFinding, len(batch))}
	for i := range batch {
		in.Findings[i] = batch[i].sdk
	}
	attempts := p.MaxAttempts
	if attempts <= 0 {
		attempts = 6
	}
	var out *shsdk.BatchImportFindingsOutput
	var err error
	for attempt := 1; ; attempt++ {
		res.Calls++
		out, err = p.Client.BatchImportFindings(ctx, in)
		if err == nil || !retryable(err) || attempt == attempts || ctx.Err() != nil {
			break
		}
		res.Retries++
		if serr := p.sleep(ctx, p.backoff(attempt)); serr != nil {
			err = serr
			break
		}
	}
	if err != nil {
		skipAll(res, batch, "NotSent", err.Error())
		return fmt.Errorf("import %d finding(s) into Security Hub in %s: %w", len(batch), p.Region, err)
	}
	rejected := map[string]bool{}
	for _, ff := range out.FailedFindings {
		id := aws.ToString(ff.Id)
		rejected[id] = true
		res.Rejected = append(res.Rejected, Problem{ID: id, Resource: resourceOf(batch, id), Code: aws.ToString(ff.ErrorCode), Message: aws.ToString(ff.ErrorMessage)})
	}
	res.Sent += len(batch) - len(rejected)
	return nil
}

func resourceOf(batch []pending, id string) string {
	for _, f := range batch {
		if f.id == id {
			return f.resource
		}
	}
	return ""
}

// retryable reports whether Security Hub throttled the call or failed on
// its side, so that the same batch may succeed later.
func retryable(err error) bool {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "TooManyRequestsException", "ThrottlingException", "Throttling", "ThrottledException",
			"RequestLimitExceeded", "LimitExceededException", "InternalException", "ServiceUnavailable":
			return true
		}
	}
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) {
		code := respErr.HTTPStatusCode()
		return code == 429 || code >= 500
	}
	return false
}

func (p *Publisher) backoff(retry int) time.Duration {
	if p.Backoff != nil {
		return p.Backoff(retry)
	}
	ceiling := 500 * time.Millisecond << min(retry-1, 6)
	ceiling = min(ceiling, 20*time.Second)
	return time.Duration(rand.Int64N(int64(ceiling)) + 1)
}

func (p *Publisher) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
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
