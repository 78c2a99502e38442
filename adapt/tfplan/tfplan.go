package tfplan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/cmkguard/cmkguard/adapt/terraform"
	"github.com/cmkguard/cmkguard/state"
)

// Result is what one plan holds.
type Result struct {
	State state.State
	// Notes, by terraform.NoteKey, say what decided each resource's key.
	Notes map[string]terraform.Note
}

// Detect reports whether data is a Terraform plan in JSON: an object with
// format_version and a planned_values, resource_changes or configuration.
func Detect(data []byte) bool {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return false
	}
	var probe struct {
		FormatVersion    string          `json:"format_version"`
		TerraformVersion string          `json:"terraform_version"`
		PlannedValues    json.RawMessage `json:"planned_values"`
		ResourceChanges  json.RawMessage `json:"resource_changes"`
	}
	if json.Unmarshal(data, &probe) != nil {
		return false
	}
	return probe.FormatVersion != "" && (probe.PlannedValues != nil || probe.ResourceChanges != nil)
}

// Parse reads the plan in data; rel is its path relative to the scan root.
func Parse(rel string, data []byte) (*Result, error) {
	var plan tfjson.Plan
	if err := json.Unmarshal(data, &plan); err != nil {
		return nil, fmt.Errorf("%s: not a Terraform plan in JSON: %w", rel, lineOf(data, err))
	}
	p := &planReader{plan: &plan, rel: rel, data: data, res: &Result{Notes: map[string]terraform.Note{}}}
	p.region = p.providerRegion()
	for _, rc := range plan.ResourceChanges {
		if rc == nil || rc.Change == nil || rc.Mode != tfjson.ManagedResourceMode || rc.DeposedKey != "" {
			continue
		}
		if !p.kept(rc.Change.Actions) {
			continue
		}
		p.addResource(rc)
	}
	return p.res, nil
}

// lineOf adds the line of a JSON syntax error to err.
func lineOf(data []byte, err error) error {
	var syn *json.SyntaxError
	if se, ok := err.(*json.SyntaxError); ok {
		syn = se
	}
	if syn == nil || syn.Offset > int64(len(data)) {
		return err
	}
	line := bytes.Count(data[:syn.Offset], []byte("\n")) + 1
	return fmt.Errorf("line %d: %w", line, err)
}

type planReader struct {
	plan   *tfjson.Plan
	rel    string
	data   []byte
	region string
	res    *Result
}

// kept reports whether the resource exists after the plan is applied.
func (p *planReader) kept(a tfjson.Actions) bool {
	if a.Delete() {
		return false
	}
	return a.Create() || a.Update() || a.Replace() || a.NoOp() || a.Read()
}

func (p *planReader) providerRegion() string {
	if p.plan.Config == nil {
		return ""
	}
	for key, pc := range p.plan.Config.ProviderConfigs {
		if pc == nil || pc.Name != "aws" || pc.Alias != "" || pc.ModuleAddress != "" || (key != "aws" && !strings.HasSuffix(key, "/aws")) {
			continue
		}
		if e := pc.Expressions["region"]; e != nil && e.ExpressionData != nil {
			if s, ok := e.ConstantValue.(string); ok {
				return s
			}
		}
	}
	return ""
}

// line is the line of the resource's entry in resource_changes, so that a
// report can point into the plan.
func (p *planReader) line(address string) int {
	quoted, _ := json.Marshal(address)
	start := bytes.Index(p.data, []byte(`"resource_changes"`))
	if start < 0 {
		start = 0
	}
	for i := start; i < len(p.data); {
		j := bytes.Index(p.data[i:], quoted)
		if j < 0 {
			return 0
		}
		at := i + j
		before := bytes.TrimRight(p.data[start:at], " \t\r\n")
		if bytes.HasSuffix(before, []byte(":")) && bytes.HasSuffix(bytes.TrimRight(before[:len(before)-1], " \t\r\n"), []byte(`"address"`)) {
			return bytes.Count(p.data[:at], []byte("\n")) + 1
		}
		i = at + len(quoted)
	}
	return 0
}
