#!/usr/bin/env bash
# cmkguard remediation plan rp-test for account 111122223333 (eu-west-1, us-east-1)
# Generated from audit report audit.json (sha256:abc, generated 2026-11-27T14:00:00Z), 2 failing instance(s). Review before running.
set -euo pipefail

# wait_task REGION TASK_ARN INSTANCE_ARN: wait until the task is on the instance and no longer moving.
wait_task() {
  local out
  while :; do
    out=$(aws dms describe-replication-tasks --region "$1" --without-settings \
      --filters Name=replication-task-arn,Values="$2" \
      --query 'ReplicationTasks[0].[ReplicationInstanceArn,Status]' --output text)
    case "$out" in
      *$'\t'failed-move) echo "task $2 failed to move" >&2; return 1 ;;
      "$3"$'\t'moving) ;;
      "$3"$'\t'*) return 0 ;;
    esac
    sleep 15
  done
}
# attached_tasks REGION INSTANCE_ARN: how many tasks are on the instance. DMS answers
# ResourceNotFoundFault when there are none; any other error is printed and counts as unknown.
attached_tasks() {
  local out err rc=0
  err=$(mktemp)
  out=$(aws dms describe-replication-tasks --region "$1" --without-settings \
    --filters Name=replication-instance-arn,Values="$2" \
    --query 'length(ReplicationTasks)' --output text 2>"$err") || rc=$?
  if [ "$rc" -ne 0 ]; then
    if grep -q ResourceNotFoundFault "$err"; then out=0; else cat "$err" >&2; out=unknown; fi
  fi
  rm -f "$err"
  echo "$out"
}
[ "$(aws sts get-caller-identity --region eu-west-1 --query Account --output text)" = 111122223333 ] || { echo 'wrong account: this plan is for 111122223333' >&2; exit 1; }

# ---- eu-west-1 ----
# key: look the alias up first, so that a re-run never creates a second key
KEY_eu_west_1=$(aws kms list-aliases --region eu-west-1 --query 'Aliases[?AliasName=='\''alias/dms-cmk'\''].TargetKeyId | [0]' --output text)
if [ -z "$KEY_eu_west_1" ] || [ "$KEY_eu_west_1" = None ]; then
  KEY_eu_west_1=$(aws kms create-key --region eu-west-1 --description 'Customer-managed key for AWS DMS replication instances (created by cmkguard)' --key-usage ENCRYPT_DECRYPT --key-spec SYMMETRIC_DEFAULT \
    --tags '[{"TagKey":"cmkguard:plan-id","TagValue":"rp-test"},{"TagKey":"cmkguard:alias","TagValue":"alias/dms-cmk"}]' \
    --policy '{"Version":"2012-10-17","Id":"cmkguard-dms-key-policy","Statement":[{"Sid":"EnableIAMUserPermissions","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root"]},"Action":["kms:*"],"Resource":"*"},{"Sid":"AllowKeyAdministration","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:role/KeyAdmin"]},"Action":["kms:CancelKeyDeletion","kms:Create*","kms:Delete*","kms:Describe*","kms:Disable*","kms:Enable*","kms:Get*","kms:List*","kms:Put*","kms:Revoke*","kms:RotateKeyOnDemand","kms:ScheduleKeyDeletion","kms:TagResource","kms:UntagResource","kms:Update*"],"Resource":"*"}]}' \
    --query KeyMetadata.Arn --output text)
  aws kms create-alias --region eu-west-1 --alias-name alias/dms-cmk --target-key-id "$KEY_eu_west_1"
else
  # the alias exists: use its key only if this plan created it
  [ "$(aws kms list-resource-tags --region eu-west-1 --key-id "$KEY_eu_west_1" --query 'Tags[?TagKey=='\''cmkguard:plan-id'\''].TagValue | [0]' --output text)" = rp-test ] || { echo 'alias alias/dms-cmk points to a key this plan did not create' >&2; exit 1; }
