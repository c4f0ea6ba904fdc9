"""CPython 3.12/3.13 bytecode -> version-neutral instructions (stage 1 of the JIT, part 1).

This is the one module where differences between Python versions live (see
``../shared/jit/OPCODES.md`` for the facts it relies on). :func:`normalize` reads
``dis.get_instructions(code)`` with its default arguments (no adaptive/specialized forms, no
CACHE entries) and returns :class:`Instr` items whose ``op`` is an opname of the text format
(``docs/JIT_TEXT_FORMAT.md``):

* packed ``LOAD_FAST_LOAD_FAST`` / ``STORE_FAST_STORE_FAST`` / ``STORE_FAST_LOAD_FAST`` expand
  to two instructions at the same offset;
* NULL slots disappear (``PUSH_NULL`` is a ``NOP``; the low-bit NULL of ``LOAD_GLOBAL`` and the
  method form of ``LOAD_ATTR`` are ignored), so ``CALL n`` pops ``n`` arguments and one callable;
* ``KW_NAMES c; CALL n`` (3.12) and ``LOAD_CONST names; CALL_KW n`` (3.13) become
  ``CALL (n, names)`` with the names instruction turned into a ``NOP``;
* ``COMPARE_OP`` / ``BINARY_OP`` carry the operator symbol (3.13 ``bool(..)`` wrapper and the
  in-place forms removed); ``RETURN_CONST c`` is ``LOAD_CONST c`` + ``RETURN_VALUE``;
* ``END_FOR`` (and on 3.13 the ``POP_TOP`` after it) are ``NOP`` and ``FOR_ITER`` targets the
  instruction after them; ``TO_BOOL`` right before a truthiness test is a ``NOP``;
* anything outside the subset is ``UNSUPPORTED`` with the CPython opname and argrepr.

Dropped instructions stay as ``NOP`` at their offset, so every jump target still exists.
"""

from __future__ import annotations

import dis
import re
import sys
from dataclasses import dataclass
from types import CodeType

SUPPORTED_VERSIONS = ((3, 12), (3, 13))

BINARY_SYMBOLS = frozenset("+ - * / // % ** << >> & | ^".split())
COMPARE_SYMBOLS = frozenset("< <= == != > >=".split())
JUMP_OPS = frozenset(
    {
        "POP_JUMP_IF_FALSE",
        "POP_JUMP_IF_TRUE",
        "POP_JUMP_IF_NONE",
        "POP_JUMP_IF_NOT_NONE",
        "JUMP",
        "FOR_ITER",
    }
)
_TRUTH_TESTS = frozenset({"POP_JUMP_IF_FALSE", "POP_JUMP_IF_TRUE", "UNARY_NOT"})
_AS_NOP = frozenset({"NOP", "RESUME", "COPY_FREE_VARS", "CACHE", "EXTENDED_ARG", "PUSH_NULL"})
_PLAIN = frozenset(
    {
        "TO_BOOL",
        "UNARY_NEGATIVE",
        "UNARY_INVERT",
        "UNARY_NOT",
        "GET_ITER",
        "POP_TOP",
        "RETURN_VALUE",
    }
)
_INT_ARG = frozenset({"IS_OP", "CONTAINS_OP", "COPY", "SWAP", "UNPACK_SEQUENCE"})
_TO_JUMP = {
    "JUMP_FORWARD": "JUMP",
    "JUMP_BACKWARD": "JUMP",
    "JUMP_BACKWARD_NO_INTERRUPT": "JUMP",
    "POP_JUMP_IF_FALSE": "POP_JUMP_IF_FALSE",
    "POP_JUMP_IF_TRUE": "POP_JUMP_IF_TRUE",
    "POP_JUMP_IF_NONE": "POP_JUMP_IF_NONE",
    "POP_JUMP_IF_NOT_NONE": "POP_JUMP_IF_NOT_NONE",
}
_PACKED = {
    "LOAD_FAST_LOAD_FAST": ("LOAD_FAST", "LOAD_FAST"),
    "STORE_FAST_STORE_FAST": ("STORE_FAST", "STORE_FAST"),
    "STORE_FAST_LOAD_FAST": ("STORE_FAST", "LOAD_FAST"),
}
# How a keyword call is spelled: (instruction carrying the names, the call it belongs to).
_KW_CALL = {(3, 12): ("KW_NAMES", "CALL"), (3, 13): ("LOAD_CONST", "CALL_KW")}
# What follows END_FOR to drop the iterator (3.12's END_FOR pops both items itself).
_END_FOR_CLEANUP = {(3, 12): (), (3, 13): ("POP_TOP",)}
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


