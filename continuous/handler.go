package continuous

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cstypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/cmkguard/cmkguard/adapt/awslive"
	"github.com/cmkguard/cmkguard/adapt/configevent"
	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/publish/securityhub"
	"github.com/cmkguard/cmkguard/rule"
	"github.com/cmkguard/cmkguard/state"
	"github.com/cmkguard/cmkguard/suppress"
)

// Environment variables the function reads.
const (
	EnvSecurityHub         = "CMKGUARD_SECURITYHUB"           // "true": real-time findings go to Security Hub
	EnvSNSTopic            = "CMKGUARD_SNS_TOPIC_ARN"         // real-time findings that are not PASS go to this topic
	EnvRuleParameters      = "CMKGUARD_RULE_PARAMETERS"       // the real-time path's parameters (JSON, as ruleParameters)
	EnvAssumeExecutionRole = "CMKGUARD_ASSUME_EXECUTION_ROLE" // "true": act as the event's executionRoleArn
	EnvIgnoreFile          = "CMKGUARD_IGNORE_FILE"           // an ignore file shipped with the function (a layer)
)

// Settings are the deployment's choices, from the function's environment.
type Settings struct {
	SecurityHub bool
	SNSTopicARN string
	// Parameters is the real-time path's rule parameters: EventBridge
	// events carry none, so the deployment gives the same JSON the Config
	// rule has.
	Parameters Parameters
	// AssumeExecutionRole makes a Config invocation act as the role its
	// event names (executionRoleArn) instead of the function's own role.
	// Off by default: Config names its service-linked role there, which a
	// function cannot assume.
	AssumeExecutionRole bool
	IgnoreFile          string
}

// SettingsFromEnv reads Settings; a value that is not understood is an
// error naming the variable.
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	var s Settings
	var err error
	if s.SecurityHub, err = envBool(getenv, EnvSecurityHub); err != nil {
		return s, err
	}
	if s.AssumeExecutionRole, err = envBool(getenv, EnvAssumeExecutionRole); err != nil {
		return s, err
	}
	s.SNSTopicARN = strings.TrimSpace(getenv(EnvSNSTopic))
	if s.SNSTopicARN != "" && !strings.HasPrefix(s.SNSTopicARN, "arn:") {
		return s, fmt.Errorf("%s=%q is not a topic ARN", EnvSNSTopic, s.SNSTopicARN)
	}
	if s.Parameters, err = ParseParameters(getenv(EnvRuleParameters)); err != nil {
		return s, fmt.Errorf("%s: %w", EnvRuleParameters, err)
	}
	s.IgnoreFile = strings.TrimSpace(getenv(EnvIgnoreFile))
	return s, nil
}

func envBool(getenv func(string) string, name string) (bool, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q: want true or false", name, v)
	}
	return b, nil
}

// ConfigAPI is what the function asks of AWS Config.
type ConfigAPI interface {
	PutEvaluationsAPI
	GetResourceConfigHistory(ctx context.Context, in *configservice.GetResourceConfigHistoryInput, optFns ...func(*configservice.Options)) (*configservice.GetResourceConfigHistoryOutput, error)
	configservice.GetComplianceDetailsByConfigRuleAPIClient
}

// SNSPublishAPI publishes one message to a topic.
type SNSPublishAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Clients are the service clients of one invocation.
type Clients struct {
	Live   awslive.Clients
	Config ConfigAPI
	SNS    SNSPublishAPI
	// SecurityHub returns the publisher for the calling account.
	SecurityHub func(ctx context.Context) (*securityhub.Publisher, error)
}

// NewClients returns SDK clients built from cfg.
func NewClients(cfg aws.Config) Clients {
	return Clients{
		Live:        awslive.NewClients(cfg, nil),
		Config:      configservice.NewFromConfig(cfg),
		SNS:         sns.NewFromConfig(cfg),
		SecurityHub: func(ctx context.Context) (*securityhub.Publisher, error) { return securityhub.NewFromConfig(ctx, cfg) },
	}
}

// Handler handles the function's events.
type Handler struct {
	// Config is the function's AWS configuration (its region is the
	// region evaluated).
	Config   aws.Config
	Settings Settings
	Logger   *slog.Logger
	// Version names the tool in Security Hub findings.
	Version string
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// NewClients builds the clients for a configuration (nil: NewClients).
	NewClients func(cfg aws.Config) Clients
	// Putter tuning; its Client is set per invocation.
	PartialRetries int
	Backoff        func(retry int) time.Duration

	ignore *suppress.List
}

