package continuous

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/cmkguard/cmkguard/adapt/awslive"
	"github.com/cmkguard/cmkguard/adapt/configevent"
	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/rule"
	"github.com/cmkguard/cmkguard/state"
)

// handleAPICall evaluates the resource a CloudTrail-recorded call acted on
// (for a KMS call: every DMS resource of the region that uses the key) and
// sends the findings to Security Hub and/or SNS.
func (h *Handler) handleAPICall(ctx context.Context, call *configevent.APICall) error {
	log := h.log().With("trigger", call.EventName, "eventId", call.EventID, "account", call.Account, "region", call.Region)
	if call.ErrorCode != "" {
		log.Info("api call failed; nothing changed, nothing to evaluate", "errorCode", call.ErrorCode)
		return nil
	}
	p := h.Settings.Parameters
	if (call.Target.Type == configevent.TypeEndpoint && !p.IncludeEndpoints) || (call.Target.Type == configevent.TypeReplicationConfig && !p.IncludeServerless) {
		log.Info("resource type not evaluated (parameters)", "resourceType", call.Target.Type)
		return nil
	}
	cfg := h.Config.Copy()
	cfg.Region = call.Region
	c := h.clients(cfg)
	st, err := h.apiCallState(ctx, c, call, p)
	if err != nil {
		return err
	}
	if len(st.Instances)+len(st.ReplicationConfigs)+len(st.Endpoints) == 0 && !regionFailed(st) {
		if call.KeyARN != "" {
			log.Info("no DMS resource of the region uses the key", "key", call.KeyARN)
		} else {
			log.Info("resource not found (deleted since the call?)", "resourceType", call.Target.Type, "resourceArn", call.Target.ARN, "resourceId", call.Target.ID)
		}
		return nil
	}
	findings := h.evaluate(&st, p)
	for _, v := range Verdicts(findings) {
		log.Info("evaluation", "resourceType", v.ResourceType, "resourceId", v.ResourceID, "status", string(v.Status),
			"compliance", string(v.Compliance), "annotation", v.Annotation)
	}
	rep := rule.NewReport(&st, findings, finding.Tool{Name: "cmkguard", Version: h.Version}, h.now())
	var errs []error
	if h.Settings.SecurityHub {
		errs = append(errs, h.toSecurityHub(ctx, c, rep, log))
	}
	if h.Settings.SNSTopicARN != "" {
		errs = append(errs, h.toSNS(ctx, c, call, rep, log))
	}
	return errors.Join(errs...)
}

// apiCallState is the state of what the call touched, keys resolved.
func (h *Handler) apiCallState(ctx context.Context, c Clients, call *configevent.APICall, p Parameters) (state.State, error) {
	if call.HasState {
		st := call.State
		st.Scope = p.Scope()
		if err := awslive.ResolveKeys(ctx, c.Live, call.Account, &st, 0); err != nil {
			return state.State{}, err
		}
		return st, nil
	}
	// The event does not describe the resource (a KMS call, or a record
	// without responseElements): list the region as the audit does and
	// keep what the call touched.
	st, err := awslive.Scan(ctx, c.Live, awslive.Options{Regions: []string{call.Region}, Scope: p.Scope()})
	if err != nil {
		return state.State{}, fmt.Errorf("%s: list %s: %w", call.EventName, call.Region, err)
	}
	keep := func(arn, id string, keys ...state.Key) bool {
		if call.KeyARN != "" {
			for _, k := range keys {
				if strings.EqualFold(k.ARN, call.KeyARN) {
					return true
				}
			}
			return false
		}
		return (call.Target.ARN != "" && arn == call.Target.ARN) || (call.Target.ARN == "" && strings.EqualFold(id, call.Target.ID))
	}
	out := state.State{Regions: st.Regions, Instances: []state.ReplicationInstance{}}
	for _, r := range st.Instances {
		if (call.KeyARN != "" || call.Target.Type == configevent.TypeInstance) && keep(r.ARN, r.ID, r.Key) {
			out.Instances = append(out.Instances, r)
		}
	}
	for _, r := range st.ReplicationConfigs {
		if (call.KeyARN != "" || call.Target.Type == configevent.TypeReplicationConfig) && keep(r.ARN, r.ID, r.Key) {
			out.ReplicationConfigs = append(out.ReplicationConfigs, r)
		}
	}
	for _, r := range st.Endpoints {
		if (call.KeyARN != "" || call.Target.Type == configevent.TypeEndpoint) && keep(r.ARN, r.ID, r.Key, r.TargetKey) {
			out.Endpoints = append(out.Endpoints, r)
		}
	}
	return out, nil
}

func regionFailed(st state.State) bool {
	for _, r := range st.Regions {
		if r.Status == state.RegionFailed {
			return true
		}
	}
	return false
}

func (h *Handler) toSecurityHub(ctx context.Context, c Clients, rep *finding.Report, log *slog.Logger) error {
	pub, err := c.SecurityHub(ctx)
	if err != nil {
		return fmt.Errorf("security hub: %w", err)
	}
	res, err := pub.Publish(ctx, rep)
	if res != nil {
		for _, pr := range append(res.Rejected, res.Skipped...) {
			log.Error("security hub finding not imported", "id", pr.ID, "resource", pr.Resource, "code", pr.Code, "message", pr.Message)
		}
		log.Info("security hub", "summary", res.Summary())
	}
	if err != nil {
		return fmt.Errorf("security hub: %w", err)
	}
	return nil
}

// snsMessage is what the topic receives: the findings that are not PASS.
type snsMessage struct {
	Source   string            `json:"source"`
	Trigger  string            `json:"trigger"`
	EventID  string            `json:"eventId,omitempty"`
	Account  string            `json:"account"`
	Region   string            `json:"region"`
	Findings []finding.Finding `json:"findings"`
}

func (h *Handler) toSNS(ctx context.Context, c Clients, call *configevent.APICall, rep *finding.Report, log *slog.Logger) error {
	msg := snsMessage{Source: "cmkguard", Trigger: call.EventName, EventID: call.EventID, Account: call.Account, Region: call.Region, Findings: []finding.Finding{}}
	for _, f := range rep.Findings {
		if f.Status != finding.StatusPass {
			msg.Findings = append(msg.Findings, f)
		}
	}
	if len(msg.Findings) == 0 {
		log.Info("sns: every finding passed; nothing published")
		return nil
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("sns: encode message: %w", err)
	}
	subject := Truncate(fmt.Sprintf("cmkguard: %d DMS finding(s) after %s in %s %s", len(msg.Findings), call.EventName, call.Account, call.Region), 100)
	subject = strings.TrimSuffix(subject, "…")
	out, err := c.SNS.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(h.Settings.SNSTopicARN), Subject: aws.String(subject), Message: aws.String(string(body))})
	if err != nil {
		return fmt.Errorf("sns: publish to %s: %w", h.Settings.SNSTopicARN, err)
	}
	log.Info("sns", "topic", h.Settings.SNSTopicARN, "messageId", aws.ToString(out.MessageId), "findings", len(msg.Findings))
	return nil
}
