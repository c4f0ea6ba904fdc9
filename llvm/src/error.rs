//! The compiler's error type. Every refusal carries the bytecode offset and source line
//! of the construct that caused it, so a user can fix the function.

/// Where in the Python function something happened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Loc {
    pub func: u32,
    pub offset: u32,
    pub line: u32,
}

impl std::fmt::Display for Loc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {} (offset {})", self.line, self.offset)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// The text form is malformed (a bug in the reader, not in the user's function).
    #[error("gnb text, line {text_line}: {message}")]
    Parse { text_line: usize, message: String },

    /// The reader refused the function before the compiler saw it.
    #[error("{0}")]
    Refused(String),

    /// An instruction outside the compiled subset.
    #[error("{opname} at {loc} is not supported by the JIT{}", if detail.is_empty() { String::new() } else { format!(" ({detail})") })]
    Unsupported {
        opname: String,
        detail: String,
        loc: Loc,
    },

    /// A construct the type system cannot express (e.g. a variable that is int on one
    /// path and float on another).
    #[error("{message} at {loc}")]
    Type { message: String, loc: Loc },

    /// LLVM failed (target, verification, JIT linking).
    #[error("LLVM: {0}")]
    Llvm(String),
}

impl CompileError {
    pub fn ty(message: impl Into<String>, loc: Loc) -> Self {
        CompileError::Type {
            message: message.into(),
            loc,
        }
    }

    pub fn unsupported(opname: impl Into<String>, detail: impl Into<String>, loc: Loc) -> Self {
        CompileError::Unsupported {
            opname: opname.into(),
            detail: detail.into(),
            loc,
        }
    }
}

pub type Result<T, E = CompileError> = std::result::Result<T, E>;
