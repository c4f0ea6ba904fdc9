//! The gnb fixtures in `tests/fixtures/` (generated from the JIT corpus by
//! `tests/fixtures/regen.py`, which documents the file formats).

#![allow(dead_code)] // each test crate uses a different part of this module

use std::path::{Path, PathBuf};

use gilmap_llvm::{Kernel, Lane};

/// CPython's result for one input (`NAME.expect`).
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    Int(i64),
    /// An int outside int64 (decimal): the kernel must deopt.
    BigInt(String),
    Float(u64),
    Bool(bool),
    None,
    /// CPython raises this exception: the kernel must deopt.
    Raise(String),
    /// A result type the kernel cannot produce (e.g. `complex`): the kernel must deopt.
    Other(String),
}

impl std::fmt::Display for Expect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expect::Int(v) => write!(f, "int {v}"),
            Expect::BigInt(v) => write!(f, "int {v}"),
            Expect::Float(b) => write!(f, "float {:?} (0x{b:016x})", f64::from_bits(*b)),
            Expect::Bool(b) => write!(f, "bool {b}"),
            Expect::None => write!(f, "None"),
            Expect::Raise(e) => write!(f, "raise {e}"),
            Expect::Other(t) => write!(f, "other {t}"),
        }
    }
}

/// One corpus case.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub name: String,
    pub text: String,
    pub lane: Lane,
    /// The inputs as raw 8-byte values (i64, or f64 bits).
    pub inputs: Vec<u64>,
    pub expect: Vec<Expect>,
    /// The closure cells' values as raw 8-byte values (empty for plain functions).
    pub caps: Vec<u64>,
}

/// `tests/fixtures`, or the directory named by `GILMAP_LLVM_FIXTURES` (to run the tests on
/// fixtures generated elsewhere, e.g. by regen.py on another Python into a scratch folder).
pub fn dir() -> PathBuf {
    match std::env::var_os("GILMAP_LLVM_FIXTURES") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"),
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn float_bits(s: &str) -> u64 {
    let hex = s
        .strip_prefix("0x")
        .unwrap_or_else(|| panic!("float bits {s:?}"));
    u64::from_str_radix(hex, 16).unwrap_or_else(|e| panic!("float bits {s:?}: {e}"))
}

/// A raw 8-byte value: `int V`, `float 0xBITS` or `bool 0|1`.
fn raw_value(line: &str) -> u64 {
    match line.split_once(' ') {
        Some(("int", v)) => v.parse::<i64>().unwrap_or_else(|e| panic!("{line:?}: {e}")) as u64,
        Some(("float", v)) => float_bits(v),
        Some(("bool", v)) => (v == "1") as u64,
        _ => panic!("bad value line {line:?}"),
    }
}

fn expect_line(line: &str) -> Expect {
    match line.split_once(' ').unwrap_or((line, "")) {
        ("int", v) => match v.parse::<i64>() {
            Ok(i) => Expect::Int(i),
            Err(_) => {
                assert!(
                    v.trim_start_matches('-')
                        .bytes()
                        .all(|b| b.is_ascii_digit()),
                    "{line:?}"
                );
                Expect::BigInt(v.to_string())
            }
        },
        ("float", v) => Expect::Float(float_bits(v)),
        ("bool", v) => Expect::Bool(v == "1"),
        ("none", _) => Expect::None,
        ("raise", e) => Expect::Raise(e.to_string()),
        ("other", t) => Expect::Other(t.to_string()),
        _ => panic!("bad expect line {line:?}"),
    }
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty())
}

pub fn load(name: &str) -> Fixture {
    let d = dir();
    let text = read(&d.join(format!("{name}.gnb")));
    let lane = match read(&d.join(format!("{name}.lane"))).trim() {
        "int64" => Lane::Int64,
        "float64" => Lane::Float64,
        "bool" => Lane::Bool,
        other => panic!("{name}.lane: unknown lane {other:?}"),
    };
    let inputs: Vec<u64> = lines(&read(&d.join(format!("{name}.inputs"))))
        .map(raw_value)
        .collect();
    let expect: Vec<Expect> = lines(&read(&d.join(format!("{name}.expect"))))
        .map(expect_line)
        .collect();
    assert_eq!(inputs.len(), expect.len(), "{name}: inputs vs expect");
    let caps_path = d.join(format!("{name}.caps"));
    let caps = if caps_path.exists() {
        lines(&read(&caps_path)).map(raw_value).collect()
    } else {
        Vec::new()
    };
    Fixture {
        name: name.to_string(),
        text,
        lane,
        inputs,
        expect,
        caps,
    }
}

/// The names of every fixture (every `NAME.gnb`), sorted.
pub fn names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .expect("tests/fixtures")
        .filter_map(|e| {
            let p = e.ok()?.path();
            (p.extension()? == "gnb").then(|| p.file_stem()?.to_str().map(String::from))?
        })
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no fixtures in {}", dir().display());
    names
}

pub fn all() -> Vec<Fixture> {
    names().iter().map(|n| load(n)).collect()
}

/// Runs `k` over `inputs` laid out at `stride` (gaps filled with junk), with `caps` as the
/// closure cells' values; returns each element's (tag, value bits).
pub fn run_kernel(k: &Kernel, inputs: &[u64], stride: usize, caps: &[u64]) -> Vec<(u8, u64)> {
    let n = inputs.len();
    let mut buf = vec![0xdead_beef_dead_beef_u64; n * stride];
    for (i, x) in inputs.iter().enumerate() {
        buf[i * stride] = *x;
    }
    let mut tags = vec![0xffu8; n];
    let mut vals = vec![0u64; n];
    // SAFETY: `buf` holds n elements at `stride`, tags/vals n slots, caps one value per
    // capture (the callers pass the kernel's own fixture or a function without captures).
    unsafe {
        k.run(
            buf.as_ptr() as *const u8,
            stride as i64,
            tags.as_mut_ptr(),
            vals.as_mut_ptr(),
            n,
            caps.as_ptr(),
        )
    };
    tags.into_iter().zip(vals).collect()
}
