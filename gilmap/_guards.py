"""Guards: what a backend's decision assumed about the world outside ``func``'s argument.

A decision (the JIT's kernel, arrow_kernel's expression, or a refusal) depends on values
read at analysis time: globals baked in as constants, the helper functions, modules and
builtins a name resolved to, and the functions' own ``__code__`` and defaults. Each is a
guard ``(owner, name, value)``: ``owner`` is a namespace dict (globals, builtins,
``math.__dict__``) or a weak reference to an object whose attribute ``name`` is read.
Before a cached decision is reused every guard is compared with :func:`same_value`; one
that changed makes the decision stale and the router decides again (so a refusal caused
by a global's value is re-decided when the value changes back).

Comparison is by identity, or by type and exact value: floats by their bits (``0.0`` and
``-0.0`` differ, a NaN equals itself). Function values and owners are held weakly, so a
cached decision never keeps the function it was made for alive.

The ``math`` functions and constants and the builtins the backends know are recognised by
identity with the objects these modules held when gilmap was imported: after
``math.pi = 3`` or ``builtins.abs = my_abs`` the name no longer means what the compiled
code assumes, and the backends refuse it.
"""

from __future__ import annotations

import builtins
import math
import struct
import types
import weakref
from typing import Any

#: The value of a name that is absent (a global that must stay unbound, so that the
#: builtin of that name is what the code reads).
ABSENT: Any = object()

#: What ``math`` and ``builtins`` held at import.
ORIGINAL_MATH: dict[str, Any] = dict(vars(math))
ORIGINAL_BUILTINS: dict[str, Any] = dict(vars(builtins))

Guard = tuple[Any, str, Any]


class _WeakValue:
    """A function value held weakly: equal only to the same, still living, object."""

    __slots__ = ("ref",)

    def __init__(self, obj: Any) -> None:
        self.ref = weakref.ref(obj)

    def get(self) -> Any:
        return self.ref()


def is_original_math(name: str, value: Any) -> bool:
    """Whether ``value`` is what ``math.<name>`` was when gilmap was imported."""
    return name in ORIGINAL_MATH and ORIGINAL_MATH[name] is value


def original_math_name(value: Any) -> str | None:
    """The ``math`` attribute ``value`` originally was (functions only), or None."""
    for name, obj in ORIGINAL_MATH.items():
        if obj is value and callable(obj) and not name.startswith("_"):
            return name
    return None


def is_original_builtin(name: str, value: Any) -> bool:
    return name in ORIGINAL_BUILTINS and ORIGINAL_BUILTINS[name] is value


def make(owner: Any, name: str, value: Any) -> Guard:
    """A guard on ``owner[name]`` (a dict) or ``owner.name`` (any other object, held
    weakly) having ``value``."""
    if not isinstance(owner, dict):
        owner = weakref.ref(owner)
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType)):
        try:
            value = _WeakValue(value)
        except TypeError:  # not weakly referenceable: held strongly
            pass
    return (owner, name, value)


def function_guards(func: Any) -> list[Guard]:
    """Guards on what a compiled function's text was read from."""
    return [
        make(func, "__code__", func.__code__),
        make(func, "__defaults__", func.__defaults__),
        make(func, "__kwdefaults__", func.__kwdefaults__),
    ]


def current(owner: Any, name: str) -> Any:
    if isinstance(owner, dict):
        return owner.get(name, ABSENT)
    obj = owner()
    if obj is None:
        return ABSENT
    return getattr(obj, name, ABSENT)


def same_value(now: Any, then: Any) -> bool:
    """Whether ``now`` is still ``then``: identity, or the same type and exact value
    (floats by bits)."""
    if isinstance(then, _WeakValue):
        then = then.get()
        return then is not None and now is then
    if now is then:
        return True
    if type(now) is not type(then):
        return False
    if type(now) is float:
        return struct.pack("<d", now) == struct.pack("<d", then)
    if type(now) in (int, bool, str, types.NoneType):
        return bool(now == then)
    return False


def stale(guards: Any) -> str | None:
    """The name of the first guard whose value changed, or None when all hold (run before
    every reuse of a decision: the common case, an unchanged object, costs one lookup)."""
    for owner, name, value in guards:
        if type(owner) is dict:
            now = owner.get(name, ABSENT)
        else:
            obj = owner()
            now = ABSENT if obj is None else getattr(obj, name, ABSENT)
        if now is not value and not same_value(now, value):
            return name
    return None
