//! The `jit` backend's data path: compile (cached per kernel hash), run the kernel over
//! Rayon chunks with the GIL released, then re-evaluate the elements the kernel flagged
//! (`TAG_DEOPT`: an exception, an overflow, anything not provably exact) by calling the
//! function in CPython, in index order, so the first failing element raises CPython's own
//! exception and every other result is CPython's value.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use gilmap_llvm::{Kernel, TAG_COUNT, TAG_DEOPT, TAG_FLOAT, TAG_INT};
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyAny;

use crate::column::{Column, ColumnView, Lane};
use crate::kernel_cache::KernelCache;
use crate::outbuf::OutBuf;
use crate::output::Results;
use crate::parallel;

create_exception!(
    _gilmap,
    JitRefused,
    PyValueError,
    "The JIT cannot compile this function (the message says why and where)."
);

/// Elements below this run on the calling thread (no hand-off to the pool).
/// Elements a loop-free kernel runs on the calling thread to measure its speed.
const PROBE: usize = 512;
/// Work (seconds) below which the rest of a loop-free kernel's input runs on the calling
/// thread: about what waking the pool and waiting for it costs here.
const SERIAL_BUDGET: f64 = 60e-6;
/// Elements per parallel task; Ctrl-C is honoured between tasks.
const CHUNK: usize = 16384;
/// The shortest range of a kernel with loops or calls.
const LOOP_CHUNK: usize = 8;
/// Elements a loop kernel runs one at a time to measure itself, before deciding whether
/// to build its lane-parallel kernel.
const SIMT_PROBE: usize = 64;
/// CPU time (s) in the element-at-a-time kernel, over this run's rest and earlier runs,
/// above which building the lane-parallel kernel (15-25 ms of LLVM work, once per function
/// and lane) pays for itself: a tier-up, as JITs do for hot code.
const SIMT_WORTH: f64 = 0.06;

static KERNELS: KernelCache = KernelCache::new();

/// A compiled kernel, as seen from Python.
#[pyclass(module = "gilmap._gilmap", frozen, name = "JitKernel")]
pub struct JitKernel {
    pub kernel: Arc<Kernel>,
}

#[pymethods]
impl JitKernel {
    #[getter]
    fn hash(&self) -> &str {
        &self.kernel.hash
    }
    #[getter]
    fn lane(&self) -> &'static str {
        self.kernel.lane.name()
    }
    #[getter]
    fn typed_ir(&self) -> &str {
        &self.kernel.typed_ir
    }
    #[getter]
    fn llvm_ir(&self) -> &str {
        &self.kernel.llvm_ir
    }
    #[getter]
    fn optimized_ir(&self) -> &str {
        &self.kernel.optimized_ir
    }
    #[getter]
    fn compile_ms(&self) -> f64 {
        self.kernel.compile_ms
    }
    /// Elements in flight of the lane-parallel kernel (0: one element at a time).
    #[getter]
    fn simt_lanes(&self) -> usize {
        self.kernel.simt.as_ref().map_or(0, |l| *l)
    }
    /// Whether runs use the lane-parallel kernel now (it is built by the first run long
    /// enough to gain from it, or by `compile_simt`).
    #[getter]
    fn simt_ready(&self) -> bool {
        self.kernel.simt_ready()
    }
    /// Builds the lane-parallel kernel now (GIL released). Raises `JitRefused` with the
    /// reason when the function has none.
    fn compile_simt(&self, py: Python<'_>) -> PyResult<()> {
        let k = self.kernel.clone();
        py.detach(move || k.compile_simt())
            .map_err(JitRefused::new_err)
    }
    /// Why the kernel runs one element at a time (None when it is lane-parallel).
    #[getter]
    fn simt_note(&self) -> Option<String> {
        self.kernel.simt.as_ref().err().cloned()
    }
    #[getter]
    fn n_captures(&self) -> usize {
        self.kernel.captures.len()
    }
}

fn klane(lane: &str) -> PyResult<Lane> {
    crate::column::parse_lane(lane)
}