class UnsupportedPython(RuntimeError):
    """The running CPython is not one whose bytecode the JIT reader knows."""


@dataclass(frozen=True, slots=True)
class Instr:
    """One normalized instruction.

    ``arg`` depends on ``op``: a local index (``LOAD_FAST``, ``LOAD_FAST_CHECK``,
    ``STORE_FAST``), the constant object (``LOAD_CONST``), a name (``LOAD_GLOBAL``,
    ``LOAD_DEREF``, ``LOAD_ATTR``), an operator symbol (``BINARY_OP``, ``COMPARE_OP``), an int
    (``IS_OP`` ``CONTAINS_OP`` ``COPY`` ``SWAP`` ``UNPACK_SEQUENCE``), a target offset (jumps),
    ``(n, kwnames)`` (``CALL``), ``(opname, argrepr)`` (``UNSUPPORTED``), else ``None``.
    """

    offset: int
    line: int
    op: str
    arg: object = None


def check_version(version_info: tuple[int, ...] | None = None) -> tuple[int, int]:
    """``(major, minor)`` if the reader supports it (default: the running Python).

    Raises :class:`UnsupportedPython` for any other version: bytecode is never guessed.
    """
    info = sys.version_info if version_info is None else version_info
    version = (int(info[0]), int(info[1]))
    if version not in SUPPORTED_VERSIONS:
        raise UnsupportedPython(
            f"gilmap's JIT reads the bytecode of CPython 3.12 and 3.13 only, "
            f"not Python {version[0]}.{version[1]}"
        )
    return version


def _line(ins: dis.Instruction) -> int:
    positions = ins.positions
    return positions.lineno if positions is not None and positions.lineno is not None else 0


def _argrepr(ins: dis.Instruction) -> str:
    text = re.sub(r"\s", "_", _ADDRESS.sub("", ins.argrepr))
    return text or "-"


def _is_names(value: object) -> bool:
    return type(value) is tuple and all(type(n) is str for n in value)


@dataclass
class _Plan:
    """What the first pass decides about instructions that depend on their neighbours."""

    version: tuple[int, int]
    kwnames: dict[int, tuple[str, ...]]  # index of a keyword call -> its keyword names
    dropped: set[int]  # indices of instructions written as NOP
    loop_exit: dict[int, int]  # offset of an END_FOR -> offset of the first instruction after


def _plan(raw: list[dis.Instruction], version: tuple[int, int]) -> _Plan:
    plan = _Plan(version, {}, set(), {})
    jumped_to = {i.argval for i in raw if i.opcode in dis.hasjrel and i.opname != "FOR_ITER"}
    names_op, call_op = _KW_CALL[version]
    end_for_cleanup = _END_FOR_CLEANUP[version]
    for k, ins in enumerate(raw):
        nxt = raw[k + 1] if k + 1 < len(raw) else None
        if ins.opname == names_op and nxt is not None and nxt.opname == call_op:
            if _is_names(ins.argval) and nxt.offset not in jumped_to:
                plan.kwnames[k + 1] = ins.argval
                plan.dropped.add(k)
        elif ins.opname == "END_FOR":
            cleanup = range(k, k + 1 + len(end_for_cleanup))
            after = cleanup[-1] + 1
            if (
                after < len(raw)
                and [raw[c].opname for c in cleanup[1:]] == list(end_for_cleanup)
                and not any(raw[c].offset in jumped_to for c in cleanup)
            ):
                plan.loop_exit[ins.offset] = raw[after].offset
                plan.dropped.update(cleanup)
        elif ins.opname == "TO_BOOL":
            j = k + 1
            while j < len(raw) and raw[j].opname == "EXTENDED_ARG":
                j += 1
            if j < len(raw) and raw[j].opname in _TRUTH_TESTS:
                plan.dropped.add(k)
    return plan


