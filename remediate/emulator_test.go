package remediate_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	dmstypes "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/adapt/awslive"
	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/internal/awsemu"
	"github.com/cmkguard/cmkguard/remediate"
	"github.com/cmkguard/cmkguard/rule"
)

const (
	account      = "111122223333"
	otherAccount = "444455556666"
	east         = "us-east-1"
	west         = "eu-west-1"
)

// estate has, in two regions: an instance with a running, a stopped and a
// never-started task; an instance with one running task; a Multi-AZ
// instance with no task; a compliant instance that must not be touched;
// and keys for the bad-input cases.
func estate() awsemu.Estate {
	ep := func(id, region, typ string) awsemu.EstateEndpoint {
		return awsemu.EstateEndpoint{ID: id, Region: region, Type: typ, Engine: map[string]string{"source": "mysql", "target": "postgres"}[typ]}
	}
	task := func(id, instance, status string) awsemu.EstateReplicationTask {
		return awsemu.EstateReplicationTask{ID: id, Region: east, Instance: instance, Source: "src", Target: "tgt", Status: status}
	}
	return awsemu.Estate{
		DefaultAccount: account,
		Accounts:       []awsemu.EstateAccount{{ID: account}, {ID: otherAccount}},
		Credentials:    []awsemu.EstateCredential{{AccessKeyID: "AKIAOTHERACCOUNT", Account: otherAccount}},
		Keys: []awsemu.EstateKey{
			{ID: "11111111-1111-1111-1111-111111111111", Region: east, Aliases: []string{"alias/existing"}},
			{ID: "22222222-2222-2222-2222-222222222222", Region: east, Aliases: []string{"alias/disabled"}, State: "Disabled"},
			{ID: "33333333-3333-3333-3333-333333333333", Region: west, Aliases: []string{"alias/existing"}},
			{ID: "44444444-4444-4444-4444-444444444444", Region: east, Manager: "AWS", Aliases: []string{"alias/aws/dms"}},
		},
		ReplicationInstances: []awsemu.EstateReplicationInstance{
			{ID: "orders", Region: east, Class: "dms.t3.medium", AllocatedStorage: 50, EngineVersion: "3.5.2", AvailabilityZone: "us-east-1a",
				VpcSecurityGroupIDs: []string{"sg-0a1"}, PreferredMaintenanceWindow: "sun:06:00-sun:06:30", Tags: map[string]string{"team": "orders"}},
			{ID: "reports", Region: east, Class: "dms.r5.large", AllocatedStorage: 100, EngineVersion: "3.5.1"},
			{ID: "billing", Region: west, Class: "dms.t3.large", AllocatedStorage: 20, EngineVersion: "3.4.7", MultiAZ: true},
			{ID: "compliant", Region: east, Class: "dms.t3.small", AllocatedStorage: 100, EngineVersion: "3.5.2", KmsKey: "alias/existing"},
		},
		Endpoints: []awsemu.EstateEndpoint{ep("src", east, "source"), ep("tgt", east, "target")},
		ReplicationTasks: []awsemu.EstateReplicationTask{
			task("orders-cdc", "orders", "running"),
			task("orders-full", "orders", "stopped"),
			task("orders-new", "orders", "ready"),
			task("reports-cdc", "reports", "running"),
		},
	}
}

// env is one emulator and SDK clients pointed at it.
type env struct {
	srv *awsemu.Server
	cfg aws.Config
	url string
	// wrap, when set, wraps the clients Apply uses (a fake over the emulator).
	wrap func(remediate.WriteClients) remediate.WriteClients
}

func newEnv(t testing.TB, e awsemu.Estate) *env {
	t.Helper()
	return newEnvWithDelay(t, e, 0)
}

// newEnvWithDelay makes every status change (creating → available, moving
// → stopped, …) take delay, so that waits really wait.
func newEnvWithDelay(t testing.TB, e awsemu.Estate, delay time.Duration) *env {
	t.Helper()
	srv := awsemu.New(awsemu.Options{DefaultAccount: account, Delay: delay})
	if err := srv.LoadEstate(&e); err != nil {
		t.Fatalf("load estate: %v", err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &env{srv: srv, cfg: sdkConfig(ts.URL, "AKIATEST"), url: ts.URL}
}

func sdkConfig(url, accessKey string) aws.Config {
	return aws.Config{
		Region:       east,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, "secret", ""),
		BaseEndpoint: aws.String(url),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 10
				o.MaxBackoff = 5 * time.Millisecond
				o.RateLimiter = ratelimit.None
			})
		},
	}
}

