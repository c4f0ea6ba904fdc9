"""Minimized reproducers found by the differential fuzzer (``tests/fuzz``), compared with
CPython exactly as the fuzzer compares them (values, element types, float bits, exception
type and first failing element), on the container they failed on and, where the JIT can,
on both loop kernels; ``changes`` are applied to globals / closure cells between two calls.

Each entry: backend the case targets, lane, container, seed (places the nulls of nullable
containers), source (run with ``exec``, no file), inputs, changes. ``python -m tests.fuzz``
prints new entries in this form.
"""

from __future__ import annotations

import pytest

from tests.fuzz.check import check
from tests.fuzz.gen import Case

CASES = [
    # A float global changed from -0.0 to 0.0 between calls: the guard compares with ==
    # (-0.0 == 0.0), so the kernel that baked -0.0 keeps running. CPython 0.0, gilmap -0.0.
    pytest.param(
        "jit",
        "int64",
        "list",
        1004,
        """\
G0 = -0.0

def f(x):
    return G0
""",
        [-146322560],
        [("G0", 0.0)],
        id="jit-global-negative-zero-guard",
    ),
    # The same through a closure cell is compared by bits (a kernel argument): stays exact.
    pytest.param(
        "jit",
        "float64",
        "list",
        7,
        """\
def make(c0):
    def f(x):
        return x * 0.0 + c0
    return f
f = make(-0.0)
""",
        [-1.5, 2.0],
        [("cell:c0", 0.0)],
        id="jit-closure-negative-zero",
    ),
    # arrow_kernel: `-nan ** 1` is the same NaN in CPython (sign kept); pyarrow's power
    # gives a positive NaN. CPython -nan, gilmap nan.
    pytest.param(
        "arrow",
        "float64",
        "list",
        1246,
        """\
f = lambda x: x ** 1
""",
        [-float("nan")],
        [],
        id="arrow-pow-one-nan-sign",
    ),
    # The JIT folds `float('-inf') % 50.0` at compile time to a positive NaN; CPython
    # computes fmod(-inf, 50.0) at run time (x86: the default NaN, sign bit set).
    pytest.param(
        "jit",
        "float64",
        "list",
        1447,
        """\
import math

def f(x):
    return 0.0 - math.sinh(float('-inf') % 50.0)
""",
        [9.284825722095312e-11],
        [],
        id="jit-folded-fmod-nan-sign",
    ),
]


@pytest.mark.parametrize("backend, lane, container, seed, source, xs, changes", CASES)
def test_fuzz_regression(backend, lane, container, seed, source, xs, changes):
    if backend == "numba":
        pytest.importorskip("numba")
    result = check(Case(seed, backend, lane, source, changes), xs, (container,))
    assert not result.skipped, result.skipped
    assert result.findings == [], result.findings
