package remediate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// RegionWriters returns the clients Apply uses in a region.
type RegionWriters func(region string) (WriteClients, error)

// FaultPoint is where in a step a test fault is injected.
type FaultPoint string

// Fault points.
const (
	// FaultBeforeAction: the begin record is written, nothing was done.
	FaultBeforeAction FaultPoint = "before-action"
	// FaultAfterAction: the step acted but its done record is not written
	// (a crash between the AWS call and the journal).
	FaultAfterAction FaultPoint = "after-action"
	// FaultAfterDone: the step is done and journaled; the run stops.
	FaultAfterDone FaultPoint = "after-done"
)

// Applier executes plans. Its zero value is not usable: set Clients, STS and
// Journal; the durations default to values suited to real AWS.
type Applier struct {
	Clients RegionWriters
	STS     GetCallerIdentityAPI
	Journal *Journal
	// Log receives one line per step, for a person (may be nil).
	Log io.Writer

	// PollInterval is how often waits re-read the world (default 15s).
	PollInterval time.Duration
	// InstanceTimeout bounds waiting for an instance to become available or
	// to be deleted (default 60 minutes).
	InstanceTimeout time.Duration
	// TaskTimeout bounds waiting for a task to stop, move or start (default 30 minutes).
	TaskTimeout time.Duration
	// ProgressEvery is how often a long wait says it is still waiting (default 30s).
	ProgressEvery time.Duration
	// StepAttempts is how many times a step is tried when it fails with a
	// transient error (throttling, a resource briefly in the wrong state);
	// steps are idempotent, so a retry is safe (default 5).
	StepAttempts int

	// Fault, when set, is called at each fault point of each step; a
	// non-nil error stops the run there, as a crash would. Tests only.
	Fault func(stepID string, at FaultPoint) error
}

// StepError says which step failed, and what the journal now says.
type StepError struct {
	Step    string
	Journal string
	// Moved is true once a task has moved: rollback is then no longer possible.
	Moved bool
	// Done and Total count the plan's steps.
	Done, Total int
	// Stopped are the tasks this run stopped and has not restarted yet.
	Stopped []string
	Err     error
}

func (e *StepError) Error() string {
	next := fmt.Sprintf("fix the cause and continue with: cmkguard remediate --resume %s", e.Journal)
	if !e.Moved {
		next += fmt.Sprintf(", or undo what this run created with: cmkguard remediate --rollback %s", e.Journal)
	} else {
		next += " (a task has begun to move, so the run can only go forward)"
	}
	where := fmt.Sprintf("%d of %d steps done", e.Done, e.Total)
	if len(e.Stopped) > 0 {
		where += fmt.Sprintf("; stopped by this run and not restarted yet: %s", strings.Join(e.Stopped, ", "))
	}
	return fmt.Sprintf("step %s failed: %v (%s); %s", e.Step, e.Err, where, next)
}

func (e *StepError) Unwrap() error { return e.Err }

// run is one execution of a plan.
type run struct {
	a        *Applier
	plan     *Plan
	progress Progress
	clients  map[string]WriteClients
	// notRestarted are tasks a rollback found failed-move and DMS would not restart.
	notRestarted []string
	// actions are what a rollback undid, for a person.
	actions []string
}