func (e *env) dms(region string) *dms.Client {
	return dms.NewFromConfig(e.cfg, func(o *dms.Options) { o.Region = region })
}

func (e *env) kms(region string) *kms.Client {
	return kms.NewFromConfig(e.cfg, func(o *kms.Options) { o.Region = region })
}

func (e *env) readers(region string) (remediate.ReadClients, error) {
	return remediate.ReadClients{DMS: e.dms(region), KMS: e.kms(region)}, nil
}

func (e *env) writers(region string) (remediate.WriteClients, error) {
	c := remediate.WriteClients{DMS: e.dms(region), KMS: e.kms(region)}
	if e.wrap != nil {
		c = e.wrap(c)
	}
	return c, nil
}

// audit runs the real live audit and returns its findings.
func (e *env) audit(t testing.TB) []finding.Finding {
	t.Helper()
	st, _, err := awslive.ScanAccount(context.Background(), e.cfg, awslive.Options{Regions: []string{east, west}})
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	return rule.Evaluate(&st, rule.Options{})
}

func baseRequest(targets []remediate.Target) remediate.Request {
	return remediate.Request{
		PlanID:         "rp-emu",
		Now:            time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC),
		Tool:           "cmkguard test",
		Account:        account,
		Source:         remediate.Source{Kind: "live", Findings: len(targets)},
		Targets:        targets,
		Key:            remediate.KeyRequest{CreateAlias: "alias/dms-cmk", Admins: []string{"arn:aws:iam::111122223333:role/KeyAdmin"}},
		NameTemplate:   remediate.DefaultNameTemplate,
		DeleteOld:      true,
		KeepIdentifier: true,
	}
}

// plan audits, describes and plans; edit adjusts the request.
func (e *env) plan(t testing.TB, edit func(*remediate.Request)) (*remediate.Plan, error) {
	t.Helper()
	req := baseRequest(remediate.TargetsFromFindings(e.audit(t)))
	if edit != nil {
		edit(&req)
	}
	facts, err := remediate.Describe(context.Background(), e.readers, req)
	if err != nil {
		return nil, err
	}
	return remediate.NewPlan(req, facts)
}

func (e *env) mustPlan(t *testing.T, edit func(*remediate.Request)) *remediate.Plan {
	t.Helper()
	p, err := e.plan(t, edit)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	return p
}

func (e *env) applier(j *remediate.Journal) *remediate.Applier {
	return &remediate.Applier{
		Clients: e.writers, STS: sts.NewFromConfig(e.cfg), Journal: j,
		PollInterval: time.Millisecond, InstanceTimeout: 10 * time.Second, TaskTimeout: 10 * time.Second,
	}
}

