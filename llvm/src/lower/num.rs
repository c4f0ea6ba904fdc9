//! Numeric operators with CPython's semantics on int64/float64/bool.
//!
//! Anything CPython would raise for, or that int64 cannot represent exactly, sets the
//! block's error flag (the element is then re-evaluated by CPython): division and modulo
//! by zero, int overflow, negative shift counts, int/int true division beyond 2**53, mixed
//! int/float comparison beyond 2**53, and float `**` whenever a special case is involved.

use inkwell::intrinsics::Intrinsic;
use inkwell::values::{FloatValue, IntValue};
use inkwell::{FloatPredicate, IntPredicate};

use super::{Cond, FnCompiler, V};
use crate::error::Result;
use crate::parse::Const;
use crate::types::Ty;

const EXACT_FLOAT_INT: i64 = 1 << 53;

impl<'u, 'a, 'ctx> FnCompiler<'u, 'a, 'ctx> {
    /// `a OP b` with an `llvm.{s}{op}.with.overflow` intrinsic: (result, overflowed).
    pub fn checked_int(
        &self,
        op: &str,
        a: IntValue<'ctx>,
        b: IntValue<'ctx>,
    ) -> (IntValue<'ctx>, IntValue<'ctx>) {
        let i64t = self.ctx().i64_type();
        if self.poll.is_none() && matches!(op, "sadd" | "ssub") {
            // Loop-free code: LLVM's loop vectorizer cannot widen the `with.overflow`
            // intrinsics, so spell the check out (wrapping result; signed overflow iff
            // the result's sign differs from both operands' (add) / from a's and b's
            // differs from a's (sub)). Inside loops the intrinsic is cheaper (add + jo).
            let b_ = &self.b;
            let add = op == "sadd";
            let r = if add {
                b_.build_int_add(a, b, "").unwrap()
            } else {
                b_.build_int_sub(a, b, "").unwrap()
            };
            // add: (a ^ r) & (b ^ r) < 0; sub: (a ^ b) & (a ^ r) < 0
            let (x, y) = if add { (a, b) } else { (a, a) };
            let (u, v) = if add { (r, r) } else { (b, r) };
            let t = b_
                .build_and(
                    b_.build_xor(x, u, "").unwrap(),
                    b_.build_xor(y, v, "").unwrap(),
                    "",
                )
                .unwrap();
            let o = self.icmp(IntPredicate::SLT, t, i64t.const_zero());
            return (r, o);
        }
        let f = Intrinsic::find(&format!("llvm.{op}.with.overflow"))
            .and_then(|i| i.get_declaration(&self.unit.module, &[i64t.into()]))
            .expect("overflow intrinsic");
        let r = self
            .call_value(f, &[a.into(), b.into()])
            .into_struct_value();
        let v = self
            .b
            .build_extract_value(r, 0, "")
            .unwrap()
            .into_int_value();
        let o = self
            .b
            .build_extract_value(r, 1, "")
            .unwrap()
            .into_int_value();
        (v, o)
    }

    /// Calls an LLVM intrinsic on f64 values.
    pub fn fintrinsic(&self, name: &str, args: &[FloatValue<'ctx>]) -> FloatValue<'ctx> {
        let f64t = self.ctx().f64_type();
        let f = Intrinsic::find(name)
            .and_then(|i| i.get_declaration(&self.unit.module, &[f64t.into()]))
            .expect("float intrinsic");
        let args: Vec<_> = args.iter().map(|a| (*a).into()).collect();
        self.call_value(f, &args).into_float_value()
    }

    pub fn as_int(&self, v: &V<'ctx>) -> Option<IntValue<'ctx>> {
        match v {
            V::Int(x) => Some(*x),
            V::Bool(x) => Some(
                self.b
                    .build_int_z_extend(*x, self.ctx().i64_type(), "")
                    .unwrap(),
            ),
            _ => None,
        }
    }

    pub fn as_float(&self, v: &V<'ctx>) -> Option<FloatValue<'ctx>> {
        let f64t = self.ctx().f64_type();
        match v {
            V::Float(x) => Some(*x),
            V::Int(x) => Some(self.b.build_signed_int_to_float(*x, f64t, "").unwrap()),
            V::Bool(x) => Some(self.b.build_unsigned_int_to_float(*x, f64t, "").unwrap()),
            _ => None,
        }
    }

    pub fn fconst(&self, x: f64) -> FloatValue<'ctx> {
        self.ctx().f64_type().const_float(x)
    }

    pub(super) fn fcmp(
        &self,
        p: FloatPredicate,
        a: FloatValue<'ctx>,
        b: FloatValue<'ctx>,
    ) -> IntValue<'ctx> {
        self.b.build_float_compare(p, a, b, "").unwrap()
    }

    fn or(&self, a: IntValue<'ctx>, b: IntValue<'ctx>) -> IntValue<'ctx> {
        self.b.build_or(a, b, "").unwrap()
    }

    fn and(&self, a: IntValue<'ctx>, b: IntValue<'ctx>) -> IntValue<'ctx> {
        self.b.build_and(a, b, "").unwrap()
    }

