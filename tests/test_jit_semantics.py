"""Property tests: the JIT gives exactly ``list(map(f, xs))`` on random lists of int64 and
float values (int64 edges, nan, inf, -0.0 included) for a representative subset of the
operations it compiles: values and element types bit for bit, or the type of the exception
the first failing element raises.

Each function is ``lambda x: EXPR`` over closure variables ``k`` (and ``m``): captured
numbers are kernel arguments, so one kernel per expression and lane serves every example.
"""

from __future__ import annotations

import math
import os

import jit_funcs as jf
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
NAN, INF = float("nan"), float("inf")

INTS = st.one_of(
    st.sampled_from([INT64_MIN, INT64_MAX, 0, -1, 1]), st.integers(INT64_MIN, INT64_MAX)
)
SPECIAL_FLOATS = [0.0, -0.0, NAN, -NAN, INF, -INF, 0.5, -0.5, 1.0, -1.0, 2.0, 5e-324, 1e308]
FLOATS = st.one_of(st.sampled_from(SPECIAL_FLOATS), st.floats(allow_nan=True, allow_infinity=True))
INT_LISTS = st.lists(INTS, max_size=12)
FLOAT_LISTS = st.lists(FLOATS, min_size=1, max_size=12)  # an empty list is the int64 lane
# More for a deep run: GILMAP_JIT_EXAMPLES=2000 pytest tests/test_jit_semantics.py
MANY = settings(max_examples=int(os.environ.get("GILMAP_JIT_EXAMPLES", "100")))


def maker(expr: str, params: str = "k"):
    """``make(k)`` returning ``lambda x: expr`` closing over ``k`` (built by exec)."""
    ns: dict = {"math": math}
    exec(f"def make({params}):\n    return lambda x: {expr}\n", ns)
    return ns["make"]


def check(func, xs) -> None:
    want = jf.outcome(func, xs)
    got = jf.outcome(func, xs, jf.jmap)
    assert jf.same_outcome(want, got), f"CPython {want} vs gilmap {got}"


# ----------------------------------------------------------------------------- int lane

INT_UNARY = [
    "abs(x)",
    "-x",
    "~x",
    "+x",
    "not x",
    "bool(x)",
    "int(x)",
    "float(x)",
    "round(x)",
    "round(x, 2)",
    "x * x",
    "x ** 2",
    "x ** 0",
    "x ** 3",
    "x ** 64",
    "x ** -2",
    "pow(x, 5)",
    "pow(x, -1)",
    "x // 3 * 3 + x % 3",
    "x / 3",
    "2 < x < 100",
    "-5 <= x % 7 < 3 != x",
    "x if x > 0 else -x",
    "x >> 3 if x & 1 else x << 1",
    "x * 1.5 + 0.5",
    "math.sqrt(x)",
    "math.floor(x / 7)",
    "math.isnan(x)",
]
INT_BINARY = [
    "x + k",
    "x - k",
    "x * k",
    "x / k",
    "x // k",
    "x % k",
    "x % k == 0",
    "0 != x % k",
    "1 if x % k else 2",
    "x & k",
    "x | k",
    "x ^ k",
    "x >> k",
    "x < k",
    "x <= k",
    "x == k",
    "x != k",
    "x > k",
    "x >= k",
    "-k < x <= k",
    "k < x < k + 100",
    "min(x, k)",
    "max(x, k, 0)",
    "x - k if x > k else k - x",
    "(x or k) and x // 2",
    "math.atan2(x, k)",
]
INT_MAKERS = {e: maker(e) for e in INT_UNARY + INT_BINARY}
SHIFT = maker("x << k")
POW_MOD = maker("pow(x, k, m)", "k, m")
INT_FLOAT_CAPTURE = ["x * k", "x / k", "x // k", "x % k", "x + k", "x ** k", "x < k"]
INT_FLOAT_MAKERS = {e: maker(e) for e in INT_FLOAT_CAPTURE}


