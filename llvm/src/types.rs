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
    /// A number or `None` (a flag plus the number).
    OrNone(Box<Ty>),
    /// A number, or a local that is not bound on some path (a flag plus the number).
    OrUnbound(Box<Ty>),
}

impl Ty {
    pub fn is_number(&self) -> bool {
        matches!(self, Ty::Int | Ty::Float | Ty::Bool)
    }

    /// Whether values of this type exist at run time (need phis).
    pub fn is_runtime(&self) -> bool {
        matches!(
            self,
            Ty::Int | Ty::Float | Ty::Bool | Ty::Range { .. } | Ty::OrNone(_) | Ty::OrUnbound(_)
        )
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
            Ty::OrNone(t) => write!(f, "{t}|None"),
            Ty::OrUnbound(t) => write!(f, "{t}|unbound"),
        }
    }
}

/// The type of a value reaching a join from two paths.
///
/// Numbers joined with `None` (or with "unbound") become optional numbers; a local that
/// is unbound on one path and holds a compile-time object on the other stays unbound (it
/// is refused only if read).
pub fn join(a: &Ty, b: &Ty, what: &str, loc: Loc) -> Result<Ty> {
    if a == b {
        return Ok(a.clone());
    }
    let base = |t: &Ty| -> Option<Ty> {
        match t {
            Ty::Int | Ty::Float | Ty::Bool => Some(t.clone()),
            Ty::OrNone(x) | Ty::OrUnbound(x) => Some((**x).clone()),
            _ => None,
        }
    };
    let mismatch = || {
        CompileError::ty(
            format!("{what} is {a} on one path and {b} on another (the JIT needs one type)"),
            loc,
        )
    };
    match (a, b) {
        (Ty::Bottom, t) | (t, Ty::Bottom) => Ok(t.clone()),
        (Ty::NoneT, t) | (t, Ty::NoneT)
            if matches!(t, Ty::Int | Ty::Float | Ty::Bool | Ty::OrNone(_)) =>
        {
            Ok(Ty::OrNone(Box::new(base(t).unwrap())))
        }
        (Ty::OrNone(x), t) | (t, Ty::OrNone(x))
            if base(t).as_ref() == Some(&**x) && !matches!(t, Ty::OrUnbound(_)) =>
        {
            Ok(Ty::OrNone(x.clone()))
        }
        (Ty::Undef, t) | (t, Ty::Undef) => Ok(match base(t) {
            Some(bt) if !matches!(t, Ty::OrNone(_)) => Ty::OrUnbound(Box::new(bt)),
            _ => Ty::Undef,
        }),
        (Ty::OrUnbound(x), t) | (t, Ty::OrUnbound(x))
            if base(t).as_ref() == Some(&**x) && !matches!(t, Ty::OrNone(_)) =>
        {
            Ok(Ty::OrUnbound(x.clone()))
        }
        _ => Err(mismatch()),
    }
}

/// Display a list of types, e.g. `[int, float]`.
pub fn show(tys: &[Ty]) -> String {
    let parts: Vec<String> = tys.iter().map(|t| t.to_string()).collect();
    format!("[{}]", parts.join(", "))
}
