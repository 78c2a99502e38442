package remediate

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// WriteShell renders a plan as a bash script of AWS CLI commands that does
// what Apply does, in the same order, with the same requests, waits and
// checks, for teams that must run changes themselves.
//
// The script is safe to run again, after an interruption (a kill, a failed
// call) and after it succeeded: every part looks before it acts. It finds
// the key it created by the plan's tag (even before its alias exists), and
// the replacement by the plan's tag under its new or, once renamed, its
// final identifier. Before it first stops a task it records the task's
// status in a state file beside the script (SCRIPT.state, or
// $CMKGUARD_STATE_FILE), so that a re-run restarts the tasks it stopped,
// not only those it finds running.
func WriteShell(w io.Writer, p *Plan) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "#!/usr/bin/env bash\n# cmkguard remediation plan %s for account %s (%s)\n", comment(p.ID), p.Account, comment(strings.Join(p.Regions, ", ")))
	fmt.Fprintf(b, "# Generated from %s. Review before running.\n", comment(describeSource(p.Source)))
	fmt.Fprintf(b, "# Safe to run again after an interruption or a failure: it looks before each change,\n# and keeps what it must remember in $STATE (the tasks it stopped).\nset -euo pipefail\n\n")
	fmt.Fprintf(b, "PLAN_ID=%s\nPOLL=${CMKGUARD_POLL_SECONDS:-15}\nSTATE=${CMKGUARD_STATE_FILE:-${BASH_SOURCE[0]:-cmkguard-%s}.state}\n(umask 077; touch \"$STATE\")\n\n", p.ID, p.ID)
	b.WriteString(shellPreamble)
	fmt.Fprintf(b, "[ \"$(aws sts get-caller-identity --region %s --query Account --output text)\" = %s ] || { echo 'wrong account: this plan is for %s' >&2; exit 1; }\n", firstOrDefault(p.Regions, "us-east-1"), p.Account, p.Account)
	for _, region := range p.Regions {
		k, _ := p.KeyFor(region)
		keyVar := "KEY_" + shellVar(region)
		fmt.Fprintf(b, "\n# ---- %s ----\n", comment(region))
		if k.Mode == KeyCreate {
			writeShellCreateKey(b, p, k, region, keyVar)
		} else {
			fmt.Fprintf(b, "%s=%s\n", keyVar, shq(k.ARN))
			fmt.Fprintf(b, "[ \"$(aws kms describe-key --region %s --key-id \"$%s\" --query 'KeyMetadata.[KeyManager,KeyState]' --output text)\" = \"$(printf 'CUSTOMER\\tEnabled')\" ] || { echo \"key $%s is not an Enabled customer key\" >&2; exit 1; }\n", region, keyVar, keyVar)
		}
		for _, r := range p.Replacements {
			if r.Region == region {
				writeShellReplacement(b, p, r, region, keyVar)
			}
		}
		for _, c := range p.Configs {
			if c.Region == region && c.Consent {
				writeShellConfig(b, p, c, region, keyVar)
			}
		}
	}
	fmt.Fprintln(b, "\necho 'remediation complete'")
	_, err := io.WriteString(w, b.String())
	return err
}

