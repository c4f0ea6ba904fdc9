//! The instruction interpreter: stack, locals, constants, globals, branches, loops.

use inkwell::IntPredicate;

use super::{Cond, Flow, FnCompiler, State, V};
use crate::error::Result;
use crate::parse::{CaptureTy, Const, Global, Op};
use crate::types::Ty;

/// Attributes of `math` that are constants.
pub fn math_constant(name: &str) -> Option<f64> {
    Some(match name {
        "pi" => std::f64::consts::PI,
        "e" => std::f64::consts::E,
        "tau" => std::f64::consts::TAU,
        "inf" => f64::INFINITY,
        "nan" => f64::NAN,
        _ => return None,
    })
}

impl<'u, 'a, 'ctx> FnCompiler<'u, 'a, 'ctx> {
    fn pop(&self, st: &mut State<'ctx>) -> Result<V<'ctx>> {
        st.stack.pop().ok_or_else(|| self.ty_err("stack underflow"))
    }

    pub fn konst(&self, c: &Const) -> V<'ctx> {
        let ctx = self.ctx();
        match c {
            Const::Int(v) => V::Int(self.i64c(*v)),
            Const::Float(x) => V::Float(ctx.f64_type().const_float(*x)),
            Const::Bool(b) => V::Bool(ctx.bool_type().const_int(*b as u64, false)),
            Const::None => V::Static(Ty::NoneT),
            Const::Str(s) => V::Static(Ty::Str(s.clone())),
            Const::Tuple(items) => V::Static(Ty::Tuple(items.clone())),
            Const::BigInt(s) => V::Static(Ty::Unsupported(format!(
                "the int constant {s} (beyond int64)"
            ))),
        }
    }

