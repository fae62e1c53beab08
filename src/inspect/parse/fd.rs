//! File descriptors: what each `/proc/PID/fd/N` link points at, and one fd as read from `fd/N`
//! and `fdinfo/N`.

use crate::inspect::parse::fdinfo::FdInfo;

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
