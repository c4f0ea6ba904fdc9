//! Stage 4b: the mapped function cut at its loop header, for the lane-parallel kernel.
//!
//! A root function with exactly one loop is lowered twice more, by the same abstract
//! interpretation as the whole function:
//! - the *prologue* runs from the entry to the loop header (or to a return before it);
//! - the *step* runs one trip: from the header with a given state back to the header (or
//!   out of the loop, on to a return).
//!
//! Both return `{tag, bits, cont, state...}`. `cont = 1` carries the header's entry state
//! (stack slots then locals, flattened as the header's phis would be) to the next trip;
//! `cont = 0` is a finished element whose `tag`/`bits` are exactly what the whole function
//! returns (a failed check gives `TAG_DEOPT`, as there). Neither half contains a loop, so
//! the driver (`crate::simt`) can run several elements side by side, one trip at a time.

use inkwell::basic_block::BasicBlock;
use inkwell::types::{BasicMetadataTypeEnum, BasicTypeEnum, StructType};
use inkwell::values::{BasicValueEnum, FunctionValue, IntValue};
use inkwell::AddressSpace;

use super::{FnCompiler, State, Tys, Unit, TAG_DEOPT};
use crate::error::{CompileError, Loc, Result};
use crate::types::Ty;

/// What part of a function an instance compiles.
#[derive(Debug, Clone)]
pub enum Mode {
    Whole,
    /// Entry to the loop header `header`.
    Prologue {
        header: usize,
        tys: Tys,
    },
    /// One trip from `header`, whose entry state arrives as `width` parameters.
    Step {
        header: usize,
        tys: Tys,
        width: usize,
    },
}

impl Mode {
    pub fn is_cut(&self) -> bool {
        !matches!(self, Mode::Whole)
    }

    /// Whether an edge into `blk` ends this half (with `cont = 1`).
    pub fn cuts_at(&self, blk: usize) -> bool {
        match self {
            Mode::Whole => false,
            Mode::Prologue { header, .. } | Mode::Step { header, .. } => *header == blk,
        }
    }

    fn tys(&self) -> Option<&Tys> {
        match self {
            Mode::Whole => None,
            Mode::Prologue { tys, .. } | Mode::Step { tys, .. } => Some(tys),
        }
    }
}

/// The root cut in two, ready for the lane-parallel driver.
pub struct Cut<'ctx> {
    pub prologue: FunctionValue<'ctx>,
    pub step: FunctionValue<'ctx>,
    /// The flattened loop state (the step's value parameters).
    pub state: Vec<BasicTypeEnum<'ctx>>,
}

impl<'a, 'ctx> Unit<'a, 'ctx> {
    /// The LLVM values of the loop-header state, in `coerce` order.
    fn state_types(&self, tys: &Tys) -> Vec<BasicTypeEnum<'ctx>> {
        let mut out = Vec::new();
        for t in tys.0.iter().chain(&tys.1) {
            flat_types(self, t, &mut out);
        }
        out
    }

    /// `{i8 tag, i64 bits, i1 cont, state...}`.
    fn cut_struct(&self, state: &[BasicTypeEnum<'ctx>]) -> StructType<'ctx> {
        let mut fields: Vec<BasicTypeEnum<'ctx>> = vec![
            self.ctx.i8_type().into(),
            self.ctx.i64_type().into(),
            self.ctx.bool_type().into(),
        ];
        fields.extend_from_slice(state);
        self.ctx.struct_type(&fields, false)
    }

    /// Lowers the prologue and the step of the root (after the whole root has been
    /// lowered: its loop's types are known). Fails when the root has no single loop or
    /// calls other Python functions; the caller then keeps the element-at-a-time kernel.
    pub fn cut_root(&mut self, arg: Ty) -> Result<Cut<'ctx>> {
        let Some((header, tys)) = self.root_loop.clone() else {
            return Err(CompileError::Refused(
                "the function has no single loop".into(),
            ));
        };
        if self.declared.len() != 1 {
            return Err(CompileError::Refused(
                "the function calls other Python functions".into(),
            ));
        }
        let func = self.prog.funcs[0].clone();
        let state = self.state_types(&tys);
        let st = self.cut_struct(&state);
        let ptr = self.ctx.ptr_type(AddressSpace::default());
        let mut halves = Vec::new();
        for (name, mode) in [
            (
                "prologue",
                Mode::Prologue {
                    header,
                    tys: tys.clone(),
                },
            ),
            (
                "step",
                Mode::Step {
                    header,
                    tys: tys.clone(),
                    width: state.len(),
                },
            ),
        ] {
            let mut params: Vec<BasicMetadataTypeEnum<'ctx>> = match mode {
                Mode::Step { .. } => state.iter().map(|t| (*t).into()).collect(),
                _ => vec![self.llvm_type(&arg).expect("a number lane").into()],
            };
            params.push(ptr.into()); // the captures
            params.push(ptr.into()); // the abort flag
            let llfn = self.module.add_function(
                &format!("{}_{name}", self.prefix),
                st.fn_type(&params, false),
                Some(inkwell::module::Linkage::Internal),
            );
            let incomplete = std::mem::replace(&mut self.incomplete, false);
            FnCompiler::new(self, func.clone(), llfn, vec![arg.clone()], true, mode)?.run()?;
            if std::mem::replace(&mut self.incomplete, incomplete) {
                return Err(CompileError::ty(
                    "the loop's types changed when the function was cut",
                    Loc::default(),
                ));
            }
            halves.push(llfn);
        }
        Ok(Cut {
            prologue: halves[0],
            step: halves[1],
            state,
        })
    }
}

