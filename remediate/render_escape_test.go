package remediate

import (
	"bytes"
	"strings"
	"testing"
)

// TestWriteTextEscapesControlCharacters: a note quoting a finding's reason
// (read from AWS) cannot send an escape sequence to the terminal or
// overwrite a line of the plan the user approves.
func TestWriteTextEscapesControlCharacters(t *testing.T) {
	t.Parallel()
	p, err := NewPlan(fixtureRequest(), fixtureFacts())
	if err != nil {
		t.Fatal(err)
	}
	p.Notes = append(p.Notes, "tag says \x1b[2J\x1b[Hnothing to do\r")
	var b bytes.Buffer
	if err := WriteText(&b, p); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(b.String(), "\x1b\r") {
		t.Errorf("the text plan holds a raw control character:\n%q", b.String())
	}
	if !strings.Contains(b.String(), `tag says \x1b[2J\x1b[Hnothing to do\r`) {
		t.Errorf("the escaped note is missing:\n%s", b.String())
	}
}
