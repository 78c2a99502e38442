package remediate_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	dmstypes "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/internal/awsemu"
	"github.com/cmkguard/cmkguard/remediate"
)

// failingMoves makes DMS fail task moves the way AWS does when a move
// cannot finish: MoveReplicationTask is accepted, and the task then reports
// failed-move, still on its old instance. The emulator's moves always
// succeed, so this wraps its client. Once healed, moves pass through.
type failingMoves struct {
	remediate.DMSWriter
	*moveFailures
}

// moveFailures is shared by the clients of every region.
type moveFailures struct {
	mu     sync.Mutex
	healed bool
	// refuseStart makes a failed-move task refuse to start (DMS may).
	refuseStart bool
	failed      map[string]bool // task ARN → its last move failed
}

func (f *failingMoves) MoveReplicationTask(ctx context.Context, in *dms.MoveReplicationTaskInput, opts ...func(*dms.Options)) (*dms.MoveReplicationTaskOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.healed {
		delete(f.failed, aws.ToString(in.ReplicationTaskArn))
		return f.DMSWriter.MoveReplicationTask(ctx, in, opts...)
	}
	f.failed[aws.ToString(in.ReplicationTaskArn)] = true
	return &dms.MoveReplicationTaskOutput{}, nil
}

func (f *failingMoves) StartReplicationTask(ctx context.Context, in *dms.StartReplicationTaskInput, opts ...func(*dms.Options)) (*dms.StartReplicationTaskOutput, error) {
	f.mu.Lock()
	if f.refuseStart && f.failed[aws.ToString(in.ReplicationTaskArn)] {
		f.mu.Unlock()
		return nil, &smithy.GenericAPIError{Code: "InvalidResourceStateFault", Message: "the task is failed-move"}
	}
	delete(f.failed, aws.ToString(in.ReplicationTaskArn))
	f.mu.Unlock()
	return f.DMSWriter.StartReplicationTask(ctx, in, opts...)
}

func (f *failingMoves) DescribeReplicationTasks(ctx context.Context, in *dms.DescribeReplicationTasksInput, opts ...func(*dms.Options)) (*dms.DescribeReplicationTasksOutput, error) {
	out, err := f.DMSWriter.DescribeReplicationTasks(ctx, in, opts...)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, t := range out.ReplicationTasks {
		if f.failed[aws.ToString(t.ReplicationTaskArn)] {
			out.ReplicationTasks[i].Status = aws.String("failed-move")
			out.ReplicationTasks[i].LastFailureMessage = aws.String("not enough storage on the target")
		}
	}
	return out, nil
}

