package iac

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cmkguard/cmkguard/adapt/cloudformation"
	"github.com/cmkguard/cmkguard/adapt/terraform"
	"github.com/cmkguard/cmkguard/adapt/tfplan"
	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/internal/cli/audit"
	"github.com/cmkguard/cmkguard/internal/cli/awsflags"
	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/iostreams"
	"github.com/cmkguard/cmkguard/report"
	"github.com/cmkguard/cmkguard/rule"
	"github.com/cmkguard/cmkguard/state"
	"github.com/cmkguard/cmkguard/suppress"
)

// Options are the iac command's dependencies and flags.
type Options struct {
	IO      *iostreams.IOStreams
	Now     func() time.Time
	Version string
	// Env is the environment TF_VAR_* values are read from (os.Environ()
	// when nil).
	Env []string
	// Getwd is the current directory (os.Getwd when nil): files are named
	// relative to it when the paths are inside it.
	Getwd func() (string, error)
	// Resolver resolves literal key references with --online; nil means
	// live AWS through the standard credential chain.
	Resolver ResolverFunc

	Paths         []string
	Formats       []string
	Vars          []terraform.VarArg
	CFParams      []string
	CFParamsFiles []string
	IgnoreFile    string
	// AllowBroadSuppressions accepts ignore-file entries that suppress
	// every rule on every resource, or expire more than a year away.
	AllowBroadSuppressions bool
	FailOn                 string
	MinProtection          string
	TrustedKeyAccounts     []string
	Online                 bool
	Profile                string
	EndpointURL            string
}

