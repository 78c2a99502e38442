package configevent

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	cstypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"

	"github.com/cmkguard/cmkguard/keyref"
	"github.com/cmkguard/cmkguard/state"
)

// Message types of a Config rule's invoking event.
const (
	MessageChange    = "ConfigurationItemChangeNotification"
	MessageOversized = "OversizedConfigurationItemChangeNotification"
	MessageScheduled = "ScheduledNotification"
)

// Config resource types cmkguard evaluates. AWS Config records
// AWS::DMS::Endpoint; replication instances and serverless configs are not
// among the types it records (its API's ResourceType enum), so they are
// evaluated by the periodic run and by the CloudTrail events, under these
// names.
const (
	TypeInstance          = "AWS::DMS::ReplicationInstance"
	TypeEndpoint          = "AWS::DMS::Endpoint"
	TypeReplicationConfig = "AWS::DMS::ReplicationConfig"
	// TypeAccount is the resource type of an evaluation about the account
	// as a whole (a region that could not be listed).
	TypeAccount = "AWS::::Account"
)

// Configuration item statuses that mean the resource is gone.
const (
	StatusDeleted            = "ResourceDeleted"
	StatusDeletedNotRecorded = "ResourceDeletedNotRecorded"
)

// Invocation is one invocation of the Config rule.
type Invocation struct {
	// Event is the event's outer fields as Config sends them.
	Event events.ConfigEvent
	// MessageType is the invoking event's messageType.
	MessageType string
	// NotificationTime is the invoking event's notificationCreationTime
	// (zero when absent): the OrderingTimestamp of a periodic evaluation.
	NotificationTime time.Time
	// Item is the configuration item of a change notification, or the
	// summary of an oversized one (then Item.Configuration is nil and the
	// item must be read with GetResourceConfigHistory). Nil for a periodic
	// notification.
	Item *Item
}

// Item is a configuration item: one recorded state of one resource.
type Item struct {
	ResourceType string
	ResourceID   string
	ResourceName string
	ARN          string
	Account      string
	Region       string
	// Status is the configurationItemStatus (OK, ResourceDiscovered,
	// ResourceNotRecorded, ResourceDeleted, ResourceDeletedNotRecorded).
	Status string
	// CaptureTime is configurationItemCaptureTime: the OrderingTimestamp
	// of the evaluation it triggers.
	CaptureTime time.Time
	// Configuration is the resource's configuration document; nil for an
	// oversized item's summary.
	Configuration json.RawMessage
}

// Deleted reports whether the item records the resource's deletion.
func (it *Item) Deleted() bool {
	return it.Status == StatusDeleted || it.Status == StatusDeletedNotRecorded
}

// invokingEvent is the JSON document in the event's invokingEvent string.
type invokingEvent struct {
	MessageType              string     `json:"messageType"`
	NotificationCreationTime string     `json:"notificationCreationTime"`
	ConfigurationItem        *eventItem `json:"configurationItem"`
	ConfigurationItemSummary *eventItem `json:"configurationItemSummary"`
}

// eventItem is a configuration item as an invoking event writes it (ARN
// and awsAccountId, where the API says arn and accountId; encoding/json
// matches either spelling).
type eventItem struct {
	ResourceType                 string          `json:"resourceType"`
	ResourceID                   string          `json:"resourceId"`
	ResourceName                 *string         `json:"resourceName"`
	ARN                          string          `json:"ARN"`
	AWSAccountID                 string          `json:"awsAccountId"`
	AWSRegion                    string          `json:"awsRegion"`
	ConfigurationItemStatus      string          `json:"configurationItemStatus"`
	ConfigurationItemCaptureTime string          `json:"configurationItemCaptureTime"`
	Configuration                json.RawMessage `json:"configuration"`
}

// IsConfigRuleEvent reports whether raw looks like a Config rule event
// (it has invokingEvent), as opposed to an EventBridge event.
func IsConfigRuleEvent(raw []byte) bool {
	var probe struct {
		InvokingEvent *string `json:"invokingEvent"`
		DetailType    *string `json:"detail-type"`
	}
	return json.Unmarshal(raw, &probe) == nil && probe.InvokingEvent != nil && probe.DetailType == nil
}

