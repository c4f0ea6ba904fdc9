"""Functions the demo maps (module-level, so sub-interpreter workers can import them)."""

from __future__ import annotations


def affine(x: float) -> float:
    """A cheap importable function."""
    return x * 1.5 + 0.5


def collatz_steps(n: int) -> int:
    """A heavy pure-Python function: Collatz steps of n (n >= 1), about 10 µs each."""
    steps = 0
    n = abs(n) + 1
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


def score(x: int) -> float:
    """Mixed arithmetic with a branch and a loop, tens of µs per element."""
    acc = 0.0
    for k in range(1, 60):
        if (x + k) % 3 == 0:
            acc += (x % 97) / k
        else:
            acc -= k * 0.25
    return acc


def digit_spread(n: int) -> int:
    """Strings and a dict: only the sub-interpreter pool can run this in parallel."""
    counts: dict[str, int] = {}
    for k in range(20):
        for ch in str(abs(n) * 7919 + k):
            counts[ch] = counts.get(ch, 0) + 1
    return max(counts.values()) - min(counts.values())
