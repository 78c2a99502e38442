package terraform

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Problem is something in the configuration that could not be read or
// evaluated (a file that does not parse, a module cycle): the scan of
// everything else goes on, and the run reports it and exits 1.
type Problem struct {
	// File is relative to the scan root (absolute while scanning).
	File string
	Line int
	Msg  string
}

func (p Problem) Error() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Msg)
}

type problems struct {
	list []Problem
	seen map[string]bool
}

func (p *problems) add(file string, line int, format string, args ...any) {
	pr := Problem{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	if key := pr.Error(); !p.seen[key] {
		p.seen[key] = true
		p.list = append(p.list, pr)
	}
}

// diags records every error diagnostic.
func (p *problems) diags(diags hcl.Diagnostics) {
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		file, line := "", 0
		if d.Subject != nil {
			file, line = d.Subject.Filename, d.Subject.Start.Line
		}
		p.add(file, line, "%s", diagText(d))
	}
}

// diagText is one diagnostic in words, without its position.
func diagText(d *hcl.Diagnostic) string {
	s := d.Summary
	if d.Detail != "" {
		s += ": " + strings.TrimSuffix(d.Detail, ".")
	}
	return s
}