const shellPreamble = `# q ARGS...: an AWS CLI query printing text; "not found" prints nothing, any other error stops the script.
q() {
  local out err rc=0
  err=$(mktemp)
  out=$(aws "$@" --output text 2>"$err") || rc=$?
  if [ "$rc" -ne 0 ]; then
    if grep -q -e ResourceNotFoundFault -e NotFoundException "$err"; then out=""; else cat "$err" >&2; rm -f "$err"; exit 1; fi
  fi
  rm -f "$err"
  [ "$out" != None ] || out=""
  printf '%s\n' "$out"
}
# remember NAME VALUE: record a resource's state before this script first changes it; later runs keep the first record.
remember() { grep -q "^$1 " "$STATE" || printf '%s %s\n' "$1" "$2" >> "$STATE"; }
# recall NAME: what remember recorded ("" if nothing).
recall() { awk -v k="$1" '$1 == k { print $2; exit }' "$STATE"; }
# tagged REGION ARN: does the DMS resource carry this plan's tag?
tagged() { [ "$(q dms list-tags-for-resource --region "$1" --resource-arn "$2" --query "TagList[?Key=='cmkguard:plan-id'].Value | [0]")" = "$PLAN_ID" ]; }
# plan_key REGION: the Enabled key this plan created (found by its tag: its alias may not exist yet).
plan_key() {
  local k
  for k in $(q kms list-keys --region "$1" --query 'Keys[].KeyArn'); do
    [ "$(aws kms list-resource-tags --region "$1" --key-id "$k" --query "Tags[?TagKey=='cmkguard:plan-id'].TagValue | [0]" --output text 2>/dev/null || true)" = "$PLAN_ID" ] || continue
    [ "$(q kms describe-key --region "$1" --key-id "$k" --query KeyMetadata.KeyState)" = Enabled ] || continue
    echo "$k"
    return 0
  done
}
# instance_id REGION ID, instance_arn REGION ARN: the instance's ARN, or nothing.
instance_id() { q dms describe-replication-instances --region "$1" --filters Name=replication-instance-id,Values="$2" --query 'ReplicationInstances[0].ReplicationInstanceArn'; }
instance_arn() { q dms describe-replication-instances --region "$1" --filters Name=replication-instance-arn,Values="$2" --query 'ReplicationInstances[0].[ReplicationInstanceArn,ReplicationInstanceStatus,ReplicationInstanceIdentifier]'; }
# wait_instance REGION ARN [ID]: until the instance is available (and has that identifier).
wait_instance() {
  local out st id
  while :; do
    out=$(instance_arn "$1" "$2")
    st=$(printf '%s' "$out" | cut -f2); id=$(printf '%s' "$out" | cut -f3)
    case "$st" in
      available) if [ -z "${3:-}" ] || [ "$id" = "$3" ]; then return 0; fi ;;
      failed|incompatible-*|storage-full|deleting|"") echo "instance $2 is ${st:-gone}" >&2; return 1 ;;
    esac
    sleep "$POLL"
  done
}
# wait_gone REGION ARN: until the instance no longer exists.
wait_gone() { while [ -n "$(instance_arn "$1" "$2")" ]; do sleep "$POLL"; done; }
# task_state REGION TASK_ARN: "INSTANCE_ARN<tab>STATUS", or nothing when the task is gone.
task_state() { q dms describe-replication-tasks --region "$1" --without-settings --filters Name=replication-task-arn,Values="$2" --query 'ReplicationTasks[0].[ReplicationInstanceArn,Status]'; }
# wait_stopped REGION TASK_ARN: until the task is no longer running or stopping.
wait_stopped() {
  while :; do
    case "$(task_state "$1" "$2" | cut -f2)" in running|starting|resuming|stopping) sleep "$POLL" ;; *) return 0 ;; esac
  done
}
# wait_task REGION TASK_ARN INSTANCE_ARN: until the task is on the instance and no longer moving.
wait_task() {
  local out
  while :; do
    out=$(task_state "$1" "$2")
    case "$out" in
      *$'\t'failed-move) echo "task $2 failed to move" >&2; return 1 ;;
      "$3"$'\t'moving) ;;
      "$3"$'\t'*) return 0 ;;
      "") echo "task $2 disappeared" >&2; return 1 ;;
    esac
    sleep "$POLL"
  done
}
# attached_tasks REGION INSTANCE_ARN: how many tasks are on the instance (0 when DMS finds none).
attached_tasks() {
  local n
  n=$(q dms describe-replication-tasks --region "$1" --without-settings --filters Name=replication-instance-arn,Values="$2" --query 'length(ReplicationTasks)')
  echo "${n:-0}"
}
# config_id REGION ID, config_arn REGION ARN: the serverless config's ARN, or nothing.
config_id() { q dms describe-replication-configs --region "$1" --filters Name=replication-config-id,Values="$2" --query 'ReplicationConfigs[0].ReplicationConfigArn'; }
config_arn() { q dms describe-replication-configs --region "$1" --filters Name=replication-config-arn,Values="$2" --query 'ReplicationConfigs[0].ReplicationConfigArn'; }
# replication_status REGION CONFIG_ARN: the status of the config's replication.
replication_status() { q dms describe-replications --region "$1" --filters Name=replication-config-arn,Values="$2" --query 'Replications[0].Status'; }
`

