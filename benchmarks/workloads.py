"""Benchmark workloads: module-level functions, importable by every runner (including
sub-interpreter workers and multiprocessing children)."""

from __future__ import annotations

import math


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


# ------------------------------------------------------------------ the suite's workloads
# (benchmarks/run.py: count_primes, heavy_collatz, mandelbrot_iters, medium_compute,
# quick_collatz, float_math, math_heavy, piecewise, heavy_python, scaled (a closure)).


def count_primes(n: int) -> int:
    """Primes below ``n % 400 + 2`` by trial division (nested loops)."""
    limit = n % 400 + 2
    count = 0
    for k in range(2, limit):
        d = 2
        prime = True
        while d * d <= k:
            if k % d == 0:
                prime = False
                break
            d += 1
        if prime:
            count += 1
    return count


def heavy_collatz(n: int) -> int:
    """Total Collatz steps of the 1000 numbers from ``n``."""
    total = 0
    for k in range(1000):
        m = abs(n) + k + 1
        while m != 1:
            m = m // 2 if m % 2 == 0 else 3 * m + 1
            total += 1
    return total


def medium_compute(n: int) -> int:
    """200 steps of a modular accumulation."""
    acc = n
    for i in range(200):
        acc = (acc * 31 + i) % 1_000_003
    return acc


def quick_collatz(n: int) -> int:
    """One Collatz step (tiny work per element)."""
    return n // 2 if n % 2 == 0 else 3 * n + 1


def math_heavy(x: float) -> float:
    return math.sin(x) * math.cos(x) + math.sqrt(abs(x)) + math.log1p(abs(x))


def make_scaled(k: float):
    """A closure: ``lambda x: x * k + 1.0``."""
    return lambda x: x * k + 1.0


scaled = make_scaled(2.5)
