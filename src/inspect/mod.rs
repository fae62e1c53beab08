//! `forklint inspect PID`: is it safe to fork this live process now? Runs the platform's
//! inspection into the report model; `cli::inspect` validates the request and prints it.

pub mod catalog;
pub mod elf;
#[cfg(target_os = "linux")]
pub mod live;
pub mod model;
pub mod offlinux;
pub mod parse;
pub mod verdict;

use model::Report;

/// Why there is no report at all (as opposed to a partial one).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InspectError {
    #[error("`{0}` is not a process id (expected a positive whole number)")]
    BadPid(String),
    #[error("no process with pid {0}")]
    NoSuchProcess(i32),
    #[error("process {0} exited while it was being inspected")]
    Exited(i32),
    #[error("process {pid} ({name}) is a zombie: it has exited and waits for its parent to reap it; there is nothing left to fork")]
    Zombie { pid: i32, name: String },
    #[error("pid {pid} ({name}) is a kernel thread: it has no user-space program, files or libraries, and user space cannot fork it")]
    KernelThread { pid: i32, name: String },
    #[error("process {pid} cannot be read: {reason}")]
    Unreadable { pid: i32, reason: String },
}

pub fn parse_pid(text: &str) -> Result<i32, InspectError> {
    match text.trim().parse::<i32>() {
        Ok(pid) if pid > 0 => Ok(pid),
        _ => Err(InspectError::BadPid(text.to_string())),
    }
}

/// Inspects `pid` with the best source the platform has.
pub fn inspect(pid: i32) -> Result<Report, InspectError> {
    #[cfg(target_os = "linux")]
    {
        live::inspect::inspect(&live::ProcRoot::default(), pid)
    }
    #[cfg(not(target_os = "linux"))]
    {
        offlinux::inspect(pid)
    }
}

/// Inspects `pid` as a `/proc` directory recorded at `proc_root` describes it (a snapshot: no
/// netlink, no memory reads, so sockets come from its `net/` tables and threads keep their
/// name-based attributions).
#[cfg(target_os = "linux")]
pub fn inspect_at(proc_root: &std::path::Path, pid: i32) -> Result<Report, InspectError> {
    live::inspect::inspect(&live::ProcRoot::at(proc_root), pid)
}
