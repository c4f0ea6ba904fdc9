"""The ``arrow_kernel`` backend: a one-expression function evaluated with ``pyarrow.compute``.

Detection reads the same version-neutral bytecode as the JIT (:mod:`gilmap.jit.normalize`;
no source text) and builds an expression tree of the parameter, numeric constants,
``+ - * / **`` (``**`` by a constant exponent >= 0), ``& | ^ >>``, unary ``-`` and ``~``,
comparisons (chained too), conditional expressions, ``abs`` and the ``math`` functions in
:data:`MATH`. Each node is typed (int, float, bool) as CPython would type it.

Only what ``pyarrow.compute`` computes exactly as CPython is eligible:
- ``//`` and ``%`` are not (pyarrow truncates), nor ``<<`` (pyarrow does not detect the
  overflow), nor branches of different types (CPython would mix ints and floats);
- ints use the ``_checked`` kernels: an overflow, a division by zero or a domain error
  raises in pyarrow, and then the whole column is evaluated by CPython (exact result, or
  the first failing element's exception);
- a result CPython computes differently is detected after the fact and sends the column
  to CPython the same way: int ``/`` or an int compared with a float beyond 2**53 (CPython
  is exact there, pyarrow converts to float first), ``exp``/``**`` overflowing to inf
  (CPython raises OverflowError), ``floor``/``ceil``/``trunc`` of a non-finite or huge value.
Each branch of a conditional expression is evaluated only where it is selected (the other
slots are null), so an element never fails in a branch CPython would not run. Nulls
propagate natively.

It is selected when the JIT is disabled (``GILMAP_JIT=0``), when LLVM cannot initialise,
or when the JIT refused the function; ``GILMAP_ARROW=0`` disables it.
"""

from __future__ import annotations

import math
import os
import types
from dataclasses import dataclass
from typing import Any

from .. import _gilmap, _guards
from .._router import Decision, Verdict
from ..jit import normalize as nz

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
EXACT = 2**53  # ints up to this magnitude convert to float exactly

#: math function -> (pyarrow.compute function, result type); "checked" kernels raise on a
#: domain error, as CPython does.
MATH = {
    "sqrt": ("sqrt_checked", "float"),
    "sin": ("sin_checked", "float"),
    "cos": ("cos_checked", "float"),
    "tan": ("tan_checked", "float"),
    "asin": ("asin_checked", "float"),
    "acos": ("acos_checked", "float"),
    "atan": ("atan", "float"),
    "log": ("ln_checked", "float"),
    "log10": ("log10_checked", "float"),
    "log2": ("log2_checked", "float"),
    "log1p": ("log1p_checked", "float"),
    "exp": ("exp", "float"),
    "fabs": ("abs", "float"),
    "floor": ("floor", "int"),
    "ceil": ("ceil", "int"),
    "trunc": ("trunc", "int"),
}
_ARITH = {"+": "add_checked", "-": "subtract_checked", "*": "multiply_checked"}
_FLOAT_ARITH = {"+": "add", "-": "subtract", "*": "multiply"}
_BITS = {"&": ("bit_wise_and", "and_"), "|": ("bit_wise_or", "or_"), "^": ("bit_wise_xor", "xor")}
_CMP = {
    "<": "less",
    "<=": "less_equal",
    "==": "equal",
    "!=": "not_equal",
    ">": "greater",
    ">=": "greater_equal",
}
_MAX_NODES = 400


class Refused(Exception):
    """The function is not an arrow_kernel expression (the message says why)."""


class _Fallback(Exception):
    """pyarrow cannot match CPython on this data: evaluate the column with CPython."""


@dataclass(frozen=True)
class Node:
    kind: str  # param const bin neg inv cmp if call abs tobool
    ty: str  # "int" | "float" | "bool"
    args: tuple = ()
    op: str = ""
    value: Any = None


@dataclass(frozen=True)
class ArrowPayload:
    expr: Node
    guards: tuple[tuple[dict, str, Any], ...]


# --------------------------------------------------------------------- detection