// apply starts a journal for p and applies it, with an optional fault.
func (e *env) apply(t *testing.T, p *remediate.Plan, path string, fault func(string, remediate.FaultPoint) error) error {
	t.Helper()
	j, err := remediate.CreateJournal(path, p, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	a := e.applier(j)
	a.Fault = fault
	return a.Apply(context.Background())
}

func (e *env) resume(t *testing.T, path string) error {
	t.Helper()
	j, err := remediate.OpenJournal(path, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	return e.applier(j).Apply(context.Background())
}

// world is what the account looks like, by names (ARNs of created
// resources differ from run to run).
type world struct {
	Instances []string // region/id key-manager status engine
	Tasks     []string // region/id on instance-id: status
	Aliases   []string // region alias → key manager
	Keys      []string // region: customer keys (not pending deletion) by plan tag
}

func (e *env) world(t *testing.T) world {
	t.Helper()
	ctx := context.Background()
	var w world
	for _, region := range []string{east, west} {
		names := map[string]string{}
		out, err := e.dms(region).DescribeReplicationInstances(ctx, &dms.DescribeReplicationInstancesInput{})
		if err != nil {
			t.Fatal(err)
		}
		for _, ri := range out.ReplicationInstances {
			names[aws.ToString(ri.ReplicationInstanceArn)] = aws.ToString(ri.ReplicationInstanceIdentifier)
			k, err := e.kms(region).DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: ri.KmsKeyId})
			if err != nil {
				t.Fatal(err)
			}
			w.Instances = append(w.Instances, fmt.Sprintf("%s/%s key=%s status=%s engine=%s class=%s storage=%d multiAZ=%v",
				region, aws.ToString(ri.ReplicationInstanceIdentifier), k.KeyMetadata.KeyManager, aws.ToString(ri.ReplicationInstanceStatus),
				aws.ToString(ri.EngineVersion), aws.ToString(ri.ReplicationInstanceClass), ri.AllocatedStorage, ri.MultiAZ))
		}
		tasks, err := e.dms(region).DescribeReplicationTasks(ctx, &dms.DescribeReplicationTasksInput{})
		if err == nil {
			for _, tk := range tasks.ReplicationTasks {
				w.Tasks = append(w.Tasks, fmt.Sprintf("%s/%s on %s: %s", region, aws.ToString(tk.ReplicationTaskIdentifier), names[aws.ToString(tk.ReplicationInstanceArn)], aws.ToString(tk.Status)))
			}
		}
		aliases, err := e.kms(region).ListAliases(ctx, &kms.ListAliasesInput{})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range aliases.Aliases {
			w.Aliases = append(w.Aliases, region+" "+aws.ToString(a.AliasName))
		}
		keys, err := e.kms(region).ListKeys(ctx, &kms.ListKeysInput{})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys.Keys {
			d, err := e.kms(region).DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: k.KeyArn})
			if err != nil {
				t.Fatal(err)
			}
			w.Keys = append(w.Keys, fmt.Sprintf("%s %s %s %q", region, d.KeyMetadata.KeyManager, d.KeyMetadata.KeyState, aws.ToString(d.KeyMetadata.Description)))
		}
	}
	for _, s := range [][]string{w.Instances, w.Tasks, w.Aliases, w.Keys} {
		sort.Strings(s)
	}
	return w
}

func mutating(e *env) []string {
	var out []string
	for _, r := range e.srv.MutatingRequests() {
		out = append(out, r.Action())
	}
	return out
}

func TestPlanMakesNoMutatingCall(t *testing.T) {
	t.Parallel()
	for _, key := range []remediate.KeyRequest{{CreateAlias: "alias/dms-cmk"}, {Existing: "alias/existing"}} {
		t.Run(fmt.Sprintf("with key %+v", key), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, estate())
			e.srv.ResetLog()
			p, err := e.plan(t, func(r *remediate.Request) {
				r.Key = key
				if key.Existing != "" {
					r.Targets = onlyRegion(r.Targets, east)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Replacements) == 0 {
				t.Fatal("the plan replaces nothing; the estate has failing instances")
			}
			if got := mutating(e); len(got) != 0 {
				t.Errorf("planning made mutating calls: %v", got)
			}
			if len(e.srv.Requests()) == 0 {
				t.Error("the request log is empty: the test proves nothing")
			}
		})
	}
}

func onlyRegion(ts []remediate.Target, region string) []remediate.Target {
	var out []remediate.Target
	for _, t := range ts {
		if t.Region == region {
			out = append(out, t)
		}
	}
	return out
}

// wantFinal is the world after a complete remediation of estate().
func checkFinal(t *testing.T, e *env, before world) {
	t.Helper()
	for _, f := range e.audit(t) {
		if f.RuleID == remediate.RuleID && f.Status != finding.StatusPass {
			t.Errorf("after remediation the audit still says %s for %s: %s", f.Status, f.ResourceID, f.Reason)
		}
	}
	got := e.world(t)
	want := world{
		Instances: []string{
			"eu-west-1/billing key=CUSTOMER status=available engine=3.4.7 class=dms.t3.large storage=20 multiAZ=true",
			"us-east-1/compliant key=CUSTOMER status=available engine=3.5.2 class=dms.t3.small storage=100 multiAZ=false",
			"us-east-1/orders key=CUSTOMER status=available engine=3.5.2 class=dms.t3.medium storage=50 multiAZ=false",
			"us-east-1/reports key=CUSTOMER status=available engine=3.5.1 class=dms.r5.large storage=100 multiAZ=false",
		},
		Tasks: []string{
			"us-east-1/orders-cdc on orders: running",
			"us-east-1/orders-full on orders: stopped",
			"us-east-1/orders-new on orders: ready",
			"us-east-1/reports-cdc on reports: running",
		},
		Aliases: append(append([]string{}, before.Aliases...), "eu-west-1 alias/dms-cmk", "us-east-1 alias/dms-cmk"),
		Keys: append(append([]string{}, before.Keys...),
			`eu-west-1 CUSTOMER Enabled "Customer-managed key for AWS DMS replication instances (created by cmkguard)"`,
			`us-east-1 CUSTOMER Enabled "Customer-managed key for AWS DMS replication instances (created by cmkguard)"`),
	}
	sort.Strings(want.Aliases)
	sort.Strings(want.Keys)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("final world (-want +got):\n%s", diff)
	}
}

