//! One `map` call on the pool: the chunk dispenser, the first-error slot and completion.
//!
//! Chunks are handed out in increasing index order. Each worker sizes its next chunk from
//! its own measured time per element (about [`TARGET_CHUNK`] of work), capped at a guided
//! share of what remains, so a skewed workload (a few elements 1000× dearer) still spreads
//! over every worker. When an element fails, chunks after it are no longer started, but
//! chunks before it finish: the lowest failing index decides the exception.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use crate::column::ColumnView;
use crate::error::{CapturedException, GilmapError};
use crate::output::Results;

/// Work per chunk a worker aims for once it has measured its elements.
pub const TARGET_CHUNK: Duration = Duration::from_millis(2);

/// What a worker reports about its part of one job (for debug output and tests).
#[derive(Debug, Clone, Default)]
pub struct WorkerStats {
    pub worker: usize,
    pub interp_id: i64,
    pub thread_id: u64,
    pub elements: usize,
    pub chunks: usize,
    pub busy_ns: u64,
}

#[derive(Default)]
struct State {
    /// No worker will enter the job any more (it left the queue).
    closed: bool,
    /// Workers currently inside the job.
    inside: usize,
}

pub struct Job {
    pub module: String,
    pub qualname: String,
    pub sys_path: Vec<String>,
    pub input: ColumnView,
    pub results: Results,
    nworkers: usize,
    next: AtomicUsize,
    /// Lowest failing element index so far (usize::MAX: none).
    first_error: AtomicUsize,
    error: Mutex<Option<GilmapError>>,
    cancelled: AtomicBool,
    state: Mutex<State>,
    done: Condvar,
    pub stats: Mutex<Vec<WorkerStats>>,
}

impl Job {
    pub fn new(
        module: String,
        qualname: String,
        sys_path: Vec<String>,
        input: ColumnView,
        nworkers: usize,
    ) -> Job {
        Job {
            module,
            qualname,
            sys_path,
            results: Results::new(input.len),
            input,
            nworkers: nworkers.max(1),
            next: AtomicUsize::new(0),
            first_error: AtomicUsize::new(usize::MAX),
            error: Mutex::new(None),
            cancelled: AtomicBool::new(false),
            state: Mutex::new(State::default()),
            done: Condvar::new(),
            stats: Mutex::new(Vec::new()),
        }
    }

    /// Upper bound (exclusive) of indices still worth computing.
    #[inline]
    pub fn limit(&self) -> usize {
        if self.cancelled.load(Ordering::Relaxed) {
            0
        } else {
            self.first_error.load(Ordering::Relaxed).min(self.input.len)
        }
    }

    pub fn exhausted(&self) -> bool {
        self.next.load(Ordering::Relaxed) >= self.limit()
    }

    /// Claims the next chunk, sized for `ns_per_element` (None: not measured yet).
    pub fn claim(&self, ns_per_element: Option<f64>) -> Option<(usize, usize)> {
        let mut start = self.next.load(Ordering::Relaxed);
        loop {
            let limit = self.limit();
            if start >= limit {
                return None;
            }
            let remaining = limit - start;
            let guided = (remaining / (2 * self.nworkers)).max(1);
            let timed = match ns_per_element {
                None => 1,
                Some(ns) => ((TARGET_CHUNK.as_nanos() as f64 / ns.max(1.0)) as usize).max(1),
            };
            let size = timed.min(guided);
            match self.next.compare_exchange_weak(
                start,
                start + size,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some((start, (start + size).min(limit))),
                Err(cur) => start = cur,
            }
        }
    }

    /// Records a failure at `index`; the lowest index wins.
    pub fn fail(&self, index: usize, err: GilmapError) {
        let mut slot = self.error.lock().unwrap();
        if index < self.first_error.load(Ordering::Relaxed) {
            self.first_error.store(index, Ordering::Relaxed);
            *slot = Some(err);
        }
    }

    /// Records a failure that is not tied to an element (import error): stops the job.
    pub fn fail_setup(&self, module: &str, qualname: &str, exc: CapturedException) {
        self.fail(
            0,
            GilmapError::WorkerImport {
                module: module.into(),
                qualname: qualname.into(),
                exc: Box::new(exc),
            },
        );
    }

    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    pub fn take_error(&self) -> Option<GilmapError> {
        self.error.lock().unwrap().take()
    }

    /// Called under the pool's queue lock when a worker picks the job.
    pub fn enter(&self) {
        self.state.lock().unwrap().inside += 1;
    }

    /// Called under the pool's queue lock when the job leaves the queue.
    pub fn close(&self) {
        let mut st = self.state.lock().unwrap();
        st.closed = true;
        if st.inside == 0 {
            self.done.notify_all();
        }
    }

    pub fn leave(&self, stats: WorkerStats) {
        self.stats.lock().unwrap().push(stats);
        let mut st = self.state.lock().unwrap();
        st.inside -= 1;
        if st.closed && st.inside == 0 {
            self.done.notify_all();
        }
    }

    /// Waits up to `timeout` for every worker to be done with the job.
    pub fn wait_done(&self, timeout: Duration) -> bool {
        let st = self.state.lock().unwrap();
        let (st, _) = self
            .done
            .wait_timeout_while(st, timeout, |s| !(s.closed && s.inside == 0))
            .unwrap();
        st.closed && st.inside == 0
    }
}
