"""Typed random expressions: source text of an ``int``, ``float`` or ``bool`` expression.

The generator tracks the static type of every subexpression so that the functions it
builds stay within what the JIT accepts (no value that is an int on one path and a float on
another, no ``min``/``max`` of mixed types, constant ``**`` exponents for ints), while still
reaching the places where CPython raises (division by zero, domain errors, ``int(nan)``,
negative shift counts, ``pow`` with a zero modulus) or leaves int64 (big ints). A
``profile`` narrows the constructs to what a backend accepts: ``jit`` (everything),
``arrow`` (arrow_kernel's single-expression subset) or ``numba`` (what numba compiles with
the same meaning: no big ints, no shift counts of 64 or more).
"""

from __future__ import annotations

import random
from collections.abc import Callable

INT, FLOAT, BOOL = "int", "float", "bool"
SMALL = "small"  # a helper parameter that takes an int in [0, 20): recursion depth

MATH_FLOAT_1 = (
    "sqrt exp log log2 log10 log1p expm1 exp2 sin cos tan asin acos atan sinh cosh tanh "
    "asinh acosh atanh cbrt fabs degrees radians"
).split()
MATH_FLOAT_2 = ("copysign", "hypot", "atan2", "fmod", "pow")
MATH_INT_1 = ("floor", "ceil", "trunc")
MATH_BOOL_1 = ("isnan", "isinf", "isfinite")
ARROW_MATH = "sqrt sin cos tan asin acos atan log log10 log2 log1p exp fabs".split()
NUMBA_MATH = [m for m in MATH_FLOAT_1 if m not in ("cbrt", "exp2")]

INT_CONSTS = [0, 1, 2, 3, 5, 7, 10, -1, -3, 100, 255, 1000, 65535, 2**31 - 1, 2**32, 2**53]
BIG_INT_CONSTS = [2**62, 2**63 - 1, -(2**62), 3074457345618258603]
FLOAT_CONSTS = [
    "0.0", "-0.0", "0.5", "1.0", "-1.0", "1.5", "2.0", "2.5", "3.0", "10.0", "0.1", "-2.25",
    "1e-300", "1e300", "1e308", "5e-324", "1e16", "math.pi", "math.e", "math.inf",
    "-math.inf", "math.nan", "float('nan')", "float('-inf')", "math.tau",
]  # fmt: skip
CMP_OPS = ("<", "<=", ">", ">=", "==", "!=")


