"""The JIT on every input container: same values and element types as ``list(map(f, xs))``,
the output dtype rules for numpy/Arrow, nulls, the serial (< 8192 elements) and the parallel
Rayon path, int64 overflow, and results the kernel cannot produce itself (None, complex).
Every call goes through ``jmap``, which asserts that the JIT ran it."""

from __future__ import annotations

import math
import time

import numpy as np
import pyarrow as pa
import pytest
from conftest import assert_same_list, cast_like, expected_dtype_name, reference, typed
from jit_funcs import jmap

import gilmap

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
NAN, INF = float("nan"), float("inf")

INTS = [0, 1, -1, 7, -7, 22, -23, 123_456_789, 2**40, -(2**40)]
FLOATS = [0.0, -0.0, 1.5, -2.25, 7.0, NAN, INF, -INF, 1e308, 5e-324]
SMALL, LARGE = 1000, 100_000  # below / above the serial threshold (8192)

FUNCS = {
    "affine": lambda x: x * 3 + 1,
    "halve": lambda x: x / 2,
    "is_pos": lambda x: x > 0,
    "ident": lambda x: x,
    "floordiv": lambda x: x // 7,
    "cond": lambda x: x * 2 if x > 0 else -x,
}


def int_data(n: int) -> list[int]:
    return [(i * 7919) % 20001 - 10000 for i in range(n)]


def float_data(n: int) -> list[float]:
    return [((i * 7919) % 20001 - 10000) / 8.0 for i in range(n)]


def check_array(out, func, values) -> None:
    """``out`` (numpy or Arrow) holds ``func`` over ``values`` with the dtype rule applied."""
    want = reference(func, values)
    dtype = expected_dtype_name(want)
    got = out.tolist() if isinstance(out, np.ndarray) else out.to_pylist()
    got_dtype = str(out.dtype) if isinstance(out, np.ndarray) else str(out.type)
    if dtype:
        assert got_dtype.replace("double", "float64") == dtype
        assert typed(got) == typed(cast_like(want, dtype))
    else:
        assert got == want


# ----------------------------------------------------------------------- Python iterables


@pytest.mark.parametrize("name", sorted(FUNCS))
@pytest.mark.parametrize("data", [INTS, FLOATS], ids=["ints", "floats"])
def test_list(name, data):
    assert_same_list(jmap(FUNCS[name], data), list(map(FUNCS[name], data)))


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_tuple_range_generator(name):
    f = FUNCS[name]
    assert_same_list(jmap(f, tuple(INTS)), list(map(f, INTS)))
    assert_same_list(jmap(f, tuple(FLOATS)), list(map(f, FLOATS)))
    r = range(-50, 1000, 7)
    assert_same_list(jmap(f, r), list(map(f, r)))
    r = range(100, -100, -3)
    assert_same_list(jmap(f, r), list(map(f, r)))
    assert_same_list(jmap(f, (x for x in INTS)), list(map(f, INTS)))


def test_mixed_int_float_list_runs_the_float_lane():
    data = [1, 2.5, -3, 0]
    f = FUNCS["affine"]
    assert_same_list(jmap(f, data), [f(float(x)) for x in data])


@pytest.mark.parametrize("n", [SMALL, LARGE], ids=["serial", "parallel"])
@pytest.mark.parametrize("name", sorted(FUNCS))
def test_list_sizes(name, n):
    f = FUNCS[name]
    for data in (int_data(n), float_data(n)):
        assert_same_list(jmap(f, data), list(map(f, data)))


class IntSub(int):
    pass


class FloatSub(float):
    pass


PAR_READ = 70_000  # above the length from which a list is read on several threads


def long_list(fill, tail) -> list:
    """``PAR_READ`` elements: ``fill(i)`` then ``tail`` at the end (the last chunk)."""
    return [fill(i) for i in range(PAR_READ - len(tail))] + list(tail)


