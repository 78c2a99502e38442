package awsemu_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	dmstypes "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/cmkguard/cmkguard/internal/awsemu"
)

// The emulator must serve at least 5,000 SDK calls per second on a 2-core
// machine so that it is never the bottleneck of the audit benchmarks:
//
//	go test -run '^$' -bench . -benchtime 3s ./internal/awsemu
//
// Each benchmark reports calls/s (one SDK call per iteration, from
// GOMAXPROCS goroutines).

// bigEstate starts an emulator holding 10,000 replication instances.
func bigEstate(b *testing.B) *emu {
	b.Helper()
	e := startEmu(b, awsemu.Options{})
	estate := &awsemu.Estate{}
	for i := range 10000 {
		estate.ReplicationInstances = append(estate.ReplicationInstances, awsemu.EstateReplicationInstance{ID: fmt.Sprintf("bench-%05d", i), Class: "dms.r5.large"})
	}
	if err := e.srv.LoadEstate(estate); err != nil {
		b.Fatal(err)
	}
	return e
}

// BenchmarkDescribeReplicationInstancesByIDOver10000Instances looks one
// instance up by id in a 10,000-instance estate, as remediation does.
func BenchmarkDescribeReplicationInstancesByIDOver10000Instances(b *testing.B) {
	c := bigEstate(b).dms()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			in := &dms.DescribeReplicationInstancesInput{Filters: []dmstypes.Filter{{Name: aws.String("replication-instance-id"), Values: []string{fmt.Sprintf("bench-%05d", i*7919%10000)}}}}
			out, err := c.DescribeReplicationInstances(ctx, in)
			if err != nil || len(out.ReplicationInstances) != 1 {
				b.Errorf("lookup: %v", err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}

// BenchmarkDescribeReplicationInstancesOver10000Instances pages through
// 10,000 instances, 100 per call, as the audit does.
func BenchmarkDescribeReplicationInstancesOver10000Instances(b *testing.B) {
	c := bigEstate(b).dms()
	first, err := c.DescribeReplicationInstances(ctx, &dms.DescribeReplicationInstancesInput{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		marker := first.Marker
		for pb.Next() {
			out, err := c.DescribeReplicationInstances(ctx, &dms.DescribeReplicationInstancesInput{Marker: marker})
			if err != nil {
				b.Error(err)
				return
			}
			if len(out.ReplicationInstances) != 100 {
				b.Errorf("page of %d instances", len(out.ReplicationInstances))
				return
			}
			marker = out.Marker
			if marker == nil {
				marker = first.Marker
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	b.ReportMetric(100*float64(b.N)/b.Elapsed().Seconds(), "instances/s")
}

func BenchmarkDescribeKey(b *testing.B) {
	e := startEmu(b, awsemu.Options{})
	c := e.kms()
	created, err := c.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		b.Fatal(err)
	}
	in := &kms.DescribeKeyInput{KeyId: aws.String(*created.KeyMetadata.Arn)}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.DescribeKey(ctx, in); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}