fi
KEY_eu_west_1=$(aws kms describe-key --region eu-west-1 --key-id "$KEY_eu_west_1" --query KeyMetadata.Arn --output text)

# replace billing (arn:aws:dms:eu-west-1:111122223333:rep:BBBBBBBBBBBBBBBBBBBBBBBBBB)
NEW_eu_west_1_billing=$(aws dms describe-replication-instances --region eu-west-1 --filters Name=replication-instance-id,Values=billing-cmk --query 'ReplicationInstances[0].ReplicationInstanceArn' --output text 2>/dev/null || true)
if [ -z "$NEW_eu_west_1_billing" ] || [ "$NEW_eu_west_1_billing" = None ]; then
  NEW_eu_west_1_billing=$(aws dms create-replication-instance --region eu-west-1 \
      --replication-instance-identifier billing-cmk \
      --replication-instance-class dms.r5.large \
      --allocated-storage 100 \
      --engine-version 3.4.7 \
      --multi-az --no-publicly-accessible --no-auto-minor-version-upgrade \
      --tags '[{"Key":"cmkguard:plan-id","Value":"rp-test"}]' \
      --kms-key-id "$KEY_eu_west_1" \
      --query ReplicationInstance.ReplicationInstanceArn --output text)
else
  # an instance of that name exists: use it only if this plan created it
  [ "$(aws dms list-tags-for-resource --region eu-west-1 --resource-arn "$NEW_eu_west_1_billing" --query 'TagList[?Key=='\''cmkguard:plan-id'\''].Value | [0]' --output text)" = rp-test ] || { echo 'an instance named billing-cmk exists that this plan did not create' >&2; exit 1; }
fi
aws dms wait replication-instance-available --region eu-west-1 --filters Name=replication-instance-arn,Values="$NEW_eu_west_1_billing"
# verify: the new instance's key is the chosen customer key
[ "$(aws kms describe-key --region eu-west-1 --key-id "$(aws dms describe-replication-instances --region eu-west-1 --filters Name=replication-instance-arn,Values="$NEW_eu_west_1_billing" --query 'ReplicationInstances[0].KmsKeyId' --output text)" --query 'KeyMetadata.[Arn,KeyManager]' --output text)" = "$(printf '%s\tCUSTOMER' "$KEY_eu_west_1")" ] || { echo 'new instance billing-cmk is not encrypted with the chosen key' >&2; exit 1; }
# delete the old instance only when no task is attached
[ "$(attached_tasks eu-west-1 arn:aws:dms:eu-west-1:111122223333:rep:BBBBBBBBBBBBBBBBBBBBBBBBBB)" = 0 ] || { echo 'tasks may still be attached to billing: not deleting it' >&2; exit 1; }
aws dms delete-replication-instance --region eu-west-1 --replication-instance-arn arn:aws:dms:eu-west-1:111122223333:rep:BBBBBBBBBBBBBBBBBBBBBBBBBB >/dev/null
aws dms wait replication-instance-deleted --region eu-west-1 --filters Name=replication-instance-arn,Values=arn:aws:dms:eu-west-1:111122223333:rep:BBBBBBBBBBBBBBBBBBBBBBBBBB
aws dms modify-replication-instance --region eu-west-1 --replication-instance-arn "$NEW_eu_west_1_billing" --replication-instance-identifier billing --apply-immediately >/dev/null
aws dms wait replication-instance-available --region eu-west-1 --filters Name=replication-instance-arn,Values="$NEW_eu_west_1_billing"

