//! The kernel ABI: everything the compiled code and the extension (`src/`) must agree on,
//! defined once here and imported by both sides.
//!
//! - [`Lane`]: what the 8 input bytes of an element are (an i64, a Python bool stored as
//!   an i64 0/1, or the bits of an f64).
//! - Result tags: one byte per element saying what its 8 value bytes hold. The kernel
//!   writes `TAG_INT`, `TAG_FLOAT`, `TAG_BOOL`, `TAG_NONE` or `TAG_DEOPT`; the extension
//!   adds `TAG_NULL` (a null input slot), `TAG_BIG` (an int beyond int64, kept as an
//!   object) and `TAG_OBJ` (any other object) when it re-evaluates elements with CPython.
//!   Every tag is below [`TAG_COUNT`], so a set of seen tags fits in a `u8` bit mask.
//! - [`KernelFn`]: the kernel's signature (see `kernel.rs` for what each argument is).
//! - NaN results: a kernel never decides a NaN's bits (CPython's are what its C code gives
//!   on the hardware; LLVM may fold or rewrite NaN-producing operations with any sign). A
//!   kernel that writes tags tags such an element `TAG_DEOPT`; a kernel with a static
//!   `TAG_FLOAT` writes no tags, and the caller treats every value for which [`is_nan`]
//!   holds as `TAG_DEOPT`.

/// The input lane of a kernel (and of a column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lane {
    Int64,
    /// int64 lane whose elements are Python bools.
    Bool,
    Float64,
}

impl Lane {
    /// The lane's name: "int64", "bool" or "float64".
    pub fn name(self) -> &'static str {
        match self {
            Lane::Int64 => "int64",
            Lane::Bool => "bool",
            Lane::Float64 => "float64",
        }
    }

    /// The storage type of the 8 bytes: "int64" (also for bools) or "float64".
    pub fn storage_name(self) -> &'static str {
        match self {
            Lane::Int64 | Lane::Bool => "int64",
            Lane::Float64 => "float64",
        }
    }

    /// The lane named `name` ("int64", "bool" or "float64").
    pub fn parse(name: &str) -> Option<Lane> {
        match name {
            "int64" => Some(Lane::Int64),
            "bool" => Some(Lane::Bool),
            "float64" => Some(Lane::Float64),
            _ => None,
        }
    }
}

/// A null input slot (never written by a kernel).
pub const TAG_NULL: u8 = 0;
/// An i64.
pub const TAG_INT: u8 = 1;
/// The bits of an f64.
pub const TAG_FLOAT: u8 = 2;
/// A bool (0 or 1).
pub const TAG_BOOL: u8 = 3;
/// An int beyond int64 (extension only: the value is an object).
pub const TAG_BIG: u8 = 4;
/// `None`.
pub const TAG_NONE: u8 = 5;
/// The kernel could not decide this element: CPython re-evaluates it.
pub const TAG_DEOPT: u8 = 6;
/// Any other object (extension only).
pub const TAG_OBJ: u8 = 7;
/// Number of tags: every tag is below it.
pub const TAG_COUNT: usize = 8;

/// `kernel(in, stride, tags, vals, n, caps, abort)`.
pub type KernelFn =
    unsafe extern "C" fn(*const u8, i64, *mut u8, *mut u64, i64, *const u64, *const u8);

/// Whether the 8 value bytes `bits` are a NaN (any sign or payload). Branch-free, so a loop
/// over a slice vectorizes.
#[inline]
pub fn is_nan(bits: u64) -> bool {
    bits & !(1 << 63) > 0x7ff0_0000_0000_0000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_distinct_and_below_the_count() {
        let tags = [
            TAG_NULL, TAG_INT, TAG_FLOAT, TAG_BOOL, TAG_BIG, TAG_NONE, TAG_DEOPT, TAG_OBJ,
        ];
        for (i, a) in tags.iter().enumerate() {
            assert!((*a as usize) < TAG_COUNT);
            assert!(tags[i + 1..].iter().all(|b| a != b));
        }
    }

    #[test]
    fn lanes_round_trip_by_name() {
        for l in [Lane::Int64, Lane::Bool, Lane::Float64] {
            assert_eq!(Lane::parse(l.name()), Some(l));
        }
        assert_eq!(Lane::parse("int32"), None);
    }

    #[test]
    fn nan_bits() {
        for v in [f64::NAN, -f64::NAN, f64::from_bits(0x7ff0_0000_0000_0001)] {
            assert!(is_nan(v.to_bits()));
        }
        for v in [0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, f64::MAX, 1.5] {
            assert!(!is_nan(v.to_bits()));
        }
    }
}