func writeShellCreateKey(b *strings.Builder, p *Plan, k KeyPlan, region, keyVar string) {
	in := createKeyInput(p, k)
	fmt.Fprintf(b, "# key: by its alias, else by this plan's tag (a run stopped before the alias), else create it\n")
	fmt.Fprintf(b, "%s=$(q kms list-aliases --region %s --query %s)\n", keyVar, region, shq(fmt.Sprintf("Aliases[?AliasName=='%s'].TargetKeyId | [0]", k.Alias)))
	fmt.Fprintf(b, "if [ -z \"$%s\" ]; then\n", keyVar)
	fmt.Fprintf(b, "  %s=$(plan_key %s)\n", keyVar, region)
	fmt.Fprintf(b, "  if [ -z \"$%s\" ]; then\n", keyVar)
	fmt.Fprintf(b, "    %s=$(aws kms create-key --region %s --description %s --key-usage ENCRYPT_DECRYPT --key-spec SYMMETRIC_DEFAULT \\\n      --tags %s \\\n      --policy %s \\\n      --query KeyMetadata.Arn --output text)\n",
		keyVar, region, shq(aws.ToString(in.Description)), shq(kmsTagsJSON(p.ID, k.Alias)), shq(compactJSON(k.Policy)))
	fmt.Fprintf(b, "  fi\n  aws kms create-alias --region %s --alias-name %s --target-key-id \"$%s\"\n", region, shq(k.Alias), keyVar)
	fmt.Fprintf(b, "else\n  # the alias exists: use its key only if this plan created it\n")
	fmt.Fprintf(b, "  [ \"$(q kms list-resource-tags --region %s --key-id \"$%s\" --query %s)\" = \"$PLAN_ID\" ] || { echo %s >&2; exit 1; }\nfi\n",
		region, keyVar, shq(fmt.Sprintf("Tags[?TagKey=='%s'].TagValue | [0]", TagPlanID)), shq(fmt.Sprintf("alias %s points to a key this plan did not create", k.Alias)))
	fmt.Fprintf(b, "%s=$(aws kms describe-key --region %s --key-id \"$%s\" --query KeyMetadata.Arn --output text)\n", keyVar, region, keyVar)
}

