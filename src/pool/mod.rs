//! The sub-interpreter pool: long-lived worker threads, one own-GIL interpreter each.
//!
//! Workers are started lazily on the first call, `GILMAP_NUM_THREADS` or the number of
//! available cores of them, and share one FIFO queue of jobs (so concurrent `map` calls
//! from several Python threads interleave safely). After `fork()` the child forgets the
//! parent's pool (its threads do not exist there) and starts a new one on demand.

mod control;
mod interp;
pub mod job;
mod worker;

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use job::{Job, WorkerStats};

use crate::error::{GilmapError, Result};

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Arc<Job>>,
    /// The job of each worker inside one (a job leaves `jobs` once nothing is left to
    /// claim, while workers may still be inside its last elements).
    entered: Vec<Arc<Job>>,
    shutdown: bool,
}

/// State shared by the pool and its workers.
pub struct Shared {
    queue: Mutex<Queue>,
    wake: Condvar,
}

impl Shared {
    /// Blocks until a job has work (entering it) or the pool shuts down (None).
    fn next_job(&self) -> Option<Arc<Job>> {
        let mut q = self.queue.lock().unwrap();
        loop {
            while let Some(front) = q.jobs.front() {
                if front.exhausted() {
                    q.jobs.pop_front().unwrap().close();
                } else {
                    front.enter();
                    let job = front.clone();
                    q.entered.push(job.clone());
                    return Some(job);
                }
            }
            if q.shutdown {
                return None;
            }
            q = self.wake.wait(q).unwrap();
        }
    }

    /// A worker leaves `job`; the job leaves the queue once nothing is left to claim.
    fn leave(&self, job: &Arc<Job>, stats: WorkerStats) {
        {
            let mut q = self.queue.lock().unwrap();
            if let Some(pos) = q.entered.iter().position(|j| Arc::ptr_eq(j, job)) {
                q.entered.swap_remove(pos);
            }
            if let Some(pos) = q.jobs.iter().position(|j| Arc::ptr_eq(j, job)) {
                if job.exhausted() {
                    q.jobs.remove(pos).unwrap().close();
                }
            }
        }
        job.leave(stats);
    }

    pub fn submit(&self, job: Arc<Job>) {
        let mut q = self.queue.lock().unwrap();
        q.jobs.push_back(job);
        self.wake.notify_all();
    }
}

pub struct Pool {
    pub shared: Arc<Shared>,
    pub size: usize,
    pid: u32,
    threads: Vec<JoinHandle<()>>,
}

static POOL: Mutex<Option<Pool>> = Mutex::new(None);

/// How long a cancelling stop waits for the workers to end their interpreters. Interrupted
/// Python code stops within microseconds; a worker still busy after this is blocked in C
/// code (a sleep, a lock, I/O) and is left behind (see [`shutdown`]).
pub const STOP_GRACE: Duration = Duration::from_secs(2);

