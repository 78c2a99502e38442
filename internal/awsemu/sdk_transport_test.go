package awsemu_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"

	"github.com/cmkguard/cmkguard/internal/awsemu"
)

// slowConn, while slow is set, pauses after each write, as a goroutine the
// race detector holds back does, and reads at most 1 KiB at a time with a
// pause before each read: the emulator's answer then arrives before the
// client's transport is done with the request, and is still being read when
// the transport is.
type slowConn struct {
	net.Conn
	slow *atomic.Bool
}

func (c slowConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if c.slow.Load() {
		time.Sleep(40 * time.Millisecond)
	}
	return n, err
}

func (c slowConn) Read(p []byte) (int, error) {
	if c.slow.Load() {
		time.Sleep(10 * time.Millisecond)
		p = p[:min(len(p), 1<<10)]
	}
	return c.Conn.Read(p)
}

// TestTestClientsKeepTheConnectionWhenTheAnswerComesFirst makes the race
// ownRequestBody works around happen every time: the client's transport is
// slowed after it writes the request, so the answer (a page of 20 instances,
// larger than the transport's read buffer) is read while the transport has
// not finished writing. With the SDK's own request body the transport closes
// the connection under that read, every time ("use of closed network
// connection"), with or without -race.
func TestTestClientsKeepTheConnectionWhenTheAnswerComesFirst(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	var slow atomic.Bool
	c := dms.NewFromConfig(e.cfg, func(o *dms.Options) {
		slowed := o.HTTPClient.(*awshttp.BuildableClient).WithTransportOptions(func(tr *http.Transport) {
			dial := tr.DialContext
			tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				conn, err := dial(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				return slowConn{Conn: conn, slow: &slow}, nil
			}
		})
		o.BaseEndpoint, o.HTTPClient = aws.String(e.url), ownRequestBody(slowed)
	})
	for i := range 20 {
		mustCreateInstance(t, c, fmt.Sprintf("inst-%02d", i), "")
	}
	slow.Store(true)
	out, err := c.DescribeReplicationInstances(ctx, &dms.DescribeReplicationInstancesInput{MaxRecords: aws.Int32(20)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ReplicationInstances) != 20 {
		t.Errorf("got %d instances, want 20", len(out.ReplicationInstances))
	}
}
