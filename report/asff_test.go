package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/finding"
)

// fixtureASFF is the ASFF writer as the golden files use it: findings from
// infrastructure as code name no account, so a default is set.
func fixtureASFF() *ASFF { return &ASFF{Account: "111111111111"} }

func TestASFFMatchesGoldenFiles(t *testing.T) {
	t.Parallel()
	for _, tc := range fixtureCases() {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := fixtureASFF().Write(&buf, tc.report); err != nil {
				t.Fatal(err)
			}
			compareWithGolden(t, tc.name+".asff.json", buf.Bytes())
		})
	}
}

type asffDecoded struct {
	Findings []ASFFFinding `json:"Findings"`
}

func decodeASFF(t *testing.T, a *ASFF, r *finding.Report) []ASFFFinding {
	t.Helper()
	var buf bytes.Buffer
	if err := a.Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc asffDecoded
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("ASFF output is not JSON: %v", err)
	}
	return doc.Findings
}

func TestASFFMapsVerdictsToComplianceSeverityAndWorkflow(t *testing.T) {
	t.Parallel()
	r := fixtureEveryVerdict()
	got := decodeASFF(t, fixtureASFF(), r)
	if len(got) != len(r.Findings) {
		t.Fatalf("got %d findings, want %d", len(got), len(r.Findings))
	}
	type verdict struct{ Status, Compliance, Label, Workflow string }
	var gotV, wantV []verdict
	for i, f := range r.Findings {
		gotV = append(gotV, verdict{string(f.Status), got[i].Compliance.Status, got[i].Severity.Label, got[i].Workflow.Status})
		var w verdict
		switch f.Status {
		case finding.StatusPass:
			w = verdict{"PASS", "PASSED", "INFORMATIONAL", "RESOLVED"}
		case finding.StatusFail:
			w = verdict{"FAIL", "FAILED", strings.ToUpper(string(f.Severity)), "NEW"}
		case finding.StatusUnknown:
			w = verdict{"UNKNOWN", "NOT_AVAILABLE", strings.ToUpper(string(f.Severity)), "NEW"}
		case finding.StatusSuppressed:
			w = verdict{"SUPPRESSED", "FAILED", strings.ToUpper(string(f.Severity)), "SUPPRESSED"}
		}
		wantV = append(wantV, w)
	}
	if diff := cmp.Diff(wantV, gotV); diff != "" {
		t.Errorf("verdict mapping (-want +got):\n%s", diff)
	}
}

func TestASFFDescribesTheDMSInstanceAndItsKey(t *testing.T) {
	t.Parallel()
	r := fixtureEveryVerdict()
	got := decodeASFF(t, fixtureASFF(), r)[4] // the aws/dms FAIL
	want := ASFFResource{
		Type: "AwsDmsReplicationInstance", ID: "arn:aws:dms:us-east-1:111111111111:rep:orders-replica",
		Partition: "aws", Region: "us-east-1",
		Details: ASFFResourceDetails{AwsDmsReplicationInstance: &ASFFDmsReplicationInstance{
			KmsKeyID:                      "arn:aws:kms:us-east-1:111111111111:key/0f0e0d0c-aaaa-bbbb-cccc-000000000001",
			ReplicationInstanceIdentifier: "orders-replica",
		}},
	}
	if diff := cmp.Diff([]ASFFResource{want}, got.Resources); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	if want := "arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default"; got.ProductArn != want {
		t.Errorf("ProductArn = %s, want %s", got.ProductArn, want)
	}
	if got.GeneratorID != "CMKG-DMS-001" || got.Types[0] != ASFFType {
		t.Errorf("GeneratorId %q, Types %q", got.GeneratorID, got.Types)
	}
}

func TestASFFPublisherSettingsPinProductRegionAndAccount(t *testing.T) {
	t.Parallel()
	got := decodeASFF(t, &ASFF{Region: "eu-central-1", Account: "222222222222"}, fixtureEveryVerdict())
	for _, af := range got {
		if want := "arn:aws:securityhub:eu-central-1:222222222222:product/222222222222/default"; af.ProductArn != want {
			t.Errorf("%s: ProductArn = %s, want %s", af.ID, af.ProductArn, want)
		}
	}
}

func TestASFFIDsAreStableAndUnique(t *testing.T) {
	t.Parallel()
	a := decodeASFF(t, fixtureASFF(), fixtureEveryVerdict())
	later := fixtureEveryVerdict()
	later.GeneratedAt = "2027-02-02T00:00:00Z"
	b := decodeASFF(t, fixtureASFF(), later)
	seen := map[string]bool{}
	for i := range a {
		if a[i].ID != b[i].ID {
			t.Errorf("id changed between runs: %s then %s", a[i].ID, b[i].ID)
		}
		if seen[a[i].ID] {
			t.Errorf("id %s used twice", a[i].ID)
		}
		seen[a[i].ID] = true
	}
	long := fixtureEveryVerdict().Findings[0]
	long.ResourceARN = strings.Repeat("x", 600)
	if id := asffID(&long); len(id) > asffMaxID {
		t.Errorf("id of a long resource is %d characters, over the limit", len(id))
	}
}

func TestASFFRejectsWhatSecurityHubWouldRefuse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		edit   func(r *finding.Report)
		errHas string
	}{
		{"a finding without an account and no default", func(r *finding.Report) {}, "12-digit account"},
		{"a report without a time", func(r *finding.Report) { r.GeneratedAt = "" }, "generatedAt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fixtureEveryVerdict()
			tt.edit(r)
			err := (&ASFF{}).Write(&bytes.Buffer{}, r)
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("err = %v, want one mentioning %q", err, tt.errHas)
			}
		})
	}
}

func TestASFFTruncatesLongTextToTheServiceLimits(t *testing.T) {
	t.Parallel()
	r := fixtureEveryVerdict()
	r.Findings[4].Reason = strings.Repeat("é", 3000)
	r.Findings[4].Remediation = strings.Repeat("r", 3000)
	got := decodeASFF(t, fixtureASFF(), r)[4]
	lengths := []int{len([]rune(got.Description)), len([]rune(got.Remediation.Recommendation.Text))}
	if diff := cmp.Diff([]int{asffMaxDescription, asffMaxRemediation}, lengths); diff != "" {
		t.Errorf("lengths (-want +got):\n%s", diff)
	}
}
