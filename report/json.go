package report

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/cmkguard/cmkguard/finding"
)

// JSON writes the report envelope (finding.Report) as indented JSON: the
// documented, versioned schema of `audit --format json` (see
// docs/report-schema.md). It streams the findings one at a time, so a large
// audit is never held twice in memory; the bytes are exactly those of
// json.MarshalIndent(r, "", "  ").
type JSON struct{}

var _ Reporter = (*JSON)(nil)

// Write writes r to w.
func (JSON) Write(w io.Writer, r *finding.Report) error {
	if r == nil {
		return errors.New("json report: no report")
	}
	bw := bufio.NewWriter(w)
	jw := &jsonWriter{w: bw}
	jw.raw("{\n")
	jw.field("schemaVersion", r.SchemaVersion, false)
	jw.field("tool", r.Tool, false)
	jw.field("generatedAt", r.GeneratedAt, false)
	jw.field("accounts", r.Accounts, false)
	jw.field("regions", r.Regions, false)
	jw.field("scope", r.Scope, false)
	jw.field("rules", r.Rules, false)
	jw.findings(r.Findings)
	jw.field("summary", r.Summary, true)
	jw.raw("}\n")
	if jw.err != nil {
		return fmt.Errorf("json report: %w", jw.err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("json report: %w", err)
	}
	return nil
}

// jsonWriter keeps the first error, so that Write reads as the document.
type jsonWriter struct {
	w   io.Writer
	err error
}

func (j *jsonWriter) raw(s string) {
	if j.err == nil {
		_, j.err = io.WriteString(j.w, s)
	}
}

func (j *jsonWriter) value(v any, prefix string) {
	if j.err != nil {
		return
	}
	b, err := json.MarshalIndent(v, prefix, "  ")
	if err != nil {
		j.err = err
		return
	}
	_, j.err = j.w.Write(b)
}

func (j *jsonWriter) field(name string, v any, last bool) {
	j.raw(fmt.Sprintf("  %q: ", name))
	j.value(v, "  ")
	if last {
		j.raw("\n")
	} else {
		j.raw(",\n")
	}
}

func (j *jsonWriter) findings(fs []finding.Finding) {
	j.raw(`  "findings": `)
	switch {
	case fs == nil:
		j.raw("null,\n")
		return
	case len(fs) == 0:
		j.raw("[],\n")
		return
	}
	j.raw("[\n")
	for i := range fs {
		j.raw("    ")
		j.value(&fs[i], "    ")
		if i < len(fs)-1 {
			j.raw(",\n")
		} else {
			j.raw("\n")
		}
	}
	j.raw("  ],\n")
}
