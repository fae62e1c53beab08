//! `/proc/PID/maps`: the distinct files mapped into the process (libraries, the executable,
//! Python extension modules loaded with dlopen).

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedFile {
    pub path: String,
    /// The file was unlinked or replaced after it was mapped (e.g. by a package upgrade).
    pub deleted: bool,
}

/// Distinct file-backed mappings in first-seen order. Anonymous and special mappings (`[heap]`,
/// `[stack]`, `[vdso]`, `/memfd:...`, SysV shm) are left out.
pub fn parse_maps(text: &str) -> Vec<MappedFile> {
    let mut seen = std::collections::HashSet::new();
    let mut files = Vec::new();
    for line in text.lines() {
        // address perms offset dev inode pathname; the pathname may contain spaces.
        let Some(path) = nth_field_rest(line, 5) else {
            continue;
        };
        if !path.starts_with('/') || path.starts_with("/memfd:") || path.starts_with("/SYSV") {
            continue;
        }
        let (path, deleted) = match path.strip_suffix(" (deleted)") {
            Some(p) => (p, true),
            None => (path, false),
        };
        let path = path.replace("\\012", "\n");
        if seen.insert(path.clone()) {
            files.push(MappedFile { path, deleted });
        }
    }
    files
}

/// One mapping: its address range, whether it is executable, where in its file it starts, and
/// what the kernel names it. Attributing a thread, unwinding a stack and symbolising an address
/// all start from these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub start: u64,
    pub end: u64,
    pub executable: bool,
    /// The offset in the file of `start`.
    pub offset: u64,
    /// A file path (without " (deleted)", newlines decoded) or a pseudo name such as `[stack]`
    /// or `[heap]`; None for anonymous memory.
    pub name: Option<String>,
}

impl Region {
    pub fn contains(&self, addr: u64) -> bool {
        self.start <= addr && addr < self.end
    }

    /// The mapped file: not a pseudo name, and not a memfd (which has no path to open).
    pub fn path(&self) -> Option<&str> {
        self.name
            .as_deref()
            .filter(|n| n.starts_with('/') && !n.starts_with("/memfd:"))
    }
}

/// Every mapping in address order (as the kernel prints them).
pub fn parse_regions(text: &str) -> Vec<Region> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (start, end) = fields.next()?.split_once('-')?;
            let perms = fields.next()?;
            let offset = fields.next()?;
            let name = nth_field_rest(line, 5).map(|n| {
                n.strip_suffix(" (deleted)")
                    .unwrap_or(n)
                    .replace("\\012", "\n")
            });
            Some(Region {
                start: u64::from_str_radix(start, 16).ok()?,
                end: u64::from_str_radix(end, 16).ok()?,
                executable: perms.as_bytes().get(2) == Some(&b'x'),
                offset: u64::from_str_radix(offset, 16).ok()?,
                name,
            })
        })
        .collect()
}

/// The region containing `addr`, for regions sorted by address.
pub fn region_at(regions: &[Region], addr: u64) -> Option<&Region> {
    let i = regions.partition_point(|r| r.end <= addr);
    regions.get(i).filter(|r| r.start <= addr)
}

fn nth_field_rest(line: &str, n: usize) -> Option<&str> {
    let mut rest = line;
    for _ in 0..n {
        rest = rest.trim_start();
        let end = rest.find(' ')?;
        rest = &rest[end..];
    }
    let rest = rest.trim_start();
    (!rest.is_empty()).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_files_only() {
        let text = "\
55d0c0a00000-55d0c0a02000 r--p 00000000 fe:00 131 /usr/bin/python3.11
55d0c0a02000-55d0c0a99000 r-xp 00002000 fe:00 131 /usr/bin/python3.11
55d0c1000000-55d0c1021000 rw-p 00000000 00:00 0                          [heap]
7f1c2a000000-7f1c2a021000 rw-p 00000000 00:00 0
7f1c2b000000-7f1c2b100000 r-xp 00000000 fe:00 2001 /usr/lib/x86_64-linux-gnu/libgomp.so.1
7f1c2c000000-7f1c2c100000 r-xp 00000000 fe:00 2002 /opt/my libs/libfoo.so (deleted)
7f1c2d000000-7f1c2d001000 rw-s 00000000 00:01 3003 /memfd:shm (deleted)
7ffd1000000-7ffd1021000 rw-p 00000000 00:00 0 [stack]
7ffd1100000-7ffd1102000 r-xp 00000000 00:00 0 [vdso]
";
        let files = parse_maps(text);
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/usr/bin/python3.11",
                "/usr/lib/x86_64-linux-gnu/libgomp.so.1",
                "/opt/my libs/libfoo.so"
            ]
        );
        assert!(files[2].deleted);
        assert!(!files[0].deleted);
    }

    #[test]
    fn regions_with_ranges_and_execute_bits() {
        let text = "\
55d0c0a02000-55d0c0a99000 r-xp 00002000 fe:00 131 /usr/bin/python3.11
55d0c1000000-55d0c1021000 rw-p 00000000 00:00 0                          [heap]
7f1c2b000000-7f1c2b100000 r-xp 00000000 fe:00 2001 /opt/my libs/libgomp.so.1 (deleted)
garbage
";
        let r = parse_regions(text);
        assert_eq!(r.len(), 3);
        assert_eq!((r[0].start, r[0].end), (0x55d0c0a02000, 0x55d0c0a99000));
        assert_eq!(r[0].offset, 0x2000);
        assert!(r[0].executable && !r[1].executable);
        assert_eq!(r[1].path(), None);
        assert_eq!(r[1].name.as_deref(), Some("[heap]"));
        assert_eq!(r[2].path(), Some("/opt/my libs/libgomp.so.1"));
    }

    #[test]
    fn pseudo_names_anonymous_memory_and_memfds_are_not_files() {
        let r = parse_regions(
            "7f0000000000-7f0000001000 rw-p 00000000 00:00 0 \n\
             7f0000001000-7f0000002000 rw-s 00000000 00:01 3003 /memfd:shm (deleted)\n\
             7ffd1e000000-7ffd1e021000 rw-p 00000000 00:00 0                          [stack]\n",
        );
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].name, None);
        assert_eq!(r[1].name.as_deref(), Some("/memfd:shm"));
        assert_eq!(r[1].path(), None);
        assert_eq!(r[2].name.as_deref(), Some("[stack]"));
        assert_eq!(r[2].path(), None);
        assert!(r[2].contains(0x7ffd1e000000) && !r[2].contains(0x7ffd1e021000));
        assert_eq!(
            region_at(&r, 0x7ffd1e000010).map(|m| m.start),
            Some(0x7ffd1e000000)
        );
        assert!(region_at(&r, 0x1000).is_none());
        assert!(region_at(&r, 0x7f0000002000).is_none());
    }

    #[test]
    fn escaped_newline_and_garbage() {
        let files = parse_maps("1-2 r--p 0 fe:00 1 /tmp/a\\012b.so\nnot a maps line\n\n");
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].path, "/tmp/a\nb.so");
    }
}
