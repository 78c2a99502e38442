package remediate

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/keypolicy"
	"github.com/cmkguard/cmkguard/state"
)

// RuleID is the rule whose FAIL findings a plan remediates.
const RuleID = "CMKG-DMS-001"

// DefaultNameTemplate names a replacement after the instance it replaces.
const DefaultNameTemplate = "{id}-cmk"

// Target is an instance to replace, as an audit named it.
type Target struct {
	ARN     string
	ID      string
	Region  string
	Account string
}

// TargetsFromFindings picks the instances that fail RuleID. Other rules,
// other statuses (PASS, UNKNOWN, SUPPRESSED) and region-level findings are
// left alone: remediation acts only on what the audit proved.
func TargetsFromFindings(fs []finding.Finding) []Target {
	var out []Target
	seen := map[string]bool{}
	for _, f := range fs {
		if f.RuleID != RuleID || f.Status != finding.StatusFail || f.ResourceType != "AWS::DMS::ReplicationInstance" || seen[f.ResourceARN] {
			continue
		}
		seen[f.ResourceARN] = true
		out = append(out, Target{ARN: f.ResourceARN, ID: f.ResourceID, Region: f.Region, Account: f.Account})
	}
	return out
}

// UndecidedNotes returns a note for each UNKNOWN finding of RuleID: an
// instance the audit could not decide is not remediated, and the reviewer
// should know.
func UndecidedNotes(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		if f.RuleID == RuleID && f.Status == finding.StatusUnknown {
			out = append(out, fmt.Sprintf("not planned: %s is UNKNOWN in the audit (%s)", f.ResourceARN, f.Reason))
		}
	}
	return out
}

// NotFixedNotes returns a note for each FAIL finding a plan does not fix:
// anything but an instance failing RuleID or a serverless config failing a
// key rule, such as a disabled or deleted key (CMKG-DMS-002) or an
// endpoint's own key (CMKG-DMS-005, 006). The reviewer must not take the
// plan for the whole fix.
func NotFixedNotes(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		if f.Status != finding.StatusFail {
			continue
		}
		if f.RuleID == RuleID && f.ResourceType == "AWS::DMS::ReplicationInstance" ||
			strings.HasPrefix(f.RuleID, "CMKG-DMS-") && f.ResourceType == ConfigResourceType {
			continue
		}
		what := f.ResourceARN
		if what == "" {
			what = f.Region + "/" + f.ResourceID
		}
		out = append(out, fmt.Sprintf("not fixed by this plan: %s FAILs %s (%s)", what, f.RuleID, firstLine(f.Reason)))
	}
	return out
}

func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}

// KeyRequest says which key the replacements use: an existing one (by ARN or
// alias) or a new one per region, created with an alias and a key policy.
type KeyRequest struct {
	Existing         string
	CreateAlias      string
	Admins           []string
	Users            []string
	ExternalAccounts []string
}

// Request is what the user asked for.
type Request struct {
	PlanID  string
	Now     time.Time
	Tool    string
	Account string // the caller's account
	Source  Source
	Targets []Target
	Key     KeyRequest
	// NameTemplate names replacements; {id} and {region} are filled in.
	NameTemplate string
	// EngineVersion is the replacements' engine; empty means the old one's.
	EngineVersion  string
	DeleteOld      bool
	KeepIdentifier bool
	// Notes are carried into the plan for its reviewer (e.g. instances the
	// audit could not decide, which the plan leaves alone).
	Notes []string
	// MinProtection is the lowest protection level the chosen key must have
	// (the audit's --min-protection); ProtectionNone accepts any customer key.
	MinProtection state.ProtectionLevel
	// ConfigTargets are the DMS Serverless configs to fix.
	ConfigTargets []Target
	// RecreateStartedConfigs consents to re-creating started configs.
	RecreateStartedConfigs bool
}

// Facts are what Describe read from the world for a Request.
type Facts struct {
	// Instances are the targets as described now, by ARN; a target that no
	// longer exists is absent.
	Instances map[string]DescribedInstance
	// Identifiers are the instance identifiers in use, by region.
	Identifiers map[string]map[string]bool
	// Keys are the facts about the requested existing key, by region.
	Keys map[string]KeyFacts
	// Aliases are the customer alias names in use, by region.
	Aliases map[string]map[string]bool
	// Configs are the serverless config targets as described now, by ARN.
	Configs map[string]Config
	// ConfigIdentifiers are the serverless config identifiers in use, by region.
	ConfigIdentifiers map[string]map[string]bool
}

