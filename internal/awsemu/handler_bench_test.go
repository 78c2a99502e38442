package awsemu_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/internal/awsemu"
)

// Handler benchmarks measure the emulator's own cost per call, without the
// network or the SDK (compare with the SDK benchmarks in bench_test.go).

func benchHandler(b *testing.B, srv *awsemu.Server, service, target, body string) {
	b.Helper()
	auth := sigv4(service)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
			req.Header.Set("Authorization", auth)
			req.Header.Set("X-Amz-Target", target)
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Errorf("status %d: %s", rec.Code, rec.Body.String())
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}

func BenchmarkHandlerDescribeKey(b *testing.B) {
	srv := awsemu.New(awsemu.Options{})
	if err := srv.LoadEstate(&awsemu.Estate{Keys: []awsemu.EstateKey{{ID: "6f1c2b3a-1d2e-4f50-8a9b-0c1d2e3f4a01"}}}); err != nil {
		b.Fatal(err)
	}
	benchHandler(b, srv, "kms", "TrentService.DescribeKey", `{"KeyId":"arn:aws:kms:us-east-1:111122223333:key/6f1c2b3a-1d2e-4f50-8a9b-0c1d2e3f4a01"}`)
}

func BenchmarkHandlerDescribeReplicationInstancesPageOf100(b *testing.B) {
	srv := awsemu.New(awsemu.Options{})
	estate := &awsemu.Estate{}
	for i := range 10000 {
		estate.ReplicationInstances = append(estate.ReplicationInstances, awsemu.EstateReplicationInstance{ID: fmt.Sprintf("bench-%05d", i), Class: "dms.r5.large"})
	}
	if err := srv.LoadEstate(estate); err != nil {
		b.Fatal(err)
	}
	srv.SetFaults(awsemu.Faults{})
	benchHandler(b, srv, "dms", "AmazonDMSv20160101.DescribeReplicationInstances", `{"Filters":[{"Name":"replication-instance-class","Values":["dms.r5.large"]}],"MaxRecords":100}`)
}
