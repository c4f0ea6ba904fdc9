//! Stage tests over the gnb fixtures (tests/fixtures, generated from the JIT corpus by
//! tests/fixtures/regen.py): every fixture parses (stage 1) and every function in it gets a
//! CFG (stage 2); a representative subset has insta snapshots of the CFG dump, the typed
//! IR and the unoptimized LLVM IR (`lower_only`) in tests/snapshots/.
//!
//! After an intended change to a stage, review and accept the new snapshots with
//! `INSTA_UPDATE=always cargo test -p gilmap-llvm --test stages` (or `cargo insta review`)
//! and read the diff of tests/snapshots/ before committing it.

mod common;

use gilmap_llvm::{cfg, lower_only, parse, CompileError};

/// Text form of stage 2 for a whole program: every function's CFG dump under its header.
fn cfg_text(text: &str) -> String {
    let prog = parse::parse(text).unwrap_or_else(|e| panic!("{e}"));
    let mut out = String::new();
    for f in &prog.funcs {
        out.push_str(&format!("func {} {}\n", f.id, f.name));
        match &f.refusal {
            Some(reason) => out.push_str(&format!("refused: {reason}\n")),
            None => {
                let g = cfg::build(f).unwrap_or_else(|e| panic!("{}: {e}", f.name));
                out.push_str(&g.dump(f));
            }
        }
    }
    out
}

#[test]
fn every_fixture_parses_and_has_a_cfg() {
    let mut failures = Vec::new();
    let names = common::names();
    for name in &names {
        let fx = common::load(name);
        let prog = match parse::parse(&fx.text) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{name}: parse: {e}"));
                continue;
            }
        };
        if prog.funcs[0].argc != 1 {
            failures.push(format!(
                "{name}: function 0 has argc {}",
                prog.funcs[0].argc
            ));
        }
        for f in &prog.funcs {
            if f.refusal.is_some() {
                continue;
            }
            if f.instrs.is_empty() {
                failures.push(format!("{name}: {} has no instructions", f.name));
                continue;
            }
            let g = match cfg::build(f) {
                Ok(g) => g,
                Err(e) => {
                    failures.push(format!("{name}: cfg of {}: {e}", f.name));
                    continue;
                }
            };
            // Structural invariants of the CFG: the entry first in RPO, blocks tile the
            // instructions, successors in range, each reachable block once in RPO.
            if g.rpo.first() != Some(&0) {
                failures.push(format!("{name}: {}: rpo does not start at bb0", f.name));
            }
            let mut next = 0;
            for (b, blk) in g.blocks.iter().enumerate() {
                if blk.start != next || blk.end <= blk.start {
                    failures.push(format!("{name}: {}: bb{b} does not tile", f.name));
                }
                next = blk.end;
                if blk.succs.iter().any(|&s| s >= g.blocks.len()) {
                    failures.push(format!("{name}: {}: bb{b} successor out of range", f.name));
                }
            }
            if next != f.instrs.len() {
                failures.push(format!("{name}: {}: blocks end at {next}", f.name));
            }
            let mut seen = vec![false; g.blocks.len()];
            for &b in &g.rpo {
                if std::mem::replace(&mut seen[b], true) {
                    failures.push(format!("{name}: {}: bb{b} twice in rpo", f.name));
                }
                for &s in &g.blocks[b].succs {
                    if !g.rpo.contains(&s) {
                        failures.push(format!("{name}: {}: bb{s} reachable, not in rpo", f.name));
                    }
                }
            }
            if g.dump(f).lines().count() != g.rpo.len() {
                failures.push(format!("{name}: {}: dump is not one line a block", f.name));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures:\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );
}

/// The snapshots of one fixture: CFG dump, typed IR, unoptimized LLVM IR.
fn snapshot(name: &str) {
    let fx = common::load(name);
    insta::assert_snapshot!(format!("{name}_cfg"), cfg_text(&fx.text));
    let (typed, llvm) = lower_only(&fx.text, fx.lane).unwrap_or_else(|e| panic!("{name}: {e}"));
    insta::assert_snapshot!(format!("{name}_typed"), typed);
    insta::assert_snapshot!(format!("{name}_llvm"), llvm);
}

