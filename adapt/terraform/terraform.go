package terraform

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/cmkguard/cmkguard/state"
)

// DefaultMaxInstances bounds the instances one count or for_each expands to.
const DefaultMaxInstances = 10000

// VarArg is one --var NAME=VALUE or --var-file FILE, kept in command-line
// order: Terraform applies them in the order given, after the files.
type VarArg struct {
	Name, Value string // --var
	File        string // --var-file
}

// Options are the variable values a scan is given.
type Options struct {
	// Vars are the --var and --var-file arguments, in order.
	Vars []VarArg
	// Env is the environment (os.Environ()); TF_VAR_name sets var.name.
	Env []string
	// MaxInstances bounds count and for_each (DefaultMaxInstances if 0).
	MaxInstances int
}

// Note says, for a finding, which argument decided a resource's key and
// what it said ("kms_key_arn is not set: DMS uses aws/dms").
type Note struct {
	Text               string
	StartLine, EndLine int
}

// Note fields.
const (
	// FieldKey is the resource's own key (rules 001 to 005).
	FieldKey = "key"
	// FieldTarget is an S3 or Redshift target's data encryption (rule 006).
	FieldTarget = "target"
)

// NoteKey is the key of Result.Notes for a resource instance and field.
func NoteKey(file, address, field string) string { return file + "\x00" + address + "\x00" + field }

// Result is what a scan of Terraform configurations found.
type Result struct {
	State state.State
	// Notes, by NoteKey: the deciding argument of each resource's key.
	Notes map[string]Note
	// Problems are files or blocks that could not be read or evaluated;
	// everything else was.
	Problems []Problem
	// Warnings are things worth saying that do not fail the scan (a module
	// not downloaded).
	Warnings []string
	// Roots are the root module directories evaluated, relative to the scan root.
	Roots []string
}

type evaluator struct {
	scanRoot     string
	loader       *loader
	problems     *problems
	state        state.State
	notes        map[string]Note
	warnings     []string
	visited      map[string]bool
	maxInstances int
	files        map[string][]byte
	depth        int // expressions being evaluated, nested
	forNesting   map[hcl.Range]int
}

// Scan evaluates the Terraform modules in dirs (each a directory holding
// .tf or .tf.json files, found under scanRoot). The modules no other
// module in dirs calls are the roots; every other is evaluated through its
// callers, with their inputs. A module that no root reaches (a cycle) is
// evaluated as a root, so that no resource is dropped. Paths in the result
// are relative to scanRoot. The error is for bad options (an unreadable
// --var-file); problems in the configuration are in Result.Problems.
func Scan(scanRoot string, dirs []string, opts Options) (*Result, error) {
	absRoot, err := filepath.Abs(scanRoot)
	if err != nil {
		return nil, err
	}
	ev := &evaluator{scanRoot: absRoot, problems: &problems{}, notes: map[string]Note{}, visited: map[string]bool{},
		maxInstances: opts.MaxInstances, files: map[string][]byte{}, forNesting: map[hcl.Range]int{}}
	if ev.maxInstances <= 0 {
		ev.maxInstances = DefaultMaxInstances
	}
	ev.loader = &loader{modules: map[string]*module{}, files: map[string]*sourceFile{}, problems: ev.problems}
	env, args, err := cliValues(opts)
	if err != nil {
		return nil, err
	}
	cli := [2][]cliValue{env, args}
	var mods []*module
	var resolved []string
	for _, d := range dirs {
		if real, err := resolveDir(d); err == nil {
			resolved = append(resolved, real)
		}
	}
	ev.loader.preparse(resolved)
	for _, d := range dirs {
		real, err := resolveDir(d)
		if err != nil {
			ev.problems.add(d, 0, "cannot read module directory: %v", err)
			continue
		}
		if ev.loader.modules[real] == nil {
			mods = append(mods, ev.loader.load(real))
		}
	}
	called := map[string]bool{}
	for _, m := range mods {
		for _, c := range m.callOrder {
			if isLocalSource(c.source) {
				if real, err := resolveDir(filepath.Join(m.dir, filepath.FromSlash(c.source))); err == nil && real != m.dir {
					called[real] = true
				}
			}
		}
	}
	res := &Result{}
	evalRoot := func(m *module) {
		r := &root{dir: m.dir, manifest: readManifest(m.dir, ev.problems), funcs: functions(m.dir)}
		r.values = ev.rootValues(m, cli)
		ev.visited[m.dir] = true
		res.Roots = append(res.Roots, ev.rel(m.dir))
		ev.evaluateResources(newModuleInstance(ev, r, m))
	}
	for _, m := range mods {
		if !called[m.dir] {
			evalRoot(m)
		}
	}
	for _, m := range mods {
		// Not reached from any root (a cycle): evaluated on its own, so
		// that no resource is dropped and the cycle is reported.
		if !ev.visited[m.dir] && (hasDMS(m) || len(m.callOrder) > 0) {
			evalRoot(m)
		}
	}
	for _, o := range ev.loader.overrides {
		ev.warn("%s: override files are not merged by cmkguard; the verdicts are those of the files without it", ev.rel(o))
	}
	res.State, res.Notes, res.Warnings = ev.state, ev.notes, ev.warnings
	for _, p := range ev.problems.list {
		if p.File != "" {
			p.File = ev.rel(p.File)
		}
		res.Problems = append(res.Problems, p)
	}
	markVariants(res)
	return res, nil
}

