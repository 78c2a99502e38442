package remediate_test

import (
	"context"
	"fmt"
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
