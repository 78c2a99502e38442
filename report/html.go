package report

import (
	"bufio"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"

	"github.com/cmkguard/cmkguard/finding"
)

// HTML writes one self-contained page: summary cards, charts of verdicts by
// region and by account (inline SVG), a filterable and sortable findings
// table whose rows open to show each finding's evidence and remediation, the
// regions that could not be scanned and the rules. CSS and JavaScript are
// inlined and pinned by a Content-Security-Policy that allows nothing else,
// so the file loads nothing from the network.
//
// Rows are rendered by the template as it walks the findings, straight to
// the writer; only the per-region and per-account counts are kept.
type HTML struct{}

var _ Reporter = (*HTML)(nil)

var (
	//go:embed templates/report.html.tmpl
	htmlTemplateText string
	//go:embed templates/report.css
	htmlStyle string
	//go:embed templates/report.js
	htmlScript string

	htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{"row": newHTMLRow}).Parse(htmlTemplateText))
	// htmlCSP allows exactly the inline style and script above, nothing else.
	htmlCSP = "default-src 'none'; img-src data:; style-src '" + cspHash(htmlStyle) + "'; script-src '" + cspHash(htmlScript) + "'; base-uri 'none'; form-action 'none'"
)

func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// Chart geometry, in SVG user units.
const (
	htmlChartWidth      = 600
	htmlChartLabelWidth = 170
	htmlChartBarWidth   = 370
	htmlChartRowHeight  = 28
)

// htmlStatuses is the order of statuses in charts and filters.
var htmlStatuses = []finding.Status{finding.StatusFail, finding.StatusUnknown, finding.StatusSuppressed, finding.StatusPass}

type htmlPage struct {
	// Scope names the resource kinds covered; NotEvaluated the rules that
	// did not run, shown as such.
	Scope                                             string
	NotEvaluated                                      []notEvaluatedRule
	ToolName, ToolVersion, GeneratedAt, SchemaVersion string
	Accounts                                          []string
	Regions                                           []finding.Region
	RegionsScanned                                    int
	Summary                                           finding.Summary
	CriticalFail                                      int
	PassRate                                          string
	Charts                                            []htmlChart
	StatusChips                                       []htmlChip
	Severities, AccountOptions, RegionOptions         []string
	Findings                                          []finding.Finding
	// Order lists indexes into Findings, worst first (status, then
	// severity, then report order): the browser gets rows already sorted.
	Order    []int32
	Coverage []finding.Region
	Rules    []finding.Rule
	// Compliance is the per-framework summary.
	Compliance []complianceFramework

	ChartWidth, ChartLabelWidth, ChartBarWidth int
	CSP                                        string
	Style                                      template.CSS
	Script                                     template.JS
}

type htmlChart struct {
	Title  string
	Height int
	Bars   []htmlBar
}

type htmlBar struct {
	Label    string
	Y, TextY int
	Total    int
	Segments []htmlSegment
}

type htmlSegment struct {
	Status   finding.Status
	Count    int
	X, Width string
	Y        int
}

type htmlChip struct {
	Status finding.Status
	Label  string
	Count  int
}

// htmlRow is what the row template needs about one finding.
type htmlRow struct {
	Index               int
	F                   *finding.Finding
	StatusRank, SevRank int
	Label, Identity     string
	KeySummary          string
}

func newHTMLRow(p *htmlPage, i int32) htmlRow {
	f := &p.Findings[i]
	return htmlRow{
		Index: int(i), F: f,
		StatusRank: htmlStatusRank(f.Status), SevRank: f.Severity.Rank(),
		Label: resourceLabel(f), Identity: resourceIdentity(f), KeySummary: htmlKeySummary(f),
	}
}

func htmlStatusRank(s finding.Status) int {
	for i, st := range htmlStatuses {
		if st == s {
			return len(htmlStatuses) - i
		}
	}
	return 0
}

// htmlKeySummary says in a few words what protects the resource.
func htmlKeySummary(f *finding.Finding) string {
	switch {
	case f.ProtectionLevel != "":
		return string(f.ProtectionLevel)
	case f.KeyManager == "AWS":
		return "AWS-managed (aws/dms)"
	case f.KeyManager != "":
		return "customer-managed"
	case f.KeyARN != "":
		return "unresolved"
	}
	return ""
}

