package remediate

import (
	"fmt"
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
// journal may not be the plan it applies, and each must be writable where
// it is named.
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
	return nil
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
