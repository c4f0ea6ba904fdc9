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
    # The other direction: 0.0 changed to -0.0 (seed 201143 of the bool lane).
    pytest.param(
        "jit",
        "bool",
        "list",
        201143,
        """\
G0 = 0.0
f = lambda x: G0
""",
        [False],
        [("G0", -0.0)],
        id="jit-global-positive-zero-guard",
    ),
    # Float `%` and `//` of an infinity: CPython's fmod gives the x86 default NaN (sign bit
    # set), the JIT a positive NaN. CPython -nan, gilmap nan (element 1).
    pytest.param(
        "jit",
        "float64",
        "list",
        200331,
        """\
f = lambda x: x % 2.0
""",
        [3.0, float("inf")],
        [],
        id="jit-float-mod-inf-nan-sign",
    ),
    # ... which copysign turns into a value: CPython -1.0 for x = inf, gilmap 1.0 (seed
    # 402341; with a divisor of 1.5 the results agree).
    pytest.param(
        "jit",
        "float64",
        "list",
        402341,
        """\
import math
f = lambda x: math.copysign(1.0, x % 2.0)
""",
        [2.0, float("inf")],
        [],
        id="jit-float-mod-inf-nan-sign-copysign",
    ),
    pytest.param(
        "jit",
        "float64",
        "list",
        200331,
        """\
f = lambda x: x // 2.0
""",
        [3.0, float("inf")],
        [],
        id="jit-float-floordiv-inf-nan-sign",
    ),
    # `False * -x` for x = -nan: CPython multiplies 0.0 by +nan (the negated input) and
    # keeps that NaN; the JIT gives -nan (found on the lane-parallel kernel, seed 200741;
    # the element kernel gives -nan too).
    pytest.param(
        "jit",
        "float64",
        "list",
        200741,
        """\
def f(x):
    return False * -x
""",
        [-float("nan")],
        [],
        id="jit-bool-times-negated-nan-sign",
    ),
    # `-(x * x)` for a NaN x: CPython negates the product (x86 keeps the first operand's
    # NaN, so -nan -> +nan); the JIT gives the NaN unnegated (as if computed (-x) * x).
    pytest.param(
        "jit",
        "float64",
        "list",
        600516,
        """\
f = lambda x: -(x * x)
""",
        [-float("nan"), float("nan")],
        [],
        id="jit-negated-product-nan-sign",
    ),
    # numba_native: the dispatcher raises ZeroDivisionError for element 1 (7 % 7 == 0);
    # gilmap raises RuntimeError "g raised in native code for element 0 but not when called
    # again from Python" (wrong element, wrong type; seed 200201 minimized by hand).
    pytest.param(
        "numba",
        "int64",
        "list",
        200201,
        """\
import numba

@numba.njit
def f(x):
    if x > 0:
        v8 = 0.5 / (x % 7)
    return x
""",
        [1, 7],
        [],
        id="numba-raise-in-dead-branch-wrong-element",
    ),
    # The JIT folds `math.inf // 1.5` at compile time to +nan; CPython computes -nan (x86
    # default NaN from fmod), and copysign turns the NaN sign into a value: CPython 1.0 for
    # x = 2.0, gilmap 3.0 (seed 303590, found on 3.13).
    pytest.param(
        "jit",
        "float64",
        "list",
        303590,
        """\
import math
f = lambda x: math.copysign(1.0, math.inf // 1.5) + x
""",
        [2.0],
        [],
        id="jit-folded-floordiv-nan-sign-copysign",
    ),
    # A ChunkedArray whose first chunk has a result that does not fit int64 and whose last
    # chunk raises in f: list(map) raises ZeroDivisionError (f fails before any output is
    # built), a flat array too; HEAD (3c67928f) raised OverflowError for element 0 (chunks
    # were run and assembled one at a time). Seeds 388, 300161, 303318.
    pytest.param(
        "jit",
        "int64",
        "chunked",
        388,
        """\
f = lambda x: x * 2**62 if x > 2 else 1 // (x - 2)
""",
        [4, 3, 2],
        [],
        id="jit-chunked-output-error-before-later-chunk-raises",
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
        pytest.importorskip("numba")  # numba_native is considered once numba is imported
    result = check(Case(seed, backend, lane, source, changes), xs, (container,))
    assert not result.skipped, result.skipped
    assert result.findings == [], result.findings