class _Builder:
    def __init__(self, func: Any, lane: str) -> None:
        self.func = func
        self.param_ty = {"int64": "int", "float64": "float"}[lane]
        self.nodes = 0
        self.guards: list[_guards.Guard] = _guards.function_guards(func)

    def node(self, *a: Any, **kw: Any) -> Node:
        self.nodes += 1
        if self.nodes > _MAX_NODES:
            raise Refused(f"the expression is too large (over {_MAX_NODES} nodes)")
        return Node(*a, **kw)

    def build(self) -> Node:
        code = self.func.__code__
        if code.co_argcount != 1 or code.co_kwonlyargcount or code.co_posonlyargcount > 1:
            raise Refused("arrow_kernel takes a function of exactly one parameter")
        self.ins = nz.normalize(code)
        self.at = {ins.offset: k for k, ins in enumerate(self.ins)}
        expr = self.walk(0, [])
        if not self.uses_param(expr):
            raise Refused("the expression does not use the parameter")
        return expr

    def uses_param(self, n: Node) -> bool:
        return n.kind == "param" or any(self.uses_param(a) for a in n.args)

    def walk(self, k: int, stack: list[Any]) -> Node:
        while True:
            ins = self.ins[k]
            op, arg = ins.op, ins.arg
            where = f"(line {ins.line})"
            if op == "NOP":
                pass
            elif op in ("LOAD_FAST", "LOAD_FAST_CHECK"):
                if arg != 0:
                    raise Refused(f"uses a local variable {where}")
                stack.append(self.node("param", self.param_ty))
            elif op == "LOAD_CONST":
                stack.append(self.const(arg, where))
            elif op == "LOAD_GLOBAL":
                stack.append(self.global_(arg, where))
            elif op == "LOAD_ATTR":
                base = stack.pop()
                if base != ("module", "math") or arg not in MATH:
                    raise Refused(f"attribute {arg!r} is not a supported math function {where}")
                attr = vars(math).get(arg, _ABSENT)
                self.guards.append(_guards.make(vars(math), arg, attr))
                if not _guards.is_original_math(arg, attr):
                    raise Refused(f"math.{arg} was reassigned {where}")
                stack.append(("func", arg))
            elif op == "CALL":
                n, kw = arg
                if kw or n != 1:
                    raise Refused(f"only one-argument calls are supported {where}")
                x = stack.pop()
                callee = stack.pop()
                if not (isinstance(callee, tuple) and callee[0] == "func"):
                    raise Refused(f"calls something other than abs or a math function {where}")
                stack.append(self.call(callee[1], x, where))
            elif op == "BINARY_OP":
                b, a = stack.pop(), stack.pop()
                stack.append(self.binary(arg, a, b, where))
            elif op == "COMPARE_OP":
                b, a = stack.pop(), stack.pop()
                self.numeric(a, where), self.numeric(b, where)
                stack.append(self.node("cmp", "bool", (a, b), op=arg))
            elif op == "UNARY_NEGATIVE":
                a = self.numeric(stack.pop(), where)
                stack.append(self.node("neg", "float" if a.ty == "float" else "int", (a,)))
            elif op == "UNARY_INVERT":
                a = self.numeric(stack.pop(), where)
                if a.ty == "float":
                    raise Refused(f"~ of a float is a TypeError in CPython {where}")
                stack.append(self.node("inv", "int", (a,)))
            elif op == "COPY":
                stack.append(stack[-arg])
            elif op == "SWAP":
                stack[-1], stack[-arg] = stack[-arg], stack[-1]
            elif op == "POP_TOP":
                stack.pop()
            elif op in ("POP_JUMP_IF_FALSE", "POP_JUMP_IF_TRUE"):
                cond = self.truth(stack.pop(), where)
                if arg <= ins.offset:
                    raise Refused(f"has a loop {where}")
                nxt = self.walk(k + 1, list(stack))
                tgt = self.walk(self.at[arg], list(stack))
                yes, no = (nxt, tgt) if op == "POP_JUMP_IF_FALSE" else (tgt, nxt)
                if yes.ty != no.ty:
                    raise Refused(
                        f"the branches give {yes.ty} and {no.ty}: CPython's results would mix "
                        f"types {where}"
                    )
                return self.node("if", yes.ty, (cond, yes, no))
            elif op == "JUMP":
                if arg <= ins.offset:
                    raise Refused(f"has a loop {where}")
                k = self.at[arg]
                continue
            elif op == "RETURN_VALUE":
                return self.numeric(stack.pop(), where)
            elif op == "STORE_FAST":
                raise Refused(f"assigns a variable: not a single expression {where}")
            else:
                name = arg[0] if op == "UNSUPPORTED" else op
                raise Refused(f"{name} is not part of an arrow_kernel expression {where}")
            k += 1

    def const(self, value: Any, where: str) -> Node:
        if type(value) is int and INT64_MIN <= value <= INT64_MAX:
            return self.node("const", "int", value=value)
        if type(value) is float:
            return self.node("const", "float", value=value)
        raise Refused(f"constant {value!r} is not an int64 or float {where}")

    def global_(self, name: str, where: str) -> Any:
        scope = self.func.__globals__
        if name in scope:
            value, owner = scope[name], scope
        else:
            owner = self.func.__builtins__
            value = owner.get(name, _ABSENT)
            self.guards.append(_guards.make(scope, name, _ABSENT))
        self.guards.append(_guards.make(owner, name, value))
        if value is math:
            return ("module", "math")
        for fname in MATH:
            if _guards.is_original_math(fname, value):
                return ("func", fname)
        if _guards.is_original_builtin("abs", value):
            return ("func", "abs")
        raise Refused(f"reads the global {name!r}: arrow_kernel takes constants only {where}")

    def numeric(self, n: Any, where: str) -> Node:
        if not isinstance(n, Node):
            raise Refused(f"uses a function or module as a value {where}")
        return n

    def truth(self, n: Any, where: str) -> Node:
        n = self.numeric(n, where)
        return n if n.ty == "bool" else self.node("tobool", "bool", (n,))

    def call(self, fname: str, x: Any, where: str) -> Node:
        x = self.numeric(x, where)
        if fname == "abs":
            return self.node("abs", "float" if x.ty == "float" else "int", (x,))
        return self.node("call", MATH[fname][1], (x,), op=fname)

    def binary(self, sym: str, a: Any, b: Any, where: str) -> Node:
        a, b = self.numeric(a, where), self.numeric(b, where)
        tys = {a.ty, b.ty}
        if sym in ("//", "%"):
            raise Refused(f"`{sym}` floors in CPython but truncates in pyarrow {where}")
        if sym == "<<":
            raise Refused(f"`<<` overflows silently in pyarrow {where}")
        if sym in ("+", "-", "*"):
            return self.node("bin", "float" if "float" in tys else "int", (a, b), op=sym)
        if sym == "/":
            return self.node("bin", "float", (a, b), op=sym)
        if sym == "**":
            if b.kind != "const" or b.ty != "int" or b.value < 0:
                raise Refused(f"`**` needs a constant exponent >= 0 {where}")
            return self.node("bin", "float" if a.ty == "float" else "int", (a, b), op=sym)
        if sym in _BITS or sym == ">>":
            if "float" in tys:
                raise Refused(f"`{sym}` of a float is a TypeError in CPython {where}")
            ty = "bool" if tys == {"bool"} and sym in _BITS else "int"
            return self.node("bin", ty, (a, b), op=sym)
        raise Refused(f"operator {sym!r} is not supported {where}")


