package awsemu_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cmkguard/cmkguard/internal/awsemu"
)

// This file holds the emulator to the official AWS service models
// (testdata/models, botocore's service-2.json): every response that goes
// through a checkedHandler must have only members the operation's output
// shape has, of the right type, within the enum and range; every error must
// be one the operation declares, or one of the service's common errors,
// with the HTTP status AWS gives it.

// awsModel is the part of a botocore service model the checks read.
type awsModel struct {
	name     string // the service, as the emulator logs it
	Metadata struct {
		Protocol     string `json:"protocol"`
		TargetPrefix string `json:"targetPrefix"`
	} `json:"metadata"`
	Operations map[string]modelOperation `json:"operations"`
	Shapes     map[string]*modelShape    `json:"shapes"`
}

type modelOperation struct {
	Output *struct {
		Shape         string `json:"shape"`
		ResultWrapper string `json:"resultWrapper"`
	} `json:"output"`
	Errors []struct {
		Shape string `json:"shape"`
	} `json:"errors"`
}

type modelShape struct {
	Type            string                 `json:"type"`
	Members         map[string]modelMember `json:"members"`
	Required        []string               `json:"required"`
	Member          *modelMember           `json:"member"`
	Key             *modelMember           `json:"key"`
	Value           *modelMember           `json:"value"`
	Enum            []string               `json:"enum"`
	Min             *float64               `json:"min"`
	Max             *float64               `json:"max"`
	Flattened       bool                   `json:"flattened"`
	TimestampFormat string                 `json:"timestampFormat"`
	Exception       bool                   `json:"exception"`
	Fault           bool                   `json:"fault"`
	Error           *struct {
		Code           string `json:"code"`
		HTTPStatusCode int    `json:"httpStatusCode"`
	} `json:"error"`
}

type modelMember struct {
	Shape           string `json:"shape"`
	LocationName    string `json:"locationName"`
	Location        string `json:"location"`
	Flattened       bool   `json:"flattened"`
	TimestampFormat string `json:"timestampFormat"`
}

var (
	modelsOnce sync.Once
	models     map[string]*awsModel
	modelsErr  error
)

// loadModels reads every model in testdata/models, by service name.
func loadModels(t testing.TB) map[string]*awsModel {
	t.Helper()
	modelsOnce.Do(func() {
		models = map[string]*awsModel{}
		paths, err := filepath.Glob(filepath.Join("testdata", "models", "*.service-2.json.gz"))
		if err != nil || len(paths) == 0 {
			modelsErr = fmt.Errorf("no models in testdata/models: %v", err)
			return
		}
		for _, p := range paths {
			m, err := readModel(p)
			if err != nil {
				modelsErr = err
				return
			}
			m.name = strings.TrimSuffix(filepath.Base(p), ".service-2.json.gz")
			models[m.name] = m
		}
	})
	if modelsErr != nil {
		t.Fatal(modelsErr)
	}
	return models
}

func readModel(path string) (*awsModel, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var m awsModel
	if err := json.NewDecoder(zr).Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}

