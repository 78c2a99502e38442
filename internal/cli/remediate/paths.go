package remediate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/outfile"
	"github.com/cmkguard/cmkguard/remediate"
)

// journalPath is the journal an --apply run writes.
func (o *Options) journalPath() string {
	if o.Journal != "" {
		return o.Journal
	}
	return o.Apply + ".journal"
}

// checkPaths checks the command's files before anything runs: the plan
// file (--format json=FILE) may not be the report it is made from, the
// journal may not be the plan it applies, each must be writable where it
// is named, and each input must be of the kind its flag takes.
func (o *Options) checkPaths() error {
	var files outfile.Set
	files.Input("--from-report", o.FromReport)
	files.Input("--apply", o.Apply)
	files.Output("--format json=", o.Out)
	if o.Apply != "" {
		files.Output("--journal", o.journalPath())
	}
	if err := files.Check(); err != nil {
		return &exit.UsageError{Err: err}
	}
	return o.checkKinds()
}

// writePlanFile writes the plan whole (a temporary file renamed over path),
// mode 0600 whatever the file had before: a plan names the account's
// resources and drives changes to them.
func writePlanFile(path string, plan *remediate.Plan) error {
	if err := outfile.Write(path, outfile.Private, plan.Write); err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	return nil
}

// planFormats are the renderings of a plan.
var planFormats = []string{"text", "json", "shell"}

// formatValue is the --format flag: FORMAT or FORMAT=FILE items,
// comma-separated or repeated, as for audit. One goes to stdout (text by
// default); the json plan, the input of --apply, may also go to a file.
type formatValue struct {
	opts    *Options
	changed bool
	stdout  string
}

func (v *formatValue) String() string { return v.opts.Format }
func (v *formatValue) Type() string   { return "FORMAT[=FILE]" }

func (v *formatValue) Set(value string) error {
	if !v.changed {
		v.changed, v.opts.Format = true, "text"
	}
	for item := range strings.SplitSeq(value, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, path, hasPath := strings.Cut(item, "=")
		name, path = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(path)
		if !slices.Contains(planFormats, name) {
			return fmt.Errorf("%q is not one of %s", name, strings.Join(planFormats, ", "))
		}
		if hasPath && path == "" {
			return fmt.Errorf("format %s: empty file name after '='", name)
		}
		if path == "" || path == "-" {
			if v.stdout != "" && v.stdout != name {
				return fmt.Errorf("formats %s and %s both write to stdout; write the plan to a file with json=FILE", v.stdout, name)
			}
			v.stdout, v.opts.Format = name, name
			continue
		}
		if name != "json" {
			return fmt.Errorf("%s=%s: only the json plan (the input of --apply) is written to a file; send %s to stdout", name, path, name)
		}
		if err := setPlanFile(v.opts, path); err != nil {
			return err
		}
	}
	return nil
}

// outValue is the hidden --out FILE, the old spelling of --format json=FILE.
type outValue struct{ opts *Options }

func (v outValue) String() string { return v.opts.Out }
func (v outValue) Type() string   { return "FILE" }
func (v outValue) Set(path string) error {
	return setPlanFile(v.opts, strings.TrimSpace(path))
}

func setPlanFile(o *Options, path string) error {
	if o.Out != "" && o.Out != path {
		return fmt.Errorf("the plan file is given twice (%s and %s): name one", o.Out, path)
	}
	o.Out = path
	return nil
}

// fileKind is what a JSON file given to remediate holds.
type fileKind int

const (
	unknownKind fileKind = iota
	reportKind
	planKind
	journalKind
)

// kindOf sniffs path: an audit report (schemaVersion and findings), a plan
// (steps and digest) or a journal (a first line that is the plan record).
// A file that cannot be read or parsed is unknownKind: its loader then
// says what is wrong with it, and where.
func kindOf(path string) fileKind {
	data, err := os.ReadFile(path)
	if err != nil {
		return unknownKind
	}
	first, _, _ := bytes.Cut(data, []byte("\n"))
	var record struct {
		Type string          `json:"type"`
		Plan json.RawMessage `json:"plan"`
	}
	if json.Unmarshal(first, &record) == nil && record.Type == remediate.RecordPlan && record.Plan != nil {
		return journalKind
	}
	var doc map[string]json.RawMessage
	if json.Unmarshal(data, &doc) == nil {
		switch {
		case doc["schemaVersion"] != nil && doc["findings"] != nil:
			return reportKind
		case doc["steps"] != nil && doc["digest"] != nil:
			return planKind
		}
	}
	return unknownKind
}

// checkKinds refuses a file of the wrong kind (an audit report given to
// --apply, a plan given to --resume, …) and says which command takes it.
func (o *Options) checkKinds() error {
	type want struct {
		flag, path string
		kind       fileKind
	}
	for _, w := range []want{{"--from-report", o.FromReport, reportKind}, {"--apply", o.Apply, planKind}, {"--resume", o.Resume, journalKind}, {"--rollback", o.Rollback, journalKind}} {
		if w.path == "" {
			continue
		}
		got := kindOf(w.path)
		if got == unknownKind || got == w.kind {
			continue
		}
		if got == planKind && w.kind == journalKind {
			// --resume PLAN / --rollback PLAN: the journal is lost, and
			// the run is rebuilt from the plan's tags in AWS.
			continue
		}
		return exit.Usagef("%s %s: %s", w.flag, w.path, wrongKind(w.path, got, w.kind))
	}
	if o.Out != "" && kindOf(o.Out) == journalKind {
		// A journal is the only record of what a run changed.
		return exit.Usagef("--format json=%s: that file is the journal of a remediation run, which cmkguard never overwrites; write the plan elsewhere (resume or roll back that run with --resume or --rollback %s)", o.Out, o.Out)
	}
	return nil
}

func wrongKind(path string, got, want fileKind) string {
	what := map[fileKind]string{reportKind: "an audit report", planKind: "a remediation plan", journalKind: "the journal of a remediation run"}
	use := map[fileKind]string{
		reportKind:  fmt.Sprintf("make a plan from it first: cmkguard remediate --from-report %s --kms-key KEY --format json=plan.json, then cmkguard remediate --apply plan.json", path),
		planKind:    fmt.Sprintf("apply it with: cmkguard remediate --apply %s (its journal is then %s.journal)", path, path),
		journalKind: fmt.Sprintf("continue that run with: cmkguard remediate --resume %s, or undo it with --rollback %s", path, path),
	}
	return fmt.Sprintf("this is %s, not %s; %s", what[got], what[want], use[got])
}
