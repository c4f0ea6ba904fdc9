"""The benchmark suite's workloads and runners (used by ``benchmarks.run``).

A *workload* is a module-level function of ``benchmarks.workloads`` plus its input
generator, its sizes, and (where one exists) its vector forms for numpy, numexpr and
``pyarrow.compute``. A *runner* maps a workload over one container (list, numpy, arrow)
in its best configuration; it is compared only with runners of the same container.
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import multiprocessing
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import gilmap

from . import workloads as w

CORES = os.cpu_count() or 1


@dataclass
class Workload:
    name: str
    func: Callable[[Any], Any]
    lane: str  # "int" | "float"
    make: Callable[[int], np.ndarray]
    sizes: list[int]
    quick_sizes: list[int]
    numpy_form: Callable[[np.ndarray], np.ndarray] | None = None
    numexpr_form: str | None = None
    arrow_form: Callable[[Any], Any] | None = None
    numba: bool = True
    picklable: bool = True  # a module-level def (process pools can ship it)
    #: vector forms that may differ from CPython in the last float bits (libm differences)
    approx_forms: bool = False
    notes: str = ""


def _pc() -> Any:
    import pyarrow.compute as pc

    return pc


def _arrow_piecewise(x: Any) -> Any:
    # The same operations in the same order as the Python function (bit-exact).
    pc = _pc()
    x3 = pc.multiply(pc.multiply(x, x), x)
    p3 = pc.multiply(pc.multiply(3.0, x), x)
    p2 = pc.multiply(pc.multiply(pc.multiply(2.0, x), x), x)
    return pc.case_when(
        pc.make_struct(pc.less(x, -1.0), pc.less(x, 0.0), pc.less(x, 1.0)),
        pc.subtract(-1.0, pc.multiply(0.5, pc.add(x, 1.0))),
        x3,
        pc.subtract(p3, p2),
        pc.add(1.0, pc.multiply(0.25, pc.subtract(x, 1.0))),
    )


def _numpy_piecewise(x: np.ndarray) -> np.ndarray:
    return np.select(
        [x < -1.0, x < 0.0, x < 1.0],
        [-1.0 - 0.5 * (x + 1.0), x * x * x, 3.0 * x * x - 2.0 * x * x * x],
        1.0 + 0.25 * (x - 1.0),
    )


def _arrow_quick_collatz(x: Any) -> Any:
    pc = _pc()
    even = pc.equal(pc.bit_wise_and(x, 1), 0)
    return pc.if_else(even, pc.shift_right(x, 1), pc.add(pc.multiply(x, 3), 1))


def _arrow_math_heavy(x: Any) -> Any:
    pc = _pc()
    ax = pc.abs(x)
    return pc.add(pc.add(pc.multiply(pc.sin(x), pc.cos(x)), pc.sqrt(ax)), pc.log1p(ax))


def _positive_ints(n: int) -> np.ndarray:
    return np.arange(1, n + 1, dtype=np.int64)


def _wide_floats(n: int) -> np.ndarray:
    return np.linspace(-1e3, 1e3, n)


def _floats_with_nan_gaps(n: int) -> np.ndarray:
    """Missing data as NaN, as pandas stores it: every tenth element."""
    x = np.linspace(-1e3, 1e3, n)
    x[::10] = np.nan
    return x


#: sizes (full, quick) of the cheap streaming workloads
_STREAM = ([1_000, 100_000, 1_000_000, 10_000_000], [1_000, 100_000])


WORKLOADS: list[Workload] = [
    Workload("count_primes", w.count_primes, "int", _positive_ints, [1_000, 10_000], [1_000]),
    Workload("heavy_collatz", w.heavy_collatz, "int", _positive_ints, [100, 1_000], [100]),
    Workload(
        "mandelbrot_iters",
        w.mandelbrot_iters,
        "float",
        lambda n: np.linspace(-2.0, 0.5, n),
        [1_000, 10_000, 100_000],
        [1_000],
    ),
    Workload(
        "medium_compute",
        w.medium_compute,
        "int",
        _positive_ints,
        [1_000, 10_000, 100_000],
        [1_000],
    ),
    Workload(
        "quick_collatz",
        w.quick_collatz,
        "int",
        _positive_ints,
        *_STREAM,
        numpy_form=lambda x: np.where(x % 2 == 0, x // 2, 3 * x + 1),
        arrow_form=_arrow_quick_collatz,
    ),
    Workload(
        "float_math",
        w.float_math,
        "float",
        _wide_floats,
        *_STREAM,
        numpy_form=lambda x: x * 1.5 + 0.5,
        numexpr_form="x * 1.5 + 0.5",
        arrow_form=lambda x: _pc().add(_pc().multiply(x, 1.5), 0.5),
    ),
    Workload(
        "nan_gaps",
        w.float_math,
        "float",
        _floats_with_nan_gaps,
        *_STREAM,
        numpy_form=lambda x: x * 1.5 + 0.5,
        numexpr_form="x * 1.5 + 0.5",
        arrow_form=lambda x: _pc().add(_pc().multiply(x, 1.5), 0.5),
        notes=(
            "float_math over data with every tenth element NaN: gilmap's JIT leaves NaN results "
            "to CPython (their sign is CPython's), so those elements run at CPython's speed"
        ),
    ),
    Workload(
        "math_heavy",
        w.math_heavy,
        "float",
        _wide_floats,
        [1_000, 100_000, 1_000_000],
        [1_000],
        numpy_form=lambda x: np.sin(x) * np.cos(x) + np.sqrt(np.abs(x)) + np.log1p(np.abs(x)),
        numexpr_form="sin(x) * cos(x) + sqrt(abs(x)) + log1p(abs(x))",
        arrow_form=_arrow_math_heavy,
        approx_forms=True,
    ),
    Workload(
        "piecewise",
        w.piecewise,
        "float",
        lambda n: np.linspace(-3.0, 3.0, n),
        *_STREAM,
        numpy_form=_numpy_piecewise,
        numexpr_form=(
            "where(x < -1.0, -1.0 - 0.5 * (x + 1.0), where(x < 0.0, x * x * x, "
            "where(x < 1.0, 3.0 * x * x - 2.0 * x * x * x, 1.0 + 0.25 * (x - 1.0))))"
        ),
        arrow_form=_arrow_piecewise,
    ),
    Workload(
        "heavy_python",
        w.heavy_python,
        "int",
        _positive_ints,
        [1_000, 10_000, 100_000],
        [1_000],
        numba=False,
        notes=(
            "strings and dicts: only processes and gilmap's sub-interpreter pool run it in parallel"
        ),
    ),
    Workload(
        "scaled_closure",
        w.scaled,
        "float",
        _wide_floats,
        *_STREAM,
        numpy_form=lambda x: x * 2.5 + 1.0,
        numexpr_form="x * 2.5 + 1.0",
        arrow_form=lambda x: _pc().add(_pc().multiply(x, 2.5), 1.0),
        picklable=False,
        notes="a closure (lambda x: x * k + 1.0): process pools cannot pickle it",
    ),
]


# ------------------------------------------------------------------------- runners


@dataclass
class Runner:
    name: str
    container: str  # "list" | "numpy" | "arrow"
    #: ``setup(workload) -> call(data)`` or None when the runner does not apply
    setup: Callable[[Workload], Callable[[Any], Any] | None]
    #: larger inputs are skipped (process pools ship every element through pickling)
    max_size: int = 10**9
    approx: bool = False  # a vector form: floats compared to 1e-9 relative
    teardown: list[Callable[[], None]] = field(default_factory=list)


def _chunksize(n: int) -> int:
    return max(1, n // (CORES * 4))


class _Pools:
    """Process and thread pools, started once for the whole run (their start-up is
    measured separately as the first call)."""

    def __init__(self) -> None:
        self.mp: Any = None
        self.ppe: Any = None
        self.tpe: Any = None

    def get_mp(self) -> Any:
        if self.mp is None:
            self.mp = multiprocessing.get_context("forkserver").Pool(CORES)
        return self.mp

    def get_ppe(self) -> Any:
        if self.ppe is None:
            ctx = multiprocessing.get_context("forkserver")
            self.ppe = cf.ProcessPoolExecutor(CORES, mp_context=ctx)
        return self.ppe

    def get_tpe(self) -> Any:
        if self.tpe is None:
            self.tpe = cf.ThreadPoolExecutor(CORES)
        return self.tpe

    def close(self) -> None:
        if self.mp is not None:
            self.mp.terminate()
        if self.ppe is not None:
            self.ppe.shutdown(cancel_futures=True)
        if self.tpe is not None:
            self.tpe.shutdown()


POOLS = _Pools()


def _numba_funcs(wl: Workload) -> tuple[Any, Any] | None:
    """``(vectorize(parallel), njit(parallel) prange loop)`` for the workload, or None."""
    if not wl.numba:
        return None
    import numba

    sample = wl.make(3)[1].item()
    ret = wl.func(sample)
    in_sig = "i8" if wl.lane == "int" else "f8"
    out_sig = "f8" if isinstance(ret, float) else ("b1" if isinstance(ret, bool) else "i8")
    vec = numba.vectorize([f"{out_sig}({in_sig})"], target="parallel")(wl.func)
    fj = numba.njit(wl.func)
    out_dtype = {"f8": np.float64, "b1": np.bool_, "i8": np.int64}[out_sig]

    @numba.njit(parallel=True)
    def prange_map(x):  # pragma: no cover - compiled by numba
        out = np.empty(len(x), out_dtype)
        for i in numba.prange(len(x)):
            out[i] = fj(x[i])
        return out

    return vec, prange_map


_NUMBA_CACHE: dict[str, Any] = {}


def _numba_for(wl: Workload) -> tuple[Any, Any] | None:
    if wl.name not in _NUMBA_CACHE:
        try:
            _NUMBA_CACHE[wl.name] = _numba_funcs(wl)
        except Exception:  # numba cannot compile it: the runner does not apply
            _NUMBA_CACHE[wl.name] = None
    return _NUMBA_CACHE[wl.name]


def _list_numba(kind: int) -> Callable[[Workload], Any]:
    def setup(wl: Workload) -> Any:
        fns = _numba_for(wl)
        if fns is None:
            return None
        f = fns[kind]
        dtype = np.int64 if wl.lane == "int" else np.float64
        return lambda xs: f(np.array(xs, dtype=dtype)).tolist()

    return setup


def _array_numba(kind: int, arrow: bool) -> Callable[[Workload], Any]:
    def setup(wl: Workload) -> Any:
        fns = _numba_for(wl)
        if fns is None:
            return None
        f = fns[kind]
        if not arrow:
            return f
        import pyarrow as pa

        return lambda a: pa.array(f(a.to_numpy(zero_copy_only=True)))

    return setup


def _joblib_setup(wl: Workload) -> Any:
    try:
        import joblib
    except ImportError:
        return None
    if not wl.picklable:
        return None
    par = joblib.Parallel(n_jobs=CORES, backend="loky", batch_size="auto")
    f = wl.func
    return lambda xs: par(joblib.delayed(f)(x) for x in xs)


def _tpe_setup(wl: Workload) -> Any:
    f = wl.func

    def run(xs: list) -> list:
        # ThreadPoolExecutor.map ignores chunksize (a future per element): submit chunks.
        step = _chunksize(len(xs))
        parts = [xs[i : i + step] for i in range(0, len(xs), step)]
        out: list = []
        for part in POOLS.get_tpe().map(lambda p: list(map(f, p)), parts):
            out.extend(part)
        return out

    return run


def _mp_setup(wl: Workload) -> Any:
    if not wl.picklable:
        return None
    f = wl.func
    return lambda xs: POOLS.get_mp().map(f, xs, chunksize=_chunksize(len(xs)))


def _ppe_setup(wl: Workload) -> Any:
    if not wl.picklable:
        return None
    f = wl.func
    return lambda xs: list(POOLS.get_ppe().map(f, xs, chunksize=_chunksize(len(xs))))


def _numexpr_setup(wl: Workload) -> Any:
    if wl.numexpr_form is None:
        return None
    try:
        import numexpr
    except ImportError:
        return None
    expr = wl.numexpr_form
    return lambda x: numexpr.evaluate(expr, local_dict={"x": x})


def _gilmap_setup(wl: Workload) -> Any:
    f = wl.func
    return lambda data: gilmap.map(f, data)


RUNNERS: list[Runner] = [
    Runner("list(map)", "list", lambda wl: lambda xs, f=wl.func: list(map(f, xs))),
    Runner("multiprocessing.Pool", "list", _mp_setup, max_size=1_000_000),
    Runner("ProcessPoolExecutor", "list", _ppe_setup, max_size=1_000_000),
    Runner("ThreadPoolExecutor", "list", _tpe_setup, max_size=1_000_000),
    Runner("joblib(loky)", "list", _joblib_setup, max_size=100_000),
    Runner("numba vectorize(parallel)", "list", _list_numba(0)),
    Runner("numba njit(parallel)+prange", "list", _list_numba(1)),
    Runner("gilmap", "list", _gilmap_setup),
    Runner("numpy", "numpy", lambda wl: wl.numpy_form, approx=True),
    Runner("numexpr", "numpy", _numexpr_setup, approx=True),
    Runner("numba vectorize(parallel)", "numpy", _array_numba(0, False)),
    Runner("numba njit(parallel)+prange", "numpy", _array_numba(1, False)),
    Runner("gilmap", "numpy", _gilmap_setup),
    Runner("pyarrow.compute", "arrow", lambda wl: wl.arrow_form, approx=True),
    Runner("numba vectorize(parallel)", "arrow", _array_numba(0, True)),
    Runner("gilmap", "arrow", _gilmap_setup),
]


def to_list(out: Any) -> list[Any]:
    if isinstance(out, list):
        return out
    if isinstance(out, np.ndarray):
        return out.tolist()
    if hasattr(out, "to_pylist"):
        return out.to_pylist()
    return list(out)


def matches(got: list[Any], want: list[Any], approx: bool) -> bool:
    """Exact for ints and bools; floats bit-for-bit (nan equal to nan), or within 1e-9
    relative for a vector-form peer."""
    if len(got) != len(want):
        return False
    for g, x in zip(got, want, strict=True):
        if isinstance(x, float) or isinstance(g, float):
            g, x = float(g), float(x)
            if math.isnan(x) or math.isnan(g):
                if not (math.isnan(x) and math.isnan(g)):
                    return False
            elif approx:
                if not math.isclose(g, x, rel_tol=1e-9, abs_tol=1e-300):
                    return False
            elif g != x or math.copysign(1.0, g) != math.copysign(1.0, x):
                return False
        elif g != x or (type(g) is bool) != (type(x) is bool):
            return False
    return True
