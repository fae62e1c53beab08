//! `/proc/PID/fdinfo/N`: position, open flags (octal, with the fd's close-on-exec bit) and the
//! `lock:` lines of locks held through this open file description. procfs 0.18 has no parser.

use crate::inspect::parse::locks::{parse_lock_line, LockLine};

/// `O_CLOEXEC` as fdinfo prints it. It differs between architectures, so take libc's value.
#[cfg(target_os = "linux")]
pub const O_CLOEXEC: u32 = libc::O_CLOEXEC as u32;
#[cfg(not(target_os = "linux"))]
pub const O_CLOEXEC: u32 = 0o2000000;

const O_ACCMODE: u32 = 0o3;
const O_PATH: u32 = 0o10000000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FdInfo {
    pub pos: Option<u64>,
    pub flags: Option<u32>,
    pub ino: Option<u64>,
    pub locks: Vec<LockLine>,
}

impl FdInfo {
    pub fn cloexec(&self) -> Option<bool> {
        self.flags.map(|f| f & O_CLOEXEC != 0)
    }

    /// `read`, `write` or `read-write`; `path` for O_PATH descriptors, which allow neither.
    pub fn access(&self) -> Option<&'static str> {
        let flags = self.flags?;
        if flags & O_PATH != 0 {
            return Some("path");
        }
        Some(match flags & O_ACCMODE {
            0 => "read",
            1 => "write",
            _ => "read-write",
        })
    }

    pub fn writable(&self) -> bool {
        matches!(self.access(), Some("write" | "read-write"))
    }
}

/// Parses the whole fdinfo text. Unknown lines (eventfd-count, tfd, inotify...) are ignored.
pub fn parse_fdinfo(text: &str) -> FdInfo {
    let mut info = FdInfo::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key {
            "pos" => info.pos = value.parse().ok(),
            "flags" => info.flags = u32::from_str_radix(value, 8).ok(),
            "ino" => info.ino = value.parse().ok(),
            "lock" => {
                if let Some(lock) = parse_lock_line(value) {
                    info.locks.push(lock);
                }
            }
            _ => {}
        }
    }
    info
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::parse::locks::LockKind;

    #[test]
    fn regular_file_without_cloexec() {
        let info = parse_fdinfo("pos:\t1024\nflags:\t0100002\nmnt_id:\t27\nino:\t10010779\n");
        assert_eq!(info.pos, Some(1024));
        assert_eq!(info.flags, Some(0o100002));
        assert_eq!(info.cloexec(), Some(false));
        assert_eq!(info.access(), Some("read-write"));
        assert!(info.writable());
        assert_eq!(info.ino, Some(10010779));
        assert!(info.locks.is_empty());
    }

    #[test]
    fn cloexec_bit_is_octal_02000000() {
        let info = parse_fdinfo("pos:\t0\nflags:\t02100001\nmnt_id:\t27\n");
        assert_eq!(info.cloexec(), Some(true));
        assert_eq!(info.access(), Some("write"));
        // Read as decimal, 02000000 would not have the bit; read as octal it has.
        let socket = parse_fdinfo("pos:\t0\nflags:\t02\n");
        assert_eq!(socket.cloexec(), Some(false));
        let path = parse_fdinfo("flags:\t012100000\n");
        assert_eq!(path.access(), Some("path"));
        assert!(!path.writable());
    }

    #[test]
    fn lock_lines_including_ofd() {
        let text = "pos:\t0\nflags:\t02100002\nmnt_id:\t27\nino:\t10011681\n\
lock:\t1: OFDLCK ADVISORY  READ -1 fe:00:10011681 0 9\n\
lock:\t2: FLOCK  ADVISORY  WRITE 4128 fe:00:10011679 0 EOF\n";
        let info = parse_fdinfo(text);
        assert_eq!(info.locks.len(), 2);
        assert_eq!(info.locks[0].kind, LockKind::Ofd);
        assert_eq!(info.locks[0].pid, None);
        assert_eq!(info.locks[0].end, Some(9));
        assert_eq!(info.locks[1].kind, LockKind::Flock);
        assert_eq!(info.locks[1].pid, Some(4128));
        assert!(!info.locks[1].waiter);
    }

    #[test]
    fn garbage_is_tolerated() {
        let info = parse_fdinfo("flags:\t0999\npos:\tx\nno colon here\nlock:\tnonsense\n");
        assert_eq!(info, FdInfo::default());
        let info = parse_fdinfo("eventfd-count:\t0\neventfd-id:\t3\nflags:\t02004002\n");
        assert_eq!(info.cloexec(), Some(true));
    }
}
