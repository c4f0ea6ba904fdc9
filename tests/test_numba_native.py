"""The numba_native backend: detection (dispatchers, @cfunc, and what is not numba),
results against numba's own scalar call, output dtypes (the signature's return type),
nulls, empty input, the error model (numba's exception, lowest failing element), that the
work really runs in native code, and that nothing imports numba unless func is numba's."""

from __future__ import annotations

import math

import nb_funcs as nf
import numpy as np
import pyarrow as pa
import pytest
from conftest import assert_same_list, map_on, no_python_calls_of, run_python

import gilmap

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
NAN, INF = float("nan"), float("inf")
INTS = [0, 1, -1, 7, -7, 22, -23, 123_456_789, 2**40, INT64_MAX, INT64_MIN]
FLOATS = [0.0, -0.0, 1.5, -2.25, 7.0, NAN, INF, -INF, 1e308, 5e-324]
LARGE = 100_000


def nmap(func, data):
    """``gilmap.map(func, data)``, asserting that this call ran on numba_native."""
    return map_on("numba_native", func, data)


def numba_ref(func, data):
    """numba's own scalar call per element (None passed through)."""
    return [None if x is None else func(x) for x in data]


def same(a, b) -> bool:
    return all(
        (x is None and y is None) or (type(x) is type(y) and (x == y or (x != x and y != y)))
        for x, y in zip(a, b, strict=True)
    )


# ------------------------------------------------------------------------- detection


@pytest.mark.parametrize(
    "func, lane",
    [
        (nf.affine, "float64"),
        (nf.int_affine, "int64"),
        (nf.explicit_sig, "int64"),
        (nf.cf_sqrt32, "float64"),
        (nf.cf_int32, "int64"),
    ],
)
def test_numba_objects_route_to_numba_native(func, lane):
    e = gilmap.explain(func, dtype=lane)
    assert e["backend"] == "numba_native"
    assert e["has_fast_path"] is True
    assert e["rejected"] == {}
    assert "GIL released" in e["reason"]


def test_plain_functions_are_not_numba():
    e = gilmap.explain(lambda x: x + 1, dtype=int)
    assert e["backend"] == "jit"
    assert "not a numba" in e["rejected"]["numba_native"]


def test_dispatcher_numba_cannot_compile_falls_through_with_numba_error():
    e = gilmap.explain(nf.no_bit_length, dtype=int)
    assert e["backend"] != "numba_native"
    reason = e["rejected"]["numba_native"]
    assert "numba cannot compile" in reason and "TypingError" in reason
    assert "bit_length" in reason
    # Nothing else can run a numba object either: a clear error, not a crash.
    assert "sub-interpreters" in e["rejected"]["subinterp"]
    with pytest.raises(ValueError, match="cannot run"):
        gilmap.map(nf.no_bit_length, [1, 2])


def test_dispatcher_returning_a_tuple_is_refused():
    e = gilmap.explain(nf.returns_tuple, dtype=float)
    assert "not a number" in e["rejected"]["numba_native"]


def test_cfunc_with_two_arguments_is_refused():
    e = gilmap.explain(nf.cf_two_args, dtype=float)
    assert "exactly one argument" in e["rejected"]["numba_native"]


