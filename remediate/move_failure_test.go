package remediate_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
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
	failed map[string]bool // task ARN → its last move failed
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
			failure: "AccessDeniedFault",
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
				after := e.world(t)
				if diff := cmp.Diff(before.Instances, after.Instances); diff != "" {
					t.Errorf("instances after rollback (-before +after):\n%s", diff)
				}
				if diff := cmp.Diff(before.Tasks, after.Tasks); diff != "" {
					t.Errorf("tasks after rollback (-before +after):\n%s", diff)
				}
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
