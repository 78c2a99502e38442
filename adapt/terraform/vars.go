package terraform

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// cliValue is one value given on the command line or in the environment,
// in precedence order (later wins).
type cliValue struct {
	name string
	rv   rootValue
}

// cliValues reads the environment's TF_VAR_* and the --var and --var-file
// arguments. The environment comes first (lowest precedence), the files of
// each root come next (see rootValues), the arguments last, in their order.
func cliValues(opts Options) (env, args []cliValue, err error) {
	for _, kv := range opts.Env {
		name, value, ok := strings.Cut(kv, "=")
		if ok && strings.HasPrefix(name, "TF_VAR_") && len(name) > len("TF_VAR_") {
			v := value
			env = append(env, cliValue{name: strings.TrimPrefix(name, "TF_VAR_"), rv: rootValue{raw: &v, where: "environment variable " + name}})
		}
	}
	for _, a := range opts.Vars {
		if a.File == "" {
			v := a.Value
			args = append(args, cliValue{name: a.Name, rv: rootValue{raw: &v, where: "--var " + a.Name}})
			continue
		}
		attrs, err := readVarFile(a.File)
		if err != nil {
			return nil, nil, err
		}
		args = append(args, attrs...)
	}
	return env, args, nil
}

// readVarFile reads a tfvars file (HCL, or JSON by its .json name).
func readVarFile(path string) ([]cliValue, error) {
	f, _, diags := parseFile(path)
	if diags.HasErrors() {
		return nil, fmt.Errorf("--var-file %s: %s", path, diagsText(diags))
	}
	attrs, diags := f.Body.JustAttributes()
	if diags.HasErrors() {
		return nil, fmt.Errorf("--var-file %s: %s", path, diagsText(diags))
	}
	var out []cliValue
	for _, name := range sortedNames(attrs) {
		a := attrs[name]
		out = append(out, cliValue{name: name, rv: rootValue{expr: a.Expr, where: fmt.Sprintf("%s:%d", path, a.Range.Start.Line)}})
	}
	return out, nil
}

func diagsText(diags hcl.Diagnostics) string {
	var parts []string
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		where := ""
		if d.Subject != nil {
			where = fmt.Sprintf("line %d: ", d.Subject.Start.Line)
		}
		parts = append(parts, where+diagText(d))
	}
	return strings.Join(parts, "; ")
}

func sortedNames(attrs hcl.Attributes) []string {
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// rootValues are the variable values of the root module m, in Terraform's
// precedence: TF_VAR_* environment variables, terraform.tfvars,
// terraform.tfvars.json, *.auto.tfvars and *.auto.tfvars.json in lexical
// order, then --var and --var-file in the order given. A later value wins.
func (ev *evaluator) rootValues(m *module, cli [2][]cliValue) map[string]rootValue {
	out := map[string]rootValue{}
	for _, v := range cli[0] {
		out[v.name] = v.rv
	}
	var files []string
	for _, name := range []string{"terraform.tfvars", "terraform.tfvars.json"} {
		if _, err := os.Stat(filepath.Join(m.dir, name)); err == nil {
			files = append(files, name)
		}
	}
	entries, _ := os.ReadDir(m.dir)
	var auto []string
	for _, e := range entries {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".auto.tfvars") || strings.HasSuffix(e.Name(), ".auto.tfvars.json")) {
			auto = append(auto, e.Name())
		}
	}
	slices.Sort(auto)
	for _, name := range append(files, auto...) {
		path := filepath.Join(m.dir, name)
		f, _, diags := parseFile(path)
		if diags.HasErrors() {
			ev.problems.diags(diags)
			continue
		}
		attrs, diags := f.Body.JustAttributes()
		ev.problems.diags(diags)
		for _, n := range sortedNames(attrs) {
			a := attrs[n]
			out[n] = rootValue{expr: a.Expr, where: fmt.Sprintf("%s:%d", ev.rel(path), a.Range.Start.Line)}
		}
	}
	for _, v := range cli[1] {
		out[v.name] = v.rv
	}
	return out
}