// DescribedInstance is an instance and the tasks on it.
type DescribedInstance struct {
	Instance Instance
	Tasks    []Task
}

// KeyFacts are a key's metadata as DescribeKey reported it, or the error.
type KeyFacts struct {
	Ref     string // as the user gave it
	ARN     string
	Region  string
	Account string
	Manager string
	State   string
	Usage   string
	Spec    string
	Origin  string
	Problem string // why it could not be described
}

// NewPlan builds a plan from a request and the facts described for it. It
// calls nothing: the same inputs give the same plan.
func NewPlan(req Request, facts Facts) (*Plan, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	p := &Plan{
		Version:   PlanVersion,
		ID:        req.PlanID,
		CreatedAt: req.Now.UTC().Format(time.RFC3339),
		Tool:      req.Tool,
		Account:   req.Account,
		Source:    req.Source,
		Options: Options{
			NameTemplate:           req.NameTemplate,
			DeleteOld:              req.DeleteOld,
			KeepIdentifier:         req.KeepIdentifier,
			RecreateStartedConfigs: req.RecreateStartedConfigs,
		},
		Notes: append([]string(nil), req.Notes...),
	}
	var errs []error
	regions := map[string]bool{}
	taken := map[string]bool{}
	for _, t := range req.Targets {
		if t.Account != "" && t.Account != req.Account {
			p.Notes = append(p.Notes, fmt.Sprintf("skipped %s: it is in account %s, the credentials are for %s", t.ARN, t.Account, req.Account))
			continue
		}
		d, ok := facts.Instances[t.ARN]
		if !ok {
			p.Notes = append(p.Notes, fmt.Sprintf("skipped %s: it no longer exists", t.ARN))
			continue
		}
		r, err := newReplacement(req, t, d, facts, taken)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		regions[t.Region] = true
		p.Replacements = append(p.Replacements, r)
	}
	configTaken := map[string]bool{}
	for region, ids := range facts.ConfigIdentifiers {
		for id := range ids {
			configTaken[region+"/"+id] = true
		}
	}
	for _, t := range req.ConfigTargets {
		if t.Account != "" && t.Account != req.Account {
			p.Notes = append(p.Notes, fmt.Sprintf("skipped %s: it is in account %s, the credentials are for %s", t.ARN, t.Account, req.Account))
			continue
		}
		old, ok := facts.Configs[t.ARN]
		if !ok {
			p.Notes = append(p.Notes, fmt.Sprintf("skipped %s: it no longer exists", t.ARN))
			continue
		}
		cp, note, err := configPlan(req, t, old, configTaken)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if note != "" {
			p.Notes = append(p.Notes, note)
		}
		if cp.Consent {
			regions[t.Region] = true
		}
		p.Configs = append(p.Configs, cp)
	}
	sort.Slice(p.Configs, func(i, j int) bool {
		a, b := p.Configs[i], p.Configs[j]
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		return a.Old.ID < b.Old.ID
	})
	for _, region := range sortedKeys(regions) {
		k, err := keyPlan(req, region, facts)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p.Regions = append(p.Regions, region)
		p.Keys = append(p.Keys, k)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if p.Regions == nil {
		p.Regions = []string{}
	}
	sort.Slice(p.Replacements, func(i, j int) bool {
		a, b := p.Replacements[i], p.Replacements[j]
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		return a.Old.ID < b.Old.ID
	})
	p.Steps = steps(p)
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := p.Seal(); err != nil {
		return nil, err
	}
	return p, nil
}

func (req Request) validate() error {
	var problems []string
	switch {
	case req.Key.Existing == "" && req.Key.CreateAlias == "":
		problems = append(problems, "choose the key: --kms-key ARN|alias (an existing customer key) or --create-key ALIAS")
	case req.Key.Existing != "" && req.Key.CreateAlias != "":
		problems = append(problems, "--kms-key and --create-key are exclusive")
	case req.Key.CreateAlias != "":
		if err := ValidateAlias(req.Key.CreateAlias); err != nil {
			problems = append(problems, err.Error())
		}
	case req.Key.Existing != "":
		if strings.HasPrefix(req.Key.Existing, "alias/aws/") || strings.Contains(req.Key.Existing, ":alias/aws/") {
			problems = append(problems, fmt.Sprintf("--kms-key %s is an AWS-managed key; remediation needs a customer-managed key", req.Key.Existing))
		}
		if (len(req.Key.Admins) + len(req.Key.Users) + len(req.Key.ExternalAccounts)) > 0 {
			problems = append(problems, "--key-admin, --key-user and --external-account apply only with --create-key")
		}
	}
	if req.KeepIdentifier && !req.DeleteOld {
		problems = append(problems, "--keep-identifier needs --delete-old: the old instance must be gone before its identifier is free")
	}
	if !strings.Contains(req.NameTemplate, "{id}") {
		problems = append(problems, fmt.Sprintf("--name-template %q must contain {id}, or every replacement would get the same identifier", req.NameTemplate))
	}
	if !accountRE.MatchString(req.Account) {
		problems = append(problems, fmt.Sprintf("caller account %q is not an AWS account id", req.Account))
	}
	if req.PlanID == "" {
		problems = append(problems, "plan id is empty")
	}
	if len(problems) > 0 {
		return fmt.Errorf("cannot plan: %s", strings.Join(problems, "; "))
	}
	return nil
}

func newReplacement(req Request, t Target, d DescribedInstance, facts Facts, taken map[string]bool) (Replacement, error) {
	old := d.Instance
	newSettings := old.Settings
	newSettings.Tags = copyTags(old.Settings.Tags)
	if req.EngineVersion != "" {
		if compareEngine(req.EngineVersion, old.Settings.EngineVersion) < 0 {
			return Replacement{}, fmt.Errorf("%s: engine version %s is older than the instance's %s; a replacement must run the same or a later engine (tasks cannot move to an older one)", old.ID, req.EngineVersion, old.Settings.EngineVersion)
		}
		newSettings.EngineVersion = req.EngineVersion
	}
	newID := ExpandName(req.NameTemplate, old.ID, t.Region)
	if err := ValidateIdentifier(newID); err != nil {
		return Replacement{}, fmt.Errorf("%s: %w (change --name-template)", old.ID, err)
	}
	if facts.Identifiers[t.Region][newID] || taken[t.Region+"/"+newID] {
		return Replacement{}, fmt.Errorf("%s: identifier %s is already in use in %s (change --name-template)", old.ID, newID, t.Region)
	}
	taken[t.Region+"/"+newID] = true
	final := newID
	if req.KeepIdentifier {
		final = old.ID
	}
	tasks := append([]Task(nil), d.Tasks...)
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].ID < tasks[j].ID })
	return Replacement{Region: t.Region, Old: old, NewID: newID, New: newSettings, Tasks: tasks, FinalID: final}, nil
}

