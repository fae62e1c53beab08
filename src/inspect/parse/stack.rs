//! Which loaded object started a thread, for threads whose name says nothing (a thread inherits
//! the process name unless it sets its own: CPython's, rayon's, OpenBLAS's, libgomp's do not).
//!
//! glibc keeps each thread's descriptor (`struct pthread`, holding the start routine the creator
//! passed to `pthread_create`) at the top of the thread's stack mapping, above its TLS. So the
//! highest word in the top of that mapping that points into executable code outside libc and the
//! dynamic loader is the start routine, and the file mapped there is the library that made the
//! thread. The stack pointer comes from `task/TID/syscall`; the words from `/proc/PID/mem`.
//! Both need ptrace access, as fds do.

use crate::inspect::parse::maps::{region_at, Region};

/// How much of the top of a thread's stack mapping to read: the descriptor (about 2.3 KiB on
/// x86-64) and a generous static TLS block.
pub const STACK_TOP_BYTES: u64 = 16 * 1024;

/// At most this many threads are examined; the rest keep no attribution (and count as
/// uncovered), so 10,000 threads do not cost 10,000 memory reads.
pub const MAX_THREADS: usize = 512;

/// How many times, over all threads, a running thread is looked at again (5 ms apart) before it
/// is left unattributed: a busy thread has no stack pointer to read.
pub const RUNNING_RETRIES: u32 = 60;

/// The stack pointer from `task/TID/syscall`: `NR args... SP PC` while blocked in a system call,
/// `-1 SP PC` when blocked otherwise, `running` when on a CPU (then unknown).
pub fn parse_syscall_sp(text: &str) -> Option<u64> {
    let fields: Vec<&str> = text.split_whitespace().collect();
    if fields.len() < 3 {
        return None;
    }
    let sp = fields[fields.len() - 2];
    u64::from_str_radix(sp.strip_prefix("0x")?, 16).ok()
}

/// The system call a thread is blocked in, from the same line: its number (decimal, the
/// architecture's own), or None when it runs or is blocked outside a system call (`-1`).
pub fn parse_syscall_nr(text: &str) -> Option<i64> {
    text.split_whitespace()
        .next()?
        .parse::<i64>()
        .ok()
        .filter(|nr| *nr >= 0)
}

/// Objects whose code is on every thread's stack whoever created it.
fn is_runtime_glue(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    ["libc.so", "libc-", "ld-linux", "ld-musl", "libpthread"]
        .iter()
        .any(|p| base.starts_with(p))
}

/// The file holding the start routine, from the bytes read at the top of the stack mapping: the
/// highest native-endian word that points into executable code of a file other than libc or the
/// loader.
pub fn start_object<'a>(bytes: &[u8], regions: &'a [Region]) -> Option<&'a str> {
    bytes
        .chunks_exact(8)
        .rev()
        .filter_map(|w| w.try_into().ok().map(u64::from_ne_bytes))
        .find_map(|word| {
            let r = region_at(regions, word)?;
            let path = r.path()?;
            (r.executable && !is_runtime_glue(path)).then_some(path)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(start: u64, end: u64, x: bool, path: Option<&str>) -> Region {
        Region {
            start,
            end,
            executable: x,
            offset: 0,
            name: path.map(str::to_string),
        }
    }

    #[test]
    fn stack_pointer_from_syscall_file() {
        let blocked =
            "202 0x55731aebe008 0x89 0x0 0x0 0x0 0x7f3bffffffff 0x7f3bbfbfe868 0x7f3bc0f1f829\n";
        assert_eq!(parse_syscall_sp(blocked), Some(0x7f3bbfbfe868));
        assert_eq!(parse_syscall_sp("-1 0x7ffd10 0x7f00\n"), Some(0x7ffd10));
        assert_eq!(parse_syscall_sp("running\n"), None);
        assert_eq!(parse_syscall_sp(""), None);
        assert_eq!(parse_syscall_nr(blocked), Some(202));
        assert_eq!(parse_syscall_nr("-1 0x7ffd10 0x7f00\n"), None);
        assert_eq!(parse_syscall_nr("running\n"), None);
        assert_eq!(parse_syscall_nr(""), None);
    }

    #[test]
    fn the_highest_code_word_outside_libc_names_the_creator() {
        let regions = [
            region(0x1000, 0x2000, true, Some("/usr/lib/libgomp.so.1")),
            region(
                0x2000,
                0x3000,
                true,
                Some("/lib/x86_64-linux-gnu/libc.so.6"),
            ),
            region(0x3000, 0x4000, false, Some("/usr/lib/libdata.so")),
            region(0x4000, 0x5000, true, Some("/site/tokenizers.abi3.so")),
            region(0x9000, 0xa000, false, None),
        ];
        let words = |ws: &[u64]| -> Vec<u8> { ws.iter().flat_map(|w| w.to_ne_bytes()).collect() };
        // Deeper frames of another library, then the start routine, then libc's own pointers
        // and data above it.
        let top = words(&[0x4100, 0x1010, 0x2100, 0x3100, 0x9100, 0]);
        assert_eq!(start_object(&top, &regions), Some("/usr/lib/libgomp.so.1"));
        assert_eq!(start_object(&words(&[0x2100, 0x3100]), &regions), None);
        assert_eq!(start_object(&[1, 2, 3], &regions), None);
        assert!(region_at(&regions, 0x5000).is_none());
        assert_eq!(region_at(&regions, 0x4fff).map(|r| r.start), Some(0x4000));
    }
}
