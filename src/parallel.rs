//! The one helper that wraps every parallel call.
//!
//! It releases the GIL while the work runs, wakes every [`POLL`] to run Python's signal
//! handlers (so Ctrl-C raises `KeyboardInterrupt` promptly), cancels the work on a signal
//! and waits for the workers to stop touching the caller's buffers, and finally maps the
//! task's error to a Python exception.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::prelude::*;

use crate::error::GilmapError;

/// How often the waiting caller checks for signals.
pub const POLL: Duration = Duration::from_millis(20);

/// Work running on other threads that the caller waits for.
pub trait ParallelTask: Sync {
    /// Waits up to `timeout`; true when every thread is done with the task.
    fn wait_done(&self, timeout: Duration) -> bool;
    /// Asks the threads to stop at the next element or chunk.
    fn cancel(&self);
    /// The failure that decides the call's exception (lowest failing index).
    fn take_error(&self) -> Option<GilmapError>;
}

/// Waits for `task` with the GIL released, honouring Ctrl-C, and maps its error.
pub fn wait(py: Python<'_>, task: &dyn ParallelTask) -> PyResult<()> {
    loop {
        if py.detach(|| task.wait_done(POLL)) {
            break;
        }
        if let Err(signal_error) = py.check_signals() {
            task.cancel();
            py.detach(|| while !task.wait_done(POLL) {});
            return Err(signal_error);
        }
    }
    match task.take_error() {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

struct RayonPool {
    pool: Arc<rayon::ThreadPool>,
    pid: u32,
}

static RAYON: Mutex<Option<RayonPool>> = Mutex::new(None);

/// The process's Rayon pool (`GILMAP_NUM_THREADS` threads), rebuilt after `fork()`.
pub fn rayon_pool() -> Result<Arc<rayon::ThreadPool>, GilmapError> {
    let mut g = RAYON.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = g.as_ref() {
        if p.pid == std::process::id() {
            return Ok(p.pool.clone());
        }
        std::mem::forget(g.take()); // a forked child: the parent's threads do not exist
    }
    let n = crate::pool::configured_threads()?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("gilmap-rayon-{i}"))
        .build()
        .map_err(|e| GilmapError::PoolStart(e.to_string()))?;
    let pool = Arc::new(pool);
    *g = Some(RayonPool {
        pool: pool.clone(),
        pid: std::process::id(),
    });
    Ok(pool)
}
