//! Stage 4: typed abstract interpretation of one function instance, emitting LLVM IR.
//!
//! A function *instance* is a Python function compiled for one tuple of argument types.
//! Blocks are visited in reverse post-order; each block's entry state (stack slots and
//! locals) gets phis for its run-time values, typed by the join of the forward edges.
//! Back edges must bring the same types. Checks that CPython would turn into an exception
//! (division by zero, int64 overflow, math domain errors, anything not provably exact)
//! are OR-ed into a per-block error flag and tested once before the block's terminator:
//! a set flag returns `TAG_DEOPT`, and the driver re-evaluates that element in CPython.
//! Straight-line bodies therefore stay branch-free and vectorize.

mod calls;
mod num;
mod simt;
mod stack;

pub use calls::MAX_CALL_DEPTH;
pub use simt::{Cut, Mode};

use std::collections::HashMap;
use std::fmt::Write;
use std::rc::Rc;

/// Loop edges between two tests of the sticky error flag and the abort byte.
const POLL_EVERY: u64 = 1024;
/// A counted loop of at most this many iterations is not polled on its back edge.
const SHORT_LOOP: u64 = 1 << 16;

use inkwell::basic_block::BasicBlock;
use inkwell::builder::Builder;
use inkwell::context::Context;
use inkwell::module::Module;
use inkwell::types::{BasicMetadataTypeEnum, BasicTypeEnum, StructType};
use inkwell::values::{BasicValueEnum, FunctionValue, IntValue, PhiValue, PointerValue};
use inkwell::IntPredicate;

use crate::cfg::{self, Cfg};
use crate::error::{CompileError, Loc, Result};
use crate::parse::{CaptureTy, Function, Op, Program};
use crate::types::{join, show, Ty};

pub use crate::abi::{TAG_BOOL, TAG_DEOPT, TAG_FLOAT, TAG_INT, TAG_NONE};

