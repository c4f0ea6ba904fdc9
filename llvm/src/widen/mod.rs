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

mod inst;

use std::collections::HashMap;

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
}
