//! The lane-parallel kernel (src/simt.rs, src/widen.rs) against the element-at-a-time
//! kernel: on every corpus fixture that gets one, both kernels must write the same tag and
//! the same 8 bytes for every element, whatever the input order, count and stride (lanes
//! finish at different trips and are refilled in between). An abort ends every element as
//! a deopt. Which fixtures get the lane-parallel kernel is asserted, so a change that
//! silently drops it fails here.

mod common;

use gilmap_llvm::{compile_with, Kernel, Simt, TAG_DEOPT};

fn run_abort(k: &Kernel, inputs: &[u64], stride: usize, caps: &[u64], abort: u8) -> Vec<(u8, u64)> {
    let n = inputs.len();
    let mut buf = vec![0x5555_aaaa_5555_aaaa_u64; n * stride];
    for (i, x) in inputs.iter().enumerate() {
        buf[i * stride] = *x;
    }
    let mut tags = vec![0xeeu8; n];
    let mut vals = vec![0x1234_u64; n];
    // SAFETY: `buf` holds n elements at `stride`, tags/vals n slots, caps one value per
    // capture.
    unsafe {
        k.run_values(
            buf.as_ptr() as *const u8,
            stride as i64,
            tags.as_mut_ptr(),
            vals.as_mut_ptr(),
            n,
            if caps.is_empty() {
                std::ptr::null()
            } else {
                caps.as_ptr()
            },
            &abort,
        )
    };
    tags.into_iter().zip(vals).collect()
}

/// The fixture's inputs in a scrambled order, repeated to `len` elements.
fn scrambled(inputs: &[u64], len: usize) -> Vec<u64> {
    let mut out = Vec::with_capacity(len);
    let mut j = 7usize;
    for _ in 0..len {
        j = (j * 1_103_515_245 + 12_345) % (1 << 31);
        out.push(inputs[j % inputs.len()]);
    }
    out
}

/// Fixtures whose loops must run lane-parallel (single and nested loops; no per-lane
/// integer division, no call to another Python function).
const MUST_SIMT: &[&str] = &[
    "collatz",
    "sum_range",
    "loop_float",
    "while_f",
    "break",
    "nested",
    "loop_break_nested",
];

#[test]
fn simt_kernels_agree_with_scalar_kernels() {
    let mut simt = Vec::new();
    for fx in common::all() {
        let Ok(wide) = compile_with(&fx.text, fx.lane, Simt::On) else {
            continue;
        };
        if wide.simt.is_err() {
            assert!(wide.compile_simt().is_err() && !wide.simt_ready());
            continue;
        }
        assert!(!wide.simt_ready(), "{}: built on demand only", fx.name);
        wide.compile_simt()
            .unwrap_or_else(|e| panic!("{}: {e}", fx.name));
        assert!(wide.simt_ready());
        let scalar = compile_with(&fx.text, fx.lane, Simt::Off).expect("compiles without SIMT");
        assert!(scalar.simt.is_err(), "{}: SIMT was turned off", fx.name);
        simt.push(fx.name.clone());
        for (len, stride) in [(1, 1), (7, 1), (8, 2), (9, 1), (61, 3), (500, 1)] {
            let xs = scrambled(&fx.inputs, len);
            let a = run_abort(&wide, &xs, stride, &fx.caps, 0);
            let b = run_abort(&scalar, &xs, stride, &fx.caps, 0);
            for (i, (x, (ra, rb))) in xs.iter().zip(a.iter().zip(&b)).enumerate() {
                assert_eq!(
                    ra, rb,
                    "{}: element {i} (raw input 0x{x:016x}), n={len}",
                    fx.name
                );
            }
        }
        // An abort set before the call: every element ends as a deopt, none is left unwritten.
        let xs = scrambled(&fx.inputs, 100);
        for (i, (tag, _)) in run_abort(&wide, &xs, 1, &fx.caps, 1).iter().enumerate() {
            assert_eq!(*tag, TAG_DEOPT, "{}: element {i} after an abort", fx.name);
        }
    }
    for name in MUST_SIMT {
        assert!(
            simt.iter().any(|n| n == name),
            "{name} should run lane-parallel; lane-parallel fixtures: {simt:?}"
        );
    }
    println!("lane-parallel fixtures ({}): {simt:?}", simt.len());
}

/// A fixture under another function name: a kernel of its own (the other test compiles
/// the same fixtures at the same time, and one JIT cannot link a symbol twice).
fn renamed(name: &str) -> common::Fixture {
    let mut fx = common::load(name);
    fx.text = fx.text.replacen("func 0 ", "func 0 renamed_", 1);
    fx
}

/// Why a fixture keeps the scalar kernel is said, not hidden.
#[test]
fn refusals_name_the_reason() {
    let gcd = renamed("gcd");
    let k = compile_with(&gcd.text, gcd.lane, Simt::On).unwrap();
    let why = k.simt.expect_err("gcd divides by a per-lane value");
    assert!(why.contains("division"), "{why}");
    let add1 = renamed("add1");
    let k = compile_with(&add1.text, add1.lane, Simt::On).unwrap();
    assert!(k.simt.unwrap_err().contains("loop"));
    let k = compile_with(&add1.text, add1.lane, Simt::Off).unwrap();
    assert!(k.simt.unwrap_err().contains("GILMAP_SIMT=0"));
    let nested = renamed("nested");
    let k = compile_with(&nested.text, nested.lane, Simt::On).unwrap();
    assert_eq!(k.simt, Ok(8));
}
