//! The `numba_native` runner: native code numba compiled, called over Rayon chunks with
//! the GIL released (see `gilmap/backends/numba_native.py` for how the code is obtained).
//!
//! Two shapes of entry point:
//! - `chunk`: `intp f(in_t *in, intp stride, out_t *out, intp n)`, a loop numba compiled
//!   around a dispatcher; `in_t` is the lane (int64 or float64) and `stride` counts
//!   elements. It stops at the first element whose call raised and returns its index
//!   plus one (-1 when none did; 0 when the exception escaped numba's `try`, index
//!   unknown); a null slot's failure is skipped and the loop resumed. The caller re-raises
//!   the lowest failing element by calling the dispatcher from there on, so the exception
//!   is numba's own.
//! - `scalar`: a user's `@cfunc` `ret f(arg)`, called once per element with the lane value
//!   cast to `arg` (`as` casts: truncation toward zero, saturating).
//!
//! Both write the native return type into a fresh buffer (its dtype is the signature's).
//! Null slots are passed a 0 and their results are masked by the validity the caller gets
//! back.

use std::sync::atomic::{AtomicUsize, Ordering};

use pyo3::prelude::*;
use pyo3::types::PyByteArray;

use crate::column::{Column, ColumnView, Lane};
use crate::outbuf::OutBuf;
use crate::parallel;

/// The shortest range (the cost per element is unknown: short enough to balance); up to
/// this many elements run on the calling thread (native code cannot be interrupted
/// anyway, and waking the pool costs tens of microseconds).
const CHUNK: usize = 1024;

type ChunkFn = unsafe extern "C" fn(*const u8, isize, *mut u8, isize) -> isize;

/// Raw pointers of one run, shared with the pool threads (valid until the run ends).
#[derive(Clone, Copy)]
struct Ptrs {
    input: ColumnView,
    out: *mut u8,
    addr: usize,
}
// SAFETY: each chunk writes a disjoint range; the caller waits for every chunk.
unsafe impl Send for Ptrs {}
unsafe impl Sync for Ptrs {}

/// A lane value converted to a native argument type.
trait FromLane: Copy {
    fn from_i64(v: i64) -> Self;
    fn from_f64(v: f64) -> Self;
}

macro_rules! num_from_lane {
    ($($t:ty),*) => {$(
        impl FromLane for $t {
            #[inline]
            fn from_i64(v: i64) -> Self { v as $t }
            #[inline]
            fn from_f64(v: f64) -> Self { v as $t }
        }
    )*};
}
num_from_lane!(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64);

impl FromLane for bool {
    #[inline]
    fn from_i64(v: i64) -> Self {
        v != 0
    }
    #[inline]
    fn from_f64(v: f64) -> Self {
        v != 0.0
    }
}

/// Calls a `ret f(arg)` address on `[start, end)`.
///
/// # Safety
/// `p.addr` is a C function `R f(A)`; `p.out` has room for `end` values of `R`.
unsafe fn run_scalar<A: FromLane, R: Copy>(p: &Ptrs, start: usize, end: usize) {
    let f: unsafe extern "C" fn(A) -> R = std::mem::transmute(p.addr);
    let out = p.out as *mut R;
    let float = p.input.lane == Lane::Float64;
    for i in start..end {
        let raw = if p.input.is_valid(i) {
            p.input.raw(i)
        } else {
            0
        };
        let a = if float {
            A::from_f64(f64::from_bits(raw))
        } else {
            A::from_i64(raw as i64)
        };
        out.add(i).write_unaligned(f(a));
    }
}

/// `(size in bytes)` of a native type name, or None.
fn itemsize(name: &str) -> Option<usize> {
    Some(match name {
        "int8" | "uint8" | "bool" => 1,
        "int16" | "uint16" => 2,
        "int32" | "uint32" | "float32" => 4,
        "int64" | "uint64" | "float64" => 8,
        _ => return None,
    })
}

/// Binds `$T` to the Rust type named by `$name` (a native type name) in `$body`.
macro_rules! with_type {
    ($name:expr, $T:ident, $body:block) => {
        match $name {
            "int8" => {
                type $T = i8;
                $body
            }
            "int16" => {
                type $T = i16;
                $body
            }
            "int32" => {
                type $T = i32;
                $body
            }
            "int64" => {
                type $T = i64;
                $body
            }
            "uint8" => {
                type $T = u8;
                $body
            }
            "uint16" => {
                type $T = u16;
                $body
            }
            "uint32" => {
                type $T = u32;
                $body
            }
            "uint64" => {
                type $T = u64;
                $body
            }
            "float32" => {
                type $T = f32;
                $body
            }
            "float64" => {
                type $T = f64;
                $body
            }
            "bool" => {
                type $T = bool;
                $body
            }
            other => unreachable!("checked type name {other}"),
        }
    };
}

type Runner = unsafe fn(&Ptrs, usize, usize);

