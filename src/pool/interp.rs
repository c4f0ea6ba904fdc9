//! Raw CPython calls made inside a worker's own sub-interpreter.
//!
//! PyO3's GIL machinery belongs to the main interpreter, so worker code uses `pyo3::ffi`
//! directly. Every function here must be called on the worker thread, with its
//! interpreter's thread state current (which it always is, from creation to ending).

use std::ffi::{CStr, CString};
use std::sync::Mutex;

use pyo3::ffi;

use crate::error::CapturedException;

/// Creation and ending of sub-interpreters is serialized (3.12 has races there).
static LIFECYCLE: Mutex<()> = Mutex::new(());

/// An owned reference to an object of the worker's interpreter.
pub struct Owned(*mut ffi::PyObject);

impl Owned {
    /// Takes a new reference; `None` when `ptr` is null (a Python error is set).
    pub unsafe fn new(ptr: *mut ffi::PyObject) -> Option<Owned> {
        (!ptr.is_null()).then_some(Owned(ptr))
    }

    pub fn ptr(&self) -> *mut ffi::PyObject {
        self.0
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        // SAFETY: created on this worker thread with its interpreter current.
        unsafe { ffi::Py_DecRef(self.0) }
    }
}

/// A worker's interpreter: created by, used by, and ended by one OS thread.
pub struct SubInterpreter {
    tstate: *mut ffi::PyThreadState,
}

impl SubInterpreter {
    /// Creates an own-GIL sub-interpreter on the current thread, which must have no
    /// thread state. The thread keeps the interpreter's GIL until [`SubInterpreter::end`].
    pub fn create() -> Result<SubInterpreter, String> {
        let _guard = LIFECYCLE.lock().unwrap_or_else(|e| e.into_inner());
        let config = ffi::PyInterpreterConfig {
            use_main_obmalloc: 0,
            allow_fork: 0,
            allow_exec: 0,
            allow_threads: 1,
            allow_daemon_threads: 0,
            check_multi_interp_extensions: 1,
            gil: ffi::PyInterpreterConfig_OWN_GIL,
        };
        let mut tstate = std::ptr::null_mut();
        // SAFETY: no thread state is current on this fresh thread.
        let status = unsafe { ffi::Py_NewInterpreterFromConfig(&mut tstate, &config) };
        if unsafe { ffi::PyStatus_Exception(status) } != 0 || tstate.is_null() {
            let msg = if status.err_msg.is_null() {
                "Py_NewInterpreterFromConfig failed".to_string()
            } else {
                unsafe { CStr::from_ptr(status.err_msg) }
                    .to_string_lossy()
                    .into_owned()
            };
            return Err(msg);
        }
        Ok(SubInterpreter { tstate })
    }

    pub fn id(&self) -> i64 {
        // SAFETY: called on the worker's own thread, which holds its interpreter's GIL
        // for life (so there is a current interpreter).
        unsafe { ffi::PyInterpreterState_GetID(ffi::PyInterpreterState_Get()) }
    }

    /// Ends the interpreter (objects of it must have been dropped first).
    pub fn end(self) {
        let _guard = LIFECYCLE.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: tstate is current on this thread and holds the interpreter's GIL.
        unsafe { ffi::Py_EndInterpreter(self.tstate) }
    }
}

/// `str(obj)` as a Rust string; clears any error.
pub unsafe fn to_str(obj: *mut ffi::PyObject) -> Option<String> {
    let s = Owned::new(ffi::PyObject_Str(obj));
    let Some(s) = s else {
        ffi::PyErr_Clear();
        return None;
    };
    let mut size = 0;
    let p = ffi::PyUnicode_AsUTF8AndSize(s.ptr(), &mut size);
    if p.is_null() {
        ffi::PyErr_Clear();
        return None;
    }
    let bytes = std::slice::from_raw_parts(p as *const u8, size as usize);
    Some(String::from_utf8_lossy(bytes).into_owned())
}

unsafe fn attr_str(obj: *mut ffi::PyObject, name: &CStr) -> Option<String> {
    let Some(v) = Owned::new(ffi::PyObject_GetAttrString(obj, name.as_ptr())) else {
        ffi::PyErr_Clear();
        return None;
    };
    to_str(v.ptr())
}

