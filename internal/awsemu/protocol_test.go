package awsemu_test

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/internal/awsemu"
)

const testAuth = "AWS4-HMAC-SHA256 Credential=AKIAEMULATORTEST/20260101/us-east-1/%s/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000"

// rawResponse is what a raw HTTP call returned.
type rawResponse struct {
	status    int
	errorType string
	body      string
}

func rawCall(t *testing.T, h http.Handler, method, path, auth, target, contentType, body string) rawResponse {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Result().Body)
	return rawResponse{status: rec.Code, errorType: rec.Header().Get("X-Amzn-ErrorType"), body: string(b)}
}

func sigv4(service string) string { return strings.Replace(testAuth, "%s", service, 1) }

func jsonErrorType(t *testing.T, body string) string {
	t.Helper()
	var m map[string]string
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("error body %q is not JSON: %v", body, err)
	}
	if m["message"] == "" {
		t.Errorf("error body %q has no message", body)
	}
	return m["__type"]
}

func xmlErrorCode(t *testing.T, body string) string {
	t.Helper()
	var v struct {
		Code    string `xml:"Error>Code"`
		Errors  string `xml:"Errors>Error>Code"`
		Message string `xml:"Error>Message"`
	}
	if err := xml.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("error body %q is not XML: %v", body, err)
	}
	if v.Code != "" {
		return v.Code
	}
	return v.Errors
}

func TestRequestsWithoutSigV4GetTheServicesMissingAuthenticationError(t *testing.T) {
	srv := awsemu.New(awsemu.Options{})
	form := "application/x-www-form-urlencoded"
	tests := []struct {
		name                      string
		target, contentType, body string
		path                      string
		wantCode                  string
		wantXML                   bool
	}{
		{"KMS", "TrentService.ListKeys", "application/x-amz-json-1.1", "{}", "/", "MissingAuthenticationTokenException", false},
		{"DMS", "AmazonDMSv20160101.DescribeReplicationInstances", "application/x-amz-json-1.1", "{}", "/", "MissingAuthenticationTokenException", false},
		{"Organizations", "AWSOrganizationsV20161128.ListAccounts", "application/x-amz-json-1.1", "{}", "/", "MissingAuthenticationTokenException", false},
		{"EC2", "", form, "Action=DescribeRegions&Version=2016-11-15", "/", "MissingAuthenticationToken", true},
		{"STS", "", form, "Action=GetCallerIdentity&Version=2011-06-15", "/", "MissingAuthenticationToken", true},
		{"Security Hub", "", "application/json", `{"Findings":[]}`, "/findings/import", "MissingAuthenticationTokenException", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := rawCall(t, srv, http.MethodPost, tt.path, "", tt.target, tt.contentType, tt.body)
			if resp.status != http.StatusForbidden {
				t.Errorf("status = %d, want 403", resp.status)
			}
			var code string
			switch {
			case tt.wantXML:
				code = xmlErrorCode(t, resp.body)
			case tt.name == "Security Hub":
				code = resp.errorType
			default:
				code = jsonErrorType(t, resp.body)
			}
			if code != tt.wantCode {
				t.Errorf("code = %q, want %q (body %s)", code, tt.wantCode, resp.body)
			}
		})
	}
}

func TestBadRequestsGetTheProtocolsErrorNeverA500(t *testing.T) {
	srv := awsemu.New(awsemu.Options{})
	tests := []struct {
		name, service, target, body, wantCode string
	}{
		{"malformed JSON", "kms", "TrentService.DescribeKey", `{"KeyId":`, "SerializationException"},
		{"a JSON array body", "dms", "AmazonDMSv20160101.DescribeReplicationInstances", `[]`, "SerializationException"},
		{"a mistyped parameter", "dms", "AmazonDMSv20160101.DescribeReplicationInstances", `{"MaxRecords":"many"}`, "SerializationException"},
		{"a missing required parameter", "kms", "TrentService.DescribeKey", `{}`, "ValidationException"},
		{"an unknown operation", "kms", "TrentService.ExplodeKey", `{}`, "UnknownOperationException"},
		{"a target of another service", "kms", "AmazonDMSv20160101.DescribeReplicationInstances", `{}`, "UnknownOperationException"},
		{"no target at all", "dms", "", `{}`, "UnknownOperationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := rawCall(t, srv, http.MethodPost, "/", sigv4(tt.service), tt.target, "application/x-amz-json-1.1", tt.body)
			if resp.status != http.StatusBadRequest {
				t.Errorf("status = %d, want 400 (body %s)", resp.status, resp.body)
			}
			if got := jsonErrorType(t, resp.body); got != tt.wantCode || resp.errorType != tt.wantCode {
				t.Errorf("code = %q (header %q), want %q", got, resp.errorType, tt.wantCode)
			}
		})
	}
	t.Run("an unknown query action", func(t *testing.T) {
		resp := rawCall(t, srv, http.MethodPost, "/", sigv4("ec2"), "", "application/x-www-form-urlencoded", "Action=RunInstances&Version=2016-11-15")
		if resp.status != http.StatusBadRequest || xmlErrorCode(t, resp.body) != "InvalidAction" {
			t.Errorf("got %d %s", resp.status, resp.body)
		}
	})
}

