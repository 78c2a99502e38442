#!/usr/bin/env bash
# cmkguard remediation plan rp-test for account 111122223333 (eu-west-1, us-east-1)
# Generated from audit report audit.json (sha256:abc, generated 2026-11-27T14:00:00Z), 2 failing instance(s). Review before running.
# Safe to run again after an interruption or a failure: it looks before each change,
# and keeps what it must remember in $STATE (the tasks it stopped).
set -euo pipefail

PLAN_ID=rp-test
POLL=${CMKGUARD_POLL_SECONDS:-15}
STATE=${CMKGUARD_STATE_FILE:-${BASH_SOURCE[0]:-cmkguard-rp-test}.state}
(umask 077; touch "$STATE")

# q ARGS...: an AWS CLI query printing text; "not found" prints nothing, any other error stops the script.
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
[ "$(aws sts get-caller-identity --region eu-west-1 --query Account --output text)" = 111122223333 ] || { echo 'wrong account: this plan is for 111122223333' >&2; exit 1; }

# ---- eu-west-1 ----
# key: by its alias, else by this plan's tag (a run stopped before the alias), else create it
KEY_eu_west_1=$(q kms list-aliases --region eu-west-1 --query 'Aliases[?AliasName=='\''alias/dms-cmk'\''].TargetKeyId | [0]')
if [ -z "$KEY_eu_west_1" ]; then
  KEY_eu_west_1=$(plan_key eu-west-1)
  if [ -z "$KEY_eu_west_1" ]; then
    KEY_eu_west_1=$(aws kms create-key --region eu-west-1 --description 'Customer-managed key for AWS DMS replication instances (created by cmkguard)' --key-usage ENCRYPT_DECRYPT --key-spec SYMMETRIC_DEFAULT \
      --tags '[{"TagKey":"cmkguard:plan-id","TagValue":"rp-test"},{"TagKey":"cmkguard:alias","TagValue":"alias/dms-cmk"}]' \
      --policy '{"Version":"2012-10-17","Id":"cmkguard-dms-key-policy","Statement":[{"Sid":"EnableIAMUserPermissions","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root"]},"Action":["kms:*"],"Resource":"*"},{"Sid":"AllowKeyAdministration","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:role/KeyAdmin"]},"Action":["kms:CancelKeyDeletion","kms:Create*","kms:Delete*","kms:Describe*","kms:Disable*","kms:Enable*","kms:Get*","kms:List*","kms:Put*","kms:Revoke*","kms:RotateKeyOnDemand","kms:ScheduleKeyDeletion","kms:TagResource","kms:UntagResource","kms:Update*"],"Resource":"*"}]}' \
      --query KeyMetadata.Arn --output text)
  fi
  aws kms create-alias --region eu-west-1 --alias-name alias/dms-cmk --target-key-id "$KEY_eu_west_1"
else
  # the alias exists: use its key only if this plan created it
  [ "$(q kms list-resource-tags --region eu-west-1 --key-id "$KEY_eu_west_1" --query 'Tags[?TagKey=='\''cmkguard:plan-id'\''].TagValue | [0]')" = "$PLAN_ID" ] || { echo 'alias alias/dms-cmk points to a key this plan did not create' >&2; exit 1; }
fi
KEY_eu_west_1=$(aws kms describe-key --region eu-west-1 --key-id "$KEY_eu_west_1" --query KeyMetadata.Arn --output text)

# replace billing (arn:aws:dms:eu-west-1:111122223333:rep:BBBBBBBBBBBBBBBBBBBBBBBBBB)
# the replacement: under its new identifier, or (renamed by an earlier run) its final one, with this plan's tag
NEW_eu_west_1_billing=$(instance_id eu-west-1 billing-cmk)
if [ -n "$NEW_eu_west_1_billing" ]; then
  tagged eu-west-1 "$NEW_eu_west_1_billing" || { echo 'an instance named billing-cmk exists that this plan did not create' >&2; exit 1; }