// Apply executes the journal's plan from where the journal says it stopped.
// Before any mutation it checks the account and that the world still matches
// the plan for every replacement this journal has not started. When it does
// not, a fresh run changes nothing; a resumed run still finishes the work it
// had begun (a task it stopped or moved must not be stranded because another
// instance changed), starts nothing new, and then says what it left alone.
func (a *Applier) Apply(ctx context.Context) error {
	a.defaults()
	plan := a.Journal.Plan()
	r := &run{a: a, plan: plan, progress: a.Journal.Progress(), clients: map[string]WriteClients{}}
	if r.progress.RolledBack {
		return fmt.Errorf("journal %s was rolled back; make a new plan", a.Journal.Path())
	}
	if r.progress.Finished {
		a.logf("Plan %s was already applied completely.", plan.ID)
		return nil
	}
	var drift *DriftError
	skips, err := r.preflight(ctx)
	if err != nil {
		if !errors.As(err, &drift) || !r.anyWorkBegun() {
			return err
		}
		a.logf("The world changed since plan %s was made, for work this run has not begun: finishing only the work it began.", plan.ID)
	}
	for _, g := range skips {
		if err := r.skip(g.steps, g.why); err != nil {
			return err
		}
	}
	begun := r.begunWork()
	for _, s := range plan.Steps {
		if r.progress.Done[s.ID] || r.progress.Skipped[s.ID] != "" || drift != nil && !begun[s.ID] {
			continue
		}
		if err := r.runStep(ctx, s); err != nil {
			var gone *goneError
			if errors.As(err, &gone) {
				// What the step acts on no longer exists (or is no longer
				// ours to change): say so, skip what depends on it, go on.
				if err := r.skip(gone.steps, gone.why); err != nil {
					return err
				}
				continue
			}
			_ = a.Journal.Append(Record{Type: RecordFailed, Step: s.ID, Error: err.Error()})
			return r.stepError(ctx, s, err)
		}
	}
	if drift != nil {
		return fmt.Errorf("finished the work this run had begun, and started nothing else: %w", drift)
	}
	if err := a.Journal.Append(Record{Type: RecordFinished}); err != nil {
		return err
	}
	done := 0
	for _, s := range plan.Steps {
		if r.progress.Done[s.ID] {
			done++
		}
	}
	if len(r.progress.Warnings) > 0 {
		return &FinishedWithWarningsError{Plan: plan.ID, Done: done, Total: len(plan.Steps), Warnings: r.progress.Warnings}
	}
	a.logf("Plan %s applied: %d step(s) done.", plan.ID, len(plan.Steps))
	return nil
}

// FinishedWithWarningsError says a plan was applied as far as the world
// allows: the steps it names were skipped because what they act on was
// deleted or changed by someone else during the run. The journal is
// finished; nothing more will be done for them.
type FinishedWithWarningsError struct {
	Plan        string
	Done, Total int
	Warnings    []string
}

func (e *FinishedWithWarningsError) Error() string {
	return fmt.Sprintf("plan %s applied as far as it could (%d of %d steps done; the journal is finished and resuming it does nothing more), but review:\n  - %s",
		e.Plan, e.Done, e.Total, strings.Join(e.Warnings, "\n  - "))
}

// goneError stops a step because what it acts on is gone or changed by
// someone else: the steps named are skipped with why, and the run goes on.
type goneError struct {
	steps []string
	why   string
}

func (e *goneError) Error() string { return e.why }

// skip journals steps as skipped and the reason as a warning.
func (r *run) skip(steps []string, why string) error {
	r.a.logf("warning: %s", why)
	if err := r.a.Journal.Append(Record{Type: RecordWarning, Value: why}); err != nil {
		return err
	}
	r.progress.Warnings = append(r.progress.Warnings, why)
	for _, id := range steps {
		if r.progress.Done[id] || r.progress.Skipped[id] != "" {
			continue
		}
		if err := r.a.Journal.Append(Record{Type: RecordSkipped, Step: id, Value: why}); err != nil {
			return err
		}
		r.progress.Skipped[id] = why
	}
	return nil
}

// taskSteps are the IDs of a task's steps.
func (r *run) taskSteps(rep int, task int) []string {
	var out []string
	for _, s := range r.plan.Steps {
		if s.Replacement == rep && s.Task == task && s.Config < 0 && (s.Kind == StepStopTask || s.Kind == StepMoveTask || s.Kind == StepStartTask) {
			out = append(out, s.ID)
		}
	}
	return out
}

// replacementSteps are the IDs of a replacement's steps of the given kinds (all when none).
func (r *run) replacementSteps(rep int, kinds ...StepKind) []string {
	var out []string
	for _, s := range r.plan.Steps {
		if s.Replacement == rep && s.Kind != StepEnsureKey && s.Config < 0 && (len(kinds) == 0 || slices.Contains(kinds, s.Kind)) {
			out = append(out, s.ID)
		}
	}
	return out
}

// configSteps are the IDs of a config's steps of the given kinds (all when none).
func (r *run) configStepIDs(cfg int, kinds ...StepKind) []string {
	var out []string
	for _, s := range r.plan.Steps {
		if s.Config == cfg && (len(kinds) == 0 || slices.Contains(kinds, s.Kind)) {
			out = append(out, s.ID)
		}
	}
	return out
}

// DriftError says how the world differs from the plan, for work not begun.
type DriftError struct {
	Plan string
	// Resumed is true when the journal had begun work: that work was finished.
	Resumed bool
	Drift   []string
}

func (e *DriftError) Error() string {
	what := "nothing was changed, make a new plan"
	if e.Resumed {
		what = "the work not begun was left alone; make a new plan for it"
	}
	return fmt.Sprintf("the world changed since plan %s was made; %s:\n  - %s", e.Plan, what, strings.Join(e.Drift, "\n  - "))
}

