package remediate

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Check runs, without a journal and without changing anything, the checks a
// fresh apply makes before its first change: the credentials' account,
// that nothing in AWS carries the plan's tag already (another run applied
// it, whatever its journal), and that the world still matches the plan. A
// refused apply thus writes no journal.
func (a *Applier) Check(ctx context.Context, plan *Plan) error {
	a.defaults()
	r := &run{a: a, plan: plan, progress: replay(nil), clients: map[string]WriteClients{}}
	if err := r.checkAccount(ctx); err != nil {
		return err
	}
	found, err := r.planResources(ctx)
	if err != nil {
		return err
	}
	if len(found) > 0 {
		return &PlanInUseError{Plan: plan.ID, Found: found}
	}
	_, err = r.preflight(ctx)
	return err
}

// Recover fills a new journal (created for the plan, nothing else in it)
// from what the world says a run whose journal was lost had done, read by
// the plan's tags: the replacements and serverless copies it created, the
// old instances already gone, the tasks no longer at rest on their old
// instance. Tasks the plan saw running are noted as running before the run
// (the apply that stopped them had checked so), so that resuming restarts
// them and a rollback restarts them. Apply or Rollback then goes on from there.
func (a *Applier) Recover(ctx context.Context) error {
	a.defaults()
	r := &run{a: a, plan: a.Journal.Plan(), progress: a.Journal.Progress(), clients: map[string]WriteClients{}}
	if err := r.checkAccount(ctx); err != nil {
		return err
	}
	if err := r.note("recovered-from-world", "the journal was rebuilt from the plan's tags in AWS"); err != nil {
		return err
	}
	begin := func(id string) error {
		r.progress.Begun[id] = true
		return a.Journal.Append(Record{Type: RecordBegin, Step: id})
	}
	for i, rep := range r.plan.Replacements {
		c, err := r.client(rep.Region)
		if err != nil {
			return err
		}
		for _, t := range rep.Tasks {
			if runs(t.Status) {
				if err := r.note(noteWasRunning(t), "true"); err != nil {
					return err
				}
			}
		}
		ri, err := r.findNewInstance(ctx, c, rep)
		if err != nil {
			return err
		}
		if ri == nil {
			continue
		}
		newARN := aws.ToString(ri.ReplicationInstanceArn)
		if err := r.note(noteInstance(rep), newARN); err != nil {
			return err
		}
		for _, id := range r.replacementSteps(i, StepCreateInstance) {
			if err := begin(id); err != nil {
				return err
			}
		}
		old, err := instanceByARN(ctx, c.DMS, rep.Old.ARN)
		if err != nil {
			return err
		}
		if old == nil || aws.ToString(old.ReplicationInstanceStatus) == "deleting" {
			if err := r.note(noteDeleteSent(rep), "true"); err != nil {
				return err
			}
			for _, id := range r.replacementSteps(i, StepDeleteOld) {
				if err := begin(id); err != nil {
					return err
				}
			}
		}
		for j, t := range rep.Tasks {
			task, err := taskByARN(ctx, c.DMS, t.ARN)
			if err != nil {
				return err
			}
			if task == nil || aws.ToString(task.ReplicationInstanceArn) == rep.Old.ARN && aws.ToString(task.Status) != "moving" {
				continue
			}
			for _, s := range r.plan.Steps {
				if s.Replacement == i && s.Task == j && s.Kind == StepMoveTask {
					if err := begin(s.ID); err != nil {
						return err
					}
				}
			}
		}
	}
	for i, cp := range r.plan.Configs {
		if !cp.Consent || cp.Action != ConfigRecreate {
			continue
		}
		c, err := r.client(cp.Region)
		if err != nil {
			return err
		}
		for _, id := range []string{cp.NewID, cp.FinalID} {
			rc, err := oneConfig(ctx, c.DMS, "replication-config-id", id)
			if err != nil {
				return err
			}
			if rc == nil || aws.ToString(rc.ReplicationConfigArn) == cp.Old.ARN {
				continue
			}
			if ours, err := r.dmsTaggedWithPlan(ctx, c, aws.ToString(rc.ReplicationConfigArn)); err != nil || !ours {
				if err != nil {
					return err
				}
				continue
			}
			if err := r.note(noteNewConfig(cp), aws.ToString(rc.ReplicationConfigArn)); err != nil {
				return err
			}
			for _, s := range r.configStepIDs(i, StepStopConfig, StepCreateConfig) {
				if err := begin(s); err != nil {
					return err
				}
			}
			break
		}
	}
	a.logf("Journal %s rebuilt from what AWS holds for plan %s.", a.Journal.Path(), r.plan.ID)
	return nil
}

