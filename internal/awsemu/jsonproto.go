package awsemu

import (
	"bytes"
	"encoding/json"
	"errors"
)

// decode reads the JSON request body into v, giving awsJson1_1's
// SerializationException for bodies that are not the expected shape.
func (c *call) decode(v any) *apiError {
	body := bytes.TrimSpace(c.body)
	if len(body) == 0 {
		body = []byte("{}")
	}
	if body[0] != '{' {
		return badRequest("SerializationException", "Start of structure or map found where not expected")
	}
	if err := json.Unmarshal(body, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return badRequest("SerializationException", "Unexpected value type for field %s: expected %s", typeErr.Field, typeErr.Type)
		}
		return badRequest("SerializationException", "Malformed request body")
	}
	return nil
}

// required is the validation error for a missing member.
func required(name, value string) *apiError {
	if value != "" {
		return nil
	}
	return badRequest("ValidationException", "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", name)
}

// apiTag is a tag as DMS sends it.
type apiTag struct {
	Key         string `json:"Key"`
	Value       string `json:"Value"`
	ResourceArn string `json:"ResourceArn,omitempty"`
}

func tagsFromAPI(in []apiTag) []tagPair {
	var out []tagPair
	for _, t := range in {
		out = setTag(out, t.Key, t.Value)
	}
	return out
}

func setTag(tags []tagPair, k, v string) []tagPair {
	for i := range tags {
		if tags[i].Key == k {
			tags[i].Value = v
			return tags
		}
	}
	return append(tags, tagPair{k, v})
}

func removeTags(tags []tagPair, keys []string) []tagPair {
	drop := map[string]bool{}
	for _, k := range keys {
		drop[k] = true
	}
	out := tags[:0]
	for _, t := range tags {
		if !drop[t.Key] {
			out = append(out, t)
		}
	}
	return out
}

func tagsFromMap(m map[string]string) []tagPair {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	var out []tagPair
	for _, k := range keys {
		out = append(out, tagPair{k, m[k]})
	}
	return out
}

// rawStrings reads a JSON string or array of strings.
func rawStrings(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		return many
	}
	return nil
}
