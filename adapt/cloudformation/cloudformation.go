package cloudformation

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/cmkguard/cmkguard/state"
)

// Options are the values a deployment would give the template.
type Options struct {
	// Params are parameter values (--cf-param NAME=VALUE, --cf-params FILE),
	// merged by the caller. A value given here wins over the parameter's
	// Default and fixes the parameter in every combination of conditions.
	// Pseudo parameters can be given too: AWS::Region, AWS::AccountId,
	// AWS::Partition, AWS::StackName.
	Params map[string]string
}

// Limits that keep a hostile or broken file from costing unbounded time or
// memory, each well above what a template CloudFormation would deploy needs.
const (
	// MaxTemplateBytes is the largest file Parse reads. CloudFormation
	// accepts at most 1 MB; four times that leaves room for formatting.
	MaxTemplateBytes = 4 << 20
	// MaxCombinations is the number of combinations of conditions evaluated
	// per resource; beyond it the resource gets an UNKNOWN variant saying so.
	MaxCombinations = 256
	// maxSteps bounds the evaluation work of one template (node visits,
	// alias expansions included), so that an alias bomb or a huge condition
	// tree ends in a clear UNKNOWN, not a hang.
	maxSteps = 2_000_000
	// maxDepth bounds nested intrinsic functions and conditions.
	maxDepth = 200
)

// Detect reports whether data is a CloudFormation template (or a CDK synth
// template), YAML or JSON, by its content: a mapping at the top with
// AWSTemplateFormatVersion, or Resources whose entries have a Type such as
// AWS::DMS::Endpoint. The file name is not consulted: .template files are
// YAML in some repositories and JSON in others.
func Detect(data []byte) bool {
	if !bytes.Contains(data, []byte("AWSTemplateFormatVersion")) && !bytes.Contains(data, []byte("Resources")) {
		return false
	}
	if len(data) > MaxTemplateBytes {
		// Too large to parse (Parse says so); decide on the text alone so
		// that the caller reports the size instead of skipping the file.
		return bytes.Contains(data, []byte("AWSTemplateFormatVersion")) ||
			(bytes.Contains(data, []byte("Resources")) && bytes.Contains(data, []byte("AWS::")))
	}
	var root yaml.Node
	if err := yaml.Unmarshal(normalise(data), &root); err != nil {
		return looksLikeBrokenTemplate(data)
	}
	top := documentRoot(&root)
	if top == nil || top.Kind != yaml.MappingNode {
		return false
	}
	if _, v := mappingValue(top, "AWSTemplateFormatVersion"); v != nil {
		return true
	}
	_, resources := mappingValue(top, "Resources")
	if resources == nil || resources.Kind != yaml.MappingNode {
		return false
	}
	for i := 1; i < len(resources.Content); i += 2 {
		body := resources.Content[i]
		if body.Kind != yaml.MappingNode {
			continue
		}
		if _, typ := mappingValue(body, "Type"); typ != nil && typ.Kind == yaml.ScalarNode && isResourceType(typ.Value) {
			return true
		}
	}
	return false
}

// looksLikeBrokenTemplate decides for a file that does not parse: a
// template with a syntax error must reach Parse (which names the line), not
// be skipped as "not CloudFormation".
func looksLikeBrokenTemplate(data []byte) bool {
	return bytes.Contains(data, []byte("AWSTemplateFormatVersion")) ||
		(bytes.Contains(data, []byte("Resources")) && bytes.Contains(data, []byte("Type")) && bytes.Contains(data, []byte("AWS::")))
}

// isResourceType reports whether s is shaped like a CloudFormation resource
// type (AWS::Service::Resource, Custom::Name, Alexa::ASK::Skill).
func isResourceType(s string) bool {
	for _, p := range []string{"AWS::", "Custom::", "Alexa::"} {
		if len(s) > len(p) && s[:len(p)] == p {
			return true
		}
	}
	return false
}

// Parse evaluates the template in data and returns the DMS resources it
// declares, with their key facts, one per distinct outcome over the
// reachable combinations of its conditions. rel is the file's path
// relative to the scan root, used as Source.File and in errors, which
// name file:line.
func Parse(rel string, data []byte, opts Options) (state.State, error) {
	t, err := load(rel, data, opts)
	if err != nil {
		return state.State{}, err
	}
	return t.evaluate(), nil
}

// positionError is an error at a line of a file.
func positionError(file string, line int, format string, args ...any) error {
	if line <= 0 {
		return fmt.Errorf("%s: %s", file, fmt.Sprintf(format, args...))
	}
	return fmt.Errorf("%s:%d: %s", file, line, fmt.Sprintf(format, args...))
}
