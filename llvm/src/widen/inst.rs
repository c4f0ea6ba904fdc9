//! Stage 4c, per instruction: the widened form of each scalar instruction (see mod.rs).

use std::ffi::CStr;

use llvm_sys::core::*;
use llvm_sys::prelude::*;
use llvm_sys::{LLVMOpcode, LLVMTypeKind};

use super::{opcode_name, Val, Widen, NAME};

impl Widen {
    pub(super) unsafe fn inst(
        &mut self,
        inst: LLVMValueRef,
        bb: LLVMBasicBlockRef,
    ) -> Result<(), String> {
        use LLVMOpcode::*;
        let op = LLVMGetInstructionOpcode(inst);
        let ty = LLVMTypeOf(inst);
        let operand = |i: u32| LLVMGetOperand(inst, i);
        let val = match op {
            LLVMPHI => {
                let n = LLVMCountIncoming(inst);
                let mut acc: Option<Val> = None;
                let mut ins = Vec::new();
                for i in 0..n {
                    let from = LLVMGetIncomingBlock(inst, i);
                    if !self.mask.contains_key(&from) {
                        continue; // an unreachable predecessor
                    }
                    let v = self.get(LLVMGetIncomingValue(inst, i))?;
                    ins.push((from, v));
                }
                for (from, v) in ins.iter().rev() {
                    acc = Some(match acc {
                        None => *v,
                        Some(prev) => {
                            if let (Val::Uni(a), Val::Uni(b)) = (prev, *v) {
                                if a == b {
                                    continue;
                                }
                            }
                            let e = self.edge_mask(*from, bb);
                            Val::Vary(LLVMBuildSelect(
                                self.b,
                                e,
                                self.vec(*v),
                                self.vec(prev),
                                NAME,
                            ))
                        }
                    });
                }
                acc.ok_or("a phi without incoming values")?
            }
            LLVMAdd | LLVMSub | LLVMMul | LLVMShl | LLVMLShr | LLVMAShr | LLVMAnd | LLVMOr
            | LLVMXor | LLVMFAdd | LLVMFSub | LLVMFMul | LLVMFDiv | LLVMFRem | LLVMSDiv
            | LLVMSRem | LLVMUDiv | LLVMURem => {
                let (a, b) = (self.get(operand(0))?, self.get(operand(1))?);
                if let Some(v) = fold_logic(op, a, b) {
                    self.map.insert(inst, v);
                    return Ok(());
                }
                match (a, b) {
                    (Val::Uni(x), Val::Uni(y))
                        if !matches!(op, LLVMSDiv | LLVMSRem | LLVMUDiv | LLVMURem) =>
                    {
                        Val::Uni(LLVMBuildBinOp(self.b, op, x, y, NAME))
                    }
                    (_, Val::Vary(_))
                        if matches!(op, LLVMSDiv | LLVMSRem | LLVMUDiv | LLVMURem) =>
                    {
                        // No vector instruction divides integers. Dividing in doubles (exact
                        // for |x| < 2**53) was measured too: trial division went from 94 to
                        // 204 ms (2M elements), as vdivpd is no faster per lane than a 32-bit
                        // div and lanes of such loops finish at very different trips.
                        return Err("an integer division by a per-lane divisor".into());
                    }
                    _ => {
                        let (x, mut y) = (self.vec(a), self.vec(b));
                        if matches!(op, LLVMSDiv | LLVMSRem | LLVMUDiv | LLVMURem) {
                            // Frozen first: a poison divisor (from a lane off the scalar
                            // path) would make the safety select itself poison.
                            y = LLVMBuildFreeze(self.b, y, NAME);
                            y = self.safe_divisor(x, y, matches!(op, LLVMSDiv | LLVMSRem));
                        }
                        Val::Vary(LLVMBuildBinOp(self.b, op, x, y, NAME))
                    }
                }
            }
            LLVMFNeg => match self.get(operand(0))? {
                Val::Uni(x) => Val::Uni(LLVMBuildFNeg(self.b, x, NAME)),
                v => Val::Vary(LLVMBuildFNeg(self.b, self.vec(v), NAME)),
            },
            LLVMICmp | LLVMFCmp => {
                let (a, b) = (self.get(operand(0))?, self.get(operand(1))?);
                let uni = matches!((a, b), (Val::Uni(_), Val::Uni(_)));
                let (x, y) = if uni {
                    (operand_val(a), operand_val(b))
                } else {
                    (self.vec(a), self.vec(b))
                };
                let r = if op == LLVMICmp {
                    LLVMBuildICmp(self.b, LLVMGetICmpPredicate(inst), x, y, NAME)
                } else {
                    LLVMBuildFCmp(self.b, LLVMGetFCmpPredicate(inst), x, y, NAME)
                };
                if uni {
                    Val::Uni(r)
                } else {
                    Val::Vary(r)
                }
            }
            LLVMSelect => {
                if LLVMGetTypeKind(ty) == LLVMTypeKind::LLVMStructTypeKind {
                    return Err("a select of aggregates".into());
                }
                let (c, a, b) = (
                    self.get(operand(0))?,
                    self.get(operand(1))?,
                    self.get(operand(2))?,
                );
                match (c, a, b) {
                    (Val::Uni(c), Val::Uni(a), Val::Uni(b)) => {
                        Val::Uni(LLVMBuildSelect(self.b, c, a, b, NAME))
                    }
                    _ => Val::Vary(LLVMBuildSelect(
                        self.b,
                        self.vec(c),
                        self.vec(a),
                        self.vec(b),
                        NAME,
                    )),
                }
            }
            LLVMTrunc | LLVMZExt | LLVMSExt | LLVMFPToUI | LLVMFPToSI | LLVMUIToFP | LLVMSIToFP
            | LLVMFPTrunc | LLVMFPExt | LLVMBitCast => match self.get(operand(0))? {
                Val::Uni(x) => Val::Uni(LLVMBuildCast(self.b, op, x, ty, NAME)),
                v => Val::Vary(LLVMBuildCast(self.b, op, self.vec(v), self.vty(ty), NAME)),
            },
            LLVMFreeze => match self.get(operand(0))? {
                Val::Uni(x) => Val::Uni(LLVMBuildFreeze(self.b, x, NAME)),
                v => Val::Vary(LLVMBuildFreeze(self.b, self.vec(v), NAME)),
            },
            LLVMInsertValue => {
                let mut fs = self.agg_fields(operand(0))?;
                let i = self.single_index(inst)? as usize;
                let v = self.get(operand(1))?;
                *fs.get_mut(i).ok_or("an aggregate index out of range")? = v;
                self.aggs.insert(inst, fs);
                return Ok(());
            }
            LLVMExtractValue => {
                let i = self.single_index(inst)?;
                let base = operand(0);
                if let Ok(fs) = self.agg_fields(base) {
                    *fs.get(i as usize)
                        .ok_or("an aggregate index out of range")?
                } else {
                    match self.get(base)? {
                        Val::Uni(x) => Val::Uni(LLVMBuildExtractValue(self.b, x, i, NAME)),
                        Val::Vary(x) => Val::Vary(LLVMBuildExtractValue(self.b, x, i, NAME)),
                    }
                }
            }
            LLVMGetElementPtr => {
                let n = LLVMGetNumOperands(inst) as u32;
                let mut ops = Vec::new();
                for i in 0..n {
                    match self.get(operand(i))? {
                        Val::Uni(x) => ops.push(x),
                        Val::Vary(_) => return Err("an address that differs by lane".into()),
                    }
                }
                Val::Uni(LLVMBuildInBoundsGEP2(
                    self.b,
                    LLVMGetGEPSourceElementType(inst),
                    ops[0],
                    ops[1..].as_mut_ptr(),
                    n - 1,
                    NAME,
                ))
            }
            LLVMLoad => {
                if LLVMGetOrdering(inst)
                    != llvm_sys::LLVMAtomicOrdering::LLVMAtomicOrderingNotAtomic
                {
                    return Err("an atomic load".into());
                }
                match self.get(operand(0))? {
                    Val::Uni(p) => {
                        let l = LLVMBuildLoad2(self.b, ty, p, NAME);
                        LLVMSetAlignment(l, LLVMGetAlignment(inst));
                        Val::Uni(l)
                    }
                    Val::Vary(_) => return Err("a load that differs by lane".into()),
                }
            }
            LLVMCall => self.call(inst, ty)?,
            LLVMBr => {
                let m = self.mask[&bb];
                if LLVMIsConditional(inst) != 0 {
                    // Frozen: a lane whose path the scalar code never takes may compute a
                    // poison condition (a shift past 63, say); `mask & poison` would poison
                    // the mask, where `mask & frozen` is just false for that lane.
                    let c = self.vec(self.get(LLVMGetCondition(inst))?);
                    let c = LLVMBuildFreeze(self.b, c, NAME);
                    let (t, e) = (LLVMGetSuccessor(inst, 0), LLVMGetSuccessor(inst, 1));
                    let mt = LLVMBuildAnd(self.b, m, c, NAME);
                    let nc = LLVMBuildNot(self.b, c, NAME);
                    let me = LLVMBuildAnd(self.b, m, nc, NAME);
                    self.edge(bb, t, mt);
                    self.edge(bb, e, me);
                } else {
                    self.edge(bb, LLVMGetSuccessor(inst, 0), m);
                }
                return Ok(());
            }
            LLVMRet => {
                let fs = self.agg_fields(operand(0))?;
                let m = self.mask[&bb];
                let new: Vec<LLVMValueRef> = fs.iter().map(|v| self.vec(*v)).collect();
                self.ret = Some(match self.ret.take() {
                    None => new,
                    Some(old) => new
                        .into_iter()
                        .zip(old)
                        .map(|(n, o)| LLVMBuildSelect(self.b, m, n, o, NAME))
                        .collect(),
                });
                return Ok(());
            }
            LLVMUnreachable => return Ok(()),
            other => return Err(format!("cannot widen {}", opcode_name(other))),
        };
        self.map.insert(inst, val);
        Ok(())
    }

