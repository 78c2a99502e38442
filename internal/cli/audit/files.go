package audit

import (
	"fmt"
	"io"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/iostreams"
	"github.com/cmkguard/cmkguard/internal/outfile"
	"github.com/cmkguard/cmkguard/report"
)

// ReportFiles returns the files a --format list writes, each named
// "--format FORMAT=PATH" in messages. A command that writes reports (audit,
// and the commands that render findings from other sources) adds its
// inputs and calls CheckFiles before any work.
func ReportFiles(outputs []report.Output) *outfile.Set {
	s := &outfile.Set{}
	for _, o := range outputs {
		s.Output("--format "+o.Format+"=", o.Path)
	}
	return s
}

// CheckFiles checks a command's files before it starts (see outfile.Set):
// a bad path is a usage error.
func CheckFiles(s *outfile.Set) error {
	if err := s.Check(); err != nil {
		return &exit.UsageError{Err: err}
	}
	return nil
}

// WriteReports writes rep to every output: stdout, or a file written whole
// (a temporary file renamed over it, mode 0644 or the file's own). The
// table is coloured on a terminal unless NO_COLOR or --no-color.
func WriteReports(ios *iostreams.IOStreams, outputs []report.Output, rep *finding.Report) error {
	for _, o := range outputs {
		if err := writeReport(ios, o, rep); err != nil {
			return err
		}
	}
	return nil
}

func writeReport(ios *iostreams.IOStreams, o report.Output, rep *finding.Report) error {
	r, err := report.New(o.Format, report.Options{Color: o.Path == "" && ios.ColorEnabled()})
	if err != nil {
		return exit.Usagef("%v", err)
	}
	if o.Path == "" {
		if err := r.Write(ios.Out, rep); err != nil {
			return fmt.Errorf("write %s report: %w", o.Format, err)
		}
		return nil
	}
	if err := outfile.Write(o.Path, outfile.Shared, func(w io.Writer) error { return r.Write(w, rep) }); err != nil {
		return fmt.Errorf("%s report: %w", o.Format, err)
	}
	if ios.IsStderrTTY() {
		fmt.Fprintf(ios.Info(), "wrote %s report to %s\n", o.Format, o.Path)
	}
	return nil
}
