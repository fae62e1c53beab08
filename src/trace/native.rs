//! The native stack of a stopped thread: its registers through ptrace, then its callers by each
//! file's call-frame information (`.eh_frame`, present even in code built without frame
//! pointers, such as libc). Where that information is missing from the first frame (JIT code,
//! the vDSO), it falls back to scanning the stack for return addresses: words that point into
//! executable file mappings just after a call instruction, which a stale value left in an
//! unused slot can also match.

use crate::inspect::parse::maps::{region_at, Region};
use crate::trace::memory;
use crate::trace::stack::{Frame, FrameKind};
use crate::trace::symbols::Symbolizer;

/// How far up the stack to look for return addresses.
const STACK_BYTES: u64 = 128 * 1024;
const MAX_FRAMES: usize = 48;

/// The stack of thread `tid` of process `pid`, innermost first; `tid` must be in a ptrace stop.
pub fn stack(pid: i32, tid: i32, symbols: &mut Symbolizer) -> Result<Vec<Frame>, String> {
    let regs = registers(tid)?;
    let maps = memory::read_maps(pid).map_err(|e| format!("cannot read /proc/{pid}/maps: {e}"))?;
    let mut addresses = unwind(pid, &maps, regs, symbols);
    if addresses.len() < 2 {
        addresses = vec![regs.pc];
        addresses.extend(return_addresses(pid, &maps, regs.sp));
    }
    Ok(addresses
        .into_iter()
        .map(|addr| frame(pid, &maps, addr, symbols))
        .collect())
}

#[derive(Debug, Clone, Copy)]
struct Registers {
    pc: u64,
    sp: u64,
    bp: u64,
}

#[cfg(target_arch = "x86_64")]
fn registers(tid: i32) -> Result<Registers, String> {
    let regs = nix::sys::ptrace::getregs(nix::unistd::Pid::from_raw(tid))
        .map_err(|e| format!("cannot read the registers of thread {tid}: {e}"))?;
    Ok(Registers {
        pc: regs.rip,
        sp: regs.rsp,
        bp: regs.rbp,
    })
}

#[cfg(not(target_arch = "x86_64"))]
fn registers(_tid: i32) -> Result<Registers, String> {
    Err("native stacks are read on x86-64 only".to_string())
}

fn read_word(pid: i32, addr: u64) -> Option<u64> {
    let bytes = memory::read(pid, addr, 8).ok()?;
    Some(u64::from_le_bytes(bytes.as_slice().try_into().ok()?))
}

/// The return addresses by call-frame information, innermost first, starting with the pc.
fn unwind(pid: i32, maps: &[Region], mut regs: Registers, symbols: &mut Symbolizer) -> Vec<u64> {
    let mut found = vec![regs.pc];
    while found.len() < MAX_FRAMES {
        // A caller's pc is a return address: the call it returns from is one byte earlier.
        let lookup = if found.len() == 1 {
            regs.pc
        } else {
            regs.pc - 1
        };
        let Some(row) = region_at(maps, lookup).and_then(|m| symbols.unwind_row(pid, m, lookup))
        else {
            break;
        };
        let base = if row.cfa_from_rbp { regs.bp } else { regs.sp };
        let cfa = base.wrapping_add_signed(row.cfa_offset);
        let Some(ret) = read_word(pid, cfa.wrapping_add_signed(row.return_address_at)) else {
            break;
        };
        if let Some(at) = row.rbp_at {
            match read_word(pid, cfa.wrapping_add_signed(at)) {
                Some(bp) => regs.bp = bp,
                None => break,
            }
        }
        // The stack grows down: a caller's frame is above its callee's.
        if ret == 0 || cfa <= regs.sp {
            break;
        }
        regs.pc = ret;
        regs.sp = cfa;
        found.push(ret);
    }
    found
}

fn frame(pid: i32, maps: &[Region], addr: u64, symbols: &mut Symbolizer) -> Frame {
    let mapping = region_at(maps, addr);
    let symbol = mapping
        .map(|m| symbols.resolve(pid, m, addr))
        .unwrap_or_default();
    Frame {
        kind: FrameKind::Native,
        function: symbol.function,
        file: symbol.file,
        line: symbol.line,
        module: mapping.and_then(|m| m.name.clone()),
        address: Some(format!("{addr:#x}")),
    }
}

fn return_addresses(pid: i32, maps: &[Region], sp: u64) -> Vec<u64> {
    let Some(stack) = region_at(maps, sp) else {
        return Vec::new();
    };
    let len = (stack.end - sp).min(STACK_BYTES) as usize;
    let Ok(bytes) = memory::read(pid, sp, len) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for word in bytes.chunks_exact(8) {
        let addr = u64::from_le_bytes(word.try_into().unwrap_or_default());
        let in_code = region_at(maps, addr).is_some_and(|m| m.executable && m.path().is_some());
        if in_code && follows_call(pid, addr) {
            found.push(addr);
            if found.len() == MAX_FRAMES {
                break;
            }
        }
    }
    found
}

/// Whether the bytes before `ret` end with an x86-64 call instruction: `E8 rel32`, or `FF /2`
/// with any addressing form (register, memory, RIP-relative; a REX prefix comes before `FF`).
fn follows_call(pid: i32, ret: u64) -> bool {
    let Some(start) = ret.checked_sub(7) else {
        return false;
    };
    match memory::read(pid, start, 7) {
        Ok(code) if code.len() == 7 => ends_with_call(&code),
        _ => false,
    }
}

/// `code` is the 7 bytes before a candidate return address.
fn ends_with_call(code: &[u8]) -> bool {
    let before = |k: usize| code[code.len() - k];
    if before(5) == 0xE8 {
        return true;
    }
    [2, 3, 4, 6, 7].into_iter().any(|k| {
        before(k) == 0xFF && {
            let modrm = before(k - 1);
            (modrm >> 3) & 7 == 2 && indirect_call_len(modrm) == k
        }
    })
}

/// The length of `FF modrm [sib] [disp]` for a ModRM byte.
fn indirect_call_len(modrm: u8) -> usize {
    let (md, rm) = (modrm >> 6, modrm & 7);
    let sib = usize::from(md != 3 && rm == 4);
    let disp = match md {
        0 if rm == 5 => 4,
        1 => 1,
        2 => 4,
        _ => 0,
    };
    2 + sib + disp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_call_forms() {
        // call rel32
        assert!(ends_with_call(&[0x90, 0x90, 0xE8, 1, 2, 3, 4]));
        // call *%rax
        assert!(ends_with_call(&[0x90, 0x90, 0x90, 0x90, 0x90, 0xFF, 0xD0]));
        // call *0x10(%rax)
        assert!(ends_with_call(&[0x90, 0x90, 0x90, 0x90, 0xFF, 0x50, 0x10]));
        // call *disp32(%rip)
        assert!(ends_with_call(&[0x90, 0xFF, 0x15, 1, 2, 3, 4]));
        // call *0x8(%rsp) with SIB
        assert!(ends_with_call(&[0x90, 0x90, 0x90, 0xFF, 0x54, 0x24, 0x08]));
    }

    #[test]
    fn rejects_data_and_other_instructions() {
        assert!(!ends_with_call(&[0, 0, 0, 0, 0, 0, 0]));
        // jmp *%rax is FF /4
        assert!(!ends_with_call(&[0x90, 0x90, 0x90, 0x90, 0x90, 0xFF, 0xE0]));
        // an FF whose form would be longer than the bytes after it
        assert!(!ends_with_call(&[0x90, 0x90, 0x90, 0x90, 0x90, 0xFF, 0x15]));
    }
}
