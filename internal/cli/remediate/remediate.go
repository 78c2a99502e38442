package remediate

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"

	"github.com/cmkguard/cmkguard/adapt/awslive"
	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/internal/cli/awsflags"
	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/decode"
	"github.com/cmkguard/cmkguard/internal/iostreams"
	"github.com/cmkguard/cmkguard/keypolicy"
	"github.com/cmkguard/cmkguard/remediate"
	"github.com/cmkguard/cmkguard/rule"
	"github.com/cmkguard/cmkguard/state"
)

// Options are the remediate command's dependencies and flags.
type Options struct {
	IO      *iostreams.IOStreams
	Now     func() time.Time
	Version string

	// AWS configuration (as audit).
	Profile     string
	EndpointURL string
	Regions     []string

	// Plan input and choices.
	FromReport       string
	KMSKey           string
	CreateKey        string
	KeyAdmins        []string
	KeyUsers         []string
	ExternalAccounts []string
	NameTemplate     string
	EngineVersion    string
	DeleteOld        bool
	KeepIdentifier   bool
	// MinProtection and TrustedKeyAccounts are the audit's rule policy, for
	// the live audit; the chosen key must also meet MinProtection.
	MinProtection      string
	TrustedKeyAccounts []string
	// RecreateStartedConfigs consents to re-creating DMS Serverless configs
	// that have started (they cannot be modified).
	RecreateStartedConfigs bool
	Out                    string
	Format                 string

	// Execution.
	Apply        string
	Journal      string
	Resume       string
	Rollback     string
	Yes          bool
	PollInterval time.Duration
	Timeout      time.Duration
	// SignKey is a file holding the key that signs plans (when planning)
	// and verifies them (with --apply, --resume PLAN, --rollback PLAN).
	SignKey string
	// StateDir is where plan claims are kept ("" : remediate.StateDir()).
	StateDir string
}