// NewCmdIaC returns the iac command. runF replaces Run in tests.
func NewCmdIaC(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Now: f.Now, Version: f.Version}
	cmd := &cobra.Command{
		Use:   "iac [flags] [PATH...]",
		Short: "Check Terraform, plan JSON and CloudFormation for DMS resources without a customer-managed KMS key",
		Long: `Check infrastructure as code before it is deployed, with the same rules
(CMKG-DMS-001 to 006), findings, reports and exit codes as 'cmkguard audit'.

PATH is a directory (walked recursively, skipping .git and .terraform; the
modules terraform init downloaded are read through .terraform/modules/modules.json)
or a file; the default is the current directory. Each file's kind is told by
its content: Terraform (*.tf, *.tf.json, with terraform.tfvars and
*.auto.tfvars), a Terraform plan in JSON (terraform show -json plan.out),
CloudFormation (YAML or JSON, short-form tags) and CDK synth output.

Terraform is evaluated, not matched: variables (types, defaults, optional()),
tfvars in Terraform's precedence (TF_VAR_*, terraform.tfvars, *.auto.tfvars,
then --var and --var-file in the order given), locals, count and for_each per
instance, dynamic blocks, functions, local and downloaded modules with their
callers' inputs, module outputs, and data sources by their static arguments.
A resource with zero instances yields no finding.

A key that cannot be known before apply is UNKNOWN, with the reason and how to
resolve it (a variable without a value: pass --var or --var-file); UNKNOWN
counts like FAIL for --fail-on. --online asks KMS (kms:DescribeKey through the
standard credential chain) about literal key ARNs and aliases, so a literal
ARN of an AWS-managed key FAILs and a disabled key is CRITICAL.

Files are named relative to the current directory (the repository root in
CI) when every PATH is inside it, else relative to the PATH.

Exit codes: 0 nothing at or above --fail-on; 3 findings at or above it; 1 a
file could not be read or evaluated (the other files' findings are still
reported); 2 usage.`,
		Example: `  cmkguard iac
  cmkguard iac infra/ --var-file infra/prod.tfvars --format sarif=cmkguard.sarif,table
  terraform show -json plan.out > plan.json && cmkguard iac plan.json
  cmkguard iac cdk.out --cf-param Env=prod --fail-on critical
  cmkguard iac testdata/iac/terraform --format json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			if len(opts.Paths) == 0 {
				opts.Paths = []string{"."}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&opts.Formats, "format", []string{"table"}, "Output FORMAT or FORMAT=FILE, comma-separated or repeated ("+strings.Join(report.Names(), ", ")+")")
	fl.Var(&varFlag{opts: opts}, "var", "Set a root module variable, NAME=VALUE (repeatable; applied in order with --var-file)")
	fl.Var(&varFileFlag{opts: opts}, "var-file", "Read root module variables from a .tfvars or .tfvars.json FILE (repeatable)")
	fl.StringArrayVar(&opts.CFParams, "cf-param", nil, "Set a CloudFormation parameter, NAME=VALUE (repeat the flag for each: a value may hold commas; wins over --cf-params)")
	fl.StringSliceVar(&opts.CFParamsFiles, "cf-params", nil, "Read CloudFormation parameters from FILE (the AWS CLI's JSON list of ParameterKey/ParameterValue, or a map); repeatable or comma-separated")
	fl.StringVar(&opts.IgnoreFile, "ignore-file", "", "YAML file of suppressions (resource, tag, address or file; rule, reason, expires)")
	fl.BoolVar(&opts.AllowBroadSuppressions, "allow-broad-suppressions", false, "Accept ignore-file entries that suppress every rule on every resource, or expire more than a year from today")
	fl.StringVar(&opts.FailOn, "fail-on", string(finding.SeverityHigh), "Exit 3 when a FAIL or UNKNOWN finding has this severity or higher (info, low, medium, high, critical, none)")
	fl.StringVar(&opts.MinProtection, "min-protection", "", "Lowest passing protection level of a customer key ("+rule.ProtectionLevelNames()+")")
	fl.StringSliceVar(&opts.TrustedKeyAccounts, "trusted-key-account", nil, "Account whose keys are accepted besides the resource's own (repeatable or comma-separated)")
	fl.BoolVar(&opts.Online, "online", false, "Resolve literal key ARNs and aliases with kms:DescribeKey (standard AWS credential chain)")
	fl.StringVar(&opts.Profile, "profile", "", "With --online: AWS shared-config profile")
	fl.StringVar(&opts.EndpointURL, "endpoint-url", "", "With --online: send the KMS calls to this endpoint (a local emulator)")
	return cmd
}

// varFlag and varFileFlag append to one list, so that --var and --var-file
// keep their command-line order, which decides which value wins.
type varFlag struct{ opts *Options }

func (v *varFlag) String() string { return "" }
func (v *varFlag) Type() string   { return "NAME=VALUE" }
func (v *varFlag) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("%q: want NAME=VALUE", s)
	}
	v.opts.Vars = append(v.opts.Vars, terraform.VarArg{Name: strings.TrimSpace(name), Value: value})
	return nil
}

type varFileFlag struct{ opts *Options }

func (v *varFileFlag) String() string { return "" }
func (v *varFileFlag) Type() string   { return "FILE" }
func (v *varFileFlag) Set(s string) error {
	if s == "" {
		return errors.New("empty file name")
	}
	v.opts.Vars = append(v.opts.Vars, terraform.VarArg{File: s})
	return nil
}

// settings are the validated flags.
type settings struct {
	outputs  []report.Output
	failOn   finding.Severity
	rules    rule.Options
	suppress *suppress.List
	cf       cloudformation.Options
}

func validate(opts *Options) (*settings, error) {
	s := &settings{}
	var err error
	if s.outputs, err = report.ParseOutputs(opts.Formats); err != nil {
		return nil, exit.Usagef("--format: %v", err)
	}
	sev, ok := audit.ParseFailOn(strings.ToLower(opts.FailOn))
	if !ok {
		return nil, exit.Usagef("--fail-on %q: want info, low, medium, high, critical or none", opts.FailOn)
	}
	s.failOn = sev
	s.rules = rule.Options{MinProtection: state.ProtectionLevel(strings.ToLower(opts.MinProtection)), TrustedKeyAccounts: opts.TrustedKeyAccounts}
	if err := rule.ValidateOptions(s.rules); err != nil {
		return nil, exit.Usagef("%v", err)
	}
	policy := suppress.Options{AllowBroad: opts.AllowBroadSuppressions}
	if opts.Now != nil {
		policy.Now = opts.Now()
	}
	// Inline suppressions (# cmkguard:ignore, CloudFormation Metadata) apply
	// with the ignore file's semantics even when there is no ignore file.
	s.suppress = suppress.New(audit.RuleNames(), policy)
	if opts.IgnoreFile != "" {
		if s.suppress, err = suppress.Load(opts.IgnoreFile, audit.RuleNames(), policy); err != nil {
			return nil, exit.Usagef("--ignore-file: %v", err)
		}
	}
	files := audit.ReportFiles(s.outputs)
	files.Input("--ignore-file", opts.IgnoreFile)
	for _, path := range opts.Paths {
		files.Input("PATH", path)
	}
	for _, path := range opts.CFParamsFiles {
		files.Input("--cf-params", path)
	}
	if err := audit.CheckFiles(files); err != nil {
		return nil, err
	}
	for _, a := range opts.Vars {
		if a.File != "" {
			if _, err := os.Stat(a.File); err != nil {
				return nil, exit.Usagef("--var-file: %v", err)
			}
		}
	}
	s.cf.Params = map[string]string{}
	for _, path := range opts.CFParamsFiles {
		params, err := cloudformation.LoadParams(path)
		if err != nil {
			return nil, exit.Usagef("--cf-params: %v", err)
		}
		for k, v := range params {
			s.cf.Params[k] = v
		}
	}
	for _, p := range opts.CFParams {
		name, value, ok := strings.Cut(p, "=")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, exit.Usagef("--cf-param %q: want NAME=VALUE", p)
		}
		s.cf.Params[strings.TrimSpace(name)] = value
	}
	if (opts.Profile != "" || opts.EndpointURL != "") && !opts.Online {
		return nil, exit.Usagef("--profile and --endpoint-url need --online")
	}
	if err := awsflags.Endpoint(opts.EndpointURL); err != nil {
		return nil, err
	}
	return s, nil
}

// iacScope is the resource kinds infrastructure as code can declare here.
var iacScope = []state.ResourceKind{state.KindInstances, state.KindServerless, state.KindEndpoints, state.KindInstanceProfiles}

// Run scans the paths, evaluates the rules, reports and sets the exit code.
func Run(ctx context.Context, opts *Options) error {
	s, err := validate(opts)
	if err != nil {
		return err
	}
	root, err := scanRoot(opts)
	if err != nil {
		return err
	}
	sc, err := scan(root, opts, s.cf)
	if err != nil {
		return err
	}
	for _, w := range sc.warnings {
		fmt.Fprintf(opts.IO.ErrOut, "cmkguard: warning: %s\n", w)
	}
	if opts.Online {
		if err := resolveOnline(ctx, opts, &sc.state); err != nil {
			return err
		}
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	findings := rule.Evaluate(&sc.state, s.rules)
	findings = annotate(findings, sc.notes)
	findings = worstPerResource(findings)
	findings = s.suppress.Apply(findings, now())
	for _, msg := range append(s.suppress.Problems(), s.suppress.Unused()...) {
		fmt.Fprintf(opts.IO.ErrOut, "cmkguard: warning: %s\n", msg)
	}
	sortFindings(findings)
	// The kinds the IaC adapters read: their rules are evaluated over
	// whatever the files declare; the rules of other kinds (which need a
	// live account) are reported as not evaluated.
	rep := rule.NewReport(&state.State{Scope: iacScope}, findings, finding.Tool{Name: "cmkguard", Version: opts.Version}, now())
	if err := audit.WriteReports(opts.IO, s.outputs, rep); err != nil {
		return err
	}
	if len(sc.problems) > 0 {
		for _, p := range sc.problems {
			fmt.Fprintf(opts.IO.ErrOut, "cmkguard: error: %s\n", p)
		}
		return fmt.Errorf("%d problem(s) in the files scanned (above); the findings of everything else are reported", len(sc.problems))
	}
	return audit.FailOn(rep, s.failOn)
}

// scanRoot is the directory files are named relative to: the current
// directory when every path is inside it, else the one path (or its
// directory, for a file).
func scanRoot(opts *Options) (string, error) {
	getwd := opts.Getwd
	if getwd == nil {
		getwd = os.Getwd
	}
	wd, err := getwd()
	if err != nil {
		return "", fmt.Errorf("current directory: %w", err)
	}
	inside := true
	for _, p := range opts.Paths {
		abs := p
		if !filepath.IsAbs(p) {
			abs = filepath.Join(wd, p)
		}
		if rel, err := filepath.Rel(wd, abs); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			inside = false
		}
	}
	if inside || len(opts.Paths) != 1 {
		return wd, nil
	}
	p := opts.Paths[0]
	if info, err := os.Stat(p); err == nil && !info.IsDir() {
		p = filepath.Dir(p)
	}
	return filepath.Abs(p)
}

// scanned is everything the adapters produced.
type scanned struct {
	state    state.State
	notes    map[string]terraform.Note
	problems []error
	warnings []string
}

func scan(root string, opts *Options, cf cloudformation.Options) (*scanned, error) {
	inv := walk(opts.Paths, func(p string) string { return relTo(root, p) })
	sc := &scanned{notes: map[string]terraform.Note{}, problems: inv.problems}
	for _, f := range inv.ignored {
		sc.warnings = append(sc.warnings, f+": not a Terraform, Terraform plan or CloudFormation file; not checked")
	}
	if inv.empty() && len(inv.problems) == 0 {
		sc.warnings = append(sc.warnings, "no Terraform, Terraform plan or CloudFormation file found in "+strings.Join(opts.Paths, ", "))
	}
	env := opts.Env
	if env == nil {
		env = os.Environ()
	}
	if len(inv.terraformDirs) > 0 {
		res, err := terraform.Scan(root, inv.terraformDirs, terraform.Options{Vars: opts.Vars, Env: env})
		if err != nil {
			return nil, exit.Usagef("%v", err)
		}
		merge(&sc.state, &res.State)
		for k, v := range res.Notes {
			sc.notes[k] = v
		}
		for _, p := range res.Problems {
			sc.problems = append(sc.problems, p)
		}
		sc.warnings = append(sc.warnings, res.Warnings...)
	}
	for _, p := range inv.plans {
		res, err := tfplan.Parse(relTo(root, p.path), p.data)
		if err != nil {
			sc.problems = append(sc.problems, err)
			continue
		}
		merge(&sc.state, &res.State)
		for k, v := range res.Notes {
			sc.notes[k] = v
		}
	}
	for _, t := range inv.templates {
		st, err := cloudformation.Parse(relTo(root, t.path), t.data, cf)
		if err != nil {
			sc.problems = append(sc.problems, err)
			continue
		}
		merge(&sc.state, &st)
	}
	return sc, nil
}

func merge(dst, src *state.State) {
	dst.Instances = append(dst.Instances, src.Instances...)
	dst.ReplicationConfigs = append(dst.ReplicationConfigs, src.ReplicationConfigs...)
	dst.Endpoints = append(dst.Endpoints, src.Endpoints...)
	dst.InstanceProfiles = append(dst.InstanceProfiles, src.InstanceProfiles...)
}

func relTo(root, path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.ToSlash(path)
	}
	if r, err := filepath.Rel(root, abs); err == nil {
		return filepath.ToSlash(r)
	}
	return filepath.ToSlash(path)
}
