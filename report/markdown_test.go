package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/state"
)

func TestMarkdownMatchesGoldenFiles(t *testing.T) {
	t.Parallel()
	for _, tc := range fixtureCases() {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := (&Markdown{}).Write(&buf, tc.report); err != nil {
				t.Fatal(err)
			}
			compareWithGolden(t, tc.name+".md", buf.Bytes())
		})
	}
}

func TestMarkdownListsFailuresWorstFirst(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := (&Markdown{}).Write(&buf, fixtureEveryVerdict()); err != nil {
		t.Fatal(err)
	}
	failing := between(buf.String(), "### Failing", "###")
	var got []string
	for _, line := range strings.Split(failing, "\n") {
		if strings.HasPrefix(line, "| critical") || strings.HasPrefix(line, "| high") {
			got = append(got, strings.Fields(line)[1])
		}
	}
	if diff := cmp.Diff([]string{"critical", "high", "high", "high"}, got); diff != "" {
		t.Errorf("failing rows by severity (-want +got):\n%s", diff)
	}
}

func TestMarkdownCapsTablesAndSaysHowManyItLeftOut(t *testing.T) {
	t.Parallel()
	r := fixtureEmpty()
	for i := range 40 {
		f := fixtureInstance("111111111111", "us-east-1", fmt.Sprintf("db-%02d", i))
		f.Status, f.KeyManager, f.Reason = finding.StatusFail, state.KeyManagerAWS, "aws/dms"
		r.Findings = append(r.Findings, f)
	}
	var buf bytes.Buffer
	if err := (&Markdown{MaxRows: 10}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if got := strings.Count(between(out, "### Failing", "<details>"), "| high |"); got != 10 {
		t.Errorf("failing table has %d rows, want 10", got)
	}
	if !strings.Contains(out, "…and 30 more") {
		t.Error("the table does not say how many findings it left out")
	}
}

func TestMarkdownCellsCannotBreakTheTableOrInjectHTML(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"a|b", `a\|b`},
		{"line1\nline2", "line1 line2"},
		{"<script>x</script>", "&lt;script&gt;x&lt;/script&gt;"},
		{"**bold** [link](http://x)", `\*\*bold\*\* \[link\](http://x)`},
	}
	for _, tt := range tests {
		if got := mdCell(tt.in); got != tt.want {
			t.Errorf("mdCell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// between returns the text after start up to the next end (or the end).
func between(s, start, end string) string {
	_, after, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	before, _, _ := strings.Cut(after, end)
	return before
}