// NewCmdRemediate returns the remediate command. runF replaces remediateRun in tests.
func NewCmdRemediate(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Now: f.Now, Version: f.Version, Format: "text"}
	cmd := &cobra.Command{
		Use:   "remediate",
		Short: "Replace DMS replication instances on the AWS-managed key with customer-key ones",
		Long: `Replace every DMS replication instance that fails CMKG-DMS-001 (data encrypted
with the AWS-managed aws/dms key) by a copy encrypted with a customer-managed
key, moving its replication tasks across, safely and resumably.

Without --apply, --resume or --rollback it only plans: it reads (a live audit,
or --from-report audit.json), re-describes each instance and its tasks, and
prints the plan. Planning makes no change to the account.

  --apply PLAN     executes a saved plan (asks first, or --yes), journaling
                   every step to PLAN.journal (or --journal)
  --resume J       continues an interrupted apply from its journal (asks
                   first, or --yes); --resume PLAN when the journal is lost
  --rollback J     undoes a run that has not moved a task yet; --rollback
                   PLAN when the journal is lost (read from the plan's tags)

A plan is applied by one run only, whatever --journal is given. The plan's
digest detects accidental changes, not tampering (whoever can edit the file
can recompute it); --sign-key signs plans so that an edited one is refused.`,
		Example: `  cmkguard audit --format json > audit.json
  cmkguard remediate --from-report audit.json --create-key alias/dms \
    --key-admin arn:aws:iam::111122223333:role/KeyAdmin --delete-old --keep-identifier --format text,json=plan.json
  cmkguard remediate --apply plan.json
  cmkguard remediate --resume plan.json.journal
  cmkguard remediate --from-report audit.json --kms-key alias/dms --format shell > remediate.sh`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return remediateRun(cmd.Context(), opts)
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &exit.UsageError{Err: err} })
	fl := cmd.Flags()
	fl.StringVar(&opts.Profile, "profile", "", "Shared config profile (default: AWS_PROFILE)")
	fl.StringVar(&opts.EndpointURL, "endpoint-url", "", "Send every AWS call to this endpoint (e.g. the local emulator)")
	fl.StringSliceVar(&opts.Regions, "region", nil, "Regions to audit and remediate (repeatable or comma-separated; default: every enabled region, or the report's)")
	fl.StringVar(&opts.MinProtection, "min-protection", "", "As audit: the lowest passing protection level ("+rule.ProtectionLevelNames()+"); the chosen key must meet it too")
	fl.StringSliceVar(&opts.TrustedKeyAccounts, "trusted-key-account", nil, "As audit: account whose keys are accepted besides the resource's own (repeatable or comma-separated)")
	fl.StringVar(&opts.FromReport, "from-report", "", "Plan from a saved audit report (cmkguard audit --format json) instead of a live audit")
	fl.StringVar(&opts.KMSKey, "kms-key", "", "Existing customer-managed key for the replacements (ARN or alias/NAME)")
	fl.StringVar(&opts.CreateKey, "create-key", "", "Create a customer-managed key per region with this alias (alias/NAME)")
	fl.StringSliceVar(&opts.KeyAdmins, "key-admin", nil, "With --create-key: IAM principal ARN that administers the key (repeatable or comma-separated)")
	fl.StringSliceVar(&opts.KeyUsers, "key-user", nil, "With --create-key: IAM principal ARN that may use the key through DMS (repeatable or comma-separated)")
	fl.StringSliceVar(&opts.ExternalAccounts, "external-account", nil, "With --create-key: other account id that may use the key through DMS (repeatable or comma-separated)")
	fl.StringVar(&opts.NameTemplate, "name-template", remediate.DefaultNameTemplate, "Identifier of each replacement; {id} is the old identifier, {region} its region")
	fl.StringVar(&opts.EngineVersion, "engine-version", "", "Engine version of the replacements (default: the old instance's; never older)")
	fl.BoolVar(&opts.DeleteOld, "delete-old", false, "Delete each old instance once its tasks have moved")
	fl.BoolVar(&opts.KeepIdentifier, "keep-identifier", false, "Rename each replacement to the old identifier once the old instance is gone (needs --delete-old)")
	fl.BoolVar(&opts.RecreateStartedConfigs, "recreate-started-configs", false, "Re-create DMS Serverless configs that have started (their replication must then be restarted by you)")
	fl.Var(&formatValue{opts: opts}, "format", "Plan output: FORMAT on stdout (text, json or shell: AWS CLI commands) and json=FILE, the plan file --apply reads (mode 0600); comma-separated or repeated (default text)")
	fl.Var(outValue{opts}, "out", "Write the plan as JSON to this file (now --format json=FILE)")
	_ = fl.MarkHidden("out")
	fl.StringVar(&opts.Apply, "apply", "", "Execute this saved plan")
	fl.StringVar(&opts.Journal, "journal", "", "Journal file for --apply (default: PLAN.journal)")
	fl.StringVar(&opts.Resume, "resume", "", "Continue an interrupted apply from this journal")
	fl.StringVar(&opts.Rollback, "rollback", "", "Undo the run recorded in this journal (only before any task moved)")
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "Do not ask for confirmation (required when not interactive)")
	fl.DurationVar(&opts.PollInterval, "poll-interval", 15*time.Second, "How often waits re-read the state of instances and tasks")
	fl.DurationVar(&opts.Timeout, "timeout", 60*time.Minute, "Longest wait for one instance or task change")
	fl.StringVar(&opts.SignKey, "sign-key", "", "File of at least 32 secret bytes: sign the plan with it (HMAC-SHA256), or verify a plan's signature before --apply")
	return cmd
}

