//! Stage 5b: the element loop around the mapped function, and the compile driver.
//!
//! `kernel(in, stride, tags, vals, n, caps, abort)` reads `n` raw 8-byte inputs (`stride`
//! in elements), calls the root instance for each and writes one tag byte and 8 value bytes
//! per element. The root is inlined, so a straight-line body vectorizes. Loops and calls
//! test the `abort` byte, so an interrupted caller does not wait for a long element.

use std::sync::OnceLock;

use inkwell::builder::Builder;
use inkwell::context::Context;
use inkwell::module::Linkage;
use inkwell::values::{BasicMetadataValueEnum, BasicValue, FunctionValue, IntValue, PointerValue};
use inkwell::{AddressSpace, IntPredicate};

use crate::engine;
use crate::error::{CompileError, Loc, Result};
use crate::lower::{Instances, Unit};
use crate::parse::{self, CaptureTy, Program};
use crate::types::Ty;

pub use crate::abi::{KernelFn, Lane};

/// The type a lane's element has in the typed IR.
fn lane_ty(lane: Lane) -> Ty {
    match lane {
        Lane::Int64 => Ty::Int,
        Lane::Bool => Ty::Bool,
        Lane::Float64 => Ty::Float,
    }
}

/// An abort flag that is never set, for runs that cannot be interrupted.
static NEVER: u8 = 0;

/// A compiled kernel and its text forms.
pub struct Kernel {
    pub hash: String,
    pub lane: Lane,
    pub captures: Vec<CaptureTy>,
    pub typed_ir: String,
    pub llvm_ir: String,
    pub optimized_ir: String,
    pub compile_ms: f64,
    /// The one tag every element gets, when the function returns one type on every path
    /// and can never need CPython (then the kernel does not write `tags` at all).
    pub static_tag: Option<u8>,
    /// The function has no loop and no call: every element takes bounded time, so a run
    /// on the calling thread cannot hang.
    pub bounded: bool,
    /// Ok(lanes): the function can run lane-parallel (`crate::simt`), `lanes` elements in
    /// flight, once [`Kernel::compile_simt`] has built that kernel; Err: why it runs one
    /// element at a time.
    pub simt: std::result::Result<usize, String>,
    f: KernelFn,
    /// Keeps `f`'s machine code loaded; dropping the kernel frees it.
    _code: engine::Code,
    /// The lowered module with the lane-parallel kernel, as bitcode: compiled on demand
    /// (it costs 15-25 ms of LLVM time, more than the element-at-a-time kernel; a run
    /// long enough to gain from it asks for it, see `src/jit.rs`).
    simt_bitcode: Option<Vec<u8>>,
    simt_fn: OnceLock<std::result::Result<(usize, engine::Code), String>>,
    prefix: String,
    /// CPU time (ns) runs have spent (or are predicted to spend) in the element-at-a-time
    /// kernel: the driver builds the lane-parallel one once this makes it worth it.
    pub scalar_ns: std::sync::atomic::AtomicU64,
}

impl Kernel {
    /// Runs the kernel over `n` elements, writing a tag and a value per element.
    ///
    /// # Safety
    /// `input` holds `n` elements at `stride` (in 8-byte elements); `tags` and `vals` hold
    /// `n` slots; `caps` holds one 8-byte value per capture.
    pub unsafe fn run(
        &self,
        input: *const u8,
        stride: i64,
        tags: *mut u8,
        vals: *mut u64,
        n: usize,
        caps: *const u64,
    ) {
        self.run_values(input, stride, tags, vals, n, caps, &NEVER);
        if let Some(t) = self.static_tag {
            std::ptr::write_bytes(tags, t, n);
            if t == crate::abi::TAG_FLOAT {
                // NaN values are deopts (see `abi`).
                let vs = std::slice::from_raw_parts(vals, n);
                let ts = std::slice::from_raw_parts_mut(tags, n);
                for (tag, v) in ts.iter_mut().zip(vs) {
                    if crate::abi::is_nan(*v) {
                        *tag = crate::abi::TAG_DEOPT;
                    }
                }
            }
        }
    }