func TestRoutingFallsBackToTheTargetWhenTheScopeNamesNoKnownService(t *testing.T) {
	srv := awsemu.New(awsemu.Options{})
	resp := rawCall(t, srv, http.MethodPost, "/", sigv4("execute-api"), "TrentService.ListKeys", "application/x-amz-json-1.1", "{}")
	if resp.status != http.StatusOK || !strings.Contains(resp.body, `"Keys":[]`) {
		t.Errorf("got %d %s", resp.status, resp.body)
	}
}

func TestDenyRulesGiveEachServicesAccessDeniedError(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	if err := e.srv.LoadEstate(&awsemu.Estate{Roles: []string{"arn:aws:iam::111122223333:role/forbidden", "arn:aws:iam::111122223333:role/allowed"}}); err != nil {
		t.Fatal(err)
	}
	e.srv.AddDeny(awsemu.DenyRule{Action: "dms:Describe*"})
	e.srv.AddDeny(awsemu.DenyRule{Action: "ec2:DescribeRegions", Account: "111122223333"})
	e.srv.AddDeny(awsemu.DenyRule{Action: "sts:AssumeRole", Resource: "arn:aws:iam::111122223333:role/forbidden"})
	e.srv.AddDeny(awsemu.DenyRule{Action: "kms:ListKeys", Principal: "arn:aws:iam::*:user/someone-else"})
	_, err := e.dms().DescribeReplicationInstances(ctx, &dms.DescribeReplicationInstancesInput{})
	if got := errorCode(t, err); got != "AccessDeniedException" {
		t.Errorf("DMS: code %q", got)
	}
	_, err = e.ec2().DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	if got := errorCode(t, err); got != "UnauthorizedOperation" {
		t.Errorf("EC2: code %q", got)
	}
	_, err = e.sts().AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111122223333:role/forbidden"), RoleSessionName: aws.String("audit")})
	if got := errorCode(t, err); got != "AccessDenied" {
		t.Errorf("STS: code %q", got)
	}
	if _, err := e.sts().AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111122223333:role/allowed"), RoleSessionName: aws.String("audit")}); err != nil {
		t.Errorf("another role: %v", err)
	}
	if _, err := e.kms().ListKeys(ctx, &kms.ListKeysInput{}); err != nil {
		t.Errorf("a rule for another principal denied the caller: %v", err)
	}
	if _, err := e.in("eu-west-1").dms().CreateReplicationInstance(ctx, &dms.CreateReplicationInstanceInput{ReplicationInstanceIdentifier: aws.String("x"), ReplicationInstanceClass: aws.String("dms.t3.micro")}); err != nil {
		t.Errorf("a Describe* rule denied a Create: %v", err)
	}
}

func TestOptInRegionsThatAreNotEnabledRefuseCalls(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	af := e.in("af-south-1")
	_, err := af.dms().DescribeReplicationInstances(ctx, &dms.DescribeReplicationInstancesInput{})
	if got := errorCode(t, err); got != "UnrecognizedClientException" {
		t.Errorf("DMS in af-south-1: code %q", got)
	}
	_, err = af.ec2().DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	if got := errorCode(t, err); got != "AuthFailure" {
		t.Errorf("EC2 in af-south-1: code %q", got)
	}
}

func TestFaultsThrottleAndFailFromASeed(t *testing.T) {
	pattern := func() []string {
		e := startEmu(t, awsemu.Options{})
		e.srv.SetFaults(awsemu.Faults{Throttle: map[string]float64{"kms:ListKeys": 0.5}, Seed: 42})
		var codes []string
		for range 20 {
			_, err := e.kms().ListKeys(ctx, &kms.ListKeysInput{})
			codes = append(codes, errorCode(t, err))
		}
		return codes
	}
	first, second := pattern(), pattern()
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("the same seed gave different throttling (-first +second):\n%s", diff)
	}
	throttled := 0
	for _, c := range first {
		if c == "ThrottlingException" {
			throttled++
		} else if c != "" {
			t.Errorf("unexpected code %q", c)
		}
	}
	if throttled == 0 || throttled == 20 {
		t.Errorf("%d of 20 calls throttled at probability 0.5", throttled)
	}

	e := startEmu(t, awsemu.Options{})
	e.srv.SetFaults(awsemu.Faults{ServerErrorRate: 1, Throttle: map[string]float64{"dms:*": 1}})
	_, err := e.kms().ListKeys(ctx, &kms.ListKeysInput{})
	if got := errorCode(t, err); got != "KMSInternalException" && got != "ServiceUnavailable" {
		t.Errorf("KMS at 5xx rate 1: code %q", got)
	}
	_, err = e.dms().DescribeReplicationInstances(ctx, &dms.DescribeReplicationInstancesInput{})
	if got := errorCode(t, err); got != "ThrottlingException" {
		t.Errorf("DMS at throttle 1: code %q", got)
	}
	_, err = e.ec2().DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	if got := errorCode(t, err); got != "InternalError" && got != "Unavailable" {
		t.Errorf("EC2 at 5xx rate 1: code %q", got)
	}
	e.srv.SetFaults(awsemu.Faults{})
	if _, err := e.kms().ListKeys(ctx, &kms.ListKeysInput{}); err != nil {
		t.Errorf("after clearing faults: %v", err)
	}
}