else
  CAND=$(instance_id eu-west-1 billing)
  if [ -n "$CAND" ] && [ "$CAND" != arn:aws:dms:eu-west-1:111122223333:rep:BBBBBBBBBBBBBBBBBBBBBBBBBB ] && tagged eu-west-1 "$CAND"; then NEW_eu_west_1_billing=$CAND; fi
fi
if [ -z "$NEW_eu_west_1_billing" ]; then
  NEW_eu_west_1_billing=$(aws dms create-replication-instance --region eu-west-1 \
      --replication-instance-identifier billing-cmk \
      --replication-instance-class dms.r5.large \
      --allocated-storage 100 \
      --engine-version 3.4.7 \
      --multi-az --no-publicly-accessible --no-auto-minor-version-upgrade \
      --tags '[{"Key":"cmkguard:plan-id","Value":"rp-test"}]' \
      --kms-key-id "$KEY_eu_west_1" \
      --query ReplicationInstance.ReplicationInstanceArn --output text)
fi
wait_instance eu-west-1 "$NEW_eu_west_1_billing"
# verify: the new instance's key is the chosen customer key
[ "$(aws kms describe-key --region eu-west-1 --key-id "$(aws dms describe-replication-instances --region eu-west-1 --filters Name=replication-instance-arn,Values="$NEW_eu_west_1_billing" --query 'ReplicationInstances[0].KmsKeyId' --output text)" --query 'KeyMetadata.[Arn,KeyManager]' --output text)" = "$(printf '%s\tCUSTOMER' "$KEY_eu_west_1")" ] || { echo 'new instance billing-cmk is not encrypted with the chosen key' >&2; exit 1; }
# delete the old instance only when no task is attached (and say so if someone else deleted it)
SKIP_RENAME_eu_west_1_billing=
OLD=$(instance_arn eu-west-1 arn:aws:dms:eu-west-1:111122223333:rep:BBBBBBBBBBBBBBBBBBBBBBBBBB)
if [ -n "$OLD" ] && [ "$(printf '%s' "$OLD" | cut -f2)" != deleting ]; then
  [ "$(attached_tasks eu-west-1 arn:aws:dms:eu-west-1:111122223333:rep:BBBBBBBBBBBBBBBBBBBBBBBBBB)" = 0 ] || { echo 'tasks may still be attached to billing: not deleting it' >&2; exit 1; }
  remember deleted_arn_aws_dms_eu_west_1_111122223333_rep_BBBBBBBBBBBBBBBBBBBBBBBBBB yes
  aws dms delete-replication-instance --region eu-west-1 --replication-instance-arn arn:aws:dms:eu-west-1:111122223333:rep:BBBBBBBBBBBBBBBBBBBBBBBBBB >/dev/null
elif [ -z "$(recall deleted_arn_aws_dms_eu_west_1_111122223333_rep_BBBBBBBBBBBBBBBBBBBBBBBBBB)" ]; then
  echo 'warning: billing was deleted by someone else; its replacement keeps the identifier billing-cmk' >&2
  SKIP_RENAME_eu_west_1_billing=1
fi
wait_gone eu-west-1 arn:aws:dms:eu-west-1:111122223333:rep:BBBBBBBBBBBBBBBBBBBBBBBBBB
if [ -z "$SKIP_RENAME_eu_west_1_billing" ]; then
  if [ "$(instance_arn eu-west-1 "$NEW_eu_west_1_billing" | cut -f3)" != billing ]; then
    [ -z "$(instance_id eu-west-1 billing)" ] || { echo 'identifier billing is still in use: not renaming' >&2; exit 1; }
    aws dms modify-replication-instance --region eu-west-1 --replication-instance-arn "$NEW_eu_west_1_billing" --replication-instance-identifier billing --apply-immediately >/dev/null
  fi
  wait_instance eu-west-1 "$NEW_eu_west_1_billing" billing
fi

