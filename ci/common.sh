# Shared helpers for the ci/ scripts (sourced, not run).
PY_VERSIONS="${GILMAP_PY_VERSIONS:-3.12 3.13}"
# Versions run from the Debian sid root of ci/pyroot.sh (no host interpreter); empty: none.
PYROOT_VERSIONS="${GILMAP_PYROOT_VERSIONS-3.14 3.15}"
# llvm-sys links the static LLVM 19 of the Debian packages.
export LLVM_SYS_191_PREFIX="${LLVM_SYS_191_PREFIX:-/usr/lib/llvm-19}"

log() { printf '[gilmap] %s\n' "$*" >&2; }
die() { printf '[gilmap] error: %s\n' "$*" >&2; exit 1; }

# find_python 3.12 -> path of a CPython 3.12 interpreter (PATH first, then pyenv).
find_python() {
  local ver=$1 cand root
  for cand in "python$ver" "$HOME/.pyenv/versions/$ver"*/bin/python"$ver"; do
    cand=$(command -v "$cand" 2>/dev/null) || continue
    # pyenv shims exist on PATH for versions that may not be selected; check it runs.
    if "$cand" -c "import sys; sys.exit(0 if sys.version_info[:2] == tuple(map(int, '$ver'.split('.'))) else 1)" 2>/dev/null; then
      echo "$cand"; return 0
    fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    root=$(pyenv root)
    for cand in "$root"/versions/"$ver".*/bin/python"$ver" "$root"/versions/"$ver"/bin/python"$ver"; do
      [ -x "$cand" ] && { echo "$cand"; return 0; }
    done
  fi
  return 1
}

venv_dir() { echo ".venv-$1"; }

# The venvs that exist (after bootstrap), one per line: the host's, then the sid root's.
venvs() {
  local ver
  for ver in $PY_VERSIONS $PYROOT_VERSIONS; do
    [ -x "$(venv_dir "$ver")/bin/python" ] && echo "$(venv_dir "$ver")"
  done
  return 0
}

# The venvs of host interpreters only (wheels; cargo links their libpython), one per line.
host_venvs() {
  local ver
  for ver in $PY_VERSIONS; do
    [ -x "$(venv_dir "$ver")/bin/python" ] && echo "$(venv_dir "$ver")"
  done
  return 0
}

# The first venv, for cargo (pyo3 needs a 3.12+ interpreter to build and link against).
first_python() {
  local v
  v=$(host_venvs | awk "NR == 1")
  [ -n "$v" ] || die "no venv; run ci/bootstrap.sh"
  echo "$PWD/$v/bin/python"
}
