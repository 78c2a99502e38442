package awsemu_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	dmstypes "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/internal/awsemu"
)

func mustCreateInstance(t *testing.T, c *dms.Client, id, key string) *dmstypes.ReplicationInstance {
	t.Helper()
	in := &dms.CreateReplicationInstanceInput{ReplicationInstanceIdentifier: aws.String(id), ReplicationInstanceClass: aws.String("dms.r5.large")}
	if key != "" {
		in.KmsKeyId = aws.String(key)
	}
	out, err := c.CreateReplicationInstance(ctx, in)
	if err != nil {
		t.Fatalf("CreateReplicationInstance %s: %v", id, err)
	}
	return out.ReplicationInstance
}

func TestCreateReplicationInstanceStoresTheKeyAsAKeyARN(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	k := mustCreateKey(t, e.kms(), &kms.CreateKeyInput{})
	if _, err := e.kms().CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/dms"), TargetKeyId: k.KeyId}); err != nil {
		t.Fatal(err)
	}
	c := e.dms()
	for i, ref := range []string{*k.KeyId, *k.Arn, "alias/dms", "arn:aws:kms:us-east-1:111122223333:alias/dms"} {
		t.Run(ref, func(t *testing.T) {
			r := mustCreateInstance(t, c, fmt.Sprintf("with-key-%d", i), ref)
			if *r.KmsKeyId != *k.Arn {
				t.Errorf("KmsKeyId = %s, want %s", *r.KmsKeyId, *k.Arn)
			}
		})
	}
}

func TestCreateWithoutAKeyUsesTheAWSManagedDMSKey(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	r := mustCreateInstance(t, e.dms(), "Payments-CDC-01", "")
	if *r.ReplicationInstanceIdentifier != "payments-cdc-01" {
		t.Errorf("identifier = %s, want it lower-cased", *r.ReplicationInstanceIdentifier)
	}
	if *r.ReplicationInstanceStatus != "creating" {
		t.Errorf("status on create = %s, want creating", *r.ReplicationInstanceStatus)
	}
	if !strings.HasPrefix(*r.ReplicationInstanceArn, "arn:aws:dms:us-east-1:111122223333:rep:") || strings.Contains(*r.ReplicationInstanceArn, "payments") {
		t.Errorf("ARN %s should end in an opaque resource id", *r.ReplicationInstanceArn)
	}
	aliases, err := e.kms().ListAliases(ctx, &kms.ListAliasesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var withKey []kmstypes.AliasListEntry
	for _, a := range aliases.Aliases {
		if a.TargetKeyId != nil {
			withKey = append(withKey, a)
		}
	}
	aliases.Aliases = withKey
	if len(aliases.Aliases) != 1 || *aliases.Aliases[0].AliasName != "alias/aws/dms" {
		t.Fatalf("aliases with a key after first use = %+v, want alias/aws/dms only", aliases.Aliases)
	}
	key, err := e.kms().DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: r.KmsKeyId})
	if err != nil {
		t.Fatal(err)
	}
	if key.KeyMetadata.KeyManager != kmstypes.KeyManagerTypeAws || *key.KeyMetadata.KeyId != *aliases.Aliases[0].TargetKeyId {
		t.Errorf("instance key %s is not the aws/dms key", *r.KmsKeyId)
	}
	second := mustCreateInstance(t, e.dms(), "payments-cdc-02", "")
	if *second.KmsKeyId != *r.KmsKeyId {
		t.Errorf("second default-key instance uses %s, first %s", *second.KmsKeyId, *r.KmsKeyId)
	}
}