func keyPlan(req Request, region string, facts Facts) (KeyPlan, error) {
	if req.Key.CreateAlias != "" {
		if req.MinProtection.Rank() > state.ProtectionCustomerManaged.Rank() {
			return KeyPlan{}, fmt.Errorf("%s: --create-key makes a key with AWS_KMS key material (protection %s), below --min-protection %s; use an existing key of that level with --kms-key", region, state.ProtectionCustomerManaged, req.MinProtection)
		}
		if facts.Aliases[region][req.Key.CreateAlias] {
			return KeyPlan{}, fmt.Errorf("%s: alias %s already exists; use it with --kms-key %s, or choose another alias", region, req.Key.CreateAlias, req.Key.CreateAlias)
		}
		doc, err := keypolicy.Build(keypolicy.Options{
			Account: req.Account, Region: region,
			Admins: req.Key.Admins, Users: req.Key.Users, ExternalAccounts: req.Key.ExternalAccounts,
		})
		if err != nil {
			return KeyPlan{}, err
		}
		policy, err := doc.JSON()
		if err != nil {
			return KeyPlan{}, err
		}
		return KeyPlan{
			Region:      region,
			Mode:        KeyCreate,
			Alias:       req.Key.CreateAlias,
			Description: "Customer-managed key for AWS DMS replication instances (created by cmkguard)",
			Policy:      string(policy),
		}, nil
	}
	k, ok := facts.Keys[region]
	if !ok {
		return KeyPlan{}, fmt.Errorf("%s: key %s was not described", region, req.Key.Existing)
	}
	if err := checkExistingKey(k, region); err != nil {
		return KeyPlan{}, err
	}
	if got := (state.Key{Manager: state.KeyManagerCustomer, Origin: k.Origin}).Protection(); req.MinProtection != state.ProtectionNone && got.Rank() < req.MinProtection.Rank() {
		return KeyPlan{}, fmt.Errorf("%s: key %s has protection %s (origin %s), below --min-protection %s", region, k.Ref, orDash(string(got)), orDash(k.Origin), req.MinProtection)
	}
	kp := KeyPlan{Region: region, Mode: KeyExisting, ARN: k.ARN}
	if strings.HasPrefix(k.Ref, "alias/") {
		kp.Alias = k.Ref
	}
	return kp, nil
}

