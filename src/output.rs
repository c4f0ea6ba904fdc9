//! Results of a map, and their conversion to the output container.
//!
//! A backend fills a [`Results`] (one tag and 8 payload bytes per element, written at
//! disjoint indices from many threads). The binding layer turns it into a Python list with
//! each element's own type, or into the raw buffers of a numpy/pyarrow array whose dtype is
//! the unification of the element types (bool < int64 < float64).

use std::cell::UnsafeCell;
use std::sync::Mutex;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyList, PyTuple};

use crate::column::Lane;
use crate::error::{GilmapError, Result};
use crate::outbuf::OutBuf;

// The result tags (gilmap_llvm::abi): TAG_BIG is an int outside int64 (its decimal text
// is in `Results::bigs`), TAG_OBJ any other object CPython returned (list output only, in
// `objs`), TAG_NONE is kept by a list output and refused by an array output.
pub use gilmap_llvm::{
    TAG_BIG, TAG_BOOL, TAG_DEOPT, TAG_FLOAT, TAG_INT, TAG_NONE, TAG_NULL, TAG_OBJ,
};

/// `PyFloat_FromDouble` without its free-list lookup, which costs a thread-local read
/// per float (the list is a million new floats; the free list holds at most 100):
/// `PyObject_Malloc`, then what `PyObject_Init` does for a static type in a GIL build
/// (type, reference count 1) written inline, and the value. `PyObject_Init` would also
/// tell tracemalloc about the new reference when it traces; the allocation itself is
/// traced either way (it goes through the hooked allocator), so only that refinement
/// is skipped when tracing is on.
///
/// SAFETY: the GIL is held.
#[inline]
unsafe fn new_float(x: f64) -> *mut ffi::PyObject {
    let op = ffi::PyObject_Malloc(std::mem::size_of::<ffi::PyFloatObject>()) as *mut ffi::PyObject;
    if op.is_null() {
        return ffi::PyErr_NoMemory();
    }
    let f = op as *mut ffi::PyFloatObject;
    std::ptr::write(
        f,
        ffi::PyFloatObject {
            ob_base: ffi::PyObject_HEAD_INIT,
            ob_fval: x,
        },
    );
    (*op).ob_type = std::ptr::addr_of_mut!(ffi::PyFloat_Type);
    op
}

/// Per-element results, written concurrently at disjoint indices.
pub struct Results {
    tags: UnsafeCell<Vec<u8>>,
    vals: UnsafeCell<Vec<u64>>,
    bigs: Mutex<Vec<(usize, String)>>,
    objs: Mutex<Vec<(usize, Py<PyAny>)>>,
}

impl Drop for Results {
    fn drop(&mut self) {
        crate::bufpool::give_u8(std::mem::take(self.tags.get_mut()));
        crate::bufpool::give_u64(std::mem::take(self.vals.get_mut()));
    }
}

// SAFETY: every index is written by exactly one worker (the chunk dispenser hands out
// disjoint ranges) and read only after all workers have finished.
unsafe impl Sync for Results {}
unsafe impl Send for Results {}

impl Results {
    pub fn new(n: usize) -> Results {
        Results {
            tags: UnsafeCell::new(crate::bufpool::take_u8(n, TAG_NULL)),
            vals: UnsafeCell::new(crate::bufpool::take_u64(n, 0)),
            bigs: Mutex::new(Vec::new()),
            objs: Mutex::new(Vec::new()),
        }
    }

    /// Results from arrays a kernel filled.
    pub fn from_parts(tags: Vec<u8>, vals: Vec<u64>) -> Results {
        Results {
            tags: UnsafeCell::new(tags),
            vals: UnsafeCell::new(vals),
            bigs: Mutex::new(Vec::new()),
            objs: Mutex::new(Vec::new()),
        }
    }

    /// Raw pointers to the tag and value arrays, for a kernel writing them in place.
    pub fn raw_parts(&self) -> (*mut u8, *mut u64) {
        // SAFETY: the vectors are never resized after `new`.
        unsafe {
            (
                (*self.tags.get()).as_mut_ptr(),
                (*self.vals.get()).as_mut_ptr(),
            )
        }
    }

    /// The tag of element `i` (no writer may be running).
    pub fn tag(&self, i: usize) -> u8 {
        // SAFETY: read after every writer finished.
        unsafe { (&*self.tags.get())[i] }
    }