func TestCreateReplicationInstanceRefusesUnusableKeysAndBadInput(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	kc := e.kms()
	disabled := mustCreateKey(t, kc, &kms.CreateKeyInput{})
	if _, err := kc.DisableKey(ctx, &kms.DisableKeyInput{KeyId: disabled.KeyId}); err != nil {
		t.Fatal(err)
	}
	pending := mustCreateKey(t, kc, &kms.CreateKeyInput{})
	if _, err := kc.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: pending.KeyId, PendingWindowInDays: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	c := e.dms()
	mustCreateInstance(t, c, "taken", "")
	tests := []struct {
		name string
		in   dms.CreateReplicationInstanceInput
		want string
	}{
		{"a missing key", dms.CreateReplicationInstanceInput{KmsKeyId: aws.String("00000000-0000-4000-8000-000000000000")}, "KMSKeyNotAccessibleFault"},
		{"a disabled key", dms.CreateReplicationInstanceInput{KmsKeyId: disabled.Arn}, "KMSKeyNotAccessibleFault"},
		{"a key pending deletion", dms.CreateReplicationInstanceInput{KmsKeyId: pending.Arn}, "KMSKeyNotAccessibleFault"},
		{"an identifier in use", dms.CreateReplicationInstanceInput{ReplicationInstanceIdentifier: aws.String("TAKEN")}, "ResourceAlreadyExistsFault"},
		{"an identifier with two hyphens", dms.CreateReplicationInstanceInput{ReplicationInstanceIdentifier: aws.String("a--b")}, "InvalidParameterValueException"},
		{"an identifier starting with a digit", dms.CreateReplicationInstanceInput{ReplicationInstanceIdentifier: aws.String("1abc")}, "InvalidParameterValueException"},
		{"too little storage", dms.CreateReplicationInstanceInput{AllocatedStorage: aws.Int32(1)}, "InvalidParameterValueException"},
		{"a class that is not a DMS class", dms.CreateReplicationInstanceInput{ReplicationInstanceClass: aws.String("m5.large")}, "InvalidParameterValueException"},
		{"a subnet group that does not exist", dms.CreateReplicationInstanceInput{ReplicationSubnetGroupIdentifier: aws.String("nope")}, "ResourceNotFoundFault"},
		{"Multi-AZ with a fixed zone", dms.CreateReplicationInstanceInput{MultiAZ: aws.Bool(true), AvailabilityZone: aws.String("us-east-1a")}, "InvalidParameterCombinationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if in.ReplicationInstanceIdentifier == nil {
				in.ReplicationInstanceIdentifier = aws.String("fresh")
			}
			if in.ReplicationInstanceClass == nil {
				in.ReplicationInstanceClass = aws.String("dms.t3.medium")
			}
			_, err := c.CreateReplicationInstance(ctx, &in)
			if got := errorCode(t, err); got != tt.want {
				t.Errorf("code = %q, want %q (err %v)", got, tt.want, err)
			}
		})
	}
}

