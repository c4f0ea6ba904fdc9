//! Stage 3: the types of abstract values.
//!
//! Runtime types (`Int` = int64, `Float` = float64, `Bool`, `Range` = a range iterator or
//! object) carry an LLVM value; the others are known at compile time (a module, a math
//! function, a builtin, a callee, a constant tuple or string, `None`). `Bottom` is "no
//! value yet" (the result of a recursive call whose return type is still being inferred).

use std::fmt;

use crate::error::{CompileError, Loc, Result};
use crate::parse::Const;

#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Bottom,
    /// A local that is not bound on some path.
    Undef,
    Int,
    Float,
    Bool,
    NoneT,
    /// `range(...)`: `iter` is false before `GET_ITER`.
    Range {
        iter: bool,
    },
    Module,
    MathFn(String),
    Builtin(String),
    Func(u32),
    Tuple(Vec<Const>),
    Str(String),
    /// A global the reader could not resolve (or an int constant beyond int64).
    Unsupported(String),
}

impl Ty {
    pub fn is_number(&self) -> bool {
        matches!(self, Ty::Int | Ty::Float | Ty::Bool)
    }

    /// Whether values of this type exist at run time (need phis).
    pub fn is_runtime(&self) -> bool {
        matches!(self, Ty::Int | Ty::Float | Ty::Bool | Ty::Range { .. })
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Bottom => write!(f, "bottom"),
            Ty::Undef => write!(f, "unbound"),
            Ty::Int => write!(f, "int"),
            Ty::Float => write!(f, "float"),
            Ty::Bool => write!(f, "bool"),
            Ty::NoneT => write!(f, "None"),
            Ty::Range { iter: false } => write!(f, "range"),
            Ty::Range { iter: true } => write!(f, "range_iterator"),
            Ty::Module => write!(f, "module math"),
            Ty::MathFn(n) => write!(f, "math.{n}"),
            Ty::Builtin(n) => write!(f, "builtin {n}"),
            Ty::Func(i) => write!(f, "func{i}"),
            Ty::Tuple(items) => write!(f, "tuple[{}]", items.len()),
            Ty::Str(s) => write!(f, "str {s:?}"),
            Ty::Unsupported(n) => write!(f, "unsupported {n}"),
        }
    }
}

/// The type of a value reaching a join from two paths.
pub fn join(a: &Ty, b: &Ty, what: &str, loc: Loc) -> Result<Ty> {
    if a == b {
        return Ok(a.clone());
    }
    match (a, b) {
        (Ty::Bottom, t) | (t, Ty::Bottom) => Ok(t.clone()),
        (Ty::Undef, _) | (_, Ty::Undef) => Err(CompileError::ty(
            format!("{what} may be unbound here (the JIT needs it bound on every path)"),
            loc,
        )),
        _ => Err(CompileError::ty(
            format!("{what} is {a} on one path and {b} on another (the JIT needs one type)"),
            loc,
        )),
    }
}

/// Display a list of types, e.g. `[int, float]`.
pub fn show(tys: &[Ty]) -> String {
    let parts: Vec<String> = tys.iter().map(|t| t.to_string()).collect();
    format!("[{}]", parts.join(", "))
}
