package remediate_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	dmstypes "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice/types"

	"github.com/cmkguard/cmkguard/internal/awsemu"
	"github.com/cmkguard/cmkguard/internal/cli/exit"
)

// TestRemediateWritesNoSecret runs every remediate mode (plan in each
// format, a failing apply, rollback, apply, resume) on an estate whose
// endpoints hold a password, with credentials that carry a secret key and
// a session token, and looks for those secrets in everything cmkguard
// printed or wrote: stdout, stderr, the plan file and the journal.
func TestRemediateWritesNoSecret(t *testing.T) {
	srv, url := emulator(t, smallEstate())
	const (
		password     = "Endpoint-Pa55word-7f3a"
		secretKey    = "Secret-Access-Key-9c1e"
		sessionToken = "Session-Token-4b2d"
	)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secretKey)
	t.Setenv("AWS_SESSION_TOKEN", sessionToken)
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	client := dms.NewFromConfig(cfg, func(o *dms.Options) { o.BaseEndpoint = aws.String(url) })
	var endpoints []string
	for _, typ := range []string{"source", "target"} {
		out, err := client.CreateEndpoint(ctx, &dms.CreateEndpointInput{
			EndpointIdentifier: aws.String("secret-" + typ), EndpointType: dmstypes.ReplicationEndpointTypeValue(typ),
			EngineName: aws.String("postgres"), ServerName: aws.String("db.example.com"), Port: aws.Int32(5432),
			Username: aws.String("dms"), Password: aws.String(password), DatabaseName: aws.String("app"),
		})
		if err != nil {
			t.Fatal(err)
		}
		endpoints = append(endpoints, aws.ToString(out.Endpoint.EndpointArn))
	}
	orders, err := client.DescribeReplicationInstances(ctx, &dms.DescribeReplicationInstancesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var ordersARN string
	for _, ri := range orders.ReplicationInstances {
		if aws.ToString(ri.ReplicationInstanceIdentifier) == "orders" {
			ordersARN = aws.ToString(ri.ReplicationInstanceArn)
		}
	}
	if _, err := client.CreateReplicationTask(ctx, &dms.CreateReplicationTaskInput{
		ReplicationTaskIdentifier: aws.String("secret-cdc"), ReplicationInstanceArn: aws.String(ordersARN),
		SourceEndpointArn: aws.String(endpoints[0]), TargetEndpointArn: aws.String(endpoints[1]),
		MigrationType: "cdc", TableMappings: aws.String(`{"rules":[]}`),
	}); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	planFile := filepath.Join(dir, "plan.json")
	journal := planFile + ".journal"
	var printed []string
	runOK := func(want int, args ...string) {
		t.Helper()
		code, out, errOut := run(t, append(args, "--endpoint-url", url)...)
		if code != want {
			t.Fatalf("%v: exit %d, want %d\n%s%s", args, code, want, out, errOut)
		}
		printed = append(printed, out, errOut)
	}
	plan := []string{"remediate", "--region", "us-east-1", "--create-key", "alias/dms-cmk", "--delete-old", "--keep-identifier"}
	runOK(exit.OK, append(plan, "--out", planFile)...)
	runOK(exit.OK, append(plan, "--format", "json")...)
	runOK(exit.OK, append(plan, "--format", "shell")...)
	srv.AddDeny(awsemu.DenyRule{Action: "dms:MoveReplicationTask"})
	runOK(exit.Error, "remediate", "--apply", planFile, "--yes", "--poll-interval", "1ms")
	srv.ClearDeny()
	runOK(exit.OK, "remediate", "--rollback", journal, "--yes", "--poll-interval", "1ms")
	if err := os.Rename(journal, journal+".rolled-back"); err != nil {
		t.Fatal(err)
	}
	// A rolled-back plan is not applied again (one plan, one run): a new plan is.
	planFile2 := filepath.Join(dir, "plan2.json")
	runOK(exit.OK, append(plan, "--out", planFile2)...)
	runOK(exit.OK, "remediate", "--apply", planFile2, "--yes", "--poll-interval", "1ms")
	runOK(exit.OK, "remediate", "--resume", planFile2+".journal", "--yes")

	for _, f := range []string{planFile, planFile2, journal + ".rolled-back", planFile2 + ".journal"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		printed = append(printed, string(b))
	}
	if !strings.Contains(strings.Join(printed, ""), "secret-cdc") {
		t.Fatal("the output never mentions the task on the endpoints with a password: the test proves nothing")
	}
	for _, secret := range []string{password, secretKey, sessionToken} {
		for i, text := range printed {
			if strings.Contains(text, secret) {
				t.Errorf("output %d contains the secret %q:\n%s", i, secret, text)
			}
		}
	}
}
