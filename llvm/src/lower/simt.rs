//! Stage 4b: the mapped function cut at its loop headers, for the lane-parallel kernel.
//!
//! A root function with loops is lowered twice more, by the same abstract interpretation
//! as the whole function:
//! - the *prologue* runs from the entry to the first loop header (or to a return before);
//! - a *step* per loop header runs one trip: from that header with a given state to the
//!   next edge into a loop header (its own back edge, an inner loop, the outer loop's
//!   back edge) or on to a return.
//!
//! Both return `{tag, bits, cont, state...}`. The state is `pc` (which loop header is
//! next) and that header's entry state (stack slots then locals, flattened as the header's
//! phis would be, in the fields `LoopPlan` gives it); `cont = 1` carries it to the next
//! trip; `cont = 0` is a finished element whose `tag`/`bits` are exactly what the whole function
//! returns (a failed check gives `TAG_DEOPT`, as there). Neither half contains a loop, so
//! the driver (`crate::simt`) can run several elements side by side, one trip at a time.

use inkwell::basic_block::BasicBlock;
use inkwell::types::{BasicMetadataTypeEnum, BasicTypeEnum, StructType};
use inkwell::values::{BasicValueEnum, FunctionValue, IntValue};
use inkwell::AddressSpace;
use std::rc::Rc;

use super::{FnCompiler, State, Tys, Unit, TAG_DEOPT};
use crate::error::{CompileError, Loc, Result};
use crate::types::Ty;

/// The loop headers a function is cut at: their entry types and where each header's
/// flattened state lives in the shared state fields.
#[derive(Debug)]
pub struct LoopPlan {
    pub headers: Vec<(usize, Tys)>,
    /// Per header: the state field (index after `pc`) of each of its flattened values.
    /// Headers share fields of the same LLVM type, in order, so a value every header
    /// carries in the same place (a local the inner loop does not change) stays in one
    /// field, and the state is as wide as the widest header's, not the sum.
    pub fields: Vec<Vec<usize>>,
}

pub type Loops = Rc<LoopPlan>;

/// What part of a function an instance compiles.
#[derive(Debug, Clone)]
pub enum Mode {
    Whole,
    /// Entry to the first loop header reached (or to a return before any).
    Prologue {
        loops: Loops,
    },
    /// One trip from loop header `entry` to the next loop header edge (or a return); the
    /// state arrives as `width` parameters (`pc`, which is `entry`, first).
    Step {
        loops: Loops,
        width: usize,
        entry: usize,
    },
}

impl Mode {
    pub fn is_cut(&self) -> bool {
        !matches!(self, Mode::Whole)
    }

    /// Which loop an edge into `blk` enters (such an edge ends this half with `cont = 1`).
    pub fn cuts_at(&self, blk: usize) -> Option<usize> {
        match self {
            Mode::Whole => None,
            Mode::Prologue { loops } | Mode::Step { loops, .. } => {
                loops.headers.iter().position(|(h, _)| *h == blk)
            }
        }
    }

    fn loops(&self) -> Option<&Loops> {
        match self {
            Mode::Whole => None,
            Mode::Prologue { loops } | Mode::Step { loops, .. } => Some(loops),
        }
    }
}

