package awsemu_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/internal/awsemu"
)

// awsCLI runs the real AWS CLI against an emulator. It holds the emulator
// honest against a client that shares no code with the Go SDK.
type awsCLI struct {
	t     *testing.T
	bin   string
	url   string
	env   []string
	flags []string
}

// newAWSCLI finds the aws command: the test skips without it, except in CI
// (CMKGUARD_REQUIRE_AWSCLI=1), where a missing CLI is a failure.
func newAWSCLI(t *testing.T, url string) *awsCLI {
	t.Helper()
	bin, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CMKGUARD_REQUIRE_AWSCLI") == "1" {
			t.Fatalf("CMKGUARD_REQUIRE_AWSCLI=1 but the aws CLI is not installed: %v", err)
		}
		t.Skip("the aws CLI is not installed (apt-get install awscli); set CMKGUARD_REQUIRE_AWSCLI=1 to make this a failure")
	}
	home := t.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_ACCESS_KEY_ID=AKIAEMULATOR00000000", "AWS_SECRET_ACCESS_KEY=emulator-dummy-secret",
		"AWS_DEFAULT_REGION=us-east-1", "AWS_REGION=us-east-1", "AWS_PAGER=",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1", "AWS_RETRY_MODE=standard",
	}
	if v := os.Getenv("PYENV_ROOT"); v != "" {
		env = append(env, "PYENV_ROOT="+v)
	}
	flags := []string{"--endpoint-url", url, "--output", "json"}
	version, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("aws --version: %v: %s", err, version)
	}
	if !bytes.HasPrefix(version, []byte("aws-cli/1.")) {
		flags = append(flags, "--no-cli-pager") // version 2 only; AWS_PAGER= covers version 1
	}
	t.Logf("using %s: %s", bin, bytes.TrimSpace(version))
	return &awsCLI{t: t, bin: bin, url: url, env: env, flags: flags}
}

var cliErrorCode = regexp.MustCompile(`An error occurred \(([A-Za-z0-9.]+)\)`)

// run runs one command and returns its parsed JSON output, or the error
// code the CLI reports.
func (a *awsCLI) run(args ...string) (out map[string]any, errCode string) {
	a.t.Helper()
	full := append(append([]string{}, a.flags...), args...)
	cmd := exec.Command(a.bin, full...)
	cmd.Env = a.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		m := cliErrorCode.FindStringSubmatch(stderr.String())
		if m == nil {
			a.t.Fatalf("aws %v: %v\nstderr: %s", args, err, stderr.String())
		}
		return nil, m[1]
	}
	if bytes.TrimSpace(stdout.Bytes()) == nil || len(bytes.TrimSpace(stdout.Bytes())) == 0 {
		return map[string]any{}, ""
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		a.t.Fatalf("aws %v: output is not JSON: %v\n%s", args, err, stdout.String())
	}
	return out, ""
}

func (a *awsCLI) mustRun(args ...string) map[string]any {
	a.t.Helper()
	out, code := a.run(args...)
	if code != "" {
		a.t.Fatalf("aws %v failed with %s", args, code)
	}
	return out
}

// str digs a string out of parsed JSON: str(m, "KeyMetadata", "Arn").
func str(t *testing.T, v any, path ...string) string {
	t.Helper()
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("at %q: not an object: %v", p, v)
		}
		v = m[p]
	}
	s, ok := v.(string)
	if !ok {
		t.Fatalf("%v: not a string: %v", path, v)
	}
	return s
}

func list(t *testing.T, v map[string]any, key string) []any {
	t.Helper()
	l, ok := v[key].([]any)
	if !ok {
		t.Fatalf("%s is not a list: %v", key, v[key])
	}
	return l
}

