package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/cmkguard/cmkguard/adapt/awslive"
	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/internal/cli/awsflags"
	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/iostreams"
	"github.com/cmkguard/cmkguard/internal/printable"
	"github.com/cmkguard/cmkguard/report"
	"github.com/cmkguard/cmkguard/rule"
	"github.com/cmkguard/cmkguard/state"
	"github.com/cmkguard/cmkguard/suppress"
)

// FailOnNone disables the findings exit code.
const FailOnNone = "none"

// ScanFunc scans the account described by opts. The default scans live AWS;
// tests and the demo replace it or point it at an emulator.
type ScanFunc func(ctx context.Context, opts *Options) (state.State, *awslive.Stats, error)

// Options are the audit command's dependencies and flags.
type Options struct {
	IO      *iostreams.IOStreams
	Now     func() time.Time
	Version string
	// Scan produces the state; nil means LiveScan.
	Scan ScanFunc

	Profile            string
	Regions            []string
	EndpointURL        string
	Formats            []string
	FailOn             string
	MinProtection      string
	TrustedKeyAccounts []string
	IgnoreFile         string
	// AllowBroadSuppressions accepts ignore-file entries that suppress
	// every rule on every resource, or expire more than a year away.
	AllowBroadSuppressions bool
	// ReadTags is set by Run when the ignore file selects resources by tag:
	// the scan must then read the resources' tags.
	ReadTags    bool
	Stats       bool
	SecurityHub bool
	// Scope is --scope: the resource kinds to audit (comma-separated,
	// repeatable); empty means every kind.
	Scope []string
	// IncludeServerless and IncludeEndpoints are the deprecated
	// --include-serverless and --include-endpoints: with --scope, they add
	// their kind to it; without, every kind is audited anyway.
	IncludeServerless bool
	IncludeEndpoints  bool

	// Org scans every active account of the organization; Accounts, the
	// accounts given. Both go through AssumeRole (but the caller's own
	// account).
	Org                 bool
	Accounts            []string
	AssumeRole          string
	ExternalID          string
	MaxAccountsParallel int
}

// orgScan reports whether opts asks for several accounts.
func (opts *Options) orgScan() bool { return opts.Org || len(opts.Accounts) > 0 }

