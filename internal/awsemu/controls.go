package awsemu

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// LogEntry is one request as the emulator saw it.
type LogEntry struct {
	Time      time.Time     `json:"time"`
	Duration  time.Duration `json:"durationNanos"`
	RequestID string        `json:"requestId"`
	Service   string        `json:"service"`   // dms, kms, ec2, sts, organizations, securityhub
	Operation string        `json:"operation"` // e.g. DescribeKey
	Region    string        `json:"region"`
	Account   string        `json:"account"`   // the caller's account
	Principal string        `json:"principal"` // the caller's ARN
	// Mutating is true for operations that change state (Create*, Modify*,
	// Delete*, Start*, Stop*, Move*, Put*, Enable*, Disable*, Schedule*,
	// Cancel*, Tag*, Untag*, BatchImportFindings; AssumeRole is not), and
	// for a read that changed state as a side effect: DescribeKey on
	// alias/aws/dms when it created the AWS-managed key.
	Mutating bool `json:"mutating"`
	// Resource is the ARN the operation acted on, when it names one.
	Resource string `json:"resource,omitempty"`
	// HTTPStatus is the status returned; ErrorCode is empty on success.
	HTTPStatus int    `json:"httpStatus"`
	ErrorCode  string `json:"errorCode,omitempty"`
	// AnswerLost is true when the operation succeeded but the LoseAnswer
	// fault dropped its answer (HTTPStatus is then 0 for a closed
	// connection, or the 500 sent instead).
	AnswerLost bool `json:"answerLost,omitempty"`
}

// Action returns "service:Operation", the IAM-style action name.
func (e LogEntry) Action() string { return e.Service + ":" + e.Operation }

// OK reports whether the call succeeded.
func (e LogEntry) OK() bool { return e.ErrorCode == "" }

type requestLog struct {
	mu      sync.Mutex
	limit   int
	entries []LogEntry
}

func (l *requestLog) add(e LogEntry) {
	l.mu.Lock()
	l.entries = append(l.entries, e)
	if len(l.entries) > 2*l.limit {
		n := copy(l.entries, l.entries[len(l.entries)-l.limit:])
		l.entries = l.entries[:n]
	}
	l.mu.Unlock()
}

// Requests returns a copy of the request log, oldest first.
func (s *Server) Requests() []LogEntry {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	start := 0
	if len(s.log.entries) > s.log.limit {
		start = len(s.log.entries) - s.log.limit
	}
	return append([]LogEntry(nil), s.log.entries[start:]...)
}

// MutatingRequests returns the logged requests that change state.
func (s *Server) MutatingRequests() []LogEntry {
	var out []LogEntry
	for _, e := range s.Requests() {
		if e.Mutating {
			out = append(out, e)
		}
	}
	return out
}

// ResetLog empties the request log.
func (s *Server) ResetLog() {
	s.log.mu.Lock()
	s.log.entries = nil
	s.log.mu.Unlock()
}

// DenyRule denies an action. Every non-empty field must match the call.
// Patterns may use * as a wildcard (matching any run of characters,
// including "/" and ":") and are compared case-insensitively for actions.
type DenyRule struct {
	// Action is "service:Operation", e.g. "kms:DescribeKey", "dms:Describe*" or "*".
	Action string `json:"action"`
	// Resource is the ARN denied (pattern). Empty denies the action on
	// everything, including calls that name no resource.
	Resource string `json:"resource,omitempty"`
	// Principal is the caller ARN denied (pattern). Empty: any principal.
	Principal string `json:"principal,omitempty"`
	// Account is the caller account denied. Empty: any account.
	Account string `json:"account,omitempty"`
	// Region limits the rule to one region. Empty: every region.
	Region string `json:"region,omitempty"`
}

func (d DenyRule) matches(action, resource string, who identity, region string) bool {
	if !wildcardMatch(strings.ToLower(d.Action), strings.ToLower(action)) {
		return false
	}
	if d.Resource != "" && (resource == "" || !wildcardMatch(d.Resource, resource)) {
		return false
	}
	if d.Principal != "" && !wildcardMatch(d.Principal, who.ARN) {
		return false
	}
	if d.Account != "" && d.Account != who.Account {
		return false
	}
	if d.Region != "" && d.Region != region {
		return false
	}
	return true
}

