"""The oracle: what ``list(map(f, xs))`` gives, what gilmap gave, and how they differ.

Compared: the output container, element types (array dtypes), values bit for bit (floats
by their IEEE bits, so ``-0.0`` and NaN signs count), and when ``f`` fails the exception
type and the first failing element. A finding's kind is one of ``mismatch-value``
(``mismatch-nan-sign`` when two NaNs differ only in sign), ``mismatch-type`` and
``mismatch-exception``; crashes and hangs are found by the runner.

The one documented difference between an array output and ``list(map)`` (SEMANTICS.md,
"Output: what comes back") is encoded in :func:`array_expectation`, and the documented
null rule (``None``/null is not passed to ``f``) in :func:`reference_outcome`'s callers.
"""

from __future__ import annotations

import contextlib
import io
import re
import struct
from dataclasses import dataclass
from typing import Any

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True)
class Raised:
    """``f`` (or gilmap) raised ``exc`` for element ``index`` (None: not known)."""

    exc: type
    index: int | None
    message: str = ""


@dataclass(frozen=True)
class Produced:
    """A result: ``kind`` is "list", "numpy", "arrow" or "chunked"; ``dtype`` "" for lists."""

    kind: str
    dtype: str
    values: list[Any]
    chunks: tuple[int, ...] = ()


@dataclass
class Finding:
    kind: str
    detail: str
    container: str = ""
    phase: str = ""
    mode: str = ""  # the loop kernel: "elem" / "simt" / "" (not the JIT)
    backend: str = ""


def key(v: Any) -> tuple[Any, ...]:
    """Identity of a value for comparison: its exact type and, for floats, its bits."""
    t = type(v)
    if t is float:
        return ("float", struct.pack("<d", v).hex())
    if t is complex:
        return ("complex", struct.pack("<dd", v.real, v.imag).hex())
    if t in (int, bool, type(None)):
        return (t.__name__, v)
    return (t.__name__, repr(v))


def show(v: Any) -> str:
    if type(v) is float and v != v:
        return "-nan" if struct.pack("<d", v)[7] & 0x80 else "nan"
    return repr(v)


def reference_outcome(f: Any, x: Any) -> Any:
    """``f(x)``, or the :class:`Raised` it raises (index filled in by the caller)."""
    try:
        return f(x)
    except Exception as exc:  # noqa: BLE001 - any exception is an outcome to compare
        return Raised(type(exc), None, str(exc)[:200])


def expected(kind: str, received: list[Any], outcomes: list[Any], lane: str) -> Raised | Produced:
    """What gilmap must give for a container of ``kind`` whose elements ``f`` receives as
    ``received`` (None: a null, ``f`` not called), ``outcomes`` being ``f``'s per element."""
    for i, (x, o) in enumerate(zip(received, outcomes, strict=True)):
        if x is not None and isinstance(o, Raised):
            return Raised(o.exc, i, o.message)
    results = [None if x is None else o for x, o in zip(received, outcomes, strict=True)]
    if kind == "list":
        return Produced("list", "", results)
    return array_expectation(kind, received, results, lane)


def array_expectation(
    kind: str, received: list[Any], results: list[Any], lane: str
) -> Raised | Produced:
    """Documented difference (SEMANTICS.md, "Output"): an array output has one dtype,
    bool < int64 < float64 unified over the elements that produced a value (ints cast to
    float when any float is present); an int outside int64 raises ``OverflowError`` and a
    non-number (``None`` for a non-null element included) ``TypeError``, naming the
    element. With no value at all the lane decides the dtype (a bool lane gives int64)."""
    for i, (x, v) in enumerate(zip(received, results, strict=True)):
        if x is not None and type(v) not in (bool, int, float):
            return Raised(TypeError, i)
        if type(v) is int and not INT64_MIN <= v <= INT64_MAX:
            return Raised(OverflowError, i)
    kinds = {type(v) for v in results if v is not None}
    if float in kinds:
        dtype, conv = "float64", float
    elif int in kinds or not kinds:
        dtype, conv = ("float64", float) if not kinds and lane == "float64" else ("int64", int)
    else:
        dtype, conv = "bool", bool
    return Produced(kind, dtype, [None if v is None else conv(v) for v in results])