/// The root cut in two, ready for the lane-parallel driver.
pub struct Cut<'ctx> {
    pub prologue: FunctionValue<'ctx>,
    /// One step per loop header (entered with `pc` equal to its index).
    pub steps: Vec<FunctionValue<'ctx>>,
    /// The flattened loop state (the steps' value parameters).
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

    /// Lowers the prologue and the steps of the root (after the whole root has been
    /// lowered: its loops' types are known). Fails when the root has no loop or calls
    /// other Python functions; the caller then keeps the element-at-a-time kernel.
    pub fn cut_root(&mut self, arg: Ty) -> Result<Cut<'ctx>> {
        if self.root_loops.is_empty() {
            return Err(CompileError::Refused("the function has no loop".into()));
        }
        if self.declared.len() != 1 {
            return Err(CompileError::Refused(
                "the function calls other Python functions".into(),
            ));
        }
        let func = self.prog.funcs[0].clone();
        let mut state: Vec<BasicTypeEnum<'ctx>> = vec![self.ctx.i64_type().into()]; // pc
        let mut fields = Vec::new();
        for (_, tys) in &self.root_loops {
            let mut used = vec![false; state.len()];
            let mut at = Vec::new();
            for t in self.state_types(tys) {
                let free = (1..state.len()).find(|&j| !used[j] && state[j] == t);
                let j = free.unwrap_or_else(|| {
                    state.push(t);
                    used.push(false);
                    state.len() - 1
                });
                used[j] = true;
                at.push(j);
            }
            fields.push(at);
        }
        let loops: Loops = Rc::new(LoopPlan {
            headers: self.root_loops.clone(),
            fields,
        });
        let st = self.cut_struct(&state);
        let ptr = self.ctx.ptr_type(AddressSpace::default());
        let mut halves: Vec<FunctionValue<'ctx>> = Vec::new();
        let mut modes = vec![(
            "prologue".to_string(),
            Mode::Prologue {
                loops: loops.clone(),
            },
        )];
        for entry in 0..loops.headers.len() {
            let mode = Mode::Step {
                loops: loops.clone(),
                width: state.len(),
                entry,
            };
            modes.push((format!("step{entry}"), mode));
        }
        for (name, mode) in modes {
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
            halves.push(llfn);
            let incomplete = std::mem::replace(&mut self.incomplete, false);
            let r = FnCompiler::new(self, func.clone(), llfn, vec![arg.clone()], true, mode)
                .and_then(|c| c.run());
            let changed = std::mem::replace(&mut self.incomplete, incomplete);
            if r.is_err() || changed {
                for f in halves {
                    // SAFETY: the halves are not referenced by anything else yet.
                    unsafe { f.delete() };
                }
                r?;
                return Err(CompileError::ty(
                    "the loop's types changed when the function was cut",
                    Loc::default(),
                ));
            }
        }
        Ok(Cut {
            prologue: halves[0],
            steps: halves[1..].to_vec(),
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
    /// The step's entry: loop header `entry`'s state from its fields of the parameters,
    /// then the blocks reached from that header.
    pub(super) fn lower_step(&mut self, loops: &Loops, entry: usize) -> Result<()> {
        let llfn = self.llfn;
        let (header, tys) = &loops.headers[entry];
        let mut next = loops.fields[entry].iter();
        let mut param = |_: BasicTypeEnum<'ctx>| {
            let j = *next.next().expect("a state field per value");
            llfn.get_nth_param(j as u32).expect("a state parameter")
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
        self.edge(*header, &State { stack, locals })?;
        self.b
            .build_unconditional_branch(self.bbs[*header])
            .unwrap();
        self.lower_blocks()
    }

    /// The block a branch to `succ` goes to: `succ` itself (recording the edge), or, when
    /// `succ` is where this half ends, a new block returning `cont = 1` with `st`.
    pub(super) fn target(&mut self, succ: usize, st: &State<'ctx>) -> Result<BasicBlock<'ctx>> {
        let Some(lp) = self.mode.cuts_at(succ) else {
            self.edge(succ, st)?;
            return Ok(self.bbs[succ]);
        };
        let here = self.b.get_insert_block().unwrap();
        let bb = self.ctx().append_basic_block(self.llfn, "next_trip");
        self.b.position_at_end(bb);
        let err = self.err;
        self.return_continue(lp, st, err)?;
        self.b.position_at_end(here);
        Ok(bb)
    }

    /// Returns `cont = 1` entering loop `lp` with the header state `st` (or, if `err` is
    /// set, a finished element with `TAG_DEOPT`: selects, no branch).
    pub(super) fn return_continue(
        &mut self,
        lp: usize,
        st: &State<'ctx>,
        err: Option<IntValue<'ctx>>,
    ) -> Result<()> {
        let loops = self.mode.loops().expect("a cut function").clone();
        let state = &self.ret_ty.get_field_types()[3..];
        let mut vals: Vec<BasicValueEnum<'ctx>> = state.iter().map(|t| t.const_zero()).collect();
        vals[0] = self.i64c(lp as i64).into();
        let mut group = Vec::new();
        self.group_values(&loops.headers[lp].1, st, &mut group)?;
        for (v, j) in group.into_iter().zip(&loops.fields[lp]) {
            vals[*j] = v;
        }
        let ctx = self.ctx();
        let (i8t, i1t) = (ctx.i8_type(), ctx.bool_type());
        let (tag, cont) = match err {
            None => (i8t.const_zero(), i1t.const_int(1, false)),
            Some(e) => {
                let deopt = i8t.const_int(TAG_DEOPT.into(), false);
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

    /// The flattened values of `st` in the slots of header types `tys`.
    fn group_values(
        &self,
        tys: &Tys,
        st: &State<'ctx>,
        vals: &mut Vec<BasicValueEnum<'ctx>>,
    ) -> Result<()> {
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
        Ok(())
    }
}