fn flat_types<'ctx>(unit: &Unit<'_, 'ctx>, t: &Ty, out: &mut Vec<BasicTypeEnum<'ctx>>) {
    let i64t: BasicTypeEnum<'ctx> = unit.ctx.i64_type().into();
    match t {
        Ty::Int | Ty::Float | Ty::Bool => out.push(unit.llvm_type(t).unwrap()),
        Ty::Range { .. } => out.extend([i64t, i64t, i64t]),
        Ty::OrNone(inner) | Ty::OrUnbound(inner) => {
            out.push(unit.ctx.bool_type().into());
            flat_types(unit, inner, out);
        }
        _ => {}
    }
}

impl<'u, 'a, 'ctx> FnCompiler<'u, 'a, 'ctx> {
    /// The step's entry: the header's state from the parameters, then the blocks reached
    /// from the header.
    pub(super) fn lower_step(&mut self, header: usize, tys: &Tys) -> Result<()> {
        let mut k = 0u32;
        let llfn = self.llfn;
        let mut param = |_: BasicTypeEnum<'ctx>| {
            let p = llfn.get_nth_param(k).expect("a state parameter");
            k += 1;
            p
        };
        let stack: Vec<_> = tys
            .0
            .iter()
            .map(|t| self.slot_value(t, &mut param))
            .collect();
        let locals: Vec<_> = tys
            .1
            .iter()
            .map(|t| self.slot_value(t, &mut param))
            .collect();
        let st = State { stack, locals };
        self.edge(header, &st)?;
        self.b.build_unconditional_branch(self.bbs[header]).unwrap();
        self.lower_blocks()
    }

    /// The block a branch to `succ` goes to: `succ` itself (recording the edge), or, when
    /// `succ` is where this half ends, a new block returning `cont = 1` with `st`.
    pub(super) fn target(&mut self, succ: usize, st: &State<'ctx>) -> Result<BasicBlock<'ctx>> {
        if !self.mode.cuts_at(succ) {
            self.edge(succ, st)?;
            return Ok(self.bbs[succ]);
        }
        let here = self.b.get_insert_block().unwrap();
        let bb = self.ctx().append_basic_block(self.llfn, "next_trip");
        self.b.position_at_end(bb);
        let err = self.err;
        self.return_continue(st, err)?;
        self.b.position_at_end(here);
        Ok(bb)
    }

    /// Returns `cont = 1` with the header state `st` (or, if `err` is set, a finished
    /// element with `TAG_DEOPT`: selects, no branch).
    pub(super) fn return_continue(
        &mut self,
        st: &State<'ctx>,
        err: Option<IntValue<'ctx>>,
    ) -> Result<()> {
        let tys = self.mode.tys().expect("a cut function").clone();
        let mut vals: Vec<BasicValueEnum<'ctx>> = Vec::new();
        for (slot, v) in tys
            .0
            .iter()
            .chain(&tys.1)
            .zip(st.stack.iter().chain(&st.locals))
        {
            let mut flat = Vec::new();
            flat_types(self.unit, slot, &mut flat);
            if flat.is_empty() {
                if v.ty() != *slot {
                    return Err(self.ty_err(format!(
                        "the loop's state changes from {slot} to {}",
                        v.ty()
                    )));
                }
                continue;
            }
            match self.coerce(v, slot) {
                Some(xs) if xs.len() == flat.len() => vals.extend(xs),
                _ => {
                    return Err(self.ty_err(format!(
                        "the loop's state changes from {slot} to {}",
                        v.ty()
                    )))
                }
            }
        }
        let ctx = self.ctx();
        let (i8t, i1t) = (ctx.i8_type(), ctx.bool_type());
        let (tag, cont) = match err {
            None => (i8t.const_zero(), i1t.const_int(1, false)),
            Some(e) => {
                let deopt = i8t.const_int(TAG_DEOPT, false);
                let tag = self
                    .b
                    .build_select(e, deopt, i8t.const_zero(), "tag")
                    .unwrap();
                (tag.into_int_value(), self.b.build_not(e, "cont").unwrap())
            }
        };
        let mut agg = self.ret_ty.const_zero();
        let fields: [BasicValueEnum<'ctx>; 3] = [tag.into(), self.i64c(0).into(), cont.into()];
        for (i, v) in fields.into_iter().chain(vals).enumerate() {
            agg = self
                .b
                .build_insert_value(agg, v, i as u32, "")
                .unwrap()
                .into_struct_value();
        }
        self.b.build_return(Some(&agg)).unwrap();
        Ok(())
    }
}
