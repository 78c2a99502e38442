package awsemu

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
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

// tagProblem says what is wrong with a tag by the rules DMS and KMS share:
// a key of 1 to 128 characters that does not start with "aws:" and a value
// of at most 256. It returns "" for a good tag.
func tagProblem(key, value string) string {
	switch {
	case key == "" || len(key) > 128 || len(value) > 256:
		return "Tag keys must be 1 to 128 characters and values at most 256"
	case strings.HasPrefix(key, "aws:"):
		return "Tag keys cannot start with aws:"
	}
	return ""
}

// withTags returns tags with every tag of add set, once all of them are
// good: a request with one bad tag changes nothing. bad makes the service's
// error from the first bad tag's key and problem.
func withTags(tags, add []tagPair, bad func(key, problem string) *apiError) ([]tagPair, *apiError) {
	for _, t := range add {
		if problem := tagProblem(t.Key, t.Value); problem != "" {
			return nil, bad(t.Key, problem)
		}
	}
	for _, t := range add {
		tags = setTag(tags, t.Key, t.Value)
	}
	return tags, nil
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
