package terraform

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"
)

// MaxFileSize is the largest configuration file read; a larger one is
// reported as a problem and skipped, so that one generated blob cannot
// exhaust memory.
const MaxFileSize = 10 << 20

// module is one parsed directory of Terraform files.
type module struct {
	dir       string // absolute, symlinks resolved
	variables map[string]*variableDecl
	locals    map[string]*hcl.Attribute
	outputs   map[string]*hcl.Attribute
	resources []*resourceDecl
	// declared maps "type.name" of managed resources and data sources
	// ("data.type.name") to their declaration.
	declared map[string]*resourceDecl
	calls    map[string]*moduleCall
	// callOrder is the module calls in source order.
	callOrder []*moduleCall
	// region is the AWS provider's region when written as a literal;
	// aliasRegions the same for each aliased AWS provider ("" unknown).
	region       string
	aliasRegions map[string]string
}

type variableDecl struct {
	name     string
	typeExpr hcl.Expression
	deflt    *hcl.Attribute
	nullable *hcl.Attribute
	rng      hcl.Range
}

type resourceDecl struct {
	managed  bool
	typ      string
	name     string
	file     *sourceFile
	defRange hcl.Range
	rng      hcl.Range // the whole block
	body     hcl.Body  // without count and for_each
	count    *hcl.Attribute
	forEach  *hcl.Attribute
	// providerAlias is the alias of its `provider = aws.alias`, if any.
	providerAlias string
}

// address is the declaration's address within its module.
func (r *resourceDecl) address() string {
	if r.managed {
		return r.typ + "." + r.name
	}
	return "data." + r.typ + "." + r.name
}

type moduleCall struct {
	name    string
	source  string
	file    *sourceFile
	rng     hcl.Range
	count   *hcl.Attribute
	forEach *hcl.Attribute
	inputs  hcl.Attributes
}

// sourceFile is one parsed file, with its raw lines for comments.
type sourceFile struct {
	path  string // absolute
	data  []byte
	split []string
}

// lines returns the file's lines, split once when first needed.
func (sf *sourceFile) lines() []string {
	if sf.split == nil {
		sf.split = strings.Split(string(sf.data), "\n")
	}
	return sf.split
}

var fileSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "variable", LabelNames: []string{"name"}},
	{Type: "locals"},
	{Type: "output", LabelNames: []string{"name"}},
	{Type: "resource", LabelNames: []string{"type", "name"}},
	{Type: "data", LabelNames: []string{"type", "name"}},
	{Type: "module", LabelNames: []string{"name"}},
	{Type: "provider", LabelNames: []string{"name"}},
}}

var variableSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "type"}, {Name: "default"}, {Name: "nullable"},
}}

var metaSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "count"}, {Name: "for_each"}, {Name: "provider"}}}

var moduleMetaSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "source"}, {Name: "version"}, {Name: "count"}, {Name: "for_each"}, {Name: "providers"}, {Name: "depends_on"},
}}

// IsConfigFile reports whether name is a Terraform configuration file
// (*.tf, *.tf.json).
func IsConfigFile(name string) bool { return isConfigFile(name) }

func isConfigFile(name string) bool {
	return strings.HasSuffix(name, ".tf") || strings.HasSuffix(name, ".tf.json")
}

// parseFile parses one configuration or tfvars file, HCL or JSON by its name.
func parseFile(path string) (*hcl.File, []byte, hcl.Diagnostics) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "cannot read file", Detail: fileError(err), Subject: &hcl.Range{Filename: path}}}
	}
	if info.Size() > MaxFileSize {
		return nil, nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "file too large",
			Detail:  fmt.Sprintf("%d bytes, more than the %d MiB cmkguard reads from one file", info.Size(), MaxFileSize>>20),
			Subject: &hcl.Range{Filename: path}}}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "cannot read file", Detail: err.Error(), Subject: &hcl.Range{Filename: path}}}
	}
	f, diags := parseBytes(path, data)
	return f, data, diags
}

// MaxNesting bounds how deeply brackets may nest in a file. The HCL and
// JSON parsers recurse once per level, and a goroutine's stack overflow is
// a crash no recover() catches: a file nesting deeper is refused before it
// is parsed. No real configuration comes near it.
const MaxNesting = 512

// nestingError names the line where brackets first nest deeper than
// MaxNesting, counting every bracket (in strings and comments too: an
// expression in "${...}" nests like any other).
func nestingError(path string, data []byte) hcl.Diagnostics {
	depth, line := 0, 1
	for _, c := range data {
		switch c {
		case '\n':
			line++
		case '(', '[', '{':
			depth++
			if depth > MaxNesting {
				return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "nested too deeply",
					Detail:  fmt.Sprintf("brackets nest more than %d levels deep", MaxNesting),
					Subject: &hcl.Range{Filename: path, Start: hcl.Pos{Line: line}, End: hcl.Pos{Line: line}}}}
			}
		case ')', ']', '}':
			if depth > 0 {
				depth--
			}
		}
	}
	return nil
}