func TestApplyReplacesEveryFailingInstanceAndKeepsTasksAndNames(t *testing.T) {
	t.Parallel()
	e := newEnv(t, estate())
	before := e.world(t)
	p := e.mustPlan(t, nil)
	e.srv.ResetLog()
	if err := e.apply(t, p, filepath.Join(t.TempDir(), "j"), nil); err != nil {
		t.Fatalf("apply: %v", err)
	}
	checkFinal(t, e, before)

	var calls []string
	for _, r := range e.srv.MutatingRequests() {
		if r.OK() {
			calls = append(calls, r.Region+" "+r.Action())
		}
	}
	sort.Strings(calls)
	want := []string{
		"eu-west-1 dms:CreateReplicationInstance", "eu-west-1 dms:DeleteReplicationInstance", "eu-west-1 dms:ModifyReplicationInstance",
		"eu-west-1 kms:CreateAlias", "eu-west-1 kms:CreateKey",
		"us-east-1 dms:CreateReplicationInstance", "us-east-1 dms:CreateReplicationInstance",
		"us-east-1 dms:DeleteReplicationInstance", "us-east-1 dms:DeleteReplicationInstance",
		"us-east-1 dms:ModifyReplicationInstance", "us-east-1 dms:ModifyReplicationInstance",
		"us-east-1 dms:MoveReplicationTask", "us-east-1 dms:MoveReplicationTask", "us-east-1 dms:MoveReplicationTask", "us-east-1 dms:MoveReplicationTask",
		"us-east-1 dms:StartReplicationTask", "us-east-1 dms:StartReplicationTask",
		"us-east-1 dms:StopReplicationTask", "us-east-1 dms:StopReplicationTask",
		"us-east-1 kms:CreateAlias", "us-east-1 kms:CreateKey",
	}
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("mutating calls (-want +got):\n%s", diff)
	}

}

func TestApplyKeepsOldInstancesWithoutDeleteOld(t *testing.T) {
	t.Parallel()
	e := newEnv(t, estate())
	p := e.mustPlan(t, func(r *remediate.Request) { r.DeleteOld, r.KeepIdentifier = false, false })
	if err := e.apply(t, p, filepath.Join(t.TempDir(), "j"), nil); err != nil {
		t.Fatalf("apply: %v", err)
	}
	w := e.world(t)
	wantTasks := []string{
		"us-east-1/orders-cdc on orders-cmk: running",
		"us-east-1/orders-full on orders-cmk: stopped",
		"us-east-1/orders-new on orders-cmk: ready",
		"us-east-1/reports-cdc on reports-cmk: running",
	}
	if diff := cmp.Diff(wantTasks, w.Tasks); diff != "" {
		t.Errorf("tasks (-want +got):\n%s", diff)
	}
	if len(w.Instances) != 7 {
		t.Errorf("want 3 old + 3 new + 1 compliant instances, got %d:\n%s", len(w.Instances), strings.Join(w.Instances, "\n"))
	}
}

