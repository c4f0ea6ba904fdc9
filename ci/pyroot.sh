#!/usr/bin/env bash
# CPython 3.14 and 3.15 for gilmap, from a Debian sid root (they are not packaged for the
# host's Debian 12, and pyenv/uv cannot download them here). Idempotent; re-running only does
# what is missing. Usage (as root, from any checkout):
#   bash ci/pyroot.sh              root + mounts + venvs + deps + extension for each version
#   bash ci/pyroot.sh --no-build   the same without building the extension
#   bash ci/pyroot.sh --mount      only (re)do the bind mounts (the venv wrappers call this after a reboot)
#   bash ci/pyroot.sh --umount     unmount this checkout from the root
#   bash ci/pyroot.sh --umount-all unmount everything mounted in the root (all checkouts)
#   bash ci/pyroot.sh --remove     unmount everything, then delete the root (NEVER `rm -rf` the
#                                  root by hand while mounted: /tmp, /dev and checkouts are in it)
#
# Layout:
#   $GILMAP_PYROOT (default /var/cache/gilmap/sid-root): one machine-wide Debian sid root made
#     once by debootstrap (into a temp dir renamed at the end), with python3.X, -venv, -dev.
#     /.gilmap-pyroot exists only inside it. Never add sid to the host's own apt sources.
#   Bind mounts into the root: /proc /sys /dev /dev/shm /dev/pts /tmp and the checkout itself,
#     each at the same absolute path, so paths agree inside and outside the root.
#   <checkout>/.venv-3.X: a venv made by the root's interpreter, on the checkout's disk. Its
#     bin/python (python3 and python3.X link to it) is a bash wrapper: inside the root it runs
#     /usr/bin/python3.X with argv[0] = the wrapper (so Python finds the venv's pyvenv.cfg and
#     sys.executable is the wrapper); on the host it re-enters through chroot, in the same
#     working directory, with the same arguments and environment. Console scripts (pytest,
#     pip) have the wrapper as their #! and work on both sides too.
#   The extension is built on the HOST (glibc 2.36; such a .so loads in the root's glibc 2.42,
#     not the other way round) by `maturin develop`, which runs the interpreter via the wrapper.
set -euo pipefail
cd "$(dirname "$0")/.."
CHECKOUT=$(pwd -P)
. ci/common.sh

PYROOT=${GILMAP_PYROOT:-/var/cache/gilmap/sid-root}
PYROOT_VERSIONS=${GILMAP_PYROOT_VERSIONS:-3.14 3.15}
SID_MIRROR=${GILMAP_SID_MIRROR:-http://deb.debian.org/debian}
MARKER=/.gilmap-pyroot
LOCK=$PYROOT.lock
WRAPPER_TAG="gilmap-pyroot-wrapper v1"
# What the root sees of the host, at the same paths (the checkout is added below).
BINDS=(/proc /sys /dev /dev/shm /dev/pts /tmp)

mode=all
case "${1:-}" in
  "") ;;
  --no-build) mode=no-build ;;
  --mount|--umount|--umount-all|--remove) mode=${1#--} ;;
  *) die "usage: ci/pyroot.sh [--no-build|--mount|--umount|--umount-all|--remove]" ;;
esac
[ "$(id -u)" -eq 0 ] || die "ci/pyroot.sh needs root (debootstrap, mount, chroot)"
mkdir -p "$(dirname "$PYROOT")"