// commonErrors are the errors any operation of a protocol may return, with
// their HTTP status: AWS's "Common Errors" list, the errors of the
// protocols themselves (a body that does not parse, an unknown operation, a
// signature problem), and for EC2 its own common client and server errors.
var commonErrors = map[string]map[string]int{
	"json": {
		"AccessDeniedException": 400, "IncompleteSignature": 400, "InternalFailure": 500, "InvalidAction": 400,
		"InvalidClientTokenId": 403, "NotAuthorized": 400, "OptInRequired": 403, "RequestExpired": 400,
		"ServiceUnavailable": 503, "ThrottlingException": 400, "ValidationError": 400, "ValidationException": 400,
		"InvalidParameterCombination": 400, "InvalidParameterValue": 400, "InvalidQueryParameter": 400,
		"MissingAction": 400, "MissingParameter": 400, "MissingAuthenticationTokenException": 403,
		"UnrecognizedClientException": 400, "InvalidSignatureException": 400, "SerializationException": 400,
		"UnknownOperationException": 400, "RequestEntityTooLarge": 413,
	},
	"rest-json": {
		"AccessDeniedException": 403, "InternalFailure": 500, "ServiceUnavailable": 503, "ThrottlingException": 429,
		"MissingAuthenticationTokenException": 403, "InvalidSignatureException": 403, "UnrecognizedClientException": 403,
		"SerializationException": 400, "UnknownOperationException": 404, "RequestEntityTooLarge": 413,
		"TooManyRequestsException": 429,
	},
	"query": {
		"AccessDenied": 403, "IncompleteSignature": 400, "InternalFailure": 500, "InvalidAction": 400,
		"InvalidClientTokenId": 403, "MissingAction": 400, "MissingAuthenticationToken": 403, "MissingParameter": 400,
		"ServiceUnavailable": 503, "Throttling": 400, "ValidationError": 400, "InvalidParameterValue": 400,
		"SignatureDoesNotMatch": 403, "RequestEntityTooLarge": 413,
	},
	"ec2": {
		"AuthFailure": 401, "UnauthorizedOperation": 403, "RequestLimitExceeded": 503, "InternalError": 500,
		"Unavailable": 503, "InvalidParameterValue": 400, "InvalidParameter": 400, "InvalidParameterCombination": 400,
		"MissingParameter": 400, "InvalidAction": 400, "MissingAction": 400, "MissingAuthenticationToken": 403,
		"SignatureDoesNotMatch": 403, "OptInRequired": 401, "RequestEntityTooLarge": 413,
	},
}

// serviceCommonErrors are errors a service sends from any operation
// although its model does not list them there.
//
// DMS answers parameters it refuses with InvalidParameterValueException and
// InvalidParameterCombinationException (400), codes its model does not
// declare at all (AWS's common-errors page names InvalidParameterValue and
// InvalidParameterCombination); they are what DMS really sends, as
// terraform-provider-aws issues 21512 and 29198 show. A fix that AWS would
// behave differently for is not a fix, so the emulator keeps them.
var serviceCommonErrors = map[string]map[string]int{
	"organizations": {"TooManyRequestsException": 400, "ServiceException": 500},
	"dms":           {"InvalidParameterValueException": 400, "InvalidParameterCombinationException": 400},
}

// enumDeviations are values real AWS sends outside a model's enum. DMS
// returns EndpointType upper-cased ("SOURCE", "TARGET") although the enum
// and requests are lower-case: every create-endpoint and describe-endpoints
// output AWS prints shows it, and cmkguard's scanner lower-cases it.
var enumDeviations = map[string][]string{
	"dms ReplicationEndpointTypeValue": {"SOURCE", "TARGET"},
}

// modelCheck is one checked response.
type modelCheck struct {
	Service, Operation string
	Status             int
	ErrorCode          string
}

// modelChecker checks responses against the models and remembers what it
// checked.
type modelChecker struct {
	models map[string]*awsModel
	mu     sync.Mutex
	seen   []modelCheck
}

func newModelChecker(t testing.TB) *modelChecker {
	return &modelChecker{models: loadModels(t)}
}

// problems returns what is wrong with one response of service:operation.
func (mc *modelChecker) problems(service, operation string, status int, header http.Header, body []byte) (string, []string) {
	m := mc.models[service]
	if m == nil {
		return "", []string{fmt.Sprintf("no model for service %q in testdata/models", service)}
	}
	op, ok := m.Operations[operation]
	if !ok {
		if status >= 400 {
			code := errorCodeOf(m.Metadata.Protocol, header, body)
			if code == "UnknownOperationException" || code == "InvalidAction" || code == "MissingAction" {
				return code, nil
			}
		}
		return "", []string{fmt.Sprintf("%s has no operation %q", service, operation)}
	}
	if status >= 300 {
		code := errorCodeOf(m.Metadata.Protocol, header, body)
		return code, checkError(m, service, op, code, status)
	}
	if status != http.StatusOK {
		return "", []string{fmt.Sprintf("success status %d, want 200", status)}
	}
	if op.Output == nil {
		if len(bytes.TrimSpace(body)) > 2 {
			return "", []string{fmt.Sprintf("the operation has no output, the body is %q", body)}
		}
		return "", nil
	}
	switch m.Metadata.Protocol {
	case "json", "rest-json":
		var v any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return "", []string{fmt.Sprintf("body is not JSON: %v", err)}
		}
		var out []string
		checkJSON(m, &out, operation, op.Output.Shape, "", v)
		return "", out
	case "query", "ec2":
		root, err := parseXMLTree(body)
		if err != nil {
			return "", []string{fmt.Sprintf("body is not XML: %v", err)}
		}
		return "", checkXMLResponse(m, operation, op, root)
	}
	return "", []string{"unknown protocol " + m.Metadata.Protocol}
}