// TestApplyResumesAfterAFailureAtEveryStep injects a failure at every fault
// point of every step in turn, resumes, and checks that the end state is the
// one an uninterrupted run reaches: no orphan, nothing lost, nothing twice.
func TestApplyResumesAfterAFailureAtEveryStep(t *testing.T) {
	t.Parallel()
	steps := newEnv(t, estate()).mustPlan(t, nil).Steps
	for _, s := range steps {
		for _, at := range []remediate.FaultPoint{remediate.FaultBeforeAction, remediate.FaultAfterAction, remediate.FaultAfterDone} {
			t.Run(fmt.Sprintf("%s at %s", s.ID, at), func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, estate())
				before := e.world(t)
				p := e.mustPlan(t, nil)
				path := filepath.Join(t.TempDir(), "j")
				injected := errors.New("injected crash")
				err := e.apply(t, p, path, func(step string, point remediate.FaultPoint) error {
					if step == s.ID && point == at {
						return injected
					}
					return nil
				})
				if !errors.Is(err, injected) {
					t.Fatalf("apply error = %v, want the injected crash", err)
				}
				if err := e.resume(t, path); err != nil {
					t.Fatalf("resume: %v", err)
				}
				checkFinal(t, e, before)
			})
		}
	}
}

func TestApplySucceedsUnderThirtyPercentThrottling(t *testing.T) {
	t.Parallel()
	e := newEnv(t, estate())
	before := e.world(t)
	p := e.mustPlan(t, nil)
	e.srv.SetFaults(awsemu.Faults{Throttle: map[string]float64{"*": 0.3}, Seed: 7})
	if err := e.apply(t, p, filepath.Join(t.TempDir(), "j"), nil); err != nil {
		t.Fatalf("apply under throttling: %v", err)
	}
	throttled := 0
	for _, r := range e.srv.Requests() {
		if strings.Contains(r.ErrorCode, "Throttl") {
			throttled++
		}
	}
	e.srv.SetFaults(awsemu.Faults{})
	if throttled == 0 {
		t.Fatal("no call was throttled: the test proves nothing")
	}
	checkFinal(t, e, before)
}

func TestApplyRefusesWhatDoesNotMatchThePlan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		change  func(t *testing.T, e *env)
		as      string // access key to apply with
		wantErr string
	}{
		{
			name:    "credentials for another account",
			as:      "AKIAOTHERACCOUNT",
			wantErr: "was made for account 111122223333, but the credentials are for account 444455556666",
		},
		{
			name: "an instance modified since the plan",
			change: func(t *testing.T, e *env) {
				arn := instanceARN(t, e, east, "orders")
				if _, err := e.dms(east).ModifyReplicationInstance(context.Background(), &dms.ModifyReplicationInstanceInput{
					ReplicationInstanceArn: aws.String(arn), ReplicationInstanceClass: aws.String("dms.t3.large"), ApplyImmediately: true,
				}); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: "orders: class was dms.t3.medium, is now dms.t3.large",
		},
		{
			name: "a task added to an old instance since the plan",
			change: func(t *testing.T, e *env) {
				ctx := context.Background()
				eps, err := e.dms(east).DescribeEndpoints(ctx, &dms.DescribeEndpointsInput{})
				if err != nil || len(eps.Endpoints) < 2 {
					t.Fatalf("endpoints: %v", err)
				}
				if _, err := e.dms(east).CreateReplicationTask(ctx, &dms.CreateReplicationTaskInput{
					ReplicationTaskIdentifier: aws.String("late-task"), ReplicationInstanceArn: aws.String(instanceARN(t, e, east, "orders")),
					SourceEndpointArn: eps.Endpoints[0].EndpointArn, TargetEndpointArn: eps.Endpoints[1].EndpointArn,
					MigrationType: "cdc", TableMappings: aws.String(`{"rules":[]}`),
				}); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: "orders: task late-task was added since the plan",
		},
		{
			name: "a running task stopped since the plan",
			change: func(t *testing.T, e *env) {
				if _, err := e.dms(east).StopReplicationTask(context.Background(), &dms.StopReplicationTaskInput{
					ReplicationTaskArn: aws.String(plannedTaskARN(t, e.mustPlan(t, nil), "orders-cdc")),
				}); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: "orders: task orders-cdc was running, is now stopped",
		},
		{
			name: "an alias taken since the plan",
			change: func(t *testing.T, e *env) {
				if _, err := e.kms(east).CreateAlias(context.Background(), &kms.CreateAliasInput{
					AliasName: aws.String("alias/dms-cmk"), TargetKeyId: aws.String("11111111-1111-1111-1111-111111111111"),
				}); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: "alias alias/dms-cmk now exists and points to a key this plan did not create",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, estate())
			p := e.mustPlan(t, nil)
			if tt.change != nil {
				tt.change(t, e)
			}
			if tt.as != "" {
				e.cfg.Credentials = credentials.NewStaticCredentialsProvider(tt.as, "secret", "")
			}
			e.srv.ResetLog()
			err := e.apply(t, p, filepath.Join(t.TempDir(), "j"), nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("apply error = %v, want it to contain %q", err, tt.wantErr)
			}
			if got := mutating(e); len(got) != 0 {
				t.Errorf("a refused apply made mutating calls: %v", got)
			}
		})
	}
}

func TestPlanRefusesBadKeysAndDowngradesWithoutMutating(t *testing.T) {
	t.Parallel()
	awsKey := "arn:aws:kms:us-east-1:111122223333:key/44444444-4444-4444-4444-444444444444"
	westKey := "arn:aws:kms:eu-west-1:111122223333:key/33333333-3333-3333-3333-333333333333"
	tests := []struct {
		name    string
		edit    func(*remediate.Request)
		wantErr string
	}{
		{"a key in another region", func(r *remediate.Request) { r.Key = remediate.KeyRequest{Existing: westKey} }, "is in region eu-west-1"},
		{"a disabled key", func(r *remediate.Request) { r.Key = remediate.KeyRequest{Existing: "alias/disabled"} }, "is Disabled"},
		{"an AWS-managed key ARN", func(r *remediate.Request) { r.Key = remediate.KeyRequest{Existing: awsKey} }, "is managed by AWS"},
		{"the aws/dms alias", func(r *remediate.Request) { r.Key = remediate.KeyRequest{Existing: "alias/aws/dms"} }, "is an AWS-managed key"},
		{"a key that does not exist", func(r *remediate.Request) { r.Key = remediate.KeyRequest{Existing: "alias/nope"} }, "was not found"},
		{"an engine downgrade", func(r *remediate.Request) { r.EngineVersion = "3.4.6" }, "is older than the instance's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, estate())
			e.srv.ResetLog()
			_, err := e.plan(t, func(r *remediate.Request) {
				tt.edit(r)
				r.Targets = onlyRegion(r.Targets, east)
			})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("plan error = %v, want it to contain %q", err, tt.wantErr)
			}
			if got := mutating(e); len(got) != 0 {
				t.Errorf("a refused plan made mutating calls: %v", got)
			}
		})
	}
}

