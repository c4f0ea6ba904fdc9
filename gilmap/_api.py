"""The public API: ``map``, ``explain`` and ``shutdown_workers``."""

from __future__ import annotations

import atexit
import os
import sys
import time
from typing import Any

from . import _data, _gilmap
from ._router import LANES, Decision, Router
from .backends import default_backends
from .backends.jit import StaleDecision

router = Router(default_backends())


def _debug_enabled(debug: bool) -> bool:
    return debug or os.environ.get("GILMAP_DEBUG", "") not in ("", "0")


def _func_name(func: Any) -> str:
    return getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or repr(func)


def map(func: Any, data: Any, *, debug: bool = False) -> Any:  # noqa: A001 - the API's name
    """Maps ``func`` over ``data`` in parallel; same result as ``list(map(func, data))``.

    The output container follows the input: an iterable gives a list, a ``pyarrow.Array``
    an Array, a ``pyarrow.ChunkedArray`` a ChunkedArray with the same chunking, a 1-D
    ``numpy.ndarray`` an ndarray. ``None`` / Arrow nulls are not passed to ``func`` and give
    ``None`` / null at the same position.

    Lanes: floats (Python ``float``, float16/32/64) run as float64, other numbers (``int``,
    ``bool``, integer dtypes) as int64, a list mixing ints and floats as float64; anything
    else raises ``TypeError`` naming the index and type of the first bad element. Errors:
    when elements fail, the exception CPython would raise for the first failing one; no
    partial result. (README.md and docs/SEMANTICS.md in the source repository say more.)
    """
    if not callable(func):
        raise TypeError(f"gilmap.map: func must be callable, not {type(func).__name__}")
    t0 = time.perf_counter()
    inp = _data.ingest(data)
    analyses = router.analyses
    decision = router.decide(func, inp.lane)
    decided_now = router.analyses != analyses
    t1 = time.perf_counter()
    if decision.backend is None:
        raise ValueError(f"gilmap.map cannot run {_func_name(func)}: {decision.reason}")
    kind = _data.output_kind(inp)
    outcome = "ok"
    try:
        try:
            results = _run(decision, func, inp, kind)
        except StaleDecision:
            # A global or closure value baked into the kernel changed: decide again.
            router.forget(func)
            decision = router.decide(func, inp.lane)
            if decision.backend is None:
                raise ValueError(
                    f"gilmap.map cannot run {_func_name(func)}: {decision.reason}"
                ) from None
            results = _run(decision, func, inp, kind)
        return _data.build_output(inp, results)
    except BaseException as exc:
        outcome = type(exc).__name__
        raise
    finally:
        if _debug_enabled(debug):
            t2 = time.perf_counter()
            compile_ms = getattr(decision.payload, "compile_ms", 0.0) if decided_now else 0.0
            kernel = getattr(decision.payload, "kernel", None)
            # Whether the lane-parallel loop kernel is in use (after this run).
            simt = "" if kernel is None else f" simt={'on' if kernel.simt_ready else 'off'}"
            print(
                f"gilmap: backend={decision.backend} lane={inp.lane} n={inp.length} "
                f"container={inp.container} prepare={1e3 * (t1 - t0):.3f}ms "
                f"compile={compile_ms:.3f}ms run={1e3 * (t2 - t1):.3f}ms{simt} outcome={outcome} "
                f"func={_func_name(func)} reason={decision.reason!r}",
                file=sys.stderr,
            )


def _run(decision: Decision, func: Any, inp: _data.Input, kind: str) -> list[Any]:
    backend = router.backend(decision.backend)
    sources = inp.sources or [None] * len(inp.columns)
    return [
        backend.run(decision, col, kind, func, source=src)
        for col, src in zip(inp.columns, sources, strict=True)
    ]


