"""The router: one decision per (func, lane), cached weakly; explain(); debug output."""

from __future__ import annotations

import gc
import importlib
import math
import sys
import uuid
import weakref

import gm_funcs as g
import numpy as np
import pyarrow as pa
import pytest

import gilmap
import gilmap._gilmap


def test_version_matches_the_extension():
    assert gilmap.__version__ == gilmap._gilmap.__version__
    assert isinstance(gilmap.__version__, str) and gilmap.__version__.count(".") >= 2


def test_decision_is_cached_per_func_and_lane(router):
    router.clear()
    start = router.analyses
    ints, floats = [1, 2, 3], [1.5, 2.5]
    assert gilmap.map(g.tf1, ints) == [2, 4, 6]
    assert router.analyses == start + 1
    for _ in range(5):
        gilmap.map(g.tf1, ints)
        gilmap.map(g.tf1, np.arange(4))
        gilmap.map(g.tf1, pa.array([1, None], type=pa.int64()))
    assert router.analyses == start + 1, "a repeat call on the int64 lane re-analysed tf1"
    assert gilmap.map(g.tf1, floats) == [3.0, 5.0]
    assert router.analyses == start + 2
    gilmap.map(g.tf1, np.array([1.0], dtype=np.float32))
    gilmap.explain(g.tf1)  # both lanes already decided
    gilmap.explain(g.tf1, dtype=float)
    assert router.analyses == start + 2
    gilmap.explain(g.tf2)  # a new function: one analysis per lane
    assert router.analyses == start + 4


