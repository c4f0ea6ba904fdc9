"""Inputs and containers: edge and random values per lane, and the six containers.

A container is built from a list of Python values (``None`` for a null); :func:`received`
gives back what ``f`` receives for each element (``None``: not called), which is what the
oracle maps ``f`` over.
"""

from __future__ import annotations

import random
import struct
from typing import Any

CONTAINERS = ("list", "list_none", "numpy", "arrow", "arrow_sliced", "chunked")

INT64_EDGES = [
    0, 1, -1, 7, 2**62, -(2**62), 2**63 - 1, -(2**63),
    3074457345618258602, 3074457345618258603, -3074457345618258602, -3074457345618258603,
    2, -2, 3, 5, 10, -7, 100, 2**31, -(2**31), 2**32 + 1, 2**53, 2**53 + 1, -(2**53) - 1,
]  # fmt: skip
FLOAT_EDGES = [
    0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5, 3.0, 0.1, 100.0, 1e16,
    float("nan"), -float("nan"), float("inf"), -float("inf"), 5e-324, -5e-324,
    2.2250738585072014e-308, 1e308, -1e308, 1.7976931348623157e308, 9007199254740992.0,
    9007199254740994.0, 4611686018427387904.0, 9.223372036854776e18, -9.223372036854776e18,
]  # fmt: skip


def values(lane: str, rng: random.Random, n_random: int = 16) -> list[Any]:
    """Edge values of the lane, then random ones (no None)."""
    if lane == "bool":
        return [True, False] + [rng.random() < 0.5 for _ in range(n_random + 6)]
    if lane == "int64":
        out = list(INT64_EDGES)
        for _ in range(n_random):
            bits = rng.choice([3, 8, 16, 31, 40, 53, 62, 63])
            out.append(rng.randrange(-(2 ** (bits - 1)), 2 ** (bits - 1)))
        return out
    out = list(FLOAT_EDGES)
    for _ in range(n_random):
        k = rng.random()
        if k < 0.5:
            out.append(rng.uniform(-100, 100))
        elif k < 0.8:
            out.append(rng.uniform(-1, 1) * 10.0 ** rng.randrange(-30, 30))
        else:  # any bit pattern (nan payloads excluded: gilmap need not keep them)
            v = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
            out.append(v if v == v else 0.25)
    return out


def with_nulls(xs: list[Any], rng: random.Random) -> list[Any]:
    """``xs`` with ``None`` put in at a few places (the first element kept)."""
    out = list(xs)
    for _ in range(max(1, len(xs) // 8)):
        out.insert(rng.randrange(1, len(out) + 1), None)
    return out


def build(container: str, xs: list[Any], lane: str) -> tuple[Any, list[Any]]:
    """The container holding ``xs`` (with nulls for the nullable ones, already placed by
    the caller: ``xs`` may hold None), and the values ``f`` receives per element."""
    if container in ("list", "list_none"):
        return list(xs), list(xs)
    if container == "numpy":
        import numpy as np

        dtype = {"int64": np.int64, "float64": np.float64, "bool": np.bool_}[lane]
        vals = [x for x in xs if x is not None]
        return np.array(vals, dtype=dtype), vals
    import pyarrow as pa

    t = {"int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_()}[lane]
    if container == "arrow":
        return pa.array(xs, t), list(xs)
    if container == "arrow_sliced":
        pad = [xs[0]] * 3 if xs else []
        arr = pa.array(pad + list(xs) + pad[:2], t)
        return arr.slice(3, len(xs)), list(xs)
    # chunked: three chunks, the middle one possibly empty
    a, b = len(xs) // 3, (2 * len(xs)) // 3
    chunks = [xs[:a], xs[a:b] if len(xs) % 2 else [], xs[b:] if len(xs) % 2 else xs[a:]]
    return pa.chunked_array([pa.array(c, t) for c in chunks], t), list(xs)


def inputs_for(container: str, xs: list[Any], rng: random.Random) -> list[Any]:
    """The element list for ``container``: with nulls where the container has them."""
    return (
        with_nulls(xs, rng)
        if container in ("list_none", "arrow", "arrow_sliced", "chunked")
        else list(xs)
    )


def value_text(v: Any) -> str:
    """``v`` as Python source (nan and inf spelled so ``eval`` gives the same bits)."""
    if type(v) is float:
        if v != v:
            neg = struct.pack("<d", v)[7] & 0x80
            return "-float('nan')" if neg else "float('nan')"
        if v in (float("inf"), -float("inf")):
            return "float('inf')" if v > 0 else "-float('inf')"
    return repr(v)
