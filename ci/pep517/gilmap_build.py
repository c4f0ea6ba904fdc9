"""PEP 517 backend for gilmap: maturin, after checking that LLVM 19 can be found.

Building from source links LLVM 19's static libraries (llvm-sys). Without them the Rust
build would fail minutes later with llvm-sys's generic message; this says at once what to
install. Every hook is maturin's own.
"""

from __future__ import annotations

import os
import shutil

from maturin import *  # noqa: F403 - re-export every PEP 517 hook
from maturin import build_editable as _build_editable
from maturin import build_wheel as _build_wheel

_HELP = (
    "gilmap builds from source against LLVM 19 (static libraries), which was not found.\n"
    "  Debian/Ubuntu: apt-get install llvm-19-dev libpolly-19-dev libzstd-dev libffi-dev\n"
    "  elsewhere: install LLVM 19 and set LLVM_SYS_191_PREFIX to its prefix "
    "(the directory holding bin/llvm-config)\n"
    "or install a prebuilt wheel (pip install gilmap) where one exists for your platform."
)


def _find_llvm() -> str | None:
    prefix = os.environ.get("LLVM_SYS_191_PREFIX")
    if prefix:
        return prefix if os.path.exists(os.path.join(prefix, "bin", "llvm-config")) else None
    for cand in ("/usr/lib/llvm-19", "/usr/local/opt/llvm@19", "/opt/homebrew/opt/llvm@19"):
        if os.path.exists(os.path.join(cand, "bin", "llvm-config")):
            return cand
    exe = shutil.which("llvm-config-19") or shutil.which("llvm-config")
    if exe:
        return os.path.dirname(os.path.dirname(os.path.realpath(exe)))
    return None


def _check() -> None:
    prefix = _find_llvm()
    if prefix is None:
        raise RuntimeError(_HELP)
    os.environ.setdefault("LLVM_SYS_191_PREFIX", prefix)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _check()
    return _build_wheel(wheel_directory, config_settings, metadata_directory)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    _check()
    return _build_editable(wheel_directory, config_settings, metadata_directory)