# ---- us-east-1 ----
# key: by its alias, else by this plan's tag (a run stopped before the alias), else create it
KEY_us_east_1=$(q kms list-aliases --region us-east-1 --query 'Aliases[?AliasName=='\''alias/dms-cmk'\''].TargetKeyId | [0]')
if [ -z "$KEY_us_east_1" ]; then
  KEY_us_east_1=$(plan_key us-east-1)
  if [ -z "$KEY_us_east_1" ]; then
    KEY_us_east_1=$(aws kms create-key --region us-east-1 --description 'Customer-managed key for AWS DMS replication instances (created by cmkguard)' --key-usage ENCRYPT_DECRYPT --key-spec SYMMETRIC_DEFAULT \
      --tags '[{"TagKey":"cmkguard:plan-id","TagValue":"rp-test"},{"TagKey":"cmkguard:alias","TagValue":"alias/dms-cmk"}]' \
      --policy '{"Version":"2012-10-17","Id":"cmkguard-dms-key-policy","Statement":[{"Sid":"EnableIAMUserPermissions","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root"]},"Action":["kms:*"],"Resource":"*"},{"Sid":"AllowKeyAdministration","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:role/KeyAdmin"]},"Action":["kms:CancelKeyDeletion","kms:Create*","kms:Delete*","kms:Describe*","kms:Disable*","kms:Enable*","kms:Get*","kms:List*","kms:Put*","kms:Revoke*","kms:RotateKeyOnDemand","kms:ScheduleKeyDeletion","kms:TagResource","kms:UntagResource","kms:Update*"],"Resource":"*"}]}' \
      --query KeyMetadata.Arn --output text)
  fi
  aws kms create-alias --region us-east-1 --alias-name alias/dms-cmk --target-key-id "$KEY_us_east_1"
else
  # the alias exists: use its key only if this plan created it
  [ "$(q kms list-resource-tags --region us-east-1 --key-id "$KEY_us_east_1" --query 'Tags[?TagKey=='\''cmkguard:plan-id'\''].TagValue | [0]')" = "$PLAN_ID" ] || { echo 'alias alias/dms-cmk points to a key this plan did not create' >&2; exit 1; }
fi
KEY_us_east_1=$(aws kms describe-key --region us-east-1 --key-id "$KEY_us_east_1" --query KeyMetadata.Arn --output text)

# replace orders (arn:aws:dms:us-east-1:111122223333:rep:AAAAAAAAAAAAAAAAAAAAAAAAAA)
# the replacement: under its new identifier, or (renamed by an earlier run) its final one, with this plan's tag
NEW_us_east_1_orders=$(instance_id us-east-1 orders-cmk)
if [ -n "$NEW_us_east_1_orders" ]; then
  tagged us-east-1 "$NEW_us_east_1_orders" || { echo 'an instance named orders-cmk exists that this plan did not create' >&2; exit 1; }
else
  CAND=$(instance_id us-east-1 orders)
  if [ -n "$CAND" ] && [ "$CAND" != arn:aws:dms:us-east-1:111122223333:rep:AAAAAAAAAAAAAAAAAAAAAAAAAA ] && tagged us-east-1 "$CAND"; then NEW_us_east_1_orders=$CAND; fi
fi
if [ -z "$NEW_us_east_1_orders" ]; then
  NEW_us_east_1_orders=$(aws dms create-replication-instance --region us-east-1 \
      --replication-instance-identifier orders-cmk \
      --replication-instance-class dms.t3.medium \
      --allocated-storage 50 \
      --engine-version 3.5.2 \
      --replication-subnet-group-identifier default-vpc \
      --availability-zone us-east-1a \
      --preferred-maintenance-window sun:06:00-sun:06:30 \
      --network-type IPV4 \
      --vpc-security-group-ids sg-0123 \
      --no-multi-az --no-publicly-accessible --auto-minor-version-upgrade \
      --tags '[{"Key":"team","Value":"orders"},{"Key":"cmkguard:plan-id","Value":"rp-test"}]' \
      --kms-key-id "$KEY_us_east_1" \
      --query ReplicationInstance.ReplicationInstanceArn --output text)
