"""The error model (README, "Error model"), row by row, for the subinterp backend."""

from __future__ import annotations

import sys
import textwrap

import gm_funcs as g
import gm_imports_gilmap
import gm_numpy_user
import numpy as np
import pyarrow as pa
import pytest
from conftest import run_python

import gilmap
import gilmap.backends.subinterp

HOW_TO_FIX = "top level of an importable module"


def assert_subinterp(func) -> None:
    """The function under test is routed to the sub-interpreter pool in both lanes."""
    info = gilmap.explain(func)
    assert info["backend"] == "subinterp", info
    assert all(d["backend"] == "subinterp" for d in info["lanes"].values()), info


def assert_pool_works() -> None:
    """The next call after a failure works normally."""
    data = list(range(-500, 500))
    assert gilmap.map(g.floordiv7, data) == list(map(g.floordiv7, data))


# ------------------------------------------------------------------ TypeError


@pytest.mark.parametrize("not_callable", [5, "gm_funcs.affine", None, [g.affine]])
def test_non_callable_is_a_type_error(not_callable):
    with pytest.raises(TypeError, match="callable"):
        gilmap.map(not_callable, [1, 2])
    with pytest.raises(TypeError, match="callable"):
        gilmap.explain(not_callable)


def test_non_number_result_is_a_type_error_naming_the_index(capfd):
    assert_subinterp(g.str_at_seven)
    # Works where func returns numbers, on the subinterp backend.
    assert gilmap.map(g.str_at_seven, [1, 2], debug=True) == [1, 2]
    assert "backend=subinterp" in capfd.readouterr().err
    # A list holds what f returned (list(map)'s answer); an array needs numbers.
    assert gilmap.map(g.str_at_seven, list(range(20))) == list(map(g.str_at_seven, range(20)))
    with pytest.raises(TypeError, match=r"returned str for element 7\b") as info:
        gilmap.map(g.str_at_seven, np.arange(20))
    assert not isinstance(info.value, gilmap.WorkerError)
    with pytest.raises(TypeError, match=r"returned NoneType for element 2\b"):
        gilmap.map(g.none_at_two, np.arange(5))
    with pytest.raises(TypeError, match=r"element 3\b"):
        gilmap.map(g.str_at_seven, pa.array([None, 1, None, 7, 7], type=pa.int64()))
    assert_pool_works()


# ------------------------------------------------------------------ ValueError: not importable


def test_lambda_is_rejected_with_value_error_before_any_work():
    calls = []

    def record(x):
        calls.append(x)
        return x

    f = lambda x: record(x)  # noqa: E731 - a lambda is the point of the test
    info = gilmap.explain(f)
    assert info["backend"] is None
    assert "lambda" in info["rejected"]["subinterp"]
    with pytest.raises(ValueError, match="lambda") as err:
        gilmap.map(f, [1, 2, 3])
    assert HOW_TO_FIX in str(err.value)
    assert calls == []


def test_locals_function_is_rejected_with_value_error():
    def inner(x):
        return x + 1

    assert "<locals>" in inner.__qualname__
    assert gilmap.explain(inner)["backend"] is None
    with pytest.raises(ValueError, match="defined inside a function") as err:
        gilmap.map(inner, np.arange(3))
    assert HOW_TO_FIX in str(err.value)
    assert "inner" in str(err.value)


def test_main_function_is_rejected_with_value_error():
    namespace = {"__name__": "__main__"}
    exec("def in_main(x):\n    return x * 2\n", namespace)
    f = namespace["in_main"]
    assert f.__module__ == "__main__"
    assert gilmap.explain(f)["backend"] is None
    with pytest.raises(ValueError, match="__main__") as err:
        gilmap.map(f, [1.0])
    assert HOW_TO_FIX in str(err.value)


