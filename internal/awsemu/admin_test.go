package awsemu_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/cmkguard/cmkguard/internal/awsemu"
)

func adminCall(t *testing.T, base, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestTheAdminEndpointListsResetsAndChangesFaults(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	const keyID = "6f1c2b3a-1d2e-4f50-8a9b-0c1d2e3f4a01"
	if err := e.srv.LoadEstate(&awsemu.Estate{Keys: []awsemu.EstateKey{{ID: keyID}}}); err != nil {
		t.Fatal(err)
	}
	admin := httptest.NewServer(e.srv.AdminHandler())
	t.Cleanup(admin.Close)

	if _, err := e.kms().CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("made by the test")}); err != nil {
		t.Fatal(err)
	}
	t.Run("GET requests lists the calls as JSON", func(t *testing.T) {
		status, body := adminCall(t, admin.URL, http.MethodGet, "/_cmkguard/requests", "")
		var log []awsemu.LogEntry
		if err := json.Unmarshal([]byte(body), &log); status != http.StatusOK || err != nil {
			t.Fatalf("%d %s (%v)", status, body, err)
		}
		if len(log) != 1 || log[0].Action() != "kms:CreateKey" || !log[0].Mutating || log[0].HTTPStatus != 200 {
			t.Errorf("log = %+v", log)
		}
		if !strings.Contains(body, `"operation":"CreateKey"`) {
			t.Errorf("members are not camelCase: %s", body)
		}
	})
	t.Run("POST faults replaces deny rules and faults", func(t *testing.T) {
		status, body := adminCall(t, admin.URL, http.MethodPost, "/_cmkguard/faults",
			`{"deny":[{"action":"kms:DescribeKey"}],"faults":{"latency":"1ms","loseAnswer":{"kms:CreateAlias":1}}}`)
		if status != http.StatusOK || !strings.Contains(body, `"latency":"1ms"`) {
			t.Fatalf("%d %s", status, body)
		}
		_, err := e.kms().DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyID)})
		if got := errorCode(t, err); got != "AccessDeniedException" {
			t.Errorf("DescribeKey after the deny rule: %v", err)
		}
		if got := e.srv.CurrentFaults().LoseAnswer["kms:CreateAlias"]; got != 1 {
			t.Errorf("loseAnswer not set: %+v", e.srv.CurrentFaults())
		}
		status, body = adminCall(t, admin.URL, http.MethodGet, "/_cmkguard/faults", "")
		if status != http.StatusOK || !strings.Contains(body, `"action":"kms:DescribeKey"`) {
			t.Errorf("GET faults: %d %s", status, body)
		}
	})
	t.Run("POST reset returns to the estate and empties the log", func(t *testing.T) {
		if status, body := adminCall(t, admin.URL, http.MethodPost, "/_cmkguard/reset", ""); status != http.StatusNoContent {
			t.Fatalf("%d %s", status, body)
		}
		if n := len(e.srv.Requests()); n != 0 {
			t.Errorf("log has %d entries after reset", n)
		}
		keys, err := e.kms().ListKeys(ctx, &kms.ListKeysInput{})
		if err != nil {
			t.Fatalf("ListKeys after reset (deny rules and faults gone?): %v", err)
		}
		if len(keys.Keys) != 1 || *keys.Keys[0].KeyId != keyID {
			t.Errorf("keys after reset = %d, want only the estate's", len(keys.Keys))
		}
		if len(e.srv.DenyRules()) != 0 || e.srv.CurrentFaults().LoseAnswer != nil {
			t.Errorf("deny rules or faults survived the reset")
		}
	})
	t.Run("bad requests are refused with a reason", func(t *testing.T) {
		tests := []struct{ method, path, body, want string }{
			{http.MethodPost, "/_cmkguard/faults", `{"faults":{"throttle":{"*":3}}}`, "probability"},
			{http.MethodPost, "/_cmkguard/faults", `{"deny":[{"resource":"*"}]}`, "no action"},
			{http.MethodPost, "/_cmkguard/faults", `{"denny":[]}`, "unknown field"},
			{http.MethodPost, "/_cmkguard/faults", `{"faults":{"latency":"soon"}}`, "duration"},
			{http.MethodDelete, "/_cmkguard/faults", ``, "not allowed"},
			{http.MethodGet, "/_cmkguard/reset", ``, "not allowed"},
			{http.MethodGet, "/_cmkguard/nothing", ``, "no admin endpoint"},
		}
		for _, tt := range tests {
			status, body := adminCall(t, admin.URL, tt.method, tt.path, tt.body)
			if status < 400 || !strings.Contains(body, tt.want) {
				t.Errorf("%s %s %s: %d %s, want an error mentioning %q", tt.method, tt.path, tt.body, status, body, tt.want)
			}
		}
	})
}

func TestResetWithoutAnEstateEmptiesTheWorld(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	if _, err := e.kms().CreateKey(ctx, &kms.CreateKeyInput{}); err != nil {
		t.Fatal(err)
	}
	e.srv.AddDeny(awsemu.DenyRule{Action: "kms:CreateKey"})
	if err := e.srv.Reset(); err != nil {
		t.Fatal(err)
	}
	keys, err := e.kms().ListKeys(ctx, &kms.ListKeysInput{})
	if err != nil || len(keys.Keys) != 0 {
		t.Errorf("after reset: %v keys, err %v", keys, err)
	}
	if _, err := e.kms().CreateKey(ctx, &kms.CreateKeyInput{}); err != nil {
		t.Errorf("the deny rule survived the reset: %v", err)
	}
}
