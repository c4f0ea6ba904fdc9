//! Stage 5c, the step loop's pass: one trip of the lanes (see mod.rs).

use inkwell::basic_block::BasicBlock;
use inkwell::types::BasicTypeEnum;
use inkwell::values::{BasicMetadataValueEnum, FunctionValue, IntValue, VectorValue};
use inkwell::IntPredicate;

use super::{splat, vec_of, Driver, Slots, LANES};

impl<'a, 'ctx> Driver<'a, 'ctx> {
    /// The step's arguments: every state vector, the captures, the abort byte.
    fn step_args(&self, slots: &Slots<'ctx>) -> Vec<BasicMetadataValueEnum<'ctx>> {
        let mut args: Vec<BasicMetadataValueEnum<'ctx>> = slots
            .state
            .iter()
            .zip(&self.cut.state)
            .map(|(p, t)| self.load(vec_of(*t), *p).into())
            .collect();
        args.push(self.p.caps.into());
        args.push(self.p.abort.into());
        args
    }

    /// One loop: a trip of every lane. Returns how many lanes still run.
    pub(super) fn trip_all(&self, slots: &Slots<'ctx>, c: VectorValue<'ctx>) -> IntValue<'ctx> {
        let ctx = self.unit.ctx;
        let (i8b, i64b): (BasicTypeEnum<'ctx>, BasicTypeEnum<'ctx>) =
            (ctx.i8_type().into(), ctx.i64_type().into());
        let r = self.call(self.wides[0], &self.step_args(slots));
        // The state takes the step's output in every lane: a finished lane's state is
        // never read again (its result is in tag/bits, kept below; a refill overwrites the
        // state), so selecting it would only cost a masked move per field a trip. It is
        // frozen (a finished lane's state is undef, and undef must not reach the next
        // trip's divisors or calls), as is `cont`, so that lane cannot poison the count.
        for (i, p) in slots.state.iter().enumerate() {
            let v = self.freeze(self.field(r, 3 + i as u32));
            self.store(*p, v);
        }
        for (i, p, t) in [(0, slots.tag, i8b), (1, slots.bits, i64b)] {
            let old = self.load(vec_of(t), p);
            let v = self.b.build_select(c, self.field(r, i), old, "").unwrap();
            self.store(p, v);
        }
        let rc = self.freeze(self.field(r, 2)).into_vector_value();
        let c2 = self.b.build_and(c, rc, "").unwrap();
        self.store(slots.cont, c2);
        self.count(c2)
    }

    /// Several loops: the lanes at the loop header most lanes are at take a trip (its
    /// own step, under their mask); the others wait. Nested loops thus run their inner
    /// loop's step alone while most lanes are in it, instead of every loop's body under
    /// masks on every trip. Returns how many lanes still run.
    pub(super) fn trip_busiest(&self, slots: &Slots<'ctx>, c: VectorValue<'ctx>) -> IntValue<'ctx> {
        let ctx = self.unit.ctx;
        let (i8b, i64b): (BasicTypeEnum<'ctx>, BasicTypeEnum<'ctx>) =
            (ctx.i8_type().into(), ctx.i64_type().into());
        let pcs = self.load(vec_of(i64b), slots.state[0]).into_vector_value();
        let masks: Vec<VectorValue<'ctx>> = (0..self.wides.len())
            .map(|h| {
                let hv = splat(ctx.i64_type().const_int(h as u64, false));
                let at = self
                    .b
                    .build_int_compare(IntPredicate::EQ, pcs, hv, "")
                    .unwrap();
                self.b.build_and(c, at, "").unwrap()
            })
            .collect();
        let mut best = ctx.i32_type().const_zero();
        let mut most = self.count(masks[0]);
        for (h, m) in masks.iter().enumerate().skip(1) {
            let n = self.count(*m);
            let more = self
                .b
                .build_int_compare(IntPredicate::UGT, n, most, "")
                .unwrap();
            let hv = ctx.i32_type().const_int(h as u64, false);
            best = self
                .b
                .build_select(more, hv, best, "")
                .unwrap()
                .into_int_value();
            most = self
                .b
                .build_select(more, n, most, "")
                .unwrap()
                .into_int_value();
        }
        let join = self.bb("tripped");
        let blocks: Vec<BasicBlock<'ctx>> = (0..self.wides.len())
            .map(|h| self.bb(&format!("trip{h}")))
            .collect();
        let cases: Vec<(IntValue<'ctx>, BasicBlock<'ctx>)> = blocks
            .iter()
            .enumerate()
            .skip(1)
            .map(|(h, bb)| (ctx.i32_type().const_int(h as u64, false), *bb))
            .collect();
        self.b.build_switch(best, blocks[0], &cases).unwrap();
        for (h, bb) in blocks.iter().enumerate() {
            self.b.position_at_end(*bb);
            let m = masks[h];
            let r = self.call(self.wides[h], &self.step_args(slots));
            for (i, (p, t)) in slots.state.iter().zip(&self.cut.state).enumerate() {
                let old = self.load(vec_of(*t), *p);
                let v = self.freeze(self.field(r, 3 + i as u32));
                let v = self.b.build_select(m, v, old, "").unwrap();
                self.store(*p, v);
            }
            for (i, p, t) in [(0, slots.tag, i8b), (1, slots.bits, i64b)] {
                let old = self.load(vec_of(t), p);
                let v = self.b.build_select(m, self.field(r, i), old, "").unwrap();
                self.store(p, v);
            }
            let rc = self.freeze(self.field(r, 2)).into_vector_value();
            let c2 = self.b.build_select(m, rc, c, "").unwrap();
            self.store(slots.cont, c2);
            self.b.build_unconditional_branch(join).unwrap();
        }
        self.b.position_at_end(join);
        let c2 = self.load(vec_of(ctx.bool_type().into()), slots.cont);
        self.count(c2.into_vector_value())
    }

    /// How many lanes of the `<LANES x i1>` mask `m` are set.
    pub(super) fn count(&self, m: inkwell::values::VectorValue<'ctx>) -> IntValue<'ctx> {
        let it = self
            .unit
            .ctx
            .custom_width_int_type(std::num::NonZeroU32::new(LANES as u32).unwrap())
            .expect("an int type of LANES bits");
        let bits = self.b.build_bit_cast(m, it, "").unwrap().into_int_value();
        let f = inkwell::intrinsics::Intrinsic::find("llvm.ctpop")
            .and_then(|i| i.get_declaration(&self.unit.module, &[it.into()]))
            .expect("ctpop");
        self.call_int(f, bits)
    }

    fn call_int(&self, f: FunctionValue<'ctx>, x: IntValue<'ctx>) -> IntValue<'ctx> {
        match self
            .b
            .build_call(f, &[x.into()], "")
            .unwrap()
            .try_as_basic_value()
        {
            inkwell::values::ValueKind::Basic(v) => v.into_int_value(),
            _ => unreachable!("ctpop returns an int"),
        }
    }
}