// checkExistingKey says why a described key cannot protect DMS data in
// region, or nil when it can.
func checkExistingKey(k KeyFacts, region string) error {
	switch {
	case k.Problem != "":
		return fmt.Errorf("%s: key %s: %s", region, k.Ref, k.Problem)
	case k.Region != region:
		return fmt.Errorf("%s: key %s is in region %s; DMS needs a key in the instance's own region (use an alias that exists in every region, or plan one region at a time with --region)", region, k.Ref, k.Region)
	case k.Manager != "CUSTOMER":
		return fmt.Errorf("%s: key %s is managed by %s; remediation needs a customer-managed key", region, k.Ref, k.Manager)
	case k.State != "Enabled":
		return fmt.Errorf("%s: key %s is %s; DMS data under a key that is not Enabled is inaccessible", region, k.Ref, k.State)
	case k.Usage != "" && k.Usage != "ENCRYPT_DECRYPT":
		return fmt.Errorf("%s: key %s has usage %s; DMS needs an ENCRYPT_DECRYPT key", region, k.Ref, k.Usage)
	case k.Spec != "" && k.Spec != "SYMMETRIC_DEFAULT":
		return fmt.Errorf("%s: key %s has spec %s; DMS needs a symmetric key (SYMMETRIC_DEFAULT)", region, k.Ref, k.Spec)
	}
	return nil
}

func steps(p *Plan) []Step {
	var out []Step
	for _, region := range p.Regions {
		k, _ := p.KeyFor(region)
		desc := "check key " + k.ARN + ": same region, customer-managed, Enabled"
		if k.Mode == KeyCreate {
			desc = "create a customer-managed key with alias " + k.Alias + " (or find the one this plan created)"
		}
		out = append(out, Step{ID: region + "/key", Kind: StepEnsureKey, Region: region, Replacement: -1, Task: -1, Config: -1, Description: desc})
		for i, r := range p.Replacements {
			if r.Region != region {
				continue
			}
			base := region + "/" + r.Old.ID
			add := func(suffix string, kind StepKind, task int, desc string) {
				out = append(out, Step{ID: base + "/" + suffix, Kind: kind, Region: region, Replacement: i, Task: task, Config: -1, Description: desc})
			}
			add("create", StepCreateInstance, -1, fmt.Sprintf("create %s (copy of %s with the customer key) and wait until available", r.NewID, r.Old.ID))
			add("verify-key", StepVerifyKey, -1, fmt.Sprintf("verify by DescribeKey that %s is encrypted with the chosen customer key", r.NewID))
			for j, t := range r.Tasks {
				add("task/"+t.ID+"/stop", StepStopTask, j, fmt.Sprintf("stop task %s if it is running (now %s)", t.ID, t.Status))
				add("task/"+t.ID+"/move", StepMoveTask, j, fmt.Sprintf("move task %s to %s and verify", t.ID, r.NewID))
				add("task/"+t.ID+"/start", StepStartTask, j, fmt.Sprintf("restart task %s with resume-processing if it was running", t.ID))
			}
			if p.Options.DeleteOld {
				add("delete-old", StepDeleteOld, -1, fmt.Sprintf("delete %s once no task is attached", r.Old.ID))
			}
			if p.Options.KeepIdentifier {
				add("rename", StepRename, -1, fmt.Sprintf("rename %s to %s", r.NewID, r.Old.ID))
			}
		}
		out = append(out, configSteps(p, region)...)
	}
	return out
}

func copyTags(in map[string]string) map[string]string {
	if in == nil {
		return nil
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
