package remediate_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"slices"
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

// The remediation items of issue 8, each through the real SDK against the
// emulator.

// stopThenCrash forwards StopReplicationTask and then fails, as a run
// killed right after its stop call would: the task is left stopping.
type stopThenCrash struct {
	remediate.DMSWriter
}

var errCrashed = errors.New("injected crash after the call")

func (f stopThenCrash) StopReplicationTask(ctx context.Context, in *dms.StopReplicationTaskInput, opts ...func(*dms.Options)) (*dms.StopReplicationTaskOutput, error) {
	if _, err := f.DMSWriter.StopReplicationTask(ctx, in, opts...); err != nil {
		return nil, err
	}
	return nil, errCrashed
}

// Item 11: a task left stopping by an interrupted run is waited for and
// restarted by the rollback.
func TestRollbackRestartsATaskThatWasStoppingWhenTheRunWasInterrupted(t *testing.T) {
	t.Parallel()
	e := newEnvWithDelay(t, estate(), 400*time.Millisecond)
	before := e.world(t)
	p := e.mustPlan(t, func(r *remediate.Request) { r.Targets = onlyRegion(r.Targets, east) })
	e.wrap = func(c remediate.WriteClients) remediate.WriteClients {
		c.DMS = stopThenCrash{c.DMS}
		return c
	}
	path := filepath.Join(t.TempDir(), "j")
	if err := e.apply(t, p, path, nil); !errors.Is(err, errCrashed) {
		t.Fatalf("apply error = %v, want the injected crash", err)
	}
	e.wrap = nil
	if w := e.world(t); !slices.Contains(w.Tasks, "us-east-1/orders-cdc on orders: stopping") {
		t.Fatalf("the test needs orders-cdc stopping; tasks: %v", w.Tasks)
	}
	j, err := remediate.OpenJournal(path, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	var log strings.Builder
	a := e.applier(j)
	a.Log = &log
	if err := a.Rollback(context.Background()); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	checkRolledBack(t, e, before)
	for _, want := range []string{"rollback: restarted task orders-cdc on orders", "rollback: deleted instance orders-cmk", "rollback: removed alias alias/dms-cmk in us-east-1", "rollback: scheduled deletion of key arn:aws:kms:us-east-1:"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the rollback's log does not say %q:\n%s", want, log.String())
		}
	}
}