// Write writes r as one HTML page.
func (*HTML) Write(w io.Writer, r *finding.Report) error {
	if r == nil {
		return fmt.Errorf("write HTML: no report")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := htmlTemplate.Execute(bw, newHTMLPage(r)); err != nil {
		return fmt.Errorf("write HTML: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write HTML: %w", err)
	}
	return nil
}

func newHTMLPage(r *finding.Report) *htmlPage {
	rules, _ := ruleCatalog(r)
	p := &htmlPage{
		ToolName: firstNonEmpty(r.Tool.Name, "cmkguard"), ToolVersion: r.Tool.Version,
		GeneratedAt: r.GeneratedAt, SchemaVersion: r.SchemaVersion,
		Accounts: r.Accounts, Regions: r.Regions,
		Summary:  finding.Summarize(r.Findings),
		Findings: r.Findings, Rules: rules, Compliance: complianceSummary(r),
		Scope: scopeText(r), NotEvaluated: notEvaluated(r),
		ChartWidth: htmlChartWidth, ChartLabelWidth: htmlChartLabelWidth, ChartBarWidth: htmlChartBarWidth,
		CSP: htmlCSP, Style: template.CSS(htmlStyle), Script: template.JS(htmlScript),
	}
	for _, reg := range r.Regions {
		if reg.Status == "scanned" {
			p.RegionsScanned++
		} else {
			p.Coverage = append(p.Coverage, reg)
		}
	}
	byRegion := map[string]map[finding.Status]int{}
	byAccount := map[string]map[finding.Status]int{}
	severities := map[finding.Severity]bool{}
	for i := range r.Findings {
		f := &r.Findings[i]
		countInto(byRegion, firstNonEmpty(f.Region, "(no region)"), f.Status)
		countInto(byAccount, firstNonEmpty(f.Account, "(no account)"), f.Status)
		severities[f.Severity] = true
		if f.Status == finding.StatusFail && f.Severity == finding.SeverityCritical {
			p.CriticalFail++
		}
	}
	p.Order = worstFirst(r.Findings)
	p.Charts = []htmlChart{htmlChartOf("Verdicts by region", byRegion), htmlChartOf("Verdicts by account", byAccount)}
	p.RegionOptions = sortedKeys(byRegion)
	p.AccountOptions = sortedKeys(byAccount)
	for _, s := range []finding.Severity{finding.SeverityCritical, finding.SeverityHigh, finding.SeverityMedium, finding.SeverityLow, finding.SeverityInfo} {
		if severities[s] {
			p.Severities = append(p.Severities, string(s))
		}
	}
	counts := map[finding.Status]int{
		finding.StatusFail: p.Summary.Fail, finding.StatusUnknown: p.Summary.Unknown,
		finding.StatusSuppressed: p.Summary.Suppressed, finding.StatusPass: p.Summary.Pass,
	}
	labels := map[finding.Status]string{finding.StatusFail: "Fail", finding.StatusUnknown: "Unknown", finding.StatusSuppressed: "Suppressed", finding.StatusPass: "Pass"}
	for _, s := range htmlStatuses {
		p.StatusChips = append(p.StatusChips, htmlChip{Status: s, Label: labels[s], Count: counts[s]})
	}
	p.PassRate = "—"
	if decided := p.Summary.Pass + p.Summary.Fail; decided > 0 {
		p.PassRate = strconv.Itoa(p.Summary.Pass*100/decided) + "%"
	}
	return p
}

// worstFirst returns the indexes of findings ordered failing, unknown,
// suppressed, passing; then by severity, highest first; then as reported.
func worstFirst(findings []finding.Finding) []int32 {
	order := make([]int32, len(findings))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int {
		fa, fb := &findings[a], &findings[b]
		if d := htmlStatusRank(fb.Status) - htmlStatusRank(fa.Status); d != 0 {
			return d
		}
		return fb.Severity.Rank() - fa.Severity.Rank()
	})
	return order
}

func countInto(m map[string]map[finding.Status]int, key string, s finding.Status) {
	if m[key] == nil {
		m[key] = map[finding.Status]int{}
	}
	m[key][s]++
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// htmlChartOf lays out one stacked bar per group, groups sorted by name,
// bar lengths relative to the largest group.
func htmlChartOf(title string, groups map[string]map[finding.Status]int) htmlChart {
	c := htmlChart{Title: title}
	max := 0
	for _, counts := range groups {
		total := 0
		for _, n := range counts {
			total += n
		}
		if total > max {
			max = total
		}
	}
	for i, label := range sortedKeys(groups) {
		y := i*htmlChartRowHeight + 6
		bar := htmlBar{Label: label, Y: y, TextY: y + 12}
		x := float64(htmlChartLabelWidth)
		for _, s := range htmlStatuses {
			n := groups[label][s]
			if n == 0 {
				continue
			}
			width := float64(n) * htmlChartBarWidth / float64(max)
			bar.Segments = append(bar.Segments, htmlSegment{
				Status: s, Count: n, Y: y,
				X: strconv.FormatFloat(x, 'f', 1, 64), Width: strconv.FormatFloat(width, 'f', 1, 64),
			})
			x += width
			bar.Total += n
		}
		c.Bars = append(c.Bars, bar)
	}
	c.Height = len(c.Bars)*htmlChartRowHeight + 6
	return c
}
