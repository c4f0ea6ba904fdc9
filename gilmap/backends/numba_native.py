"""The ``numba_native`` backend: functions the user already compiled with numba.

Detection never imports numba: a numba object can only exist once the user imported it,
so ``sys.modules`` is checked first.

- A ``@cfunc`` (an integer ``address`` plus a one-argument numeric signature) is called
  from Rust once per element, the lane value cast to the argument type; the output dtype
  is the signature's return type.
- A dispatcher (``@njit``/``@jit``, with or without signatures) is compiled for the lane,
  and a numba ``@cfunc`` loop is compiled around it (cached per dispatcher and lane): Rust
  calls that loop on each Rayon chunk with the GIL released, so no element goes through
  Python. An element whose call raises is flagged; the first flagged element is then run
  through the dispatcher in Python to raise numba's own exception.

Semantics are numba's (the user chose numba): int64 overflow wraps, and a ``@cfunc``
that raises prints the error and returns 0, as numba documents. See docs/BACKENDS.md.
"""

from __future__ import annotations

import sys
import threading
import weakref
from dataclasses import dataclass
from typing import Any

from .. import _gilmap
from .._router import Decision, Verdict

#: Native scalar types the runner handles (numba's names for them).
SCALARS = (
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float32",
    "float64",
    "bool",
)


@dataclass(frozen=True)
class NativePayload:
    kind: str  # "chunk" (a loop around a dispatcher) or "scalar" (a user's @cfunc)
    address: int
    arg: str
    ret: str
    keep: Any  # the object owning the machine code at `address`
    dispatcher: Any = None


def _numba() -> Any:
    return sys.modules.get("numba")


def is_dispatcher(func: Any) -> bool:
    nb = _numba()
    if nb is None:
        return False
    from numba.core.dispatcher import Dispatcher

    return isinstance(func, Dispatcher)


def is_cfunc(func: Any) -> bool:
    nb = _numba()
    if nb is None:
        return False
    from numba.core.ccallback import CFunc

    return isinstance(func, CFunc) and isinstance(getattr(func, "address", None), int)


def _first_lines(exc: BaseException, limit: int = 6) -> str:
    lines = [ln for ln in str(exc).strip().splitlines() if ln.strip()]
    text = " / ".join(lines[:limit])
    return f"{type(exc).__name__}: {text}"


_LOOPS: weakref.WeakKeyDictionary[Any, dict[str, NativePayload]] = weakref.WeakKeyDictionary()
_LOOPS_LOCK = threading.Lock()


def _lane_type(lane: str) -> Any:
    from numba import types

    return {"int64": types.int64, "float64": types.float64, "bool": types.boolean}[lane]


#: Dispatcher options that must not be copied onto the inlined copy of its function.
_NOT_COPIED = ("parallel", "inline", "cache", "_nrt", "no_cpython_wrapper", "no_cfunc_wrapper")


def _raises(code: Any) -> bool:
    """Whether ``code`` (or a function nested in it) has a ``raise`` or ``assert``."""
    import dis

    for ins in dis.get_instructions(code):
        if ins.opname in ("RAISE_VARARGS", "RERAISE"):
            return True
    return any(_raises(c) for c in code.co_consts if hasattr(c, "co_code"))


def _inlined(disp: Any) -> Any:
    """A copy of ``disp`` (same Python function and options) that numba inlines into its
    caller: a call into a separately compiled function per element costs more than the
    element (and stops LLVM from vectorizing the loop). Not for a function with a
    ``raise`` statement: numba's ``try`` does not catch a ``raise`` inlined into it (the
    exception would escape the loop), so such a function is called, not inlined."""
    import numba

    if _raises(disp.py_func.__code__):
        return disp

    opts = {k: v for k, v in disp.targetoptions.items() if k not in _NOT_COPIED}
    opts.pop("nopython", None)
    return numba.njit(inline="always", **opts)(disp.py_func)