// NewCmdAudit returns the audit command. runF replaces Run in tests.
func NewCmdAudit(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Now: f.Now, Version: f.Version}
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Check that every DMS resource uses a customer-managed KMS key",
		Long: `Audit every AWS DMS resource in every enabled region (or the regions given)
and say, for each, whether its data is encrypted with a KMS key the customer
manages and whether that key is usable: replication instances (CMKG-DMS-001,
dms-instance-cmk, high; CMKG-DMS-002, dms-instance-key-usable, critical), DMS
Serverless replication configs (CMKG-DMS-003/004) and endpoints, with the
data S3 and Redshift targets write (CMKG-DMS-005/006). --scope narrows the
audit to some kinds (instances,serverless,endpoints); every report then names
the rules not evaluated, which prove nothing. --include-serverless and
--include-endpoints are deprecated: every kind is audited by default.

Verdicts: PASS, FAIL, UNKNOWN (the key could not be read: never counted as
PASS) and SUPPRESSED (accepted in the --ignore-file, with its reason).

Credentials and region come from the standard AWS configuration (profiles,
SSO, AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL). The permissions needed are
printed by 'cmkguard permissions audit'.

--org audits every active account of the organization (from the management
account or a delegated administrator: organizations:ListAccounts); --accounts
the accounts given. Every account but the caller's own is reached through
sts:AssumeRole on --assume-role (default OrganizationAccountAccessRole); an
account whose role cannot be assumed gets UNKNOWN findings, never none, and
suspended or closing accounts are skipped and named.

Exit codes: 0 nothing at or above --fail-on; 3 findings at or above it (FAIL,
or UNKNOWN, counted at its rule's severity); 1 error; 2 usage.`,
		Example: `  cmkguard audit
  cmkguard audit --region eu-west-1 --region us-east-1 --format json > audit.json
  cmkguard audit --format table,sarif=cmkguard.sarif --ignore-file .cmkguard-ignore.yaml
  cmkguard audit --min-protection cloudhsm --trusted-key-account 111122223333 --fail-on critical
  cmkguard audit --org --assume-role cmkguard-audit --external-id "$EXTERNAL_ID" --format html=org.html`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Profile, "profile", "", "AWS shared-config profile (default: AWS_PROFILE or the default profile)")
	fl.StringSliceVar(&opts.Regions, "region", nil, "Region to scan (repeatable or comma-separated; default: every region enabled for the account); checked with ec2:DescribeRegions: a region the account does not have is a usage error, an opt-in region not enabled is skipped")
	fl.StringVar(&opts.EndpointURL, "endpoint-url", "", "Send every AWS call to this endpoint (a local emulator, a proxy)")
	fl.StringArrayVar(&opts.Formats, "format", []string{"table"}, "Output FORMAT or FORMAT=FILE, comma-separated or repeated ("+strings.Join(report.Names(), ", ")+")")
	fl.StringVar(&opts.FailOn, "fail-on", string(finding.SeverityHigh), "Exit 3 when a FAIL or UNKNOWN finding has this severity or higher (info, low, medium, high, critical, none)")
	fl.StringVar(&opts.MinProtection, "min-protection", "", "Lowest passing protection level of a customer key ("+rule.ProtectionLevelNames()+")")
	fl.StringSliceVar(&opts.TrustedKeyAccounts, "trusted-key-account", nil, "Account whose keys are accepted besides the resource's own (repeatable or comma-separated); keys in any other account FAIL")
	fl.StringVar(&opts.IgnoreFile, "ignore-file", "", "YAML file of suppressions (resource, tag, address or file; rule, reason, expires)")
	fl.BoolVar(&opts.AllowBroadSuppressions, "allow-broad-suppressions", false, "Accept ignore-file entries that suppress every rule on every resource, or expire more than a year from today")
	fl.StringSliceVar(&opts.Scope, "scope", nil, "Resource kinds to audit, comma-separated ("+rule.ScopeNames()+"; default: all). Rules of the kinds left out are reported as not evaluated")
	fl.BoolVar(&opts.IncludeServerless, "include-serverless", false, "Deprecated alias: serverless configs are audited by default; with --scope, adds serverless")
	fl.BoolVar(&opts.IncludeEndpoints, "include-endpoints", false, "Deprecated alias: endpoints are audited by default; with --scope, adds endpoints")
	// Deprecated: hidden from the help; Run warns on stderr when they are used.
	fl.Lookup("include-serverless").Hidden = true
	fl.Lookup("include-endpoints").Hidden = true
	fl.BoolVar(&opts.Stats, "stats", false, "Print the AWS API calls made, per operation, to stderr")
	fl.BoolVar(&opts.SecurityHub, "securityhub", false, "Also send the findings to AWS Security Hub (BatchImportFindings, custom integration) in the configured region, for the calling account")
	fl.BoolVar(&opts.Org, "org", false, "Audit every active account of the organization (organizations:ListAccounts), each through --assume-role")
	fl.StringSliceVar(&opts.Accounts, "accounts", nil, "Audit these accounts (comma-separated or repeated), each through --assume-role")
	fl.StringVar(&opts.AssumeRole, "assume-role", awslive.DefaultRoleName, "With --org or --accounts: the role (name, or path/name) assumed in every account but the caller's")
	fl.StringVar(&opts.ExternalID, "external-id", "", "With --org or --accounts: the external id the role's trust policy requires")
	fl.IntVar(&opts.MaxAccountsParallel, "max-accounts-parallel", awslive.DefaultAccountConcurrency, "With --org or --accounts: accounts scanned at once")
	return cmd
}

// settings are the validated flags.
type settings struct {
	outputs  []report.Output
	failOn   finding.Severity // "" for none
	rules    rule.Options
	suppress *suppress.List
	// scope is the resource kinds to audit; nil is every kind.
	scope []state.ResourceKind
}

func validate(opts *Options) (*settings, error) {
	s := &settings{}
	var err error
	if s.outputs, err = report.ParseOutputs(opts.Formats); err != nil {
		return nil, exit.Usagef("--format: %v", err)
	}
	sev, ok := ParseFailOn(opts.FailOn)
	if !ok {
		return nil, exit.Usagef("--fail-on %q: want info, low, medium, high, critical or none", opts.FailOn)
	}
	s.failOn = sev
	s.rules = rule.Options{MinProtection: state.ProtectionLevel(strings.ToLower(opts.MinProtection)), TrustedKeyAccounts: opts.TrustedKeyAccounts}
	if err := rule.ValidateOptions(s.rules); err != nil {
		return nil, exit.Usagef("%v", err)
	}
	if err := awsflags.Regions(opts.Regions); err != nil {
		return nil, err
	}
	if s.scope, err = scopeOf(opts); err != nil {
		return nil, err
	}
	if err := validateOrg(opts); err != nil {
		return nil, err
	}
	if err := awsflags.Endpoint(opts.EndpointURL); err != nil {
		return nil, err
	}
	policy := suppress.Options{AllowBroad: opts.AllowBroadSuppressions}
	if opts.Now != nil {
		policy.Now = opts.Now()
	}
	s.suppress = suppress.New(RuleNames(), policy)
	if opts.IgnoreFile != "" {
		if s.suppress, err = suppress.Load(opts.IgnoreFile, RuleNames(), policy); err != nil {
			return nil, exit.Usagef("--ignore-file: %v", err)
		}
	}
	files := ReportFiles(s.outputs)
	files.Input("--ignore-file", opts.IgnoreFile)
	if err := CheckFiles(files); err != nil {
		return nil, err
	}
	return s, nil
}

