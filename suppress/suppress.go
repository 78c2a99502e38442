package suppress

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/internal/decode"
	"github.com/cmkguard/cmkguard/state"
)

// dateLayout is the expiry date format: a calendar day, inclusive.
const dateLayout = "2006-01-02"

// MaxExpiry is the furthest an expiry may be from today unless broad
// suppressions are allowed: an acceptance is reviewed at least yearly.
const MaxExpiry = 366 * 24 * time.Hour

// File is the ignore file's top-level shape.
//
//	version: 1
//	suppressions:
//	  - resource: arn:aws:dms:eu-west-1:111122223333:rep:*   # an ARN, a resource id, or a glob (* and ?)
//	    rule: dms-instance-cmk                               # rule id, short code, or *
//	    reason: demo instances, torn down every night (SEC-1234)
//	    expires: 2026-12-31                                  # last day it applies
//	  - tag: env=sandbox                                     # a resource tag, key=value (value may be a glob)
//	    rule: CMKG-DMS-005
//	    reason: ...
//	    expires: 2026-12-31
//	  - file: "modules/legacy/**/*.tf"                       # IaC: the file (doublestar glob, relative to the scan root)
//	    address: "module.legacy.aws_dms_endpoint.*"          # IaC: the resource address (glob)
//	    rule: "*"
//	    reason: ...
//	    expires: 2026-12-31
type File struct {
	Version      int     `json:"version,omitempty"`
	Suppressions []Entry `json:"suppressions"`
}

// Entry is one suppression. Every selector given (resource, tag, address,
// file) must match a finding for the entry to apply; at least one is
// required.
type Entry struct {
	// Resource is a resource ARN or identifier, or a glob over them where *
	// matches any run of characters (including / and :) and ? one
	// character.
	Resource string `json:"resource,omitempty"`
	// Tag is KEY=VALUE: the resource must carry tag KEY with a value
	// matching VALUE (a glob as for Resource).
	Tag string `json:"tag,omitempty"`
	// Address is an infrastructure-as-code address (Terraform resource
	// instance address, CloudFormation logical id), or a glob over them.
	Address string `json:"address,omitempty"`
	// File is the source file of an IaC resource, relative to the scan
	// root, as a doublestar glob (** crosses directories).
	File string `json:"file,omitempty"`
	// Rule is a rule id (CMKG-DMS-001), a short code (dms-instance-cmk) or
	// * for every rule.
	Rule string `json:"rule"`
	// Reason says why the finding is accepted; it is required.
	Reason string `json:"reason"`
	// Expires is the last day (YYYY-MM-DD, UTC) the entry applies; required,
	// so that no acceptance lasts forever unnoticed.
	Expires string `json:"expires"`

	expires          time.Time
	ruleID           string
	tagKey, tagValue string
	index            int
	used             bool
}

// Options are the policy a list is checked against.
type Options struct {
	// Now is today, for the expiry limit; zero means time.Now().
	Now time.Time
	// AllowBroad accepts entries that match every resource and every rule,
	// and expiries more than MaxExpiry away (--allow-broad-suppressions).
	AllowBroad bool
}

// List is a validated ignore file (possibly empty), ready to apply to
// findings and to the inline suppressions their sources carry.
type List struct {
	path    string
	entries []Entry
	ids     map[string]string // lower-case rule name → rule id
	opts    Options
	// problems are the inline suppressions that could not apply.
	problems []string
}

// RuleIDs maps every accepted rule name (ids and short codes, as the caller
// spells them) to its rule id; matching is case-insensitive.
type RuleIDs map[string]string

// New returns an empty list: it applies only the inline suppressions the
// findings' sources carry.
func New(rules RuleIDs, opts Options) *List {
	return &List{ids: lowerIDs(rules), opts: opts}
}

func lowerIDs(rules RuleIDs) map[string]string {
	ids := map[string]string{}
	for name, id := range rules {
		ids[strings.ToLower(name)] = id
	}
	return ids
}

