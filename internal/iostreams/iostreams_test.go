package iostreams

import (
	"io"
	"testing"
)

func TestNoColorFollowsTheConvention(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"nothing set", map[string]string{"TERM": "xterm-256color"}, false},
		{"NO_COLOR=1", map[string]string{"NO_COLOR": "1"}, true},
		{"NO_COLOR set to anything", map[string]string{"NO_COLOR": "false"}, true},
		{"NO_COLOR empty is not set", map[string]string{"NO_COLOR": ""}, false},
		{"a dumb terminal", map[string]string{"TERM": "dumb"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := NoColorEnv(func(k string) string { return tt.env[k] }); got != tt.want {
				t.Errorf("NoColorEnv = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSystemStreamsReadNO_COLOR(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	s := System()
	s.SetStdoutTTY(true)
	if s.ColorEnabled() {
		t.Error("NO_COLOR=1 but colour is enabled on a terminal")
	}
}

func TestColorQuietAndProgress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                    string
		stdoutTTY, stderrTTY    bool
		noColor, quiet          bool
		wantColor, wantProgress bool
		wantInfoDiscarded       bool
	}{
		{"a terminal", true, true, false, false, true, true, false},
		{"pipes", false, false, false, false, false, false, false},
		{"--no-color on a terminal", true, true, true, false, false, true, false},
		{"--quiet on a terminal", true, true, false, true, true, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _, _, _ := Test()
			s.SetStdoutTTY(tt.stdoutTTY)
			s.SetStderrTTY(tt.stderrTTY)
			s.SetColorDisabled(tt.noColor)
			s.SetQuiet(tt.quiet)
			if s.ColorEnabled() != tt.wantColor || s.ShowProgress() != tt.wantProgress || (s.Info() == io.Discard) != tt.wantInfoDiscarded {
				t.Errorf("color %v progress %v info discarded %v; want %v %v %v", s.ColorEnabled(), s.ShowProgress(), s.Info() == io.Discard,
					tt.wantColor, tt.wantProgress, tt.wantInfoDiscarded)
			}
		})
	}
}
