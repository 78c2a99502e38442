package reportdiff

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"

	"github.com/cmkguard/cmkguard/finding"
)

// SchemaVersion is the version of the diff's JSON output.
const SchemaVersion = "1.0"

// Change is how a finding moved between the two reports.
type Change string

// Changes, in the order outputs list them.
const (
	ChangeNew       Change = "new"       // only in the new report
	ChangeChanged   Change = "changed"   // in both, verdict or key differs
	ChangeResolved  Change = "resolved"  // only in the old report
	ChangeUnchanged Change = "unchanged" // in both, same verdict and key
)

var changeOrder = map[Change]int{ChangeNew: 0, ChangeChanged: 1, ChangeResolved: 2, ChangeUnchanged: 3}

// Entry is one finding's identity and its two sides.
type Entry struct {
	Change Change `json:"change"`
	// Regression is true when the finding is FAIL or UNKNOWN now and was
	// not before (new, or changed from PASS or SUPPRESSED).
	Regression bool `json:"regression,omitempty"`
	// Fixed is true when the finding was FAIL or UNKNOWN and no longer is
	// (resolved, or changed to PASS or SUPPRESSED).
	Fixed    bool   `json:"fixed,omitempty"`
	RuleID   string `json:"ruleId"`
	Identity string `json:"identity"`
	// Fields names what changed: status, keyArn.
	Fields []string         `json:"changedFields,omitempty"`
	Old    *finding.Finding `json:"old,omitempty"`
	New    *finding.Finding `json:"new,omitempty"`
}

// Current is the entry's finding in the new report, or in the old one when
// it is resolved.
func (e *Entry) Current() *finding.Finding {
	if e.New != nil {
		return e.New
	}
	return e.Old
}

// Side describes one of the two reports.
type Side struct {
	SchemaVersion string       `json:"schemaVersion"`
	Tool          finding.Tool `json:"tool"`
	GeneratedAt   string       `json:"generatedAt"`
}

// Summary counts the entries.
type Summary struct {
	New         int `json:"new"`
	Changed     int `json:"changed"`
	Resolved    int `json:"resolved"`
	Unchanged   int `json:"unchanged"`
	Regressions int `json:"regressions"`
	Fixed       int `json:"fixed"`
}

// Diff is the comparison of two reports.
type Diff struct {
	Old, New Side
	// Rules are the rules of both reports, the new report's first.
	Rules   []finding.Rule
	Entries []Entry
	Summary Summary
}

var schemaRE = regexp.MustCompile(`^1\.[0-9]+$`)

