"""Regression tests for the data-path findings of issue 10.

1. A ChunkedArray runs as one column: the exception is the one ``list(map)`` raises for the
   lowest failing index (and the output dtype is the whole input's), whatever the chunking.
2. arrow_kernel keeps nulls null, also where the expression does not read ``x``.
3. numpy masked arrays come back masked, with the mask kept; masked elements are nulls.
4. Empty (and all-null) inputs give the input lane's type.
5. Column ingestion: list items are read with the GIL held; Arrow buffers are validated;
   null slots never reach a kernel with a producer's garbage in them.
6. One rule for non-number results on every backend: a list holds what ``f`` returned;
   ``f``'s own exceptions come first (as ``list(map)`` raises them); an array output then
   refuses the lowest non-number (``TypeError``) or int beyond int64 (``OverflowError``).

Every test asserts which backend ran (``conftest.map_on``). Functions for the
sub-interpreter pool live in a small module written at test time (workers import by
module and qualname; this module imports numpy and pyarrow, which workers cannot load).
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import itertools
import os
import sys
import textwrap

import numpy as np
import pyarrow as pa
import pytest
from conftest import map_on, run_python
from hypothesis import example, given
from hypothesis import strategies as st

import gilmap
from gilmap import _gilmap

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

POOL_SOURCE = '''
def shift_or_overflow(x):
    """x * 2**61 leaves int64 for x >= 4; a negative shift (x < 3) raises ValueError."""
    return x * 2**61 + (1 >> (x - 3))


def none_at_five(x):
    """None for 5; otherwise as shift_or_overflow."""
    if x == 5:
        return None
    return x * 2**61 + (1 >> (x - 3))


def str_at_seven(x):
    return str(x) if x == 7 else x


def complex_root(x):
    return x ** 0.5


def collatz_steps(x):
    n = 0
    while x != 1:
        x = x // 2 if x % 2 == 0 else 3 * x + 1
        n += 1
    return n


def inverse(x):
    return 1 / x
'''


@pytest.fixture(scope="module")
def pool_funcs(tmp_path_factory):
    """The importable module of POOL_SOURCE (on sys.path, which workers copy)."""
    d = tmp_path_factory.mktemp("findings_funcs")
    (d / "gm_findings_funcs.py").write_text(POOL_SOURCE)
    sys.path.insert(0, str(d))
    try:
        yield importlib.import_module("gm_findings_funcs")
    finally:
        sys.path.remove(str(d))
        sys.modules.pop("gm_findings_funcs", None)


@contextlib.contextmanager
def backends_off(*names: str):
    """Disables ``jit`` / ``arrow_kernel`` for the block (and forgets cached decisions)."""
    env = {"jit": "GILMAP_JIT", "arrow_kernel": "GILMAP_ARROW"}
    saved = {env[n]: os.environ.get(env[n]) for n in names}
    for var in saved:
        os.environ[var] = "0"
    gilmap._api.router.clear()
    try:
        yield
    finally:
        for var, old in saved.items():
            if old is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = old
        gilmap._api.router.clear()


def on_pool(func, data):
    with backends_off("jit", "arrow_kernel"):
        return map_on("subinterp", func, data)


def on_arrow_kernel(func, data):
    with backends_off("jit"):
        return map_on("arrow_kernel", func, data)


def on_jit(func, data):
    return map_on("jit", func, data)


# ------------------------------------------------------------------ the oracle


def oracle(func, values):
    """What gilmap must do for an array output: ``("ok", results)`` or ``("raise", type,
    index-or-None)``. ``f``'s own exception (as ``list(map)`` raises it, nulls skipped)
    first; then the lowest result an array cannot hold."""
    try:
        res = [None if v is None else func(v) for v in values]
    except Exception as exc:  # noqa: BLE001 - the oracle records any exception
        return ("raise", type(exc), None)
    for i, (v, r) in enumerate(zip(values, res, strict=True)):
        if v is None:
            continue
        if type(r) not in (int, float, bool):
            return ("raise", TypeError, i)
        if type(r) is int and not INT64_MIN <= r <= INT64_MAX:
            return ("raise", OverflowError, i)
    return ("ok", res)


def check_array_outcome(run, func, values, arr, to_list):
    want = oracle(func, values)
    if want[0] == "ok":
        assert to_list(run(func, arr)) == want[1]
        return
    _, exc_type, index = want
    with pytest.raises(exc_type) as info:
        run(func, arr)
    if index is not None:
        assert f"element {index}" in str(info.value), str(info.value)


def chunked(values, cuts, type_):
    """``values`` as a ChunkedArray cut at ``cuts`` (empty chunks included)."""
    bounds = [0, *sorted(cuts), len(values)]
    return pa.chunked_array([values[a:b] for a, b in itertools.pairwise(bounds)], type_)


# ------------------------------------------- 1. ChunkedArray: errors over the whole input

ELEMENTS = st.lists(st.one_of(st.none(), st.sampled_from([1, 2, 3, 4, 5])), max_size=12)
CUTS = st.lists(st.integers(0, 12), max_size=4)


def jit_shift_or_overflow(x):
    return x * 2**61 + (1 >> (x - 3))


def jit_none_at_five(x):
    if x == 5:
        return None
    return x * 2**61 + (1 >> (x - 3))


@given(values=ELEMENTS, cuts=CUTS)
@example(values=[4, 1], cuts=[1])  # overflow in chunk 0, ValueError in chunk 1
@example(values=[5, 2], cuts=[1])  # None in chunk 0, ValueError in chunk 1
@example(values=[3, 4, 5], cuts=[1, 2])  # fits, overflow, None: the overflow (index 1)
def test_chunked_array_raises_what_list_map_raises_whatever_the_chunking(values, cuts):
    cuts = [c for c in cuts if c <= len(values)]
    arr = chunked(values, cuts, pa.int64())
    for func in (jit_shift_or_overflow, jit_none_at_five):
        check_array_outcome(on_jit, func, values, arr, lambda out: out.to_pylist())
    check_array_outcome(
        on_arrow_kernel,
        lambda x: x * 2**61 + (1 >> (x - 3)),
        values,
        arr,
        pa.ChunkedArray.to_pylist,
    )


@given(values=ELEMENTS, cuts=CUTS)
@example(values=[4, 1], cuts=[1])
@example(values=[5, 2], cuts=[1])
def test_chunked_array_errors_on_the_pool(pool_funcs, values, cuts):
    cuts = [c for c in cuts if c <= len(values)]
    arr = chunked(values, cuts, pa.int64())
    for func in (pool_funcs.shift_or_overflow, pool_funcs.none_at_five):
        check_array_outcome(on_pool, func, values, arr, lambda out: out.to_pylist())


@given(
    values=st.lists(st.one_of(st.none(), st.integers(-50, 50)), min_size=1, max_size=40),
    cuts=st.lists(st.integers(0, 40), max_size=6),
)
def test_chunked_output_keeps_the_chunking_and_unifies_the_dtype(values, cuts):
    cuts = [c for c in cuts if c <= len(values)]
    arr = chunked(values, cuts, pa.int64())
    # Ints for some elements, floats for others: the whole output is float64.
    func = lambda x: x * 2 if x > 0 else x / 4  # noqa: E731
    out = on_jit(func, arr)
    assert isinstance(out, pa.ChunkedArray)
    assert [len(c) for c in out.chunks] == [len(c) for c in arr.chunks]
    want = [None if v is None else func(v) for v in values]
    kinds = {type(w) for w in want if w is not None}
    assert out.type == (pa.float64() if float in kinds else pa.int64())
    assert out.to_pylist() == want


def test_many_chunkings_of_the_same_data_give_the_same_exception():
    values = [3, 4, None, 3, 5, 1, 4]  # overflow at 1, None at 4, ValueError at 5
    for cuts in ([], [1], [2], [5], [1, 5], [0, 0, 7], [1, 2, 3, 4, 5, 6], [6]):
        arr = chunked(values, cuts, pa.int64())
        for func in (jit_shift_or_overflow, jit_none_at_five):
            with pytest.raises(ValueError, match="negative shift count"):
                on_jit(func, arr)
    values = [3, 4, None, 3, 5]  # overflow at 1 before None at 4: OverflowError, element 1
    for cuts in ([], [1], [2], [4], [1, 2, 3]):
        with pytest.raises(OverflowError, match=r"element 1\b"):
            on_jit(jit_none_at_five, chunked(values, cuts, pa.int64()))


# ------------------------------------------------------- 2. arrow_kernel keeps nulls null

CONST_BRANCH = [
    lambda x: 7 if 1 > 0 else x,
    lambda x: x if 1 < 0 else 25,
    lambda x: (7 if 1 > 0 else x) + 0 * 3,
]


@pytest.mark.parametrize("func", CONST_BRANCH)
def test_arrow_kernel_constant_branch_keeps_nulls(func):
    assert gilmap.explain(func, dtype=int)["backend"] == "jit"  # the JIT would take it
    out = on_arrow_kernel(func, pa.array([1, None], pa.int64()))
    assert out.to_pylist() == [func(1), None]


@given(values=st.lists(st.one_of(st.none(), st.integers(-9, 9)), max_size=20), cuts=CUTS)
def test_arrow_kernel_nulls_on_every_container(values, cuts):
    cuts = [c for c in cuts if c <= len(values)]
    func = CONST_BRANCH[0]
    want = [None if v is None else func(v) for v in values]
    if not values:
        return
    assert on_arrow_kernel(func, pa.array(values, pa.int64())).to_pylist() == want
    assert on_arrow_kernel(func, chunked(values, cuts, pa.int64())).to_pylist() == want
    assert on_arrow_kernel(func, values) == want
    mask = [v is None for v in values]
    m = np.ma.MaskedArray([0 if v is None else v for v in values], mask=mask, dtype=np.int64)
    out = on_arrow_kernel(func, m)
    assert isinstance(out, np.ma.MaskedArray) and out.dtype == np.int64
    assert out.tolist() == want


# ------------------------------------------------------------- 3. numpy masked arrays

MASKED = st.lists(st.tuples(st.integers(-20, 20), st.booleans()), max_size=30)


def masked(pairs, dtype):
    return np.ma.MaskedArray([v for v, _ in pairs], mask=[m for _, m in pairs], dtype=dtype)


def check_masked(run, func, m):
    out = run(func, m)
    assert isinstance(out, np.ma.MaskedArray), type(out)
    assert np.array_equal(np.ma.getmaskarray(out), np.ma.getmaskarray(m))
    data = np.ma.getdata(m).tolist()
    mask = np.ma.getmaskarray(m).tolist()
    want = [None if k else func(v) for v, k in zip(data, mask, strict=True)]
    assert out.tolist() == want
    return out


@given(pairs=MASKED)
@example(pairs=[(0, True), (2, False)])  # 1 / 0 is masked: never computed
def test_masked_array_keeps_its_mask_on_the_jit(pairs):
    for dtype in (np.int64, np.float64, np.int32, np.float32):
        m = masked(pairs, dtype)
        if all(k or v != 0 for v, k in pairs):
            out = check_masked(on_jit, lambda x: 1 / x, m)
            # With no unmasked element nothing was computed: the input lane's type.
            if not all(k for _, k in pairs):
                assert out.dtype == np.float64
        check_masked(on_jit, lambda x: x * 3, m)


@given(pairs=MASKED)
@example(pairs=[(-5, True), (6, False)])  # Collatz of -5 loops for ever: masked
def test_masked_elements_are_not_computed_by_loop_kernels(pairs):
    def steps(x):
        n = 0
        while x > 1:
            x = x // 2 if x % 2 == 0 else 3 * x + 1
            n += 1
        return n

    def bounded(x):
        n = 0
        while x != 1:  # loops for ever on x < 1: such elements must be masked
            x = x // 2 if x % 2 == 0 else 3 * x + 1
            n += 1
        return n

    check_masked(on_jit, steps, masked(pairs, np.int64))
    pairs = [(v, k or v < 1) for v, k in pairs]
    check_masked(on_jit, bounded, masked(pairs, np.int64))


def test_masked_array_on_arrow_kernel_pool_and_bool(pool_funcs):
    m = np.ma.MaskedArray([1.0, 0.0, 4.0, -1.0], mask=[False, True, False, True])
    check_masked(on_arrow_kernel, lambda x: 1 / x, m)
    check_masked(on_pool, pool_funcs.inverse, m)
    b = np.ma.MaskedArray([True, False, True], mask=[False, False, True])
    out = check_masked(on_jit, lambda x: not x, b)
    assert out.dtype == np.bool_
    # No element masked (mask=nomask) still comes back masked.
    n = np.ma.MaskedArray([1, 2, 3])
    out = check_masked(on_jit, lambda x: x + 1, n)
    assert out.mask is np.ma.nomask or not out.mask.any()
    # Object dtype.
    o = np.ma.MaskedArray(np.array([1, 2, 3], dtype=object), mask=[True, False, False])
    out = check_masked(on_jit, lambda x: x + 1, o)
    assert out.dtype == object


def test_masked_uint64_beyond_int64_is_not_an_error_when_masked():
    m = np.ma.MaskedArray(np.array([2**64 - 1, 5], np.uint64), mask=[True, False])
    assert check_masked(on_jit, lambda x: x + 1, m).tolist() == [None, 6]
    with pytest.raises(TypeError, match=r"element 0\b"):
        gilmap.map(lambda x: x + 1, np.ma.MaskedArray(np.array([2**64 - 1], np.uint64)))


# ---------------------------------------------------------------- 4. empty inputs


def empties():
    yield "numpy float64", np.array([], np.float64), np.float64
    yield "numpy float32", np.array([], np.float32), np.float64
    yield "numpy int64", np.array([], np.int64), np.int64
    yield "numpy int32", np.array([], np.int32), np.int64
    yield "numpy bool", np.array([], np.bool_), np.bool_
    for t, out in (
        (pa.float64(), pa.float64()),
        (pa.float32(), pa.float64()),
        (pa.int64(), pa.int64()),
        (pa.int8(), pa.int64()),
        (pa.bool_(), pa.bool_()),
    ):
        yield f"arrow {t}", pa.array([], t), out
        yield f"chunked {t} (no chunks)", pa.chunked_array([], t), out
        yield f"chunked {t} (empty chunks)", pa.chunked_array([[], []], t), out
        yield f"arrow {t} all null", pa.array([None, None], t), out
        yield f"chunked {t} all null", pa.chunked_array([[None], [], [None]], t), out


@pytest.mark.parametrize(("name", "data", "want"), list(empties()), ids=lambda v: str(v))
def test_empty_and_all_null_inputs_keep_the_input_lane_type(pool_funcs, name, data, want):
    runs = [on_jit]
    if "bool" not in name:
        runs.append(on_arrow_kernel)
    for run in runs:
        out = run(lambda x: x, data)
        if isinstance(data, np.ndarray):
            assert out.dtype == want, (run, out.dtype)
            assert len(out) == 0
        else:
            assert isinstance(out, pa.ChunkedArray) == isinstance(data, pa.ChunkedArray)
            assert isinstance(out, (pa.Array, pa.ChunkedArray))
            assert out.type == want, (run, out.type)
            assert out.to_pylist() == data.to_pylist()
    out = on_pool(pool_funcs.inverse, data)
    if isinstance(data, np.ndarray):
        assert out.dtype == want
    else:
        assert out.type == want


# ------------------------------------------------------- 5. column ingestion (src/column.rs)


def test_list_read_while_other_threads_resize_it():
    # Each process starts a fresh Rayon pool: fetching it releases the GIL, while other
    # threads keep resizing the list; the items must be read with the GIL held after.
    code = textwrap.dedent(
        """
        import threading, gilmap
        a = [float(i) for i in range(70_000)]
        b = [float(-i) for i in range(90_000)]
        lst = list(a)
        stop = False
        def churn():
            while not stop:
                lst[:] = b
                lst[:] = a
        ts = [threading.Thread(target=churn) for _ in range(2)]
        for t in ts:
            t.start()
        f = lambda x: x * 2.0
        wants = ([x * 2.0 for x in a], [x * 2.0 for x in b])
        for _ in range(30):
            out = gilmap.map(f, lst)
            assert out in wants, len(out)
        stop = True
        for t in ts:
            t.join()
        print("ok")
        """
    )
    for _ in range(3):
        r = run_python(code, timeout=120)
        assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-2000:]


class _Schema(ctypes.Structure):
    _fields_ = [
        ("format", ctypes.c_char_p),
        ("name", ctypes.c_char_p),
        ("metadata", ctypes.c_char_p),
        ("flags", ctypes.c_int64),
        ("n_children", ctypes.c_int64),
        ("children", ctypes.c_void_p),
        ("dictionary", ctypes.c_void_p),
        ("release", ctypes.c_void_p),
        ("private_data", ctypes.c_void_p),
    ]


class _Array(ctypes.Structure):
    _fields_ = [
        ("length", ctypes.c_int64),
        ("null_count", ctypes.c_int64),
        ("offset", ctypes.c_int64),
        ("n_buffers", ctypes.c_int64),
        ("n_children", ctypes.c_int64),
        ("buffers", ctypes.POINTER(ctypes.c_void_p)),
        ("children", ctypes.c_void_p),
        ("dictionary", ctypes.c_void_p),
        ("release", ctypes.c_void_p),
        ("private_data", ctypes.c_void_p),
    ]


_capsule_new = ctypes.pythonapi.PyCapsule_New
_capsule_new.restype = ctypes.py_object
_capsule_new.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]


class RawArrow:
    """A hand-made Arrow C Data producer (buffers exactly as given, however wrong)."""

    def __init__(self, fmt, length, validity, data, null_count=0, offset=0):
        self.keep = [validity, data]
        self.bufs = (ctypes.c_void_p * 2)(validity, data)
        self.schema = _Schema(format=fmt, flags=2)
        self.array = _Array(
            length=length, null_count=null_count, offset=offset, n_buffers=2, buffers=self.bufs
        )

    def __arrow_c_array__(self, requested_schema=None):
        return (
            _capsule_new(ctypes.addressof(self.schema), b"arrow_schema", None),
            _capsule_new(ctypes.addressof(self.array), b"arrow_array", None),
        )


def test_arrow_null_data_buffer_is_refused_clearly():
    with pytest.raises(TypeError, match="no values buffer"):
        _gilmap.Column.from_arrow(RawArrow(b"g", 3, None, None), "float64")
    with pytest.raises(TypeError, match="no values buffer"):
        _gilmap.Column.from_arrow_chunks([RawArrow(b"l", 1, None, None)], "int64")
    # Length 0 needs no buffer.
    assert len(_gilmap.Column.from_arrow(RawArrow(b"g", 0, None, None), "float64")) == 0
    # Nulls reported but no bitmap.
    vals = (ctypes.c_double * 2)(1.0, 2.0)
    with pytest.raises(TypeError, match="no validity bitmap"):
        _gilmap.Column.from_arrow(
            RawArrow(b"g", 2, None, ctypes.addressof(vals), null_count=1), "float64"
        )
    # A well-formed hand-made array reads as pyarrow's would.
    col = _gilmap.Column.from_arrow(RawArrow(b"g", 2, None, ctypes.addressof(vals)), "float64")
    assert [col.value(0), col.value(1)] == [1.0, 2.0]


def garbage_array(values, valid, garbage):
    """An int64 Arrow array whose null slots hold ``garbage`` (pyarrow zeroes them)."""
    raw = np.array([v if ok else garbage for v, ok in zip(values, valid, strict=True)], np.int64)
    bits = np.packbits(np.array(valid, bool), bitorder="little")
    return pa.Array.from_buffers(
        pa.int64(),
        len(values),
        [pa.py_buffer(bits.tobytes()), pa.py_buffer(raw.tobytes())],
        null_count=valid.count(False),
    )


def test_garbage_in_null_slots_never_reaches_a_loop_kernel():
    # Collatz from -5 cycles for ever; a kernel that sees the garbage would never finish.
    code = textwrap.dedent(
        """
        import numpy as np, pyarrow as pa, gilmap, sys
        sys.path.insert(0, "tests")
        from test_data_findings import garbage_array
        def steps(x):
            n = 0
            while x != 1:
                x = x // 2 if x % 2 == 0 else 3 * x + 1
                n += 1
            return n
        n = 5000
        values = [i % 50 + 1 for i in range(n)]
        valid = [i % 3 != 0 for i in range(n)]
        arr = garbage_array(values, valid, -5)
        assert arr.buffers()[1].to_pybytes()[:8] == np.int64(-5).tobytes()
        want = [steps(v) if ok else None for v, ok in zip(values, valid)]
        assert gilmap.map(steps, arr).to_pylist() == want
        ch = pa.chunked_array([arr.slice(0, 1000), arr.slice(1000)])
        assert gilmap.map(steps, ch).to_pylist() == want
        assert gilmap.explain(steps, dtype=int)["backend"] == "jit"
        print("ok")
        """
    )
    r = run_python(code, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-2000:]


@given(
    values=st.lists(st.integers(-(2**40), 2**40), min_size=1, max_size=40),
    data=st.data(),
)
def test_null_slots_with_any_bytes_give_nulls(values, data):
    valid = data.draw(st.lists(st.booleans(), min_size=len(values), max_size=len(values)))
    garbage = data.draw(st.integers(INT64_MIN, INT64_MAX))
    arr = garbage_array(values, valid, garbage)
    want = [v * 3 if ok else None for v, ok in zip(values, valid, strict=True)]
    assert on_jit(lambda x: x * 3, arr).to_pylist() == want
    off = data.draw(st.integers(0, len(values)))
    assert on_jit(lambda x: x * 3, arr.slice(off)).to_pylist() == want[off:]


def test_unaligned_arrow_values_are_read_exactly():
    raw = np.arange(1, 6, dtype=np.int64).tobytes()
    buf = pa.py_buffer(b"x" + raw)[1:]
    arr = pa.Array.from_buffers(pa.int64(), 5, [None, buf])
    assert arr.buffers()[1].address % 8 != 0
    assert on_jit(lambda x: x * 2, arr).to_pylist() == [2, 4, 6, 8, 10]


# ------------------------------------------------- 6. one rule for non-number results


def jit_none_for_negative(x):
    if x < 0:
        return None
    return 100 // (x - 4)


def jit_complex_root(x):
    return x**0.5


NON_NUMBER_DATA = [
    [1, 2, 3],  # all numbers
    [1, -1, 2],  # None at 1
    [1, -1, 4, -2],  # None at 1, ZeroDivisionError at 2: list(map) raises
    [4, -1],  # ZeroDivisionError first
    [-3, None, 6],  # None result at 0, a null at 1
]


@pytest.mark.parametrize("values", NON_NUMBER_DATA, ids=str)
def test_non_number_rule_on_the_jit(values):
    func = jit_none_for_negative
    check_list_outcome(on_jit, func, values)
    check_array_outcome(on_jit, func, values, pa.array(values, pa.int64()), pa.Array.to_pylist)
    arr = chunked(values, [1], pa.int64())
    check_array_outcome(on_jit, func, values, arr, pa.ChunkedArray.to_pylist)
    if None not in values:
        check_array_outcome(on_jit, func, values, np.array(values), np.ndarray.tolist)


def check_list_outcome(run, func, values):
    try:
        want = [None if v is None else func(v) for v in values]
    except Exception as exc:  # noqa: BLE001
        with pytest.raises(type(exc)):
            run(func, values)
        return
    out = run(func, values)
    assert [(type(o), o) for o in out] == [(type(w), w) for w in want]


def test_non_number_rule_on_the_pool(pool_funcs):
    data = list(range(20))
    # A list holds what f returned, as list(map) does (the worker cannot send a str back:
    # CPython evaluates the column instead).
    check_list_outcome(on_pool, pool_funcs.str_at_seven, data)
    with pytest.raises(TypeError, match=r"returned str for element 7\b"):
        on_pool(pool_funcs.str_at_seven, np.arange(20))
    with pytest.raises(TypeError, match=r"element 3\b"):
        on_pool(pool_funcs.str_at_seven, pa.array([None, 1, None, 7, 7], pa.int64()))
    # f's own exception at a later index comes before the array's refusal of None.
    for values in ([5, 1], [5, 4, 3], [3, 5, 4], [None, 5, 2]):
        check_list_outcome(on_pool, pool_funcs.none_at_five, values)
        check_array_outcome(
            on_pool,
            pool_funcs.none_at_five,
            values,
            pa.array(values, pa.int64()),
            pa.Array.to_pylist,
        )
    # complex: kept in a list, refused by an array.
    floats = [4.0, -4.0, 9.0]
    check_list_outcome(on_pool, pool_funcs.complex_root, floats)
    with pytest.raises(TypeError, match=r"complex for element 1\b"):
        on_pool(pool_funcs.complex_root, np.array(floats))


def test_jit_and_pool_agree_on_none_results(pool_funcs):
    for values in ([3, 5, 4], [5, 3], [5, 1], [4, 5], [3, None, 5]):
        for container in (list, lambda v: pa.array(v, pa.int64())):
            data = container(values)
            outcomes = []
            for run, func in ((on_jit, jit_none_at_five), (on_pool, pool_funcs.none_at_five)):
                try:
                    out = run(func, data)
                    outcomes.append(("ok", out if isinstance(out, list) else out.to_pylist()))
                except Exception as exc:  # noqa: BLE001
                    kind = next(
                        t for t in (TypeError, OverflowError, ValueError) if isinstance(exc, t)
                    )
                    outcomes.append(("raise", kind))
            assert outcomes[0] == outcomes[1], (values, outcomes)


def test_complex_results_on_the_jit():
    floats = [4.0, -4.0, 9.0]
    check_list_outcome(on_jit, jit_complex_root, floats)
    with pytest.raises(TypeError, match=r"complex for element 1\b"):
        on_jit(jit_complex_root, np.array(floats))