def test_rejections_happen_before_the_pool_starts():
    # In a fresh process: each rejected function raises ValueError and no worker is started.
    code = textwrap.dedent(
        """
        import gilmap
        from gilmap import _gilmap

        def main_func(x):
            return x

        def outer():
            def inner(x):
                return x
            return inner

        for f in (lambda x: x, outer(), main_func):
            try:
                gilmap.map(f, [1, 2, 3])
            except ValueError as e:
                print("ValueError", type(f).__name__, "top level" in str(e))
            else:
                print("NO ERROR")
        print("pool_running", _gilmap.pool_running())
        """
    )
    proc = run_python(code)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines == ["ValueError function True"] * 3 + ["pool_running False"], proc.stdout


def test_module_attribute_that_is_not_the_function_is_rejected():
    # A function whose module/qualname does not lead back to it (rebound name): the workers
    # would import another object, so it must not be run.
    namespace = {"__name__": "gm_funcs"}
    exec("def affine(x):\n    return -1\n", namespace)
    impostor = namespace["affine"]
    assert impostor.__module__ == "gm_funcs" and impostor is not g.affine
    assert gilmap.explain(impostor)["backend"] is None
    with pytest.raises(ValueError, match="does not name this object"):
        gilmap.map(impostor, [1, 2])


# ------------------------------------------------------------------ worker exceptions


def test_worker_exception_is_runtime_error_and_original_type():
    assert_subinterp(g.reciprocal)
    data = [1, 2, 0, 4]
    with pytest.raises(RuntimeError) as info:
        gilmap.map(g.reciprocal, data)
    err = info.value
    assert isinstance(err, ZeroDivisionError)
    assert isinstance(err, gilmap.WorkerError)
    assert err.index == 2
    assert err.exc_type == "ZeroDivisionError"
    assert "division by zero" in err.exc_message
    assert "element 2" in str(err)
    # The worker's traceback names the user's function and file.
    tb = err.worker_traceback
    assert "Traceback (most recent call last)" in tb
    assert "gm_funcs.py" in tb and "in reciprocal" in tb
    assert "ZeroDivisionError: division by zero" in tb
    assert "Worker traceback" in str(err) and "in reciprocal" in str(err)
    # Both except forms work.
    with pytest.raises(ZeroDivisionError):
        gilmap.map(g.reciprocal, data)
    try:
        gilmap.map(g.reciprocal, np.array([1.0, 0.0]))
    except ZeroDivisionError as e:
        caught = e
    assert isinstance(caught, RuntimeError) and caught.index == 1
    assert_pool_works()


def test_lowest_failing_index_wins():
    # Elements 3 and 50000 fail; element 3 fails last (after a long computation) and with
    # another exception type. CPython's map raises for element 3 first.
    assert_subinterp(g.fail_low_late_high_early)
    data = list(range(60_000))
    with pytest.raises(RuntimeError) as info:
        gilmap.map(g.fail_low_late_high_early, data)
    err = info.value
    assert err.index == 3, str(err)
    assert isinstance(err, ValueError) and not isinstance(err, ZeroDivisionError)
    assert "element three is invalid" in str(err)
    # The same on an ndarray and with two cheap failures.
    arr = np.ones(60_000, dtype=np.int64)
    arr[3] = 0
    arr[50_000] = 0
    with pytest.raises(ZeroDivisionError) as info:
        gilmap.map(g.reciprocal, arr)
    assert info.value.index == 3
    assert_pool_works()


def test_many_failures_still_report_the_first():
    assert_subinterp(g.hundred_div)
    data = [i % 3 for i in range(1, 30_001)]  # 0 at index 2, 5, 8, ...
    with pytest.raises(ZeroDivisionError) as info:
        gilmap.map(g.hundred_div, data)
    assert info.value.index == 2


def test_no_partial_result_and_next_call_works():
    assert_subinterp(g.hundred_div)
    data = list(range(1, 5000)) + [0]
    result = "untouched"
    with pytest.raises(ZeroDivisionError):
        result = gilmap.map(g.hundred_div, data)
    assert result == "untouched"
    # Same function, good data: full, exact result (nothing left over from the failure).
    good = list(range(1, 5000))
    assert gilmap.map(g.hundred_div, good) == list(map(g.hundred_div, good))
    assert_pool_works()


