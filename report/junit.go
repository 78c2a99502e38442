package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/cmkguard/cmkguard/finding"
)

// JUnit writes a JUnit XML report for CI dashboards: one testsuite per rule,
// one testcase per resource and rule. A FAIL is a <failure>. An UNKNOWN is an
// <error>: the check could not run to a verdict (a denied permission, a region
// that could not be listed), which a dashboard must show, not hide as skipped.
// A SUPPRESSED finding is <skipped> with the suppression's reason. PASS is a
// plain testcase.
//
// Testcases are named by the resource identity (the ARN, or file#address for
// infrastructure as code); classname is "<account>.<region>" so dashboards
// group them by place.
type JUnit struct{}

var _ Reporter = (*JUnit)(nil)

type junitCounts struct {
	tests, failures, errors, skipped int
}

func (c *junitCounts) add(s finding.Status) {
	c.tests++
	switch s {
	case finding.StatusFail:
		c.failures++
	case finding.StatusUnknown:
		c.errors++
	case finding.StatusSuppressed:
		c.skipped++
	}
}

func (c junitCounts) attrs() []xml.Attr {
	return []xml.Attr{
		{Name: xml.Name{Local: "tests"}, Value: strconv.Itoa(c.tests)},
		{Name: xml.Name{Local: "failures"}, Value: strconv.Itoa(c.failures)},
		{Name: xml.Name{Local: "errors"}, Value: strconv.Itoa(c.errors)},
		{Name: xml.Name{Local: "skipped"}, Value: strconv.Itoa(c.skipped)},
		{Name: xml.Name{Local: "time"}, Value: "0"},
	}
}

