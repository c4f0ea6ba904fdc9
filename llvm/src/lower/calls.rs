//! Calls: builtins, `math` functions and other compiled Python functions.
//!
//! `math` functions call the same libm symbols CPython's math module calls (marked
//! `nobuiltin` so LLVM neither folds nor replaces them) or IEEE-exact intrinsics (`sqrt`,
//! `fabs`, `floor`, ...). CPython's `math_1` rule decides errors: a NaN from a non-NaN
//! argument or an infinity from a finite one is left to CPython (it raises ValueError or
//! OverflowError there).

use inkwell::attributes::{Attribute, AttributeLoc};
use inkwell::types::{BasicMetadataTypeEnum, BasicType, BasicTypeEnum};
use inkwell::values::{
    BasicMetadataValueEnum, BasicValueEnum, FloatValue, FunctionValue, IntValue,
};
use inkwell::{FloatPredicate, IntPredicate};

use super::{Cond, FnCompiler, TAG_DEOPT, V};
use crate::error::Result;
use crate::types::Ty;

/// 2**63, the first float beyond int64.
/// The deepest call a kernel makes: a call deeper than this leaves the element to CPython
/// (which raises `RecursionError` at its own limit, 1000 by default, or computes it). It
/// bounds the native stack a kernel uses: see `KERNEL_STACK_BYTES` in the extension.
pub const MAX_CALL_DEPTH: u32 = 500;

const TWO_POW_63: f64 = (1u64 << 63) as f64;

/// math functions with one float argument that CPython computes by calling libm directly.
const LIBM_1: &[&str] = &[
    "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
    "exp", "expm1", "exp2", "log1p", "cbrt",
];

impl<'u, 'a, 'ctx> FnCompiler<'u, 'a, 'ctx> {
    pub fn call_value(
        &self,
        f: FunctionValue<'ctx>,
        args: &[BasicMetadataValueEnum<'ctx>],
    ) -> BasicValueEnum<'ctx> {
        match self.b.build_call(f, args, "").unwrap().try_as_basic_value() {
            inkwell::values::ValueKind::Basic(v) => v,
            _ => unreachable!("calls here return values"),
        }
    }

