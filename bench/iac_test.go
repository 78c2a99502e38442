package bench

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// IaC targets on 2 cores: the whole generated monorepo in 10 s and 500 MB
// of peak resident memory.
const (
	iacTargetSeconds = 10
	iacTargetRSSMB   = 500
)

// usage is what a run cost.
type usage struct {
	wall, cpu time.Duration // cpu: user + system
	rssMB     float64
}

// run runs a command and returns its wall time, CPU time and peak RSS.
func run(name string, args ...string) (usage, []byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "TRIVY_NO_PROGRESS=true")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	u := usage{wall: time.Since(start)}
	if cmd.ProcessState != nil {
		u.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			u.rssMB = float64(ru.Maxrss) / 1024 // KiB on Linux
		}
	}
	return u, out, err
}

func buildCmkguard(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "cmkguard")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/cmkguard")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// trivyPath finds trivy (TRIVY or PATH). The comparison is skipped without
// it, and fails without it when CMKGUARD_REQUIRE_TRIVY is set.
func trivyPath(tb testing.TB) string {
	if p := os.Getenv("TRIVY"); p != "" {
		return p
	}
	p, err := exec.LookPath("trivy")
	if err != nil {
		if os.Getenv("CMKGUARD_REQUIRE_TRIVY") != "" {
			tb.Fatalf("CMKGUARD_REQUIRE_TRIVY is set but trivy is not installed: %v", err)
		}
		tb.Log("trivy is not installed: the comparison is skipped (set TRIVY or put it on PATH)")
		return ""
	}
	return p
}

// BenchmarkIaCMonorepo scans a generated monorepo (5,000 .tf files in 500
// modules, 10,000 DMS resources, 500 CloudFormation templates) with the
// cmkguard binary, checks the 10 s and 500 MB targets, scans a quarter of it
// to show memory growing linearly, and times `trivy config` on the same
// tree in the same run.
//
//	go test ./bench -run '^$' -bench IaCMonorepo -benchtime 1x -timeout 30m
func BenchmarkIaCMonorepo(b *testing.B) {
	bin := buildCmkguard(b)
	full, quarter := b.TempDir(), b.TempDir()
	resources := fullMonorepo.generate(b, full)
	q := fullMonorepo
	q.Modules, q.Templates = q.Modules/4, q.Templates/4
	q.generate(b, quarter)
	out := filepath.Join(b.TempDir(), "report.json")
	scan := func(dir string) usage {
		u, output, err := run(bin, "iac", dir, "--format", "json="+out, "--fail-on", "none")
		if err != nil {
			b.Fatalf("cmkguard iac: %v\n%s", err, output)
		}
		return u
	}
	quarterUse := scan(quarter)
	var use usage
	for b.Loop() {
		use = scan(full)
	}
	var rep struct {
		Findings []struct {
			Source struct{ Address string } `json:"source"`
		} `json:"findings"`
	}
	data, err := os.ReadFile(out)
	if err != nil {
		b.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		b.Fatal(err)
	}
	addresses := map[string]bool{}
	for _, f := range rep.Findings {
		addresses[f.Source.Address] = true
	}
	b.Logf("%d DMS resources generated; %d findings", resources, len(rep.Findings))
	b.ReportMetric(use.wall.Seconds(), "s/scan")
	b.ReportMetric(use.cpu.Seconds(), "cpu-s/scan")
	b.ReportMetric(use.rssMB, "MB-peak-RSS")
	b.ReportMetric(quarterUse.rssMB, "MB-peak-RSS-quarter-tree")
	b.ReportMetric(quarterUse.cpu.Seconds(), "cpu-s/scan-quarter-tree")
	if use.wall.Seconds() > iacTargetSeconds {
		b.Errorf("the scan took %s, more than the %d s target", use.wall, iacTargetSeconds)
	}
	if use.rssMB > iacTargetRSSMB {
		b.Errorf("the scan peaked at %.0f MB, more than the %d MB target", use.rssMB, iacTargetRSSMB)
	}
	if trivy := trivyPath(b); trivy != "" {
		cache := b.TempDir()
		tu, output, err := run(trivy, "config", "--quiet", "--skip-check-update", "--skip-version-check", "--cache-dir", cache, "--format", "json", "--output", filepath.Join(cache, "trivy.json"), full)
		if err != nil {
			b.Errorf("trivy config: %v\n%s", err, output)
			return
		}
		b.ReportMetric(tu.wall.Seconds(), "trivy-s/scan")
		b.ReportMetric(tu.cpu.Seconds(), "trivy-cpu-s/scan")
		b.ReportMetric(tu.rssMB, "trivy-MB-peak-RSS")
		b.ReportMetric(tu.wall.Seconds()/use.wall.Seconds(), "trivy/cmkguard-wall")
		b.ReportMetric(tu.cpu.Seconds()/use.cpu.Seconds(), "trivy/cmkguard-cpu")
	}
}
