"""Python function -> the stage 1 text form ("gnb", ``docs/JIT_TEXT_FORMAT.md``).

:func:`read` screens the mapped function (function 0), normalizes its bytecode with
:mod:`gilmap.jit.normalize`, resolves every global it loads (numbers are baked into the text
and recorded as guards; ``math``, its functions, a few builtins and module-level Python
functions are named), and reads every Python function it reaches the same way. Nothing here
reads source text or runs user code, so functions made by ``exec``/``eval`` read fine.
"""

from __future__ import annotations

import inspect
import math
import struct
import sys
import types
from dataclasses import dataclass, field

from .. import _guards
from . import normalize as nz

__all__ = ["ABSENT", "Program", "dump", "format_const", "read"]

#: The guard value of a name that must stay absent from a globals dict.
ABSENT = _guards.ABSENT

BUILTIN_NAMES = ("range", "abs", "min", "max", "int", "float", "round", "pow", "bool")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_FLAG_REASONS = (
    (inspect.CO_VARARGS, "a *args parameter is not supported"),
    (inspect.CO_VARKEYWORDS, "a **kwargs parameter is not supported"),
    (inspect.CO_GENERATOR, "generator functions are not compiled"),
    (inspect.CO_COROUTINE, "coroutines (async def) are not compiled"),
    (inspect.CO_ITERABLE_COROUTINE, "coroutines are not compiled"),
    (inspect.CO_ASYNC_GENERATOR, "async generators are not compiled"),
)


@dataclass
class Program:
    """What :func:`read` returns.

    ``guards``: :mod:`gilmap._guards` guards for every global the text resolved (numbers
    baked in, modules, functions, builtins; the owner is the function's globals, or its
    builtins if the name was found there, in which case the globals also get
    ``(globals, name, ABSENT)``), every ``math`` attribute read, and every function's
    ``__code__``, ``__defaults__`` and ``__kwdefaults__``;
    ``captures``: the current values of function 0's closure cells, in ``capture`` order;
    ``refusal``: function 0's ``refuse`` reason, or ``None``.
    """

    text: str
    guards: list[_guards.Guard] = field(default_factory=list)
    captures: list[object] = field(default_factory=list)
    refusal: str | None = None


def read(func: object) -> Program:
    """Read ``func`` and every Python function it calls. Raises ``UnsupportedPython``."""
    nz.check_version()
    return _Reader().run(func)


def dump(func: object) -> str:
    """The text form of ``func`` (``read(func).text``)."""
    return read(func).text


# ------------------------------------------------------------------------- constants
def _escape(text: str) -> str:
    if not text:
        return "\\e"
    parts = []
    for ch in text:
        if ch == "\\":
            parts.append("\\\\")
        elif ch == " ":
            parts.append("\\s")
        elif ch.isspace() or not ch.isprintable():
            parts.append(f"\\u{{{ord(ch):x}}}")
        else:
            parts.append(ch)
    return "".join(parts)


def format_const(value: object) -> str | None:
    """The text of a constant (``int 3``, ``float 0x…``, ``tuple 2 int 0 int 1``…), or ``None``
    if the format cannot express it (only exact ``int float bool str tuple`` and ``None``)."""
    kind = type(value)
    if kind is bool:
        return f"bool {int(value)}"
    if kind is int:
        if INT64_MIN <= value <= INT64_MAX:
            return f"int {value}"
        try:
            return f"bigint {value}"
        except ValueError:  # more digits than sys.get_int_max_str_digits() allows
            return None
    if kind is float:
        return "float 0x" + struct.pack(">d", value).hex()
    if value is None:
        return "none"
    if kind is str:
        return "str " + _escape(value)
    if kind is tuple:
        items = [format_const(item) for item in value]
        if any(item is None for item in items):
            return None
        return " ".join([f"tuple {len(items)}", *items])
    return None


def _name(text: object) -> str:
    """A name as one field: whitespace removed, ``-`` if nothing is left."""
    return "".join(str(text).split()) or "-"


def _typename(value: object) -> str:
    return _name(type(value).__name__)