    /// Calls libm's `name` on f64 arguments, as an opaque call (`nobuiltin`).
    pub fn libm(&self, name: &str, args: &[FloatValue<'ctx>]) -> FloatValue<'ctx> {
        let f64t = self.ctx().f64_type();
        let f = self.unit.module.get_function(name).unwrap_or_else(|| {
            let params: Vec<_> = args.iter().map(|_| f64t.into()).collect();
            self.unit
                .module
                .add_function(name, f64t.fn_type(&params, false), None)
        });
        let args: Vec<BasicMetadataValueEnum<'ctx>> = args.iter().map(|a| (*a).into()).collect();
        let call = self.b.build_call(f, &args, "").unwrap();
        let kind = Attribute::get_named_enum_kind_id("nobuiltin");
        call.add_attribute(
            AttributeLoc::Function,
            self.ctx().create_enum_attribute(kind, 0),
        );
        match call.try_as_basic_value() {
            inkwell::values::ValueKind::Basic(v) => v.into_float_value(),
            _ => unreachable!(),
        }
    }

    fn finite(&self, v: FloatValue<'ctx>) -> IntValue<'ctx> {
        let a = self.fintrinsic("llvm.fabs.f64", &[v]);
        self.b
            .build_float_compare(FloatPredicate::OLT, a, self.fconst(f64::INFINITY), "")
            .unwrap()
    }

    fn is_nan(&self, v: FloatValue<'ctx>) -> IntValue<'ctx> {
        self.b
            .build_float_compare(FloatPredicate::UNO, v, v, "")
            .unwrap()
    }

    /// CPython's `math_1` error rule for `r = f(x)`.
    fn math_1_check(&mut self, x: FloatValue<'ctx>, r: FloatValue<'ctx>) {
        let nan_from_number = self
            .b
            .build_and(
                self.is_nan(r),
                self.b.build_not(self.is_nan(x), "").unwrap(),
                "",
            )
            .unwrap();
        let inf_from_finite = self
            .b
            .build_and(
                self.b.build_not(self.finite(r), "").unwrap(),
                self.finite(x),
                "",
            )
            .unwrap();
        let inf_from_finite = self
            .b
            .build_and(
                inf_from_finite,
                self.b.build_not(self.is_nan(r), "").unwrap(),
                "",
            )
            .unwrap();
        self.check(
            self.b
                .build_or(nan_from_number, inf_from_finite, "")
                .unwrap(),
        );
    }

    /// A float that must become an int64 (`int(x)`, `math.floor(x)`, `round(x)`).
    fn float_to_int(&mut self, t: FloatValue<'ctx>) -> V<'ctx> {
        let lo = self
            .b
            .build_float_compare(FloatPredicate::OGE, t, self.fconst(-TWO_POW_63), "")
            .unwrap();
        let hi = self
            .b
            .build_float_compare(FloatPredicate::OLT, t, self.fconst(TWO_POW_63), "")
            .unwrap();
        let ok = self.b.build_and(lo, hi, "").unwrap(); // false for nan and inf
        self.check(self.b.build_not(ok, "").unwrap());
        let safe = self
            .b
            .build_select(ok, t, self.fconst(0.0), "")
            .unwrap()
            .into_float_value();
        V::Int(
            self.b
                .build_float_to_signed_int(safe, self.ctx().i64_type(), "")
                .unwrap(),
        )
    }

    /// An int from a number: ints and bools as they are, floats rounded by `intrinsic`
    /// (`int()`, `round()`, `math.floor()`...) and checked to fit int64.
    fn int_rounded_by(&mut self, a: V<'ctx>, intrinsic: &str, what: &str) -> Result<V<'ctx>> {
        self.number(&a, what)?;
        Ok(match a {
            V::Float(x) => {
                let r = self.fintrinsic(intrinsic, &[x]);
                self.float_to_int(r)
            }
            other => V::Int(self.as_int(&other).unwrap()),
        })
    }

    fn number(&self, v: &V<'ctx>, what: &str) -> Result<()> {
        if v.ty().is_number() {
            Ok(())
        } else {
            Err(self.unsupported(format!("{what} of a {}", v.ty())))
        }
    }

    pub fn call(&mut self, callee: V<'ctx>, args: Vec<V<'ctx>>, kw: &[String]) -> Result<V<'ctx>> {
        if args.iter().any(|a| a.ty() == Ty::Bottom) {
            self.unit.incomplete = true;
            return Ok(V::Static(Ty::Bottom));
        }
        match callee.ty() {
            Ty::Builtin(name) => self.builtin(&name, args, kw),
            Ty::MathFn(name) => {
                if !kw.is_empty() {
                    return Err(self.unsupported(format!("keyword arguments to math.{name}")));
                }
                self.math(&name, args)
            }
            Ty::Func(id) => {
                if !kw.is_empty() {
                    return Err(self.unsupported("keyword arguments to a Python function"));
                }
                self.call_python(id, args)
            }
            Ty::Bottom => {
                self.unit.incomplete = true;
                Ok(V::Static(Ty::Bottom))
            }
            other => Err(self.unsupported(format!("call of {other}"))),
        }
    }

    fn call_python(&mut self, id: u32, mut args: Vec<V<'ctx>>) -> Result<V<'ctx>> {
        // Missing trailing arguments take the callee's defaults.
        if let Some(callee) = self.unit.prog.funcs.get(id as usize).cloned() {
            for (idx, k) in &callee.defaults {
                if *idx as usize == args.len() {
                    args.push(self.konst(k));
                }
            }
        }
        let tys: Vec<Ty> = args.iter().map(V::ty).collect();
        for t in &tys {
            if !t.is_number() {
                return Err(self.unsupported(format!("passing a {t} to a Python function")));
            }
        }
        let loc = self.loc();
        let (f, ret) = self.unit.instance(id, tys, false, loc)?;
        let mut vals: Vec<BasicMetadataValueEnum<'ctx>> = args
            .iter()
            .map(|a| match a {
                V::Int(x) | V::Bool(x) => (*x).into(),
                V::Float(x) => (*x).into(),
                _ => unreachable!(),
            })
            .collect();
        let depth = if self.root {
            self.ctx().i32_type().const_int(1, false)
        } else {
            let one = self.ctx().i32_type().const_int(1, false);
            self.b
                .build_int_add(self.call_depth(), one, "depth")
                .unwrap()
        };
        vals.push(depth.into());
        vals.push(self.abort_ptr().into());
        // Deep recursion can run long without a loop: calls test the abort flag too. A
        // failed element leaves here: its (meaningless) values must not drive a call,
        // which could recurse on them until the native stack overflows.
        self.check_abort();
        self.flush_err();
        let r = self.call_value(f, &vals).into_struct_value();
        let tag = self
            .b
            .build_extract_value(r, 0, "")
            .unwrap()
            .into_int_value();
        let bits = self
            .b
            .build_extract_value(r, 1, "")
            .unwrap()
            .into_int_value();
        let deopt = self.icmp(
            IntPredicate::EQ,
            tag,
            self.ctx().i8_type().const_int(TAG_DEOPT.into(), false),
        );
        self.check(deopt);
        Ok(match ret {
            Ty::Int => V::Int(bits),
            Ty::Float => V::Float(
                self.b
                    .build_bit_cast(bits, self.ctx().f64_type(), "")
                    .unwrap()
                    .into_float_value(),
            ),
            Ty::Bool => V::Bool(
                self.b
                    .build_int_truncate(bits, self.ctx().bool_type(), "")
                    .unwrap(),
            ),
            Ty::NoneT => V::Static(Ty::NoneT),
            Ty::OrNone(inner) => {
                let none = self.icmp(
                    IntPredicate::EQ,
                    tag,
                    self.ctx()
                        .i8_type()
                        .const_int(super::TAG_NONE.into(), false),
                );
                let val = match *inner {
                    Ty::Int => V::Int(bits),
                    Ty::Float => V::Float(
                        self.b
                            .build_bit_cast(bits, self.ctx().f64_type(), "")
                            .unwrap()
                            .into_float_value(),
                    ),
                    Ty::Bool => V::Bool(
                        self.b
                            .build_int_truncate(bits, self.ctx().bool_type(), "")
                            .unwrap(),
                    ),
                    other => {
                        return Err(self.ty_err(format!("a called function returns {other}|None")))
                    }
                };
                V::Opt {
                    unbound: false,
                    flag: none,
                    val: Box::new(val),
                }
            }
            Ty::Bottom => {
                self.unit.incomplete = true;
                V::Static(Ty::Bottom)
            }
            other => return Err(self.ty_err(format!("a called function returns {other}"))),
        })
    }

    fn builtin(&mut self, name: &str, mut args: Vec<V<'ctx>>, kw: &[String]) -> Result<V<'ctx>> {
        let n = args.len();
        if !(kw.is_empty() || name == "round" && kw == ["ndigits"]) {
            return Err(self.unsupported(format!("keyword arguments to {name}()")));
        }
        match (name, n) {
            ("abs", 1) => {
                let a = args.pop().unwrap();
                self.number(&a, "abs()")?;
                Ok(match a {
                    V::Float(x) => V::Float(self.fintrinsic("llvm.fabs.f64", &[x])),
                    other => {
                        let x = self.as_int(&other).unwrap();
                        self.check(self.icmp(IntPredicate::EQ, x, self.i64c(i64::MIN)));
                        let neg = self.b.build_int_neg(x, "").unwrap();
                        let lt = self.icmp(IntPredicate::SLT, x, self.i64c(0));
                        V::Int(
                            self.b
                                .build_select(lt, neg, x, "")
                                .unwrap()
                                .into_int_value(),
                        )
                    }
                })
            }
            ("min" | "max", k) if k >= 2 => {
                let t0 = args[0].ty();
                for a in &args {
                    self.number(a, &format!("{name}()"))?;
                    if a.ty() != t0 {
                        return Err(self.unsupported(format!(
                            "{name}() of a {t0} and a {} (the result type would depend on the values)",
                            a.ty()
                        )));
                    }
                }
                let sym = if name == "min" { "<" } else { ">" };
                let mut cur = args[0].clone();
                for item in args.into_iter().skip(1) {
                    let V::Bool(c) = self.compare(sym, &item, &cur)? else {
                        unreachable!()
                    };
                    cur = match (&item, &cur) {
                        (V::Float(a), V::Float(b)) => V::Float(
                            self.b
                                .build_select(c, *a, *b, "")
                                .unwrap()
                                .into_float_value(),
                        ),
                        (V::Int(a), V::Int(b)) => {
                            V::Int(self.b.build_select(c, *a, *b, "").unwrap().into_int_value())
                        }
                        (V::Bool(a), V::Bool(b)) => {
                            V::Bool(self.b.build_select(c, *a, *b, "").unwrap().into_int_value())
                        }
                        _ => unreachable!(),
                    };
                }
                Ok(cur)
            }
            ("int", 1) => {
                let a = args.pop().unwrap();
                self.int_rounded_by(a, "llvm.trunc.f64", "int()")
            }
            ("float", 1) => {
                let a = args.pop().unwrap();
                if let Ty::Str(s) = a.ty() {
                    return parse_float(&s)
                        .map(|x| V::Float(self.fconst(x)))
                        .ok_or_else(|| self.unsupported(format!("float({s:?})")));
                }
                self.number(&a, "float()")?;
                Ok(V::Float(self.as_float(&a).unwrap()))
            }
            ("bool", 0) => Ok(V::Bool(self.ctx().bool_type().const_zero())),
            ("bool", 1) => {
                let a = args.pop().unwrap();
                Ok(match self.truth(&a)? {
                    Cond::Dyn(c) => V::Bool(c),
                    Cond::Static(c) => V::Bool(self.ctx().bool_type().const_int(c as u64, false)),
                })
            }
            ("round", 1) => {
                let a = args.pop().unwrap();
                self.int_rounded_by(a, "llvm.roundeven.f64", "round()")
            }
            ("round", 2) => {
                let nd = args.pop().unwrap();
                let a = args.pop().unwrap();
                let nd_const = match &nd {
                    V::Int(c) => c.get_sign_extended_constant(),
                    _ => None,
                };
                match (&a, nd_const) {
                    (V::Int(_) | V::Bool(_), Some(k)) if k >= 0 => {
                        Ok(V::Int(self.as_int(&a).unwrap()))
                    }
                    (V::Float(x), Some(k)) if (0..=323).contains(&k) => {
                        // A correctly rounded decimal string, read back: CPython's algorithm.
                        self.check(self.b.build_not(self.finite(*x), "").unwrap());
                        let f64t = self.ctx().f64_type().into();
                        let r = self.runtime_call(
                            "gilmap_round_nd",
                            f64t,
                            &[(*x).into(), self.i64c(k).into()],
                        );
                        Ok(V::Float(r.into_float_value()))
                    }
                    _ => Err(self.unsupported(format!(
                        "round() of a {} with a negative or non-constant ndigits",
                        a.ty()
                    ))),
                }
            }
            ("pow", 2) => {
                let b = args.pop().unwrap();
                let a = args.pop().unwrap();
                self.binop("**", a, b)
            }
            ("pow", 3) => {
                let m = args.pop().unwrap();
                let e = args.pop().unwrap();
                let a = args.pop().unwrap();
                match (self.as_int(&a), self.as_int(&e), self.as_int(&m)) {
                    (Some(a), Some(e), Some(m)) => Ok(V::Int(self.pow_mod(a, e, m))),
                    _ => Err(self.unsupported("pow() with a modulus needs ints")),
                }
            }
            ("range", 1..=3) => {
                let mut ints = Vec::new();
                for a in &args {
                    match a {
                        V::Int(_) | V::Bool(_) => ints.push(self.as_int(a).unwrap()),
                        other => {
                            return Err(self.unsupported(format!("range() of a {}", other.ty())))
                        }
                    }
                }
                let (start, stop, step) = match ints.len() {
                    1 => (self.i64c(0), ints[0], self.i64c(1)),
                    2 => (ints[0], ints[1], self.i64c(1)),
                    _ => (ints[0], ints[1], ints[2]),
                };
                self.check(self.icmp(IntPredicate::EQ, step, self.i64c(0)));
                Ok(V::Range {
                    iter: false,
                    cur: start,
                    stop,
                    step,
                })
            }
            _ => Err(self.unsupported(format!("{name}() with {n} arguments"))),
        }
    }

    /// Calls a runtime helper (`crate::runtime`) by name.
    fn runtime_call(
        &self,
        name: &str,
        ret: BasicTypeEnum<'ctx>,
        args: &[BasicMetadataValueEnum<'ctx>],
    ) -> BasicValueEnum<'ctx> {
        let f = self.unit.module.get_function(name).unwrap_or_else(|| {
            let params: Vec<BasicMetadataTypeEnum<'ctx>> = args
                .iter()
                .map(|a| match a {
                    BasicMetadataValueEnum::FloatValue(_) => self.ctx().f64_type().into(),
                    _ => self.ctx().i64_type().into(),
                })
                .collect();
            self.unit
                .module
                .add_function(name, ret.fn_type(&params, false), None)
        });
        self.call_value(f, args)
    }

    /// `pow(a, e, m)` for ints (CPython's floor-mod sign rule). A negative exponent
    /// (modular inverse) or a zero modulus is left to CPython.
    fn pow_mod(
        &mut self,
        a: IntValue<'ctx>,
        e: IntValue<'ctx>,
        m: IntValue<'ctx>,
    ) -> IntValue<'ctx> {
        let zero = self.i64c(0);
        let bad = self
            .b
            .build_or(
                self.icmp(IntPredicate::SLT, e, zero),
                self.icmp(IntPredicate::EQ, m, zero),
                "",
            )
            .unwrap();
        self.check(bad);
        let m_safe = self
            .b
            .build_select(bad, self.i64c(1), m, "")
            .unwrap()
            .into_int_value();
        let e_safe = self
            .b
            .build_select(bad, zero, e, "")
            .unwrap()
            .into_int_value();
        let i64t = self.ctx().i64_type().into();
        self.runtime_call(
            "gilmap_powmod",
            i64t,
            &[a.into(), e_safe.into(), m_safe.into()],
        )
        .into_int_value()
    }

    fn math(&mut self, name: &str, mut args: Vec<V<'ctx>>) -> Result<V<'ctx>> {
        for a in &args {
            self.number(a, &format!("math.{name}()"))?;
        }
        let n = args.len();
        if n == 1 {
            let a = args.pop().unwrap();
            match name {
                "floor" | "ceil" | "trunc" => {
                    return self.int_rounded_by(
                        a,
                        &format!("llvm.{name}.f64"),
                        &format!("math.{name}()"),
                    );
                }
                "isnan" | "isinf" | "isfinite" => {
                    let x = self.as_float(&a).unwrap();
                    let r = match name {
                        "isnan" => self.is_nan(x),
                        "isfinite" => self.finite(x),
                        _ => {
                            let a = self.fintrinsic("llvm.fabs.f64", &[x]);
                            self.b
                                .build_float_compare(
                                    FloatPredicate::OEQ,
                                    a,
                                    self.fconst(f64::INFINITY),
                                    "",
                                )
                                .unwrap()
                        }
                    };
                    return Ok(V::Bool(r));
                }
                _ => {}
            }
            let x = self.as_float(&a).unwrap();
            let r = match name {
                "sqrt" => {
                    let r = self.fintrinsic("llvm.sqrt.f64", &[x]);
                    self.math_1_check(x, r);
                    r
                }
                "fabs" => self.fintrinsic("llvm.fabs.f64", &[x]),
                "log" | "log2" | "log10" => {
                    let r = self.libm(name, &[x]);
                    let pos = self
                        .b
                        .build_float_compare(FloatPredicate::OGT, x, self.fconst(0.0), "")
                        .unwrap();
                    self.check(self.b.build_not(pos, "").unwrap());
                    r
                }
                "degrees" => self
                    .b
                    .build_float_mul(x, self.fconst(180.0 / std::f64::consts::PI), "")
                    .unwrap(),
                "radians" => self
                    .b
                    .build_float_mul(x, self.fconst(std::f64::consts::PI / 180.0), "")
                    .unwrap(),
                f if LIBM_1.contains(&f) => {
                    let r = self.libm(f, &[x]);
                    self.math_1_check(x, r);
                    r
                }
                other => return Err(self.unsupported(format!("math.{other} is not compiled"))),
            };
            return Ok(V::Float(r));
        }
        if n == 2 {
            let y = self.as_float(&args[1]).unwrap();
            let x = self.as_float(&args[0]).unwrap();
            let r = match name {
                "copysign" => {
                    // The sign of a NaN `y` is not the JIT's to decide (see `nan_to_cpython`).
                    let nan = self.fcmp(inkwell::FloatPredicate::UNO, y, y);
                    self.check(nan);
                    return Ok(V::Float(self.fintrinsic("llvm.copysign.f64", &[x, y])));
                }
                "hypot" => {
                    // CPython's own algorithm (vector_norm); non-finite operands go to CPython.
                    let fin = self
                        .b
                        .build_and(self.finite(x), self.finite(y), "")
                        .unwrap();
                    self.check(self.b.build_not(fin, "").unwrap());
                    let f64t = self.ctx().f64_type().into();
                    return Ok(V::Float(
                        self.runtime_call("gilmap_hypot", f64t, &[x.into(), y.into()])
                            .into_float_value(),
                    ));
                }
                "atan2" | "fmod" | "pow" => self.libm(name, &[x, y]),
                other => {
                    return Err(
                        self.unsupported(format!("math.{other} with 2 arguments is not compiled"))
                    )
                }
            };
            // Special values (non-finite operands or results, zeros that CPython
            // special-cases) are left to CPython.
            let fin = self
                .b
                .build_and(self.finite(x), self.finite(y), "")
                .unwrap();
            let fin = self.b.build_and(fin, self.finite(r), "").unwrap();
            let mut ok = fin;
            if name == "atan2" {
                let yz = self
                    .b
                    .build_float_compare(FloatPredicate::ONE, x, self.fconst(0.0), "")
                    .unwrap();
                ok = self.b.build_and(ok, yz, "").unwrap();
            }
            if name == "pow" {
                let pos = self
                    .b
                    .build_float_compare(FloatPredicate::OGT, x, self.fconst(0.0), "")
                    .unwrap();
                ok = self.b.build_and(ok, pos, "").unwrap();
            }
            self.check(self.b.build_not(ok, "").unwrap());
            return Ok(V::Float(r));
        }
        Err(self.unsupported(format!("math.{name} with {n} arguments is not compiled")))
    }
}

/// `float(s)` for the strings CPython accepts that matter here.
fn parse_float(s: &str) -> Option<f64> {
    let t = s.trim().to_ascii_lowercase();
    let (sign, body) = match t.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, t.strip_prefix('+').unwrap_or(&t)),
    };
    match body {
        "nan" => Some(if sign < 0.0 { -f64::NAN } else { f64::NAN }),
        "inf" | "infinity" => Some(sign * f64::INFINITY),
        b if !b.is_empty()
            && b.chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | '+' | '-')) =>
        {
            t.parse::<f64>().ok()
        }
        _ => None,
    }
}