// errorCodeOf reads the error code the SDK would read.
func errorCodeOf(protocol string, header http.Header, body []byte) string {
	switch protocol {
	case "query", "ec2":
		root, err := parseXMLTree(body)
		if err != nil {
			return "<unparsable XML error>"
		}
		if c := root.find("Errors", "Error", "Code"); c != nil {
			return c.text
		}
		if c := root.find("Error", "Code"); c != nil {
			return c.text
		}
		return "<no Code>"
	}
	code := header.Get("X-Amzn-Errortype")
	if code == "" {
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		for _, k := range []string{"__type", "code", "Code"} {
			if s, ok := m[k].(string); ok {
				code = s
				break
			}
		}
	}
	if i := strings.Index(code, ":"); i >= 0 {
		code = code[:i]
	}
	if i := strings.LastIndex(code, "#"); i >= 0 {
		code = code[i+1:]
	}
	return code
}

// checkError checks an error's code and status against the operation.
func checkError(m *awsModel, service string, op modelOperation, code string, status int) []string {
	for _, e := range op.Errors {
		sh := m.Shapes[e.Shape]
		want := e.Shape
		if sh != nil && sh.Error != nil && sh.Error.Code != "" {
			want = sh.Error.Code
		}
		if want != code {
			continue
		}
		if ws := declaredStatus(sh); ws != status {
			return []string{fmt.Sprintf("error %s with HTTP %d, the model says %d", code, status, ws)}
		}
		return nil
	}
	want, ok := serviceCommonErrors[service][code]
	if !ok {
		want, ok = commonErrors[m.Metadata.Protocol][code]
	}
	if !ok {
		var declared []string
		for _, e := range op.Errors {
			declared = append(declared, e.Shape)
		}
		return []string{fmt.Sprintf("error %s (HTTP %d) is neither declared by the operation %v nor a common error", code, status, declared)}
	}
	if sh := m.Shapes[code]; sh != nil && sh.Exception && sh.Error != nil && sh.Error.HTTPStatusCode != 0 {
		want = sh.Error.HTTPStatusCode
	}
	if want != status {
		return []string{fmt.Sprintf("common error %s with HTTP %d, want %d", code, status, want)}
	}
	return nil
}

func declaredStatus(sh *modelShape) int {
	switch {
	case sh != nil && sh.Error != nil && sh.Error.HTTPStatusCode != 0:
		return sh.Error.HTTPStatusCode
	case sh != nil && sh.Fault:
		return 500
	default:
		return 400
	}
}

