package decode

import (
	"errors"
	"strings"
	"testing"
	"time"
)

type entry struct {
	Resource string `json:"resource"`
	Rule     string `json:"rule"`
	Expires  string `json:"expires"`
}

type ignoreFile struct {
	Version      int               `json:"version,omitempty"`
	Suppressions []entry           `json:"suppressions"`
	Labels       map[string]string `json:"labels,omitempty"`
}

type step struct {
	ID      string `json:"id"`
	Timeout int    `json:"timeoutSeconds"`
	Apply   bool   `json:"apply"`
}

type plan struct {
	Version string    `json:"version"`
	Steps   []step    `json:"steps"`
	At      time.Time `json:"at"`
	Extra   any       `json:"extra,omitempty"`
}

func TestYAMLErrorsNameLineColumnAndField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc, want string
	}{
		{"a misspelt field", "suppressions:\n  - resource: arn:x\n    rule: '*'\n    expire: 2027-01-01\n",
			"line 4, column 5: suppressions[0].expire: unknown field (want one of resource, rule, expires)"},
		{"a misspelt top-level field", "version: 1\nsupressions: []\n", "line 2, column 1: supressions: unknown field (want one of version, suppressions, labels)"},
		{"a list where an entry is a text", "suppressions:\n  - resource: [a, b]\n", "line 2, column 15: suppressions[0].resource: want text, found a list"},
		{"text where a number is expected", "version: one\nsuppressions: []\n", `line 1, column 10: version: want a whole number, found "one"`},
		{"a mapping where a list is expected", "suppressions:\n  resource: x\n", "line 2, column 3: suppressions: want a list, found a mapping"},
		{"a key given twice", "suppressions:\n  - resource: a\n    rule: x\n    rule: y\n", "line 4, column 5: suppressions[0].rule: given twice (first on line 3)"},
		{"a syntax error", "suppressions:\n  - resource: a\n   rule: x\n", "line 2: did not find expected '-' indicator"},
		{"a map value of the wrong kind", "suppressions: []\nlabels:\n  team: [x]\n", "line 3, column 9: labels.team: want text, found a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var f ignoreFile
			err := YAML([]byte(tt.doc), &f)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestYAMLDecodesAsBefore(t *testing.T) {
	t.Parallel()
	var f ignoreFile
	// A number where text is expected is text, as sigs.k8s.io/yaml reads it.
	if err := YAML([]byte("version: 1\nsuppressions:\n  - resource: 123\n    rule: \"*\"\n    expires: 2027-01-01\n"), &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Suppressions) != 1 || f.Suppressions[0].Resource != "123" || f.Suppressions[0].Expires != "2027-01-01" {
		t.Errorf("decoded %+v", f)
	}
}

func TestJSONErrorsNameLineColumnAndField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc, want string
	}{
		{"an unknown field", "{\n  \"version\": \"1\",\n  \"steps\": [\n    {\"id\": \"a\", \"timeout\": 5}\n  ]\n}\n",
			"line 4, column 17: steps[0].timeout: unknown field (want one of id, timeoutSeconds, apply)"},
		{"a type mismatch", "{\n  \"version\": \"1\",\n  \"steps\": [{\"id\": \"a\", \"timeoutSeconds\": \"5\"}]\n}\n",
			`line 3, column 43: steps[0].timeoutSeconds: want a whole number, found "5"`},
		{"a syntax error", "{\n  \"version\": \"1\",\n  \"steps\": [}\n}\n", "line 3, column 13: invalid character '}' looking for beginning of value"},
		{"a truncated file", "{\n  \"version\": \"1\",\n  \"steps\": [\n", "line 4, column 1: the JSON document ends early"},
		{"an empty file", "", "line 1, column 1: empty file"},
		{"two documents", "{\"version\": \"1\"}\n{\"version\": \"2\"}\n", "line 2, column 1: more data after the JSON document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var p plan
			err := JSON([]byte(tt.doc), &p)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			var located *Error
			if !errors.As(err, &located) {
				t.Errorf("err is a %T, want *Error", err)
			}
		})
	}
}

func TestJSONAllowUnknownIgnoresNewFields(t *testing.T) {
	t.Parallel()
	var p plan
	if err := JSONAllowUnknown([]byte(`{"version": "1", "newField": {"x": 1}, "steps": [{"id": "a", "later": true}]}`), &p); err != nil {
		t.Fatal(err)
	}
	if p.Version != "1" || len(p.Steps) != 1 || p.Steps[0].ID != "a" {
		t.Errorf("decoded %+v", p)
	}
}
