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

/// A module global copied from the caller into the worker's module before the job runs
/// (so a value changed at run time in the caller is the value the worker sees).
#[derive(Debug, Clone)]
pub enum SyncValue {
    Int(i64),
    /// An int beyond int64, as decimal text.
    Big(String),
    Float(f64),
    Bool(bool),
    Str(String),
    None,
}

pub struct Job {
    pub module: String,
    pub qualname: String,
    pub sys_path: Vec<String>,
    pub globals: Vec<(String, SyncValue)>,
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
        globals: Vec<(String, SyncValue)>,
        input: ColumnView,
        nworkers: usize,
    ) -> Job {
        Job {
            module,
            qualname,
            sys_path,
            globals,
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
        // SeqCst (a plain load on x86): see WorkerControl::leave_call.
        if self.cancelled.load(Ordering::SeqCst) {
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

    /// Stops the job: no chunk or element starts any more, and workers inside an element
    /// of it get `KeyboardInterrupt` raised at their next eval-breaker check (see
    /// `control.rs`; the exception is discarded with the job's error).
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        super::control::interrupt(self);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// The error deciding the call's exception. None for a cancelled job: its caller
    /// raises the cancellation's own exception (KeyboardInterrupt, shutdown), not the
    /// interrupt a worker got because of it.
    pub fn take_error(&self) -> Option<GilmapError> {
        let err = self.error.lock().unwrap().take();
        if self.is_cancelled() {
            None
        } else {
            err
        }
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

    /// Waits up to `timeout` for every worker to be done with the caller's data: all
    /// left the job, or (cancelled job) the ones left are inside calls that will not read
    /// the input again (`control::released`: a worker blocked in C code does not keep
    /// the interrupted caller waiting). The results are only read when not cancelled.
    pub fn wait_done(&self, timeout: Duration) -> bool {
        let released = || self.is_cancelled() && super::control::released(self);
        if released() {
            return true;
        }
        let st = self.state.lock().unwrap();
        let (st, _) = self
            .done
            .wait_timeout_while(st, timeout, |s| !(s.closed && s.inside == 0))
            .unwrap();
        (st.closed && st.inside == 0) || released()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::column::Lane;

    fn job(values: &[u64], workers: usize) -> Job {
        // SAFETY: `values` outlives the job in every test.
        let view = unsafe { ColumnView::from_values(values, Lane::Int64) };
        Job::new("m".into(), "f".into(), vec![], vec![], view, workers)
    }

    fn exc() -> CapturedException {
        CapturedException {
            type_module: "builtins".into(),
            type_qualname: "ZeroDivisionError".into(),
            message: "x".into(),
            traceback: String::new(),
        }
    }

    #[test]
    fn chunks_cover_the_range_in_order_without_overlap() {
        let values = vec![0u64; 10_000];
        let j = job(&values, 2);
        let mut next = 0;
        let mut measured = None;
        while let Some((s, e)) = j.claim(measured) {
            assert_eq!(s, next);
            assert!(e > s);
            next = e;
            measured = Some(100.0);
        }
        assert_eq!(next, values.len());
        assert!(j.exhausted());
    }

    #[test]
    fn first_chunk_is_one_element_then_sized_by_time_and_capped_by_guided_share() {
        let values = vec![0u64; 1_000_000];
        let j = job(&values, 2);
        assert_eq!(j.claim(None), Some((0, 1)));
        // 2 ms per chunk at 1 µs per element: 2000 elements.
        assert_eq!(j.claim(Some(1000.0)), Some((1, 2001)));
        // Very cheap elements: capped at remaining / (2 * workers).
        let (s, e) = j.claim(Some(0.001)).unwrap();
        assert_eq!(e - s, (values.len() - s) / 4);
        // Very dear elements: one at a time.
        let (s, e) = j.claim(Some(1e9)).unwrap();
        assert_eq!(e - s, 1);
    }

    #[test]
    fn lowest_failing_index_wins_and_stops_later_chunks() {
        let values = vec![0u64; 100];
        let j = job(&values, 2);
        j.fail(
            50,
            GilmapError::Worker {
                index: 50,
                exc: Box::new(exc()),
            },
        );
        j.fail(
            70,
            GilmapError::Worker {
                index: 70,
                exc: Box::new(exc()),
            },
        );
        j.fail(
            3,
            GilmapError::Worker {
                index: 3,
                exc: Box::new(exc()),
            },
        );
        assert_eq!(j.limit(), 3);
        match j.take_error() {
            Some(GilmapError::Worker { index, .. }) => assert_eq!(index, 3),
            other => panic!("unexpected {other:?}"),
        }
        let (s, e) = j.claim(None).unwrap();
        assert!(s < 3 && e <= 3);
    }

    #[test]
    fn cancel_exhausts_the_job() {
        let values = vec![0u64; 100];
        let j = job(&values, 2);
        j.cancel();
        assert!(j.exhausted());
        assert_eq!(j.claim(None), None);
    }

    #[test]
    fn done_only_when_closed_and_every_worker_left() {
        let values = vec![0u64; 10];
        let j = job(&values, 2);
        j.enter();
        j.close();
        assert!(!j.wait_done(Duration::from_millis(1)));
        j.leave(WorkerStats::default());
        assert!(j.wait_done(Duration::from_millis(1)));
    }
}