type junitTestcase struct {
	XMLName   xml.Name      `xml:"testcase"`
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

type junitText struct {
	Text string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// junitProperties record a suite's scope: whether its rule was evaluated
// and the resource kinds the run covered.
type junitProperties struct {
	XMLName  xml.Name        `xml:"properties"`
	Property []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// Write writes r as JUnit XML.
func (*JUnit) Write(w io.Writer, r *finding.Report) error {
	if r == nil {
		return fmt.Errorf("write JUnit: no report")
	}
	rules, index := ruleCatalog(r)
	var total junitCounts
	perRule := make([]junitCounts, len(rules))
	for i := range r.Findings {
		f := &r.Findings[i]
		total.add(f.Status)
		perRule[index[f.RuleID]].add(f.Status)
	}
	// A rule not evaluated is one skipped test case, never an empty
	// (passing) suite.
	for _, n := range notEvaluated(r) {
		if i, ok := index[n.ID]; ok {
			perRule[i].tests++
			perRule[i].skipped++
			total.tests++
			total.skipped++
		}
	}

	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write JUnit: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	root := xml.StartElement{Name: xml.Name{Local: "testsuites"},
		Attr: append([]xml.Attr{{Name: xml.Name{Local: "name"}, Value: firstNonEmpty(r.Tool.Name, "cmkguard")}}, total.attrs()...)}
	if err := enc.EncodeToken(root); err != nil {
		return fmt.Errorf("write JUnit: %w", err)
	}
	for ri, rule := range rules {
		if err := junitSuite(enc, r, rule, perRule[ri]); err != nil {
			return err
		}
	}
	if err := enc.EncodeToken(root.End()); err != nil {
		return fmt.Errorf("write JUnit: %w", err)
	}
	if err := enc.Flush(); err != nil {
		return fmt.Errorf("write JUnit: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("write JUnit: %w", err)
	}
	return nil
}

func junitSuite(enc *xml.Encoder, r *finding.Report, rule finding.Rule, counts junitCounts) error {
	name := rule.ID
	if rule.ShortCode != "" {
		name += " " + rule.ShortCode
	}
	attrs := append([]xml.Attr{{Name: xml.Name{Local: "name"}, Value: name}}, counts.attrs()...)
	if ts := strings.TrimSuffix(r.GeneratedAt, "Z"); ts != "" {
		attrs = append(attrs, xml.Attr{Name: xml.Name{Local: "timestamp"}, Value: ts})
	}
	suite := xml.StartElement{Name: xml.Name{Local: "testsuite"}, Attr: attrs}
	if err := enc.EncodeToken(suite); err != nil {
		return fmt.Errorf("write JUnit suite %s: %w", rule.ID, err)
	}
	if r.Scope.Rules != nil {
		evaluated := r.Scope.Evaluated(rule.ID)
		props := junitProperties{Property: []junitProperty{
			{Name: "evaluated", Value: strconv.FormatBool(evaluated)},
			{Name: "scope", Value: strings.Join(r.Scope.Resources, ",")},
		}}
		if err := enc.Encode(props); err != nil {
			return fmt.Errorf("write JUnit suite %s: %w", rule.ID, err)
		}
		if !evaluated {
			reason := "not evaluated"
			for _, n := range notEvaluated(r) {
				if n.ID == rule.ID {
					reason = "not evaluated: " + n.Reason
				}
			}
			tc := junitTestcase{Name: rule.ID + " not evaluated", Classname: name, Time: "0", Skipped: &junitSkipped{Message: xmlSafe(reason)}}
			if err := enc.Encode(tc); err != nil {
				return fmt.Errorf("write JUnit suite %s: %w", rule.ID, err)
			}
		}
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.RuleID != rule.ID {
			continue
		}
		if err := enc.Encode(junitCaseFor(f)); err != nil {
			return fmt.Errorf("write JUnit case %s: %w", resourceIdentity(f), err)
		}
	}
	if err := enc.EncodeToken(suite.End()); err != nil {
		return fmt.Errorf("write JUnit suite %s: %w", rule.ID, err)
	}
	return nil
}

func junitCaseFor(f *finding.Finding) junitTestcase {
	tc := junitTestcase{
		Name:      resourceIdentity(f),
		Classname: firstNonEmpty(f.Account, "unknown-account") + "." + firstNonEmpty(f.Region, "unknown-region"),
		Time:      "0",
	}
	switch f.Status {
	case finding.StatusFail:
		tc.Failure = &junitProblem{Message: f.Reason, Type: string(f.Severity), Text: xmlSafe(findingDetails(f))}
	case finding.StatusUnknown:
		tc.Error = &junitProblem{Message: f.Reason, Type: "UNKNOWN", Text: xmlSafe(findingDetails(f))}
	case finding.StatusSuppressed:
		msg := "suppressed"
		if f.Suppression != nil && f.Suppression.Reason != "" {
			msg += ": " + f.Suppression.Reason
		}
		tc.Skipped = &junitSkipped{Message: msg}
		tc.SystemOut = &junitText{Text: xmlSafe(findingDetails(f))}
	default:
		tc.SystemOut = &junitText{Text: xmlSafe(f.Reason)}
	}
	return tc
}

// findingDetails is a finding's facts as "Label: value" lines, for formats
// that carry free text (JUnit bodies, ASFF descriptions).
func findingDetails(f *finding.Finding) string {
	var b strings.Builder
	line := func(label, value string) {
		if value != "" {
			b.WriteString(label + ": " + value + "\n")
		}
	}
	line("Rule", f.RuleID+" "+f.ShortCode)
	line("Status", string(f.Status))
	line("Severity", string(f.Severity))
	line("Resource", resourceIdentity(f))
	if f.Source.File != "" && f.Source.StartLine > 0 {
		line("Location", fmt.Sprintf("%s:%d-%d", f.Source.File, f.Source.StartLine, f.Source.EndLine))
	}
	line("Account", f.Account)
	line("Region", f.Region)
	line("Key", f.KeyARN)
	line("Key manager", string(f.KeyManager))
	line("Key state", f.KeyState)
	line("Protection level", string(f.ProtectionLevel))
	line("Evidence", string(f.Evidence))
	line("Reason", f.Reason)
	line("Missing permission", f.MissingPermission)
	line("Remediation", f.Remediation)
	if s := f.Suppression; s != nil {
		state := "applied"
		if s.Expired {
			state = "expired"
		}
		line("Suppression", fmt.Sprintf("%s (%s, expires %s, %s)", s.Reason, state, firstNonEmpty(s.Expires, "never"), firstNonEmpty(s.Source, "unknown source")))
	}
	return b.String()
}

// xmlSafe replaces the characters XML 1.0 cannot carry (CDATA sections are
// written as they are) with U+FFFD.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r',
			r >= 0x20 && r <= 0xD7FF,
			r >= 0xE000 && r <= 0xFFFD,
			r >= 0x10000 && r <= 0x10FFFF:
			return r
		}
		return '\uFFFD'
	}, s)
}
