//! The walk over `/proc/PID/fd` and `fdinfo/`, tolerating fds that close between readdir and
//! readlink, with one openat per fd relative to the open directories.

use crate::inspect::live::{read_small_with, ProcRoot};
use crate::inspect::parse::fd::{classify, FdRecord};
use crate::inspect::parse::fdinfo::parse_fdinfo;
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

/// The NUL-terminated decimal name of `fd`, on the stack (a thousand per inspection).
fn name_of(fd: i32) -> [u8; 12] {
    let mut name = [0u8; 12];
    let mut digits = [0u8; 11];
    let mut n = fd.unsigned_abs();
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for (i, d) in digits[..len].iter().rev().enumerate() {
        name[i] = *d;
    }
    name
}

fn readlink_at(dir: &File, name: &[u8; 12]) -> io::Result<String> {
    let mut buf = [0u8; 4096];
    // SAFETY: `dir` is an open directory, `name` is NUL-terminated and `buf` is writable for
    // its whole length.
    let n = unsafe {
        libc::readlinkat(
            dir.as_raw_fd(),
            name.as_ptr().cast(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(String::from_utf8_lossy(&buf[..n as usize]).into_owned())
}

fn open_at(dir: &File, name: &[u8; 12]) -> io::Result<File> {
    // SAFETY: `dir` is an open directory and `name` is NUL-terminated; the returned fd is
    // checked and then owned by the File.
    let raw = unsafe {
        libc::openat(
            dir.as_raw_fd(),
            name.as_ptr().cast(),
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
    let dirs = Dirs {
        fd: File::open(root.pid(pid, "fd"))?,
        fdinfo: File::open(root.pid(pid, "fdinfo"))?,
    };
    let results = match open_count(root, &dirs.fd) {
        Some(count) => {
            // Fd tables are dense from 0 in practice: asking for each number up to a little past
            // the count skips listing the directory, which instantiates every entry once more on
            // one thread before the parallel reads can start. A number that is not open reads as
            // vanished. Fewer found than open means a sparse table: the rest is listed.
            let upto = count.saturating_add(count / 16 + 8);
            let mut results = read_all(&dirs, &(0..upto).collect::<Vec<_>>())?;
            let found = results
                .iter()
                .filter(|r| matches!(r, One::Record(..)))
                .count();
            if found < count as usize {
                let rest: Vec<i32> = listed(root, pid)?
                    .into_iter()
                    .filter(|&n| n >= upto)
                    .collect();
                results.extend(read_all(&dirs, &rest)?);
            }
            results
        }
        None => read_all(&dirs, &listed(root, pid)?)?,
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

/// The fd numbers the directory lists, in order.
fn listed(root: &ProcRoot, pid: i32) -> io::Result<Vec<i32>> {
    let mut numbers: Vec<i32> = std::fs::read_dir(root.pid(pid, "fd"))?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
        .collect();
    numbers.sort_unstable();
    Ok(numbers)
}

/// How many fds are open, when the kernel says so: since Linux 6.2 the size of a live
/// `/proc/PID/fd` is that count (0 before). A recorded directory's size means nothing.
fn open_count(root: &ProcRoot, fd_dir: &File) -> Option<i32> {
    if !root.is_live() {
        return None;
    }
    let size = fd_dir.metadata().ok()?.len();
    i32::try_from(size).ok().filter(|&n| n > 0)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn names_are_the_decimal_numbers() {
        for fd in [0, 7, 10, 1005, i32::MAX] {
            let name = name_of(fd);
            let end = name.iter().position(|b| *b == 0).unwrap();
            assert_eq!(&name[..end], fd.to_string().as_bytes());
        }
    }

    #[test]
    fn finds_fds_far_above_the_open_count_in_order() {
        let file = tempfile::tempfile().unwrap();
        // Far above what this process has open: only listing the directory can find it.
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes into the struct it is given.
        assert_eq!(
            unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) },
            0
        );
        let high = (limit.rlim_cur.min(10_000) - 1) as i32;
        // SAFETY: dup2 onto a number this test owns; it is closed below.
        assert_eq!(unsafe { libc::dup2(file.as_raw_fd(), high) }, high);
        let me = std::process::id() as i32;
        let (records, _) = read_fds(&ProcRoot::default(), me).unwrap();
        // SAFETY: `high` was opened above and nothing else uses it.
        unsafe { libc::close(high) };
        let numbers: Vec<i32> = records.iter().map(|r| r.fd).collect();
        assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
        for fd in [0, file.as_raw_fd(), high] {
            assert!(numbers.contains(&fd), "{fd} missing from {numbers:?}");
        }
        let record = records.iter().find(|r| r.fd == high).unwrap();
        assert_eq!(record.class.kind, "file");
    }
}
