"""The ``subinterp`` backend: the general fallback.

``func`` runs in Rust worker threads, one PEP 684 own-GIL sub-interpreter each. Workers
import it by ``(module, qualname)`` with the caller's ``sys.path``, so it must be reachable
that way: lambdas, functions defined inside other functions (``<locals>``) and functions of
``__main__`` are rejected, with a message saying what to do. Detection checks that importing
``module`` and walking ``qualname`` in this interpreter gives back ``func`` itself.
"""

from __future__ import annotations

import sys
import sysconfig
from typing import Any

from .. import _gilmap
from .._errors import WorkerError
from .._router import Decision, Verdict

#: In the TypeError a worker raises for a result that is not a number (src/error.rs).
_NON_NUMBER = "; it must return a number"

_HOW_TO_FIX = (
    "only the subinterp backend could run it, and its workers import functions by module "
    "and qualified name; define it with `def` at the top level of an importable module "
    "(not __main__), or make it compilable by the JIT"
)


def free_threaded() -> bool:
    """True on a free-threaded (no-GIL) CPython build."""
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


_SYNCED_TYPES = (int, float, bool, str, type(None))


def synced_globals(func: Any) -> list[tuple[str, Any]]:
    """The module globals ``func``'s code names whose values are numbers, strings or None.

    Workers import ``func``'s module afresh, so a global the caller changed at run time
    would otherwise keep its import-time value there; these are copied into the worker's
    module before each call. (Other objects cannot cross interpreters: a mutated list or
    dict global is not synced.)
    """
    code = getattr(func, "__code__", None)
    scope = getattr(func, "__globals__", None)
    if code is None or not isinstance(scope, dict):
        return []
    names: set[str] = set()
    stack = [code]
    while stack:
        c = stack.pop()
        names.update(c.co_names)
        stack.extend(k for k in c.co_consts if hasattr(k, "co_names"))
    return [
        (n, scope[n])
        for n in sorted(names)
        if n in scope and type(scope[n]) in _SYNCED_TYPES and not n.startswith("__")
    ]


class SubinterpBackend:
    name = "subinterp"
    fast_path = False

    def detect(self, func: Any, lane: str) -> Verdict:
        if type(func).__module__.split(".")[0] == "numba":
            return Verdict(
                False,
                f"{type(func).__name__} objects cannot run in sub-interpreters (numba's "
                "extension modules do not support them)",
            )
        module = getattr(func, "__module__", None)
        qualname = getattr(func, "__qualname__", None)
        owner = getattr(func, "__objclass__", None)  # method descriptors: int.bit_length
        if module is None and isinstance(owner, type):
            module = owner.__module__
        name = getattr(func, "__name__", None) or repr(func)
        if not isinstance(module, str) or not isinstance(qualname, str):
            return Verdict(False, f"{name!r} has no __module__/__qualname__: {_HOW_TO_FIX}")
        if name == "<lambda>" or "<lambda>" in qualname:
            return Verdict(False, f"{qualname} is a lambda: {_HOW_TO_FIX}")
        if "<locals>" in qualname:
            return Verdict(False, f"{qualname} is defined inside a function: {_HOW_TO_FIX}")
        if module == "__main__":
            return Verdict(False, f"{qualname} is defined in __main__: {_HOW_TO_FIX}")
        mod = sys.modules.get(module)
        obj: Any = mod
        for part in qualname.split("."):
            obj = getattr(obj, part, None)
        if obj is not func:
            return Verdict(
                False, f"{module}.{qualname} does not name this object when imported: {_HOW_TO_FIX}"
            )
        return Verdict(
            True,
            f"{module}.{qualname} runs in the sub-interpreter pool (general fallback)",
            (module, qualname),
        )

    def run(
        self, decision: Decision, column: Any, output: str, func: Any = None, source: Any = None
    ) -> Any:
        if free_threaded():
            raise RuntimeError(
                "gilmap: the subinterp backend needs a GIL-enabled CPython build; this is a "
                "free-threaded build, where sub-interpreters with their own GIL do not apply"
            )
        module, qualname = decision.payload
        try:
            return _gilmap.subinterp_map(
                column, module, qualname, list(map(str, sys.path)), output, synced_globals(func)
            )
        except TypeError as exc:
            if isinstance(exc, WorkerError) or _NON_NUMBER not in str(exc) or func is None:
                raise
        # A worker got a result that is not a number, which cannot cross interpreters, and
        # stopped there. gilmap's rule for every backend (docs/BACKENDS.md): a list holds
        # whatever ``func`` returned, and ``func``'s own exceptions (the first failing
        # element's, as ``list(map)`` raises it) come before an array output's refusal of
        # a non-number. So CPython evaluates the column on this thread, in index order.
        return _gilmap.cpython_map(column, func, output)
