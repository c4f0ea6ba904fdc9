//! Stage 4c: widening. A loop-free LLVM function over scalars becomes the same function
//! over `W`-lane vectors, so `W` elements take one trip of their loops together.
//!
//! The function is *predicated*: every block runs, in reverse post-order; a block's mask
//! is the OR of its incoming edge masks (a conditional branch splits its block's mask by
//! the condition), phis become selects on the edge masks, and each `ret` merges its fields
//! into the result under its block's mask. Values stay scalar while they are uniform
//! (constants, the captures pointer, loads through it) and are splat where they meet a
//! vector. Calls to intrinsics use their vector forms; other calls (libm, runtime helpers)
//! run once per lane, keeping `nobuiltin`, so every lane computes what the scalar code
//! computes, bit for bit. Divisors are made safe in every lane (a lane that is masked
//! off may hold anything). A per-lane integer divisor, memory writes, atomics and loops
//! are refused: the caller then keeps the scalar kernel.

use std::collections::HashMap;
use std::ffi::CStr;

use llvm_sys::core::*;
use llvm_sys::prelude::*;
use llvm_sys::{LLVMIntPredicate, LLVMOpcode, LLVMTypeKind};

/// A widened value.
#[derive(Clone, Copy, Debug)]
enum Val {
    /// The same in every lane: a scalar.
    Uni(LLVMValueRef),
    /// A `<W x T>` vector (or a struct of vectors, from an intrinsic).
    Vary(LLVMValueRef),
}

struct Widen {
    ctx: LLVMContextRef,
    module: LLVMModuleRef,
    b: LLVMBuilderRef,
    w: u32,
    map: HashMap<LLVMValueRef, Val>,
    /// Aggregates built by `insertvalue` chains (the returned struct), by field.
    aggs: HashMap<LLVMValueRef, Vec<Val>>,
    mask: HashMap<LLVMBasicBlockRef, LLVMValueRef>,
    /// Edge masks `(from, to, mask)`, in creation order (the output is deterministic).
    edges: Vec<(LLVMBasicBlockRef, LLVMBasicBlockRef, LLVMValueRef)>,
    ret: Option<Vec<LLVMValueRef>>,
}

const NAME: *const std::ffi::c_char = c"".as_ptr();

fn opcode_name(op: LLVMOpcode) -> String {
    format!("{op:?}").trim_start_matches("LLVM").to_string()
}

/// Widens `f` (whose non-pointer parameters are per-lane values) to `w` lanes as a new
/// internal function `name`. Returns the new function, or why it cannot.
///
/// # Safety
/// `module` holds `f`, a verified function; the context outlives both.
pub unsafe fn widen(
    module: LLVMModuleRef,
    f: LLVMValueRef,
    w: u32,
    name: &str,
) -> Result<LLVMValueRef, String> {
    let ctx = LLVMGetModuleContext(module);
    let fty = LLVMGlobalGetValueType(f);
    let nparams = LLVMCountParams(f);
    let mut ptys = Vec::new();
    for i in 0..nparams {
        ptys.push(vector_type(LLVMTypeOf(LLVMGetParam(f, i)), w));
    }
    let ret_ty = vector_type(LLVMGetReturnType(fty), w);
    let new_ty = LLVMFunctionType(ret_ty, ptys.as_mut_ptr(), nparams, 0);
    let cname = std::ffi::CString::new(name).unwrap();
    let g = LLVMAddFunction(module, cname.as_ptr(), new_ty);
    LLVMSetLinkage(g, llvm_sys::LLVMLinkage::LLVMInternalLinkage);
    let b = LLVMCreateBuilderInContext(ctx);
    let entry = LLVMAppendBasicBlockInContext(ctx, g, c"entry".as_ptr());
    LLVMPositionBuilderAtEnd(b, entry);
    let mut wd = Widen {
        ctx,
        module,
        b,
        w,
        map: HashMap::new(),
        aggs: HashMap::new(),
        mask: HashMap::new(),
        edges: Vec::new(),
        ret: None,
    };
    for i in 0..nparams {
        let (p, q) = (LLVMGetParam(f, i), LLVMGetParam(g, i));
        let v = if LLVMGetTypeKind(LLVMTypeOf(p)) == LLVMTypeKind::LLVMPointerTypeKind {
            Val::Uni(q)
        } else {
            Val::Vary(q)
        };
        wd.map.insert(p, v);
    }
    let r = wd.body(f, ret_ty);
    LLVMDisposeBuilder(b);
    match r {
        Ok(()) => Ok(g),
        Err(e) => {
            LLVMDeleteFunction(g);
            Err(e)
        }
    }
}

