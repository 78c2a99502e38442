package remediate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	dmstypes "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
)

// Each step re-reads the world before it acts, so that running it twice has
// the effect of running it once.

// ensureKey makes the region's key ready and journals its ARN. A key to
// create is looked for first by its alias, then by the plan-id tag (a crash
// between CreateKey and CreateAlias leaves a tagged key without alias).
func (r *run) ensureKey(ctx context.Context, c WriteClients, k KeyPlan) error {
	if k.Mode == KeyExisting {
		if err := r.checkKey(ctx, c, k.Region, k.ARN); err != nil {
			return err
		}
		return r.note(noteKey(k.Region), k.ARN)
	}
	target, ours, err := r.aliasOwner(ctx, c, k)
	if err != nil {
		return err
	}
	if target != "" && !ours {
		return fmt.Errorf("alias %s points to a key this plan did not create; refusing to use it", k.Alias)
	}
	if target != "" {
		arn, err := r.keyARN(ctx, c, target)
		if err != nil {
			return err
		}
		return r.note(noteKey(k.Region), arn)
	}
	arn, err := r.findTaggedKey(ctx, c, k)
	if err != nil {
		return err
	}
	if arn == "" {
		// No SDK retry: a retried CreateKey whose first answer was lost
		// makes a second key. The step's own retry looks again first.
		out, err := c.KMS.CreateKey(ctx, createKeyInput(r.plan, k), noKMSRetry)
		if err != nil {
			// The key may have been made and only the answer lost: it
			// carries this plan's tag, so look before saying it failed.
			found, ferr := r.findTaggedKey(ctx, c, k)
			if ferr != nil || found == "" {
				return fmt.Errorf("create key: %w", err)
			}
			r.a.logf("%s: the answer to CreateKey was lost (%v), but the key it made is there, tagged with this plan: using %s", k.Region, err, found)
			arn = found
		} else {
			if out.KeyMetadata == nil {
				return fmt.Errorf("create key: the answer has no key metadata")
			}
			arn = aws.ToString(out.KeyMetadata.Arn)
			if err := r.note(noteCreatedKey(k.Region), arn); err != nil {
				return err
			}
		}
	}
	if _, err := c.KMS.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(k.Alias), TargetKeyId: aws.String(arn)}, noKMSRetry); err != nil {
		// A lost answer: the alias exists and points to our key.
		target, ours, aerr := r.aliasOwner(ctx, c, k)
		if aerr != nil || target == "" || !ours {
			return fmt.Errorf("create alias %s for %s: %w", k.Alias, arn, err)
		}
	}
	if err := r.checkKey(ctx, c, k.Region, arn); err != nil {
		return err
	}
	return r.note(noteKey(k.Region), arn)
}

// checkKey verifies a key can protect DMS data in region.
func (r *run) checkKey(ctx context.Context, c WriteClients, region, ref string) error {
	kf := describeExistingKey(ctx, c.KMS, ref, region)
	return checkExistingKey(kf, region)
}

func (r *run) keyARN(ctx context.Context, c WriteClients, id string) (string, error) {
	out, err := c.KMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
	if err != nil {
		return "", fmt.Errorf("describe key %s: %w", id, err)
	}
	if out.KeyMetadata == nil {
		return "", fmt.Errorf("describe key %s: the answer has no key metadata", id)
	}
	return aws.ToString(out.KeyMetadata.Arn), nil
}

// taggedWithPlan says whether a key carries this plan's id tag.
func (r *run) taggedWithPlan(ctx context.Context, c WriteClients, keyID string) (bool, error) {
	in := &kms.ListResourceTagsInput{KeyId: aws.String(keyID)}
	for {
		out, err := c.KMS.ListResourceTags(ctx, in)
		if err != nil {
			return false, fmt.Errorf("list tags of key %s: %w", keyID, err)
		}
		for _, t := range out.Tags {
			if aws.ToString(t.TagKey) == TagPlanID && aws.ToString(t.TagValue) == r.plan.ID {
				return true, nil
			}
		}
		if !out.Truncated || aws.ToString(out.NextMarker) == "" {
			return false, nil
		}
		in.Marker = out.NextMarker
	}
}

