package awsemu

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultAccount is the account every unknown access key id acts as, unless
// Options or the estate say otherwise.
const DefaultAccount = "111122223333"

// maxBodyBytes bounds a request body; AWS's own limits are smaller.
const maxBodyBytes = 8 << 20

// Options configure a Server. The zero value is usable.
type Options struct {
	// DefaultAccount is the account of every access key id that is neither
	// listed in the estate nor issued by AssumeRole. Default: 111122223333.
	DefaultAccount string
	// DefaultPrincipal is the ARN such callers act as.
	// Default: arn:aws:iam::<DefaultAccount>:user/cmkguard.
	DefaultPrincipal string
	// Delay is how long a status change takes (creating → available,
	// deleting → gone, moving → stopped, …). Zero makes changes immediate on
	// the next read; the response to the changing call still shows the
	// transitional status, as AWS does.
	Delay time.Duration
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// LogLimit caps the request log; the oldest entries are dropped first.
	// Default: 100000.
	LogLimit int
}

// Server is the emulator. It is an http.Handler; create it with New.
type Server struct {
	opts Options

	// mu guards the state below it. Handlers run with it held; latency from
	// faults is slept before taking it, so slow calls never block others.
	mu     sync.Mutex
	world  *world
	estate *Estate // the estate last loaded, for Reset
	deny   []DenyRule
	delay  time.Duration
	issued map[string]identity // access key id → identity, from AssumeRole

	faults faultState
	log    requestLog
	reqSeq atomic.Uint64
}

// New returns a Server with an empty estate: the default account, the
// standard regions (all enabled) and no resources.
func New(opts Options) *Server {
	if opts.DefaultAccount == "" {
		opts.DefaultAccount = DefaultAccount
	}
	if opts.DefaultPrincipal == "" {
		opts.DefaultPrincipal = "arn:aws:iam::" + opts.DefaultAccount + ":user/cmkguard"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.LogLimit <= 0 {
		opts.LogLimit = 100000
	}
	s := &Server{opts: opts, delay: opts.Delay, issued: map[string]identity{}}
	s.world = newWorld(opts.DefaultAccount)
	s.world.defaultPrincipal = opts.DefaultPrincipal
	s.log.limit = opts.LogLimit
	s.faults.reset(Faults{})
	return s
}

// SetDelay changes how long status changes take from now on.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

// DefaultRegion is the region of resources that name none: the estate's
// defaultRegion, us-east-1 unless it says otherwise. It is always among the
// emulator's regions, so a client configured with it reaches every service.
func (s *Server) DefaultRegion() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.world.defaultRegion
}

// AddDeny adds a deny rule: matching calls get the service's access-denied error.
func (s *Server) AddDeny(rule DenyRule) {
	s.mu.Lock()
	s.deny = append(s.deny, rule)
	s.mu.Unlock()
}

// ClearDeny removes every deny rule, including those from the estate.
func (s *Server) ClearDeny() {
	s.mu.Lock()
	s.deny = nil
	s.mu.Unlock()
}

// SetDeny replaces every deny rule.
func (s *Server) SetDeny(rules []DenyRule) {
	s.mu.Lock()
	s.deny = append([]DenyRule(nil), rules...)
	s.mu.Unlock()
}

// DenyRules returns the deny rules in force.
func (s *Server) DenyRules() []DenyRule {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]DenyRule(nil), s.deny...)
}

// identity is who a request acts as.
type identity struct {
	AccessKeyID string
	Account     string
	ARN         string
	UserID      string
}

// call is one request being served.
type call struct {
	s         *Server
	w         *world
	service   string
	op        string
	region    string
	caller    identity
	now       time.Time
	body      []byte
	query     map[string][]string
	resource  string
	requestID string
	// created is set when a read created something as a side effect
	// (DescribeKey on alias/aws/dms creating the AWS-managed key).
	created bool
}

// apiError is an error in AWS's terms: a code, a message and an HTTP status.
type apiError struct {
	Code    string
	Message string
	Status  int
	// Sender is false for server-side faults (query protocol's Error/Type).
	Server bool
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errf(status int, code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...), Status: status}
}

// badRequest is the usual 400 error.
func badRequest(code, format string, args ...any) *apiError {
	return errf(http.StatusBadRequest, code, format, args...)
}

// ServeHTTP serves one AWS API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := s.newRequestID()
	start := s.opts.Now()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	route := detectRoute(r, body)
	entry := LogEntry{Time: start, Service: route.service, Operation: route.op, Region: route.region, RequestID: reqID}
	if err != nil {
		s.finish(w, route, entry, nil, errf(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "request body is too large or unreadable"), reqID)
		return
	}
	if route.err != nil {
		s.finish(w, route, entry, nil, route.err, reqID)
		return
	}
	spec, ok := lookupOperation(route.service, route.op)
	if !ok {
		s.finish(w, route, entry, nil, unknownOperation(route), reqID)
		return
	}
	entry.Mutating = spec.mutating
	caller := s.identify(route.accessKeyID)
	entry.Account, entry.Principal = caller.Account, caller.ARN

	if ferr := s.applyFaults(r.Context(), route); ferr != nil {
		s.finish(w, route, entry, nil, ferr, reqID)
		return
	}
	c := &call{s: s, service: route.service, op: route.op, region: route.region, caller: caller, body: body, query: route.form, requestID: reqID}
	out, herr := s.serveLocked(c, spec)
	entry.Resource = c.resource
	entry.Mutating = entry.Mutating || c.created
	if herr == nil && s.faults.drawLoss(route.service+":"+route.op) {
		s.loseAnswer(w, route, entry, reqID)
		return
	}
	s.finish(w, route, entry, out, herr, reqID)
}

