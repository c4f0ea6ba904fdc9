"""The foundation issue's acceptance benchmark: the sub-interpreter pool against
``list(map)`` and ``multiprocessing.Pool`` (best chunksize of several) on a heavy
pure-Python function over 100k elements, list in / list out.

    python -m benchmarks.subinterp_pool [--n 100000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time
from collections.abc import Callable
from typing import Any

import gilmap

from .workloads import heavy_python


def best_of(repeats: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    xs = list(range(args.n))
    cores = os.cpu_count() or 1
    assert gilmap.explain(heavy_python)["backend"] == "subinterp"

    t_map, ref = best_of(args.repeats, lambda: list(map(heavy_python, xs)))
    per_elem_us = 1e6 * t_map / args.n
    gilmap.map(heavy_python, xs[:16])  # start the pool (first-call cost reported apart)
    t_gm, out = best_of(args.repeats, lambda: gilmap.map(heavy_python, xs))
    assert out == ref, "gilmap result differs from list(map)"

    mp = {}
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(cores) as pool:
        pool.map(heavy_python, xs[:64])
        for chunksize in (64, 256, 1024, max(1, args.n // (4 * cores))):
            t, o = best_of(args.repeats, lambda c=chunksize: pool.map(heavy_python, xs, c))
            assert o == ref
            mp[chunksize] = t
    best_cs = min(mp, key=mp.get)
    print(
        f"heavy_python: {per_elem_us:.1f} µs/element, n={args.n:,}, {cores} cores, "
        f"best of {args.repeats}"
    )
    print(f"  list(map)                          {t_map * 1e3:8.1f} ms")
    print(
        f"  gilmap.map (subinterp)             {t_gm * 1e3:8.1f} ms   "
        f"x{t_map / t_gm:.2f} vs list(map)"
    )
    for cs, t in mp.items():
        mark = "  <- best" if cs == best_cs else ""
        print(
            f"  multiprocessing.Pool chunksize={cs:<5} {t * 1e3:8.1f} ms   "
            f"x{t_map / t:.2f} vs list(map){mark}"
        )
    print(f"  gilmap / best multiprocessing.Pool: {t_gm / mp[best_cs]:.2f} (below 1 = faster)")
    gilmap.shutdown_workers()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