// findTaggedKey finds an Enabled key this plan created for k's alias but
// never aliased (the journal may not know it: the crash may have come before
// the note). Keys whose tags cannot be read are not ours.
func (r *run) findTaggedKey(ctx context.Context, c WriteClients, k KeyPlan) (string, error) {
	if arn := r.progress.Notes[noteCreatedKey(k.Region)]; arn != "" {
		return arn, nil
	}
	in := &kms.ListKeysInput{}
	for {
		out, err := c.KMS.ListKeys(ctx, in)
		if err != nil {
			return "", fmt.Errorf("list keys: %w", err)
		}
		for _, key := range out.Keys {
			ours, err := r.taggedWithPlan(ctx, c, aws.ToString(key.KeyArn))
			if err != nil {
				if accessDenied(err) || isNotFound(err) {
					continue
				}
				return "", err
			}
			if !ours {
				continue
			}
			d, err := c.KMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: key.KeyArn})
			if err != nil {
				return "", fmt.Errorf("describe key %s: %w", aws.ToString(key.KeyArn), err)
			}
			if d.KeyMetadata != nil && d.KeyMetadata.KeyState == kmstypes.KeyStateEnabled {
				arn := aws.ToString(d.KeyMetadata.Arn)
				return arn, r.note(noteCreatedKey(k.Region), arn)
			}
		}
		if !out.Truncated || aws.ToString(out.NextMarker) == "" {
			return "", nil
		}
		in.Marker = out.NextMarker
	}
}

// aliasOwner says where k's alias points ("" when there is no such alias)
// and whether that key carries this plan's tag.
func (r *run) aliasOwner(ctx context.Context, c WriteClients, k KeyPlan) (target string, ours bool, err error) {
	target, err = aliasTarget(ctx, c.KMS, k.Alias)
	if err != nil {
		return "", false, fmt.Errorf("list aliases in %s: %w", k.Region, err)
	}
	if target == "" {
		return "", false, nil
	}
	ours, err = r.taggedWithPlan(ctx, c, target)
	return target, ours, err
}

// aliasTarget returns the key id an alias points to, or "" if there is no such alias.
func aliasTarget(ctx context.Context, c ListAliasesAPI, alias string) (string, error) {
	aliases, err := listAliases(ctx, c)
	if err != nil {
		return "", err
	}
	for _, a := range aliases {
		if aws.ToString(a.AliasName) == alias {
			return aws.ToString(a.TargetKeyId), nil
		}
	}
	return "", nil
}

// createInstance creates the replacement (unless this plan already did) and
// waits until it is available.
func (r *run) createInstance(ctx context.Context, c WriteClients, rep Replacement) error {
	keyARN := r.progress.Notes[noteKey(rep.Region)]
	if keyARN == "" {
		return fmt.Errorf("no key is ready in %s (the key step has not run)", rep.Region)
	}
	ri, err := r.findNewInstance(ctx, c, rep)
	if err != nil {
		return err
	}
	if ri == nil {
		out, err := c.DMS.CreateReplicationInstance(ctx, createInstanceInput(r.plan, rep, keyARN), noDMSRetry)
		if err != nil {
			// The instance may have been made and only the answer lost
			// (a retry would then say it already exists): ours carries
			// this plan's tag.
			found, ferr := r.findNewInstance(ctx, c, rep)
			if ferr != nil || found == nil {
				return fmt.Errorf("create replication instance %s: %w", rep.NewID, err)
			}
			r.a.logf("%s: the answer to CreateReplicationInstance was lost (%v), but %s is there, tagged with this plan: using it", rep.Region, err, rep.NewID)
			ri = found
		} else {
			if out.ReplicationInstance == nil {
				return fmt.Errorf("create replication instance %s: the answer names no instance", rep.NewID)
			}
			arn := aws.ToString(out.ReplicationInstance.ReplicationInstanceArn)
			if err := r.note(noteCreatedInstance(rep), arn); err != nil {
				return err
			}
			ri = out.ReplicationInstance
		}
	}
	arn := aws.ToString(ri.ReplicationInstanceArn)
	if err := r.note(noteInstance(rep), arn); err != nil {
		return err
	}
	return r.waitInstanceAvailable(ctx, c, arn, "")
}

