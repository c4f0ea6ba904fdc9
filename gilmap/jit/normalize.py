"""CPython 3.12-3.15 bytecode -> version-neutral instructions (stage 1 of the JIT, part 1).

This is the one module where differences between Python versions live: the reader, the
``arrow_kernel`` detector and the Rust compiler see only :class:`Instr` items whose ``op`` is
an opname of the text format (``docs/JIT_TEXT_FORMAT.md``). :func:`normalize` reads
``dis.get_instructions(code)`` with its default arguments (base instructions: no
adaptive/specialized forms, no CACHE entries; ``argval`` holds the decoded argument: the
constant, the name, the operator, the absolute target offset of a jump). Opnames are the key
(opcode numbers differ between all four versions); an opname means the same thing in every
version that has it, except where the table says otherwise. Any version not in
:data:`SUPPORTED_VERSIONS` raises :class:`UnsupportedPython`: bytecode is never guessed.

Opcode table (checked with ``dis`` on CPython 3.12.1, 3.13.0, 3.14.10 and 3.15.2; ``-`` = the
opname does not occur in that version's code):

=================================== ==== ==== ==== ==== =====================================
CPython opname                      3.12 3.13 3.14 3.15 normalized to
=================================== ==== ==== ==== ==== =====================================
RESUME NOP EXTENDED_ARG CACHE        x    x    x    x   ``NOP`` (``dis`` folds EXTENDED_ARG)
COPY_FREE_VARS                       x    x    x    x   ``NOP`` (captures come from
                                                        ``__closure__``)
PUSH_NULL                            x    x    x    x   ``NOP`` (3.12: before a non-global
                                                        callable; 3.13+: after it, e.g.
                                                        ``math.sqrt(x)`` is ``LOAD_GLOBAL
                                                        math; LOAD_ATTR sqrt; PUSH_NULL``)
NOT_TAKEN                            -    -    x    x   ``NOP`` (branch-monitoring marker on
                                                        the fall-through side of a jump)
LOAD_FAST LOAD_FAST_CHECK            x    x    x    x   same, ``arg`` = index in co_varnames
LOAD_FAST_BORROW                     -    -    x    x   ``LOAD_FAST`` (borrowed reference)
LOAD_FAST_LOAD_FAST                  -    x    x    x   ``LOAD_FAST i; LOAD_FAST j``
LOAD_FAST_BORROW_LOAD_FAST_BORROW    -    -    x    x   ``LOAD_FAST i; LOAD_FAST j``
STORE_FAST                           x    x    x    x   same
STORE_FAST_STORE_FAST                -    x    x    x   ``STORE_FAST i; STORE_FAST j`` (the
                                                        first name gets TOS)
STORE_FAST_LOAD_FAST                 -    x    x    x   ``STORE_FAST i; LOAD_FAST j``
LOAD_CONST                           x    x    x    x   ``LOAD_CONST co_consts[arg]`` (3.13+:
                                                        also a keyword call's names: ``NOP``)
LOAD_SMALL_INT                       -    -    x    x   ``LOAD_CONST`` of the int ``arg``
                                                        (0..255; 3.12/3.13 use LOAD_CONST)
LOAD_COMMON_CONSTANT                 -    -    x    x   ``LOAD_CONST`` for ``None True False
                                                        -1 ''`` (3.15 only; 3.14 loads them
                                                        with LOAD_CONST); ``UNSUPPORTED`` for
                                                        AssertionError NotImplementedError
                                                        tuple all any list set
RETURN_CONST                         x    x    -    -   ``LOAD_CONST c; RETURN_VALUE``
RETURN_VALUE                         x    x    x    x   same (3.14+ always use it)
LOAD_GLOBAL                          x    x    x    x   ``LOAD_GLOBAL name`` (NULL bit dropped)
LOAD_ATTR                            x    x    x    x   ``LOAD_ATTR name`` (method bit dropped)
LOAD_DEREF                           x    x    x    x   ``LOAD_DEREF name``
BINARY_OP                            x    x    x    x   ``BINARY_OP sym``, in-place forms
                                                        (``+=``) as the plain symbol; ``@``
                                                        and 3.14+'s subscript ``[]``
                                                        (NB_SUBSCR) are ``UNSUPPORTED``
BINARY_SUBSCR                        x    x    -    -   ``UNSUPPORTED`` (3.14+: BINARY_OP [])
COMPARE_OP                           x    x    x    x   ``COMPARE_OP sym`` (the 3.13+ bool
                                                        flag, ``bool(<)``, dropped)
IS_OP CONTAINS_OP                    x    x    x    x   same, ``arg`` 0 or 1
UNARY_NEGATIVE UNARY_INVERT          x    x    x    x   same
UNARY_NOT                            x    x    x    x   same
CALL_INTRINSIC_1                     x    x    x    x   ``UNARY_POSITIVE`` for
                                                        INTRINSIC_UNARY_POSITIVE (``+x``),
                                                        else ``UNSUPPORTED``
TO_BOOL                              -    x    x    x   ``NOP`` right before POP_JUMP_IF_TRUE,
                                                        POP_JUMP_IF_FALSE or UNARY_NOT (those
                                                        test truthiness, as in 3.12), else
                                                        ``TO_BOOL``
POP_JUMP_IF_TRUE/FALSE/NONE/NOT_NONE x    x    x    x   same, target offset (forward only)
JUMP_FORWARD JUMP_BACKWARD           x    x    x    x   ``JUMP``
JUMP_BACKWARD_NO_INTERRUPT           x    x    x    x   ``JUMP``
GET_ITER                             x    x    x    x   ``GET_ITER``; 3.15 gives it an oparg
                                                        (0 = for loop, pushing the iterator
                                                        and a second slot, NULL or an index;
                                                        3 = ``yield from``): other than 0 is
                                                        ``UNSUPPORTED``
FOR_ITER                             x    x    x    x   ``FOR_ITER T``: its ``argval`` is the
                                                        loop's END_FOR in every version; T is
                                                        the instruction after END_FOR and its
                                                        cleanup
END_FOR                              x    x    x    x   ``NOP`` with its cleanup: 3.12 none
                                                        (END_FOR pops 2), 3.13 ``POP_TOP``,
                                                        3.14/3.15 ``POP_ITER``
POP_ITER                             -    -    x    x   ``NOP`` after END_FOR, else
                                                        ``POP_TOP`` (drops an iterator)
POP_TOP                              x    x    x    x   same; 3.15: ``NOP`` where it drops an
                                                        iterator's second slot
COPY SWAP                            x    x    x    x   same; 3.15: ``arg`` counts no second
                                                        iterator slots
UNPACK_SEQUENCE                      x    x    x    x   same (3.14+ store ``a, b = 0, 1``
                                                        without it)
CALL                                 x    x    x    x   ``CALL (n, ())``; 3.12 ``KW_NAMES c;
                                                        CALL n`` is ``CALL (n, names)``
KW_NAMES                             x    -    -    -   ``NOP`` right before its CALL
CALL_KW                              -    x    x    x   ``CALL (n, names)``, the ``LOAD_CONST
                                                        names`` before it a ``NOP``
MAKE_CELL STORE_DEREF MAKE_FUNCTION  x    x    x    x   ``UNSUPPORTED`` (the reader refuses
BUILD_* LIST_* FORMAT_* (all others)                    cells and closures before that)
=================================== ==== ==== ==== ==== =====================================

Other facts the normalization relies on, checked on all four versions:

* Stack layout of calls: ``CALL n`` pops ``n`` arguments and two slots (callable and
  NULL/self, in 3.12 order ``NULL, callable``, in 3.13+ ``callable, NULL``); ``LOAD_GLOBAL``
  with the low bit and the method form of ``LOAD_ATTR`` push the second slot. In the
  normalized form NULL slots do not exist, so ``CALL n`` pops ``n`` arguments and one callable.
* Exception table: empty for every function made of the supported subset (loops, ``break``,
  ``continue``, early ``return`` included) in all four versions; entries appear for ``try``,
  ``with``, generators and (inlined) comprehensions, which the reader refuses with the line.
* Loops: ``GET_ITER; FOR_ITER exit; STORE_FAST i; ...; JUMP_BACKWARD; exit: END_FOR`` plus the
  cleanup above. ``break`` drops the iterator with ``POP_TOP`` (3.15: two, the second slot
  first) and ``return`` inside a loop is ``SWAP 2; POP_TOP`` per loop level (3.15:
  ``SWAP 3; POP_TOP; POP_TOP``). 3.15's second slot is tracked by a stack walk over the
  bytecode and disappears (see :func:`_iterator_slots`), so every version gives the one-slot
  iterator of 3.12.
* ``while`` loops: 3.12 and 3.13 repeat the test at the bottom of the loop, 3.14+ jump back to
  the single test. This changes the shape of the normalized list (not its opnames); the
  compiler handles any control flow graph.

Rules of the output:

* packed instructions expand to two instructions at the same offset;
* truth tests of a constant are resolved and code no path reaches is dropped, on every
  version (see :func:`_simplify`: 3.14+ leave such tests and their dead branches in the
  bytecode where 3.12 and 3.13 fold them before emitting it);
* dropped instructions stay as ``NOP`` at their offset, so every jump target still exists;
* anything outside the subset is ``UNSUPPORTED`` with the CPython opname and argrepr.
"""