func (o *Options) validate() error {
	modes := 0
	for _, m := range []string{o.Apply, o.Resume, o.Rollback} {
		if m != "" {
			modes++
		}
	}
	if modes > 1 {
		return exit.Usagef("--apply, --resume and --rollback are exclusive")
	}
	if modes == 1 {
		if o.FromReport != "" || o.KMSKey != "" || o.CreateKey != "" || o.Out != "" {
			return exit.Usagef("--from-report, --kms-key, --create-key and --format json=FILE make a plan; they do not go with --apply, --resume or --rollback")
		}
		if o.Journal != "" && o.Apply == "" {
			return exit.Usagef("--journal goes with --apply")
		}
	}
	if err := rule.ValidateOptions(o.ruleOptions()); err != nil {
		return &exit.UsageError{Err: err}
	}
	if err := awsflags.Regions(o.Regions); err != nil {
		return err
	}
	if err := awsflags.Endpoint(o.EndpointURL); err != nil {
		return err
	}

	switch o.Format {
	case "text", "json", "shell":
	default:
		return exit.Usagef("--format %q is not one of text, json, shell", o.Format)
	}
	if o.PollInterval <= 0 || o.Timeout <= 0 {
		return exit.Usagef("--poll-interval and --timeout must be positive")
	}
	if modes == 0 {
		return o.validatePlanFlags()
	}
	return nil
}

// validatePlanFlags checks the choices of a plan before any call.
func (o *Options) validatePlanFlags() error {
	switch {
	case o.KMSKey == "" && o.CreateKey == "":
		return exit.Usagef("choose the key: --kms-key ARN|alias/NAME (an existing customer key) or --create-key alias/NAME")
	case o.KMSKey != "" && o.CreateKey != "":
		return exit.Usagef("--kms-key and --create-key are exclusive")
	case o.CreateKey != "":
		if err := remediate.ValidateAlias(o.CreateKey); err != nil {
			return exit.Usagef("--create-key: %v", err)
		}
		if _, err := keypolicy.Build(keypolicy.Options{Account: "000000000000", Region: "us-east-1", Admins: o.KeyAdmins, Users: o.KeyUsers, ExternalAccounts: o.ExternalAccounts}); err != nil {
			return exit.Usagef("%v", err)
		}
	case len(o.KeyAdmins)+len(o.KeyUsers)+len(o.ExternalAccounts) > 0:
		return exit.Usagef("--key-admin, --key-user and --external-account go with --create-key")
	}
	if !strings.Contains(o.NameTemplate, "{id}") {
		return exit.Usagef("--name-template %q must contain {id}, or every replacement would get the same identifier", o.NameTemplate)
	}
	if o.KeepIdentifier && !o.DeleteOld {
		return exit.Usagef("--keep-identifier needs --delete-old: the old instance must be gone before its identifier is free")
	}
	return nil
}

func (o *Options) ruleOptions() rule.Options {
	return rule.Options{MinProtection: state.ProtectionLevel(strings.ToLower(o.MinProtection)), TrustedKeyAccounts: o.TrustedKeyAccounts}
}

func remediateRun(ctx context.Context, opts *Options) error {
	if err := opts.checkPaths(); err != nil {
		return err
	}
	switch {
	case opts.Apply != "":
		return applyRun(ctx, opts)
	case opts.Resume != "":
		return resumeRun(ctx, opts)
	case opts.Rollback != "":
		return rollbackRun(ctx, opts)
	}
	return planRun(ctx, opts)
}