# ---- us-east-1 ----
# key: look the alias up first, so that a re-run never creates a second key
KEY_us_east_1=$(aws kms list-aliases --region us-east-1 --query 'Aliases[?AliasName=='\''alias/dms-cmk'\''].TargetKeyId | [0]' --output text)
if [ -z "$KEY_us_east_1" ] || [ "$KEY_us_east_1" = None ]; then
  KEY_us_east_1=$(aws kms create-key --region us-east-1 --description 'Customer-managed key for AWS DMS replication instances (created by cmkguard)' --key-usage ENCRYPT_DECRYPT --key-spec SYMMETRIC_DEFAULT \
    --tags '[{"TagKey":"cmkguard:plan-id","TagValue":"rp-test"},{"TagKey":"cmkguard:alias","TagValue":"alias/dms-cmk"}]' \
    --policy '{"Version":"2012-10-17","Id":"cmkguard-dms-key-policy","Statement":[{"Sid":"EnableIAMUserPermissions","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root"]},"Action":["kms:*"],"Resource":"*"},{"Sid":"AllowKeyAdministration","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:role/KeyAdmin"]},"Action":["kms:CancelKeyDeletion","kms:Create*","kms:Delete*","kms:Describe*","kms:Disable*","kms:Enable*","kms:Get*","kms:List*","kms:Put*","kms:Revoke*","kms:RotateKeyOnDemand","kms:ScheduleKeyDeletion","kms:TagResource","kms:UntagResource","kms:Update*"],"Resource":"*"}]}' \
    --query KeyMetadata.Arn --output text)
  aws kms create-alias --region us-east-1 --alias-name alias/dms-cmk --target-key-id "$KEY_us_east_1"
else
  # the alias exists: use its key only if this plan created it
  [ "$(aws kms list-resource-tags --region us-east-1 --key-id "$KEY_us_east_1" --query 'Tags[?TagKey=='\''cmkguard:plan-id'\''].TagValue | [0]' --output text)" = rp-test ] || { echo 'alias alias/dms-cmk points to a key this plan did not create' >&2; exit 1; }
fi
KEY_us_east_1=$(aws kms describe-key --region us-east-1 --key-id "$KEY_us_east_1" --query KeyMetadata.Arn --output text)

# replace orders (arn:aws:dms:us-east-1:111122223333:rep:AAAAAAAAAAAAAAAAAAAAAAAAAA)
NEW_us_east_1_orders=$(aws dms describe-replication-instances --region us-east-1 --filters Name=replication-instance-id,Values=orders-cmk --query 'ReplicationInstances[0].ReplicationInstanceArn' --output text 2>/dev/null || true)
if [ -z "$NEW_us_east_1_orders" ] || [ "$NEW_us_east_1_orders" = None ]; then
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
else
  # an instance of that name exists: use it only if this plan created it
  [ "$(aws dms list-tags-for-resource --region us-east-1 --resource-arn "$NEW_us_east_1_orders" --query 'TagList[?Key=='\''cmkguard:plan-id'\''].Value | [0]' --output text)" = rp-test ] || { echo 'an instance named orders-cmk exists that this plan did not create' >&2; exit 1; }
fi
aws dms wait replication-instance-available --region us-east-1 --filters Name=replication-instance-arn,Values="$NEW_us_east_1_orders"
# verify: the new instance's key is the chosen customer key
[ "$(aws kms describe-key --region us-east-1 --key-id "$(aws dms describe-replication-instances --region us-east-1 --filters Name=replication-instance-arn,Values="$NEW_us_east_1_orders" --query 'ReplicationInstances[0].KmsKeyId' --output text)" --query 'KeyMetadata.[Arn,KeyManager]' --output text)" = "$(printf '%s\tCUSTOMER' "$KEY_us_east_1")" ] || { echo 'new instance orders-cmk is not encrypted with the chosen key' >&2; exit 1; }
# task orders-cdc
RUNNING_orders_cdc=$(aws dms describe-replication-tasks --region us-east-1 --without-settings --filters Name=replication-task-arn,Values=arn:aws:dms:us-east-1:111122223333:task:T2 --query 'ReplicationTasks[0].Status' --output text)
case "$RUNNING_orders_cdc" in
  running|starting|resuming)
    aws dms stop-replication-task --region us-east-1 --replication-task-arn arn:aws:dms:us-east-1:111122223333:task:T2 >/dev/null
    aws dms wait replication-task-stopped --region us-east-1 --filters Name=replication-task-arn,Values=arn:aws:dms:us-east-1:111122223333:task:T2 ;;
  stopping) aws dms wait replication-task-stopped --region us-east-1 --filters Name=replication-task-arn,Values=arn:aws:dms:us-east-1:111122223333:task:T2 ;;