# ------------------------------------------------------------------------- the reader
class _Reader:
    def __init__(self) -> None:
        self.funcs: list[types.FunctionType] = []
        self.ids: dict[int, int] = {}  # id(function) -> ID
        self.guards: list[_guards.Guard] = []
        self.guarded: set[tuple[int, str]] = set()
        self.lines: list[str] = ["gnb 1"]

    def run(self, func: object) -> Program:
        if not isinstance(func, types.FunctionType):
            reason = (
                f"not a plain Python function but a {_typename(func)} "
                "(only def and lambda functions are compiled)"
            )
            self.lines += [f"func 0 {_typename(func)} argc=0 nlocals=0 firstline=0"]
            self.lines += [f"refuse {reason}", "end"]
            return Program(self._text(), refusal=reason)
        self._func_id(func)
        refusal = None
        captures: list[object] = []
        k = 0
        while k < len(self.funcs):  # callees are appended while their callers are read
            self.guards += _guards.function_guards(self.funcs[k])
            reason, values = self._emit_function(k)
            if k == 0:
                refusal, captures = reason, values
            k += 1
        return Program(self._text(), self.guards, captures, refusal)

    def _text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def _func_id(self, func: types.FunctionType) -> int:
        if id(func) not in self.ids:
            self.ids[id(func)] = len(self.funcs)
            self.funcs.append(func)
        return self.ids[id(func)]

    # -- one function block
    def _emit_function(self, fid: int) -> tuple[str | None, list[object]]:
        func = self.funcs[fid]
        code = func.__code__
        self.lines.append(
            f"func {fid} {_name(func.__qualname__)} argc={code.co_argcount} "
            f"nlocals={len(code.co_varnames)} firstline={code.co_firstlineno}"
        )
        reason = self._screen(func, fid)
        captured: list[tuple[str, str, object]] = []
        if reason is None:
            reason, captured = self._captures(func)
        if reason is not None:
            self.lines += [f"refuse {reason}", "end"]
            return reason, []
        self.lines += [f"local {i} {_name(n)}" for i, n in enumerate(code.co_varnames)]
        if fid != 0 and func.__defaults__:
            first = code.co_argcount - len(func.__defaults__)
            for i, value in enumerate(func.__defaults__):
                self.lines.append(f"default {first + i} {format_const(value)}")
        self.lines += [f"capture {i} {n} {t}" for i, (n, t, _) in enumerate(captured)]
        instrs = nz.normalize(code)
        targets = {ins.arg for ins in instrs if ins.op in nz.JUMP_OPS}
        module_on_top = False  # did the previous instruction on this straight path push math?
        for ins in instrs:
            module_on_top &= ins.offset not in targets
            text = self._render(func, ins)
            if ins.op == "LOAD_ATTR" and not module_on_top:
                text = f"UNSUPPORTED LOAD_ATTR {_name(ins.arg)}"  # attribute of a non-module
            elif ins.op == "LOAD_ATTR":
                text = self._math_attr(str(ins.arg), text)
            if ins.op != "NOP":
                module_on_top = text.startswith("LOAD_GLOBAL module ")
            self.lines.append(f"@{ins.offset} L{ins.line} {text}")
        self.lines.append("end")
        return None, [value for _, _, value in captured]

    def _screen(self, func: types.FunctionType, fid: int) -> str | None:
        code = func.__code__
        at_def = f"(line {code.co_firstlineno})"
        for flag, reason in _FLAG_REASONS:
            if code.co_flags & flag:
                return f"{reason} {at_def}"
        if code.co_kwonlyargcount:
            return f"keyword-only parameters are not supported {at_def}"
        if fid == 0 and code.co_argcount != 1:
            return (
                f"the mapped function must take exactly one positional argument, "
                f"this one takes {code.co_argcount} {at_def}"
            )
        if fid != 0 and code.co_posonlyargcount:
            return f"positional-only parameters of a called function are not supported {at_def}"
        if code.co_exceptiontable:
            line = nz.handler_line(code)
            return (
                f"exception handling (try, with, or a comprehension) is not compiled (line {line})"
            )
        if code.co_cellvars:
            names = ",".join(code.co_cellvars)
            line = nz.first_line_of(code, {"STORE_DEREF", "MAKE_FUNCTION"})
            return f"local variable {names} is captured by an inner function (line {line})"
        if fid != 0 and code.co_freevars:
            names = ",".join(code.co_freevars)
            return f"a called function that is a closure (over {names}) is not supported {at_def}"
        if fid != 0:
            for i, value in enumerate(func.__defaults__ or ()):
                if format_const(value) is None:
                    param = code.co_varnames[code.co_argcount - len(func.__defaults__) + i]
                    return (
                        f"the default value of parameter {param} is a {_typename(value)} {at_def}"
                    )
        return None

    def _captures(self, func: types.FunctionType) -> tuple[str | None, list]:
        code = func.__code__
        found = []
        for i, name in enumerate(code.co_freevars):
            line = nz.first_line_of(code, {"LOAD_DEREF"})
            try:
                value = func.__closure__[i].cell_contents
            except ValueError:
                return f"closure variable {name} is unbound (line {line})", []
            kind = {bool: "bool", int: "int", float: "float"}.get(type(value))
            if kind == "int" and not INT64_MIN <= value <= INT64_MAX:
                return f"closure variable {name} is an int outside int64 (line {line})", []
            if kind is None:
                return (
                    f"closure variable {name} is a {_typename(value)}, not an int, float "
                    f"or bool (line {line})",
                    [],
                )
            found.append((_name(name), kind, value))
        return None, found

    # -- one instruction
    def _render(self, func: types.FunctionType, ins: nz.Instr) -> str:
        op, arg = ins.op, ins.arg
        if op == "LOAD_CONST":
            text = format_const(arg)
            return f"LOAD_CONST {text}" if text else f"UNSUPPORTED LOAD_CONST {_typename(arg)}"
        if op == "LOAD_GLOBAL":
            return f"LOAD_GLOBAL {self._resolve(func, str(arg))}"
        if op == "LOAD_DEREF":
            freevars = func.__code__.co_freevars
            if arg in freevars:
                return f"LOAD_DEREF {freevars.index(arg)}"
            return f"UNSUPPORTED LOAD_DEREF {_name(arg)}"
        if op == "LOAD_ATTR":
            return f"LOAD_ATTR {_name(arg)}"
        if op in nz.JUMP_OPS:
            return f"{op} @{arg}"
        if op == "CALL":
            count, kwnames = arg
            return " ".join([f"CALL {count}", *(["kw", *map(_name, kwnames)] if kwnames else [])])
        if op == "UNSUPPORTED":
            return f"UNSUPPORTED {arg[0]} {arg[1]}"
        return op if arg is None else f"{op} {arg}"

    def _guard(self, scope: dict, name: str, value: object) -> None:
        if (id(scope), name) not in self.guarded:
            self.guarded.add((id(scope), name))
            self.guards.append(_guards.make(scope, name, value))

    def _math_attr(self, name: str, text: str) -> str:
        """``math.<name>``, guarded; refused once it no longer is what math held (the
        compiler knows the original functions and constants by name)."""
        scope = vars(math)
        value = scope.get(name, ABSENT)
        self._guard(scope, name, value)
        if value is ABSENT or _guards.is_original_math(name, value):
            return text
        return f"UNSUPPORTED math.{_name(name)} reassigned"

    def _resolve(self, func: types.FunctionType, name: str) -> str:
        """The arguments of ``LOAD_GLOBAL`` for ``name`` as seen from ``func``.

        Every resolution is guarded (a rebound helper, module or builtin makes the kernel
        stale, not only a changed number); a name found in the builtins is also guarded to
        stay absent from the module's globals (a later module-level `abs = ...` shadows it).
        """
        scope = func.__globals__
        if name not in scope:
            self._guard(scope, name, ABSENT)
            scope = func.__builtins__  # what CPython's LOAD_GLOBAL itself falls back to
            if name not in scope:
                return f"unsupported missing {_name(name)}"
        value = scope[name]
        self._guard(scope, name, value)
        shown = _name(name)
        if type(value) in (bool, int, float):
            text = format_const(value)
            if text is None:
                return f"unsupported {_typename(value)} {shown}"
            return f"const {text} {shown}"
        if value is sys.modules.get("math"):
            return f"module math {shown}"
        math_name = _guards.original_math_name(value)
        if math_name is not None:
            return f"mathfn {math_name} {shown}"
        for builtin in BUILTIN_NAMES:
            if _guards.is_original_builtin(builtin, value):
                return f"builtin {builtin} {shown}"
        if isinstance(value, types.FunctionType):
            return f"func {self._func_id(value)} {shown}"
        return f"unsupported {_typename(value)} {shown}"