_ELEMENT = re.compile(r"element (\d+)")


def failing_index(exc: BaseException, f: Any, received: list[Any]) -> int | None:
    """The element gilmap failed at: ``f``'s own frame in the traceback holds its
    argument (the generator never assigns to ``x``); else the index gilmap's message names."""
    code = getattr(f, "__code__", None)
    tb = exc.__traceback__
    while tb is not None:
        if code is not None and tb.tb_frame.f_code is code and "x" in tb.tb_frame.f_locals:
            k = key(tb.tb_frame.f_locals["x"])
            for i, x in enumerate(received):
                if x is not None and key(x) == k:
                    return i
        tb = tb.tb_next
    m = _ELEMENT.search(str(exc))
    return int(m.group(1)) if m else None


def observe(gilmap: Any, f: Any, data: Any, received: list[Any]) -> tuple[Raised | Produced, str]:
    """Runs ``gilmap.map(f, data)``; returns what came back and gilmap's debug line."""
    buf = io.StringIO()
    try:
        with contextlib.redirect_stderr(buf):
            out = gilmap.map(f, data, debug=True)
    except Exception as exc:  # noqa: BLE001
        return Raised(type(exc), failing_index(exc, f, received), str(exc)[:300]), buf.getvalue()
    return as_produced(out), buf.getvalue()


def as_produced(out: Any) -> Produced:
    if isinstance(out, list):
        return Produced("list", "", out)
    mod = type(out).__module__.split(".")[0]
    if mod == "numpy":
        return Produced("numpy", str(out.dtype), out.tolist())
    if type(out).__name__ == "ChunkedArray":
        dtype = {"double": "float64"}.get(str(out.type), str(out.type))
        return Produced("chunked", dtype, out.to_pylist(), tuple(len(c) for c in out.chunks))
    if mod == "pyarrow":
        return Produced(
            "arrow", {"double": "float64"}.get(str(out.type), str(out.type)), out.to_pylist()
        )
    return Produced(type(out).__name__, "", [out])


def compare(
    want: Raised | Produced, got: Raised | Produced, chunks: tuple[int, ...] = ()
) -> Finding | None:
    """The first difference between ``want`` (CPython) and ``got`` (gilmap), or None."""
    if isinstance(want, Raised) or isinstance(got, Raised):
        if not (isinstance(want, Raised) and isinstance(got, Raised)):
            w = (
                f"raises {want.exc.__name__} at {want.index}"
                if isinstance(want, Raised)
                else "a result"
            )
            g = (
                f"raises {got.exc.__name__} ({got.message[:120]})"
                if isinstance(got, Raised)
                else "a result"
            )
            return Finding("mismatch-exception", f"CPython: {w}; gilmap: {g}")
        if want.exc is not got.exc or (
            want.index is not None and got.index is not None and want.index != got.index
        ):
            return Finding(
                "mismatch-exception",
                f"CPython: {want.exc.__name__} at {want.index}; gilmap: {got.exc.__name__} at "
                f"{got.index} ({got.message[:120]})",
            )
        return None
    if want.kind != got.kind or want.dtype != got.dtype:
        return Finding(
            "mismatch-type", f"CPython: {want.kind} {want.dtype}; gilmap: {got.kind} {got.dtype}"
        )
    if len(want.values) != len(got.values) or (chunks and got.chunks != chunks):
        return Finding(
            "mismatch-value",
            f"length {len(got.values)} chunks {got.chunks}, want {len(want.values)} {chunks}",
        )
    for i, (w, g) in enumerate(zip(want.values, got.values, strict=True)):
        if key(w) == key(g):
            continue
        if type(w) is not type(g):
            return Finding(
                "mismatch-type",
                f"element {i}: CPython {show(w)} ({type(w).__name__}), "
                f"gilmap {show(g)} ({type(g).__name__})",
            )
        bits = struct.unpack("<QQ", struct.pack("<dd", w, g)) if type(w) is float else (0, 0)
        nan_sign = w != w and g != g and bits[0] ^ bits[1] == 1 << 63
        kind = "mismatch-nan-sign" if nan_sign else "mismatch-value"
        return Finding(kind, f"element {i}: CPython {show(w)}, gilmap {show(g)}")
    return None