// findNewInstance finds the replacement: by the ARN the journal knows, or by
// its identifier, in which case it must carry this plan's tag.
func (r *run) findNewInstance(ctx context.Context, c WriteClients, rep Replacement) (*dmstypes.ReplicationInstance, error) {
	for _, key := range []string{noteInstance(rep), noteCreatedInstance(rep)} {
		if arn := r.progress.Notes[key]; arn != "" {
			ri, err := instanceByARN(ctx, c.DMS, arn)
			if err != nil || ri != nil {
				return ri, err
			}
		}
	}
	ri, err := instanceByID(ctx, c.DMS, rep.NewID)
	if err != nil {
		return nil, err
	}
	if ri == nil {
		// After the rename, the replacement carries the old identifier
		// (and this plan's tag).
		if rep.FinalID == rep.NewID {
			return nil, nil
		}
		renamed, err := instanceByID(ctx, c.DMS, rep.FinalID)
		if err != nil || renamed == nil || aws.ToString(renamed.ReplicationInstanceArn) == rep.Old.ARN {
			return nil, err
		}
		if ours, err := r.dmsTaggedWithPlan(ctx, c, aws.ToString(renamed.ReplicationInstanceArn)); err != nil || !ours {
			return nil, err
		}
		return renamed, r.note(noteCreatedInstance(rep), aws.ToString(renamed.ReplicationInstanceArn))
	}
	arn := aws.ToString(ri.ReplicationInstanceArn)
	ours, err := r.dmsTaggedWithPlan(ctx, c, arn)
	if err != nil {
		return nil, err
	}
	if ours {
		if err := r.note(noteCreatedInstance(rep), arn); err != nil {
			return nil, err
		}
		return ri, nil
	}
	return nil, fmt.Errorf("an instance named %s exists in %s that this plan did not create; refusing to use or replace it", rep.NewID, rep.Region)
}

// noKMSRetry and noDMSRetry turn off the SDK's retries for one create call:
// a create retried after its answer was lost would make a second resource.
// The step retries instead, after looking for what the first call made.
func noKMSRetry(o *kms.Options) { o.Retryer = aws.NopRetryer{} }
func noDMSRetry(o *dms.Options) { o.Retryer = aws.NopRetryer{} }

// waitInstanceAvailable waits until an instance is available (and, when
// wantID is set, carries that identifier).
func (r *run) waitInstanceAvailable(ctx context.Context, c WriteClients, arn, wantID string) error {
	return r.waitFor(ctx, r.a.InstanceTimeout, "instance "+arn+" to be available", func() error {
		ri, err := instanceByARN(ctx, c.DMS, arn)
		if err != nil {
			return err
		}
		if ri == nil {
			return fmt.Errorf("instance %s disappeared", arn)
		}
		status := aws.ToString(ri.ReplicationInstanceStatus)
		switch status {
		case "available":
			if wantID != "" && aws.ToString(ri.ReplicationInstanceIdentifier) != wantID {
				return errNotYet
			}
			return nil
		case "failed", "incompatible-network", "incompatible-credentials", "storage-full", "deleting", "deleted":
			return fmt.Errorf("instance %s is %s", arn, status)
		}
		return errNotYet
	})
}

// verifyInstanceKey checks, by DescribeKey, that the replacement is
// encrypted with the chosen customer key. Nothing is moved before this passes.
func (r *run) verifyInstanceKey(ctx context.Context, c WriteClients, rep Replacement) error {
	arn := r.progress.Notes[noteInstance(rep)]
	want := r.progress.Notes[noteKey(rep.Region)]
	ri, err := instanceByARN(ctx, c.DMS, arn)
	if err != nil {
		return err
	}
	if ri == nil {
		return fmt.Errorf("replacement %s (%s) does not exist", rep.NewID, arn)
	}
	got := aws.ToString(ri.KmsKeyId)
	out, err := c.KMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(got)})
	if err != nil {
		return fmt.Errorf("describe key %s of %s: %w", got, rep.NewID, err)
	}
	m := out.KeyMetadata
	switch {
	case m == nil:
		return fmt.Errorf("describe key %s of %s: the answer has no key metadata", got, rep.NewID)
	case aws.ToString(m.Arn) != want:
		return fmt.Errorf("replacement %s is encrypted with %s, not the chosen key %s", rep.NewID, aws.ToString(m.Arn), want)
	case m.KeyManager != kmstypes.KeyManagerTypeCustomer:
		return fmt.Errorf("replacement %s's key %s is managed by %s", rep.NewID, want, m.KeyManager)
	case m.KeyState != kmstypes.KeyStateEnabled:
		return fmt.Errorf("replacement %s's key %s is %s", rep.NewID, want, m.KeyState)
	}
	return nil
}

