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


def is_prime(n: int) -> bool:
    """Trial division."""
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    d = 3
    while d * d <= n:
        if n % d == 0:
            return False
        d += 2
    return True


def logistic(x: float) -> float:
    """200 steps of the logistic map from x."""
    r = 3.7
    for _ in range(200):
        x = r * x * (1.0 - x)
    return x


def mandelbrot_iters(x: float) -> int:
    """Escape count of c = x + 0.3i (float loop with early return)."""
    zr = 0.0
    zi = 0.0
    for i in range(200):
        zr2 = zr * zr
        zi2 = zi * zi
        if zr2 + zi2 > 4.0:
            return i
        zi = 2.0 * zr * zi + 0.3
        zr = zr2 - zi2 + x
    return 200


def piecewise(x: float) -> float:
    """A branchy piecewise polynomial."""
    if x < -1.0:
        return -1.0 - 0.5 * (x + 1.0)
    if x < 0.0:
        return x * x * x
    if x < 1.0:
        return 3.0 * x * x - 2.0 * x * x * x
    return 1.0 + 0.25 * (x - 1.0)


def float_math(x: float) -> float:
    return x * 1.5 + 0.5


def int_affine(x: int) -> int:
    return x * 3 + 1
