//! Stage 1 → 2 boundary: parses the normalized bytecode text ("gnb", see
//! docs/JIT_TEXT_FORMAT.md) into [`Program`].

use std::rc::Rc;

use crate::error::{CompileError, Loc, Result};

/// A constant operand.
#[derive(Debug, Clone, PartialEq)]
pub enum Const {
    Int(i64),
    BigInt(String),
    Float(f64),
    Bool(bool),
    None,
    Str(String),
    Tuple(Vec<Const>),
}

/// A resolved global.
#[derive(Debug, Clone, PartialEq)]
pub enum Global {
    Const(Const),
    Module(String),
    MathFn(String),
    Builtin(String),
    Func(u32),
    Unsupported(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Nop,
    LoadFast(u32),
    LoadFastCheck(u32),
    StoreFast(u32),
    LoadConst(Const),
    LoadDeref(u32),
    LoadGlobal(Global, String),
    LoadAttr(String),
    BinaryOp(String),
    CompareOp(String),
    IsOp(bool),
    ContainsOp(bool),
    UnaryNegative,
    UnaryInvert,
    UnaryNot,
    UnaryPositive,
    ToBool,
    PopJumpIfFalse(u32),
    PopJumpIfTrue(u32),
    PopJumpIfNone(u32),
    PopJumpIfNotNone(u32),
    Jump(u32),
    GetIter,
    ForIter(u32),
    PopTop,
    Copy(u32),
    Swap(u32),
    UnpackSequence(u32),
    Call(u32, Vec<String>),
    ReturnValue,
    Unsupported(String, String),
}

impl Op {
    /// Jump target, for ops that can branch.
    pub fn target(&self) -> Option<u32> {
        match self {
            Op::PopJumpIfFalse(t)
            | Op::PopJumpIfTrue(t)
            | Op::PopJumpIfNone(t)
            | Op::PopJumpIfNotNone(t)
            | Op::Jump(t)
            | Op::ForIter(t) => Some(*t),
            _ => None,
        }
    }

    /// True when control never falls through to the next instruction.
    pub fn is_terminator(&self) -> bool {
        matches!(self, Op::Jump(_) | Op::ReturnValue)
    }