    fn sel_i(&self, c: IntValue<'ctx>, a: IntValue<'ctx>, b: IntValue<'ctx>) -> IntValue<'ctx> {
        self.b.build_select(c, a, b, "").unwrap().into_int_value()
    }

    fn sel_f(
        &self,
        c: IntValue<'ctx>,
        a: FloatValue<'ctx>,
        b: FloatValue<'ctx>,
    ) -> FloatValue<'ctx> {
        self.b.build_select(c, a, b, "").unwrap().into_float_value()
    }

    /// True when `|x| > 2**53` (int → float conversion might not be exact).
    fn beyond_exact(&self, x: IntValue<'ctx>) -> IntValue<'ctx> {
        let hi = self.icmp(IntPredicate::SGT, x, self.i64c(EXACT_FLOAT_INT));
        let lo = self.icmp(IntPredicate::SLT, x, self.i64c(-EXACT_FLOAT_INT));
        self.or(hi, lo)
    }

    fn numeric(&self, v: &V<'ctx>, what: &str) -> Result<()> {
        match v.ty() {
            t if t.is_number() => Ok(()),
            Ty::Bottom => Ok(()),
            t => Err(self.unsupported(format!("{what} on a {t}"))),
        }
    }

    pub fn binop(&mut self, sym: &str, a: V<'ctx>, b: V<'ctx>) -> Result<V<'ctx>> {
        self.numeric(&a, &format!("`{sym}`"))?;
        self.numeric(&b, &format!("`{sym}`"))?;
        if a.ty() == Ty::Bottom || b.ty() == Ty::Bottom {
            self.unit.incomplete = true;
            return Ok(V::Static(Ty::Bottom));
        }
        let both_bool = matches!((&a, &b), (V::Bool(_), V::Bool(_)));
        if both_bool && matches!(sym, "&" | "|" | "^") {
            let (x, y) = (a_bool(&a), a_bool(&b));
            let r = match sym {
                "&" => self.b.build_and(x, y, "").unwrap(),
                "|" => self.b.build_or(x, y, "").unwrap(),
                _ => self.b.build_xor(x, y, "").unwrap(),
            };
            return Ok(V::Bool(r));
        }
        let any_float = matches!(a, V::Float(_)) || matches!(b, V::Float(_));
        if any_float {
            if matches!(sym, "&" | "|" | "^" | "<<" | ">>") {
                return Err(self.unsupported(format!("`{sym}` on a float (TypeError in CPython)")));
            }
            let (x, y) = (self.as_float(&a).unwrap(), self.as_float(&b).unwrap());
            return Ok(V::Float(self.float_op(sym, x, y)?));
        }
        let (x, y) = (self.as_int(&a).unwrap(), self.as_int(&b).unwrap());
        if sym == "/" {
            // int / int: CPython divides exactly-converted doubles when both fit in 53 bits.
            let big = self.or(self.beyond_exact(x), self.beyond_exact(y));
            let zero = self.icmp(IntPredicate::EQ, y, self.i64c(0));
            self.check(self.or(big, zero));
            let (fx, fy) = (
                self.as_float(&V::Int(x)).unwrap(),
                self.as_float(&V::Int(y)).unwrap(),
            );
            return Ok(V::Float(self.b.build_float_div(fx, fy, "").unwrap()));
        }
        if sym == "**" {
            return self.int_pow(x, &b);
        }
        Ok(V::Int(self.int_op(sym, x, y)?))
    }

