package printable

import "testing"

func TestEscapesWhatCouldForgeALineOrReachTheTerminal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, line, text string
	}{
		{"plain ASCII is unchanged", "rep-prod-1 arn:aws:dms:eu-west-1:111122223333:rep:X", "rep-prod-1 arn:aws:dms:eu-west-1:111122223333:rep:X", "rep-prod-1 arn:aws:dms:eu-west-1:111122223333:rep:X"},
		{"printable Unicode is kept", "données-é-日本-🔑", "données-é-日本-🔑", "données-é-日本-🔑"},
		{"a newline that would forge a finding line", "x\nPASS  CMKG-DMS-001", `x\nPASS  CMKG-DMS-001`, "x\nPASS  CMKG-DMS-001"},
		{"a carriage return that would overwrite the line", "FAIL\rPASS", `FAIL\rPASS`, `FAIL\rPASS`},
		{"a terminal escape sequence (clear screen, colour)", "a\x1b[2J\x1b[32mPASS", `a\x1b[2J\x1b[32mPASS`, `a\x1b[2J\x1b[32mPASS`},
		{"an OSC hyperlink/title sequence ended by BEL", "\x1b]0;owned\a", `\x1b]0;owned\a`, `\x1b]0;owned\a`},
		{"tab and NUL", "a\tb\x00c", `a\tb\x00c`, "a\tb\\x00c"},
		{"DEL and C1 controls (CSI as one character)", "a\x7fb\u009b2J", `a\x7fb\u009b2J`, `a\x7fb\u009b2J`},
		{"bidi override and zero-width characters", "abc\u202edcba\u200b", `abc\u202edcba\u200b`, `abc\u202edcba\u200b`},
		{"invalid UTF-8 bytes", "ok\xff\xfe", `ok\xff\xfe`, `ok\xff\xfe`},
		{"the empty string", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Line(tt.in); got != tt.line {
				t.Errorf("Line(%q) = %q, want %q", tt.in, got, tt.line)
			}
			if got := Text(tt.in); got != tt.text {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.text)
			}
		})
	}
}

func TestCleanTextIsNotCopied(t *testing.T) {
	s := "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	if n := testing.AllocsPerRun(100, func() { _ = Line(s) }); n != 0 {
		t.Errorf("Line allocates %v times on clean text, want 0", n)
	}
}