func (r *run) checkAccount(ctx context.Context) error {
	id, err := r.a.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fmt.Errorf("sts get-caller-identity: %w", err)
	}
	if acct := aws.ToString(id.Account); acct != r.plan.Account {
		return fmt.Errorf("plan %s was made for account %s, but the credentials are for account %s", r.plan.ID, r.plan.Account, acct)
	}
	return nil
}

// planResources lists, read-only, what in AWS carries this plan's tag:
// keys (in any state), replacements (under their new or final name) and
// serverless copies.
func (r *run) planResources(ctx context.Context) ([]string, error) {
	var found []string
	for _, k := range r.plan.Keys {
		if k.Mode != KeyCreate {
			continue
		}
		c, err := r.client(k.Region)
		if err != nil {
			return nil, err
		}
		keys, err := r.taggedKeys(ctx, c)
		if err != nil {
			return nil, err
		}
		for _, arn := range keys {
			found = append(found, fmt.Sprintf("key %s in %s", arn, k.Region))
		}
	}
	for _, rep := range r.plan.Replacements {
		c, err := r.client(rep.Region)
		if err != nil {
			return nil, err
		}
		for _, id := range []string{rep.NewID, rep.FinalID} {
			ri, err := instanceByID(ctx, c.DMS, id)
			if err != nil {
				return nil, err
			}
			if ri == nil || aws.ToString(ri.ReplicationInstanceArn) == rep.Old.ARN {
				continue
			}
			ours, err := r.dmsTaggedWithPlan(ctx, c, aws.ToString(ri.ReplicationInstanceArn))
			if err != nil {
				return nil, err
			}
			if ours {
				found = append(found, fmt.Sprintf("instance %s in %s", id, rep.Region))
				break
			}
		}
	}
	for _, cp := range r.plan.Configs {
		if !cp.Consent || cp.Action != ConfigRecreate {
			continue
		}
		c, err := r.client(cp.Region)
		if err != nil {
			return nil, err
		}
		rc, err := oneConfig(ctx, c.DMS, "replication-config-id", cp.NewID)
		if err != nil {
			return nil, err
		}
		if rc != nil {
			if ours, err := r.dmsTaggedWithPlan(ctx, c, aws.ToString(rc.ReplicationConfigArn)); err != nil {
				return nil, err
			} else if ours {
				found = append(found, fmt.Sprintf("serverless config %s in %s", cp.NewID, cp.Region))
			}
		}
	}
	return found, nil
}

// taggedKeys lists the keys in a region that carry this plan's tag, in any
// state. Keys whose tags cannot be read are not ours.
func (r *run) taggedKeys(ctx context.Context, c WriteClients) ([]string, error) {
	var out []string
	in := &kms.ListKeysInput{}
	for {
		page, err := c.KMS.ListKeys(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list keys: %w", err)
		}
		for _, key := range page.Keys {
			ours, err := r.taggedWithPlan(ctx, c, aws.ToString(key.KeyArn))
			if err != nil {
				if accessDenied(err) || isNotFound(err) {
					continue
				}
				return nil, err
			}
			if ours {
				out = append(out, aws.ToString(key.KeyArn))
			}
		}
		if !page.Truncated || aws.ToString(page.NextMarker) == "" {
			return out, nil
		}
		in.Marker = page.NextMarker
	}
}
