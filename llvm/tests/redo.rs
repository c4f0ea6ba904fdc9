//! A function whose loop-header types widen is lowered twice: the first attempt's blocks are
//! deleted in between. They used to be deleted one by one while other blocks still used their
//! values (and branched to them), which left LLVM writing into freed memory; fuzzer seed 291
//! on CPython 3.14/3.15 aborted with "corrupted double-linked list" within a few compiles.
//!
//! glibc notices such a write only by chance, so the compile also runs once under valgrind
//! (a child process: this test binary, filtered to the in-process test), which reports the
//! first invalid write at once.

mod common;

use std::process::Command;

use common::run_kernel;
use gilmap_llvm::{compile_with, Lane, Simt, TAG_BOOL, TAG_DEOPT};

/// How many compiles the in-process test runs (the valgrind child runs one).
const ITERS_ENV: &str = "GILMAP_REDO_ITERS";

fn fixture() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/regress/redo_seed291.gnb"
    );
    std::fs::read_to_string(path)
        .expect("the fixture")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn relowering_a_widened_loop_keeps_the_heap_intact() {
    let text = fixture();
    let iters: usize = std::env::var(ITERS_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    for _ in 0..iters {
        let k = compile_with(&text, Lane::Int64, Simt::On).unwrap_or_else(|e| panic!("{e}"));
        let xs: Vec<u64> = [0i64, 1, -1, 7, 10, -7, 100]
            .iter()
            .map(|&x| x as u64)
            .collect();
        let tags: Vec<u8> = run_kernel(&k, &xs, 1, &[])
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        // x = 0 divides by zero (`x // (x if False else x)`); the others return a bool
        // (every path ends in a comparison or `return G0`, and G0 is the bool False).
        assert_eq!(tags[0], TAG_DEOPT);
        assert!(
            tags[1..].iter().all(|&t| t == TAG_BOOL || t == TAG_DEOPT),
            "{tags:?}"
        );
    }
}

#[test]
fn relowering_a_widened_loop_is_clean_under_valgrind() {
    let exe = std::env::current_exe().expect("the test binary");
    let out = Command::new("valgrind")
        .args(["--quiet", "--error-exitcode=9", "--leak-check=no"])
        .arg(&exe)
        .args(["--exact", "relowering_a_widened_loop_keeps_the_heap_intact", "--test-threads=1"])
        .env(ITERS_ENV, "1")
        .output()
        .unwrap_or_else(|e| {
            panic!("valgrind could not be started ({e}); ci/bootstrap.sh installs it (Debian package valgrind)")
        });
    assert!(
        out.status.success(),
        "valgrind found memory errors (exit {:?}):\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}
