package cloudformation_test

import (
	"testing"

	"github.com/cmkguard/cmkguard/adapt/cloudformation"
	"github.com/cmkguard/cmkguard/state"
)

// TestInstanceProfiles: AWS::DMS::InstanceProfile's KmsKeyArn, configured
// and by default (absent: an AWS owned key, recorded as no key, as the
// live adapter records it), with the line of the deciding attribute.
func TestInstanceProfiles(t *testing.T) {
	t.Parallel()
	const doc = `AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  ProfileKey:
    Type: String
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy: {}
  Defaults:
    Type: AWS::DMS::InstanceProfile
    Properties:
      InstanceProfileName: defaults
  Configured:
    Type: AWS::DMS::InstanceProfile
    Properties:
      KmsKeyArn: !GetAtt Key.Arn
  Managed:
    Type: AWS::DMS::InstanceProfile
    Properties:
      KmsKeyArn: !Sub arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/aws/dms
  FromParameter:
    Type: AWS::DMS::InstanceProfile
    Properties:
      KmsKeyArn: !Ref ProfileKey
`
	st, err := cloudformation.Parse("profiles.yaml", []byte(doc), cloudformation.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]state.InstanceProfile{}
	for _, p := range st.InstanceProfiles {
		got[p.ID] = p
	}
	tests := []struct {
		id        string
		keyRef    string
		manager   state.KeyManager
		resolved  bool
		startLine int
	}{
		{"Defaults", "", state.KeyManagerUnknown, false, 10},
		{"Configured", "!GetAtt Key.Arn", state.KeyManagerCustomer, true, 17},
		{"Managed", "", state.KeyManagerAWS, true, 21},
		{"FromParameter", "", state.KeyManagerUnknown, false, 25},
	}
	if len(got) != len(tests) {
		t.Fatalf("%d instance profiles, want %d: %+v", len(got), len(tests), st.InstanceProfiles)
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			p, ok := got[tt.id]
			if !ok {
				t.Fatalf("no instance profile %s", tt.id)
			}
			if tt.keyRef != "" && p.KeyRef != tt.keyRef {
				t.Errorf("KeyRef = %q, want %q", p.KeyRef, tt.keyRef)
			}
			if tt.id == "Defaults" && p.KeyRef != "" {
				t.Errorf("an absent KmsKeyArn gives KeyRef %q, want none (an AWS owned key)", p.KeyRef)
			}
			if p.Key.Manager != tt.manager || p.Key.Resolved != tt.resolved {
				t.Errorf("key = %+v, want manager %q resolved %v", p.Key, tt.manager, tt.resolved)
			}
			if p.Source.StartLine != tt.startLine || p.Source.Address != tt.id || p.Source.File != "profiles.yaml" {
				t.Errorf("source = %+v, want line %d of profiles.yaml, address %s", p.Source, tt.startLine, tt.id)
			}
			if tt.id == "FromParameter" && p.Key.UnknownReason == "" {
				t.Errorf("a parameter without a value says nothing about why the key is unknown")
			}
		})
	}
}
