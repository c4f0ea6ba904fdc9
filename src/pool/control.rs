//! Interrupting a worker from another thread.
//!
//! A worker can be inside one element for ever (`while True: pass`). Signals reach only the
//! main interpreter, and `PyThreadState_SetAsyncExc` only finds threads of the *calling*
//! thread's interpreter, so neither reaches a worker. What does: CPython's per-interpreter
//! pending-call queue. `_PyEval_AddPendingCall(interp, func, arg, 0)` (exported, not in the
//! public headers; same ABI on 3.12 and 3.13: it returns 0 or -1 and flag 0 means "any
//! thread of `interp`") may be called from any thread; it trips `interp`'s eval breaker, and
//! the worker runs `func` at its next check (every loop back-edge and most calls). `func`
//! raises `KeyboardInterrupt` there when the worker's current job has been cancelled, and
//! queues itself again, so an `except:` that swallows it is interrupted once more.
//!
//! Nothing is checked per element: the cost is one atomic store per job and worker.
//!
//! Lifetime: a [`WorkerControl`] is registered from the moment its interpreter exists until
//! just before the worker ends it; `interp` is only read under its mutex, which the worker
//! takes to clear it before `Py_EndInterpreter` (which runs, and so drains, calls still
//! queued). The worker holds an `Arc` of its control past that point, so a queued call's
//! `arg` never dangles.

use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use pyo3::ffi;

use super::job::Job;

/// `int _PyEval_AddPendingCall(PyInterpreterState *, int (*)(void *), void *, int)`.
type AddPendingCall = unsafe extern "C" fn(
    *mut ffi::PyInterpreterState,
    unsafe extern "C" fn(*mut c_void) -> c_int,
    *mut c_void,
    c_int,
) -> c_int;

/// What another thread needs to interrupt one worker.
pub struct WorkerControl {
    pid: u32,
    /// The worker's `PyInterpreterState*`; null once the worker is about to end it.
    interp: Mutex<usize>,
    /// The job whose elements the worker is running (null between jobs). Written only by
    /// the worker thread, which holds an `Arc` of that job meanwhile.
    current_job: AtomicPtr<Job>,
    /// The worker is inside the user's function (interrupts outside it, in gilmap's own
    /// Python calls such as formatting a traceback, would only add noise). Worker-only.
    in_call: AtomicBool,
    /// The worker's thread: pending calls run on whichever thread of the interpreter checks
    /// first, and on 3.13 the main thread runs a leftover interpreter's last Python code
    /// when it tears it down at exit; only the worker itself must be interrupted.
    thread: libc::pthread_t,
}

/// Every live worker of this process (and, after a fork, stale ones of the parent, which
/// `pid` tells apart and [`forget_after_fork`] drops).
static REGISTRY: Mutex<Vec<Arc<WorkerControl>>> = Mutex::new(Vec::new());

fn add_pending_call() -> Option<AddPendingCall> {
    static ADD: OnceLock<usize> = OnceLock::new();
    let addr = *ADD.get_or_init(|| {
        // SAFETY: dlsym with RTLD_DEFAULT and a NUL-terminated name only reads the loaded
        // objects' symbol tables; a null result means "not exported" and is handled.
        unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"_PyEval_AddPendingCall".as_ptr()) as usize }
    });
    // SAFETY: a non-null address of this symbol is CPython's function, whose signature
    // on 3.12 and 3.13 is `AddPendingCall` (3.13's result type is a typedef of int).
    (addr != 0).then(|| unsafe { std::mem::transmute::<usize, AddPendingCall>(addr) })
}

/// Whether this CPython lets gilmap interrupt a worker (the symbol is exported).
pub fn interrupts_supported() -> bool {
    add_pending_call().is_some()
}

impl WorkerControl {
    /// Registers the calling worker, whose interpreter is current.
    pub fn register() -> Arc<WorkerControl> {
        // SAFETY: called on the worker thread with its interpreter's thread state current.
        let interp = unsafe { ffi::PyInterpreterState_Get() } as usize;
        let ctl = Arc::new(WorkerControl {
            pid: std::process::id(),
            interp: Mutex::new(interp),
            current_job: AtomicPtr::new(std::ptr::null_mut()),
            in_call: AtomicBool::new(false),
            // SAFETY: pthread_self has no preconditions.
            thread: unsafe { libc::pthread_self() },
        });
        REGISTRY
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(ctl.clone());
        ctl
    }

