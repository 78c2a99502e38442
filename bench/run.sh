#!/usr/bin/env bash
# run.sh: the audit's speed figures (docs/audit.md).
#   1. BenchmarkScan17Regions: 17 regions × 300 instances × 20 keys at 50 ms per
#      call; checks the call count and the 1.5× lower-bound target.
#   2. BenchmarkManualProcedureVsCmkguard: the rule text's AWS CLI procedure vs
#      cmkguard on 3 regions × 10 instances (needs the AWS CLI; ~2 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
go test ./adapt/awslive -run '^$' -bench Scan17Regions -benchtime 20x
go test ./bench -run '^$' -bench ManualProcedure -benchtime 1x -timeout 20m