// Item 11: a refused delete during rollback says what was undone and what
// really remains.
func TestARollbackRefusedADeleteSaysWhatRemains(t *testing.T) {
	t.Parallel()
	e := newEnv(t, estate())
	p := e.mustPlan(t, func(r *remediate.Request) { r.Targets = onlyRegion(r.Targets, east) })
	path := filepath.Join(t.TempDir(), "j")
	injected := errors.New("injected crash")
	err := e.apply(t, p, path, func(step string, at remediate.FaultPoint) error {
		if step == "us-east-1/orders/task/orders-cdc/stop" && at == remediate.FaultAfterDone {
			return injected
		}
		return nil
	})
	if !errors.Is(err, injected) {
		t.Fatalf("apply error = %v", err)
	}
	e.srv.AddDeny(awsemu.DenyRule{Action: "dms:DeleteReplicationInstance"})
	j, err := remediate.OpenJournal(path, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	err = e.applier(j).Rollback(context.Background())
	var rb *remediate.RollbackError
	if !errors.As(err, &rb) {
		t.Fatalf("rollback error = %v, want a RollbackError", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"undone: restarted task orders-cdc on orders",
		"still there: us-east-1: instance orders-cmk (arn:aws:dms:us-east-1:111122223333:rep:",
		"still there: us-east-1: alias alias/dms-cmk",
		"still there: us-east-1: key arn:aws:kms:us-east-1:111122223333:key/",
		"--rollback " + path,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the rollback error does not say %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "still there: us-east-1: task orders-cdc") {
		t.Errorf("the error says orders-cdc remains stopped, but it was restarted:\n%s", msg)
	}
}

// Item 14: an old instance deleted by someone else mid-run is reported; the
// replacement does not take its name.
func TestAnOldInstanceDeletedBySomeoneElseMidRunIsReportedNotReplacedUnderItsName(t *testing.T) {
	t.Parallel()
	e := newEnvWithDelay(t, estate(), 20*time.Millisecond)
	p := e.mustPlan(t, nil)
	err := e.apply(t, p, filepath.Join(t.TempDir(), "j"), func(step string, at remediate.FaultPoint) error {
		if step != "eu-west-1/billing/delete-old" || at != remediate.FaultBeforeAction {
			return nil
		}
		_, err := e.dms(west).DeleteReplicationInstance(context.Background(), &dms.DeleteReplicationInstanceInput{
			ReplicationInstanceArn: aws.String(instanceARN(t, e, west, "billing")),
		})
		return err
	})
	var warned *remediate.FinishedWithWarningsError
	if !errors.As(err, &warned) || !strings.Contains(err.Error(), "eu-west-1/billing: the old instance is being deleted by someone else") {
		t.Fatalf("apply error = %v, want it to report billing deleted by someone else", err)
	}
	w := e.world(t)
	if !slices.ContainsFunc(w.Instances, func(s string) bool {
		return strings.HasPrefix(s, "eu-west-1/billing-cmk key=CUSTOMER status=available")
	}) {
		t.Errorf("the replacement billing-cmk is not there: %v", w.Instances)
	}
	if slices.ContainsFunc(w.Instances, func(s string) bool { return strings.HasPrefix(s, "eu-west-1/billing ") }) {
		t.Errorf("an instance took the deleted instance's name: %v", w.Instances)
	}
	// The rest of the plan was finished.
	if !slices.ContainsFunc(w.Instances, func(s string) bool { return strings.HasPrefix(s, "us-east-1/orders key=CUSTOMER") }) {
		t.Errorf("orders was not replaced: %v", w.Instances)
	}
}

// Item 15: a planned task deleted mid-run is skipped with a warning, the
// rest finishes, and resuming afterwards does not send the user back.
func TestAPlannedTaskDeletedMidRunIsSkippedWithAWarning(t *testing.T) {
	t.Parallel()
	e := newEnv(t, estate())
	p := e.mustPlan(t, func(r *remediate.Request) { r.Targets = onlyRegion(r.Targets, east) })
	taskARN := plannedTaskARN(t, p, "orders-full")
	path := filepath.Join(t.TempDir(), "j")
	injected := errors.New("injected crash")
	err := e.apply(t, p, path, func(step string, at remediate.FaultPoint) error {
		if step == "us-east-1/orders/task/orders-full/stop" && at == remediate.FaultBeforeAction {
			if _, err := e.dms(east).DeleteReplicationTask(context.Background(), &dms.DeleteReplicationTaskInput{ReplicationTaskArn: aws.String(taskARN)}); err != nil {
				t.Fatal(err)
			}
			return injected
		}
		return nil
	})
	if !errors.Is(err, injected) {
		t.Fatalf("apply error = %v", err)
	}
	err = e.resume(t, path)
	var warned *remediate.FinishedWithWarningsError
	if !errors.As(err, &warned) || !strings.Contains(err.Error(), "task orders-full was deleted by someone else during the run") {
		t.Fatalf("resume error = %v, want a warning about orders-full", err)
	}
	w := e.world(t)
	for _, want := range []string{"us-east-1/orders-cdc on orders: running", "us-east-1/orders-new on orders: ready", "us-east-1/reports-cdc on reports: running"} {
		if !slices.Contains(w.Tasks, want) {
			t.Errorf("task %q missing after the run: %v", want, w.Tasks)
		}
	}
	if err := e.resume(t, path); err != nil {
		t.Errorf("resuming a finished journal: %v (it must not send the user round again)", err)
	}
}

// Item 15: an instance deleted after the plan was made is skipped with a
// warning and the rest applied; its region gets no key.
func TestAPlannedInstanceDeletedBeforeTheRunIsSkippedWithAWarning(t *testing.T) {
	t.Parallel()
	e := newEnv(t, estate())
	p := e.mustPlan(t, nil)
	if _, err := e.dms(west).DeleteReplicationInstance(context.Background(), &dms.DeleteReplicationInstanceInput{
		ReplicationInstanceArn: aws.String(instanceARN(t, e, west, "billing")),
	}); err != nil {
		t.Fatal(err)
	}
	err := e.apply(t, p, filepath.Join(t.TempDir(), "j"), nil)
	if err == nil || !strings.Contains(err.Error(), "eu-west-1: instance billing no longer exists") {
		t.Fatalf("apply error = %v, want a warning naming billing", err)
	}
	w := e.world(t)
	if slices.Contains(w.Aliases, "eu-west-1 alias/dms-cmk") {
		t.Errorf("a key was made in eu-west-1, where nothing was left to fix: %v", w.Aliases)
	}
	if !slices.ContainsFunc(w.Instances, func(s string) bool { return strings.HasPrefix(s, "us-east-1/orders key=CUSTOMER") }) {
		t.Errorf("orders was not replaced: %v", w.Instances)
	}
}

// loseAnswers is an http.RoundTripper that lets a request through and then
// drops its answer, once for each action named: the action happened, the
// caller cannot know.
type loseAnswers struct {
	next http.RoundTripper
	mu   sync.Mutex
	lose map[string]bool // X-Amz-Target suffix or DMS action → still to lose
	lost []string
}

func (l *loseAnswers) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	target := req.Header.Get("X-Amz-Target")
	action := target[strings.LastIndex(target, ".")+1:]
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lose[action] && resp.StatusCode == http.StatusOK {
		l.lose[action] = false
		l.lost = append(l.lost, action)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil, errors.New("connection reset by peer (answer lost by the test)")
	}
	return resp, nil
}

// Item 16: lost answers to CreateKey, CreateAlias, CreateReplicationInstance
// and the rename are recognised as this plan's own work and adopted: one
// key, one instance each, no conflict.
func TestLostAnswersToCreateCallsAreAdoptedNotDuplicated(t *testing.T) {
	t.Parallel()
	e := newEnv(t, estate())
	before := e.world(t)
	p := e.mustPlan(t, nil)
	lose := &loseAnswers{next: http.DefaultTransport, lose: map[string]bool{
		"CreateKey": true, "CreateAlias": true, "CreateReplicationInstance": true, "ModifyReplicationInstance": true,
	}}
	e.cfg.HTTPClient = &http.Client{Transport: lose}
	var log strings.Builder
	j, err := remediate.CreateJournal(filepath.Join(t.TempDir(), "j"), p, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	a := e.applier(j)
	a.Log = &log
	if err := a.Apply(context.Background()); err != nil {
		t.Fatalf("apply with lost answers: %v\n%s", err, log.String())
	}
	if len(lose.lost) != 4 {
		t.Fatalf("answers lost: %v, want one of each create call and the rename", lose.lost)
	}
	e.cfg.HTTPClient = nil
	checkFinal(t, e, before) // exactly one key per region, every instance once
	creates := map[string]int{}
	for _, r := range e.srv.MutatingRequests() {
		if r.OK() && (r.Action() == "kms:CreateKey" || r.Action() == "dms:CreateReplicationInstance") {
			creates[r.Region+" "+r.Action()]++
		}
	}
	want := map[string]int{
		"us-east-1 kms:CreateKey": 1, "eu-west-1 kms:CreateKey": 1,
		"us-east-1 dms:CreateReplicationInstance": 2, "eu-west-1 dms:CreateReplicationInstance": 1,
	}
	if diff := cmp.Diff(want, creates); diff != "" {
		t.Errorf("successful creates (-want +got):\n%s", diff)
	}
}

// Item 18: an identifier of 60 or more characters gets a valid replacement name.
func TestLongIdentifiersGetAValidReplacementName(t *testing.T) {
	t.Parallel()
	long60 := "a" + strings.Repeat("b", 58) + "c"         // 60
	long63 := "orders-" + strings.Repeat("x", 55) + "z"   // 63
	hyphen := "billing-" + strings.Repeat("y", 53) + "-q" // hyphen where it is cut
	prefixA, prefixB := strings.Repeat("p", 62)+"a", strings.Repeat("p", 62)+"b"
	seen := map[string]bool{}
	for _, id := range []string{long60, long63, hyphen, prefixA, prefixB} {
		name := remediate.ExpandName(remediate.DefaultNameTemplate, id, east)
		if err := remediate.ValidateIdentifier(name); err != nil {
			t.Errorf("%s → %s: %v", id, name, err)
		}
		if !strings.HasSuffix(name, "-cmk") {
			t.Errorf("%s → %s: the template's suffix is lost", id, name)
		}
		if seen[name] {
			t.Errorf("%s → %s: the same name as another identifier", id, name)
		}
		seen[name] = true
	}
	if got := remediate.ExpandName(remediate.DefaultNameTemplate, "orders", east); got != "orders-cmk" {
		t.Errorf("a short identifier is renamed %s, want orders-cmk", got)
	}
	// And the emulator (held to DMS's rules) accepts the replacement.
	e := newEnv(t, estate())
	if _, err := e.dms(east).CreateReplicationInstance(context.Background(), &dms.CreateReplicationInstanceInput{
		ReplicationInstanceIdentifier: aws.String(long63), ReplicationInstanceClass: aws.String("dms.t3.medium"), AllocatedStorage: aws.Int32(50),
	}); err != nil {
		t.Fatal(err)
	}
	p := e.mustPlan(t, func(r *remediate.Request) { r.Targets = onlyRegion(r.Targets, east) })
	if err := e.apply(t, p, filepath.Join(t.TempDir(), "j"), nil); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if arn := instanceARN(t, e, east, long63); arn == "" {
		t.Errorf("the long-named instance is not back under its name")
	}
}

// Item 16: a lost answer to CreateReplicationConfig (and to the config's
// rename) is adopted: one copy, no conflict.
func TestALostAnswerToCreateReplicationConfigIsAdopted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, serverlessEstate())
	p := e.mustPlan(t, serverlessRequest(e, t, true))
	lose := &loseAnswers{next: http.DefaultTransport, lose: map[string]bool{"CreateReplicationConfig": true}}
	e.cfg.HTTPClient = &http.Client{Transport: lose}
	if err := e.apply(t, p, filepath.Join(t.TempDir(), "j"), nil); err != nil {
		t.Fatalf("apply with a lost answer: %v", err)
	}
	if len(lose.lost) != 1 {
		t.Fatalf("answers lost: %v", lose.lost)
	}
	e.cfg.HTTPClient = nil
	want := []string{"fresh key=CUSTOMER replication=created capacity=0-4", "live key=CUSTOMER replication=created capacity=2-8"}
	if diff := cmp.Diff(want, e.configs(t)); diff != "" {
		t.Errorf("configs (-want +got):\n%s", diff)
	}
}