from __future__ import annotations

import dis
import re
import sys
from dataclasses import dataclass
from types import CodeType


@dataclass(frozen=True, slots=True)
class _Dialect:
    """How one CPython version spells what the versions spell differently."""

    kw_names: str  # the instruction carrying a keyword call's names, right before ...
    kw_call: str  # ... the call it belongs to
    end_for_cleanup: tuple[str, ...]  # what follows END_FOR to drop the iterator
    iter_slots: int  # stack slots a for loop's iterator takes
    # LOAD_COMMON_CONSTANT oparg -> the value, for the values that are constants of the text
    # format (the others are classes and builtin functions). Taken from the oparg, as 3.14's
    # ``dis`` gives the index as ``argval`` where 3.15's gives the value.
    common_constants: dict[int, object]


_DIALECTS = {
    (3, 12): _Dialect("KW_NAMES", "CALL", (), 1, {}),  # 3.12's END_FOR pops both items itself
    (3, 13): _Dialect("LOAD_CONST", "CALL_KW", ("POP_TOP",), 1, {}),
    # 3.14's common constants: AssertionError NotImplementedError tuple all any
    (3, 14): _Dialect("LOAD_CONST", "CALL_KW", ("POP_ITER",), 1, {}),
    # iterator + NULL/index; common constants 0-6 as 3.14 plus list set, then these
    (3, 15): _Dialect(
        "LOAD_CONST", "CALL_KW", ("POP_ITER",), 2, {7: None, 8: "", 9: True, 10: False, 11: -1}
    ),
}
SUPPORTED_VERSIONS = tuple(_DIALECTS)

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
_AS_NOP = frozenset(
    {"NOP", "RESUME", "COPY_FREE_VARS", "CACHE", "EXTENDED_ARG", "PUSH_NULL", "NOT_TAKEN"}
)
_PLAIN = frozenset(
    {
        "TO_BOOL",
        "UNARY_NEGATIVE",
        "UNARY_INVERT",
        "UNARY_NOT",
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
_LOCAL = {
    "LOAD_FAST": "LOAD_FAST",
    "LOAD_FAST_BORROW": "LOAD_FAST",
    "LOAD_FAST_CHECK": "LOAD_FAST_CHECK",
    "STORE_FAST": "STORE_FAST",
}
_PACKED = {
    "LOAD_FAST_LOAD_FAST": ("LOAD_FAST", "LOAD_FAST"),
    "LOAD_FAST_BORROW_LOAD_FAST_BORROW": ("LOAD_FAST", "LOAD_FAST"),
    "STORE_FAST_STORE_FAST": ("STORE_FAST", "STORE_FAST"),
    "STORE_FAST_LOAD_FAST": ("STORE_FAST", "LOAD_FAST"),
}
# Instructions after which the next one is not reached on the same path.
_ENDS_PATH = frozenset(
    {"RETURN_VALUE", "RETURN_CONST", "RAISE_VARARGS", "RERAISE"}
    | {"JUMP_FORWARD", "JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT"}
)
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


def _version_names() -> str:
    names = [f"{major}.{minor}" for major, minor in SUPPORTED_VERSIONS]
    return ", ".join(names[:-1]) + " and " + names[-1]


def check_version(version_info: tuple[int, ...] | None = None) -> tuple[int, int]:
    """``(major, minor)`` if the reader supports it (default: the running Python).

    Raises :class:`UnsupportedPython` for any other version: bytecode is never guessed.
    """
    info = sys.version_info if version_info is None else version_info
    version = (int(info[0]), int(info[1]))
    if version not in SUPPORTED_VERSIONS:
        raise UnsupportedPython(
            f"gilmap's JIT reads the bytecode of CPython {_version_names()} only, "
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

    dialect: _Dialect
    kwnames: dict[int, tuple[str, ...]]  # index of a keyword call -> its keyword names
    dropped: set[int]  # indices of instructions written as NOP
    loop_exit: dict[int, int]  # offset of an END_FOR -> offset of the first instruction after
    # index -> what it becomes instead (3.15's second iterator slots); None: UNSUPPORTED
    slots: dict[int, tuple[str, object] | None]


def _plan(raw: list[dis.Instruction], dialect: _Dialect) -> _Plan:
    plan = _Plan(dialect, {}, set(), {}, {})
    jumped_to = {i.argval for i in raw if i.opcode in dis.hasjrel and i.opname != "FOR_ITER"}
    cleanup_ops = list(dialect.end_for_cleanup)
    for k, ins in enumerate(raw):
        nxt = raw[k + 1] if k + 1 < len(raw) else None
        if ins.opname == dialect.kw_names and nxt is not None and nxt.opname == dialect.kw_call:
            if _is_names(ins.argval) and nxt.offset not in jumped_to:
                plan.kwnames[k + 1] = ins.argval
                plan.dropped.add(k)
        elif ins.opname == "END_FOR":
            cleanup = range(k, k + 1 + len(cleanup_ops))
            after = cleanup[-1] + 1
            if (
                after < len(raw)
                and [raw[c].opname for c in cleanup[1:]] == cleanup_ops
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
    if dialect.iter_slots > 1 and any(i.opname == "GET_ITER" for i in raw):
        plan.slots = _iterator_slots(raw, dialect)
    return plan


def _effect(ins: dis.Instruction, jump: bool) -> int:
    arg = ins.arg if ins.opcode >= dis.HAVE_ARGUMENT else None
    return dis.stack_effect(ins.opcode, arg, jump=jump)


def _pops(ins: dis.Instruction, dialect: _Dialect) -> int:
    """How many stack items ``ins`` takes (those it pushes back are new items)."""
    name = ins.opname
    if name in ("POP_TOP", "END_FOR", "GET_ITER", "TO_BOOL", "LOAD_ATTR", "UNPACK_SEQUENCE"):
        return 1
    if name in ("UNARY_NEGATIVE", "UNARY_INVERT", "UNARY_NOT", "CALL_INTRINSIC_1"):
        return 1
    if name == "POP_ITER":
        return dialect.iter_slots
    if name in ("BINARY_OP", "COMPARE_OP", "IS_OP", "CONTAINS_OP"):
        return 2
    if name == "CALL":
        return ins.arg + 2
    if name == "CALL_KW":
        return ins.arg + 3
    if name in ("COPY", "SWAP"):
        return ins.arg  # looked at, not taken
    if name == "FOR_ITER":
        return 0
    return max(0, -_effect(ins, False))


def _iterator_slots(
    raw: list[dis.Instruction], dialect: _Dialect
) -> dict[int, tuple[str, object] | None]:
    """Where 3.15's second iterator slot (NULL or an index, above its iterator) is touched.

    Walks every path of the bytecode with the stack as a tuple of flags (True: a second
    iterator slot) and returns, by instruction index: ``("NOP", None)`` for a ``POP_TOP`` of
    a second slot, ``("SWAP"|"COPY", n)`` where the count of slots changes without them,
    and ``None`` (``UNSUPPORTED``) where the bytecode does something else with such a slot
    (moves or copies it, consumes it otherwise, or reaches a join with another layout).
    """
    at = {ins.offset: k for k, ins in enumerate(raw)}
    stacks: dict[int, tuple[bool, ...]] = {0: ()}
    out: dict[int, tuple[str, object] | None] = {}
    work = [0]
    while work:
        k = work.pop()
        ins, stack = raw[k], stacks[k]
        name = ins.opname
        try:
            pops = _pops(ins, dialect)
            pushed = pops + _effect(ins, False)
            jump_pushed = pops + _effect(ins, True)
        except ValueError:  # an instruction dis has no stack effect for
            out[k] = None
            continue
        if pops > len(stack):
            out[k] = None
            continue
        taken = stack[len(stack) - pops :]
        below = stack[: len(stack) - pops]
        after = None
        if name == "POP_TOP" and taken[-1]:
            out[k], after = ("NOP", None), below
        elif name == "POP_ITER":
            if taken[:1] == (False,) and all(taken[1:]):
                after = below  # becomes a POP_TOP of the (one-slot) iterator
            else:
                out[k] = None
        elif name in ("COPY", "SWAP"):
            count = sum(not hidden for hidden in taken)
            if taken[0] or (name == "SWAP" and taken[-1]):
                out[k] = None
            elif count != ins.arg:
                out[k] = (name, count)
            if name == "COPY":
                after = (*stack, False)
            else:
                after = stack
        elif any(taken):
            out[k] = None
        else:
            hidden = dialect.iter_slots - 1 if name == "GET_ITER" and ins.arg == 0 else 0
            after = below + (False,) * (pushed - hidden) + (True,) * hidden
        if after is None:
            continue
        successors = []
        if name not in _ENDS_PATH and k + 1 < len(raw):
            successors.append((k + 1, after))
        if ins.opcode in dis.hasjrel and ins.argval in at:
            jumped = below + (False,) * jump_pushed
            successors.append((at[ins.argval], jumped))
        for j, stack_j in successors:
            if j not in stacks:
                stacks[j] = stack_j
                work.append(j)
            elif stacks[j] != stack_j:
                out[j] = None
    return out


def normalize(code: CodeType) -> list[Instr]:
    """The normalized instructions of ``code`` (see the module docstring)."""
    dialect = _DIALECTS[check_version()]
    raw = list(dis.get_instructions(code))
    plan = _plan(raw, dialect)
    out = []
    for k, ins in enumerate(raw):
        line = _line(ins)
        for op, arg in _convert(raw, k, code, plan):
            out.append(Instr(ins.offset, line, op, arg))
    return _simplify(out)


def _convert(
    raw: list[dis.Instruction], k: int, code: CodeType, plan: _Plan
) -> list[tuple[str, object]]:
    """The ``(op, arg)`` items that instruction ``raw[k]`` becomes."""
    ins = raw[k]
    name = ins.opname
    unsupported = [("UNSUPPORTED", (name, _argrepr(ins)))]
    if k in plan.slots:
        instead = plan.slots[k]
        return unsupported if instead is None else [instead]
    if k in plan.dropped or name in _AS_NOP:
        return [("NOP", None)]
    if name in _LOCAL:
        if ins.argval not in code.co_varnames:  # a cell reached through the fast locals
            return unsupported
        return [(_LOCAL[name], code.co_varnames.index(ins.argval))]
    if name in _PACKED:  # for the stores the first name gets TOS
        if not all(n in code.co_varnames for n in ins.argval):
            return unsupported
        return [
            (op, code.co_varnames.index(local))
            for op, local in zip(_PACKED[name], ins.argval, strict=True)
        ]
    if name == "LOAD_CONST":
        return [("LOAD_CONST", ins.argval)]
    if name == "LOAD_SMALL_INT":  # the value is the oparg
        return [("LOAD_CONST", ins.arg)]
    if name == "LOAD_COMMON_CONSTANT":
        table = plan.dialect.common_constants
        if ins.arg not in table or repr(table[ins.arg]) != ins.argrepr:
            return unsupported  # not a number or string, or not the value the table says
        return [("LOAD_CONST", table[ins.arg])]
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
        if symbol.startswith("bool(") and symbol.endswith(")"):  # 3.13+ coerce-to-bool flag
            symbol = symbol[5:-1]
        return [("COMPARE_OP", symbol)] if symbol in COMPARE_SYMBOLS else unsupported
    if name in _INT_ARG:
        return [(name, ins.arg)]
    if name in _PLAIN:
        return [(name, None)]
    if name == "POP_ITER":  # an iterator dropped outside its loop's END_FOR
        return [("POP_TOP", None)]
    if name == "GET_ITER":  # 3.15: oparg 0 is a for loop's; 3.12-3.14: no oparg
        return [("GET_ITER", None)] if ins.arg in (None, 0) else unsupported
    if name == "CALL_INTRINSIC_1":
        positive = ins.argrepr == "INTRINSIC_UNARY_POSITIVE"
        return [("UNARY_POSITIVE", None)] if positive else unsupported
    if name in _TO_JUMP:
        return [(_TO_JUMP[name], ins.argval)]
    if name == "FOR_ITER":
        exit_to = plan.loop_exit.get(ins.argval)
        return [("FOR_ITER", exit_to)] if exit_to is not None else unsupported
    dialect = plan.dialect
    if name == dialect.kw_call and k in plan.kwnames:
        return [("CALL", (ins.arg, plan.kwnames[k]))]
    if name == "CALL" and not (k > 0 and raw[k - 1].opname == dialect.kw_names == "KW_NAMES"):
        return [("CALL", (ins.arg, ()))]
    # anything else, including an END_FOR of an unexpected loop shape and a keyword call
    # whose names are not right before it
    return unsupported


# Constants whose truth value ``bool()`` gives without running user code.
_TRUTH_KNOWN = (type(None), bool, int, float, str, tuple)
_TESTS = ("POP_JUMP_IF_TRUE", "POP_JUMP_IF_FALSE")


def _simplify(instrs: list[Instr]) -> list[Instr]:
    """Constant truth tests resolved and dead code dropped, as 3.12's compiler mostly does.

    3.14 moved constant folding from the AST into the control flow graph optimizer, which
    leaves tests such as ``if not (10 / 7):``, ``elif True | True:`` or ``(2 << 64) and y``
    in the bytecode (``LOAD_CONST c; TO_BOOL; POP_JUMP_IF_FALSE``) together with the branch
    that cannot run; 3.12 and 3.13 fold most of them in the AST. The compiler would type
    that branch (and refuse a variable unbound there), so, for every version, on a straight
    path (nothing but ``NOP`` between, no jump into it):

    * ``LOAD_CONST c; POP_JUMP_IF_TRUE/FALSE T`` -> ``NOP; JUMP T`` or ``NOP; NOP``;
    * ``LOAD_CONST c; UNARY_NOT`` / ``TO_BOOL`` -> ``LOAD_CONST (not c)`` / ``bool(c)``; ``NOP``;
    * ``LOAD_CONST c; COPY 1; POP_JUMP_IF_TRUE/FALSE T`` (``and``/``or``) -> ``LOAD_CONST c;
      NOP; JUMP T`` or ``LOAD_CONST c; NOP; NOP``;
    * ``LOAD_CONST c; POP_TOP`` -> ``NOP; NOP``;

    (``c`` an exact None, bool, int, float, str or tuple: its truth value runs no code), then
    every instruction no path from the entry reaches becomes ``NOP`` (but ``RETURN_VALUE``
    and ``JUMP``, which still end their dead block), and so does a ``JUMP`` to the
    instruction that follows it anyway.
    """
    out = list(instrs)
    while _fold_constant_tests(out) | _drop_dead_code(out):
        pass
    return out


def _nop(out: list[Instr], k: int) -> None:
    out[k] = Instr(out[k].offset, out[k].line, "NOP")


def _first_at(out: list[Instr]) -> dict[int, int]:
    first: dict[int, int] = {}
    for k, ins in enumerate(out):
        first.setdefault(ins.offset, k)
    return first


def _fold_constant_tests(out: list[Instr]) -> bool:
    targets = {ins.arg for ins in out if ins.op in JUMP_OPS}
    changed = False

    def entered(k: int) -> bool:  # can a jump land on out[k] (the first item of its offset)?
        return out[k].offset in targets and (k == 0 or out[k - 1].offset != out[k].offset)

    def next_real(k: int) -> int | None:  # the next non-NOP after out[k] on a straight path
        k += 1
        while k < len(out) and out[k].op == "NOP" and not entered(k):
            k += 1
        return None if k >= len(out) or entered(k) else k

    for i, ins in enumerate(out):
        if ins.op != "LOAD_CONST":
            continue
        j = next_real(i)
        if j is None:
            continue
        test = out[j]
        if test.op == "POP_TOP":
            _nop(out, i)
            _nop(out, j)
        elif type(ins.arg) not in _TRUTH_KNOWN:
            continue
        elif test.op in ("UNARY_NOT", "TO_BOOL"):
            truth = bool(ins.arg)
            value = (not truth) if test.op == "UNARY_NOT" else truth
            out[i] = Instr(ins.offset, ins.line, "LOAD_CONST", value)
            _nop(out, j)
        elif test.op in _TESTS:
            _nop(out, i)
            if bool(ins.arg) == (test.op == "POP_JUMP_IF_TRUE"):
                out[j] = Instr(test.offset, test.line, "JUMP", test.arg)
            else:
                _nop(out, j)
        elif test.op == "COPY" and test.arg == 1:
            m = next_real(j)
            if m is None or out[m].op not in _TESTS:
                continue
            _nop(out, j)
            if bool(ins.arg) == (out[m].op == "POP_JUMP_IF_TRUE"):
                out[m] = Instr(out[m].offset, out[m].line, "JUMP", out[m].arg)
            else:
                _nop(out, m)
        else:
            continue
        changed = True
    return changed


def _drop_dead_code(out: list[Instr]) -> bool:
    first = _first_at(out)
    live: set[int] = set()
    work = [0]
    while work:
        k = work.pop()
        if k in live or k >= len(out):
            continue
        live.add(k)
        ins = out[k]
        if ins.op in JUMP_OPS and ins.arg in first:
            work.append(first[ins.arg])
        if ins.op not in ("JUMP", "RETURN_VALUE"):
            work.append(k + 1)
    changed = False
    for k, ins in enumerate(out):
        # A dead RETURN_VALUE or JUMP stays: it ends the dead block as before (the compiler
        # wants every block to end in one, reached or not).
        if k not in live and ins.op not in ("NOP", "RETURN_VALUE", "JUMP"):
            _nop(out, k)
            changed = True
    for k, ins in enumerate(out):
        if ins.op != "JUMP" or ins.arg not in first:
            continue
        after, landing = k + 1, first[ins.arg]
        while after < len(out) and out[after].op == "NOP":
            after += 1
        while landing < len(out) and out[landing].op == "NOP":
            landing += 1
        if after == landing:  # jumps to where it would fall through to
            _nop(out, k)
            changed = True
    return changed


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