class Exprs:
    """Random typed expressions over the variables in scope (``self.scope``)."""

    def __init__(self, rng: random.Random, profile: str, lane: str) -> None:
        self.r = rng
        self.profile = profile
        self.lane = lane
        #: (name, type) pairs visible at the current point, innermost last.
        self.scope: list[tuple[str, str]] = [
            ("x", {"int64": INT, "float64": FLOAT}.get(lane, BOOL))
        ]
        #: helpers callable from here: (name, parameter types, return type).
        self.helpers: list[tuple[str, tuple[str, ...], str]] = []
        self.math_names: dict[str, str] = {}  # math function -> name it is called by

    # ------------------------------------------------------------------ helpers
    def pick(self, weighted: list[tuple[float, Callable[[int], str]]], d: int) -> str:
        total = sum(w for w, _ in weighted)
        u = self.r.random() * total
        for w, fn in weighted:
            u -= w
            if u <= 0:
                return fn(d)
        return weighted[-1][1](d)

    def mathfn(self, name: str) -> str:
        return self.math_names.get(name, f"math.{name}")

    def leaf(self, t: str) -> str:
        r = self.r
        names = [n for n, ty in self.scope if ty == t]
        lane_t = self.scope[0][1]
        if lane_t == t and r.random() < 0.5:
            return "x"
        if t == FLOAT and lane_t in (INT, BOOL) and r.random() < 0.3:
            return r.choice(["(x / 4)", "(x * 0.5)", "(x + 0.25)"])
        if t == BOOL and self.profile == "arrow":
            return r.choice(["(x > 0)", "(x == 1)", "(x <= -2)"])
        if names and r.random() < 0.7:
            return r.choice(names)
        if t == INT:
            bools = [n for n, ty in self.scope if ty == BOOL]
            if bools and r.random() < 0.3:
                return r.choice(["int({})", "({} + 0)", "({} * 3)"]).format(r.choice(bools))
            arrow = self.profile == "arrow"
            if lane_t == FLOAT and self.profile != "numba" and r.random() < (0.6 if arrow else 0.3):
                if arrow:
                    return r.choice(["math.floor(x)", "math.trunc(x)"])
                return r.choice(["round(x % 1000.0)", "int(x)", "math.floor(x)"])
            if self.profile != "numba" and r.random() < 0.1:
                return str(r.choice(BIG_INT_CONSTS) * r.choice([1, -1]))
            return str(r.choice(INT_CONSTS) * r.choice([1, 1, 1, -1]))
        if t == FLOAT:
            pool = FLOAT_CONSTS if self.profile == "jit" else FLOAT_CONSTS[:17]
            return r.choice(pool)
        return r.choice(["True", "False"])

    def small_int(self, d: int, k: int = 12) -> str:
        """An int expression in ``[0, k)`` (or a small constant): loop bounds, shift counts."""
        r = self.r
        if r.random() < 0.35:
            return str(r.randrange(0, k))
        return f"({self.expr(INT, d - 1)} % {r.randrange(2, k + 1)})"

    # ------------------------------------------------------------------ entry
    def expr(self, t: str, d: int) -> str:
        if d <= 0 or self.r.random() < 0.22:
            return self.leaf(t)
        if t == INT:
            return self.pick(self.int_forms(), d)
        if t == FLOAT:
            return self.pick(self.float_forms(), d)
        return self.pick(self.bool_forms(), d)

    def any_num(self, d: int) -> tuple[str, str]:
        t = self.r.choice([INT, FLOAT])
        return self.expr(t, d), t

    # ------------------------------------------------------------------ int
    def int_forms(self) -> list[tuple[float, Callable[[int], str]]]:
        forms: list[tuple[float, Callable[[int], str]]] = [
            (4, self.int_arith),
            (1.5, self.int_bits),
            (1, lambda d: f"(-{self.expr(INT, d - 1)})"),
            (1, lambda d: f"abs({self.expr(INT, d - 1)})"),
            (1, lambda d: f"(~{self.expr(INT, d - 1)})"),
            (1, lambda d: self.cond(INT, d)),
            (1 if self.profile != "numba" else 0, self.int_of_float),
            (0.7, lambda d: f"({self.expr(INT, d - 1)} ** {self.r.choice([0, 1, 2, 2, 3, 4, 5])})"),
        ]
        if self.profile != "arrow":
            forms += [
                (2, self.int_divmod),
                (0.8, lambda d: self.minmax(INT, d)),
                (0.8, lambda d: self.andor(INT, d)),
                (0.6, self.helper_call(INT)),
            ]
        if self.profile == "jit":
            forms += [
                (0.6, self.powmod),
                (0.4, lambda d: f"pow({self.expr(INT, d - 1)}, {self.r.randrange(0, 6)})"),
                (0.3, lambda d: f"round({self.expr(INT, d - 1)}, {self.r.randrange(0, 3)})"),
            ]
        return forms

    def int_arith(self, d: int) -> str:
        op = self.r.choice("+-*")
        return f"({self.expr(INT, d - 1)} {op} {self.expr(INT, d - 1)})"

    def int_bits(self, d: int) -> str:
        r, a = self.r, self.expr(INT, d - 1)
        op = r.choice(
            ["&", "|", "^", ">>", "<<"] if self.profile != "arrow" else ["&", "|", "^", ">>"]
        )
        if op == "<<":
            if self.profile == "numba":
                return f"({a} << {self.small_int(d, 63)})"
            return f"({a} << {r.choice([str(r.randrange(0, 66)), self.small_int(d, 70)])})"
        if op == ">>":
            if self.profile == "numba":
                return f"({a} >> {self.small_int(d, 63)})"
            if self.profile == "arrow" or r.random() < 0.5:
                return f"({a} >> {r.randrange(0, 70)})"
            return f"({a} >> {self.expr(INT, d - 1)})"
        return f"({a} {op} {self.expr(INT, d - 1)})"

    def divisor(self, t: str, d: int) -> str:
        r, e = self.r, self.expr(t, d - 1)
        if self.profile == "numba" and t == INT:  # never -1: INT64_MIN // -1 traps in numba
            return r.choice([f"({e} % 7 + 1)", f"({e} % 7)", "3", "10"])
        if self.profile == "arrow":  # no `%` (not eligible)
            return r.choice([e, f"(abs({e}) + 1)", "3", "-4"])
        if r.random() < 0.25:
            return e  # may be zero: ZeroDivisionError
        if t == INT:
            return r.choice([f"({e} | 1)", f"({e} % 7 + 1)", str(r.choice([2, 3, 7, -5, 10]))])
        return r.choice([f"(abs({e}) + 0.5)", r.choice(["2.0", "-3.0", "0.25"])])

    def int_divmod(self, d: int) -> str:
        op = self.r.choice(["//", "%"])
        return f"({self.expr(INT, d - 1)} {op} {self.divisor(INT, d)})"

    def powmod(self, d: int) -> str:
        r = self.r
        m = (
            self.expr(INT, d - 1)
            if r.random() < 0.3
            else str(r.choice([7, 97, 1000003, -13, 2**31]))
        )
        return f"pow({self.expr(INT, d - 1)}, {self.expr(INT, d - 1)}, {m})"

    def int_of_float(self, d: int) -> str:
        f = self.expr(FLOAT, d - 1)
        if self.profile == "arrow":
            return f"{self.mathfn(self.r.choice(MATH_INT_1))}({f})"
        return self.r.choice(
            [f"int({f})", f"round({f})", f"{self.mathfn(self.r.choice(MATH_INT_1))}({f})"]
        )

    def minmax(self, t: str, d: int) -> str:
        n = self.r.choice([2, 2, 3])
        args = ", ".join(self.expr(t, d - 1) for _ in range(n))
        return f"{self.r.choice(['min', 'max'])}({args})"

    def andor(self, t: str, d: int) -> str:
        return f"({self.expr(t, d - 1)} {self.r.choice(['and', 'or'])} {self.expr(t, d - 1)})"

    def cond(self, t: str, d: int) -> str:
        return f"({self.expr(t, d - 1)} if {self.expr(BOOL, d - 1)} else {self.expr(t, d - 1)})"

    def helper_call(self, t: str) -> Callable[[int], str]:
        def make(d: int) -> str:
            fits = [h for h in self.helpers if h[2] == t]
            if not fits:
                return self.leaf(t)
            name, params, _ = self.r.choice(fits)
            args = [self.small_int(d, 20) if p == SMALL else self.expr(p, d - 1) for p in params]
            return f"{name}({', '.join(args)})"

        return make

    # ------------------------------------------------------------------ float
    def float_forms(self) -> list[tuple[float, Callable[[int], str]]]:
        forms: list[tuple[float, Callable[[int], str]]] = [
            (4, self.float_arith),
            (1, lambda d: f"(-{self.expr(FLOAT, d - 1)})"),
            (1, lambda d: f"abs({self.expr(FLOAT, d - 1)})"),
            (1, lambda d: self.cond(FLOAT, d)),
            (2.5, self.math1),
            (0.8, self.float_pow),
            (0.7, lambda d: f"({self.expr(INT, d - 1)} / {self.divisor(INT, d)})"),
        ]
        if self.profile != "arrow":
            forms += [
                (1, lambda d: f"float({self.expr(INT, d - 1)})"),
                (0.8, lambda d: self.minmax(FLOAT, d)),
                (0.8, lambda d: self.andor(FLOAT, d)),
                (1, self.math2),
                (0.6, self.helper_call(FLOAT)),
                (0.8, self.float_divmod),
            ]
        if self.profile == "jit":
            forms.append(
                (0.5, lambda d: f"round({self.expr(FLOAT, d - 1)}, {self.r.randrange(0, 6)})")
            )
        return forms

    def float_arith(self, d: int) -> str:
        r = self.r
        op = r.choice("+-*/")
        a = self.expr(FLOAT, d - 1)
        b = self.divisor(FLOAT, d) if op == "/" else self.expr(FLOAT, d - 1)
        if self.profile != "arrow" and r.random() < 0.3:  # a mixed int/float operation
            b = self.divisor(INT, d) if op == "/" else self.expr(INT, d - 1)
        return f"({b} {op} {a})" if r.random() < 0.5 and op in "+*" else f"({a} {op} {b})"

    def float_divmod(self, d: int) -> str:
        op = self.r.choice(["//", "%"])
        return f"({self.expr(FLOAT, d - 1)} {op} {self.divisor(FLOAT, d)})"

    def float_pow(self, d: int) -> str:
        r = self.r
        base = self.expr(FLOAT, d - 1)
        if self.profile == "arrow":
            return f"({base} ** {r.choice(['2', '3', '0', '1'])})"
        exp = r.choice(["2", "3", "0.5", "-1", "2.0", "-0.5", "1.5", "0.25", "-2"])
        if r.random() < 0.3:
            exp = self.expr(FLOAT, d - 1)
        if self.profile == "jit" and r.random() < 0.15:
            return f"({self.expr(INT, d - 1)} ** -{r.randrange(1, 3)})"
        return f"({base} ** {exp})" if r.random() < 0.6 else f"(abs({base}) ** {exp})"

    def math1(self, d: int) -> str:
        r = self.r
        names = {"jit": MATH_FLOAT_1, "arrow": ARROW_MATH, "numba": NUMBA_MATH}[self.profile]
        name = r.choice(names)
        arg = self.expr(FLOAT, d - 1) if r.random() < 0.8 else self.expr(INT, d - 1)
        if r.random() < 0.6:  # mostly inside the domain
            if name in ("sqrt", "log", "log2", "log10", "acosh"):
                arg = f"(abs({arg}) + 1.0)"
            elif name in ("asin", "acos", "atanh"):
                arg = f"{self.mathfn('sin')}({arg})"
            elif name in ("exp", "expm1", "exp2", "sinh", "cosh"):
                arg = f"({arg} % 50.0)"
            elif name == "log1p":
                arg = f"abs({arg})"
        return f"{self.mathfn(name)}({arg})"

    def math2(self, d: int) -> str:
        names = MATH_FLOAT_2 if self.profile == "jit" else ("copysign", "hypot", "atan2")
        a, b = self.expr(FLOAT, d - 1), self.expr(FLOAT, d - 1)
        return f"{self.mathfn(self.r.choice(names))}({a}, {b})"

    # ------------------------------------------------------------------ bool
    def bool_forms(self) -> list[tuple[float, Callable[[int], str]]]:
        forms: list[tuple[float, Callable[[int], str]]] = [
            (4, self.compare),
            (1, lambda d: self.cond(BOOL, d)),
        ]
        if self.profile != "arrow":
            forms += [
                (1, lambda d: f"(not {self.any_num(d - 1)[0]})"),
                (1, lambda d: self.andor(BOOL, d)),
                (0.6, lambda d: f"bool({self.any_num(d - 1)[0]})"),
                (
                    0.8,
                    lambda d: (
                        f"{self.mathfn(self.r.choice(MATH_BOOL_1))}({self.expr(FLOAT, d - 1)})"
                    ),
                ),
                (
                    0.5,
                    lambda d: (
                        f"({self.expr(BOOL, d - 1)} {self.r.choice('&|^')} "
                        f"{self.expr(BOOL, d - 1)})"
                    ),
                ),
                (0.4, self.helper_call(BOOL)),
            ]
        return forms

    def compare(self, d: int) -> str:
        r = self.r
        t = r.choice([INT, FLOAT])
        parts = [self.expr(t, d - 1)]
        for _ in range(r.choice([1, 1, 1, 2])):
            # Now and then an int against a float (exact in CPython beyond 2**53).
            u = t if r.random() < 0.8 or self.profile == "numba" else ({INT, FLOAT} - {t}).pop()
            parts += [r.choice(CMP_OPS), self.expr(u, d - 1)]
        return f"({' '.join(parts)})"
