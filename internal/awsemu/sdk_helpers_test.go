package awsemu_test

import (
	"context"
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
	ts := httptest.NewServer(srv)
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
	return kms.NewFromConfig(e.cfg, func(o *kms.Options) { o.BaseEndpoint = aws.String(e.url) })
}

func (e *emu) dms() *dms.Client {
	return dms.NewFromConfig(e.cfg, func(o *dms.Options) { o.BaseEndpoint = aws.String(e.url) })
}

func (e *emu) ec2() *ec2.Client {
	return ec2.NewFromConfig(e.cfg, func(o *ec2.Options) { o.BaseEndpoint = aws.String(e.url) })
}

func (e *emu) sts() *sts.Client {
	return sts.NewFromConfig(e.cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(e.url) })
}

func (e *emu) orgs() *organizations.Client {
	return organizations.NewFromConfig(e.cfg, func(o *organizations.Options) { o.BaseEndpoint = aws.String(e.url) })
}

func (e *emu) securityhub() *securityhub.Client {
	return securityhub.NewFromConfig(e.cfg, func(o *securityhub.Options) { o.BaseEndpoint = aws.String(e.url) })
}

var ctx = context.Background()