_ABSENT = _guards.ABSENT


# --------------------------------------------------------------------- evaluation


def _pc() -> Any:
    import pyarrow.compute as pc

    return pc


def _as_int(v: Any, ty: str) -> Any:
    import pyarrow as pa

    return _pc().cast(v, pa.int64()) if ty == "bool" else v


def _as_float(v: Any, ty: str) -> Any:
    import pyarrow as pa

    return v if ty == "float" else _pc().cast(_as_int(v, ty), pa.float64())


def _exact_ints(v: Any) -> None:
    """Raises _Fallback unless every int in ``v`` converts to float exactly."""
    import pyarrow as pa

    if isinstance(v, pa.Scalar):
        v = pa.array([v.as_py()], pa.int64())
    mm = _pc().min_max(v)
    lo, hi = mm["min"].as_py(), mm["max"].as_py()
    if lo is not None and (lo < -EXACT or hi > EXACT):
        raise _Fallback


def _overflowed(result: Any, base: Any) -> None:
    """Raises _Fallback where a finite input gave an infinite result (CPython raises)."""
    pc = _pc()
    bad = pc.and_(pc.is_inf(result), pc.invert(pc.is_inf(base)))
    if pc.any(bad).as_py():
        raise _Fallback


class _Eval:
    def __init__(self, x: Any) -> None:
        self.x = x

    def ev(self, n: Node, x: Any) -> Any:
        import pyarrow as pa

        pc = _pc()
        k = n.kind
        if k == "param":
            return x
        if k == "const":
            return pa.scalar(n.value, pa.int64() if n.ty == "int" else pa.float64())
        if k == "tobool":
            (a,) = n.args
            v = self.ev(a, x)
            return pc.not_equal(v, pa.scalar(0, pa.int64() if a.ty == "int" else pa.float64()))
        if k == "if":
            c, yes, no = n.args
            cond = self.ev(c, x)
            null = pa.scalar(None, x.type)
            # Each branch sees only the elements that select it (the others are null).
            vy = self.ev(yes, pc.if_else(cond, x, null))
            vn = self.ev(no, pc.if_else(cond, null, x))
            return pc.if_else(cond, vy, vn)
        if k == "neg":
            (a,) = n.args
            v = self.ev(a, x)
            return pc.negate(v) if n.ty == "float" else pc.negate_checked(_as_int(v, a.ty))
        if k == "inv":
            (a,) = n.args
            return pc.bit_wise_not(_as_int(self.ev(a, x), a.ty))
        if k == "abs":
            (a,) = n.args
            v = self.ev(a, x)
            return pc.abs(v) if n.ty == "float" else pc.abs_checked(_as_int(v, a.ty))
        if k == "call":
            (a,) = n.args
            v = _as_float(self.ev(a, x), a.ty)
            kernel, _ = MATH[n.op]
            r = getattr(pc, kernel)(v)
            if n.op == "exp":
                _overflowed(r, v)
            if n.ty == "int":  # floor/ceil/trunc: CPython gives an int
                fin = pc.is_finite(r)
                if not pc.all(fin).as_py() or pc.any(pc.greater_equal(pc.abs(r), 2.0**63)).as_py():
                    raise _Fallback
                r = pc.cast(r, pa.int64())
            return r
        if k == "cmp":
            a, b = n.args
            va, vb = self.ev(a, x), self.ev(b, x)
            if {a.ty, b.ty} == {"int", "float"}:
                _exact_ints(va if a.ty == "int" else vb)
            if "float" not in (a.ty, b.ty):
                va, vb = _as_int(va, a.ty), _as_int(vb, b.ty)
            return getattr(pc, _CMP[n.op])(va, vb)
        if k == "bin":
            return self.binary(n, x)
        raise AssertionError(k)

    def binary(self, n: Node, x: Any) -> Any:
        pc = _pc()
        a, b = n.args
        va, vb = self.ev(a, x), self.ev(b, x)
        sym = n.op
        if sym in _ARITH:
            if n.ty == "float":
                return getattr(pc, _FLOAT_ARITH[sym])(_as_float(va, a.ty), _as_float(vb, b.ty))
            return getattr(pc, _ARITH[sym])(_as_int(va, a.ty), _as_int(vb, b.ty))
        if sym == "/":
            for v, t in ((va, a.ty), (vb, b.ty)):
                if t != "float":
                    _exact_ints(_as_int(v, t))
            return pc.divide_checked(_as_float(va, a.ty), _as_float(vb, b.ty))
        if sym == "**":
            if n.ty == "int":
                return pc.power_checked(_as_int(va, a.ty), vb)
            base = _as_float(va, a.ty)
            r = pc.power(base, _as_float(vb, "int"))
            _overflowed(r, base)
            return r
        if sym in _BITS:
            ints, bools = _BITS[sym]
            if n.ty == "bool":
                return getattr(pc, bools)(va, vb)
            return getattr(pc, ints)(_as_int(va, a.ty), _as_int(vb, b.ty))
        if sym == ">>":
            return pc.shift_right_checked(_as_int(va, a.ty), _as_int(vb, b.ty))
        raise AssertionError(sym)