def test_cache_does_not_keep_functions_alive(router, tmp_path, monkeypatch):
    name = f"gm_tmp_weak_{uuid.uuid4().hex}"
    (tmp_path / f"{name}.py").write_text("def f(x):\n    return x - 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module(name)
    assert gilmap.map(module.f, [1, 2]) == [0, 1]  # also: workers use the caller's sys.path
    assert gilmap.explain(module.f)["backend"] == "subinterp"
    ref = weakref.ref(module.f)
    del sys.modules[name], module
    gc.collect()
    assert ref() is None, "the router's cache holds a strong reference to func"


def test_builtin_abs_runs_in_the_workers(router):
    info = gilmap.explain(abs)
    assert info["backend"] == "subinterp"  # builtins.abs is importable by name
    out = gilmap.map(abs, [-3, 4])
    assert out == [3, 4] and [type(v) for v in out] == [int, int]
    assert gilmap.map(abs, [-0.5, 2.0]) == [0.5, 2.0]
    # abs(INT64_MIN) is beyond int64: exact in a list.
    assert gilmap.map(abs, [-(2**63)]) == [2**63]
    before = router.analyses
    gilmap.map(abs, [1])
    assert router.analyses == before  # builtins are weakly referenceable: cached


def test_non_weakrefable_callable_still_works_uncached(router):
    f = g.times5_minus1
    with pytest.raises(TypeError):
        weakref.ref(f)
    assert gilmap.explain(f)["backend"] == "subinterp"
    data = [1, -2, 3.5, None]
    for _ in range(3):
        before = router.analyses
        assert gilmap.map(f, data) == [4, -11, 16.5, None]
        assert router.analyses == before + 1  # not cached, analysed again, still correct


def test_builtin_method_descriptor_runs():
    # int.bit_length cannot be weakly referenced and has no __module__, but it is reachable
    # by name (builtins.int.bit_length); list(map(int.bit_length, xs)) works in Python.
    with pytest.raises(TypeError):
        weakref.ref(int.bit_length)
    data = [0, 1, 255, -(2**40)]
    assert gilmap.explain(int.bit_length)["backend"] == "subinterp"
    assert gilmap.map(int.bit_length, data) == list(map(int.bit_length, data))


def test_builtin_types_as_functions():
    data = [1.5, -2.5, 0.0, 3.9]
    for f in (int, float, bool, round):
        out = gilmap.map(f, data)
        assert [(type(v), v) for v in out] == [(type(v), v) for v in map(f, data)], f
    assert gilmap.map(math.floor, [1.5, -1.5]) == [1, -2]


def test_callable_without_qualname_is_rejected_clearly():
    class Scale:
        def __call__(self, x):
            return 2 * x

    info = gilmap.explain(Scale())
    assert info["backend"] is None
    assert "subinterp" in info["rejected"]
    with pytest.raises(ValueError, match="top level of an importable module"):
        gilmap.map(Scale(), [1, 2])


def test_explain_keys_and_lanes():
    info = gilmap.explain(g.affine)
    assert {"backend", "reason", "has_fast_path", "rejected", "lanes"} <= set(info)
    assert info["backend"] == "subinterp"
    assert info["has_fast_path"] is False
    assert "gm_funcs.affine" in info["reason"]
    assert set(info["lanes"]) == {"int64", "float64"}
    for lane in info["lanes"].values():
        assert lane["backend"] == "subinterp" and lane["has_fast_path"] is False


@pytest.mark.parametrize(
    "dtype, lane",
    [
        (int, "int64"),
        (bool, "bool"),
        (float, "float64"),
        ("int64", "int64"),
        ("float64", "float64"),
        (np.dtype("int8"), "int64"),
        (np.dtype("uint16"), "int64"),
        (np.dtype("bool"), "bool"),
        (np.dtype("float32"), "float64"),
        (np.dtype("float16"), "float64"),
        (pa.int32(), "int64"),
        (pa.float64(), "float64"),
        (pa.float16(), "float64"),
        (pa.bool_(), "bool"),
    ],
)
def test_explain_dtype_selects_the_lane(dtype, lane):
    info = gilmap.explain(g.affine, dtype=dtype)
    assert list(info["lanes"]) == [lane]
    assert info["backend"] == "subinterp"


def test_explain_accepts_numpy_scalar_types_as_dtype():
    # numpy accepts its scalar types wherever a dtype is expected (np.zeros(3, np.float32)).
    cases = [(np.int8, "int64"), (np.uint64, "int64"), (np.bool_, "bool"), (np.float32, "float64")]
    for dtype, lane in cases:
        assert list(gilmap.explain(g.affine, dtype=dtype)["lanes"]) == [lane], dtype


@pytest.mark.parametrize("dtype", ["string", complex, pa.string(), np.dtype("complex128")])
def test_explain_rejects_non_numeric_dtypes(dtype):
    with pytest.raises(ValueError, match="dtype"):
        gilmap.explain(g.affine, dtype=dtype)


def test_explain_rejected_function_says_why():
    info = gilmap.explain(lambda x: x, dtype=int)
    assert info["backend"] is None
    assert "lambda" in info["reason"]
    assert info["rejected"]["subinterp"] == info["reason"]


def test_priority_order_and_every_passed_over_backend_says_why():
    from gilmap._api import router

    assert [b.name for b in router.backends] == ["numba_native", "jit", "arrow_kernel", "subinterp"]
    info = gilmap.explain(g.affine, dtype=int)
    assert info["backend"] == "subinterp"
    assert list(info["rejected"]) == ["numba_native", "jit", "arrow_kernel"]
    assert "not a numba" in info["rejected"]["numba_native"]
    assert "GILMAP_JIT=0" in info["rejected"]["jit"]
    assert "GILMAP_ARROW=0" in info["rejected"]["arrow_kernel"]


def test_explain_does_not_run_func(tmp_path, monkeypatch):
    # A function with a side effect in the main interpreter: explain must not call it.
    name = f"gm_tmp_explain_{uuid.uuid4().hex}"
    (tmp_path / f"{name}.py").write_text(
        "calls = []\ndef f(x):\n    calls.append(x)\n    return x\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module(name)
    gilmap.explain(module.f)
    gilmap.explain(module.f, dtype=float)
    assert module.calls == []


# ------------------------------------------------------------------ debug output


def debug_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("gilmap:")]


def check_debug_line(line: str, *, lane: str, n: int) -> None:
    assert "backend=subinterp" in line
    assert "reason=" in line and "sub-interpreter pool" in line
    assert f"lane={lane}" in line
    assert f"n={n} " in line
    for part in ("compile=", "run="):
        assert part in line and "ms" in line.split(part, 1)[1].split()[0]


def test_debug_true_prints_one_line(capfd):
    gilmap.map(g.affine, [1, 2, 3, 4, 5], debug=True)
    lines = debug_lines(capfd.readouterr().err)
    assert len(lines) == 1, lines
    check_debug_line(lines[0], lane="int64", n=5)
    gilmap.map(g.affine, np.arange(7.0), debug=True)
    (line,) = debug_lines(capfd.readouterr().err)
    check_debug_line(line, lane="float64", n=7)
    gilmap.map(g.affine, [1, 2, 3])
    assert debug_lines(capfd.readouterr().err) == []


def test_gilmap_debug_env_prints_one_line_per_call(capfd, monkeypatch):
    monkeypatch.setenv("GILMAP_DEBUG", "1")
    gilmap.map(g.affine, [1.5, 2.5])
    gilmap.map(g.affine, pa.chunked_array([[1, 2], [3]], type=pa.int64()))
    lines = debug_lines(capfd.readouterr().err)
    assert len(lines) == 2, lines
    check_debug_line(lines[0], lane="float64", n=2)
    check_debug_line(lines[1], lane="int64", n=3)
    monkeypatch.setenv("GILMAP_DEBUG", "0")
    gilmap.map(g.affine, [1])
    assert debug_lines(capfd.readouterr().err) == []


def test_debug_line_is_printed_for_a_failing_call_too(capfd):
    # The debug line says which backend ran the call; that matters most when it fails.
    with pytest.raises(ZeroDivisionError):
        gilmap.map(g.reciprocal, [1.0, 0.0, 2.0], debug=True)
    lines = debug_lines(capfd.readouterr().err)
    assert len(lines) == 1, lines
    check_debug_line(lines[0], lane="float64", n=3)