    /// Like [`Kernel::run`], but a kernel with a `static_tag` does not touch `tags`
    /// (which may then be dangling), and elements stop (as deopts) once `abort` is set.
    ///
    /// # Safety
    /// As for [`Kernel::run`], except for `tags` when `static_tag` is set; `abort` points to
    /// a byte valid for the call (other threads write it only atomically).
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn run_values(
        &self,
        input: *const u8,
        stride: i64,
        tags: *mut u8,
        vals: *mut u64,
        n: usize,
        caps: *const u64,
        abort: *const u8,
    ) {
        let f = match self.simt_fn.get() {
            // SAFETY: the address of the `_simt` kernel, which has the kernel signature.
            Some(Ok((a, _))) => std::mem::transmute::<usize, KernelFn>(*a),
            _ => self.f,
        };
        f(input, stride, tags, vals, n as i64, caps, abort)
    }

    /// Whether runs now use the lane-parallel kernel.
    pub fn simt_ready(&self) -> bool {
        matches!(self.simt_fn.get(), Some(Ok(_)))
    }

    /// Builds the lane-parallel kernel (once; later calls return the first outcome).
    /// From then on runs use it. Err when the function has none or LLVM failed.
    pub fn compile_simt(&self) -> std::result::Result<(), String> {
        let Some(bitcode) = &self.simt_bitcode else {
            return Err(self.simt.clone().err().unwrap_or_default());
        };
        self.simt_fn
            .get_or_init(|| compile_simt_module(bitcode, &self.prefix).map_err(|e| e.to_string()))
            .as_ref()
            .map(|_| ())
            .map_err(Clone::clone)
    }
}

/// Parses the lowered module again (a context of its own), drops the element-at-a-time
/// kernel (linked already), optimizes and links `{prefix}_simt`.
fn compile_simt_module(bitcode: &[u8], prefix: &str) -> Result<(usize, engine::Code)> {
    let ctx = Context::create();
    let buf = inkwell::memory_buffer::MemoryBuffer::create_from_memory_range_copy(bitcode, prefix);
    let module = inkwell::module::Module::parse_bitcode_from_buffer(&buf, &ctx)
        .map_err(|e| CompileError::Llvm(e.to_string()))?;
    if let Some(k) = module.get_function(&format!("{prefix}_kernel")) {
        // SAFETY: the kernel is external and has no callers in the module.
        unsafe { k.delete() };
    }
    let tm = engine::target_machine()?;
    engine::optimize(&module, &tm)?;
    let (addrs, code) = engine::link(&module, &tm, &[&format!("{prefix}_simt")])?;
    Ok((addrs[0], code))
}

/// Deletes the lane-parallel kernel and the functions only it uses from `module`.
fn strip_simt(module: &inkwell::module::Module<'_>, prefix: &str) {
    let driver = format!("{prefix}_simt");
    let parts = [format!("{prefix}_prologue"), format!("{prefix}_step")];
    let mut doomed: Vec<FunctionValue<'_>> = Vec::new();
    let mut f = module.get_first_function();
    while let Some(g) = f {
        let name = g.get_name().to_string_lossy().into_owned();
        if name == driver {
            doomed.insert(0, g); // the only caller of the others: first
        } else if parts.iter().any(|p| name.starts_with(p.as_str())) {
            doomed.push(g);
        }
        f = g.get_next_function();
    }
    for g in doomed {
        // SAFETY: deleted callers first; nothing else refers to these functions.
        unsafe { g.delete() };
    }
}