/// Compiles gnb `text` for `lane` ("int64", "bool", "float64"), or returns the cached
/// kernel with the same hash. Raises `JitRefused` with the reason.
#[pyfunction]
pub fn jit_compile(py: Python<'_>, text: &str, lane: &str) -> PyResult<(JitKernel, bool)> {
    let lane = klane(lane)?;
    let key = gilmap_llvm::kernel::cache_key(text, lane, gilmap_llvm::Simt::from_env())
        .map_err(|e| JitRefused::new_err(e.to_string()))?;
    if let Some(kernel) = KERNELS.get(&key) {
        return Ok((JitKernel { kernel }, true));
    }
    let text = text.to_string();
    // One compile at a time: two threads mapping the same new function must not both
    // link a kernel under the same symbol name.
    static COMPILING: Mutex<()> = Mutex::new(());
    let kernel = py.detach(|| {
        let _guard = COMPILING.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(k) = KERNELS.get(&key) {
            return Ok(k);
        }
        let k = Arc::new(gilmap_llvm::compile(&text, lane)?);
        KERNELS.insert(key, k.clone());
        Ok(k)
    });
    let kernel =
        kernel.map_err(|e: gilmap_llvm::CompileError| JitRefused::new_err(e.to_string()))?;
    Ok((JitKernel { kernel }, false))
}

/// `(kernels kept in the cache, its capacity)`.
#[pyfunction]
pub fn jit_cache_info() -> (usize, usize) {
    (KERNELS.len(), crate::kernel_cache::CAPACITY)
}

/// Whether any of these f64 bit patterns is a NaN (a branch-free pass that vectorizes:
/// the values were just written, so they are still in cache).
fn has_nan(vals: &[u64]) -> bool {
    vals.chunks(1024).any(|c| {
        c.iter()
            .fold(false, |acc, v| acc | gilmap_llvm::abi::is_nan(*v))
    })
}

/// Raw pointers of one run, shareable with the pool threads (valid until the run ends).
#[derive(Clone, Copy)]
struct RunPtrs {
    input: ColumnView,
    tags: *mut u8,
    vals: *mut u64,
    caps: *const u64,
    /// Set when the caller is interrupted; kernels test it on loop edges and calls.
    abort: *const u8,
}
// SAFETY: each task writes a disjoint index range; the caller waits for every task.
unsafe impl Send for RunPtrs {}
unsafe impl Sync for RunPtrs {}

impl RunPtrs {
    /// Runs `[start, end)` and returns the set of tags written (bit `1 << tag`).
    ///
    /// # Safety
    /// `[start, end)` is within the input and no other task runs it.
    unsafe fn run(&self, k: &Kernel, start: usize, end: usize) -> u32 {
        let (base, stride) = self.input.raw_ptr(start);
        let vals = self.vals.add(start);
        if let Some(t) = k.static_tag {
            // The kernel writes no tags (self.tags may be dangling).
            k.run_values(
                base,
                stride,
                self.tags,
                vals,
                end - start,
                self.caps,
                self.abort,
            );
            if t == TAG_FLOAT && has_nan(std::slice::from_raw_parts(vals, end - start)) {
                // A NaN result is CPython's to compute (the kernel leaves it in place).
                return (1 << t) | (1 << TAG_DEOPT);
            }
            return 1 << t;
        }
        let tags = self.tags.add(start);
        k.run_values(base, stride, tags, vals, end - start, self.caps, self.abort);
        let mut seen = [false; TAG_COUNT];
        for t in std::slice::from_raw_parts_mut(tags, end - start) {
            if *t as usize >= TAG_COUNT {
                // Not a tag (a compiler bug): CPython decides the element.
                *t = TAG_DEOPT;
            }
            seen[*t as usize] = true;
        }
        seen.iter()
            .enumerate()
            .filter(|(_, s)| **s)
            .fold(0, |acc, (i, _)| acc | (1 << i))
    }
}

