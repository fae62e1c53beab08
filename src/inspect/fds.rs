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
    use std::io::{self, Read};

    /// Every fd of `pid` in numeric order. Fails only when the fd directory itself cannot be
    /// read; fds that close during the walk are left out.
    pub fn read_fds(pid: i32) -> io::Result<(Vec<FdRecord>, Option<io::Error>)> {
        let base = format!("/proc/{pid}/fd");
        let mut numbers: Vec<i32> = std::fs::read_dir(&base)?
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
            .collect();
        numbers.sort_unstable();
        let mut records = Vec::with_capacity(numbers.len());
        let mut fdinfo_error = None;
        let mut link = String::with_capacity(64);
        let mut buf = String::with_capacity(256);
        for fd in numbers {
            link.clear();
            link.push_str(&base);
            link.push('/');
            link.push_str(&fd.to_string());
            let target = match std::fs::read_link(&link) {
                Ok(t) => t.to_string_lossy().into_owned(),
                // Closed since readdir: it is no longer there to be inherited.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            buf.clear();
            let info = match std::fs::File::open(format!("/proc/{pid}/fdinfo/{fd}"))
                .and_then(|mut f| f.read_to_string(&mut buf))
            {
                Ok(_) => Some(parse_fdinfo(&buf)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => {
                    fdinfo_error.get_or_insert(e);
                    None
                }
            };
            let class = classify(&target);
            records.push(FdRecord {
                fd,
                target,
                class,
                info,
            });
        }
        Ok((records, fdinfo_error))
    }
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
