//! Symbol checks on the executable and on catalogued libraries with goblin: imported
//! `__register_atfork`/`pthread_atfork` (fork handlers), `fork`, `pthread_create`, and exported
//! identity symbols. Only the dynamic symbol table is read, so a 1 GB libtorch costs a few reads.

use goblin::container::{Container, Ctx};
use goblin::elf::section_header::{SectionHeader, SHT_DYNSYM};
use goblin::elf::sym::Symtab;
use goblin::elf::Elf;
use std::collections::HashSet;
use std::fs::File;
use std::io;
use std::path::Path;

/// What the dynamic symbol table says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Symbols {
    pub imports: HashSet<String>,
    /// Only the defined symbols that were asked for.
    pub exports: HashSet<String>,
}

/// Symbols whose import means "this object registered fork handlers". In glibc shared objects
/// `pthread_atfork` compiles to `__register_atfork`.
pub const ATFORK_IMPORTS: [&str; 2] = ["__register_atfork", "pthread_atfork"];

/// Imports of the main executable worth reporting.
pub const EXECUTABLE_IMPORTS: [&str; 8] = [
    "fork",
    "vfork",
    "_Fork",
    "daemon",
    "posix_spawn",
    "pthread_create",
    "__register_atfork",
    "pthread_atfork",
];

impl Symbols {
    pub fn has_atfork(&self) -> bool {
        ATFORK_IMPORTS.iter().any(|s| self.imports.contains(*s))
    }

    pub fn imports_any(&self, names: &[&str]) -> bool {
        names.iter().any(|s| self.imports.contains(*s))
    }
}

/// Files larger than this are not read whole when they are not ELF (Mach-O fallback).
const WHOLE_FILE_LIMIT: u64 = 64 << 20;

/// Reads the dynamic symbols of `path`: every import, and those of `wanted_exports` it defines.
pub fn read_symbols(path: &Path, wanted_exports: &[&str]) -> io::Result<Symbols> {
    let file = File::open(path)?;
    let mut head = [0u8; 64];
    let n = read_at(&file, &mut head, 0)?;
    if n >= 4 && &head[..4] == b"\x7fELF" {
        return elf_symbols(&file, &head[..n], wanted_exports);
    }
    let len = file.metadata()?.len();
    if len > WHOLE_FILE_LIMIT {
        return Err(invalid("not an ELF file, and too large to parse whole"));
    }
    let bytes = std::fs::read(path)?;
    other_symbols(&bytes, wanted_exports)
}

/// Whether the file holds `needle` anywhere (up to 512 MiB), read in chunks that overlap by the
/// needle's length so a match across a boundary is not missed.
pub fn contains_bytes(path: &Path, needle: &[u8]) -> io::Result<bool> {
    const CHUNK: usize = 4 << 20;
    const LIMIT: u64 = 512 << 20;
    let file = File::open(path)?;
    let finder = memchr::memmem::Finder::new(needle);
    let mut buf = vec![0u8; CHUNK + needle.len()];
    let mut offset = 0u64;
    while offset < LIMIT {
        let n = read_at(&file, &mut buf, offset)?;
        if finder.find(&buf[..n]).is_some() {
            return Ok(true);
        }
        if n < buf.len() {
            return Ok(false);
        }
        offset += CHUNK as u64;
    }
    Ok(false)
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        let mut done = 0;
        while done < buf.len() {
            match file.read_at(&mut buf[done..], offset + done as u64)? {
                0 => break,
                n => done += n,
            }
        }
        Ok(done)
    }
    #[cfg(not(unix))]
    {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = file;
        f.seek(SeekFrom::Start(offset))?;
        let mut done = 0;
        while done < buf.len() {
            match f.read(&mut buf[done..])? {
                0 => break,
                n => done += n,
            }
        }
        Ok(done)
    }
}

fn read_region(file: &File, offset: u64, size: u64) -> io::Result<Vec<u8>> {
    // Section sizes come from the file: refuse absurd ones rather than allocate them.
    if size > 1 << 30 {
        return Err(invalid("section too large"));
    }
    let mut buf = vec![0u8; size as usize];
    let n = read_at(file, &mut buf, offset)?;
    if n as u64 != size {
        return Err(invalid("section extends past the end of the file"));
    }
    Ok(buf)
}

