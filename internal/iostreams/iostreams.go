package iostreams

import (
	"bytes"
	"io"
	"os"

	"github.com/mattn/go-isatty"
)

// IOStreams are a command's streams: data to Out, progress and messages to ErrOut.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY  bool
	stdoutTTY bool
	stderrTTY bool

	// noColor is set by NO_COLOR (https://no-color.org) or --no-color.
	noColor bool
	// quiet is set by --quiet: no progress and no informational messages
	// on ErrOut (warnings and errors still go there).
	quiet bool
}

// System returns the process's own streams. A NO_COLOR environment
// variable that is set and not empty turns colour off.
func System() *IOStreams {
	return &IOStreams{
		In:        os.Stdin,
		Out:       os.Stdout,
		ErrOut:    os.Stderr,
		stdinTTY:  isTerminal(os.Stdin),
		stdoutTTY: isTerminal(os.Stdout),
		stderrTTY: isTerminal(os.Stderr),
		noColor:   NoColorEnv(os.Getenv),
	}
}

// NoColorEnv reports whether the environment asks for no colour: NO_COLOR
// set to anything but the empty string (https://no-color.org). TERM=dumb
// means the same.
func NoColorEnv(getenv func(string) string) bool {
	return getenv("NO_COLOR") != "" || getenv("TERM") == "dumb"
}

func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// Test returns streams backed by buffers (stdin, stdout, stderr), none a terminal.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// IsStdoutTTY reports whether Out is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether ErrOut is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// CanPrompt reports whether the user can be asked a question (stdin and stdout are terminals).
func (s *IOStreams) CanPrompt() bool { return s.stdinTTY && s.stdoutTTY }

// ColorEnabled reports whether output on Out may be coloured: Out is a
// terminal and neither NO_COLOR nor --no-color turned colour off.
func (s *IOStreams) ColorEnabled() bool { return s.stdoutTTY && !s.noColor }

// SetColorDisabled turns colour off (--no-color) or back on.
func (s *IOStreams) SetColorDisabled(v bool) { s.noColor = v }

// ShowProgress reports whether progress goes to ErrOut: it is a terminal
// and --quiet was not given.
func (s *IOStreams) ShowProgress() bool { return s.stderrTTY && !s.quiet }

// Quiet reports whether --quiet was given.
func (s *IOStreams) Quiet() bool { return s.quiet }

// SetQuiet sets --quiet.
func (s *IOStreams) SetQuiet(v bool) { s.quiet = v }

// Info is where informational messages go ("wrote report to …", "Plan
// written to …"): ErrOut, or nowhere with --quiet. Warnings and errors are
// written to ErrOut itself.
func (s *IOStreams) Info() io.Writer {
	if s.quiet {
		return io.Discard
	}
	return s.ErrOut
}

// SetStdoutTTY overrides terminal detection for Out (tests).
func (s *IOStreams) SetStdoutTTY(v bool) { s.stdoutTTY = v }

// SetStderrTTY overrides terminal detection for ErrOut (tests).
func (s *IOStreams) SetStderrTTY(v bool) { s.stderrTTY = v }

// SetStdinTTY overrides terminal detection for In (tests).
func (s *IOStreams) SetStdinTTY(v bool) { s.stdinTTY = v }
