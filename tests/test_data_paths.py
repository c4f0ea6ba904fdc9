"""Same answer as ``list(map(f, xs))`` (values and element types) on every input container."""

from __future__ import annotations

import math

import gm_funcs as g
import numpy as np
import pyarrow as pa
import pytest
from conftest import (
    assert_same_list,
    cast_like,
    expected_dtype_name,
    reference,
    typed,
)
from hypothesis import example, given
from hypothesis import strategies as st

import gilmap

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
NAN, INF = float("nan"), float("inf")

INTS = [0, 1, -1, 7, -7, 22, -23, 123_456_789, INT64_MAX, INT64_MIN]
FLOATS = [0.0, -0.0, 1.5, -2.25, 7.0, NAN, INF, -INF, 1e308, 5e-324]
BOOLS = [True, False, False, True]

FUNCS = [
    g.affine,
    g.ident,
    g.neg,
    g.halve,
    g.floordiv7,
    g.is_even,
    g.int_or_float,
    g.type_code,
    g.big,
]
FUNC_IDS = [f.__name__ for f in FUNCS]


def test_every_function_here_runs_on_the_subinterp_backend():
    # The data-path tests below are about the sub-interpreter pool, the only backend so far.
    for f in FUNCS:
        info = gilmap.explain(f)
        assert info["backend"] == "subinterp", (f, info)
        assert {lane["backend"] for lane in info["lanes"].values()} == {"subinterp"}


# ----------------------------------------------------------------------------- lists & co


@pytest.mark.parametrize("func", FUNCS, ids=FUNC_IDS)
@pytest.mark.parametrize("data", [INTS, FLOATS, BOOLS], ids=["ints", "floats", "bools"])
def test_list_matches_builtin_map(func, data):
    assert_same_list(gilmap.map(func, data), list(map(func, data)))


def test_list_output_really_has_python_types_per_element():
    out = gilmap.map(g.int_or_float, [1, 2, 3, 4])
    assert [type(v) for v in out] == [int, float, int, float]
    assert out == [1, 1.0, 3, 2.0]
    assert [type(v) for v in gilmap.map(g.is_even, [1, 2])] == [bool, bool]


def test_bool_list_passes_bools_to_func():
    assert gilmap.map(g.type_code, [True, False]) == [0, 0]
    assert gilmap.map(g.type_code, [1, 2]) == [1, 1]
    assert gilmap.map(g.type_code, [1.0, 2.0]) == [2, 2]


@pytest.mark.parametrize(
    "make",
    [tuple, lambda xs: iter(xs), lambda xs: (x for x in xs), lambda xs: list(xs)],
    ids=["tuple", "iterator", "generator", "list"],
)
def test_other_iterables_give_a_list(make):
    data = [3, -4, 5, 10**6, INT64_MIN]
    out = gilmap.map(g.floordiv7, make(data))
    assert_same_list(out, list(map(g.floordiv7, data)))


def test_range_gives_a_list():
    r = range(-50, 1000, 7)
    assert_same_list(gilmap.map(g.heavy, r), list(map(g.heavy, r)))


def test_set_and_dict_keys_are_iterables_too():
    assert gilmap.map(g.affine, {1: "a", 2: "b"}.keys()) == [4, 7]
    assert gilmap.map(g.affine, frozenset([5])) == [16]


def test_mixed_int_float_list_uses_the_float64_lane():
    # The contract: "a list mixing ints and floats uses float64": func receives floats.
    data = [1, 2.5, -3, 4]
    assert gilmap.map(g.type_code, data) == [2, 2, 2, 2]
    assert_same_list(gilmap.map(g.affine, data), [g.affine(float(x)) for x in data])


def test_bool_mixed_with_ints_uses_the_int64_lane():
    data = [True, 2, False, -5]
    assert_same_list(gilmap.map(g.affine, data), list(map(g.affine, data)))


@pytest.mark.parametrize(
    "empty", [[], (), range(0), iter(())], ids=["list", "tuple", "range", "it"]
)
def test_empty_iterable_gives_empty_list(empty):
    out = gilmap.map(g.reciprocal, empty)
    assert out == [] and type(out) is list


@pytest.mark.parametrize("x", [0, 5, -3.5, True, INT64_MAX])
def test_one_element(x):
    assert_same_list(gilmap.map(g.affine, [x]), [g.affine(x)])


def test_large_list_is_exact_and_in_order():
    data = list(range(-100_000, 100_000, 3))
    assert_same_list(gilmap.map(g.floordiv7, data), list(map(g.floordiv7, data)))


