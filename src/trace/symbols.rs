//! What each mapped ELF file tells about an address in it: the function (symbol tables, read
//! with goblin), the source line (its DWARF line table through addr2line, when it has one), and
//! how to find the caller's frame (its `.eh_frame` call-frame information, read with gimli).
//! Each file is read once per trace.

use crate::inspect::parse::maps::Region;
use goblin::elf::{program_header::PT_LOAD, sym::STT_FUNC, Elf};
use std::collections::HashMap;

/// What an address resolves to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Symbol {
    pub function: Option<String>,
    pub file: Option<String>,
    pub line: Option<u32>,
}

/// Where the caller's frame is, by the call-frame information of an address (x86-64).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnwindRow {
    /// The canonical frame address is this register (false: rsp, true: rbp) plus an offset.
    pub cfa_from_rbp: bool,
    pub cfa_offset: i64,
    /// The return address is stored at CFA + this offset.
    pub return_address_at: i64,
    /// The caller's rbp is stored at CFA + this offset (None: rbp is unchanged).
    pub rbp_at: Option<i64>,
}

/// The `.eh_frame` and `.eh_frame_hdr` sections of a file, with their virtual addresses.
struct CallFrames {
    eh_frame: Vec<u8>,
    eh_frame_addr: u64,
    hdr: Vec<u8>,
    hdr_addr: u64,
    text_addr: u64,
}

struct Module {
    /// (file offset, virtual address, size in the file) of each loadable segment.
    segments: Vec<(u64, u64, u64)>,
    frames: Option<CallFrames>,
    /// (start, size, demangled name), sorted by start.
    functions: Vec<(u64, u64, String)>,
    lines: Option<addr2line::Loader>,
    lines_tried: bool,
}

#[derive(Default)]
pub struct Symbolizer {
    modules: HashMap<String, Option<Module>>,
}

impl Symbolizer {
    /// The file's module and the address as the file numbers it (its virtual address).
    fn module(&mut self, pid: i32, mapping: &Region, addr: u64) -> Option<(&mut Module, u64)> {
        let path = mapping.path()?;
        let module = self
            .modules
            .entry(path.to_string())
            .or_insert_with(|| load(pid, path))
            .as_mut()?;
        let file_offset = addr - mapping.start + mapping.offset;
        let vaddr = module
            .segments
            .iter()
            .find(|(off, _, size)| *off <= file_offset && file_offset < off + size)
            .map(|(off, vaddr, _)| file_offset - off + vaddr)?;
        Some((module, vaddr))
    }

    /// How to find the caller of the frame executing at `addr`.
    pub fn unwind_row(&mut self, pid: i32, mapping: &Region, addr: u64) -> Option<UnwindRow> {
        let (module, vaddr) = self.module(pid, mapping, addr)?;
        module.frames.as_ref()?.row(vaddr)
    }

    /// Resolves `addr`, which lies in `mapping`; `pid` locates files of another mount namespace.
    pub fn resolve(&mut self, pid: i32, mapping: &Region, addr: u64) -> Symbol {
        let Some((module, vaddr)) = self.module(pid, mapping, addr) else {
            return Symbol::default();
        };
        let path = mapping.path().unwrap_or_default();
        let i = module
            .functions
            .partition_point(|(start, _, _)| *start <= vaddr);
        let function = i
            .checked_sub(1)
            .map(|i| &module.functions[i])
            .filter(|(start, size, _)| *size == 0 || vaddr < start + size)
            .map(|(_, _, name)| name.clone());
        if !module.lines_tried {
            module.lines_tried = true;
            module.lines = addr2line::Loader::new(readable_path(pid, path)).ok();
        }
        // A return address points after the call; the call's own line is one byte earlier.
        let (file, line) = module
            .lines
            .as_ref()
            .and_then(|l| l.find_location(vaddr.saturating_sub(1)).ok().flatten())
            .map(|loc| (loc.file.map(str::to_string), loc.line))
            .unwrap_or((None, None));
        Symbol {
            function,
            file,
            line,
        }
    }
}

/// The path as this process can open it: through the target's root when it is in another
/// mount namespace (a container).
fn readable_path(pid: i32, path: &str) -> String {
    let through_root = format!("/proc/{pid}/root{path}");
    if std::path::Path::new(path).exists() {
        path.to_string()
    } else {
        through_root
    }
}