func TestCreateReplicationInstanceKeepsEveryFieldAUserWouldCopy(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	c := e.dms()
	if _, err := c.CreateReplicationSubnetGroup(ctx, &dms.CreateReplicationSubnetGroupInput{
		ReplicationSubnetGroupIdentifier: aws.String("private"), ReplicationSubnetGroupDescription: aws.String("private subnets"),
		SubnetIds: []string{"subnet-0a1", "subnet-0b2"},
	}); err != nil {
		t.Fatal(err)
	}
	out, err := c.CreateReplicationInstance(ctx, &dms.CreateReplicationInstanceInput{
		ReplicationInstanceIdentifier: aws.String("orders-new"), ReplicationInstanceClass: aws.String("dms.c5.xlarge"),
		AllocatedStorage: aws.Int32(250), EngineVersion: aws.String("3.5.4"), VpcSecurityGroupIds: []string{"sg-0123456789abcdef0"},
		ReplicationSubnetGroupIdentifier: aws.String("private"), AvailabilityZone: aws.String("us-east-1c"),
		PubliclyAccessible: aws.Bool(false), AutoMinorVersionUpgrade: aws.Bool(false), PreferredMaintenanceWindow: aws.String("sat:03:00-sat:03:30"),
		NetworkType: aws.String("DUAL"), Tags: []dmstypes.Tag{{Key: aws.String("team"), Value: aws.String("orders")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := out.ReplicationInstance
	got := []any{*r.ReplicationInstanceClass, r.AllocatedStorage, *r.EngineVersion, *r.VpcSecurityGroups[0].VpcSecurityGroupId,
		*r.ReplicationSubnetGroup.ReplicationSubnetGroupIdentifier, *r.AvailabilityZone, r.PubliclyAccessible, r.AutoMinorVersionUpgrade,
		*r.PreferredMaintenanceWindow, *r.NetworkType, r.MultiAZ}
	want := []any{"dms.c5.xlarge", int32(250), "3.5.4", "sg-0123456789abcdef0", "private", "us-east-1c", false, false, "sat:03:00-sat:03:30", "DUAL", false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("instance fields (-want +got):\n%s", diff)
	}
	tags, err := c.ListTagsForResource(ctx, &dms.ListTagsForResourceInput{ResourceArn: r.ReplicationInstanceArn})
	if err != nil || len(tags.TagList) != 1 || *tags.TagList[0].Value != "orders" {
		t.Errorf("tags = %+v, %v", tags, err)
	}
}

func TestDescribeReplicationInstancesFiltersAndPages(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	c := e.dms()
	var want []string
	for i := range 45 {
		id := fmt.Sprintf("inst-%02d", i)
		want = append(want, id)
		mustCreateInstance(t, c, id, "")
	}
	var got []string
	pages := 0
	p := dms.NewDescribeReplicationInstancesPaginator(c, &dms.DescribeReplicationInstancesInput{MaxRecords: aws.Int32(20)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range out.ReplicationInstances {
			got = append(got, *r.ReplicationInstanceIdentifier)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" || pages != 3 {
		t.Errorf("%d pages (-want +got):\n%s", pages, diff)
	}
	t.Run("a filter by id matches one instance", func(t *testing.T) {
		out, err := c.DescribeReplicationInstances(ctx, &dms.DescribeReplicationInstancesInput{Filters: []dmstypes.Filter{{Name: aws.String("replication-instance-id"), Values: []string{"inst-07", "inst-09"}}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.ReplicationInstances) != 2 {
			t.Errorf("got %d instances, want 2", len(out.ReplicationInstances))
		}
	})
	t.Run("a filter that matches nothing is ResourceNotFoundFault", func(t *testing.T) {
		_, err := c.DescribeReplicationInstances(ctx, &dms.DescribeReplicationInstancesInput{Filters: []dmstypes.Filter{{Name: aws.String("replication-instance-class"), Values: []string{"dms.t2.micro"}}}})
		var nf *dmstypes.ResourceNotFoundFault
		if !errors.As(err, &nf) {
			t.Errorf("err = %v, want ResourceNotFoundFault", err)
		}
	})
	for _, bad := range []int32{19, 101} {
		t.Run(fmt.Sprintf("MaxRecords %d is refused", bad), func(t *testing.T) {
			_, err := c.DescribeReplicationInstances(ctx, &dms.DescribeReplicationInstancesInput{MaxRecords: aws.Int32(bad)})
			if got := errorCode(t, err); got != "InvalidParameterValueException" {
				t.Errorf("code = %q", got)
			}
		})
	}
	t.Run("an unknown filter is refused", func(t *testing.T) {
		_, err := c.DescribeReplicationInstances(ctx, &dms.DescribeReplicationInstancesInput{Filters: []dmstypes.Filter{{Name: aws.String("kms-key"), Values: []string{"x"}}}})
		if got := errorCode(t, err); got != "InvalidParameterValueException" {
			t.Errorf("code = %q", got)
		}
	})
	t.Run("a forged marker is refused", func(t *testing.T) {
		_, err := c.DescribeReplicationInstances(ctx, &dms.DescribeReplicationInstancesInput{Marker: aws.String("not-a-marker")})
		if got := errorCode(t, err); got != "InvalidParameterValueException" {
			t.Errorf("code = %q", got)
		}
	})
}

func TestWaitersSeeInstancesBecomeAvailableAndGoAway(t *testing.T) {
	e := startEmu(t, awsemu.Options{Delay: 150 * time.Millisecond})
	c := e.dms()
	r := mustCreateInstance(t, c, "slow-one", "")
	byARN := &dms.DescribeReplicationInstancesInput{Filters: []dmstypes.Filter{{Name: aws.String("replication-instance-arn"), Values: []string{*r.ReplicationInstanceArn}}}}
	waitOpts := func(o *dms.ReplicationInstanceAvailableWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 100*time.Millisecond
	}
	if err := dms.NewReplicationInstanceAvailableWaiter(c, waitOpts).Wait(ctx, byARN, 10*time.Second); err != nil {
		t.Fatalf("available waiter: %v", err)
	}
	out, err := c.DeleteReplicationInstance(ctx, &dms.DeleteReplicationInstanceInput{ReplicationInstanceArn: r.ReplicationInstanceArn})
	if err != nil {
		t.Fatal(err)
	}
	if *out.ReplicationInstance.ReplicationInstanceStatus != "deleting" {
		t.Errorf("status after delete = %s, want deleting", *out.ReplicationInstance.ReplicationInstanceStatus)
	}
	delOpts := func(o *dms.ReplicationInstanceDeletedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 100*time.Millisecond
	}
	if err := dms.NewReplicationInstanceDeletedWaiter(c, delOpts).Wait(ctx, byARN, 10*time.Second); err != nil {
		t.Fatalf("deleted waiter: %v", err)
	}
	again := mustCreateInstance(t, c, "slow-one", "")
	if *again.ReplicationInstanceArn == *r.ReplicationInstanceArn {
		t.Error("a re-created instance reuses the old ARN")
	}
}

func TestModifyReplicationInstanceRenamesAndHasNoKeyField(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	c := e.dms()
	old := mustCreateInstance(t, c, "orders", "")
	repl := mustCreateInstance(t, c, "orders-cmk", "")
	_, err := c.ModifyReplicationInstance(ctx, &dms.ModifyReplicationInstanceInput{ReplicationInstanceArn: repl.ReplicationInstanceArn, ReplicationInstanceIdentifier: aws.String("orders")})
	if got := errorCode(t, err); got != "ResourceAlreadyExistsFault" {
		t.Errorf("rename onto a live name: code %q", got)
	}
	if _, err := c.DeleteReplicationInstance(ctx, &dms.DeleteReplicationInstanceInput{ReplicationInstanceArn: old.ReplicationInstanceArn}); err != nil {
		t.Fatal(err)
	}
	out, err := c.ModifyReplicationInstance(ctx, &dms.ModifyReplicationInstanceInput{
		ReplicationInstanceArn: repl.ReplicationInstanceArn, ReplicationInstanceIdentifier: aws.String("orders"),
		ApplyImmediately: true, AllocatedStorage: aws.Int32(120), MultiAZ: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	r := out.ReplicationInstance
	if *r.ReplicationInstanceIdentifier != "orders" || r.AllocatedStorage != 120 || !r.MultiAZ || *r.ReplicationInstanceStatus != "modifying" {
		t.Errorf("after modify: id %s storage %d multiAZ %v status %s", *r.ReplicationInstanceIdentifier, r.AllocatedStorage, r.MultiAZ, *r.ReplicationInstanceStatus)
	}
	if *r.KmsKeyId != *repl.KmsKeyId || *r.ReplicationInstanceArn != *repl.ReplicationInstanceArn {
		t.Error("modify changed the key or the ARN")
	}
	_, err = c.ModifyReplicationInstance(ctx, &dms.ModifyReplicationInstanceInput{ReplicationInstanceArn: aws.String("arn:aws:dms:us-east-1:111122223333:rep:NOPE")})
	if got := errorCode(t, err); got != "ResourceNotFoundFault" {
		t.Errorf("modify a missing instance: code %q", got)
	}
}

// taskFixture creates two endpoints and an instance and returns their ARNs.
func taskFixture(t *testing.T, c *dms.Client, instanceID string) (instanceARN, sourceARN, targetARN string) {
	t.Helper()
	src, err := c.CreateEndpoint(ctx, &dms.CreateEndpointInput{EndpointIdentifier: aws.String(instanceID + "-src"), EndpointType: dmstypes.ReplicationEndpointTypeValueSource, EngineName: aws.String("postgres"), ServerName: aws.String("db.example.com"), Port: aws.Int32(5432), Username: aws.String("dms"), Password: aws.String("hunter2"), DatabaseName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	dst, err := c.CreateEndpoint(ctx, &dms.CreateEndpointInput{EndpointIdentifier: aws.String(instanceID + "-dst"), EndpointType: dmstypes.ReplicationEndpointTypeValueTarget, EngineName: aws.String("s3"), S3Settings: &dmstypes.S3Settings{BucketName: aws.String("lake")}})
	if err != nil {
		t.Fatal(err)
	}
	r := mustCreateInstance(t, c, instanceID, "")
	return *r.ReplicationInstanceArn, *src.Endpoint.EndpointArn, *dst.Endpoint.EndpointArn
}

func mustCreateTask(t *testing.T, c *dms.Client, id, inst, src, dst string) *dmstypes.ReplicationTask {
	t.Helper()
	out, err := c.CreateReplicationTask(ctx, &dms.CreateReplicationTaskInput{
		ReplicationTaskIdentifier: aws.String(id), ReplicationInstanceArn: aws.String(inst), SourceEndpointArn: aws.String(src),
		TargetEndpointArn: aws.String(dst), MigrationType: dmstypes.MigrationTypeValueFullLoadAndCdc, TableMappings: aws.String(`{"rules":[]}`),
	})
	if err != nil {
		t.Fatalf("CreateReplicationTask: %v", err)
	}
	return out.ReplicationTask
}

func taskStatus(t *testing.T, c *dms.Client, arn string) *dmstypes.ReplicationTask {
	t.Helper()
	out, err := c.DescribeReplicationTasks(ctx, &dms.DescribeReplicationTasksInput{Filters: []dmstypes.Filter{{Name: aws.String("replication-task-arn"), Values: []string{arn}}}})
	if err != nil {
		t.Fatal(err)
	}
	return &out.ReplicationTasks[0]
}

func TestReplicationTaskLifecycle(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	c := e.dms()
	inst, src, dst := taskFixture(t, c, "cdc")
	task := mustCreateTask(t, c, "orders-cdc", inst, src, dst)
	if *task.Status != "creating" {
		t.Errorf("status on create = %s", *task.Status)
	}
	arn := *task.ReplicationTaskArn
	waitReady := func(o *dms.ReplicationTaskReadyWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 20*time.Millisecond
	}
	if err := dms.NewReplicationTaskReadyWaiter(c, waitReady).Wait(ctx, &dms.DescribeReplicationTasksInput{Filters: []dmstypes.Filter{{Name: aws.String("replication-task-arn"), Values: []string{arn}}}}, 5*time.Second); err != nil {
		t.Fatalf("ready waiter: %v", err)
	}
	steps := []struct {
		name       string
		call       func() error
		wantCode   string
		wantStatus string
	}{
		{"resume on a task that never ran is refused for reload-target", func() error {
			_, err := c.StartReplicationTask(ctx, &dms.StartReplicationTaskInput{ReplicationTaskArn: &arn, StartReplicationTaskType: dmstypes.StartReplicationTaskTypeValueReloadTarget})
			return err
		}, "InvalidResourceStateFault", "ready"},
		{"start-replication runs it", func() error {
			_, err := c.StartReplicationTask(ctx, &dms.StartReplicationTaskInput{ReplicationTaskArn: &arn, StartReplicationTaskType: dmstypes.StartReplicationTaskTypeValueStartReplication})
			return err
		}, "", "running"},
		{"a running task cannot be deleted", func() error {
			_, err := c.DeleteReplicationTask(ctx, &dms.DeleteReplicationTaskInput{ReplicationTaskArn: &arn})
			return err
		}, "InvalidResourceStateFault", "running"},
		{"a running task cannot be moved", func() error {
			_, err := c.MoveReplicationTask(ctx, &dms.MoveReplicationTaskInput{ReplicationTaskArn: &arn, TargetReplicationInstanceArn: &inst})
			return err
		}, "InvalidResourceStateFault", "running"},
		{"stop stops it", func() error {
			_, err := c.StopReplicationTask(ctx, &dms.StopReplicationTaskInput{ReplicationTaskArn: &arn})
			return err
		}, "", "stopped"},
		{"stopping a stopped task is refused", func() error {
			_, err := c.StopReplicationTask(ctx, &dms.StopReplicationTaskInput{ReplicationTaskArn: &arn})
			return err
		}, "InvalidResourceStateFault", "stopped"},
		{"resume-processing restarts from the checkpoint", func() error {
			_, err := c.StartReplicationTask(ctx, &dms.StartReplicationTaskInput{ReplicationTaskArn: &arn, StartReplicationTaskType: dmstypes.StartReplicationTaskTypeValueResumeProcessing})
			return err
		}, "", "running"},
	}
	for _, s := range steps {
		err := s.call()
		if got := errorCode(t, err); got != s.wantCode {
			t.Errorf("%s: code %q, want %q (%v)", s.name, got, s.wantCode, err)
		}
		if got := *taskStatus(t, c, arn).Status; got != s.wantStatus {
			t.Errorf("%s: status %s, want %s", s.name, got, s.wantStatus)
		}
	}
	_, err := c.DeleteReplicationInstance(ctx, &dms.DeleteReplicationInstanceInput{ReplicationInstanceArn: &inst})
	var bad *dmstypes.InvalidResourceStateFault
	if !errors.As(err, &bad) {
		t.Errorf("deleting an instance with a task attached: err %v, want InvalidResourceStateFault", err)
	}
}

func TestMoveReplicationTaskFollowsAWSConstraints(t *testing.T) {
	e := startEmu(t, awsemu.Options{Delay: 100 * time.Millisecond})
	c := e.dms()
	e.srv.SetDelay(0)
	inst, src, dst := taskFixture(t, c, "old")
	newer, err := c.CreateReplicationInstance(ctx, &dms.CreateReplicationInstanceInput{ReplicationInstanceIdentifier: aws.String("newer"), ReplicationInstanceClass: aws.String("dms.r5.large"), EngineVersion: aws.String("3.5.4")})
	if err != nil {
		t.Fatal(err)
	}
	older, err := c.CreateReplicationInstance(ctx, &dms.CreateReplicationInstanceInput{ReplicationInstanceIdentifier: aws.String("older"), ReplicationInstanceClass: aws.String("dms.r5.large"), EngineVersion: aws.String("3.4.7")})
	if err != nil {
		t.Fatal(err)
	}
	task := mustCreateTask(t, c, "mover", inst, src, dst)
	arn := *task.ReplicationTaskArn
	if _, err := c.StartReplicationTask(ctx, &dms.StartReplicationTaskInput{ReplicationTaskArn: &arn, StartReplicationTaskType: dmstypes.StartReplicationTaskTypeValueStartReplication}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.StopReplicationTask(ctx, &dms.StopReplicationTaskInput{ReplicationTaskArn: &arn}); err != nil {
		t.Fatal(err)
	}
	move := func(target string) error {
		_, err := c.MoveReplicationTask(ctx, &dms.MoveReplicationTaskInput{ReplicationTaskArn: &arn, TargetReplicationInstanceArn: &target})
		return err
	}
	refusals := []struct {
		name, target, want string
	}{
		{"to its own instance", inst, "InvalidParameterValueException"},
		{"to an older engine version", *older.ReplicationInstance.ReplicationInstanceArn, "InvalidParameterValueException"},
		{"to a missing instance", "arn:aws:dms:us-east-1:111122223333:rep:MISSING", "ResourceNotFoundFault"},
	}
	for _, r := range refusals {
		if got := errorCode(t, move(r.target)); got != r.want {
			t.Errorf("move %s: code %q, want %q", r.name, got, r.want)
		}
	}
	e.srv.SetDelay(100 * time.Millisecond)
	target := *newer.ReplicationInstance.ReplicationInstanceArn
	if err := move(target); err != nil {
		t.Fatal(err)
	}
	during := taskStatus(t, c, arn)
	if *during.Status != "moving" || *during.ReplicationInstanceArn != inst || aws.ToString(during.TargetReplicationInstanceArn) != target {
		t.Errorf("while moving: status %s on %s target %s", *during.Status, *during.ReplicationInstanceArn, aws.ToString(during.TargetReplicationInstanceArn))
	}
	_, err = c.StartReplicationTask(ctx, &dms.StartReplicationTaskInput{ReplicationTaskArn: &arn, StartReplicationTaskType: dmstypes.StartReplicationTaskTypeValueResumeProcessing})
	if got := errorCode(t, err); got != "InvalidResourceStateFault" {
		t.Errorf("start while moving: code %q", got)
	}
	time.Sleep(150 * time.Millisecond)
	after := taskStatus(t, c, arn)
	if *after.Status != "stopped" || *after.ReplicationInstanceArn != target {
		t.Errorf("after the move: status %s on %s, want stopped on %s", *after.Status, *after.ReplicationInstanceArn, target)
	}
	e.srv.SetDelay(0)
	if _, err := c.DeleteReplicationInstance(ctx, &dms.DeleteReplicationInstanceInput{ReplicationInstanceArn: &inst}); err != nil {
		t.Errorf("the old instance has no task left and should delete: %v", err)
	}
}

func TestEndpointsKeepTheirKeysAndRefuseAnSSESwitch(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	k := mustCreateKey(t, e.kms(), &kms.CreateKeyInput{})
	c := e.dms()
	kmsTarget, err := c.CreateEndpoint(ctx, &dms.CreateEndpointInput{
		EndpointIdentifier: aws.String("lake-kms"), EndpointType: dmstypes.ReplicationEndpointTypeValueTarget, EngineName: aws.String("s3"),
		KmsKeyId: k.KeyId, S3Settings: &dmstypes.S3Settings{BucketName: aws.String("lake"), EncryptionMode: dmstypes.EncryptionModeValueSseKms, ServerSideEncryptionKmsKeyId: k.Arn},
	})
	if err != nil {
		t.Fatal(err)
	}
	ep := kmsTarget.Endpoint
	if *ep.KmsKeyId != *k.Arn || ep.S3Settings.EncryptionMode != dmstypes.EncryptionModeValueSseKms || *ep.S3Settings.ServerSideEncryptionKmsKeyId != *k.Arn {
		t.Errorf("endpoint keys: %s %s %v", *ep.KmsKeyId, ep.S3Settings.EncryptionMode, ep.S3Settings.ServerSideEncryptionKmsKeyId)
	}
	sse, err := c.CreateEndpoint(ctx, &dms.CreateEndpointInput{EndpointIdentifier: aws.String("lake-sse"), EndpointType: dmstypes.ReplicationEndpointTypeValueTarget, EngineName: aws.String("s3"), S3Settings: &dmstypes.S3Settings{BucketName: aws.String("lake2")}})
	if err != nil {
		t.Fatal(err)
	}
	if sse.Endpoint.S3Settings.EncryptionMode != dmstypes.EncryptionModeValueSseS3 {
		t.Errorf("default S3 encryption = %s, want SSE_S3", sse.Endpoint.S3Settings.EncryptionMode)
	}
	if !strings.Contains(*sse.Endpoint.KmsKeyId, ":key/") {
		t.Errorf("endpoint without a key reports %s, want the aws/dms key ARN", *sse.Endpoint.KmsKeyId)
	}
	_, err = c.ModifyEndpoint(ctx, &dms.ModifyEndpointInput{EndpointArn: sse.Endpoint.EndpointArn, S3Settings: &dmstypes.S3Settings{EncryptionMode: dmstypes.EncryptionModeValueSseKms, ServerSideEncryptionKmsKeyId: k.Arn}})
	if got := errorCode(t, err); got != "InvalidParameterValueException" {
		t.Errorf("SSE_S3 → SSE_KMS: code %q", got)
	}
	mod, err := c.ModifyEndpoint(ctx, &dms.ModifyEndpointInput{EndpointArn: sse.Endpoint.EndpointArn, S3Settings: &dmstypes.S3Settings{BucketFolder: aws.String("raw")}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(mod.Endpoint.S3Settings.BucketFolder) != "raw" || aws.ToString(mod.Endpoint.S3Settings.BucketName) != "lake2" {
		t.Errorf("modify merged settings = %+v", mod.Endpoint.S3Settings)
	}
	list, err := c.DescribeEndpoints(ctx, &dms.DescribeEndpointsInput{Filters: []dmstypes.Filter{{Name: aws.String("endpoint-type"), Values: []string{"target"}}}})
	if err != nil || len(list.Endpoints) != 2 {
		t.Errorf("DescribeEndpoints by type: %d endpoints, %v", len(list.Endpoints), err)
	}
	if _, err := c.DeleteEndpoint(ctx, &dms.DeleteEndpointInput{EndpointArn: sse.Endpoint.EndpointArn}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteEndpoint(ctx, &dms.DeleteEndpointInput{EndpointArn: sse.Endpoint.EndpointArn})
	if got := errorCode(t, err); got != "ResourceNotFoundFault" {
		t.Errorf("deleting twice: code %q", got)
	}
}

func TestEndpointsInUseCannotBeDeleted(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	c := e.dms()
	inst, src, dst := taskFixture(t, c, "busy")
	mustCreateTask(t, c, "busy-task", inst, src, dst)
	_, err := c.DeleteEndpoint(ctx, &dms.DeleteEndpointInput{EndpointArn: &src})
	if got := errorCode(t, err); got != "InvalidResourceStateFault" {
		t.Errorf("code = %q, want InvalidResourceStateFault", got)
	}
}

func TestServerlessConfigsCanBeModifiedOnlyBeforeTheirFirstStart(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	k := mustCreateKey(t, e.kms(), &kms.CreateKeyInput{})
	c := e.dms()
	_, src, dst := taskFixture(t, c, "sls")
	out, err := c.CreateReplicationConfig(ctx, &dms.CreateReplicationConfigInput{
		ReplicationConfigIdentifier: aws.String("orders-serverless"), SourceEndpointArn: &src, TargetEndpointArn: &dst,
		ReplicationType: dmstypes.MigrationTypeValueCdc, TableMappings: aws.String(`{"rules":[]}`),
		ComputeConfig: &dmstypes.ComputeConfig{MaxCapacityUnits: aws.Int32(16), KmsKeyId: aws.String("alias/aws/dms")},
	})
	if err != nil {
		t.Fatal(err)
	}
	rc := out.ReplicationConfig
	if !strings.Contains(*rc.ComputeConfig.KmsKeyId, ":key/") {
		t.Errorf("ComputeConfig.KmsKeyId = %s, want a key ARN", *rc.ComputeConfig.KmsKeyId)
	}
	mod, err := c.ModifyReplicationConfig(ctx, &dms.ModifyReplicationConfigInput{ReplicationConfigArn: rc.ReplicationConfigArn, ComputeConfig: &dmstypes.ComputeConfig{MaxCapacityUnits: aws.Int32(16), KmsKeyId: k.KeyId}})
	if err != nil {
		t.Fatal(err)
	}
	if *mod.ReplicationConfig.ComputeConfig.KmsKeyId != *k.Arn {
		t.Errorf("after modify key = %s, want %s", *mod.ReplicationConfig.ComputeConfig.KmsKeyId, *k.Arn)
	}
	if _, err := c.StartReplication(ctx, &dms.StartReplicationInput{ReplicationConfigArn: rc.ReplicationConfigArn, StartReplicationType: aws.String("start-replication")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.StopReplication(ctx, &dms.StopReplicationInput{ReplicationConfigArn: rc.ReplicationConfigArn}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ModifyReplicationConfig(ctx, &dms.ModifyReplicationConfigInput{ReplicationConfigArn: rc.ReplicationConfigArn, TableMappings: aws.String(`{"rules":[{}]}`)})
	if got := errorCode(t, err); got != "InvalidResourceStateFault" {
		t.Errorf("modify after a start: code %q", got)
	}
	list, err := c.DescribeReplicationConfigs(ctx, &dms.DescribeReplicationConfigsInput{})
	if err != nil || len(list.ReplicationConfigs) != 1 {
		t.Fatalf("DescribeReplicationConfigs: %+v %v", list, err)
	}
	if _, err := c.DeleteReplicationConfig(ctx, &dms.DeleteReplicationConfigInput{ReplicationConfigArn: rc.ReplicationConfigArn}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeReplicationConfigs(ctx, &dms.DescribeReplicationConfigsInput{Filters: []dmstypes.Filter{{Name: aws.String("replication-config-arn"), Values: []string{*rc.ReplicationConfigArn}}}})
	if got := errorCode(t, err); got != "ResourceNotFoundFault" {
		t.Errorf("describe a deleted config: code %q", got)
	}
}

func TestSubnetGroupsAndTags(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	c := e.dms()
	g, err := c.CreateReplicationSubnetGroup(ctx, &dms.CreateReplicationSubnetGroupInput{ReplicationSubnetGroupIdentifier: aws.String("Private"), ReplicationSubnetGroupDescription: aws.String("private"), SubnetIds: []string{"subnet-1", "subnet-2"}})
	if err != nil {
		t.Fatal(err)
	}
	if *g.ReplicationSubnetGroup.ReplicationSubnetGroupIdentifier != "private" || len(g.ReplicationSubnetGroup.Subnets) != 2 {
		t.Errorf("subnet group = %+v", g.ReplicationSubnetGroup)
	}
	_, err = c.CreateReplicationSubnetGroup(ctx, &dms.CreateReplicationSubnetGroupInput{ReplicationSubnetGroupIdentifier: aws.String("bad"), ReplicationSubnetGroupDescription: aws.String("x"), SubnetIds: []string{"sn-1"}})
	if got := errorCode(t, err); got != "InvalidSubnet" {
		t.Errorf("a bad subnet id: code %q", got)
	}
	r, err := c.CreateReplicationInstance(ctx, &dms.CreateReplicationInstanceInput{ReplicationInstanceIdentifier: aws.String("in-private"), ReplicationInstanceClass: aws.String("dms.t3.medium"), ReplicationSubnetGroupIdentifier: aws.String("private")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteReplicationSubnetGroup(ctx, &dms.DeleteReplicationSubnetGroupInput{ReplicationSubnetGroupIdentifier: aws.String("private")})
	if got := errorCode(t, err); got != "InvalidResourceStateFault" {
		t.Errorf("deleting a group in use: code %q", got)
	}
	arn := r.ReplicationInstance.ReplicationInstanceArn
	if _, err := c.AddTagsToResource(ctx, &dms.AddTagsToResourceInput{ResourceArn: arn, Tags: []dmstypes.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RemoveTagsFromResource(ctx, &dms.RemoveTagsFromResourceInput{ResourceArn: arn, TagKeys: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListTagsForResource(ctx, &dms.ListTagsForResourceInput{ResourceArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, tg := range tags.TagList {
		keys = append(keys, *tg.Key)
	}
	if diff := cmp.Diff([]string{"b"}, keys); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	_, err = c.ListTagsForResource(ctx, &dms.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:dms:us-east-1:111122223333:rep:GONE")})
	if got := errorCode(t, err); got != "ResourceNotFoundFault" {
		t.Errorf("tags of a missing resource: code %q", got)
	}
}

func TestTaskWaitersFollowStartStopAndDelete(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	c := e.dms()
	inst, src, dst := taskFixture(t, c, "waited")
	arn := *mustCreateTask(t, c, "waited-task", inst, src, dst).ReplicationTaskArn
	e.srv.SetDelay(100 * time.Millisecond)
	byARN := &dms.DescribeReplicationTasksInput{Filters: []dmstypes.Filter{{Name: aws.String("replication-task-arn"), Values: []string{arn}}}}
	const fast, slow = 20 * time.Millisecond, 40 * time.Millisecond
	if _, err := c.StartReplicationTask(ctx, &dms.StartReplicationTaskInput{ReplicationTaskArn: &arn, StartReplicationTaskType: dmstypes.StartReplicationTaskTypeValueStartReplication}); err != nil {
		t.Fatal(err)
	}
	if err := dms.NewReplicationTaskRunningWaiter(c, func(o *dms.ReplicationTaskRunningWaiterOptions) { o.MinDelay, o.MaxDelay = fast, slow }).Wait(ctx, byARN, 5*time.Second); err != nil {
		t.Fatalf("running waiter: %v", err)
	}
	if _, err := c.StopReplicationTask(ctx, &dms.StopReplicationTaskInput{ReplicationTaskArn: &arn}); err != nil {
		t.Fatal(err)
	}
	if err := dms.NewReplicationTaskStoppedWaiter(c, func(o *dms.ReplicationTaskStoppedWaiterOptions) { o.MinDelay, o.MaxDelay = fast, slow }).Wait(ctx, byARN, 5*time.Second); err != nil {
		t.Fatalf("stopped waiter: %v", err)
	}
	stopped := taskStatus(t, c, arn)
	if aws.ToString(stopped.StopReason) == "" || aws.ToString(stopped.RecoveryCheckpoint) == "" {
		t.Errorf("a stopped task should report a stop reason and a checkpoint: %+v", stopped)
	}
	if _, err := c.DeleteReplicationTask(ctx, &dms.DeleteReplicationTaskInput{ReplicationTaskArn: &arn}); err != nil {
		t.Fatal(err)
	}
	if err := dms.NewReplicationTaskDeletedWaiter(c, func(o *dms.ReplicationTaskDeletedWaiterOptions) { o.MinDelay, o.MaxDelay = fast, slow }).Wait(ctx, byARN, 5*time.Second); err != nil {
		t.Fatalf("deleted waiter: %v", err)
	}
}