esac
aws dms move-replication-task --region us-east-1 --replication-task-arn arn:aws:dms:us-east-1:111122223333:task:T2 --target-replication-instance-arn "$NEW_us_east_1_orders" >/dev/null
wait_task us-east-1 arn:aws:dms:us-east-1:111122223333:task:T2 "$NEW_us_east_1_orders"
if [ "$RUNNING_orders_cdc" = running ] || [ "$RUNNING_orders_cdc" = starting ] || [ "$RUNNING_orders_cdc" = resuming ]; then
  aws dms start-replication-task --region us-east-1 --replication-task-arn arn:aws:dms:us-east-1:111122223333:task:T2 --start-replication-task-type resume-processing >/dev/null
fi
# task orders-full
RUNNING_orders_full=$(aws dms describe-replication-tasks --region us-east-1 --without-settings --filters Name=replication-task-arn,Values=arn:aws:dms:us-east-1:111122223333:task:T1 --query 'ReplicationTasks[0].Status' --output text)
case "$RUNNING_orders_full" in
  running|starting|resuming)
    aws dms stop-replication-task --region us-east-1 --replication-task-arn arn:aws:dms:us-east-1:111122223333:task:T1 >/dev/null
    aws dms wait replication-task-stopped --region us-east-1 --filters Name=replication-task-arn,Values=arn:aws:dms:us-east-1:111122223333:task:T1 ;;
  stopping) aws dms wait replication-task-stopped --region us-east-1 --filters Name=replication-task-arn,Values=arn:aws:dms:us-east-1:111122223333:task:T1 ;;
esac
aws dms move-replication-task --region us-east-1 --replication-task-arn arn:aws:dms:us-east-1:111122223333:task:T1 --target-replication-instance-arn "$NEW_us_east_1_orders" >/dev/null
wait_task us-east-1 arn:aws:dms:us-east-1:111122223333:task:T1 "$NEW_us_east_1_orders"
if [ "$RUNNING_orders_full" = running ] || [ "$RUNNING_orders_full" = starting ] || [ "$RUNNING_orders_full" = resuming ]; then
  aws dms start-replication-task --region us-east-1 --replication-task-arn arn:aws:dms:us-east-1:111122223333:task:T1 --start-replication-task-type resume-processing >/dev/null
fi
# delete the old instance only when no task is attached
[ "$(attached_tasks us-east-1 arn:aws:dms:us-east-1:111122223333:rep:AAAAAAAAAAAAAAAAAAAAAAAAAA)" = 0 ] || { echo 'tasks may still be attached to orders: not deleting it' >&2; exit 1; }
aws dms delete-replication-instance --region us-east-1 --replication-instance-arn arn:aws:dms:us-east-1:111122223333:rep:AAAAAAAAAAAAAAAAAAAAAAAAAA >/dev/null
aws dms wait replication-instance-deleted --region us-east-1 --filters Name=replication-instance-arn,Values=arn:aws:dms:us-east-1:111122223333:rep:AAAAAAAAAAAAAAAAAAAAAAAAAA
aws dms modify-replication-instance --region us-east-1 --replication-instance-arn "$NEW_us_east_1_orders" --replication-instance-identifier orders --apply-immediately >/dev/null
aws dms wait replication-instance-available --region us-east-1 --filters Name=replication-instance-arn,Values="$NEW_us_east_1_orders"

