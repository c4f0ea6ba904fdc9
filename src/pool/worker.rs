//! A worker thread: owns one sub-interpreter, takes jobs from the pool's queue, and calls
//! the user's function element by element on raw int64/float64 input.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use pyo3::ffi;

use super::control::WorkerControl;
use super::interp::{
    capture_exception, import_qualname, set_sys_path, sync_globals, to_str, Owned, SubInterpreter,
};
use super::job::{Job, WorkerStats};
use super::Shared;
use crate::column::Lane;
use crate::error::GilmapError;
use crate::output::{TAG_BOOL, TAG_FLOAT, TAG_INT};

struct Worker {
    index: usize,
    interp: SubInterpreter,
    control: Arc<WorkerControl>,
    sys_path: Vec<String>,
    funcs: HashMap<(String, String), Owned>,
}

/// The thread body. Reports interpreter creation through `ready`.
pub fn run(index: usize, shared: Arc<Shared>, ready: std::sync::mpsc::Sender<Result<(), String>>) {
    let interp = match SubInterpreter::create() {
        Ok(i) => i,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let control = WorkerControl::register();
    let _ = ready.send(Ok(()));
    let mut worker = Worker {
        index,
        interp,
        control,
        sys_path: Vec::new(),
        funcs: HashMap::new(),
    };
    while let Some(job) = shared.next_job() {
        worker.control.set_job(Some(&job));
        let stats = worker.run_job(&job);
        worker.control.set_job(None);
        shared.leave(&job, stats);
    }
    let Worker {
        interp,
        funcs,
        control,
        ..
    } = worker;
    drop(funcs);
    // No interrupt can be queued from here on; the ones already queued run (and do
    // nothing: no job is current) inside Py_EndInterpreter, while `control` is still alive.
    control.unregister();
    interp.end();
    drop(control);
}

impl Worker {
    fn run_job(&mut self, job: &Job) -> WorkerStats {
        let mut stats = WorkerStats {
            worker: self.index,
            interp_id: self.interp.id(),
            // SAFETY: gettid has no preconditions.
            thread_id: unsafe { libc::gettid() } as u64,
            ..Default::default()
        };
        if job.is_cancelled() {
            // Cancelled before this worker entered it (checked after `set_job`: see
            // WorkerControl::set_job).
            return stats;
        }
        let func = match self.function(job) {
            Ok(f) => f,
            Err(exc) => {
                job.fail_setup(&job.module, &job.qualname, exc);
                return stats;
            }
        };
        let mut ns_per_element: Option<f64> = None;
        while let Some((start, end)) = job.claim(ns_per_element) {
            let t0 = Instant::now();
            let mut done = 0usize;
            for i in start..end {
                if i >= job.limit() {
                    break;
                }
                // SAFETY: this worker's interpreter is current; index i is ours alone.
                if let Err(e) = unsafe { call_one(job, &self.control, func, i) } {
                    job.fail(i, e);
                    break;
                }
                done += 1;
            }
            let ns = t0.elapsed().as_nanos() as u64;
            stats.busy_ns += ns;
            stats.elements += done;
            stats.chunks += 1;
            if done > 0 {
                let per = ns as f64 / done as f64;
                ns_per_element = Some(ns_per_element.map_or(per, |old| 0.5 * old + 0.5 * per));
            }
        }
        stats
    }

    /// The cached function object for the job, importing it the first time.
    fn function(
        &mut self,
        job: &Job,
    ) -> Result<*mut ffi::PyObject, crate::error::CapturedException> {
        // SAFETY (of the calls below): this is the worker's thread, holding its own
        // interpreter's GIL; `f.ptr()` is a function object the worker owns a reference to.
        if self.sys_path != job.sys_path {
            unsafe { set_sys_path(&job.sys_path)? };
            self.sys_path = job.sys_path.clone();
        }
        let key = (job.module.clone(), job.qualname.clone());
        if let Some(f) = self.funcs.get(&key) {
            unsafe { sync_globals(f.ptr(), &job.globals)? };
            return Ok(f.ptr());
        }
        let f = unsafe { import_qualname(&job.module, &job.qualname)? };
        let ptr = f.ptr();
        self.funcs.insert(key, f);
        unsafe { sync_globals(ptr, &job.globals)? };
        Ok(ptr)
    }
}

/// Calls `func` on element `i` and stores its result (null slots are skipped).
unsafe fn call_one(
    job: &Job,
    control: &WorkerControl,
    func: *mut ffi::PyObject,
    i: usize,
) -> Result<(), GilmapError> {
    let input = &job.input;
    if !input.is_valid(i) {
        return Ok(());
    }
    let raw = input.raw(i);
    let arg = match input.lane {
        Lane::Int64 => ffi::PyLong_FromLongLong(raw as i64),
        Lane::Bool => ffi::PyBool_FromLong((raw != 0) as _),
        Lane::Float64 => ffi::PyFloat_FromDouble(f64::from_bits(raw)),
    };
    let Some(arg) = Owned::new(arg) else {
        return Err(GilmapError::Worker {
            index: i + input.base,
            exc: Box::new(capture_exception()),
        });
    };
    control.enter_call();
    let res = ffi::PyObject_CallOneArg(func, arg.ptr());
    control.leave_call();
    let Some(res) = Owned::new(res) else {
        if job.is_cancelled() {
            // Most likely the interrupt (control.rs): the job's error is discarded anyway,
            // so skip formatting a traceback.
            ffi::PyErr_Clear();
            return Err(GilmapError::Worker {
                index: i + input.base,
                exc: Box::new(crate::error::CapturedException {
                    type_module: "builtins".into(),
                    type_qualname: "KeyboardInterrupt".into(),
                    message: "cancelled".into(),
                    traceback: String::new(),
                }),
            });
        }
        return Err(GilmapError::Worker {
            index: i + input.base,
            exc: Box::new(capture_exception()),
        });
    };
    let r = res.ptr();
    if ffi::PyBool_Check(r) != 0 {
        job.results.set(i, TAG_BOOL, (r == ffi::Py_True()) as u64);
    } else if ffi::PyLong_Check(r) != 0 {
        let mut overflow = 0;
        let v = ffi::PyLong_AsLongLongAndOverflow(r, &mut overflow);
        if overflow != 0 {
            job.results.set_big(i, to_str(r).unwrap_or_default());
        } else {
            job.results.set(i, TAG_INT, v as u64);
        }
    } else if ffi::PyFloat_Check(r) != 0 {
        job.results
            .set(i, TAG_FLOAT, ffi::PyFloat_AS_DOUBLE(r).to_bits());
    } else {
        let name = std::ffi::CStr::from_ptr((*ffi::Py_TYPE(r)).tp_name);
        return Err(GilmapError::NonNumberResult {
            index: i + input.base,
            type_name: name.to_string_lossy().into_owned(),
        });
    }
    Ok(())
}