def test_big_int_results_in_a_list_are_exact():
    data = [1, 5, 6, -2, INT64_MAX]
    out = gilmap.map(g.big, data)
    assert_same_list(out, list(map(g.big, data)))
    assert out[4] == INT64_MAX * 10**30


def test_overflowing_int64_results_in_a_list_are_exact():
    data = [INT64_MAX, INT64_MIN, 2**62]
    assert_same_list(gilmap.map(g.affine, data), list(map(g.affine, data)))


# ----------------------------------------------------------------------------- nulls


def test_none_in_list_gives_none_and_func_is_not_called_on_it():
    # hundred_div raises for 0; a null slot is stored as 0 in the lane, so calling func on
    # it would raise.
    data = [5, None, 10, None, -3]
    assert_same_list(gilmap.map(g.hundred_div, data), reference(g.hundred_div, data))
    fdata = [2.0, None, 0.5]
    assert_same_list(gilmap.map(g.reciprocal, fdata), reference(g.reciprocal, fdata))
    assert gilmap.map(g.type_code, [True, None, False]) == [0, None, 0]


def test_all_none_list():
    assert gilmap.map(g.hundred_div, [None, None, None]) == [None, None, None]


# ----------------------------------------------------------------------------- hypothesis

int64s = st.integers(min_value=INT64_MIN, max_value=INT64_MAX)


@given(st.lists(int64s, max_size=60))
@example([INT64_MAX, INT64_MIN, 0, -1])
def test_hypothesis_int_lists(xs):
    assert_same_list(gilmap.map(g.affine, xs), list(map(g.affine, xs)))


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=60))
@example([-0.0, 0.0, NAN, INF, -INF, 5e-324])
def test_hypothesis_float_lists(xs):
    assert_same_list(gilmap.map(g.neg, xs), list(map(g.neg, xs)))
    assert_same_list(gilmap.map(g.halve, xs), list(map(g.halve, xs)))


@given(st.lists(st.one_of(st.none(), int64s), max_size=60))
def test_hypothesis_int_lists_with_none(xs):
    assert_same_list(gilmap.map(g.floordiv7, xs), reference(g.floordiv7, xs))


@given(st.lists(st.booleans(), max_size=40))
def test_hypothesis_bool_lists(xs):
    assert_same_list(gilmap.map(g.ident, xs), xs)


# ----------------------------------------------------------------------------- numpy


def check_numpy(out, func, arr, source=None):
    """out must equal list(map(func, arr.tolist())) cast to the dtype rule's array."""
    ref = list(map(func, (arr if source is None else source).tolist()))
    assert isinstance(out, np.ndarray), type(out)
    assert out.ndim == 1 and len(out) == len(arr)
    want = expected_dtype_name(ref)
    assert out.dtype == np.dtype(want), (out.dtype, want)
    assert typed(out.tolist()) == typed(cast_like(ref, want))


