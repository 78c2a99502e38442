package cloudformation

import (
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// LoadParams reads a --cf-params file: the AWS CLI's JSON list of
// {ParameterKey, ParameterValue} (as `aws cloudformation create-stack
// --parameters file://...` takes), a CodePipeline template configuration
// ({"Parameters": {...}}), or a plain JSON or YAML map of names to values.
// A list value is joined with commas, as CloudFormation takes a
// CommaDelimitedList.
func LoadParams(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read parameters file: %w", err)
	}
	if len(data) > MaxTemplateBytes {
		return nil, positionError(path, 0, "the parameters file is larger than %d MB", MaxTemplateBytes>>20)
	}
	data = normalise(data)
	root, err := parseDocument(path, data)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	switch root.Kind {
	case yaml.SequenceNode:
		for _, e := range root.Content {
			if err := cliParameter(path, e, out); err != nil {
				return nil, err
			}
		}
		return out, nil
	case yaml.MappingNode:
		if _, ps := mappingValue(root, "Parameters"); ps != nil && ps.Kind == yaml.MappingNode {
			root = ps
		}
		for i := 0; i+1 < len(root.Content); i += 2 {
			k, v := root.Content[i], root.Content[i+1]
			s, ok := scalarText(v)
			if !ok {
				return nil, positionError(path, v.Line, "parameter %s: the value must be a string, number, boolean or list of them", k.Value)
			}
			out[k.Value] = s
		}
		return out, nil
	}
	return nil, positionError(path, root.Line, "a parameters file is a list of {ParameterKey, ParameterValue} or a map of names to values")
}

func cliParameter(path string, e *yaml.Node, out map[string]string) error {
	if e.Kind != yaml.MappingNode {
		return positionError(path, e.Line, "each entry must be {\"ParameterKey\": ..., \"ParameterValue\": ...}")
	}
	_, k := mappingValue(e, "ParameterKey")
	_, v := mappingValue(e, "ParameterValue")
	_, prev := mappingValue(e, "UsePreviousValue")
	if k == nil || k.Kind != yaml.ScalarNode || strings.TrimSpace(k.Value) == "" {
		return positionError(path, e.Line, "the entry has no ParameterKey")
	}
	if v == nil {
		if prev != nil && prev.Value == "true" {
			return positionError(path, e.Line, "parameter %s uses its previous value (UsePreviousValue), which only the deployed stack knows: give ParameterValue", k.Value)
		}
		return positionError(path, e.Line, "parameter %s has no ParameterValue", k.Value)
	}
	s, ok := scalarText(v)
	if !ok {
		return positionError(path, v.Line, "parameter %s: ParameterValue must be a string", k.Value)
	}
	out[k.Value] = s
	return nil
}