fn scalar_runner(arg: &str, ret: &str) -> Runner {
    with_type!(arg, A, {
        with_type!(ret, R, { run_scalar::<A, R> as Runner })
    })
}

/// Output validity (Arrow bitmap from bit 0) and null count, or `None` when no nulls.
fn validity(view: &ColumnView) -> Option<(Vec<u8>, usize)> {
    if !view.has_nulls() {
        return None;
    }
    let mut bits = vec![0u8; view.len.div_ceil(8)];
    let mut nulls = 0;
    for i in 0..view.len {
        if view.is_valid(i) {
            bits[i / 8] |= 1 << (i % 8);
        } else {
            nulls += 1;
        }
    }
    Some((bits, nulls))
}

type NativeOut<'py> = (
    Bound<'py, OutBuf>,
    Option<usize>,
    Option<Bound<'py, PyByteArray>>,
    usize,
);

/// Runs `f` (a `chunk` entry) on `[start, end)`; the lowest valid failing index, if any
/// (or, when the entry cannot tell, the lowest index at or after which one failed).
///
/// # Safety
/// `p.addr` is a chunk entry for the column's lane and `p.out`'s item size `size`.
unsafe fn run_chunk(p: &Ptrs, size: usize, start: usize, end: usize) -> Option<usize> {
    let f: ChunkFn = std::mem::transmute(p.addr);
    let mut pos = start;
    while pos < end {
        let (base, stride) = p.input.raw_ptr(pos);
        let r = f(
            base,
            stride as isize,
            p.out.add(pos * size),
            (end - pos) as isize,
        );
        if r < 0 {
            return None;
        }
        if r == 0 {
            // Escaped: some element in [pos, end) failed, none before pos did.
            return Some(pos);
        }
        let i = pos + r as usize - 1;
        if p.input.is_valid(i) {
            return Some(i);
        }
        pos = i + 1; // a null slot's placeholder failed: its result is masked anyway
    }
    None
}

/// Runs native code over `column`; returns `(values, first_error, validity, null_count)`:
/// `values` holds `len` items of `ret`; `first_error` (for `kind="chunk"`) an index below
/// which no call raised and at which (or, when numba could not tell, after which) one did; `validity` an Arrow bitmap or None.
///
/// `address` must be a live function of the shape `kind` names ("chunk" or "scalar",
/// see the module) with these types: the caller (gilmap's numba backend) guarantees it.
#[pyfunction]
#[pyo3(signature = (column, address, kind, arg, ret))]
pub fn native_map<'py>(
    py: Python<'py>,
    column: &Bound<'py, Column>,
    address: usize,
    kind: &str,
    arg: &str,
    ret: &str,
) -> PyResult<NativeOut<'py>> {
    use pyo3::exceptions::PyValueError;
    let (Some(_), Some(size)) = (itemsize(arg), itemsize(ret)) else {
        return Err(PyValueError::new_err(format!(
            "native_map: unsupported native types {arg} -> {ret}"
        )));
    };
    if address == 0 {
        return Err(PyValueError::new_err("native_map: null function address"));
    }
    let view = column.get().view();
    let n = view.len;
    // Every item is written by the native code (null slots get a placeholder's result).
    let values = OutBuf::new_bound(py, n * size, |_| {})?;
    let chunked = match kind {
        "chunk" => true,
        "scalar" => false,
        other => {
            return Err(PyValueError::new_err(format!(
                "native_map: unknown entry kind {other:?}"
            )))
        }
    };
    // `values` (n items of `ret`) outlives the run; only the native code writes it.
    let p = Ptrs {
        input: view,
        out: values.borrow().as_mut_ptr(),
        addr: address,
    };
    let mut first_error = None;
    if chunked {
        let lowest = std::sync::Arc::new(AtomicUsize::new(usize::MAX));
        let low = lowest.clone();
        parallel::run_chunks(py, n, CHUNK, true, move |start, end, _abort| {
            let p = p; // capture the whole (Send) struct, not its raw-pointer fields
                       // A chunk after a known failure cannot change the answer.
            if start > low.load(Ordering::Relaxed) {
                return 0;
            }
            // SAFETY: the backend compiled `addr` with this signature; chunks write
            // disjoint output ranges.
            if let Some(i) = unsafe { run_chunk(&p, size, start, end) } {
                low.fetch_min(i, Ordering::Relaxed);
            }
            0
        })?;
        let i = lowest.load(Ordering::Relaxed);
        first_error = (i != usize::MAX).then_some(i);
    } else {
        let run = scalar_runner(arg, ret);
        parallel::run_chunks(py, n, CHUNK, true, move |start, end, _abort| {
            let p = p;
            // SAFETY: a `ret f(arg)` address; chunks write disjoint output ranges.
            unsafe { run(&p, start, end) };
            0
        })?;
    }
    let (validity, nulls) = match validity(&view) {
        Some((bits, nulls)) => (Some(PyByteArray::new(py, &bits)), nulls),
        None => (None, 0),
    };
    Ok((values, first_error, validity, nulls))
}