func parseBytes(path string, data []byte) (f *hcl.File, diags hcl.Diagnostics) {
	if d := nestingError(path, data); d != nil {
		return nil, d
	}
	defer func() {
		if r := recover(); r != nil {
			f, diags = nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "cannot parse file", Detail: fmt.Sprint(r), Subject: &hcl.Range{Filename: path}}}
		}
	}()
	if strings.HasSuffix(path, ".json") {
		return hcljson.Parse(data, path)
	}
	return hclsyntax.ParseConfig(data, path, hcl.InitialPos)
}

// fileError says why a file cannot be read, without its absolute path.
func fileError(err error) string {
	switch {
	case errors.Is(err, syscall.ELOOP):
		return "a symbolic link loop"
	case errors.Is(err, fs.ErrNotExist):
		return "it does not exist (a symbolic link to nothing?)"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// loader parses each module directory once, however many callers it has.
type loader struct {
	modules  map[string]*module
	files    map[string]*sourceFile
	problems *problems
	// parsed holds files parsed ahead, in parallel (see preparse).
	parsed map[string]parsedFile
	// overrides are the override files seen, which are not merged.
	overrides []string
}

type parsedFile struct {
	file  *hcl.File
	data  []byte
	diags hcl.Diagnostics
}

// preparse parses the configuration files of dirs on every CPU, so that
// loading the modules (which is sequential: evaluation order matters) finds
// them parsed.
func (l *loader) preparse(dirs []string) {
	var paths []string
	for _, d := range dirs {
		for _, name := range configFiles(d) {
			paths = append(paths, filepath.Join(d, name))
		}
	}
	results := make([]parsedFile, len(paths))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f, data, diags := parseFile(paths[i])
				results[i] = parsedFile{f, data, diags}
			}
		}()
	}
	for i := range paths {
		next <- i
	}
	close(next)
	wg.Wait()
	l.parsed = make(map[string]parsedFile, len(paths))
	for i, p := range paths {
		l.parsed[p] = results[i]
	}
}

// configFiles lists the configuration files of dir, sorted (override files,
// which Terraform merges specially, are left out).
func configFiles(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() && isConfigFile(n) && !strings.HasSuffix(strings.TrimSuffix(n, ".json"), "_override.tf") && strings.TrimSuffix(n, ".json") != "override.tf" {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// load parses the configuration files of dir (absolute, resolved). A file
// that does not parse is reported and left out; the others are kept.
func (l *loader) load(dir string) *module {
	if m, ok := l.modules[dir]; ok {
		return m
	}
	m := &module{dir: dir, variables: map[string]*variableDecl{}, locals: map[string]*hcl.Attribute{},
		outputs: map[string]*hcl.Attribute{}, declared: map[string]*resourceDecl{}, calls: map[string]*moduleCall{}}
	l.modules[dir] = m
	entries, err := os.ReadDir(dir)
	if err != nil {
		l.problems.add(dir, 0, "cannot read module directory: %v", err)
		return m
	}
	for _, e := range entries {
		if n := e.Name(); n == "override.tf" || strings.HasSuffix(n, "_override.tf") || n == "override.tf.json" || strings.HasSuffix(n, "_override.tf.json") {
			l.overrides = append(l.overrides, filepath.Join(dir, n))
		}
	}
	for _, name := range configFiles(dir) {
		path := filepath.Join(dir, name)
		pf, ok := l.parsed[path]
		if ok {
			delete(l.parsed, path)
		} else {
			pf.file, pf.data, pf.diags = parseFile(path)
		}
		f, data, diags := pf.file, pf.data, pf.diags
		if diags.HasErrors() {
			l.problems.diags(diags)
			continue
		}
		sf := &sourceFile{path: path, data: data}
		l.files[path] = sf
		l.addFile(m, sf, f.Body)
	}
	return m
}

func (l *loader) addFile(m *module, sf *sourceFile, body hcl.Body) {
	content, _, diags := body.PartialContent(fileSchema)
	l.problems.diags(diags)
	if content == nil {
		return
	}
	for _, b := range content.Blocks {
		switch b.Type {
		case "variable":
			l.addVariable(m, b)
		case "locals":
			attrs, diags := b.Body.JustAttributes()
			l.problems.diags(diags)
			for name, a := range attrs {
				m.locals[name] = a
			}
		case "output":
			c, _, _ := b.Body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "value"}}})
			if c != nil && c.Attributes["value"] != nil {
				m.outputs[b.Labels[0]] = c.Attributes["value"]
			}
		case "resource", "data":
			l.addResource(m, sf, b)
		case "module":
			l.addCall(m, sf, b)
		case "provider":
			if b.Labels[0] == "aws" {
				addProvider(m, b)
			}
		}
	}
}