def _chunk_loop(callee: Any, lane: str, argty: Any, ret: Any) -> Any:
    """A numba @cfunc ``intp(in*, stride, out*, n)`` calling ``callee`` on each element
    cast to ``argty``; it stops at the first element whose call raised and returns its
    index plus one (-1 when none did). 0 is what numba's cfunc wrapper returns when an
    exception escapes the loop's ``try`` (numba does not catch some exceptions raised in
    inlined code, e.g. a division inside an ``if``): the failing index is then unknown."""
    import numba
    from numba import types

    in_t = types.float64 if lane == "float64" else types.int64
    # A bool result is stored as one byte (numba cannot store its i1 through a bool*).
    out_t = types.uint8 if ret == types.boolean else ret
    sig = types.intp(types.CPointer(in_t), types.intp, types.CPointer(out_t), types.intp)
    cast = argty
    if lane == "bool":

        def loop(inp, stride, out, n):  # pragma: no cover - compiled by numba
            for i in range(n):
                try:
                    out[i] = callee(cast(inp[i * stride] != 0))
                except Exception:
                    return i + 1
            return -1

    else:

        def loop(inp, stride, out, n):  # pragma: no cover - compiled by numba
            if stride == 1:  # the common, contiguous case: a loop LLVM can vectorize
                for i in range(n):
                    try:
                        out[i] = callee(cast(inp[i]))
                    except Exception:
                        return i + 1
                return -1
            for i in range(n):
                try:
                    out[i] = callee(cast(inp[i * stride]))
                except Exception:
                    return i + 1
            return -1

    return numba.cfunc(sig, nopython=True)(loop)


def _default_types(disp: Any) -> tuple:
    """numba types of the defaults of parameters after the first (``f(x, k=2)`` is called
    with one argument, so the others take their defaults)."""
    py = getattr(disp, "py_func", None)
    code = getattr(py, "__code__", None)
    defaults = getattr(py, "__defaults__", None) or ()
    if code is None or code.co_argcount <= 1 or len(defaults) < code.co_argcount - 1:
        return ()
    import numba

    return tuple(numba.typeof(d) for d in defaults[len(defaults) - (code.co_argcount - 1) :])


def _dispatcher_payload(disp: Any, lane: str) -> NativePayload | str:
    """The compiled loop for ``disp`` on ``lane``, or the reason numba cannot provide it."""
    with _LOOPS_LOCK:
        cached = _LOOPS.get(disp, {}).get(lane)
    if cached is not None:
        return cached
    argty = _lane_type(lane)
    sig = (argty, *_default_types(disp))
    try:
        disp.compile(sig)
        ret = disp.overloads[sig].signature.return_type
    except Exception as exc:  # numba's typing/lowering errors, or compilation disabled
        sigs = [s for s in getattr(disp, "nopython_signatures", []) if len(s.args) == 1]
        if len(sigs) != 1:
            return f"numba cannot compile {_name(disp)} for {lane}: {_first_lines(exc)}"
        # Explicit signatures: numba converts the argument, as a call from Python would.
        argty, ret = sigs[0].args[0], sigs[0].return_type
    if str(ret) not in SCALARS:
        return f"{_name(disp)} returns {ret} for {lane}, not a number numba_native can carry"
    try:
        loop = _chunk_loop(_inlined(disp), lane, argty, ret)
    except Exception:
        try:  # the inlined copy failed to compile: call the dispatcher itself
            loop = _chunk_loop(disp, lane, argty, ret)
        except Exception as exc:
            return f"numba cannot compile {_name(disp)} for {lane}: {_first_lines(exc)}"
    payload = NativePayload(
        "chunk", loop.address, "float64" if lane == "float64" else "int64", str(ret), loop, disp
    )
    with _LOOPS_LOCK:
        _LOOPS.setdefault(disp, {})[lane] = payload
    return payload


def _cfunc_payload(cf: Any) -> NativePayload | str:
    sig = getattr(cf, "_sig", None)
    args = getattr(sig, "args", None)
    if sig is None or args is None or len(args) != 1:
        return f"@cfunc {_name(cf)} must take exactly one argument (signature {sig})"
    arg, ret = str(args[0]), str(sig.return_type)
    if arg not in SCALARS or ret not in SCALARS:
        return f"@cfunc {_name(cf)} has signature {sig}; numba_native needs numeric scalars"
    return NativePayload("scalar", cf.address, arg, ret, cf)