// scopeOf validates --scope and folds the deprecated --include-* aliases
// into it: alone they change nothing (every kind is audited by default);
// with --scope they add their kind.
func scopeOf(opts *Options) ([]state.ResourceKind, error) {
	if len(opts.Scope) == 0 {
		return nil, nil
	}
	values := slices.Clone(opts.Scope)
	if opts.IncludeServerless {
		values = append(values, string(state.KindServerless))
	}
	if opts.IncludeEndpoints {
		values = append(values, string(state.KindEndpoints))
	}
	scope, err := rule.ParseScope(values)
	if err != nil {
		return nil, exit.Usagef("--scope: %v", err)
	}
	if len(scope) == len(state.ResourceKinds) {
		return nil, nil
	}
	return scope, nil
}

func validateOrg(opts *Options) error {
	if opts.Org && len(opts.Accounts) > 0 {
		return exit.Usagef("--org and --accounts: give one or the other")
	}
	if !opts.orgScan() {
		if opts.ExternalID != "" {
			return exit.Usagef("--external-id needs --org or --accounts")
		}
		if opts.AssumeRole != "" && opts.AssumeRole != awslive.DefaultRoleName {
			return exit.Usagef("--assume-role needs --org or --accounts")
		}
		return nil
	}
	for _, a := range opts.Accounts {
		if !awslive.ValidAccountID(a) {
			return exit.Usagef("--accounts %q: not a 12-digit AWS account id", a)
		}
	}
	if opts.AssumeRole == "" {
		opts.AssumeRole = awslive.DefaultRoleName
	}
	if !awslive.ValidRoleName(opts.AssumeRole) {
		return exit.Usagef("--assume-role %q: not an IAM role name (like %s, or path/name)", opts.AssumeRole, awslive.DefaultRoleName)
	}
	if opts.MaxAccountsParallel < 0 {
		return exit.Usagef("--max-accounts-parallel %d: want 1 or more (0: the default, %d)", opts.MaxAccountsParallel, awslive.DefaultAccountConcurrency)
	}
	return nil
}

// RuleNames maps every rule id and short code to its id, for the ignore file.
func RuleNames() suppress.RuleIDs {
	names := suppress.RuleIDs{}
	for _, m := range rule.Metadata() {
		names[m.ID], names[m.ShortCode] = m.ID, m.ID
	}
	return names
}