# serverless config fresh (arn:aws:dms:us-east-1:111122223333:replication-config:FRESH)
CC_us_east_1_fresh='{"KmsKeyId":"__CMKGUARD_KEY__","MaxCapacityUnits":4,"MultiAZ":false}'
aws dms modify-replication-config --region us-east-1 --replication-config-arn arn:aws:dms:us-east-1:111122223333:replication-config:FRESH --compute-config "${CC_us_east_1_fresh/__CMKGUARD_KEY__/$KEY_us_east_1}" >/dev/null
[ "$(aws kms describe-key --region us-east-1 --key-id "$(aws dms describe-replication-configs --region us-east-1 --filters Name=replication-config-arn,Values=arn:aws:dms:us-east-1:111122223333:replication-config:FRESH --query 'ReplicationConfigs[0].ComputeConfig.KmsKeyId' --output text)" --query 'KeyMetadata.[Arn,KeyManager]' --output text)" = "$(printf '%s\tCUSTOMER' "$KEY_us_east_1")" ] || { echo 'serverless config fresh is not encrypted with the chosen key' >&2; exit 1; }

# serverless config started (arn:aws:dms:us-east-1:111122223333:replication-config:STARTED)
CC_us_east_1_started='{"KmsKeyId":"__CMKGUARD_KEY__","MaxCapacityUnits":8,"MinCapacityUnits":2,"MultiAZ":false,"ReplicationSubnetGroupId":"default-vpc","VpcSecurityGroupIds":["sg-0a1"]}'
if [ "$(aws dms describe-replications --region us-east-1 --filters Name=replication-config-arn,Values=arn:aws:dms:us-east-1:111122223333:replication-config:STARTED --query 'Replications[0].Status' --output text)" = running ]; then
  aws dms stop-replication --region us-east-1 --replication-config-arn arn:aws:dms:us-east-1:111122223333:replication-config:STARTED >/dev/null
  until [ "$(aws dms describe-replications --region us-east-1 --filters Name=replication-config-arn,Values=arn:aws:dms:us-east-1:111122223333:replication-config:STARTED --query 'Replications[0].Status' --output text)" = stopped ]; do sleep 15; done
fi
NEWCFG_us_east_1_started=$(aws dms create-replication-config --region us-east-1 --replication-config-identifier started-cmk \
    --source-endpoint-arn arn:aws:dms:us-east-1:111122223333:endpoint:SRC --target-endpoint-arn arn:aws:dms:us-east-1:111122223333:endpoint:TGT --replication-type full-load-and-cdc \
    --table-mappings '{"rules":[]}' \
    --compute-config "${CC_us_east_1_started/__CMKGUARD_KEY__/$KEY_us_east_1}" --tags '[{"Key":"app","Value":"cdc"},{"Key":"cmkguard:plan-id","Value":"rp-test"}]' \
    --query ReplicationConfig.ReplicationConfigArn --output text)
# verify: the copy's key is the chosen customer key, before anything is deleted
[ "$(aws kms describe-key --region us-east-1 --key-id "$(aws dms describe-replication-configs --region us-east-1 --filters Name=replication-config-arn,Values="$NEWCFG_us_east_1_started" --query 'ReplicationConfigs[0].ComputeConfig.KmsKeyId' --output text)" --query 'KeyMetadata.[Arn,KeyManager]' --output text)" = "$(printf '%s\tCUSTOMER' "$KEY_us_east_1")" ] || { echo 'serverless config started-cmk is not encrypted with the chosen key' >&2; exit 1; }
aws dms delete-replication-config --region us-east-1 --replication-config-arn arn:aws:dms:us-east-1:111122223333:replication-config:STARTED >/dev/null
aws dms modify-replication-config --region us-east-1 --replication-config-arn "$NEWCFG_us_east_1_started" --replication-config-identifier started >/dev/null
echo 'serverless config started was re-created and is NOT started: start it when ready' >&2

echo 'remediation complete'
