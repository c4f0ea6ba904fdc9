#!/usr/bin/env bash
# `make wheel`: release wheels for CPython 3.12, 3.13, 3.14 and 3.15 (the venvs bootstrap
# made; 3.14/3.15 are the Debian sid root's interpreters, the build itself runs on the host
# with the host's maturin and cargo) and an sdist, into dist/. LLVM 19 is linked statically by llvm-sys; libffi, libzstd and
# libstdc++ are made static by putting a directory holding only their `.a` files first on
# the linker path; symbols are stripped. Each wheel is built in a fresh cargo target
# directory (maturin patches artifacts in place: reusing `maturin develop`'s target gives
# broken wheels) and checked with `auditwheel show`.
set -euo pipefail
cd "$(dirname "$0")/.."
. ci/common.sh
trap 'die "$0 failed at line $LINENO: $BASH_COMMAND"' ERR

bash ci/bootstrap.sh

# The best tag this machine can honestly produce: its glibc (2.36 on Debian 12).
# (awk reads all of ldd's output: `| head` would SIGPIPE it, failing under pipefail)
GLIBC=$(ldd --version 2>&1 | awk 'NR == 1 { print $NF }')
[[ "$GLIBC" =~ ^[0-9]+\.[0-9]+$ ]] || die "cannot read the glibc version from ldd ($GLIBC)"
TAG="manylinux_${GLIBC/./_}"

static=$(mktemp -d)
trap 'rm -rf "$static"' EXIT
for lib in libffi.a libzstd.a libstdc++.a; do
  path=$(gcc -print-file-name="$lib")
  [ "$path" != "$lib" ] && [ -f "$path" ] || path=$(find /usr/lib -name "$lib" -print -quit)
  [ -n "$path" ] && [ -f "$path" ] || die "static $lib not found (apt-get install libffi-dev libzstd-dev libstdc++-12-dev)"
  ln -s "$path" "$static/$lib"
done
export RUSTFLAGS="-L native=$static"

# The host's tools build every wheel (a sid-root venv's maturin would run inside the root,
# where there is no cargo); only the interpreter differs.
tools=$(dirname "$(first_python)")
rm -rf dist
mkdir -p dist
for venv in $(venvs); do
  py="$PWD/$venv/bin/python"
  ver=$("$py" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
  export CARGO_TARGET_DIR="target/wheel-$ver"
  rm -rf "$CARGO_TARGET_DIR"
  log "building the release wheel for Python $ver ($TAG, fresh $CARGO_TARGET_DIR)"
  PYO3_PYTHON="$py" "$tools/maturin" build --release --strip --interpreter "$py" \
    --compatibility "$TAG" --out dist --quiet >"$CARGO_TARGET_DIR.log" 2>&1 \
    || { tail -n 40 "$CARGO_TARGET_DIR.log" >&2; die "wheel build failed for Python $ver"; }
  wheel=$(ls dist/gilmap-*-cp${ver/./}-*.whl)
  "$tools/auditwheel" show "$wheel" | tee "dist/$(basename "$wheel").auditwheel.txt" >&2
  grep -q "$TAG" "dist/$(basename "$wheel").auditwheel.txt" \
    || die "auditwheel does not confirm $TAG for $wheel"
done

log "building the sdist"
"$tools/maturin" sdist --out dist >/dev/null
ls -l dist >&2