// Run runs the audit: scan, evaluate, suppress, report, exit code.
func Run(ctx context.Context, opts *Options) error {
	s, err := validate(opts)
	if err != nil {
		return err
	}
	for _, d := range []struct {
		flag string
		used bool
	}{{"--include-serverless", opts.IncludeServerless}, {"--include-endpoints", opts.IncludeEndpoints}} {
		if d.used {
			fmt.Fprintf(opts.IO.ErrOut, "cmkguard: warning: %s is deprecated: every resource kind is audited by default; use --scope to narrow the audit\n", d.flag)
		}
	}
	opts.ReadTags = s.suppress.SelectsByTag()
	scan := opts.Scan
	if scan == nil {
		scan = LiveScan
	}
	st, stats, err := scan(ctx, opts)
	if err != nil {
		var badRegion *awslive.InvalidRegionError
		if errors.As(err, &badRegion) {
			return exit.Usagef("--region %v", badRegion)
		}
		if reason, stopped := awslive.CredentialsStopped(err); stopped {
			return fmt.Errorf("audit stopped, and wrote no report: %s (%w)", reason, err)
		}
		return fmt.Errorf("audit: %w", err)
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	if st.Scope == nil {
		// A scan that does not record its scope (a test's, a saved state)
		// covered what was asked.
		st.Scope = s.scope
	}
	findings := rule.Evaluate(&st, s.rules)
	findings = s.suppress.Apply(findings, now())
	for _, msg := range append(s.suppress.Problems(), s.suppress.Unused()...) {
		fmt.Fprintf(opts.IO.ErrOut, "cmkguard: warning: %s\n", msg)
	}
	rep := rule.NewReport(&st, findings, finding.Tool{Name: "cmkguard", Version: opts.Version}, now())
	if err := WriteReports(opts.IO, s.outputs, rep); err != nil {
		return err
	}
	if opts.Stats && stats != nil {
		if err := stats.Write(opts.IO.ErrOut); err != nil {
			return fmt.Errorf("write stats: %w", err)
		}
	}
	if err := noRegionEvaluated(&st); err != nil {
		return err
	}
	if opts.SecurityHub {
		if err := publishToSecurityHub(ctx, opts, rep); err != nil {
			return err
		}
	}
	return failOn(rep, s.failOn)
}

// noRegionEvaluated returns an error when the scan evaluated no region at
// all (every one skipped or failed, every account unreachable): such an
// audit proves nothing, and must not pass whatever --fail-on says. The
// reports are written first, so that they say what failed.
func noRegionEvaluated(st *state.State) error {
	var failed, skipped int
	var first string
	for _, r := range st.Regions {
		switch r.Status {
		case state.RegionScanned:
			if r.Region != awslive.AllRegions {
				return nil
			}
		case state.RegionFailed:
			failed++
			if first == "" {
				first = r.Account + " " + r.Region + ": " + r.Reason
			}
		case state.RegionSkipped:
			skipped++
		}
	}
	msg := fmt.Sprintf("no region could be audited (%d failed, %d skipped): nothing was evaluated, so the audit proves nothing", failed, skipped)
	if first != "" {
		msg += "; first failure: " + strings.Replace(first, " *:", " (whole account):", 1)
	}
	return errors.New(msg)
}

// failOn returns a FindingsError when a FAIL or UNKNOWN finding is at or
// above threshold. UNKNOWN counts at its rule's severity: an audit that
// could not prove compliance must not look like one that did.
func failOn(rep *finding.Report, threshold finding.Severity) error {
	if threshold == "" {
		return nil
	}
	n := 0
	for i := range rep.Findings {
		f := &rep.Findings[i]
		if (f.Status == finding.StatusFail || f.Status == finding.StatusUnknown) && f.Severity.Rank() >= threshold.Rank() {
			n++
		}
	}
	if n > 0 {
		return &exit.FindingsError{Count: n, Threshold: string(threshold)}
	}
	return nil
}

// LiveScan loads the AWS configuration from opts and scans the account,
// reporting progress on stderr when it is a terminal.
func LiveScan(ctx context.Context, opts *Options) (state.State, *awslive.Stats, error) {
	cfg, err := awslive.LoadConfig(ctx, opts.Profile, opts.EndpointURL, "")
	if err != nil {
		return state.State{}, nil, err
	}
	// The account-wide calls (STS, ec2:DescribeRegions) go to the
	// configured region, not to a --region that may be an opt-in region
	// that is not enabled; only a configured region of another partition
	// gives way to the given regions' partition's home region.
	if p, _ := awslive.CheckRegions(opts.Regions); p != "" && awslive.PartitionOf(cfg.Region) != p {
		cfg.Region = awslive.HomeRegion(p)
	}
	var stderrMu sync.Mutex // accounts scanned at once may warn and report at once
	scope, err := scopeOf(opts)
	if err != nil {
		return state.State{}, nil, err
	}
	scanOpts := awslive.Options{Regions: opts.Regions, Scope: scope, Tags: opts.ReadTags,
		Warn: func(msg string) {
			stderrMu.Lock()
			defer stderrMu.Unlock()
			fmt.Fprintf(opts.IO.ErrOut, "cmkguard: warning: %s\n", printable.Text(msg))
		}}
	if opts.IO.ShowProgress() {
		scanOpts.Progress = progressPrinter(opts.IO.ErrOut, &stderrMu)
		fmt.Fprintln(opts.IO.ErrOut, "cmkguard: scanning...")
	}
	if opts.orgScan() {
		return awslive.ScanOrganization(ctx, cfg, awslive.OrgOptions{
			Organization: opts.Org, Accounts: opts.Accounts, RoleName: opts.AssumeRole,
			ExternalID: opts.ExternalID, MaxParallel: opts.MaxAccountsParallel,
		}, scanOpts)
	}
	return awslive.ScanAccount(ctx, cfg, scanOpts)
}

func progressPrinter(w io.Writer, mu *sync.Mutex) func(awslive.Progress) {
	return func(p awslive.Progress) {
		mu.Lock()
		defer mu.Unlock()
		where := p.Region
		if p.Account != "" {
			where = p.Account + " " + p.Region
		}
		switch p.Status {
		case state.RegionFailed:
			fmt.Fprintf(w, "  [%d/%d] %s: could not be scanned: %s\n", p.Done, p.Total, printable.Line(where), printable.Line(p.Reason))
		default:
			fmt.Fprintf(w, "  [%d/%d] %s: %d instances, %d keys\n", p.Done, p.Total, printable.Line(where), p.Instances, p.Keys)
		}
	}
}
