//! The one helper that wraps every parallel call.
//!
//! It releases the GIL while the work runs, wakes every [`POLL`] to run Python's signal
//! handlers (so Ctrl-C raises `KeyboardInterrupt` promptly), cancels the work on a signal
//! and waits for the workers to stop touching the caller's buffers, and finally maps the
//! task's error to a Python exception.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
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

/// The stack of every thread that runs kernels with calls: kernels leave an element to
/// CPython past `MAX_CALL_DEPTH` nested calls, so this allows about 32 KB per frame (a
/// kernel frame is typically under 200 bytes). Only touched pages are committed.
const KERNEL_STACK_BYTES: usize = 32 * 1024 * gilmap_llvm::MAX_CALL_DEPTH as usize;

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
        .stack_size(KERNEL_STACK_BYTES)
        .build()
        .map_err(|e| GilmapError::PoolStart(e.to_string()))?;
    let pool = Arc::new(pool);
    *g = Some(RayonPool {
        pool: pool.clone(),
        pid: std::process::id(),
    });
    Ok(pool)
}

/// One run on the Rayon pool: workers pull ranges from a shared cursor.
struct ChunkTask {
    cursor: AtomicUsize,
    workers_left: AtomicUsize,
    cancelled: AtomicBool,
    acc: AtomicU32,
    done: Mutex<bool>,
    cv: Condvar,
}

impl ParallelTask for ChunkTask {
    fn wait_done(&self, timeout: Duration) -> bool {
        let g = self.done.lock().unwrap_or_else(|e| e.into_inner());
        let (g, _) = self
            .cv
            .wait_timeout_while(g, timeout, |d| !*d)
            .unwrap_or_else(|e| e.into_inner());
        *g
    }
    fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }
    fn take_error(&self) -> Option<GilmapError> {
        None
    }
}

impl ChunkTask {
    /// Runs ranges until none is left (or the run is cancelled), folding their results
    /// into `acc`.
    fn drain(
        &self,
        n: usize,
        threads: usize,
        min_chunk: usize,
        body: &(dyn Fn(usize, usize, *const u8) -> u32 + Send + Sync),
    ) {
        let abort = self.cancelled.as_ptr() as *const u8;
        let mut acc = 0;
        while let Some((start, end)) = self.grab(n, threads, min_chunk.max(1)) {
            acc |= body(start, end, abort);
        }
        self.acc.fetch_or(acc, Ordering::Relaxed);
    }

    /// The next range, guided: a share of what remains (`remaining / (2 * threads)`), at
    /// least `min_chunk`. Early ranges are long and contiguous (each thread streams
    /// through, and page-faults, its own memory), the last ones short (threads finish
    /// together even when elements differ in cost).
    fn grab(&self, n: usize, threads: usize, min_chunk: usize) -> Option<(usize, usize)> {
        let mut start = self.cursor.load(Ordering::Relaxed);
        loop {
            if start >= n || self.cancelled.load(Ordering::Relaxed) {
                return None;
            }
            let len = ((n - start) / (2 * threads)).max(min_chunk);
            let end = (start + len).min(n);
            match self.cursor.compare_exchange_weak(
                start,
                end,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some((start, end)),
                Err(now) => start = now,
            }
        }
    }
}

/// Runs `body(start, end, abort)` over ranges covering `[0, n)` (see
/// [`ChunkTask::grab`]; no range is shorter than `min_chunk` except the last) on the
/// Rayon pool through [`wait`] (GIL released, Ctrl-C honoured); returns the OR of the
/// bodies' results. With `caller_helps` the calling thread runs ranges too (GIL released;
/// it checks Ctrl-C only between its ranges and then while waiting, so not for work that
/// may run for a long time and can be interrupted), and at most `min_chunk` elements run
/// as one range on the calling thread alone. `abort` points to a byte that becomes non-zero when the caller is
/// interrupted (native code tests it to stop early); ranges not started by then are
/// skipped.
pub fn run_chunks<F>(
    py: Python<'_>,
    n: usize,
    min_chunk: usize,
    caller_helps: bool,
    body: F,
) -> PyResult<u32>
where
    F: Fn(usize, usize, *const u8) -> u32 + Send + Sync + 'static,
{
    if n == 0 {
        return Ok(0);
    }
    if caller_helps && n <= min_chunk {
        // One range: waking a pool thread would cost more than it saves. It runs here
        // with the GIL released, like the pool's ranges.
        static NEVER: u8 = 0;
        let never = &NEVER as *const u8 as usize;
        return Ok(py.detach(|| body(0, n, never as *const u8)));
    }
    let pool = py.detach(rayon_pool)?;
    let threads = pool.current_num_threads().max(1);
    let ranges = n.div_ceil(min_chunk.max(1));
    // With `caller_helps` this thread is one of the workers: it starts at once, however
    // long the pool's threads take to wake up.
    let spawned = if caller_helps {
        (threads - 1).max(1).min(ranges - 1)
    } else {
        threads.min(ranges)
    };
    let task = Arc::new(ChunkTask {
        cursor: AtomicUsize::new(0),
        workers_left: AtomicUsize::new(spawned),
        cancelled: AtomicBool::new(false),
        acc: AtomicU32::new(0),
        done: Mutex::new(false),
        cv: Condvar::new(),
    });
    let body = Arc::new(body);
    for _ in 0..spawned {
        let (t, body) = (task.clone(), body.clone());
        pool.spawn(move || {
            t.drain(n, threads, min_chunk, &*body);
            if t.workers_left.fetch_sub(1, Ordering::AcqRel) == 1 {
                *t.done.lock().unwrap_or_else(|e| e.into_inner()) = true;
                t.cv.notify_all();
            }
        });
    }
    if caller_helps {
        let (t, body) = (task.clone(), body.clone());
        py.detach(move || t.drain(n, threads, min_chunk, &*body));
    }
    wait(py, task.as_ref())?;
    Ok(task.acc.load(Ordering::Relaxed))
}