// stopTask stops a running task and remembers, before stopping it, that it
// was running, so that its start step (in this run or a resumed one)
// restarts it.
func (r *run) stopTask(ctx context.Context, c WriteClients, rep Replacement, t Task) error {
	task, err := r.locateTask(ctx, c, rep, t)
	if err != nil {
		return err
	}
	if aws.ToString(task.ReplicationInstanceArn) == r.progress.Notes[noteInstance(rep)] {
		return nil // already moved by an earlier run
	}
	switch status := aws.ToString(task.Status); status {
	case "running", "starting", "resuming":
		if err := r.note(noteWasRunning(t), "true"); err != nil {
			return err
		}
		if _, err := c.DMS.StopReplicationTask(ctx, &dms.StopReplicationTaskInput{ReplicationTaskArn: aws.String(t.ARN)}); err != nil && !invalidState(err) {
			return fmt.Errorf("stop task %s: %w", t.ID, err)
		}
	case "stopping":
	default:
		return nil
	}
	return r.waitTask(ctx, c, t, "stopped", func(task *dmstypes.ReplicationTask) (bool, error) {
		switch s := aws.ToString(task.Status); s {
		case "stopped", "failed", "ready":
			return true, nil
		case "running":
			// A stop sent while the task was still starting or resuming
			// may have been refused: ask again now that it runs.
			if _, err := c.DMS.StopReplicationTask(ctx, &dms.StopReplicationTaskInput{ReplicationTaskArn: aws.String(t.ARN)}); err != nil && !invalidState(err) {
				return false, fmt.Errorf("stop task %s: %w", t.ID, err)
			}
			return false, nil
		case "stopping", "starting", "resuming":
			return false, nil
		default:
			return false, fmt.Errorf("task %s is %s while stopping", t.ID, s)
		}
	})
}

// moveTask moves a task to the replacement (unless it is there already) and
// waits until the move has finished.
func (r *run) moveTask(ctx context.Context, c WriteClients, rep Replacement, t Task) error {
	newARN := r.progress.Notes[noteInstance(rep)]
	task, err := r.locateTask(ctx, c, rep, t)
	if err != nil {
		return err
	}
	if aws.ToString(task.ReplicationInstanceArn) != newARN && aws.ToString(task.Status) != "moving" {
		switch s := aws.ToString(task.Status); s {
		case "stopped", "ready", "failed", "failed-move", "created":
		default:
			return fmt.Errorf("task %s is %s; it must be stopped before it moves", t.ID, s)
		}
		_, err := c.DMS.MoveReplicationTask(ctx, &dms.MoveReplicationTaskInput{
			ReplicationTaskArn:           aws.String(t.ARN),
			TargetReplicationInstanceArn: aws.String(newARN),
		})
		if err != nil {
			return fmt.Errorf("move task %s to %s: %w", t.ID, rep.NewID, err)
		}
	}
	return r.waitTask(ctx, c, t, "moved to "+rep.NewID, func(task *dmstypes.ReplicationTask) (bool, error) {
		s := aws.ToString(task.Status)
		switch {
		case s == "moving":
			return false, nil
		case s == "failed-move":
			return false, fmt.Errorf("task %s failed to move to %s: %s", t.ID, rep.NewID, aws.ToString(task.LastFailureMessage))
		case aws.ToString(task.ReplicationInstanceArn) == newARN:
			return true, nil
		}
		return false, nil
	})
}

