//! Reads each thread's stack pointer and the top of its stack mapping, for
//! [`crate::inspect::parse::stack`] to name the object that started it.

use crate::inspect::live::ProcRoot;
use crate::inspect::parse::maps::{region_at, Region};
use crate::inspect::parse::stack::{
    parse_syscall_sp, start_object, MAX_THREADS, RUNNING_RETRIES, STACK_TOP_BYTES,
};
use std::collections::HashMap;
use std::io;
use std::os::unix::fs::FileExt;

/// The object that started each of `tids` (at most [`MAX_THREADS`]), and the first error
/// that stopped a read (permission denied: no attribution at all).
pub fn thread_origins(
    root: &ProcRoot,
    pid: i32,
    tids: &[i32],
    regions: &[Region],
) -> (HashMap<i32, String>, Option<io::Error>) {
    let mut found = HashMap::new();
    let mem = match std::fs::File::open(root.pid(pid, "mem")) {
        Ok(f) => f,
        Err(e) => return (found, Some(e)),
    };
    let mut first_error = None;
    let mut retries = RUNNING_RETRIES;
    for &tid in tids.iter().take(MAX_THREADS) {
        let sp = loop {
            match std::fs::read_to_string(root.pid(pid, &format!("task/{tid}/syscall"))) {
                Ok(text) => match parse_syscall_sp(&text) {
                    // On a CPU or waiting for one: pool workers spin a moment before they
                    // sleep, so look again shortly.
                    None if retries > 0 => {
                        retries -= 1;
                        std::thread::sleep(std::time::Duration::from_millis(5));
                    }
                    sp => break sp,
                },
                // Exited meanwhile: nothing to attribute.
                Err(e) if e.kind() == io::ErrorKind::NotFound => break None,
                Err(e) => {
                    first_error.get_or_insert(e);
                    break None;
                }
            }
        };
        let Some(stack) = sp.and_then(|sp| region_at(regions, sp)) else {
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