// Read decodes a JSON report and checks that its schema is 1.x and that
// every finding names its rule. name is used in errors.
func Read(r io.Reader, name string) (*finding.Report, error) {
	var rep finding.Report
	dec := json.NewDecoder(r)
	if err := dec.Decode(&rep); err != nil {
		return nil, fmt.Errorf("%s is not a cmkguard JSON report: %w", name, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: data after the report", name)
	}
	if rep.SchemaVersion == "" {
		return nil, fmt.Errorf("%s has no schemaVersion: not a cmkguard JSON report (`cmkguard audit --format json`)", name)
	}
	if !schemaRE.MatchString(rep.SchemaVersion) {
		return nil, fmt.Errorf("%s has report schema %q; this cmkguard reads schema 1.x", name, rep.SchemaVersion)
	}
	for i := range rep.Findings {
		if rep.Findings[i].RuleID == "" {
			return nil, fmt.Errorf("%s: finding %d has no ruleId", name, i+1)
		}
	}
	return &rep, nil
}

// Identity is a finding's resource identity across runs.
func Identity(f *finding.Finding) string {
	id := f.ResourceARN
	switch {
	case f.Source.File != "" && f.Source.Address != "":
		id = f.Source.File + "#" + f.Source.Address
	case id == "" && f.Source.ARN != "":
		id = f.Source.ARN
	case id == "":
		id = f.Account + "/" + f.Region + "/" + f.ResourceType + "/" + f.ResourceID
	}
	if f.Source.Variant != "" {
		id += " [" + f.Source.Variant + "]"
	}
	return id
}

// IsProblem reports whether a verdict is one the exit-code policy counts.
func IsProblem(s finding.Status) bool {
	return s == finding.StatusFail || s == finding.StatusUnknown
}

// statusRank orders verdicts, worst first, to keep one finding per identity.
func statusRank(s finding.Status) int {
	switch s {
	case finding.StatusFail:
		return 4
	case finding.StatusUnknown:
		return 3
	case finding.StatusSuppressed:
		return 2
	case finding.StatusPass:
		return 1
	}
	return 0
}

type key struct{ rule, identity string }

// index maps each finding to its identity; of two findings with the same
// identity (a report should not have them) the worse is kept.
func index(rep *finding.Report) (map[key]*finding.Finding, []key) {
	m := make(map[key]*finding.Finding, len(rep.Findings))
	var order []key
	for i := range rep.Findings {
		f := &rep.Findings[i]
		k := key{f.RuleID, Identity(f)}
		prev, ok := m[k]
		if !ok {
			order = append(order, k)
		}
		if !ok || statusRank(f.Status) > statusRank(prev.Status) {
			m[k] = f
		}
	}
	return m, order
}

// Compare returns how newRep differs from oldRep.
func Compare(oldRep, newRep *finding.Report) (*Diff, error) {
	if oldRep == nil || newRep == nil {
		return nil, errors.New("compare reports: a report is missing")
	}
	d := &Diff{
		Old: Side{oldRep.SchemaVersion, oldRep.Tool, oldRep.GeneratedAt},
		New: Side{newRep.SchemaVersion, newRep.Tool, newRep.GeneratedAt},
	}
	for _, r := range newRep.Rules {
		d.Rules = append(d.Rules, r)
	}
	for _, r := range oldRep.Rules {
		if !slices.ContainsFunc(d.Rules, func(x finding.Rule) bool { return x.ID == r.ID }) {
			d.Rules = append(d.Rules, r)
		}
	}
	olds, _ := index(oldRep)
	news, newOrder := index(newRep)
	for _, k := range newOrder {
		nf := news[k]
		e := Entry{RuleID: k.rule, Identity: k.identity, New: nf}
		of, ok := olds[k]
		switch {
		case !ok:
			e.Change = ChangeNew
			e.Regression = IsProblem(nf.Status)
		default:
			e.Old = of
			if of.Status != nf.Status {
				e.Fields = append(e.Fields, "status")
			}
			if of.KeyARN != nf.KeyARN {
				e.Fields = append(e.Fields, "keyArn")
			}
			e.Change = ChangeUnchanged
			if len(e.Fields) > 0 {
				e.Change = ChangeChanged
				e.Regression = IsProblem(nf.Status) && !IsProblem(of.Status)
				e.Fixed = IsProblem(of.Status) && !IsProblem(nf.Status)
			}
		}
		d.Entries = append(d.Entries, e)
	}
	for i := range oldRep.Findings {
		of := &oldRep.Findings[i]
		k := key{of.RuleID, Identity(of)}
		if _, ok := news[k]; ok || olds[k] != of {
			continue
		}
		d.Entries = append(d.Entries, Entry{Change: ChangeResolved, RuleID: k.rule, Identity: k.identity, Old: of, Fixed: IsProblem(of.Status)})
	}
	slices.SortStableFunc(d.Entries, func(a, b Entry) int {
		return cmp.Or(
			cmp.Compare(changeOrder[a.Change], changeOrder[b.Change]),
			cmp.Compare(b.Current().Severity.Rank(), a.Current().Severity.Rank()),
			cmp.Compare(a.RuleID, b.RuleID),
			cmp.Compare(a.Identity, b.Identity),
		)
	})
	for i := range d.Entries {
		e := &d.Entries[i]
		switch e.Change {
		case ChangeNew:
			d.Summary.New++
		case ChangeChanged:
			d.Summary.Changed++
		case ChangeResolved:
			d.Summary.Resolved++
		case ChangeUnchanged:
			d.Summary.Unchanged++
		}
		if e.Regression {
			d.Summary.Regressions++
		}
		if e.Fixed {
			d.Summary.Fixed++
		}
	}
	return d, nil
}

// Gate counts the findings the exit-code policy fails on: FAIL or UNKNOWN
// at or above threshold (an UNKNOWN counts at its rule's severity, as in the
// audit). With onlyNew, only regressions count; otherwise every finding of
// the new report does, as `cmkguard audit --fail-on` would.
func (d *Diff) Gate(threshold finding.Severity, onlyNew bool) int {
	n := 0
	for i := range d.Entries {
		e := &d.Entries[i]
		if e.New == nil || !IsProblem(e.New.Status) || e.New.Severity.Rank() < threshold.Rank() {
			continue
		}
		if onlyNew && !e.Regression {
			continue
		}
		n++
	}
	return n
}

// BaselineState is the SARIF baselineState of an entry, and the finding the
// SARIF result shows: a regression is new, a fix or a resolved problem is
// absent (shown as the old finding), another change is updated. ok is false
// when the entry has no SARIF result (a PASS that was never a problem).
func (e *Entry) BaselineState() (state string, f *finding.Finding, ok bool) {
	switch {
	case e.Change == ChangeNew || e.Regression:
		return "new", e.New, e.New.Status != finding.StatusPass
	case e.Change == ChangeResolved || e.Fixed:
		return "absent", e.Old, e.Old.Status != finding.StatusPass
	case e.Change == ChangeChanged:
		return "updated", e.New, e.New.Status != finding.StatusPass
	}
	return "unchanged", e.New, e.New.Status != finding.StatusPass
}