fi
wait_instance us-east-1 "$NEW_us_east_1_orders"
# verify: the new instance's key is the chosen customer key
[ "$(aws kms describe-key --region us-east-1 --key-id "$(aws dms describe-replication-instances --region us-east-1 --filters Name=replication-instance-arn,Values="$NEW_us_east_1_orders" --query 'ReplicationInstances[0].KmsKeyId' --output text)" --query 'KeyMetadata.[Arn,KeyManager]' --output text)" = "$(printf '%s\tCUSTOMER' "$KEY_us_east_1")" ] || { echo 'new instance orders-cmk is not encrypted with the chosen key' >&2; exit 1; }
# task orders-cdc: its status before this script first touched it is kept in $STATE
S=$(task_state us-east-1 arn:aws:dms:us-east-1:111122223333:task:T2)
if [ -z "$S" ]; then
  echo 'warning: task orders-cdc no longer exists: skipped' >&2
else
  remember task_arn_aws_dms_us_east_1_111122223333_task_T2 "$(printf '%s' "$S" | cut -f2)"
  if [ "$(printf '%s' "$S" | cut -f1)" != "$NEW_us_east_1_orders" ]; then
    case "$(printf '%s' "$S" | cut -f2)" in
      running|starting|resuming) aws dms stop-replication-task --region us-east-1 --replication-task-arn arn:aws:dms:us-east-1:111122223333:task:T2 >/dev/null; wait_stopped us-east-1 arn:aws:dms:us-east-1:111122223333:task:T2 ;;
      stopping) wait_stopped us-east-1 arn:aws:dms:us-east-1:111122223333:task:T2 ;;
    esac
    [ "$(task_state us-east-1 arn:aws:dms:us-east-1:111122223333:task:T2 | cut -f2)" = moving ] || aws dms move-replication-task --region us-east-1 --replication-task-arn arn:aws:dms:us-east-1:111122223333:task:T2 --target-replication-instance-arn "$NEW_us_east_1_orders" >/dev/null
  fi
  wait_task us-east-1 arn:aws:dms:us-east-1:111122223333:task:T2 "$NEW_us_east_1_orders"
  case "$(recall task_arn_aws_dms_us_east_1_111122223333_task_T2)" in running|starting|resuming)
    case "$(task_state us-east-1 arn:aws:dms:us-east-1:111122223333:task:T2 | cut -f2)" in running|starting|resuming) ;; *)
      aws dms start-replication-task --region us-east-1 --replication-task-arn arn:aws:dms:us-east-1:111122223333:task:T2 --start-replication-task-type resume-processing >/dev/null ;;
    esac ;;
  esac
fi
# task orders-full: its status before this script first touched it is kept in $STATE
S=$(task_state us-east-1 arn:aws:dms:us-east-1:111122223333:task:T1)
if [ -z "$S" ]; then
  echo 'warning: task orders-full no longer exists: skipped' >&2
else
  remember task_arn_aws_dms_us_east_1_111122223333_task_T1 "$(printf '%s' "$S" | cut -f2)"
  if [ "$(printf '%s' "$S" | cut -f1)" != "$NEW_us_east_1_orders" ]; then
    case "$(printf '%s' "$S" | cut -f2)" in
      running|starting|resuming) aws dms stop-replication-task --region us-east-1 --replication-task-arn arn:aws:dms:us-east-1:111122223333:task:T1 >/dev/null; wait_stopped us-east-1 arn:aws:dms:us-east-1:111122223333:task:T1 ;;
      stopping) wait_stopped us-east-1 arn:aws:dms:us-east-1:111122223333:task:T1 ;;
    esac
    [ "$(task_state us-east-1 arn:aws:dms:us-east-1:111122223333:task:T1 | cut -f2)" = moving ] || aws dms move-replication-task --region us-east-1 --replication-task-arn arn:aws:dms:us-east-1:111122223333:task:T1 --target-replication-instance-arn "$NEW_us_east_1_orders" >/dev/null
  fi
  wait_task us-east-1 arn:aws:dms:us-east-1:111122223333:task:T1 "$NEW_us_east_1_orders"
  case "$(recall task_arn_aws_dms_us_east_1_111122223333_task_T1)" in running|starting|resuming)
    case "$(task_state us-east-1 arn:aws:dms:us-east-1:111122223333:task:T1 | cut -f2)" in running|starting|resuming) ;; *)
      aws dms start-replication-task --region us-east-1 --replication-task-arn arn:aws:dms:us-east-1:111122223333:task:T1 --start-replication-task-type resume-processing >/dev/null ;;
    esac ;;
  esac
