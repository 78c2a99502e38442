package remediate

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	dmstypes "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// KeyDeletionWindowDays is the waiting period of a key rollback schedules
// for deletion: the longest KMS allows, so that a mistake can be cancelled.
const KeyDeletionWindowDays = 30

// Rollback undoes a run that has moved no task yet: it restarts the tasks
// it stopped, deletes the instances it created, and removes the aliases and
// schedules the deletion of the keys it created. Things it found rather than
// created are left alone. A replacement whose old instance this run has
// begun to delete (possible for an instance without tasks) is complete and
// the only copy left: it is kept, and so is its region's key. Once a task
// has moved, or may be moving, it refuses: the only way is then forward
// (--resume). A move that failed (refused, or ended failed-move) left its
// task on the old instance; re-read, such a task does not stop a rollback.
func (a *Applier) Rollback(ctx context.Context) error {
	a.defaults()
	plan := a.Journal.Plan()
	r := &run{a: a, plan: plan, progress: a.Journal.Progress(), clients: map[string]WriteClients{}}
	switch {
	case r.progress.RolledBack:
		a.logf("Journal %s was already rolled back.", a.Journal.Path())
		return nil
	case r.progress.Finished:
		return fmt.Errorf("plan %s was applied completely; there is nothing to roll back", plan.ID)
	case r.anyMoveDone():
		return fmt.Errorf("a task has begun to move to a replacement, so this run cannot be rolled back; continue it with: cmkguard remediate --resume %s", a.Journal.Path())
	}
	id, err := a.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fmt.Errorf("sts get-caller-identity: %w", err)
	}
	if acct := aws.ToString(id.Account); acct != plan.Account {
		return fmt.Errorf("journal %s is for account %s, but the credentials are for account %s", a.Journal.Path(), plan.Account, acct)
	}
	off, err := r.tasksOffTheirOldInstance(ctx)
	if err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	if len(off) > 0 {
		return fmt.Errorf("task(s) %s have begun to move to a replacement, so this run cannot be rolled back; continue it with: cmkguard remediate --resume %s", strings.Join(off, ", "), a.Journal.Path())
	}
	attached, err := r.tasksOnReplacements(ctx)
	if err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	if len(attached) > 0 {
		return fmt.Errorf("task(s) %s are on a replacement this run created (moved there outside this run?), and rollback would delete it under them; move them back first, or continue with: cmkguard remediate --resume %s", strings.Join(attached, ", "), a.Journal.Path())
	}
	if err := r.undo(ctx); err != nil {
		return &RollbackError{Journal: a.Journal.Path(), Err: err, Undone: r.actions, Remaining: r.remaining(ctx)}
	}
	if err := a.Journal.Append(Record{Type: RecordRolledBack}); err != nil {
		return err
	}
	if len(r.actions) == 0 {
		a.logf("Rollback: nothing this run made was left to undo.")
	}
	if len(r.notRestarted) > 0 {
		return fmt.Errorf("rolled back, except that DMS would not restart task(s) %s, which this run had stopped and which are failed-move on their old instance: restart them yourself with resume-processing", strings.Join(r.notRestarted, ", "))
	}
	return nil
}

// RollbackError says a rollback stopped part-way: what it undid, and what
// (re-read from the world) is still there.
type RollbackError struct {
	Journal   string
	Err       error
	Undone    []string
	Remaining []string
}

func (e *RollbackError) Error() string {
	b := &strings.Builder{}
	fmt.Fprintf(b, "rollback stopped: %v", e.Err)
	if len(e.Undone) > 0 {
		fmt.Fprintf(b, "\n  undone: %s", strings.Join(e.Undone, "\n  undone: "))
	}
	if len(e.Remaining) > 0 {
		fmt.Fprintf(b, "\n  still there: %s", strings.Join(e.Remaining, "\n  still there: "))
	}
	fmt.Fprintf(b, "\nfix the cause and run again: cmkguard remediate --rollback %s", e.Journal)
	return b.String()
}

func (e *RollbackError) Unwrap() error { return e.Err }

// undone records and prints one thing a rollback undid.
func (r *run) undone(what string) {
	r.actions = append(r.actions, what)
	r.a.logf("rollback: %s", what)
}