// startTask restarts a task that was running before its stop step, with
// resume-processing so that CDC continues from its checkpoint.
func (r *run) startTask(ctx context.Context, c WriteClients, rep Replacement, t Task) error {
	if r.progress.Notes[noteWasRunning(t)] != "true" {
		return nil
	}
	task, err := r.locateTask(ctx, c, rep, t)
	if err != nil {
		return err
	}
	if aws.ToString(task.ReplicationInstanceArn) != r.progress.Notes[noteInstance(rep)] {
		return fmt.Errorf("task %s is not on %s; refusing to start it elsewhere", t.ID, rep.NewID)
	}
	switch aws.ToString(task.Status) {
	case "running":
		return nil
	case "starting", "resuming":
	default:
		_, err := c.DMS.StartReplicationTask(ctx, &dms.StartReplicationTaskInput{
			ReplicationTaskArn:       aws.String(t.ARN),
			StartReplicationTaskType: dmstypes.StartReplicationTaskTypeValueResumeProcessing,
		})
		if err != nil {
			return fmt.Errorf("start task %s: %w", t.ID, err)
		}
	}
	return r.waitTask(ctx, c, t, "running", func(task *dmstypes.ReplicationTask) (bool, error) {
		switch s := aws.ToString(task.Status); s {
		case "running":
			return true, nil
		case "starting", "resuming", "stopped", "ready":
			return false, nil
		default:
			return false, fmt.Errorf("task %s is %s after start: %s", t.ID, s, aws.ToString(task.LastFailureMessage))
		}
	})
}

// locateTask finds a planned task on the old or the new instance; a task
// anywhere else, or nowhere, stops the run: nothing is ever lost silently.
func (r *run) locateTask(ctx context.Context, c WriteClients, rep Replacement, t Task) (*dmstypes.ReplicationTask, error) {
	task, err := taskByARN(ctx, c.DMS, t.ARN)
	if err != nil {
		return nil, err
	}
	if task == nil {
		return nil, fmt.Errorf("task %s (%s) no longer exists: %w", t.ID, t.ARN, errTaskGone)
	}
	on := aws.ToString(task.ReplicationInstanceArn)
	if on != rep.Old.ARN && on != r.progress.Notes[noteInstance(rep)] {
		return nil, fmt.Errorf("task %s is on %s, neither the old instance %s nor its replacement", t.ID, on, rep.Old.ID)
	}
	return task, nil
}

func (r *run) waitTask(ctx context.Context, c WriteClients, t Task, what string, done func(*dmstypes.ReplicationTask) (bool, error)) error {
	return r.waitFor(ctx, r.a.TaskTimeout, "task "+t.ID+" "+what, func() error {
		task, err := taskByARN(ctx, c.DMS, t.ARN)
		if err != nil {
			return err
		}
		if task == nil {
			return fmt.Errorf("task %s (%s) disappeared: %w", t.ID, t.ARN, errTaskGone)
		}
		ok, err := done(task)
		if err != nil {
			return err
		}
		if !ok {
			return errNotYet
		}
		return nil
	})
}