// planRun audits (or reads a report), describes and prints a plan. It makes
// no mutating call.
func planRun(ctx context.Context, opts *Options) error {
	signKey, err := readSignKey(opts.SignKey)
	if err != nil {
		return err
	}
	cfg, err := awslive.LoadConfig(ctx, opts.Profile, opts.EndpointURL, firstOr(opts.Regions, ""))
	if err != nil {
		return err
	}
	account, err := callerAccount(ctx, sts.NewFromConfig(cfg))
	if err != nil {
		return err
	}
	targets, configTargets, source, notes, err := findTargets(ctx, cfg, opts)
	if err != nil {
		return err
	}
	planID, err := newPlanID()
	if err != nil {
		return err
	}
	req := remediate.Request{
		PlanID:  planID,
		Now:     opts.Now(),
		Tool:    "cmkguard " + opts.Version,
		Account: account,
		Source:  source,
		Targets: targets,
		Key: remediate.KeyRequest{
			Existing: opts.KMSKey, CreateAlias: opts.CreateKey,
			Admins: opts.KeyAdmins, Users: opts.KeyUsers, ExternalAccounts: opts.ExternalAccounts,
		},
		NameTemplate:   opts.NameTemplate,
		EngineVersion:  opts.EngineVersion,
		MinProtection:  opts.ruleOptions().MinProtection,
		DeleteOld:      opts.DeleteOld,
		KeepIdentifier: opts.KeepIdentifier,
		Notes:          notes,

		ConfigTargets:          configTargets,
		RecreateStartedConfigs: opts.RecreateStartedConfigs,
	}
	readers := func(region string) (remediate.ReadClients, error) {
		c := writeClients(cfg)(region)
		return remediate.ReadClients{DMS: c.DMS, KMS: c.KMS}, nil
	}
	facts, err := remediate.Describe(ctx, readers, req)
	if err != nil {
		return err
	}
	plan, err := remediate.NewPlan(req, facts)
	if err != nil {
		return err
	}
	if signKey != nil {
		if err := plan.Sign(signKey); err != nil {
			return err
		}
	}
	if opts.Out != "" {
		if err := writePlanFile(opts.Out, plan); err != nil {
			return err
		}
		fmt.Fprintf(opts.IO.Info(), "Plan written to %s. Review it, then run: cmkguard remediate --apply %s\n", opts.Out, opts.Out)
	}
	switch opts.Format {
	case "json":
		return plan.Write(opts.IO.Out)
	case "shell":
		return remediate.WriteShell(opts.IO.Out, plan)
	}
	return remediate.WriteText(opts.IO.Out, plan)
}

// findTargets reads the FAIL findings of CMKG-DMS-001 from a report, or runs
// a live audit.
func findTargets(ctx context.Context, cfg aws.Config, opts *Options) ([]remediate.Target, []remediate.Target, remediate.Source, []string, error) {
	if opts.FromReport != "" {
		b, err := os.ReadFile(opts.FromReport)
		if err != nil {
			return nil, nil, remediate.Source{}, nil, fmt.Errorf("read report: %w", err)
		}
		var rep finding.Report
		if err := decode.JSONAllowUnknown(b, &rep); err != nil {
			return nil, nil, remediate.Source{}, nil, fmt.Errorf("%s is not an `audit --format json` report: %w", opts.FromReport, err)
		}
		if rep.SchemaVersion == "" || !strings.HasPrefix(rep.SchemaVersion, "1.") {
			return nil, nil, remediate.Source{}, nil, fmt.Errorf("%s: report schema version %q is not supported (want 1.x)", opts.FromReport, rep.SchemaVersion)
		}
		targets := inRegions(remediate.TargetsFromFindings(rep.Findings), opts.Regions)
		configs := inRegions(remediate.ConfigTargetsFromFindings(rep.Findings), opts.Regions)
		sum := sha256.Sum256(b)
		return targets, configs, remediate.Source{
			Kind: "report", File: opts.FromReport, SHA256: "sha256:" + hex.EncodeToString(sum[:]),
			GeneratedAt: rep.GeneratedAt, Findings: len(targets) + len(configs),
		}, append(remediate.UndecidedNotes(rep.Findings), remediate.NotFixedNotes(inRegionFindings(rep.Findings, opts.Regions))...), nil
	}
	// The live audit covers what the plan can fix (instances, serverless
	// configs) and what it cannot (endpoints), so that the plan can say so.
	st, _, err := awslive.ScanAccount(ctx, cfg, awslive.Options{Regions: opts.Regions})
	if err != nil {
		var badRegion *awslive.InvalidRegionError
		if errors.As(err, &badRegion) {
			return nil, nil, remediate.Source{}, nil, exit.Usagef("--region %v", badRegion)
		}
		return nil, nil, remediate.Source{}, nil, fmt.Errorf("audit: %w", err)
	}
	findings := rule.Evaluate(&st, opts.ruleOptions())
	targets := remediate.TargetsFromFindings(findings)
	configs := remediate.ConfigTargetsFromFindings(findings)
	notes := append(remediate.UndecidedNotes(findings), remediate.NotFixedNotes(findings)...)
	return targets, configs, remediate.Source{Kind: "live", GeneratedAt: opts.Now().UTC().Format(time.RFC3339), Findings: len(targets) + len(configs)}, notes, nil
}