// TestATaskThatFailsToMoveStopsTheRunAndCanBeRolledBackOrResumed: a move
// that is refused, or that ends failed-move, leaves the task on its old
// instance. The run must stop there without deleting anything, say that
// rollback is still possible, and both rollback and resume must work.
func TestATaskThatFailsToMoveStopsTheRunAndCanBeRolledBackOrResumed(t *testing.T) {
	t.Parallel()
	const failingStep = "us-east-1/orders/task/orders-cdc/move"
	tests := []struct {
		name    string
		failure string // what the run's error must say
		break_  func(e *env) (heal func())
	}{
		{
			name:    "the move is denied",
			failure: "AccessDeniedException",
			break_: func(e *env) func() {
				e.srv.AddDeny(awsemu.DenyRule{Action: "dms:MoveReplicationTask"})
				return e.srv.ClearDeny
			},
		},
		{
			name:    "the task ends failed-move",
			failure: "failed to move to orders-cmk: not enough storage on the target",
			break_: func(e *env) func() {
				failures := &moveFailures{failed: map[string]bool{}}
				e.wrap = func(c remediate.WriteClients) remediate.WriteClients {
					c.DMS = &failingMoves{DMSWriter: c.DMS, moveFailures: failures}
					return c
				}
				return func() { failures.mu.Lock(); failures.healed = true; failures.mu.Unlock() }
			},
		},
	}
	for _, tt := range tests {
		for _, then := range []string{"rolled back", "resumed"} {
			t.Run(tt.name+", then "+then, func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, estate())
				before := e.world(t)
				p := e.mustPlan(t, func(r *remediate.Request) { r.Targets = onlyRegion(r.Targets, east) })
				heal := tt.break_(e)
				path := filepath.Join(t.TempDir(), "j")
				err := e.apply(t, p, path, nil)
				var stepErr *remediate.StepError
				if !errors.As(err, &stepErr) || stepErr.Step != failingStep || !strings.Contains(err.Error(), tt.failure) {
					t.Fatalf("apply error = %v, want step %s to fail with %q", err, failingStep, tt.failure)
				}
				if stepErr.Moved || !strings.Contains(err.Error(), "--rollback "+path) {
					t.Errorf("the task never left its old instance, yet the error rules out a rollback: %v", err)
				}
				for _, r := range e.srv.MutatingRequests() {
					if r.Action() == "dms:DeleteReplicationInstance" {
						t.Errorf("an instance was deleted after a failed move: %s", r.Resource)
					}
				}
				if got := e.world(t).Tasks; !cmp.Equal(got, []string{
					"us-east-1/orders-cdc on orders: stopped", "us-east-1/orders-full on orders: stopped",
					"us-east-1/orders-new on orders: ready", "us-east-1/reports-cdc on reports: running",
				}) {
					t.Errorf("tasks after the failed move: %v", got)
				}
				heal()
				j, err := remediate.OpenJournal(path, time.Now)
				if err != nil {
					t.Fatal(err)
				}
				defer j.Close()
				if then == "resumed" {
					if err := e.applier(j).Apply(context.Background()); err != nil {
						t.Fatalf("resume: %v", err)
					}
					w := e.world(t)
					if diff := cmp.Diff([]string{
						"us-east-1/orders-cdc on orders: running", "us-east-1/orders-full on orders: stopped",
						"us-east-1/orders-new on orders: ready", "us-east-1/reports-cdc on reports: running",
					}, w.Tasks); diff != "" {
						t.Errorf("tasks after resume (-want +got):\n%s", diff)
					}
					return
				}
				if err := e.applier(j).Rollback(context.Background()); err != nil {
					t.Fatalf("rollback: %v", err)
				}
				checkRolledBack(t, e, before)
			})
		}
	}
}

// TestRollbackRefusesWhileATaskIsMoving: a move step that was interrupted
// while DMS was still moving the task must not be rolled back (the
// replacement it is moving to would be deleted under it).
func TestRollbackRefusesWhileATaskIsMoving(t *testing.T) {
	t.Parallel()
	e := newEnvWithDelay(t, estate(), time.Hour)
	p := e.mustPlan(t, func(r *remediate.Request) { r.Targets = onlyRegion(r.Targets, east) })
	path := filepath.Join(t.TempDir(), "j")
	j, err := remediate.CreateJournal(path, p, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	// Everything before the move completes at once; the move takes an hour.
	e.srv.SetDelay(0)
	a := e.applier(j)
	a.TaskTimeout = 50 * time.Millisecond
	a.Fault = func(step string, at remediate.FaultPoint) error {
		if step == "us-east-1/orders/task/orders-cdc/move" && at == remediate.FaultBeforeAction {
			e.srv.SetDelay(time.Hour)
		}
		return nil
	}
	err = a.Apply(context.Background())
	var stepErr *remediate.StepError
	if !errors.As(err, &stepErr) || !stepErr.Moved || strings.Contains(err.Error(), "--rollback") {
		t.Fatalf("apply error = %v, want a timeout in the move that rules out rollback", err)
	}
	e.srv.ResetLog()
	err = a.Rollback(context.Background())
	j.Close()
	if err == nil || !strings.Contains(err.Error(), "orders-cdc (moving) have begun to move") {
		t.Fatalf("rollback error = %v, want a refusal naming the moving task", err)
	}
	if got := mutating(e); len(got) != 0 {
		t.Errorf("a refused rollback made mutating calls: %v", got)
	}
}

// failedReplacements makes every instance this plan creates end failed, as
// DMS does when it cannot provision one (no capacity, a bad subnet group).
type failedReplacements struct {
	remediate.DMSWriter
}

func (f failedReplacements) DescribeReplicationInstances(ctx context.Context, in *dms.DescribeReplicationInstancesInput, opts ...func(*dms.Options)) (*dms.DescribeReplicationInstancesOutput, error) {
	out, err := f.DMSWriter.DescribeReplicationInstances(ctx, in, opts...)
	if err != nil {
		return nil, err
	}
	for i, ri := range out.ReplicationInstances {
		if strings.HasSuffix(aws.ToString(ri.ReplicationInstanceIdentifier), "-cmk") {
			out.ReplicationInstances[i].ReplicationInstanceStatus = aws.String("failed")
		}
	}
	return out, nil
}

// TestAReplacementThatEndsFailedStopsTheRunBeforeAnyTaskAndRollsBack: no
// task is touched, nothing old is deleted, and rollback removes the failed
// replacement and the key this run created.
func TestAReplacementThatEndsFailedStopsTheRunBeforeAnyTaskAndRollsBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t, estate())
	before := e.world(t)
	p := e.mustPlan(t, func(r *remediate.Request) { r.Targets = onlyRegion(r.Targets, east) })
	e.wrap = func(c remediate.WriteClients) remediate.WriteClients {
		c.DMS = failedReplacements{c.DMS}
		return c
	}
	path := filepath.Join(t.TempDir(), "j")
	err := e.apply(t, p, path, nil)
	var stepErr *remediate.StepError
	if !errors.As(err, &stepErr) || stepErr.Step != "us-east-1/orders/create" || !strings.Contains(err.Error(), "is failed") || stepErr.Moved {
		t.Fatalf("apply error = %v, want the create step to fail with rollback possible", err)
	}
	for _, r := range e.srv.MutatingRequests() {
		switch r.Action() {
		case "dms:StopReplicationTask", "dms:MoveReplicationTask", "dms:DeleteReplicationInstance":
			t.Errorf("%s was called although the replacement failed", r.Action())
		}
	}
	j, err := remediate.OpenJournal(path, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := e.applier(j).Rollback(context.Background()); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	checkRolledBack(t, e, before)
}