func writeShellReplacement(b *strings.Builder, p *Plan, r Replacement, region, keyVar string) {
	id := shellVar(region + "_" + r.Old.ID)
	newVar := "NEW_" + id
	in := createInstanceInput(p, r, "KEY")
	fmt.Fprintf(b, "\n# replace %s (%s)\n", comment(r.Old.ID), comment(r.Old.ARN))
	fmt.Fprintf(b, "# the replacement: under its new identifier, or (renamed by an earlier run) its final one, with this plan's tag\n")
	fmt.Fprintf(b, "%s=$(instance_id %s %s)\n", newVar, region, shq(r.NewID))
	fmt.Fprintf(b, "if [ -n \"$%s\" ]; then\n  tagged %s \"$%s\" || { echo %s >&2; exit 1; }\n", newVar, region, newVar, shq(fmt.Sprintf("an instance named %s exists that this plan did not create", r.NewID)))
	if r.FinalID != r.NewID {
		fmt.Fprintf(b, "else\n  CAND=$(instance_id %s %s)\n", region, shq(r.FinalID))
		fmt.Fprintf(b, "  if [ -n \"$CAND\" ] && [ \"$CAND\" != %s ] && tagged %s \"$CAND\"; then %s=$CAND; fi\n", shq(r.Old.ARN), region, newVar)
	}
	fmt.Fprintf(b, "fi\nif [ -z \"$%s\" ]; then\n", newVar)
	fmt.Fprintf(b, "  %s=$(aws dms create-replication-instance --region %s \\\n", newVar, region)
	args := [][2]string{
		{"--replication-instance-identifier", aws.ToString(in.ReplicationInstanceIdentifier)},
		{"--replication-instance-class", aws.ToString(in.ReplicationInstanceClass)},
		{"--allocated-storage", fmt.Sprint(aws.ToInt32(in.AllocatedStorage))},
		{"--engine-version", aws.ToString(in.EngineVersion)},
		{"--replication-subnet-group-identifier", aws.ToString(in.ReplicationSubnetGroupIdentifier)},
		{"--availability-zone", aws.ToString(in.AvailabilityZone)},
		{"--preferred-maintenance-window", aws.ToString(in.PreferredMaintenanceWindow)},
		{"--network-type", aws.ToString(in.NetworkType)},
		{"--dns-name-servers", aws.ToString(in.DnsNameServers)},
	}
	for _, a := range args {
		if a[1] != "" {
			fmt.Fprintf(b, "      %s %s \\\n", a[0], shq(a[1]))
		}
	}
	if len(in.VpcSecurityGroupIds) > 0 {
		quoted := make([]string, len(in.VpcSecurityGroupIds))
		for i, g := range in.VpcSecurityGroupIds {
			quoted[i] = shq(g)
		}
		fmt.Fprintf(b, "      --vpc-security-group-ids %s \\\n", strings.Join(quoted, " "))
	}
	fmt.Fprintf(b, "      %s %s %s \\\n", flagBool("multi-az", aws.ToBool(in.MultiAZ)), flagBool("publicly-accessible", aws.ToBool(in.PubliclyAccessible)), flagBool("auto-minor-version-upgrade", aws.ToBool(in.AutoMinorVersionUpgrade)))
	if k := in.KerberosAuthenticationSettings; k != nil {
		kb, _ := json.Marshal(map[string]string{"KeyCacheSecretId": aws.ToString(k.KeyCacheSecretId), "KeyCacheSecretIamArn": aws.ToString(k.KeyCacheSecretIamArn), "Krb5FileContents": aws.ToString(k.Krb5FileContents)})
		fmt.Fprintf(b, "      --kerberos-authentication-settings %s \\\n", shq(string(kb)))
	}
	tb, _ := json.Marshal(tagList(in.Tags))
	fmt.Fprintf(b, "      --tags %s \\\n", shq(string(tb)))
	fmt.Fprintf(b, "      --kms-key-id \"$%s\" \\\n      --query ReplicationInstance.ReplicationInstanceArn --output text)\nfi\n", keyVar)
	fmt.Fprintf(b, "wait_instance %s \"$%s\"\n", region, newVar)
	fmt.Fprintf(b, "# verify: the new instance's key is the chosen customer key\n")
	writeShellVerifyKey(b, region, fmt.Sprintf("aws dms describe-replication-instances --region %s --filters Name=replication-instance-arn,Values=\"$%s\" --query 'ReplicationInstances[0].KmsKeyId' --output text", region, newVar), keyVar, "new instance "+r.NewID)
	for _, t := range r.Tasks {
		record := "task_" + shellVar(t.ARN)
		fmt.Fprintf(b, "# task %s: its status before this script first touched it is kept in $STATE\n", comment(t.ID))
		fmt.Fprintf(b, "S=$(task_state %s %s)\n", region, shq(t.ARN))
		fmt.Fprintf(b, "if [ -z \"$S\" ]; then\n  echo %s >&2\nelse\n", shq("warning: task "+t.ID+" no longer exists: skipped"))
		fmt.Fprintf(b, "  remember %s \"$(printf '%%s' \"$S\" | cut -f2)\"\n", record)
		fmt.Fprintf(b, "  if [ \"$(printf '%%s' \"$S\" | cut -f1)\" != \"$%s\" ]; then\n", newVar)
		fmt.Fprintf(b, "    case \"$(printf '%%s' \"$S\" | cut -f2)\" in\n")
		fmt.Fprintf(b, "      running|starting|resuming) aws dms stop-replication-task --region %s --replication-task-arn %s >/dev/null; wait_stopped %s %s ;;\n", region, shq(t.ARN), region, shq(t.ARN))
		fmt.Fprintf(b, "      stopping) wait_stopped %s %s ;;\n    esac\n", region, shq(t.ARN))
		fmt.Fprintf(b, "    [ \"$(task_state %s %s | cut -f2)\" = moving ] || aws dms move-replication-task --region %s --replication-task-arn %s --target-replication-instance-arn \"$%s\" >/dev/null\n  fi\n",
			region, shq(t.ARN), region, shq(t.ARN), newVar)
		fmt.Fprintf(b, "  wait_task %s %s \"$%s\"\n", region, shq(t.ARN), newVar)
		fmt.Fprintf(b, "  case \"$(recall %s)\" in running|starting|resuming)\n", record)
		fmt.Fprintf(b, "    case \"$(task_state %s %s | cut -f2)\" in running|starting|resuming) ;; *)\n", region, shq(t.ARN))
		fmt.Fprintf(b, "      aws dms start-replication-task --region %s --replication-task-arn %s --start-replication-task-type resume-processing >/dev/null ;;\n    esac ;;\n  esac\nfi\n", region, shq(t.ARN))
	}
	skip := "SKIP_RENAME_" + id
	if p.Options.DeleteOld {
		deleted := "deleted_" + shellVar(r.Old.ARN)
		fmt.Fprintf(b, "# delete the old instance only when no task is attached (and say so if someone else deleted it)\n%s=\n", skip)
		fmt.Fprintf(b, "OLD=$(instance_arn %s %s)\n", region, shq(r.Old.ARN))
		fmt.Fprintf(b, "if [ -n \"$OLD\" ] && [ \"$(printf '%%s' \"$OLD\" | cut -f2)\" != deleting ]; then\n")
		fmt.Fprintf(b, "  [ \"$(attached_tasks %s %s)\" = 0 ] || { echo %s >&2; exit 1; }\n", region, shq(r.Old.ARN), shq("tasks may still be attached to "+r.Old.ID+": not deleting it"))
		fmt.Fprintf(b, "  remember %s yes\n", deleted)
		fmt.Fprintf(b, "  aws dms delete-replication-instance --region %s --replication-instance-arn %s >/dev/null\n", region, shq(r.Old.ARN))
		fmt.Fprintf(b, "elif [ -z \"$(recall %s)\" ]; then\n", deleted)
		fmt.Fprintf(b, "  echo %s >&2\n  %s=1\nfi\n", shq("warning: "+r.Old.ID+" was deleted by someone else; its replacement keeps the identifier "+r.NewID), skip)
		fmt.Fprintf(b, "wait_gone %s %s\n", region, shq(r.Old.ARN))
	}
	if p.Options.KeepIdentifier {
		fmt.Fprintf(b, "if [ -z \"$%s\" ]; then\n", skip)
		fmt.Fprintf(b, "  if [ \"$(instance_arn %s \"$%s\" | cut -f3)\" != %s ]; then\n", region, newVar, shq(r.Old.ID))
		fmt.Fprintf(b, "    [ -z \"$(instance_id %s %s)\" ] || { echo %s >&2; exit 1; }\n", region, shq(r.Old.ID), shq("identifier "+r.Old.ID+" is still in use: not renaming"))
		fmt.Fprintf(b, "    aws dms modify-replication-instance --region %s --replication-instance-arn \"$%s\" --replication-instance-identifier %s --apply-immediately >/dev/null\n  fi\n", region, newVar, shq(r.Old.ID))
		fmt.Fprintf(b, "  wait_instance %s \"$%s\" %s\nfi\n", region, newVar, shq(r.Old.ID))
	}
}