// DecodeInvocation reads a Config rule event. Every field the function
// needs is checked; a missing or malformed one is an error naming it.
func DecodeInvocation(raw []byte) (*Invocation, error) {
	var ev events.ConfigEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("config rule event: not the JSON AWS Config sends: %w", err)
	}
	switch {
	case strings.TrimSpace(ev.ResultToken) == "":
		return nil, errors.New("config rule event: no resultToken (AWS Config always sends one; without it no evaluation can be reported)")
	case strings.TrimSpace(ev.ConfigRuleName) == "":
		return nil, errors.New("config rule event: no configRuleName")
	case strings.TrimSpace(ev.InvokingEvent) == "":
		return nil, errors.New("config rule event: no invokingEvent")
	}
	var ie invokingEvent
	if err := json.Unmarshal([]byte(ev.InvokingEvent), &ie); err != nil {
		return nil, fmt.Errorf("config rule event: invokingEvent is not a JSON document: %w", err)
	}
	inv := &Invocation{Event: ev, MessageType: ie.MessageType}
	if ie.NotificationCreationTime != "" {
		t, err := time.Parse(time.RFC3339Nano, ie.NotificationCreationTime)
		if err != nil {
			return nil, fmt.Errorf("config rule event: notificationCreationTime %q is not an RFC 3339 time", ie.NotificationCreationTime)
		}
		inv.NotificationTime = t.UTC()
	}
	switch ie.MessageType {
	case MessageScheduled:
		if inv.NotificationTime.IsZero() {
			return nil, errors.New("config rule event: a ScheduledNotification without notificationCreationTime (the time its evaluations are ordered by)")
		}
	case MessageChange:
		it, err := ie.ConfigurationItem.item("configurationItem", true)
		if err != nil {
			return nil, err
		}
		inv.Item = it
	case MessageOversized:
		it, err := ie.ConfigurationItemSummary.item("configurationItemSummary", false)
		if err != nil {
			return nil, err
		}
		inv.Item = it
	case "":
		return nil, errors.New("config rule event: invokingEvent has no messageType")
	default:
		return nil, fmt.Errorf("config rule event: messageType %q is not one this rule handles (%s, %s, %s)", ie.MessageType, MessageChange, MessageOversized, MessageScheduled)
	}
	return inv, nil
}

func (e *eventItem) item(field string, withConfiguration bool) (*Item, error) {
	if e == nil {
		return nil, fmt.Errorf("config rule event: no %s", field)
	}
	for name, v := range map[string]string{"resourceType": e.ResourceType, "resourceId": e.ResourceID, "configurationItemCaptureTime": e.ConfigurationItemCaptureTime} {
		if v == "" {
			return nil, fmt.Errorf("config rule event: %s has no %s", field, name)
		}
	}
	t, err := time.Parse(time.RFC3339Nano, e.ConfigurationItemCaptureTime)
	if err != nil {
		return nil, fmt.Errorf("config rule event: %s.configurationItemCaptureTime %q is not an RFC 3339 time", field, e.ConfigurationItemCaptureTime)
	}
	it := &Item{
		ResourceType: e.ResourceType, ResourceID: e.ResourceID, ResourceName: aws.ToString(e.ResourceName), ARN: e.ARN,
		Account: e.AWSAccountID, Region: e.AWSRegion, Status: e.ConfigurationItemStatus, CaptureTime: t.UTC(),
	}
	if withConfiguration {
		it.Configuration = e.Configuration
	}
	return it, nil
}

// ItemFromHistory turns an item GetResourceConfigHistory returned (an
// oversized item, read in full) into an Item.
func ItemFromHistory(ci cstypes.ConfigurationItem) (*Item, error) {
	it := &Item{
		ResourceType: string(ci.ResourceType), ResourceID: aws.ToString(ci.ResourceId), ResourceName: aws.ToString(ci.ResourceName),
		ARN: aws.ToString(ci.Arn), Account: aws.ToString(ci.AccountId), Region: aws.ToString(ci.AwsRegion),
		Status: string(ci.ConfigurationItemStatus), CaptureTime: aws.ToTime(ci.ConfigurationItemCaptureTime).UTC(),
	}
	if conf := aws.ToString(ci.Configuration); conf != "" {
		if !json.Valid([]byte(conf)) {
			return nil, fmt.Errorf("configuration item of %s %s: its configuration is not a JSON document", it.ResourceType, it.ResourceID)
		}
		it.Configuration = json.RawMessage(conf)
	}
	return it, nil
}

// Supported reports whether cmkguard evaluates resources of this type.
func Supported(resourceType string) bool {
	switch resourceType {
	case TypeInstance, TypeEndpoint, TypeReplicationConfig:
		return true
	}
	return false
}

