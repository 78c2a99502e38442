package awsemu

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// protocol is an AWS wire protocol.
type protocol int

const (
	protoJSON  protocol = iota // awsJson1_1: POST /, X-Amz-Target, JSON bodies
	protoQuery                 // query: form-encoded Action, XML responses
	protoREST                  // restJson1: method and path name the operation
)

// targetPrefixes maps awsJson1_1 services to their X-Amz-Target prefix.
var targetPrefixes = map[string]string{
	"dms":           "AmazonDMSv20160101",
	"kms":           "TrentService",
	"organizations": "AWSOrganizationsV20161128",
	"config":        "StarlingDoveService",
}

// queryVersions are the API versions of the query-protocol services.
var queryVersions = map[string]string{
	"ec2": "2016-11-15",
	"sts": "2011-06-15",
}

func protocolOf(service string) protocol {
	switch service {
	case "ec2", "sts":
		return protoQuery
	case "securityhub":
		return protoREST
	default:
		return protoJSON
	}
}

// route is what a request asks for, before the emulator acts on it.
type route struct {
	service     string
	op          string
	region      string
	accessKeyID string
	protocol    protocol
	form        url.Values
	err         *apiError
}

// credentialScope parses "AKID/date/region/service/aws4_request".
func credentialScope(cred string) (akid, region, service string, ok bool) {
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[0] == "" || parts[2] == "" || parts[3] == "" || parts[4] != "aws4_request" {
		return "", "", "", false
	}
	return parts[0], parts[2], parts[3], true
}

// sigV4Credential returns the Credential of a SigV4 Authorization header or
// presigned query string.
func sigV4Credential(r *http.Request) (string, bool) {
	auth := r.Header.Get("Authorization")
	if strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") {
		for _, field := range strings.Split(auth[len("AWS4-HMAC-SHA256 "):], ",") {
			field = strings.TrimSpace(field)
			if v, ok := strings.CutPrefix(field, "Credential="); ok {
				return v, true
			}
		}
		return "", false
	}
	if v := r.URL.Query().Get("X-Amz-Credential"); v != "" {
		return v, true
	}
	return "", false
}

// detectRoute works out service, region, operation and caller key from a request.
func detectRoute(r *http.Request, body []byte) route {
	var rt route
	target := r.Header.Get("X-Amz-Target")
	cred, hasAuth := sigV4Credential(r)
	if hasAuth {
		akid, region, service, ok := credentialScope(cred)
		if ok {
			rt.accessKeyID, rt.region = akid, region
			if knownService(service) {
				rt.service = service
			}
		} else {
			hasAuth = false
		}
	}
	if rt.service == "" {
		rt.service = guessService(r, target, body)
	}
	rt.protocol = protocolOf(rt.service)
	rt.op = operationName(&rt, r, target, body)
	if !hasAuth {
		rt.err = missingAuth(rt.protocol)
	}
	return rt
}

func knownService(s string) bool {
	switch s {
	case "dms", "kms", "organizations", "ec2", "sts", "securityhub", "config":
		return true
	}
	return false
}

// guessService names the service of a request whose scope does not.
func guessService(r *http.Request, target string, body []byte) string {
	if prefix, _, ok := strings.Cut(target, "."); ok {
		for svc, p := range targetPrefixes {
			if p == prefix {
				return svc
			}
		}
	}
	if strings.HasPrefix(r.URL.Path, "/findings") {
		return "securityhub"
	}
	form := parseForm(r, body)
	if form.Get("Version") == queryVersions["sts"] {
		return "sts"
	}
	if form.Get("Action") != "" {
		return "ec2"
	}
	return "kms"
}

// operationName extracts the operation for the route's protocol.
func operationName(rt *route, r *http.Request, target string, body []byte) string {
	switch rt.protocol {
	case protoQuery:
		rt.form = parseForm(r, body)
		return rt.form.Get("Action")
	case protoREST:
		if r.Method == http.MethodPost && strings.TrimRight(r.URL.Path, "/") == "/findings/import" {
			return "BatchImportFindings"
		}
		return r.Method + " " + r.URL.Path
	default:
		prefix, op, ok := strings.Cut(target, ".")
		if !ok || prefix != targetPrefixes[rt.service] {
			return target
		}
		return op
	}
}

