"""Shared helpers for gilmap's tests.

The rendezvous directory is put into the environment here, at import time, before any test
starts the worker pool: a worker sub-interpreter reads the process environment when it is
created, so a variable set later would not be visible to ``gm_funcs.rendezvous``.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import hypothesis
import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"

# The suite assumes the default pool (one worker per core) and no debug output unless a
# test asks for it; the user's shell must not change that.
for _var in ("GILMAP_NUM_THREADS", "GILMAP_DEBUG", "GILMAP_JIT", "GILMAP_SIMT"):
    os.environ.pop(_var, None)

_RENDEZVOUS_DIR = tempfile.mkdtemp(prefix="gilmap-rendezvous-")
os.environ["GM_RENDEZVOUS_DIR"] = _RENDEZVOUS_DIR
atexit.register(shutil.rmtree, _RENDEZVOUS_DIR, ignore_errors=True)

# No example database in the repository; no per-example deadline (each call crosses threads,
# and the first one starts the pool).
hypothesis.settings.register_profile("gilmap", database=None, deadline=None, max_examples=30)
hypothesis.settings.load_profile("gilmap")

_groups = itertools.count(1)


def rendezvous_inputs(members: int) -> list[int]:
    """Inputs for ``gm_funcs.rendezvous``: ``members`` calls that each wait for all others."""
    group = next(_groups)
    peers = members - 1
    return [group * 1000 + peers * 100 + m for m in range(members)]


# int64 inputs where exact int semantics are decided: the type's edges, and the edges of
# `3 * n` (the Collatz step), where a checked multiplication starts to overflow.
INT64_EDGES = [
    0,
    1,
    -1,
    7,
    2**62,
    -(2**62),
    2**63 - 1,
    -(2**63),
    3074457345618258602,
    3074457345618258603,
    -3074457345618258602,
    -3074457345618258603,
]


def typed(values) -> list[tuple[type, object]]:
    """Each element with its exact type; floats by ``repr`` so nan and -0.0 compare exactly."""
    return [(type(v), repr(v) if type(v) is float else v) for v in values]


def assert_same_list(out, expected) -> None:
    assert type(out) is list, type(out)
    assert typed(out) == typed(expected)


def reference(func, data) -> list:
    """``list(map(func, data))`` with None passed through (gilmap's null rule)."""
    return [None if x is None else func(x) for x in data]


def expected_dtype_name(values) -> str:
    """The output dtype rule: bool if every result is a bool, else int64, float64 if any float."""
    kinds = {type(v) for v in values if v is not None}
    if float in kinds:
        return "float64"
    if int in kinds:
        return "int64"
    if kinds == {bool}:
        return "bool"
    return ""  # no result at all: the lane decides


def cast_like(values, dtype: str) -> list:
    """The Python values a numpy/Arrow array of ``dtype`` gives back for ``values``."""
    conv = {"float64": float, "int64": int, "bool": bool}[dtype]
    return [None if v is None else conv(v) for v in values]


def map_on(backend: str, func, data, *, simt: bool = False):
    """``gilmap.map(func, data)``, asserting that this very call ran on ``backend`` (also
    when it raises: the debug line is printed either way); with ``simt``, on the JIT's
    lane-parallel loop kernel."""
    import gilmap  # not at import time: helper modules define functions without it

    buf = io.StringIO()
    try:
        with contextlib.redirect_stderr(buf):
            return gilmap.map(func, data, debug=True)
    finally:
        line = buf.getvalue()
        assert f"backend={backend} " in line, f"not run by {backend}: {line!r}"
        assert not simt or " simt=on " in line, f"not lane-parallel: {line!r}"


@contextlib.contextmanager
def no_python_calls_of(code):
    """Fails if the code object ``code`` runs as Python code inside the block (proof that
    a backend did the work natively, not through a per-element Python fallback)."""
    seen: set = set()

    def profile(frame, event, arg):
        if event == "call":
            seen.add(frame.f_code)

    sys.setprofile(profile)
    try:
        yield
    finally:
        sys.setprofile(None)
    assert code not in seen, f"{code.co_name} ran as Python code"


def subprocess_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    for var in ("GILMAP_NUM_THREADS", "GILMAP_DEBUG", "GILMAP_JIT", "GILMAP_ARROW", "GILMAP_SIMT"):
        env.pop(var, None)
    for var in ("GILMAP_JIT", "GILMAP_ARROW"):
        if os.environ.get(var) == "0":  # a sub-interpreter pool test: keep it so
            env[var] = "0"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(TESTS)])
    env.update(extra)
    return env


# These modules test the sub-interpreter pool and the data paths through it: the JIT and
# arrow_kernel are disabled there, so functions they could run still run (and are asserted
# to run) on the pool. The JIT's own tests are the test_jit_* modules.
SUBINTERP_MODULES = {"test_data_paths", "test_errors", "test_pool", "test_process", "test_router"}


@pytest.fixture(autouse=True)
def _backend_under_test(request, monkeypatch):
    from gilmap import _api

    if request.module.__name__.rsplit(".", 1)[-1] in SUBINTERP_MODULES:
        monkeypatch.setenv("GILMAP_JIT", "0")
        monkeypatch.setenv("GILMAP_ARROW", "0")
    _api.router.clear()
    yield
    _api.router.clear()


def run_python(code: str, *, timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
    """Runs ``code`` in a fresh interpreter (this one's executable), cwd = the repository."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=subprocess_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def router():
    import gilmap._api

    return gilmap._api.router
