"""``python -m gilmap.demo``: gilmap.map against list(map) on a few functions.

For each function it prints the backend the router chose (``jit`` for numeric code,
``subinterp`` for anything else), gilmap's time, the time of ``list(map(...))`` and whether
the results are identical (values and element types).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from typing import Any

import gilmap

from ._demo_funcs import affine, collatz_steps, digit_spread, score


def _same(a: list[Any], b: list[Any]) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if type(x) is not type(y):
            return False
        if x != y and not (isinstance(x, float) and math.isnan(x) and math.isnan(y)):
            return False
    return True


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def run_case(label: str, func: Callable[[Any], Any], data: list[Any]) -> bool:
    backend = gilmap.explain(func, dtype=type(data[0]))["backend"]
    t_ref, ref = _timed(lambda: list(map(func, data)))
    try:
        gilmap.map(func, data[:8])  # warm-up: pool start / compilation
        t_gm, out = _timed(lambda: gilmap.map(func, data))
    except Exception as exc:  # noqa: BLE001 - the demo reports what a user would see
        print(
            f"{label:<40} {str(backend):<10} n={len(data):>9,}  "
            f"gilmap: {type(exc).__name__}: {str(exc).splitlines()[0][:90]}"
        )
        return True
    same = _same(out, ref)
    print(
        f"{label:<40} {str(backend):<10} n={len(data):>9,}  gilmap {t_gm * 1e3:9.1f} ms  "
        f"list(map) {t_ref * 1e3:9.1f} ms  x{t_ref / t_gm:5.2f}  identical={same}"
    )
    return same


def main() -> int:
    n = int(os.environ.get("GILMAP_DEMO_N", "1000000"))
    heavy_n = max(1, n // 5)
    print(
        f"gilmap {gilmap.__version__} demo on {os.cpu_count()} cores "
        f"(heavy functions over {heavy_n:,} elements)\n"
    )
    floats = [i * 0.001 - 250.0 for i in range(n)]
    ints = list(range(heavy_n))
    ok = True
    ok &= run_case("affine(x) = x*1.5+0.5 (importable)", affine, floats)
    ok &= run_case("lambda x: x*x - 1 (REPL-style)", lambda x: x * x - 1, floats)
    ok &= run_case("collatz_steps(n) (heavy, pure Python)", collatz_steps, ints)
    ok &= run_case("score(x) (heavy, branchy loop)", score, ints)
    ok &= run_case("digit_spread(n) (str + dict)", digit_spread, ints)
    gilmap.shutdown_workers()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