    /// For `x + y` / `x - y` with one side a constant and the other's range known, the
    /// result's range when it cannot overflow (else None).
    fn const_shift_in_range(
        &self,
        sym: &str,
        x: IntValue<'ctx>,
        y: IntValue<'ctx>,
    ) -> Option<(i64, i64)> {
        let (lo, hi) = match (
            x.get_sign_extended_constant(),
            y.get_sign_extended_constant(),
        ) {
            (None, Some(k)) => {
                let (lo, hi) = *self.range_of.get(&x)?;
                let k = if sym == "+" { k as i128 } else { -(k as i128) };
                (lo as i128 + k, hi as i128 + k)
            }
            (Some(k), None) => {
                let (lo, hi) = *self.range_of.get(&y)?;
                if sym == "+" {
                    (k as i128 + lo as i128, k as i128 + hi as i128)
                } else {
                    (k as i128 - hi as i128, k as i128 - lo as i128)
                }
            }
            _ => return None,
        };
        (lo >= i64::MIN as i128 && hi <= i64::MAX as i128).then_some((lo as i64, hi as i64))
    }

    fn int_op(
        &mut self,
        sym: &str,
        x: IntValue<'ctx>,
        y: IntValue<'ctx>,
    ) -> Result<IntValue<'ctx>> {
        let zero = self.i64c(0);
        Ok(match sym {
            "*" if const_positive(x).or(const_positive(y)).is_some() => {
                // Multiplication by a positive constant: a plain multiply (LLVM can use
                // `lea`) with the overflow test as range compares off the critical path.
                let (v, c) = match const_positive(y) {
                    Some(c) => (x, c),
                    None => (y, const_positive(x).unwrap()),
                };
                let hi = self.icmp(IntPredicate::SGT, v, self.i64c(i64::MAX / c));
                let lo = self.icmp(IntPredicate::SLT, v, self.i64c(i64::MIN / c));
                self.check(self.or(hi, lo));
                let r = self.b.build_int_mul(v, self.i64c(c), "").unwrap();
                // When the element has not failed, `r` lies in c * [MIN / c, MAX / c].
                let (vlo, vhi) = self
                    .range_of
                    .get(&v)
                    .copied()
                    .unwrap_or((i64::MIN, i64::MAX));
                let (vlo, vhi) = (vlo.max(i64::MIN / c), vhi.min(i64::MAX / c));
                self.range_of.insert(r, (vlo * c, vhi * c));
                r
            }
            "+" | "-" if self.const_shift_in_range(sym, x, y).is_some() => {
                // `x + k`, `x - k`, `k - x` with `x`'s range known (from an earlier checked
                // operation of this element) so that the result cannot overflow: no test.
                let range = self.const_shift_in_range(sym, x, y).unwrap();
                let r = if sym == "+" {
                    self.b.build_int_add(x, y, "").unwrap()
                } else {
                    self.b.build_int_sub(x, y, "").unwrap()
                };
                self.range_of.insert(r, range);
                // A counter plus a constant stays a counter (for `check_counters`).
                if let (Some(&(c, d)), Some(k)) =
                    (self.shift_of.get(&x), y.get_sign_extended_constant())
                {
                    self.shift_of
                        .insert(r, (c, d.saturating_add(k.saturating_abs())));
                }
                r
            }
            "+" | "-" | "*" => {
                let op = match sym {
                    "+" => "sadd",
                    "-" => "ssub",
                    _ => "smul",
                };
                let (r, o) = self.checked_int(op, x, y);
                self.check(o);
                r
            }
            "//" | "%" => {
                let y_zero = self.icmp(IntPredicate::EQ, y, zero);
                let min = self.icmp(IntPredicate::EQ, x, self.i64c(i64::MIN));
                let m1 = self.icmp(IntPredicate::EQ, y, self.i64c(-1));
                let ovf = self.and(min, m1);
                // A safe divisor keeps the (discarded) result defined.
                let bad = self.or(y_zero, ovf);
                let d = self.sel_i(bad, self.i64c(1), y);
                let (q, r) = self.sdivrem(x, d, y.is_const());
                // Floor: adjust when the remainder is non-zero and its sign differs from d.
                let rnz = self.icmp(IntPredicate::NE, r, zero);
                let sx = self.b.build_xor(r, d, "").unwrap();
                let neg = self.icmp(IntPredicate::SLT, sx, zero);
                let adj = self.and(rnz, neg);
                if sym == "//" {
                    self.check(bad);
                    let q1 = self.b.build_int_sub(q, self.i64c(1), "").unwrap();
                    self.sel_i(adj, q1, q)
                } else {
                    self.check(y_zero); // MIN % -1 == 0: no overflow for %
                    let r1 = self.b.build_int_add(r, d, "").unwrap();
                    let m = self.sel_i(adj, r1, r);
                    let m = self.sel_i(ovf, zero, m);
                    // A floor remainder is zero exactly when the truncating one is: tests
                    // against zero use `r` and skip the adjustment (LLVM cannot see this).
                    self.rem_of.insert(m, r);
                    m
                }
            }
            "&" => self.b.build_and(x, y, "").unwrap(),
            "|" => self.b.build_or(x, y, "").unwrap(),
            "^" => self.b.build_xor(x, y, "").unwrap(),
            // A shift count outside 0..=63 is undefined in LLVM (poison), whatever the
            // element's fate: the count is made safe *before* the shift is emitted (an
            // unsigned test also catches negative counts), and the check flags the error.
            "<<" => {
                let neg = self.icmp(IntPredicate::SLT, y, zero);
                let wide = self.icmp(IntPredicate::UGT, y, self.i64c(63));
                let xnz = self.icmp(IntPredicate::NE, x, zero);
                let s = self.sel_i(wide, zero, y);
                let r = self.b.build_left_shift(x, s, "").unwrap();
                let back = self.b.build_right_shift(r, s, true, "").unwrap();
                let lost = self.icmp(IntPredicate::NE, back, x);
                let too_wide = self.and(wide, xnz);
                self.check(self.or(self.or(neg, too_wide), lost));
                self.sel_i(wide, zero, r)
            }
            ">>" => {
                let neg = self.icmp(IntPredicate::SLT, y, zero);
                self.check(neg);
                let wide = self.icmp(IntPredicate::UGT, y, self.i64c(63));
                let s = self.sel_i(wide, self.i64c(63), y);
                self.b.build_right_shift(x, s, true, "").unwrap()
            }
            other => return Err(self.unsupported(format!("operator {other:?}"))),
        })
    }

    /// Truncating `(x / d, x % d)` (`d` != 0, not MIN / -1). For a run-time divisor, when
    /// both fit in 32 unsigned bits a 32-bit division runs instead (64-bit `idiv` is several
    /// times slower).
    fn sdivrem(
        &self,
        x: IntValue<'ctx>,
        d: IntValue<'ctx>,
        const_divisor: bool,
    ) -> (IntValue<'ctx>, IntValue<'ctx>) {
        // A constant divisor becomes a multiplication in LLVM: no bypass needed.
        if const_divisor {
            let q = self.b.build_int_signed_div(x, d, "").unwrap();
            return (q, self.b.build_int_signed_rem(x, d, "").unwrap());
        }
        let ctx = self.ctx();
        let (i32t, i64t) = (ctx.i32_type(), ctx.i64_type());
        let both = self.b.build_or(x, d, "").unwrap();
        let small = self.icmp(IntPredicate::ULT, both, self.i64c(1 << 32));
        let fast = ctx.append_basic_block(self.llfn, "div32");
        let slow = ctx.append_basic_block(self.llfn, "div64");
        let join = ctx.append_basic_block(self.llfn, "divdone");
        self.b.build_conditional_branch(small, fast, slow).unwrap();
        self.b.position_at_end(fast);
        let (x32, d32) = (
            self.b.build_int_truncate(x, i32t, "").unwrap(),
            self.b.build_int_truncate(d, i32t, "").unwrap(),
        );
        let q32 = self.b.build_int_unsigned_div(x32, d32, "").unwrap();
        let r32 = self.b.build_int_unsigned_rem(x32, d32, "").unwrap();
        let (qf, rf) = (
            self.b.build_int_z_extend(q32, i64t, "").unwrap(),
            self.b.build_int_z_extend(r32, i64t, "").unwrap(),
        );
        self.b.build_unconditional_branch(join).unwrap();
        self.b.position_at_end(slow);
        let qs = self.b.build_int_signed_div(x, d, "").unwrap();
        let rs = self.b.build_int_signed_rem(x, d, "").unwrap();
        self.b.build_unconditional_branch(join).unwrap();
        self.b.position_at_end(join);
        let q = self.b.build_phi(i64t, "q").unwrap();
        q.add_incoming(&[(&qf, fast), (&qs, slow)]);
        let r = self.b.build_phi(i64t, "r").unwrap();
        r.add_incoming(&[(&rf, fast), (&rs, slow)]);
        (
            q.as_basic_value().into_int_value(),
            r.as_basic_value().into_int_value(),
        )
    }

    /// `x ** e` for an int base: int result for a constant exponent >= 0 (square and
    /// multiply, overflow checked), float for a constant negative exponent.
    fn int_pow(&mut self, x: IntValue<'ctx>, e: &V<'ctx>) -> Result<V<'ctx>> {
        let k = match e {
            V::Int(c) | V::Bool(c) => c.get_sign_extended_constant(),
            _ => None,
        };
        let Some(k) = k else {
            let e = match e {
                V::Int(e) => *e,
                V::Bool(e) => self
                    .b
                    .build_int_z_extend(*e, self.ctx().i64_type(), "")
                    .unwrap(),
                _ => return Err(self.unsupported("int ** a non-number exponent")),
            };
            return Ok(V::Int(self.int_pow_var(x, e)));
        };
        if k < 0 {
            let fx = self.as_float(&V::Int(x)).unwrap();
            return Ok(V::Float(self.float_pow(fx, self.fconst(k as f64))));
        }
        let mut result = self.i64c(1);
        let mut base = x;
        let mut n = k as u64;
        while n > 0 {
            if n & 1 == 1 {
                let (r, o) = self.checked_int("smul", result, base);
                self.check(o);
                result = r;
            }
            n >>= 1;
            if n > 0 {
                let (sq, o) = self.checked_int("smul", base, base);
                self.check(o);
                base = sq;
            }
        }
        Ok(V::Int(result))
    }

    /// `x ** e` for a run-time int exponent, as an int: a negative `e` (a float result in
    /// CPython) leaves the element to CPython, like an overflow. Square and multiply over
    /// the six low bits of `e`, straight-line; `e >= 64` gives an int64 only for a base of
    /// 0, 1 or -1.
    fn int_pow_var(&mut self, x: IntValue<'ctx>, e: IntValue<'ctx>) -> IntValue<'ctx> {
        let zero = self.i64c(0);
        self.check(self.icmp(IntPredicate::SLT, e, zero));
        let mut result = self.i64c(1);
        let mut base = x;
        for k in 0..6u64 {
            let bit = self
                .b
                .build_right_shift(e, self.i64c(k as i64), false, "")
                .unwrap();
            let bit = self.b.build_and(bit, self.i64c(1), "").unwrap();
            let bit = self.icmp(IntPredicate::NE, bit, zero);
            let (m, o) = self.checked_int("smul", result, base);
            self.check(self.and(bit, o));
            result = self.sel_i(bit, m, result);
            if k < 5 {
                // The square is used only when a higher bit of `e` is set.
                let rest = self
                    .b
                    .build_right_shift(e, self.i64c(k as i64 + 1), false, "")
                    .unwrap();
                let more = self.icmp(IntPredicate::NE, rest, zero);
                let (sq, o) = self.checked_int("smul", base, base);
                self.check(self.and(more, o));
                base = sq;
            }
        }
        // e >= 64: 0 ** e == 0, 1 ** e == 1, (-1) ** e == ±1; any other base overflows.
        let big = self.icmp(IntPredicate::SGE, e, self.i64c(64));
        let x_zero = self.icmp(IntPredicate::EQ, x, zero);
        let x_one = self.icmp(IntPredicate::EQ, x, self.i64c(1));
        let x_minus_one = self.icmp(IntPredicate::EQ, x, self.i64c(-1));
        let small_base = self.or(self.or(x_zero, x_one), x_minus_one);
        self.check(self.and(big, self.b.build_not(small_base, "").unwrap()));
        let odd = self.b.build_and(e, self.i64c(1), "").unwrap();
        let odd = self.icmp(IntPredicate::NE, odd, zero);
        let minus_one_pow = self.sel_i(odd, self.i64c(-1), self.i64c(1));
        let big_value = self.sel_i(x_minus_one, minus_one_pow, x);
        self.sel_i(big, big_value, result)
    }

    fn float_op(
        &mut self,
        sym: &str,
        x: FloatValue<'ctx>,
        y: FloatValue<'ctx>,
    ) -> Result<FloatValue<'ctx>> {
        let zero = self.fconst(0.0);
        Ok(match sym {
            "+" => self.b.build_float_add(x, y, "").unwrap(),
            "-" => self.b.build_float_sub(x, y, "").unwrap(),
            "*" => self.b.build_float_mul(x, y, "").unwrap(),
            "/" => {
                self.check(self.fcmp(FloatPredicate::OEQ, y, zero));
                self.b.build_float_div(x, y, "").unwrap()
            }
            "//" | "%" => {
                self.check(self.fcmp(FloatPredicate::OEQ, y, zero));
                let (div, m) = self.float_divmod(x, y);
                if sym == "//" {
                    div
                } else {
                    m
                }
            }
            "**" => self.float_pow(x, y),
            other => return Err(self.unsupported(format!("operator {other:?} on floats"))),
        })
    }

    /// CPython's `float_divmod` (Objects/floatobject.c), step by step.
    fn float_divmod(
        &mut self,
        vx: FloatValue<'ctx>,
        wx: FloatValue<'ctx>,
    ) -> (FloatValue<'ctx>, FloatValue<'ctx>) {
        let zero = self.fconst(0.0);
        let m = self.b.build_float_rem(vx, wx, "").unwrap();
        let sub = self.b.build_float_sub(vx, m, "").unwrap();
        let div = self.b.build_float_div(sub, wx, "").unwrap();
        let m_nz = self.fcmp(FloatPredicate::UNE, m, zero);
        let w_neg = self.fcmp(FloatPredicate::OLT, wx, zero);
        let m_neg = self.fcmp(FloatPredicate::OLT, m, zero);
        let differ = self.b.build_xor(w_neg, m_neg, "").unwrap();
        let adj = self.and(m_nz, differ);
        let m_adj = self.b.build_float_add(m, wx, "").unwrap();
        let d_adj = self.b.build_float_sub(div, self.fconst(1.0), "").unwrap();
        let signed_zero = self.fintrinsic("llvm.copysign.f64", &[zero, wx]);
        let m1 = self.sel_f(adj, m_adj, m);
        let m_final = self.sel_f(m_nz, m1, signed_zero);
        let div1 = self.sel_f(adj, d_adj, div);
        // floordiv = floor(div), rounded up when div - floor(div) > 0.5; 0 keeps the sign.
        let fl = self.fintrinsic("llvm.floor.f64", &[div1]);
        let frac = self.b.build_float_sub(div1, fl, "").unwrap();
        let up = self.fcmp(FloatPredicate::OGT, frac, self.fconst(0.5));
        let fl1 = self.b.build_float_add(fl, self.fconst(1.0), "").unwrap();
        let fd = self.sel_f(up, fl1, fl);
        let q = self.b.build_float_div(vx, wx, "").unwrap();
        let zero_div = self.fintrinsic("llvm.copysign.f64", &[zero, q]);
        let d_nz = self.fcmp(FloatPredicate::UNE, div1, zero);
        let fd_final = self.sel_f(d_nz, fd, zero_div);
        (fd_final, m_final)
    }

    /// `x ** y` on floats, as CPython's `float_pow`: a negative base needs an integral
    /// exponent (CPython computes `pow(-x, y)` and negates it for odd `y`); zero bases,
    /// non-finite operands and non-finite results are left to CPython.
    pub fn float_pow(&mut self, x: FloatValue<'ctx>, y: FloatValue<'ctx>) -> FloatValue<'ctx> {
        let ax = self.fintrinsic("llvm.fabs.f64", &[x]);
        let r0 = self.libm("pow", &[ax, y]);
        let fin = |s: &Self, v| {
            s.fcmp(
                FloatPredicate::OLT,
                s.fintrinsic("llvm.fabs.f64", &[v]),
                s.fconst(f64::INFINITY),
            )
        };
        let all_finite = self.and(self.and(fin(self, ax), fin(self, y)), fin(self, r0));
        let zero = self.fconst(0.0);
        let base_pos = self.fcmp(FloatPredicate::OGT, x, zero);
        let base_neg = self.fcmp(FloatPredicate::OLT, x, zero);
        let integral = self.fcmp(
            FloatPredicate::OEQ,
            self.fintrinsic("llvm.floor.f64", &[y]),
            y,
        );
        let ok = self.and(all_finite, self.or(base_pos, self.and(base_neg, integral)));
        self.check(self.b.build_not(ok, "").unwrap());
        let odd = self.fcmp(
            FloatPredicate::UNE,
            self.b.build_float_rem(y, self.fconst(2.0), "").unwrap(),
            zero,
        );
        let negate = self.and(base_neg, odd);
        let neg_r = self.b.build_float_neg(r0, "").unwrap();
        self.sel_f(negate, neg_r, r0)
    }

    pub fn compare(&mut self, sym: &str, a: &V<'ctx>, b: &V<'ctx>) -> Result<V<'ctx>> {
        self.numeric(a, &format!("`{sym}`"))?;
        self.numeric(b, &format!("`{sym}`"))?;
        if a.ty() == Ty::Bottom || b.ty() == Ty::Bottom {
            self.unit.incomplete = true;
            return Ok(V::Static(Ty::Bottom));
        }
        let any_float = matches!(a, V::Float(_)) || matches!(b, V::Float(_));
        if any_float {
            // An int beyond 2**53 compares exactly in CPython: leave it to CPython.
            for v in [a, b] {
                if let Some(i) = match v {
                    V::Int(i) => Some(*i),
                    _ => None,
                } {
                    self.check(self.beyond_exact(i));
                }
            }
            let (x, y) = (self.as_float(a).unwrap(), self.as_float(b).unwrap());
            let p = match sym {
                "<" => FloatPredicate::OLT,
                "<=" => FloatPredicate::OLE,
                "==" => FloatPredicate::OEQ,
                "!=" => FloatPredicate::UNE,
                ">" => FloatPredicate::OGT,
                ">=" => FloatPredicate::OGE,
                other => return Err(self.unsupported(format!("comparison {other:?}"))),
            };
            return Ok(V::Bool(self.fcmp(p, x, y)));
        }
        let (mut x, mut y) = (self.as_int(a).unwrap(), self.as_int(b).unwrap());
        if matches!(sym, "==" | "!=") {
            // `n % d == 0`: compare the truncating remainder (see `rem_of`).
            if y.get_sign_extended_constant() == Some(0) {
                x = self.rem_of.get(&x).copied().unwrap_or(x);
            } else if x.get_sign_extended_constant() == Some(0) {
                y = self.rem_of.get(&y).copied().unwrap_or(y);
            }
        }
        let p = match sym {
            "<" => IntPredicate::SLT,
            "<=" => IntPredicate::SLE,
            "==" => IntPredicate::EQ,
            "!=" => IntPredicate::NE,
            ">" => IntPredicate::SGT,
            ">=" => IntPredicate::SGE,
            other => return Err(self.unsupported(format!("comparison {other:?}"))),
        };
        Ok(V::Bool(self.icmp(p, x, y)))
    }

    /// Truthiness, as `bool(v)`.
    pub fn truth(&mut self, v: &V<'ctx>) -> Result<Cond<'ctx>> {
        Ok(match v {
            V::Bool(x) => Cond::Dyn(*x),
            V::Int(x) => {
                let x = self.rem_of.get(x).copied().unwrap_or(*x);
                Cond::Dyn(self.icmp(IntPredicate::NE, x, self.i64c(0)))
            }
            V::Float(x) => Cond::Dyn(self.fcmp(FloatPredicate::UNE, *x, self.fconst(0.0))),
            V::Static(Ty::NoneT) => Cond::Static(false),
            V::Static(Ty::Bottom) => {
                self.unit.incomplete = true;
                Cond::Static(false)
            }
            V::Static(Ty::Tuple(items)) => Cond::Static(!items.is_empty()),
            V::Opt {
                unbound: false,
                flag,
                val,
            } => {
                let inner = match self.truth(val)? {
                    Cond::Dyn(c) => c,
                    Cond::Static(c) => self.ctx().bool_type().const_int(c as u64, false),
                };
                let f = self.ctx().bool_type().const_zero();
                Cond::Dyn(
                    self.b
                        .build_select(*flag, f, inner, "")
                        .unwrap()
                        .into_int_value(),
                )
            }
            other => return Err(self.unsupported(format!("truth value of a {}", other.ty()))),
        })
    }

    pub fn negate(&mut self, v: V<'ctx>) -> Result<V<'ctx>> {
        self.numeric(&v, "unary -")?;
        Ok(match v {
            V::Float(x) => V::Float(self.b.build_float_neg(x, "").unwrap()),
            V::Static(_) => {
                self.unit.incomplete = true;
                v
            }
            other => {
                let x = self.as_int(&other).unwrap();
                let (r, o) = self.checked_int("ssub", self.i64c(0), x);
                self.check(o);
                V::Int(r)
            }
        })
    }

    pub fn invert(&mut self, v: V<'ctx>) -> Result<V<'ctx>> {
        self.numeric(&v, "unary ~")?;
        match &v {
            V::Float(_) => Err(self.unsupported("~ on a float (TypeError in CPython)")),
            V::Static(_) => Ok(v),
            other => {
                let x = self.as_int(other).unwrap();
                Ok(V::Int(self.b.build_not(x, "").unwrap()))
            }
        }
    }

    pub fn positive(&mut self, v: V<'ctx>) -> Result<V<'ctx>> {
        self.numeric(&v, "unary +")?;
        Ok(match &v {
            V::Bool(_) => V::Int(self.as_int(&v).unwrap()),
            _ => v,
        })
    }

    /// `x in (c1, c2, ...)` for a constant tuple of numbers.
    pub fn contains(&mut self, x: &V<'ctx>, container: &V<'ctx>, negate: bool) -> Result<V<'ctx>> {
        let Ty::Tuple(items) = container.ty() else {
            return Err(self.unsupported(format!("`in` on a {}", container.ty())));
        };
        let mut acc = self.ctx().bool_type().const_zero();
        for c in &items {
            if !matches!(c, Const::Int(_) | Const::Float(_) | Const::Bool(_)) {
                return Err(self.unsupported(format!("`in` on a tuple holding {c:?}")));
            }
            let cv = self.konst(c);
            if let V::Bool(eq) = self.compare("==", x, &cv)? {
                acc = self.or(acc, eq);
            }
        }
        if negate {
            acc = self.b.build_not(acc, "").unwrap();
        }
        Ok(V::Bool(acc))
    }
}

/// The value of a constant int operand greater than 1.
fn const_positive(v: IntValue<'_>) -> Option<i64> {
    v.get_sign_extended_constant().filter(|&c| c > 1)
}

fn a_bool<'ctx>(v: &V<'ctx>) -> IntValue<'ctx> {
    match v {
        V::Bool(x) => *x,
        _ => unreachable!("checked by the caller"),
    }
}