    /// The gnb opname (as in docs/JIT_TEXT_FORMAT.md), for dumps and messages.
    pub fn name(&self) -> String {
        match self {
            Op::Nop => "NOP",
            Op::LoadFast(_) => "LOAD_FAST",
            Op::LoadFastCheck(_) => "LOAD_FAST_CHECK",
            Op::StoreFast(_) => "STORE_FAST",
            Op::LoadConst(_) => "LOAD_CONST",
            Op::LoadDeref(_) => "LOAD_DEREF",
            Op::LoadGlobal(..) => "LOAD_GLOBAL",
            Op::LoadAttr(_) => "LOAD_ATTR",
            Op::BinaryOp(_) => "BINARY_OP",
            Op::CompareOp(_) => "COMPARE_OP",
            Op::IsOp(_) => "IS_OP",
            Op::ContainsOp(_) => "CONTAINS_OP",
            Op::UnaryNegative => "UNARY_NEGATIVE",
            Op::UnaryInvert => "UNARY_INVERT",
            Op::UnaryNot => "UNARY_NOT",
            Op::UnaryPositive => "UNARY_POSITIVE",
            Op::ToBool => "TO_BOOL",
            Op::PopJumpIfFalse(_) => "POP_JUMP_IF_FALSE",
            Op::PopJumpIfTrue(_) => "POP_JUMP_IF_TRUE",
            Op::PopJumpIfNone(_) => "POP_JUMP_IF_NONE",
            Op::PopJumpIfNotNone(_) => "POP_JUMP_IF_NOT_NONE",
            Op::Jump(_) => "JUMP",
            Op::GetIter => "GET_ITER",
            Op::ForIter(_) => "FOR_ITER",
            Op::PopTop => "POP_TOP",
            Op::Copy(_) => "COPY",
            Op::Swap(_) => "SWAP",
            Op::UnpackSequence(_) => "UNPACK_SEQUENCE",
            Op::Call(..) => "CALL",
            Op::ReturnValue => "RETURN_VALUE",
            Op::Unsupported(name, _) => return name.clone(),
        }
        .to_string()
    }
}

#[derive(Debug, Clone)]
pub struct Instr {
    pub offset: u32,
    pub line: u32,
    pub op: Op,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaptureTy {
    Int,
    Float,
    Bool,
}

#[derive(Debug, Clone)]
pub struct Function {
    pub id: u32,
    pub name: String,
    pub argc: u32,
    pub nlocals: u32,
    pub firstline: u32,
    pub locals: Vec<String>,
    pub captures: Vec<(String, CaptureTy)>,
    pub instrs: Vec<Instr>,
    pub refusal: Option<String>,
    /// Default values of the last parameters (`default I CONST` lines), by parameter index.
    pub defaults: Vec<(u32, Const)>,
}

impl Function {
    pub fn loc(&self, i: usize) -> Loc {
        let ins = &self.instrs[i.min(self.instrs.len().saturating_sub(1))];
        Loc {
            func: self.id,
            offset: ins.offset,
            line: ins.line,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Program {
    pub funcs: Vec<Rc<Function>>,
}

struct Cursor<'a> {
    toks: Vec<&'a str>,
    pos: usize,
    line: usize,
}

impl<'a> Cursor<'a> {
    fn err(&self, msg: impl Into<String>) -> CompileError {
        CompileError::Parse {
            text_line: self.line,
            message: msg.into(),
        }
    }
    fn next(&mut self) -> Result<&'a str> {
        let t = self
            .toks
            .get(self.pos)
            .copied()
            .ok_or_else(|| self.err("unexpected end of line"))?;
        self.pos += 1;
        Ok(t)
    }
    fn num<T: std::str::FromStr>(&mut self) -> Result<T> {
        let t = self.next()?;
        t.parse()
            .map_err(|_| self.err(format!("expected a number, got {t:?}")))
    }
    fn target(&mut self) -> Result<u32> {
        let t = self.next()?;
        t.strip_prefix('@')
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| self.err(format!("expected @OFFSET, got {t:?}")))
    }
    fn rest(&mut self) -> String {
        let r = self.toks[self.pos.min(self.toks.len())..].join(" ");
        self.pos = self.toks.len();
        r
    }
    fn konst(&mut self) -> Result<Const> {
        let kind = self.next()?;
        Ok(match kind {
            "int" => Const::Int(self.num()?),
            "bigint" => Const::BigInt(self.next()?.to_string()),
            "float" => {
                let t = self.next()?;
                let hex = t
                    .strip_prefix("0x")
                    .ok_or_else(|| self.err("float bits must start with 0x"))?;
                let bits = u64::from_str_radix(hex, 16).map_err(|_| self.err("bad float bits"))?;
                Const::Float(f64::from_bits(bits))
            }
            "bool" => Const::Bool(self.num::<u8>()? != 0),
            "none" => Const::None,
            "str" => Const::Str(unescape(self.next().unwrap_or(""))),
            "tuple" => {
                let n: usize = self.num()?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.konst()?);
                }
                Const::Tuple(items)
            }
            other => return Err(self.err(format!("unknown constant kind {other:?}"))),
        })
    }
}

fn unescape(s: &str) -> String {
    if s == "\\e" {
        return String::new();
    }
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('s') => out.push(' '),
            Some('e') => {}
            Some('u') if chars.peek() == Some(&'{') => {
                chars.next();
                let hex: String = chars.by_ref().take_while(|&c| c != '}').collect();
                if let Some(ch) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    out.push(ch);
                }
            }
            Some(o) => out.push(o),
            None => out.push('\\'),
        }
    }
    out
}