fn load(pid: i32, path: &str) -> Option<Module> {
    let bytes = std::fs::read(readable_path(pid, path)).ok()?;
    let elf = Elf::parse(&bytes).ok()?;
    let segments = elf
        .program_headers
        .iter()
        .filter(|p| p.p_type == PT_LOAD)
        .map(|p| (p.p_offset, p.p_vaddr, p.p_filesz))
        .collect();
    let mut functions = Vec::new();
    for (syms, strtab) in [(&elf.syms, &elf.strtab), (&elf.dynsyms, &elf.dynstrtab)] {
        for sym in syms.iter() {
            if sym.st_type() != STT_FUNC || sym.st_value == 0 {
                continue;
            }
            if let Some(name) = strtab.get_at(sym.st_name) {
                let name = format!("{:#}", rustc_demangle::demangle(name));
                functions.push((sym.st_value, sym.st_size, name));
            }
        }
    }
    functions.sort_by_key(|(start, _, _)| *start);
    functions.dedup_by_key(|(start, _, _)| *start);
    Some(Module {
        segments,
        frames: call_frames(&elf, &bytes),
        functions,
        lines: None,
        lines_tried: false,
    })
}

fn call_frames(elf: &Elf, bytes: &[u8]) -> Option<CallFrames> {
    let section = |name: &str| {
        elf.section_headers
            .iter()
            .find(|h| elf.shdr_strtab.get_at(h.sh_name) == Some(name))
    };
    let copy = |h: &goblin::elf::SectionHeader| {
        let start = usize::try_from(h.sh_offset).ok()?;
        let end = start.checked_add(usize::try_from(h.sh_size).ok()?)?;
        Some((bytes.get(start..end)?.to_vec(), h.sh_addr))
    };
    let (eh_frame, eh_frame_addr) = copy(section(".eh_frame")?)?;
    let (hdr, hdr_addr) = copy(section(".eh_frame_hdr")?)?;
    Some(CallFrames {
        eh_frame,
        eh_frame_addr,
        hdr,
        hdr_addr,
        text_addr: section(".text").map_or(0, |h| h.sh_addr),
    })
}

impl CallFrames {
    /// The unwind row for `vaddr`, when its rules are the plain ones compilers emit on x86-64
    /// (CFA from rsp or rbp, registers saved at offsets from it).
    fn row(&self, vaddr: u64) -> Option<UnwindRow> {
        use gimli::{
            BaseAddresses, CfaRule, EhFrame, EhFrameHdr, NativeEndian, RegisterRule, UnwindContext,
            UnwindSection, X86_64,
        };
        let bases = BaseAddresses::default()
            .set_eh_frame_hdr(self.hdr_addr)
            .set_eh_frame(self.eh_frame_addr)
            .set_text(self.text_addr);
        let eh_frame = EhFrame::new(&self.eh_frame, NativeEndian);
        let hdr = EhFrameHdr::new(&self.hdr, NativeEndian)
            .parse(&bases, 8)
            .ok()?;
        let table = hdr.table()?;
        let mut ctx = UnwindContext::new();
        let row = table
            .unwind_info_for_address(&eh_frame, &bases, &mut ctx, vaddr, EhFrame::cie_from_offset)
            .ok()?;
        let (cfa_from_rbp, cfa_offset) = match row.cfa() {
            CfaRule::RegisterAndOffset { register, offset } if *register == X86_64::RSP => {
                (false, *offset)
            }
            CfaRule::RegisterAndOffset { register, offset } if *register == X86_64::RBP => {
                (true, *offset)
            }
            _ => return None,
        };
        let return_address_at = match row.register(X86_64::RA) {
            Some(RegisterRule::Offset(o)) => o,
            _ => return None,
        };
        let rbp_at = match row.register(X86_64::RBP) {
            Some(RegisterRule::Offset(o)) => Some(o),
            None | Some(RegisterRule::SameValue | RegisterRule::Undefined) => None,
            _ => return None,
        };
        Some(UnwindRow {
            cfa_from_rbp,
            cfa_offset,
            return_address_at,
            rbp_at,
        })
    }
}
