package remediate_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	dmstypes "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// sdkWorld reads, through the SDK, what the emulator at url holds in region:
// instances (identifier, key manager, status), tasks (on which instance, status),
// customer keys (state) and customer aliases, sorted.
func sdkWorld(t *testing.T, url, region string) []string {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := dms.NewFromConfig(cfg, func(o *dms.Options) { o.Region = region; o.BaseEndpoint = aws.String(url) })
	k := kms.NewFromConfig(cfg, func(o *kms.Options) { o.Region = region; o.BaseEndpoint = aws.String(url) })
	var got []string
	ris, err := d.DescribeReplicationInstances(ctx, &dms.DescribeReplicationInstancesInput{})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, ri := range ris.ReplicationInstances {
		key, err := k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: ri.KmsKeyId})
		if err != nil {
			t.Fatal(err)
		}
		names[aws.ToString(ri.ReplicationInstanceArn)] = aws.ToString(ri.ReplicationInstanceIdentifier)
		got = append(got, fmt.Sprintf("instance %s %s %s", aws.ToString(ri.ReplicationInstanceIdentifier), key.KeyMetadata.KeyManager, aws.ToString(ri.ReplicationInstanceStatus)))
	}
	if tasks, err := d.DescribeReplicationTasks(ctx, &dms.DescribeReplicationTasksInput{}); err == nil {
		for _, tk := range tasks.ReplicationTasks {
			got = append(got, fmt.Sprintf("task %s on %s %s", aws.ToString(tk.ReplicationTaskIdentifier), names[aws.ToString(tk.ReplicationInstanceArn)], aws.ToString(tk.Status)))
		}
	}
	keys, err := k.ListKeys(ctx, &kms.ListKeysInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range keys.Keys {
		m, err := k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: key.KeyArn})
		if err != nil {
			t.Fatal(err)
		}
		if m.KeyMetadata.KeyManager == "CUSTOMER" {
			got = append(got, fmt.Sprintf("key CUSTOMER %s", m.KeyMetadata.KeyState))
		}
	}
	aliases, err := k.ListAliases(ctx, &kms.ListAliasesInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range aliases.Aliases {
		if !strings.HasPrefix(aws.ToString(a.AliasName), "alias/aws/") {
			got = append(got, "alias "+aws.ToString(a.AliasName))
		}
	}
	sort.Strings(got)
	return got
}

// cliWorld is sdkWorld for us-east-1.
func cliWorld(t *testing.T, url string) []string { return sdkWorld(t, url, "us-east-1") }

// sdkStartTask starts a task, as someone else would.
func sdkStartTask(t *testing.T, url, arn string) {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := dms.NewFromConfig(cfg, func(o *dms.Options) { o.BaseEndpoint = aws.String(url) })
	if _, err := d.StartReplicationTask(ctx, &dms.StartReplicationTaskInput{ReplicationTaskArn: aws.String(arn), StartReplicationTaskType: dmstypes.StartReplicationTaskTypeValueStartReplication}); err != nil {
		t.Fatal(err)
	}
}

// checkedWorld reads region's world with the AWS CLI when it is installed
// (an independent client: the invariants are not checked by the SDK the
// product uses), else with the SDK; same lines as sdkWorld. It says which.
func checkedWorld(t *testing.T, url, region string) ([]string, string) {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		if os.Getenv("CMKGUARD_REQUIRE_AWSCLI") == "1" || os.Getenv("CI") == "1" {
			t.Fatal("the aws CLI is required (CMKGUARD_REQUIRE_AWSCLI=1 or CI=1) but not found")
		}
		return sdkWorld(t, url, region), "SDK"
	}
	cli := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("aws", append([]string{"--endpoint-url", url, "--region", region, "--output", "text"}, args...)...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return strings.TrimSpace(string(out))
	}
	lines := func(s string) []string {
		if s == "" || s == "None" {
			return nil
		}
		return strings.Split(s, "\n")
	}
	managers := map[string]string{}
	var got []string
	for _, arn := range strings.Fields(cli("kms", "list-keys", "--query", "Keys[].KeyArn")) {
		f := strings.Split(cli("kms", "describe-key", "--key-id", arn, "--query", "KeyMetadata.[KeyManager,KeyState]"), "\t")
		managers[arn] = f[0]
		if f[0] == "CUSTOMER" {
			got = append(got, "key CUSTOMER "+f[1])
		}
	}
	names := map[string]string{}
	for _, l := range lines(cli("dms", "describe-replication-instances", "--query", "ReplicationInstances[].[ReplicationInstanceArn,ReplicationInstanceIdentifier,KmsKeyId,ReplicationInstanceStatus]")) {
		f := strings.Split(l, "\t")
		names[f[0]] = f[1]
		got = append(got, fmt.Sprintf("instance %s %s %s", f[1], managers[f[2]], f[3]))
	}
	cmd := exec.Command("aws", "--endpoint-url", url, "--region", region, "--output", "text", "dms", "describe-replication-tasks", "--without-settings",
		"--query", "ReplicationTasks[].[ReplicationTaskIdentifier,ReplicationInstanceArn,Status]")
	if out, err := cmd.Output(); err == nil { // none: ResourceNotFoundFault
		for _, l := range lines(strings.TrimSpace(string(out))) {
			f := strings.Split(l, "\t")
			got = append(got, fmt.Sprintf("task %s on %s %s", f[0], names[f[1]], f[2]))
		}
	}
	for _, a := range lines(cli("kms", "list-aliases", "--query", "Aliases[].AliasName")) {
		for _, name := range strings.Fields(a) {
			if !strings.HasPrefix(name, "alias/aws/") {
				got = append(got, "alias "+name)
			}
		}
	}
	sort.Strings(got)
	return got, "AWS CLI"
}