func parseForm(r *http.Request, body []byte) url.Values {
	form := url.Values{}
	for k, v := range r.URL.Query() {
		form[k] = v
	}
	if r.Method == http.MethodPost {
		if vals, err := url.ParseQuery(string(body)); err == nil {
			for k, v := range vals {
				form[k] = v
			}
		}
	}
	return form
}

func missingAuth(p protocol) *apiError {
	if p == protoQuery {
		return errf(http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token")
	}
	return errf(http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token")
}

func unknownOperation(rt route) *apiError {
	switch rt.protocol {
	case protoQuery:
		if rt.op == "" {
			return badRequest("MissingAction", "The request must contain the parameter Action")
		}
		return badRequest("InvalidAction", "The action %s is not valid for this web service.", rt.op)
	case protoREST:
		return errf(http.StatusNotFound, "UnknownOperationException", "No operation matches %s", rt.op)
	default:
		return badRequest("UnknownOperationException", "Unknown operation %s", rt.op)
	}
}

// writeError writes err in the route's protocol's shape.
func writeError(w http.ResponseWriter, rt route, err *apiError, reqID string) {
	h := w.Header()
	h.Set("X-Amzn-Requestid", reqID)
	if rt.protocol == protoQuery {
		h.Set("Content-Type", "text/xml")
		w.WriteHeader(err.Status)
		_, _ = w.Write(queryErrorBody(rt.service, err, reqID))
		return
	}
	contentType, body := "application/x-amz-json-1.1", map[string]string{"__type": err.Code, "message": err.Message}
	if rt.protocol == protoREST {
		contentType, body = "application/json", map[string]string{"Code": err.Code, "Message": err.Message}
	}
	h.Set("Content-Type", contentType)
	h.Set("X-Amzn-Errortype", err.Code)
	b, _ := json.Marshal(body)
	w.WriteHeader(err.Status)
	_, _ = w.Write(b)
}

// queryErrorBody is a query-protocol error: EC2's <Response><Errors> or
// STS's <ErrorResponse>.
func queryErrorBody(service string, err *apiError, reqID string) []byte {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if service == "ec2" {
		buf.WriteString("<Response><Errors><Error>")
		xmlElement(&buf, "Code", err.Code)
		xmlElement(&buf, "Message", err.Message)
		buf.WriteString("</Error></Errors>")
		xmlElement(&buf, "RequestID", reqID)
		buf.WriteString("</Response>")
		return buf.Bytes()
	}
	kind := "Sender"
	if err.Server {
		kind = "Receiver"
	}
	buf.WriteString(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>`)
	xmlElement(&buf, "Type", kind)
	xmlElement(&buf, "Code", err.Code)
	xmlElement(&buf, "Message", err.Message)
	buf.WriteString("</Error>")
	xmlElement(&buf, "RequestId", reqID)
	buf.WriteString("</ErrorResponse>")
	return buf.Bytes()
}

// xmlElement writes <name>value</name>, escaping the value.
func xmlElement(buf *bytes.Buffer, name, value string) {
	buf.WriteString("<" + name + ">")
	_ = xml.EscapeText(buf, []byte(value))
	buf.WriteString("</" + name + ">")
}

// writeResult writes a successful result and returns the HTTP status used.
func writeResult(w http.ResponseWriter, rt route, out any, reqID string) int {
	h := w.Header()
	h.Set("X-Amzn-Requestid", reqID)
	var b []byte
	var err error
	switch rt.protocol {
	case protoQuery:
		h.Set("Content-Type", "text/xml")
		b, err = xml.Marshal(out)
		if err == nil {
			b = append([]byte(xml.Header), b...)
		}
	case protoREST:
		h.Set("Content-Type", "application/json")
		b, err = marshalJSON(out)
	default:
		h.Set("Content-Type", "application/x-amz-json-1.1")
		b, err = marshalJSON(out)
	}
	if err != nil {
		aerr := &apiError{Code: internalCode(rt.service), Message: "could not encode the response", Status: http.StatusInternalServerError, Server: true}
		writeError(w, rt, aerr, reqID)
		return aerr.Status
	}
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return http.StatusOK
}

// rawJSON is a response body a handler encoded itself.
type rawJSON []byte

func marshalJSON(out any) ([]byte, error) {
	if out == nil {
		return []byte("{}"), nil
	}
	if raw, ok := out.(rawJSON); ok {
		return raw, nil
	}
	return json.Marshal(out)
}
