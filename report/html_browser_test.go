package report

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/finding"
)

// chromiumPath finds a Chromium to drive; without one the test skips,
// unless CMKGUARD_REQUIRE_CHROMIUM is set (CI), where it fails.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CMKGUARD_REQUIRE_CHROMIUM") != "" {
		t.Fatal("CMKGUARD_REQUIRE_CHROMIUM is set but no chromium is installed (apt-get install chromium)")
	}
	t.Skip("chromium not installed; set CMKGUARD_REQUIRE_CHROMIUM=1 to make this a failure")
	return ""
}

// browserPage opens an HTML report in headless Chromium and records every
// console error, uncaught exception and browser log error (CSP violations
// and failed loads are reported there).
type browserPage struct {
	ctx      context.Context
	mu       sync.Mutex
	problems []string
}

func (p *browserPage) record(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.problems = append(p.problems, s)
}

func (p *browserPage) Problems() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.problems...)
}

func openInBrowser(t *testing.T, r *finding.Report) *browserPage {
	t.Helper()
	exe := chromiumPath(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "report.html")
	var buf strings.Builder
	if err := (&HTML{}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(buf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.UserDataDir(chromiumProfile(t)),
		chromedp.WindowSize(1440, 1000),
	}
	ctx, cancelTimeout := context.WithTimeout(context.Background(), 90*time.Second)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		_ = chromedp.Cancel(browserCtx) // close the browser gracefully first
		cancelBrowser()
		cancelAlloc()
		cancelTimeout()
	})

	p := &browserPage{ctx: browserCtx}
	chromedp.ListenTarget(browserCtx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.APITypeError || ev.Type == runtime.APITypeAssert || ev.Type == runtime.APITypeWarning {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				p.record(fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
			}
		case *runtime.EventExceptionThrown:
			p.record("exception: " + ev.ExceptionDetails.Error())
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.LevelError || ev.Entry.Level == cdplog.LevelWarning {
				p.record(fmt.Sprintf("log %s: %s", ev.Entry.Source, ev.Entry.Text))
			}
		}
	})
	if err := chromedp.Run(browserCtx, cdplog.Enable(), runtime.Enable(), chromedp.Navigate("file://"+file), chromedp.WaitReady("body")); err != nil {
		t.Fatalf("open the report in chromium: %v", err)
	}
	return p
}

// chromiumProfile makes a user-data directory for one browser. Chromium's
// helper processes may still write to it for a moment after the browser has
// gone, which makes t.TempDir's strict cleanup fail the test; the profile is
// scratch space, not something under test, so it is removed with retries and
// a leftover is only logged.
func chromiumProfile(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "cmkguard-chromium-profile-")
	if err != nil {
		t.Fatal(err)
	}
	// Registered before the browser's own cleanup, so it runs after it.
	t.Cleanup(func() {
		var err error
		for range 50 {
			if err = os.RemoveAll(dir); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("chromium profile %s not removed: %v", dir, err)
	})
	return dir
}

func (p *browserPage) visibleRows(t *testing.T) int {
	t.Helper()
	var n int
	js := `Array.from(document.querySelectorAll('#rows tr.row')).filter(r => !r.hidden).length`
	if err := chromedp.Run(p.ctx, chromedp.Evaluate(js, &n)); err != nil {
		t.Fatal(err)
	}
	return n
}