fi
# delete the old instance only when no task is attached (and say so if someone else deleted it)
SKIP_RENAME_us_east_1_orders=
OLD=$(instance_arn us-east-1 arn:aws:dms:us-east-1:111122223333:rep:AAAAAAAAAAAAAAAAAAAAAAAAAA)
if [ -n "$OLD" ] && [ "$(printf '%s' "$OLD" | cut -f2)" != deleting ]; then
  [ "$(attached_tasks us-east-1 arn:aws:dms:us-east-1:111122223333:rep:AAAAAAAAAAAAAAAAAAAAAAAAAA)" = 0 ] || { echo 'tasks may still be attached to orders: not deleting it' >&2; exit 1; }
  remember deleted_arn_aws_dms_us_east_1_111122223333_rep_AAAAAAAAAAAAAAAAAAAAAAAAAA yes
  aws dms delete-replication-instance --region us-east-1 --replication-instance-arn arn:aws:dms:us-east-1:111122223333:rep:AAAAAAAAAAAAAAAAAAAAAAAAAA >/dev/null
elif [ -z "$(recall deleted_arn_aws_dms_us_east_1_111122223333_rep_AAAAAAAAAAAAAAAAAAAAAAAAAA)" ]; then
  echo 'warning: orders was deleted by someone else; its replacement keeps the identifier orders-cmk' >&2
  SKIP_RENAME_us_east_1_orders=1
fi
wait_gone us-east-1 arn:aws:dms:us-east-1:111122223333:rep:AAAAAAAAAAAAAAAAAAAAAAAAAA
if [ -z "$SKIP_RENAME_us_east_1_orders" ]; then
  if [ "$(instance_arn us-east-1 "$NEW_us_east_1_orders" | cut -f3)" != orders ]; then
    [ -z "$(instance_id us-east-1 orders)" ] || { echo 'identifier orders is still in use: not renaming' >&2; exit 1; }
    aws dms modify-replication-instance --region us-east-1 --replication-instance-arn "$NEW_us_east_1_orders" --replication-instance-identifier orders --apply-immediately >/dev/null
  fi
  wait_instance us-east-1 "$NEW_us_east_1_orders" orders
fi

# serverless config fresh (arn:aws:dms:us-east-1:111122223333:replication-config:FRESH)
CC_us_east_1_fresh='{"KmsKeyId":"__CMKGUARD_KEY__","MaxCapacityUnits":4,"MultiAZ":false}'
aws dms modify-replication-config --region us-east-1 --replication-config-arn arn:aws:dms:us-east-1:111122223333:replication-config:FRESH --compute-config "${CC_us_east_1_fresh/__CMKGUARD_KEY__/$KEY_us_east_1}" >/dev/null
[ "$(aws kms describe-key --region us-east-1 --key-id "$(aws dms describe-replication-configs --region us-east-1 --filters Name=replication-config-arn,Values=arn:aws:dms:us-east-1:111122223333:replication-config:FRESH --query 'ReplicationConfigs[0].ComputeConfig.KmsKeyId' --output text)" --query 'KeyMetadata.[Arn,KeyManager]' --output text)" = "$(printf '%s\tCUSTOMER' "$KEY_us_east_1")" ] || { echo 'serverless config fresh is not encrypted with the chosen key' >&2; exit 1; }

