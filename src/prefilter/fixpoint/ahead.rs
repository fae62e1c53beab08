//! Lowering ahead: a file the fixpoint wants is lowered on a thread of the pool as soon as it is
//! wanted, while the round goes on resolving on its own thread, and the next round takes its IR
//! instead of lowering it then.
//!
//! A round's resolution runs on one thread: without this, the other threads wait for it, and a
//! tree the fixpoint ends up parsing whole pays that wait on top of a plain parse. A want is
//! never taken back (every file wanted is lowered by a later round), so a file lowered ahead is
//! never lowered for nothing, and each round integrates the same files as without it.

use crate::frontend::rust::layout::Layout;
use crate::ir::FileIr;
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};

type Lowered = Result<FileIr, String>;

/// Which files a thread has taken to lower, and the IR of those lowered ahead.
pub(super) struct Ahead {
    /// Per file: taken by the thread that lowers it (a task ahead, or the round's own batch),
    /// so that each file is lowered once whoever gets to it first.
    taken: Vec<AtomicBool>,
    done: Mutex<HashMap<usize, Lowered>>,
    ready: Condvar,
}

impl Ahead {
    pub(super) fn new(files: usize) -> Ahead {
        Ahead {
            taken: (0..files).map(|_| AtomicBool::new(false)).collect(),
            done: Mutex::new(HashMap::new()),
            ready: Condvar::new(),
        }
    }

    /// Whether the caller is the first to take file `f`: it must then lower it.
    pub(super) fn take(&self, f: usize) -> bool {
        !self.taken[f].swap(true, Ordering::AcqRel)
    }

    /// The task ahead for file `f`: lowers it unless the round's batch has taken it already.
    pub(super) fn lower(&self, f: usize, path: &Path, layout: &Layout) {
        if !self.take(f) {
            return;
        }
        let ir = crate::pipeline::lower_file(path, layout);
        self.done
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(f, ir);
        self.ready.notify_all();
    }

    /// The IR of `files`, each taken by a task ahead: waits for those still being lowered (a
    /// taken task is running on another thread, so the wait ends).
    pub(super) fn wait_for(&self, files: &[usize]) -> Vec<(usize, Lowered)> {
        let mut out = Vec::with_capacity(files.len());
        let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner());
        for &f in files {
            loop {
                if let Some(ir) = done.remove(&f) {
                    out.push((f, ir));
                    break;
                }
                done = self.ready.wait(done).unwrap_or_else(|e| e.into_inner());
            }
        }
        out
    }
}
