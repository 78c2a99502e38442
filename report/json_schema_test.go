package report

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cmkguard/cmkguard/state"
)

// reportSchemaPath is the published JSON Schema of `audit --format json`.
var reportSchemaPath = filepath.Join("..", "docs", "report-schema.json")

func compileReportSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(reportSchemaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("report-schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("report-schema.json")
	if err != nil {
		t.Fatalf("compile report schema: %v", err)
	}
	return s
}

func TestJSONReportsMatchThePublishedSchema(t *testing.T) {
	t.Parallel()
	schema := compileReportSchema(t)
	for _, tc := range fixtureCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := (JSON{}).Write(&buf, tc.report); err != nil {
				t.Fatal(err)
			}
			inst, err := jsonschema.UnmarshalJSON(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(inst); err != nil {
				t.Errorf("report does not match docs/report-schema.json: %v", err)
			}
		})
	}
}

func TestTheReportSchemaRejectsBrokenReports(t *testing.T) {
	t.Parallel()
	schema := compileReportSchema(t)
	tests := []struct {
		name           string
		old, new       string
		dropSuppressed bool
	}{
		{name: "a wrong status", old: `"status": "FAIL"`, new: `"status": "MAYBE"`},
		{name: "a missing rule id", old: `"ruleId": "CMKG-DMS-001",`, new: ``},
		{name: "a suppressed finding without its suppression", dropSuppressed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := fixtureEveryVerdict()
			if tt.dropSuppressed {
				for i := range r.Findings {
					r.Findings[i].Suppression = nil
				}
			}
			var buf bytes.Buffer
			if err := (JSON{}).Write(&buf, r); err != nil {
				t.Fatal(err)
			}
			doc := buf.Bytes()
			if tt.old != "" {
				if !bytes.Contains(doc, []byte(tt.old)) {
					t.Fatalf("fixture has no %s", tt.old)
				}
				doc = bytes.Replace(doc, []byte(tt.old), []byte(tt.new), 1)
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(inst); err == nil {
				t.Errorf("the schema accepted a report with %s", tt.name)
			}
		})
	}
}

func TestTheReportSchemaAcceptsTheFieldsOfSchema11(t *testing.T) {
	t.Parallel()
	schema := compileReportSchema(t)
	r := fixtureEveryVerdict()
	f := fixturePass("111111111111", "eu-west-1", "tagged", "")
	f.Tags = map[string]string{"env": "prod"}
	f.Evidence = "cross-account"
	f.Source.File, f.Source.Address, f.Source.Variant = "main.tf", "aws_dms_replication_instance.x", "IsProd=true"
	f.Source.Suppressions = []state.InlineSuppression{{Rule: "CMKG-DMS-001", Reason: "legacy", Expires: "2026-12-31", Line: 3}}
	r.Findings = append(r.Findings, f)
	var buf bytes.Buffer
	if err := (JSON{}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Errorf("a 1.1 report does not match docs/report-schema.json: %v", err)
	}
}
