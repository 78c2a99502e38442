package cloudformation

import (
	"bytes"
	"encoding/json"
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
// YAML in some repositories and JSON in others. It reads the top-level keys
// only (a JSON tokenizer, or YAML's lines at column 0), so that a scan can
// ask it of every file cheaply; a template it accepts that does not parse
// gets Parse's error, naming the line.
func Detect(data []byte) bool {
	if !bytes.Contains(data, []byte("AWSTemplateFormatVersion")) && !bytes.Contains(data, []byte("Resources")) {
		return false
	}
	if isJSON(data) {
		return detectJSON(data)
	}
	if detectYAML(data) {
		return true
	}
	// Rarer shapes (a quoted "Resources" key, flow style at the top) are
	// decided by parsing, when the text mentions a resource type at all.
	if len(data) > MaxTemplateBytes || !bytes.Contains(data, []byte("::")) {
		return false
	}
	return detectParsed(data)
}

// detectParsed parses data as YAML and looks at its top-level keys.
func detectParsed(data []byte) bool {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil {
		return false
	}
	top := documentRoot(&root)
	if top == nil || top.Kind != yaml.MappingNode {
		return false
	}
	if k, _ := mappingValue(top, "AWSTemplateFormatVersion"); k != nil {
		return true
	}
	_, resources := mappingValue(top, "Resources")
	if resources == nil || resources.Kind != yaml.MappingNode {
		return false
	}
	for i := 1; i < len(resources.Content); i += 2 {
		if _, typ := mappingValue(resources.Content[i], "Type"); typ != nil && typ.Kind == yaml.ScalarNode && isResourceType(typ.Value) {
			return true
		}
	}
	return false
}

// detectJSON reads the top-level keys of a JSON object: the format
// version, or Resources with one typed resource.
func detectJSON(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return looksLikeBrokenTemplate(data)
		}
		key, _ := tok.(string)
		switch key {
		case "AWSTemplateFormatVersion":
			return true
		case "Resources":
			var resources map[string]struct {
				Type any `json:"Type"`
			}
			if err := dec.Decode(&resources); err != nil {
				return looksLikeBrokenTemplate(data)
			}
			for _, r := range resources {
				if typ, ok := r.Type.(string); ok && isResourceType(typ) {
					return true
				}
			}
			return false
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return looksLikeBrokenTemplate(data)
		}
	}
	return false
}

// detectYAML reads the keys at column 0 of a YAML document: the format
// version, or Resources followed by a line giving a resource Type.
func detectYAML(data []byte) bool {
	inResources := false
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimRight(line, "\r")
		trimmed := bytes.TrimLeft(line, " \t")
		if len(trimmed) == 0 || trimmed[0] == '#' {
			continue
		}
		if len(trimmed) == len(line) { // a top-level key
			switch {
			case bytes.HasPrefix(line, []byte("AWSTemplateFormatVersion:")):
				return true
			case bytes.HasPrefix(line, []byte("Resources:")):
				inResources = true
				if hasTypeLine(line) {
					return true
				}
				continue
			case bytes.Equal(line, []byte("---")):
				continue
			}
			inResources = false
			continue
		}
		if inResources && hasTypeLine(trimmed) {
			return true
		}
	}
	return false
}

// hasTypeLine reports whether a line gives a resource type ("Type:
// AWS::KMS::Key", flow style included).
func hasTypeLine(line []byte) bool {
	i := bytes.Index(line, []byte("Type"))
	if i < 0 {
		return false
	}
	rest := bytes.TrimLeft(line[i+len("Type"):], "\"' ")
	if len(rest) == 0 || rest[0] != ':' {
		return false
	}
	rest = bytes.TrimLeft(rest[1:], "\"' ")
	return isResourceType(string(rest))
}

// looksLikeBrokenTemplate decides for a JSON file that does not parse: a
// template with a syntax error must reach Parse (which names the line), not
// be skipped as "not CloudFormation".
func looksLikeBrokenTemplate(data []byte) bool {
	return bytes.Contains(data, []byte("AWSTemplateFormatVersion")) ||
		(bytes.Contains(data, []byte("\"Resources\"")) && bytes.Contains(data, []byte("\"Type\"")) && bytes.Contains(data, []byte("AWS::")))
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
