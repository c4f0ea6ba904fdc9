//! Input columns: one lane (int64 or float64) of values plus an optional validity mask.
//!
//! A column either owns its values (a Python list or tuple cast in Rust in one pass) or
//! borrows them zero-copy from a numpy array (buffer protocol, any stride) or a pyarrow
//! array (Arrow C Data Interface via `__arrow_c_array__`). Borrowed columns keep the owning
//! Python object alive, so a [`ColumnView`] stays valid for as long as the column lives.
//!
//! Null slots never hold garbage: kernels run every slot (a `while` loop on a producer's
//! leftover bytes could run for ever), so a column with nulls owns a copy of its values in
//! which every null slot holds the value of the nearest valid slot before it (the first
//! valid value for leading nulls, 0 when every slot is null: the JIT then runs no kernel), a value `func` is called with
//! anyway. Arrow input with nulls and several Arrow chunks (a ChunkedArray: one column for
//! the whole input, so errors are decided over it in index order) are copied; an Arrow
//! array without nulls and numpy data are borrowed.

use pyo3::buffer::PyUntypedBuffer;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyList, PyTuple};

use crate::error::{type_name, GilmapError, Result};

/// The input lane. `Bool` is the int64 lane whose elements were all Python `bool`s
/// (they are passed to `func` as `True`/`False`, not as `1`/`0`).
pub use gilmap_llvm::Lane;

/// A raw, `Send` view of a column's memory. Valid while the owning [`Column`] is alive.
#[derive(Debug, Clone, Copy)]
pub struct ColumnView {
    pub lane: Lane,
    pub len: usize,
    /// Index of element 0 in the whole input (a ChunkedArray's chunk), for messages.
    pub base: usize,
    data: *const u8,
    stride: isize,
    /// Arrow-style validity bitmap and its bit offset; null when every slot is valid.
    validity: *const u8,
    validity_offset: usize,
}

// SAFETY: the view only reads memory kept alive (and not mutated by gilmap) by its Column.
unsafe impl Send for ColumnView {}
unsafe impl Sync for ColumnView {}

impl ColumnView {
    /// Whether slot `i` (< len) holds a value (false for a null).
    #[inline]
    pub fn is_valid(&self, i: usize) -> bool {
        debug_assert!(i < self.len);
        if self.validity.is_null() {
            return true;
        }
        let bit = self.validity_offset + i;
        // SAFETY: callers pass i < len, and a non-null bitmap covers offset + len bits
        // (checked against the exported lengths, or owned with n bits).
        unsafe { (*self.validity.add(bit / 8) >> (bit % 8)) & 1 == 1 }
    }

    /// A view of plain values, for Rust tests and callers that own the memory.
    ///
    /// # Safety
    /// `values` must outlive every use of the view.
    pub unsafe fn from_values(values: &[u64], lane: Lane) -> ColumnView {
        ColumnView {
            lane,
            len: values.len(),
            base: 0,
            data: values.as_ptr() as *const u8,
            stride: 8,
            validity: std::ptr::null(),
            validity_offset: 0,
        }
    }

    /// Address of element `start` and the stride in 8-byte elements (for kernels).
    pub fn raw_ptr(&self, start: usize) -> (*const u8, i64) {
        debug_assert!(start <= self.len);
        // SAFETY: callers pass start <= len, so the address is within (or one element past)
        // the owning buffer; for len == 0 the offset is 0 (wrapping_offset would also do).
        (
            unsafe { self.data.offset(self.stride * start as isize) },
            (self.stride / 8) as i64,
        )
    }

    pub fn has_nulls(&self) -> bool {
        !self.validity.is_null()
    }

    /// The raw 8 bytes of element `i` (an i64 or the bits of an f64, per the lane).
    #[inline]
    pub fn raw(&self, i: usize) -> u64 {
        debug_assert!(i < self.len);
        // SAFETY: i < len; the stride and pointer come from the owning buffer.
        unsafe { (self.data.offset(self.stride * i as isize) as *const u64).read_unaligned() }
    }
}

/// What keeps a column's memory alive (never read directly: the view points into it).
#[allow(dead_code)]
enum Storage {
    Owned {
        values: Vec<u64>,
        validity: Option<Vec<u8>>,
    },
    Buffer(PyUntypedBuffer),
    Arrow(Py<PyAny>, Py<PyAny>),
}