// remaining re-reads what this run made and may still be there, for a
// rollback that stopped part-way. Best effort: what cannot be read is said.
func (r *run) remaining(ctx context.Context) []string {
	if ctx.Err() != nil {
		return []string{"(interrupted: the world was not re-read)"}
	}
	var out []string
	for i, rep := range r.plan.Replacements {
		c, err := r.client(rep.Region)
		if err != nil {
			out = append(out, err.Error())
			continue
		}
		if !r.pastDelete(i) {
			ri, err := r.findNewInstance(ctx, c, rep)
			switch {
			case err != nil:
				out = append(out, fmt.Sprintf("%s: could not check for %s: %v", rep.Region, rep.NewID, err))
			case ri != nil:
				out = append(out, fmt.Sprintf("%s: instance %s (%s, %s)", rep.Region, aws.ToString(ri.ReplicationInstanceIdentifier), aws.ToString(ri.ReplicationInstanceArn), aws.ToString(ri.ReplicationInstanceStatus)))
			}
		}
		for _, t := range rep.Tasks {
			if r.progress.Notes[noteWasRunning(t)] != "true" {
				continue
			}
			task, err := taskByARN(ctx, c.DMS, t.ARN)
			if err == nil && task != nil && !runs(aws.ToString(task.Status)) {
				out = append(out, fmt.Sprintf("%s: task %s is %s (it was running before this run)", rep.Region, t.ID, aws.ToString(task.Status)))
			}
		}
	}
	for _, k := range r.plan.Keys {
		if k.Mode != KeyCreate {
			continue
		}
		c, err := r.client(k.Region)
		if err != nil {
			continue
		}
		if target, ours, err := r.aliasOwner(ctx, c, k); err == nil && target != "" && ours {
			out = append(out, fmt.Sprintf("%s: alias %s (to key %s)", k.Region, k.Alias, target))
		}
		if arn, err := r.findTaggedKey(ctx, c, k); err == nil && arn != "" {
			if d, err := c.KMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(arn)}); err == nil && d.KeyMetadata != nil && d.KeyMetadata.KeyState != kmstypes.KeyStatePendingDeletion {
				out = append(out, fmt.Sprintf("%s: key %s (%s, not scheduled for deletion)", k.Region, arn, d.KeyMetadata.KeyState))
			}
		}
	}
	return out
}

