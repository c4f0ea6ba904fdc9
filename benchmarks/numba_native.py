"""numba_native: a numba ``@njit`` function through ``gilmap.map`` against numba's own
``@vectorize(target="parallel")`` of the same Python function, on the same 10M float64
(NUMBA_THREADING_LAYER=workqueue, set before numba is imported). Both allocate a new
output array per call. Runs alternate, so machine noise hits both alike; best and median
of ``--repeats`` are printed.

    python -m benchmarks.numba_native [--quick] [--repeats N]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time

os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")

import numpy as np  # noqa: E402

import gilmap  # noqa: E402


def affine(x):
    return x * 1.5 + 0.5


def trig(x):
    return math.sin(x) * math.cos(x) + math.sqrt(abs(x))


def poly_branch(x):
    if x < 0.0:
        return x * x - 1.0
    return 3.0 * x + 2.0


def logistic(x):
    r = 3.7
    for _ in range(50):
        x = r * x * (1.0 - x)
    return x


WORKLOADS = [
    ("affine", affine, lambda n: np.linspace(-1e3, 1e3, n)),
    ("trig", trig, lambda n: np.linspace(-1e3, 1e3, n)),
    ("poly_branch", poly_branch, lambda n: np.linspace(-3.0, 3.0, n)),
    ("logistic50", logistic, lambda n: np.linspace(0.01, 0.99, n)),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args()
    import numba

    n = 1_000_000 if args.quick else 10_000_000
    reps = 3 if args.quick else args.repeats
    print(
        f"gilmap {gilmap.__version__}; numba {numba.__version__} "
        f"(threading layer {os.environ['NUMBA_THREADING_LAYER']}); {os.cpu_count()} cores; "
        f"n={n:,} float64, {reps} alternating runs each"
    )
    print(
        f"{'workload':<12} {'gilmap(njit) best/median ms':>28} {'vectorize best/median ms':>26} "
        f"{'ratio(best)':>11} exact"
    )
    for name, py, make in WORKLOADS:
        x = make(n)
        jitted = numba.njit(py)
        vec = numba.vectorize(["float64(float64)"], target="parallel")(py)
        t0 = time.perf_counter()
        gilmap.map(jitted, x[:10])
        first = time.perf_counter() - t0
        vec(x[:10])
        tg, tv = [], []
        for _ in range(reps):
            t0 = time.perf_counter()
            out_g = gilmap.map(jitted, x)
            tg.append(time.perf_counter() - t0)
            del out_g
            t0 = time.perf_counter()
            out_v = vec(x)
            tv.append(time.perf_counter() - t0)
            del out_v
        exact = np.array_equal(gilmap.map(jitted, x), vec(x), equal_nan=True)
        bg, mg, bv, mv = min(tg), statistics.median(tg), min(tv), statistics.median(tv)
        print(
            f"{name:<12} {bg * 1e3:>13.2f} / {mg * 1e3:<12.2f} {bv * 1e3:>11.2f} / "
            f"{mv * 1e3:<12.2f} {bv / bg:>9.2f}  {exact}   (first call {first * 1e3:.0f} ms)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