def _lane_of(dtype: Any) -> str:
    if dtype is bool:
        return "bool"
    if dtype is int:
        return "int64"
    if dtype is float:
        return "float64"
    np = sys.modules.get("numpy")
    if np is not None and not isinstance(dtype, str):
        try:
            dtype = np.dtype(dtype)  # numpy scalar types such as np.float32
        except TypeError:
            pass
    text = str(getattr(dtype, "name", dtype)).lower()
    if text in ("int64", "float64"):
        return text
    if text in ("bool", "boolean"):
        return "bool"
    if text.startswith(("int", "uint")):
        return "int64"
    if text.startswith(("float", "half", "double")):
        return "float64"
    raise ValueError(
        f"gilmap.explain: dtype must be int, float, 'int64', 'float64' or a numpy/pyarrow "
        f"numeric dtype, not {dtype!r}"
    )


def _describe(decision: Decision) -> dict[str, Any]:
    out = {
        "backend": decision.backend,
        "reason": decision.reason,
        "has_fast_path": decision.has_fast_path,
        "rejected": dict(decision.rejected),
    }
    kernel = getattr(decision.payload, "kernel", None)
    if kernel is not None:
        out["kernel_hash"] = kernel.hash
        out["typed_ir"] = kernel.typed_ir
        out["llvm_ir"] = kernel.optimized_ir
        out["compile_ms"] = kernel.compile_ms
        # Elements in flight of the lane-parallel loop kernel (0: one at a time, and why).
        out["simt_lanes"] = kernel.simt_lanes
        out["simt_note"] = kernel.simt_note
        # Built by the first run long enough to gain from it (see docs/ARCHITECTURE.md).
        out["simt_ready"] = kernel.simt_ready
    return out


def explain(func: Any, *, dtype: Any = None) -> dict[str, Any]:
    """The router's decision for ``func`` without running it on data.

    Returns ``{"backend", "reason", "has_fast_path", "rejected", "lanes"}``; ``lanes`` maps
    each input lane considered (``dtype`` picks one; ``None`` means both) to its own
    decision, and the top-level keys describe the first of them. ``backend`` is None when no
    backend can run ``func``; ``reason`` then says why and what to do.
    """
    if not callable(func):
        raise TypeError(f"gilmap.explain: func must be callable, not {type(func).__name__}")
    lanes = LANES if dtype is None else (_lane_of(dtype),)
    per_lane = {lane: _describe(router.decide(func, lane)) for lane in lanes}
    first = per_lane[lanes[0]]
    return {**first, "lanes": per_lane}


def shutdown_workers() -> None:
    """Stops and joins the sub-interpreter workers; a later ``map`` restarts them."""
    _gilmap.shutdown_workers()


def _shutdown_at_exit() -> None:
    """The workers' end at interpreter exit: never waits for ever, never lets 3.12 abort.

    Calls in flight are cancelled and a worker inside an element is interrupted (it gets
    ``KeyboardInterrupt`` at its next bytecode back-edge or call). A worker still busy after
    the grace period (``src/pool/mod.rs``: 2 s) is blocked in C code (a sleep, a lock, I/O)
    and its sub-interpreter cannot be ended from this thread. CPython 3.13 tears such
    leftovers down itself; 3.12 would abort ("remaining subinterpreters"), so there the
    process leaves now, as daemon threads are left: streams flushed, ``os._exit``, status 1
    if the main thread ended with an uncaught exception, else 0 (a ``sys.exit(n)`` code and
    atexit functions registered before gilmap was imported are lost).
    """
    _gilmap.shutdown_workers()
    if sys.version_info >= (3, 13) or not _gilmap.pool_running():
        return
    print(
        "gilmap: a worker is still inside an element after its call was cancelled at exit "
        "(blocked in C code); exiting without waiting for it",
        file=sys.stderr,
    )
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - closed or broken streams must not block the exit
            pass
    os._exit(1 if getattr(sys, "last_value", None) is not None else 0)


# CPython 3.12 aborts at exit while sub-interpreters are alive: stop the workers first.
atexit.register(_shutdown_at_exit)
# A fork while sub-interpreters exist hangs the child inside CPython's after-fork clean-up
# (it waits for locks held by worker threads that do not exist there). So the workers are
# stopped before every os.fork() (the parent restarts them on its next map), and the child
# forgets any pool state it inherited.
if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=lambda: _gilmap.shutdown_workers(cancel=False),
        after_in_child=_gilmap._after_fork_child,
    )