impl Drop for Storage {
    fn drop(&mut self) {
        if let Storage::Owned { values, .. } = self {
            crate::bufpool::give_u64(std::mem::take(values));
        }
    }
}

/// An input column handed from Python to a backend.
#[pyclass(module = "gilmap._gilmap", frozen)]
pub struct Column {
    view: ColumnView,
    _storage: Storage,
}

impl Column {
    pub fn view(&self) -> ColumnView {
        self.view
    }

    /// A column owning its values; null slots (clear bits of `validity`, which must hold
    /// at least `values.len()` bits) are filled first (see the module comment).
    fn owned(lane: Lane, mut values: Vec<u64>, validity: Option<Vec<u8>>) -> Column {
        if let Some(bits) = &validity {
            fill_nulls(&mut values, bits);
        }
        let view = ColumnView {
            lane,
            len: values.len(),
            base: 0,
            data: values.as_ptr() as *const u8,
            stride: 8,
            validity: validity.as_ref().map_or(std::ptr::null(), |v| v.as_ptr()),
            validity_offset: 0,
        };
        Column {
            view,
            _storage: Storage::Owned { values, validity },
        }
    }
}

/// Gives every null slot (clear bit in `validity`) the value of the nearest valid slot
/// before it; leading nulls take the first valid value, and 0 stays when none is valid.
/// `func` is never called for these slots: the value only keeps kernels, which run every
/// slot, on an input `func` is called with anyway (bounded work, no garbage).
fn fill_nulls(values: &mut [u64], validity: &[u8]) {
    let n = values.len();
    assert!(
        validity.len() * 8 >= n,
        "validity bitmap shorter than the column"
    );
    let valid = |i: usize| (validity[i / 8] >> (i % 8)) & 1 == 1;
    let Some(first) = (0..n).find(|&i| valid(i)) else {
        values.fill(0);
        return;
    };
    let mut last = values[first];
    let mut i = 0;
    while i < n {
        // Whole bytes of valid slots: only the last value matters.
        if i % 8 == 0 && i + 8 <= n && validity[i / 8] == 0xFF {
            last = values[i + 7];
            i += 8;
            continue;
        }
        if valid(i) {
            last = values[i];
        } else {
            values[i] = last;
        }
        i += 1;
    }
}

#[derive(Default)]
struct ListCaster {
    values: Vec<u64>,
    validity: Option<Vec<u8>>,
    seen_float: bool,
    seen_int: bool,
    seen_bool: bool,
}

impl ListCaster {
    fn set_null(&mut self, i: usize, n: usize) {
        let bits = self.validity.get_or_insert_with(|| {
            let mut v = vec![0xFFu8; n.div_ceil(8)];
            if n % 8 != 0 {
                *v.last_mut().unwrap() = (1u8 << (n % 8)) - 1;
            }
            v
        });
        bits[i / 8] &= !(1u8 << (i % 8));
    }

    fn push_float(&mut self, x: f64) {
        if !self.seen_float {
            self.seen_float = true;
            // Switch the lane: every value cast so far was an int; re-cast it in place.
            for v in self.values.iter_mut() {
                *v = (*v as i64 as f64).to_bits();
            }
        }
        self.values.push(x.to_bits());
    }

    fn push_int(&mut self, x: i64) {
        if self.seen_float {
            self.values.push((x as f64).to_bits());
        } else {
            self.values.push(x as u64);
        }
    }

    /// Casts one element; `obj` is borrowed from the list or tuple.
    ///
    /// SAFETY: the GIL is held and `obj` is a valid object.
    unsafe fn push(
        &mut self,
        py: Python<'_>,
        i: usize,
        n: usize,
        obj: *mut ffi::PyObject,
    ) -> Result<()> {
        if obj == ffi::Py_None() {
            self.set_null(i, n);
            self.push_int(0);
        } else if ffi::PyBool_Check(obj) != 0 {
            self.seen_bool = true;
            self.push_int((obj == ffi::Py_True()) as i64);
        } else if ffi::PyLong_Check(obj) != 0 {
            self.seen_int = true;
            let mut overflow = 0;
            let v = ffi::PyLong_AsLongLongAndOverflow(obj, &mut overflow);
            if overflow != 0 {
                return Err(GilmapError::IntOutOfRange { index: i });
            }
            if v == -1 && !ffi::PyErr_Occurred().is_null() {
                return Err(PyErr::fetch(py).into());
            }
            self.push_int(v);
        } else if ffi::PyFloat_Check(obj) != 0 {
            self.push_float(ffi::PyFloat_AS_DOUBLE(obj));
        } else {
            let any = Bound::from_borrowed_ptr(py, obj);
            return Err(GilmapError::BadElement {
                index: i,
                type_name: type_name(&any),
            });
        }
        Ok(())
    }