// checkJSON checks a decoded JSON value against a shape.
func checkJSON(m *awsModel, out *[]string, path, shapeName, tsFormat string, v any) {
	sh := m.Shapes[shapeName]
	if sh == nil {
		*out = append(*out, fmt.Sprintf("%s: the model has no shape %s", path, shapeName))
		return
	}
	bad := func(format string, args ...any) {
		*out = append(*out, path+": "+fmt.Sprintf(format, args...))
	}
	if v == nil {
		bad("null, AWS leaves a member out instead")
		return
	}
	switch sh.Type {
	case "structure":
		obj, ok := v.(map[string]any)
		if !ok {
			bad("want an object (%s), got %T", shapeName, v)
			return
		}
		byWire := map[string]string{}
		for name, mem := range sh.Members {
			if mem.Location != "" { // headers, status code, URI: not in the body
				continue
			}
			wire := name
			if m.Metadata.Protocol == "rest-json" && mem.LocationName != "" {
				wire = mem.LocationName
			}
			byWire[wire] = name
		}
		for k, val := range obj {
			name, ok := byWire[k]
			if !ok {
				bad("member %q is not in %s", k, shapeName)
				continue
			}
			mem := sh.Members[name]
			checkJSON(m, out, path+"."+k, mem.Shape, mem.TimestampFormat, val)
		}
		for _, r := range sh.Required {
			if _, ok := obj[r]; !ok && sh.Members[r].Location == "" {
				bad("required member %q of %s is missing", r, shapeName)
			}
		}
	case "list":
		arr, ok := v.([]any)
		if !ok {
			bad("want a list (%s), got %T", shapeName, v)
			return
		}
		checkLength(bad, sh, len(arr))
		for i, e := range arr {
			checkJSON(m, out, fmt.Sprintf("%s[%d]", path, i), sh.Member.Shape, sh.Member.TimestampFormat, e)
		}
	case "map":
		obj, ok := v.(map[string]any)
		if !ok {
			bad("want a map (%s), got %T", shapeName, v)
			return
		}
		for k, e := range obj {
			checkScalar(m, out, path+"{key}", sh.Key.Shape, k)
			checkJSON(m, out, path+"{"+k+"}", sh.Value.Shape, sh.Value.TimestampFormat, e)
		}
	case "timestamp":
		format := firstNonEmpty(tsFormat, sh.TimestampFormat)
		switch format {
		case "", "unixTimestamp":
			if _, ok := v.(json.Number); !ok {
				bad("timestamp %v: awsJson and restJson1 send epoch seconds (a number), got %T", v, v)
			}
		default:
			s, ok := v.(string)
			if !ok || !validTimestamp(format, s) {
				bad("timestamp %v is not %s", v, format)
			}
		}
	default:
		if _, isText := v.(string); isText && sh.Type != "string" && sh.Type != "blob" {
			bad("want a JSON %s (%s), got the string %q", sh.Type, shapeName, v)
			return
		}
		checkScalar(m, out, path, shapeName, v)
	}
}

// checkScalar checks a string, number, boolean or blob value; in XML every
// value comes as a string, and is parsed as its type says.
func checkScalar(m *awsModel, out *[]string, path, shapeName string, v any) {
	sh := m.Shapes[shapeName]
	bad := func(format string, args ...any) {
		*out = append(*out, path+": "+fmt.Sprintf(format, args...))
	}
	if sh == nil {
		bad("the model has no shape %s", shapeName)
		return
	}
	text, isText := v.(string)
	switch sh.Type {
	case "string":
		if !isText {
			bad("want a string (%s), got %T %v", shapeName, v, v)
			return
		}
		if len(sh.Enum) > 0 && !contains(sh.Enum, text) && !contains(enumDeviations[m.name+" "+shapeName], text) {
			bad("%q is not a value of the enum %s %v", text, shapeName, sh.Enum)
		}
		checkLength(bad, sh, utf8.RuneCountInString(text))
	case "integer", "long", "double", "float":
		var n float64
		var err error
		switch x := v.(type) {
		case json.Number:
			n, err = x.Float64()
		case string:
			n, err = strconv.ParseFloat(x, 64)
		default:
			err = fmt.Errorf("%T", v)
		}
		if err != nil {
			bad("want a number (%s), got %v", shapeName, v)
			return
		}
		if (sh.Type == "integer" || sh.Type == "long") && n != math.Trunc(n) {
			bad("%v is not an integer (%s)", n, shapeName)
		}
		if sh.Min != nil && n < *sh.Min || sh.Max != nil && n > *sh.Max {
			bad("%v is outside %s's range %v..%v", n, shapeName, deref(sh.Min), deref(sh.Max))
		}
	case "boolean":
		switch x := v.(type) {
		case bool:
		case string:
			if x != "true" && x != "false" {
				bad("%q is not a boolean", x)
			}
		default:
			bad("want a boolean, got %T", v)
		}
	case "blob":
		if !isText {
			bad("want base64 (%s), got %T", shapeName, v)
		} else if _, err := base64.StdEncoding.DecodeString(text); err != nil {
			bad("blob is not base64: %v", err)
		}
	case "timestamp":
		if !isText || !validTimestamp(firstNonEmpty(sh.TimestampFormat, "iso8601"), text) {
			bad("timestamp %v is not ISO 8601", v)
		}
	default:
		bad("unexpected shape type %s for a scalar", sh.Type)
	}
}