/// An abstract value during lowering.
#[derive(Debug, Clone)]
pub enum V<'ctx> {
    Int(IntValue<'ctx>),
    Float(inkwell::values::FloatValue<'ctx>),
    Bool(IntValue<'ctx>),
    Range {
        iter: bool,
        cur: IntValue<'ctx>,
        stop: IntValue<'ctx>,
        step: IntValue<'ctx>,
    },
    Static(Ty),
    /// A number or None (`unbound == false`), or a number or unbound local: `flag` is true
    /// for None / unbound.
    Opt {
        unbound: bool,
        flag: IntValue<'ctx>,
        val: Box<V<'ctx>>,
    },
}

impl<'ctx> V<'ctx> {
    pub fn ty(&self) -> Ty {
        match self {
            V::Opt {
                unbound: true, val, ..
            } => Ty::OrUnbound(Box::new(val.ty())),
            V::Opt {
                unbound: false,
                val,
                ..
            } => Ty::OrNone(Box::new(val.ty())),
            V::Int(_) => Ty::Int,
            V::Float(_) => Ty::Float,
            V::Bool(_) => Ty::Bool,
            V::Range { iter, .. } => Ty::Range { iter: *iter },
            V::Static(t) => t.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct State<'ctx> {
    pub stack: Vec<V<'ctx>>,
    pub locals: Vec<V<'ctx>>,
}

impl<'ctx> State<'ctx> {
    fn tys(&self) -> (Vec<Ty>, Vec<Ty>) {
        (
            self.stack.iter().map(V::ty).collect(),
            self.locals.iter().map(V::ty).collect(),
        )
    }
}

/// Entry types of a block: stack slots, then locals.
pub type Tys = (Vec<Ty>, Vec<Ty>);
/// The phis of one entry-state slot and the slot's type.
type PhiSlot<'ctx> = (Ty, Vec<PhiValue<'ctx>>);
/// `(function id, argument types, is the kernel root)`: the root also takes the captures.
pub type InstKey = (u32, String, bool);

/// What persists across rounds: the inferred return type of every instance.
#[derive(Default)]
pub struct Instances {
    pub ret: HashMap<InstKey, Ty>,
}

/// One compilation round: a fresh LLVM module holding every instance reached from `f0`.
pub struct Unit<'a, 'ctx> {
    pub ctx: &'ctx Context,
    pub module: Module<'ctx>,
    pub prog: &'a Program,
    pub inst: &'a mut Instances,
    pub prefix: String,
    declared: HashMap<InstKey, FunctionValue<'ctx>>,
    /// A return type changed or a Bottom value was used: the round must be redone.
    pub incomplete: bool,
    /// Whether the root instance has a deopt exit (if not, no element ever needs CPython).
    pub root_can_deopt: bool,
    /// Some instance loops or calls a Python function: an element may run for a long time.
    pub unbounded: bool,
    pub typed: String,
    /// The root instance's loop headers and their entry types, in block order: the
    /// lane-parallel kernel cuts the root there (lower/simt.rs).
    pub root_loops: Vec<(usize, Tys)>,
}

impl<'a, 'ctx> Unit<'a, 'ctx> {
    pub fn new(
        ctx: &'ctx Context,
        prog: &'a Program,
        inst: &'a mut Instances,
        prefix: &str,
    ) -> Self {
        Unit {
            ctx,
            module: ctx.create_module(prefix),
            prog,
            inst,
            prefix: prefix.to_string(),
            declared: HashMap::new(),
            incomplete: false,
            root_can_deopt: true,
            unbounded: false,
            typed: String::new(),
            root_loops: Vec::new(),
        }
    }

    pub fn ret_struct(&self) -> StructType<'ctx> {
        self.ctx.struct_type(
            &[self.ctx.i8_type().into(), self.ctx.i64_type().into()],
            false,
        )
    }

    pub fn llvm_type(&self, t: &Ty) -> Option<BasicTypeEnum<'ctx>> {
        match t {
            Ty::Int => Some(self.ctx.i64_type().into()),
            Ty::Float => Some(self.ctx.f64_type().into()),
            Ty::Bool => Some(self.ctx.bool_type().into()),
            _ => None,
        }
    }

    /// The LLVM function of instance `(id, args)`, compiling it on first use this round,
    /// and its current return type (Bottom while a recursive instance is in progress).
    pub fn instance(
        &mut self,
        id: u32,
        args: Vec<Ty>,
        root: bool,
        loc: Loc,
    ) -> Result<(FunctionValue<'ctx>, Ty)> {
        let key: InstKey = (id, show(&args), root);
        if let Some(f) = self.declared.get(&key) {
            let ret = self.inst.ret.get(&key).cloned().unwrap_or(Ty::Bottom);
            return Ok((*f, ret));
        }
        let func = self
            .prog
            .funcs
            .get(id as usize)
            .cloned()
            .ok_or_else(|| CompileError::ty(format!("unknown function id {id}"), loc))?;
        if let Some(reason) = &func.refusal {
            return Err(if id == 0 {
                CompileError::Refused(reason.clone())
            } else {
                CompileError::ty(
                    format!("cannot compile the called function {}: {reason}", func.name),
                    loc,
                )
            });
        }
        if args.len() != func.argc as usize {
            return Err(CompileError::ty(
                format!(
                    "{} takes {} arguments, called with {}",
                    func.name,
                    func.argc,
                    args.len()
                ),
                loc,
            ));
        }
        let mut params: Vec<BasicMetadataTypeEnum<'ctx>> = Vec::new();
        for a in &args {
            let t = self.llvm_type(a).ok_or_else(|| {
                CompileError::ty(format!("cannot pass a {a} to {}", func.name), loc)
            })?;
            params.push(t.into());
        }
        let ptr = self.ctx.ptr_type(inkwell::AddressSpace::default());
        if root {
            params.push(ptr.into()); // the captures
        } else {
            params.push(self.ctx.i32_type().into()); // the call depth (see `calls.rs`)
        }
        params.push(ptr.into()); // the abort flag (Ctrl-C), tested on every loop edge
        let fn_ty = self.ret_struct().fn_type(&params, false);
        let name = format!("{}_f{}_{}", self.prefix, id, self.declared.len());
        let llfn = self
            .module
            .add_function(&name, fn_ty, Some(inkwell::module::Linkage::Internal));
        self.declared.insert(key.clone(), llfn);
        self.inst.ret.entry(key.clone()).or_insert(Ty::Bottom);
        let ret = FnCompiler::new(self, func, llfn, args, root, Mode::Whole)?.run()?;
        if self.inst.ret.get(&key) != Some(&ret) {
            self.inst.ret.insert(key.clone(), ret.clone());
            self.incomplete = true;
        }
        Ok((llfn, ret))
    }
}

/// Compiles one instance.
pub struct FnCompiler<'u, 'a, 'ctx> {
    pub unit: &'u mut Unit<'a, 'ctx>,
    pub f: Rc<Function>,
    pub cfg: Cfg,
    pub llfn: FunctionValue<'ctx>,
    pub b: Builder<'ctx>,
    args: Vec<Ty>,
    /// The mapped function itself (takes the captures pointer; may return mixed types).
    root: bool,
    bbs: Vec<BasicBlock<'ctx>>,
    observed: Vec<Option<Tys>>,
    incoming: Vec<Vec<(BasicBlock<'ctx>, State<'ctx>)>>,
    /// Pending error flags carried into a (non-loop-header) block, per incoming edge.
    err_in: Vec<Vec<(BasicBlock<'ctx>, Option<IntValue<'ctx>>)>>,
    phis: Vec<Option<Vec<PhiSlot<'ctx>>>>,
    /// Loop-header entry types widened by a back edge (the function is lowered again).
    widen: Vec<Option<Tys>>,
    redo: bool,
    assumed: Vec<Option<Tys>>,
    err: Option<IntValue<'ctx>>,
    err_bb: Option<BasicBlock<'ctx>>,
    /// A return selected the deopt tag (see `do_return`).
    select_deopt: bool,
    /// In a function with loops: the poll countdown and the sticky error flag (allocas
    /// that mem2reg turns into loop-carried values; see `leave`).
    poll: Option<(PointerValue<'ctx>, PointerValue<'ctx>)>,
    /// Floor remainders (`x % d`, run-time `d`) and their truncating remainders.
    rem_of: HashMap<IntValue<'ctx>, IntValue<'ctx>>,
    /// Ranges of int values, valid when the element has not failed (a checked operation
    /// bounds its result): later operations that cannot overflow skip their test.
    range_of: HashMap<IntValue<'ctx>, (i64, i64)>,
    /// Counters: an int derived from a loop header's int slot by adding constants, with
    /// the largest total |constant| along any path (see `assume_counters`).
    shift_of: HashMap<IntValue<'ctx>, (IntValue<'ctx>, i64)>,
    /// Header int slots assumed to be counters in this pass: phi -> (block, slot).
    counters: HashMap<IntValue<'ctx>, (usize, usize)>,
    /// A back edge broke a counter assumption: lower again without any (persists).
    no_counters: bool,
    ret: Ty,
    /// Index of the instruction being lowered (for error locations).
    pub at: usize,
    /// This instance's typed-IR text (appended to the unit's when it is done).
    typed: String,
    /// The whole function, or one of its two halves around the loop header (lower/simt.rs).
    mode: Mode,
    /// The function's return struct (`{tag, bits}`, or the SIMT form).
    ret_ty: StructType<'ctx>,
    /// Index of the captures parameter (after the value parameters).
    caps_param: u32,
}

impl<'u, 'a, 'ctx> FnCompiler<'u, 'a, 'ctx> {
    fn new(
        unit: &'u mut Unit<'a, 'ctx>,
        f: Rc<Function>,
        llfn: FunctionValue<'ctx>,
        args: Vec<Ty>,
        root: bool,
        mode: Mode,
    ) -> Result<Self> {
        let cfg = cfg::build(&f)?;
        let n = cfg.blocks.len();
        let b = unit.ctx.create_builder();
        let ret_ty = llfn
            .get_type()
            .get_return_type()
            .expect("instances return a struct")
            .into_struct_type();
        let caps_param = match &mode {
            Mode::Step { width, .. } => *width as u32,
            _ => args.len() as u32,
        };
        Ok(FnCompiler {
            unit,
            f,
            cfg,
            llfn,
            b,
            args,
            root,
            bbs: Vec::new(),
            observed: vec![None; n],
            incoming: vec![Vec::new(); n],
            err_in: vec![Vec::new(); n],
            phis: vec![None; n],
            widen: vec![None; n],
            redo: false,
            assumed: vec![None; n],
            err: None,
            err_bb: None,
            select_deopt: false,
            poll: None,
            rem_of: HashMap::new(),
            range_of: HashMap::new(),
            shift_of: HashMap::new(),
            counters: HashMap::new(),
            // Counters are verified on back edges, which the halves do not have.
            no_counters: mode.is_cut(),
            ret: Ty::Bottom,
            at: 0,
            typed: String::new(),
            mode,
            ret_ty,
            caps_param,
        })
    }

