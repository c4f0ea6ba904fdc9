"""Module-level functions and globals for the JIT's tests (``tests/test_jit_*.py``).

Everything the kernels use lives at module level here, so the reader resolves it as a
module global (a number baked in and guarded, or a Python function to inline or call).
``jmap`` runs ``gilmap.map`` and asserts, from the call's own debug line, that the JIT ran it.
"""

from __future__ import annotations

import math

# ----------------------------------------------------------------------------- harness


def jmap(func, data):
    """``gilmap.map(func, data)``, asserting that this very call ran on the JIT backend."""
    from conftest import map_on

    return map_on("jit", func, data)


def outcome(func, data, mapper=None):
    """``("ok", results)`` or ``("raise", exception type)`` for ``mapper(func, data)``
    (``list(map(func, data))`` by default)."""
    try:
        if mapper is None:
            return "ok", list(map(func, data))
        return "ok", list(mapper(func, data))
    except AssertionError:  # jmap's "not run by the JIT"
        raise
    except Exception as exc:  # noqa: BLE001 - the type is the result
        return "raise", type(exc)


def exact(values):
    """Each value with its exact type; floats and complexes by ``repr`` (bit-level: -0.0,
    nan and inf compare as themselves), so two lists are equal only if CPython's are."""
    return [(type(v), repr(v) if type(v) in (float, complex) else v) for v in values]


def same_outcome(want, got) -> bool:
    if want[0] != got[0]:
        return False
    if want[0] == "raise":
        return want[1] is got[1]
    return exact(want[1]) == exact(got[1])


# ----------------------------------------------------------------------------- globals

SCALE = 3
OFFSET = 0.5


def use_scale(x):
    return x * SCALE + 1


def use_offset(x):
    return x + OFFSET


# ----------------------------------------------------------------------------- callees


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def square(x):
    return x * x


def call_square(x):
    return square(x) - square(x - 1)


def scaled(x, k=7, b=1):
    return x * k + b


def call_default(x):
    return scaled(x) + scaled(x, 2) + scaled(x, 2, 0)


def hyp(x):
    return math.hypot(x, 3.0)


# ----------------------------------------------------------------------------- loops


def collatz(x):
    n = x
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


def sum_down(x):
    s = 0
    for i in range(x, -x, -3):
        s += i
    return s


def sum_step(x):
    total = 0
    for i in range(x % 50, -(x % 37), -(x % 5 + 1)):
        total += i * i
    return total


def range_zero_step(x):
    s = 0
    for i in range(x, x + 10, 0):
        s += i
    return s


# ----------------------------------------------------------------------------- refused


def uses_list(x):
    ys = [x, x + 1]
    return ys[0]


# ----------------------------------------------------------------------------- closures


def make_affine(k):
    def affine(x):
        return x * k + 1.0

    return affine


def make_settable(k):
    """A closure ``x * k`` and a setter that rebinds its cell (``nonlocal``)."""

    def times(x):
        return x * k

    def set_k(value):
        nonlocal k
        k = value

    return times, set_k


def call_offset(x):
    """A global read by a callee (OFFSET, via ``use_offset``)."""
    return use_offset(x) * 2