    /// A call: uniform arguments call once; intrinsics take their vector form; any other
    /// callee runs once per lane (keeping `nobuiltin`, so libm stays libm).
    unsafe fn call(&mut self, inst: LLVMValueRef, ty: LLVMTypeRef) -> Result<Val, String> {
        let callee = LLVMGetCalledValue(inst);
        let fty = LLVMGetCalledFunctionType(inst);
        let n = LLVMGetNumArgOperands(inst);
        let args: Vec<Val> = (0..n)
            .map(|i| self.get(LLVMGetOperand(inst, i)))
            .collect::<Result<_, _>>()?;
        if args.iter().all(|a| matches!(a, Val::Uni(_))) {
            let mut xs: Vec<LLVMValueRef> = args.iter().map(|a| operand_val(*a)).collect();
            let c = LLVMBuildCall2(self.b, fty, callee, xs.as_mut_ptr(), n, NAME);
            if LLVMGetIntrinsicID(callee) == 0 {
                self.nobuiltin(c);
            }
            return Ok(Val::Uni(c));
        }
        let id = LLVMGetIntrinsicID(callee);
        if id != 0 {
            if LLVMIntrinsicIsOverloaded(id) == 0 || n == 0 {
                return Err("a call to a fixed-type intrinsic".into());
            }
            let mut over = [self.vty(LLVMTypeOf(LLVMGetOperand(inst, 0)))];
            let decl = LLVMGetIntrinsicDeclaration(self.module, id, over.as_mut_ptr(), 1);
            let vfty = LLVMIntrinsicGetType(self.ctx, id, over.as_mut_ptr(), 1);
            let mut xs: Vec<LLVMValueRef> = args.iter().map(|a| self.vec(*a)).collect();
            return Ok(Val::Vary(LLVMBuildCall2(
                self.b,
                vfty,
                decl,
                xs.as_mut_ptr(),
                n,
                NAME,
            )));
        }
        let kind = LLVMGetTypeKind(ty);
        if !matches!(
            kind,
            LLVMTypeKind::LLVMIntegerTypeKind | LLVMTypeKind::LLVMDoubleTypeKind
        ) {
            return Err("a call returning an aggregate".into());
        }
        let i32t = LLVMInt32TypeInContext(self.ctx);
        let mut out = LLVMGetPoison(self.vty(ty));
        for lane in 0..self.w {
            let li = LLVMConstInt(i32t, lane as u64, 0);
            // Frozen: a lane off the scalar path may hold poison, and a callee must get
            // a real (if meaningless) value; the helpers it may reach are total.
            let mut xs: Vec<LLVMValueRef> = args
                .iter()
                .map(|a| match a {
                    Val::Uni(x) => *x,
                    Val::Vary(v) => {
                        LLVMBuildFreeze(self.b, LLVMBuildExtractElement(self.b, *v, li, NAME), NAME)
                    }
                })
                .collect();
            let c = LLVMBuildCall2(self.b, fty, callee, xs.as_mut_ptr(), n, NAME);
            self.nobuiltin(c);
            out = LLVMBuildInsertElement(self.b, out, c, li, NAME);
        }
        Ok(Val::Vary(out))
    }

