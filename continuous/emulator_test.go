package continuous_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/cmkguard/cmkguard/adapt/awslive"
	"github.com/cmkguard/cmkguard/continuous"
	"github.com/cmkguard/cmkguard/internal/awsemu"
)

const (
	acct     = "111122223333"
	region   = "eu-west-1"
	ruleName = "cmkguard-dms-cmk"

	cmkID     = "1111aaaa-0000-4000-8000-000000000001"
	defaultID = "2222bbbb-0000-4000-8000-000000000002"
	deniedID  = "3333cccc-0000-4000-8000-000000000003"
)

func keyARN(id string) string { return "arn:aws:kms:" + region + ":" + acct + ":key/" + id }

func dmsARN(kind, id string) string {
	return "arn:aws:dms:" + region + ":" + acct + ":" + kind + ":" + id
}

// testEstate is the account the fixtures describe: in eu-west-1, one
// instance and endpoint on a customer key, one of each on the AWS-managed
// aws/dms key, and an instance whose key's policy denies DescribeKey.
func testEstate() *awsemu.Estate {
	return &awsemu.Estate{
		DefaultAccount: acct,
		Keys: []awsemu.EstateKey{
			{ID: cmkID, Region: region, Aliases: []string{"alias/dms-data"}},
			{ID: defaultID, Region: region, Manager: "AWS", Aliases: []string{"alias/aws/dms"}},
			{ID: deniedID, Region: region},
		},
		ReplicationInstances: []awsemu.EstateReplicationInstance{
			{ID: "ri-cmk", ResourceID: "RICMK", Region: region, KmsKey: keyARN(cmkID)},
			{ID: "ri-default", ResourceID: "RIDEFAULT", Region: region, KmsKey: keyARN(defaultID)},
			{ID: "ri-denied", ResourceID: "RIDENIED", Region: region, KmsKey: keyARN(deniedID)},
		},
		Endpoints: []awsemu.EstateEndpoint{
			{ID: "ep-cmk", ResourceID: "EPCMK", Region: region, Type: "source", Engine: "postgres", KmsKey: keyARN(cmkID)},
			{ID: "ep-default", ResourceID: "EPDEFAULT", Region: region, Type: "target", Engine: "postgres", KmsKey: keyARN(defaultID)},
		},
		Deny: []awsemu.DenyRule{{Action: "kms:DescribeKey", Resource: keyARN(deniedID)}},
	}
}

// harness is the handler wired to an emulator through the real SDK, with
// its logs captured and an SNS endpoint that records what it is sent.
type harness struct {
	srv    *awsemu.Server
	h      *continuous.Handler
	logs   *syncBuffer
	sns    *fakeSNS
	cfg    aws.Config
	region string
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newHarness(t testing.TB, est *awsemu.Estate, settings continuous.Settings) *harness {
	t.Helper()
	srv := awsemu.New(awsemu.Options{DefaultAccount: acct})
	if est != nil {
		if err := srv.LoadEstate(est); err != nil {
			t.Fatalf("load estate: %v", err)
		}
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return attach(t, srv, ts.URL, "AKIDCMKGUARDTEST", region, settings)
}

// attach makes a handler that calls the emulator at url as akid.
func attach(t testing.TB, srv *awsemu.Server, url, akid, reg string, settings continuous.Settings) *harness {
	t.Helper()
	cfg, err := awslive.LoadConfig(context.Background(), "", url, reg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Credentials = credentials.NewStaticCredentialsProvider(akid, "not-a-secret-emulator-key", "")
	hs := &harness{srv: srv, logs: &syncBuffer{}, cfg: cfg, region: reg}
	h, err := continuous.New(cfg, settings, slog.New(slog.NewJSONHandler(hs.logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	h.Backoff = func(int) time.Duration { return time.Millisecond }
	if settings.SNSTopicARN != "" {
		hs.sns = newFakeSNS(t)
		h.NewClients = func(cfg aws.Config) continuous.Clients {
			c := continuous.NewClients(cfg)
			c.SNS = sns.NewFromConfig(cfg, func(o *sns.Options) { o.BaseEndpoint = aws.String(hs.sns.url) })
			return c
		}
	}
	hs.h = h
	return hs
}

func fixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// invoke stands in for Config invoking the rule with the event in
// fixture: a fresh result token replaces the fixture's placeholder, and
// edit (if any) rewrites the event first.
func (hs *harness) invoke(t testing.TB, name string, edit func(string) string) (string, error) {
	t.Helper()
	ev := fixture(t, name)
	if edit != nil {
		ev = edit(ev)
	}
	token := hs.srv.NewConfigResultToken(acct, hs.region, ruleName)
	ev = strings.ReplaceAll(ev, "RESULT-TOKEN", token)
	return token, hs.h.Handle(context.Background(), json.RawMessage(ev))
}

func (hs *harness) evaluations() map[string]awsemu.ConfigEvaluation {
	out := map[string]awsemu.ConfigEvaluation{}
	for _, e := range hs.srv.ConfigEvaluations(acct, hs.region, ruleName) {
		out[e.ResourceID] = e
	}
	return out
}

func (hs *harness) calls(action string) (ok, failed int) {
	for _, e := range hs.srv.Requests() {
		if e.Action() == action {
			if e.OK() {
				ok++
			} else {
				failed++
			}
		}
	}
	return ok, failed
}

// logLines decodes every log line, failing on one that is not JSON.
func (hs *harness) logLines(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(hs.logs.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		out = append(out, m)
	}
	return out
}

// fakeSNS is an SNS endpoint (awsQuery protocol) that records Publish.
type fakeSNS struct {
	url      string
	mu       sync.Mutex
	messages []url.Values
}

func newFakeSNS(t testing.TB) *fakeSNS {
	f := &fakeSNS{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Form.Get("Action") != "Publish" {
			http.Error(w, "not Publish", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.messages = append(f.messages, r.Form)
		n := len(f.messages)
		f.mu.Unlock()
		type result struct {
			MessageID string `xml:"MessageId"`
		}
		type response struct {
			XMLName xml.Name `xml:"PublishResponse"`
			Xmlns   string   `xml:"xmlns,attr"`
			Result  result   `xml:"PublishResult"`
			Request string   `xml:"ResponseMetadata>RequestId"`
		}
		w.Header().Set("Content-Type", "text/xml")
		_ = xml.NewEncoder(w).Encode(response{Xmlns: "http://sns.amazonaws.com/doc/2010-03-31/", Result: result{MessageID: fmt.Sprintf("msg-%d", n)}, Request: "req"})
	}))
	t.Cleanup(ts.Close)
	f.url = ts.URL
	return f
}

func (f *fakeSNS) sent() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.messages...)
}

// defaults are the settings of a deployment that sets nothing, with edit
// applied.
func defaults(edit func(*continuous.Settings)) continuous.Settings {
	s, err := continuous.SettingsFromEnv(func(string) string { return "" })
	if err != nil {
		panic(err)
	}
	if edit != nil {
		edit(&s)
	}
	return s
}