fn elf_symbols(file: &File, head: &[u8], wanted_exports: &[&str]) -> io::Result<Symbols> {
    let header = Elf::parse_header(head).map_err(|e| invalid(e.to_string()))?;
    let container = header.container().map_err(|e| invalid(e.to_string()))?;
    let endian = header.endianness().map_err(|e| invalid(e.to_string()))?;
    let ctx = Ctx::new(container, endian);
    let count = header.e_shnum as usize;
    let entsize = match container {
        Container::Big => 64,
        Container::Little => 40,
    };
    if count == 0 || header.e_shoff == 0 {
        return Err(invalid("no section headers"));
    }
    let table = read_region(file, header.e_shoff, (count * entsize) as u64)?;
    let sections =
        SectionHeader::parse_from(&table, 0, count, ctx).map_err(|e| invalid(e.to_string()))?;
    let mut symbols = Symbols::default();
    let Some(dynsym) = sections.iter().find(|s| s.sh_type == SHT_DYNSYM) else {
        // A static executable: nothing imported.
        return Ok(symbols);
    };
    let strsec = sections
        .get(dynsym.sh_link as usize)
        .ok_or_else(|| invalid("dynsym links a missing string table"))?;
    let sym_bytes = read_region(file, dynsym.sh_offset, dynsym.sh_size)?;
    let str_bytes = read_region(file, strsec.sh_offset, strsec.sh_size)?;
    let sym_size = if dynsym.sh_entsize == 0 {
        goblin::elf::sym::Sym::size(container) as u64
    } else {
        dynsym.sh_entsize
    };
    let syms = Symtab::parse(&sym_bytes, 0, (dynsym.sh_size / sym_size) as usize, ctx)
        .map_err(|e| invalid(e.to_string()))?;
    // Names are read straight from the string table bytes: building goblin's Strtab index of a
    // large library's tens of thousands of names costs more than everything else together.
    for sym in syms.iter() {
        let Some(name) = name_at(&str_bytes, sym.st_name) else {
            continue;
        };
        if sym.st_shndx == 0 {
            symbols.imports.insert(name.to_string());
        } else if wanted_exports.contains(&name) {
            symbols.exports.insert(name.to_string());
        }
    }
    Ok(symbols)
}

fn name_at(table: &[u8], offset: usize) -> Option<&str> {
    let rest = table.get(offset..)?;
    let end = memchr::memchr(0, rest)?;
    std::str::from_utf8(&rest[..end])
        .ok()
        .filter(|n| !n.is_empty())
}

fn other_symbols(bytes: &[u8], wanted_exports: &[&str]) -> io::Result<Symbols> {
    let mut symbols = Symbols::default();
    let strip = |n: &str| n.strip_prefix('_').unwrap_or(n).to_string();
    match goblin::Object::parse(bytes).map_err(|e| invalid(e.to_string()))? {
        goblin::Object::Mach(goblin::mach::Mach::Binary(macho)) => {
            // Mach-O C symbols carry a leading underscore.
            if let Ok(imports) = macho.imports() {
                symbols
                    .imports
                    .extend(imports.iter().map(|i| strip(i.name)));
            }
            if let Ok(exports) = macho.exports() {
                symbols.exports.extend(
                    exports
                        .iter()
                        .map(|e| strip(&e.name))
                        .filter(|n| wanted_exports.contains(&n.as_str())),
                );
            }
            Ok(symbols)
        }
        _ => Err(invalid("not an ELF or thin Mach-O file")),
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn libc_exports_fork_and_the_test_binary_imports_pthread_create() {
        let exe = std::env::current_exe().unwrap();
        let syms = read_symbols(&exe, &[]).unwrap();
        assert!(
            syms.imports.contains("pthread_create"),
            "the test harness starts threads"
        );
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let libc = crate::inspect::parse::maps::parse_maps(&maps)
            .into_iter()
            .find(|m| m.path.contains("libc.so"))
            .expect("the test binary maps libc");
        let syms = read_symbols(Path::new(&libc.path), &["fork", "__register_atfork"]).unwrap();
        assert!(syms.exports.contains("fork"));
        assert!(syms.exports.contains("__register_atfork"));
        assert!(
            !syms.exports.contains("malloc"),
            "only wanted exports are kept"
        );
        assert!(
            !syms.has_atfork(),
            "libc defines __register_atfork, it does not import it"
        );
    }

    #[test]
    fn non_elf_and_truncated_files_are_errors_not_panics() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("a.txt");
        std::fs::write(&text, "hello").unwrap();
        assert!(read_symbols(&text, &[]).is_err());
        let truncated = dir.path().join("b.so");
        let mut bytes = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        bytes.truncate(200);
        std::fs::write(&truncated, &bytes).unwrap();
        assert!(read_symbols(&truncated, &[]).is_err());
        assert!(read_symbols(&dir.path().join("missing"), &[]).is_err());
    }
}