// anyWorkBegun says whether the journal has begun any step.
func (r *run) anyWorkBegun() bool {
	for _, s := range r.plan.Steps {
		if r.progress.Begun[s.ID] {
			return true
		}
	}
	return false
}

// begunWork are the steps that belong to work the journal has begun: a key
// step begun, and every step of a replacement or config with a step begun.
func (r *run) begunWork() map[string]bool {
	out := map[string]bool{}
	for _, s := range r.plan.Steps {
		switch {
		case s.Kind == StepEnsureKey:
			out[s.ID] = r.progress.Begun[s.ID]
		case s.Config >= 0:
			out[s.ID] = r.configBegun(s.Config)
		default:
			out[s.ID] = r.replacementBegun(s.Replacement)
		}
	}
	return out
}

// stepError says where things stand after step s failed. A move that was
// begun but failed (denied, or the task ended failed-move) left the task on
// its old instance: the world, not the journal, says whether rollback is
// still possible.
func (r *run) stepError(ctx context.Context, s Step, err error) *StepError {
	moved := r.anyMoveDone()
	if !moved && r.anyMoveBegun() {
		if ctx.Err() != nil {
			moved = true // interrupted: no more calls, assume the worst
		} else if left, cerr := r.tasksOffTheirOldInstance(ctx); cerr != nil || len(left) > 0 {
			moved = true
		}
	}
	e := &StepError{Step: s.ID, Journal: r.a.Journal.Path(), Moved: moved, Total: len(r.plan.Steps), Err: err}
	for _, st := range r.plan.Steps {
		if r.progress.Done[st.ID] || r.progress.Skipped[st.ID] != "" {
			e.Done++
		}
		if st.Kind == StepStartTask && !r.progress.Done[st.ID] {
			t := r.plan.Replacements[st.Replacement].Tasks[st.Task]
			if r.progress.Notes[noteWasRunning(t)] == "true" {
				e.Stopped = append(e.Stopped, t.ID)
			}
		}
	}
	return e
}

func (a *Applier) defaults() {
	if a.PollInterval <= 0 {
		a.PollInterval = 15 * time.Second
	}
	if a.InstanceTimeout <= 0 {
		a.InstanceTimeout = 60 * time.Minute
	}
	if a.TaskTimeout <= 0 {
		a.TaskTimeout = 30 * time.Minute
	}
	if a.StepAttempts <= 0 {
		a.StepAttempts = 5
	}
	if a.ProgressEvery <= 0 {
		a.ProgressEvery = 30 * time.Second
	}
}

func (a *Applier) logf(format string, args ...any) {
	if a.Log != nil {
		fmt.Fprintf(a.Log, format+"\n", args...)
	}
}

func (r *run) client(region string) (WriteClients, error) {
	if c, ok := r.clients[region]; ok {
		return c, nil
	}
	c, err := r.a.Clients(region)
	if err != nil {
		return WriteClients{}, fmt.Errorf("clients for %s: %w", region, err)
	}
	r.clients[region] = c
	return c, nil
}

func (r *run) note(key, value string) error {
	if err := r.a.Journal.Append(Record{Type: RecordNote, Key: key, Value: value}); err != nil {
		return err
	}
	r.progress.Notes[key] = value
	return nil
}

func (r *run) fault(step string, at FaultPoint) error {
	if r.a.Fault == nil {
		return nil
	}
	return r.a.Fault(step, at)
}

func (r *run) anyMoveBegun() bool {
	for _, s := range r.plan.Steps {
		if s.Kind == StepMoveTask && r.progress.Begun[s.ID] {
			return true
		}
	}
	return false
}

func (r *run) anyMoveDone() bool {
	for _, s := range r.plan.Steps {
		if s.Kind == StepMoveTask && r.progress.Done[s.ID] {
			return true
		}
	}
	return false
}