func applyRun(ctx context.Context, opts *Options) error {
	plan, err := loadVerifiedPlan(opts, opts.Apply)
	if err != nil {
		return err
	}
	if err := checkRegions(plan, opts.Regions); err != nil {
		return err
	}
	if err := confirm(opts, plan); err != nil {
		return err
	}
	path := opts.journalPath()
	claim, err := claimPlan(opts, plan, path, opts.Apply)
	if err != nil {
		return err
	}
	defer claim.Release()
	if !remediate.Unstarted(path) {
		return fmt.Errorf("journal %s already exists: continue that run with --resume %s (or roll it back with --rollback %s)", path, path, path)
	}
	a, err := newApplier(ctx, opts, plan)
	if err != nil {
		return err
	}
	// Everything that can refuse the apply runs before the journal exists:
	// a refused apply leaves nothing behind.
	if err := a.Check(ctx, plan); err != nil {
		return withPlanFile(err, opts.Apply)
	}
	j, err := remediate.CreateJournal(path, plan, opts.Now)
	if err != nil {
		return err
	}
	defer j.Close()
	if err := claim.Bind(path); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Info(), "Journal: %s\n", path)
	a.Journal = j
	return a.Apply(ctx)
}

func resumeRun(ctx context.Context, opts *Options) error {
	if !remediate.IsJournal(opts.Resume) {
		return recoverRun(ctx, opts, opts.Resume, false)
	}
	j, err := remediate.OpenJournal(opts.Resume, opts.Now)
	if err != nil {
		return err
	}
	defer j.Close()
	if err := checkRegions(j.Plan(), opts.Regions); err != nil {
		return err
	}
	claim, err := claimPlan(opts, j.Plan(), opts.Resume, "")
	if err != nil {
		return err
	}
	defer claim.Release()
	if err := claim.Bind(opts.Resume); err != nil {
		return err
	}
	if err := confirmResume(opts, j); err != nil {
		return err
	}
	a, err := newApplier(ctx, opts, j.Plan())
	if err != nil {
		return err
	}
	a.Journal = j
	return a.Apply(ctx)
}

func rollbackRun(ctx context.Context, opts *Options) error {
	if !remediate.IsJournal(opts.Rollback) {
		return recoverRun(ctx, opts, opts.Rollback, true)
	}
	j, err := remediate.OpenJournal(opts.Rollback, opts.Now)
	if err != nil {
		return err
	}
	defer j.Close()
	claim, err := claimPlan(opts, j.Plan(), opts.Rollback, "")
	if err != nil {
		return err
	}
	defer claim.Release()
	if err := claim.Bind(opts.Rollback); err != nil {
		return err
	}
	if err := confirmRollback(opts, j.Plan().ID); err != nil {
		return err
	}
	a, err := newApplier(ctx, opts, j.Plan())
	if err != nil {
		return err
	}
	a.Journal = j
	return rollback(ctx, opts, a)
}

