//! Stage 5c: the lane-parallel kernel of a function with loops.
//!
//! The element-at-a-time kernel runs each element's loop to its end before the next
//! element starts: a loop whose trips are one dependent chain (`x = r*x*(1-x)`, Collatz)
//! leaves most of the core idle. This kernel keeps `LANES` elements in flight. Each lane
//! holds one element's loop state (the cut function's header state, lower/simt.rs); one
//! pass of the *step loop* runs one trip of every lane through the widened step
//! (`crate::widen`: the step over `<LANES x T>` vectors), keeping the state in vector registers.
//! With several loops, each pass runs the step of the loop header most lanes are at, for
//! those lanes only (`trip_busiest`).
//!
//! When a lane's element finishes (`cont = 0`) its result stays in the lane until the
//! *refill* block stores it and starts the next input element in that lane (prologue).
//! Refills happen when at most `LANES / 2` lanes are still running, so the step loop is
//! never more than half idle, and stores and prologues stay out of it.
//!
//! The state lives in vector allocas (one per field), which mem2reg turns into phis; the
//! refill block reads and writes single lanes (extract/insertelement).
//! The abort byte is polled every `POLL_EVERY` passes; an abort ends the running elements
//! and every element not started yet with `TAG_DEOPT`, as the scalar kernel does.

mod refill;
mod trip;

use inkwell::basic_block::BasicBlock;
use inkwell::builder::Builder;
use inkwell::types::BasicTypeEnum;
use inkwell::values::{
    AsValueRef, BasicMetadataValueEnum, BasicValue, BasicValueEnum, FunctionValue, IntValue,
    PointerValue, StructValue,
};
use inkwell::IntPredicate;

use crate::kernel::{kernel_fn, KernelParams, Lane};
use crate::lower::{Cut, Unit, TAG_DEOPT};

/// Elements in flight per kernel call. 8 measured best here: 16 lanes took mandelbrot from
/// 68 to 92 ms (2M elements) and did not help Collatz or the logistic map.
pub const LANES: usize = 8;
/// Refill when at most this many lanes still run (a quarter or three quarters measured
/// the same within noise).
const REFILL_BELOW: usize = LANES / 2;
/// Step-loop passes between two tests of the abort byte.
const POLL_EVERY: u64 = 1024;

/// The lanes' allocas: one `<LANES x T>` vector per field.
struct Slots<'ctx> {
    state: Vec<PointerValue<'ctx>>,
    tag: PointerValue<'ctx>,
    bits: PointerValue<'ctx>,
    cont: PointerValue<'ctx>,
    live: PointerValue<'ctx>,
    idx: PointerValue<'ctx>,
}

struct Driver<'a, 'ctx> {
    unit: &'a Unit<'a, 'ctx>,
    k: FunctionValue<'ctx>,
    b: Builder<'ctx>,
    p: KernelParams<'ctx>,
    lane: Lane,
    cut: &'a Cut<'ctx>,
    /// The steps over vectors, one per loop header.
    wides: Vec<FunctionValue<'ctx>>,
}

/// Emits `{prefix}_simt` (the kernel signature) around `cut`'s prologue and widened step,
/// or says why the step cannot be widened (the module then has no `_simt` kernel).
pub fn emit<'ctx>(
    unit: &Unit<'_, 'ctx>,
    cut: &Cut<'ctx>,
    lane: Lane,
    prefix: &str,
) -> Result<(), String> {
    let mut wides = Vec::new();
    for (i, step) in cut.steps.iter().enumerate() {
        // SAFETY: the steps are complete functions of this module; on failure every
        // function made for the lane-parallel kernel is deleted again.
        let raw = unsafe {
            crate::widen::widen(
                unit.module.as_mut_ptr(),
                step.as_value_ref(),
                LANES as u32,
                &format!("{prefix}_step{i}_wide"),
            )
        };
        match raw {
            // SAFETY: `widen` returns a function it created in `unit.module`.
            Ok(f) => wides.push(unsafe { FunctionValue::new(f) }.expect("a function")),
            Err(e) => {
                // SAFETY: the wide steps, the steps and the prologue are functions of this
                // module that nothing else references (they are not called yet: the
                // driver that would call them is built only on success).
                for f in wides.into_iter().chain(cut.steps.iter().copied()) {
                    unsafe { f.delete() };
                }
                unsafe { cut.prologue.delete() };
                return Err(format!("the loop's trip cannot be widened: {e}"));
            }
        }
    }
    let always = inkwell::attributes::Attribute::get_named_enum_kind_id("alwaysinline");
    for f in wides.iter().chain([&cut.prologue]) {
        f.add_attribute(
            inkwell::attributes::AttributeLoc::Function,
            unit.ctx.create_enum_attribute(always, 0),
        );
    }
    let (k, p) = kernel_fn(unit, &format!("{prefix}_simt"));
    let d = Driver {
        unit,
        k,
        b: unit.ctx.create_builder(),
        p,
        lane,
        cut,
        wides,
    };
    d.emit();
    Ok(())
}

