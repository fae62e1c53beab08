//! The traced process's address space: its mappings (parsed by inspect's maps parser, with
//! addresses, offsets and pseudo names) and reads of its memory.

use crate::inspect::parse::maps::{parse_regions, Region};
use nix::sys::uio::{process_vm_readv, RemoteIoVec};
use nix::unistd::Pid;
use std::io::{self, IoSliceMut};

pub fn read_maps(pid: i32) -> io::Result<Vec<Region>> {
    Ok(parse_regions(&std::fs::read_to_string(format!(
        "/proc/{pid}/maps"
    ))?))
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