/// Everything that determines the machine code, hashed: the kernel's identity.
pub fn cache_key(text: &str, lane: Lane, simt: Simt) -> Result<String> {
    let h = engine::host()?;
    let llvm = engine::llvm_version();
    let mut hasher = blake3::Hasher::new();
    for part in [
        text,
        lane.name(),
        env!("CARGO_PKG_VERSION"),
        &llvm,
        &h.triple,
        &h.cpu,
        &h.features,
        simt.name(),
    ] {
        hasher.update(part.as_bytes());
        hasher.update(&[0]);
    }
    Ok(hasher.finalize().to_hex()[..16].to_string())
}

const MAX_ROUNDS: usize = 6;

/// Whether functions with loops get the lane-parallel kernel (`crate::simt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Simt {
    /// One element at a time (`GILMAP_SIMT=0`).
    Off,
    /// Lane-parallel where the loops can be widened (the default).
    On,
}

impl Simt {
    /// What `GILMAP_SIMT` asks for (read when a kernel is compiled; part of the kernel's
    /// identity).
    pub fn from_env() -> Simt {
        match std::env::var("GILMAP_SIMT").as_deref() {
            Ok("0") => Simt::Off,
            _ => Simt::On,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Simt::Off => "simt-off",
            Simt::On => "simt",
        }
    }
}

/// Parses, types and lowers `text` for `lane` (no optimization): returns the module's
/// typed IR and unoptimized LLVM IR. Used by `compile` and by the snapshot tests.
pub fn lower_only(text: &str, lane: Lane) -> Result<(String, String)> {
    let ctx = Context::create();
    let prog = parse::parse(text)?;
    let low = lower_rounds(&ctx, &prog, lane, "k", Simt::On)?;
    Ok((low.typed, low.ir))
}

/// A lowered module and what the driver needs to know about it.
struct Lowered<'ctx> {
    typed: String,
    ir: String,
    module: inkwell::module::Module<'ctx>,
    static_tag: Option<u8>,
    bounded: bool,
    /// Ok: the module also has the lane-parallel kernel; Err: why not.
    simt: std::result::Result<(), String>,
}

fn lower_rounds<'ctx>(
    ctx: &'ctx Context,
    prog: &Program,
    lane: Lane,
    prefix: &str,
    simt: Simt,
) -> Result<Lowered<'ctx>> {
    if let Some(reason) = &prog.funcs[0].refusal {
        return Err(CompileError::Refused(reason.clone()));
    }
    if prog.funcs[0].argc != 1 {
        return Err(CompileError::Refused(
            "the mapped function must take exactly one argument".into(),
        ));
    }
    let mut inst = Instances::default();
    for _ in 0..MAX_ROUNDS {
        let mut unit = Unit::new(ctx, prog, &mut inst, prefix);
        let loc = Loc::default();
        let (root, ret) = unit.instance(0, vec![lane_ty(lane)], true, loc)?;
        if unit.incomplete {
            continue;
        }
        let static_tag = match (&ret, unit.root_can_deopt) {
            (Ty::Int, false) => Some(crate::abi::TAG_INT),
            (Ty::Float, false) => Some(crate::abi::TAG_FLOAT),
            (Ty::Bool, false) => Some(crate::abi::TAG_BOOL),
            _ => None,
        };
        emit_loop(&unit, root, lane, prefix, static_tag.is_some());
        let simt = if simt == Simt::Off {
            Err("turned off (GILMAP_SIMT=0)".to_string())
        } else if static_tag.is_some() {
            Err("the function has no loop".to_string())
        } else {
            unit.cut_root(lane_ty(lane))
                .map_err(|e| e.to_string())
                .and_then(|cut| crate::simt::emit(&unit, &cut, lane, prefix))
        };
        let typed = unit.typed.clone();
        let ir = unit.module.print_to_string().to_string();
        let bounded = !unit.unbounded;
        return Ok(Lowered {
            typed,
            ir,
            module: unit.module,
            static_tag,
            bounded,
            simt,
        });
    }
    Err(CompileError::ty(
        "could not infer the types (a recursive function whose result never reaches a base case?)",
        Loc::default(),
    ))
}