// wildcardMatch matches s against pattern where * matches any run of
// characters and ? any one character.
func wildcardMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// authorize applies the deny rules to an action on a resource ("" for the
// call as a whole) and returns the service's access-denied error.
func (c *call) authorize(action, resource string) *apiError {
	if resource != "" {
		c.resource = resource
	}
	for _, d := range c.s.deny {
		if d.matches(action, resource, c.caller, c.region) {
			return c.accessDenied(action, resource, "with an explicit deny in an identity-based policy")
		}
	}
	return nil
}

// accessDenied is the service's real access-denied error.
func (c *call) accessDenied(action, resource, why string) *apiError {
	if resource == "" {
		resource = "*"
	}
	msg := "User: " + c.caller.ARN + " is not authorized to perform: " + action + " on resource: " + resource + " " + why
	switch c.service {
	case "dms":
		// AccessDeniedFault is DMS being denied access to an endpoint's
		// resources; the caller's own IAM denial is the common error.
		return badRequest("AccessDeniedException", "%s", msg)
	case "ec2":
		return errf(http.StatusForbidden, "UnauthorizedOperation", "You are not authorized to perform this operation. User: %s is not authorized to perform: %s", c.caller.ARN, action)
	case "sts":
		return errf(http.StatusForbidden, "AccessDenied", "%s", msg)
	case "securityhub":
		return errf(http.StatusForbidden, "AccessDeniedException", "%s", msg)
	default:
		return badRequest("AccessDeniedException", "%s", msg)
	}
}

// Faults are injected into every call, drawn from a seeded generator so
// that runs repeat.
type Faults struct {
	// Latency is added to every call; Jitter adds a uniform [0, Jitter) on top.
	Latency time.Duration `json:"latency,omitempty"`
	Jitter  time.Duration `json:"jitter,omitempty"`
	// Throttle is the probability (0..1) that a call is throttled, by action
	// pattern: "kms:DescribeKey", "dms:*" or "*". The first matching pattern
	// in order of specificity (exact, service:*, *) applies.
	Throttle map[string]float64 `json:"throttle,omitempty"`
	// ServerErrorRate is the probability (0..1) of an HTTP 5xx reply,
	// sent before the operation runs (nothing changes).
	ServerErrorRate float64 `json:"serverErrorRate,omitempty"`
	// LoseAnswer is the probability (0..1), by action pattern as Throttle,
	// that an operation succeeds but its answer is lost: the emulator
	// performs the operation, then closes the connection without a
	// response, as a network failure after the request reached AWS would
	// look to the SDK (a handler that cannot be hijacked answers the
	// service's 500 internal error instead). A failed operation is answered
	// as usual.
	LoseAnswer map[string]float64 `json:"loseAnswer,omitempty"`
	// LoseAnswerLimit caps how many answers LoseAnswer drops in all; zero
	// means no cap. With a probability of 1 and a limit of 1, exactly the
	// first matching call loses its answer and its retries are answered.
	LoseAnswerLimit int `json:"loseAnswerLimit,omitempty"`
	// Seed seeds the generator.
	Seed uint64 `json:"seed,omitempty"`
}

// Validate checks that durations are not negative and probabilities lie in [0, 1].
func (f Faults) Validate() error {
	if f.Latency < 0 || f.Jitter < 0 {
		return fmt.Errorf("faults: latency and jitter must not be negative")
	}
	if f.ServerErrorRate < 0 || f.ServerErrorRate > 1 {
		return fmt.Errorf("faults: serverErrorRate %v is not a probability between 0 and 1", f.ServerErrorRate)
	}
	for action, p := range f.Throttle {
		if p < 0 || p > 1 {
			return fmt.Errorf("faults: throttle %s=%v is not a probability between 0 and 1", action, p)
		}
	}
	for action, p := range f.LoseAnswer {
		if p < 0 || p > 1 {
			return fmt.Errorf("faults: loseAnswer %s=%v is not a probability between 0 and 1", action, p)
		}
	}
	if f.LoseAnswerLimit < 0 {
		return fmt.Errorf("faults: loseAnswerLimit %d must not be negative", f.LoseAnswerLimit)
	}
	return nil
}

func parseDuration(name, s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("faults: %s %q is not a duration such as 50ms", name, s)
	}
	return d, nil
}

type faultState struct {
	mu     sync.Mutex
	faults Faults
	rng    *rand.Rand
	lost   int // answers dropped so far
}

func (f *faultState) reset(faults Faults) {
	f.mu.Lock()
	f.faults = faults
	f.rng = rand.New(rand.NewPCG(faults.Seed, faults.Seed^0x9e3779b97f4a7c15))
	f.lost = 0
	f.mu.Unlock()
}

func (f *faultState) current() Faults {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.faults
}