// New returns a Handler, loading the ignore file if one is set.
func New(cfg aws.Config, s Settings, logger *slog.Logger) (*Handler, error) {
	h := &Handler{Config: cfg, Settings: s, Logger: logger, Version: "dev"}
	if s.IgnoreFile != "" {
		names := suppress.RuleIDs{}
		for _, m := range rule.Metadata() {
			names[m.ID], names[m.ShortCode] = m.ID, m.ID
		}
		l, err := suppress.Load(s.IgnoreFile, names, suppress.Options{})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvIgnoreFile, err)
		}
		h.ignore = l
	}
	return h, nil
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

func (h *Handler) log() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

func (h *Handler) clients(cfg aws.Config) Clients {
	if h.NewClients != nil {
		return h.NewClients(cfg)
	}
	return NewClients(cfg)
}

// ErrMalformedEvent wraps every error about the event itself.
var ErrMalformedEvent = errors.New("malformed event")

// Handle handles one event: a Config rule invocation or an EventBridge
// event for a CloudTrail-recorded API call. It returns an error when the
// event is malformed (nothing is then put) or the evaluations could not
// all be reported (Lambda then retries the invocation; evaluations are
// idempotent).
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) error {
	switch {
	case configevent.IsConfigRuleEvent(raw):
		inv, err := configevent.DecodeInvocation(raw)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrMalformedEvent, err)
		}
		return h.handleRule(ctx, inv)
	case configevent.IsAPICallEvent(raw):
		call, err := configevent.DecodeAPICall(raw)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrMalformedEvent, err)
		}
		return h.handleAPICall(ctx, call)
	}
	return fmt.Errorf("%w: neither an AWS Config rule invocation (invokingEvent) nor an EventBridge %q event", ErrMalformedEvent, configevent.DetailTypeAPICall)
}

// configFor returns the configuration an invocation acts with: the
// function's, or the event's execution role when the deployment asks.
func (h *Handler) configFor(roleARN string) aws.Config {
	if !h.Settings.AssumeExecutionRole || roleARN == "" {
		return h.Config
	}
	cfg := h.Config.Copy()
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(h.Config), roleARN,
		func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "cmkguard-config-rule" }))
	return cfg
}

// evaluate runs every rule over st and applies the ignore file.
func (h *Handler) evaluate(st *state.State, p Parameters) []finding.Finding {
	fs := rule.Evaluate(st, p.Rule)
	return h.ignore.Apply(fs, h.now())
}

func (h *Handler) handleRule(ctx context.Context, inv *configevent.Invocation) error {
	params, err := ParseParameters(inv.Event.RuleParameters)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformedEvent, err)
	}
	cfg := h.configFor(inv.Event.ExecutionRoleArn)
	c := h.clients(cfg)
	var verdicts []Verdict
	var at time.Time
	if inv.MessageType == configevent.MessageScheduled {
		at = inv.NotificationTime
		verdicts, err = h.periodic(ctx, c, cfg.Region, inv, params)
	} else {
		var v Verdict
		v, at, err = h.changed(ctx, c, inv, params)
		verdicts = []Verdict{v}
	}
	if err != nil {
		return err
	}
	evals := make([]configEvaluation, len(verdicts))
	for i, v := range verdicts {
		evals[i] = configEvaluation{v, v.Evaluation(at)}
	}
	p := &Putter{Client: c.Config, PartialRetries: h.PartialRetries, Backoff: h.Backoff}
	res, putErr := p.Put(ctx, inv.Event.ResultToken, sdkEvaluations(evals))
	h.logEvaluations(inv, evals, res, putErr)
	return putErr
}

