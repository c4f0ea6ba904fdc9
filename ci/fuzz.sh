#!/usr/bin/env bash
# `make fuzz`: the differential fuzzer (tests/fuzz, issue 10) on every venv, for
# FUZZ_SECONDS per Python version (default 300). FUZZ_SEED picks the first seed (default:
# the time, so each run explores new functions), FUZZ_BACKEND jit|arrow|numba|all,
# FUZZ_OUT the report directory (findings.jsonl, summary.json, reproducers.py per version).
set -euo pipefail
cd "$(dirname "$0")/.."
. ci/common.sh

bash ci/bootstrap.sh

SECS="${FUZZ_SECONDS:-300}"
SEED="${FUZZ_SEED:-$(date +%s)}"
OUT="${FUZZ_OUT:-target/fuzz}"
status=0
for venv in $(venvs); do
  ver="${venv#.venv-}"
  log "fuzz on $("$venv/bin/python" -VV | head -n1): ${SECS}s from seed $SEED -> $OUT/$ver"
  "$venv/bin/python" -m tests.fuzz --seconds "$SECS" --seed "$SEED" \
    --backend "${FUZZ_BACKEND:-all}" --out "$OUT/$ver" || status=1
done
exit $status