// loseAnswer drops the answer of an operation that was performed: it closes
// the connection without a response when it can, as a network failure after
// AWS acted looks to the SDK, and otherwise answers the service's internal
// error. Either way the SDK retries, and the retry meets the changed state.
func (s *Server) loseAnswer(w http.ResponseWriter, rt route, entry LogEntry, reqID string) {
	entry.AnswerLost = true
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			// Logged before the close, so that the log has it before
			// whatever the client does next.
			entry.Duration = s.opts.Now().Sub(entry.Time)
			s.log.add(entry)
			_ = conn.Close()
			return
		}
	}
	s.finish(w, rt, entry, nil, serverError(rt.service), reqID)
}

// serveLocked runs the operation under the state lock. A bug that panics
// becomes the service's internal error for this request, not a crash.
func (s *Server) serveLocked(c *call, spec operation) (out any, aerr *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			out, aerr = nil, &apiError{Code: internalCode(c.service), Message: fmt.Sprintf("emulator bug: %v", r), Status: http.StatusInternalServerError, Server: true}
		}
	}()
	c.w = s.world
	c.now = s.opts.Now()
	return s.serve(c, spec)
}

// serve runs the operation's handler with the lock held.
func (s *Server) serve(c *call, spec operation) (any, *apiError) {
	if aerr := c.checkRegion(); aerr != nil {
		return nil, aerr
	}
	// GetCallerIdentity needs no permission, and an explicit deny does not
	// stop it (STS's documentation says so).
	if c.service != "sts" || c.op != "GetCallerIdentity" {
		if aerr := c.authorize(c.service+":"+c.op, ""); aerr != nil {
			return nil, aerr
		}
	}
	return spec.handle(c)
}

// finish writes the response or error and records the request.
func (s *Server) finish(w http.ResponseWriter, rt route, entry LogEntry, out any, aerr *apiError, reqID string) {
	var status int
	if aerr != nil {
		status = aerr.Status
		entry.ErrorCode = aerr.Code
		writeError(w, rt, aerr, reqID)
	} else {
		status = writeResult(w, rt, out, reqID)
	}
	entry.HTTPStatus = status
	entry.Duration = s.opts.Now().Sub(entry.Time)
	s.log.add(entry)
}

func (s *Server) newRequestID() string {
	n := s.reqSeq.Add(1)
	var b [8]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return fmt.Sprintf("%s-%s-%s-%s-%012x", h[:8], h[8:12], h[12:16], "8000", n)
}

// identify returns who an access key id acts as.
func (s *Server) identify(akid string) identity {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.issued[akid]; ok {
		return id
	}
	if id, ok := s.world.credentials[akid]; ok {
		return id
	}
	return identity{AccessKeyID: akid, Account: s.world.defaultAccount, ARN: s.world.defaultPrincipal, UserID: "AIDACMKGUARDEMULATOR"}
}

// globalSigningRegion is the region in the credential scope of calls to the
// global endpoints of STS and Organizations: it is valid whatever regions
// the estate lists.
const globalSigningRegion = "us-east-1"

// checkRegion refuses calls to a region the estate does not list, as an AWS
// endpoint refuses a credential scoped to no region it knows, and regional
// calls to opt-in regions that are not enabled, as AWS does (the credentials
// are not valid there).
func (c *call) checkRegion() *apiError {
	global := c.service == "sts" || c.service == "organizations"
	reg, ok := c.w.regionByName[c.region]
	if !ok {
		if global && c.region == globalSigningRegion {
			return nil
		}
		return unknownRegion(c.service, c.region)
	}
	if global || reg.enabled() {
		return nil
	}
	if c.service == "ec2" {
		return errf(http.StatusUnauthorized, "AuthFailure", "AWS was not able to validate the provided access credentials")
	}
	status := http.StatusBadRequest
	if protocolOf(c.service) == protoREST {
		status = http.StatusForbidden // restJson1 services answer a bad token with 403
	}
	return errf(status, "UnrecognizedClientException", "The security token included in the request is invalid.")
}

// unknownRegion is the signature error AWS gives a credential scoped to a
// region that does not exist: awsJson services answer 400
// InvalidSignatureException, the query services 403 SignatureDoesNotMatch,
// restJson services 403 InvalidSignatureException.
func unknownRegion(service, region string) *apiError {
	const msg = "Credential should be scoped to a valid region, not '%s'."
	switch protocolOf(service) {
	case protoQuery:
		return errf(http.StatusForbidden, "SignatureDoesNotMatch", msg, region)
	case protoREST:
		return errf(http.StatusForbidden, "InvalidSignatureException", msg, region)
	default:
		return badRequest("InvalidSignatureException", msg, region)
	}
}

// delayed returns when a status change started now completes.
func (c *call) delayed() time.Time { return c.now.Add(c.s.delay) }

func internalCode(service string) string {
	switch service {
	case "kms":
		return "KMSInternalException"
	case "ec2":
		return "InternalError"
	case "organizations":
		return "ServiceException"
	case "securityhub":
		return "InternalException"
	default:
		return "InternalFailure"
	}
}

// sleepCtx sleeps for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// lowerTrim normalises identifiers as AWS does for DMS.
func lowerTrim(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
