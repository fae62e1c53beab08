//! Reads the top of each thread's stack mapping, at the stack pointer its syscall line gave, for
//! [`crate::inspect::parse::stack`] to name the object that started it.

use crate::inspect::live::syscalls::TaskSyscalls;
use crate::inspect::live::ProcRoot;
use crate::inspect::parse::maps::{region_at, Region};
use crate::inspect::parse::stack::{start_object, STACK_TOP_BYTES};
use std::collections::HashMap;
use std::io;
use std::os::unix::fs::FileExt;

/// The object that started each of `tids` whose stack pointer is known, and the first error
/// that stopped a read (permission denied: no attribution at all).
pub fn thread_origins(
    root: &ProcRoot,
    pid: i32,
    tids: &[i32],
    syscalls: &TaskSyscalls,
    regions: &[Region],
) -> (HashMap<i32, String>, Option<io::Error>) {
    let mut found = HashMap::new();
    let mem = match std::fs::File::open(root.pid(pid, "mem")) {
        Ok(f) => f,
        Err(e) => return (found, Some(e)),
    };
    let mut first_error = None;
    for &tid in tids {
        let Some(stack) = syscalls
            .stack_pointer(tid)
            .and_then(|sp| region_at(regions, sp))
        else {
            continue;
        };
        let from = stack.end.saturating_sub(STACK_TOP_BYTES).max(stack.start);
        let mut buf = vec![0u8; (stack.end - from) as usize];
        match mem.read_exact_at(&mut buf, from) {
            Ok(()) => {
                if let Some(path) = start_object(&buf, regions) {
                    found.insert(tid, path.to_string());
                }
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    (found, first_error)
}
