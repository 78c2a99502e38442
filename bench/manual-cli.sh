#!/usr/bin/env bash
# manual-cli.sh: the rule text's AWS CLI audit procedure, step by step, as a
# person following it would run it. It exists to measure cmkguard against it
# (bench/manual_test.go); it is not a tool.
#
# For every region in $REGIONS (space-separated):
#   1. list the replication instance ARNs of the region;
#   2. for each ARN, describe that instance again with a filter to get its key;
#   3. describe the key to read its KeyManager.
# Output: one line per instance, "<instance ARN> <AWS|CUSTOMER|ERROR>".
#
# Uses the standard AWS configuration (AWS_ENDPOINT_URL, AWS_PROFILE, ...).
set -euo pipefail

: "${REGIONS:?set REGIONS to the regions to audit, e.g. REGIONS=\"us-east-1 eu-west-1\"}"
endpoint=()
if [ -n "${AWS_ENDPOINT_URL:-}" ]; then endpoint=(--endpoint-url "$AWS_ENDPOINT_URL"); fi

for region in $REGIONS; do
  arns=$(aws dms describe-replication-instances "${endpoint[@]}" \
    --region "$region" \
    --query "ReplicationInstances[*].ReplicationInstanceArn" \
    --output text)
  for arn in $arns; do
    key=$(aws dms describe-replication-instances "${endpoint[@]}" \
      --region "$region" \
      --filters "Name=replication-instance-arn,Values=$arn" \
      --query "ReplicationInstances[*].KmsKeyId" \
      --output text)
    if manager=$(aws kms describe-key "${endpoint[@]}" \
      --region "$region" \
      --key-id "$key" \
      --query 'KeyMetadata.KeyManager' \
      --output text 2>/dev/null); then
      echo "$arn $manager"
    else
      echo "$arn ERROR"
    fi
  done
done
