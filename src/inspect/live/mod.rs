//! Reading a live process under a `/proc` root: the walks, the netlink dumps and the memory
//! reads, each handing text to the pure parsers in [`crate::inspect::parse`]. The root is
//! `/proc` for a real inspection and a recorded snapshot directory in tests.

pub mod fds;
pub mod inspect;
pub mod peers;
pub mod python;
pub mod sockdiag;
pub mod sockets;
pub mod stacks;
pub mod tasks;

use std::path::{Path, PathBuf};

/// Where `/proc` is. Paths of one process are `ROOT/PID/...`, system-wide files `ROOT/...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcRoot {
    base: PathBuf,
}

impl Default for ProcRoot {
    fn default() -> Self {
        ProcRoot {
            base: PathBuf::from("/proc"),
        }
    }
}

impl ProcRoot {
    /// A recorded `/proc` (a directory holding `PID/stat`, `PID/fd/`, `locks`, ...).
    pub fn at(base: impl Into<PathBuf>) -> ProcRoot {
        ProcRoot { base: base.into() }
    }

    /// The real `/proc` of this machine: only then do our own namespace, netlink and the
    /// target's memory describe the same process.
    pub fn is_live(&self) -> bool {
        self.base == Path::new("/proc")
    }

    /// A system-wide file such as `locks`; `""` is the root itself.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.base.join(rel)
    }

    /// A file of one process, such as `fd/3` or `task/42/stat`.
    pub fn pid(&self, pid: i32, rel: &str) -> PathBuf {
        self.base.join(pid.to_string()).join(rel)
    }
}
