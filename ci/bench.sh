#!/usr/bin/env bash
# `make bench`: the benchmark suite, then its report (docs/BENCHMARKS.md, docs/bench/*.png,
# the README block). `BENCH_QUICK=1` (CI's smoke test) runs the quick suite and renders
# into a scratch directory, leaving the committed report alone.
set -euo pipefail
cd "$(dirname "$0")/.."
. ci/common.sh
trap 'die "$0 failed at line $LINENO: $BASH_COMMAND"' ERR

bash ci/bootstrap.sh
PY=$(first_python)
if [ "${BENCH_QUICK:-0}" = "1" ]; then
  out=$(mktemp -d)
  log "benchmark suite (quick) -> $out"
  "$PY" -m benchmarks.run --quick --out "$out/results.json" >"$out/run.log"
  "$PY" -m benchmarks.report "$out/results.json" --docs "$out/BENCHMARKS.md" \
    --charts "$out/charts" --readme none
  if grep -q "FAIL" "$out/run.log"; then
    grep "FAIL" "$out/run.log" >&2
    die "a benchmark cell's output differs from list(map)"
  fi
else
  log "benchmark suite (full; about 6 minutes on 2 cores)"
  "$PY" -m benchmarks.run --out benchmarks/results.json
  "$PY" -m benchmarks.report benchmarks/results.json
fi