NUMPY_CASES = {
    "int8": np.array([0, 1, -1, 127, -128, 9], dtype=np.int8),
    "uint16": np.array([0, 1, 65535, 300, 7], dtype=np.uint16),
    "int32": np.array([0, -(2**31), 2**31 - 1, 12345, -7], dtype=np.int32),
    "int64": np.array([0, INT64_MIN // 4, INT64_MAX // 4, 99, -99], dtype=np.int64),
    "uint64": np.array([0, 1, INT64_MAX // 4, 2**40], dtype=np.uint64),
    "float16": np.array([0.0, -0.0, 1.5, -2.25, 65504.0, NAN, INF], dtype=np.float16),
    "float32": np.array([0.0, -0.0, 1.5, 3.4e38, -1e-45, NAN, -INF], dtype=np.float32),
    "float64": np.array(FLOATS, dtype=np.float64),
    "bool": np.array(BOOLS, dtype=np.bool_),
}


@pytest.mark.parametrize("func", [g.affine, g.halve, g.is_even, g.int_or_float, g.type_code])
@pytest.mark.parametrize("dtype", list(NUMPY_CASES))
def test_numpy_dtypes(dtype, func):
    arr = NUMPY_CASES[dtype]
    check_numpy(gilmap.map(func, arr), func, arr)


@pytest.mark.parametrize("dtype", [np.int64, np.float64, np.int32, np.float32])
@pytest.mark.parametrize(
    "view",
    [
        lambda a: a[::2],
        lambda a: a[::-1],
        lambda a: a[1::3],
        lambda a: a[::-4],
        lambda a: a[5:6],
    ],
    ids=["step2", "reversed", "from1step3", "reversed-step4", "one"],
)
def test_numpy_strided_views(dtype, view):
    base = np.arange(-40, 60, dtype=np.int64).astype(dtype)
    arr = view(base)
    assert arr.base is not None  # really a view into base, not a copy
    check_numpy(gilmap.map(g.floordiv7, arr), g.floordiv7, arr)


def test_numpy_column_of_2d_array():
    grid = np.arange(30, dtype=np.float64).reshape(10, 3)
    col = grid[:, 1]
    assert col.strides == (24,)
    check_numpy(gilmap.map(g.halve, col), g.halve, col)


def test_numpy_non_native_byte_order():
    arr = np.array([1, -2, 300], dtype=">i8")
    check_numpy(gilmap.map(g.affine, arr), g.affine, arr)


def test_numpy_output_dtype_rules():
    ints = np.arange(10, dtype=np.int64)
    assert gilmap.map(g.is_even, ints).dtype == np.bool_
    assert gilmap.map(g.affine, ints).dtype == np.int64
    assert gilmap.map(g.halve, ints).dtype == np.float64
    mixed = gilmap.map(g.int_or_float, ints)
    assert mixed.dtype == np.float64
    assert mixed.tolist() == [float(g.int_or_float(x)) for x in range(10)]
    # float input, int result: the output is int64, not float64.
    assert gilmap.map(g.type_code, np.array([1.0, 2.0])).dtype == np.int64


@pytest.mark.parametrize(
    "dtype, out_dtype",
    [(np.int64, np.int64), (np.float64, np.float64), (np.int8, np.int64), (np.float16, np.float64)],
)
def test_numpy_empty(dtype, out_dtype):
    # Nothing was returned, so the input lane decides the output dtype.
    out = gilmap.map(g.reciprocal, np.array([], dtype=dtype))
    assert isinstance(out, np.ndarray) and out.shape == (0,)
    assert out.dtype == out_dtype


def test_numpy_one_element():
    out = gilmap.map(g.halve, np.array([7], dtype=np.int64))
    assert isinstance(out, np.ndarray) and out.dtype == np.float64 and out.tolist() == [3.5]


def test_numpy_big_int_result_overflows_int64_output_naming_the_index():
    assert gilmap.explain(g.big)["backend"] == "subinterp"
    with pytest.raises(OverflowError, match=r"element 5\b"):
        gilmap.map(g.big, np.arange(8, dtype=np.int64))
    # The same results fit a list exactly.
    assert gilmap.map(g.big, list(range(8)))[5] == 5 * 10**30


def test_numpy_object_array_goes_through_the_list_path():
    arr = np.array([1, None, 4, 2.5], dtype=object)
    out = gilmap.map(g.halve, arr)
    assert isinstance(out, np.ndarray) and out.dtype == object
    assert typed(out.tolist()) == typed([0.5, None, 2.0, 1.25])


def test_numpy_input_is_not_modified():
    arr = np.arange(20, dtype=np.int64)
    gilmap.map(g.affine, arr)
    assert arr.tolist() == list(range(20))


# ----------------------------------------------------------------------------- Arrow


INT64 = pa.int64()


def check_arrow(out, func, values, *, lane=INT64):
    """No result at all (empty / all null): the output has the input lane's type."""
    ref = reference(func, values)
    assert isinstance(out, pa.Array), type(out)
    assert len(out) == len(values)
    want = expected_dtype_name(ref)
    want_type = {"bool": pa.bool_(), "int64": pa.int64(), "float64": pa.float64()}.get(want)
    assert out.type == (lane if want_type is None else want_type)
    got = out.to_pylist()
    assert [v is None for v in got] == [v is None for v in values]
    assert typed(got) == typed(cast_like(ref, want or "int64"))


ARROW_CASES = {
    "int64": pa.array([0, 5, None, -7, INT64_MAX // 8, None, 2], type=pa.int64()),
    "float64": pa.array([0.0, -0.0, None, NAN, INF, 1.5, -2.25], type=pa.float64()),
    "int8": pa.array([0, 1, -128, None, 127], type=pa.int8()),
    "uint16": pa.array([0, 65535, None, 12], type=pa.uint16()),
    "uint64": pa.array([0, None, 2**40, 3], type=pa.uint64()),
    "float32": pa.array([1.5, None, -0.0, NAN], type=pa.float32()),
    "float16": pa.array(np.array([1.5, -0.0, 65504.0, NAN], dtype=np.float16)),
    "bool": pa.array([True, None, False, True], type=pa.bool_()),
}


@pytest.mark.parametrize("func", [g.affine, g.halve, g.is_even, g.int_or_float, g.type_code])
@pytest.mark.parametrize("case", list(ARROW_CASES))
def test_arrow_types(case, func):
    arr = ARROW_CASES[case]
    check_arrow(gilmap.map(func, arr), func, arr.to_pylist())


def test_arrow_nulls_are_not_passed_to_func():
    # Null slots whose underlying value is 0 (which would raise ZeroDivisionError).
    values = pa.py_buffer(np.array([4, 0, 5, 0, 0, 10, 0, 20, 0], dtype=np.int64).tobytes())
    validity = pa.py_buffer(bytes([0b1010_0101, 0b0000_0000]))  # valid: 0, 2, 5, 7
    arr = pa.Array.from_buffers(pa.int64(), 9, [validity, values], null_count=5)
    assert arr.to_pylist() == [4, None, 5, None, None, 10, None, 20, None]
    out = gilmap.map(g.hundred_div, arr)
    assert out.to_pylist() == [25, None, 20, None, None, 10, None, 5, None]
    fvals = pa.array([2.0, None, 0.5], type=pa.float64())
    check_arrow(gilmap.map(g.reciprocal, fvals), g.reciprocal, fvals.to_pylist())


def test_arrow_sliced_array_with_nulls():
    # A slice has a non-zero offset into both the values and the validity bitmap.
    full = pa.array([5, None, 7, 1, None, 9, 11, 13, None, 15, 17, None, 3], type=pa.int64())
    for start, length in [(3, 7), (1, 11), (8, 5), (4, 0)]:
        part = full.slice(start, length)
        check_arrow(gilmap.map(g.affine, part), g.affine, part.to_pylist())


def test_arrow_all_null():
    arr = pa.array([None, None, None], type=pa.int64())
    out = gilmap.map(g.hundred_div, arr)
    assert out.null_count == 3 and out.to_pylist() == [None, None, None]
    strings = pa.array([None, None], type=pa.string())  # nothing to cast: all null
    assert gilmap.map(g.hundred_div, strings).to_pylist() == [None, None]


def test_arrow_empty_and_one():
    out = gilmap.map(g.affine, pa.array([], type=pa.int64()))
    assert isinstance(out, pa.Array) and len(out) == 0
    out = gilmap.map(g.halve, pa.array([3], type=pa.int64()))
    assert out.type == pa.float64() and out.to_pylist() == [1.5]


def test_arrow_output_dtype_rules():
    ints = pa.array(range(10), type=pa.int64())
    assert gilmap.map(g.is_even, ints).type == pa.bool_()
    assert gilmap.map(g.affine, ints).type == pa.int64()
    assert gilmap.map(g.halve, ints).type == pa.float64()
    mixed = gilmap.map(g.int_or_float, ints)
    assert mixed.type == pa.float64()
    assert mixed.to_pylist() == [float(g.int_or_float(x)) for x in range(10)]


def test_arrow_bool_output_bit_packing():
    # More than 8 elements, nulls and an offset: checks the bit-packed bool layout.
    data = [None if i % 5 == 0 else i for i in range(37)]
    arr = pa.array(data, type=pa.int64()).slice(3)
    out = gilmap.map(g.is_even, arr)
    out.validate(full=True)
    check_arrow(out, g.is_even, arr.to_pylist())


def test_arrow_big_int_result_overflows_naming_the_index():
    assert gilmap.explain(g.big)["backend"] == "subinterp"
    with pytest.raises(OverflowError, match=r"element 6\b"):
        gilmap.map(g.big, pa.array([0, 1, 2, 3, 4, None, 6], type=pa.int64()))


def chunked_pylist(out):
    return [chunk.to_pylist() for chunk in out.chunks]


def test_chunked_array_keeps_its_chunking():
    chunks = [[1, 2, 3], [], [4, None, 6, 7], [None], [8]]
    arr = pa.chunked_array(chunks, type=pa.int64())
    out = gilmap.map(g.affine, arr)
    assert isinstance(out, pa.ChunkedArray)
    assert out.type == pa.int64()
    assert [len(c) for c in out.chunks] == [len(c) for c in chunks]
    assert chunked_pylist(out) == [reference(g.affine, c) for c in chunks]


def test_chunked_array_dtype_is_unified_over_chunks():
    # The first chunk's results are all ints, the second has a float: float64 throughout.
    arr = pa.chunked_array([[1, 3, 5], [7, 8]], type=pa.int64())
    out = gilmap.map(g.int_or_float, arr)
    assert out.type == pa.float64()
    assert [len(c) for c in out.chunks] == [3, 2]
    assert typed(out.to_pylist()) == typed([1.0, 3.0, 5.0, 7.0, 4.0])


def test_chunked_array_of_bool_results_with_an_empty_chunk_stays_bool():
    # list(map(is_even, ...)) gives bools; an empty (or all-null) chunk returns nothing
    # and must not turn the other chunks' bools into int64.
    for chunks in ([[1, 2], []], [[], [1, 2]], [[1, 2], [None]]):
        arr = pa.chunked_array(chunks, type=pa.int64())
        out = gilmap.map(g.is_even, arr)
        assert out.type == pa.bool_(), (chunks, out.type)
        assert chunked_pylist(out) == [reference(g.is_even, c) for c in chunks]


def test_chunked_array_empty_and_float():
    out = gilmap.map(g.affine, pa.chunked_array([], type=pa.int64()))
    assert isinstance(out, pa.ChunkedArray) and len(out) == 0
    arr = pa.chunked_array([[1.5, None], [NAN, -0.0, 2.0]], type=pa.float64())
    out = gilmap.map(g.neg, arr)
    assert out.type == pa.float64() and [len(c) for c in out.chunks] == [2, 3]
    got = out.to_pylist()
    assert got[1] is None and math.isnan(got[2])
    assert typed([got[0], got[3], got[4]]) == typed([-1.5, 0.0, -2.0])


# ----------------------------------------------------------------------------- bad input


def test_bad_list_elements_raise_type_error_naming_index_and_type():
    assert gilmap.explain(g.affine)["backend"] == "subinterp"
    with pytest.raises(TypeError, match=r"element 2 has type str"):
        gilmap.map(g.affine, [1, 2, "3", 4])
    with pytest.raises(TypeError, match=r"element 1 has type object"):
        gilmap.map(g.affine, [1.5, object()])
    with pytest.raises(TypeError, match=r"element 0 has type complex"):
        gilmap.map(g.affine, (1j,))
    with pytest.raises(TypeError, match=r"element 3\b.*int"):
        gilmap.map(g.affine, [1, 2, 3, 2**63, "x"])
    with pytest.raises(TypeError, match=r"element 1\b.*int"):
        gilmap.map(g.affine, [1, -(2**63) - 1])
    with pytest.raises(TypeError, match=r"element 4 has type str"):
        gilmap.map(g.affine, (str(i) if i == 4 else i for i in range(10)))


def test_int64_edges_in_a_list_are_accepted():
    assert gilmap.map(g.ident, [INT64_MIN, INT64_MAX]) == [INT64_MIN, INT64_MAX]


def test_numpy_uint64_above_int64_raises_type_error_naming_index():
    arr = np.array([1, 2, 2**63 + 5, 3, 2**64 - 1], dtype=np.uint64)
    with pytest.raises(TypeError, match=r"element 2\b.*uint64"):
        gilmap.map(g.affine, arr)
    with pytest.raises(TypeError, match=r"element 1\b.*uint64"):
        gilmap.map(g.affine, arr[::2])


def test_arrow_uint64_above_int64_raises_type_error_naming_index():
    arr = pa.array([1, None, 2**64 - 1, 3], type=pa.uint64())
    with pytest.raises(TypeError, match=r"element 2\b.*uint64"):
        gilmap.map(g.affine, arr)
    chunked = pa.chunked_array([[1, 2, 3], [4, 2**63]], type=pa.uint64())
    with pytest.raises(TypeError, match=r"element 4\b.*uint64"):
        gilmap.map(g.affine, chunked)


def test_other_bad_containers_and_dtypes():
    with pytest.raises(TypeError, match=r"element 0\b.*complex"):
        gilmap.map(g.affine, np.array([1j, 2j]))
    with pytest.raises(TypeError, match=r"1-D"):
        gilmap.map(g.affine, np.zeros((2, 2)))
    with pytest.raises(TypeError, match=r"element 1\b.*string"):
        gilmap.map(g.affine, pa.array([None, "a"], type=pa.string()))
    with pytest.raises(TypeError, match=r"element 1\b.*str"):
        gilmap.map(g.affine, np.array([1, "a"], dtype=object))
    for not_iterable in (5, 2.5, None):
        with pytest.raises(TypeError, match=r"data must be"):
            gilmap.map(g.affine, not_iterable)