/// `<W x T>` for a number type, a struct of those for a struct; pointers stay.
unsafe fn vector_type(t: LLVMTypeRef, w: u32) -> LLVMTypeRef {
    match LLVMGetTypeKind(t) {
        LLVMTypeKind::LLVMStructTypeKind => {
            let n = LLVMCountStructElementTypes(t);
            let mut fs: Vec<LLVMTypeRef> = (0..n)
                .map(|i| vector_type(LLVMStructGetTypeAtIndex(t, i), w))
                .collect();
            LLVMStructTypeInContext(LLVMGetTypeContext(t), fs.as_mut_ptr(), n, 0)
        }
        LLVMTypeKind::LLVMPointerTypeKind | LLVMTypeKind::LLVMVoidTypeKind => t,
        _ => LLVMVectorType(t, w),
    }
}

/// Blocks reachable from the entry, in reverse post-order (the function has no cycle).
unsafe fn rpo(f: LLVMValueRef) -> Result<Vec<LLVMBasicBlockRef>, String> {
    let mut order = Vec::new();
    let mut state: HashMap<LLVMBasicBlockRef, u8> = HashMap::new();
    let mut stack = vec![(LLVMGetEntryBasicBlock(f), 0u32)];
    state.insert(stack[0].0, 1);
    while let Some((bb, i)) = stack.pop() {
        let term = LLVMGetBasicBlockTerminator(bb);
        let n = if term.is_null() {
            0
        } else {
            LLVMGetNumSuccessors(term)
        };
        if i < n {
            stack.push((bb, i + 1));
            let s = LLVMGetSuccessor(term, i);
            match state.get(&s) {
                None => {
                    state.insert(s, 1);
                    stack.push((s, 0));
                }
                Some(1) => return Err("the function loops".into()),
                _ => {}
            }
        } else {
            state.insert(bb, 2);
            order.push(bb);
        }
    }
    order.reverse();
    Ok(order)
}

impl Widen {
    unsafe fn vty(&self, t: LLVMTypeRef) -> LLVMTypeRef {
        vector_type(t, self.w)
    }

    /// `v` as a vector (splatting a uniform value).
    unsafe fn vec(&self, v: Val) -> LLVMValueRef {
        match v {
            Val::Vary(x) => x,
            Val::Uni(x) => {
                if LLVMIsConstant(x) != 0 {
                    let mut xs = vec![x; self.w as usize];
                    return LLVMConstVector(xs.as_mut_ptr(), self.w);
                }
                let vt = self.vty(LLVMTypeOf(x));
                let i32t = LLVMInt32TypeInContext(self.ctx);
                let one = LLVMBuildInsertElement(
                    self.b,
                    LLVMGetPoison(vt),
                    x,
                    LLVMConstInt(i32t, 0, 0),
                    NAME,
                );
                let zeros = LLVMConstNull(LLVMVectorType(i32t, self.w));
                LLVMBuildShuffleVector(self.b, one, LLVMGetPoison(vt), zeros, NAME)
            }
        }
    }

    unsafe fn get(&self, v: LLVMValueRef) -> Result<Val, String> {
        if let Some(x) = self.map.get(&v) {
            return Ok(*x);
        }
        if LLVMIsConstant(v) != 0 {
            return Ok(Val::Uni(v));
        }
        Err("a value is used before it is defined".into())
    }

    unsafe fn all_true(&self) -> LLVMValueRef {
        let i1 = LLVMInt1TypeInContext(self.ctx);
        self.vec(Val::Uni(LLVMConstInt(i1, 1, 0)))
    }

