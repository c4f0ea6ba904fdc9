#!/usr/bin/env bash
# Everything `make test` runs: bootstrap, Rust format/lint/tests, ruff, pytest on every venv.
set -euo pipefail
cd "$(dirname "$0")/.."
. ci/common.sh

bash ci/bootstrap.sh

PY=$(first_python)
export PYO3_PYTHON="$PY"
export CARGO_TARGET_DIR="target/check"
# cargo test binaries link libpython: let them find it.
LIBDIR=$("$PY" -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR"))')
export LD_LIBRARY_PATH="$LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings
log "cargo test"
cargo test --workspace --quiet 2>&1 | tail -n 25
test "${PIPESTATUS[0]}" -eq 0

log "ruff"
"$PY" -m ruff check gilmap tests benchmarks ci
"$PY" -m ruff format --check gilmap tests benchmarks ci

status=0
log "benchmark smoke test (make bench, quick)"
BENCH_QUICK=1 bash ci/bench.sh || status=1
log "release wheels and sdist, tested where no LLVM is visible (make wheel-test)"
bash ci/wheel_test.sh || status=1

for venv in $(venvs); do
  log "pytest on $("$venv/bin/python" -VV | head -n1)"
  "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@" || status=1
done
exit $status