// tasksOffTheirOldInstance re-reads every task whose move step has begun
// but is not done, and names those that are not at rest on their old
// instance (moving, moved, elsewhere or gone). A move that was refused, or
// that ended failed-move, leaves its task at rest on the old instance.
func (r *run) tasksOffTheirOldInstance(ctx context.Context) ([]string, error) {
	var off []string
	for _, s := range r.plan.Steps {
		if s.Kind != StepMoveTask || !r.progress.Begun[s.ID] || r.progress.Done[s.ID] || r.progress.Skipped[s.ID] != "" {
			continue
		}
		rep := r.plan.Replacements[s.Replacement]
		t := rep.Tasks[s.Task]
		c, err := r.client(s.Region)
		if err != nil {
			return nil, err
		}
		task, err := taskByARN(ctx, c.DMS, t.ARN)
		if err != nil {
			return nil, err
		}
		switch {
		case task == nil:
			off = append(off, t.ID+" (gone)")
		case aws.ToString(task.ReplicationInstanceArn) != rep.Old.ARN || aws.ToString(task.Status) == "moving":
			off = append(off, fmt.Sprintf("%s (%s)", t.ID, aws.ToString(task.Status)))
		}
	}
	return off, nil
}

// runStep journals, runs and journals one step, retrying transient failures.
func (r *run) runStep(ctx context.Context, s Step) error {
	if err := r.a.Journal.Append(Record{Type: RecordBegin, Step: s.ID}); err != nil {
		return err
	}
	r.progress.Begun[s.ID] = true
	r.a.logf("%s: %s", s.ID, s.Description)
	if err := r.fault(s.ID, FaultBeforeAction); err != nil {
		return err
	}
	var err error
	for attempt := 1; attempt <= r.a.StepAttempts; attempt++ {
		err = r.act(ctx, s)
		if err == nil || !transient(err) || ctx.Err() != nil {
			break
		}
		r.a.logf("%s: attempt %d failed (%v); retrying", s.ID, attempt, err)
		if werr := sleep(ctx, r.a.PollInterval); werr != nil {
			return werr
		}
	}
	if err != nil {
		return err
	}
	if err := r.fault(s.ID, FaultAfterAction); err != nil {
		return err
	}
	if err := r.a.Journal.Append(Record{Type: RecordDone, Step: s.ID}); err != nil {
		return err
	}
	r.progress.Done[s.ID] = true
	return r.fault(s.ID, FaultAfterDone)
}

func (r *run) act(ctx context.Context, s Step) error {
	c, err := r.client(s.Region)
	if err != nil {
		return err
	}
	switch s.Kind {
	case StepEnsureKey:
		k, _ := r.plan.KeyFor(s.Region)
		return r.ensureKey(ctx, c, k)
	case StepModifyConfig:
		return r.modifyConfig(ctx, c, r.plan.Configs[s.Config])
	case StepStopConfig:
		return r.stopConfig(ctx, c, r.plan.Configs[s.Config])
	case StepCreateConfig:
		return r.createConfig(ctx, c, r.plan.Configs[s.Config])
	case StepDeleteConfig:
		return r.deleteConfig(ctx, c, r.plan.Configs[s.Config])
	case StepRenameConfig:
		return r.renameConfig(ctx, c, r.plan.Configs[s.Config])
	}
	rep := r.plan.Replacements[s.Replacement]
	if s.Task >= 0 {
		err := r.actOnTask(ctx, c, s, rep, rep.Tasks[s.Task])
		if errors.Is(err, errTaskGone) {
			t := rep.Tasks[s.Task]
			return &goneError{steps: r.taskSteps(s.Replacement, s.Task), why: fmt.Sprintf("%s/%s: task %s was deleted by someone else during the run: its remaining steps are skipped", rep.Region, rep.Old.ID, t.ID)}
		}
		return err
	}
	switch s.Kind {
	case StepCreateInstance:
		return r.createInstance(ctx, c, rep)
	case StepVerifyKey:
		return r.verifyInstanceKey(ctx, c, rep)
	case StepDeleteOld:
		return r.deleteOld(ctx, c, s.Replacement, rep)
	case StepRename:
		return r.rename(ctx, c, rep)
	}
	return fmt.Errorf("step kind %q is unknown", s.Kind)
}

func (r *run) actOnTask(ctx context.Context, c WriteClients, s Step, rep Replacement, t Task) error {
	switch s.Kind {
	case StepStopTask:
		return r.stopTask(ctx, c, rep, t)
	case StepMoveTask:
		return r.moveTask(ctx, c, rep, t)
	case StepStartTask:
		return r.startTask(ctx, c, rep, t)
	}
	return fmt.Errorf("step kind %q is unknown", s.Kind)
}

// Notes' keys: what a step learned that later steps and resumed runs need.
func noteKey(region string) string        { return "key-arn/" + region }
func noteCreatedKey(region string) string { return "created-key/" + region }
func noteInstance(r Replacement) string   { return "new-instance-arn/" + r.Region + "/" + r.Old.ID }
func noteCreatedInstance(r Replacement) string {
	return "created-instance/" + r.Region + "/" + r.Old.ID
}
func noteWasRunning(t Task) string { return "was-running/" + t.ARN }

