//! Run-tests: compile gnb text to a kernel and check results without Python.

mod common;

use common::run_kernel;
use gilmap_llvm::{compile, Lane, TAG_BOOL, TAG_DEOPT, TAG_FLOAT, TAG_INT};

fn run(text: &str, lane: Lane, raw: &[u64]) -> Vec<(u8, u64)> {
    let k = compile(text, lane).unwrap_or_else(|e| panic!("{e}"));
    run_kernel(&k, raw, 1, &[])
}

fn run_i64(text: &str, xs: &[i64]) -> Vec<(u8, u64)> {
    run(
        text,
        Lane::Int64,
        &xs.iter().map(|x| *x as u64).collect::<Vec<_>>(),
    )
}

fn run_f64(text: &str, xs: &[f64]) -> Vec<(u8, u64)> {
    run(
        text,
        Lane::Float64,
        &xs.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
    )
}

const ADD1: &str = "gnb 1\nfunc 0 f argc=1 nlocals=1\nlocal 0 x\n\
@0 L1 NOP\n@2 L2 LOAD_FAST 0\n@4 L2 LOAD_CONST int 1\n@6 L2 BINARY_OP +\n@8 L2 RETURN_VALUE\nend\n";

const FLOORDIV: &str = "gnb 1\nfunc 0 f argc=1 nlocals=1\nlocal 0 x\n\
@0 L2 LOAD_CONST int 100\n@2 L2 LOAD_FAST 0\n@4 L2 BINARY_OP //\n@6 L2 RETURN_VALUE\nend\n";

const SUM_RANGE: &str = "gnb 1\nfunc 0 f argc=1 nlocals=3\nlocal 0 x\nlocal 1 s\nlocal 2 i\n\
@0 L1 NOP\n@2 L2 LOAD_CONST int 0\n@4 L2 STORE_FAST 1\n\
@6 L3 LOAD_GLOBAL builtin range range\n@8 L3 LOAD_FAST 0\n@10 L3 CALL 1\n@12 L3 GET_ITER\n\
@14 L3 FOR_ITER @30\n@16 L3 STORE_FAST 2\n@18 L4 LOAD_FAST 1\n@20 L4 LOAD_FAST 2\n@22 L4 BINARY_OP +\n\
@24 L4 STORE_FAST 1\n@26 L4 JUMP @14\n@28 L3 NOP\n@30 L5 LOAD_FAST 1\n@32 L5 RETURN_VALUE\nend\n";

const AFFINE: &str = "gnb 1\nfunc 0 f argc=1 nlocals=1\nlocal 0 x\n\
@0 L2 LOAD_FAST 0\n@2 L2 LOAD_CONST float 0x3ff8000000000000\n@4 L2 BINARY_OP *\n\
@6 L2 LOAD_CONST float 0x3fe0000000000000\n@8 L2 BINARY_OP +\n@10 L2 RETURN_VALUE\nend\n";

const CMP: &str = "gnb 1\nfunc 0 f argc=1 nlocals=1\nlocal 0 x\n\
@0 L2 LOAD_FAST 0\n@2 L2 LOAD_CONST int 3\n@4 L2 COMPARE_OP >\n@6 L2 RETURN_VALUE\nend\n";

#[test]
fn add1_with_overflow_deopt() {
    let r = run_i64(ADD1, &[0, 41, -1, i64::MAX]);
    assert_eq!(r[0], (TAG_INT, 1));
    assert_eq!(r[1], (TAG_INT, 42));
    assert_eq!(r[2], (TAG_INT, 0));
    assert_eq!(r[3].0, TAG_DEOPT);
}

#[test]
fn floor_division_and_zero() {
    let r = run_i64(FLOORDIV, &[7, -7, 0, 3]);
    assert_eq!(r[0], (TAG_INT, 14));
    assert_eq!(r[1], (TAG_INT, (-15i64) as u64));
    assert_eq!(r[2].0, TAG_DEOPT);
    assert_eq!(r[3], (TAG_INT, 33));
}

#[test]
fn range_loop() {
    let r = run_i64(SUM_RANGE, &[0, 1, 10, -3, 1000]);
    let got: Vec<i64> = r.iter().map(|(_, v)| *v as i64).collect();
    assert_eq!(got, vec![0, 0, 45, 0, 499500]);
    assert!(r.iter().all(|(t, _)| *t == TAG_INT));
}

#[test]
fn float_affine_is_bit_exact() {
    let xs = [0.1, -2.5, 1e300, f64::NAN, -0.0];
    let r = run_f64(AFFINE, &xs);
    for (x, (t, v)) in xs.iter().zip(r) {
        let want = x * 1.5 + 0.5;
        if want.is_nan() {
            // A NaN result's bits are CPython's to decide: the element deopts.
            assert_eq!(t, TAG_DEOPT);
            continue;
        }
        assert_eq!(t, TAG_FLOAT);
        assert_eq!(f64::from_bits(v).to_bits(), want.to_bits());
    }
}

#[test]
fn comparison_gives_bool() {
    let r = run_i64(CMP, &[0, 4]);
    assert_eq!(r, vec![(TAG_BOOL, 0), (TAG_BOOL, 1)]);
}
