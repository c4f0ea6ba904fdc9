"""The lane-parallel loop kernel (llvm/src/simt/): functions with loops run 8 elements
side by side, one loop trip at a time, refilling lanes as elements finish.

The kernel is built on demand (by the first run long enough to gain from it); these tests
build it first (``lane_parallel``) and assert that the very call ran on it
(``map_on(..., simt=True)``: the debug line says ``simt=on``), then compare with CPython on
values, element types and exception types."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
from conftest import INT64_EDGES, assert_same_list, map_on, run_python
from hypothesis import given
from hypothesis import strategies as st

import gilmap
from gilmap._api import router


def collatz(n):
    steps = 0
    n = abs(n) + 1
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


def logistic(x):
    r = 3.7
    for _ in range(50):
        x = r * x * (1.0 - x)
    return x


def escape(x):
    zr = zi = 0.0
    for i in range(60):
        zr2, zi2 = zr * zr, zi * zi
        if zr2 + zi2 > 4.0:
            return i
        zi = 2.0 * zr * zi + 0.3
        zr = zr2 - zi2 + x
    return 60


def sqrt_walk(x):
    # libm inside the loop (called once per lane) and a math domain error for x < 0.
    s = 0.0
    for k in range(8):
        s += math.sqrt(x + k) * 0.5
    return s


def div_in_loop(n):
    # ZeroDivisionError (float division, per-lane divisor) when n % 7 < 5.
    t = 0.0
    for k in range(5):
        t += 100.0 / (n % 7 - k)
    return t


def grow(n):
    # Overflows int64 for large n: lists get CPython's big int, int64 arrays raise.
    x = n
    while x < 4 * 10**18 and x > 0:
        x = x * 3 + 1
    return x


def powmod_walk(n):
    # A runtime helper (pow with a modulus) in the loop, with a modulus of 0 for some
    # elements (ValueError in CPython): lanes that have finished, or that a branch skips,
    # still call it with whatever they hold, so it must accept anything.
    t = 0
    for k in range(1, 6):
        if n % 3 == 0:
            return t
        t += pow(n, k, n % 5 - 2)
    return t


def round_walk(x):
    # round(x, 2): a runtime helper (CPython's correctly rounded decimal string) per lane.
    s = 0.0
    for k in range(4):
        s += round(x * k + 0.005, 2)
    return s


def mixed_return(x):
    i = 0
    while x > 1.0:
        x = x / 2.0
        i += 1
        if i > 20:
            return None
    return i


def trial_division(n):
    d = 2
    while d * d <= n:
        if n % d == 0:
            return False
        d += 1
    return n > 1


INT_FUNCS = [collatz, div_in_loop, grow, powmod_walk]
FLOAT_FUNCS = [logistic, escape, sqrt_walk, mixed_return, round_walk]


def cpython(f, xs):
    try:
        return list(map(f, xs)), None
    except Exception as e:  # noqa: BLE001 - the oracle's exception type is the point
        return None, type(e)


def lane_parallel(f, lane):
    """Builds ``f``'s lane-parallel kernel for ``lane`` (normally a long run does)."""
    info = gilmap.explain(f, dtype=lane)
    assert info["simt_lanes"] == 8, info["simt_note"]
    router.decide(f, lane).payload.kernel.compile_simt()
    assert gilmap.explain(f, dtype=lane)["simt_ready"]


def check(f, xs):
    lane = "float64" if any(type(x) is float for x in xs) else "int64"
    lane_parallel(f, lane)
    want, exc = cpython(f, xs)
    if exc is not None:
        with pytest.raises(exc):
            map_on("jit", f, xs, simt=True)
    else:
        assert_same_list(map_on("jit", f, xs, simt=True), want)


@pytest.mark.parametrize("f", INT_FUNCS + FLOAT_FUNCS, ids=lambda f: f.__name__)
def test_loop_functions_run_lane_parallel(f):
    dtype = "int64" if f in INT_FUNCS else "float64"
    info = gilmap.explain(f, dtype=dtype)
    assert info["backend"] == "jit", info["reason"]
    assert info["simt_lanes"] == 8, info["simt_note"]
    assert info["simt_note"] is None


def test_per_lane_division_keeps_the_scalar_kernel():
    info = gilmap.explain(trial_division, dtype="int64")
    assert info["backend"] == "jit"
    assert info["simt_lanes"] == 0
    assert "division" in info["simt_note"]
    assert gilmap.explain(lambda x: x + 1, dtype="int64")["simt_lanes"] == 0


@pytest.mark.parametrize("f", INT_FUNCS, ids=lambda f: f.__name__)
@given(
    st.lists(st.one_of(st.integers(-(2**63), 2**63 - 1), st.sampled_from(INT64_EDGES)), max_size=40)
)
def test_int_loops_match_cpython(f, xs):
    check(f, xs)