// preflight checks, before any mutation, that the credentials are for the
// plan's account and that every replacement not yet started still matches
// the plan (settings, key and tasks). What no longer exists at all (an
// instance, a task, a config deleted since the plan) is not drift: there is
// nothing left to fix, so its steps are returned to be skipped with a
// warning, and the rest goes on.
func (r *run) preflight(ctx context.Context) ([]*goneError, error) {
	id, err := r.a.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("sts get-caller-identity: %w", err)
	}
	if acct := aws.ToString(id.Account); acct != r.plan.Account {
		return nil, fmt.Errorf("plan %s was made for account %s, but the credentials are for account %s", r.plan.ID, r.plan.Account, acct)
	}
	var drift []string
	var skips []*goneError
	skipped := map[string]bool{}
	addSkip := func(g *goneError) {
		skips = append(skips, g)
		for _, id := range g.steps {
			skipped[id] = true
		}
	}
	for i, rep := range r.plan.Replacements {
		if r.replacementBegun(i) || r.allSkipped(r.replacementSteps(i)) {
			continue
		}
		c, err := r.client(rep.Region)
		if err != nil {
			return nil, err
		}
		d, err := r.describeOld(ctx, c, rep)
		if err != nil {
			return nil, err
		}
		if d == nil {
			addSkip(&goneError{steps: r.replacementSteps(i), why: fmt.Sprintf("%s: instance %s no longer exists, so there is nothing to replace: skipped", rep.Region, rep.Old.ID)})
			continue
		}
		still := rep
		still.Tasks = nil
		on := map[string]bool{}
		for _, t := range d.Tasks {
			on[t.ARN] = true
		}
		for j, t := range rep.Tasks {
			if !on[t.ARN] {
				task, err := taskByARN(ctx, c.DMS, t.ARN)
				if err != nil {
					return nil, err
				}
				if task == nil {
					addSkip(&goneError{steps: r.taskSteps(i, j), why: fmt.Sprintf("%s/%s: task %s no longer exists: its steps are skipped", rep.Region, rep.Old.ID, t.ID)})
					continue
				}
			}
			still.Tasks = append(still.Tasks, t)
		}
		drift = append(drift, compareInstance(still, *d)...)
	}
	for i, cp := range r.plan.Configs {
		if !cp.Consent || r.configBegun(i) || r.allSkipped(r.configStepIDs(i)) {
			continue
		}
		c, err := r.client(cp.Region)
		if err != nil {
			return nil, err
		}
		now, err := describeConfig(ctx, c.DMS, cp.Old.ARN)
		if err != nil {
			return nil, err
		}
		if now == nil {
			addSkip(&goneError{steps: r.configStepIDs(i), why: fmt.Sprintf("%s: serverless config %s no longer exists: skipped", cp.Region, cp.Old.ID)})
			continue
		}
		drift = append(drift, compareConfig(cp, now)...)
	}
	for _, k := range r.plan.Keys {
		if r.progress.Begun[k.Region+"/key"] {
			continue
		}
		if r.regionHasNoWork(k.Region, skipped) {
			addSkip(&goneError{steps: []string{k.Region + "/key"}, why: fmt.Sprintf("%s: nothing is left to fix in the region, so no key is made or checked there", k.Region)})
			continue
		}
		c, err := r.client(k.Region)
		if err != nil {
			return nil, err
		}
		if k.Mode == KeyExisting {
			if err := r.checkKey(ctx, c, k.Region, k.ARN); err != nil {
				drift = append(drift, err.Error())
			}
			continue
		}
		target, ours, err := r.aliasOwner(ctx, c, k)
		if err != nil {
			return nil, err
		}
		if target != "" && !ours {
			drift = append(drift, fmt.Sprintf("%s: alias %s now exists and points to a key this plan did not create", k.Region, k.Alias))
		}
	}
	if len(drift) > 0 {
		sort.Strings(drift)
		return skips, &DriftError{Plan: r.plan.ID, Resumed: r.anyWorkBegun(), Drift: drift}
	}
	return skips, nil
}

// allSkipped says whether every step named is already skipped (and there is at least one).
func (r *run) allSkipped(ids []string) bool {
	for _, id := range ids {
		if r.progress.Skipped[id] == "" {
			return false
		}
	}
	return len(ids) > 0
}