/// Takes the raised exception and describes it (type, message, formatted traceback).
pub unsafe fn capture_exception() -> CapturedException {
    let Some(exc) = Owned::new(ffi::PyErr_GetRaisedException()) else {
        return CapturedException {
            type_module: "builtins".into(),
            type_qualname: "SystemError".into(),
            message: "error return without exception set".into(),
            traceback: String::new(),
        };
    };
    let ty = ffi::Py_TYPE(exc.ptr()) as *mut ffi::PyObject;
    let traceback = format_traceback(exc.ptr()).unwrap_or_default();
    CapturedException {
        type_module: attr_str(ty, c"__module__").unwrap_or_else(|| "builtins".into()),
        type_qualname: attr_str(ty, c"__qualname__").unwrap_or_else(|| "Exception".into()),
        message: to_str(exc.ptr()).unwrap_or_default(),
        traceback,
    }
}

unsafe fn format_traceback(exc: *mut ffi::PyObject) -> Option<String> {
    let module = Owned::new(ffi::PyImport_ImportModule(c"traceback".as_ptr()));
    let result = module.and_then(|m| {
        let f = Owned::new(ffi::PyObject_GetAttrString(
            m.ptr(),
            c"format_exception".as_ptr(),
        ))?;
        let lines = Owned::new(ffi::PyObject_CallOneArg(f.ptr(), exc))?;
        let empty = Owned::new(ffi::PyUnicode_FromString(c"".as_ptr()))?;
        let joined = Owned::new(ffi::PyUnicode_Join(empty.ptr(), lines.ptr()))?;
        to_str(joined.ptr())
    });
    if result.is_none() {
        ffi::PyErr_Clear();
    }
    result
}

/// Replaces `sys.path` with `paths`.
pub unsafe fn set_sys_path(paths: &[String]) -> Result<(), CapturedException> {
    let list = Owned::new(ffi::PyList_New(0)).ok_or_else(|| capture_exception())?;
    for p in paths {
        let c = CString::new(p.as_str()).unwrap_or_default();
        let item =
            Owned::new(ffi::PyUnicode_FromString(c.as_ptr())).ok_or_else(|| capture_exception())?;
        if ffi::PyList_Append(list.ptr(), item.ptr()) != 0 {
            return Err(capture_exception());
        }
    }
    if ffi::PySys_SetObject(c"path".as_ptr(), list.ptr()) != 0 {
        return Err(capture_exception());
    }
    Ok(())
}

/// `import module` then walk `qualname` attribute by attribute.
pub unsafe fn import_qualname(module: &str, qualname: &str) -> Result<Owned, CapturedException> {
    let c = CString::new(module).unwrap_or_default();
    let mut obj =
        Owned::new(ffi::PyImport_ImportModule(c.as_ptr())).ok_or_else(|| capture_exception())?;
    for part in qualname.split('.') {
        let c = CString::new(part).unwrap_or_default();
        obj = Owned::new(ffi::PyObject_GetAttrString(obj.ptr(), c.as_ptr()))
            .ok_or_else(|| capture_exception())?;
    }
    Ok(obj)
}

/// Sets `func.__globals__[name] = value` for each synced global (no-op for builtins).
pub unsafe fn sync_globals(
    func: *mut ffi::PyObject,
    globals: &[(String, super::job::SyncValue)],
) -> Result<(), CapturedException> {
    use super::job::SyncValue;
    if globals.is_empty() {
        return Ok(());
    }
    let Some(dict) = Owned::new(ffi::PyObject_GetAttrString(func, c"__globals__".as_ptr())) else {
        ffi::PyErr_Clear();
        return Ok(());
    };
    for (name, value) in globals {
        let obj = match value {
            SyncValue::Int(v) => ffi::PyLong_FromLongLong(*v),
            SyncValue::Big(text) => {
                let c = CString::new(text.as_str()).unwrap_or_default();
                ffi::PyLong_FromString(c.as_ptr(), std::ptr::null_mut(), 10)
            }
            SyncValue::Float(x) => ffi::PyFloat_FromDouble(*x),
            SyncValue::Bool(b) => ffi::PyBool_FromLong(*b as _),
            SyncValue::Str(t) => {
                ffi::PyUnicode_FromStringAndSize(t.as_ptr() as *const _, t.len() as ffi::Py_ssize_t)
            }
            SyncValue::None => ffi::Py_NewRef(ffi::Py_None()),
        };
        let obj = Owned::new(obj).ok_or_else(|| capture_exception())?;
        let key = CString::new(name.as_str()).unwrap_or_default();
        if ffi::PyDict_SetItemString(dict.ptr(), key.as_ptr(), obj.ptr()) != 0 {
            return Err(capture_exception());
        }
    }
    Ok(())
}