// SetFaults replaces the injected faults and reseeds the generator.
func (s *Server) SetFaults(f Faults) { s.faults.reset(f) }

// CurrentFaults returns the faults in force.
func (s *Server) CurrentFaults() Faults { return s.faults.current() }

// drawLoss decides whether the answer of a call that succeeded is lost.
func (f *faultState) drawLoss(action string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := throttleProbability(f.faults.LoseAnswer, action)
	if p <= 0 || (f.faults.LoseAnswerLimit > 0 && f.lost >= f.faults.LoseAnswerLimit) {
		return false
	}
	if f.rng.Float64() >= p {
		return false
	}
	f.lost++
	return true
}

// draw decides the faults of one call.
func (f *faultState) draw(action string) (sleep time.Duration, throttle, fail bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sleep = f.faults.Latency
	if f.faults.Jitter > 0 {
		sleep += time.Duration(f.rng.Int64N(int64(f.faults.Jitter)))
	}
	if p := throttleProbability(f.faults.Throttle, action); p > 0 && f.rng.Float64() < p {
		throttle = true
	}
	if p := f.faults.ServerErrorRate; p > 0 && f.rng.Float64() < p {
		fail = true
	}
	return sleep, throttle, fail
}

func throttleProbability(m map[string]float64, action string) float64 {
	if len(m) == 0 {
		return 0
	}
	if p, ok := m[action]; ok {
		return p
	}
	svc, _, _ := strings.Cut(action, ":")
	if p, ok := m[svc+":*"]; ok {
		return p
	}
	return m["*"]
}

// applyFaults sleeps (holding no lock) and returns an injected error, if any.
func (s *Server) applyFaults(ctx context.Context, rt route) *apiError {
	sleep, throttle, fail := s.faults.draw(rt.service + ":" + rt.op)
	if err := sleepCtx(ctx, sleep); err != nil {
		return errf(http.StatusServiceUnavailable, "RequestCanceled", "the client went away")
	}
	if throttle {
		switch rt.service {
		case "ec2":
			return errf(http.StatusServiceUnavailable, "RequestLimitExceeded", "Request limit exceeded.")
		case "sts":
			return badRequest("Throttling", "Rate exceeded")
		case "securityhub":
			return errf(http.StatusTooManyRequests, "TooManyRequestsException", "Rate exceeded")
		case "organizations":
			return badRequest("TooManyRequestsException", "Rate exceeded")
		default:
			return badRequest("ThrottlingException", "Rate exceeded")
		}
	}
	if fail {
		return s.faults.injectedServerError(rt.service)
	}
	return nil
}

// serverFault is a server-side error as a service sends it.
type serverFault struct {
	code   string
	status int
}

// serverFaults are the server-side errors each service sends: its own
// internal-error code where its model declares one (KMS
// KMSInternalException, Organizations ServiceException, Security Hub
// InternalException, EC2 InternalError/Unavailable), otherwise the common
// errors every AWS service may return (InternalFailure 500,
// ServiceUnavailable 503).
var serverFaults = map[string][]serverFault{
	"dms":           {{"InternalFailure", http.StatusInternalServerError}, {"ServiceUnavailable", http.StatusServiceUnavailable}},
	"kms":           {{"KMSInternalException", http.StatusInternalServerError}, {"ServiceUnavailable", http.StatusServiceUnavailable}},
	"organizations": {{"ServiceException", http.StatusInternalServerError}, {"ServiceUnavailable", http.StatusServiceUnavailable}},
	"securityhub":   {{"InternalException", http.StatusInternalServerError}, {"ServiceUnavailable", http.StatusServiceUnavailable}},
	"ec2":           {{"InternalError", http.StatusInternalServerError}, {"Unavailable", http.StatusServiceUnavailable}},
	"sts":           {{"InternalFailure", http.StatusInternalServerError}, {"ServiceUnavailable", http.StatusServiceUnavailable}},
}

// injectedServerError draws one of the service's server-side errors.
func (f *faultState) injectedServerError(service string) *apiError {
	choices := serverFaults[service]
	if len(choices) == 0 {
		return serverError(service)
	}
	f.mu.Lock()
	pick := choices[f.rng.IntN(len(choices))]
	f.mu.Unlock()
	return &apiError{Code: pick.code, Message: "injected server error", Status: pick.status, Server: true}
}

// serverError is the service's 500 internal error.
func serverError(service string) *apiError {
	return &apiError{Code: internalCode(service), Message: "We encountered an internal error. Please try again.", Status: http.StatusInternalServerError, Server: true}
}