    pub(super) fn step(&mut self, op: &Op, st: &mut State<'ctx>) -> Result<Flow<'ctx>> {
        match op {
            Op::Nop => {}
            Op::LoadFast(i) | Op::LoadFastCheck(i) => {
                let v = st
                    .locals
                    .get(*i as usize)
                    .cloned()
                    .ok_or_else(|| self.ty_err(format!("local {i} out of range")))?;
                if v.ty() == Ty::Undef {
                    return Err(self.ty_err(format!(
                        "variable {:?} is never bound here (UnboundLocalError in CPython)",
                        self.f.locals.get(*i as usize).cloned().unwrap_or_default()
                    )));
                }
                match v {
                    // Unbound on some path: CPython raises UnboundLocalError there.
                    V::Opt {
                        unbound: true,
                        flag,
                        val,
                    } => {
                        if matches!(op, Op::LoadFastCheck(_)) {
                            self.check(flag);
                        }
                        st.stack.push(*val);
                    }
                    v => st.stack.push(v),
                }
            }
            Op::StoreFast(i) => {
                let v = self.pop(st)?;
                let slot = st
                    .locals
                    .get_mut(*i as usize)
                    .ok_or_else(|| self.ty_err(format!("local {i} out of range")))?;
                *slot = v;
            }
            Op::LoadConst(c) => st.stack.push(self.konst(c)),
            Op::LoadDeref(i) => st.stack.push(self.load_capture(*i)?),
            Op::LoadGlobal(g, name) => st.stack.push(match g {
                Global::Const(c) => self.konst(c),
                Global::Module(m) if m == "math" => V::Static(Ty::Module),
                Global::Module(m) => V::Static(Ty::Unsupported(format!("module {m} ({name})"))),
                Global::MathFn(f) => V::Static(Ty::MathFn(f.clone())),
                Global::Builtin(f) => V::Static(Ty::Builtin(f.clone())),
                Global::Func(id) => V::Static(Ty::Func(*id)),
                Global::Unsupported(t) => {
                    V::Static(Ty::Unsupported(format!("global {name} of type {t}")))
                }
            }),
            Op::LoadAttr(name) => {
                let obj = self.pop(st)?;
                match obj.ty() {
                    Ty::Module => match math_constant(name) {
                        Some(x) => st
                            .stack
                            .push(V::Float(self.ctx().f64_type().const_float(x))),
                        None => st.stack.push(V::Static(Ty::MathFn(name.clone()))),
                    },
                    other => {
                        return Err(self.unsupported(format!("attribute {name:?} of a {other}")))
                    }
                }
            }
            Op::BinaryOp(sym) => {
                let b = self.pop(st)?;
                let a = self.pop(st)?;
                let (a, b) = (self.unwrap_none(a), self.unwrap_none(b));
                let r = self.binop(sym, a, b)?;
                st.stack.push(r);
            }
            Op::CompareOp(sym) => {
                let b = self.pop(st)?;
                let a = self.pop(st)?;
                let (a, b) = (self.unwrap_none(a), self.unwrap_none(b));
                let r = self.compare(sym, &a, &b)?;
                st.stack.push(r);
            }
            Op::IsOp(negate) => {
                let b = self.pop(st)?;
                let a = self.pop(st)?;
                let (ta, tb) = (a.ty(), b.ty());
                let opt_flag = match (&a, &b) {
                    (
                        V::Opt {
                            unbound: false,
                            flag,
                            ..
                        },
                        V::Static(Ty::NoneT),
                    )
                    | (
                        V::Static(Ty::NoneT),
                        V::Opt {
                            unbound: false,
                            flag,
                            ..
                        },
                    ) => Some(*flag),
                    _ => None,
                };
                if let Some(flag) = opt_flag {
                    let r = if *negate {
                        self.b.build_not(flag, "").unwrap()
                    } else {
                        flag
                    };
                    st.stack.push(V::Bool(r));
                    return Ok(Flow::Next);
                }
                let same = match (&ta, &tb) {
                    (Ty::NoneT, Ty::NoneT) => true,
                    (Ty::NoneT, t) | (t, Ty::NoneT) if t.is_number() => false,
                    _ => return Err(self.unsupported(format!("`is` between {ta} and {tb}"))),
                };
                st.stack.push(V::Bool(
                    self.ctx()
                        .bool_type()
                        .const_int((same != *negate) as u64, false),
                ));
            }
            Op::ContainsOp(negate) => {
                let container = self.pop(st)?;
                let x = self.pop(st)?;
                let x = self.unwrap_none(x);
                let r = self.contains(&x, &container, *negate)?;
                st.stack.push(r);
            }
            Op::UnaryNegative => {
                let v = self.pop(st)?;
                let v = self.unwrap_none(v);
                let r = self.negate(v)?;
                st.stack.push(r);
            }
            Op::UnaryInvert => {
                let v = self.pop(st)?;
                let v = self.unwrap_none(v);
                let r = self.invert(v)?;
                st.stack.push(r);
            }
            Op::UnaryPositive => {
                let v = self.pop(st)?;
                let v = self.unwrap_none(v);
                let r = self.positive(v)?;
                st.stack.push(r);
            }
            Op::UnaryNot | Op::ToBool => {
                let v = self.pop(st)?;
                let c = self.truth(&v)?;
                let r = match (c, op) {
                    (Cond::Dyn(c), Op::UnaryNot) => V::Bool(self.b.build_not(c, "").unwrap()),
                    (Cond::Dyn(c), _) => V::Bool(c),
                    (Cond::Static(c), Op::UnaryNot) => {
                        V::Bool(self.ctx().bool_type().const_int(!c as u64, false))
                    }
                    (Cond::Static(c), _) => {
                        V::Bool(self.ctx().bool_type().const_int(c as u64, false))
                    }
                };
                st.stack.push(r);
            }
            Op::PopJumpIfFalse(_) | Op::PopJumpIfTrue(_) => {
                let v = self.pop(st)?;
                let c = self.truth(&v)?;
                let jump_if = matches!(op, Op::PopJumpIfTrue(_));
                let cond = match c {
                    Cond::Static(c) => Cond::Static(c == jump_if),
                    Cond::Dyn(c) if jump_if => Cond::Dyn(c),
                    Cond::Dyn(c) => Cond::Dyn(self.b.build_not(c, "").unwrap()),
                };
                return Ok(Flow::Branch {
                    cond,
                    taken: st.clone(),
                    not_taken: st.clone(),
                });
            }
            Op::PopJumpIfNone(_) | Op::PopJumpIfNotNone(_) => {
                let v = self.pop(st)?;
                if let V::Opt {
                    unbound: false,
                    flag,
                    ..
                } = v
                {
                    let cond = if matches!(op, Op::PopJumpIfNone(_)) {
                        flag
                    } else {
                        self.b.build_not(flag, "").unwrap()
                    };
                    return Ok(Flow::Branch {
                        cond: Cond::Dyn(cond),
                        taken: st.clone(),
                        not_taken: st.clone(),
                    });
                }
                let is_none = match v.ty() {
                    Ty::NoneT => true,
                    t if t.is_number() => false,
                    t => return Err(self.unsupported(format!("`is None` test of a {t}"))),
                };
                let jump = is_none == matches!(op, Op::PopJumpIfNone(_));
                return Ok(Flow::Branch {
                    cond: Cond::Static(jump),
                    taken: st.clone(),
                    not_taken: st.clone(),
                });
            }
            Op::Jump(_) => {}
            Op::GetIter => {
                let v = self.pop(st)?;
                match v {
                    V::Range {
                        cur, stop, step, ..
                    } => st.stack.push(V::Range {
                        iter: true,
                        cur,
                        stop,
                        step,
                    }),
                    other => {
                        return Err(self.unsupported(format!(
                            "iteration over a {} (only range() loops compile)",
                            other.ty()
                        )))
                    }
                }
            }
            Op::ForIter(_) => return self.for_iter(st),
            Op::PopTop => {
                self.pop(st)?;
            }
            Op::Copy(i) => {
                let i = *i as usize;
                let n = st.stack.len();
                if i == 0 || i > n {
                    return Err(self.ty_err("COPY beyond the stack"));
                }
                st.stack.push(st.stack[n - i].clone());
            }
            Op::Swap(i) => {
                let i = *i as usize;
                let n = st.stack.len();
                if i < 2 || i > n {
                    return Err(self.ty_err("SWAP beyond the stack"));
                }
                st.stack.swap(n - 1, n - i);
            }
            Op::UnpackSequence(n) => {
                let v = self.pop(st)?;
                match v.ty() {
                    Ty::Tuple(items) if items.len() == *n as usize => {
                        for c in items.iter().rev() {
                            st.stack.push(self.konst(c));
                        }
                    }
                    other => return Err(self.unsupported(format!("unpacking a {other}"))),
                }
            }
            Op::Call(n, kw) => {
                let n = *n as usize;
                if st.stack.len() < n + 1 {
                    return Err(self.ty_err("CALL beyond the stack"));
                }
                let args = st.stack.split_off(st.stack.len() - n);
                let args = args.into_iter().map(|a| self.unwrap_none(a)).collect();
                let callee = self.pop(st)?;
                let r = self.call(callee, args, kw)?;
                st.stack.push(r);
            }
            Op::ReturnValue => {
                let v = self.pop(st)?;
                self.do_return(v)?;
                return Ok(Flow::Done);
            }
            Op::Unsupported(name, detail) => {
                return Err(crate::error::CompileError::unsupported(
                    name.clone(),
                    if detail == "-" {
                        String::new()
                    } else {
                        detail.clone()
                    },
                    self.loc(),
                ))
            }
        }
        Ok(Flow::Next)
    }

    /// A `T | None` used as a number: None would raise TypeError in CPython.
    pub fn unwrap_none(&mut self, v: V<'ctx>) -> V<'ctx> {
        match v {
            V::Opt {
                unbound: false,
                flag,
                val,
            } => {
                self.check(flag);
                *val
            }
            other => other,
        }
    }

    fn load_capture(&mut self, i: u32) -> Result<V<'ctx>> {
        let ty = self
            .capture_ty(i)
            .ok_or_else(|| self.ty_err(format!("closure variable {i} unknown")))?;
        let caps = self.captures_ptr().ok_or_else(|| {
            self.ty_err("closure variables are only supported in the mapped function itself")
        })?;
        let i64t = self.ctx().i64_type();
        // SAFETY (of the generated code): the driver passes one i64 per capture.
        let p = unsafe {
            self.b
                .build_in_bounds_gep(i64t, caps, &[self.i64c(i as i64)], "")
                .unwrap()
        };
        let raw = self.b.build_load(i64t, p, "cap").unwrap().into_int_value();
        Ok(match ty {
            CaptureTy::Int => V::Int(raw),
            CaptureTy::Float => V::Float(
                self.b
                    .build_bit_cast(raw, self.ctx().f64_type(), "")
                    .unwrap()
                    .into_float_value(),
            ),
            CaptureTy::Bool => V::Bool(self.icmp(IntPredicate::NE, raw, self.i64c(0))),
        })
    }

    /// `FOR_ITER` over a range iterator: continue with the next value, or pop the
    /// iterator and leave the loop.
    fn for_iter(&mut self, st: &mut State<'ctx>) -> Result<Flow<'ctx>> {
        let it = self.pop(st)?;
        let V::Range {
            cur, stop, step, ..
        } = it
        else {
            return Err(self.unsupported(format!("FOR_ITER over a {}", it.ty())));
        };
        let zero = self.i64c(0);
        let up = self.icmp(IntPredicate::SGT, step, zero);
        let lt = self.icmp(IntPredicate::SLT, cur, stop);
        let gt = self.icmp(IntPredicate::SGT, cur, stop);
        let more = self
            .b
            .build_select(up, lt, gt, "more")
            .unwrap()
            .into_int_value();
        // next = cur + step; on overflow the range is exhausted after `cur`. With constant
        // bounds where `cur + step` cannot overflow while `cur` is inside the range, a
        // plain add: LLVM then sees a canonical counted loop (trip count, unrolling).
        let next = if self.range_cannot_overflow() {
            self.b.build_int_add(cur, step, "").unwrap()
        } else {
            let (next, ovf) = self.checked_int("sadd", cur, step);
            self.b
                .build_select(ovf, stop, next, "")
                .unwrap()
                .into_int_value()
        };
        let mut cont = st.clone();
        cont.stack.push(V::Range {
            iter: true,
            cur: next,
            stop,
            step,
        });
        cont.stack.push(V::Int(cur));
        Ok(Flow::Branch {
            cond: Cond::Dyn(self.b.build_not(more, "").unwrap()),
            taken: st.clone(),
            not_taken: cont,
        })
    }
}