@pytest.mark.parametrize("expr", INT_UNARY)
@MANY
@given(xs=INT_LISTS)
@example(xs=[INT64_MIN, INT64_MAX, 0, -1, 1])
def test_int_unary(expr, xs):
    check(INT_MAKERS[expr](0), xs)


@pytest.mark.parametrize("expr", INT_BINARY)
@MANY
@given(xs=INT_LISTS, k=INTS)
@example(xs=[INT64_MIN, INT64_MAX, 0, -1, 1], k=-1)
@example(xs=[5, INT64_MIN], k=0)
@example(xs=[INT64_MAX, 1], k=INT64_MIN)
def test_int_binary(expr, xs, k):
    check(INT_MAKERS[expr](k), xs)


@MANY
@given(xs=INT_LISTS, k=st.integers(-3, 130))
@example(xs=[0, 2, -2, INT64_MIN], k=-1)
@example(xs=[3, INT64_MAX, -1], k=63)
@example(xs=[1, -1], k=62)
def test_int_left_shift(xs, k):
    check(SHIFT(k), xs)


@MANY
@given(xs=INT_LISTS, k=st.integers(-2, 200), m=INTS)
@example(xs=[3, 4, 0, INT64_MIN], k=-1, m=7)
@example(xs=[3, 4], k=5, m=0)
def test_int_pow_with_modulus(xs, k, m):
    check(POW_MOD(k, m), xs)


@pytest.mark.parametrize("expr", INT_FLOAT_CAPTURE)
@MANY
@given(xs=INT_LISTS, k=FLOATS)
@example(xs=[1, 0, -1, INT64_MIN], k=0.0)
@example(xs=[2, -2, INT64_MAX], k=-0.5)
def test_int_lane_float_capture(expr, xs, k):
    check(INT_FLOAT_MAKERS[expr](k), xs)


# ----------------------------------------------------------------------------- float lane

FLOAT_UNARY = [
    "abs(x)",
    "-x",
    "not x",
    "int(x)",
    "float(x)",
    "round(x)",
    "round(x, 2)",
    "round(x, 0)",
    "x * x",
    "x ** 2",
    "x ** 0.5",
    "x ** -1",
    "x // 0.25",
    "x % 2.5",
    "x / 3",
    "math.sqrt(x)",
    "math.log(x)",
    "math.exp(x)",
    "math.sin(x)",
    "math.floor(x)",
    "math.ceil(x)",
    "math.trunc(x)",
    "math.isnan(x)",
    "math.sqrt(x) if x >= 0 else -x",
    "x if x == x else 0.0",
    "0.0 < x <= 1.0",
    "x * 1.5 + 0.5",
]
FLOAT_BINARY = [
    "x + k",
    "x - k",
    "x * k",
    "x / k",
    "x // k",
    "x % k",
    "x ** k",
    "pow(x, k)",
    "x < k",
    "x == k",
    "x >= k",
    "k < x <= 2.0 * k",
    "min(x, k)",
    "max(k, x)",
    "math.hypot(x, k)",
    "math.atan2(x, k)",
    "math.fmod(x, k)",
    "math.copysign(x, k)",
    "x * k if x > k else x / k",
]
FLOAT_MAKERS = {e: maker(e) for e in FLOAT_UNARY + FLOAT_BINARY}
FLOAT_INT_CAPTURE = ["x ** k", "x * k", "x / k", "x // k", "x % k", "x < k"]
FLOAT_INT_MAKERS = {e: maker(e) for e in FLOAT_INT_CAPTURE}


@pytest.mark.parametrize("expr", FLOAT_UNARY)
@MANY
@given(xs=FLOAT_LISTS)
@example(xs=SPECIAL_FLOATS)
def test_float_unary(expr, xs):
    check(FLOAT_MAKERS[expr](0.0), xs)


@pytest.mark.parametrize("expr", FLOAT_BINARY)
@MANY
@given(xs=FLOAT_LISTS, k=FLOATS)
@example(xs=SPECIAL_FLOATS, k=0.0)
@example(xs=SPECIAL_FLOATS, k=-0.0)
@example(xs=SPECIAL_FLOATS, k=NAN)
@example(xs=SPECIAL_FLOATS, k=-INF)
@example(xs=[-8.0, 2.5, -0.5], k=0.5)
def test_float_binary(expr, xs, k):
    check(FLOAT_MAKERS[expr](k), xs)