    fn finish(self) -> Column {
        let lane = if self.seen_float {
            Lane::Float64
        } else if self.seen_bool && !self.seen_int {
            Lane::Bool
        } else {
            Lane::Int64
        };
        Column::owned(lane, self.values, self.validity)
    }
}

/// The item array and length of a list or tuple.
///
/// SAFETY (of using the result): the pointer is valid only while the GIL is held without
/// a break and no Python code runs (a list's item array moves when the list is resized,
/// and any thread may resize it once the GIL is released); a tuple's items live as long
/// as the tuple.
fn items_of(seq: &Bound<'_, PyAny>) -> Result<(*const *mut ffi::PyObject, usize)> {
    if let Ok(list) = seq.cast::<PyList>() {
        let l = list.as_ptr() as *mut ffi::PyListObject;
        // SAFETY: `l` is a live list (we hold a reference and the GIL); reading its item
        // array pointer does not dereference the items.
        Ok((
            unsafe { (*l).ob_item } as *const *mut ffi::PyObject,
            list.len(),
        ))
    } else if let Ok(tuple) = seq.cast::<PyTuple>() {
        let t = tuple.as_ptr() as *mut ffi::PyTupleObject;
        // SAFETY: `t` is a live tuple; its items are stored inline after the header.
        Ok((unsafe { (*t).ob_item.as_ptr() }, tuple.len()))
    } else {
        Err(PyErr::new::<pyo3::exceptions::PyTypeError, _>("expected a list or tuple").into())
    }
}

/// Casts a list or tuple in one pass: `None` is null, `bool`/`int` give int64, any `float`
/// switches the whole column to float64.
pub fn column_from_sequence(seq: &Bound<'_, PyAny>) -> Result<Column> {
    let py = seq.py();
    let (_, len) = items_of(seq)?;
    // Fetching (or first creating) the Rayon pool releases the GIL, so it happens before
    // the item pointer is read: while the GIL is released another thread may resize the
    // list (moving its item array) or free its items.
    let pool = if len >= crate::listscan::PAR_READ_MIN {
        Some(py.detach(crate::parallel::rayon_pool)?)
    } else {
        None
    };
    // From here to the end the GIL is held without a break and no Python code runs.
    let (items, n) = items_of(seq)?;
    if let (Some(pool), true) = (pool, n >= crate::listscan::PAR_READ_MIN) {
        let mut values = crate::bufpool::take_u64_any(n); // the scan writes all
                                                          // SAFETY: the GIL is held from `items_of` above to the end of the scan and no
                                                          // Python code runs, so `items` points at the list's n live items throughout.
        let items = unsafe { std::slice::from_raw_parts(items, n) };
        // SAFETY: as above; `values.len() == items.len()`.
        if let Some(lane) = unsafe { crate::listscan::scan(&pool, items, &mut values) } {
            return Ok(Column::owned(lane, values, None));
        }
    }
    let mut caster = ListCaster {
        values: Vec::with_capacity(n),
        ..Default::default()
    };
    for i in 0..n {
        // SAFETY: i < n and the GIL is held since `items_of`; casting runs no Python code
        // that could resize the list or free an item (PyLong/PyFloat/PyBool checks and
        // exact reads only; a bad element returns before anything else runs).
        unsafe { caster.push(py, i, n, *items.add(i))? };
    }
    Ok(caster.finish())
}

