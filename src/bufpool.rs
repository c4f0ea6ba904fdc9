//! Reuse of large temporary buffers between calls.
//!
//! A list mapped in and out needs three temporary buffers (input values, output tags and
//! values: 17 bytes per element), and an array output one buffer the caller keeps (an
//! [`crate::outbuf::OutBuf`], given back here when the array is freed). Fresh
//! multi-megabyte allocations come from `mmap`, and the first touch of every page is a
//! fault the kernel must zero: on a 1M-element list that was a fifth of the whole call, on
//! a 10M-element array a third. Buffers given back are kept (at most [`KEEP`] per element
//! type, [`KEEP_BYTES`] each, [`KEEP_TOTAL`] in all) and handed out again, already mapped.
//! `shutdown_workers()` frees them.

use std::sync::Mutex;

/// Buffers kept per element type.
const KEEP: usize = 4;
/// Larger buffers are freed, not kept.
const KEEP_BYTES: usize = 256 << 20;
/// Most memory kept per element type.
const KEEP_TOTAL: usize = 384 << 20;
/// Smaller buffers are cheap to allocate: not worth keeping.
const MIN_BYTES: usize = 64 << 10;

static U64: Mutex<Vec<Vec<u64>>> = Mutex::new(Vec::new());
static U8: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

fn lock<T>(pool: &Mutex<T>) -> Option<std::sync::MutexGuard<'_, T>> {
    match pool.try_lock() {
        Ok(g) => Some(g),
        Err(std::sync::TryLockError::Poisoned(e)) => Some(e.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => None,
    }
}

/// `fill: None` leaves a reused buffer's old contents (for callers that write every
/// element); a fresh buffer is zeroed (calloc: no pass over the memory).
fn take<T: Copy + Default>(pool: &Mutex<Vec<Vec<T>>>, n: usize, fill: Option<T>) -> Vec<T> {
    let fresh = || vec![fill.unwrap_or_default(); n];
    if n * std::mem::size_of::<T>() >= MIN_BYTES {
        // try_lock: never wait (and never deadlock in a child forked while another
        // thread held the lock); a missed reuse only costs a fresh allocation.
        let Some(mut p) = lock(pool) else {
            return fresh();
        };
        // The smallest kept buffer that fits.
        let best = (0..p.len())
            .filter(|&i| p[i].capacity() >= n)
            .min_by_key(|&i| p[i].capacity());
        if let Some(i) = best {
            let mut v = p.swap_remove(i);
            drop(p);
            match fill {
                Some(x) => {
                    v.clear();
                    v.resize(n, x);
                }
                None if v.len() >= n => v.truncate(n),
                None => v.resize(n, T::default()),
            }
            return v;
        }
    }
    fresh()
}

fn give<T>(pool: &Mutex<Vec<Vec<T>>>, v: Vec<T>) {
    let bytes = v.capacity() * std::mem::size_of::<T>();
    if !(MIN_BYTES..=KEEP_BYTES).contains(&bytes) {
        return;
    }
    let Some(mut p) = lock(pool) else {
        return;
    };
    // Make room by dropping the smallest kept buffers if this one is larger (larger
    // buffers serve more requests); else drop this one.
    let size = |b: &Vec<T>| b.capacity() * std::mem::size_of::<T>();
    loop {
        let total: usize = p.iter().map(size).sum();
        if p.len() < KEEP && total + bytes <= KEEP_TOTAL {
            p.push(v);
            return;
        }
        match (0..p.len()).min_by_key(|&i| p[i].capacity()) {
            Some(i) if p[i].capacity() < v.capacity() => {
                p.swap_remove(i);
            }
            _ => return,
        }
    }
}

/// `vec![fill; n]`, from a kept buffer when one fits.
pub fn take_u64(n: usize, fill: u64) -> Vec<u64> {
    take(&U64, n, Some(fill))
}

/// `n` elements of unspecified value, for a caller that overwrites all of them.
pub fn take_u64_any(n: usize) -> Vec<u64> {
    take(&U64, n, None)
}

/// `vec![fill; n]`, from a kept buffer when one fits.
pub fn take_u8(n: usize, fill: u8) -> Vec<u8> {
    take(&U8, n, Some(fill))
}

/// `n` elements of unspecified value, for a caller that overwrites all of them.
pub fn take_u8_any(n: usize) -> Vec<u8> {
    take(&U8, n, None)
}

pub fn give_u64(v: Vec<u64>) {
    give(&U64, v)
}

pub fn give_u8(v: Vec<u8>) {
    give(&U8, v)
}

/// Frees every kept buffer (after `fork()` the child starts empty anyway; this is for
/// `shutdown_workers`).
pub fn clear() {
    if let Some(mut p) = lock(&U64) {
        p.clear();
    }
    if let Some(mut p) = lock(&U8) {
        p.clear();
    }
}