def test_user_defined_exception_class_is_kept():
    assert_subinterp(g.raise_gm_error)
    with pytest.raises(g.GmError) as info:
        gilmap.map(g.raise_gm_error, [1, 2, 3, 4, 5, 4])
    err = info.value
    assert isinstance(err, RuntimeError) and isinstance(err, gilmap.WorkerError)
    assert err.index == 3
    assert err.exc_type == "gm_funcs.GmError"
    assert "bad input 4" in str(err)
    assert "GmError: bad input 4" in err.worker_traceback
    assert_pool_works()


@pytest.mark.parametrize(
    "x, exc_type",
    [
        (1, KeyError),
        (2, FileNotFoundError),
        (3, OverflowError),
        (4, AttributeError),
        (5, IndexError),
        (6, ValueError),
        (7, ArithmeticError),
    ],
)
def test_builtin_exception_types_are_kept(x, exc_type):
    assert_subinterp(g.raise_builtin)
    try:
        g.raise_builtin(x)
    except Exception as e:
        assert type(e) is exc_type  # the reference: what CPython raises in this process
    with pytest.raises(exc_type) as info:
        gilmap.map(g.raise_builtin, [0, 0, x, 0])
    assert isinstance(info.value, RuntimeError) and isinstance(info.value, gilmap.WorkerError)
    assert info.value.index == 2
    assert exc_type.__name__ in info.value.worker_traceback


def test_user_exception_with_custom_constructor_is_kept():
    assert_subinterp(g.raise_gm_args_error)
    with pytest.raises(g.GmArgsError) as info:
        gilmap.map(g.raise_gm_args_error, [3, 2, 1, 0, -1, -2])
    assert isinstance(info.value, RuntimeError)
    assert info.value.index == 4
    assert "negative" in str(info.value)
    assert_pool_works()


def test_builtin_function_raising_in_worker():
    # math.sqrt runs in the workers too (module math, qualname sqrt).
    import math

    assert_subinterp(math.sqrt)
    assert gilmap.map(math.sqrt, [4.0, 2.0]) == [2.0, math.sqrt(2.0)]
    with pytest.raises(ValueError) as info:
        gilmap.map(math.sqrt, [4.0, -1.0])
    assert isinstance(info.value, RuntimeError) and info.value.index == 1


def test_module_importing_numpy_gives_runtime_error_saying_so():
    assert_subinterp(gm_numpy_user.plus_one)
    assert gm_numpy_user.plus_one(1) == 2  # fine in the main interpreter
    with pytest.raises(RuntimeError) as info:
        gilmap.map(gm_numpy_user.plus_one, [1, 2, 3])
    err = info.value
    first_line = str(err).splitlines()[0]
    assert "could not import gm_numpy_user.plus_one" in first_line
    assert "sub-interpreter" in first_line
    text = str(err)
    assert "does not support loading in subinterpreters" in text
    assert "numpy" in text
    assert err.index is None
    assert_pool_works()


def test_module_importing_gilmap_works_in_workers():
    # The worker imports gm_imports_gilmap, which imports gilmap (whose native part cannot
    # load in a sub-interpreter): the import must still succeed.
    assert_subinterp(gm_imports_gilmap.triple)
    assert gilmap.map(gm_imports_gilmap.triple, [1, 2, 3]) == [3, 6, 9]
    with pytest.raises(RuntimeError, match="inside a gilmap sub-interpreter worker"):
        gilmap.map(gm_imports_gilmap.call_gilmap_inside, [1])
    assert_pool_works()


def test_free_threaded_build_is_refused(monkeypatch):
    assert_subinterp(g.affine)
    monkeypatch.setattr(gilmap.backends.subinterp, "free_threaded", lambda: True)
    with pytest.raises(RuntimeError, match="free-threaded"):
        gilmap.map(g.affine, [1, 2, 3])
    monkeypatch.undo()
    assert gilmap.map(g.affine, [1, 2, 3]) == [4, 7, 10]


def test_this_build_has_the_gil():
    # The suite runs on GIL-enabled builds (where the subinterp backend applies).
    assert not gilmap.backends.subinterp.free_threaded()
    assert getattr(sys, "_is_gil_enabled", lambda: True)()