/// Borrows a 1-D int64 or float64 buffer (numpy array, memoryview), any stride.
///
/// With `validity` (an Arrow-style bitmap, bit i set when element i is valid: a numpy
/// masked array's inverted mask) the values are copied and the null slots filled (see the
/// module comment).
pub fn column_from_buffer(
    obj: &Bound<'_, PyAny>,
    lane: Lane,
    validity: Option<&[u8]>,
) -> Result<Column> {
    let buf = PyUntypedBuffer::get(obj)?;
    let fmt = buf.format().to_string_lossy().into_owned();
    let want: &[&str] = match lane {
        Lane::Float64 => &["d", "<d", "=d", "@d"],
        Lane::Int64 | Lane::Bool => &["l", "q", "<l", "<q", "=l", "=q", "@l", "@q"],
    };
    if buf.dimensions() != 1
        || buf.item_size() != 8
        || !want.contains(&fmt.as_str())
        || buf.strides()[0] % 8 != 0
    {
        return Err(PyErr::new::<pyo3::exceptions::PyTypeError, _>(format!(
            "gilmap internal: expected a 1-D {} buffer, got format {fmt:?} with {} dimensions",
            lane.storage_name(),
            buf.dimensions()
        ))
        .into());
    }
    let view = ColumnView {
        lane,
        len: buf.shape()[0],
        base: 0,
        data: buf.buf_ptr() as *const u8,
        stride: buf.strides()[0],
        validity: std::ptr::null(),
        validity_offset: 0,
    };
    if let Some(bits) = validity {
        let n = view.len;
        if bits.len() < n.div_ceil(8) {
            return Err(PyErr::new::<pyo3::exceptions::PyValueError, _>(format!(
                "gilmap internal: validity bitmap of {} bytes for {n} elements",
                bits.len()
            ))
            .into());
        }
        // The buffer export (`buf`) is alive here, so `view` reads valid memory.
        let values = (0..n).map(|i| view.raw(i)).collect();
        return Ok(Column::owned(
            lane,
            values,
            Some(bits[..n.div_ceil(8)].to_vec()),
        ));
    }
    Ok(Column {
        view,
        _storage: Storage::Buffer(buf),
    })
}

/// The two structs of the Arrow C Data Interface that gilmap reads.
#[repr(C)]
struct ArrowSchema {
    format: *const std::os::raw::c_char,
    name: *const std::os::raw::c_char,
    metadata: *const std::os::raw::c_char,
    flags: i64,
    n_children: i64,
    children: *mut *mut ArrowSchema,
    dictionary: *mut ArrowSchema,
    release: Option<unsafe extern "C" fn(*mut ArrowSchema)>,
    private_data: *mut std::ffi::c_void,
}

#[repr(C)]
struct ArrowArray {
    length: i64,
    null_count: i64,
    offset: i64,
    n_buffers: i64,
    n_children: i64,
    buffers: *mut *const std::ffi::c_void,
    children: *mut *mut ArrowArray,
    dictionary: *mut ArrowArray,
    release: Option<unsafe extern "C" fn(*mut ArrowArray)>,
    private_data: *mut std::ffi::c_void,
}

/// One exported Arrow array, checked: its capsules (which keep the exported buffers
/// alive) and where its values and validity lie.
struct ArrowPart {
    schema_cap: Py<PyAny>,
    array_cap: Py<PyAny>,
    /// Address of the first element's value (offset applied); dangling when `len == 0`.
    data: *const u8,
    /// The validity bitmap (bit `offset + i` for element i), null when no slot is null.
    validity: *const u8,
    offset: usize,
    len: usize,
}

impl ArrowPart {
    fn valid(&self, i: usize) -> bool {
        if self.validity.is_null() {
            return true;
        }
        let bit = self.offset + i;
        // SAFETY: i < len, and `export` checked that a non-null bitmap exists whenever
        // the producer reports nulls; it covers offset + length bits (C Data Interface).
        unsafe { (*self.validity.add(bit / 8) >> (bit % 8)) & 1 == 1 }
    }
}

