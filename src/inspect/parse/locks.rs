//! File locks: the `/proc/locks` format (shared with fdinfo `lock:` lines), kept with its `->`
//! waiter marker, and what each lock kind means for a forked child.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LockKind {
    Flock,
    Posix,
    Ofd,
    Lease,
    Other,
}

impl LockKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LockKind::Flock => "flock",
            LockKind::Posix => "posix",
            LockKind::Ofd => "ofd",
            LockKind::Lease => "lease",
            LockKind::Other => "other",
        }
    }

    /// What a child created by fork() gets (fcntl(2), flock(2)).
    pub fn inherited(self) -> &'static str {
        match self {
            LockKind::Flock | LockKind::Ofd | LockKind::Lease => {
                "shared with the child through the open file description: either process can release it for both, and it stays held until both have closed it"
            }
            LockKind::Posix => {
                "not inherited: the child does not hold it, although it may believe it does"
            }
            LockKind::Other => "unknown",
        }
    }
}

/// One line of `/proc/locks` or one fdinfo `lock:` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockLine {
    pub ordinal: u32,
    /// `->`: this process is blocked waiting for the lock, it does not hold it.
    pub waiter: bool,
    pub kind: LockKind,
    /// READ, WRITE (or UNLCK, rarely seen)
    pub mode: String,
    /// None for OFD locks, which the kernel prints with pid -1.
    pub pid: Option<i32>,
    pub dev_major: u32,
    pub dev_minor: u32,
    pub inode: u64,
    pub start: u64,
    /// None for `EOF`.
    pub end: Option<u64>,
}

impl LockLine {
    /// `maj:min:inode` with hex device numbers, as the kernel prints it.
    pub fn file_id(&self) -> String {
        format!(
            "{:02x}:{:02x}:{}",
            self.dev_major, self.dev_minor, self.inode
        )
    }

    pub fn range(&self) -> String {
        match self.end {
            Some(end) => format!("{}-{}", self.start, end),
            None => format!("{}-EOF", self.start),
        }
    }

    /// Identity of the lock itself, to merge the fdinfo and /proc/locks views of it.
    pub fn same_lock(&self, other: &LockLine) -> bool {
        self.kind == other.kind
            && self.inode == other.inode
            && self.dev_major == other.dev_major
            && self.dev_minor == other.dev_minor
            && self.start == other.start
            && self.end == other.end
            && self.mode == other.mode
    }
}

/// Parses `1: POSIX  ADVISORY  WRITE 4128 fe:00:10011680 0 EOF` and the waiter form
/// `1: -> POSIX ...`.
pub fn parse_lock_line(line: &str) -> Option<LockLine> {
    let mut tokens = line.split_whitespace().peekable();
    let ordinal = tokens.next()?.strip_suffix(':')?.parse().ok()?;
    let waiter = tokens.peek() == Some(&"->");
    if waiter {
        tokens.next();
    }
    let kind = match tokens.next()? {
        "FLOCK" => LockKind::Flock,
        "POSIX" => LockKind::Posix,
        "OFDLCK" => LockKind::Ofd,
        "LEASE" | "DELEG" => LockKind::Lease,
        _ => LockKind::Other,
    };
    let _class = tokens.next()?;
    let mode = tokens.next()?.to_string();
    let pid: i64 = tokens.next()?.parse().ok()?;
    let mut id = tokens.next()?.split(':');
    let dev_major = u32::from_str_radix(id.next()?, 16).ok()?;
    let dev_minor = u32::from_str_radix(id.next()?, 16).ok()?;
    let inode = id.next()?.parse().ok()?;
    let start = tokens.next()?.parse().ok()?;
    let end = match tokens.next()? {
        "EOF" => None,
        n => Some(n.parse().ok()?),
    };
    Some(LockLine {
        ordinal,
        waiter,
        kind,
        mode,
        pid: i32::try_from(pid).ok().filter(|p| *p > 0),
        dev_major,
        dev_minor,
        inode,
        start,
        end,
    })
}

/// Parses all of `/proc/locks`; malformed lines are skipped.
pub fn parse_proc_locks(text: &str) -> Vec<LockLine> {
    text.lines().filter_map(parse_lock_line).collect()
}

/// The system calls in which a thread blocks waiting for a file lock, by this architecture's
/// numbers: `fcntl` (F_SETLKW, F_OFD_SETLKW, and `lockf`, which is built on it) and `flock`.
/// None where the list is not known to be whole (32-bit targets also have `fcntl64`).
pub fn lock_wait_calls() -> Option<&'static [i64]> {
    #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
    {
        // c_long is i64 on these targets.
        const CALLS: [i64; 2] = [libc::SYS_fcntl, libc::SYS_flock];
        Some(&CALLS)
    }
    #[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
    {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCKS: &str = "\
1: OFDLCK ADVISORY  READ -1 fe:00:10011681 0 9
2: POSIX  ADVISORY  WRITE 4128 fe:00:10011680 0 EOF
2: -> POSIX  ADVISORY  WRITE 27731 fe:00:10011680 0 EOF
3: FLOCK  ADVISORY  WRITE 4128 fe:00:10011679 0 EOF
4: LEASE  ACTIVE    READ 999 08:01:55 0 EOF
garbage line
";

    #[test]
    fn proc_locks_with_waiters_and_ofd() {
        let locks = parse_proc_locks(LOCKS);
        assert_eq!(locks.len(), 5);
        assert_eq!(locks[0].kind, LockKind::Ofd);
        assert_eq!(locks[0].pid, None);
        assert_eq!(locks[0].range(), "0-9");
        assert_eq!(locks[0].file_id(), "fe:00:10011681");
        assert_eq!(locks[1].pid, Some(4128));
        assert!(!locks[1].waiter);
        assert_eq!(locks[2].pid, Some(27731));
        assert!(locks[2].waiter, "a `->` line is a waiter, not a holder");
        assert_eq!(locks[2].ordinal, 2);
        assert!(locks[1].same_lock(&locks[2]));
        assert_eq!(locks[3].kind, LockKind::Flock);
        assert_eq!(locks[3].dev_major, 0xfe);
        assert_eq!(locks[3].range(), "0-EOF");
        assert_eq!(locks[4].kind, LockKind::Lease);
    }

    #[test]
    fn inheritance_differs_by_kind() {
        assert!(LockKind::Posix.inherited().starts_with("not inherited"));
        assert!(LockKind::Flock.inherited().starts_with("shared"));
        assert!(LockKind::Ofd.inherited().starts_with("shared"));
    }

    #[test]
    fn truncated_lines_are_rejected() {
        assert_eq!(parse_lock_line("1: POSIX ADVISORY WRITE 12"), None);
        assert_eq!(
            parse_lock_line("1: POSIX ADVISORY WRITE 12 zz:00:1 0 EOF"),
            None
        );
        assert_eq!(parse_lock_line(""), None);
    }
}
