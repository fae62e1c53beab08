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
pub mod syscalls;
pub mod tasks;

use std::fs::File;
use std::io::{self, Read};
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

/// Reads a small proc file with as few syscalls as possible: `read_to_string` would add a statx,
/// an lseek and an extra read per file, a third of an inspection's time when it is done per fd
/// and per thread. The kernel produces these files (fdinfo, a task's stat and syscall lines) in
/// one go, so a short read means the end.
pub fn read_small(mut file: File) -> io::Result<String> {
    let mut buf = vec![0u8; 4096];
    let mut len = 0;
    loop {
        match file.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => {
                len += n;
                if len < buf.len() {
                    break;
                }
                buf.resize(buf.len() * 2, 0);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(len);
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// [`read_small`] of the file at `path`.
pub fn read_small_file(path: &Path) -> io::Result<String> {
    read_small(File::open(path)?)
}