/// Number of workers: `GILMAP_NUM_THREADS` or the available cores.
pub fn configured_threads() -> Result<usize> {
    match std::env::var("GILMAP_NUM_THREADS") {
        Ok(v) if !v.trim().is_empty() => match v.trim().parse::<usize>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(GilmapError::Config(format!(
                "GILMAP_NUM_THREADS must be a positive integer, got {v:?}"
            ))),
        },
        _ => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

impl Pool {
    fn start(size: usize) -> Result<Pool> {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
        });
        let mut pool = Pool {
            shared: shared.clone(),
            size,
            pid: std::process::id(),
            threads: Vec::with_capacity(size),
        };
        for index in 0..size {
            let (tx, rx) = std::sync::mpsc::channel();
            let sh = shared.clone();
            let handle = std::thread::Builder::new()
                .name(format!("gilmap-worker-{index}"))
                .spawn(move || worker::run(index, sh, tx))
                .map_err(|e| GilmapError::PoolStart(e.to_string()))?;
            pool.threads.push(handle);
            match rx.recv() {
                Ok(Ok(())) => {}
                Ok(Err(msg)) => {
                    pool.stop(true);
                    return Err(GilmapError::PoolStart(msg));
                }
                Err(_) => {
                    pool.stop(true);
                    return Err(GilmapError::PoolStart(
                        "worker thread died during start-up".into(),
                    ));
                }
            }
        }
        Ok(pool)
    }

    /// Stops the workers. With `cancel`, jobs in flight stop (workers inside an element are
    /// interrupted; their callers get an error) and workers get [`STOP_GRACE`] to end;
    /// otherwise jobs finish first and the wait is unbounded. Returns how many workers were
    /// left running (only with `cancel`).
    fn stop(&mut self, cancel: bool) -> usize {
        {
            let mut q = self.shared.queue.lock().unwrap_or_else(|e| e.into_inner());
            if cancel {
                q.jobs
                    .iter()
                    .chain(q.entered.iter())
                    .for_each(|j| j.cancel());
            }
            q.shutdown = true;
            self.shared.wake.notify_all();
        }
        let deadline = Instant::now() + STOP_GRACE;
        let mut left = 0;
        for t in self.threads.drain(..) {
            if cancel {
                while !t.is_finished() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(2));
                }
                if !t.is_finished() {
                    // Detached: it ends its interpreter itself if its element ever returns.
                    left += 1;
                    continue;
                }
            }
            let _ = t.join();
        }
        left
    }
}

/// The running pool's shared state and size, starting it if needed. Call without the GIL.
pub fn get() -> Result<(Arc<Shared>, usize)> {
    let mut guard = POOL.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = guard.as_ref() {
        if p.pid == std::process::id() {
            return Ok((p.shared.clone(), p.size));
        }
        // A forked child: the parent's threads are gone and CPython already deleted
        // their interpreters; forget them without joining.
        std::mem::forget(guard.take());
    }
    let pool = Pool::start(configured_threads()?)?;
    let out = (pool.shared.clone(), pool.size);
    *guard = Some(pool);
    Ok(out)
}

/// Stops and joins the workers. With `cancel`, calls in flight are stopped (a worker inside
/// an element is interrupted) and fail, and a worker that has not ended its interpreter
/// after [`STOP_GRACE`] (blocked in C code) is left running detached: [`is_running`] stays
/// true. Without `cancel` calls in flight finish first. Call without the GIL.
pub fn shutdown(cancel: bool) {
    let pool = POOL.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(mut p) = pool {
        if p.pid == std::process::id() {
            p.stop(cancel);
        } else {
            std::mem::forget(p);
        }
    }
}

/// In a forked child: drop the parent's pool without touching its (absent) threads.
pub fn forget_after_fork() {
    if let Ok(mut guard) = POOL.try_lock() {
        if let Some(p) = guard.take() {
            std::mem::forget(p);
        }
    }
    control::forget_after_fork();
}

/// Whether worker threads with a live sub-interpreter exist in this process: a running
/// pool, or workers [`shutdown`] had to leave behind.
pub fn is_running() -> bool {
    let pool = POOL
        .lock()
        .map(|g| g.as_ref().is_some_and(|p| p.pid == std::process::id()))
        .unwrap_or(false);
    pool || control::any_alive()
}

/// Whether workers stuck in an element can be interrupted on this CPython.
pub fn interrupts_supported() -> bool {
    control::interrupts_supported()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_count_from_env() {
        // One test touches the variable, so no other test races with it.
        std::env::set_var("GILMAP_NUM_THREADS", "3");
        assert_eq!(configured_threads().unwrap(), 3);
        for bad in ["0", "-1", "two"] {
            std::env::set_var("GILMAP_NUM_THREADS", bad);
            let err = configured_threads().unwrap_err().to_string();
            assert!(
                err.contains("GILMAP_NUM_THREADS") && err.contains(bad),
                "{err}"
            );
        }
        std::env::remove_var("GILMAP_NUM_THREADS");
        assert!(configured_threads().unwrap() >= 1);
    }
}