// deleteOld deletes the old instance once nothing is attached to it, and
// waits until it is gone. It first re-reads the instance: one deleted, or
// being deleted, by someone else during the run, or changed since the plan
// (its key, settings or tags), is reported and left alone, and the
// replacement keeps its own identifier rather than take the old one's.
func (r *run) deleteOld(ctx context.Context, c WriteClients, i int, rep Replacement) error {
	ri, err := instanceByARN(ctx, c.DMS, rep.Old.ARN)
	if err != nil {
		return err
	}
	ours := r.progress.Notes[noteDeleteSent(rep)] == "true"
	leave := func(why string) error {
		return &goneError{steps: r.replacementSteps(i, StepDeleteOld, StepRename),
			why: fmt.Sprintf("%s/%s: %s; its tasks are on the replacement %s, which keeps the identifier %s", rep.Region, rep.Old.ID, why, rep.NewID, rep.NewID)}
	}
	if ri == nil {
		if ours {
			return nil
		}
		return leave("the old instance was deleted by someone else during the run (not by cmkguard)")
	}
	status := aws.ToString(ri.ReplicationInstanceStatus)
	if status == "deleting" && !ours {
		return leave("the old instance is being deleted by someone else (not by cmkguard)")
	}
	if status != "deleting" {
		now, err := describeInstance(ctx, c.DMS, *ri)
		if err != nil {
			return err
		}
		settingsOnly := rep
		settingsOnly.Tasks = nil
		now.Tasks = nil
		if diffs := compareInstance(settingsOnly, now); len(diffs) > 0 {
			return leave("the old instance changed during the run (" + strings.Join(diffs, "; ") + "), so it was not deleted")
		}
		tasks, err := listTasks(ctx, c.DMS, rep.Old.ARN)
		if err != nil {
			return fmt.Errorf("list tasks on %s: %w", rep.Old.ID, err)
		}
		if len(tasks) > 0 {
			ids := make([]string, len(tasks))
			for i, t := range tasks {
				ids[i] = aws.ToString(t.ReplicationTaskIdentifier)
			}
			return fmt.Errorf("refusing to delete %s: task(s) %s are still attached to it, though the plan moved all it knew of; move them to %s yourself (or delete them), then resume", rep.Old.ID, strings.Join(ids, ", "), rep.NewID)
		}
		if err := r.note(noteDeleteSent(rep), "true"); err != nil {
			return err
		}
		if _, err := c.DMS.DeleteReplicationInstance(ctx, &dms.DeleteReplicationInstanceInput{ReplicationInstanceArn: aws.String(rep.Old.ARN)}); err != nil && !isNotFound(err) {
			return fmt.Errorf("delete %s: %w", rep.Old.ID, err)
		}
	}
	return r.waitInstanceGone(ctx, c, rep.Old.ARN, rep.Old.ID)
}

func noteDeleteSent(r Replacement) string { return "delete-sent/" + r.Region + "/" + r.Old.ID }

// waitInstanceGone waits until an instance no longer exists.
func (r *run) waitInstanceGone(ctx context.Context, c WriteClients, arn, name string) error {
	return r.waitGone(ctx, r.a.InstanceTimeout, "instance "+name, func() (bool, error) {
		ri, err := instanceByARN(ctx, c.DMS, arn)
		return ri != nil, err
	})
}

// rename gives the replacement the old instance's identifier.
func (r *run) rename(ctx context.Context, c WriteClients, rep Replacement) error {
	arn := r.progress.Notes[noteInstance(rep)]
	ri, err := instanceByARN(ctx, c.DMS, arn)
	if err != nil {
		return err
	}
	if ri == nil {
		return fmt.Errorf("replacement %s (%s) does not exist", rep.NewID, arn)
	}
	if aws.ToString(ri.ReplicationInstanceIdentifier) != rep.Old.ID {
		other, err := instanceByID(ctx, c.DMS, rep.Old.ID)
		if err != nil {
			return err
		}
		if other != nil {
			return fmt.Errorf("identifier %s is still used by %s; refusing to rename", rep.Old.ID, aws.ToString(other.ReplicationInstanceArn))
		}
		_, err = c.DMS.ModifyReplicationInstance(ctx, &dms.ModifyReplicationInstanceInput{
			ReplicationInstanceArn:        aws.String(arn),
			ReplicationInstanceIdentifier: aws.String(rep.Old.ID),
			ApplyImmediately:              true,
		}, noDMSRetry)
		if err != nil {
			// A lost answer: the rename happened if the instance has the name.
			if now, rerr := instanceByARN(ctx, c.DMS, arn); rerr != nil || now == nil || aws.ToString(now.ReplicationInstanceIdentifier) != rep.Old.ID {
				return fmt.Errorf("rename %s to %s: %w", rep.NewID, rep.Old.ID, err)
			}
		}
	}
	return r.waitInstanceAvailable(ctx, c, arn, rep.Old.ID)
}

// errTaskGone says a planned task no longer exists.
var errTaskGone = errors.New("the task was deleted outside this run")

func accessDenied(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && (api.ErrorCode() == "AccessDeniedException" || api.ErrorCode() == "AccessDenied")
}

func invalidState(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "InvalidResourceStateFault"
}
