//! The process's compiled kernels, by kernel hash: bounded, least recently used first out.
//!
//! A kernel leaves the cache when `CAPACITY` newer ones were used since it was; its machine
//! code is freed when the last holder lets go of it (a router decision of a live function
//! may keep it longer; a discarded lambda's or a stale guard's kernel goes). The budget: at
//! most `CAPACITY` kernels kept for reuse, about 20 KB each (machine code plus the IR texts
//! `explain` shows), so about 5 MB, plus the kernels live decisions hold.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use gilmap_llvm::Kernel;

/// Kernels kept for reuse beyond those live decisions hold.
pub const CAPACITY: usize = 256;

pub struct KernelCache {
    inner: Mutex<Inner>,
}

struct Inner {
    map: Option<HashMap<String, (Arc<Kernel>, u64)>>,
    tick: u64,
}

impl Default for KernelCache {
    fn default() -> Self {
        Self::new()
    }
}

impl KernelCache {
    pub const fn new() -> Self {
        KernelCache {
            inner: Mutex::new(Inner { map: None, tick: 0 }),
        }
    }

    /// The kernel with hash `key`, marked as just used.
    pub fn get(&self, key: &str) -> Option<Arc<Kernel>> {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.tick += 1;
        let tick = g.tick;
        let (k, used) = g.map.as_mut()?.get_mut(key)?;
        *used = tick;
        Some(k.clone())
    }

    /// Adds a kernel; evicts the least recently used one past `CAPACITY`.
    pub fn insert(&self, key: String, kernel: Arc<Kernel>) {
        let evicted = {
            let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            g.tick += 1;
            let tick = g.tick;
            let map = g.map.get_or_insert_with(HashMap::new);
            map.insert(key, (kernel, tick));
            let mut out = Vec::new();
            while map.len() > CAPACITY {
                let oldest = map
                    .iter()
                    .min_by_key(|(_, (_, used))| *used)
                    .map(|(k, _)| k.clone());
                match oldest.and_then(|k| map.remove(&k)) {
                    Some((k, _)) => out.push(k),
                    None => break,
                }
            }
            out
        };
        // Dropped outside the lock: freeing machine code takes the JIT's own lock.
        drop(evicted);
    }

    /// Kernels held now (for tests and `explain`).
    pub fn len(&self) -> usize {
        let g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.map.as_ref().map_or(0, HashMap::len)
    }

    /// Whether no kernel is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
