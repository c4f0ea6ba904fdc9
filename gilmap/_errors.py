"""Exceptions raised by gilmap, and the rebuilding of a worker's exception.

A function that raises inside a worker sub-interpreter cannot hand its exception object to
the calling interpreter (objects do not cross interpreters). gilmap rebuilds it as a
:class:`WorkerError` (a ``RuntimeError``) whose class also derives from the original
exception type when that type can be found in the calling interpreter (every builtin, and a
user's exception class importable by module and qualname), so ``except ZeroDivisionError``
and ``except RuntimeError`` both catch it. The worker's formatted traceback is kept.
"""

from __future__ import annotations

import builtins
import importlib
import sys
from functools import cache

__all__ = ["WorkerError", "worker_error"]


class WorkerError(RuntimeError):
    """An exception raised by ``func`` (or its import) inside a worker sub-interpreter.

    Attributes: ``exc_type`` (qualified name of the original type), ``exc_message``
    (``str`` of the original exception), ``index`` (the failing element, or None for an
    import failure) and ``worker_traceback`` (the worker's formatted traceback).
    """

    exc_type: str
    exc_message: str
    index: int | None
    worker_traceback: str

    def __str__(self) -> str:
        text = super().__str__()
        if getattr(self, "worker_traceback", ""):
            text += "\n\nWorker traceback:\n" + self.worker_traceback.rstrip()
        return text


def _resolve(module: str, qualname: str) -> type[BaseException] | None:
    if module == "builtins":
        obj = getattr(builtins, qualname, None)
    else:
        mod = sys.modules.get(module)
        if mod is None:
            try:
                mod = importlib.import_module(module)
            except Exception:
                return None
        obj = mod
        for part in qualname.split("."):
            obj = getattr(obj, part, None)
    if isinstance(obj, type) and issubclass(obj, BaseException):
        return obj
    return None


@cache
def _error_class(module: str, qualname: str) -> type[WorkerError]:
    original = _resolve(module, qualname)
    if original is None or issubclass(WorkerError, original):
        return WorkerError
    try:
        # The original type first, so its __new__/__init__ build the instance (OSError and
        # its subclasses refuse RuntimeError.__new__).
        return type(
            f"WorkerError[{qualname}]",
            (original, WorkerError),
            {
                "__module__": "gilmap",
                "__qualname__": f"WorkerError[{qualname}]",
                "__str__": WorkerError.__str__,
            },
        )
    except TypeError:  # layout conflict with an exotic exception type
        return WorkerError


def worker_error(
    type_module: str,
    type_qualname: str,
    message: str,
    exc_message: str,
    traceback: str,
    index: int | None,
) -> WorkerError:
    """Builds the exception for a failure captured in a worker (called from Rust).

    An exception type whose constructor needs other arguments is built without calling its
    ``__init__``; one that cannot be built at all (UnicodeDecodeError, ExceptionGroup)
    arrives as a plain WorkerError whose ``exc_type`` names it.
    """
    cls = _error_class(type_module, type_qualname)
    try:
        err = cls(message)
    except Exception:
        try:  # a constructor that wants other arguments: build it without calling it
            err = cls.__new__(cls)
            BaseException.__init__(err, message)
        except Exception:
            err = WorkerError(message)
    err.exc_type = type_qualname if type_module == "builtins" else f"{type_module}.{type_qualname}"
    err.exc_message = exc_message
    err.index = index
    err.worker_traceback = traceback
    return err