@pytest.mark.parametrize(
    "data, lane",
    [
        (long_list(lambda i: i * 0.5 - 7.0, [NAN, -0.0, INF]), "float64"),
        (long_list(lambda i: i * 7919 - 10**8, [INT64_MIN, INT64_MAX, 2**31]), "int64"),
        (long_list(lambda i: i % 3 == 0, [True]), "bool"),
        (long_list(lambda i: i % 3 == 0, [5]), "int64"),
        (long_list(lambda i: i - 5, [2.5]), "float64"),  # a mix: the serial cast
        (long_list(lambda i: i * 0.25, [None, 1.0]), "float64"),
        (long_list(lambda i: i, [IntSub(3)]), "int64"),
        (long_list(lambda i: i * 1.5, [FloatSub(2.5)]), "float64"),
        (long_list(lambda i: i * 1.5, [True]), "float64"),
    ],
    ids=[
        "floats",
        "ints",
        "bools",
        "bools-ints",
        "ints-float",
        "none",
        "int-sub",
        "float-sub",
        "float-bool",
    ],
)
def test_long_lists_read_in_parallel_keep_every_element(data, lane):
    from gilmap import _data

    assert _data.ingest(data).lane == lane
    f = FUNCS["ident"]
    want = [None if x is None else (float(x) if lane == "float64" else x) for x in data]
    if lane == "int64":
        want = [None if x is None else int(x) for x in data]
    assert_same_list(jmap(f, data), [None if x is None else f(x) for x in want])


@pytest.mark.parametrize("bad, exc", [(2**64, TypeError), ("7", TypeError)])
def test_long_list_bad_last_element_names_its_index(bad, exc):
    data = long_list(lambda i: i, [bad])
    with pytest.raises(exc, match=str(PAR_READ - 1)):
        gilmap.map(FUNCS["affine"], data)


def test_empty_and_one_element():
    f = FUNCS["affine"]
    assert jmap(f, []) == []
    assert jmap(f, ()) == []
    assert_same_list(jmap(f, [5]), [16])
    assert_same_list(jmap(f, [2.5]), [8.5])
    out = jmap(f, np.array([], dtype=np.int64))
    assert out.dtype == np.int64 and len(out) == 0
    out = jmap(FUNCS["halve"], np.array([], dtype=np.float64))
    assert out.dtype == np.float64 and len(out) == 0
    assert len(jmap(f, pa.array([], pa.int64()))) == 0
    assert jmap(f, np.array([4])).tolist() == [13]
    assert jmap(f, pa.array([4.0])).to_pylist() == [13.0]


# ----------------------------------------------------------------------------- bool lane


def test_bool_list_lane():
    bools = [True, False, False, True]
    assert gilmap.explain(FUNCS["ident"], dtype=bool)["backend"] == "jit"
    assert_same_list(jmap(lambda x: x, bools), bools)
    assert_same_list(jmap(lambda x: x + 1, bools), [2, 1, 1, 2])
    assert_same_list(jmap(lambda x: not x, bools), [False, True, True, False])
    assert_same_list(jmap(lambda x: x / 2, bools), [0.5, 0.0, 0.0, 0.5])
    big = [i % 3 == 0 for i in range(LARGE)]
    assert_same_list(jmap(lambda x: x, big), big)


def test_bool_numpy_and_arrow():
    arr = np.array([True, False, True])
    out = jmap(lambda x: x, arr)
    assert out.dtype == np.bool_ and out.tolist() == [True, False, True]
    out = jmap(lambda x: x + 1, arr)
    assert out.dtype == np.int64 and out.tolist() == [2, 1, 2]
    out = jmap(lambda x: x, pa.array([True, None, False]))
    assert out.type == pa.bool_() and out.to_pylist() == [True, None, False]


# ----------------------------------------------------------------------------- numpy

DTYPES = ["int64", "float64", "int8", "float32", "bool"]


def numpy_data(dtype: str, n: int) -> np.ndarray:
    if dtype == "bool":
        return np.arange(n) % 3 == 0
    if dtype == "int8":
        return (np.arange(n) % 256 - 128).astype(np.int8)
    if dtype == "float32":
        return (np.arange(n, dtype=np.float32) - n / 2) / 4
    if dtype == "float64":
        return np.array(float_data(n), dtype=np.float64)
    return np.array(int_data(n), dtype=np.int64)


