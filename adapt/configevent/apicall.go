package configevent

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cmkguard/cmkguard/keyref"
	"github.com/cmkguard/cmkguard/state"
)

// DetailTypeAPICall is the detail-type of EventBridge events for API calls
// CloudTrail records.
const DetailTypeAPICall = "AWS API Call via CloudTrail"

// APICallNames are the CloudTrail events the function acts on, by event
// source: each one can create a resource on the default key, or make a
// customer key unusable.
var APICallNames = map[string][]string{
	"dms.amazonaws.com": {"CreateReplicationInstance", "ModifyReplicationInstance", "CreateEndpoint", "ModifyEndpoint",
		"CreateReplicationConfig", "ModifyReplicationConfig"},
	"kms.amazonaws.com": {"DisableKey", "ScheduleKeyDeletion"},
}

// APICall is one CloudTrail-recorded API call, as EventBridge delivers it.
type APICall struct {
	EventID     string
	EventName   string
	EventSource string
	Account     string
	Region      string
	Time        time.Time
	// ErrorCode is set when the call failed: it changed nothing.
	ErrorCode string
	// Target names the DMS resource a DMS call acted on: its resource type
	// (TypeInstance, TypeEndpoint, TypeReplicationConfig), and its ARN or
	// identifier as the event gives them.
	Target Target
	// State holds that resource as the call's responseElements describe
	// it, when they do (HasState); its key is not yet resolved.
	State    state.State
	HasState bool
	// KeyARN is the key a KMS call acted on.
	KeyARN string
}

// Target names the resource a DMS API call acted on.
type Target struct {
	Type string
	ARN  string
	ID   string
}

// cloudTrailDetail is the detail of an "AWS API Call via CloudTrail" event:
// the CloudTrail record.
type cloudTrailDetail struct {
	EventTime          string          `json:"eventTime"`
	EventSource        string          `json:"eventSource"`
	EventName          string          `json:"eventName"`
	AWSRegion          string          `json:"awsRegion"`
	EventID            string          `json:"eventID"`
	RecipientAccountID string          `json:"recipientAccountId"`
	ErrorCode          string          `json:"errorCode"`
	RequestParameters  json.RawMessage `json:"requestParameters"`
	ResponseElements   json.RawMessage `json:"responseElements"`
	Resources          []struct {
		ARN       string `json:"ARN"`
		AccountID string `json:"accountId"`
		Type      string `json:"type"`
	} `json:"resources"`
}

// dmsRecord holds the members of DMS's requests and responses the function
// reads. CloudTrail writes them with a lower-case first letter
// (replicationInstanceArn); encoding/json also matches the API's spelling.
type dmsRecord struct {
	ReplicationInstance *dmsResource `json:"replicationInstance"`
	Endpoint            *dmsResource `json:"endpoint"`
	ReplicationConfig   *dmsResource `json:"replicationConfig"`

	ReplicationInstanceIdentifier string `json:"replicationInstanceIdentifier"`
	ReplicationInstanceArn        string `json:"replicationInstanceArn"`
	EndpointIdentifier            string `json:"endpointIdentifier"`
	EndpointArn                   string `json:"endpointArn"`
	ReplicationConfigIdentifier   string `json:"replicationConfigIdentifier"`
	ReplicationConfigArn          string `json:"replicationConfigArn"`
	KeyID                         string `json:"keyId"`
}

type dmsResource struct {
	ReplicationInstanceIdentifier string          `json:"replicationInstanceIdentifier"`
	ReplicationInstanceArn        string          `json:"replicationInstanceArn"`
	ReplicationInstanceClass      string          `json:"replicationInstanceClass"`
	ReplicationInstanceStatus     string          `json:"replicationInstanceStatus"`
	EndpointIdentifier            string          `json:"endpointIdentifier"`
	EndpointArn                   string          `json:"endpointArn"`
	EndpointType                  string          `json:"endpointType"`
	EngineName                    string          `json:"engineName"`
	S3Settings                    *targetSettings `json:"s3Settings"`
	RedshiftSettings              *targetSettings `json:"redshiftSettings"`
	ReplicationConfigIdentifier   string          `json:"replicationConfigIdentifier"`
	ReplicationConfigArn          string          `json:"replicationConfigArn"`
	ComputeConfig                 *struct {
		KmsKeyID string `json:"kmsKeyId"`
	} `json:"computeConfig"`
	KmsKeyID string `json:"kmsKeyId"`
}

// IsAPICallEvent reports whether raw is an EventBridge event for a
// CloudTrail-recorded API call.
func IsAPICallEvent(raw []byte) bool {
	var probe struct {
		DetailType string `json:"detail-type"`
	}
	return json.Unmarshal(raw, &probe) == nil && probe.DetailType == DetailTypeAPICall
}

