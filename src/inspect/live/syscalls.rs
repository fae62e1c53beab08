//! Each thread's `task/TID/syscall` line, read once per inspection: its stack pointer tells
//! [`super::stacks`] which object started the thread, and its call number tells whether the
//! thread is blocked waiting for a file lock.

use crate::inspect::live::{read_small_file, ProcRoot};
use crate::inspect::parse::stack::{
    parse_syscall_nr, parse_syscall_sp, MAX_THREADS, RUNNING_RETRIES,
};
use std::collections::HashMap;
use std::io;

/// What the syscall files said.
#[derive(Debug, Default)]
pub struct TaskSyscalls {
    /// The line of each thread that was read; threads that exited meanwhile are absent.
    pub lines: HashMap<i32, String>,
    /// Every thread asked about was read (or had exited).
    pub complete: bool,
    /// The first error that stopped a read (permission denied: the file needs ptrace access).
    pub error: Option<io::Error>,
}

/// Reads the syscall line of each of `tids` (at most [`MAX_THREADS`]). A thread on a CPU has no
/// stack pointer to show: pool workers spin a moment before they sleep, so a running thread is
/// looked at again shortly, within a budget shared by all threads.
pub fn read(root: &ProcRoot, pid: i32, tids: &[i32]) -> TaskSyscalls {
    let mut out = TaskSyscalls {
        complete: tids.len() <= MAX_THREADS,
        ..TaskSyscalls::default()
    };
    let mut retries = RUNNING_RETRIES;
    for &tid in tids.iter().take(MAX_THREADS) {
        loop {
            match read_small_file(&root.pid(pid, &format!("task/{tid}/syscall"))) {
                Ok(text) => {
                    // The main thread's stack names no creator: only its call number is used.
                    if parse_syscall_sp(&text).is_none() && tid != pid && retries > 0 {
                        retries -= 1;
                        std::thread::sleep(std::time::Duration::from_millis(5));
                        continue;
                    }
                    out.lines.insert(tid, text);
                }
                // The process's own main thread is not gone while it is inspected: the file
                // itself is missing (a kernel without it, a recorded /proc).
                Err(e) if e.kind() == io::ErrorKind::NotFound && tid == pid => {
                    out.complete = false;
                }
                // Exited meanwhile: gone, so neither started by anyone now nor waiting.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    out.complete = false;
                    out.error.get_or_insert(e);
                }
            }
            break;
        }
    }
    out
}

impl TaskSyscalls {
    /// The stack pointer of `tid`, when it was blocked.
    pub fn stack_pointer(&self, tid: i32) -> Option<u64> {
        self.lines.get(&tid).and_then(|l| parse_syscall_sp(l))
    }

    /// Whether some thread is blocked in a call that waits for a file lock: `Some(false)` only
    /// when every thread was read and none is; unknown (None) otherwise.
    pub fn waiting_for_a_lock(&self) -> Option<bool> {
        let calls = crate::inspect::parse::locks::lock_wait_calls()?;
        let waiting = self
            .lines
            .values()
            .filter_map(|l| parse_syscall_nr(l))
            .any(|nr| calls.contains(&nr));
        match (waiting, self.complete) {
            (true, _) => Some(true),
            (false, true) => Some(false),
            (false, false) => None,
        }
    }
}

#[cfg(all(test, target_os = "linux", target_pointer_width = "64"))]
mod tests {
    use super::*;

    fn seen(lines: &[(i32, String)], complete: bool) -> TaskSyscalls {
        TaskSyscalls {
            lines: lines.iter().cloned().collect(),
            complete,
            error: None,
        }
    }

    fn blocked_in(nr: i64) -> String {
        format!("{nr} 0x5 0x7 0x0 0x0 0x0 0x0 0x7ffd10 0x7f00\n")
    }

    #[test]
    fn a_thread_in_flock_or_fcntl_is_waiting_for_a_lock() {
        let sleeping = blocked_in(libc::SYS_futex);
        for call in [libc::SYS_flock, libc::SYS_fcntl] {
            let s = seen(&[(1, sleeping.clone()), (2, blocked_in(call))], true);
            assert_eq!(s.waiting_for_a_lock(), Some(true), "call {call}");
        }
        let none = seen(
            &[
                (1, sleeping),
                (2, "running\n".into()),
                (3, "-1 0x1 0x2\n".into()),
            ],
            true,
        );
        assert_eq!(none.waiting_for_a_lock(), Some(false));
    }

    #[test]
    fn a_thread_not_looked_at_leaves_it_unknown() {
        let s = seen(&[(1, blocked_in(libc::SYS_futex))], false);
        assert_eq!(s.waiting_for_a_lock(), None);
        assert_eq!(s.stack_pointer(1), Some(0x7ffd10));
        assert_eq!(s.stack_pointer(2), None);
    }

    #[test]
    fn reads_this_process_threads() {
        let me = std::process::id() as i32;
        let s = read(&ProcRoot::default(), me, &[me, i32::MAX]);
        // Reading our own syscall file is allowed; a thread id that does not exist is gone.
        assert!(s.complete, "{:?}", s.error);
        assert!(s.lines.contains_key(&me));
        assert!(!s.lines.contains_key(&i32::MAX));
    }
}