    /// Before the worker ends its interpreter: no new interrupt may be queued for it.
    pub fn unregister(self: &Arc<WorkerControl>) {
        *self.interp.lock().unwrap_or_else(|e| e.into_inner()) = 0;
        REGISTRY
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|c| !Arc::ptr_eq(c, self));
    }

    /// The worker enters (`Some`) or leaves (`None`) a job. SeqCst pairs with
    /// [`interrupt`]'s: either the canceller sees the job here, or the worker, checking
    /// `job.is_cancelled()` after this store, sees the cancellation.
    pub fn set_job(&self, job: Option<&Job>) {
        let p = job.map_or(std::ptr::null_mut(), |j| j as *const Job as *mut Job);
        self.current_job.store(p, Ordering::SeqCst);
    }

    /// The worker has read its element's input and enters the user's function. Release:
    /// a caller that sees `true` ([`released`]) knows those reads are done.
    #[inline]
    pub fn enter_call(&self) {
        self.in_call.store(true, Ordering::Release);
    }

    /// The worker leaves the user's function. With [`released`]'s `membarrier` this is an
    /// asymmetric Dekker: either the caller sees `false` (and waits), or the worker's next
    /// check of `job.limit()` sees the cancellation (and reads no more input). The worker
    /// side needs only a compiler fence: a plain store, the per-element cost.
    #[inline]
    pub fn leave_call(&self) {
        self.in_call.store(false, Ordering::Relaxed);
        std::sync::atomic::compiler_fence(Ordering::SeqCst);
    }
}

/// Queues [`interrupt_call`] for every worker of this process that is running `job`.
/// Call after `job` was marked cancelled. Any thread, with or without a thread state.
pub fn interrupt(job: &Job) {
    let Some(add) = add_pending_call() else {
        return;
    };
    let me = job as *const Job as *mut Job;
    let pid = std::process::id();
    let reg = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    for ctl in reg.iter() {
        if ctl.pid != pid || ctl.current_job.load(Ordering::SeqCst) != me {
            continue;
        }
        let interp = ctl.interp.lock().unwrap_or_else(|e| e.into_inner());
        if *interp != 0 {
            // SAFETY: `interp` is non-null under its mutex, so the worker has not started
            // to end the interpreter (it clears the field under the same mutex first); the
            // call only queues (func, arg) under the interpreter's pending-call lock and
            // trips its eval breaker. `arg` stays valid: see the module comment.
            unsafe {
                add(
                    *interp as *mut ffi::PyInterpreterState,
                    interrupt_call,
                    Arc::as_ptr(ctl) as *mut c_void,
                    0,
                );
            }
        }
    }
}

/// Whether the cancelled `job` no longer touches its caller's data: every worker of this
/// process still in it is inside the user's function (blocked in C code, say), past its
/// input reads, and will leave the job when that call returns without reading more. The
/// caller may then return (raising) without waiting for those calls; the job's own memory
/// (results) lives on in the workers' `Arc`s.
pub fn released(job: &Job) -> bool {
    if !heavy_barrier() {
        return false; // no asymmetric fence here: wait for the workers as before
    }
    let me = job as *const Job as *mut Job;
    let pid = std::process::id();
    let reg = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    reg.iter()
        .filter(|c| c.pid == pid && c.current_job.load(Ordering::SeqCst) == me)
        .all(|c| c.in_call.load(Ordering::SeqCst))
}

/// The heavy side of the asymmetric fence: a full memory barrier on every running thread
/// of this process (Linux `membarrier`, private expedited, registered first; registering
/// again is a no-op). False when the kernel (or a seccomp filter) refuses.
fn heavy_barrier() -> bool {
    const MEMBARRIER_CMD_PRIVATE_EXPEDITED: libc::c_long = 1 << 3;
    const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_long = 1 << 4;
    // SAFETY: membarrier takes (cmd, flags, cpu_id) integers and touches no memory of ours.
    unsafe {
        libc::syscall(
            libc::SYS_membarrier,
            MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
            0,
            0,
        ) == 0
            && libc::syscall(libc::SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0
    }
}

/// Runs on the worker thread, inside its eval loop, holding its GIL: raises
/// `KeyboardInterrupt` if the worker is inside an element of a cancelled job (and then
/// stays armed).
unsafe extern "C" fn interrupt_call(arg: *mut c_void) -> c_int {
    // SAFETY (caller): `arg` is an `Arc<WorkerControl>`'s pointer, alive while the worker
    // lives, and pending calls of an interpreter run only on its threads before its end.
    let ctl = &*(arg as *const WorkerControl);
    if libc::pthread_equal(ctl.thread, libc::pthread_self()) == 0 {
        return 0;
    }
    let job = ctl.current_job.load(Ordering::Relaxed);
    // SAFETY: a non-null `current_job` was stored by this very thread, which keeps the job
    // alive until it clears the field.
    if !ctl.in_call.load(Ordering::Relaxed) || job.is_null() || !(*job).is_cancelled() {
        return 0;
    }
    if let Some(add) = add_pending_call() {
        // Re-armed so that user code catching the exception is interrupted again; the
        // interpreter is current here, so it is alive.
        add(ffi::PyInterpreterState_Get(), interrupt_call, arg, 0);
    }
    ffi::PyErr_SetNone(ffi::PyExc_KeyboardInterrupt);
    -1
}

/// Whether a worker of this process still has a live interpreter (running or stuck).
pub fn any_alive() -> bool {
    let pid = std::process::id();
    REGISTRY
        .lock()
        .map(|r| r.iter().any(|c| c.pid == pid))
        .unwrap_or(true)
}

/// In a forked child: the parent's workers and interpreters do not exist here.
pub fn forget_after_fork() {
    let pid = std::process::id();
    if let Ok(mut r) = REGISTRY.try_lock() {
        r.retain(|c| c.pid == pid);
    }
}
