"""numba-compiled functions for test_numba_native.py (module level: numba caches by
function, and the router's decisions are per object)."""

from __future__ import annotations

import math

import numba

INT64_MIN = -(2**63)


@numba.njit
def affine(x):
    return x * 1.5 + 0.5


@numba.njit
def int_affine(x):
    return x * 3 + 1


@numba.njit
def floordiv_ten(x):
    return 10 // x


@numba.njit
def halve(x):
    return x / 2


@numba.njit
def is_pos(x):
    return x > 0


@numba.njit
def collatz(n):
    steps = 0
    n = abs(n) + 1
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


@numba.njit
def picky(x):
    """Raises a different exception type for two marker values."""
    if x == -1:
        raise ValueError("minus one")
    if x == -2:
        raise KeyError("minus two")
    return x


@numba.njit("float64(float64)")
def explicit_sig(x):
    return math.sqrt(abs(x)) + x


@numba.njit
def no_bit_length(x):
    return x.bit_length()


@numba.njit
def returns_tuple(x):
    return (x, x)


@numba.cfunc("float32(float64)")
def cf_sqrt32(x):
    return math.sqrt(abs(x))


@numba.cfunc("int32(int64)")
def cf_int32(x):
    return x * 2


@numba.cfunc("boolean(float64)")
def cf_is_neg(x):
    return x < 0


@numba.cfunc("float64(float64, float64)")
def cf_two_args(x, y):
    return x + y


@numba.njit
def with_default(x, k=3):
    return x * k - 1


@numba.njit
def escapes_try(x):
    """numba lets this ZeroDivisionError escape a ``try`` it is inlined into (a division
    inside an ``if``): gilmap's chunk loop cannot tell which element raised."""
    if x > 0:
        v = 0.5 / (x % 7)
        return v
    return 1.0