func checkLength(bad func(string, ...any), sh *modelShape, n int) {
	if sh.Min != nil && float64(n) < *sh.Min || sh.Max != nil && float64(n) > *sh.Max {
		bad("length %d is outside %v..%v", n, deref(sh.Min), deref(sh.Max))
	}
}

func deref(p *float64) any {
	if p == nil {
		return "∞"
	}
	return *p
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func validTimestamp(format, s string) bool {
	switch format {
	case "iso8601":
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z", "2006-01-02T15:04:05Z"} {
			if _, err := time.Parse(layout, s); err == nil {
				return true
			}
		}
		return false
	case "unixTimestamp":
		_, err := strconv.ParseFloat(s, 64)
		return err == nil
	case "rfc822":
		_, err := time.Parse(time.RFC1123, s)
		return err == nil
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// xmlNode is a parsed XML element.
type xmlNode struct {
	name     string
	text     string
	children []*xmlNode
}

func (n *xmlNode) find(path ...string) *xmlNode {
	cur := n
	for _, p := range path {
		var next *xmlNode
		for _, c := range cur.children {
			if c.name == p {
				next = c
				break
			}
		}
		if next == nil {
			return nil
		}
		cur = next
	}
	return cur
}

func parseXMLTree(body []byte) (*xmlNode, error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	var stack []*xmlNode
	var root *xmlNode
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &xmlNode{name: t.Name.Local}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				parent.children = append(parent.children, n)
			} else if root == nil {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("no root element")
	}
	return root, nil
}

// checkXMLResponse checks a query-protocol (STS) or EC2-protocol response.
func checkXMLResponse(m *awsModel, operation string, op modelOperation, root *xmlNode) []string {
	var out []string
	if root.name != operation+"Response" {
		out = append(out, fmt.Sprintf("root element %s, want %sResponse", root.name, operation))
	}
	result := root
	if m.Metadata.Protocol == "query" {
		var meta *xmlNode
		result, meta = nil, root.find("ResponseMetadata", "RequestId")
		for _, c := range root.children {
			switch c.name {
			case op.Output.ResultWrapper:
				result = c
			case "ResponseMetadata":
			default:
				out = append(out, fmt.Sprintf("element %s is neither %s nor ResponseMetadata", c.name, op.Output.ResultWrapper))
			}
		}
		if meta == nil || meta.text == "" {
			out = append(out, "no ResponseMetadata/RequestId")
		}
		if result == nil {
			return append(out, "no "+op.Output.ResultWrapper)
		}
	} else if root.find("requestId") == nil {
		out = append(out, "no requestId")
	}
	checkXMLStruct(m, &out, operation, op.Output.Shape, result, m.Metadata.Protocol == "ec2")
	return out
}

func xmlName(m *awsModel, name string, mem modelMember) string {
	if mem.LocationName != "" {
		return mem.LocationName
	}
	return name
}

func checkXMLStruct(m *awsModel, out *[]string, path, shapeName string, n *xmlNode, topEC2 bool) {
	sh := m.Shapes[shapeName]
	if sh == nil || sh.Type != "structure" {
		*out = append(*out, fmt.Sprintf("%s: %s is not a structure in the model", path, shapeName))
		return
	}
	byWire := map[string]string{}
	for name, mem := range sh.Members {
		byWire[xmlName(m, name, mem)] = name
	}
	present := map[string]bool{}
	for _, c := range n.children {
		if topEC2 && c.name == "requestId" {
			continue
		}
		name, ok := byWire[c.name]
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: element %q is not a member of %s", path, c.name, shapeName))
			continue
		}
		present[name] = true
		checkXMLValue(m, out, path+"."+c.name, sh.Members[name], c)
	}
	for _, r := range sh.Required {
		if !present[r] {
			*out = append(*out, fmt.Sprintf("%s: required member %q of %s is missing", path, r, shapeName))
		}
	}
}