// checkRolledBack checks that instances, tasks and aliases are as before
// the run (the run's key is pending deletion: that is the one difference).
func checkRolledBack(t *testing.T, e *env, before world) {
	t.Helper()
	after := e.world(t)
	if diff := cmp.Diff(before.Instances, after.Instances); diff != "" {
		t.Errorf("instances after rollback (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(before.Tasks, after.Tasks); diff != "" {
		t.Errorf("tasks after rollback (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(before.Aliases, after.Aliases); diff != "" {
		t.Errorf("aliases after rollback (-before +after):\n%s", diff)
	}
}

// TestATaskAddedToTheOldInstanceMidRunKeepsItAlive: a task created on the
// old instance after the plan (and after the preflight) is not in the plan;
// the old instance must not be deleted under it.
func TestATaskAddedToTheOldInstanceMidRunKeepsItAlive(t *testing.T) {
	t.Parallel()
	e := newEnv(t, estate())
	p := e.mustPlan(t, func(r *remediate.Request) { r.Targets = onlyRegion(r.Targets, east) })
	ctx := context.Background()
	eps, err := e.dms(east).DescribeEndpoints(ctx, &dms.DescribeEndpointsInput{})
	if err != nil || len(eps.Endpoints) < 2 {
		t.Fatalf("endpoints: %v", err)
	}
	arnOf := map[string]string{}
	for _, ep := range eps.Endpoints {
		arnOf[aws.ToString(ep.EndpointIdentifier)] = aws.ToString(ep.EndpointArn)
	}
	err = e.apply(t, p, filepath.Join(t.TempDir(), "j"), func(step string, at remediate.FaultPoint) error {
		if step != "us-east-1/orders/delete-old" || at != remediate.FaultBeforeAction {
			return nil
		}
		_, err := e.dms(east).CreateReplicationTask(ctx, &dms.CreateReplicationTaskInput{
			ReplicationTaskIdentifier: aws.String("late-task"), ReplicationInstanceArn: aws.String(instanceARN(t, e, east, "orders")),
			SourceEndpointArn: aws.String(arnOf["src"]), TargetEndpointArn: aws.String(arnOf["tgt"]),
			MigrationType: "cdc", TableMappings: aws.String(`{"rules":[]}`),
		})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "refusing to delete orders: task(s) late-task are still attached to it") || !strings.Contains(err.Error(), "move them to orders-cmk") {
		t.Fatalf("apply error = %v, want a refusal to delete orders under late-task", err)
	}
	w := e.world(t)
	if !slices.Contains(w.Tasks, "us-east-1/late-task on orders: ready") {
		t.Errorf("late-task is not on orders any more: %v", w.Tasks)
	}
}

// TestResumeFinishesBegunWorkWhenAnotherInstanceChanged: a run stopped
// after moving a task of orders; then someone modified reports, which the
// run had not begun. The resume must not strand orders' tasks (stopped, or
// split between two instances) because of reports: it finishes orders,
// leaves reports alone, and says so.
func TestResumeFinishesBegunWorkWhenAnotherInstanceChanged(t *testing.T) {
	t.Parallel()
	e := newEnv(t, estate())
	p := e.mustPlan(t, func(r *remediate.Request) { r.Targets = onlyRegion(r.Targets, east) })
	path := filepath.Join(t.TempDir(), "j")
	injected := errors.New("injected crash")
	err := e.apply(t, p, path, func(step string, at remediate.FaultPoint) error {
		if step == "us-east-1/orders/task/orders-cdc/move" && at == remediate.FaultAfterDone {
			return injected
		}
		return nil
	})
	if !errors.Is(err, injected) {
		t.Fatalf("apply error = %v", err)
	}
	if _, err := e.dms(east).ModifyReplicationInstance(context.Background(), &dms.ModifyReplicationInstanceInput{
		ReplicationInstanceArn: aws.String(instanceARN(t, e, east, "reports")), ReplicationInstanceClass: aws.String("dms.t3.large"), ApplyImmediately: true,
	}); err != nil {
		t.Fatal(err)
	}
	for _, attempt := range []string{"first resume", "second resume"} {
		e.srv.ResetLog()
		err = e.resume(t, path)
		var drift *remediate.DriftError
		if !errors.As(err, &drift) || !strings.Contains(err.Error(), "reports: class was dms.r5.large, is now dms.t3.large") || !strings.Contains(err.Error(), "the work not begun was left alone") {
			t.Fatalf("%s: error = %v, want the drift of reports", attempt, err)
		}
		for _, r := range e.srv.MutatingRequests() {
			if strings.Contains(r.Resource, "reports") || r.Action() == "dms:CreateReplicationInstance" {
				t.Errorf("%s: %s %s touched work the run had not begun", attempt, r.Action(), r.Resource)
			}
		}
	}
	w := e.world(t)
	if diff := cmp.Diff([]string{
		"us-east-1/orders-cdc on orders: running", "us-east-1/orders-full on orders: stopped",
		"us-east-1/orders-new on orders: ready", "us-east-1/reports-cdc on reports: running",
	}, w.Tasks); diff != "" {
		t.Errorf("tasks (-want +got):\n%s", diff)
	}
	for _, in := range w.Instances {
		if strings.HasPrefix(in, "us-east-1/orders ") && !strings.Contains(in, "key=CUSTOMER") || strings.HasPrefix(in, "us-east-1/reports-cmk") {
			t.Errorf("instance %s: want orders replaced and reports untouched", in)
		}
	}
}

// refusesToStopStartingTasks answers StopReplicationTask on a task that is
// still starting with InvalidResourceStateFault, as DMS may.
type refusesToStopStartingTasks struct {
	remediate.DMSWriter
}

func (f refusesToStopStartingTasks) StopReplicationTask(ctx context.Context, in *dms.StopReplicationTaskInput, opts ...func(*dms.Options)) (*dms.StopReplicationTaskOutput, error) {
	out, err := f.DescribeReplicationTasks(ctx, &dms.DescribeReplicationTasksInput{
		Filters: []dmstypes.Filter{{Name: aws.String("replication-task-arn"), Values: []string{aws.ToString(in.ReplicationTaskArn)}}},
	})
	if err == nil && len(out.ReplicationTasks) == 1 && aws.ToString(out.ReplicationTasks[0].Status) == "starting" {
		return nil, &smithy.GenericAPIError{Code: "InvalidResourceStateFault", Message: "the task is starting"}
	}
	return f.DMSWriter.StopReplicationTask(ctx, in, opts...)
}

// TestATaskCaughtStartingIsStoppedOnceItRuns: a task that is starting when
// its stop step runs cannot be stopped yet; the step must stop it once it
// runs, not wait for "stopped" until the timeout while it runs on.
func TestATaskCaughtStartingIsStoppedOnceItRuns(t *testing.T) {
	t.Parallel()
	e := newEnv(t, estate())
	p := e.mustPlan(t, func(r *remediate.Request) { r.Targets = onlyRegion(r.Targets, east) })
	e.wrap = func(c remediate.WriteClients) remediate.WriteClients {
		c.DMS = refusesToStopStartingTasks{c.DMS}
		return c
	}
	ctx := context.Background()
	fullARN := plannedTaskARN(t, p, "orders-full")
	path := filepath.Join(t.TempDir(), "j")
	j, err := remediate.CreateJournal(path, p, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	a := e.applier(j)
	a.TaskTimeout = 5 * time.Second // bounds the run if the stop is never re-sent
	a.Fault = func(step string, at remediate.FaultPoint) error {
		if step != "us-east-1/orders/task/orders-full/stop" || at != remediate.FaultBeforeAction {
			return nil
		}
		// Someone starts the stopped task just before its stop step.
		e.srv.SetDelay(50 * time.Millisecond)
		_, err := e.dms(east).StartReplicationTask(ctx, &dms.StartReplicationTaskInput{
			ReplicationTaskArn: aws.String(fullARN), StartReplicationTaskType: dmstypes.StartReplicationTaskTypeValueResumeProcessing,
		})
		return err
	}
	if err := a.Apply(ctx); err != nil {
		t.Fatalf("apply: %v", err)
	}
	w := e.world(t)
	if !slices.Contains(w.Tasks, "us-east-1/orders-full on orders: running") {
		t.Errorf("orders-full, running when its stop step came, is not running on the replacement: %v", w.Tasks)
	}
}

// TestRollbackRefusesWhenATaskWasMovedOntoTheReplacementByHand: the run
// failed before moving anything, then someone moved a task onto the
// replacement by hand. Rollback must not delete the replacement under it.
func TestRollbackRefusesWhenATaskWasMovedOntoTheReplacementByHand(t *testing.T) {
	t.Parallel()
	e := newEnv(t, estate())
	p := e.mustPlan(t, func(r *remediate.Request) { r.Targets = onlyRegion(r.Targets, east) })
	e.srv.AddDeny(awsemu.DenyRule{Action: "dms:StopReplicationTask"})
	path := filepath.Join(t.TempDir(), "j")
	if err := e.apply(t, p, path, nil); err == nil || !strings.Contains(err.Error(), "--rollback") {
		t.Fatalf("apply error = %v, want a failure that offers rollback", err)
	}
	e.srv.ClearDeny()
	ctx := context.Background()
	fullARN := plannedTaskARN(t, p, "orders-full")
	if _, err := e.dms(east).MoveReplicationTask(ctx, &dms.MoveReplicationTaskInput{
		ReplicationTaskArn: aws.String(fullARN), TargetReplicationInstanceArn: aws.String(instanceARN(t, e, east, "orders-cmk")),
	}); err != nil {
		t.Fatal(err)
	}
	j, err := remediate.OpenJournal(path, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	e.srv.ResetLog()
	err = e.applier(j).Rollback(ctx)
	if err == nil || !strings.Contains(err.Error(), "task(s) orders-full are on a replacement this run created") {
		t.Fatalf("rollback error = %v, want a refusal naming orders-full", err)
	}
	if got := mutating(e); len(got) != 0 {
		t.Errorf("a refused rollback made mutating calls: %v", got)
	}
}

// TestAnAliasRetargetedAfterThePlanDoesNotChangeTheKey: the plan records
// the key its --kms-key alias named when it was made and reviewed; apply
// uses that key, not whatever the alias points to by then.
func TestAnAliasRetargetedAfterThePlanDoesNotChangeTheKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t, estate())
	p := e.mustPlan(t, func(r *remediate.Request) {
		r.Targets = onlyRegion(r.Targets, east)
		r.Key = remediate.KeyRequest{Existing: "alias/existing"}
		r.DeleteOld, r.KeepIdentifier = false, false
	})
	planned := "arn:aws:kms:us-east-1:111122223333:key/11111111-1111-1111-1111-111111111111"
	if k, _ := p.KeyFor(east); k.ARN != planned {
		t.Fatalf("the plan's key is %s, want %s", k.ARN, planned)
	}
	ctx := context.Background()
	other, err := e.kms(east).CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("someone else's key")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.kms(east).DeleteAlias(ctx, &kms.DeleteAliasInput{AliasName: aws.String("alias/existing")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.kms(east).CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/existing"), TargetKeyId: other.KeyMetadata.Arn}); err != nil {
		t.Fatal(err)
	}
	if err := e.apply(t, p, filepath.Join(t.TempDir(), "j"), nil); err != nil {
		t.Fatalf("apply: %v", err)
	}
	for _, id := range []string{"orders-cmk", "reports-cmk"} {
		out, err := e.dms(east).DescribeReplicationInstances(ctx, &dms.DescribeReplicationInstancesInput{
			Filters: []dmstypes.Filter{{Name: aws.String("replication-instance-id"), Values: []string{id}}},
		})
		if err != nil || len(out.ReplicationInstances) != 1 {
			t.Fatalf("%s: %v", id, err)
		}
		if got := aws.ToString(out.ReplicationInstances[0].KmsKeyId); got != planned {
			t.Errorf("%s is encrypted with %s, want the planned key %s", id, got, planned)
		}
	}
}

// TestRollbackSaysWhichFailedMoveTaskDMSWouldNotRestart: when DMS refuses
// to restart a task left failed-move, rollback still removes what the run
// created, and then fails naming the task to restart by hand.
func TestRollbackSaysWhichFailedMoveTaskDMSWouldNotRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, estate())
	p := e.mustPlan(t, func(r *remediate.Request) { r.Targets = onlyRegion(r.Targets, east) })
	failures := &moveFailures{failed: map[string]bool{}, refuseStart: true}
	e.wrap = func(c remediate.WriteClients) remediate.WriteClients {
		c.DMS = &failingMoves{DMSWriter: c.DMS, moveFailures: failures}
		return c
	}
	path := filepath.Join(t.TempDir(), "j")
	if err := e.apply(t, p, path, nil); err == nil || !strings.Contains(err.Error(), "failed to move") {
		t.Fatalf("apply error = %v, want a failed move", err)
	}
	j, err := remediate.OpenJournal(path, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	err = e.applier(j).Rollback(context.Background())
	if err == nil || !strings.Contains(err.Error(), "DMS would not restart task(s) orders-cdc") {
		t.Fatalf("rollback error = %v, want it to name orders-cdc", err)
	}
	if w := e.world(t); slices.ContainsFunc(w.Instances, func(s string) bool { return strings.Contains(s, "-cmk ") }) {
		t.Errorf("a replacement is left after the rollback: %v", w.Instances)
	}
	if !j.Progress().RolledBack {
		t.Error("the journal does not say it was rolled back")
	}
}

// TestAPlanReappliedAfterItsJournalWasLostDoesNotForgetARunningTask: the
// journal of a run that stopped orders-cdc is lost; the plan applied again
// with a fresh journal would find orders-cdc stopped and, not knowing it
// ran, never restart it. The apply must refuse instead.
func TestAPlanReappliedAfterItsJournalWasLostDoesNotForgetARunningTask(t *testing.T) {
	t.Parallel()
	e := newEnv(t, estate())
	p := e.mustPlan(t, func(r *remediate.Request) { r.Targets = onlyRegion(r.Targets, east) })
	dir := t.TempDir()
	injected := errors.New("injected crash")
	err := e.apply(t, p, filepath.Join(dir, "lost"), func(step string, at remediate.FaultPoint) error {
		if step == "us-east-1/orders/task/orders-cdc/stop" && at == remediate.FaultAfterDone {
			return injected
		}
		return nil
	})
	if !errors.Is(err, injected) {
		t.Fatalf("apply error = %v", err)
	}
	e.srv.ResetLog()
	err = e.apply(t, p, filepath.Join(dir, "fresh"), nil)
	if err == nil || !strings.Contains(err.Error(), "orders: task orders-cdc was running, is now stopped") {
		t.Fatalf("apply with a fresh journal: err = %v, want a refusal naming orders-cdc", err)
	}
	if got := mutating(e); len(got) != 0 {
		t.Errorf("the refused apply made mutating calls: %v", got)
	}
}
