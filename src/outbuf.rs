//! Output array memory that goes back to the buffer pool when Python frees it.
//!
//! An array output (numpy or Arrow) wraps an [`OutBuf`] through the buffer protocol
//! (`numpy.frombuffer`, `pyarrow.py_buffer`): the array keeps the `OutBuf` alive, and when
//! the last view is gone its memory returns to [`crate::bufpool`], so the next call of
//! the same size writes into pages that are already mapped instead of page-faulting a
//! fresh allocation. The memory is writable, like a bytearray's.

use std::os::raw::c_int;

use pyo3::ffi;
use pyo3::prelude::*;

use crate::error::Result;

#[pyclass(module = "gilmap._gilmap")]
pub struct OutBuf {
    /// u64 words: 8-byte alignment for any numeric dtype.
    data: Vec<u64>,
    len: usize,
}

impl OutBuf {
    /// A buffer of `len` bytes that `init` fills completely (its old contents are
    /// unspecified: a kept buffer is reused as it is).
    pub fn new_bound<'py>(
        py: Python<'py>,
        len: usize,
        init: impl FnOnce(&mut [u8]),
    ) -> Result<Bound<'py, OutBuf>> {
        let mut data = crate::bufpool::take_u64_any(len.div_ceil(8));
        let ptr = data.as_mut_ptr() as *mut u8;
        crate::output::advise_huge_pages(ptr, len);
        if len > 0 {
            // SAFETY: `data` holds at least `len` initialised bytes.
            init(unsafe { std::slice::from_raw_parts_mut(ptr, len) });
        }
        Ok(Bound::new(py, OutBuf { data, len })?)
    }

    /// Start of the bytes (stable: the buffer never grows).
    pub fn as_mut_ptr(&self) -> *mut u8 {
        self.data.as_ptr() as *mut u8
    }

    pub fn bytes(&self) -> &[u8] {
        // SAFETY: `len` bytes of `data` are initialised.
        unsafe { std::slice::from_raw_parts(self.data.as_ptr() as *const u8, self.len) }
    }
}

#[pymethods]
impl OutBuf {
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        let (ptr, len) = {
            let b = slf.borrow();
            (b.as_mut_ptr(), b.len)
        };
        // SAFETY: `view` comes from the caller of the buffer protocol; the memory lives as
        // long as `slf`, which PyBuffer_FillInfo references from the view.
        if ffi::PyBuffer_FillInfo(
            view,
            slf.as_ptr(),
            ptr as *mut _,
            len as ffi::Py_ssize_t,
            0,
            flags,
        ) == -1
        {
            return Err(PyErr::fetch(slf.py()));
        }
        Ok(())
    }

    unsafe fn __releasebuffer__(&self, _view: *mut ffi::Py_buffer) {}

    fn __len__(&self) -> usize {
        self.len
    }
}

impl Drop for OutBuf {
    fn drop(&mut self) {
        crate::bufpool::give_u64(std::mem::take(&mut self.data));
    }
}