fn parse_op(c: &mut Cursor<'_>, opname: &str) -> Result<Op> {
    Ok(match opname {
        "NOP" => Op::Nop,
        "LOAD_FAST" => Op::LoadFast(c.num()?),
        "LOAD_FAST_CHECK" => Op::LoadFastCheck(c.num()?),
        "STORE_FAST" => Op::StoreFast(c.num()?),
        "LOAD_CONST" => Op::LoadConst(c.konst()?),
        "LOAD_DEREF" => Op::LoadDeref(c.num()?),
        "LOAD_GLOBAL" => {
            let kind = c.next()?;
            let g = match kind {
                "const" => Global::Const(c.konst()?),
                "module" => Global::Module(c.next()?.to_string()),
                "mathfn" => Global::MathFn(c.next()?.to_string()),
                "builtin" => Global::Builtin(c.next()?.to_string()),
                "func" => Global::Func(c.num()?),
                "unsupported" => Global::Unsupported(c.next()?.to_string()),
                other => return Err(c.err(format!("unknown global kind {other:?}"))),
            };
            let name = c.next().unwrap_or("?").to_string();
            Op::LoadGlobal(g, name)
        }
        "LOAD_ATTR" => Op::LoadAttr(c.next()?.to_string()),
        "BINARY_OP" => Op::BinaryOp(c.next()?.to_string()),
        "COMPARE_OP" => Op::CompareOp(c.next()?.to_string()),
        "IS_OP" => Op::IsOp(c.num::<u8>()? != 0),
        "CONTAINS_OP" => Op::ContainsOp(c.num::<u8>()? != 0),
        "UNARY_NEGATIVE" => Op::UnaryNegative,
        "UNARY_INVERT" => Op::UnaryInvert,
        "UNARY_NOT" => Op::UnaryNot,
        "UNARY_POSITIVE" => Op::UnaryPositive,
        "TO_BOOL" => Op::ToBool,
        "POP_JUMP_IF_FALSE" => Op::PopJumpIfFalse(c.target()?),
        "POP_JUMP_IF_TRUE" => Op::PopJumpIfTrue(c.target()?),
        "POP_JUMP_IF_NONE" => Op::PopJumpIfNone(c.target()?),
        "POP_JUMP_IF_NOT_NONE" => Op::PopJumpIfNotNone(c.target()?),
        "JUMP" => Op::Jump(c.target()?),
        "GET_ITER" => Op::GetIter,
        "FOR_ITER" => Op::ForIter(c.target()?),
        "POP_TOP" => Op::PopTop,
        "COPY" => Op::Copy(c.num()?),
        "SWAP" => Op::Swap(c.num()?),
        "UNPACK_SEQUENCE" => Op::UnpackSequence(c.num()?),
        "CALL" => {
            let n = c.num()?;
            let mut kw = Vec::new();
            if c.toks.get(c.pos) == Some(&"kw") {
                c.pos += 1;
                while c.pos < c.toks.len() {
                    kw.push(c.next()?.to_string());
                }
            }
            Op::Call(n, kw)
        }
        "RETURN_VALUE" => Op::ReturnValue,
        "UNSUPPORTED" => {
            let name = c.next()?.to_string();
            Op::Unsupported(name, c.rest())
        }
        other => Op::Unsupported(other.to_string(), c.rest()),
    })
}

