//! The walk over `/proc/PID/fd` and `fdinfo/`, tolerating fds that close between readdir and
//! readlink, with one openat per fd relative to the open directories.

use crate::inspect::live::ProcRoot;
use crate::inspect::parse::fd::{classify, FdRecord};
use crate::inspect::parse::fdinfo::parse_fdinfo;
use rayon::prelude::*;
use std::ffi::CString;
use std::fs::File;
use std::io::{self, Read};
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

/// Reads a small proc file with as few syscalls as possible: `read_to_string` would add a
/// statx, an lseek and an extra read per file, a third of an inspection's time. The kernel
/// produces fdinfo in one go, so a short read means the end.
fn read_small(mut file: File) -> io::Result<String> {
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

fn read_one(dirs: &Dirs, fd: i32) -> One {
    let name = name_of(fd);
    let target = match readlink_at(&dirs.fd, &name) {
        Ok(t) => t,
        // Closed since readdir: it is no longer there to be inherited.
        Err(e) if e.kind() == io::ErrorKind::NotFound => return One::Vanished,
        Err(e) => return One::Failed(e),
    };
    let (info, error) = match open_at(&dirs.fdinfo, &name).and_then(read_small) {
        Ok(text) => (Some(parse_fdinfo(&text)), None),
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
    let dirs = &dirs;
    // Three syscalls per fd dominate an inspection; they spread well over the cores.
    let results: Vec<One> = if numbers.len() >= PARALLEL_FROM {
        numbers.par_iter().map(|&fd| read_one(dirs, fd)).collect()
    } else {
        numbers.iter().map(|&fd| read_one(dirs, fd)).collect()
    };
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

/// Below this many fds, starting worker threads costs more than it saves.
const PARALLEL_FROM: usize = 64;