func (p *browserPage) run(t *testing.T, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(p.ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// screenshot saves a full-page PNG under t.TempDir() and, when
// CMKGUARD_SCREENSHOT_DIR is set, there too (to look at it).
func (p *browserPage) screenshot(t *testing.T, name string) {
	t.Helper()
	var png []byte
	p.run(t, chromedp.FullScreenshot(&png, 100))
	if len(png) == 0 {
		t.Fatal("empty screenshot")
	}
	dirs := []string{t.TempDir()}
	if d := os.Getenv("CMKGUARD_SCREENSHOT_DIR"); d != "" {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		if err := os.WriteFile(filepath.Join(d, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestHTMLReportRendersFiltersAndSortsInChromium(t *testing.T) {
	r := fixtureEveryVerdict()
	p := openInBrowser(t, r)
	sum := finding.Summarize(r.Findings)

	if got := p.visibleRows(t); got != len(r.Findings) {
		t.Errorf("rendered %d rows, want %d", got, len(r.Findings))
	}
	p.screenshot(t, "every-verdict.png")

	// Turn PASS off: the passing rows go.
	p.run(t, chromedp.Click(`.chip[data-status="PASS"]`, chromedp.ByQuery))
	if got, want := p.visibleRows(t), len(r.Findings)-sum.Pass; got != want {
		t.Errorf("with PASS hidden, %d rows shown, want %d", got, want)
	}
	// Search narrows to one resource.
	p.run(t, chromedp.SendKeys("#q", "billing", chromedp.ByID))
	if got := p.visibleRows(t); got != 1 {
		t.Errorf("searching for billing shows %d rows, want 1", got)
	}
	var shown string
	p.run(t, chromedp.Text("#shown", &shown, chromedp.ByID))
	if want := fmt.Sprintf("Showing 1 of %d", len(r.Findings)); shown != want {
		t.Errorf("counter says %q, want %q", shown, want)
	}
	// Opening the row shows its evidence and remediation.
	var detail string
	p.run(t,
		chromedp.Click(`#rows tr.row:not([hidden])`, chromedp.ByQuery),
		chromedp.Text(`#rows tr.row:not([hidden]) + tr.detail`, &detail, chromedp.ByQuery, chromedp.NodeVisible),
	)
	for _, want := range []string{"Key state", "Disabled", "Remediation", "aws kms enable-key"} {
		if !strings.Contains(detail, want) {
			t.Errorf("the opened row's details lack %q:\n%s", want, detail)
		}
	}
	p.screenshot(t, "every-verdict-filtered.png")

	// Clear the filters, then sort by severity, highest first.
	p.run(t,
		chromedp.Evaluate(`(q => { q.value = ''; q.dispatchEvent(new Event('input')); })(document.getElementById('q'))`, nil),
		chromedp.Click(`.chip[data-status="PASS"]`, chromedp.ByQuery),
		chromedp.Click(`th[data-key="sevRank"] button`, chromedp.ByQuery),
		chromedp.Click(`th[data-key="sevRank"] button`, chromedp.ByQuery),
	)
	var ranks []string
	p.run(t, chromedp.Evaluate(`Array.from(document.querySelectorAll('#rows tr.row')).map(r => r.dataset.sevRank)`, &ranks))
	if len(ranks) != len(r.Findings) || ranks[0] != "5" {
		t.Errorf("sorted by severity descending, ranks are %v", ranks)
	}
	for i := 1; i < len(ranks); i++ {
		if ranks[i] > ranks[i-1] {
			t.Errorf("rows are not in descending severity: %v", ranks)
			break
		}
	}
	// Each detail row still follows its own row.
	var paired bool
	p.run(t, chromedp.Evaluate(`Array.from(document.querySelectorAll('#rows tr.row')).every(r => r.nextElementSibling && r.nextElementSibling.classList.contains('detail'))`, &paired))
	if !paired {
		t.Error("after sorting, a row lost its detail row")
	}

	// The dark theme follows the system setting.
	var background string
	p.run(t,
		emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}),
		chromedp.Evaluate(`getComputedStyle(document.body).backgroundColor`, &background),
	)
	if background != "rgb(15, 17, 21)" {
		t.Errorf("dark theme background is %s", background)
	}
	p.screenshot(t, "every-verdict-dark.png")

	if diff := cmp.Diff([]string(nil), p.Problems()); diff != "" {
		t.Errorf("console errors (-want +got):\n%s", diff)
	}
}

func TestHTMLReportOfAnEmptyAuditRendersWithoutErrors(t *testing.T) {
	p := openInBrowser(t, fixtureEmpty())
	if got := p.visibleRows(t); got != 0 {
		t.Errorf("rendered %d rows, want none", got)
	}
	var nodes []*cdp.Node
	p.run(t, chromedp.Nodes(`.empty:not([hidden])`, &nodes, chromedp.ByQueryAll))
	if len(nodes) != 1 {
		t.Errorf("want one visible empty-state message, got %d", len(nodes))
	}
	p.screenshot(t, "empty.png")
	if diff := cmp.Diff([]string(nil), p.Problems()); diff != "" {
		t.Errorf("console errors (-want +got):\n%s", diff)
	}
}

func TestTheBrowserCheckNoticesConsoleErrorsAndBlockedLoads(t *testing.T) {
	// Guards the checks above: a page error and a load the CSP blocks must
	// both be recorded.
	p := openInBrowser(t, fixtureEmpty())
	p.run(t, chromedp.Evaluate(`console.error("boom"); const s = document.createElement("script"); s.src = "https://example.com/x.js"; document.body.appendChild(s);`, nil))
	deadline := time.Now().Add(5 * time.Second)
	for len(p.Problems()) < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	got := p.Problems()
	if len(got) < 2 || !strings.Contains(strings.Join(got, "\n"), "boom") {
		t.Errorf("recorded %q, want the console error and the blocked script", got)
	}
}