@pytest.mark.parametrize("f", FLOAT_FUNCS, ids=lambda f: f.__name__)
@given(
    st.lists(
        st.one_of(
            st.floats(-3, 3),
            st.sampled_from([0.0, -0.0, 0.5, 1.0, math.nan, math.inf, -math.inf, 1e308, 5e-324]),
        ),
        min_size=1,  # an empty list is an int64 column
        max_size=40,
    )
)
def test_float_loops_match_cpython(f, xs):
    check(f, xs)


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 15, 16, 17, 1000, 20001])
def test_every_count_and_order(n):
    # Lanes finish at different trips and are refilled: results land at their own index.
    rng = np.random.default_rng(n)
    xs = rng.integers(-(10**6), 10**6, size=n)
    want = [collatz(int(x)) for x in xs]
    lane_parallel(collatz, "int64")
    out = map_on("jit", collatz, xs, simt=True)
    assert isinstance(out, np.ndarray) and out.dtype == np.int64
    assert out.tolist() == want


def test_strided_numpy_and_arrow_input():
    import pyarrow as pa

    base = np.linspace(-2.5, 1.5, 30001)
    view = base[::3]
    want = [escape(float(x)) for x in view]
    lane_parallel(escape, "float64")
    assert map_on("jit", escape, view, simt=True).tolist() == want
    got = map_on("jit", escape, pa.array(view), simt=True)
    assert got.to_pylist() == want


def test_first_failing_element_decides():
    xs = [5, 6, 12, 13] * 10 + [14, 7]  # n % 7 in (5, 6) never divides by zero; 14 does
    want, exc = cpython(div_in_loop, xs)
    assert exc is ZeroDivisionError
    lane_parallel(div_in_loop, "int64")
    with pytest.raises(ZeroDivisionError):
        map_on("jit", div_in_loop, np.array(xs, dtype=np.int64), simt=True)


def test_int64_overflow_in_a_loop():
    xs = [1, 2, 3, 10**17, 35 * 10**17, 5]  # 3.5e18 * 3 + 1 leaves int64
    lane_parallel(grow, "int64")
    assert_same_list(map_on("jit", grow, xs, simt=True), list(map(grow, xs)))
    with pytest.raises(OverflowError):
        map_on("jit", grow, np.array(xs, dtype=np.int64), simt=True)


def nested_sums(n):
    total = 0
    for k in range(6):
        m = abs(n) % 1000 + k + 1
        while m != 1:
            m = m // 2 if m % 2 == 0 else 3 * m + 1
            total += 1
    return total


@given(
    st.lists(st.one_of(st.integers(-(2**63), 2**63 - 1), st.sampled_from(INT64_EDGES)), max_size=40)
)
def test_nested_loops_run_lane_parallel(xs):
    # Lanes sit at different loop headers; each pass runs the busiest header's step.
    info = gilmap.explain(nested_sums, dtype="int64")
    assert info["simt_lanes"] == 8, info["simt_note"]
    check(nested_sums, xs)


def test_nested_loops_on_many_elements():
    xs = np.arange(-5000, 5000, 3, dtype=np.int64)
    lane_parallel(nested_sums, "int64")
    assert map_on("jit", nested_sums, xs, simt=True).tolist() == [nested_sums(int(x)) for x in xs]


def test_a_long_run_builds_the_lane_parallel_kernel():
    # A new function: a short run keeps the element-at-a-time kernel (building the
    # lane-parallel one costs more than it would save); a long one builds it and uses it.
    ns: dict = {}
    exec(
        "def spin(x):\n    for _ in range(3000):\n        x = 3.9 * x * (1.0 - x)\n    return x\n",
        ns,
    )
    spin = ns["spin"]
    short = [0.1 + i / 1000 for i in range(100)]
    assert_same_list(map_on("jit", spin, short), list(map(spin, short)))
    assert not gilmap.explain(spin, dtype=float)["simt_ready"]
    long = np.linspace(0.01, 0.99, 40_000)
    out = map_on("jit", spin, long, simt=True)
    assert gilmap.explain(spin, dtype=float)["simt_ready"]
    assert out[:2000].tolist() == [spin(float(x)) for x in long[:2000]]


def test_simt_can_be_turned_off():
    # The function is defined in the child itself: importing this module would import
    # conftest, which clears GILMAP_SIMT from the environment.
    code = (
        "import gilmap\n"
        + inspect.getsource(collatz)
        + "info = gilmap.explain(collatz, dtype='int64')\n"
        "print(info['backend'], info['simt_lanes'], info['simt_note'])\n"
        "import numpy as np\n"
        "xs = np.arange(10**6, 10**6 + 300_000)\n"
        "out = gilmap.map(collatz, xs)\n"
        "out = gilmap.map(collatz, xs)  # ~60 ms of CPU each: the second builds it\n"
        "print(out[::997].tolist() == [collatz(int(x)) for x in xs[::997]])\n"
        "print(gilmap.explain(collatz, dtype='int64')['simt_ready'])\n"
    )
    off = run_python(code, GILMAP_SIMT="0")
    assert off.returncode == 0, off.stderr
    assert off.stdout.splitlines() == ["jit 0 turned off (GILMAP_SIMT=0)", "True", "False"]
    on = run_python(code)
    assert on.returncode == 0, on.stderr
    assert on.stdout.splitlines() == ["jit 8 None", "True", "True"]