def _lane_array(source: Any, lane: str) -> Any:
    """The input as one pyarrow Array of the lane's type."""
    import pyarrow as pa

    t = pa.int64() if lane == "int64" else pa.float64()
    if isinstance(source, (pa.Array, pa.ChunkedArray)):
        return source if source.type == t else source.cast(t)
    return pa.array(source, type=t, from_pandas=False)


def _keep_nulls(result: Any, x: Any) -> Any:
    """``result`` with a null wherever the input has one, as a column of ``len(x)``.

    A branch that does not read the parameter (``7 if c else x``) gives a value for null
    slots too (pyarrow broadcasts the constant); gilmap's null rule says a null element
    gives a null, whatever the expression.
    """
    import pyarrow as pa

    pc = _pc()
    if x.null_count:
        null = pa.scalar(None, result.type)
        return pc.if_else(pc.is_valid(x), result, null)
    if isinstance(result, pa.Scalar):  # broadcast a constant over the column
        return pc.if_else(pc.is_valid(x), result, pa.scalar(None, result.type))
    return result


def _output(result: Any, output: str) -> Any:
    import pyarrow as pa

    if isinstance(result, pa.Scalar):  # cannot happen: _keep_nulls broadcasts
        raise AssertionError("scalar result")
    if output == "list":
        return result.to_pylist()
    if output == "array":
        # A numpy output has no nulls (a masked array's mask is put back by the caller):
        # fill them, or to_numpy would turn an int column into floats with NaN.
        if result.null_count:
            result = result.fill_null(pa.scalar(0, pa.int64()).cast(result.type))
        return result.to_numpy(zero_copy_only=False)
    return result