# serverless config started (arn:aws:dms:us-east-1:111122223333:replication-config:STARTED)
CC_us_east_1_started='{"KmsKeyId":"__CMKGUARD_KEY__","MaxCapacityUnits":8,"MinCapacityUnits":2,"MultiAZ":false,"ReplicationSubnetGroupId":"default-vpc","VpcSecurityGroupIds":["sg-0a1"]}'
# the copy: under its new identifier, or (renamed by an earlier run) its final one, with this plan's tag
NEWCFG_us_east_1_started=$(config_id us-east-1 started-cmk)
if [ -n "$NEWCFG_us_east_1_started" ]; then
  tagged us-east-1 "$NEWCFG_us_east_1_started" || { echo 'a serverless config named started-cmk exists that this plan did not create' >&2; exit 1; }
else
  CAND=$(config_id us-east-1 started)
  if [ -n "$CAND" ] && [ "$CAND" != arn:aws:dms:us-east-1:111122223333:replication-config:STARTED ] && tagged us-east-1 "$CAND"; then NEWCFG_us_east_1_started=$CAND; fi
fi
if [ -z "$NEWCFG_us_east_1_started" ]; then
  if [ "$(replication_status us-east-1 arn:aws:dms:us-east-1:111122223333:replication-config:STARTED)" = running ]; then
    aws dms stop-replication --region us-east-1 --replication-config-arn arn:aws:dms:us-east-1:111122223333:replication-config:STARTED >/dev/null
    until [ "$(replication_status us-east-1 arn:aws:dms:us-east-1:111122223333:replication-config:STARTED)" = stopped ]; do sleep "$POLL"; done
  fi
  NEWCFG_us_east_1_started=$(aws dms create-replication-config --region us-east-1 --replication-config-identifier started-cmk \
      --source-endpoint-arn arn:aws:dms:us-east-1:111122223333:endpoint:SRC --target-endpoint-arn arn:aws:dms:us-east-1:111122223333:endpoint:TGT --replication-type full-load-and-cdc \
      --table-mappings '{"rules":[]}' \
      --compute-config "${CC_us_east_1_started/__CMKGUARD_KEY__/$KEY_us_east_1}" --tags '[{"Key":"app","Value":"cdc"},{"Key":"cmkguard:plan-id","Value":"rp-test"}]' \
      --query ReplicationConfig.ReplicationConfigArn --output text)
fi
# verify: the copy's key is the chosen customer key, before anything is deleted
[ "$(aws kms describe-key --region us-east-1 --key-id "$(aws dms describe-replication-configs --region us-east-1 --filters Name=replication-config-arn,Values="$NEWCFG_us_east_1_started" --query 'ReplicationConfigs[0].ComputeConfig.KmsKeyId' --output text)" --query 'KeyMetadata.[Arn,KeyManager]' --output text)" = "$(printf '%s\tCUSTOMER' "$KEY_us_east_1")" ] || { echo 'serverless config started-cmk is not encrypted with the chosen key' >&2; exit 1; }
[ -z "$(config_arn us-east-1 arn:aws:dms:us-east-1:111122223333:replication-config:STARTED)" ] || aws dms delete-replication-config --region us-east-1 --replication-config-arn arn:aws:dms:us-east-1:111122223333:replication-config:STARTED >/dev/null
if [ "$(q dms describe-replication-configs --region us-east-1 --filters Name=replication-config-arn,Values="$NEWCFG_us_east_1_started" --query 'ReplicationConfigs[0].ReplicationConfigIdentifier')" != started ]; then
  until [ -z "$(config_arn us-east-1 arn:aws:dms:us-east-1:111122223333:replication-config:STARTED)" ]; do sleep "$POLL"; done
  aws dms modify-replication-config --region us-east-1 --replication-config-arn "$NEWCFG_us_east_1_started" --replication-config-identifier started >/dev/null
fi
echo 'serverless config started was re-created and is NOT started: start it when ready' >&2

echo 'remediation complete'
