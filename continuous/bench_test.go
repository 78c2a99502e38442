package continuous_test

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/internal/awsemu"
)

// Dimensions of the periodic target: one account and region with
// 5,000 instances on 200 keys, every call taking 50 ms.
const (
	benchInstances = 5000
	benchKeys      = 200
	benchLatency   = 50 * time.Millisecond
)

func largeAccount() *awsemu.Estate {
	est := &awsemu.Estate{DefaultAccount: acct, Regions: []awsemu.EstateRegion{{Name: region}, {Name: "us-east-1"}}}
	for k := range benchKeys {
		est.Keys = append(est.Keys, awsemu.EstateKey{ID: fmt.Sprintf("bbbbbbbb-0000-4000-8000-%012d", k), Region: region})
	}
	for i := range benchInstances {
		est.ReplicationInstances = append(est.ReplicationInstances, awsemu.EstateReplicationInstance{
			ID: fmt.Sprintf("ri-%05d", i), Region: region, KmsKey: keyARN(fmt.Sprintf("bbbbbbbb-0000-4000-8000-%012d", i%benchKeys)),
		})
	}
	return est
}

// peakHeap samples the heap in use every 5 ms until stop is closed.
func peakHeap(stop <-chan struct{}, peak *atomic.Uint64, wg *sync.WaitGroup) {
	defer wg.Done()
	var ms runtime.MemStats
	for {
		runtime.ReadMemStats(&ms)
		if ms.HeapInuse > peak.Load() {
			peak.Store(ms.HeapInuse)
		}
		select {
		case <-stop:
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// vmHWM is the process's peak resident set size, from /proc (Linux).
func vmHWM() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "n/a"
}

// BenchmarkPeriodic5000Instances is one periodic invocation in the steady
// state (the rule already holds an evaluation of every instance, so the
// previous evaluations are read too) at 50 ms per call. It must finish
// well inside Lambda's 15 minutes; its peak heap sets the templates'
// MemorySize. The heap figure includes the in-process emulator's; the
// emulator's own heap after loading is reported apart.
//
//	go test ./continuous -run '^$' -bench Periodic5000 -benchtime 1x
func BenchmarkPeriodic5000Instances(b *testing.B) {
	hs := newHarness(b, largeAccount(), defaults(nil))
	// The first run fills the rule's evaluations, at no latency.
	if _, err := hs.invoke(b, "scheduled.json", nil); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	hs.srv.SetFaults(awsemu.Faults{Latency: benchLatency})
	hs.srv.ResetLog()
	var peak atomic.Uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go peakHeap(stop, &peak, &wg)
		start := time.Now()
		day := fmt.Sprintf("2026-12-%02d", 2+i%27)
		if _, err := hs.invoke(b, "scheduled.json", func(s string) string { return strings.ReplaceAll(s, "2026-12-01T12:00:00.000Z", day+"T12:00:00.000Z") }); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		close(stop)
		wg.Wait()
		b.ReportMetric(elapsed.Seconds(), "s/invocation")
	}
	b.StopTimer()
	calls := map[string]int{}
	for _, e := range hs.srv.Requests() {
		calls[e.Action()]++
	}
	b.ReportMetric(float64(peak.Load())/(1<<20), "MiB-peak-heap")
	b.ReportMetric(float64(base.HeapInuse)/(1<<20), "MiB-heap-before")
	b.Logf("calls per invocation: %v; peak RSS of the process (emulator included): %s", calls, vmHWM())
	if got := len(hs.srv.ConfigEvaluations(acct, region, ruleName)); got != benchInstances {
		b.Fatalf("%d evaluations held, want %d", got, benchInstances)
	}
}

// BenchmarkChangeNotification is one change-triggered evaluation (an
// endpoint's configuration item) at 50 ms per call: DescribeKey, then
// PutEvaluations.
//
//	go test ./continuous -run '^$' -bench ChangeNotification -benchtime 20x
func BenchmarkChangeNotification(b *testing.B) {
	hs := newHarness(b, testEstate(), defaults(nil))
	hs.srv.SetFaults(awsemu.Faults{Latency: benchLatency})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := hs.invoke(b, "change-endpoint-default-key.json", nil); err != nil {
			b.Fatal(err)
		}
	}
}
