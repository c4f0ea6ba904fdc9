"""Regression tests for issue 10's native-code findings: a failed element must never go on
computing on a meaningless value (crash, hang, or wrong answer), shift counts outside 0..63
must not reach LLVM, and recursion is bounded below every thread's stack.

Every case is compared with CPython on values, element types and exception type, and asserts
that the JIT ran it (the element-at-a-time kernel, and the lane-parallel one where the
function has a loop). Cases that used to kill the interpreter run in a child process, so a
regression fails the test instead of the whole run.
"""

from __future__ import annotations

import math
import textwrap

import hypothesis.strategies as st
import pytest
from conftest import INT64_EDGES, map_on, run_python, typed
from hypothesis import given, settings

import gilmap
from gilmap import _api


def _fn(src: str, **env):
    """A function defined by ``exec`` (no source file), as a REPL user would."""
    ns: dict = {"math": math, **env}
    exec(textwrap.dedent(src), ns)  # noqa: S102 - test programs
    return ns["f"]


def _cpython(f, xs):
    try:
        return list(map(f, xs)), None
    except Exception as e:  # noqa: BLE001 - the exception type is what is compared
        return None, type(e)


def _same(f, xs, *, simt: bool = False):
    """gilmap (on the JIT) agrees with CPython on ``xs``."""
    lane = "float64" if any(type(x) is float for x in xs) else "int64"
    if simt:
        info = gilmap.explain(f, dtype=lane)
        assert info["simt_lanes"] == 8, info["simt_note"]
        _api.router.decide(f, lane).payload.kernel.compile_simt()
    want, exc = _cpython(f, xs)
    if exc is not None:
        with pytest.raises(exc):
            map_on("jit", f, xs, simt=simt)
    else:
        assert typed(map_on("jit", f, xs, simt=simt)) == typed(want)


# ---------------------------------------------------------------- errors stop the element


def test_error_before_a_recursive_call_leaves_the_element():
    f = _fn(
        """
        def h(n):
            if n <= 0:
                return 0.0
            return h(n - 1) + 1.0
        def f(x):
            return h(math.sqrt(x))
        """
    )
    _same(f, [4.0, 9.0, 0.25])
    _same(f, [4.0, -1.0])  # ValueError: math domain error (was: SIGSEGV)
    _same(f, [-1.0, 4.0, -2.0])


def test_issue_example_in_a_child():
    # The issue's example, first call included (was: SIGSEGV in the kernel's recursion).
    code = textwrap.dedent(
        """
        import gilmap, math
        def h(n):
            if n <= 0:
                return 0.0
            return h(n - 1) + 1.0
        def f(x):
            return h(math.sqrt(x))
        try:
            gilmap.map(f, [4.0, -1.0])
        except ValueError as e:
            print('ValueError', e)
        print(gilmap.explain(f, dtype=float)['backend'])
        try:
            f(-1.0)
        except ValueError as e:
            print('ValueError', e)  # CPython's own message (3.14 changed it)
        """
    )
    r = run_python(code, timeout=120)
    assert r.returncode == 0, r.stderr
    got, backend, want = r.stdout.split("\n")[:3]
    assert (got, backend) == (want, "jit")
    assert want.startswith("ValueError ")


def test_overflow_before_a_loop_does_not_drive_it():
    # 3 * x overflows int64 for large x: CPython then loops ~64 times on a big int; the
    # kernel must leave the element before its wrapped value decides the trip count.
    f = _fn(
        """
        def f(x):
            y = 3 * x
            n = 0
            while y != 0:
                y = y // 2 if y > 0 else -((-y) // 2)
                n += 1
            return n
        """
    )
    _same(f, INT64_EDGES)
    _same(f, INT64_EDGES * 5, simt=True)


def test_error_inside_a_loop_leaves_before_the_back_edge():
    f = _fn(
        """
        def f(x):
            s = 0.0
            i = 0
            while i < 10:
                s += math.log(x - i)
                i += 1
            return s
        """
    )
    _same(f, [20.0, 11.0, 10.5])
    _same(f, [20.0, 5.0, 30.0])  # ValueError at i = 5
    _same(f, [20.0, 30.0] * 20 + [5.0], simt=True)


# ---------------------------------------------------------------- shift counts


SHIFTS = [
    "def f(x):\n    return x << -1\n",
    "def f(x):\n    return x >> -1\n",
    "def f(x):\n    return x << K\n",
    "def f(x):\n    return x >> K\n",
    "def f(x):\n    return 1 << (x | -2**63)\n",
    "def f(x):\n    return x >> (x * 3)\n",
    "def f(x):\n    return (x << x) if x < 70 else 0\n",
    "def f(x):\n    return x >> x\n",
]