# Mount points at or under $1, deepest first.
mounts_under() {
  awk -v p="$1" '$5 == p || index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

# Remove a half-made root left by an interrupted run (unmounting first what debootstrap mounted).
discard_dir() {
  local m
  for m in $(mounts_under "$1"); do umount "$m" 2>/dev/null || umount -l "$m"; done
  rm -rf --one-file-system "$1"
}

# ---------------------------------------------------------------- unmounting
if [ "$mode" = umount ] || [ "$mode" = umount-all ] || [ "$mode" = remove ]; then
  (
    flock 9
    if [ "$mode" = umount ]; then
      targets=$(mounts_under "$PYROOT$CHECKOUT")
    else
      targets=$(mounts_under "$PYROOT")
    fi
    for m in $targets; do
      [ "$m" = "$PYROOT" ] && continue
      umount "$m" 2>/dev/null || umount -l "$m"
      log "unmounted $m"
    done
    if [ "$mode" = remove ] && [ -e "$PYROOT" ]; then
      [ -z "$(mounts_under "$PYROOT")" ] || die "something is still mounted under $PYROOT"
      rm -rf --one-file-system "$PYROOT"
      log "removed $PYROOT (the checkouts' .venv-3.1x wrappers no longer work: re-run ci/pyroot.sh)"
    fi
    if [ "$mode" = remove ]; then
      for tmp in "$PYROOT".tmp.*; do [ -d "$tmp" ] && discard_dir "$tmp"; done
      rm -f "$PYROOT.debootstrap.log"
    fi
  ) 9>>"$LOCK"
  exit 0
fi

# ---------------------------------------------------------------- 1. the root
# Copies of the host files the root needs to reach the package registries (redone on every run:
# the host's resolv.conf may change).
refresh_root_files() {
  local dir=$1 f
  for f in /etc/resolv.conf /etc/hosts; do
    [ -e "$f" ] && cp -L --remove-destination "$f" "$dir$f"
  done
  # The host's pip trusts a certificate that the root's ca-certificates lacks.
  [ -f /etc/pip.conf ] && cp -L --remove-destination /etc/pip.conf "$dir/etc/pip.conf"
  mkdir -p "$dir/etc/ssl/certs"
  cp -L --remove-destination /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/ca-certificates.crt"
}

# g++: some dev requirements have no wheel for the newest Python yet (numexpr on 3.15), pip builds them.
root_packages() {
  local v
  printf '%s\n' ca-certificates g++
  for v in $PYROOT_VERSIONS; do printf '%s\n' "python$v" "python$v-venv" "python$v-dev"; done
}

make_root() {
  local pkgs tmp m
  pkgs=$(root_packages | paste -sd,)
  if ! command -v debootstrap >/dev/null 2>&1 && [ ! -x /usr/sbin/debootstrap ]; then
    log "installing debootstrap"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  for tmp in "$PYROOT".tmp.*; do
    [ -d "$tmp" ] && { log "removing $tmp (an interrupted run)"; discard_dir "$tmp"; }
  done
  tmp=$PYROOT.tmp.$$
  log "debootstrap: Debian sid with $pkgs into $PYROOT (once per machine, ~1 min)"
  if ! nice -n 10 /usr/sbin/debootstrap --variant=minbase --include="$pkgs" sid "$tmp" "$SID_MIRROR" \
        >"$PYROOT.debootstrap.log" 2>&1; then
    tail -n 20 "$PYROOT.debootstrap.log" >&2
    discard_dir "$tmp"
    die "debootstrap failed (log: $PYROOT.debootstrap.log)"
  fi
  # debootstrap unmounts what it mounted; make sure before the rename.
  for m in $(mounts_under "$tmp"); do umount "$m" 2>/dev/null || umount -l "$m"; done
  refresh_root_files "$tmp"
  rm -rf "$tmp"/var/cache/apt/archives/*.deb
  echo "gilmap Python root (ci/pyroot.sh); Debian sid, never upgrade the host with it" >"$tmp$MARKER"
  mv "$tmp" "$PYROOT"
}

# Bind $1 at the same path inside the root unless it already is (same device and inode);
# read-only if $2 = ro.
bind_into_root() {
  local src=$1 dst=$PYROOT$1 m
  [ "$dst" -ef "$src" ] && return 0
  # A mount left there of something else: a checkout deleted and cloned again at the same
  # path (the old bind then shows a deleted directory, and mounting over it fails).
  for m in $(mounts_under "$dst"); do
    log "unmounting a stale $m"
    umount "$m" 2>/dev/null || umount -l "$m"
  done
  mkdir -p "$dst"
  mount --bind "$src" "$dst"
  mount --make-private "$dst"
  [ "${2:-}" = ro ] && mount -o remount,bind,ro "$dst"
  return 0
}

mount_all() {
  local d
  for d in "${BINDS[@]}"; do bind_into_root "$d"; done
  # After /tmp: a checkout under /tmp is then already visible and gets no mount of its own.
  bind_into_root "$CHECKOUT"
  # Some tests also read an optional corpus beside the checkout (../shared) when it exists:
  # the interpreters in the root get the same view, read-only.
  if [ -d "$(dirname "$CHECKOUT")/shared" ]; then bind_into_root "$(dirname "$CHECKOUT")/shared" ro; fi
  # Local wheel directories that the host's pip is told about (PIP_FIND_LINKS), read-only;
  # without them pip in the root warns on every call.
  for d in ${PIP_FIND_LINKS:-}; do
    case $d in /*) [ -d "$d" ] && bind_into_root "$d" ro ;; esac
  done
  return 0
}

(
  flock 9
  if [ ! -e "$PYROOT$MARKER" ]; then
    [ "$mode" = mount ] && die "no Python root at $PYROOT; run: bash ci/pyroot.sh"
    [ -e "$PYROOT" ] && die "$PYROOT exists but is not a gilmap Python root (no $MARKER); remove it"
    make_root
  fi
  mount_all
  refresh_root_files "$PYROOT"
  # Packages added (to root_packages or GILMAP_PYROOT_VERSIONS) after the root was made.
  if [ "$mode" != mount ]; then
    mapfile -t wanted < <(root_packages)
    # shellcheck disable=SC2016  # dpkg-query's own ${field} syntax
    installed=$(chroot "$PYROOT" /usr/bin/dpkg-query -W -f='${Package} ${Status}\n' "${wanted[@]}" \
                  2>/dev/null | awk '/install ok installed/ { print $1 }') || true
    missing=$(printf '%s\n' "${wanted[@]}" | grep -vxF -f <(printf '%s\n' "$installed") || true)
    if [ -n "$missing" ]; then
      log "installing $(paste -sd" " <<<"$missing") in the root"
      # The registry's sid may be a snapshot older than sid's one-week Valid-Until.
      chroot "$PYROOT" /usr/bin/apt-get -o Acquire::Check-Valid-Until=false update -qq
      # shellcheck disable=SC2086
      chroot "$PYROOT" /usr/bin/env DEBIAN_FRONTEND=noninteractive \
        /usr/bin/apt-get install -y -qq $missing >/dev/null
      rm -f "$PYROOT"/var/cache/apt/archives/*.deb
    fi
  fi
) 9>>"$LOCK"
[ "$mode" = mount ] && exit 0

# ---------------------------------------------------------------- 2. venvs with host wrappers
write_wrapper() {
  local ver=$1 venv=$2 tmp
  tmp=$(mktemp "$venv/bin/.python.XXXXXX")
  cat >"$tmp" <<EOF
#!/bin/bash
# $WRAPPER_TAG: generated by ci/pyroot.sh, do not edit.
# CPython $ver of the Debian sid root $PYROOT, usable from the host and from inside the root.
root=$(printf %q "$PYROOT") checkout=$(printf %q "$CHECKOUT")
self=$(printf %q "$venv/bin/python") real=/usr/bin/python$ver
# Inside the root: argv[0] = this file, so Python takes this venv (pyvenv.cfg beside bin/) and
# sys.executable is this wrapper (subprocesses, multiprocessing and #! lines come back here).
if [ -e $MARKER ]; then exec -a "\$self" "\$real" "\$@"; fi
# On the host: the root's mounts (gone after a reboot) are redone by ci/pyroot.sh --mount.
for d in ${BINDS[*]} "\$checkout"; do
  if ! [ "\$root\$d" -ef "\$d" ]; then
    bash "\$checkout/ci/pyroot.sh" --mount >&2 || exit 126
    break
  fi
done
# The same working directory inside (its physical path: host symlinks do not exist in the root).
cd -P . 2>/dev/null
cwd=\$PWD
if ! [ "\$root\$cwd" -ef "\$cwd" ]; then
  printf '%s: the working directory %s is not visible in the Python root %s; running in /\\n' \\
    "\$self" "\$cwd" "\$root" >&2
  cwd=/
fi
exec /usr/sbin/chroot "\$root" /bin/bash -c 'cd -- "\$1" && exec -a "\$2" "\$3" "\${@:4}"' \\
  gilmap-pyroot "\$cwd" "\$self" "\$real" "\$@"
EOF
  chmod 755 "$tmp"
  if cmp -s "$tmp" "$venv/bin/python"; then rm -f "$tmp"; else mv -f "$tmp" "$venv/bin/python"; fi
  local n
  for n in python3 "python$ver"; do
    [ "$(readlink "$venv/bin/$n" 2>/dev/null)" = python ] || ln -sfn python "$venv/bin/$n"
  done
}

ensure_venv() {
  local ver=$1 venv
  venv=$CHECKOUT/$(venv_dir "$1")
  if [ -f "$venv/pyvenv.cfg" ] && [ -x "$venv/bin/python" ] \
      && ! grep -qs "$WRAPPER_TAG" "$venv/bin/python"; then
    log "$venv runs on the host without the root (not made by ci/pyroot.sh); leaving it alone"
    return 1
  fi
  if [ ! -f "$venv/pyvenv.cfg" ]; then
    log "creating $(venv_dir "$ver") with the root's python$ver"
    rm -rf "$venv"
    chroot "$PYROOT" "/usr/bin/python$ver" -m venv "$venv"
  fi
  write_wrapper "$ver" "$venv"
  "$venv/bin/python" -c "import sys; assert sys.prefix == '$venv', sys.prefix" \
    || die "$venv/bin/python does not run in its venv"
  # A venv whose creation was interrupted may lack pip.
  "$venv/bin/python" -c "import pip" 2>/dev/null || "$venv/bin/python" -m ensurepip -q
}

for ver in $PYROOT_VERSIONS; do
  ensure_venv "$ver" || continue
  venv=$(venv_dir "$ver")
  stamp="$venv/.deps-$(sha256sum ci/requirements-dev.txt | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    log "installing Python dependencies into $venv"
    "$venv/bin/python" -m pip install -q --upgrade pip
    "$venv/bin/python" -m pip install -q -r ci/requirements-dev.txt
    touch "$stamp"
  fi
  # ------------------------------------------------------------ 3. the extension, built on the host
  if [ "$mode" = all ]; then
    log "building gilmap._gilmap for Python $ver (on the host, interpreter via the root)"
    (
      export VIRTUAL_ENV="$CHECKOUT/$venv" PATH="$CHECKOUT/$venv/bin:$PATH"
      export PYO3_PYTHON="$CHECKOUT/$venv/bin/python"
      unset PYO3_CONFIG_FILE
      export CARGO_TARGET_DIR="target/py$ver"
      mkdir -p target
      nice -n 10 maturin develop --release --quiet >"$CARGO_TARGET_DIR.log" 2>&1 \
        || { cat "$CARGO_TARGET_DIR.log" >&2; die "maturin develop failed for Python $ver"; }
    )
    "$venv/bin/python" -c "import gilmap._gilmap" || die "the extension does not import in $venv"
  fi
done
log "Python root $PYROOT ready for: $(for v in $PYROOT_VERSIONS; do venv_dir "$v"; done | paste -sd" ")"
