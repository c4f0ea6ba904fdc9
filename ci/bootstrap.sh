#!/usr/bin/env bash
# Idempotent set-up of everything gilmap needs on a fresh Debian 12 machine:
#   1. Debian packages (LLVM 19 static libraries for the JIT, patchelf for maturin, valgrind
#      for a heap-safety test of the compiler crate);
#   2. a venv per CPython 3.12 / 3.13 found (PATH first, then pyenv), with the Python deps;
#   3. the extension built into each venv (`maturin develop --release`);
#   4. CPython 3.14 and 3.15 from a Debian sid root, their venvs and builds (ci/pyroot.sh).
# Re-running it only does what is missing. Usage: ci/bootstrap.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."
. ci/common.sh

build=1
[ "${1:-}" = "--no-build" ] && build=0

# ---------------------------------------------------------------- 1. Debian packages
APT_PACKAGES=(llvm-19-dev libpolly-19-dev libzstd-dev zlib1g-dev libxml2-dev libffi-dev valgrind
              libncurses-dev patchelf)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# ---------------------------------------------------------------- 2. venvs
found=0
for ver in $PY_VERSIONS; do
  py=$(find_python "$ver") || { log "CPython $ver not found (PATH or pyenv); skipping it"; continue; }
  found=1
  venv=$(venv_dir "$ver")
  if [ ! -x "$venv/bin/python" ]; then
    log "creating $venv from $py"
    "$py" -m venv "$venv"
  fi
  stamp="$venv/.deps-$(sha256sum ci/requirements-dev.txt | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    log "installing Python dependencies into $venv"
    "$venv/bin/python" -m pip install -q --upgrade pip
    "$venv/bin/python" -m pip install -q -r ci/requirements-dev.txt
    touch "$stamp"
  fi
  # ------------------------------------------------------------ 3. the extension
  if [ $build -eq 1 ]; then
    log "building gilmap._gilmap for Python $ver"
    (
      export VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH"
      export CARGO_TARGET_DIR="target/py$ver"
      mkdir -p target
      maturin develop --release --quiet >"$CARGO_TARGET_DIR.log" 2>&1 \
        || { cat "$CARGO_TARGET_DIR.log" >&2; die "maturin develop failed for Python $ver"; }
    )
    "$venv/bin/python" -c "import gilmap._gilmap" \
      || die "the extension does not import in $venv"
  fi
done
# ---------------------------------------------------------------- 4. CPython 3.14/3.15 (Debian sid root)
if [ -n "$PYROOT_VERSIONS" ]; then
  pyroot_args=(); [ $build -eq 1 ] || pyroot_args=(--no-build)
  GILMAP_PYROOT_VERSIONS="$PYROOT_VERSIONS" bash ci/pyroot.sh "${pyroot_args[@]}" \
    || die "ci/pyroot.sh failed (GILMAP_PYROOT_VERSIONS= skips CPython 3.14/3.15)"
fi
[ $found -eq 1 ] || die "neither CPython 3.12 nor 3.13 was found on PATH or under \$(pyenv root)/versions; install one (e.g. 'pyenv install 3.12') and re-run"
log "bootstrap done"