    unsafe fn body(&mut self, f: LLVMValueRef, ret_ty: LLVMTypeRef) -> Result<(), String> {
        let blocks = rpo(f)?;
        for (k, &bb) in blocks.iter().enumerate() {
            let m = if k == 0 {
                self.all_true()
            } else {
                let mut m: Option<LLVMValueRef> = None;
                for (from, to, e) in &self.edges {
                    if *to == bb && self.mask.contains_key(from) {
                        m = Some(match m {
                            None => *e,
                            Some(x) => LLVMBuildOr(self.b, x, *e, NAME),
                        });
                    }
                }
                m.ok_or("a block without a mask")?
            };
            self.mask.insert(bb, m);
            let mut inst = LLVMGetFirstInstruction(bb);
            while !inst.is_null() {
                self.inst(inst, bb)?;
                inst = LLVMGetNextInstruction(inst);
            }
        }
        let fields = self.ret.take().ok_or("the function never returns")?;
        let mut agg = LLVMGetUndef(ret_ty);
        for (i, v) in fields.into_iter().enumerate() {
            agg = LLVMBuildInsertValue(self.b, agg, v, i as u32, NAME);
        }
        LLVMBuildRet(self.b, agg);
        Ok(())
    }

    unsafe fn edge(&mut self, from: LLVMBasicBlockRef, to: LLVMBasicBlockRef, m: LLVMValueRef) {
        match self
            .edges
            .iter_mut()
            .find(|(f, t, _)| *f == from && *t == to)
        {
            Some(e) => e.2 = LLVMBuildOr(self.b, e.2, m, NAME),
            None => self.edges.push((from, to, m)),
        }
    }

    fn edge_mask(&self, from: LLVMBasicBlockRef, to: LLVMBasicBlockRef) -> LLVMValueRef {
        self.edges
            .iter()
            .find(|(f, t, _)| *f == from && *t == to)
            .map(|e| e.2)
            .expect("edges are recorded before their target block")
    }

    /// The fields of an aggregate operand (an `insertvalue` chain or a constant struct).
    unsafe fn agg_fields(&self, v: LLVMValueRef) -> Result<Vec<Val>, String> {
        if let Some(fs) = self.aggs.get(&v) {
            return Ok(fs.clone());
        }
        if LLVMIsConstant(v) != 0 {
            let n = LLVMCountStructElementTypes(LLVMTypeOf(v));
            return Ok((0..n)
                .map(|i| {
                    let e = LLVMGetAggregateElement(v, i);
                    Val::Uni(if e.is_null() {
                        LLVMGetUndef(LLVMStructGetTypeAtIndex(LLVMTypeOf(v), i))
                    } else {
                        e
                    })
                })
                .collect());
        }
        Err("an aggregate that is not built field by field".into())
    }

    unsafe fn single_index(&self, inst: LLVMValueRef) -> Result<u32, String> {
        if LLVMGetNumIndices(inst) != 1 {
            return Err("a nested aggregate index".into());
        }
        Ok(*LLVMGetIndices(inst))
    }

    /// A divisor no lane can trap on: 0 -> 1, and for a signed division -1 -> 1 where the
    /// dividend is INT_MIN (an unsigned division by all-ones bits is fine as it is).
    unsafe fn safe_divisor(&self, a: LLVMValueRef, d: LLVMValueRef, signed: bool) -> LLVMValueRef {
        let t = LLVMTypeOf(d);
        let elem = LLVMGetElementType(t);
        let splat = |c: u64| {
            let mut xs = vec![LLVMConstInt(elem, c, 1); self.w as usize];
            LLVMConstVector(xs.as_mut_ptr(), self.w)
        };
        let zero = LLVMBuildICmp(self.b, LLVMIntPredicate::LLVMIntEQ, d, splat(0), NAME);
        if !signed {
            return LLVMBuildSelect(self.b, zero, splat(1), d, NAME);
        }
        let bits = LLVMGetIntTypeWidth(elem);
        // INT_MIN of the element type (int64 or narrower): the low 64 bits of 1 << (bits-1).
        let min = LLVMConstInt(elem, 1u64 << (bits.min(64) - 1), 0);
        let mut mins = vec![min; self.w as usize];
        let mins = LLVMConstVector(mins.as_mut_ptr(), self.w);
        let is_min = LLVMBuildICmp(self.b, LLVMIntPredicate::LLVMIntEQ, a, mins, NAME);
        let neg1 = LLVMBuildICmp(
            self.b,
            LLVMIntPredicate::LLVMIntEQ,
            d,
            splat(u64::MAX),
            NAME,
        );
        let both = LLVMBuildAnd(self.b, is_min, neg1, NAME);
        let bad = LLVMBuildOr(self.b, zero, both, NAME);
        LLVMBuildSelect(self.b, bad, splat(1), d, NAME)
    }

    unsafe fn inst(&mut self, inst: LLVMValueRef, bb: LLVMBasicBlockRef) -> Result<(), String> {
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