// undo undoes, in order, the replacements, the configs and the keys.
func (r *run) undo(ctx context.Context) error {
	a, plan := r.a, r.plan
	keptRegions := map[string]bool{}
	for i, rep := range plan.Replacements {
		if r.pastDelete(i) {
			keptRegions[rep.Region] = true
			a.logf("%s/%s: kept: the old instance is already deleted, so its replacement %s stays", rep.Region, rep.Old.ID, rep.NewID)
			continue
		}
		if err := r.rollbackReplacement(ctx, rep); err != nil {
			return err
		}
	}
	for i, cp := range plan.Configs {
		if !cp.Consent {
			continue
		}
		if r.configPastDelete(i) {
			keptRegions[cp.Region] = true
			a.logf("%s/config/%s: kept: the old config is already deleted, so its copy %s stays", cp.Region, cp.Old.ID, cp.NewID)
			continue
		}
		if err := r.rollbackConfig(ctx, i, cp); err != nil {
			return err
		}
	}
	for _, k := range plan.Keys {
		if keptRegions[k.Region] {
			a.logf("%s: key kept: a kept replacement uses it", k.Region)
			continue
		}
		if err := r.rollbackKey(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// tasksOnReplacements names the tasks on the replacements a rollback would
// delete: nothing is deleted with a task on it, whoever put it there.
func (r *run) tasksOnReplacements(ctx context.Context) ([]string, error) {
	var out []string
	for i, rep := range r.plan.Replacements {
		arn := r.progress.Notes[noteInstance(rep)]
		if arn == "" || r.pastDelete(i) {
			continue
		}
		c, err := r.client(rep.Region)
		if err != nil {
			return nil, err
		}
		tasks, err := listTasks(ctx, c.DMS, arn)
		if err != nil {
			return nil, fmt.Errorf("list tasks on %s: %w", rep.NewID, err)
		}
		for _, t := range tasks {
			out = append(out, aws.ToString(t.ReplicationTaskIdentifier))
		}
	}
	return out, nil
}

// pastDelete says whether the delete step of replacement i has begun.
func (r *run) pastDelete(i int) bool {
	for _, s := range r.plan.Steps {
		if s.Replacement == i && (s.Kind == StepDeleteOld || s.Kind == StepRename) && r.progress.Begun[s.ID] {
			return true
		}
	}
	return false
}

func (r *run) rollbackReplacement(ctx context.Context, rep Replacement) error {
	c, err := r.client(rep.Region)
	if err != nil {
		return err
	}
	for _, t := range rep.Tasks {
		if r.progress.Notes[noteWasRunning(t)] != "true" {
			continue
		}
		task, err := taskByARN(ctx, c.DMS, t.ARN)
		if err != nil {
			return err
		}
		if task == nil || aws.ToString(task.ReplicationInstanceArn) != rep.Old.ARN {
			continue
		}
		s := aws.ToString(task.Status)
		if s == "stopping" {
			// The run was interrupted while the task stopped: let it
			// stop, then restart it.
			r.a.logf("%s: task %s is stopping; waiting for it to stop, to restart it", rep.Region, t.ID)
			if err := r.waitTask(ctx, c, t, "stopped", func(task *dmstypes.ReplicationTask) (bool, error) {
				st := aws.ToString(task.Status)
				s = st
				return st != "stopping", nil
			}); err != nil {
				return fmt.Errorf("rollback: %w", err)
			}
		}
		switch s {
		case "stopped", "failed-move":
			// A failed move leaves its task failed-move on the old instance.
			if _, err := c.DMS.StartReplicationTask(ctx, &dms.StartReplicationTaskInput{
				ReplicationTaskArn:       aws.String(t.ARN),
				StartReplicationTaskType: dmstypes.StartReplicationTaskTypeValueResumeProcessing,
			}); err != nil {
				if s != "failed-move" || !invalidState(err) {
					return fmt.Errorf("rollback: restart task %s: %w", t.ID, err)
				}
				r.a.logf("%s: task %s is failed-move on %s and DMS does not restart it yet (%v): it was running before this run; restart it yourself with resume-processing", rep.Region, t.ID, rep.Old.ID, err)
				r.notRestarted = append(r.notRestarted, t.ID)
				continue
			}
			if err := r.a.Journal.Append(Record{Type: RecordRollback, Key: "restarted-task", Value: t.ARN}); err != nil {
				return err
			}
			r.undone("restarted task " + t.ID + " on " + rep.Old.ID)
		}
	}
	arn := r.progress.Notes[noteCreatedInstance(rep)]
	if arn == "" {
		// The crash may have come between CreateReplicationInstance and its
		// note: look for the replacement by name and plan tag.
		ri, err := r.findNewInstance(ctx, c, rep)
		if err != nil {
			return fmt.Errorf("rollback: %w", err)
		}
		if ri == nil {
			return nil
		}
		arn = aws.ToString(ri.ReplicationInstanceArn)
	}
	ri, err := instanceByARN(ctx, c.DMS, arn)
	if err != nil {
		return err
	}
	if ri == nil {
		return nil
	}
	if aws.ToString(ri.ReplicationInstanceStatus) == "creating" {
		if err := r.waitInstanceAvailable(ctx, c, arn, ""); err != nil && !strings.Contains(err.Error(), "failed") {
			return fmt.Errorf("rollback: %w", err)
		}
	}
	if aws.ToString(ri.ReplicationInstanceStatus) != "deleting" {
		if _, err := c.DMS.DeleteReplicationInstance(ctx, &dms.DeleteReplicationInstanceInput{ReplicationInstanceArn: aws.String(arn)}); err != nil && !isNotFound(err) {
			return fmt.Errorf("rollback: delete %s: %w", rep.NewID, err)
		}
	}
	if err := r.waitInstanceGone(ctx, c, arn, rep.NewID); err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	r.undone("deleted instance " + rep.NewID + " (" + arn + ")")
	return r.a.Journal.Append(Record{Type: RecordRollback, Key: "deleted-instance", Value: arn})
}

func (r *run) rollbackKey(ctx context.Context, k KeyPlan) error {
	if k.Mode != KeyCreate {
		return nil
	}
	c, err := r.client(k.Region)
	if err != nil {
		return err
	}
	arn, err := r.findTaggedKey(ctx, c, k)
	if err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	target, ours, err := r.aliasOwner(ctx, c, k)
	if err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	if target != "" && ours {
		if arn == "" {
			if arn, err = r.keyARN(ctx, c, target); err != nil {
				return err
			}
		}
		if _, err := c.KMS.DeleteAlias(ctx, &kms.DeleteAliasInput{AliasName: aws.String(k.Alias)}); err != nil && !isNotFound(err) {
			return fmt.Errorf("rollback: delete alias %s: %w", k.Alias, err)
		}
		r.undone("removed alias " + k.Alias + " in " + k.Region)
	}
	if arn == "" {
		return nil
	}
	_, err = c.KMS.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(arn), PendingWindowInDays: aws.Int32(KeyDeletionWindowDays)})
	if err != nil && !invalidKMSState(err) {
		return fmt.Errorf("rollback: schedule deletion of key %s: %w", arn, err)
	}
	r.undone(fmt.Sprintf("scheduled deletion of key %s in %d days (cancel with: aws kms cancel-key-deletion --region %s --key-id %s)", arn, KeyDeletionWindowDays, k.Region, arn))
	return r.a.Journal.Append(Record{Type: RecordRollback, Key: "scheduled-key-deletion", Value: arn})
}

func invalidKMSState(err error) bool {
	return strings.Contains(err.Error(), "KMSInvalidStateException")
}

func (r *run) configPastDelete(i int) bool {
	for _, s := range r.plan.Steps {
		if s.Config == i && (s.Kind == StepDeleteConfig || s.Kind == StepRenameConfig) && r.progress.Begun[s.ID] {
			return true
		}
	}
	return false
}

// rollbackConfig points a modified config back at its old key, or deletes
// the copy of a started config and restarts the original's replication.
func (r *run) rollbackConfig(ctx context.Context, i int, cp ConfigPlan) error {
	if !r.configBegun(i) {
		return nil
	}
	c, err := r.client(cp.Region)
	if err != nil {
		return err
	}
	if cp.Action == ConfigModify {
		now, err := describeConfig(ctx, c.DMS, cp.Old.ARN)
		if err != nil || now == nil || now.KeyARN == cp.Old.KeyARN {
			return err
		}
		if _, err := c.DMS.ModifyReplicationConfig(ctx, &dms.ModifyReplicationConfigInput{
			ReplicationConfigArn: aws.String(cp.Old.ARN), ComputeConfig: computeConfig(now.Compute, cp.Old.KeyARN),
		}); err != nil {
			return fmt.Errorf("rollback: point serverless config %s back at %s: %w", cp.Old.ID, cp.Old.KeyARN, err)
		}
		r.undone("pointed serverless config " + cp.Old.ID + " back at " + cp.Old.KeyARN)
		return r.a.Journal.Append(Record{Type: RecordRollback, Key: "reverted-config-key", Value: cp.Old.ARN})
	}
	arn := r.progress.Notes[noteNewConfig(cp)]
	if arn == "" {
		rc, err := oneConfig(ctx, c.DMS, "replication-config-id", cp.NewID)
		if err != nil {
			return err
		}
		if rc != nil {
			if ours, err := r.dmsTaggedWithPlan(ctx, c, aws.ToString(rc.ReplicationConfigArn)); err != nil {
				return err
			} else if ours {
				arn = aws.ToString(rc.ReplicationConfigArn)
			}
		}
	}
	if arn != "" {
		if _, err := c.DMS.DeleteReplicationConfig(ctx, &dms.DeleteReplicationConfigInput{ReplicationConfigArn: aws.String(arn)}); err != nil && !isNotFound(err) {
			return fmt.Errorf("rollback: delete serverless config %s: %w", cp.NewID, err)
		}
		if err := r.a.Journal.Append(Record{Type: RecordRollback, Key: "deleted-config", Value: arn}); err != nil {
			return err
		}
		r.undone("deleted serverless config " + cp.NewID)
	}
	if r.progress.Notes[noteConfigWasRunning(cp)] == "true" {
		rep, err := replicationOf(ctx, c.DMS, cp.Old.ARN)
		if err != nil {
			return err
		}
		if rep != nil && aws.ToString(rep.Status) == "stopped" {
			if _, err := c.DMS.StartReplication(ctx, &dms.StartReplicationInput{
				ReplicationConfigArn: aws.String(cp.Old.ARN), StartReplicationType: aws.String("resume-processing"),
			}); err != nil {
				return fmt.Errorf("rollback: restart the replication of %s: %w", cp.Old.ID, err)
			}
			r.undone("restarted the replication of " + cp.Old.ID)
			return r.a.Journal.Append(Record{Type: RecordRollback, Key: "restarted-replication", Value: cp.Old.ARN})
		}
	}
	return nil
}