@pytest.mark.parametrize("src", SHIFTS)
@pytest.mark.parametrize("k", [-1, -(2**63), 64, 63, 3])
def test_shift_counts(src, k):
    f = _fn(src, K=k)
    for xs in ([1, 2], [0, 5], [-7, 64], INT64_EDGES, [3, 65, -65, 100]):
        _same(f, xs)


@given(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=20), st.integers(-70, 70))
def test_shift_by_any_count(xs, k):
    _same(_fn("def f(x):\n    return (x << K) + (x >> K) if x & 1 else x >> K\n", K=k), xs)


def test_negative_shift_in_a_lane_parallel_loop():
    f = _fn(
        """
        def f(x):
            s = 0.0
            for i in range(20):
                s += round((x >> (i - 3)) / 3, 17)
            return s
        """
    )
    _same(f, list(range(1, 50)), simt=False)
    # The lane-parallel kernel of a loop over `range(20)` is not a candidate (no loop
    # header survives unrolling there); a while loop is:
    g = _fn(
        """
        def f(x):
            s = 0.0
            i = 0
            while i < 20:
                s += round((x >> (i - 3)) / 3, 17)
                i += 1
            return s
        """
    )
    _same(g, list(range(1, 50)), simt=True)


def test_negative_shift_over_a_long_run_in_a_child():
    # Was: SIGSEGV once the lane-parallel kernel tiered up (3M elements).
    code = textwrap.dedent(
        """
        import gilmap
        ns = {}
        exec('''
        def f(x):
            s = 0.0
            i = 0
            while i < 3:
                s += round((x >> -1) / 3, 17)
                i += 1
            return s
        ''', ns)
        try:
            gilmap.map(ns['f'], list(range(3_000_000)))
        except ValueError as e:
            print('ValueError', e)
        """
    )
    r = run_python(code, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ValueError negative shift count"


# ---------------------------------------------------------------- recursion depth


RECURSIVE = """
def r(n):
    return 0 if n <= 0 else 1 + r(n - 1)
def f(x):
    return r(x)
"""


def test_recursion_within_the_bound_runs_on_the_jit():
    _same(_fn(RECURSIVE), [0, 1, 10, 400, 499])


def test_recursion_beyond_the_bound_goes_to_cpython():
    f = _fn(RECURSIVE)
    _same(f, [3, 600, 900])  # deeper than the kernel goes: CPython computes them
    _same(f, [3, 5000])  # RecursionError, as in CPython (was: 5000)


def test_very_deep_recursion_does_not_overflow_a_thread_stack():
    code = textwrap.dedent(
        """
        import gilmap
        ns = {}
        exec('''
        def r(n):
            return 0 if n <= 0 else 1 + r(n - 1)
        ''', ns)
        xs = [200_000] + list(range(1000))
        try:
            gilmap.map(ns['r'], xs)
        except RecursionError:
            print('RecursionError')
        print(gilmap.map(ns['r'], list(range(300))) == list(range(300)))
        """
    )
    r = run_python(code, timeout=120)
    assert r.returncode == 0, r.stderr  # was: SIGSEGV
    assert r.stdout.split() == ["RecursionError", "True"]


def _pow_var(x):
    return (x % 7 - 2) ** (x % 70 - 3)


def _pow_two(x):
    return 2 ** (x % 130 - 5)


@settings(max_examples=200)
@given(st.lists(st.integers(-(2**63), 2**63 - 1) | st.integers(-80, 80), max_size=40))
def test_int_power_with_a_run_time_exponent(xs):
    """``int ** int`` with a variable exponent compiles (int result); a negative exponent
    (float in CPython) or an overflow leaves the element to CPython."""
    for f in (_pow_var, _pow_two):
        try:
            want = [(type(v), v) for v in map(f, xs)]
        except ZeroDivisionError:  # 0 ** -k
            with pytest.raises(ZeroDivisionError):
                map_on("jit", f, xs)
            continue
        got = [(type(v), v) for v in map_on("jit", f, xs)]
        assert got == want


def test_a_kernel_refuses_a_column_of_another_lane():
    """The kernel ABI's lane is checked before a kernel reads a column's bytes."""
    from gilmap import _gilmap

    def f(x):
        return x + 1

    kernel = _api.router.decide(f, "int64").payload.kernel
    assert kernel.lane == "int64"
    floats = _gilmap.Column.from_sequence([1.5, 2.5])
    with pytest.raises(ValueError, match="int64 lane cannot run a float64 column"):
        _gilmap.jit_map(kernel, floats, [], f, "list")
    bools = _gilmap.Column.from_sequence([True, False])
    with pytest.raises(ValueError, match="int64 lane cannot run a bool column"):
        _gilmap.jit_map(kernel, bools, [], f, "list")
    ints = _gilmap.Column.from_sequence([1, 2])
    assert _gilmap.jit_map(kernel, ints, [], f, "list") == [2, 3]
