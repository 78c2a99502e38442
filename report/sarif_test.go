package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cmkguard/cmkguard/finding"
)

var (
	sarifSchemaOnce sync.Once
	sarifSchema     *jsonschema.Schema
	sarifSchemaErr  error
)

// loadSARIFSchema compiles testdata/sarif-schema-2.1.0.json, the OASIS
// schema (JSON Schema draft-04), with format assertions on.
func loadSARIFSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	sarifSchemaOnce.Do(func() {
		f, err := os.Open(filepath.Join("testdata", "sarif-schema-2.1.0.json"))
		if err != nil {
			sarifSchemaErr = err
			return
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			sarifSchemaErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		if sarifSchemaErr = c.AddResource("sarif-schema-2.1.0.json", doc); sarifSchemaErr != nil {
			return
		}
		sarifSchema, sarifSchemaErr = c.Compile("sarif-schema-2.1.0.json")
	})
	if sarifSchemaErr != nil {
		t.Fatalf("compile SARIF schema: %v", sarifSchemaErr)
	}
	return sarifSchema
}

func validateSARIF(t *testing.T, data []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("SARIF output is not JSON: %v", err)
	}
	if err := loadSARIFSchema(t).Validate(inst); err != nil {
		t.Errorf("SARIF output does not match the 2.1.0 schema: %v", err)
	}
}

func TestSARIFMatchesGoldenFilesAndTheSchema(t *testing.T) {
	t.Parallel()
	for _, tc := range fixtureCases() {
		for _, includePass := range []bool{false, true} {
			name := tc.name + ".sarif"
			if includePass {
				name = tc.name + "-with-pass.sarif"
			}
			t.Run(name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := (&SARIF{IncludePass: includePass}).Write(&buf, tc.report); err != nil {
					t.Fatal(err)
				}
				validateSARIF(t, buf.Bytes())
				compareWithGolden(t, name, buf.Bytes())
			})
		}
	}
}

func TestTheSchemaRejectsABrokenSARIFLog(t *testing.T) {
	t.Parallel()
	// Guards the validation itself: a log without a driver name must fail.
	broken := []byte(`{"version":"2.1.0","runs":[{"tool":{"driver":{}},"results":[]}]}`)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(broken))
	if err != nil {
		t.Fatal(err)
	}
	if err := loadSARIFSchema(t).Validate(inst); err == nil {
		t.Error("a driver without a name validated; the schema check is not working")
	}
}

type sarifDecoded struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Rules []struct {
					ID string `json:"id"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []struct {
			RuleID              string            `json:"ruleId"`
			RuleIndex           int               `json:"ruleIndex"`
			Level               string            `json:"level"`
			Kind                string            `json:"kind"`
			PartialFingerprints map[string]string `json:"partialFingerprints"`
			Suppressions        []struct {
				Justification string `json:"justification"`
			} `json:"suppressions"`
			Locations []struct {
				PhysicalLocation *struct {
					ArtifactLocation struct {
						URI string `json:"uri"`
					} `json:"artifactLocation"`
					Region struct {
						StartLine int `json:"startLine"`
						EndLine   int `json:"endLine"`
					} `json:"region"`
				} `json:"physicalLocation"`
				LogicalLocations []struct {
					FullyQualifiedName string `json:"fullyQualifiedName"`
				} `json:"logicalLocations"`
			} `json:"locations"`
		} `json:"results"`
	} `json:"runs"`
}

func decodeSARIF(t *testing.T, r *finding.Report, s *SARIF) sarifDecoded {
	t.Helper()
	var buf bytes.Buffer
	if err := s.Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	var log sarifDecoded
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	return log
}

func TestSARIFResultsFollowTheVerdicts(t *testing.T) {
	t.Parallel()
	r := fixtureEveryVerdict()
	log := decodeSARIF(t, r, &SARIF{})
	var got []string
	for _, res := range log.Runs[0].Results {
		got = append(got, res.RuleID+" "+res.Kind+" "+res.Level)
	}
	var want []string
	for _, f := range r.Findings {
		switch f.Status {
		case finding.StatusFail:
			want = append(want, f.RuleID+" fail error")
		case finding.StatusUnknown:
			want = append(want, f.RuleID+" fail warning")
		case finding.StatusSuppressed:
			want = append(want, f.RuleID+" fail "+sarifSeverityLevel(f.Severity))
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	rules := log.Runs[0].Tool.Driver.Rules
	for _, res := range log.Runs[0].Results {
		if rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("result for %s points at rule %d (%s)", res.RuleID, res.RuleIndex, rules[res.RuleIndex].ID)
		}
	}
}

func TestSARIFSuppressedFindingsCarryTheirJustification(t *testing.T) {
	t.Parallel()
	log := decodeSARIF(t, fixtureEveryVerdict(), &SARIF{})
	var got []string
	for _, res := range log.Runs[0].Results {
		for _, s := range res.Suppressions {
			got = append(got, s.Justification)
		}
	}
	// The expired suppression must not suppress anything.
	want := []string{"Decommissioned in Q1; no sensitive data."}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("suppressions (-want +got):\n%s", diff)
	}
}

func TestSARIFPointsIaCFindingsAtTheirFileAndLines(t *testing.T) {
	t.Parallel()
	log := decodeSARIF(t, fixtureEveryVerdict(), &SARIF{})
	type place struct {
		URI        string
		Start, End int
	}
	var got []place
	for _, res := range log.Runs[0].Results {
		if p := res.Locations[0].PhysicalLocation; p != nil {
			got = append(got, place{p.ArtifactLocation.URI, p.Region.StartLine, p.Region.EndLine})
		}
	}
	if diff := cmp.Diff([]place{{"infra/dms.tf", 12, 30}}, got); diff != "" {
		t.Errorf("physical locations (-want +got):\n%s", diff)
	}
}

func TestSARIFFingerprintsAreStableAcrossRunsAndDistinctPerResource(t *testing.T) {
	t.Parallel()
	first := fixtureEveryVerdict()
	second := fixtureEveryVerdict()
	// A later run: new time, new wording, same resources.
	second.GeneratedAt = "2027-01-01T00:00:00Z"
	for i := range second.Findings {
		second.Findings[i].Reason += " (reworded)"
	}
	prints := func(r *finding.Report) []string {
		var out []string
		for _, res := range decodeSARIF(t, r, &SARIF{IncludePass: true}).Runs[0].Results {
			out = append(out, res.PartialFingerprints[sarifFingerprint])
		}
		return out
	}
	a, b := prints(first), prints(second)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("fingerprints changed between runs (-first +second):\n%s", diff)
	}
	seen := map[string]bool{}
	for _, p := range a {
		if seen[p] {
			t.Errorf("fingerprint %s is shared by two results", p)
		}
		seen[p] = true
	}
}

func TestSARIFRejectsANilReport(t *testing.T) {
	t.Parallel()
	if err := (&SARIF{}).Write(&bytes.Buffer{}, nil); err == nil {
		t.Error("want an error for a nil report")
	}
}
