package awsemu_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/cmkguard/cmkguard/internal/awsemu"
)

// emu is a started emulator with SDK clients for one region.
type emu struct {
	srv *awsemu.Server
	url string
	cfg aws.Config
}

func startEmu(t testing.TB, opts awsemu.Options) *emu {
	t.Helper()
	srv := awsemu.New(opts)
	var h http.Handler = srv
	if _, bench := t.(*testing.B); !bench {
		h = newModelChecker(t).handler(t, srv) // benchmarks measure the emulator alone
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return &emu{srv: srv, url: ts.URL, cfg: sdkConfig("us-east-1", "AKIAEMULATORTEST", "")}
}

func sdkConfig(region, akid, token string) aws.Config {
	return aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(akid, "emulator-secret", token),
		RetryMaxAttempts: 1,
	}
}

func (e *emu) in(region string) *emu {
	c := *e
	c.cfg = e.cfg.Copy()
	c.cfg.Region = region
	return &c
}

func (e *emu) as(akid, token string) *emu {
	c := *e
	c.cfg = sdkConfig(e.cfg.Region, akid, token)
	return &c
}

func (e *emu) kms() *kms.Client {
	return kms.NewFromConfig(e.cfg, func(o *kms.Options) {
		o.BaseEndpoint, o.HTTPClient = aws.String(e.url), ownRequestBody(o.HTTPClient)
	})
}

func (e *emu) dms() *dms.Client {
	return dms.NewFromConfig(e.cfg, func(o *dms.Options) {
		o.BaseEndpoint, o.HTTPClient = aws.String(e.url), ownRequestBody(o.HTTPClient)
	})
}

func (e *emu) ec2() *ec2.Client {
	return ec2.NewFromConfig(e.cfg, func(o *ec2.Options) {
		o.BaseEndpoint, o.HTTPClient = aws.String(e.url), ownRequestBody(o.HTTPClient)
	})
}

func (e *emu) sts() *sts.Client {
	return sts.NewFromConfig(e.cfg, func(o *sts.Options) {
		o.BaseEndpoint, o.HTTPClient = aws.String(e.url), ownRequestBody(o.HTTPClient)
	})
}

func (e *emu) orgs() *organizations.Client {
	return organizations.NewFromConfig(e.cfg, func(o *organizations.Options) {
		o.BaseEndpoint, o.HTTPClient = aws.String(e.url), ownRequestBody(o.HTTPClient)
	})
}

func (e *emu) securityhub() *securityhub.Client {
	return securityhub.NewFromConfig(e.cfg, func(o *securityhub.Options) {
		o.BaseEndpoint, o.HTTPClient = aws.String(e.url), ownRequestBody(o.HTTPClient)
	})
}

// ownRequestBody wraps a service client's HTTP client so that net/http
// writes a copy of the request body that only it holds.
//
// Without it the test clients lose their connection now and then under
// -race ("read tcp ...: use of closed network connection" while reading a
// large response). The cause is in the SDK, not the emulator: smithy-go's
// ClientHandler closes the request body (a safeWriteToReadCloser) as soon as
// Do returns, and that body's WriteTo answers io.EOF once closed. net/http
// flushes the headers and copies such a body straight to the socket, then
// reads the body once more (with io.Copy, hence WriteTo) to check for bytes
// beyond Content-Length. The emulator answers as soon as it has the body, so
// on loopback the answer can reach the caller, and the SDK close the body,
// before that last read; it then fails with io.EOF, the transport takes it
// for a write error and closes the connection, under the response body the
// caller is still reading. Against AWS the network round trip makes this
// unlikely; it is not something the emulator can or should prevent.
//
// A bytes.Reader body is one net/http knows to be in memory: it writes the
// request in one piece after its last read, and nothing else can close it.
// Nothing is retried and no response is touched.
func ownRequestBody(next aws.HTTPClient) aws.HTTPClient {
	return ownedBodyClient{next: next}
}

type ownedBodyClient struct{ next aws.HTTPClient }

func (c ownedBodyClient) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r = r.WithContext(r.Context()) // a shallow copy: the SDK still closes its own body
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	return c.next.Do(r)
}

var ctx = context.Background()
