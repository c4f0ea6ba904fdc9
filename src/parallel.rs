//! The one helper that wraps every parallel call.
//!
//! It releases the GIL while the work runs, wakes every [`POLL`] to run Python's signal
//! handlers (so Ctrl-C raises `KeyboardInterrupt` promptly), cancels the work on a signal
//! and waits for the workers to stop touching the caller's buffers, and finally maps the
//! task's error to a Python exception.

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