// regionHasNoWork says whether every step of region but its key step is
// skipped (already, or in skipping).
func (r *run) regionHasNoWork(region string, skipping map[string]bool) bool {
	for _, s := range r.plan.Steps {
		if s.Region == region && s.Kind != StepEnsureKey && r.progress.Skipped[s.ID] == "" && !skipping[s.ID] {
			return false
		}
	}
	return true
}

func (r *run) replacementBegun(i int) bool {
	for _, s := range r.plan.Steps {
		if s.Replacement == i && s.Kind != StepEnsureKey && r.progress.Begun[s.ID] {
			return true
		}
	}
	return false
}

func (r *run) configBegun(i int) bool {
	for _, s := range r.plan.Steps {
		if s.Config == i && s.Kind != StepEnsureKey && r.progress.Begun[s.ID] {
			return true
		}
	}
	return false
}

// describeOld re-describes a replacement's old instance; nil when it is gone.
func (r *run) describeOld(ctx context.Context, c WriteClients, rep Replacement) (*DescribedInstance, error) {
	ri, err := instanceByARN(ctx, c.DMS, rep.Old.ARN)
	if err != nil || ri == nil {
		return nil, err
	}
	d, err := describeInstance(ctx, c.DMS, *ri)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// runs says whether a task in this status is running or about to: the stop
// step stops it and the start step restarts it.
func runs(status string) bool {
	return status == "running" || status == "starting" || status == "resuming"
}

// compareInstance lists how an instance differs from what the plan recorded.
func compareInstance(rep Replacement, now DescribedInstance) []string {
	var diffs []string
	o, n := rep.Old, now.Instance
	add := func(what string, was, is any) {
		diffs = append(diffs, fmt.Sprintf("%s: %s was %v, is now %v", o.ID, what, was, is))
	}
	if o.ID != n.ID {
		add("identifier", o.ID, n.ID)
	}
	if o.KeyARN != n.KeyARN {
		add("KMS key", o.KeyARN, n.KeyARN)
	}
	was, is := o.Settings, n.Settings
	for _, f := range []struct {
		name    string
		was, is any
	}{
		{"class", was.Class, is.Class},
		{"allocated storage", was.AllocatedStorage, is.AllocatedStorage},
		{"engine version", was.EngineVersion, is.EngineVersion},
		{"security groups", strings.Join(was.VPCSecurityGroupIDs, ","), strings.Join(is.VPCSecurityGroupIDs, ",")},
		{"subnet group", was.SubnetGroupID, is.SubnetGroupID},
		{"availability zone", was.AvailabilityZone, is.AvailabilityZone},
		{"multi-AZ", was.MultiAZ, is.MultiAZ},
		{"public accessibility", was.PubliclyAccessible, is.PubliclyAccessible},
		{"auto minor version upgrade", was.AutoMinorVersionUpgrade, is.AutoMinorVersionUpgrade},
		{"maintenance window", was.PreferredMaintenanceWindow, is.PreferredMaintenanceWindow},
		{"network type", was.NetworkType, is.NetworkType},
		{"DNS name servers", was.DNSNameServers, is.DNSNameServers},
		{"tags", formatTags(was.Tags), formatTags(is.Tags)},
	} {
		if f.was != f.is {
			add(f.name, f.was, f.is)
		}
	}
	if fmt.Sprint(was.Kerberos) != fmt.Sprint(is.Kerberos) {
		add("Kerberos settings", "(as planned)", "(different)")
	}
	planned := map[string]bool{}
	plannedStatus := map[string]string{}
	for _, t := range rep.Tasks {
		planned[t.ARN] = true
		plannedStatus[t.ARN] = t.Status
	}
	for _, t := range now.Tasks {
		if !planned[t.ARN] {
			diffs = append(diffs, fmt.Sprintf("%s: task %s was added since the plan", o.ID, t.ID))
		}
		// The plan says which tasks are stopped and restarted: a task that
		// started or stopped since would be handled otherwise than reviewed
		// (and a run whose journal was lost finds its own stopped tasks so).
		if was := plannedStatus[t.ARN]; planned[t.ARN] && runs(was) != runs(t.Status) {
			diffs = append(diffs, fmt.Sprintf("%s: task %s was %s, is now %s", o.ID, t.ID, was, t.Status))
		}
		delete(planned, t.ARN)
	}
	for _, t := range rep.Tasks {
		if planned[t.ARN] {
			diffs = append(diffs, fmt.Sprintf("%s: task %s is no longer on it", o.ID, t.ID))
		}
	}
	return diffs
}
