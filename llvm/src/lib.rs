//! gilmap's bytecode compiler (no PyO3): normalized CPython instructions → CFG → typed
//! abstract interpretation → LLVM IR → O3 machine code for the host CPU → an element
//! loop `kernel(in, stride, tags, vals, n, caps)`.
//!
//! Stages, each with a text form: [`parse`] (the gnb text, docs/JIT_TEXT_FORMAT.md),
//! [`cfg`] (blocks), [`lower`] (typed IR dump + unoptimized LLVM IR), [`engine`]
//! (optimized IR, linking), [`kernel`] (the element loop and the compile driver),
//! [`simt`] (the lane-parallel kernel of a function with one loop). [`abi`] holds what the
//! kernels and the extension share (lanes, result tags, the kernel signature).

pub mod abi;
pub mod cfg;
pub mod engine;
pub mod error;
pub mod kernel;
pub mod lower;
pub mod parse;
pub mod runtime;
pub mod simt;
pub mod types;
pub mod widen;

pub use abi::{
    KernelFn, Lane, TAG_BIG, TAG_BOOL, TAG_COUNT, TAG_DEOPT, TAG_FLOAT, TAG_INT, TAG_NONE,
    TAG_NULL, TAG_OBJ,
};
pub use error::{CompileError, Loc};
pub use kernel::{compile, compile_with, lower_only, Kernel, Simt};
pub use lower::MAX_CALL_DEPTH;
