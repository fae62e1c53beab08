//! The walk over `/proc/PID/fd` and `fdinfo/`, tolerating fds that close between readdir and
//! readlink, with one openat per fd relative to the open directories.

use crate::inspect::live::{read_small_with, ProcRoot};
use crate::inspect::parse::fd::{classify, FdRecord};
use crate::inspect::parse::fdinfo::parse_fdinfo;
use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd};

/// What reading one fd gave: a record, nothing (it closed meanwhile), or a failure.
enum One {
    Record(FdRecord, Option<io::Error>),
    Vanished,
    Failed(io::Error),
}

/// Open handles on `/proc/PID/fd` and `/proc/PID/fdinfo`: per-fd lookups relative to them
/// skip walking `/proc/PID/` again for each of a thousand fds.
struct Dirs {
    fd: File,
    fdinfo: File,
}

fn name_of(fd: i32) -> CString {
    // Digits never contain NUL.
    CString::new(fd.to_string()).unwrap_or_default()
}

fn readlink_at(dir: &File, name: &CString) -> io::Result<String> {
    let mut buf = [0u8; 4096];
    // SAFETY: `dir` is an open directory, `name` is NUL-terminated and `buf` is writable for
    // its whole length.
    let n = unsafe {
        libc::readlinkat(
            dir.as_raw_fd(),
            name.as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(String::from_utf8_lossy(&buf[..n as usize]).into_owned())
}

fn open_at(dir: &File, name: &CString) -> io::Result<File> {
    // SAFETY: `dir` is an open directory and `name` is NUL-terminated; the returned fd is
    // checked and then owned by the File.
    let raw = unsafe {
        libc::openat(
            dir.as_raw_fd(),
            name.as_ptr(),
            libc::O_RDONLY | libc::O_CLOEXEC,
        )
    };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `raw` is a freshly opened fd that nothing else owns.
    Ok(unsafe { File::from_raw_fd(raw) })
}

fn read_one(dirs: &Dirs, fd: i32) -> One {
    let name = name_of(fd);
    let target = match readlink_at(&dirs.fd, &name) {
        Ok(t) => t,
        // Closed since readdir: it is no longer there to be inherited.
        Err(e) if e.kind() == io::ErrorKind::NotFound => return One::Vanished,
        Err(e) => return One::Failed(e),
    };
    let (info, error) =
        match open_at(&dirs.fdinfo, &name).and_then(|f| read_small_with(f, parse_fdinfo)) {
            Ok(info) => (Some(info), None),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return One::Vanished,
            Err(e) => (None, Some(e)),
        };
    let class = classify(&target);
    One::Record(
        FdRecord {
            fd,
            target,
            class,
            info,
        },
        error,
    )
}

/// Every fd of `pid` in numeric order, and the first fdinfo failure if any. Fails only when
/// the fd directory itself cannot be read; fds that close during the walk are left out.
pub fn read_fds(root: &ProcRoot, pid: i32) -> io::Result<(Vec<FdRecord>, Option<io::Error>)> {
    let fd_dir = File::open(root.pid(pid, "fd"))?;
    let mut numbers: Vec<i32> = std::fs::read_dir(root.pid(pid, "fd"))?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
        .collect();
    numbers.sort_unstable();
    let dirs = match File::open(root.pid(pid, "fdinfo")) {
        Ok(fdinfo) => Dirs { fd: fd_dir, fdinfo },
        Err(e) => return Err(e),
    };
    let results = read_all(&dirs, &numbers)?;
    let mut records = Vec::with_capacity(results.len());
    let mut fdinfo_error = None;
    for result in results {
        match result {
            One::Record(record, error) => {
                if let Some(e) = error {
                    fdinfo_error.get_or_insert(e);
                }
                records.push(record);
            }
            One::Vanished => {}
            One::Failed(e) => return Err(e),
        }
    }
    Ok((records, fdinfo_error))
}

/// Below this many fds, starting a thread costs more than it saves.
const PARALLEL_FROM: usize = 64;

/// More threads than this only queue on the same per-process locks in the kernel.
const MAX_WORKERS: usize = 4;

/// Reads `numbers` in order. Four syscalls per fd dominate an inspection, and they spread well
/// over the cores: each core takes one contiguous share on a plain scoped thread (a pool's idle
/// workers would spin on a CPU the rest of the inspection wants).
fn read_all(dirs: &Dirs, numbers: &[i32]) -> io::Result<Vec<One>> {
    let workers = if numbers.len() >= PARALLEL_FROM {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_WORKERS))
    } else {
        1
    };
    let share = numbers.len().div_ceil(workers).max(1);
    let read = |part: &[i32]| -> Vec<One> { part.iter().map(|&fd| read_one(dirs, fd)).collect() };
    std::thread::scope(|scope| {
        let mut parts = numbers.chunks(share);
        let first = parts.next().unwrap_or_default();
        let others: Vec<_> = parts.map(|part| scope.spawn(move || read(part))).collect();
        let mut results = read(first);
        for other in others {
            results.extend(
                other
                    .join()
                    .map_err(|_| io::Error::other("a thread reading the fds failed"))?,
            );
        }
        Ok(results)
    })
}
