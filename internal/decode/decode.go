package decode

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"
)

// Error is a mistake at a place in a file.
type Error struct {
	Line, Column int
	// Field is the path to the value ("suppressions[0].expires"); empty
	// for a syntax error.
	Field string
	Msg   string
}

func (e *Error) Error() string {
	at := fmt.Sprintf("line %d, column %d", e.Line, e.Column)
	if e.Column == 0 {
		at = fmt.Sprintf("line %d", e.Line)
	}
	if e.Field == "" {
		return at + ": " + e.Msg
	}
	return at + ": " + e.Field + ": " + e.Msg
}

// YAML decodes data (YAML, or JSON, which is YAML) into v as
// sigs.k8s.io/yaml.UnmarshalStrict does: fields by their json tags,
// unknown fields and duplicate keys refused. A failure is an *Error when
// its place can be found.
func YAML(data []byte, v any) error {
	err := yaml.UnmarshalStrict(data, v)
	if err == nil {
		return nil
	}
	if located := locate(data, reflect.TypeOf(v), false); located != nil {
		return located
	}
	if syntax := syntaxError(err); syntax != nil {
		return syntax
	}
	return err
}

// JSON decodes one JSON value into v with encoding/json, unknown fields
// refused, nothing allowed after the value. A failure is an *Error.
func JSON(data []byte, v any) error { return decodeJSON(data, v, true) }

// JSONAllowUnknown is JSON that ignores fields v does not have (documents
// that may gain fields, such as reports).
func JSONAllowUnknown(data []byte, v any) error { return decodeJSON(data, v, false) }

func decodeJSON(data []byte, v any, strict bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if strict {
		dec.DisallowUnknownFields()
	}
	err := dec.Decode(v)
	if err == nil {
		end := dec.InputOffset()
		if _, tokErr := dec.Token(); tokErr != io.EOF {
			rest := data[end:]
			line, col := position(data, end+int64(len(rest)-len(bytes.TrimLeft(rest, " \t\r\n"))))
			return &Error{Line: line, Column: col, Msg: "more data after the JSON document (one document per file)"}
		}
		return nil
	}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return &Error{Line: 1, Column: 1, Msg: "empty file: no JSON document"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		line, col := position(data, int64(len(data)))
		return &Error{Line: line, Column: col, Msg: "the JSON document ends early (truncated file?)"}
	case errors.As(err, &syntax):
		line, col := position(data, syntax.Offset-1) // Offset is just past the bad byte
		return &Error{Line: line, Column: col, Msg: strings.TrimPrefix(syntax.Error(), "json: ")}
	case errors.As(err, &typ):
		if located := locate(data, reflect.TypeOf(v), true); located != nil {
			return located
		}
		line, col := position(data, typ.Offset)
		return &Error{Line: line, Column: col, Field: typ.Field, Msg: fmt.Sprintf("want %s, found a JSON %s", describe(typ.Type), typ.Value)}
	}
	if located := locate(data, reflect.TypeOf(v), true); located != nil {
		return located
	}
	return err
}