/// Exports `array` through `__arrow_c_array__` and checks it is a plain int64 (`lane`
/// Int64/Bool) or float64 array whose buffers are where its lengths say.
fn export(array: &Bound<'_, PyAny>, lane: Lane) -> Result<ArrowPart> {
    let internal = |msg: String| -> GilmapError {
        PyErr::new::<pyo3::exceptions::PyTypeError, _>(format!("gilmap: {msg}")).into()
    };
    let pair = array.call_method0("__arrow_c_array__")?;
    let (schema_cap, array_cap): (Bound<'_, PyCapsule>, Bound<'_, PyCapsule>) = pair.extract()?;
    let schema = schema_cap.pointer_checked(Some(c"arrow_schema"))?.as_ptr() as *const ArrowSchema;
    let arr = array_cap.pointer_checked(Some(c"arrow_array"))?.as_ptr() as *const ArrowArray;
    // SAFETY: the capsules hold valid, unreleased structs while they are alive (they are
    // kept in the returned part); a schema's format is a NUL-terminated string.
    let (format, a) = unsafe { (std::ffi::CStr::from_ptr((*schema).format), &*arr) };
    let want = if lane == Lane::Float64 { c"g" } else { c"l" };
    if format != want || a.n_buffers != 2 || a.buffers.is_null() {
        return Err(internal(format!(
            "expected an Arrow {} array (2 buffers), got format {format:?} with {} buffers",
            lane.storage_name(),
            a.n_buffers
        )));
    }
    if a.length < 0 || a.offset < 0 || a.null_count < -1 {
        return Err(internal(format!(
            "invalid Arrow array (length {}, offset {}, null_count {})",
            a.length, a.offset, a.null_count
        )));
    }
    // SAFETY: n_buffers == 2 and `buffers` is non-null: two pointers, the validity bitmap
    // (may be null) and the values.
    let (validity, data) = unsafe { (*a.buffers as *const u8, *a.buffers.add(1) as *const u8) };
    let (len, offset) = (a.length as usize, a.offset as usize);
    if len > 0 && data.is_null() {
        return Err(internal(format!(
            "the Arrow array has {len} elements but no values buffer (null data pointer)"
        )));
    }
    if len > 0 && a.null_count > 0 && validity.is_null() {
        return Err(internal(format!(
            "the Arrow array reports {} nulls but has no validity bitmap",
            a.null_count
        )));
    }
    let data = if len == 0 {
        std::ptr::NonNull::<u64>::dangling().as_ptr() as *const u8
    } else {
        // SAFETY: a non-null values buffer holds offset + length elements.
        unsafe { data.add(offset * 8) }
    };
    Ok(ArrowPart {
        schema_cap: schema_cap.into_any().unbind(),
        array_cap: array_cap.into_any().unbind(),
        data,
        // null_count == 0: no nulls, whatever the pointer; -1 (unknown): the bitmap decides.
        validity: if a.null_count == 0 || len == 0 {
            std::ptr::null()
        } else {
            validity
        },
        offset,
        len,
    })
}

/// Borrows a pyarrow int64 (`lane` Int64/Bool) or float64 array zero-copy through
/// `__arrow_c_array__`; the capsules (and so the exported buffers) live as long as the
/// column. An array with nulls is copied (see the module comment).
pub fn column_from_arrow(array: &Bound<'_, PyAny>, lane: Lane) -> Result<Column> {
    column_from_arrow_chunks(std::slice::from_ref(array), lane)
}

/// One column for several Arrow arrays of the same lane, one after the other (the chunks
/// of a ChunkedArray). A single array without nulls is borrowed; anything else is copied
/// into an owned column, with null slots filled.
pub fn column_from_arrow_chunks(arrays: &[Bound<'_, PyAny>], lane: Lane) -> Result<Column> {
    let parts = arrays
        .iter()
        .map(|a| export(a, lane))
        .collect::<Result<Vec<_>>>()?;
    if let [p] = parts.as_slice() {
        // Kernels read whole aligned 8-byte values: an unaligned buffer is copied too.
        if p.validity.is_null() && p.data as usize % 8 == 0 {
            let view = ColumnView {
                lane,
                len: p.len,
                base: 0,
                data: p.data,
                stride: 8,
                validity: std::ptr::null(),
                validity_offset: 0,
            };
            let [p] = <[ArrowPart; 1]>::try_from(parts).ok().expect("one part");
            return Ok(Column {
                view,
                _storage: Storage::Arrow(p.schema_cap, p.array_cap),
            });
        }
    }
    let n: usize = parts.iter().map(|p| p.len).sum();
    let mut values = crate::bufpool::take_u64_any(n); // every slot is written below
    let mut validity = parts
        .iter()
        .any(|p| !p.validity.is_null())
        .then(|| vec![0u8; n.div_ceil(8)]);
    let mut at = 0;
    for p in &parts {
        if p.len > 0 {
            // SAFETY: `data` points at `len * 8` readable bytes (see `export`; any
            // alignment, hence a byte copy), which do not overlap the freshly taken
            // `values`, and `at + len <= n`.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    p.data,
                    values.as_mut_ptr().add(at) as *mut u8,
                    p.len * 8,
                )
            };
        }
        if let Some(bits) = validity.as_mut() {
            let mut i = 0;
            if p.validity.is_null() && at % 8 == 0 {
                // Whole bytes of valid slots.
                bits[at / 8..(at + p.len) / 8].fill(0xFF);
                i = p.len / 8 * 8;
            } else if (p.offset % 8, at % 8) == (0, 0) {
                // Byte-aligned on both sides: copy whole bytes of the bitmap.
                let whole = p.len / 8;
                // SAFETY: the bitmap covers offset + len bits (see `export`), so the
                // bytes from offset / 8 on hold at least `whole` full bytes.
                let src =
                    unsafe { std::slice::from_raw_parts(p.validity.add(p.offset / 8), whole) };
                bits[at / 8..at / 8 + whole].copy_from_slice(src);
                i = whole * 8;
            }
            for i in i..p.len {
                if p.valid(i) {
                    let j = at + i;
                    bits[j / 8] |= 1 << (j % 8);
                }
            }
        }
        at += p.len;
    }
    Ok(Column::owned(lane, values, validity))
}