func TestApplyAdoptsAKeyCreatedBeforeACrashInsteadOfCreatingASecond(t *testing.T) {
	t.Parallel()
	e := newEnv(t, estate())
	p := e.mustPlan(t, nil)
	// A crash right after CreateKey returned, before anything was journaled:
	// the key exists with the plan's tag and no alias.
	ctx := context.Background()
	out, err := e.kms(east).CreateKey(ctx, &kms.CreateKeyInput{
		Description: aws.String("Customer-managed key for AWS DMS replication instances (created by cmkguard)"),
		Tags:        []kmstypes.Tag{{TagKey: aws.String(remediate.TagPlanID), TagValue: aws.String(p.ID)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.apply(t, p, filepath.Join(t.TempDir(), "j"), nil); err != nil {
		t.Fatalf("apply: %v", err)
	}
	var keyCreates int
	for _, r := range e.srv.MutatingRequests() {
		if r.Action() == "kms:CreateKey" && r.Region == east && r.OK() {
			keyCreates++
		}
	}
	if keyCreates != 1 {
		t.Errorf("kms:CreateKey in us-east-1 succeeded %d times (the test's own included), want 1", keyCreates)
	}
	target, err := e.kms(east).DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/dms-cmk")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(target.KeyMetadata.Arn), aws.ToString(out.KeyMetadata.Arn); got != want {
		t.Errorf("alias/dms-cmk points to %s, want the adopted key %s", got, want)
	}
}

func TestApplyRefusesAnInstanceItDidNotCreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, estate())
	p := e.mustPlan(t, func(r *remediate.Request) { r.Targets = onlyRegion(r.Targets, west) })
	if _, err := e.dms(west).CreateReplicationInstance(context.Background(), &dms.CreateReplicationInstanceInput{
		ReplicationInstanceIdentifier: aws.String("billing-cmk"), ReplicationInstanceClass: aws.String("dms.t3.micro"),
	}); err != nil {
		t.Fatal(err)
	}
	err := e.apply(t, p, filepath.Join(t.TempDir(), "j"), nil)
	if err == nil || !strings.Contains(err.Error(), "an instance named billing-cmk exists in eu-west-1 that this plan did not create") {
		t.Fatalf("apply error = %v", err)
	}
}

func TestRollbackUndoesARunThatMovedNoTask(t *testing.T) {
	t.Parallel()
	e := newEnv(t, estate())
	before := e.world(t)
	p := e.mustPlan(t, nil)
	path := filepath.Join(t.TempDir(), "j")
	injected := errors.New("injected")
	err := e.apply(t, p, path, func(step string, at remediate.FaultPoint) error {
		if step == "us-east-1/orders/task/orders-cdc/stop" && at == remediate.FaultAfterDone {
			return injected
		}
		return nil
	})
	if !errors.Is(err, injected) {
		t.Fatalf("apply error = %v", err)
	}
	for _, want := range []string{"--rollback " + path, "steps done; stopped by this run and not restarted yet: orders-cdc"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error %q does not say %q", err, want)
		}
	}
	j, err := remediate.OpenJournal(path, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.applier(j).Rollback(context.Background()); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	j.Close()
	// eu-west-1 ran first and finished (billing has no task, so its old
	// instance was deleted): it is kept with its key. us-east-1 is back as
	// it was: its replacements deleted, orders-cdc running again, its key
	// pending deletion and its alias gone.
	after := e.world(t)
	wantInstances := append([]string{"eu-west-1/billing key=CUSTOMER status=available engine=3.4.7 class=dms.t3.large storage=20 multiAZ=true"}, before.Instances[1:]...)
	if diff := cmp.Diff(wantInstances, after.Instances); diff != "" {
		t.Errorf("instances after rollback (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before.Tasks, after.Tasks); diff != "" {
		t.Errorf("tasks after rollback (-before +after):\n%s", diff)
	}
	wantAliases := append([]string{"eu-west-1 alias/dms-cmk"}, before.Aliases...)
	sort.Strings(wantAliases)
	if diff := cmp.Diff(wantAliases, after.Aliases); diff != "" {
		t.Errorf("aliases after rollback (-want +got):\n%s", diff)
	}
	wantKeys := append([]string{
		`eu-west-1 CUSTOMER Enabled "Customer-managed key for AWS DMS replication instances (created by cmkguard)"`,
		`us-east-1 CUSTOMER PendingDeletion "Customer-managed key for AWS DMS replication instances (created by cmkguard)"`,
	}, before.Keys...)
	sort.Strings(wantKeys)
	if diff := cmp.Diff(wantKeys, after.Keys); diff != "" {
		t.Errorf("keys after rollback (-want +got):\n%s", diff)
	}
	if err := e.resume(t, path); err == nil || !strings.Contains(err.Error(), "was rolled back") {
		t.Errorf("resume after rollback: err = %v, want a refusal", err)
	}
}

func TestRollbackRefusesOnceATaskHasMoved(t *testing.T) {
	t.Parallel()
	e := newEnv(t, estate())
	p := e.mustPlan(t, nil)
	path := filepath.Join(t.TempDir(), "j")
	_ = e.apply(t, p, path, func(step string, at remediate.FaultPoint) error {
		if step == "us-east-1/orders/task/orders-cdc/move" && at == remediate.FaultAfterDone {
			return errors.New("injected")
		}
		return nil
	})
	j, err := remediate.OpenJournal(path, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	e.srv.ResetLog()
	err = e.applier(j).Rollback(context.Background())
	if err == nil || !strings.Contains(err.Error(), "cannot be rolled back; continue it with: cmkguard remediate --resume") {
		t.Fatalf("rollback error = %v", err)
	}
	if got := mutating(e); len(got) != 0 {
		t.Errorf("a refused rollback made mutating calls: %v", got)
	}
}

// plannedTaskARN is the ARN of the task the plan knows by id.
func plannedTaskARN(t *testing.T, p *remediate.Plan, id string) string {
	t.Helper()
	for _, r := range p.Replacements {
		for _, tk := range r.Tasks {
			if tk.ID == id {
				return tk.ARN
			}
		}
	}
	t.Fatalf("the plan has no task %s", id)
	return ""
}

func instanceARN(t *testing.T, e *env, region, id string) string {
	t.Helper()
	out, err := e.dms(region).DescribeReplicationInstances(context.Background(), &dms.DescribeReplicationInstancesInput{
		Filters: []dmstypes.Filter{{Name: aws.String("replication-instance-id"), Values: []string{id}}},
	})
	if err != nil || len(out.ReplicationInstances) != 1 {
		t.Fatalf("find instance %s/%s: %v", region, id, err)
	}
	return aws.ToString(out.ReplicationInstances[0].ReplicationInstanceArn)
}

// TestApplyInterruptedMidWaitResumesToTheSameEnd cancels the run (as Ctrl-C
// or a killed process would) while AWS is still busy with each kind of
// step, then resumes.
func TestApplyInterruptedMidWaitResumesToTheSameEnd(t *testing.T) {
	t.Parallel()
	for _, step := range []string{"us-east-1/orders/create", "us-east-1/orders/task/orders-cdc/stop", "us-east-1/orders/task/orders-cdc/move", "us-east-1/orders/delete-old", "us-east-1/orders/rename"} {
		t.Run("interrupted in "+step, func(t *testing.T) {
			t.Parallel()
			e := newEnvWithDelay(t, estate(), 30*time.Millisecond)
			before := e.world(t)
			p := e.mustPlan(t, nil)
			path := filepath.Join(t.TempDir(), "j")
			j, err := remediate.CreateJournal(path, p, time.Now)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			a := e.applier(j)
			a.Fault = func(id string, at remediate.FaultPoint) error {
				if id == step && at == remediate.FaultBeforeAction {
					time.AfterFunc(10*time.Millisecond, cancel)
				}
				return nil
			}
			err = a.Apply(ctx)
			j.Close()
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("apply error = %v, want it interrupted", err)
			}
			if err := e.resume(t, path); err != nil {
				t.Fatalf("resume: %v", err)
			}
			checkFinal(t, e, before)
		})
	}
}

func TestApplyGivesUpWaitingAfterTheTimeoutAndSaysHowToGoOn(t *testing.T) {
	t.Parallel()
	e := newEnvWithDelay(t, estate(), time.Hour)
	p := e.mustPlan(t, func(r *remediate.Request) { r.Targets = onlyRegion(r.Targets, west) })
	path := filepath.Join(t.TempDir(), "j")
	j, err := remediate.CreateJournal(path, p, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	a := e.applier(j)
	a.InstanceTimeout = 30 * time.Millisecond
	err = a.Apply(context.Background())
	var stepErr *remediate.StepError
	if !errors.As(err, &stepErr) || stepErr.Step != "eu-west-1/billing/create" {
		t.Fatalf("apply error = %v, want a StepError for the create step", err)
	}
	for _, want := range []string{"timed out after 30ms waiting for instance", "--resume " + path, "--rollback " + path} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

// TestApplyStopsWhenATaskIsNoLongerWhereThePlanLeftIt moves a task behind
// cmkguard's back in the middle of a run: the run must stop with the
// reason, never skip the task silently. (A task deleted outright is skipped
// with a warning: TestAPlannedTaskDeletedMidRunIsSkippedWithAWarning.)
func TestApplyStopsWhenATaskIsNoLongerWhereThePlanLeftIt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		meddle  func(t *testing.T, e *env, taskARN string)
		wantErr string
	}{
		{
			name: "moved to another instance",
			meddle: func(t *testing.T, e *env, taskARN string) {
				if _, err := e.dms(east).MoveReplicationTask(context.Background(), &dms.MoveReplicationTaskInput{
					ReplicationTaskArn: aws.String(taskARN), TargetReplicationInstanceArn: aws.String(instanceARN(t, e, east, "compliant")),
				}); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: "neither the old instance orders nor its replacement",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, estate())
			p := e.mustPlan(t, func(r *remediate.Request) { r.Targets = onlyRegion(r.Targets, east) })
			taskARN := plannedTaskARN(t, p, "orders-full")
			err := e.apply(t, p, filepath.Join(t.TempDir(), "j"), func(step string, at remediate.FaultPoint) error {
				if step == "us-east-1/orders/task/orders-full/stop" && at == remediate.FaultBeforeAction {
					tt.meddle(t, e, taskARN)
				}
				return nil
			})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("apply error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}