    pub fn ctx(&self) -> &'ctx Context {
        self.unit.ctx
    }

    pub fn loc(&self) -> Loc {
        self.f.loc(self.at)
    }

    pub fn ty_err(&self, msg: impl Into<String>) -> CompileError {
        CompileError::ty(msg, self.loc())
    }

    pub fn unsupported(&self, detail: impl Into<String>) -> CompileError {
        CompileError::unsupported(self.f.instrs[self.at].op.name(), detail, self.loc())
    }

    fn local_name(&self, i: usize) -> String {
        self.f
            .locals
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("local{i}"))
    }

    fn run(mut self) -> Result<Ty> {
        for _ in 0..6 {
            self.typed.clear();
            self.lower_all()?;
            if !self.redo {
                if self.mode.is_cut() {
                    return Ok(self.ret.clone());
                }
                if self.root {
                    self.unit.root_can_deopt = self.err_bb.is_some() || self.select_deopt;
                    self.unit.root_loops = (0..self.cfg.blocks.len())
                        .filter(|&b| self.cfg.is_header[b])
                        .filter_map(|b| self.assumed[b].clone().map(|t| (b, t)))
                        .collect();
                }
                self.unit.typed.push_str(&self.typed);
                return Ok(self.ret.clone());
            }
            if self.mode.is_cut() {
                return Err(self.ty_err("the loop's types changed when the function was cut"));
            }
            // A back edge widened a loop header's types: lower the function again.
            clear_body(self.llfn);
            let n = self.cfg.blocks.len();
            self.observed = vec![None; n];
            self.incoming = vec![Vec::new(); n];
            self.err_in = vec![Vec::new(); n];
            self.phis = vec![None; n];
            self.assumed = vec![None; n];
            self.err = None;
            self.err_bb = None;
            self.select_deopt = false;
            self.ret = Ty::Bottom;
            self.redo = false;
        }
        Err(self.ty_err("the types of a loop do not settle"))
    }

    fn lower_all(&mut self) -> Result<()> {
        let ctx = self.ctx();
        let entry = ctx.append_basic_block(self.llfn, "entry");
        self.bbs = (0..self.cfg.blocks.len())
            .map(|i| ctx.append_basic_block(self.llfn, &format!("bb{i}")))
            .collect();
        self.b.position_at_end(entry);
        self.poll = None;
        // Values of an earlier pass were deleted: their addresses may be reused.
        self.rem_of.clear();
        self.range_of.clear();
        self.shift_of.clear();
        self.counters.clear();
        if self.cfg.is_header.iter().any(|&h| h) && !self.mode.is_cut() {
            let i32t = ctx.i32_type();
            let cnt = self.b.build_alloca(i32t, "poll").unwrap();
            let sticky = self.b.build_alloca(ctx.bool_type(), "sticky").unwrap();
            self.b
                .build_store(cnt, i32t.const_int(POLL_EVERY, false))
                .unwrap();
            self.b
                .build_store(sticky, ctx.bool_type().const_zero())
                .unwrap();
            self.poll = Some((cnt, sticky));
        }
        if let Mode::Step { loops, entry, .. } = self.mode.clone() {
            return self.lower_step(&loops, entry);
        }
        // Entry state: arguments, then unbound locals.
        let mut locals = Vec::new();
        for (i, t) in self.args.clone().iter().enumerate() {
            let p = self.llfn.get_nth_param(i as u32).unwrap();
            locals.push(match t {
                Ty::Int => V::Int(p.into_int_value()),
                Ty::Float => V::Float(p.into_float_value()),
                Ty::Bool => V::Bool(p.into_int_value()),
                other => V::Static(other.clone()),
            });
        }
        let nlocals = (self.f.nlocals as usize)
            .max(self.f.locals.len())
            .max(locals.len());
        locals.resize(nlocals, V::Static(Ty::Undef));
        let st = State {
            stack: Vec::new(),
            locals,
        };
        let _ = writeln!(
            self.typed,
            "fn {} f{}({}) {{",
            self.f.name,
            self.f.id,
            self.args
                .iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        if !self.root {
            // Too deep: the element goes to CPython, which raises RecursionError or
            // computes it (a bound on the native stack any thread running kernels has).
            let depth = self.call_depth();
            let max = ctx
                .i32_type()
                .const_int(calls::MAX_CALL_DEPTH.into(), false);
            self.check(self.icmp(IntPredicate::UGT, depth, max));
            self.flush_err();
        }
        if let Some(lp) = self.mode.cuts_at(0) {
            self.return_continue(lp, &st, None)?;
        } else {
            self.edge(0, &st)?;
            self.b.build_unconditional_branch(self.bbs[0]).unwrap();
        }
        self.lower_blocks()
    }

    /// Lowers the blocks in reverse post-order (after the entry edge is recorded).
    fn lower_blocks(&mut self) -> Result<()> {
        for k in 0..self.cfg.rpo.len() {
            let blk = self.cfg.rpo[k];
            // A half of a cut function reaches only some blocks.
            if self.mode.is_cut() && self.observed[blk].is_none() {
                continue;
            }
            match self.block(blk) {
                Ok(()) => {}
                // A loop header widened earlier in this pass: types seen after it are
                // provisional, so an error here is judged again on the next pass.
                Err(_) if self.redo => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        // Unreachable blocks (dead code after returns) get an `unreachable` terminator.
        for (i, bb) in self.bbs.clone().into_iter().enumerate() {
            if self.assumed[i].is_none() {
                self.b.position_at_end(bb);
                self.b.build_unreachable().unwrap();
            }
        }
        let _ = writeln!(self.typed, "}} -> {}", self.ret);
        Ok(())
    }

    /// Lowers one block.
    fn block(&mut self, blk: usize) -> Result<()> {
        let bb = self.bbs[blk];
        self.b.position_at_end(bb);
        self.at = self.cfg.blocks[blk].start;
        let mut tys = self.observed[blk]
            .clone()
            .expect("forward predecessor seen first");
        if let Some(w) = self.widen[blk].clone() {
            tys = self.join_tys(&tys, &w)?;
        }
        let mut st = self.make_phis(blk, &tys)?;
        self.assumed[blk] = Some(tys.clone());
        let (start, end) = (self.cfg.blocks[blk].start, self.cfg.blocks[blk].end);
        let _ = writeln!(
            self.typed,
            "  bb{blk} @{}: stack={} locals={}",
            self.f.instrs[start].offset,
            show(&tys.0),
            self.show_locals(&tys.1)
        );
        for i in start..end {
            self.at = i;
            let ins = self.f.instrs[i].clone();
            let last = i + 1 == end;
            let flow = self.step(&ins.op, &mut st)?;
            let _ = writeln!(
                self.typed,
                "    @{} L{} {} -> {}",
                ins.offset,
                ins.line,
                op_text(&ins.op),
                show(&st.stack.iter().map(V::ty).collect::<Vec<_>>())
            );
            match flow {
                Flow::Next if last => {
                    let succ = self.cfg.blocks[blk].succs[0];
                    if let Some(lp) = self.mode.cuts_at(succ) {
                        let err = self.err.take();
                        return self.return_continue(lp, &st, err);
                    }
                    self.leave(&[succ]);
                    self.edge(succ, &st)?;
                    self.b.build_unconditional_branch(self.bbs[succ]).unwrap();
                }
                Flow::Next => {}
                Flow::Done => return Ok(()),
                Flow::Branch {
                    cond,
                    taken,
                    not_taken,
                } => {
                    let succs = self.cfg.blocks[blk].succs.clone();
                    self.leave(&succs);
                    let not_taken_bb = self.target(succs[0], &not_taken)?;
                    let taken_bb = self.target(succs[1], &taken)?;
                    match cond {
                        Cond::Dyn(c) => {
                            let c = freeze(&self.b, c.into()).into_int_value();
                            let br = self
                                .b
                                .build_conditional_branch(c, taken_bb, not_taken_bb)
                                .unwrap();
                            // A data-dependent `if` inside a loop body (not a loop test):
                            // let LLVM turn it into selects when the arms are cheap.
                            let loop_edge = succs.iter().any(|&s| self.cfg.is_header[s]);
                            if !loop_edge && !matches!(self.f.instrs[self.at].op, Op::ForIter(_)) {
                                let ctx = self.ctx();
                                let kind = ctx.get_kind_id("unpredictable");
                                br.set_metadata(ctx.metadata_node(&[]), kind).unwrap();
                            }
                        }
                        Cond::Static(true) => {
                            self.b.build_unconditional_branch(taken_bb).unwrap();
                        }
                        Cond::Static(false) => {
                            self.b.build_unconditional_branch(not_taken_bb).unwrap();
                        }
                    }
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    fn show_locals(&self, tys: &[Ty]) -> String {
        let parts: Vec<String> = tys
            .iter()
            .enumerate()
            .filter(|(_, t)| **t != Ty::Undef)
            .map(|(i, t)| format!("{}:{t}", self.local_name(i)))
            .collect();
        format!("{{{}}}", parts.join(", "))
    }

    /// Phis for the run-time slots of `blk`'s entry state, filled from recorded edges.
    /// Loop counters. An int slot of a loop header that enters as a small constant and
    /// comes back along every back edge as itself plus at most 16 (in absolute value) per
    /// iteration cannot leave `start ± 2**61` in under 2**57 iterations (decades of run
    /// time), so adding a small constant to it needs no overflow test (the `steps += 1`
    /// of a loop). The assumption is made here, when the header is lowered, and checked on
    /// every back edge (`check_counters`); one that does not hold lowers the function
    /// again without any. Join blocks inside the loop carry the derived offsets on.
    fn assume_counters(
        &mut self,
        blk: usize,
        slots: &[(Ty, Vec<PhiValue<'ctx>>)],
        incoming: &[(BasicBlock<'ctx>, State<'ctx>)],
    ) {
        const START: i64 = 1 << 32;
        const SPAN: i64 = 1 << 61;
        if self.no_counters || incoming.is_empty() {
            return;
        }
        for (k, (ty, phis)) in slots.iter().enumerate() {
            if *ty != Ty::Int || phis.len() != 1 {
                continue;
            }
            let phi = phis[0].as_basic_value().into_int_value();
            let ins: Vec<Option<IntValue<'ctx>>> = incoming
                .iter()
                .map(
                    |(_, st)| match st.stack.iter().chain(st.locals.iter()).nth(k) {
                        Some(V::Int(x)) => Some(*x),
                        _ => None,
                    },
                )
                .collect();
            if self.cfg.is_header[blk] {
                let consts: Option<Vec<i64>> = ins
                    .iter()
                    .map(|x| x.and_then(|x| x.get_sign_extended_constant()))
                    .collect();
                if let Some(cs) = consts.filter(|cs| cs.iter().all(|c| c.abs() <= START)) {
                    let (lo, hi) = (cs.iter().min().unwrap(), cs.iter().max().unwrap());
                    self.range_of.insert(phi, (lo - SPAN, hi + SPAN));
                    self.shift_of.insert(phi, (phi, 0));
                    self.counters.insert(phi, (blk, k));
                }
            } else {
                // A join: every incoming value derives from the same counter.
                type Derived<'c> = (IntValue<'c>, i64, (i64, i64));
                let derived: Option<Vec<Derived<'ctx>>> = ins
                    .iter()
                    .map(|x| {
                        let x = (*x)?;
                        let (c, d) = *self.shift_of.get(&x)?;
                        Some((c, d, *self.range_of.get(&x)?))
                    })
                    .collect();
                if let Some(ds) = derived {
                    if ds.iter().all(|(c, _, _)| *c == ds[0].0) {
                        let d = ds.iter().map(|(_, d, _)| *d).max().unwrap();
                        let lo = ds.iter().map(|(_, _, r)| r.0).min().unwrap();
                        let hi = ds.iter().map(|(_, _, r)| r.1).max().unwrap();
                        self.shift_of.insert(phi, (ds[0].0, d));
                        self.range_of.insert(phi, (lo, hi));
                    }
                }
            }
        }
    }

    /// A back edge into a header: every assumed counter must come back as itself or
    /// derived from itself by at most 16; otherwise the function is lowered again.
    fn check_counters(&mut self, slots: &[(Ty, Vec<PhiValue<'ctx>>)], st: &State<'ctx>) {
        for ((_, phis), v) in slots.iter().zip(st.stack.iter().chain(st.locals.iter())) {
            let Some(phi) = phis.first().map(|p| p.as_basic_value()) else {
                continue;
            };
            if !phi.is_int_value() {
                continue;
            }
            let phi = phi.into_int_value();
            if !self.counters.contains_key(&phi) {
                continue;
            }
            let ok = match v {
                V::Int(x) if *x == phi => true,
                V::Int(x) => matches!(self.shift_of.get(x), Some((c, d)) if *c == phi && *d <= 16),
                _ => false,
            };
            if !ok {
                self.no_counters = true;
                self.redo = true;
            }
        }
    }

    fn make_phis(&mut self, blk: usize, tys: &Tys) -> Result<State<'ctx>> {
        let mut slots: Vec<(Ty, Vec<PhiValue<'ctx>>)> = Vec::new();
        let mut vals = Vec::new();
        for t in tys.0.iter().chain(tys.1.iter()) {
            let mut phis = Vec::new();
            vals.push(self.phi_for(t, &mut phis));
            slots.push((t.clone(), phis));
        }
        let incoming = std::mem::take(&mut self.incoming[blk]);
        for (from, st) in &incoming {
            self.add_incoming(&slots, *from, st);
        }
        self.assume_counters(blk, &slots, &incoming);
        // A pending error flag carried in from a predecessor (tested at the next loop
        // edge or return, so branches stay convertible to selects).
        let errs = std::mem::take(&mut self.err_in[blk]);
        self.err = None;
        if errs.iter().any(|(_, e)| e.is_some()) {
            let i1 = self.ctx().bool_type();
            let phi = self.b.build_phi(i1, "err").unwrap();
            for (from, e) in errs {
                phi.add_incoming(&[(&e.unwrap_or(i1.const_zero()), from)]);
            }
            self.err = Some(phi.as_basic_value().into_int_value());
        }
        self.phis[blk] = Some(slots);
        let locals = vals.split_off(tys.0.len());
        Ok(State {
            stack: vals,
            locals,
        })
    }

    fn phi_for(&self, t: &Ty, phis: &mut Vec<PhiValue<'ctx>>) -> V<'ctx> {
        let mut phi = |ty: BasicTypeEnum<'ctx>| {
            let p = self.b.build_phi(ty, "").unwrap();
            phis.push(p);
            p.as_basic_value()
        };
        self.slot_value(t, &mut phi)
    }

    /// The abstract value of a run-time slot of type `t`, whose LLVM values come from
    /// `next` (one call per LLVM value, in the order `coerce` lists them).
    pub fn slot_value(
        &self,
        t: &Ty,
        phi: &mut dyn FnMut(BasicTypeEnum<'ctx>) -> BasicValueEnum<'ctx>,
    ) -> V<'ctx> {
        let ctx = self.ctx();
        match t {
            Ty::Int => V::Int(phi(ctx.i64_type().into()).into_int_value()),
            Ty::Float => V::Float(phi(ctx.f64_type().into()).into_float_value()),
            Ty::Bool => V::Bool(phi(ctx.bool_type().into()).into_int_value()),
            Ty::Range { iter } => {
                let cur = phi(ctx.i64_type().into()).into_int_value();
                let stop = phi(ctx.i64_type().into()).into_int_value();
                let step = phi(ctx.i64_type().into()).into_int_value();
                V::Range {
                    iter: *iter,
                    cur,
                    stop,
                    step,
                }
            }
            Ty::OrNone(inner) | Ty::OrUnbound(inner) => {
                let flag = phi(ctx.bool_type().into()).into_int_value();
                let val = self.slot_value(inner, phi);
                V::Opt {
                    unbound: matches!(t, Ty::OrUnbound(_)),
                    flag,
                    val: Box::new(val),
                }
            }
            other => V::Static(other.clone()),
        }
    }

    /// The LLVM values `v` contributes to a phi slot of type `slot` (None: incompatible).
    pub fn coerce(&self, v: &V<'ctx>, slot: &Ty) -> Option<Vec<BasicValueEnum<'ctx>>> {
        let ctx = self.ctx();
        match (slot, v) {
            (Ty::Int, V::Int(x)) | (Ty::Bool, V::Bool(x)) => Some(vec![(*x).into()]),
            (Ty::Float, V::Float(x)) => Some(vec![(*x).into()]),
            (
                Ty::Range { .. },
                V::Range {
                    cur, stop, step, ..
                },
            ) => Some(vec![(*cur).into(), (*stop).into(), (*step).into()]),
            (Ty::OrNone(inner) | Ty::OrUnbound(inner), _) => {
                let unbound = matches!(slot, Ty::OrUnbound(_));
                let special = if unbound { Ty::Undef } else { Ty::NoneT };
                match v {
                    V::Opt {
                        unbound: u,
                        flag,
                        val,
                    } if *u == unbound => {
                        let mut out = vec![(*flag).into()];
                        out.extend(self.coerce(val, inner)?);
                        Some(out)
                    }
                    V::Static(t) if *t == special => {
                        let mut out = vec![ctx.bool_type().const_int(1, false).into()];
                        out.push(self.unit.llvm_type(inner)?.const_zero());
                        Some(out)
                    }
                    other => {
                        let mut out = vec![ctx.bool_type().const_zero().into()];
                        out.extend(self.coerce(other, inner)?);
                        Some(out)
                    }
                }
            }
            _ => None,
        }
    }

    fn add_incoming(
        &mut self,
        slots: &[(Ty, Vec<PhiValue<'ctx>>)],
        from: BasicBlock<'ctx>,
        st: &State<'ctx>,
    ) {
        for ((ty, phis), v) in slots.iter().zip(st.stack.iter().chain(st.locals.iter())) {
            if phis.is_empty() {
                continue; // a compile-time slot (or a local unbound on some path)
            }
            match self.coerce(v, ty) {
                Some(vals) if vals.len() == phis.len() => {
                    for (p, v) in phis.iter().zip(vals) {
                        p.add_incoming(&[(&v, from)]);
                    }
                }
                // A type that widened (Bottom) this round: the round is redone.
                _ => self.unit.incomplete = true,
            }
        }
    }

    fn join_tys(&self, a: &Tys, b: &Tys) -> Result<Tys> {
        let loc = self.loc();
        if a.0.len() != b.0.len() {
            return Err(CompileError::ty(
                format!("stack depth {} and {} meet at a join", a.0.len(), b.0.len()),
                loc,
            ));
        }
        let mut stack = Vec::new();
        for (k, (x, y)) in a.0.iter().zip(&b.0).enumerate() {
            stack.push(join(x, y, &format!("stack slot {k}"), loc)?);
        }
        let mut locals = Vec::new();
        for (k, (x, y)) in a.1.iter().zip(&b.1).enumerate() {
            locals.push(join(
                x,
                y,
                &format!("variable {:?}", self.local_name(k)),
                loc,
            )?);
        }
        Ok((stack, locals))
    }

    /// Records the edge from the current insert block to `to` carrying `st`.
    fn edge(&mut self, to: usize, st: &State<'ctx>) -> Result<()> {
        let from = self.b.get_insert_block().unwrap();
        let tys = st.tys();
        let merged = match &self.observed[to] {
            None => tys,
            Some(old) => self.join_tys(old, &tys)?,
        };
        if let Some(assumed) = self.assumed[to].clone() {
            // A back edge: the loop header was already lowered with `assumed`.
            let widened = self.join_tys(&assumed, &merged)?;
            if widened != assumed {
                if widened.0.iter().chain(&widened.1).any(|t| *t == Ty::Bottom) {
                    self.unit.incomplete = true;
                } else {
                    self.widen[to] = Some(match self.widen[to].take() {
                        None => widened,
                        Some(w) => self.join_tys(&w, &widened)?,
                    });
                    self.redo = true;
                }
                return Ok(());
            }
            let slots = self.phis[to].clone().unwrap();
            self.check_counters(&slots, st);
            self.add_incoming(&slots, from, st);
        } else {
            self.observed[to] = Some(merged);
            self.incoming[to].push((from, st.clone()));
            self.err_in[to].push((from, self.err));
        }
        Ok(())
    }

    /// Before a block's terminator with an edge into a loop header. A pending error
    /// leaves the element here (a branch to the deopt exit, well predicted): a failed
    /// element never takes a loop edge, so a meaningless value cannot decide how long a
    /// loop runs. Testing the abort byte on every iteration would cost a load in the
    /// hottest loop, so it is tested when a countdown reaches zero (every `POLL_EVERY`
    /// edges). The back edge of a short counted loop is the exception: its errors go to a
    /// sticky flag (its trip count does not depend on them) that every exit tests.
    fn leave(&mut self, succs: &[usize]) {
        // A half of a cut function has no loop edge (they end the function).
        if !succs.iter().any(|&s| self.cfg.is_header[s]) || self.mode.is_cut() {
            return;
        }
        let Some((cnt, sticky)) = self.poll else {
            self.check_abort();
            self.flush_err();
            return;
        };
        // The back edge of a short counted loop (`for _ in range(200)`): no countdown, so
        // LLVM sees a plain counted loop it can unroll; the sticky flag still collects
        // errors, and the function's returns test it and the abort byte.
        if succs.len() == 1
            && self
                .counted_trips(succs[0])
                .is_some_and(|t| t <= SHORT_LOOP)
        {
            if let Some(e) = self.err.take() {
                let i1t = self.ctx().bool_type();
                let s = self.b.build_load(i1t, sticky, "sticky").unwrap();
                let s = self.b.build_or(s.into_int_value(), e, "sticky").unwrap();
                self.b.build_store(sticky, s).unwrap();
            }
            self.unit.unbounded = true;
            return;
        }
        // Any other loop edge: a failed element leaves before it takes the edge, so a
        // meaningless value never decides how long a loop runs.
        self.flush_err();
        let ctx = self.ctx();
        let i32t = ctx.i32_type();
        let c = self
            .b
            .build_load(i32t, cnt, "poll")
            .unwrap()
            .into_int_value();
        let c = self
            .b
            .build_int_sub(c, i32t.const_int(1, false), "")
            .unwrap();
        self.b.build_store(cnt, c).unwrap();
        let due = self.icmp(IntPredicate::EQ, c, i32t.const_zero());
        let poll_bb = ctx.append_basic_block(self.llfn, "poll");
        let cont = ctx.append_basic_block(self.llfn, "polled");
        self.b.build_conditional_branch(due, poll_bb, cont).unwrap();
        self.b.position_at_end(poll_bb);
        self.b
            .build_store(cnt, i32t.const_int(POLL_EVERY, false))
            .unwrap();
        self.check_abort();
        self.flush_err();
        self.b.build_unconditional_branch(cont).unwrap();
        self.b.position_at_end(cont);
    }

    /// ORs a failure condition into the block's error flag. The condition is frozen first:
    /// one computed from a poison value (e.g. an element that failed earlier) would make
    /// the flag itself poison, and a poison flag may read as "no error".
    pub fn check(&mut self, cond: IntValue<'ctx>) {
        let cond = freeze(&self.b, cond.into()).into_int_value();
        self.err = Some(match self.err {
            None => cond,
            Some(e) => self.b.build_or(e, cond, "err").unwrap(),
        });
    }

    /// The entry values of the range iterator a `FOR_ITER` header `blk` loops over, as
    /// constants where they are: `[start, stop, step]` (a range iterator's stop and step
    /// never change inside its loop, so their entry values hold throughout). None when
    /// `blk` is not such a header or is not lowered yet.
    fn range_entry(&self, blk: usize) -> Option<[Option<i64>; 3]> {
        if !self.cfg.is_header[blk]
            || !matches!(self.f.instrs[self.cfg.blocks[blk].start].op, Op::ForIter(_))
        {
            return None;
        }
        let nstack = self.assumed[blk].as_ref()?.0.len();
        let (ty, phis) = self.phis[blk].as_ref()?.get(nstack.checked_sub(1)?)?;
        if !matches!(ty, Ty::Range { .. }) || phis.len() != 3 {
            return None;
        }
        let entry = |p: &PhiValue<'ctx>| {
            let (v, _) = p.get_incoming(0)?;
            v.into_int_value().get_sign_extended_constant()
        };
        Some([entry(&phis[0]), entry(&phis[1]), entry(&phis[2])])
    }

    /// In the `FOR_ITER` header being lowered: whether the range has constant stop and
    /// step such that `cur + step` cannot overflow while `cur` is still inside it.
    pub fn range_cannot_overflow(&self) -> bool {
        let blk = (0..self.cfg.blocks.len()).find(|&b| self.cfg.blocks[b].start == self.at);
        match blk.and_then(|b| self.range_entry(b)) {
            Some([_, Some(stop), Some(step)]) if step > 0 => stop <= i64::MAX - step,
            Some([_, Some(stop), Some(step)]) if step < 0 => stop >= i64::MIN - step,
            _ => false,
        }
    }

    /// The trip count of the `for` loop whose header is `blk`, when its range has constant
    /// start, stop and step. None for other loops.
    fn counted_trips(&self, blk: usize) -> Option<u64> {
        let [Some(start), Some(stop), Some(step)] = self.range_entry(blk)? else {
            return None;
        };
        let (start, stop, step) = (start as i128, stop as i128, step as i128);
        let trips = if step > 0 && stop > start {
            (stop - start + step - 1) / step
        } else if step < 0 && stop < start {
            (start - stop - step - 1) / -step
        } else {
            0
        };
        u64::try_from(trips).ok()
    }

    /// The pending error: the block's flag ORed with the sticky flag of a function with
    /// loops (taken: the block has none afterwards).
    fn pending_err(&mut self) -> Option<IntValue<'ctx>> {
        let mut err = self.err.take();
        if let Some((_, sticky)) = self.poll {
            let s = self
                .b
                .build_load(self.ctx().bool_type(), sticky, "sticky")
                .unwrap();
            let s = s.into_int_value();
            err = Some(match err {
                None => s,
                Some(e) => self.b.build_or(e, s, "err").unwrap(),
            });
        }
        err
    }

    /// Branches to the deopt exit if the block's error flag is set.
    pub fn flush_err(&mut self) {
        if let Some(e) = self.pending_err() {
            let ok = self.ctx().append_basic_block(self.llfn, "ok");
            let err_bb = self.err_block();
            self.b.build_conditional_branch(e, err_bb, ok).unwrap();
            self.b.position_at_end(ok);
        }
    }

    fn err_block(&mut self) -> BasicBlock<'ctx> {
        if let Some(bb) = self.err_bb {
            return bb;
        }
        let here = self.b.get_insert_block().unwrap();
        let bb = self.ctx().append_basic_block(self.llfn, "deopt");
        self.b.position_at_end(bb);
        let deopt = self.ctx().i8_type().const_int(TAG_DEOPT.into(), false);
        let r = self.ret_value(deopt, self.i64c(0));
        self.b.build_return(Some(&r)).unwrap();
        self.b.position_at_end(here);
        self.err_bb = Some(bb);
        bb
    }

    /// The tag and 8 value bytes of a number.
    fn tag_bits(&self, v: &V<'ctx>) -> Result<(u8, IntValue<'ctx>)> {
        let i64t = self.ctx().i64_type();
        Ok(match v {
            V::Int(x) => (TAG_INT, *x),
            V::Float(x) => (
                TAG_FLOAT,
                self.b
                    .build_bit_cast(*x, i64t, "")
                    .unwrap()
                    .into_int_value(),
            ),
            V::Bool(x) => (TAG_BOOL, self.b.build_int_z_extend(*x, i64t, "").unwrap()),
            other => {
                return Err(self.ty_err(format!(
                    "returns a {} (the JIT returns numbers or None)",
                    other.ty()
                )))
            }
        })
    }

    fn ret_value(&self, tag: IntValue<'ctx>, bits: IntValue<'ctx>) -> BasicValueEnum<'ctx> {
        // A cut function's struct has more fields: `cont` = 0, and no state (undef: the
        // lane-parallel kernel freezes what a finished lane steps on next, unread).
        let mut agg = self.ret_ty.get_undef();
        if self.mode.is_cut() {
            let f = self.ctx().bool_type().const_zero();
            agg = self
                .b
                .build_insert_value(agg, f, 2, "")
                .unwrap()
                .into_struct_value();
        }
        let agg = self.b.build_insert_value(agg, tag, 0, "").unwrap();
        match self.b.build_insert_value(agg, bits, 1, "").unwrap() {
            inkwell::values::AggregateValueEnum::StructValue(v) => v.into(),
            inkwell::values::AggregateValueEnum::ArrayValue(v) => v.into(),
        }
    }

    /// A NaN the mapped function returns is CPython's to compute. LLVM treats the sign and
    /// payload of a NaN an operation produces as unspecified (constant folding gives +NaN,
    /// rewrites such as `-(x * x)` → `(-x) * x` pick another operand's NaN), while CPython
    /// returns exactly what the hardware's operations in its C code give (`inf % 2.0` is
    /// -NaN on x86-64). So no NaN bits leave a kernel: the element is re-evaluated. The
    /// condition selects the deopt tag at the root's returns without counting as a deopt
    /// exit: a kernel that writes no tags (one static float tag) leaves the NaN in its
    /// value, and the driver (`src/jit.rs`) finds it there.
    fn nan_result(&mut self, v: &V<'ctx>) -> Option<IntValue<'ctx>> {
        let (x, none) = match v {
            V::Float(x) => (*x, None),
            V::Opt {
                unbound: false,
                val,
                flag,
            } => match val.as_ref() {
                V::Float(x) => (*x, Some(*flag)),
                _ => return None,
            },
            _ => return None,
        };
        let mut nan = self
            .b
            .build_float_compare(inkwell::FloatPredicate::UNO, x, x, "nan")
            .unwrap();
        if let Some(none) = none {
            let some = self.b.build_not(none, "").unwrap();
            nan = self.b.build_and(nan, some, "").unwrap();
        }
        Some(freeze(&self.b, nan.into()).into_int_value())
    }

    fn do_return(&mut self, v: V<'ctx>) -> Result<()> {
        // A pending error selects the deopt tag instead of branching to the deopt exit:
        // an `if` whose arms both return stays branch-free, so it can be if-converted and
        // the element loop vectorized.
        if self.poll.is_some() {
            // Short counted loops are not polled: returns test the abort byte instead.
            self.check_abort();
        }
        let nan = if self.root { self.nan_result(&v) } else { None };
        let err = self.pending_err();
        let i8t = self.ctx().i8_type();
        let (tag, bits) = match &v {
            V::Static(Ty::NoneT) => (i8t.const_int(TAG_NONE.into(), false), self.i64c(0)),
            V::Static(Ty::Bottom) => {
                self.unit.incomplete = true;
                (i8t.const_int(TAG_DEOPT.into(), false), self.i64c(0))
            }
            // `T | None`: the tag is chosen at run time.
            V::Opt {
                unbound: false,
                flag,
                val,
            } => {
                let (tag, bits) = self.tag_bits(val)?;
                let none = i8t.const_int(TAG_NONE.into(), false);
                let tag = self
                    .b
                    .build_select(*flag, none, i8t.const_int(tag.into(), false), "")
                    .unwrap();
                let bits = self.b.build_select(*flag, self.i64c(0), bits, "").unwrap();
                (tag.into_int_value(), bits.into_int_value())
            }
            other => {
                let (tag, bits) = self.tag_bits(other)?;
                (i8t.const_int(tag.into(), false), bits)
            }
        };
        let t = v.ty();
        self.ret = if self.root {
            // The mapped function may return different types on different paths: each
            // return writes its own tag.
            if self.ret == Ty::Bottom || self.ret == t {
                t
            } else {
                Ty::Unsupported("mixed".into())
            }
        } else {
            join(
                &self.ret,
                &t,
                &format!("the return value of {}", self.f.name),
                self.loc(),
            )?
        };
        let (tag, bits) = match err {
            None => (tag, bits),
            Some(e) => {
                self.select_deopt = true;
                let deopt = i8t.const_int(TAG_DEOPT.into(), false);
                let tag = self.b.build_select(e, deopt, tag, "tag").unwrap();
                let bits = self.b.build_select(e, self.i64c(0), bits, "bits").unwrap();
                (tag.into_int_value(), bits.into_int_value())
            }
        };
        let tag = match nan {
            None => tag,
            Some(nan) => {
                let deopt = i8t.const_int(TAG_DEOPT.into(), false);
                let t = self.b.build_select(nan, deopt, tag, "tag").unwrap();
                t.into_int_value()
            }
        };
        let r = self.ret_value(tag, bits);
        self.b.build_return(Some(&r)).unwrap();
        Ok(())
    }

    /// Pointer to the captures array (the root instance only).
    pub fn captures_ptr(&self) -> Option<PointerValue<'ctx>> {
        if self.root {
            self.llfn
                .get_nth_param(self.caps_param)
                .map(|p| p.into_pointer_value())
        } else {
            None
        }
    }

    /// The depth of this instance's call (1 for a function the root calls); only
    /// instances other than the root have it.
    pub fn call_depth(&self) -> IntValue<'ctx> {
        let n = self.llfn.count_params();
        self.llfn.get_nth_param(n - 2).unwrap().into_int_value()
    }

    /// The abort flag (a byte set when the caller is interrupted).
    pub fn abort_ptr(&self) -> PointerValue<'ctx> {
        self.llfn.get_last_param().unwrap().into_pointer_value()
    }

    /// Leaves the element (deopt) if the caller asked to stop: loops and calls test this,
    /// so Ctrl-C interrupts a kernel that would otherwise run for a long time.
    pub fn check_abort(&mut self) {
        let i8t = self.ctx().i8_type();
        let load = self.b.build_load(i8t, self.abort_ptr(), "abort").unwrap();
        let inst = inkwell::values::BasicValue::as_instruction_value(&load).unwrap();
        inst.set_atomic_ordering(inkwell::AtomicOrdering::Monotonic)
            .unwrap();
        inst.set_alignment(1).unwrap();
        let set = self.icmp(IntPredicate::NE, load.into_int_value(), i8t.const_zero());
        self.check(set);
        self.unit.unbounded = true;
    }

    pub fn capture_ty(&self, i: u32) -> Option<CaptureTy> {
        self.f.captures.get(i as usize).map(|c| c.1)
    }

    pub fn i64c(&self, v: i64) -> IntValue<'ctx> {
        self.ctx().i64_type().const_int(v as u64, true)
    }

    pub fn icmp(&self, p: IntPredicate, a: IntValue<'ctx>, b: IntValue<'ctx>) -> IntValue<'ctx> {
        self.b.build_int_compare(p, a, b, "").unwrap()
    }
}

/// `freeze v` (inkwell has no builder method for it): a poison value becomes some fixed
/// value, so a flag or a branch condition computed from it is a defined (if meaningless)
/// boolean instead of undefined behaviour.
pub(crate) fn freeze<'ctx>(b: &Builder<'ctx>, v: BasicValueEnum<'ctx>) -> BasicValueEnum<'ctx> {
    use inkwell::values::AsValueRef;
    use llvm_sys::core::{LLVMIsAConstantFP, LLVMIsAConstantInt};
    // SAFETY: `v` is a value of the function the builder is positioned in (or a constant);
    // the `LLVMIsA*` tests only read it; LLVMBuildFreeze inserts one instruction at the
    // builder's position and returns it, a first-class value of `v`'s type.
    unsafe {
        let raw = v.as_value_ref();
        if !LLVMIsAConstantInt(raw).is_null() || !LLVMIsAConstantFP(raw).is_null() {
            return v; // a number constant is never poison
        }
        BasicValueEnum::new(llvm_sys::core::LLVMBuildFreeze(
            b.as_mut_ptr(),
            raw,
            c"".as_ptr(),
        ))
    }
}

/// Deletes every block of `llfn`, whose body is then lowered again.
///
/// LLVM deletes a block's instructions after dropping only *their* operands: a use of them
/// from another block (a phi, a later instruction) or of the block itself (a branch) would
/// be left pointing into freed memory, and deleting its user later corrupts the heap (found
/// on 3.15 bytecode, whose block order made a loop's redo hit it). So the references between
/// the blocks are cut first: every value-producing instruction is replaced by poison in all
/// its uses, every terminator (the only users of blocks) is erased, then the blocks go.
pub(crate) fn clear_body(llfn: FunctionValue<'_>) {
    use inkwell::values::AsValueRef;
    use llvm_sys::core::{LLVMGetPoison, LLVMGetTypeKind, LLVMReplaceAllUsesWith, LLVMTypeOf};
    use llvm_sys::LLVMTypeKind;
    let blocks = llfn.get_basic_blocks();
    for bb in &blocks {
        for ins in bb.get_instructions() {
            // SAFETY: `ins` is a live instruction of `llfn`; poison of its own type is a
            // valid replacement for every use, which all lie in `llfn`'s blocks.
            unsafe {
                let v = ins.as_value_ref();
                let ty = LLVMTypeOf(v);
                if LLVMGetTypeKind(ty) != LLVMTypeKind::LLVMVoidTypeKind {
                    LLVMReplaceAllUsesWith(v, LLVMGetPoison(ty));
                }
            }
        }
    }
    for bb in &blocks {
        if let Some(t) = bb.get_terminator() {
            t.erase_from_basic_block();
        }
    }
    for bb in blocks {
        // SAFETY: nothing refers to the block or its instructions any more (above), and
        // the caller holds no value of them (it clears its maps before lowering again).
        unsafe { bb.delete().ok() };
    }
}

/// What an instruction does to control flow.
pub enum Flow<'ctx> {
    Next,
    /// The block ended (return).
    Done,
    Branch {
        cond: Cond<'ctx>,
        taken: State<'ctx>,
        not_taken: State<'ctx>,
    },
}

pub enum Cond<'ctx> {
    Dyn(IntValue<'ctx>),
    Static(bool),
}

fn op_text(op: &Op) -> String {
    let name = op.name();
    match op {
        Op::LoadConst(c) => format!("{name} {c:?}"),
        Op::LoadGlobal(_, global) => format!("{name} {global}"),
        Op::BinaryOp(s) | Op::CompareOp(s) => format!("{name} {s}"),
        Op::LoadFast(i)
        | Op::LoadFastCheck(i)
        | Op::StoreFast(i)
        | Op::LoadDeref(i)
        | Op::Copy(i)
        | Op::Swap(i)
        | Op::UnpackSequence(i) => format!("{name} {i}"),
        Op::IsOp(b) | Op::ContainsOp(b) => format!("{name} {}", *b as u8),
        Op::Call(n, kw) if kw.is_empty() => format!("{name} {n}"),
        Op::Call(n, kw) => format!("{name} {n} kw={}", kw.join(",")),
        Op::LoadAttr(a) => format!("{name} {a}"),
        other => match other.target() {
            Some(t) => format!("{name} @{t}"),
            None => name,
        },
    }
}