@pytest.mark.parametrize("view", ["contiguous", "strided", "reversed"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["affine", "halve", "is_pos", "ident"])
def test_numpy(name, dtype, view):
    f = FUNCS[name]
    for n in (SMALL, LARGE):
        arr = numpy_data(dtype, n)
        arr = {"contiguous": arr, "strided": arr[::3], "reversed": arr[::-1]}[view]
        out = jmap(f, arr)
        assert isinstance(out, np.ndarray) and len(out) == len(arr)
        check_array(out, f, arr.tolist())


def test_numpy_output_dtype_rules():
    ints = np.array([-2, 0, 3])
    assert jmap(lambda x: x > 0, ints).dtype == np.bool_
    assert jmap(lambda x: x * 2, ints).dtype == np.int64
    assert jmap(lambda x: x / 2, ints).dtype == np.float64
    assert jmap(lambda x: x * 0.5 if x > 0 else x, ints).tolist() == [-2.0, 0.0, 1.5]
    assert jmap(lambda x: x * 0.5 if x > 0 else x, ints).dtype == np.float64
    floats = np.array([-1.5, 2.5])
    assert jmap(lambda x: math.floor(x), floats).dtype == np.int64
    assert jmap(lambda x: x < 0, floats).dtype == np.bool_


def test_numpy_special_floats_bit_exact():
    arr = np.array(FLOATS)
    for f in (FUNCS["affine"], FUNCS["halve"], lambda x: -x, lambda x: x * 0.1):
        out = jmap(f, arr)
        assert typed(out.tolist()) == typed(list(map(f, FLOATS)))


# ----------------------------------------------------------------------------- Arrow


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_arrow_with_nulls(name):
    f = FUNCS[name]
    for values in (
        [1, None, -3, None, 2**40],
        [1.5, None, NAN, -0.0, None],
        [None, None],
    ):
        arr = pa.array(values, pa.float64() if isinstance(values[0], float) else pa.int64())
        out = jmap(f, arr)
        assert isinstance(out, pa.Array) and out.null_count == values.count(None)
        check_array(out, f, values)


@pytest.mark.parametrize("n", [30, LARGE], ids=["serial", "parallel"])
def test_sliced_arrow_array_with_offset_and_nulls(n):
    values = [None if i % 7 == 3 else i - n // 2 for i in range(n)]
    for lo, hi in [(1, n), (5, n - 3), (n // 3, n // 3 + 9)]:
        part = pa.array(values, pa.int64())[lo:hi]
        for name in ("affine", "halve", "is_pos"):
            out = jmap(FUNCS[name], part)
            assert out.null_count == values[lo:hi].count(None)
            check_array(out, FUNCS[name], values[lo:hi])


def test_arrow_null_slots_never_reach_the_function():
    # 1 // x raises for 0; the null slot's buffer value is 0 (pyarrow zero-fills it).
    arr = pa.array([1, None, 4], pa.int64())
    assert jmap(lambda x: 12 // x, arr).to_pylist() == [12, None, 3]
    big = pa.array([None if i % 5 == 0 else i for i in range(LARGE)], pa.int64())
    out = jmap(lambda x: 10**6 // x, big)
    assert out.null_count == LARGE // 5
    assert out.to_pylist() == [None if i % 5 == 0 else 10**6 // i for i in range(LARGE)]


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_chunked_array_keeps_chunking(name):
    f = FUNCS[name]
    chunks = [[1, 2, None], [], [-5], int_data(LARGE)]
    arr = pa.chunked_array(chunks, pa.int64())
    out = jmap(f, arr)
    assert isinstance(out, pa.ChunkedArray)
    assert [len(c) for c in out.chunks] == [len(c) for c in chunks]
    check_array(out, f, arr.to_pylist())


def test_arrow_output_dtype_rules():
    ints = pa.array([-2, 0, 3, None])
    assert jmap(lambda x: x > 0, ints).type == pa.bool_()
    assert jmap(lambda x: x * 2, ints).type == pa.int64()
    assert jmap(lambda x: x / 2, ints).type == pa.float64()
    assert jmap(lambda x: x > 0, ints).to_pylist() == [False, False, True, None]


# ----------------------------------------------------------------------------- int64 overflow


@pytest.mark.parametrize("n", [10, LARGE], ids=["serial", "parallel"])
def test_overflow_list_gives_exact_big_int(n):
    data = list(range(n))
    data[-1] = 2**40
    data[n // 2] = INT64_MIN
    f = lambda x: x * x  # noqa: E731
    assert_same_list(jmap(f, data), list(map(f, data)))
    g = lambda x: x + INT64_MAX  # noqa: E731
    assert_same_list(jmap(g, data), list(map(g, data)))
    h = lambda x: -x  # noqa: E731
    assert jmap(h, data)[n // 2] == 2**63


@pytest.mark.parametrize("n", [8191, 8192, 8193, 3 * 16384 + 1])
def test_deopts_at_chunk_boundaries(n):
    # Serial below 8192 elements, chunks of 16384 above: flagged elements at the edges.
    marks = [i for i in (0, 8191, 8192, 16383, 16384, 32768, n - 1) if i < n]
    data = [3] * n
    for i in marks:
        data[i] = 2**40 + i
    f = lambda x: x * x  # noqa: E731
    out = jmap(f, data)
    assert_same_list(out, list(map(f, data)))
    for i in marks:
        assert out[i] == (2**40 + i) ** 2
    with pytest.raises(OverflowError, match=r"element 0\b"):
        jmap(f, np.array(data))
    last = np.full(n, 3)
    last[n - 1] = 2**40
    with pytest.raises(OverflowError, match=rf"element {n - 1}\b"):
        jmap(f, last)


def test_many_big_int_results_take_linear_time():
    # Every result leaves int64: each is re-evaluated by CPython. That costs about what
    # list(map) costs; assembling the list must not be quadratic in the number of them.
    data = list(range(1, LARGE + 1))
    f = lambda x: x << 70  # noqa: E731
    t0 = time.perf_counter()
    want = list(map(f, data))
    t1 = time.perf_counter()
    out = jmap(f, data)
    t2 = time.perf_counter()
    assert out == want
    assert t2 - t1 < 2.0 + 20 * (t1 - t0), f"{t2 - t1:.2f}s vs list(map) {t1 - t0:.3f}s"


@pytest.mark.parametrize("n", [10, LARGE], ids=["serial", "parallel"])
@pytest.mark.parametrize("container", ["numpy", "arrow", "chunked"])
def test_overflow_int64_array_output_raises_with_index(container, n):
    data = list(range(n))
    data[n - 3] = 2**40
    data[n - 1] = 2**41
    if container == "numpy":
        arr = np.array(data, dtype=np.int64)
    elif container == "arrow":
        arr = pa.array(data, pa.int64())
    else:
        arr = pa.chunked_array([data[:3], data[3:]], pa.int64())
    with pytest.raises(OverflowError, match=rf"element {n - 3}\b"):
        jmap(lambda x: x * x, arr)
    # The next call works normally.
    out = jmap(lambda x: x + 1, arr)
    assert (out.tolist() if container == "numpy" else out.to_pylist()) == [x + 1 for x in data]


# ----------------------------------------------------------------------------- non-numbers


def none_result(x):
    y = x  # noqa: F841 - falls off the end: returns None


def test_function_returning_none():
    assert gilmap.explain(none_result, dtype=int)["backend"] == "jit"
    assert_same_list(jmap(none_result, [1, 2, 3]), [None, None, None])
    assert_same_list(jmap(none_result, [1.5]), [None])
    with pytest.raises(TypeError, match="NoneType"):
        jmap(none_result, np.array([1, 2, 3]))
    with pytest.raises(TypeError, match="NoneType"):
        jmap(none_result, pa.array([1.0, 2.0]))


def test_sometimes_none():
    f = lambda x: x if x > 0 else None  # noqa: E731
    data = [3, -1, 0, 5]
    assert_same_list(jmap(f, data), list(map(f, data)))
    with pytest.raises(TypeError, match=r"element 1\b"):
        jmap(f, np.array(data))


def test_non_number_in_chunked_array_names_the_global_index():
    f = lambda x: x if x > 0 else None  # noqa: E731
    with pytest.raises(TypeError, match=r"element 5\b"):
        jmap(f, pa.chunked_array([[1, 2], [3, 4], [5, -6]], pa.int64()))


@pytest.mark.parametrize("n", [5, LARGE], ids=["serial", "parallel"])
def test_float_power_gives_cpython_complex(n):
    f = lambda x: x**0.5  # noqa: E731
    data = [float(i % 7 - 3) for i in range(n)]
    out = jmap(f, data)
    want = list(map(f, data))
    assert [type(v) for v in out] == [type(v) for v in want]
    assert out == want
    assert any(type(v) is complex for v in out)
    with pytest.raises(TypeError, match="complex"):
        jmap(f, np.array(data))


def test_output_arrays_own_their_memory_while_alive_and_reuse_it_after():
    # Output memory returns to a pool when the array is freed: a live array must never be
    # overwritten by a later call, and reused memory must hold the new results.
    x = np.linspace(-1.0, 1.0, 300_000)
    a = jmap(FUNCS["halve"], x)
    b = jmap(FUNCS["affine"], x)
    assert np.array_equal(a, x / 2) and np.array_equal(b, x * 3 + 1)
    view = a[::2]
    del a
    c = jmap(FUNCS["affine"], x)
    assert np.array_equal(view, (x / 2)[::2])
    del view, b
    for _ in range(3):
        d = jmap(FUNCS["halve"], x)
        assert np.array_equal(d, x / 2)
        d[0] = 42.0  # writable, like any numpy array
        del d
    assert np.array_equal(c, x * 3 + 1)
    arrow = jmap(FUNCS["affine"], pa.array(x))
    assert arrow.to_numpy().tolist() == (x * 3 + 1).tolist()
