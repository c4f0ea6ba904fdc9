"""Benchmark workloads: module-level functions, importable by every runner (including
sub-interpreter workers and multiprocessing children)."""

from __future__ import annotations


def heavy_python(n: int) -> int:
    """Pure-Python work of a few tens of µs per element (string and dict use keep it off
    any numeric JIT: only the sub-interpreter pool or processes can run it in parallel)."""
    counts: dict[str, int] = {}
    for k in range(150):
        key = str((n * 31 + k) % 17)
        counts[key] = counts.get(key, 0) + k
    return sum(v * len(s) for s, v in counts.items())


def collatz_steps(n: int) -> int:
    steps = 0
    n = abs(n) + 1
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps
