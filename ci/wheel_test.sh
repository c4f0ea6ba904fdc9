#!/usr/bin/env bash
# `make wheel-test` (run by `make test`): builds the wheels (ci/wheel.sh), then for each:
# installs it into a brand-new venv outside the source tree, checks the extension needs no
# LLVM/libffi/libzstd/libstdc++ (readelf -d, ldd), runs the smoke test from a directory
# where the repository's gilmap/ cannot shadow the installed one, runs it again in a mount
# namespace where /usr/lib/llvm-* is hidden, and records size and import time
# (ci/import_time.py: the budget is on gilmap's own share, the standard library's depends on
# the machine). cp314/cp315 wheels are tested the same way with the Debian sid root's
# interpreter, inside the root (a fresh venv of its own python3.1x; the root has no LLVM at
# all: checked). Then the
# sdist: it builds and works where LLVM 19 is installed, and fails naming the packages to
# install where it is not.
set -euo pipefail
cd "$(dirname "$0")/.."
. ci/common.sh
trap 'die "$0 failed at line $LINENO: $BASH_COMMAND"' ERR
ROOT=$PWD

bash ci/wheel.sh

report="$ROOT/dist/wheel-report.txt"
: >"$report"
PYROOT=${GILMAP_PYROOT:-/var/cache/gilmap/sid-root}
for wheel in "$ROOT"/dist/gilmap-*.whl; do
  tag=$(basename "$wheel" | sed -E 's/^gilmap-[^-]+-(cp3[0-9]+)-.*/\1/')
  ver="3.${tag#cp3}"
  work=$(mktemp -d /tmp/gilmap-wheel-XXXXXX)
  if [[ " $PYROOT_VERSIONS " == *" $ver "* ]]; then
    # Inside the sid root (it sees /tmp and the checkout at the same paths).
    bash ci/pyroot.sh --mount
    ! compgen -G "$PYROOT/usr/lib/llvm-*" >/dev/null || die "the Python root has an LLVM installed"
    in_root=1 py=/usr/bin/python$ver where="the sid root's python$ver"
    run() { chroot "$PYROOT" /usr/bin/env -C "$work" "$@"; }
  else
    py=$(find_python "$ver") || die "no CPython $ver for $wheel"
    in_root=0 where=$py
    run() { (cd "$work" && "$@"); }
  fi
  log "testing $(basename "$wheel") in a fresh venv of $where ($work)"
  run "$py" -m venv "$work/venv"
  run ./venv/bin/python -m pip install -q "$wheel" numpy numba
  so=$(find "$work/venv" -name '_gilmap*.so')
  needed=$(readelf -d "$so" | grep NEEDED || true)
  echo "$needed" >&2
  if echo "$needed" | grep -qiE 'llvm|libffi|libzstd|libstdc\+\+'; then
    die "the extension still needs a shared library it should have linked statically"
  fi
  if ldd "$so" | grep -qiE 'llvm|libffi|libzstd|libstdc\+\+'; then
    die "ldd shows a dynamic LLVM/libffi/libzstd/libstdc++ dependency"
  fi
  cp "$ROOT/ci/wheel_smoke.py" "$work/"
  run ./venv/bin/python wheel_smoke.py || die "smoke test failed for $wheel"
  if [ "$in_root" -eq 0 ]; then
    # The same in a mount namespace where no LLVM installation is visible (the root has none).
    unshare -m bash -c "for d in /usr/lib/llvm-*; do mount -t tmpfs none \"\$d\"; done; \
      ls /usr/lib/llvm-19 | grep -q . && exit 3; cd '$work' && ./venv/bin/python wheel_smoke.py" \
      || die "smoke test failed with /usr/lib/llvm-* hidden for $wheel"
  fi
  size=$(du -m "$wheel" | cut -f1)
  [ "$size" -lt 30 ] || die "$wheel is ${size} MB (budget: under 30 MB)"
  cp "$ROOT/ci/import_time.py" "$work/"
  times=$(run ./venv/bin/python import_time.py)
  read -r imp base own <<<"$times"
  awk -v t="$own" 'BEGIN { exit !(t < 50) }' \
    || die "import gilmap takes $imp ms, $own ms of it gilmap's own (budget: 50 ms; the standard library's part: $base ms)"
  echo "$(basename "$wheel"): $(du -h "$wheel" | cut -f1), import gilmap ${imp} ms (best of 7), of which ${own} ms gilmap's own (the standard-library modules it loads: ${base} ms alone)" \
    | tee -a "$report" >&2
  rm -rf "$work"
done

# ---- the sdist
sdist=$(ls "$ROOT"/dist/gilmap-*.tar.gz)
py=$(first_python)
work=$(mktemp -d /tmp/gilmap-sdist-XXXXXX)
"$($py -c 'import sys; print(sys.executable)')" -m venv "$work/venv"
log "the sdist without LLVM: the build must fail naming what to install"
if unshare -m bash -c "for d in /usr/lib/llvm-*; do mount -t tmpfs none \"\$d\"; done; \
    cd '$work' && env -u LLVM_SYS_191_PREFIX ./venv/bin/python -m pip install '$sdist' \
    >out.txt 2>&1"; then
  die "the sdist built without LLVM?"
fi
grep -q "llvm-19-dev" "$work/out.txt" || { tail -n 30 "$work/out.txt" >&2; die "no clear error"; }
log "the sdist with LLVM 19 installed: builds from source and works"
(cd "$work" && ./venv/bin/python -m pip install -q "$sdist" numpy) \
  || die "the sdist did not build from source"
cp "$ROOT/ci/wheel_smoke.py" "$work/"
(cd "$work" && GILMAP_SMOKE_NO_NUMBA=1 ./venv/bin/python wheel_smoke.py) || die "sdist smoke test"
echo "sdist $(basename "$sdist"): builds from source with LLVM 19; without it pip stops naming llvm-19-dev" \
  | tee -a "$report" >&2
rm -rf "$work"
