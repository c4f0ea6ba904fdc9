"""The arrow_kernel backend: detection from bytecode (what is eligible and why the rest is
not), exact CPython results (values, element types, exception types) on random data, the
three ways it is selected (JIT disabled, LLVM unavailable, JIT refused), nulls, output
containers, and that it really evaluated with pyarrow (no per-element Python calls)."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from conftest import map_on, no_python_calls_of
from hypothesis import example, given, settings
from hypothesis import strategies as st
from jit_funcs import exact, outcome, same_outcome

import gilmap
from gilmap import _gilmap

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
NAN, INF = float("nan"), float("inf")
SPECIAL_FLOATS = [0.0, -0.0, NAN, INF, -INF, 0.5, -0.5, 1.0, -1.0, 2.0, 5e-324, 1e308, 710.0]
INTS = st.one_of(
    st.sampled_from([INT64_MIN, INT64_MAX, 0, -1, 1, 2**53 + 1]),
    st.integers(INT64_MIN, INT64_MAX),
    st.integers(-1000, 1000),
)
FLOATS = st.one_of(st.sampled_from(SPECIAL_FLOATS), st.floats(allow_nan=True, allow_infinity=True))


@pytest.fixture(autouse=True)
def _no_jit(monkeypatch):
    monkeypatch.setenv("GILMAP_JIT", "0")


def fn(expr: str):
    ns: dict = {"math": math}
    exec(f"f = lambda x: {expr}", ns)
    return ns["f"]


def amap(func, data):
    """``gilmap.map(func, data)``, asserting that this call ran on arrow_kernel."""
    return map_on("arrow_kernel", func, data)


# ------------------------------------------------------------------------- detection

INT_EXPRS = [
    "x + 1",
    "x - 7",
    "x * 3 + 1",
    "-x",
    "~x",
    "abs(x)",
    "x / 4",
    "x ** 2",
    "x ** 0",
    "x & 12",
    "x | 5",
    "x ^ -1",
    "x >> 3",
    "x < 10",
    "2 < x < 100",
    "x == 0",
    "x != 3",
    "x * 1.5",
    "x > 2.5",
    "x if x > 0 else -x",
    "x + 1 if x else 0",
    "(x > 3) + 1",
    "(x > 0) & (x < 9)",
    "math.sqrt(x)",
    "math.floor(x / 7)",
    "math.log(x) if x > 0 else 0.0",
]
FLOAT_EXPRS = [
    "x * 1.5 + 0.5",
    "x - 0.25",
    "-x",
    "x / 3",
    "1.0 / x",
    "x ** 2",
    "x ** 3",
    "abs(x)",
    "x < 0.5",
    "x == 1",
    "-1.0 <= x <= 1.0",
    "x if x > 0 else 0.0",
    "math.sqrt(x)",
    "math.sqrt(x) if x >= 0 else -1.0",
    "math.sin(x) * math.cos(x)",
    "math.tan(x)",
    "math.asin(x)",
    "math.acos(x)",
    "math.atan(x)",
    "math.exp(x)",
    "math.log(x)",
    "math.log10(x)",
    "math.log2(x)",
    "math.log1p(x)",
    "math.fabs(x)",
    "math.floor(x)",
    "math.ceil(x)",
    "math.trunc(x)",
]


@pytest.mark.parametrize("expr", INT_EXPRS)
def test_int_expressions_are_detected(expr):
    e = gilmap.explain(fn(expr), dtype="int64")
    assert e["backend"] == "arrow_kernel", e["rejected"]
    assert "GILMAP_JIT=0" in e["rejected"]["jit"]
    assert set(e["rejected"]) == {"numba_native", "jit"}


@pytest.mark.parametrize("expr", FLOAT_EXPRS)
def test_float_expressions_are_detected(expr):
    assert gilmap.explain(fn(expr), dtype="float64")["backend"] == "arrow_kernel"


@pytest.mark.parametrize(
    "expr, lane, why",
    [
        ("x // 2", "int64", "truncates"),
        ("x % 3", "int64", "truncates"),
        ("x << 2", "int64", "overflows silently"),
        ("x ** -1", "int64", "constant exponent"),
        ("x ** 0.5", "float64", "constant exponent"),
        ("x ** x", "float64", "constant exponent"),
        ("x if x > 0 else 0.5", "int64", "mix"),
        ("x & 1", "float64", "TypeError"),
        ("~x", "float64", "TypeError"),
        ("5", "int64", "does not use the parameter"),
        ("math.hypot(x, 1)", "float64", "hypot"),
        ("math.log(x, 2)", "float64", "one-argument"),
        ("min(x, 3)", "int64", "global 'min'"),
        ("K * x", "int64", "global 'K'"),
        ("x is None", "int64", "constant None"),
        ("x in (1, 2)", "int64", "constant (1, 2)"),
    ],
)
def test_refusals_name_the_construct(expr, lane, why):
    e = gilmap.explain(fn(expr), dtype=lane)
    assert e["backend"] != "arrow_kernel"
    assert why in e["rejected"]["arrow_kernel"]


def test_statements_and_loops_are_refused():
    ns: dict = {}
    exec(
        "def assigns(x):\n    y = x + 1\n    return y\n"
        "def loops(x):\n    while x > 5:\n        pass\n    return x\n"
        "def closure(k):\n    return lambda x: x * k\n",
        ns,
    )
    assert (
        "assigns a variable" in gilmap.explain(ns["assigns"], dtype=int)["rejected"]["arrow_kernel"]
    )
    assert "loop" in gilmap.explain(ns["loops"], dtype=int)["rejected"]["arrow_kernel"]
    assert "LOAD_DEREF" in gilmap.explain(ns["closure"](3), dtype=int)["rejected"]["arrow_kernel"]


def test_bool_lane_is_not_evaluated_with_pyarrow():
    e = gilmap.explain(fn("x + 1"), dtype=bool)
    assert e["backend"] != "arrow_kernel"
    assert "bool lane" in e["rejected"]["arrow_kernel"]


# ------------------------------------------------------------------------- exactness

INT_FUNCS = {e: fn(e) for e in INT_EXPRS}
FLOAT_FUNCS = {e: fn(e) for e in FLOAT_EXPRS}


@pytest.mark.parametrize("expr", INT_EXPRS)
@settings(max_examples=40, deadline=None)
@given(xs=st.lists(INTS, min_size=1, max_size=12))
@example(xs=[INT64_MIN, INT64_MAX, 0, -1, 1])
@example(xs=[2**53 + 1, -(2**53) - 1])
def test_int_results_equal_cpython(expr, xs):
    f = INT_FUNCS[expr]
    assert same_outcome(outcome(f, xs), outcome(f, xs, amap))


@pytest.mark.parametrize("expr", FLOAT_EXPRS)
@settings(max_examples=40, deadline=None)
@given(xs=st.lists(FLOATS, min_size=1, max_size=12))
@example(xs=SPECIAL_FLOATS)
def test_float_results_equal_cpython(expr, xs):
    f = FLOAT_FUNCS[expr]
    assert same_outcome(outcome(f, xs), outcome(f, xs, amap))


def test_results_on_ordinary_values_come_from_pyarrow():
    xs = [i / 7 - 3.0 for i in range(1000)]
    for expr in ("x * 1.5 + 0.5", "math.sqrt(x) if x >= 0 else -1.0", "-1.0 <= x <= 1.0"):
        f = fn(expr)
        with no_python_calls_of(f.__code__):
            got = amap(f, xs)
        assert exact(got) == exact(list(map(f, xs)))


def test_an_unselected_branch_never_fails():
    f = fn("math.log(x) if x > 0 else -1.0")
    xs = [-1.0, 0.0, 2.0, -5.0]
    with no_python_calls_of(f.__code__):
        got = amap(f, xs)
    assert got == list(map(f, xs))


# ------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "expr, xs, exc",
    [
        ("1.0 / x", [2.0, 0.0], ZeroDivisionError),
        ("math.sqrt(x)", [4.0, -1.0], ValueError),
        ("math.log(x)", [0.0], ValueError),
        ("math.exp(x)", [1.0, 1000.0], OverflowError),
        ("x ** 2", [1e200], OverflowError),
        ("math.floor(x)", [NAN], ValueError),
        ("math.floor(x)", [INF], OverflowError),
        ("x >> -1", [3], ValueError),
    ],
)
def test_errors_are_cpythons(expr, xs, exc):
    with pytest.raises(exc):
        amap(fn(expr), xs)


def test_the_first_failing_element_decides():
    # Element 1 divides by zero, element 0 takes a negative sqrt: CPython raises ValueError.
    f = fn("math.sqrt(x) + 1.0 / (x + 1.0)")
    with pytest.raises(ValueError):
        amap(f, [-4.0, -1.0])


def test_int_overflow_gives_the_exact_big_int_in_a_list():
    f = fn("x * 3 + 1")
    xs = [1, 2**62, -(2**62)]
    assert amap(f, xs) == [4, 3 * 2**62 + 1, -3 * 2**62 + 1]


def test_int_overflow_in_an_int64_array_raises_with_the_index():
    with pytest.raises(OverflowError, match="2"):
        amap(fn("x * 3"), np.array([1, 2, 2**62], dtype=np.int64))


def test_int_division_beyond_2_53_is_exact():
    f = fn("x / 3")
    xs = [2**60 + 1, 7]
    assert exact(amap(f, xs)) == exact(list(map(f, xs)))


# ------------------------------------------------------------------------- containers


def test_arrow_nulls_propagate_natively():
    f = fn("x * 2 + 1")
    arr = pa.array([1, None, 3, None])
    with no_python_calls_of(f.__code__):
        out = amap(f, arr)
    assert out.type == pa.int64()
    assert out.to_pylist() == [3, None, 7, None]


def test_list_with_none():
    f = fn("x / 2")
    assert amap(f, [1, None, 4]) == [0.5, None, 2.0]


def test_numpy_in_numpy_out():
    f = fn("x * 1.5 + 0.5")
    x = np.linspace(-2, 2, 101)
    out = amap(f, x)
    assert out.dtype == np.float64
    assert np.array_equal(out, np.array([f(v) for v in x]))
    assert amap(fn("x > 0"), x).dtype == np.bool_


def test_chunked_array_keeps_chunking():
    f = fn("x + 1")
    arr = pa.chunked_array([[1, 2], [], [None, 4]])
    out = amap(f, arr)
    assert isinstance(out, pa.ChunkedArray)
    assert [len(c) for c in out.chunks] == [2, 0, 2]
    assert out.to_pylist() == [2, 3, None, 5]


def test_empty_input():
    assert amap(fn("x + 1"), []) == []


# ------------------------------------------------------------------------- selection


def test_selected_when_the_jit_is_disabled():
    assert gilmap.explain(fn("x + 1"), dtype=int)["backend"] == "arrow_kernel"


def test_selected_when_llvm_cannot_initialise(monkeypatch):
    monkeypatch.setenv("GILMAP_JIT", "1")
    monkeypatch.setattr(_gilmap, "jit_unavailable", lambda: "no native target (simulated)")
    f = fn("x * 2")
    e = gilmap.explain(f, dtype=int)
    assert e["backend"] == "arrow_kernel"
    assert "LLVM could not initialise" in e["rejected"]["jit"]
    assert amap(f, [1, 2]) == [2, 4]


def test_selected_when_the_jit_refuses(monkeypatch):
    monkeypatch.setenv("GILMAP_JIT", "1")

    def refuse(text, lane):
        raise _gilmap.JitRefused("refused for this test")

    monkeypatch.setattr(_gilmap, "jit_compile", refuse)
    f = fn("x - 1")
    e = gilmap.explain(f, dtype=int)
    assert e["backend"] == "arrow_kernel"
    assert "refused for this test" in e["rejected"]["jit"]
    assert amap(f, [1, 2]) == [0, 1]


def test_the_jit_still_wins_when_it_can(monkeypatch):
    monkeypatch.setenv("GILMAP_JIT", "1")
    e = gilmap.explain(fn("x + 1"), dtype=int)
    assert e["backend"] == "jit"


def test_a_rebound_math_global_is_noticed():
    ns: dict = {"sqrt": math.sqrt}
    exec("f = lambda x: sqrt(x)", ns)
    f = ns["f"]
    assert amap(f, [4.0]) == [2.0]
    ns["sqrt"] = math.exp
    assert gilmap.map(f, [0.0]) == [1.0]