// Load reads and validates the ignore file at path.
func Load(path string, rules RuleIDs, opts Options) (*List, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read ignore file: %w", err)
	}
	l, err := Parse(data, rules, opts)
	if err != nil {
		return nil, fmt.Errorf("ignore file %s: %w", path, err)
	}
	l.path = path
	return l, nil
}

// Parse validates an ignore file's content.
func Parse(data []byte, rules RuleIDs, opts Options) (*List, error) {
	var f File
	if err := decode.YAML(data, &f); err != nil {
		return nil, fmt.Errorf("not a valid ignore file: %w", err)
	}
	if f.Version != 0 && f.Version != 1 {
		return nil, fmt.Errorf("unsupported version %d (this cmkguard reads version 1)", f.Version)
	}
	if len(f.Suppressions) == 0 && !strings.Contains(string(data), "suppressions") {
		return nil, errors.New("no 'suppressions' list found")
	}
	l := New(rules, opts)
	var errs []error
	for i := range f.Suppressions {
		e := &f.Suppressions[i]
		e.index = i + 1
		if err := l.validate(e); err != nil {
			errs = append(errs, fmt.Errorf("suppression #%d: %w", i+1, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	l.entries = f.Suppressions
	return l, nil
}

func (l *List) today() time.Time {
	now := l.opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC()
	return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
}

// allStars reports whether a glob matches everything (it is only stars).
func allStars(pattern string) bool {
	return strings.Trim(pattern, "*") == "" && pattern != ""
}

func (l *List) validate(e *Entry) error {
	var problems []string
	for _, s := range []*string{&e.Resource, &e.Tag, &e.Address, &e.File, &e.Rule, &e.Reason, &e.Expires} {
		*s = strings.TrimSpace(*s)
	}
	if e.Resource == "" && e.Tag == "" && e.Address == "" && e.File == "" {
		problems = append(problems, "name what it suppresses: resource (an ARN, an id or a glob such as arn:aws:dms:*:111122223333:rep:*), tag (key=value), address or file")
	}
	if e.Tag != "" {
		k, v, ok := strings.Cut(e.Tag, "=")
		if !ok || strings.TrimSpace(k) == "" {
			problems = append(problems, fmt.Sprintf("tag %q is not key=value", e.Tag))
		}
		e.tagKey, e.tagValue = strings.TrimSpace(k), strings.TrimSpace(v)
	}
	if e.File != "" && !doublestar.ValidatePattern(e.File) {
		problems = append(problems, fmt.Sprintf("file %q is not a valid glob", e.File))
	}
	if p := l.ruleProblem(e.Rule, &e.ruleID); p != "" {
		problems = append(problems, p)
	}
	problems = append(problems, l.reasonAndExpiry(e.Reason, e.Expires, &e.expires)...)
	hasSelector := e.Resource != "" || e.Tag != "" || e.Address != "" || e.File != ""
	if !l.opts.AllowBroad && hasSelector && e.ruleID == "*" && e.Tag == "" && everyGiven(allStars, e.Resource, e.Address, e.File) {
		problems = append(problems, "it suppresses every rule on every resource: name the resources or the rule, or pass --allow-broad-suppressions")
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// everyGiven reports whether ok holds for every non-empty value.
func everyGiven(ok func(string) bool, values ...string) bool {
	for _, v := range values {
		if v != "" && !ok(v) {
			return false
		}
	}
	return true
}

// ruleProblem resolves a rule name into *id, or says why it cannot.
func (l *List) ruleProblem(rule string, id *string) string {
	switch r := strings.TrimSpace(rule); {
	case r == "":
		return "rule is required (a rule id, a short code, or *)"
	case r == "*":
		*id = "*"
	default:
		found, ok := l.ids[strings.ToLower(r)]
		if !ok {
			return fmt.Sprintf("unknown rule %q", r)
		}
		*id = found
	}
	return ""
}

// reasonAndExpiry checks the fields every suppression needs, file or
// inline, and parses the expiry into *expires.
func (l *List) reasonAndExpiry(reason, expiresText string, expires *time.Time) []string {
	var problems []string
	if strings.TrimSpace(reason) == "" {
		problems = append(problems, "reason is required: say why this finding is accepted")
	}
	expiresText = strings.TrimSpace(expiresText)
	if expiresText == "" {
		return append(problems, "expires is required (YYYY-MM-DD, the last day the suppression applies)")
	}
	t, err := time.Parse(dateLayout, expiresText)
	if err != nil {
		return append(problems, fmt.Sprintf("expires %q is not a date in the form YYYY-MM-DD", expiresText))
	}
	*expires = t
	if limit := l.today().Add(MaxExpiry); !l.opts.AllowBroad && t.After(limit) {
		problems = append(problems, fmt.Sprintf("expires %s is more than a year away (latest %s): review acceptances at least yearly, or pass --allow-broad-suppressions", expiresText, limit.Format(dateLayout)))
	}
	return problems
}

// SelectsByTag reports whether an entry selects resources by tag, so that
// the source must read the resources' tags.
func (l *List) SelectsByTag() bool {
	if l == nil {
		return false
	}
	for i := range l.entries {
		if l.entries[i].Tag != "" {
			return true
		}
	}
	return false
}

// Len returns the number of ignore-file entries.
func (l *List) Len() int {
	if l == nil {
		return 0
	}
	return len(l.entries)
}

// Apply returns findings with the list and the findings' inline
// suppressions applied at time now: a FAIL or UNKNOWN finding matched by a
// suppression that has not expired becomes SUPPRESSED; one matched only by
// expired ones keeps its status and records the expired suppression. PASS
// findings are left alone. Inline suppressions (written beside the
// resource, state.Source.Suppressions) come first, then the ignore file's
// entries in file order; the first that applies wins. An inline
// suppression without a reason or an expiry, or of an unknown rule, does
// not apply and is listed by Problems. Apply changes the slice in place
// and returns it. A nil list applies inline suppressions by rule id only.
func (l *List) Apply(findings []finding.Finding, now time.Time) []finding.Finding {
	if l == nil {
		l = New(nil, Options{Now: now})
	}
	today := time.Date(now.UTC().Year(), now.UTC().Month(), now.UTC().Day(), 0, 0, 0, 0, time.UTC)
	reported := map[string]bool{}
	for i := range findings {
		f := &findings[i]
		if f.Status != finding.StatusFail && f.Status != finding.StatusUnknown {
			continue
		}
		var expired *finding.Suppression
		applied := false
		for _, in := range f.Source.Suppressions {
			sup, ok := l.inline(f, in, reported)
			if !ok {
				continue
			}
			if today.After(sup.expires) {
				if expired == nil {
					expired = l.suppression(sup.reason, sup.expires, sup.source, true)
				}
				continue
			}
			f.Suppression = l.suppression(sup.reason, sup.expires, sup.source, false)
			applied = true
			break
		}
		for j := range l.entries {
			if applied {
				break
			}
			e := &l.entries[j]
			if !e.matches(f) {
				continue
			}
			e.used = true
			if today.After(e.expires) {
				if expired == nil {
					expired = l.suppression(e.Reason, e.expires, l.entrySource(e), true)
				}
				continue
			}
			f.Suppression = l.suppression(e.Reason, e.expires, l.entrySource(e), false)
			applied = true
		}
		if applied {
			f.Status = finding.StatusSuppressed
		} else if expired != nil {
			f.Suppression = expired
		}
	}
	return findings
}

type inlineMatch struct {
	reason, source string
	expires        time.Time
}

// inline checks one inline suppression against f: ok when it names f's
// rule and is valid. An invalid one is recorded once in l.problems.
func (l *List) inline(f *finding.Finding, in state.InlineSuppression, reported map[string]bool) (inlineMatch, bool) {
	where := f.Source.File
	if in.Line > 0 {
		where = fmt.Sprintf("%s:%d", where, in.Line)
	}
	if where == "" {
		where = firstNonEmpty(f.Source.Address, f.ResourceARN)
	}
	m := inlineMatch{reason: strings.TrimSpace(in.Reason), source: where + " inline suppression"}
	var id string
	ids := l.ids
	if len(ids) == 0 {
		ids = map[string]string{strings.ToLower(f.RuleID): f.RuleID, strings.ToLower(f.ShortCode): f.RuleID}
	}
	tmp := List{ids: ids, opts: l.opts}
	problems := []string{}
	if p := tmp.ruleProblem(in.Rule, &id); p != "" {
		problems = append(problems, p)
	}
	if len(problems) == 0 && id != "*" && id != f.RuleID {
		return m, false // another rule's
	}
	problems = append(problems, tmp.reasonAndExpiry(in.Reason, in.Expires, &m.expires)...)
	if len(problems) > 0 {
		key := where + "\x00" + in.Rule
		if !reported[key] {
			reported[key] = true
			l.problems = append(l.problems, fmt.Sprintf("%s: inline suppression of %q not applied: %s", where, in.Rule, strings.Join(problems, "; ")))
		}
		return m, false
	}
	return m, true
}

// Problems lists, for a person, the inline suppressions Apply could not
// apply (a missing reason or expiry, an unknown rule, an expiry too far).
func (l *List) Problems() []string {
	if l == nil {
		return nil
	}
	return l.problems
}

// Unused lists, for a person, the ignore-file entries that matched no
// finding in the last Apply: stale entries that should be removed (or
// whose resources the run did not cover).
func (l *List) Unused() []string {
	if l == nil {
		return nil
	}
	var out []string
	for i := range l.entries {
		e := &l.entries[i]
		if e.used {
			continue
		}
		var sel []string
		for _, s := range []struct{ name, value string }{{"resource", e.Resource}, {"tag", e.Tag}, {"address", e.Address}, {"file", e.File}} {
			if s.value != "" {
				sel = append(sel, s.name+" "+s.value)
			}
		}
		out = append(out, fmt.Sprintf("%s matched no finding (%s, rule %s)", l.entrySource(e), strings.Join(sel, ", "), e.Rule))
	}
	return out
}

func (l *List) entrySource(e *Entry) string {
	src := fmt.Sprintf("suppression #%d", e.index)
	if l.path != "" {
		src = l.path + " " + src
	}
	return src
}

func (l *List) suppression(reason string, expires time.Time, source string, expired bool) *finding.Suppression {
	return &finding.Suppression{Reason: strings.TrimSpace(reason), Expires: expires.Format(dateLayout), Expired: expired, Source: source}
}

func (e *Entry) matches(f *finding.Finding) bool {
	if e.ruleID != "*" && e.ruleID != f.RuleID {
		return false
	}
	if e.Resource != "" && !Glob(e.Resource, f.ResourceARN) && !(f.ResourceID != "" && Glob(e.Resource, f.ResourceID)) {
		return false
	}
	if e.Tag != "" {
		v, ok := f.Tags[e.tagKey]
		if !ok || !Glob(e.tagValue, v) {
			return false
		}
	}
	if e.Address != "" && (f.Source.Address == "" || !Glob(e.Address, f.Source.Address)) {
		return false
	}
	if e.File != "" {
		if f.Source.File == "" {
			return false
		}
		if ok, err := doublestar.Match(e.File, f.Source.File); err != nil || !ok {
			return false
		}
	}
	return true
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// Glob reports whether name matches pattern, where * matches any run of
// characters (ARNs hold : and /, which path.Match would not cross) and ?
// matches exactly one character. Everything else matches itself.
func Glob(pattern, name string) bool {
	// Iterative wildcard matching with backtracking to the last star.
	p, n := 0, 0
	star, mark := -1, 0
	for n < len(name) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == name[n]):
			p++
			n++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, n
			p++
		case star >= 0:
			p = star + 1
			mark++
			n = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