impl<'a, 'ctx> Driver<'a, 'ctx> {
    fn bb(&self, name: &str) -> BasicBlock<'ctx> {
        self.unit.ctx.append_basic_block(self.k, name)
    }

    fn load(&self, t: BasicTypeEnum<'ctx>, p: PointerValue<'ctx>) -> BasicValueEnum<'ctx> {
        self.b.build_load(t, p, "").unwrap()
    }

    fn load_int(&self, t: inkwell::types::IntType<'ctx>, p: PointerValue<'ctx>) -> IntValue<'ctx> {
        self.b.build_load(t, p, "").unwrap().into_int_value()
    }

    fn store(&self, p: PointerValue<'ctx>, v: impl BasicValue<'ctx>) {
        self.b.build_store(p, v).unwrap();
    }

    /// Lane `l` of the vector in `slot`.
    fn get(
        &self,
        t: BasicTypeEnum<'ctx>,
        slot: PointerValue<'ctx>,
        l: IntValue<'ctx>,
    ) -> BasicValueEnum<'ctx> {
        let v = self.load(vec_of(t), slot).into_vector_value();
        self.b.build_extract_element(v, l, "").unwrap()
    }

    /// Sets lane `l` of the vector in `slot` to `x`.
    fn set(
        &self,
        t: BasicTypeEnum<'ctx>,
        slot: PointerValue<'ctx>,
        l: IntValue<'ctx>,
        x: BasicValueEnum<'ctx>,
    ) {
        let v = self.load(vec_of(t), slot).into_vector_value();
        let v = self.b.build_insert_element(v, x, l, "").unwrap();
        self.store(slot, v);
    }

    fn freeze(&self, v: BasicValueEnum<'ctx>) -> BasicValueEnum<'ctx> {
        crate::lower::freeze(&self.b, v)
    }

    fn field(&self, r: StructValue<'ctx>, i: u32) -> BasicValueEnum<'ctx> {
        self.b.build_extract_value(r, i, "").unwrap()
    }

    fn call(
        &self,
        f: FunctionValue<'ctx>,
        args: &[BasicMetadataValueEnum<'ctx>],
    ) -> StructValue<'ctx> {
        match self.b.build_call(f, args, "").unwrap().try_as_basic_value() {
            inkwell::values::ValueKind::Basic(v) => v.into_struct_value(),
            _ => unreachable!("cut functions return a struct"),
        }
    }

    /// `tags[i] = tag; vals[i] = bits`.
    fn write_out(&self, i: IntValue<'ctx>, tag: BasicValueEnum<'ctx>, bits: BasicValueEnum<'ctx>) {
        let ctx = self.unit.ctx;
        // SAFETY (of the generated code): the driver guarantees `i < n`.
        let tp = unsafe {
            self.b
                .build_in_bounds_gep(ctx.i8_type(), self.p.tags, &[i], "")
                .unwrap()
        };
        self.store(tp, tag);
        let vp = unsafe {
            self.b
                .build_in_bounds_gep(ctx.i64_type(), self.p.vals, &[i], "")
                .unwrap()
        };
        self.store(vp, bits);
    }

    fn emit(&self) {
        let ctx = self.unit.ctx;
        let (i1t, i8t, i32t, i64t) = (
            ctx.bool_type(),
            ctx.i8_type(),
            ctx.i32_type(),
            ctx.i64_type(),
        );
        let entry = self.bb("entry");
        self.b.position_at_end(entry);
        let alloca = |t: BasicTypeEnum<'ctx>, zero: BasicValueEnum<'ctx>| {
            let p = self.b.build_alloca(t, "").unwrap();
            self.store(p, zero);
            p
        };
        let vslot = |t: BasicTypeEnum<'ctx>| alloca(vec_of(t), vec_of(t).const_zero());
        let (i1b, i8b, i64b): (
            BasicTypeEnum<'ctx>,
            BasicTypeEnum<'ctx>,
            BasicTypeEnum<'ctx>,
        ) = (i1t.into(), i8t.into(), i64t.into());
        let slots = Slots {
            state: self.cut.state.iter().map(|t| vslot(*t)).collect(),
            tag: vslot(i8b),
            bits: vslot(i64b),
            cont: vslot(i1b),
            live: vslot(i1b),
            idx: vslot(i64b),
        };
        let next = alloca(i64t.into(), i64t.const_zero().into());
        let aborted = alloca(i1t.into(), i1t.const_zero().into());
        let poll = alloca(i32t.into(), i32t.const_int(POLL_EVERY, false).into());
        let lane_i = alloca(i32t.into(), i32t.const_zero().into());
        let refill = self.bb("refill");
        self.b.build_unconditional_branch(refill).unwrap();

        // Refill: store finished elements, start new ones in the free lanes (none once
        // the caller has asked to stop).
        self.b.position_at_end(refill);
        let ab = self.load_int(i1t, aborted);
        let ab = self.b.build_or(ab, self.abort_set(), "").unwrap();
        self.store(aborted, ab);
        // One lane at a time (a loop: refills are rare, and one copy of the prologue
        // keeps the kernel small and quick to compile).
        let lane_bb = self.bb("lane");
        self.b.build_unconditional_branch(lane_bb).unwrap();
        self.b.position_at_end(lane_bb);
        let l = self.load_int(i32t, lane_i);
        self.refill_lane(&slots, l, next, aborted);
        let l1 = self
            .b
            .build_int_add(l, i32t.const_int(1, false), "")
            .unwrap();
        let more_lanes = self
            .b
            .build_int_compare(
                IntPredicate::ULT,
                l1,
                i32t.const_int(LANES as u64, false),
                "",
            )
            .unwrap();
        let lanes_done = self.bb("lanes_done");
        self.store(lane_i, l1);
        self.b
            .build_conditional_branch(more_lanes, lane_bb, lanes_done)
            .unwrap();
        self.b.position_at_end(lanes_done);
        self.store(lane_i, i32t.const_zero());
        let conts = self.load(vec_of(i1b), slots.cont).into_vector_value();
        let any = self.count(conts);
        let any = self
            .b
            .build_int_compare(IntPredicate::NE, any, any.get_type().const_zero(), "")
            .unwrap();
        let step = self.bb("step");
        let finish = self.bb("finish");
        self.b.build_conditional_branch(any, step, finish).unwrap();

        // One trip of every lane.
        self.b.position_at_end(step);
        let c = self.load(vec_of(i1b), slots.cont).into_vector_value();
        let running = if self.wides.len() == 1 {
            self.trip_all(&slots, c)
        } else {
            self.trip_busiest(&slots, c)
        };
        let pc = self.load_int(i32t, poll);
        let pc = self
            .b
            .build_int_sub(pc, i32t.const_int(1, false), "")
            .unwrap();
        self.store(poll, pc);
        let due = self
            .b
            .build_int_compare(IntPredicate::EQ, pc, i32t.const_zero(), "")
            .unwrap();
        let poll_bb = self.bb("poll");
        let abort_bb = self.bb("abort");
        let decide = self.bb("decide");
        self.b
            .build_conditional_branch(due, poll_bb, decide)
            .unwrap();

        self.b.position_at_end(poll_bb);
        self.store(poll, i32t.const_int(POLL_EVERY, false));
        let set = self.abort_set();
        self.b
            .build_conditional_branch(set, abort_bb, decide)
            .unwrap();

        // Interrupted: running elements end as deopts, no new element starts.
        self.b.position_at_end(abort_bb);
        let c = self.load(vec_of(i1b), slots.cont).into_vector_value();
        let tag = self.load(vec_of(i8b), slots.tag);
        let deopt = splat(i8t.const_int(TAG_DEOPT.into(), false));
        let tag = self
            .b
            .build_select(c, deopt, tag.into_vector_value(), "")
            .unwrap();
        self.store(slots.tag, tag);
        self.store(slots.cont, vec_of(i1b).const_zero());
        self.store(aborted, i1t.const_int(1, false));
        self.b.build_unconditional_branch(refill).unwrap();

        // Keep stepping while more than half the lanes run (all the way down once the
        // input is used up).
        self.b.position_at_end(decide);
        let nx = self.load_int(i64t, next);
        let more = self
            .b
            .build_int_compare(IntPredicate::SLT, nx, self.p.n, "")
            .unwrap();
        let ct = running.get_type();
        let half = ct.const_int(REFILL_BELOW as u64, false);
        let busy = self
            .b
            .build_int_compare(IntPredicate::UGT, running, half, "")
            .unwrap();
        let some = self
            .b
            .build_int_compare(IntPredicate::UGT, running, ct.const_zero(), "")
            .unwrap();
        let go_on = self
            .b
            .build_select(more, busy, some, "")
            .unwrap()
            .into_int_value();
        self.b
            .build_conditional_branch(go_on, step, refill)
            .unwrap();

        // Done; after an abort, the elements never started are deopts.
        self.b.position_at_end(finish);
        let ab = self.load_int(i1t, aborted);
        let rest = self.bb("rest");
        let exit = self.bb("exit");
        self.b.build_conditional_branch(ab, rest, exit).unwrap();
        self.b.position_at_end(rest);
        let i = self.load_int(i64t, next);
        let left = self
            .b
            .build_int_compare(IntPredicate::SLT, i, self.p.n, "")
            .unwrap();
        let rest_one = self.bb("rest_one");
        self.b
            .build_conditional_branch(left, rest_one, exit)
            .unwrap();
        self.b.position_at_end(rest_one);
        self.write_out(
            i,
            i8t.const_int(TAG_DEOPT.into(), false).into(),
            i64t.const_zero().into(),
        );
        let i1 = self
            .b
            .build_int_add(i, i64t.const_int(1, false), "")
            .unwrap();
        self.store(next, i1);
        self.b.build_unconditional_branch(rest).unwrap();
        self.b.position_at_end(exit);
        self.b.build_return(None).unwrap();
    }

    /// Whether the caller asked to stop (an atomic load of the abort byte).
    fn abort_set(&self) -> IntValue<'ctx> {
        let i8t = self.unit.ctx.i8_type();
        let load = self.b.build_load(i8t, self.p.abort, "abort").unwrap();
        let inst = load.as_instruction_value().unwrap();
        inst.set_atomic_ordering(inkwell::AtomicOrdering::Monotonic)
            .unwrap();
        inst.set_alignment(1).unwrap();
        self.b
            .build_int_compare(
                IntPredicate::NE,
                load.into_int_value(),
                i8t.const_zero(),
                "",
            )
            .unwrap()
    }
}

/// `<LANES x T>`.
fn vec_of(t: BasicTypeEnum<'_>) -> BasicTypeEnum<'_> {
    match t {
        BasicTypeEnum::IntType(i) => i.vec_type(LANES as u32).into(),
        BasicTypeEnum::FloatType(f) => f.vec_type(LANES as u32).into(),
        other => other,
    }
}

/// The constant vector with `x` in every lane.
fn splat(x: IntValue<'_>) -> inkwell::values::VectorValue<'_> {
    inkwell::types::VectorType::const_vector(&[x; LANES])
}