/// Runs the kernel over every element. A loop-free kernel first runs a probe range on
/// the calling thread and measures it: when the rest would take less than waking the
/// pool costs ([`SERIAL_BUDGET`]), it finishes here too; otherwise the rest goes to
/// Rayon ranges with the GIL released. A kernel with loops or calls always runs on the
/// pool, even for one element, so Ctrl-C can interrupt it. Returns the set of tags
/// written.
fn run_kernel(py: Python<'_>, k: &Arc<Kernel>, ptrs: RunPtrs, n: usize) -> PyResult<u32> {
    if n == 0 {
        return Ok(0);
    }
    let mut seen = 0;
    let mut start = 0;
    // Loops may differ a lot in cost per element: let the last ranges be short.
    let mut min_chunk = LOOP_CHUNK;
    if k.bounded {
        static NEVER: u8 = 0;
        let mut here = ptrs;
        here.abort = &NEVER;
        let probe = n.min(PROBE);
        let t0 = std::time::Instant::now();
        // SAFETY: the probe range runs on this thread only, before any other.
        seen = unsafe { here.run(k, 0, probe) };
        let per = t0.elapsed().as_secs_f64() / probe as f64;
        if probe == n || per * ((n - probe) as f64) < SERIAL_BUDGET {
            // SAFETY: as above, for the rest of the range.
            return Ok(seen | unsafe { here.run(k, probe, n) });
        }
        start = probe;
        // Ranges of at least ~a third of the serial budget's work each.
        min_chunk = ((SERIAL_BUDGET / 3.0 / per.max(1e-12)) as usize).clamp(1024, CHUNK);
    }
    if !k.bounded && k.simt.is_ok() && !k.simt_ready() && n > SIMT_PROBE {
        let (kp, busy) = (k.clone(), Arc::new(AtomicU64::new(0)));
        let b2 = busy.clone();
        seen = parallel::run_chunks(py, SIMT_PROBE, LOOP_CHUNK, false, move |a, b, abort| {
            let mut p = ptrs;
            p.abort = abort;
            let t0 = std::time::Instant::now();
            // SAFETY: each range is run by one task only; the caller waits for all of them.
            let seen = unsafe { p.run(&kp, a, b) };
            b2.fetch_add(t0.elapsed().as_nanos() as u64, Ordering::Relaxed);
            seen
        })?;
        start = SIMT_PROBE;
        let probe_ns = busy.load(Ordering::Relaxed);
        let rest = probe_ns as f64 * 1e-9 / SIMT_PROBE as f64 * (n - start) as f64;
        let before = k
            .scalar_ns
            .fetch_add(probe_ns + (rest * 1e9) as u64, Ordering::Relaxed);
        if before as f64 * 1e-9 + rest > SIMT_WORTH {
            // Failure leaves the element-at-a-time kernel in use (it is never expected:
            // the lane-parallel kernel was lowered and verified with the function).
            let kc = k.clone();
            let _ = py.detach(move || kc.compile_simt());
        }
    }
    let k = k.clone();
    // Loop-free ranges are short: the calling thread helps; a kernel with loops leaves
    // it free to notice Ctrl-C.
    let rest = parallel::run_chunks(py, n - start, min_chunk, k.bounded, move |a, b, abort| {
        let mut p = ptrs;
        p.abort = abort;
        // SAFETY: each range is run by one task only; the caller waits for all of them.
        unsafe { p.run(&k, start + a, start + b) }
    })?;
    Ok(seen | rest)
}

/// Runs `kernel` over `column` and resolves deopts by calling `func`.
///
/// `captures` are the raw 8-byte values of the closure variables. `output` is "list",
/// "array" or "arrow" as for `subinterp_map`. When every element produced the same
/// numeric type and nothing needs CPython, an array output is the buffer the kernel
/// wrote (no copy).
#[pyfunction]
#[pyo3(signature = (kernel, column, captures, func, output))]
pub fn jit_map<'py>(
    py: Python<'py>,
    kernel: &Bound<'py, JitKernel>,
    column: &Bound<'py, Column>,
    captures: Vec<u64>,
    func: &Bound<'py, PyAny>,
    output: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let k = kernel.get().kernel.clone();
    if captures.len() != k.captures.len() {
        return Err(PyValueError::new_err(
            "capture count does not match the kernel",
        ));
    }
    let view = column.get().view();
    if view.lane != k.lane {
        // The kernel reads the column's 8-byte values as its lane's type.
        return Err(PyValueError::new_err(format!(
            "kernel compiled for the {} lane cannot run a {} column",
            k.lane.name(),
            view.lane.name()
        )));
    }
    let n = view.len;
    // A kernel with a static tag writes no tags: they are filled only if needed later.
    let mut tags = if k.static_tag.is_some() {
        Vec::new()
    } else {
        crate::bufpool::take_u8_any(n) // the kernel writes every tag
    };
    crate::output::advise_huge_pages(tags.as_mut_ptr(), tags.len());
    let list = output == "list";
    // Array outputs: the kernel writes its values straight into the output buffer.
    let out = if list {
        None
    } else {
        Some(OutBuf::new_bound(py, n * 8, |_| {})?)
    };
    let mut vals: Vec<u64> = if list {
        crate::bufpool::take_u64_any(n) // the kernel writes every value
    } else {
        Vec::new()
    };
    crate::output::advise_huge_pages(vals.as_mut_ptr() as *mut u8, vals.len() * 8);
    let vals_ptr = match &out {
        // n * 8 bytes, 8-byte aligned, written only by the kernel until returned.
        Some(b) => b.borrow().as_mut_ptr() as *mut u64,
        None => vals.as_mut_ptr(),
    };
    let ptrs = RunPtrs {
        input: view,
        tags: tags.as_mut_ptr(),
        vals: vals_ptr,
        caps: captures.as_ptr(),
        abort: std::ptr::null(),
    };
    // Null slots hold a valid element's value (src/column.rs), so a kernel's work on them
    // is bounded; with no valid element at all there is no such value and nothing to run.
    let all_null = view.has_nulls() && (0..n).all(|i| !view.is_valid(i));
    let seen = if all_null {
        if k.static_tag.is_none() {
            tags.fill(TAG_DEOPT);
        }
        1 << TAG_DEOPT
    } else {
        run_kernel(py, &k, ptrs, n)?
    };
    let clean = seen & (1 << TAG_DEOPT) == 0 && !view.has_nulls();
    if let (Some(out), true) = (&out, clean) {
        let dtype = if seen == 1 << TAG_INT {
            Some("int64")
        } else if seen == 1 << TAG_FLOAT {
            Some("float64")
        } else {
            None
        };
        if let Some(dtype) = dtype {
            let items = [
                pyo3::types::PyString::new(py, dtype).into_any(),
                out.clone().into_any(),
                py.None().into_bound(py),
                0usize.into_pyobject(py)?.into_any(),
            ];
            return Ok(pyo3::types::PyTuple::new(py, items)?.into_any());
        }
    }
    if let Some(out) = &out {
        // The kernel wrote all n * 8 bytes.
        vals = out
            .borrow()
            .bytes()
            .chunks_exact(8)
            .map(|c| u64::from_ne_bytes(c.try_into().unwrap()))
            .collect();
    }
    if let Some(t) = k.static_tag {
        tags = crate::bufpool::take_u8(n, t);
        if seen & (1 << TAG_DEOPT) != 0 {
            for (tag, v) in tags.iter_mut().zip(&vals) {
                if gilmap_llvm::abi::is_nan(*v) {
                    *tag = TAG_DEOPT;
                }
            }
        }
    }
    let results = Results::from_parts(tags, vals);
    if !clean {
        resolve(py, &results, &view, func)?;
    }
    Ok(match output {
        "list" => results.to_list(py)?.into_any(),
        other => results
            .to_array(py, view.lane, other == "arrow", view.base)?
            .into_any(),
    })
}