/// The parameters of a kernel function.
pub(crate) struct KernelParams<'ctx> {
    pub inp: PointerValue<'ctx>,
    pub stride: IntValue<'ctx>,
    pub tags: PointerValue<'ctx>,
    pub vals: PointerValue<'ctx>,
    pub n: IntValue<'ctx>,
    pub caps: PointerValue<'ctx>,
    pub abort: PointerValue<'ctx>,
}

/// Declares a kernel `name(in, stride, tags, vals, n, caps, abort)`.
pub(crate) fn kernel_fn<'ctx>(
    unit: &Unit<'_, 'ctx>,
    name: &str,
) -> (FunctionValue<'ctx>, KernelParams<'ctx>) {
    let ctx = unit.ctx;
    let (i64t, ptr) = (ctx.i64_type(), ctx.ptr_type(AddressSpace::default()));
    let fty = ctx.void_type().fn_type(
        &[
            ptr.into(),
            i64t.into(),
            ptr.into(),
            ptr.into(),
            i64t.into(),
            ptr.into(),
            ptr.into(),
        ],
        false,
    );
    let k = unit.module.add_function(name, fty, Some(Linkage::External));
    let noalias = inkwell::attributes::Attribute::get_named_enum_kind_id("noalias");
    for i in [0u32, 2, 3, 5] {
        k.add_attribute(
            inkwell::attributes::AttributeLoc::Param(i),
            ctx.create_enum_attribute(noalias, 0),
        );
    }
    let p = |i| k.get_nth_param(i).unwrap();
    let params = KernelParams {
        inp: p(0).into_pointer_value(),
        stride: p(1).into_int_value(),
        tags: p(2).into_pointer_value(),
        vals: p(3).into_pointer_value(),
        n: p(4).into_int_value(),
        caps: p(5).into_pointer_value(),
        abort: p(6).into_pointer_value(),
    };
    (k, params)
}

/// Loads input element `i` (8 raw bytes at `i * stride`) as the lane's value.
pub(crate) fn load_input<'ctx>(
    b: &Builder<'ctx>,
    ctx: &'ctx Context,
    lane: Lane,
    inp: PointerValue<'ctx>,
    stride: IntValue<'ctx>,
    i: IntValue<'ctx>,
) -> BasicMetadataValueEnum<'ctx> {
    let i64t = ctx.i64_type();
    let off = b.build_int_mul(i, stride, "").unwrap();
    // SAFETY (of the generated code): the driver guarantees the bounds.
    let src = unsafe { b.build_in_bounds_gep(i64t, inp, &[off], "").unwrap() };
    let load = b.build_load(i64t, src, "raw").unwrap();
    load.as_instruction_value()
        .unwrap()
        .set_alignment(1)
        .unwrap();
    let raw = load.into_int_value();
    match lane {
        Lane::Int64 => raw.into(),
        Lane::Bool => b
            .build_int_compare(IntPredicate::NE, raw, i64t.const_zero(), "")
            .unwrap()
            .into(),
        Lane::Float64 => b.build_bit_cast(raw, ctx.f64_type(), "").unwrap().into(),
    }
}