// position turns a byte offset into a 1-based line and column.
func position(data []byte, offset int64) (int, int) {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// locate parses data into YAML nodes and walks them beside t, returning
// the first place where the document does not fit t; nil when none is
// found. With jsonScalars, text must be quoted (as JSON requires); YAML
// reads an unquoted 123 into a text field as "123".
func locate(data []byte, t reflect.Type, jsonScalars bool) *Error {
	var doc yamlv3.Node
	if err := yamlv3.Unmarshal(data, &doc); err != nil {
		return nil // a syntax error: sigs.k8s.io/yaml's message has the better line
	}
	if doc.Kind == 0 {
		return nil
	}
	return walker{jsonScalars: jsonScalars}.walk(&doc, t, "")
}

type walker struct{ jsonScalars bool }

// syntaxError turns sigs.k8s.io/yaml's "error converting YAML to JSON:
// yaml: line 3: did not find expected key" into an Error.
func syntaxError(err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
	msg = strings.TrimPrefix(msg, "yaml: ")
	rest, ok := strings.CutPrefix(msg, "line ")
	if !ok {
		return nil
	}
	num, text, ok := strings.Cut(rest, ": ")
	line, convErr := strconv.Atoi(num)
	if !ok || convErr != nil {
		return nil
	}
	return &Error{Line: line, Msg: text}
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func (w walker) walk(n *yamlv3.Node, t reflect.Type, path string) *Error {
	for n.Kind == yamlv3.DocumentNode || n.Kind == yamlv3.AliasNode {
		if n.Kind == yamlv3.AliasNode {
			n = n.Alias
		} else if len(n.Content) > 0 {
			n = n.Content[0]
		} else {
			return nil
		}
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || n.Tag == "!!null" || decodesItself(t) {
		return nil
	}
	bad := func(want string) *Error {
		return &Error{Line: n.Line, Column: n.Column, Field: path, Msg: fmt.Sprintf("want %s, found %s", want, found(n))}
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yamlv3.MappingNode {
			return bad("a mapping (key: value)")
		}
		fields := fieldsOf(t)
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, value := n.Content[i], n.Content[i+1]
			if first, dup := seen[strings.ToLower(key.Value)]; dup {
				return &Error{Line: key.Line, Column: key.Column, Field: join(path, key.Value), Msg: fmt.Sprintf("given twice (first on line %d)", first)}
			}
			seen[strings.ToLower(key.Value)] = key.Line
			ft, ok := fieldType(fields, key.Value)
			if !ok {
				return &Error{Line: key.Line, Column: key.Column, Field: join(path, key.Value), Msg: "unknown field (want one of " + strings.Join(names(fields), ", ") + ")"}
			}
			if err := w.walk(value, ft, join(path, key.Value)); err != nil {
				return err
			}
		}
	case reflect.Map:
		if n.Kind != yamlv3.MappingNode {
			return bad("a mapping (key: value)")
		}
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i]
			if first, dup := seen[key.Value]; dup {
				return &Error{Line: key.Line, Column: key.Column, Field: join(path, key.Value), Msg: fmt.Sprintf("given twice (first on line %d)", first)}
			}
			seen[key.Value] = key.Line
			if err := w.walk(n.Content[i+1], t.Elem(), join(path, key.Value)); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return nil // []byte: base64 text
		}
		if n.Kind != yamlv3.SequenceNode {
			return bad("a list")
		}
		for i, item := range n.Content {
			if err := w.walk(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.String:
		if n.Kind != yamlv3.ScalarNode || (w.jsonScalars && n.Tag != "!!str") {
			return bad("text")
		}
	case reflect.Bool:
		if n.Kind != yamlv3.ScalarNode || n.Tag != "!!bool" {
			return bad("true or false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n.Kind != yamlv3.ScalarNode || n.Tag != "!!int" {
			return bad("a whole number")
		}
	case reflect.Float32, reflect.Float64:
		if n.Kind != yamlv3.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
			return bad("a number")
		}
	}
	return nil
}

func decodesItself(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return t.Kind() == reflect.Interface || pt.Implements(jsonUnmarshaler) || pt.Implements(textUnmarshaler)
}

func found(n *yamlv3.Node) string {
	switch n.Kind {
	case yamlv3.MappingNode:
		return "a mapping"
	case yamlv3.SequenceNode:
		return "a list"
	}
	switch n.Tag {
	case "!!int", "!!float":
		return "the number " + n.Value
	case "!!bool":
		return n.Value
	}
	return strconv.Quote(n.Value)
}

func describe(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "text"
	case reflect.Bool:
		return "true or false"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a whole number"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

type field struct {
	name string
	typ  reflect.Type
}

// fieldsOf lists t's JSON fields as encoding/json sees them, embedded
// structs flattened.
func fieldsOf(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				out = append(out, fieldsOf(et)...)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, field{name: name, typ: f.Type})
	}
	return out
}

// fieldType finds key among fields as encoding/json does: the exact name,
// else a case-insensitive match.
func fieldType(fields []field, key string) (reflect.Type, bool) {
	for _, f := range fields {
		if f.name == key {
			return f.typ, true
		}
	}
	for _, f := range fields {
		if strings.EqualFold(f.name, key) {
			return f.typ, true
		}
	}
	return nil, false
}

func names(fields []field) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.name
	}
	return slices.Compact(out)
}