    /// Stores a result CPython produced for element `i`, by its type.
    pub fn store_object(&self, py: Python<'_>, i: usize, obj: &Bound<'_, PyAny>) -> PyResult<()> {
        let p = obj.as_ptr();
        // SAFETY: the GIL is held; single writer.
        unsafe {
            if ffi::PyBool_Check(p) != 0 {
                self.set(i, TAG_BOOL, (p == ffi::Py_True()) as u64);
            } else if ffi::PyLong_Check(p) != 0 {
                let mut overflow = 0;
                let v = ffi::PyLong_AsLongLongAndOverflow(p, &mut overflow);
                if overflow != 0 {
                    self.set_big(i, obj.str()?.to_string());
                } else if v == -1 && !ffi::PyErr_Occurred().is_null() {
                    return Err(PyErr::fetch(py));
                } else {
                    self.set(i, TAG_INT, v as u64);
                }
            } else if ffi::PyFloat_Check(p) != 0 {
                self.set(i, TAG_FLOAT, ffi::PyFloat_AS_DOUBLE(p).to_bits());
            } else if p == ffi::Py_None() {
                self.set(i, TAG_NONE, 0);
            } else {
                self.set(i, TAG_OBJ, 0);
                self.objs.lock().unwrap().push((i, obj.clone().unbind()));
            }
        }
        Ok(())
    }

    /// Stores element `i`'s result.
    ///
    /// # Safety
    /// `i` is in range and no other thread writes index `i`.
    #[inline]
    pub unsafe fn set(&self, i: usize, tag: u8, val: u64) {
        *(*self.tags.get()).as_mut_ptr().add(i) = tag;
        *(*self.vals.get()).as_mut_ptr().add(i) = val;
    }

    /// Moves the results out, leaving this one empty.
    ///
    /// # Safety
    /// No other thread may still write to `self`.
    pub unsafe fn take(&self) -> Results {
        Results {
            tags: UnsafeCell::new(std::mem::take(&mut *self.tags.get())),
            vals: UnsafeCell::new(std::mem::take(&mut *self.vals.get())),
            bigs: Mutex::new(std::mem::take(&mut *self.bigs.lock().unwrap())),
            objs: Mutex::new(std::mem::take(&mut *self.objs.lock().unwrap())),
        }
    }

    pub fn set_big(&self, i: usize, text: String) {
        // SAFETY: as for `set`.
        unsafe { self.set(i, TAG_BIG, 0) };
        self.bigs.lock().unwrap().push((i, text));
    }

    fn parts(&mut self) -> (&[u8], &[u64]) {
        (self.tags.get_mut(), self.vals.get_mut())
    }

    fn big(&self, i: usize) -> String {
        let bigs = self.bigs.lock().unwrap();
        bigs.iter()
            .find(|(j, _)| *j == i)
            .map(|(_, s)| s.clone())
            .unwrap_or_default()
    }

