"""The program generator: a random one-argument function ``f(x)`` as source text, from a seed.

``generate(seed, backend)`` returns a :class:`Case`: the source (run with ``exec`` in a
fresh globals dict, no source file), the input lane, and the changes the runner makes to
globals and closure cells between two calls. For the JIT the function has statements
(assignments, augmented assignments, ``if``/``elif``/``else``, ``for … in range`` and
``while`` loops nested up to two deep with ``break``/``continue``, early returns), module
level helpers (also recursive ones) and globals, and sometimes is a closure or a lambda.
``arrow`` gives one-expression lambdas in arrow_kernel's subset; ``numba`` gives ``@njit``
dispatchers (helpers ``@njit`` too).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .exprs import BOOL, FLOAT, INT, MATH_FLOAT_1, SMALL, Exprs

LANES = ("int64", "float64", "bool")


@dataclass
class Case:
    """A generated (or minimized) function and how it is exercised."""

    seed: int
    backend: str  # "jit" | "arrow" | "numba"
    lane: str  # "int64" | "float64" | "bool"
    source: str
    #: (name, new value) applied between two calls: "G0" a global, "cell:c0" a closure cell.
    changes: list[tuple[str, object]] = field(default_factory=list)


class ProgramGen:
    """Statements and whole programs on top of :class:`Exprs`."""

    def __init__(self, rng: random.Random, backend: str, lane: str) -> None:
        self.r = rng
        self.backend = backend
        self.e = Exprs(rng, backend, lane)
        self.n = 0
        self.loops = 0  # loop nesting at the current point
        self.max_trips = 40

    def fresh(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def expr(self, t: str, d: int | None = None) -> str:
        return self.e.expr(t, self.r.choice([1, 2, 2, 3]) if d is None else d)

    # ------------------------------------------------------------------ statements
    def block(self, ind: str, ret: str, depth: int, n: int) -> list[str]:
        """``n`` statements; names they define stay local to the block."""
        mark = len(self.e.scope)
        out: list[str] = []
        for _ in range(n):
            out += self.stmt(ind, ret, depth)
        if self.r.random() > 0.02:  # rarely a name leaks: UnboundLocalError paths
            del self.e.scope[mark:]
        return out or [f"{ind}pass"]

    def stmt(self, ind: str, ret: str, depth: int) -> list[str]:
        r = self.r
        own = [(n, t) for n, t in self.e.scope[1:] if not n.startswith(("G", "c", "i", "w"))]
        kinds = [("new", 3.0), ("aug", 2.0 if own else 0), ("set", 1.5 if own else 0)]
        if depth < 3:
            kinds += [("if", 2.0), ("ret", 0.8)]
            if self.loops < 2:
                kinds += [("for", 1.5), ("while", 1.0)]
        if self.loops:
            kinds.append(("jump", 1.0))
        u = r.random() * sum(w for _, w in kinds)
        kind = kinds[-1][0]
        for k, w in kinds:
            u -= w
            if u <= 0:
                kind = k
                break
        if kind == "new":
            t = r.choice([INT, INT, FLOAT, FLOAT, BOOL])
            name = self.fresh("v")
            line = f"{ind}{name} = {self.expr(t)}"
            self.e.scope.append((name, t))
            return [line]
        if kind == "set":
            name, t = r.choice(own)
            return [f"{ind}{name} = {self.expr(t)}"]
        if kind == "aug":
            name, t = r.choice([o for o in own if o[1] != BOOL] or own)
            if t == BOOL:
                return [f"{ind}{name} = {name} {r.choice(['and', 'or'])} {self.expr(BOOL)}"]
            if t == INT:
                op = r.choice(["+=", "-=", "*=", "^=", "|=", "&=", "//=", "%="])
                rhs = self.e.divisor(INT, 2) if op in ("//=", "%=") else self.expr(INT)
                if op == "*=":  # keep products from growing without bound in loops
                    m = r.choice([1000003, 2**31, 2**61])
                    return [f"{ind}{name} = ({name} * {self.expr(INT, 1)}) % {m}"]
                return [f"{ind}{name} {op} {rhs}"]
            op = r.choice(["+=", "-=", "*=", "/="])
            rhs = (
                self.e.divisor(FLOAT, 2) if op == "/=" else self.expr(r.choice([FLOAT, FLOAT, INT]))
            )
            return [f"{ind}{name} {op} {rhs}"]
        if kind == "if":
            out = [f"{ind}if {self.expr(BOOL)}:"] + self.block(
                ind + "    ", ret, depth + 1, r.randint(1, 3)
            )
            while r.random() < 0.3:
                out += [f"{ind}elif {self.expr(BOOL)}:"] + self.block(
                    ind + "    ", ret, depth + 1, r.randint(1, 2)
                )
            if r.random() < 0.5:
                out += [f"{ind}else:"] + self.block(ind + "    ", ret, depth + 1, r.randint(1, 2))
            return out
        if kind == "ret":
            value = "None" if r.random() < 0.04 else self.expr(ret)
            return [f"{ind}if {self.expr(BOOL)}:", f"{ind}    return {value}"]
        if kind == "jump":
            return [f"{ind}if {self.expr(BOOL)}:", f"{ind}    {r.choice(['break', 'continue'])}"]
        trips = self.max_trips if self.loops == 0 else 8
        self.loops += 1
        try:
            if kind == "for":
                return self.for_loop(ind, ret, depth, trips)
            return self.while_loop(ind, ret, depth, trips)
        finally:
            self.loops -= 1

    def for_loop(self, ind: str, ret: str, depth: int, trips: int) -> list[str]:
        r, i = self.r, self.fresh("i")
        form = r.random()
        if form < 0.4:
            args = str(r.randrange(0, trips))
        elif form < 0.7:
            args = self.e.small_int(2, trips)
        elif form < 0.9:
            args = f"{r.randrange(-5, 5)}, {self.e.small_int(2, trips)}"
        else:
            step = r.choice([-1, -2, 2, 3])
            lo, hi = (trips, 0) if step < 0 else (0, trips)
            args = f"{lo}, {self.e.small_int(2, trips) if r.random() < 0.5 else hi}, {step}"
        self.e.scope.append((i, INT))
        body = self.block(ind + "    ", ret, depth + 1, r.randint(1, 3))
        self.e.scope.remove((i, INT))
        return [f"{ind}for {i} in range({args}):"] + body

    def while_loop(self, ind: str, ret: str, depth: int, trips: int) -> list[str]:
        r, w = self.r, self.fresh("w")
        cond = f"{w} < {r.randrange(1, trips + 1)}"
        if r.random() < 0.5:
            cond += f" and {self.expr(BOOL)}"
        self.e.scope.append((w, INT))
        body = self.block(ind + "    ", ret, depth + 1, r.randint(1, 3))
        self.e.scope.remove((w, INT))
        return [f"{ind}{w} = 0", f"{ind}while {cond}:", f"{ind}    {w} += 1"] + body

    def uses(self, make: Callable[[], str]) -> str:
        """An expression from ``make`` that names ``x`` or a variable (a few tries)."""
        text = make()
        for _ in range(8):
            if re.search(r"\b(x|v\d+)\b", text):
                break
            text = make()
        return text

    # ------------------------------------------------------------------ program parts
    def helper(self, name: str, deco: str) -> list[str]:
        r = self.r
        params = tuple(r.choice([INT, INT, FLOAT, BOOL]) for _ in range(r.choice([1, 1, 2])))
        ret = r.choice([INT, FLOAT, BOOL])
        saved, self.e.scope = (
            self.e.scope,
            [("x", "-")] + [(f"p{k}", t) for k, t in enumerate(params)],
        )
        self.e.scope += [s for s in saved if s[0].startswith("G")]
        body = self.block("    ", ret, 1, r.randint(0, 2)) if r.random() < 0.6 else []
        body = [b for b in body if b.strip() != "pass"]
        lines = [f"{deco}def {name}({', '.join(f'p{k}' for k in range(len(params)))}):"]
        lines += body + [f"    return {self.expr(ret, 2)}"]
        self.e.scope = saved
        self.e.helpers.append((name, params, ret))
        return lines

    def recursive(self, name: str, deco: str) -> list[str]:
        """``name(n, acc)``: ``n`` counts down to 0 (callers pass ``n`` in ``[0, 20)``)."""
        t = self.r.choice([INT, FLOAT])
        saved, self.e.scope = self.e.scope, [("x", "-"), ("n", INT), ("acc", t)]
        step = self.expr(t, 2)
        self.e.scope = saved
        lines = [
            f"{deco}def {name}(n, acc):",
            "    if n <= 0:",
            "        return acc",
            f"    return {name}(n - 1, {step})",
        ]
        self.e.helpers.append((name, (SMALL, t), t))
        return lines

    def global_value(self, t: str) -> object:
        r = self.r
        if t == INT:
            return r.choice([0, 1, 2, 3, -7, 100, 2**40, 2**62])
        if t == FLOAT:
            return r.choice([0.0, 0.0, -0.0, 1.5, 0.1, -2.0, 1e300])
        return r.choice([True, False])

    def changed(self, v: object) -> object:
        r = self.r
        if r.random() < 0.2 and type(v) is not bool:  # a type change: the guard must notice
            return float(v) if type(v) is int else int(v)  # type: ignore[arg-type]
        if type(v) is bool:
            return not v
        if type(v) is float:
            if v == 0.0:
                return -v if r.random() < 0.7 else 1.0
            return r.choice([-v, 0.0, -0.0, float("nan"), float("inf"), v * 3])
        return r.choice([v + 2, -v, 0, 2**63 - 1, 5])  # type: ignore[operator]


def generate(seed: int, backend: str = "jit") -> Case:
    """The case for ``seed`` (deterministic)."""
    r = random.Random(f"{backend}:{seed}")
    lane = r.choice(LANES if backend == "jit" else ("int64", "float64", "int64", "float64", "bool"))
    if backend == "arrow":
        lane = r.choice(("int64", "float64"))
    g = ProgramGen(r, backend, lane)
    if backend == "arrow":
        ret = r.choice([INT, FLOAT, FLOAT, BOOL] if lane == "int64" else [FLOAT, FLOAT, BOOL, INT])
        src = f"import math\nf = lambda x: {g.uses(lambda: g.e.expr(ret, r.choice([2, 3, 4])))}\n"
        return Case(seed, backend, lane, src)
    head = ["import math"]
    if backend == "jit" and r.random() < 0.2:  # `from math import …` names
        names = r.sample(MATH_FLOAT_1, 3) + ["floor", "isnan"]
        g.e.math_names = {n: n for n in names}
        head.append(f"from math import {', '.join(names)}")
    changes: list[tuple[str, object]] = []
    deco = "@numba.njit\n" if backend == "numba" else ""
    if backend == "numba":
        head.append("import numba")
    else:
        for k in range(r.choice([0, 1, 1, 2, 3])):
            t = r.choice([INT, FLOAT, BOOL])
            v = g.global_value(t)
            head.append(f"G{k} = {v!r}")
            g.e.scope.append((f"G{k}", t))
            if r.random() < 0.7:
                changes.append((f"G{k}", g.changed(v)))
    for k in range(r.choice([0, 0, 1, 2])):
        head += g.helper(f"h{k}", deco) if r.random() < 0.75 else g.recursive(f"r{k}", deco)
    ret = r.choice([INT, FLOAT, BOOL])
    closure = backend == "jit" and r.random() < 0.2
    cells: list[tuple[str, object]] = []
    if closure:
        for k in range(r.choice([1, 2])):
            t = r.choice([INT, FLOAT])
            cells.append((f"c{k}", g.global_value(t)))
            g.e.scope.append((f"c{k}", t))
            if r.random() < 0.7:
                changes.append((f"cell:c{k}", g.changed(cells[-1][1])))
    if backend == "jit" and not closure and r.random() < 0.12:
        body_src = [f"f = lambda x: {g.e.expr(ret, 4)}"]
    else:
        ind = "        " if closure else "    "
        body = g.block(ind, ret, 0, r.randint(1, 6)) if r.random() < 0.9 else []
        body = [b for b in body if b.strip() != "pass"] if len(body) == 1 else body
        body_src = [f"{deco}def f(x):"] + body + [f"{ind}return {g.uses(lambda: g.expr(ret, 3))}"]
        if closure:
            params = ", ".join(n for n, _ in cells)
            body_src = [f"def make({params}):"] + ["    " + s for s in body_src] + ["    return f"]
            body_src.append(f"f = make({', '.join(repr(v) for _, v in cells)})")
    return Case(seed, backend, lane, "\n".join(head + body_src) + "\n", changes)