/// The version of the LLVM linked into the extension.
#[pyfunction]
pub fn llvm_version() -> String {
    gilmap_llvm::engine::llvm_version()
}

/// Why LLVM cannot compile on this machine (its native target failed to initialise), or
/// None when it can.
#[pyfunction]
pub fn jit_unavailable() -> Option<String> {
    gilmap_llvm::engine::host().err().map(|e| e.to_string())
}

/// Evaluates `func` on every element with CPython on this thread, in index order, and
/// assembles the output exactly as a kernel's (the same dtype rules, big ints, None and
/// object results, and the first failing element's exception). The exact fallback of
/// backends that work on whole arrays (arrow_kernel) when they cannot match CPython.
#[pyfunction]
#[pyo3(signature = (column, func, output))]
pub fn cpython_map<'py>(
    py: Python<'py>,
    column: &Bound<'py, Column>,
    func: &Bound<'py, PyAny>,
    output: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let view = column.get().view();
    let n = view.len;
    let results = Results::from_parts(
        crate::bufpool::take_u8(n, TAG_DEOPT),
        crate::bufpool::take_u64(n, 0),
    );
    resolve(py, &results, &view, func)?;
    Ok(match output {
        "list" => results.to_list(py)?.into_any(),
        other => results
            .to_array(py, view.lane, other == "arrow", view.base)?
            .into_any(),
    })
}

/// Marks null input slots, and re-evaluates flagged elements with CPython in index order.
fn resolve(
    py: Python<'_>,
    results: &Results,
    view: &ColumnView,
    func: &Bound<'_, PyAny>,
) -> PyResult<()> {
    for i in 0..view.len {
        if !view.is_valid(i) {
            // SAFETY: single-threaded now.
            unsafe { results.set(i, crate::output::TAG_NULL, 0) };
            continue;
        }
        if results.tag(i) != TAG_DEOPT {
            continue;
        }
        let raw = view.raw(i);
        let arg = match view.lane {
            Lane::Int64 => (raw as i64).into_pyobject(py)?.into_any(),
            Lane::Bool => pyo3::types::PyBool::new(py, raw != 0).to_owned().into_any(),
            Lane::Float64 => f64::from_bits(raw).into_pyobject(py)?.into_any(),
        };
        let r = func.call1((arg,))?;
        results.store_object(py, i, &r)?;
    }
    Ok(())
}
