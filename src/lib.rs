//! `gilmap._gilmap`: the native core of gilmap.
//!
//! - [`column`]: input lanes (list cast in one pass, zero-copy numpy/Arrow views)
//! - [`output`]: results and their conversion to list / numpy / Arrow buffers
//! - [`pool`]: the sub-interpreter worker pool (`subinterp` backend)
//! - [`parallel`]: the helper every parallel call goes through (GIL, Ctrl-C, errors)
//! - [`error`]: the error enum and its one mapping to Python exceptions

pub mod bufpool;
pub mod column;
pub mod error;
pub mod jit;
pub mod kernel_cache;
pub mod listscan;
pub mod native;
pub mod outbuf;
pub mod output;
pub mod parallel;
pub mod pool;

use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use column::{parse_lane, Column};
use error::GilmapError;
use pool::job::Job;

impl parallel::ParallelTask for Job {
    fn wait_done(&self, timeout: Duration) -> bool {
        Job::wait_done(self, timeout)
    }
    fn cancel(&self) {
        Job::cancel(self)
    }
    fn take_error(&self) -> Option<GilmapError> {
        Job::take_error(self)
    }
}

thread_local! {
    /// Stats of the last pool job run by this calling thread (for debug output and tests).
    static LAST_STATS: std::cell::RefCell<Vec<pool::job::WorkerStats>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Maps `module.qualname` over `column` on the sub-interpreter pool.
///
/// `output` is "list" (a list of Python numbers) or "array" / "arrow" (a tuple
/// `(dtype, values, validity, null_count)` of raw buffers; "arrow" bit-packs bools).
///
/// `globals` are `(name, value)` module globals (int, float, bool, str or None) copied
/// into the worker's module before the call.
#[pyfunction]
#[pyo3(signature = (column, module, qualname, sys_path, output, globals = Vec::new()))]
fn subinterp_map<'py>(
    py: Python<'py>,
    column: &Bound<'py, Column>,
    module: String,
    qualname: String,
    sys_path: Vec<String>,
    output: &str,
    globals: Vec<(String, Bound<'py, PyAny>)>,
) -> PyResult<Bound<'py, PyAny>> {
    let globals = globals
        .into_iter()
        .map(|(name, v)| sync_value(&v).map(|sv| (name, sv)))
        .collect::<PyResult<Vec<_>>>()?;
    let view = column.get().view();
    if !matches!(output, "list" | "array" | "arrow") {
        return Err(pyo3::exceptions::PyValueError::new_err(format!(
            "unknown output {output:?}"
        )));
    }
    let (shared, size) = py.detach(pool::get)?;
    let job = Arc::new(Job::new(module, qualname, sys_path, globals, view, size));
    if view.len > 0 {
        shared.submit(job.clone());
        parallel::wait(py, job.as_ref())?;
        if job.is_cancelled() {
            return Err(GilmapError::PoolStart(
                "the workers were shut down while this call was running; no result".into(),
            )
            .into());
        }
    }
    let stats = std::mem::take(&mut *job.stats.lock().unwrap());
    LAST_STATS.with(|s| *s.borrow_mut() = stats);
    // SAFETY: every worker is done with the job (or it never ran).
    let results = unsafe { job.results.take() };
    Ok(match output {
        "list" => results.to_list(py)?.into_any(),
        other => results
            .to_array(py, view.lane, other == "arrow", view.base)?
            .into_any(),
    })
}

fn sync_value(v: &Bound<'_, PyAny>) -> PyResult<pool::job::SyncValue> {
    use pool::job::SyncValue;
    use pyo3::types::{PyBool, PyFloat, PyInt, PyString};
    Ok(if v.is_none() {
        SyncValue::None
    } else if let Ok(b) = v.cast::<PyBool>() {
        SyncValue::Bool(b.is_true())
    } else if v.cast::<PyInt>().is_ok() {
        match v.extract::<i64>() {
            Ok(i) => SyncValue::Int(i),
            Err(_) => SyncValue::Big(v.str()?.to_string()),
        }
    } else if let Ok(f) = v.cast::<PyFloat>() {
        SyncValue::Float(f.value())
    } else if let Ok(s) = v.cast::<PyString>() {
        SyncValue::Str(s.to_string())
    } else {
        return Err(pyo3::exceptions::PyTypeError::new_err(
            "only int, float, bool, str and None globals are synced",
        ));
    })
}

/// Per-worker statistics of the calling thread's last pool job, as a list of dicts
/// (`worker`, `interp_id`, `thread_id`, `elements`, `chunks`, `busy_ns`).
#[pyfunction]
fn pool_last_stats(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let list = PyList::empty(py);
    LAST_STATS.with(|s| -> PyResult<()> {
        for st in s.borrow().iter() {
            let d = PyDict::new(py);
            d.set_item("worker", st.worker)?;
            d.set_item("interp_id", st.interp_id)?;
            d.set_item("thread_id", st.thread_id)?;
            d.set_item("elements", st.elements)?;
            d.set_item("chunks", st.chunks)?;
            d.set_item("busy_ns", st.busy_ns)?;
            list.append(d)?;
        }
        Ok(())
    })?;
    Ok(list)
}

/// Stops and joins the worker threads (a later call restarts them). With `cancel`, calls
/// running in other threads stop and raise; without it they finish first.
#[pyfunction]
#[pyo3(signature = (cancel = true))]
fn shutdown_workers(py: Python<'_>, cancel: bool) {
    py.detach(|| pool::shutdown(cancel));
    bufpool::clear();
}

/// Called in a forked child: forget the parent's worker threads.
#[pyfunction]
fn _after_fork_child() {
    pool::forget_after_fork();
}

/// Whether the worker pool is running in this process.
#[pyfunction]
fn pool_running() -> bool {
    pool::is_running()
}

/// The worker count a new pool would use (`GILMAP_NUM_THREADS` or the cores).
#[pyfunction]
fn configured_threads() -> PyResult<usize> {
    Ok(pool::configured_threads()?)
}

/// Validates a lane name ("int64", "bool", "float64").
#[pyfunction]
fn check_lane(lane: &str) -> PyResult<String> {
    parse_lane(lane).map(|l| l.storage_name().to_string())
}

#[pymodule]
fn _gilmap(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Column>()?;
    m.add_class::<jit::JitKernel>()?;
    m.add_class::<outbuf::OutBuf>()?;
    m.add("JitRefused", m.py().get_type::<jit::JitRefused>())?;
    m.add_function(wrap_pyfunction!(jit::jit_compile, m)?)?;
    m.add_function(wrap_pyfunction!(jit::jit_map, m)?)?;
    m.add_function(wrap_pyfunction!(jit::jit_cache_info, m)?)?;
    m.add_function(wrap_pyfunction!(jit::cpython_map, m)?)?;
    m.add_function(wrap_pyfunction!(jit::jit_unavailable, m)?)?;
    m.add_function(wrap_pyfunction!(jit::llvm_version, m)?)?;
    m.add_function(wrap_pyfunction!(native::native_map, m)?)?;
    m.add_function(wrap_pyfunction!(subinterp_map, m)?)?;
    m.add_function(wrap_pyfunction!(pool_last_stats, m)?)?;
    m.add_function(wrap_pyfunction!(shutdown_workers, m)?)?;
    m.add_function(wrap_pyfunction!(_after_fork_child, m)?)?;
    m.add_function(wrap_pyfunction!(pool_running, m)?)?;
    m.add_function(wrap_pyfunction!(configured_threads, m)?)?;
    m.add_function(wrap_pyfunction!(check_lane, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