def normalize(code: CodeType) -> list[Instr]:
    """The normalized instructions of ``code`` (see the module docstring)."""
    version = check_version()
    raw = list(dis.get_instructions(code))
    plan = _plan(raw, version)
    out = []
    for k, ins in enumerate(raw):
        line = _line(ins)
        for op, arg in _convert(raw, k, code, plan):
            out.append(Instr(ins.offset, line, op, arg))
    return out


def _convert(
    raw: list[dis.Instruction], k: int, code: CodeType, plan: _Plan
) -> list[tuple[str, object]]:
    """The ``(op, arg)`` items that instruction ``raw[k]`` becomes."""
    ins = raw[k]
    name = ins.opname
    unsupported = [("UNSUPPORTED", (name, _argrepr(ins)))]
    if k in plan.dropped or name in _AS_NOP:
        return [("NOP", None)]
    if name in ("LOAD_FAST", "LOAD_FAST_CHECK", "STORE_FAST"):
        if ins.argval not in code.co_varnames:  # a cell reached through the fast locals
            return unsupported
        return [(name, code.co_varnames.index(ins.argval))]
    if name in _PACKED:  # 3.13; for the stores the first name gets TOS
        if not all(n in code.co_varnames for n in ins.argval):
            return unsupported
        return [
            (op, code.co_varnames.index(local))
            for op, local in zip(_PACKED[name], ins.argval, strict=True)
        ]
    if name == "LOAD_CONST":
        return [("LOAD_CONST", ins.argval)]
    if name == "RETURN_CONST":
        return [("LOAD_CONST", ins.argval), ("RETURN_VALUE", None)]
    if name in ("LOAD_GLOBAL", "LOAD_ATTR", "LOAD_DEREF"):
        return [(name, ins.argval)]  # the NULL of the low bit / method form is dropped
    if name == "BINARY_OP":
        symbol = ins.argrepr
        if symbol.endswith("=") and symbol[:-1] in BINARY_SYMBOLS:  # in-place form
            symbol = symbol[:-1]
        return [("BINARY_OP", symbol)] if symbol in BINARY_SYMBOLS else unsupported
    if name == "COMPARE_OP":
        symbol = str(ins.argval)
        if symbol.startswith("bool(") and symbol.endswith(")"):  # 3.13 coerce-to-bool flag
            symbol = symbol[5:-1]
        return [("COMPARE_OP", symbol)] if symbol in COMPARE_SYMBOLS else unsupported
    if name in _INT_ARG:
        return [(name, ins.arg)]
    if name in _PLAIN:
        return [(name, None)]
    if name == "CALL_INTRINSIC_1":
        positive = ins.argrepr == "INTRINSIC_UNARY_POSITIVE"
        return [("UNARY_POSITIVE", None)] if positive else unsupported
    if name in _TO_JUMP:
        return [(_TO_JUMP[name], ins.argval)]
    if name == "FOR_ITER":
        exit_to = plan.loop_exit.get(ins.argval)
        return [("FOR_ITER", exit_to)] if exit_to is not None else unsupported
    names_op, call_op = _KW_CALL[plan.version]
    if name == call_op and k in plan.kwnames:
        return [("CALL", (ins.arg, plan.kwnames[k]))]
    if name == "CALL" and not (k > 0 and raw[k - 1].opname == names_op == "KW_NAMES"):
        return [("CALL", (ins.arg, ()))]
    # anything else, including an END_FOR of an unexpected loop shape and a keyword call
    # whose names are not right before it
    return unsupported


def _raw_lines(code: CodeType) -> list[tuple[int, int, str]]:
    return [(i.offset, _line(i), i.opname) for i in dis.get_instructions(code)]


def handler_line(code: CodeType) -> int:
    """The source line of the first instruction protected by an exception-table entry."""
    entries = dis.Bytecode(code).exception_entries
    start = min((e.start for e in entries), default=None)
    for offset, line, _ in _raw_lines(code):
        if start is not None and offset >= start and line:
            return line
    return code.co_firstlineno


def first_line_of(code: CodeType, opnames: frozenset[str] | set[str]) -> int:
    """The source line of the first instruction named in ``opnames`` (first line if none)."""
    for _, line, opname in _raw_lines(code):
        if opname in opnames and line:
            return line
    return code.co_firstlineno
