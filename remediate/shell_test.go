package remediate

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// stubAWS stands in for the AWS CLI: it logs each call's arguments (fields
// separated by \x1f, one call a line) and answers just enough for the
// script to run from top to bottom.
const stubAWS = `#!/usr/bin/env bash
printf '%s\x1f' "$@" >> "$AWS_LOG"; echo >> "$AWS_LOG"
key=arn:aws:kms:us-east-1:111122223333:key/k
new=arn:aws:dms:us-east-1:111122223333:rep:NEW
case "$*" in
  *get-caller-identity*) echo 111122223333 ;;
  *"kms list-aliases"*) echo None ;;
  *"kms create-key"*) echo "$key" ;;
  *"kms describe-key"*"KeyMetadata.[Arn,KeyManager]"*) printf '%s\tCUSTOMER\n' "$key" ;;
  *"kms describe-key"*) echo "$key" ;;
  *"describe-replication-instances"*KmsKeyId*) echo "$key" ;;
  *"describe-replication-configs"*KmsKeyId*) echo "$key" ;;
  *"describe-replication-instances"*"Values=$new"*ReplicationInstanceStatus*) printf '%s\tavailable\tx\n' "$new" ;;
  *"describe-replication-instances"*) echo None ;;
  *"create-replication-instance"*) echo "$new" ;;
  *"describe-replication-tasks"*"length(ReplicationTasks)"*) echo 0 ;;
  *"describe-replication-tasks"*"[ReplicationInstanceArn,Status]"*) printf '%s\tstopped\n' "$new" ;;
  *"describe-replication-tasks"*) echo stopped ;;
  *"create-replication-config"*) echo arn:aws:dms:us-east-1:111122223333:replication-config:NEW ;;
esac
`

// TestShellScriptQuotesWhatItReadFromTheWorld renders a plan whose tags,
// task identifier and source audit carry shell syntax (tag values and a
// report file are not under cmkguard's control), runs the script with a
// stub AWS CLI, and checks that nothing was executed and that every value
// reached the CLI unchanged.
func TestShellScriptQuotesWhatItReadFromTheWorld(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	dir := t.TempDir()
	pwned := filepath.Join(dir, "PWNED")
	payloads := []string{
		"x'; touch " + pwned + "; '",
		"$(touch " + pwned + ")",
		"`touch " + pwned + "`",
		"\ntouch " + pwned + "\n",
	}
	req, facts := fixtureRequest(), fixtureFacts()
	req.Source.GeneratedAt = "2026-11-27\ntouch " + pwned + "\n#"
	req.Source.File = "audit.json\ntouch " + pwned
	orders := facts.Instances[oldARN1]
	orders.Instance.Settings.Tags = map[string]string{}
	for i, p := range payloads {
		orders.Instance.Settings.Tags[string(rune('a'+i))+p] = p
	}
	orders.Tasks[0].ID = "orders-cdc\ntouch " + pwned
	facts.Instances[oldARN1] = orders
	started := facts.Configs[cfgStarted]
	started.TableMappings = `{"rules":[],"note":"it's $(touch ` + pwned + `)"}`
	started.Tags = map[string]string{"app": payloads[0]}
	facts.Configs[cfgStarted] = started
	p, err := NewPlan(req, facts)
	if err != nil {
		t.Fatal(err)
	}
	var script bytes.Buffer
	if err := WriteShell(&script, p); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "aws"), []byte(stubAWS), 0o700); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "aws.log")
	cmd := exec.Command("bash", "-c", script.String())
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "AWS_LOG="+log)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the script failed: %v\n%s", err, out)
	}
	if _, err := os.Stat(pwned); err == nil {
		t.Fatal("a value read from the world was executed by the script")
	}

	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	argsOf := func(verb string) []string {
		for _, line := range strings.Split(string(b), "\n") {
			args := strings.Split(strings.TrimSuffix(line, "\x1f"), "\x1f")
			if len(args) > 1 && args[1] == verb && strings.Contains(line, "--region\x1fus-east-1\x1f") {
				return args
			}
		}
		t.Fatalf("no %s call in us-east-1:\n%s", verb, b)
		return nil
	}
	flag := func(args []string, name string) string {
		for i, a := range args {
			if a == name && i+1 < len(args) {
				return a + " " + args[i+1]
			}
		}
		return name + " (missing)"
	}
	wantTags, _ := json.Marshal(tagList(createInstanceInput(p, p.Replacements[1], "KEY").Tags))
	if diff := cmp.Diff("--tags "+string(wantTags), flag(argsOf("create-replication-instance"), "--tags")); diff != "" {
		t.Errorf("create-replication-instance tags (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("--table-mappings "+started.TableMappings, flag(argsOf("create-replication-config"), "--table-mappings")); diff != "" {
		t.Errorf("create-replication-config table mappings (-want +got):\n%s", diff)
	}
}
