//! Stage 5a: machine code. A `TargetMachine` for the host CPU and its features runs
//! LLVM's `default<O3>` pipeline and emits an object file, which one process-wide ORC
//! LLJIT links; symbols not defined by kernels (libm) resolve from the process.

use std::ffi::{CStr, CString};
use std::sync::{Mutex, OnceLock};

use inkwell::module::Module;
use inkwell::passes::PassBuilderOptions;
use inkwell::targets::{
    CodeModel, FileType, InitializationConfig, RelocMode, Target, TargetMachine,
};
use inkwell::OptimizationLevel;
use llvm_sys::error::{LLVMDisposeErrorMessage, LLVMErrorRef, LLVMGetErrorMessage};
use llvm_sys::orc2::lljit::{
    LLVMOrcCreateLLJIT, LLVMOrcLLJITAddObjectFileWithRT, LLVMOrcLLJITGetGlobalPrefix,
    LLVMOrcLLJITGetMainJITDylib, LLVMOrcLLJITLookup, LLVMOrcLLJITRef,
};
use llvm_sys::orc2::{
    LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess, LLVMOrcJITDylibAddGenerator,
    LLVMOrcJITDylibCreateResourceTracker, LLVMOrcReleaseResourceTracker, LLVMOrcResourceTrackerRef,
    LLVMOrcResourceTrackerRemove,
};

use crate::error::{CompileError, Result};

/// The host target: CPU name and features, part of every kernel's cache key.
pub struct Host {
    pub cpu: String,
    pub features: String,
    pub triple: String,
}

struct Jit(LLVMOrcLLJITRef);
// SAFETY: LLJIT is internally synchronized for adding objects and lookups; we also
// serialize both behind a mutex.
unsafe impl Send for Jit {}

static INIT: OnceLock<std::result::Result<Host, String>> = OnceLock::new();
static JIT: OnceLock<std::result::Result<Mutex<Jit>, String>> = OnceLock::new();

fn take_error(err: LLVMErrorRef) -> Result<()> {
    if err.is_null() {
        return Ok(());
    }
    // SAFETY: a non-null LLVMErrorRef is consumed by LLVMGetErrorMessage.
    unsafe {
        let msg = LLVMGetErrorMessage(err);
        let text = CStr::from_ptr(msg).to_string_lossy().into_owned();
        LLVMDisposeErrorMessage(msg);
        Err(CompileError::Llvm(text))
    }
}

/// Initialises LLVM's native target once.
pub fn host() -> Result<&'static Host> {
    INIT.get_or_init(|| {
        Target::initialize_native(&InitializationConfig::default())?;
        Ok(Host {
            cpu: TargetMachine::get_host_cpu_name().to_string(),
            features: TargetMachine::get_host_cpu_features().to_string(),
            triple: TargetMachine::get_default_triple()
                .as_str()
                .to_string_lossy()
                .into_owned(),
        })
    })
    .as_ref()
    .map_err(|e| CompileError::Llvm(e.clone()))
}

pub fn target_machine() -> Result<TargetMachine> {
    let h = host()?;
    let triple = TargetMachine::get_default_triple();
    let target = Target::from_triple(&triple).map_err(|e| CompileError::Llvm(e.to_string()))?;
    target
        .create_target_machine(
            &triple,
            &h.cpu,
            &h.features,
            OptimizationLevel::Aggressive,
            RelocMode::PIC,
            CodeModel::Default,
        )
        .ok_or_else(|| CompileError::Llvm("cannot create a target machine for the host".into()))
}

/// Verifies, optimizes (O3) and returns the object code of `module`.
pub fn optimize(module: &Module<'_>, tm: &TargetMachine) -> Result<()> {
    module.set_triple(&tm.get_triple());
    module.set_data_layout(&tm.get_target_data().get_data_layout());
    module
        .verify()
        .map_err(|e| CompileError::Llvm(format!("invalid IR: {}", e.to_string())))?;
    module
        .run_passes("default<O3>", tm, PassBuilderOptions::create())
        .map_err(|e| CompileError::Llvm(e.to_string()))
}

fn jit() -> Result<&'static Mutex<Jit>> {
    JIT.get_or_init(|| {
        host().map_err(|e| e.to_string())?;
        let mut j: LLVMOrcLLJITRef = std::ptr::null_mut();
        // SAFETY: plain C API calls; a null builder means defaults (host target).
        unsafe {
            take_error(LLVMOrcCreateLLJIT(&mut j, std::ptr::null_mut()))
                .map_err(|e| e.to_string())?;
            let mut generator = std::ptr::null_mut();
            let prefix = LLVMOrcLLJITGetGlobalPrefix(j);
            take_error(LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
                &mut generator,
                prefix,
                None,
                std::ptr::null_mut(),
            ))
            .map_err(|e| e.to_string())?;
            LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(j), generator);
            register_runtime(j).map_err(|e| e.to_string())?;
        }
        Ok(Mutex::new(Jit(j)))
    })
    .as_ref()
    .map_err(|e| CompileError::Llvm(e.clone()))
}