// changed evaluates the one resource of a change notification.
func (h *Handler) changed(ctx context.Context, c Clients, inv *configevent.Invocation, p Parameters) (Verdict, time.Time, error) {
	item := inv.Item
	at := item.CaptureTime
	switch {
	case inv.Event.EventLeftScope:
		return notApplicable(item.ResourceType, item.ResourceID, "the resource left the rule's scope"), at, nil
	case item.Deleted():
		return notApplicable(item.ResourceType, item.ResourceID, fmt.Sprintf("the resource was deleted (%s, recorded %s)", item.Status, at.Format(time.RFC3339))), at, nil
	case !configevent.Supported(item.ResourceType):
		return notApplicable(item.ResourceType, item.ResourceID, "cmkguard evaluates DMS replication instances, serverless configs and endpoints, not "+item.ResourceType), at, nil
	case item.ResourceType == configevent.TypeEndpoint && !p.IncludeEndpoints:
		return notApplicable(item.ResourceType, item.ResourceID, "endpoints are not evaluated (rule parameter includeEndpoints is false)"), at, nil
	case item.ResourceType == configevent.TypeReplicationConfig && !p.IncludeServerless:
		return notApplicable(item.ResourceType, item.ResourceID, "serverless configs are not evaluated (rule parameter includeServerless is false)"), at, nil
	}
	if inv.MessageType == configevent.MessageOversized {
		full, err := h.readItem(ctx, c, item)
		if err != nil {
			return Verdict{}, at, err
		}
		item = full
	}
	st, err := item.State()
	if err != nil {
		return Verdict{}, at, fmt.Errorf("%w: %w", ErrMalformedEvent, err)
	}
	account := cmpOr(inv.Event.AccountID, item.Account)
	st.Scope = p.Scope()
	if err := awslive.ResolveKeys(ctx, c.Live, account, &st, 0); err != nil {
		return Verdict{}, at, err
	}
	vs := Verdicts(h.evaluate(&st, p))
	if len(vs) == 0 {
		return notApplicable(item.ResourceType, item.ResourceID, "no cmkguard rule applies to this resource"), at, nil
	}
	// Every finding is about this one resource; Config knows it by the
	// item's type and id.
	v := vs[0]
	v.ResourceType, v.ResourceID = item.ResourceType, item.ResourceID
	return v, at, nil
}

// readItem reads an oversized item in full: the newest item recorded at
// or before the summary's capture time.
func (h *Handler) readItem(ctx context.Context, c Clients, summary *configevent.Item) (*configevent.Item, error) {
	out, err := c.Config.GetResourceConfigHistory(ctx, &configservice.GetResourceConfigHistoryInput{
		ResourceType: cstypes.ResourceType(summary.ResourceType), ResourceId: aws.String(summary.ResourceID),
		LaterTime: aws.Time(summary.CaptureTime), Limit: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("read the oversized configuration item of %s %s (config:GetResourceConfigHistory): %w", summary.ResourceType, summary.ResourceID, err)
	}
	if len(out.ConfigurationItems) == 0 {
		return nil, fmt.Errorf("config:GetResourceConfigHistory returned no item of %s %s at or before %s", summary.ResourceType, summary.ResourceID, summary.CaptureTime.Format(time.RFC3339))
	}
	it, err := configevent.ItemFromHistory(out.ConfigurationItems[0])
	if err != nil {
		return nil, err
	}
	if it.ARN == "" {
		it.ARN = summary.ARN
	}
	return it, nil
}

// configEvaluation is a verdict and the evaluation it becomes.
type configEvaluation struct {
	verdict Verdict
	eval    cstypes.Evaluation
}

func (h *Handler) logEvaluations(inv *configevent.Invocation, evals []configEvaluation, res PutResult, putErr error) {
	failed := map[string]bool{}
	for _, f := range res.Failed {
		failed[aws.ToString(f.ComplianceResourceType)+" "+aws.ToString(f.ComplianceResourceId)] = true
	}
	// Batches are put in order: those after a call that failed for good
	// were not sent.
	for i, e := range evals {
		outcome := "put"
		switch {
		case failed[e.verdict.ResourceType+" "+e.verdict.ResourceID]:
			outcome = "failed"
		case putErr != nil && i >= res.Sent:
			outcome = "not sent"
		}
		attrs := []any{
			"trigger", inv.MessageType, "rule", inv.Event.ConfigRuleName, "account", inv.Event.AccountID,
			"resourceType", e.verdict.ResourceType, "resourceId", e.verdict.ResourceID,
			"compliance", string(e.verdict.Compliance), "annotation", aws.ToString(e.eval.Annotation),
			"orderingTimestamp", aws.ToTime(e.eval.OrderingTimestamp).Format(time.RFC3339Nano), "outcome", outcome,
		}
		if e.verdict.Status != "" {
			attrs = append(attrs, "status", string(e.verdict.Status))
		}
		if outcome == "put" {
			h.log().Info("evaluation", attrs...)
		} else {
			h.log().Error("evaluation", attrs...)
		}
	}
	if putErr != nil {
		h.log().Error("put evaluations", "rule", inv.Event.ConfigRuleName, "error", putErr.Error(), "put", res.Put, "calls", res.Calls)
	}
}

func sdkEvaluations(evals []configEvaluation) []cstypes.Evaluation {
	out := make([]cstypes.Evaluation, len(evals))
	for i, e := range evals {
		out[i] = e.eval
	}
	return out
}

func cmpOr(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
