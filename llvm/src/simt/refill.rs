//! Stage 5c, refills: finished lanes are stored and take the next input elements.

use inkwell::types::BasicTypeEnum;
use inkwell::values::{IntValue, PointerValue};
use inkwell::IntPredicate;

use crate::kernel::load_input;

use super::{Driver, Slots};

impl<'a, 'ctx> Driver<'a, 'ctx> {
    /// Lane `l`: store its finished element, then start input elements in it until one
    /// needs a loop trip (elements the prologue finishes are stored at once).
    pub(super) fn refill_lane(
        &self,
        s: &Slots<'ctx>,
        l: IntValue<'ctx>,
        next: PointerValue<'ctx>,
        aborted: PointerValue<'ctx>,
    ) {
        let ctx = self.unit.ctx;
        let (i1t, i8t, i64t) = (ctx.bool_type(), ctx.i8_type(), ctx.i64_type());
        let (i1b, i8b, i64b): (
            BasicTypeEnum<'ctx>,
            BasicTypeEnum<'ctx>,
            BasicTypeEnum<'ctx>,
        ) = (i1t.into(), i8t.into(), i64t.into());
        let c = self.get(i1b, s.cont, l).into_int_value();
        let lv = self.get(i1b, s.live, l).into_int_value();
        let nc = self.b.build_not(c, "").unwrap();
        let need = self.b.build_and(lv, nc, "").unwrap();
        let store_bb = self.bb("store");
        let fill = self.bb("fill");
        self.b
            .build_conditional_branch(need, store_bb, fill)
            .unwrap();
        self.b.position_at_end(store_bb);
        let i = self.get(i64b, s.idx, l).into_int_value();
        let (tag, bits) = (self.get(i8b, s.tag, l), self.get(i64b, s.bits, l));
        self.write_out(i, tag, bits);
        self.set(i1b, s.live, l, i1t.const_zero().into());
        self.b.build_unconditional_branch(fill).unwrap();

        self.b.position_at_end(fill);
        let c = self.get(i1b, s.cont, l).into_int_value();
        let nx = self.load_int(i64t, next);
        let ab = self.load_int(i1t, aborted);
        let left = self
            .b
            .build_int_compare(IntPredicate::SLT, nx, self.p.n, "")
            .unwrap();
        let idle = self
            .b
            .build_not(self.b.build_or(c, ab, "").unwrap(), "")
            .unwrap();
        let more = self.b.build_and(idle, left, "").unwrap();
        let start = self.bb("start");
        let keep = self.bb("keep");
        let done_now = self.bb("done_now");
        let after = self.bb("filled");
        self.b.build_conditional_branch(more, start, after).unwrap();

        self.b.position_at_end(start);
        self.set(i64b, s.idx, l, nx.into());
        let nx1 = self
            .b
            .build_int_add(nx, i64t.const_int(1, false), "")
            .unwrap();
        self.store(next, nx1);
        let x = load_input(
            &self.b,
            self.unit.ctx,
            self.lane,
            self.p.inp,
            self.p.stride,
            nx,
        );
        let r = self.call(
            self.cut.prologue,
            &[x, self.p.caps.into(), self.p.abort.into()],
        );
        let rc = self.field(r, 2).into_int_value();
        self.b.build_conditional_branch(rc, keep, done_now).unwrap();

        self.b.position_at_end(keep);
        for (i, (p, t)) in s.state.iter().zip(&self.cut.state).enumerate() {
            self.set(*t, *p, l, self.field(r, 3 + i as u32));
        }
        self.set(i1b, s.cont, l, i1t.const_int(1, false).into());
        self.set(i1b, s.live, l, i1t.const_int(1, false).into());
        self.b.build_unconditional_branch(fill).unwrap();

        self.b.position_at_end(done_now);
        self.write_out(nx, self.field(r, 0), self.field(r, 1));
        self.b.build_unconditional_branch(fill).unwrap();

        self.b.position_at_end(after);
    }
}
