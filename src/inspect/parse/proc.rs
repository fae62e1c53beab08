//! The process and its threads: parsers for `stat`, `status` and `cmdline`.

/// The fields of `/proc/PID/stat` (or `task/TID/stat`) that inspection needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    pub comm: String,
    pub state: char,
    pub ppid: i32,
    /// `PF_*` flags (field 9).
    pub flags: u64,
    pub num_threads: u64,
    /// Clock ticks since boot when the process started (field 22): with the pid it identifies
    /// one process across pid reuse.
    pub starttime: u64,
}

/// `PF_KTHREAD` from the kernel's `sched.h`: the task is a kernel thread.
pub const PF_KTHREAD: u64 = 0x0020_0000;

impl Stat {
    pub fn is_kernel_thread(&self) -> bool {
        self.flags & PF_KTHREAD != 0
    }
}

/// Parses a `stat` line. `comm` may hold spaces and `)`, so it ends at the *last* `)`.
pub fn parse_stat(text: &str) -> Option<Stat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    if close < open {
        return None;
    }
    let comm = text[open + 1..close].to_string();
    let rest: Vec<&str> = text[close + 1..].split_whitespace().collect();
    // `rest[0]` is field 3 (state); field N is rest[N - 3].
    let field = |n: usize| rest.get(n - 3).copied();
    Some(Stat {
        comm,
        state: field(3)?.chars().next()?,
        ppid: field(4)?.parse().ok()?,
        flags: field(9)?.parse().ok()?,
        num_threads: field(20)?.parse().ok()?,
        starttime: field(22)?.parse().ok()?,
    })
}

/// The fields of `/proc/PID/status` that inspection needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    pub name: String,
    pub state: Option<char>,
    pub threads: Option<u64>,
    /// Real, effective, saved, filesystem.
    pub uid: Vec<u32>,
    pub tracer_pid: Option<i32>,
}

pub fn parse_status(text: &str) -> Status {
    let mut status = Status::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key {
            "Name" => status.name = unescape_status_name(value),
            "State" => status.state = value.chars().next(),
            "Threads" => status.threads = value.parse().ok(),
            "Uid" => {
                status.uid = value
                    .split_whitespace()
                    .filter_map(|v| v.parse().ok())
                    .collect()
            }
            "TracerPid" => status.tracer_pid = value.parse().ok(),
            _ => {}
        }
    }
    status
}

/// `status` escapes `\n` and `\\` in the name; undo it so names compare with `comm`.
fn unescape_status_name(value: &str) -> String {
    value.replace("\\n", "\n").replace("\\\\", "\\")
}

/// `cmdline` is NUL-separated; empty for kernel threads and zombies.
pub fn parse_cmdline(bytes: &[u8]) -> Vec<String> {
    bytes
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

/// Joins arguments for display on one line, quoting the ones a shell would split and escaping
/// control characters (a `python3 -c` script would otherwise spread over the header).
pub fn display_command(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            let a = &a
                .escape_debug()
                .to_string()
                .replace("\\'", "'")
                .replace("\\\"", "\"");
            if a.is_empty()
                || a.chars()
                    .any(|c| c.is_whitespace() || c == '\'' || c == '"')
            {
                format!("'{}'", a.replace('\'', "'\\''"))
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_spaces_and_parens_in_comm() {
        let line = "4128 (a b) c)) S 1 4128 4128 0 -1 4194560 100 0 0 0 5 6 0 0 25 5 3 0 123456 1000 10 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
        let stat = parse_stat(line).unwrap();
        assert_eq!(stat.comm, "a b) c)");
        assert_eq!(stat.state, 'S');
        assert_eq!(stat.ppid, 1);
        // field 19 (nice) is 5 and field 20 is 3: a naive split by spaces would read the nice value.
        assert_eq!(stat.num_threads, 3);
        assert_eq!(stat.starttime, 123456);
        assert!(!stat.is_kernel_thread());
    }

    #[test]
    fn kernel_thread_flag() {
        let line = "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 24 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0";
        let stat = parse_stat(line).unwrap();
        assert!(stat.is_kernel_thread());
        assert_eq!(stat.comm, "kthreadd");
    }

    #[test]
    fn truncated_stat_is_none() {
        assert_eq!(parse_stat("12 (x) S 1 2"), None);
        assert_eq!(parse_stat(""), None);
        assert_eq!(parse_stat("12 )x( S"), None);
    }

    #[test]
    fn status_fields() {
        let text = "Name:\tpython3\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t42\nPid:\t42\nPPid:\t1\nTracerPid:\t0\nUid:\t1000\t1000\t1000\t1000\nThreads:\t51\nSigBlk:\t0000000000000000\n";
        let s = parse_status(text);
        assert_eq!(s.name, "python3");
        assert_eq!(s.state, Some('S'));
        assert_eq!(s.threads, Some(51));
        assert_eq!(s.uid, vec![1000, 1000, 1000, 1000]);
        assert_eq!(s.tracer_pid, Some(0));
        let zombie = parse_status("Name:\tdefunct\nState:\tZ (zombie)\n");
        assert_eq!(zombie.state, Some('Z'));
        assert_eq!(zombie.threads, None);
    }

    #[test]
    fn cmdline_and_display() {
        let args = parse_cmdline(b"python3\0-c\0print('a b')\0");
        assert_eq!(args, ["python3", "-c", "print('a b')"]);
        assert_eq!(display_command(&args), "python3 -c 'print('\\''a b'\\'')'");
        assert!(parse_cmdline(b"").is_empty());
        let script = parse_cmdline(b"python3\0-c\0import os\nos.fork()\0");
        assert_eq!(
            display_command(&script),
            "python3 -c 'import os\\nos.fork()'"
        );
    }
}