#[pymethods]
impl Column {
    /// Casts a Python list or tuple (one pass in Rust).
    #[staticmethod]
    fn from_sequence(seq: &Bound<'_, PyAny>) -> PyResult<Column> {
        Ok(column_from_sequence(seq)?)
    }

    /// Borrows a 1-D int64/float64 buffer. `lane` is "int64", "bool" or "float64".
    /// `validity` (bytes, bit i set when element i is valid) makes masked slots nulls
    /// (the values are then copied).
    #[staticmethod]
    #[pyo3(signature = (obj, lane, validity = None))]
    fn from_buffer(
        obj: &Bound<'_, PyAny>,
        lane: &str,
        validity: Option<&[u8]>,
    ) -> PyResult<Column> {
        Ok(column_from_buffer(obj, parse_lane(lane)?, validity)?)
    }

    /// One column for the chunks of a ChunkedArray (pyarrow int64/float64 arrays, in
    /// order): the whole input runs as one column.
    #[staticmethod]
    fn from_arrow_chunks(arrays: Vec<Bound<'_, PyAny>>, lane: &str) -> PyResult<Column> {
        Ok(column_from_arrow_chunks(&arrays, parse_lane(lane)?)?)
    }

    /// Borrows a pyarrow int64/float64 array. `lane` is "int64", "bool" or "float64";
    /// `base` is the index of its first element in the whole input (for messages).
    #[staticmethod]
    #[pyo3(signature = (array, lane, base = 0))]
    fn from_arrow(array: &Bound<'_, PyAny>, lane: &str, base: usize) -> PyResult<Column> {
        let mut col = column_from_arrow(array, parse_lane(lane)?)?;
        col.view.base = base;
        Ok(col)
    }

    /// The input lane: "int64" or "float64".
    #[getter]
    fn lane(&self) -> &'static str {
        self.view.lane.storage_name()
    }

    /// True when every element is a Python bool (int64 lane).
    #[getter]
    fn is_bool(&self) -> bool {
        self.view.lane == Lane::Bool
    }

    fn __len__(&self) -> usize {
        self.view.len
    }

    /// Element `i` as the Python object `func` is called with (None for a null slot).
    fn value<'py>(&self, py: Python<'py>, i: usize) -> PyResult<Bound<'py, PyAny>> {
        if i >= self.view.len {
            return Err(pyo3::exceptions::PyIndexError::new_err(format!(
                "column index {i} out of range for length {}",
                self.view.len
            )));
        }
        if !self.view.is_valid(i) {
            return Ok(py.None().into_bound(py));
        }
        let raw = self.view.raw(i);
        Ok(match self.view.lane {
            Lane::Int64 => (raw as i64).into_pyobject(py)?.into_any(),
            Lane::Bool => pyo3::types::PyBool::new(py, raw != 0).to_owned().into_any(),
            Lane::Float64 => f64::from_bits(raw).into_pyobject(py)?.into_any(),
        })
    }

    /// Number of null slots.
    #[getter]
    fn null_count(&self) -> usize {
        (0..self.view.len)
            .filter(|&i| !self.view.is_valid(i))
            .count()
    }
}

pub fn parse_lane(lane: &str) -> PyResult<Lane> {
    Lane::parse(lane)
        .ok_or_else(|| pyo3::exceptions::PyValueError::new_err(format!("unknown lane {lane:?}")))
}