func checkXMLValue(m *awsModel, out *[]string, path string, mem modelMember, n *xmlNode) {
	sh := m.Shapes[mem.Shape]
	if sh == nil {
		*out = append(*out, fmt.Sprintf("%s: the model has no shape %s", path, mem.Shape))
		return
	}
	switch sh.Type {
	case "structure":
		checkXMLStruct(m, out, path, mem.Shape, n, false)
	case "list":
		item := "member"
		if sh.Member.LocationName != "" {
			item = sh.Member.LocationName
		}
		for i, c := range n.children {
			if c.name != item {
				*out = append(*out, fmt.Sprintf("%s: list item element %q, want %q", path, c.name, item))
				continue
			}
			checkXMLValue(m, out, fmt.Sprintf("%s[%d]", path, i), *sh.Member, c)
		}
	case "map":
		*out = append(*out, fmt.Sprintf("%s: XML maps are not checked", path))
	default:
		if len(n.children) > 0 {
			*out = append(*out, fmt.Sprintf("%s: a %s has child elements", path, sh.Type))
			return
		}
		checkScalar(m, out, path, mem.Shape, n.text)
	}
}

// handler serves srv and checks every response against the models.
// Problems fail t. The operation is read from the request as the SDK sent
// it (credential scope, X-Amz-Target, the query's Action, the REST path).
func (mc *modelChecker) handler(t testing.TB, srv *awsemu.Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		service, operation := requestOperation(r, body)
		tw := &teeWriter{ResponseWriter: w, status: http.StatusOK}
		srv.ServeHTTP(tw, r)
		if tw.hijacked || mc.models[service] == nil {
			return // a lost answer, or a request with no service of its own
		}
		code, problems := mc.problems(service, operation, tw.status, w.Header(), tw.body.Bytes())
		mc.mu.Lock()
		mc.seen = append(mc.seen, modelCheck{Service: service, Operation: operation, Status: tw.status, ErrorCode: code})
		mc.mu.Unlock()
		for _, p := range problems {
			t.Errorf("model: %s:%s (HTTP %d): %s", service, operation, tw.status, p)
		}
	})
}

// requestOperation names the service and operation of a request.
func requestOperation(r *http.Request, body []byte) (service, operation string) {
	auth := r.Header.Get("Authorization")
	if i := strings.Index(auth, "Credential="); i >= 0 {
		scope := strings.Split(strings.SplitN(auth[i+len("Credential="):], ",", 2)[0], "/")
		if len(scope) == 5 {
			service = scope[3]
		}
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		_, operation, _ = strings.Cut(target, ".")
		return service, operation
	}
	if strings.TrimRight(r.URL.Path, "/") == "/findings/import" {
		return service, "BatchImportFindings"
	}
	form, _ := url.ParseQuery(string(body))
	return service, form.Get("Action")
}

// teeWriter passes a response through and keeps a copy; it can still be
// hijacked (the LoseAnswer fault closes the connection).
type teeWriter struct {
	http.ResponseWriter
	status   int
	body     bytes.Buffer
	hijacked bool
}

func (t *teeWriter) WriteHeader(status int) {
	t.status = status
	t.ResponseWriter.WriteHeader(status)
}

func (t *teeWriter) Write(b []byte) (int, error) {
	t.body.Write(b)
	return t.ResponseWriter.Write(b)
}

func (t *teeWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := t.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("the response writer cannot be hijacked")
	}
	t.hijacked = true
	return hj.Hijack()
}