func writeShellConfig(b *strings.Builder, p *Plan, c ConfigPlan, region, keyVar string) {
	const placeholder = "__CMKGUARD_KEY__"
	cc := withoutNulls(computeConfig(c.Old.Compute, placeholder))
	id := shellVar(region + "_" + c.Old.ID)
	ccVar := "CC_" + id
	fmt.Fprintf(b, "\n# serverless config %s (%s)\n%s=%s\n", comment(c.Old.ID), comment(c.Old.ARN), ccVar, shq(cc))
	if c.Action == ConfigModify {
		fmt.Fprintf(b, "aws dms modify-replication-config --region %s --replication-config-arn %s --compute-config \"${%s/%s/$%s}\" >/dev/null\n", region, shq(c.Old.ARN), ccVar, placeholder, keyVar)
		writeShellVerifyKey(b, region, configKeyQuery(region, shq(c.Old.ARN)), keyVar, "serverless config "+c.Old.ID)
		return
	}
	newVar := "NEWCFG_" + id
	in := createConfigInput(p, c, placeholder)
	fmt.Fprintf(b, "# the copy: under its new identifier, or (renamed by an earlier run) its final one, with this plan's tag\n")
	fmt.Fprintf(b, "%s=$(config_id %s %s)\n", newVar, region, shq(c.NewID))
	fmt.Fprintf(b, "if [ -n \"$%s\" ]; then\n  tagged %s \"$%s\" || { echo %s >&2; exit 1; }\n", newVar, region, newVar, shq(fmt.Sprintf("a serverless config named %s exists that this plan did not create", c.NewID)))
	if c.FinalID != c.NewID {
		fmt.Fprintf(b, "else\n  CAND=$(config_id %s %s)\n", region, shq(c.FinalID))
		fmt.Fprintf(b, "  if [ -n \"$CAND\" ] && [ \"$CAND\" != %s ] && tagged %s \"$CAND\"; then %s=$CAND; fi\n", shq(c.Old.ARN), region, newVar)
	}
	fmt.Fprintf(b, "fi\nif [ -z \"$%s\" ]; then\n", newVar)
	fmt.Fprintf(b, "  if [ \"$(replication_status %s %s)\" = running ]; then\n", region, shq(c.Old.ARN))
	fmt.Fprintf(b, "    aws dms stop-replication --region %s --replication-config-arn %s >/dev/null\n", region, shq(c.Old.ARN))
	fmt.Fprintf(b, "    until [ \"$(replication_status %s %s)\" = stopped ]; do sleep \"$POLL\"; done\n  fi\n", region, shq(c.Old.ARN))
	tb, _ := json.Marshal(tagList(in.Tags))
	fmt.Fprintf(b, "  %s=$(aws dms create-replication-config --region %s --replication-config-identifier %s \\\n", newVar, region, shq(c.NewID))
	fmt.Fprintf(b, "      --source-endpoint-arn %s --target-endpoint-arn %s --replication-type %s \\\n", shq(c.Old.SourceEndpointARN), shq(c.Old.TargetEndpointARN), shq(c.Old.ReplicationType))
	for _, a := range [][2]string{{"--table-mappings", c.Old.TableMappings}, {"--replication-settings", c.Old.ReplicationSettings}, {"--supplemental-settings", c.Old.SupplementalSettings}} {
		if a[1] != "" {
			fmt.Fprintf(b, "      %s %s \\\n", a[0], shq(a[1]))
		}
	}
	fmt.Fprintf(b, "      --compute-config \"${%s/%s/$%s}\" --tags %s \\\n      --query ReplicationConfig.ReplicationConfigArn --output text)\nfi\n", ccVar, placeholder, keyVar, shq(string(tb)))
	fmt.Fprintf(b, "# verify: the copy's key is the chosen customer key, before anything is deleted\n")
	writeShellVerifyKey(b, region, configKeyQuery(region, "\"$"+newVar+"\""), keyVar, "serverless config "+c.NewID)
	if p.Options.DeleteOld {
		fmt.Fprintf(b, "[ -z \"$(config_arn %s %s)\" ] || aws dms delete-replication-config --region %s --replication-config-arn %s >/dev/null\n", region, shq(c.Old.ARN), region, shq(c.Old.ARN))
	}
	if p.Options.KeepIdentifier {
		fmt.Fprintf(b, "if [ \"$(q dms describe-replication-configs --region %s --filters Name=replication-config-arn,Values=\"$%s\" --query 'ReplicationConfigs[0].ReplicationConfigIdentifier')\" != %s ]; then\n", region, newVar, shq(c.Old.ID))
		fmt.Fprintf(b, "  until [ -z \"$(config_arn %s %s)\" ]; do sleep \"$POLL\"; done\n", region, shq(c.Old.ARN))
		fmt.Fprintf(b, "  aws dms modify-replication-config --region %s --replication-config-arn \"$%s\" --replication-config-identifier %s >/dev/null\nfi\n", region, newVar, shq(c.Old.ID))
	}
	fmt.Fprintf(b, "echo %s >&2\n", shq("serverless config "+c.FinalID+" was re-created and is NOT started: start it when ready"))
}