macro_rules! snapshots {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                snapshot(stringify!($name));
            }
        )*
        /// Every snapshot case is a fixture (a renamed corpus case must be renamed here).
        #[test]
        fn snapshot_cases_exist() {
            let names = common::names();
            for n in [$(stringify!($name)),*] {
                assert!(names.iter().any(|x| x == n), "no fixture {n}");
            }
        }
    };
}

snapshots!(
    add1,
    fpoly,
    floordiv,
    chain,
    and_or,
    ternary,
    if_else,
    collatz,
    sum_range,
    nested,
    call_square,
    c_affine,
    math_sqrt,
    isnan,
);

// ---------------------------------------------------------------- stage 1/2 error texts

fn parse_err(text: &str) -> String {
    match parse::parse(text) {
        Ok(_) => panic!("parsed: {text}"),
        Err(e) => e.to_string(),
    }
}

fn cfg_err(text: &str) -> CompileError {
    let prog = parse::parse(text).unwrap_or_else(|e| panic!("{e}"));
    match cfg::build(&prog.funcs[0]) {
        Ok(g) => panic!("built a cfg: {}", g.dump(&prog.funcs[0])),
        Err(e) => e,
    }
}

#[test]
fn parse_errors_name_the_text_line() {
    let e = parse_err("gnb 2\nfunc 0 f argc=1 nlocals=1\nend\n");
    assert!(e.contains("line 1") && e.contains("version 2"), "{e}");
    let e = parse_err("gnb 1\nfunc 0 f argc=1 nlocals=1\nlocal 0 x\n@0 L1 JUMP 4\nend\n");
    assert!(e.contains("line 4") && e.contains("@OFFSET"), "{e}");
    let e = parse_err("gnb 1\nfunc 0 f argc=1 nlocals=1\n@0 L1 LOAD_CONST cplx 1\nend\n");
    assert!(e.contains("line 3") && e.contains("cplx"), "{e}");
    let e = parse_err("gnb 1\nfunc 1 f argc=1 nlocals=1\nend\n");
    assert!(e.contains("consecutive"), "{e}");
    let e = parse_err("gnb 1\nfunc 0 f argc=1 nlocals=1\n@0 L1 NOP\n");
    assert!(e.contains("missing end"), "{e}");
    let e = parse_err("gnb 1\n@0 L1 NOP\n");
    assert!(e.contains("outside func"), "{e}");
}

#[test]
fn unknown_opnames_parse_as_unsupported_and_refuse_when_reached() {
    let text = "gnb 1\nfunc 0 f argc=1 nlocals=1\nlocal 0 x\n\
                @0 L1 LOAD_FAST 0\n@2 L1 FROBNICATE 3 x\n@4 L1 RETURN_VALUE\nend\n";
    let prog = parse::parse(text).unwrap();
    assert_eq!(
        prog.funcs[0].instrs[1].op,
        parse::Op::Unsupported("FROBNICATE".into(), "3 x".into())
    );
    let e = lower_only(text, gilmap_llvm::Lane::Int64).unwrap_err();
    assert!(
        matches!(&e, CompileError::Unsupported { opname, loc, .. } if opname == "FROBNICATE" && loc.offset == 2),
        "{e:?}"
    );
}

#[test]
fn cfg_errors() {
    let e = cfg_err(
        "gnb 1\nfunc 0 f argc=1 nlocals=1\nlocal 0 x\n@0 L1 LOAD_FAST 0\n@2 L1 JUMP @40\nend\n",
    );
    assert!(e.to_string().contains("jump target @40 not found"), "{e}");
    let e = cfg_err("gnb 1\nfunc 0 f argc=1 nlocals=1\nlocal 0 x\n@0 L1 LOAD_FAST 0\nend\n");
    assert!(e.to_string().contains("falls off the end"), "{e}");
    let e = cfg_err("gnb 1\nfunc 0 f argc=1 nlocals=1\nlocal 0 x\nend\n");
    assert!(e.to_string().contains("no instructions"), "{e}");
}

#[test]
fn refused_function_zero_is_the_refusal() {
    let text = "gnb 1\nfunc 0 g argc=1 nlocals=1 firstline=3\n\
                refuse generator functions are not compiled (line 3)\nend\n";
    let e = lower_only(text, gilmap_llvm::Lane::Int64).unwrap_err();
    assert_eq!(
        e.to_string(),
        "generator functions are not compiled (line 3)"
    );
}
