package suppress

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/internal/decode"
)

// dateLayout is the expiry date format: a calendar day, inclusive.
const dateLayout = "2006-01-02"

// File is the ignore file's top-level shape.
//
//	version: 1
//	suppressions:
//	  - resource: arn:aws:dms:eu-west-1:111122223333:rep:*   # an ARN or a glob (* and ?)
//	    rule: dms-instance-cmk                               # rule id, short code, or *
//	    reason: demo instances, torn down every night (SEC-1234)
//	    expires: 2026-12-31                                  # last day it applies
type File struct {
	Version      int     `json:"version,omitempty"`
	Suppressions []Entry `json:"suppressions"`
}

// Entry is one suppression.
type Entry struct {
	// Resource is a resource ARN, or a glob over ARNs where * matches any
	// run of characters (including / and :) and ? one character.
	Resource string `json:"resource"`
	// Rule is a rule id (CMKG-DMS-001), a short code (dms-instance-cmk) or
	// * for every rule.
	Rule string `json:"rule"`
	// Reason says why the finding is accepted; it is required.
	Reason string `json:"reason"`
	// Expires is the last day (YYYY-MM-DD, UTC) the entry applies; required,
	// so that no acceptance lasts forever unnoticed.
	Expires string `json:"expires"`

	expires time.Time
	ruleID  string
	index   int
}

// List is a validated ignore file, ready to apply.
type List struct {
	path    string
	entries []Entry
}

// RuleIDs maps every accepted rule name (ids and short codes, as the caller
// spells them) to its rule id; matching is case-insensitive.
type RuleIDs map[string]string

// Load reads and validates the ignore file at path.
func Load(path string, rules RuleIDs) (*List, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read ignore file: %w", err)
	}
	l, err := Parse(data, rules)
	if err != nil {
		return nil, fmt.Errorf("ignore file %s: %w", path, err)
	}
	l.path = path
	return l, nil
}

// Parse validates an ignore file's content.
func Parse(data []byte, rules RuleIDs) (*List, error) {
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
	ids := map[string]string{}
	for name, id := range rules {
		ids[strings.ToLower(name)] = id
	}
	var errs []error
	for i := range f.Suppressions {
		e := &f.Suppressions[i]
		e.index = i + 1
		if err := e.validate(ids); err != nil {
			errs = append(errs, fmt.Errorf("suppression #%d: %w", i+1, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &List{entries: f.Suppressions}, nil
}

func (e *Entry) validate(ids map[string]string) error {
	var problems []string
	if strings.TrimSpace(e.Resource) == "" {
		problems = append(problems, "resource is required (an ARN or a glob such as arn:aws:dms:*:111122223333:rep:*)")
	}
	switch r := strings.TrimSpace(e.Rule); {
	case r == "":
		problems = append(problems, "rule is required (a rule id, a short code, or *)")
	case r == "*":
		e.ruleID = "*"
	default:
		id, ok := ids[strings.ToLower(r)]
		if !ok {
			problems = append(problems, fmt.Sprintf("unknown rule %q", r))
		}
		e.ruleID = id
	}
	if strings.TrimSpace(e.Reason) == "" {
		problems = append(problems, "reason is required: say why this finding is accepted")
	}
	if strings.TrimSpace(e.Expires) == "" {
		problems = append(problems, "expires is required (YYYY-MM-DD, the last day the suppression applies)")
	} else if t, err := time.Parse(dateLayout, strings.TrimSpace(e.Expires)); err != nil {
		problems = append(problems, fmt.Sprintf("expires %q is not a date in the form YYYY-MM-DD", e.Expires))
	} else {
		e.expires = t
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// Len returns the number of entries.
func (l *List) Len() int {
	if l == nil {
		return 0
	}
	return len(l.entries)
}

// Apply returns findings with the list applied at time now: a FAIL or
// UNKNOWN finding matched by an entry that has not expired becomes
// SUPPRESSED; one matched only by expired entries keeps its status and
// records the expired suppression. PASS findings are left alone. The
// first matching entry in file order wins. Apply changes the slice in place
// and returns it.
func (l *List) Apply(findings []finding.Finding, now time.Time) []finding.Finding {
	if l == nil {
		return findings
	}
	today := time.Date(now.UTC().Year(), now.UTC().Month(), now.UTC().Day(), 0, 0, 0, 0, time.UTC)
	for i := range findings {
		f := &findings[i]
		if f.Status != finding.StatusFail && f.Status != finding.StatusUnknown {
			continue
		}
		var expired *Entry
		for j := range l.entries {
			e := &l.entries[j]
			if !e.matches(f) {
				continue
			}
			if today.After(e.expires) {
				if expired == nil {
					expired = e
				}
				continue
			}
			f.Suppression = l.suppression(e, false)
			f.Status = finding.StatusSuppressed
			expired = nil
			break
		}
		if expired != nil {
			f.Suppression = l.suppression(expired, true)
		}
	}
	return findings
}

func (l *List) suppression(e *Entry, expired bool) *finding.Suppression {
	src := fmt.Sprintf("suppression #%d", e.index)
	if l.path != "" {
		src = l.path + " " + src
	}
	return &finding.Suppression{Reason: strings.TrimSpace(e.Reason), Expires: e.expires.Format(dateLayout), Expired: expired, Source: src}
}

func (e *Entry) matches(f *finding.Finding) bool {
	if e.ruleID != "*" && e.ruleID != f.RuleID {
		return false
	}
	return Glob(strings.TrimSpace(e.Resource), f.ResourceARN)
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
