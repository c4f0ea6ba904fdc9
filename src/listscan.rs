//! Reading a long list or tuple of plain numbers on several threads.
//!
//! Casting a list element is a pointer chase into a separate heap object, so one thread
//! spends most of the time waiting for memory. For long inputs the element pointers are
//! split into chunks read on the Rayon pool while the calling thread keeps the GIL: no
//! Python code can run, so nothing can change the list or its elements, and the workers
//! only read immutable objects (`float` values, exact `int`s through
//! `PyLong_AsLongLongAndOverflow`, which for an exact `int` neither allocates nor sets
//! an error). This is the one parallel call that keeps the GIL instead of going through
//! `parallel::wait`: it is a bounded memory scan of a few milliseconds, nothing to
//! interrupt.
//!
//! Only the common shape is handled here: every element an exact `float`, or every
//! element an exact `int` within int64 or a `bool`. Anything else (None, subclasses, big
//! ints, a mix of ints and floats) returns `None` and the caller casts serially, which
//! also produces the precise error for a bad element.

use pyo3::ffi;
use rayon::prelude::*;

use crate::column::Lane;

/// Below this many elements a second thread costs more than it saves.
pub const PAR_READ_MIN: usize = 1 << 16;
const CHUNK: usize = 1 << 14;

#[derive(Default, Clone, Copy)]
struct Seen {
    float: bool,
    int: bool,
    bool_: bool,
}

/// Casts `items` into `out` in parallel; the lane, or `None` to fall back (see module).
///
/// # Safety
/// The GIL is held by the caller for the whole call, every pointer in `items` is
/// a live object, and `out.len() == items.len()`.
pub unsafe fn scan(
    pool: &rayon::ThreadPool,
    items: &[*mut ffi::PyObject],
    out: &mut [u64],
) -> Option<Lane> {
    // Addresses, so the chunks can cross threads (the objects are only read).
    // SAFETY: pointers and usize have the same layout.
    let addrs: &[usize] = std::slice::from_raw_parts(items.as_ptr() as *const usize, items.len());
    let types = Types::get();
    let seen = pool.install(|| {
        out.par_chunks_mut(CHUNK)
            .zip(addrs.par_chunks(CHUNK))
            .map(|(o, a)| scan_chunk(&types, a, o))
            .try_reduce(Seen::default, |x, y| {
                Some(Seen {
                    float: x.float || y.float,
                    int: x.int || y.int,
                    bool_: x.bool_ || y.bool_,
                })
            })
    })?;
    match (seen.float, seen.int || seen.bool_) {
        (true, true) => None,
        (true, false) => Some(Lane::Float64),
        (false, _) if seen.int => Some(Lane::Int64),
        (false, _) => Some(Lane::Bool),
    }
}

/// The type objects and singletons compared against (their addresses only).
struct Types {
    float: usize,
    int: usize,
    true_: usize,
    false_: usize,
}

impl Types {
    fn get() -> Types {
        // SAFETY: taking the addresses of static type objects and singletons.
        unsafe {
            Types {
                float: std::ptr::addr_of_mut!(ffi::PyFloat_Type) as usize,
                int: std::ptr::addr_of_mut!(ffi::PyLong_Type) as usize,
                true_: ffi::Py_True() as usize,
                false_: ffi::Py_False() as usize,
            }
        }
    }
}

fn scan_chunk(t: &Types, addrs: &[usize], out: &mut [u64]) -> Option<Seen> {
    let mut seen = Seen::default();
    for (o, &a) in out.iter_mut().zip(addrs) {
        let obj = a as *mut ffi::PyObject;
        // SAFETY: a live object (see `scan`); reading its type and, for the exact types
        // checked, its immutable value.
        unsafe {
            let ty = ffi::Py_TYPE(obj) as usize;
            if ty == t.float {
                seen.float = true;
                *o = ffi::PyFloat_AS_DOUBLE(obj).to_bits();
            } else if ty == t.int {
                seen.int = true;
                let mut overflow = 0;
                let v = ffi::PyLong_AsLongLongAndOverflow(obj, &mut overflow);
                if overflow != 0 {
                    return None;
                }
                *o = v as u64;
            } else if a == t.true_ || a == t.false_ {
                seen.bool_ = true;
                *o = (a == t.true_) as u64;
            } else {
                return None;
            }
        }
    }
    Some(seen)
}
