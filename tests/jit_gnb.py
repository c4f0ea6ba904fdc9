"""Test helpers for the JIT's stage 1 text ("gnb"): a small parser and a stack-depth checker.

The parser is deliberately independent of ``gilmap.jit.reader`` so the tests check the text
against ``docs/JIT_TEXT_FORMAT.md`` rather than against the reader's own structures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HEADER = re.compile(r"func (\d+) (\S+) argc=(\d+) nlocals=(\d+) firstline=(\d+)")
_INSTR = re.compile(r"@(\d+) L(\d+) (\S+)(?: (.*))?")
JUMPS = {"POP_JUMP_IF_FALSE", "POP_JUMP_IF_TRUE", "POP_JUMP_IF_NONE", "POP_JUMP_IF_NOT_NONE"}
JUMPS |= {"JUMP", "FOR_ITER"}


@dataclass
class Ins:
    offset: int
    line: int
    op: str
    args: list[str]

    @property
    def target(self) -> int:
        assert self.args[0].startswith("@"), self
        return int(self.args[0][1:])


@dataclass
class Func:
    fid: int
    name: str
    argc: int
    nlocals: int
    firstline: int
    locals: list[str] = field(default_factory=list)
    captures: list[tuple[str, str]] = field(default_factory=list)
    defaults: dict[int, str] = field(default_factory=dict)
    refuse: str | None = None
    instrs: list[Ins] = field(default_factory=list)


def parse(text: str) -> dict[int, Func]:
    """Parse a whole gnb text strictly; raise AssertionError on anything unexpected."""
    assert text.endswith("\n")
    lines = text[:-1].split("\n")
    assert lines[0] == "gnb 1", lines[0]
    funcs: dict[int, Func] = {}
    cur: Func | None = None
    for line in lines[1:]:
        assert "  " not in line and line == line.strip(), repr(line)
        if cur is None:
            m = _HEADER.fullmatch(line)
            assert m, line
            fid, name, argc, nlocals, first = m.groups()
            cur = Func(int(fid), name, int(argc), int(nlocals), int(first))
            assert cur.fid == len(funcs), "functions appear in ID order"
        elif line == "end":
            funcs[cur.fid] = cur
            cur = None
        elif line.startswith("refuse "):
            assert not cur.instrs and cur.refuse is None
            cur.refuse = line[len("refuse ") :]
        elif line.startswith("local "):
            _, i, name = line.split(" ")
            assert int(i) == len(cur.locals)
            cur.locals.append(name)
        elif line.startswith("default "):
            _, i, const = line.split(" ", 2)
            cur.defaults[int(i)] = const
        elif line.startswith("capture "):
            _, i, name, kind = line.split(" ")
            assert int(i) == len(cur.captures) and kind in ("int", "float", "bool")
            cur.captures.append((name, kind))
        else:
            m = _INSTR.fullmatch(line)
            assert m, line
            off, lno, op, rest = m.groups()
            cur.instrs.append(Ins(int(off), int(lno), op, rest.split(" ") if rest else []))
    assert cur is None, "missing end"
    for f in funcs.values():
        assert f.refuse is not None or len(f.locals) == f.nlocals
    return funcs


def effect(ins: Ins) -> tuple[int, int]:
    """``(items needed on the stack, depth change)`` when falling through."""
    op, a = ins.op, ins.args
    if op in ("NOP", "JUMP"):
        return 0, 0
    if op in ("LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_CONST", "LOAD_DEREF", "LOAD_GLOBAL"):
        return 0, 1
    if op in ("STORE_FAST", "POP_TOP", "RETURN_VALUE") or op in JUMPS - {"FOR_ITER"}:
        return 1, -1
    if op in ("BINARY_OP", "COMPARE_OP", "IS_OP", "CONTAINS_OP"):
        return 2, -1
    if op in ("LOAD_ATTR", "TO_BOOL", "GET_ITER") or op.startswith("UNARY_"):
        return 1, 0
    if op == "FOR_ITER":
        return 1, 1
    if op == "COPY":
        return int(a[0]), 1
    if op == "SWAP":
        return int(a[0]), 0
    if op == "UNPACK_SEQUENCE":
        return 1, int(a[0]) - 1
    if op == "CALL":
        return int(a[0]) + 1, -int(a[0])
    raise AssertionError(f"no stack effect for {ins}")


def check_stack(func: Func) -> dict[int, int]:
    """Walk every path; return the depth before each instruction (by index).

    Asserts: depth never negative, equal at joins, zero before the value that RETURN_VALUE
    pops, every jump target exists, and no path runs off the end.
    """
    instrs = func.instrs
    first_at: dict[int, int] = {}
    for k, ins in enumerate(instrs):
        first_at.setdefault(ins.offset, k)
    depth: dict[int, int] = {0: 0}
    work = [0]
    while work:
        k = work.pop()
        ins, d = instrs[k], depth[k]
        need, delta = effect(ins)
        assert d >= need, f"stack underflow at {ins} (depth {d})"
        succ: list[tuple[int, int]] = []
        if ins.op == "RETURN_VALUE":
            assert d == 1, f"{d - 1} items left on the stack at {ins}"
        elif ins.op == "JUMP":
            succ.append((first_at[ins.target], d))
        else:
            assert k + 1 < len(instrs), f"falls off the end after {ins}"
            succ.append((k + 1, d + delta))
            if ins.op == "FOR_ITER":  # exhausted: pop the iterator, jump
                succ.append((first_at[ins.target], d - 1))
            elif ins.op in JUMPS:
                succ.append((first_at[ins.target], d - 1))
        for j, dj in succ:
            if j in depth:
                assert depth[j] == dj, f"depth {depth[j]} vs {dj} at join {instrs[j]}"
            else:
                depth[j] = dj
                work.append(j)
    return depth


def shape(func: Func) -> list[str]:
    """Version-neutral shape: NOPs dropped, jump targets as ``->index`` into the result."""
    kept = [ins for ins in func.instrs if ins.op != "NOP"]
    index_at: dict[int, int] = {}
    pos = 0
    for ins in func.instrs:  # a jump to a NOP means the next kept instruction
        index_at.setdefault(ins.offset, pos)
        pos += ins.op != "NOP"
    out = []
    for ins in kept:
        if ins.op in JUMPS:
            out.append(f"{ins.op} ->{index_at[ins.target]}")
        else:
            out.append(" ".join([ins.op, *ins.args]))
    return out


def const_end(tokens: list[str], i: int = 0) -> int:
    """Check one CONST starting at ``tokens[i]``; return the index after it."""
    kind = tokens[i]
    if kind == "none":
        return i + 1
    value = tokens[i + 1]
    if kind == "int":
        assert -(2**63) <= int(value) < 2**63, tokens
    elif kind == "bigint":
        assert not -(2**63) <= int(value) < 2**63, tokens
    elif kind == "float":
        assert re.fullmatch(r"0x[0-9a-f]{16}", value), tokens
    elif kind == "bool":
        assert value in ("0", "1"), tokens
    elif kind == "str":
        assert value and " " not in value, tokens
    elif kind == "tuple":
        j = i + 2
        for _ in range(int(value)):
            j = const_end(tokens, j)
        return j
    else:
        raise AssertionError(f"bad constant {tokens[i:]}")
    return i + 2


BINARY = set("+ - * / // % ** << >> & | ^".split())
COMPARE = set("< <= == != > >=".split())
NO_ARGS = {"NOP", "TO_BOOL", "GET_ITER", "POP_TOP", "RETURN_VALUE"}
NO_ARGS |= {"UNARY_NEGATIVE", "UNARY_INVERT", "UNARY_NOT", "UNARY_POSITIVE"}


def check_args(ins: Ins, func: Func, funcs: dict[int, Func]) -> None:
    """Assert that ``ins`` has the arguments the format's table gives its opname."""
    op, a = ins.op, ins.args
    if op in NO_ARGS:
        assert a == [], ins
    elif op in ("LOAD_FAST", "LOAD_FAST_CHECK", "STORE_FAST"):
        assert len(a) == 1 and 0 <= int(a[0]) < func.nlocals, ins
    elif op == "LOAD_DEREF":
        assert len(a) == 1 and 0 <= int(a[0]) < len(func.captures), ins
    elif op == "LOAD_CONST":
        assert const_end(a) == len(a), ins
    elif op == "LOAD_GLOBAL":
        kind = a[0]
        if kind == "const":
            assert const_end(a, 1) == len(a) - 1, ins
        elif kind == "func":
            assert len(a) == 3 and int(a[1]) in funcs, ins
        else:
            assert kind in ("module", "mathfn", "builtin", "unsupported") and len(a) == 3, ins
    elif op == "LOAD_ATTR":
        assert len(a) == 1, ins
    elif op == "BINARY_OP":
        assert len(a) == 1 and a[0] in BINARY, ins
    elif op == "COMPARE_OP":
        assert len(a) == 1 and a[0] in COMPARE, ins
    elif op in ("IS_OP", "CONTAINS_OP"):
        assert a in (["0"], ["1"]), ins
    elif op in ("COPY", "SWAP", "UNPACK_SEQUENCE"):
        assert len(a) == 1 and int(a[0]) >= 1, ins
    elif op in JUMPS:
        assert len(a) == 1 and ins.target in {i.offset for i in func.instrs}, ins
    elif op == "CALL":
        assert int(a[0]) >= 0, ins
        if len(a) > 1:
            assert a[1] == "kw" and 1 <= len(a) - 2 <= int(a[0]), ins
    elif op == "UNSUPPORTED":
        assert len(a) == 2, ins
    else:
        raise AssertionError(f"opname not in the format: {ins}")
