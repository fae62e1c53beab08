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

/// Turns transparent huge pages off for this process, once. The allocator asks for them on its
/// arenas, and an inspection touches a few KiB on each of its threads: every first touch made the
/// kernel zero a whole 2 MiB page (five per run on a python3 process with 1,000 fds, about a
/// fifth of the inspection's CPU time). The setting is this process's own and is never undone;
/// nothing an inspection does needs huge pages.
pub fn without_huge_pages() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: PR_SET_THP_DISABLE takes plain integers and changes only this process's own
        // memory policy; a failure (an old kernel) leaves things as they were.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
    });
}

/// `forklint inspect ...` turns huge pages off before `main`: the allocator reserves its arena
/// with MADV_HUGEPAGE and the runtime's first allocations fault in a whole zeroed 2 MiB page
/// before [`without_huge_pages`] could run (about 0.8 ms, on the path every inspection waits
/// on). glibc hands `.init_array` functions the process's arguments; other commands are left as
/// they are.
#[cfg(target_env = "gnu")]
#[used]
#[link_section = ".init_array"]
static INSPECT_WITHOUT_HUGE_PAGES: extern "C" fn(
    libc::c_int,
    *const *const libc::c_char,
    *const *const libc::c_char,
) = {
    extern "C" fn early(
        argc: libc::c_int,
        argv: *const *const libc::c_char,
        _env: *const *const libc::c_char,
    ) {
        if argc < 2 || argv.is_null() {
            return;
        }
        // SAFETY: glibc calls `.init_array` functions with the `argc` and `argv` given to
        // `main`: `argv[1]` exists (argc >= 2) and is a NUL-terminated string.
        let first = unsafe { std::ffi::CStr::from_ptr(*argv.add(1)) };
        if first.to_bytes() == b"inspect" {
            without_huge_pages();
        }
    }
    early
};

/// Reads a small proc file with as few syscalls as possible and hands its text to `parse`:
/// `read_to_string` would add a statx, an lseek and an extra read per file, a third of an
/// inspection's time when it is done per fd and per thread. The kernel produces these files
/// (fdinfo, a task's stat and syscall lines) in one go, so a short read means the end. They fit
/// a buffer on the stack, so a thousand of them allocate nothing to be read.
pub fn read_small_with<T>(mut file: File, parse: impl FnOnce(&str) -> T) -> io::Result<T> {
    let mut stack = [0u8; 2048];
    let mut heap = Vec::new();
    let mut len = 0;
    loop {
        let buf: &mut [u8] = if heap.is_empty() {
            &mut stack
        } else {
            &mut heap
        };
        match file.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => {
                len += n;
                if len < buf.len() {
                    break;
                }
                if heap.is_empty() {
                    heap.extend_from_slice(&stack);
                }
                heap.resize(heap.len() * 2, 0);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let bytes = if heap.is_empty() {
        &stack[..len]
    } else {
        &heap[..len]
    };
    Ok(parse(&String::from_utf8_lossy(bytes)))
}

/// The text of the small proc file at `path` (see [`read_small_with`]).
pub fn read_small_file(path: &Path) -> io::Result<String> {
    read_small_with(File::open(path)?, str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsRawFd;

    #[test]
    fn huge_pages_are_off_after_the_first_inspection_step() {
        without_huge_pages();
        // SAFETY: a query with no pointer arguments.
        let disabled = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
        assert_eq!(disabled, 1);
    }

    #[test]
    fn small_files_whole_whatever_their_size() {
        for size in [0, 10, 2047, 2048, 2049, 9000] {
            let text: String = (0..size)
                .map(|i| char::from(b'a' + (i % 26) as u8))
                .collect();
            let mut file = tempfile::tempfile().unwrap();
            file.write_all(text.as_bytes()).unwrap();
            let path = format!("/proc/self/fd/{}", file.as_raw_fd());
            assert_eq!(
                read_small_file(Path::new(&path)).unwrap(),
                text,
                "{size} bytes"
            );
        }
        let stat = read_small_with(File::open("/proc/self/stat").unwrap(), |t| t.len()).unwrap();
        assert!(stat > 20);
    }
}
