#!/usr/bin/env bash
# `make demo`: bootstrap, then run the demo on the first available Python.
set -euo pipefail
cd "$(dirname "$0")/.."
. ci/common.sh
bash ci/bootstrap.sh
exec "$(first_python)" -m gilmap.demo "$@"
