//! File descriptors: what each `/proc/PID/fd/N` link points at, and the walk over `fd/` and
//! `fdinfo/` that tolerates fds closing between readdir and readlink.

use crate::inspect::fdinfo::FdInfo;

/// The kind of an fd, from its link target alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kind: &'static str,
    /// The inode of `socket:[N]`.
    pub socket_inode: Option<u64>,
}

pub fn classify(target: &str) -> Target {
    let bracketed = |prefix: &str| {
        target
            .strip_prefix(prefix)
            .and_then(|r| r.strip_prefix('['))
            .and_then(|r| r.strip_suffix(']'))
    };
    if let Some(inode) = bracketed("socket:") {
        return Target {
            kind: "socket",
            socket_inode: inode.parse().ok(),
        };
    }
    let kind = if bracketed("pipe:").is_some() {
        "pipe"
    } else if let Some(anon) = target.strip_prefix("anon_inode:") {
        match anon.trim_start_matches('[').trim_end_matches(']') {
            "eventfd" => "eventfd",
            "eventpoll" => "epoll",
            "inotify" => "inotify",
            "signalfd" => "signalfd",
            "timerfd" => "timerfd",
            "pidfd" => "pidfd",
            "io_uring" => "io_uring",
            _ => "anon_inode",
        }
    } else if target.starts_with("/memfd:") {
        "memfd"
    } else if target.starts_with("/dev/") && !target.starts_with("/dev/shm/") {
        "device"
    } else if target.starts_with('/') {
        "file"
    } else if target.starts_with("pidfd:") {
        "pidfd"
    } else {
        "other"
    };
    Target {
        kind,
        socket_inode: None,
    }
}

/// One descriptor as read from `fd/N` and `fdinfo/N`.
#[derive(Debug, Clone)]
pub struct FdRecord {
    pub fd: i32,
    pub target: String,
    pub class: Target,
    /// None when fdinfo could not be read (the fd vanished or access was refused).
    pub info: Option<FdInfo>,
}

#[cfg(target_os = "linux")]
pub use live::*;

#[cfg(target_os = "linux")]
mod live {
    use super::*;
    use crate::inspect::fdinfo::parse_fdinfo;
    use rayon::prelude::*;
    use std::io::{self, Read};

    /// What reading one fd gave: a record, nothing (it closed meanwhile), or a failure.
    enum One {
        Record(FdRecord, Option<io::Error>),
        Vanished,
        Failed(io::Error),
    }

    fn read_one(pid: i32, fd: i32) -> One {
        let target = match std::fs::read_link(format!("/proc/{pid}/fd/{fd}")) {
            Ok(t) => t.to_string_lossy().into_owned(),
            // Closed since readdir: it is no longer there to be inherited.
            Err(e) if e.kind() == io::ErrorKind::NotFound => return One::Vanished,
            Err(e) => return One::Failed(e),
        };
        let mut buf = String::with_capacity(256);
        let (info, error) = match std::fs::File::open(format!("/proc/{pid}/fdinfo/{fd}"))
            .and_then(|mut f| f.read_to_string(&mut buf))
        {
            Ok(_) => (Some(parse_fdinfo(&buf)), None),
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
    pub fn read_fds(pid: i32) -> io::Result<(Vec<FdRecord>, Option<io::Error>)> {
        let mut numbers: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/fd"))?
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
            .collect();
        numbers.sort_unstable();
        // Three syscalls per fd dominate an inspection; they spread well over the cores.
        let results: Vec<One> = if numbers.len() >= PARALLEL_FROM {
            numbers.par_iter().map(|&fd| read_one(pid, fd)).collect()
        } else {
            numbers.iter().map(|&fd| read_one(pid, fd)).collect()
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_targets() {
        assert_eq!(
            classify("socket:[81234]"),
            Target {
                kind: "socket",
                socket_inode: Some(81234)
            }
        );
        assert_eq!(classify("pipe:[12]").kind, "pipe");
        assert_eq!(classify("anon_inode:[eventfd]").kind, "eventfd");
        assert_eq!(classify("anon_inode:[eventpoll]").kind, "epoll");
        assert_eq!(classify("anon_inode:inotify").kind, "inotify");
        assert_eq!(classify("anon_inode:[signalfd]").kind, "signalfd");
        assert_eq!(classify("anon_inode:[userfaultfd]").kind, "anon_inode");
        assert_eq!(classify("/memfd:buffer (deleted)").kind, "memfd");
        assert_eq!(classify("/dev/nvidiactl").kind, "device");
        assert_eq!(classify("/dev/shm/x").kind, "file");
        assert_eq!(classify("/var/log/app.log (deleted)").kind, "file");
        assert_eq!(classify("net:[4026531840]").kind, "other");
        assert_eq!(classify("socket:[oops]").socket_inode, None);
    }
}
