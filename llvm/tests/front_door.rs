//! The compiler's front door under random input: mutated gnb texts (from every fixture:
//! lines deleted, duplicated, swapped; opcodes, operands, jump targets and header numbers
//! replaced; text cut or garbled) go through parsing, CFG building, typing and lowering
//! (`lower_only`), and every 8th one through the whole compile (optimization and linking).
//! Each must give a program or a `CompileError`: a panic fails the test with the seed and
//! the text. (An abort would end the test binary: that fails it too.)
//!
//! `GILMAP_FRONT_DOOR_ITERS` sets the number of programs (default 3000; `make fuzz` runs
//! more), `GILMAP_FRONT_DOOR_SEED` the first seed.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};

use gilmap_llvm::{compile_with, lower_only, Lane, Simt};

/// A small deterministic generator (xorshift64*): no dependency, same programs everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

const OPS: &[&str] = &[
    "NOP",
    "LOAD_FAST",
    "LOAD_FAST_CHECK",
    "STORE_FAST",
    "LOAD_CONST",
    "LOAD_DEREF",
    "LOAD_GLOBAL",
    "LOAD_ATTR",
    "BINARY_OP",
    "COMPARE_OP",
    "IS_OP",
    "CONTAINS_OP",
    "UNARY_NEGATIVE",
    "UNARY_INVERT",
    "UNARY_NOT",
    "UNARY_POSITIVE",
    "TO_BOOL",
    "POP_JUMP_IF_FALSE",
    "POP_JUMP_IF_TRUE",
    "POP_JUMP_IF_NONE",
    "POP_JUMP_IF_NOT_NONE",
    "JUMP",
    "GET_ITER",
    "FOR_ITER",
    "POP_TOP",
    "COPY",
    "SWAP",
    "UNPACK_SEQUENCE",
    "CALL",
    "RETURN_VALUE",
    "UNSUPPORTED",
];

const TOKENS: &[&str] = &[
    "0",
    "1",
    "2",
    "-1",
    "7",
    "99",
    "4294967296",
    "-9223372036854775808",
    "9223372036854775807",
    "99999999999999999999",
    "int",
    "float",
    "bool",
    "none",
    "0x7ff8000000000000",
    "0xfff0000000000000",
    "+",
    "-",
    "*",
    "/",
    "//",
    "%",
    "**",
    "<<",
    ">>",
    "&",
    "|",
    "^",
    "<",
    "==",
    "!=",
    ">=",
    "builtin",
    "math",
    "sqrt",
    "range",
    "abs",
    "pow",
    "round",
    "min",
    "max",
    "const",
    "func",
    "capture",
    "@0",
    "@2",
    "@4",
    "@6",
    "@1000",
    "@-2",
    "",
    "\u{fffd}",
];

fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for _ in 0..1 + rng.below(4) {
        if lines.is_empty() {
            break;
        }
        let i = rng.below(lines.len());
        match rng.below(9) {
            0 => {
                lines.remove(i);
            }
            1 => {
                let l = lines[i].clone();
                lines.insert(rng.below(lines.len() + 1), l);
            }
            2 => {
                let j = rng.below(lines.len());
                lines.swap(i, j);
            }
            3 | 4 => {
                // An instruction with another opcode, or another operand.
                let mut words: Vec<String> = lines[i].split(' ').map(str::to_string).collect();
                let k = rng.below(words.len());
                if words.len() > 2 && rng.below(2) == 0 {
                    words[2] = rng.pick(OPS).to_string();
                } else if rng.below(3) == 0 {
                    words.push(rng.pick(TOKENS).to_string());
                } else {
                    words[k] = rng.pick(TOKENS).to_string();
                }
                lines[i] = words.join(" ");
            }
            5 => {
                // A header number (argc=, nlocals=, firstline=) or a local's index.
                let n = rng
                    .pick(&["0", "1", "2", "3", "255", "70000", "-1"])
                    .to_string();
                let l = &lines[i];
                lines[i] = match l.find('=') {
                    Some(p) => {
                        let end = l[p..].find(' ').map_or(l.len(), |e| p + e);
                        format!("{}{}{}", &l[..=p], n, &l[end..])
                    }
                    None => format!("{l} {n}"),
                };
            }
            6 => {
                // A jump target moved to another instruction's offset (or past the end).
                let off = 2 * rng.below(lines.len() + 2);
                lines[i] = lines[i]
                    .split(' ')
                    .map(|w| {
                        if w.starts_with('@') && w.len() > 1 {
                            format!("@{off}")
                        } else {
                            w.into()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" ");
            }
            7 => {
                let cut = rng.below(lines[i].len() + 1);
                let cut = (0..=cut)
                    .rev()
                    .find(|&c| lines[i].is_char_boundary(c))
                    .unwrap_or(0);
                lines[i].truncate(cut);
            }
            _ => {
                // Another fixture's instruction, or an instruction with random operands.
                let op = rng.pick(OPS);
                let a = rng.pick(TOKENS);
                let b = rng.pick(TOKENS);
                lines.insert(i, format!("@{} L1 {op} {a} {b}", 2 * rng.below(40)));
            }
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

#[test]
fn mutated_programs_give_errors_not_panics() {
    let env = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let iters = env("GILMAP_FRONT_DOOR_ITERS", 3000);
    let first = env("GILMAP_FRONT_DOOR_SEED", 1);
    let fixtures = common::all();
    assert!(
        !fixtures.is_empty(),
        "no fixtures in {}",
        common::dir().display()
    );
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut failures = Vec::new();
    let (mut accepted, mut refused) = (0u64, 0u64);
    for seed in first..first + iters {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let fx = rng.pick(&fixtures);
        let text = mutate(&mut rng, &fx.text);
        let lane = *rng.pick(&[Lane::Int64, Lane::Float64, Lane::Bool]);
        let full = seed % 8 == 0;
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            if full {
                compile_with(&text, lane, Simt::On).map(|_| ())
            } else {
                lower_only(&text, lane).map(|_| ())
            }
        }));
        match outcome {
            Ok(Ok(())) => accepted += 1,
            Ok(Err(_)) => refused += 1,
            Err(p) => {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!(
                    "seed {seed} ({}, {lane:?}): panic {msg}\n{text}",
                    fx.name
                ));
            }
        }
    }
    std::panic::set_hook(hook);
    eprintln!("front door: {iters} programs, {accepted} compiled, {refused} refused");
    assert!(
        failures.is_empty(),
        "{} of {iters} programs panicked:\n{}",
        failures.len(),
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n---\n")
    );
}
