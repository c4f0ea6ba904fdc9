"""gilmap: the fastest exact parallel ``map`` for numeric Python.

``gilmap.map(f, xs)`` returns what ``list(map(f, xs))`` returns (same values, element types
and exceptions), computed on every core. See ``gilmap.explain(f)`` for the backend chosen.
"""

from __future__ import annotations

__version__ = "0.1.0"  # equal to the extension's version (checked by the tests)
__all__ = ["WorkerError", "__version__", "explain", "map", "shutdown_workers"]


def _in_subinterpreter() -> bool:
    try:
        import _interpreters as interp  # 3.13
    except ImportError:
        import _xxsubinterpreters as interp  # 3.12

    current, main = interp.get_current(), interp.get_main()
    return (current[0] if isinstance(current, tuple) else current) != (
        main[0] if isinstance(main, tuple) else main
    )


try:
    from ._api import explain, map, shutdown_workers
    from ._errors import WorkerError
except ImportError:
    # A module that imports gilmap and defines func is imported again inside each worker
    # sub-interpreter, where the native extension cannot load. Importing gilmap must still
    # work there; only calling it from inside a worker is refused.
    if not _in_subinterpreter():
        raise

    class WorkerError(RuntimeError):  # type: ignore[no-redef]
        """Placeholder inside a worker sub-interpreter."""

    def _refuse(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("gilmap cannot be called from inside a gilmap sub-interpreter worker")

    map = explain = shutdown_workers = _refuse  # type: ignore[assignment]  # noqa: A001