func TestLatencyDelaysEveryCallAtLeastThatLong(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	e.srv.SetFaults(awsemu.Faults{Latency: 30 * time.Millisecond, Jitter: 5 * time.Millisecond, Seed: 1})
	start := time.Now()
	if _, err := e.kms().ListKeys(ctx, &kms.ListKeysInput{}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 30*time.Millisecond {
		t.Errorf("call took %v, less than the 30ms latency", took)
	}
}

func TestFaultsValidateProbabilitiesAndDurations(t *testing.T) {
	tests := []struct {
		name   string
		faults awsemu.Faults
		ok     bool
	}{
		{"zero faults", awsemu.Faults{}, true},
		{"a negative latency", awsemu.Faults{Latency: -1}, false},
		{"a throttle probability above one", awsemu.Faults{Throttle: map[string]float64{"*": 1.5}}, false},
		{"a negative 5xx rate", awsemu.Faults{ServerErrorRate: -0.1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.faults.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestTheRequestLogRecordsWhoDidWhatAndWhetherItChangedAnything(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	if _, err := e.kms().CreateKey(ctx, &kms.CreateKeyInput{}); err != nil {
		t.Fatal(err)
	}
	_, _ = e.in("eu-west-1").kms().DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("00000000-0000-4000-8000-000000000000")})
	type row struct {
		Action, Region, Account, ErrorCode string
		Mutating                           bool
		Status                             int
	}
	var got []row
	for _, r := range e.srv.Requests() {
		got = append(got, row{r.Action(), r.Region, r.Account, r.ErrorCode, r.Mutating, r.HTTPStatus})
	}
	want := []row{
		{"kms:CreateKey", "us-east-1", "111122223333", "", true, 200},
		{"kms:DescribeKey", "eu-west-1", "111122223333", "NotFoundException", false, 400},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	if n := len(e.srv.MutatingRequests()); n != 1 {
		t.Errorf("%d mutating requests, want 1", n)
	}
	e.srv.ResetLog()
	if n := len(e.srv.Requests()); n != 0 {
		t.Errorf("%d entries after ResetLog", n)
	}
}

func TestForgedMarkersAreRefusedNotFollowed(t *testing.T) {
	srv := awsemu.New(awsemu.Options{})
	estate := &awsemu.Estate{
		Keys:         []awsemu.EstateKey{{ID: "k1", Aliases: []string{"alias/one"}}},
		Organization: &awsemu.EstateOrganization{ID: "o-a1b2c3d4e5", ManagementAccount: "111122223333"},
	}
	if err := srv.LoadEstate(estate); err != nil {
		t.Fatal(err)
	}
	huge := base64.RawURLEncoding.EncodeToString([]byte("cmkguard-page:18446744073709551615"))
	tests := []struct {
		name, service, target, body, want string
	}{
		{"ListKeys past the end", "kms", "TrentService.ListKeys", `{"Marker":"` + huge + `"}`, "InvalidMarkerException"},
		{"ListAliases with garbage", "kms", "TrentService.ListAliases", `{"Marker":"%%%"}`, "InvalidMarkerException"},
		{"ListAccounts with garbage", "organizations", "AWSOrganizationsV20161128.ListAccounts", `{"NextToken":"%%%"}`, "InvalidInputException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := rawCall(t, srv, http.MethodPost, "/", sigv4(tt.service), tt.target, "application/x-amz-json-1.1", tt.body)
			if resp.status != http.StatusBadRequest || resp.errorType != tt.want {
				t.Errorf("got %d %s, want 400 %s", resp.status, resp.body, tt.want)
			}
		})
	}
	resp := rawCall(t, srv, http.MethodPost, "/", sigv4("dms"), "AmazonDMSv20160101.DescribeReplicationInstances", "application/x-amz-json-1.1", `{"Marker":"`+huge+`"}`)
	if resp.status != http.StatusOK || !strings.Contains(resp.body, `"ReplicationInstances":[]`) {
		t.Errorf("a DMS marker past the end: %d %s, want an empty last page", resp.status, resp.body)
	}
}