// recoverRun resumes or rolls back a plan whose journal is lost: a new
// journal, at the lost one's path, is rebuilt from the plan's tags in AWS.
func recoverRun(ctx context.Context, opts *Options, planFile string, undo bool) error {
	plan, err := loadVerifiedPlan(opts, planFile)
	if err != nil {
		return fmt.Errorf("%w (give the journal of the run, or the plan file if the journal is lost)", err)
	}
	if err := checkRegions(plan, opts.Regions); err != nil {
		return err
	}
	claim, err := remediate.ClaimPlan(opts.StateDir, plan.ID)
	if err != nil {
		return err
	}
	defer claim.Release()
	path := claim.Journal
	if path == "" {
		path = planFile + ".journal"
	}
	if !remediate.Unstarted(path) {
		mode := "--resume"
		if undo {
			mode = "--rollback"
		}
		return exit.Usagef("plan %s has its journal %s: use %s %s", plan.ID, path, mode, path)
	}
	if undo {
		if err := confirmRollback(opts, plan.ID); err != nil {
			return err
		}
	} else if err := confirm(opts, plan); err != nil {
		return err
	}
	a, err := newApplier(ctx, opts, plan)
	if err != nil {
		return err
	}
	j, err := remediate.CreateJournal(path, plan, opts.Now)
	if err != nil {
		return err
	}
	defer j.Close()
	if err := claim.Bind(path); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "Journal (rebuilt from AWS): %s\n", path)
	a.Journal = j
	if err := a.Recover(ctx); err != nil {
		return err
	}
	if undo {
		return rollback(ctx, opts, a)
	}
	return a.Apply(ctx)
}

func rollback(ctx context.Context, opts *Options, a *remediate.Applier) error {
	if err := a.Rollback(ctx); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "Rolled back plan %s.\n", a.Journal.Plan().ID)
	return nil
}

// claimPlan takes the plan's claim and checks that journal may act for it.
func claimPlan(opts *Options, plan *remediate.Plan, journal, planFile string) (*remediate.Claim, error) {
	claim, err := remediate.ClaimPlan(opts.StateDir, plan.ID)
	if err != nil {
		return nil, err
	}
	if err := claim.Check(plan.ID, journal); err != nil {
		claim.Release()
		return nil, withPlanFile(err, planFile)
	}
	return claim, nil
}

// withPlanFile names the plan file in a PlanInUseError, for its way on.
func withPlanFile(err error, planFile string) error {
	var inUse *remediate.PlanInUseError
	if errors.As(err, &inUse) && planFile != "" {
		inUse.PlanFile = planFile
	}
	return err
}

func newApplier(ctx context.Context, opts *Options, plan *remediate.Plan) (*remediate.Applier, error) {
	cfg, err := awslive.LoadConfig(ctx, opts.Profile, opts.EndpointURL, firstOr(plan.Regions, ""))
	if err != nil {
		return nil, err
	}
	return &remediate.Applier{
		Clients:         func(region string) (remediate.WriteClients, error) { return writeClients(cfg)(region), nil },
		STS:             sts.NewFromConfig(cfg),
		Log:             opts.IO.ErrOut,
		PollInterval:    opts.PollInterval,
		InstanceTimeout: opts.Timeout,
		TaskTimeout:     opts.Timeout,
	}, nil
}

// loadVerifiedPlan reads a plan and checks its signature against --sign-key.
func loadVerifiedPlan(opts *Options, path string) (*remediate.Plan, error) {
	plan, err := remediate.LoadPlan(path)
	if err != nil {
		return nil, err
	}
	key, err := readSignKey(opts.SignKey)
	if err != nil {
		return nil, err
	}
	if err := plan.VerifySignature(key); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return plan, nil
}

// readSignKey reads --sign-key's file (nil when not given). The key is a
// secret: it is never printed.
func readSignKey(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, exit.Usagef("--sign-key: %v", err)
	}
	if len(b) < remediate.MinSignKeyBytes {
		return nil, exit.Usagef("--sign-key %s holds %d bytes; use at least %d random bytes (e.g. head -c 32 /dev/urandom > plan.key)", path, len(b), remediate.MinSignKeyBytes)
	}
	return b, nil
}

// confirm asks before an apply, or requires --yes when it cannot ask.
func confirm(opts *Options, plan *remediate.Plan) error {
	if opts.Yes {
		return nil
	}
	if !opts.IO.CanPrompt() {
		return exit.Usagef("--apply changes the account: pass --yes when not interactive (review the plan first)")
	}
	if err := remediate.WriteText(opts.IO.Out, plan); err != nil {
		return err
	}
	if err := remediate.WriteReview(opts.IO.Out, plan); err != nil {
		return err
	}
	if !ask(opts, fmt.Sprintf("Apply plan %s to account %s?", plan.ID, plan.Account)) {
		return errors.New("apply cancelled: nothing was changed")
	}
	return nil
}