// DecodeAPICall reads an EventBridge event for one of APICallNames.
func DecodeAPICall(raw []byte) (*APICall, error) {
	var ev events.CloudWatchEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("EventBridge event: not the JSON EventBridge sends: %w", err)
	}
	if ev.DetailType != DetailTypeAPICall {
		return nil, fmt.Errorf("EventBridge event: detail-type %q is not %q", ev.DetailType, DetailTypeAPICall)
	}
	var d cloudTrailDetail
	if len(ev.Detail) == 0 || json.Unmarshal(ev.Detail, &d) != nil {
		return nil, errors.New("EventBridge event: detail is not a CloudTrail record")
	}
	if !supportedCall(d.EventSource, d.EventName) {
		return nil, fmt.Errorf("EventBridge event: %s %s is not an API call this function evaluates", d.EventSource, d.EventName)
	}
	call := &APICall{EventID: d.EventID, EventName: d.EventName, EventSource: d.EventSource, ErrorCode: d.ErrorCode,
		Account: firstOf(d.RecipientAccountID, ev.AccountID), Region: firstOf(d.AWSRegion, ev.Region)}
	if call.Account == "" || call.Region == "" {
		return nil, fmt.Errorf("EventBridge event: %s names no account or region", d.EventName)
	}
	call.Time = ev.Time.UTC()
	if t, err := time.Parse(time.RFC3339Nano, d.EventTime); err == nil {
		call.Time = t.UTC()
	}
	if call.ErrorCode != "" {
		return call, nil
	}
	var req, resp dmsRecord
	if len(d.RequestParameters) > 0 && string(d.RequestParameters) != "null" {
		if err := json.Unmarshal(d.RequestParameters, &req); err != nil {
			return nil, fmt.Errorf("EventBridge event: %s requestParameters: %w", d.EventName, err)
		}
	}
	if len(d.ResponseElements) > 0 && string(d.ResponseElements) != "null" {
		if err := json.Unmarshal(d.ResponseElements, &resp); err != nil {
			return nil, fmt.Errorf("EventBridge event: %s responseElements: %w", d.EventName, err)
		}
	}
	if d.EventSource == "kms.amazonaws.com" {
		return call, call.keyFrom(d, req)
	}
	call.dmsTarget(req, resp)
	if call.Target.ARN == "" && call.Target.ID == "" {
		return nil, fmt.Errorf("EventBridge event: %s names no resource (no ARN or identifier in requestParameters or responseElements)", d.EventName)
	}
	return call, nil
}

func supportedCall(source, name string) bool {
	for _, n := range APICallNames[source] {
		if n == name {
			return true
		}
	}
	return false
}

// keyFrom finds the key of a KMS call: the event's resources list it by
// ARN; otherwise requestParameters.keyId (a key id or ARN) does.
func (c *APICall) keyFrom(d cloudTrailDetail, req dmsRecord) error {
	for _, r := range d.Resources {
		if r.Type == "AWS::KMS::Key" && strings.HasPrefix(r.ARN, "arn:") {
			c.KeyARN = r.ARN
			return nil
		}
	}
	if req.KeyID == "" {
		return fmt.Errorf("EventBridge event: %s names no key (no resources entry, no requestParameters.keyId)", c.EventName)
	}
	ref := keyref.Parse(req.KeyID, c.Account, c.Region)
	if ref.ARN == "" || ref.Malformed != "" {
		return fmt.Errorf("EventBridge event: %s keyId %q does not name a key", c.EventName, req.KeyID)
	}
	c.KeyARN = ref.ARN
	return nil
}

// dmsTarget finds the resource a DMS call acted on and, when the
// response describes it, its state.
func (c *APICall) dmsTarget(req, resp dmsRecord) {
	src := func(arn string) state.Source { return state.Source{ARN: arn} }
	account := func(arn string) string { return firstOf(keyref.AccountOfARN(arn), c.Account) }
	switch {
	case strings.HasSuffix(c.EventName, "ReplicationInstance"):
		c.Target = Target{Type: TypeInstance, ARN: req.ReplicationInstanceArn, ID: req.ReplicationInstanceIdentifier}
		if r := resp.ReplicationInstance; r != nil && r.ReplicationInstanceArn != "" {
			c.Target.ARN, c.HasState = r.ReplicationInstanceArn, true
			c.State = state.State{Instances: []state.ReplicationInstance{{
				Source: src(r.ReplicationInstanceArn), ARN: r.ReplicationInstanceArn, ID: r.ReplicationInstanceIdentifier,
				Account: account(r.ReplicationInstanceArn), Region: c.Region, Status: r.ReplicationInstanceStatus,
				Class: r.ReplicationInstanceClass, KeyRef: strings.TrimSpace(r.KmsKeyID),
			}}}
		}
	case strings.HasSuffix(c.EventName, "Endpoint"):
		c.Target = Target{Type: TypeEndpoint, ARN: req.EndpointArn, ID: req.EndpointIdentifier}
		if r := resp.Endpoint; r != nil && r.EndpointArn != "" {
			c.Target.ARN, c.HasState = r.EndpointArn, true
			conf := dmsConfiguration{KmsKeyID: r.KmsKeyID, EndpointType: r.EndpointType, EngineName: r.EngineName,
				S3Settings: r.S3Settings, RedshiftSettings: r.RedshiftSettings}
			c.State = state.State{Instances: []state.ReplicationInstance{},
				Endpoints: []state.Endpoint{endpointState(src(r.EndpointArn), r.EndpointIdentifier, account(r.EndpointArn), c.Region, &conf)}}
		}
	default: // Create/ModifyReplicationConfig
		c.Target = Target{Type: TypeReplicationConfig, ARN: req.ReplicationConfigArn, ID: req.ReplicationConfigIdentifier}
		if r := resp.ReplicationConfig; r != nil && r.ReplicationConfigArn != "" {
			c.Target.ARN, c.HasState = r.ReplicationConfigArn, true
			rc := state.ReplicationConfig{Source: src(r.ReplicationConfigArn), ARN: r.ReplicationConfigArn, ID: r.ReplicationConfigIdentifier,
				Account: account(r.ReplicationConfigArn), Region: c.Region}
			if r.ComputeConfig != nil {
				rc.KeyRef = strings.TrimSpace(r.ComputeConfig.KmsKeyID)
			}
			c.State = state.State{Instances: []state.ReplicationInstance{}, ReplicationConfigs: []state.ReplicationConfig{rc}}
		}
	}
}