@pytest.mark.parametrize("expr", FLOAT_INT_CAPTURE)
@MANY
@given(xs=FLOAT_LISTS, k=st.integers(-400, 400))
@example(xs=SPECIAL_FLOATS, k=0)
@example(xs=[2.5, -2.5, 0.125, 1e308], k=-1)
def test_float_lane_int_capture(expr, xs, k):
    check(FLOAT_INT_MAKERS[expr](k), xs)


# ----------------------------------------------------------------------------- loops


@MANY
@given(xs=st.lists(st.integers(1, 10**6), max_size=12))
@example(xs=[1, 27, 97, 871])
def test_collatz_steps(xs):
    check(jf.collatz, xs)


@MANY
@given(xs=st.lists(st.integers(-3000, 3000), max_size=12))
def test_sum_of_range_with_negative_step(xs):
    check(jf.sum_down, xs)


@MANY
@given(xs=INT_LISTS)
def test_range_with_computed_bounds_and_steps(xs):
    check(jf.sum_step, xs)


RANGE_SUM = {}
exec(
    "def make(k):\n"
    "    def f(x):\n"
    "        s = 0\n"
    "        for i in range(x, -x, k):\n"
    "            if i % 11 == 0:\n"
    "                continue\n"
    "            s += i\n"
    "            if s > 10**6:\n"
    "                break\n"
    "        return s\n"
    "    return f\n",
    RANGE_SUM,
)


@MANY
@given(xs=st.lists(st.integers(-2000, 2000), max_size=8), k=st.integers(-7, 7))
@example(xs=[5, -5], k=0)
def test_range_with_captured_step(xs, k):
    check(RANGE_SUM["make"](k), xs)


# ----------------------------------------------------------------------------- exceptions


@pytest.mark.parametrize("lane", ["int", "float"])
@MANY
@given(data=st.data())
def test_first_failing_element_decides_the_exception(lane, data):
    """A list with a division by zero, a math domain error and an int64 overflow at random
    positions: the exception is the one of the earliest, as in CPython."""
    # x == 1: ZeroDivisionError; x < -5: ValueError; x > 7: OverflowError (int(inf)).
    f = maker("1 // (x - 1) + math.sqrt(x + 5) + int(1e308 * (x - 7) * 10 if x > 7 else 0)")(0)
    elems = st.integers(-10, 10) if lane == "int" else st.floats(-10, 10)
    xs = data.draw(st.lists(elems, min_size=1, max_size=20))
    if lane == "float":
        xs = [float(x) for x in xs]
    check(f, xs)
    want = jf.outcome(f, xs)
    if want[0] == "raise":
        assert want[1] in (ZeroDivisionError, ValueError, OverflowError)


# ----------------------------------------------------------------------------- bool lane

BOOL_EXPRS = [
    "x",
    "-x",
    "+x",
    "not x",
    "x + x",
    "x * 3",
    "x / 2",
    "x // 2",
    "x % 2",
    "x ** 2",
    "x << 3",
    "x >> 1",
    "x & True",
    "x | False",
    "x ^ True",
    "abs(x)",
    "int(x)",
    "float(x)",
    "round(x)",
    "bool(x)",
    "max(x, False)",
    "x == 1",
    "1 / x",
    "x if x else -1",
    "math.sqrt(x)",
    "pow(x, 3)",
    "x * 1.5",
    "True + x",
    "x - True",
    "min(x, True)",
]


@pytest.mark.parametrize("expr", BOOL_EXPRS)
def test_bool_lane_exhaustive(expr):
    """A list of bools passes bools to the function (the bool lane): both values, in
    every order that matters for the first failing element."""
    f = maker(expr)(0)
    for xs in ([True, False], [False, True], [True], [False]):
        check(f, xs)