def _name(obj: Any) -> str:
    py = getattr(obj, "py_func", None) or getattr(obj, "_pyfunc", None) or obj
    return getattr(py, "__qualname__", None) or getattr(py, "__name__", None) or repr(obj)


class NumbaNativeBackend:
    name = "numba_native"
    fast_path = True

    def detect(self, func: Any, lane: str) -> Verdict:
        if is_cfunc(func):
            p = _cfunc_payload(func)
            what = "numba @cfunc"
        elif is_dispatcher(func):
            p = _dispatcher_payload(func, lane)
            what = "numba dispatcher"
        else:
            return Verdict(False, "not a numba @njit/@jit dispatcher or @cfunc")
        if isinstance(p, str):
            return Verdict(False, p)
        return Verdict(
            True,
            f"{what} {_name(func)}: native code {p.arg} -> {p.ret}, called from Rust with "
            "the GIL released",
            p,
        )

    def run(
        self, decision: Decision, column: Any, output: str, func: Any = None, source: Any = None
    ) -> Any:
        p: NativePayload = decision.payload
        if p.kind == "chunk":
            _install_unraisable_filter()
        with _native_run():
            values, first_error, validity, nulls = _gilmap.native_map(
                column, p.address, p.kind, p.arg, p.ret
            )
        if first_error is not None:
            _raise_error(p, column, first_error)
        return _assemble(values, validity, nulls, p.ret, output)


def _raise_error(p: NativePayload, column: Any, start: int) -> None:
    """Raises numba's own exception for the first failing element, at ``start`` or after
    it (every element before ``start`` ran without one; the index is exact unless an
    exception escaped the chunk loop, see ``_chunk_loop``)."""
    for i in range(start, len(column)):
        v = column.value(i)
        if v is not None:
            p.dispatcher(v)  # raises numba's own exception for the failing element
    raise RuntimeError(
        f"gilmap: {_name(p.dispatcher)} raised in native code at or after element {start} "
        "but not when called again from Python"
    )


# numba's cfunc wrapper reports an exception that escaped the chunk loop through
# sys.unraisablehook ("Exception ignored in: <numba.core.cpu.CPUContext>") before returning
# 0; gilmap then raises that exception itself, in index order. The filter drops exactly
# those reports, made while a gilmap native run is in flight, and passes every other one
# to the hook that was installed before it.
_RUNS_LOCK = threading.Lock()
_RUNS = 0
_PREVIOUS_HOOK: Any = None


class _native_run:
    def __enter__(self) -> None:
        global _RUNS
        with _RUNS_LOCK:
            _RUNS += 1

    def __exit__(self, *exc: object) -> None:
        global _RUNS
        with _RUNS_LOCK:
            _RUNS -= 1


def _unraisable_filter(u: Any) -> None:
    # numba passes the context's name as the object: "<numba.core.cpu.CPUContext>".
    obj = u.object if isinstance(u.object, str) else type(u.object).__qualname__
    if _RUNS > 0 and "CPUContext" in obj and isinstance(u.exc_value, Exception):
        return
    (_PREVIOUS_HOOK or sys.__unraisablehook__)(u)


def _install_unraisable_filter() -> None:
    global _PREVIOUS_HOOK
    if sys.unraisablehook is not _unraisable_filter:
        _PREVIOUS_HOOK = sys.unraisablehook
        sys.unraisablehook = _unraisable_filter


def _assemble(values: bytearray, validity: Any, nulls: int, ret: str, output: str) -> Any:
    import numpy as np

    dtype = np.dtype(np.bool_ if ret == "bool" else ret)
    arr = np.frombuffer(values, dtype=dtype)
    if output == "list":
        out = arr.tolist()
        if validity is not None:
            valid = np.unpackbits(np.frombuffer(validity, np.uint8), bitorder="little")
            for i in np.flatnonzero(valid[: len(out)] == 0):
                out[i] = None
        return out
    if output == "arrow" and ret == "bool":
        packed = np.packbits(arr.view(np.uint8), bitorder="little")
        return ("bool", bytearray(packed.tobytes()), validity, nulls)
    return (dtype.name, values, validity, nulls)
