"""The JIT issue's performance figures, measured like with like.

- Array in / array out (numpy float64 or int64): gilmap.map against numba's
  ``@vectorize(target="parallel")`` on the same data (NUMBA_THREADING_LAYER=workqueue,
  set below before numba is imported) for loop, branchy and arithmetic workloads.
- Streaming ``x * 1.5 + 0.5`` over 10M float64 against a parallel copy of the same bytes
  (numpy copy split over two threads) and numpy's vector form.
- Compile latency of a new small function; overhead of a repeat call on 10 elements.
- List in / list out against ``list(map(f, xs))`` on 1M floats and 1M ints.

    python -m benchmarks.jit_vs_numba [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")

import numpy as np  # noqa: E402

import gilmap  # noqa: E402

from . import workloads as w  # noqa: E402


def best(fn: Callable[[], Any], repeats: int) -> float:
    """Best wall time of ``fn()``; freeing its result is not timed (it is the same work
    whichever runner built the result)."""
    b = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        b = min(b, time.perf_counter() - t0)
        del out
    return b


def alternate(
    a: Callable[[], Any], b: Callable[[], Any], repeats: int
) -> tuple[list[float], list[float]]:
    """Wall times of ``a()`` and ``b()`` run alternately (machine noise hits both alike)."""
    ta, tb = [], []
    for _ in range(repeats):
        for fn, ts in ((a, ta), (b, tb)):
            t0 = time.perf_counter()
            out = fn()
            ts.append(time.perf_counter() - t0)
            del out
    return ta, tb


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")


def parallel_copy(src: np.ndarray, dst: np.ndarray, threads: int = 2) -> None:
    n = len(src)
    step = n // threads

    def part(i: int) -> None:
        lo, hi = i * step, n if i == threads - 1 else (i + 1) * step
        np.copyto(dst[lo:hi], src[lo:hi])

    ts = [threading.Thread(target=part, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


WORKLOADS: list[tuple[str, Callable[[Any], Any], str, Callable[[int], np.ndarray]]] = [
    ("collatz_steps", w.collatz_steps, "i8", lambda n: np.arange(1, n + 1, dtype=np.int64)),
    ("is_prime", w.is_prime, "i8", lambda n: np.arange(n, dtype=np.int64)),
    ("logistic", w.logistic, "f8", lambda n: np.linspace(0.01, 0.99, n)),
    ("mandelbrot_iters", w.mandelbrot_iters, "f8", lambda n: np.linspace(-2.0, 0.5, n)),
    ("piecewise", w.piecewise, "f8", lambda n: np.linspace(-3.0, 3.0, n)),
    ("float_math", w.float_math, "f8", lambda n: np.linspace(-1e3, 1e3, n)),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    reps = 3 if args.quick else 9
    n = 200_000 if args.quick else 2_000_000
    try:
        import numba
    except ImportError:
        numba = None
    print(
        f"gilmap {gilmap.__version__}; numba {getattr(numba, '__version__', 'absent')} "
        f"(threading layer {os.environ['NUMBA_THREADING_LAYER']}); {os.cpu_count()} cores"
    )
    print(f"\narray in/array out, n={n:,}, {reps} alternating runs each (best / median ms)")
    print(f"{'workload':<18}{'gilmap':>17}{'numba':>17}{'ratio(best)':>12}  exact")
    for name, fn, sig, make in WORKLOADS:
        xs = make(n)
        assert gilmap.explain(fn, dtype=xs.dtype)["backend"] == "jit", name
        gilmap.map(fn, xs[:10])
        out = gilmap.map(fn, xs)
        ref = np.array(list(map(fn, xs[:2000].tolist())))
        exact = same(out[:2000], ref)
        del out
        if numba is None:
            t_g = best(lambda fn=fn, xs=xs: gilmap.map(fn, xs), reps)
            print(f"{name:<18}{t_g * 1e3:>17.2f}{'-':>17}{'-':>12}  {exact}")
            continue
        ret = (
            "f8"
            if isinstance(fn(xs[1].item()), float)
            else ("b1" if isinstance(fn(xs[1].item()), bool) else "i8")
        )
        vec = numba.vectorize([f"{ret}({sig})"], target="parallel")(fn)
        vec(xs[:10])
        tg, tn = alternate(
            lambda fn=fn, xs=xs: gilmap.map(fn, xs), lambda v=vec, xs=xs: v(xs), reps
        )
        print(
            f"{name:<18}{min(tg) * 1e3:>8.2f} /{statistics.median(tg) * 1e3:>7.2f}"
            f"{min(tn) * 1e3:>8.2f} /{statistics.median(tn) * 1e3:>7.2f}"
            f"{min(tn) / min(tg):>12.2f}  {exact}"
        )

    big = np.arange(10_000_000, dtype=np.float64)
    aff = w.float_math
    gilmap.map(aff, big[:10])
    dst = np.empty_like(big)
    t_g = best(lambda: gilmap.map(aff, big), reps)
    t_c = best(lambda: parallel_copy(big, dst), reps)
    t_cf = best(lambda: parallel_copy(big, np.empty_like(big)), reps)
    t_np = best(lambda: big * 1.5 + 0.5, reps)
    print(
        f"\nx*1.5+0.5 on 10M float64: gilmap {t_g * 1e3:.1f} ms (new output array); parallel "
        f"copy into a new array {t_cf * 1e3:.1f} ms (ratio {t_g / t_cf:.2f}), into an existing "
        f"one {t_c * 1e3:.1f} ms (ratio {t_g / t_c:.2f}); numpy {t_np * 1e3:.1f} ms"
    )

    lat = []
    for k in range(10):
        ns: dict[str, Any] = {}
        exec(f"def fresh(x):\n    return x * {k + 3} - {k}.25 if x > 0 else -x\n", ns)
        t0 = time.perf_counter()
        gilmap.explain(ns["fresh"], dtype=float)
        lat.append(time.perf_counter() - t0)
    print(f"compile latency of a new small function: median {sorted(lat)[5] * 1e3:.1f} ms")

    small = [1.5] * 10
    gilmap.map(aff, small)
    per = best(lambda: [gilmap.map(aff, small) for _ in range(2000)], reps) / 2000
    print(f"repeat call on a 10-element list: {per * 1e6:.1f} µs")

    for label, fn, xs in (
        ("x*1.5+0.5, 1M floats", w.float_math, [i * 0.25 for i in range(1_000_000)]),
        ("x*3+1, 1M ints", w.int_affine, list(range(1_000_000))),
    ):
        gilmap.map(fn, xs[:10])
        t_l = best(lambda fn=fn, xs=xs: list(map(fn, xs)), reps)
        t_g = best(lambda fn=fn, xs=xs: gilmap.map(fn, xs), reps)
        assert gilmap.map(fn, xs) == list(map(fn, xs))
        print(
            f"list in/list out {label}: list(map) {t_l * 1e3:.1f} ms, gilmap {t_g * 1e3:.1f} ms, "
            f"x{t_l / t_g:.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