func TestTheAWSCLIAgreesWithTheEmulator(t *testing.T) {
	srv := awsemu.New(awsemu.Options{})
	if err := srv.LoadEstate(&awsemu.Estate{
		Accounts: []awsemu.EstateAccount{{ID: "111122223333"}, {ID: "444455556666"}},
		Roles:    []string{"arn:aws:iam::444455556666:role/CmkguardAudit"},
		Regions:  []awsemu.EstateRegion{{Name: "us-east-1"}, {Name: "eu-west-1"}, {Name: "af-south-1", OptInStatus: "not-opted-in"}},
	}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	aws := newAWSCLI(t, ts.URL)

	// KMS: create-key, create-alias, describe-key, list-aliases.
	key := aws.mustRun("kms", "create-key", "--description", "orders DMS key")
	keyARN := str(t, key, "KeyMetadata", "Arn")
	if got := str(t, key, "KeyMetadata", "KeyManager"); got != "CUSTOMER" {
		t.Errorf("create-key KeyManager = %s", got)
	}
	aws.mustRun("kms", "create-alias", "--alias-name", "alias/dms-orders", "--target-key-id", keyARN)
	if got := str(t, aws.mustRun("kms", "describe-key", "--key-id", "alias/dms-orders"), "KeyMetadata", "Arn"); got != keyARN {
		t.Errorf("describe-key by alias = %s, want %s", got, keyARN)
	}
	if _, code := aws.run("kms", "create-alias", "--alias-name", "alias/aws/dms", "--target-key-id", keyARN); code != "InvalidAliasNameException" {
		t.Errorf("create-alias alias/aws/dms: code %q", code)
	}
	if _, code := aws.run("kms", "describe-key", "--key-id", "alias/nope"); code != "NotFoundException" {
		t.Errorf("describe-key of a missing alias: code %q", code)
	}
	awsDMS := aws.mustRun("kms", "describe-key", "--key-id", "alias/aws/dms")
	if got := str(t, awsDMS, "KeyMetadata", "KeyManager"); got != "AWS" {
		t.Errorf("aws/dms KeyManager = %s", got)
	}
	var aliasNames []string
	for _, a := range list(t, aws.mustRun("kms", "list-aliases", "--page-size", "1"), "Aliases") {
		aliasNames = append(aliasNames, str(t, a, "AliasName"))
	}
	wantAliases := []string{"alias/aws/dms", "alias/aws/ebs", "alias/aws/rds", "alias/aws/redshift", "alias/aws/s3", "alias/aws/secretsmanager", "alias/dms-orders"}
	if diff := cmp.Diff(wantAliases, aliasNames); diff != "" {
		t.Errorf("list-aliases (-want +got):\n%s", diff)
	}

	// DMS: instances with and without a key, paging, tasks, move, refused delete.
	withKey := aws.mustRun("dms", "create-replication-instance", "--replication-instance-identifier", "orders-cmk",
		"--replication-instance-class", "dms.r5.large", "--kms-key-id", "alias/dms-orders", "--engine-version", "3.5.4")
	if got := str(t, withKey, "ReplicationInstance", "KmsKeyId"); got != keyARN {
		t.Errorf("instance with a key: KmsKeyId %s, want %s", got, keyARN)
	}
	withoutKey := aws.mustRun("dms", "create-replication-instance", "--replication-instance-identifier", "orders-default",
		"--replication-instance-class", "dms.r5.large", "--engine-version", "3.5.3")
	if got, want := str(t, withoutKey, "ReplicationInstance", "KmsKeyId"), str(t, awsDMS, "KeyMetadata", "Arn"); got != want {
		t.Errorf("instance without a key: KmsKeyId %s, want the aws/dms key %s", got, want)
	}
	if _, code := aws.run("dms", "create-replication-instance", "--replication-instance-identifier", "bad-key",
		"--replication-instance-class", "dms.r5.large", "--kms-key-id", "alias/missing"); code != "KMSKeyNotAccessibleFault" {
		t.Errorf("create with a missing key: code %q", code)
	}
	for i := range 43 {
		aws.srvCreate(srv, fmt.Sprintf("filler-%02d", i))
	}
	srv.ResetLog()
	all := list(t, aws.mustRun("dms", "describe-replication-instances", "--page-size", "20"), "ReplicationInstances")
	if len(all) != 45 {
		t.Errorf("describe-replication-instances returned %d instances, want 45", len(all))
	}
	if pages := countCalls(srv, "dms:DescribeReplicationInstances"); pages != 3 {
		t.Errorf("the CLI made %d DescribeReplicationInstances calls at page size 20, want 3", pages)
	}
	if _, code := aws.run("dms", "describe-replication-instances", "--max-items", "5", "--page-size", "5"); code != "InvalidParameterValueException" {
		t.Errorf("page size 5 (below 20): code %q", code)
	}

	src := aws.mustRun("dms", "create-endpoint", "--endpoint-identifier", "orders-src", "--endpoint-type", "source",
		"--engine-name", "postgres", "--server-name", "db.example.com", "--port", "5432", "--username", "dms", "--password", "not-a-secret", "--database-name", "orders")
	dst := aws.mustRun("dms", "create-endpoint", "--endpoint-identifier", "orders-dst", "--endpoint-type", "target",
		"--engine-name", "s3", "--s3-settings", "BucketName=orders-lake,EncryptionMode=sse-kms,ServerSideEncryptionKmsKeyId="+keyARN)
	defaultARN := str(t, withoutKey, "ReplicationInstance", "ReplicationInstanceArn")
	cmkARN := str(t, withKey, "ReplicationInstance", "ReplicationInstanceArn")
	task := aws.mustRun("dms", "create-replication-task", "--replication-task-identifier", "orders-cdc",
		"--source-endpoint-arn", str(t, src, "Endpoint", "EndpointArn"), "--target-endpoint-arn", str(t, dst, "Endpoint", "EndpointArn"),
		"--replication-instance-arn", defaultARN, "--migration-type", "full-load-and-cdc",
		"--table-mappings", `{"rules":[{"rule-type":"selection","rule-id":"1","rule-name":"1","object-locator":{"schema-name":"%","table-name":"%"},"rule-action":"include"}]}`)
	taskARN := str(t, task, "ReplicationTask", "ReplicationTaskArn")
	if got := str(t, task, "ReplicationTask", "Status"); got != "creating" {
		t.Errorf("create-replication-task status %s, want creating", got)
	}
	if _, code := aws.run("dms", "delete-replication-instance", "--replication-instance-arn", defaultARN); code != "InvalidResourceStateFault" {
		t.Errorf("delete an instance with a task attached: code %q, want InvalidResourceStateFault", code)
	}
	if _, code := aws.run("dms", "move-replication-task", "--replication-task-arn", taskARN, "--target-replication-instance-arn", defaultARN); code != "InvalidParameterValueException" {
		t.Errorf("move a task to its own instance: code %q", code)
	}
	moved := aws.mustRun("dms", "move-replication-task", "--replication-task-arn", taskARN, "--target-replication-instance-arn", cmkARN)
	if got := str(t, moved, "ReplicationTask", "Status"); got != "moving" {
		t.Errorf("move-replication-task status %s, want moving", got)
	}
	after := list(t, aws.mustRun("dms", "describe-replication-tasks", "--filters", "Name=replication-task-arn,Values="+taskARN), "ReplicationTasks")
	if got := str(t, after[0], "ReplicationInstanceArn"); got != cmkARN {
		t.Errorf("after the move the task is on %s, want %s", got, cmkARN)
	}
	deleted := aws.mustRun("dms", "delete-replication-instance", "--replication-instance-arn", defaultARN)
	if got := str(t, deleted, "ReplicationInstance", "ReplicationInstanceStatus"); got != "deleting" {
		t.Errorf("delete-replication-instance status %s, want deleting", got)
	}

	// EC2 and STS.
	var regions []string
	for _, r := range list(t, aws.mustRun("ec2", "describe-regions", "--all-regions"), "Regions") {
		regions = append(regions, str(t, r, "RegionName")+"/"+str(t, r, "OptInStatus"))
	}
	if diff := cmp.Diff([]string{"us-east-1/opt-in-not-required", "eu-west-1/opt-in-not-required", "af-south-1/not-opted-in"}, regions); diff != "" {
		t.Errorf("describe-regions --all-regions (-want +got):\n%s", diff)
	}
	if got := str(t, aws.mustRun("sts", "get-caller-identity"), "Account"); got != "111122223333" {
		t.Errorf("get-caller-identity Account = %s", got)
	}
	role := aws.mustRun("sts", "assume-role", "--role-arn", "arn:aws:iam::444455556666:role/CmkguardAudit", "--role-session-name", "conformance")
	if got := str(t, role, "AssumedRoleUser", "Arn"); got != "arn:aws:sts::444455556666:assumed-role/CmkguardAudit/conformance" {
		t.Errorf("assume-role Arn = %s", got)
	}
	roleCLI := *aws
	roleCLI.env = append(append([]string{}, aws.env...),
		"AWS_ACCESS_KEY_ID="+str(t, role, "Credentials", "AccessKeyId"),
		"AWS_SECRET_ACCESS_KEY="+str(t, role, "Credentials", "SecretAccessKey"),
		"AWS_SESSION_TOKEN="+str(t, role, "Credentials", "SessionToken"))
	if got := str(t, roleCLI.mustRun("sts", "get-caller-identity"), "Account"); got != "444455556666" {
		t.Errorf("the assumed role's account = %s, want 444455556666", got)
	}
	if _, code := aws.run("sts", "assume-role", "--role-arn", "arn:aws:iam::999999999999:role/x", "--role-session-name", "s1"); code != "AccessDenied" {
		t.Errorf("assume a role of an unknown account: code %q", code)
	}

	// A region the estate does not have.
	if _, code := aws.run("kms", "list-keys", "--region", "xx-fake-1"); code != "InvalidSignatureException" {
		t.Errorf("kms list-keys in xx-fake-1: code %q", code)
	}
	if _, code := aws.run("ec2", "describe-regions", "--region", "xx-fake-1"); code != "SignatureDoesNotMatch" {
		t.Errorf("ec2 describe-regions in xx-fake-1: code %q", code)
	}
}

// srvCreate seeds an instance through the SDK-free path (a raw call), so
// that the paging check does not spend 43 CLI start-ups.
func (a *awsCLI) srvCreate(srv *awsemu.Server, id string) {
	a.t.Helper()
	resp := rawCall(a.t, srv, "POST", "/", sigv4("dms"), "AmazonDMSv20160101.CreateReplicationInstance", "application/x-amz-json-1.1",
		`{"ReplicationInstanceIdentifier":"`+id+`","ReplicationInstanceClass":"dms.t3.medium"}`)
	if resp.status != 200 {
		a.t.Fatalf("create %s: %d %s", id, resp.status, resp.body)
	}
}

func countCalls(srv *awsemu.Server, action string) int {
	n := 0
	for _, e := range srv.Requests() {
		if e.Action() == action {
			n++
		}
	}
	return n
}
