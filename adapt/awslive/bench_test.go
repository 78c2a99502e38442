package awslive_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/adapt/awslive"
	"github.com/cmkguard/cmkguard/internal/awsemu"
)

// Benchmark dimensions of the speed target.
const (
	benchRegions       = 17 // the emulator's standard enabled regions
	benchInstances     = 300
	benchKeysPerRegion = 20
	benchLatency       = 50 * time.Millisecond
	// benchLowerBound: regions and identity at once, 3 sequential pages,
	// one round of DescribeKey, then one round of GetKeyPolicy and
	// GetKeyRotationStatus (at once) for the keys the last page named.
	benchLowerBound = 6 * benchLatency
)

// largeEstate has, in every enabled standard region, benchInstances
// instances spread over benchKeysPerRegion customer keys.
func largeEstate() *awsemu.Estate {
	regions := []string{"us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
		"eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1",
		"ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2"}
	est := &awsemu.Estate{DefaultAccount: me}
	for ri, r := range regions {
		for k := range benchKeysPerRegion {
			est.Keys = append(est.Keys, awsemu.EstateKey{ID: fmt.Sprintf("bbbbbbbb-%04d-0000-0000-%012d", ri, k), Region: r})
		}
		for i := range benchInstances {
			est.ReplicationInstances = append(est.ReplicationInstances, awsemu.EstateReplicationInstance{
				ID: fmt.Sprintf("ri-%s-%03d", r, i), Region: r,
				KmsKey: keyARN(r, me, fmt.Sprintf("bbbbbbbb-%04d-0000-0000-%012d", ri, i%benchKeysPerRegion)),
			})
		}
	}
	return est
}

// BenchmarkScan17Regions is the speed target: 17 regions × 300 instances
// (3 pages) × 20 keys per region at 50 ms per call must take at most 1.5×
// the 300 ms lower bound, with exactly 1 + 17×3 + 17×20 DMS/KMS/EC2 calls
// for the instances (plus one STS call) and, since the default audit covers
// every kind, 17×6 more: one page each of serverless configs, their
// replications, endpoints, instance profiles, certificates and assessment
// runs, read alongside the
// instance pages; and the key checks, 17×20×2: one GetKeyPolicy and one
// GetKeyRotationStatus per distinct customer key, never per instance.
//
//	go test ./adapt/awslive -run '^$' -bench Scan17Regions -benchtime 3x
func BenchmarkScan17Regions(b *testing.B) {
	srv, cfg := startEmulator(b, largeEstate())
	srv.SetFaults(awsemu.Faults{Latency: benchLatency})
	ctx := context.Background()
	// One warm-up scan outside the timer opens the connections.
	if _, _, err := awslive.ScanAccount(ctx, cfg, awslive.Options{}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var times []time.Duration
	for b.Loop() {
		start := time.Now()
		st, stats, err := awslive.ScanAccount(ctx, cfg, awslive.Options{})
		elapsed := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		times = append(times, elapsed)
		if got, want := len(st.Instances), benchRegions*benchInstances; got != want {
			b.Fatalf("scanned %d instances, want %d", got, want)
		}
		if got, want := stats.Total("dms", "kms", "ec2"), 1+benchRegions*3+benchRegions*benchKeysPerRegion+benchRegions*6+2*benchRegions*benchKeysPerRegion; got != want {
			b.Fatalf("made %d DMS/KMS/EC2 calls, want %d: %v", got, want, stats.Calls())
		}
		if calls := stats.Calls(); calls["kms:GetKeyPolicy"] != benchRegions*benchKeysPerRegion || calls["kms:GetKeyRotationStatus"] != benchRegions*benchKeysPerRegion {
			b.Fatalf("key checks: %d GetKeyPolicy, %d GetKeyRotationStatus, want %d each (one per distinct key)",
				calls["kms:GetKeyPolicy"], calls["kms:GetKeyRotationStatus"], benchRegions*benchKeysPerRegion)
		}
		if got := stats.Total("sts"); got != 1 {
			b.Fatalf("made %d STS calls, want 1", got)
		}
	}
	slices.Sort(times)
	median, worst := times[len(times)/2], times[len(times)-1]
	b.ReportMetric(float64(median.Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
	b.ReportMetric(float64(median)/float64(benchLowerBound), "median/lower-bound")
	// The median, not the worst run: the machine is shared, and one run
	// slowed by another process says nothing about the scan.
	if limit := benchLowerBound * 3 / 2; median > limit {
		b.Errorf("median scan took %v, above 1.5× the %v lower bound (%v); runs: %v", median, benchLowerBound, limit, times)
	}
}
