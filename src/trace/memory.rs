//! The traced process's address space: its mappings with their addresses (to know which words
//! on a stack point into code, and which file that code comes from) and reads of its memory.

use nix::sys::uio::{process_vm_readv, RemoteIoVec};
use nix::unistd::Pid;
use std::io::{self, IoSliceMut};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub start: u64,
    pub end: u64,
    pub executable: bool,
    /// The offset in the file of `start`.
    pub offset: u64,
    /// A file path, or a pseudo name such as `[stack]`; None for anonymous memory.
    pub name: Option<String>,
}

impl Mapping {
    pub fn contains(&self, addr: u64) -> bool {
        self.start <= addr && addr < self.end
    }

    /// A mapped file (not `[vdso]`, `[stack]`, ...).
    pub fn file(&self) -> Option<&str> {
        self.name.as_deref().filter(|n| n.starts_with('/'))
    }
}

/// Parses `/proc/PID/maps` keeping addresses, permissions and offsets.
pub fn parse_maps(text: &str) -> Vec<Mapping> {
    text.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<Mapping> {
    let mut fields = line.splitn(6, ' ');
    let (start, end) = fields.next()?.split_once('-')?;
    let perms = fields.next()?;
    let offset = fields.next()?;
    let _dev = fields.next()?;
    let _inode = fields.next()?;
    let name = fields.next().map(str::trim_start).filter(|n| !n.is_empty());
    Some(Mapping {
        start: u64::from_str_radix(start, 16).ok()?,
        end: u64::from_str_radix(end, 16).ok()?,
        executable: perms.as_bytes().get(2) == Some(&b'x'),
        offset: u64::from_str_radix(offset, 16).ok()?,
        name: name.map(|n| n.strip_suffix(" (deleted)").unwrap_or(n).to_string()),
    })
}

pub fn read_maps(pid: i32) -> io::Result<Vec<Mapping>> {
    Ok(parse_maps(&std::fs::read_to_string(format!(
        "/proc/{pid}/maps"
    ))?))
}

/// The mapping holding `addr`; `maps` is sorted by address, as the kernel lists it.
pub fn find(maps: &[Mapping], addr: u64) -> Option<&Mapping> {
    let i = maps.partition_point(|m| m.end <= addr);
    maps.get(i).filter(|m| m.contains(addr))
}

/// Reads up to `len` bytes at `addr` in process `pid`; fewer when the range runs off a mapping.
pub fn read(pid: i32, addr: u64, len: usize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    let remote = [RemoteIoVec {
        base: addr as usize,
        len,
    }];
    let n = process_vm_readv(
        Pid::from_raw(pid),
        &mut [IoSliceMut::new(&mut buf)],
        &remote,
    )
    .map_err(io::Error::from)?;
    buf.truncate(n);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_maps_lines() {
        let maps = parse_maps(
            "55d0c0a00000-55d0c0a21000 r-xp 00002000 08:01 131 /usr/bin/my prog (deleted)\n\
             7f0000000000-7f0000001000 rw-p 00000000 00:00 0 \n\
             7ffd1e000000-7ffd1e021000 rw-p 00000000 00:00 0                          [stack]\n",
        );
        assert_eq!(maps.len(), 3);
        assert!(maps[0].executable);
        assert_eq!(maps[0].offset, 0x2000);
        assert_eq!(maps[0].file(), Some("/usr/bin/my prog"));
        assert_eq!(maps[2].name.as_deref(), Some("[stack]"));
        assert_eq!(maps[2].file(), None);
        assert_eq!(maps[1].name, None);
        assert_eq!(
            find(&maps, 0x55d0c0a00010).map(|m| m.start),
            Some(0x55d0c0a00000)
        );
        assert!(find(&maps, 0x1000).is_none());
    }
}