func hasDMS(m *module) bool {
	return slices.ContainsFunc(m.resources, func(r *resourceDecl) bool { return r.managed && dmsTypes[r.typ] })
}

// markVariants names the root of resources a module yields under several
// roots (two examples calling one module), so reports keep the worst and
// say under which root.
func markVariants(res *Result) {
	count := map[string]int{}
	key := func(s state.Source) string { return s.File + "\x00" + s.Address }
	for _, i := range res.State.Instances {
		count[key(i.Source)]++
	}
	for _, c := range res.State.ReplicationConfigs {
		count[key(c.Source)]++
	}
	for _, e := range res.State.Endpoints {
		count[key(e.Source)]++
	}
	clear := func(s *state.Source) {
		if count[key(*s)] < 2 {
			s.Variant = ""
		}
	}
	for i := range res.State.Instances {
		clear(&res.State.Instances[i].Source)
	}
	for i := range res.State.ReplicationConfigs {
		clear(&res.State.ReplicationConfigs[i].Source)
	}
	for i := range res.State.Endpoints {
		clear(&res.State.Endpoints[i].Source)
	}
}

// rel returns path relative to the scan root, with forward slashes.
func (ev *evaluator) rel(path string) string {
	if path == "" {
		return ""
	}
	if r, err := filepath.Rel(ev.scanRoot, path); err == nil {
		return filepath.ToSlash(r)
	}
	return filepath.ToSlash(path)
}

func (ev *evaluator) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if !slices.Contains(ev.warnings, msg) {
		ev.warnings = append(ev.warnings, msg)
	}
}

// exprText is the source text of an expression, on one line, shortened.
func (ev *evaluator) exprText(expr hcl.Expression) string {
	rng := expr.Range()
	var data []byte
	if sf, ok := ev.loader.files[rng.Filename]; ok {
		data = sf.data
	} else if d, ok := ev.files[rng.Filename]; ok {
		data = d
	} else {
		data, _ = os.ReadFile(rng.Filename)
		ev.files[rng.Filename] = data
	}
	if rng.End.Byte > len(data) || rng.Start.Byte > rng.End.Byte {
		return ""
	}
	text := strings.Join(strings.Fields(string(rng.SliceBytes(data))), " ")
	if len(text) > 200 {
		text = text[:197] + "..."
	}
	return text
}

var suppressionComment = regexp.MustCompile(`^\s*(?:#|//)\s*cmkguard:ignore\s+(.*)$`)
var suppressionField = regexp.MustCompile(`(\w+)=(?:"([^"]*)"|(\S+))`)

// inlineSuppressions reads "# cmkguard:ignore RULE reason="…" expires=…"
// comments on the block's first line or on the comment lines right above
// it. Package suppress validates and applies them.
func inlineSuppressions(sf *sourceFile, line int) []state.InlineSuppression {
	var out []state.InlineSuppression
	parse := func(n int, text string) {
		m := suppressionComment.FindStringSubmatch(text)
		if m == nil {
			return
		}
		rest := m[1]
		rules, fields, _ := strings.Cut(rest, " ")
		var reason, expires string
		for _, f := range suppressionField.FindAllStringSubmatch(fields, -1) {
			v := f[2] + f[3]
			switch f[1] {
			case "reason":
				reason = v
			case "expires":
				expires = v
			}
		}
		for r := range strings.SplitSeq(rules, ",") {
			if r = strings.TrimSpace(r); r != "" {
				out = append(out, state.InlineSuppression{Rule: r, Reason: reason, Expires: expires, Line: n})
			}
		}
	}
	lines := sf.lines()
	if line < 1 || line > len(lines) {
		return nil
	}
	if i := strings.Index(lines[line-1], "#"); i >= 0 {
		parse(line, lines[line-1][i:])
	} else if i := strings.Index(lines[line-1], "//"); i >= 0 {
		parse(line, lines[line-1][i:])
	}
	for n := line - 1; n >= 1; n-- {
		t := strings.TrimSpace(lines[n-1])
		if !strings.HasPrefix(t, "#") && !strings.HasPrefix(t, "//") {
			break
		}
		parse(n, t)
	}
	slices.SortStableFunc(out, func(a, b state.InlineSuppression) int { return a.Line - b.Line })
	return out
}
