package report

import (
	"fmt"
	"slices"
	"strings"
)

// Options are the rendering choices a command passes to every format; a
// format ignores what does not concern it.
type Options struct {
	// Color enables ANSI colours (the table, when stdout is a terminal).
	Color bool
}

// Constructor makes a Reporter for one format.
type Constructor func(Options) Reporter

// formats maps a --format name to its constructor. To add a format, add
// one line here.
var formats = map[string]Constructor{
	"table":    func(o Options) Reporter { return &Table{Color: o.Color} },
	"json":     func(Options) Reporter { return &JSON{} },
	"sarif":    func(Options) Reporter { return &SARIF{} },
	"junit":    func(Options) Reporter { return &JUnit{} },
	"csv":      func(Options) Reporter { return &CSV{} },
	"asff":     func(Options) Reporter { return &ASFF{} },
	"ocsf":     func(Options) Reporter { return &OCSF{} },
	"html":     func(Options) Reporter { return &HTML{} },
	"markdown": func(Options) Reporter { return &Markdown{} },
}

// Names returns the format names, sorted.
func Names() []string {
	var names []string
	for n := range formats {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// New returns the Reporter for format name.
func New(name string, opts Options) (Reporter, error) {
	c, ok := formats[name]
	if !ok {
		return nil, fmt.Errorf("unknown format %q (want one of %s)", name, strings.Join(Names(), ", "))
	}
	return c(opts), nil
}

// Output is one report to write: a format and where to (Path "" is stdout).
type Output struct {
	Format string
	Path   string
}

// ParseOutputs parses --format values. Each value is a comma-separated list
// of FORMAT or FORMAT=PATH items: `--format json`,
// `--format table,sarif=out.sarif,html=report.html`. At most one output may
// go to stdout, and no two to the same file.
func ParseOutputs(values []string) ([]Output, error) {
	var outs []Output
	stdout := ""
	paths := map[string]bool{}
	for _, v := range values {
		for item := range strings.SplitSeq(v, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			name, path, hasPath := strings.Cut(item, "=")
			name = strings.ToLower(strings.TrimSpace(name))
			path = strings.TrimSpace(path)
			if _, ok := formats[name]; !ok {
				return nil, fmt.Errorf("unknown format %q (want one of %s)", name, strings.Join(Names(), ", "))
			}
			if hasPath && path == "" {
				return nil, fmt.Errorf("format %s: empty file name after '='", name)
			}
			if path == "-" {
				path = ""
			}
			if path == "" {
				if stdout != "" {
					return nil, fmt.Errorf("formats %s and %s both write to stdout; give one a file (FORMAT=PATH)", stdout, name)
				}
				stdout = name
			} else {
				if paths[path] {
					return nil, fmt.Errorf("two formats write to %s", path)
				}
				paths[path] = true
			}
			outs = append(outs, Output{Format: name, Path: path})
		}
	}
	if len(outs) == 0 {
		return nil, fmt.Errorf("no format given (want one of %s)", strings.Join(Names(), ", "))
	}
	return outs, nil
}