def test_explain_and_map_of_plain_functions_never_import_numba():
    code = (
        "import sys, gilmap\n"
        "f = lambda x: x * 2\n"
        "gilmap.explain(f)\n"
        "gilmap.map(f, [1, 2, 3])\n"
        "assert 'numba' not in sys.modules, 'numba was imported'\n"
        "print('ok')\n"
    )
    r = run_python(code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def test_explain_of_a_numba_function_does_not_run_it_on_data():
    calls_before = nf.picky.py_func.__code__  # compiled, never called by explain
    gilmap.explain(nf.picky)
    assert nf.picky.py_func.__code__ is calls_before


# ------------------------------------------------------------------------- results


@pytest.mark.parametrize("func", [nf.affine, nf.int_affine, nf.halve, nf.is_pos, nf.collatz])
@pytest.mark.parametrize("n", [10, LARGE], ids=["small", "parallel"])
def test_list_results_equal_numbas_own_calls(func, n):
    ints = [(i * 7919) % 20001 - 10000 for i in range(n)]
    floats = [x / 8.0 for x in ints]
    for data in (ints, floats):
        if func is nf.collatz and data is floats:
            continue
        out = nmap(func, data)
        assert type(out) is list
        assert same(out, numba_ref(func, data))


def test_special_values():
    assert same(nmap(nf.affine, FLOATS), numba_ref(nf.affine, FLOATS))
    # numba wraps int64 overflow (its semantics, documented), and so does the native path.
    assert same(nmap(nf.int_affine, INTS), numba_ref(nf.int_affine, INTS))


def test_numpy_output_dtype_is_the_return_type():
    x = np.linspace(-5, 5, 1001)
    out = nmap(nf.affine, x)
    assert out.dtype == np.float64
    assert np.array_equal(out, np.array([nf.affine(v) for v in x]))
    assert nmap(nf.is_pos, x).dtype == np.bool_
    assert nmap(nf.int_affine, np.arange(10)).dtype == np.int64
    assert nmap(nf.halve, np.arange(10)).dtype == np.float64


def test_strided_numpy_input():
    x = np.arange(40, dtype=np.float64)[::-3]
    assert np.array_equal(nmap(nf.affine, x), np.array([nf.affine(v) for v in x]))


def test_bool_lane_passes_bools():
    data = [True, False, True]
    assert nmap(nf.int_affine, data) == [nf.int_affine(x) for x in data]


def test_cfunc_outputs_follow_its_signature():
    x = np.array([4.0, 2.0, -9.0])
    out = nmap(nf.cf_sqrt32, x)
    assert out.dtype == np.float32
    assert out.tolist() == [2.0, np.float32(math.sqrt(2.0)).item(), 3.0]
    out = nmap(nf.cf_int32, [1, -2, 3])
    assert out == [2, -4, 6] and all(type(v) is int for v in out)
    assert nmap(nf.cf_is_neg, pa.array([1.0, -1.0, None])).to_pylist() == [False, True, None]
    assert nmap(nf.cf_is_neg, pa.array([1.0, -1.0])).type == pa.bool_()
    # The lane value is cast to the argument type (int64 -> float64 here).
    assert nmap(nf.cf_sqrt32, [16, 25]) == [4.0, 5.0]


def test_arrow_in_arrow_out_with_nulls():
    arr = pa.array([1.0, None, -3.0, None, 5.0])
    out = nmap(nf.affine, arr)
    assert out.type == pa.float64()
    assert out.to_pylist() == [2.0, None, -4.0, None, 8.0]
    chunked = pa.chunked_array([[1, 2], [None, 4]])
    out = nmap(nf.int_affine, chunked)
    assert isinstance(out, pa.ChunkedArray)
    assert out.to_pylist() == [4, 7, None, 13]
    assert out.type == pa.int64()


def test_none_in_list_is_not_passed_to_the_function():
    # 10 // 0 would raise: a null slot's placeholder must not.
    assert nmap(nf.floordiv_ten, [5, None, 2]) == [2, None, 5]
    data = [None if i % 3 == 0 else i for i in range(LARGE)]
    assert nmap(nf.floordiv_ten, data) == numba_ref(nf.floordiv_ten, data)


def test_empty_input():
    assert nmap(nf.affine, []) == []
    out = nmap(nf.affine, np.array([], dtype=np.float64))
    assert out.dtype == np.float64 and len(out) == 0


# ------------------------------------------------------------------------- errors


def test_exception_is_numbas_own():
    with pytest.raises(ZeroDivisionError):
        nmap(nf.floordiv_ten, [1, 2, 0, 5])


@pytest.mark.parametrize("n", [10, LARGE])
def test_the_lowest_failing_element_decides(n):
    data = list(range(n))
    data[n // 3] = -2  # KeyError
    data[n - 2] = -1  # ValueError, later
    with pytest.raises(KeyError):
        nmap(nf.picky, data)
    data[n // 3] = 0
    with pytest.raises(ValueError, match="minus one"):
        nmap(nf.picky, data)


# ------------------------------------------------------------------------- native


def test_dispatcher_runs_in_native_code_not_per_element_python():
    data = np.arange(LARGE, dtype=np.int64)
    nmap(nf.collatz, data[:10])  # compile outside the profiled call
    with no_python_calls_of(nf.collatz.py_func.__code__):
        out = nmap(nf.collatz, data)
    assert out[:5].tolist() == [nf.collatz(int(v)) for v in data[:5]]


def test_repeat_calls_reuse_the_compiled_loop():
    from gilmap._api import router

    nmap(nf.affine, [1.0])
    before = router.analyses
    for _ in range(5):
        nmap(nf.affine, [1.0, 2.0])
    assert router.analyses == before


def test_list_results_keep_python_types():
    out = nmap(nf.is_pos, [1, -1])
    assert_same_list(out, [True, False])


def test_dispatcher_with_default_arguments():
    assert nmap(nf.with_default, [1, 2]) == [2, 5]
    assert nmap(nf.with_default, np.array([1.5])).tolist() == [3.5]


@pytest.mark.parametrize(
    "data",
    [[1, 7], [7], [1, 2, 3, 7, 8], list(range(1, 5000)), [None, 7, 1], [0] * 3000 + [14, 1]],
    ids=["second", "first", "middle", "later-chunk", "after-null", "far"],
)
def test_exception_escaping_numbas_try_is_raised_for_the_right_element(data, capfd):
    """numba does not catch some exceptions of inlined code in the chunk loop's ``try``;
    gilmap then finds the failing element itself (from the chunk's start, in index order)
    and raises numba's exception, without the 'Exception ignored' numba prints."""
    want = None
    try:
        numba_ref(nf.escapes_try, data)
    except ZeroDivisionError as exc:
        want = exc
    assert want is not None
    with pytest.raises(ZeroDivisionError):
        nmap(nf.escapes_try, data)
    with pytest.raises(ZeroDivisionError):
        nmap(nf.escapes_try, pa.array(data, pa.int64()))
    assert "Exception ignored" not in capfd.readouterr().err
    ok = [x for x in data if x is None or x % 7]
    assert same(nmap(nf.escapes_try, ok), numba_ref(nf.escapes_try, ok))
