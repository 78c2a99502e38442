package report

import (
	"bytes"
	"html"
	"strings"
	"testing"
)

func TestHTMLMatchesGoldenFiles(t *testing.T) {
	t.Parallel()
	for _, tc := range fixtureCases() {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := (&HTML{}).Write(&buf, tc.report); err != nil {
				t.Fatal(err)
			}
			compareWithGolden(t, tc.name+".html", buf.Bytes())
		})
	}
}

func TestHTMLLoadsNothingFromTheNetwork(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := (&HTML{}).Write(&buf, fixtureEveryVerdict()); err != nil {
		t.Fatal(err)
	}
	page := html.UnescapeString(buf.String())
	for _, external := range []string{"<link", "src=\"http", "src='http", "@import", "url(http", "<iframe", "<img"} {
		if strings.Contains(page, external) {
			t.Errorf("page contains %q: it must be self-contained", external)
		}
	}
	if !strings.Contains(page, "default-src 'none'") {
		t.Error("page has no Content-Security-Policy forbidding external loads")
	}
}

func TestHTMLEscapesFindingText(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := (&HTML{}).Write(&buf, fixtureEveryVerdict()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "<b>x</b>") {
		t.Error("a finding's reason was written as markup")
	}
	if !strings.Contains(buf.String(), "&lt;b&gt;x&lt;/b&gt;") {
		t.Error("the escaped reason is missing")
	}
}