    /// A Python list: each element with the type `func` returned, `None` at null slots.
    pub fn to_list<'py>(mut self, py: Python<'py>) -> Result<Bound<'py, PyList>> {
        let mut bigs: Vec<(usize, String)> = std::mem::take(&mut *self.bigs.lock().unwrap());
        let mut objs: Vec<(usize, Py<PyAny>)> = std::mem::take(&mut *self.objs.lock().unwrap());
        // Side tables in index order, consumed by a cursor (workers push out of order).
        bigs.sort_unstable_by_key(|(i, _)| *i);
        objs.sort_unstable_by_key(|(i, _)| *i);
        let (mut next_big, mut next_obj) = (bigs.iter(), objs.iter());
        let (tags, vals) = self.parts();
        let n = tags.len();
        // SAFETY: PyList_New(n) then PyList_SET_ITEM for every index before it escapes.
        unsafe {
            let list = ffi::PyList_New(n as ffi::Py_ssize_t);
            if list.is_null() {
                return Err(PyErr::fetch(py).into());
            }
            let list = Bound::from_owned_ptr(py, list).cast_into_unchecked::<PyList>();
            for i in 0..n {
                let v = vals[i];
                let obj = match tags[i] {
                    TAG_INT => ffi::PyLong_FromLongLong(v as i64),
                    TAG_FLOAT => new_float(f64::from_bits(v)),
                    TAG_BOOL => ffi::PyBool_FromLong(v as _),
                    TAG_BIG => {
                        let text = &next_big.find(|(j, _)| *j == i).expect("big int text").1;
                        let c = std::ffi::CString::new(text.as_str()).expect("decimal text");
                        ffi::PyLong_FromString(c.as_ptr(), std::ptr::null_mut(), 10)
                    }
                    TAG_OBJ => {
                        let o = &next_obj.find(|(j, _)| *j == i).expect("object result").1;
                        ffi::Py_NewRef(o.as_ptr())
                    }
                    _ => ffi::Py_NewRef(ffi::Py_None()),
                };
                if obj.is_null() {
                    return Err(PyErr::fetch(py).into());
                }
                ffi::PyList_SET_ITEM(list.as_ptr(), i as ffi::Py_ssize_t, obj);
            }
            Ok(list)
        }
    }

    /// Raw parts of an array: `(dtype, values, validity-or-None, null_count)`, dtype one of
    /// "bool" (bit-packed), "int64", "float64" (`base` offsets indices in messages). `fallback` is the dtype when no element
    /// produced a value (empty or all-null input); `bitpack_bool` selects Arrow's layout.
    pub fn to_array<'py>(
        mut self,
        py: Python<'py>,
        fallback: Lane,
        bitpack_bool: bool,
        base: usize,
    ) -> Result<Bound<'py, PyTuple>> {
        let (tags, vals) = self.parts();
        let n = tags.len();
        let (mut any_int, mut any_float, mut any_bool, mut nulls) = (false, false, false, 0usize);
        for (i, &t) in tags.iter().enumerate() {
            match t {
                TAG_INT => any_int = true,
                TAG_FLOAT => any_float = true,
                TAG_BOOL => any_bool = true,
                TAG_BIG => {
                    return Err(GilmapError::ResultOverflow {
                        index: i + base,
                        value: self.big(i),
                    })
                }
                TAG_NONE | TAG_OBJ => {
                    let type_name = if t == TAG_NONE {
                        "NoneType".to_string()
                    } else {
                        self.objs
                            .lock()
                            .unwrap()
                            .iter()
                            .find(|(j, _)| *j == i)
                            .map_or_else(
                                || "object".to_string(),
                                |(_, o)| Python::attach(|py| crate::error::type_name(o.bind(py))),
                            )
                    };
                    return Err(GilmapError::NonNumberResult {
                        index: i + base,
                        type_name,
                    });
                }
                _ => nulls += 1,
            }
        }
        // No value at all (empty or all-null input): the input's own lane type, so an
        // empty float64 input stays float64 and an empty bool input stays bool.
        let dtype = if any_float {
            "float64"
        } else if any_int {
            "int64"
        } else if any_bool || fallback == Lane::Bool {
            "bool"
        } else {
            fallback.storage_name()
        };
        let data = match dtype {
            "float64" => OutBuf::new_bound(py, n * 8, |out| {
                for i in 0..n {
                    let x = match tags[i] {
                        TAG_FLOAT => f64::from_bits(vals[i]),
                        TAG_INT => vals[i] as i64 as f64,
                        TAG_BOOL => vals[i] as f64,
                        _ => 0.0,
                    };
                    out[i * 8..i * 8 + 8].copy_from_slice(&x.to_ne_bytes());
                }
            })?,
            "int64" => OutBuf::new_bound(py, n * 8, |out| {
                for i in 0..n {
                    let x = if tags[i] == TAG_NULL {
                        0
                    } else {
                        vals[i] as i64
                    };
                    out[i * 8..i * 8 + 8].copy_from_slice(&x.to_ne_bytes());
                }
            })?,
            _ if bitpack_bool => OutBuf::new_bound(py, n.div_ceil(8), |out| {
                out.fill(0);
                for i in (0..n).filter(|&i| tags[i] == TAG_BOOL && vals[i] != 0) {
                    out[i / 8] |= 1 << (i % 8);
                }
            })?,
            _ => OutBuf::new_bound(py, n, |out| {
                for i in 0..n {
                    out[i] = (tags[i] == TAG_BOOL && vals[i] != 0) as u8;
                }
            })?,
        };
        let validity = if nulls == 0 {
            py.None()
        } else {
            new_bytearray(py, n.div_ceil(8), |out| {
                out.fill(0);
                for i in (0..n).filter(|&i| tags[i] != TAG_NULL) {
                    out[i / 8] |= 1 << (i % 8);
                }
            })?
            .into_any()
            .unbind()
        };
        let items = [
            pyo3::types::PyString::new(py, dtype).into_any(),
            data.into_any(),
            validity.into_bound(py),
            pyo3::types::PyInt::new(py, nulls).into_any(),
        ];
        Ok(PyTuple::new(py, items)?)
    }
}

/// Asks the kernel for transparent huge pages on a large fresh buffer (as numpy does):
/// writing a new 80 MB output otherwise costs one page fault per 4 KiB.
pub fn advise_huge_pages(ptr: *mut u8, len: usize) {
    const HUGE: usize = 2 << 20;
    if len < 4 * HUGE {
        return;
    }
    let start = (ptr as usize).div_ceil(HUGE) * HUGE;
    let end = (ptr as usize + len) / HUGE * HUGE;
    if end > start {
        // SAFETY: the range lies inside the allocation; madvise only changes paging.
        unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE) };
    }
}

/// A bytearray of `len` bytes filled by `init` (no zero-fill first).
pub fn new_bytearray<'py>(
    py: Python<'py>,
    len: usize,
    init: impl FnOnce(&mut [u8]),
) -> Result<Bound<'py, PyByteArray>> {
    // SAFETY: PyByteArray_FromStringAndSize(NULL, len) allocates len uninitialised bytes,
    // which `init` must fully write; u8 has no invalid bit patterns.
    unsafe {
        let obj = ffi::PyByteArray_FromStringAndSize(std::ptr::null(), len as ffi::Py_ssize_t);
        if obj.is_null() {
            return Err(PyErr::fetch(py).into());
        }
        let ba = Bound::from_owned_ptr(py, obj).cast_into_unchecked::<PyByteArray>();
        if len > 0 {
            let ptr = ffi::PyByteArray_AsString(ba.as_ptr()) as *mut u8;
            advise_huge_pages(ptr, len);
            init(std::slice::from_raw_parts_mut(ptr, len));
        }
        Ok(ba)
    }
}
