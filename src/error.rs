//! The extension's error type and its single mapping to Python exceptions.
//!
//! Every fallible path in `src/` returns [`GilmapError`]; the binding layer converts it with
//! `From<GilmapError> for PyErr`, the only place where Rust errors become Python exceptions.
//! A user's own exception raised on the calling interpreter passes through unchanged
//! ([`GilmapError::Python`]); one raised inside a worker sub-interpreter is rebuilt by
//! `gilmap._errors.worker_error` (a `RuntimeError` that is also the original builtin type).

use pyo3::exceptions::{
    PyKeyboardInterrupt, PyOverflowError, PyRuntimeError, PyTypeError, PyValueError,
};
use pyo3::prelude::*;
use pyo3::types::PyString;

/// What a worker captured from an exception raised by the user's function.
#[derive(Debug, Clone)]
pub struct CapturedException {
    /// `type(exc).__module__`
    pub type_module: String,
    /// `type(exc).__qualname__`
    pub type_qualname: String,
    /// `str(exc)`
    pub message: String,
    /// `"".join(traceback.format_exception(exc))` in the worker
    pub traceback: String,
}

#[derive(Debug, thiserror::Error)]
pub enum GilmapError {
    /// An input element that cannot be cast to the int64/float64 lane.
    #[error("gilmap.map: element {index} has type {type_name}, which cannot be cast to int64 or float64")]
    BadElement { index: usize, type_name: String },

    /// An `int` input element outside the int64 range.
    #[error("gilmap.map: element {index} is an int outside the int64 range and cannot be cast to a numeric lane")]
    IntOutOfRange { index: usize },

    /// `func` returned something that is not an int, float or bool.
    #[error("gilmap.map: func returned {type_name} for element {index}; it must return a number (int, float or bool)")]
    NonNumberResult { index: usize, type_name: String },

    /// An int result that does not fit the int64 output array.
    #[error("gilmap.map: the result for element {index} ({value}) does not fit the int64 output")]
    ResultOverflow { index: usize, value: String },

    /// The user's function raised inside a worker sub-interpreter.
    #[error("func raised {} for element {index} in a gilmap worker: {}", exc.type_qualname, exc.message)]
    Worker {
        index: usize,
        exc: Box<CapturedException>,
    },

    /// The worker could not import the function by module and qualname.
    #[error(
        "gilmap could not import {module}.{qualname} in a sub-interpreter worker: {}: {}. \
         The subinterp backend runs func in PEP 684 sub-interpreters, which cannot load \
         extension modules without sub-interpreter support (numpy, pyarrow, most C extensions); \
         move func to a module that imports only pure-Python code, or make it compilable by the JIT",
        exc.type_qualname, exc.message
    )]
    WorkerImport {
        module: String,
        qualname: String,
        exc: Box<CapturedException>,
    },

    /// A worker sub-interpreter could not be created.
    #[error("gilmap could not start a sub-interpreter worker: {0}")]
    PoolStart(String),

    /// A bad setting (environment variable).
    #[error("{0}")]
    Config(String),

    /// Ctrl-C arrived while the call ran; workers stopped at the next element.
    #[error("interrupted")]
    Interrupted,

    /// A Python exception raised on the calling interpreter, passed through unchanged.
    #[error("{0}")]
    Python(#[from] PyErr),
}

pub type Result<T, E = GilmapError> = std::result::Result<T, E>;

fn worker_error(
    py: Python<'_>,
    index: Option<usize>,
    exc: &CapturedException,
    message: &str,
) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let module = py.import("gilmap._errors")?;
        let obj = module.getattr("worker_error")?.call1((
            exc.type_module.as_str(),
            exc.type_qualname.as_str(),
            message,
            exc.message.as_str(),
            exc.traceback.as_str(),
            index,
        ))?;
        Ok(PyErr::from_value(obj))
    };
    build().unwrap_or_else(|e| e)
}

impl From<GilmapError> for PyErr {
    fn from(err: GilmapError) -> PyErr {
        let message = err.to_string();
        match err {
            GilmapError::BadElement { .. }
            | GilmapError::IntOutOfRange { .. }
            | GilmapError::NonNumberResult { .. } => PyTypeError::new_err(message),
            GilmapError::ResultOverflow { .. } => PyOverflowError::new_err(message),
            GilmapError::PoolStart(_) => PyRuntimeError::new_err(message),
            GilmapError::Config(_) => PyValueError::new_err(message),
            GilmapError::Interrupted => PyKeyboardInterrupt::new_err(()),
            GilmapError::Python(e) => e,
            GilmapError::Worker { index, exc } => {
                Python::attach(|py| worker_error(py, Some(index), &exc, &message))
            }
            GilmapError::WorkerImport { exc, .. } => {
                Python::attach(|py| worker_error(py, None, &exc, &message))
            }
        }
    }
}

/// Python type name of an object, for messages.
pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n: Bound<'_, PyString>| n.to_string())
        .unwrap_or_else(|_| "<unknown>".into())
}