class ArrowKernelBackend:
    name = "arrow_kernel"
    fast_path = True

    def detect(self, func: Any, lane: str) -> Verdict:
        if os.environ.get("GILMAP_ARROW", "1").strip() in ("0", "false", "no", "off"):
            return Verdict(False, "arrow_kernel is disabled (GILMAP_ARROW=0)")
        if not isinstance(func, types.FunctionType):
            return Verdict(False, "not a plain Python function")
        if lane not in ("int64", "float64"):
            return Verdict(False, f"the {lane} lane is not evaluated with pyarrow")
        b = _Builder(func, lane)
        try:
            nz.check_version()
            expr = b.build()
        except nz.UnsupportedPython as exc:
            return Verdict(False, str(exc))
        except Refused as exc:
            # Re-decided when what it read changes (a reassigned math function restored).
            reason = f"not an arrow_kernel expression: {exc}"
            return Verdict(False, reason, guards=tuple(b.guards))
        except (IndexError, KeyError):
            return Verdict(False, "not an arrow_kernel expression: unexpected bytecode shape")
        try:
            import pyarrow.compute  # noqa: F401
        except ImportError:
            return Verdict(False, "pyarrow is not installed")
        return Verdict(
            True,
            f"one expression of the parameter, evaluated with pyarrow.compute ({lane})",
            ArrowPayload(expr, tuple(b.guards)),
            guards=tuple(b.guards),
        )

    def run(
        self, decision: Decision, column: Any, output: str, func: Any = None, source: Any = None
    ) -> Any:
        import pyarrow as pa

        p: ArrowPayload = decision.payload
        lane = "float64" if column.lane == "float64" else "int64"
        if source is None or len(column) == 0:
            return _gilmap.cpython_map(column, func, output)
        try:
            x = _lane_array(source, lane)
            result = _keep_nulls(_Eval(x).ev(p.expr, x), x)
            result = _cpython_nans(result, column, func)
        except (_Fallback, pa.ArrowException, OverflowError):
            # pyarrow would differ from CPython here: CPython evaluates the column (exact
            # result, or the first failing element's exception).
            return _gilmap.cpython_map(column, func, output)
        return _output(result, output)


def _cpython_nans(result: Any, column: Any, func: Any) -> Any:
    """``result`` with every NaN replaced by CPython's own value for that element.

    A NaN's sign and payload are whatever the C code computing it gives (pyarrow's kernels
    return +NaN for ``pow(-nan, 1)``, CPython returns its operand), so no NaN bits are
    taken from pyarrow. Raises ``_Fallback`` when CPython's answer there is not a float
    (an exception, another type): the column is then CPython's to evaluate.
    """
    import numpy as np
    import pyarrow as pa

    pc = _pc()
    if not pa.types.is_floating(result.type) or not pc.any(pc.is_nan(result)).as_py():
        return result
    if isinstance(result, pa.ChunkedArray):
        result = result.combine_chunks()
    valid = result.is_valid().to_numpy(zero_copy_only=False)
    values = result.fill_null(0.0).to_numpy(zero_copy_only=False).copy()
    for i in np.flatnonzero(np.isnan(values) & valid):
        try:
            v = func(column.value(int(i)))
        except Exception as exc:  # noqa: BLE001 - CPython decides; it raises in order
            raise _Fallback from exc
        if type(v) is not float:
            raise _Fallback
        values[i] = v
    return pa.array(values, type=result.type, mask=~valid if result.null_count else None)