/// Defines the Rust runtime helpers ([`crate::runtime`]) as absolute symbols.
unsafe fn register_runtime(j: LLVMOrcLLJITRef) -> Result<()> {
    use llvm_sys::orc2::lljit::LLVMOrcLLJITMangleAndIntern;
    use llvm_sys::orc2::{
        LLVMJITEvaluatedSymbol, LLVMJITSymbolFlags, LLVMJITSymbolGenericFlags,
        LLVMOrcAbsoluteSymbols, LLVMOrcCSymbolMapPair, LLVMOrcJITDylibDefine,
    };
    let mut pairs: Vec<LLVMOrcCSymbolMapPair> = crate::runtime::symbols()
        .iter()
        .map(|(name, addr)| {
            let c = CString::new(*name).unwrap();
            LLVMOrcCSymbolMapPair {
                Name: LLVMOrcLLJITMangleAndIntern(j, c.as_ptr()),
                Sym: LLVMJITEvaluatedSymbol {
                    Address: *addr as u64,
                    Flags: LLVMJITSymbolFlags {
                        GenericFlags: LLVMJITSymbolGenericFlags::LLVMJITSymbolGenericFlagsExported
                            as u8
                            | LLVMJITSymbolGenericFlags::LLVMJITSymbolGenericFlagsCallable as u8,
                        TargetFlags: 0,
                    },
                },
            }
        })
        .collect();
    let mu = LLVMOrcAbsoluteSymbols(pairs.as_mut_ptr(), pairs.len());
    take_error(LLVMOrcJITDylibDefine(LLVMOrcLLJITGetMainJITDylib(j), mu))
}

/// Machine code linked by [`link`]: dropping it removes the code and its symbols from the
/// process JIT and frees its memory (through the ORC resource tracker it was added with).
/// Whoever calls into the code must keep this alive for the duration of the calls.
pub struct Code(LLVMOrcResourceTrackerRef);

// SAFETY: a resource tracker is only used through the JIT's mutex (in `Drop`).
unsafe impl Send for Code {}
// SAFETY: `Code` has no `&self` methods that touch the tracker.
unsafe impl Sync for Code {}

impl Drop for Code {
    fn drop(&mut self) {
        let Ok(j) = jit() else { return };
        let _j = j.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: the tracker was created by `link` and is removed and released once, here,
        // with the JIT locked; no kernel of it is running (the owner guarantees that).
        unsafe {
            let _ = take_error(LLVMOrcResourceTrackerRemove(self.0));
            LLVMOrcReleaseResourceTracker(self.0);
        }
    }
}

/// Emits `module` as an object, links it into the process JIT and returns the addresses
/// of `symbols` and the handle that keeps the code loaded.
pub fn link(
    module: &Module<'_>,
    tm: &TargetMachine,
    symbols: &[&str],
) -> Result<(Vec<usize>, Code)> {
    let obj = tm
        .write_to_memory_buffer(module, FileType::Object)
        .map_err(|e| CompileError::Llvm(e.to_string()))?;
    let j = jit()?.lock().unwrap_or_else(|e| e.into_inner());
    // SAFETY: the tracker belongs to the JIT's main dylib; the JIT takes ownership of the
    // memory buffer (also on error).
    let code = unsafe {
        let code = Code(LLVMOrcJITDylibCreateResourceTracker(
            LLVMOrcLLJITGetMainJITDylib(j.0),
        ));
        let buf = obj.as_mut_ptr();
        std::mem::forget(obj);
        if let Err(e) = take_error(LLVMOrcLLJITAddObjectFileWithRT(j.0, code.0, buf)) {
            drop(j); // `Code::drop` takes the lock
            return Err(e);
        }
        code
    };
    let mut out = Vec::new();
    for symbol in symbols {
        let name = CString::new(*symbol).unwrap();
        let mut addr = 0u64;
        // SAFETY: a lookup writes the address of a symbol the JIT defines.
        if let Err(e) = unsafe { take_error(LLVMOrcLLJITLookup(j.0, &mut addr, name.as_ptr())) } {
            drop(j);
            return Err(e);
        }
        out.push(addr as usize);
    }
    Ok((out, code))
}

/// The version of the LLVM linked in ("19.1.7").
pub fn llvm_version() -> String {
    let (mut major, mut minor, mut patch) = (0u32, 0u32, 0u32);
    // SAFETY: LLVMGetVersion only writes the three integers.
    unsafe { llvm_sys::core::LLVMGetVersion(&mut major, &mut minor, &mut patch) };
    format!("{major}.{minor}.{patch}")
}