// addProvider records an AWS provider's region, when it is a literal.
func addProvider(m *module, b *hcl.Block) {
	c, _, _ := b.Body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "region"}, {Name: "alias"}}})
	if c == nil {
		return
	}
	literal := func(a *hcl.Attribute) string {
		if a == nil {
			return ""
		}
		if v, d := a.Expr.Value(nil); !d.HasErrors() && v.IsKnown() && !v.IsNull() && v.Type().FriendlyName() == "string" {
			return v.AsString()
		}
		return ""
	}
	if alias := literal(c.Attributes["alias"]); alias != "" {
		if m.aliasRegions == nil {
			m.aliasRegions = map[string]string{}
		}
		m.aliasRegions[alias] = literal(c.Attributes["region"])
		return
	}
	if m.region == "" {
		m.region = literal(c.Attributes["region"])
	}
}

func (l *loader) addVariable(m *module, b *hcl.Block) {
	c, _, diags := b.Body.PartialContent(variableSchema)
	l.problems.diags(diags)
	v := &variableDecl{name: b.Labels[0], rng: b.DefRange}
	if c != nil {
		if a := c.Attributes["type"]; a != nil {
			v.typeExpr = a.Expr
		}
		v.deflt = c.Attributes["default"]
		v.nullable = c.Attributes["nullable"]
	}
	m.variables[v.name] = v
}

func (l *loader) addResource(m *module, sf *sourceFile, b *hcl.Block) {
	c, rest, diags := b.Body.PartialContent(metaSchema)
	l.problems.diags(diags)
	r := &resourceDecl{managed: b.Type == "resource", typ: b.Labels[0], name: b.Labels[1], file: sf,
		defRange: b.DefRange, rng: blockRange(b), body: rest}
	if c != nil {
		r.count, r.forEach = c.Attributes["count"], c.Attributes["for_each"]
		if p := c.Attributes["provider"]; p != nil {
			if t, d := hcl.AbsTraversalForExpr(p.Expr); !d.HasErrors() && len(t) == 2 && t.RootName() == "aws" {
				r.providerAlias = stepName(t, 1)
			}
		}
	}
	if _, dup := m.declared[r.address()]; dup {
		l.problems.add(sf.path, b.DefRange.Start.Line, "%s is declared twice in %s; Terraform rejects this", r.address(), m.dir)
		return
	}
	m.declared[r.address()] = r
	m.resources = append(m.resources, r)
}

func (l *loader) addCall(m *module, sf *sourceFile, b *hcl.Block) {
	c, rest, diags := b.Body.PartialContent(moduleMetaSchema)
	l.problems.diags(diags)
	call := &moduleCall{name: b.Labels[0], file: sf, rng: blockRange(b)}
	if c != nil {
		call.count, call.forEach = c.Attributes["count"], c.Attributes["for_each"]
		if a := c.Attributes["source"]; a != nil {
			if v, d := a.Expr.Value(nil); !d.HasErrors() && v.IsKnown() && !v.IsNull() && v.Type().FriendlyName() == "string" {
				call.source = v.AsString()
			}
		}
	}
	if call.source == "" {
		l.problems.add(sf.path, b.DefRange.Start.Line, "module %q has no literal source; Terraform requires one", call.name)
	}
	attrs, _ := rest.JustAttributes()
	call.inputs = attrs
	m.calls[call.name] = call
	m.callOrder = append(m.callOrder, call)
}

// blockRange is the whole block's range (header to closing brace) when the
// syntax knows it, else its header.
func blockRange(b *hcl.Block) hcl.Range {
	if sb, ok := b.Body.(*hclsyntax.Body); ok {
		r := sb.SrcRange
		r.Start = b.DefRange.Start
		return r
	}
	return b.DefRange
}

// isLocalSource reports whether a module source is a local path.
func isLocalSource(src string) bool {
	return strings.HasPrefix(src, "./") || strings.HasPrefix(src, "../") || src == "." || src == ".."
}

// manifest is .terraform/modules/modules.json, written by terraform init.
type manifest map[string]string // module key (a.b.c) → directory

func readManifest(rootDir string, p *problems) manifest {
	path := filepath.Join(rootDir, ".terraform", "modules", "modules.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var doc struct {
		Modules []struct {
			Key string `json:"Key"`
			Dir string `json:"Dir"`
		} `json:"Modules"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		p.add(path, 0, "not a Terraform module manifest: %v", err)
		return nil
	}
	m := manifest{}
	for _, e := range doc.Modules {
		dir := e.Dir
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(rootDir, dir)
		}
		m[e.Key] = dir
	}
	return m
}

// resolveDir returns dir with symlinks resolved, so that a module reached
// two ways is one module and a cycle through a symlink is seen.
func resolveDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", err
	}
	info, err := os.Stat(real)
	if err != nil {
		return "", err
	}
	if !info.IsDir() {
		return "", fmt.Errorf("%s is not a directory", dir)
	}
	return real, nil
}
