package configevent_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/adapt/configevent"
	"github.com/cmkguard/cmkguard/state"
)

const key = "arn:aws:kms:eu-west-1:111122223333:key/1111aaaa-0000-4000-8000-000000000001"

func ruleEvent(t *testing.T, invoking map[string]any) []byte {
	t.Helper()
	ie, _ := json.Marshal(invoking)
	b, _ := json.Marshal(map[string]any{"invokingEvent": string(ie), "resultToken": "tok", "configRuleName": "r", "accountId": "111122223333", "ruleParameters": "{}"})
	return b
}

func item(typ, arn string, conf any) map[string]any {
	return map[string]any{"configurationItem": map[string]any{"resourceType": typ, "resourceId": "ID1", "ARN": arn, "awsAccountId": "111122223333",
		"awsRegion": "eu-west-1", "configurationItemStatus": "OK", "configurationItemCaptureTime": "2026-12-01T09:00:00.000Z", "configuration": conf},
		"messageType": configevent.MessageChange, "notificationCreationTime": "2026-12-01T09:00:01.000Z"}
}

func TestItemStateCarriesTheKeyReference(t *testing.T) {
	tests := []struct {
		name string
		ev   map[string]any
		want state.State
	}{
		{"an endpoint with an S3 target on SSE-KMS (CloudFormation spelling)",
			item("AWS::DMS::Endpoint", "arn:aws:dms:eu-west-1:111122223333:endpoint:EP1", map[string]any{"EndpointIdentifier": "ep1", "EndpointType": "target", "EngineName": "s3",
				"KmsKeyId": key, "S3Settings": map[string]any{"EncryptionMode": "SSE_KMS", "ServerSideEncryptionKmsKeyId": key}}),
			state.State{Instances: []state.ReplicationInstance{}, Endpoints: []state.Endpoint{{Source: state.Source{ARN: "arn:aws:dms:eu-west-1:111122223333:endpoint:EP1"},
				ARN: "arn:aws:dms:eu-west-1:111122223333:endpoint:EP1", ID: "ep1", Account: "111122223333", Region: "eu-west-1", EndpointType: "target", EngineName: "s3",
				KeyRef: key, TargetEncryptionMode: "SSE_KMS", TargetKeyRef: key}}}},
		{"an instance (API spelling)",
			item("AWS::DMS::ReplicationInstance", "arn:aws:dms:eu-west-1:111122223333:rep:RI1", map[string]any{"replicationInstanceIdentifier": "ri1", "kmsKeyId": key}),
			state.State{Instances: []state.ReplicationInstance{{Source: state.Source{ARN: "arn:aws:dms:eu-west-1:111122223333:rep:RI1"},
				ARN: "arn:aws:dms:eu-west-1:111122223333:rep:RI1", ID: "ri1", Account: "111122223333", Region: "eu-west-1", KeyRef: key}}}},
		{"a serverless config naming no key",
			item("AWS::DMS::ReplicationConfig", "arn:aws:dms:eu-west-1:111122223333:replication-config:RC1", map[string]any{"ReplicationConfigIdentifier": "rc1", "ComputeConfig": map[string]any{}}),
			state.State{Instances: []state.ReplicationInstance{}, ReplicationConfigs: []state.ReplicationConfig{{Source: state.Source{ARN: "arn:aws:dms:eu-west-1:111122223333:replication-config:RC1"},
				ARN: "arn:aws:dms:eu-west-1:111122223333:replication-config:RC1", ID: "rc1", Account: "111122223333", Region: "eu-west-1"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := configevent.DecodeInvocation(ruleEvent(t, tt.ev))
			if err != nil {
				t.Fatal(err)
			}
			got, err := inv.Item.State()
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("state (-want +got):\n%s", d)
			}
		})
	}
}

func TestItemStateRefusesWhatItCannotRead(t *testing.T) {
	tests := []struct {
		name string
		ev   map[string]any
		want string
	}{
		{"a type cmkguard does not evaluate", item("AWS::S3::Bucket", "arn:aws:s3:::b", map[string]any{}), "not one cmkguard evaluates"},
		{"no configuration", item("AWS::DMS::Endpoint", "arn:aws:dms:eu-west-1:111122223333:endpoint:EP1", nil), "carries no configuration"},
		{"a configuration that is not an object", item("AWS::DMS::Endpoint", "arn:aws:dms:eu-west-1:111122223333:endpoint:EP1", "text"), "not the resource's properties"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := configevent.DecodeInvocation(ruleEvent(t, tt.ev))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := inv.Item.State(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestDecodeAPICall(t *testing.T) {
	ev := func(source, name string, detail map[string]any) []byte {
		detail["eventSource"], detail["eventName"], detail["awsRegion"], detail["recipientAccountId"] = source, name, "eu-west-1", "111122223333"
		b, _ := json.Marshal(map[string]any{"detail-type": configevent.DetailTypeAPICall, "source": "aws.dms", "account": "111122223333", "region": "eu-west-1",
			"time": "2026-12-01T13:05:00Z", "detail": detail})
		return b
	}
	t.Run("a response in the API's own spelling", func(t *testing.T) {
		c, err := configevent.DecodeAPICall(ev("dms.amazonaws.com", "CreateReplicationInstance", map[string]any{
			"responseElements": map[string]any{"ReplicationInstance": map[string]any{"ReplicationInstanceArn": "arn:aws:dms:eu-west-1:111122223333:rep:X", "KmsKeyId": key}}}))
		if err != nil || !c.HasState || c.State.Instances[0].KeyRef != key || c.Target.Type != configevent.TypeInstance {
			t.Fatalf("call = %+v, %v", c, err)
		}
	})
	t.Run("a KMS call naming a key by alias is refused", func(t *testing.T) {
		_, err := configevent.DecodeAPICall(ev("kms.amazonaws.com", "DisableKey", map[string]any{"requestParameters": map[string]any{"keyId": "alias/data"}}))
		if err == nil || !strings.Contains(err.Error(), "does not name a key") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a DMS call naming no resource is refused", func(t *testing.T) {
		_, err := configevent.DecodeAPICall(ev("dms.amazonaws.com", "ModifyEndpoint", map[string]any{"requestParameters": map[string]any{}}))
		if err == nil || !strings.Contains(err.Error(), "names no resource") {
			t.Fatalf("err = %v", err)
		}
	})
}
