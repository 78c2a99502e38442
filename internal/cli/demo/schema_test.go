package demo

import (
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestTheDemoReportMatchesThePublishedSchema: the demo estate holds every
// resource kind, rule and verdict class, so its JSON report is the widest
// real report there is; it must match docs/report-schema.json (a new kind,
// rule, resource type or evidence added to the code and not to the
// published schema fails here).
func TestTheDemoReportMatchesThePublishedSchema(t *testing.T) {
	t.Parallel()
	sf, err := os.Open("../../../docs/report-schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer sf.Close()
	doc, err := jsonschema.UnmarshalJSON(sf)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("report-schema.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("report-schema.json")
	if err != nil {
		t.Fatal(err)
	}
	err, out, errOut := runDemo(t, "--format", "json")
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, errOut)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Errorf("the demo's JSON report does not match docs/report-schema.json: %v", err)
	}
}