// dmsConfiguration is the configuration of a DMS resource's item: the
// resource's CloudFormation properties (KmsKeyId, EndpointType, ...). The
// API's own member names (kmsKeyId, ...) match too.
type dmsConfiguration struct {
	KmsKeyID                      string          `json:"KmsKeyId"`
	ReplicationInstanceIdentifier string          `json:"ReplicationInstanceIdentifier"`
	ReplicationInstanceClass      string          `json:"ReplicationInstanceClass"`
	ReplicationInstanceStatus     string          `json:"ReplicationInstanceStatus"`
	EndpointIdentifier            string          `json:"EndpointIdentifier"`
	EndpointType                  string          `json:"EndpointType"`
	EngineName                    string          `json:"EngineName"`
	S3Settings                    *targetSettings `json:"S3Settings"`
	RedshiftSettings              *targetSettings `json:"RedshiftSettings"`
	ReplicationConfigIdentifier   string          `json:"ReplicationConfigIdentifier"`
	ComputeConfig                 *struct {
		KmsKeyID string `json:"KmsKeyId"`
	} `json:"ComputeConfig"`
}

type targetSettings struct {
	EncryptionMode               string `json:"EncryptionMode"`
	ServerSideEncryptionKmsKeyID string `json:"ServerSideEncryptionKmsKeyId"`
}

// State returns the state holding the item's one resource, its key
// reference as recorded and its key not yet resolved.
func (it *Item) State() (state.State, error) {
	if !Supported(it.ResourceType) {
		return state.State{}, fmt.Errorf("configuration item: resource type %s is not one cmkguard evaluates", it.ResourceType)
	}
	if it.Configuration == nil || string(it.Configuration) == "null" {
		return state.State{}, fmt.Errorf("configuration item of %s %s carries no configuration", it.ResourceType, it.ResourceID)
	}
	var conf dmsConfiguration
	if err := json.Unmarshal(it.Configuration, &conf); err != nil {
		return state.State{}, fmt.Errorf("configuration item of %s %s: configuration is not the resource's properties: %w", it.ResourceType, it.ResourceID, err)
	}
	if it.ARN == "" {
		return state.State{}, fmt.Errorf("configuration item of %s %s has no ARN", it.ResourceType, it.ResourceID)
	}
	account := it.Account
	if a := keyref.AccountOfARN(it.ARN); a != "" {
		account = a
	}
	if account == "" || it.Region == "" {
		return state.State{}, fmt.Errorf("configuration item of %s %s names no account or region", it.ResourceType, it.ResourceID)
	}
	src := state.Source{ARN: it.ARN}
	st := state.State{Instances: []state.ReplicationInstance{}}
	switch it.ResourceType {
	case TypeInstance:
		st.Instances = append(st.Instances, state.ReplicationInstance{
			Source: src, ARN: it.ARN, ID: firstOf(conf.ReplicationInstanceIdentifier, it.ResourceName, it.ResourceID),
			Account: account, Region: it.Region, Status: conf.ReplicationInstanceStatus, Class: conf.ReplicationInstanceClass,
			KeyRef: strings.TrimSpace(conf.KmsKeyID),
		})
	case TypeEndpoint:
		st.Endpoints = append(st.Endpoints, endpointState(src, firstOf(conf.EndpointIdentifier, it.ResourceName, it.ResourceID), account, it.Region, &conf))
	case TypeReplicationConfig:
		rc := state.ReplicationConfig{Source: src, ARN: it.ARN, ID: firstOf(conf.ReplicationConfigIdentifier, it.ResourceName, it.ResourceID),
			Account: account, Region: it.Region}
		if conf.ComputeConfig != nil {
			rc.KeyRef = strings.TrimSpace(conf.ComputeConfig.KmsKeyID)
		}
		st.ReplicationConfigs = append(st.ReplicationConfigs, rc)
	}
	return st, nil
}

func endpointState(src state.Source, id, account, region string, conf *dmsConfiguration) state.Endpoint {
	e := state.Endpoint{Source: src, ARN: src.ARN, ID: id, Account: account, Region: region,
		EndpointType: strings.ToLower(conf.EndpointType), EngineName: conf.EngineName, KeyRef: strings.TrimSpace(conf.KmsKeyID)}
	settings := conf.S3Settings
	if settings == nil {
		settings = conf.RedshiftSettings
	}
	if settings != nil {
		// CloudFormation spells the modes SSE_S3 / SSE_KMS, the API
		// sse-s3 / sse-kms; the state, SSE_S3 and SSE_KMS.
		e.TargetEncryptionMode = strings.ReplaceAll(strings.ToUpper(settings.EncryptionMode), "-", "_")
		if e.TargetEncryptionMode == "SSE_KMS" {
			e.TargetKeyRef = strings.TrimSpace(settings.ServerSideEncryptionKmsKeyID)
		}
	}
	return e
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
