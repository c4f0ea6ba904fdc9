//! Stage 2a: basic blocks and the control-flow graph of one function.
//!
//! Leaders are the first instruction, every jump target and every instruction after a
//! branch or return. Blocks are ordered by reverse post-order for the abstract
//! interpretation, so every block except loop headers is visited after all of its
//! predecessors, and a loop's body before the code after the loop.

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::error::{CompileError, Result};
use crate::parse::{Function, Op};

#[derive(Debug, Clone)]
pub struct Block {
    /// Instruction indices `[start, end)`.
    pub start: usize,
    pub end: usize,
    /// Successor blocks: `[fallthrough/not-taken, taken]` for branches.
    pub succs: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Cfg {
    pub blocks: Vec<Block>,
    /// Blocks reachable from the entry, in reverse post-order.
    pub rpo: Vec<usize>,
    /// Number of predecessor edges of each block.
    pub npreds: Vec<usize>,
    /// Blocks entered by a back edge (loop headers).
    pub is_header: Vec<bool>,
}

/// Index of the instruction at (or first after) byte offset `offset`.
fn index_of(f: &Function, offset: u32) -> Option<usize> {
    f.instrs.iter().position(|i| i.offset >= offset)
}

pub fn build(f: &Function) -> Result<Cfg> {
    let n = f.instrs.len();
    if n == 0 {
        return Err(CompileError::Refused(format!(
            "{} has no instructions",
            f.name
        )));
    }
    let mut leaders = BTreeSet::from([0usize]);
    for (i, ins) in f.instrs.iter().enumerate() {
        if let Some(t) = ins.op.target() {
            let ti = index_of(f, t).ok_or_else(|| {
                CompileError::unsupported(
                    ins.op.name(),
                    format!("jump target @{t} not found"),
                    f.loc(i),
                )
            })?;
            leaders.insert(ti);
            if i + 1 < n {
                leaders.insert(i + 1);
            }
        } else if ins.op.is_terminator() && i + 1 < n {
            leaders.insert(i + 1);
        }
    }
    let starts: Vec<usize> = leaders.into_iter().collect();
    let block_of = |idx: usize| starts.partition_point(|&s| s <= idx) - 1;
    let mut blocks = Vec::with_capacity(starts.len());
    for (b, &start) in starts.iter().enumerate() {
        let end = starts.get(b + 1).copied().unwrap_or(n);
        let last = &f.instrs[end - 1];
        let mut succs = Vec::new();
        match &last.op {
            Op::ReturnValue => {}
            Op::Jump(t) => succs.push(block_of(index_of(f, *t).unwrap())),
            op => {
                if end < n {
                    succs.push(b + 1);
                } else if op.target().is_none() {
                    return Err(CompileError::unsupported(
                        op.name(),
                        "falls off the end of the function",
                        f.loc(end - 1),
                    ));
                }
                if let Some(t) = op.target() {
                    if end >= n {
                        return Err(CompileError::unsupported(
                            op.name(),
                            "branch at the end of the function",
                            f.loc(end - 1),
                        ));
                    }
                    succs.push(block_of(index_of(f, t).unwrap()));
                }
            }
        }
        blocks.push(Block { start, end, succs });
    }
    // Reverse post-order from the entry.
    let mut seen = vec![false; blocks.len()];
    let mut post = Vec::new();
    let mut stack = vec![(0usize, 0usize)];
    seen[0] = true;
    while let Some((b, k)) = stack.pop() {
        if k < blocks[b].succs.len() {
            stack.push((b, k + 1));
            // Successors in reverse (taken branch first), so a loop body comes before the
            // loop's exit in reverse post-order and its back edge is seen first.
            let s = blocks[b].succs[blocks[b].succs.len() - 1 - k];
            if !seen[s] {
                seen[s] = true;
                stack.push((s, 0));
            }
        } else {
            post.push(b);
        }
    }
    post.reverse();
    let mut npreds = vec![0; blocks.len()];
    for &b in &post {
        for &s in &blocks[b].succs {
            npreds[s] += 1;
        }
    }
    let mut pos = vec![usize::MAX; blocks.len()];
    for (i, &b) in post.iter().enumerate() {
        pos[b] = i;
    }
    let mut is_header = vec![false; blocks.len()];
    for &b in &post {
        for &s in &blocks[b].succs {
            if pos[s] <= pos[b] {
                is_header[s] = true;
            }
        }
    }
    Ok(Cfg {
        blocks,
        rpo: post,
        npreds,
        is_header,
    })
}

impl Cfg {
    /// Text form: one line per reachable block.
    pub fn dump(&self, f: &Function) -> String {
        let mut out = String::new();
        for &b in &self.rpo {
            let blk = &self.blocks[b];
            let _ = writeln!(
                out,
                "bb{b} @{}..@{} -> {:?}",
                f.instrs[blk.start].offset,
                f.instrs[blk.end - 1].offset,
                blk.succs
            );
        }
        out
    }
}
