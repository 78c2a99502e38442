package report

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"strings"

	"github.com/cmkguard/cmkguard/finding"
)

// resourceIdentity names the resource a finding is about, stably across runs:
// the ARN for live resources, file#address for infrastructure as code, and
// account/region/type/id otherwise (a region that could not be scanned).
func resourceIdentity(f *finding.Finding) string {
	switch {
	case f.ResourceARN != "":
		return f.ResourceARN
	case f.Source.ARN != "":
		return f.Source.ARN
	case f.Source.File != "":
		if f.Source.Address != "" {
			return f.Source.File + "#" + f.Source.Address
		}
		return f.Source.File + "#" + f.ResourceID
	}
	return strings.Join([]string{f.Account, f.Region, f.ResourceType, f.ResourceID}, "/")
}

// resourceLabel is the short name a person reads: the resource id when there
// is one, else the identity.
func resourceLabel(f *finding.Finding) string {
	if f.Source.Address != "" {
		return f.Source.Address
	}
	if f.ResourceID != "" {
		return f.ResourceID
	}
	return resourceIdentity(f)
}

// findingFingerprint is a hex SHA-256 of the rule id and the resource
// identity: stable across runs (no time, no reason text), distinct per
// resource and rule.
func findingFingerprint(f *finding.Finding) string {
	sum := sha256.Sum256([]byte(f.RuleID + "\x00" + resourceIdentity(f)))
	return hex.EncodeToString(sum[:])
}

// ruleCatalog lists the report's rules, then any rule a finding names that
// the report's rule list lacks (in order of first appearance, described from
// the finding), with each rule's index.
func ruleCatalog(r *finding.Report) ([]finding.Rule, map[string]int) {
	rules := make([]finding.Rule, 0, len(r.Rules))
	index := make(map[string]int, len(r.Rules))
	add := func(rule finding.Rule) {
		if _, ok := index[rule.ID]; ok {
			return
		}
		index[rule.ID] = len(rules)
		rules = append(rules, rule)
	}
	for _, rule := range r.Rules {
		add(rule)
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		if _, ok := index[f.RuleID]; !ok {
			add(finding.Rule{ID: f.RuleID, ShortCode: f.ShortCode, Title: f.Title, Severity: f.Severity})
		}
	}
	return rules, index
}

// jsonStream writes a JSON document piece by piece: literal text for the
// envelope and one encoded value at a time, so that a report's findings are
// never all held encoded at once. The first error sticks.
type jsonStream struct {
	w   *bufio.Writer
	buf bytes.Buffer
	enc *json.Encoder
	err error
}

func newJSONStream(w io.Writer) *jsonStream {
	s := &jsonStream{w: bufio.NewWriterSize(w, 64<<10)}
	s.enc = json.NewEncoder(&s.buf)
	s.enc.SetEscapeHTML(false)
	return s
}

// raw writes literal text.
func (s *jsonStream) raw(text string) {
	if s.err == nil {
		_, s.err = s.w.WriteString(text)
	}
}

// value writes v as JSON, indented with prefix for its continuation lines
// (compact when indent is false), without a trailing newline.
func (s *jsonStream) value(v any, prefix string, indent bool) {
	if s.err != nil {
		return
	}
	s.buf.Reset()
	if indent {
		s.enc.SetIndent(prefix, "  ")
	} else {
		s.enc.SetIndent("", "")
	}
	if s.err = s.enc.Encode(v); s.err != nil {
		return
	}
	_, s.err = s.w.Write(bytes.TrimSuffix(s.buf.Bytes(), []byte("\n")))
}

// close flushes and returns the first error.
func (s *jsonStream) close() error {
	if s.err != nil {
		return s.err
	}
	return s.w.Flush()
}