fn emit_loop<'ctx>(
    unit: &Unit<'_, 'ctx>,
    root: FunctionValue<'ctx>,
    lane: Lane,
    prefix: &str,
    skip_tags: bool,
) {
    let ctx = unit.ctx;
    let (i8t, i64t) = (ctx.i8_type(), ctx.i64_type());
    let (k, p) = kernel_fn(unit, &format!("{prefix}_kernel"));
    let always = inkwell::attributes::Attribute::get_named_enum_kind_id("alwaysinline");
    root.add_attribute(
        inkwell::attributes::AttributeLoc::Function,
        ctx.create_enum_attribute(always, 0),
    );
    let b = ctx.create_builder();
    let entry = ctx.append_basic_block(k, "entry");
    let body = ctx.append_basic_block(k, "loop");
    let exit = ctx.append_basic_block(k, "exit");
    b.position_at_end(entry);
    let any = b
        .build_int_compare(IntPredicate::SGT, p.n, i64t.const_zero(), "")
        .unwrap();
    b.build_conditional_branch(any, body, exit).unwrap();
    b.position_at_end(body);
    let i_phi = b.build_phi(i64t, "i").unwrap();
    let i = i_phi.as_basic_value().into_int_value();
    let x = load_input(&b, ctx, lane, p.inp, p.stride, i);
    let r = match b
        .build_call(root, &[x, p.caps.into(), p.abort.into()], "r")
        .unwrap()
        .try_as_basic_value()
    {
        inkwell::values::ValueKind::Basic(v) => v.into_struct_value(),
        _ => unreachable!(),
    };
    let tag = b.build_extract_value(r, 0, "tag").unwrap();
    let bits = b.build_extract_value(r, 1, "bits").unwrap();
    // SAFETY (of the two GEPs): building an inbounds GEP only emits IR; the kernel is called
    // with `tags` and `vals` holding `n` elements and `i < n` here.
    if !skip_tags {
        let tp = unsafe { b.build_in_bounds_gep(i8t, p.tags, &[i], "").unwrap() };
        b.build_store(tp, tag).unwrap();
    }
    let vp = unsafe { b.build_in_bounds_gep(i64t, p.vals, &[i], "").unwrap() };
    b.build_store(vp, bits).unwrap();
    let next = b.build_int_add(i, i64t.const_int(1, false), "").unwrap();
    i_phi.add_incoming(&[(&i64t.const_zero(), entry), (&next, body)]);
    let more = b
        .build_int_compare(IntPredicate::SLT, next, p.n, "")
        .unwrap();
    b.build_conditional_branch(more, body, exit).unwrap();
    b.position_at_end(exit);
    b.build_return(None).unwrap();
}

/// Compiles `text` for `lane` into a linked, callable kernel (lane-parallel where it can
/// be, unless `GILMAP_SIMT=0`).
pub fn compile(text: &str, lane: Lane) -> Result<Kernel> {
    compile_with(text, lane, Simt::from_env())
}

/// [`compile`], choosing whether a lane-parallel kernel may be built.
pub fn compile_with(text: &str, lane: Lane, simt: Simt) -> Result<Kernel> {
    let t0 = std::time::Instant::now();
    let hash = cache_key(text, lane, simt)?;
    let ctx = Context::create();
    let prog = parse::parse(text)?;
    // Unique per compile: a kernel evicted from a cache may still be alive (and linked)
    // when the same function is compiled again.
    static SERIAL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let serial = SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let prefix = format!("gm_{hash}_{serial}");
    let low = lower_rounds(&ctx, &prog, lane, &prefix, simt)?;
    let simt_bitcode = low.simt.is_ok().then(|| {
        let bc = low.module.write_bitcode_to_memory().as_slice().to_vec();
        strip_simt(&low.module, &prefix);
        bc
    });
    let tm = engine::target_machine()?;
    engine::optimize(&low.module, &tm)?;
    let optimized_ir = low.module.print_to_string().to_string();
    let (addrs, code) = engine::link(&low.module, &tm, &[&format!("{prefix}_kernel")])?;
    // SAFETY: the symbol is the kernel emitted above, with this signature.
    let f: KernelFn = unsafe { std::mem::transmute::<usize, KernelFn>(addrs[0]) };
    Ok(Kernel {
        hash,
        lane,
        captures: prog.funcs[0].captures.iter().map(|c| c.1).collect(),
        typed_ir: low.typed,
        llvm_ir: low.ir,
        optimized_ir,
        compile_ms: t0.elapsed().as_secs_f64() * 1e3,
        static_tag: low.static_tag,
        bounded: low.bounded,
        simt: low.simt.map(|()| crate::simt::LANES),
        f,
        _code: code,
        simt_bitcode,
        simt_fn: OnceLock::new(),
        prefix,
        scalar_ns: std::sync::atomic::AtomicU64::new(0),
    })
}
