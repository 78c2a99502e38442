package report

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/finding"
)

// benchFindings is the size of the large-input benchmark.
const benchFindings = 100_000

var (
	benchOnce   sync.Once
	benchReport *finding.Report
)

// largeReport repeats the every-verdict fixture's findings, each with its own
// resource, up to benchFindings findings over 20 accounts and 10 regions.
func largeReport() *finding.Report {
	benchOnce.Do(func() {
		base := fixtureEveryVerdict()
		r := fixtureEveryVerdict()
		r.Findings = make([]finding.Finding, 0, benchFindings)
		regions := []string{"us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2", "eu-central-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1"}
		for i := 0; len(r.Findings) < benchFindings; i++ {
			f := base.Findings[i%len(base.Findings)]
			account := fmt.Sprintf("%012d", 100000000000+i%20)
			region := regions[i%len(regions)]
			id := fmt.Sprintf("dms-%06d", i)
			f.Account, f.Region, f.ResourceID = account, region, id
			if f.Source.File == "" {
				f.ResourceARN = "arn:aws:dms:" + region + ":" + account + ":rep:" + id
				f.Source.ARN = f.ResourceARN
			} else {
				f.Source.Address = "aws_dms_replication_instance." + id
				f.ResourceID = f.Source.Address
			}
			r.Findings = append(r.Findings, f)
		}
		r.Summary = finding.Summarize(r.Findings)
		benchReport = r
	})
	return benchReport
}

// heapPeak returns the most live heap, above the live heap before fn
// started, that any garbage collection during fn found. The collector runs
// often (GOGC=5) while fn runs so that the figure tracks what fn retains,
// not how much garbage waits for the next collection.
func heapPeak(fn func()) (peak uint64) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	defer debug.SetGCPercent(debug.SetGCPercent(5))
	runtime.GC()
	base := read()
	done := make(chan struct{})
	var max uint64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		for {
			if v := read(); v > max {
				max = v
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	runtime.GC() // a last mark while fn's results are still reachable
	close(done)
	wg.Wait()
	if v := read(); v > max {
		max = v
	}
	if max < base {
		return 0
	}
	return max - base
}

// countingWriter discards what it is given and counts the bytes.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*countingWriter)(nil)

// BenchmarkLargeReport renders 100,000 findings in every format. Besides
// ns/op and B/op it reports:
//
//	peak-heap-MB  the most live heap above the pre-render heap while writing
//	              (see heapPeak)
//	findings-MB   the live heap the findings themselves take, for comparison
//	output-MB     the size of the output
//
// A writer that built a second copy of the findings would show a peak-heap
// near or above findings-MB.
func BenchmarkLargeReport(b *testing.B) {
	r := largeReport()
	findingsMB := findingsHeapMB()
	formats := []struct {
		name     string
		reporter Reporter
	}{
		{"sarif", &SARIF{}},
		{"junit", &JUnit{}},
		{"csv", &CSV{}},
		{"asff", &ASFF{Account: "111111111111"}},
		{"ocsf", &OCSF{}},
		{"html", &HTML{}},
		{"markdown", &Markdown{}},
	}
	for _, f := range formats {
		b.Run(f.name, func(b *testing.B) {
			b.ReportAllocs()
			var out countingWriter
			render := func() {
				out = countingWriter{}
				if err := f.reporter.Write(&out, r); err != nil {
					b.Fatal(err)
				}
			}
			// Measured once, before the timed loop (b.Loop resets the timer
			// and the allocation counters on its first call).
			peak := heapPeak(render)
			for b.Loop() {
				render()
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			b.ReportMetric(findingsMB, "findings-MB")
			b.ReportMetric(float64(out.n)/(1<<20), "output-MB")
		})
	}
}

// findingsHeapMB measures the heap a fresh copy of the large report's
// findings takes.
func findingsHeapMB() float64 {
	src := largeReport().Findings
	var copyOf []finding.Finding
	peak := heapPeak(func() {
		copyOf = make([]finding.Finding, len(src))
		for i, f := range src {
			f.Reason = string([]byte(f.Reason)) // strings are shared otherwise
			f.ResourceARN = string([]byte(f.ResourceARN))
			copyOf[i] = f
		}
	})
	runtime.KeepAlive(copyOf)
	return float64(peak) / (1 << 20)
}