// confirmResume asks before a resume, as before an apply: it changes the
// account as much.
func confirmResume(opts *Options, j *remediate.Journal) error {
	if opts.Yes {
		return nil
	}
	if !opts.IO.CanPrompt() {
		return exit.Usagef("--resume changes the account: pass --yes when not interactive (review the plan first)")
	}
	plan := j.Plan()
	if err := remediate.WriteText(opts.IO.Out, plan); err != nil {
		return err
	}
	if err := remediate.WriteReview(opts.IO.Out, plan); err != nil {
		return err
	}
	p := j.Progress()
	fmt.Fprintf(opts.IO.Out, "\nJournal %s: %d of %d steps done.\n", j.Path(), len(p.Done), len(plan.Steps))
	if !ask(opts, fmt.Sprintf("Resume plan %s in account %s?", plan.ID, plan.Account)) {
		return errors.New("resume cancelled: nothing more was changed")
	}
	return nil
}

func confirmRollback(opts *Options, planID string) error {
	if opts.Yes {
		return nil
	}
	if !opts.IO.CanPrompt() {
		return exit.Usagef("--rollback deletes what the run created: pass --yes when not interactive")
	}
	if !ask(opts, fmt.Sprintf("Roll back plan %s (delete the instances and schedule deletion of the keys this run created)?", planID)) {
		return errors.New("rollback cancelled")
	}
	return nil
}

func ask(opts *Options, question string) bool {
	fmt.Fprintf(opts.IO.Out, "%s Type yes to continue: ", question)
	line, _ := bufio.NewReader(opts.IO.In).ReadString('\n')
	return strings.TrimSpace(strings.ToLower(line)) == "yes"
}

// checkRegions refuses a plan for regions outside --region, when given.
func checkRegions(plan *remediate.Plan, regions []string) error {
	if len(regions) == 0 {
		return nil
	}
	for _, r := range plan.Regions {
		if !slices.Contains(regions, r) {
			return fmt.Errorf("plan %s covers region %s, which is not among --region %s", plan.ID, r, strings.Join(regions, ","))
		}
	}
	return nil
}

func writeClients(cfg aws.Config) func(region string) remediate.WriteClients {
	return func(region string) remediate.WriteClients {
		return remediate.WriteClients{
			DMS: dms.NewFromConfig(cfg, func(o *dms.Options) { o.Region = region }),
			KMS: kms.NewFromConfig(cfg, func(o *kms.Options) { o.Region = region }),
		}
	}
}

func callerAccount(ctx context.Context, c remediate.GetCallerIdentityAPI) (string, error) {
	out, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		// Said as the audit says it (a refused connection, a host that
		// does not resolve, credentials that expired); the SDK's error
		// stays reachable with errors.As.
		return "", &explainedError{msg: "identify the account: " + awslive.Explain("sts:GetCallerIdentity", err), err: err}
	}
	return aws.ToString(out.Account), nil
}

// explainedError says what went wrong for a person and unwraps to the
// SDK's error.
type explainedError struct {
	msg string
	err error
}

func (e *explainedError) Error() string { return e.msg }
func (e *explainedError) Unwrap() error { return e.err }

func newPlanID() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("plan id: %w", err)
	}
	return "rp-" + hex.EncodeToString(b), nil
}

func inRegionFindings(fs []finding.Finding, regions []string) []finding.Finding {
	if len(regions) == 0 {
		return fs
	}
	return slices.DeleteFunc(slices.Clone(fs), func(f finding.Finding) bool { return !slices.Contains(regions, f.Region) })
}

func inRegions(ts []remediate.Target, regions []string) []remediate.Target {
	if len(regions) == 0 {
		return ts
	}
	return slices.DeleteFunc(ts, func(t remediate.Target) bool { return !slices.Contains(regions, t.Region) })
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}
