//! gilmap's bytecode compiler (no PyO3): normalized CPython instructions → CFG → typed
//! abstract interpretation → LLVM IR → O3 machine code for the host CPU → an element
//! loop `kernel(in, stride, tags, vals, n, caps)`.
//!
//! Stages, each with a text form: [`parse`] (the gnb text, docs/JIT_TEXT_FORMAT.md),
//! [`cfg`] (blocks), [`lower`] (typed IR dump + unoptimized LLVM IR), [`engine`]
//! (optimized IR, linking), [`kernel`] (the element loop and the compile driver),
//! [`simt`] (the lane-parallel kernel of a function with one loop).

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

pub use error::{CompileError, Loc};
pub use kernel::{compile, compile_with, lower_only, Kernel, Lane, Simt};
pub use lower::{MAX_CALL_DEPTH, TAG_BOOL, TAG_DEOPT, TAG_FLOAT, TAG_INT, TAG_NONE};
