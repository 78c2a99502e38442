package iac_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cmkguard/cmkguard/internal/cli"
	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/iostreams"
)

// TestIaCThroughMain runs `cmkguard iac --format sarif` on the corpus as a
// user would: exit 3, and SARIF 2.1.0 whose results carry physical
// locations (file and the deciding argument's lines).
func TestIaCThroughMain(t *testing.T) {
	t.Parallel()
	ios, _, out, errOut := iostreams.Test()
	f := &factory.Factory{IOStreams: ios, Now: time.Now, Version: "test"}
	code := cli.Main(context.Background(), f, []string{"iac", "../../../testdata/iac/terraform", "--format", "sarif"})
	if code != exit.Findings {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exit.Findings, errOut)
	}
	schemaFile, err := os.Open("../../../report/testdata/sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	defer schemaFile.Close()
	doc, err := jsonschema.UnmarshalJSON(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(out.String()))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Fatalf("not SARIF 2.1.0: %v", err)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				Locations []struct {
					PhysicalLocation *struct {
						ArtifactLocation struct{ URI string }     `json:"artifactLocation"`
						Region           *struct{ StartLine int } `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(out.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if len(log.Runs) != 1 || len(log.Runs[0].Results) == 0 {
		t.Fatalf("no results:\n%s", out)
	}
	for _, r := range log.Runs[0].Results {
		p := r.Locations[0].PhysicalLocation
		if p == nil || p.Region == nil || p.Region.StartLine < 1 || !strings.HasSuffix(p.ArtifactLocation.URI, ".tf") {
			t.Fatalf("a result without a physical location in a .tf file: %+v", r.Locations)
		}
	}
}