/// Parses a whole gnb text.
pub fn parse(text: &str) -> Result<Program> {
    let mut funcs: Vec<Rc<Function>> = Vec::new();
    let mut cur: Option<Function> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split(" #").next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut c = Cursor {
            toks: line.split(' ').filter(|t| !t.is_empty()).collect(),
            pos: 0,
            line: i + 1,
        };
        let head = c.next()?;
        match head {
            "gnb" => {
                let v: u32 = c.num()?;
                if v != 1 {
                    return Err(c.err(format!("unsupported gnb version {v}")));
                }
            }
            "func" => {
                if cur.is_some() {
                    return Err(c.err("func inside func (missing end)"));
                }
                let id = c.num()?;
                let name = c.next()?.to_string();
                let mut f = Function {
                    id,
                    name,
                    argc: 0,
                    nlocals: 0,
                    firstline: 0,
                    locals: Vec::new(),
                    captures: Vec::new(),
                    instrs: Vec::new(),
                    refusal: None,
                    defaults: Vec::new(),
                };
                while c.pos < c.toks.len() {
                    let kv = c.next()?;
                    let (k, v) = kv
                        .split_once('=')
                        .ok_or_else(|| c.err(format!("expected key=value, got {kv:?}")))?;
                    let v: u32 = v
                        .parse()
                        .map_err(|_| c.err(format!("bad number in {kv:?}")))?;
                    match k {
                        "argc" => f.argc = v,
                        "nlocals" => f.nlocals = v,
                        "firstline" => f.firstline = v,
                        _ => {}
                    }
                }
                if funcs.len() != id as usize {
                    return Err(c.err(format!("func ids must be consecutive from 0, got {id}")));
                }
                cur = Some(f);
            }
            "end" => {
                let f = cur.take().ok_or_else(|| c.err("end without func"))?;
                funcs.push(Rc::new(f));
            }
            _ => {
                let f = cur
                    .as_mut()
                    .ok_or_else(|| c.err(format!("{head:?} outside func")))?;
                match head {
                    "local" => {
                        let idx: usize = c.num()?;
                        let name = c.next()?.to_string();
                        if idx != f.locals.len() {
                            return Err(c.err("locals must be listed in order"));
                        }
                        f.locals.push(name);
                    }
                    "capture" => {
                        let _idx: usize = c.num()?;
                        let name = c.next()?.to_string();
                        let ty = match c.next()? {
                            "int" => CaptureTy::Int,
                            "float" => CaptureTy::Float,
                            "bool" => CaptureTy::Bool,
                            other => return Err(c.err(format!("bad capture type {other:?}"))),
                        };
                        f.captures.push((name, ty));
                    }
                    "refuse" => f.refusal = Some(c.rest()),
                    "default" => {
                        let idx: u32 = c.num()?;
                        let k = c.konst()?;
                        f.defaults.push((idx, k));
                    }
                    h if h.starts_with('@') => {
                        let offset = h[1..].parse().map_err(|_| c.err("bad offset"))?;
                        let l = c.next()?;
                        let line = l
                            .strip_prefix('L')
                            .and_then(|s| s.parse().ok())
                            .ok_or_else(|| c.err("bad line"))?;
                        let opname = c.next()?;
                        let op = parse_op(&mut c, opname)?;
                        f.instrs.push(Instr { offset, line, op });
                    }
                    other => return Err(c.err(format!("unknown item {other:?}"))),
                }
            }
        }
    }
    if cur.is_some() {
        return Err(CompileError::Parse {
            text_line: text.lines().count(),
            message: "missing end".into(),
        });
    }
    if funcs.is_empty() {
        return Err(CompileError::Parse {
            text_line: 0,
            message: "no function".into(),
        });
    }
    Ok(Program { funcs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_small_function() {
        let text = "gnb 1\nfunc 0 f argc=1 nlocals=1 firstline=3\nlocal 0 x\n\
                    @0 L3 NOP\n@2 L4 LOAD_FAST 0\n@4 L4 LOAD_CONST float 0x3ff8000000000000\n\
                    @6 L4 BINARY_OP *\n@8 L4 LOAD_GLOBAL builtin abs abs\n@10 L4 CALL 1 kw ndigits\n\
                    @12 L4 RETURN_VALUE\nend\n";
        let p = parse(text).unwrap();
        let f = &p.funcs[0];
        assert_eq!(f.locals, vec!["x"]);
        assert_eq!(f.instrs[2].op, Op::LoadConst(Const::Float(1.5)));
        assert_eq!(
            f.instrs[4].op,
            Op::LoadGlobal(Global::Builtin("abs".into()), "abs".into())
        );
        assert_eq!(f.instrs[5].op, Op::Call(1, vec!["ndigits".into()]));
    }

    #[test]
    fn reports_the_text_line_of_a_bad_item() {
        let err = parse("gnb 1\nfunc 0 f argc=1\n@0 L1 LOAD_FAST x\nend\n").unwrap_err();
        assert!(err.to_string().contains("line 3"), "{err}");
    }

    #[test]
    fn tuples_and_strings() {
        let text =
            "gnb 1\nfunc 0 f argc=1 nlocals=1\n@0 L1 LOAD_CONST tuple 2 int 1 str a\\sb\nend\n";
        let p = parse(text).unwrap();
        assert_eq!(
            p.funcs[0].instrs[0].op,
            Op::LoadConst(Const::Tuple(vec![Const::Int(1), Const::Str("a b".into())]))
        );
        assert_eq!(unescape("\\e"), "");
        assert_eq!(unescape("a\\u{9}b"), "a\tb");
    }
}
