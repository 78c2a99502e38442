package tfplan

import (
	"os"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/state"
)

func readPlan(t *testing.T) *Result {
	t.Helper()
	data, err := os.ReadFile("../../testdata/iac/plan/plan.json")
	if err != nil {
		t.Fatal(err)
	}
	if !Detect(data) {
		t.Fatal("Detect does not recognise a plan")
	}
	res, err := Parse("plan.json", data)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func find(res *Result, address string) (state.Key, state.Source, bool) {
	for _, i := range res.State.Instances {
		if i.Source.Address == address {
			return i.Key, i.Source, true
		}
	}
	for _, c := range res.State.ReplicationConfigs {
		if c.Source.Address == address {
			return c.Key, c.Source, true
		}
	}
	for _, e := range res.State.Endpoints {
		if e.Source.Address == address {
			return e.Key, e.Source, true
		}
	}
	return state.Key{}, state.Source{}, false
}

func TestPlanResources(t *testing.T) {
	t.Parallel()
	res := readPlan(t)
	tests := []struct {
		name, address string
		manager       state.KeyManager // "" for unresolved
		keyState      string
		reason        string
	}{
		{"a key known only after apply, referenced from an aws_kms_key, is customer-managed", "aws_dms_replication_instance.new", state.KeyManagerCustomer, "Enabled", ""},
		{"a literal key ARN the plan knows is declared customer-managed", "aws_dms_replication_instance.default", state.KeyManagerCustomer, "", ""},
		{"a module input followed to a data alias of alias/aws/dms is AWS-managed", `module.dms.aws_dms_endpoint.this["pg"]`, state.KeyManagerAWS, "Enabled", ""},
		{"alias/aws/dms in after is AWS-managed", `module.dms.aws_dms_endpoint.this["lake"]`, state.KeyManagerAWS, "Enabled", ""},
		{"a key from another resource's attribute is unknown", "aws_dms_replication_config.nightly", "", "", "aws_ssm_parameter.key.value is known only after apply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, src, ok := find(res, tt.address)
			if !ok {
				t.Fatalf("no %s", tt.address)
			}
			if src.File != "plan.json" || src.StartLine == 0 {
				t.Errorf("source %+v, want plan.json with the line of the resource change", src)
			}
			if tt.manager == "" {
				if k.Resolved || !strings.Contains(k.UnknownReason, tt.reason) {
					t.Fatalf("key %+v, want unresolved saying %q", k, tt.reason)
				}
				return
			}
			if !k.Resolved || k.Manager != tt.manager || k.State != tt.keyState {
				t.Fatalf("key %+v, want %s state %q", k, tt.manager, tt.keyState)
			}
		})
	}
}

func TestDeletedResourcesYieldNothing(t *testing.T) {
	t.Parallel()
	if _, _, ok := find(readPlan(t), "aws_dms_replication_instance.old"); ok {
		t.Fatal("a resource the plan deletes yields a finding")
	}
}

func TestPlanTargetEncryption(t *testing.T) {
	t.Parallel()
	for _, e := range readPlan(t).State.Endpoints {
		if e.Source.Address == `module.dms.aws_dms_endpoint.this["lake"]` && e.TargetEncryptionMode != "SSE_S3" {
			t.Fatalf("lake target mode %q, want SSE_S3", e.TargetEncryptionMode)
		}
		if e.Source.Address == `module.dms.aws_dms_endpoint.this["pg"]` && e.TargetEncryptionMode != "" {
			t.Fatalf("a source endpoint has a target mode %q", e.TargetEncryptionMode)
		}
	}
}

func TestMalformedPlanNamesTheLine(t *testing.T) {
	t.Parallel()
	_, err := Parse("bad.json", []byte("{\n\"format_version\": \"1.2\",\n\"resource_changes\": [,]\n}"))
	if err == nil || !strings.Contains(err.Error(), "bad.json") || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("error %v, want one naming bad.json line 3", err)
	}
}

func TestDetect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data string
		want bool
	}{
		{"a plan", `{"format_version":"1.2","planned_values":{}}`, true},
		{"a state file is not a plan", `{"format_version":"1.0","values":{}}`, false},
		{"a CloudFormation template is not a plan", `{"AWSTemplateFormatVersion":"2010-09-09","Resources":{}}`, false},
		{"YAML is not a plan", "format_version: 1\nplanned_values: {}\n", false},
	}
	for _, tt := range tests {
		if got := Detect([]byte(tt.data)); got != tt.want {
			t.Errorf("%s: Detect = %v", tt.name, got)
		}
	}
}

func FuzzParse(f *testing.F) {
	seed, _ := os.ReadFile("../../testdata/iac/plan/plan.json")
	f.Add(seed)
	f.Add([]byte(`{"format_version":"1.2","resource_changes":[{"type":"aws_dms_endpoint","mode":"managed","change":{"actions":["create"],"after":{"s3_settings":[1]},"after_unknown":{"s3_settings":true}}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if Detect(data) {
			_, _ = Parse("fuzz.json", data)
		}
	})
}