    unsafe fn nobuiltin(&self, call: LLVMValueRef) {
        let name = c"nobuiltin";
        let kind = LLVMGetEnumAttributeKindForName(name.as_ptr(), CStr::to_bytes(name).len());
        let attr = LLVMCreateEnumAttribute(self.ctx, kind, 0);
        LLVMAddCallSiteAttribute(call, llvm_sys::LLVMAttributeFunctionIndex, attr);
    }
}

/// `x & 0 = 0`, `x & -1 = x`, `x | 0 = x`, `x | -1 = -1`, `x ^ 0 = x` with a constant
/// operand: the lowering's error flags start as `false`, and a divisor chosen by a flag that
/// is constant must stay a known constant (see the division case).
unsafe fn fold_logic(op: LLVMOpcode, a: Val, b: Val) -> Option<Val> {
    use LLVMOpcode::*;
    let konst = |v: Val| match v {
        Val::Uni(x) if LLVMIsAConstantInt(x).is_null() => None,
        Val::Uni(x) => Some((x, LLVMConstIntGetSExtValue(x))),
        Val::Vary(_) => None,
    };
    let (c, other) = match (konst(a), konst(b)) {
        (Some(c), _) => (c, b),
        (_, Some(c)) => (c, a),
        _ => return None,
    };
    match (op, c.1) {
        (LLVMAnd, 0) | (LLVMOr, -1) => Some(Val::Uni(c.0)),
        (LLVMAnd, -1) | (LLVMOr, 0) | (LLVMXor, 0) => Some(other),
        _ => None,
    }
}

fn operand_val(v: Val) -> LLVMValueRef {
    match v {
        Val::Uni(x) | Val::Vary(x) => x,
    }
}
