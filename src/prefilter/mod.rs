//! The prefilter: decides, from a byte scan of every file, which files `check` must parse, so
//! that the findings are exactly those of parsing every file.
//!
//! Most files of a tree neither fork nor sit on a call path to a fork. The analysis only ever
//! reports from functions that reach a fork point (or run in a fork child), and what it reports
//! depends only on those functions, on everything they call (transitively), and on how their
//! calls resolve. So the prefilter parses, to a fixpoint:
//!
//! 1. the seeds: files whose identifiers could spell a call to a catalogue entry that forks or
//!    registers child code (derived from the catalogue in use, so user extensions count), and
//!    files holding `#[path]` (they move other files in the module tree), and the roots of
//!    programs that declare modules of their library (`mod pty;` in `main.rs` and `lib.rs`: their
//!    calls through them name no crate a lead could ask for);
//! 2. callers: for every function that may reach a fork, every file that could call it — any file
//!    holding its name, in a crate that can name its crate (directly or through other crates);
//! 3. resolution: for every call of a function whose summary matters (the ones above and all
//!    they call), every file that could add an entry to a table the call's resolution reads: a
//!    function or global with the looked-up path, a `use` that binds that path or one of its
//!    prefixes, a public glob re-export (`pub use target::*`) of a module the lookup reads for
//!    one (`resolve::path::glob_ends`, one glob per lookup), a method of that name in the crate.
//!
//! Names are matched by identifier, so the answer is a superset of what resolution finds: a file
//! parsed for nothing costs time, a file wrongly skipped would change a finding. The invariants it
//! rests on, kept by the frontend and `analysis::program`: a path's segments come from the file's
//! own identifiers (or are `std`/`core`/`alloc`, `self`/`super`/`crate`); every table key of a
//! function, method, global or `use` ends with the identifier that defines it; functions follow
//! `fn`, globals follow `static` (`static ref`, `static mut`), macros follow `macro_rules!`; only
//! `#[path = ..]` moves files; a method's receiver type is a path of the file or one of the
//! catalogue's `returns` types; the only findings not rooted at a fork point are those of packages
//! with Python entry points (`#[pyfunction]`, `#[pymodule]`, `#[pymethods]`), whose files are all
//! parsed.

mod fixpoint;
mod leads;
mod memory;
pub mod scan;
mod seeds;

use crate::catalog::Catalog;
use crate::frontend::rust::{self, layout::Layout};
use crate::ir::FileIr;
use rayon::prelude::*;
use scan::{FileScan, Index};
pub use seeds::seed_conditions;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// What the prefilter did: each parsed (or unreadable) file's result, by position in the list.
#[derive(Debug, Default)]
pub struct Outcome {
    pub results: Vec<(usize, Result<FileIr, String>)>,
    /// Files handed to the parser.
    pub parsed: usize,
    /// Files parsed a second time to get back bodies dropped to save memory.
    pub reparsed: usize,
    pub rounds: usize,
    pub scan: Duration,
    pub parse: Duration,
    /// Bytes of the files scanned (readable ones).
    pub bytes: u64,
    /// Work units the fixpoint spent.
    pub work: u64,
    /// The fixpoint would have cost more than parsing the files left, so every file was parsed.
    pub gave_up: bool,
    /// The files selected held half the tree, so the rest was parsed in that round's batch.
    pub took_rest: bool,
    /// Per file: whether the scan found the suppression marker in it.
    pub marked: Vec<bool>,
    /// Bytes the byte scan read. Once the first round's files hold half the bytes, that round
    /// takes the rest of the tree whatever the scan says: the files left are parsed without
    /// being scanned, so a tree that is parsed whole pays the scan only for what came before.
    pub scanned: u64,
    /// Files read from disk, once each: the first round is lowered from the scan's text.
    pub reads: usize,
}

/// Whether a round of `batch` bytes, after one of `previous` bytes (0 for the first round),
/// should parse every file left, once the files parsed or queued (the batch included) hold
/// `selected` of the `total` bytes scanned.
///
/// A rest no larger than what is already selected can save at most half a plain parse, and
/// each round that goes on costs its own: it waits for its slowest file, then resolves its
/// batch on one thread while the others wait. On the trees measured, that resolution costs
/// about as much as lowering the batch (sherlock, hopper, yash-rs: each round's resolution
/// took 0.3-1.1x its lowering). A fixpoint still growing there (a round at least half the size
/// of the one before: rounds that shrink by at most half go on to select as much again) goes
/// on to parse nearly all of the tree: those three reached 52-54% in a second round larger than
/// their first, then parsed every file in two to five more rounds. One that converges is left
/// to finish: bytehound's rounds shrink (149, 82, 14 KB) and end at 50% of its bytes, half the
/// parse saved. The vendor corpus's fixpoint ends at 30% of its bytes, so its rounds never take
/// the rest. The scan applies the same rule to the seeds.
pub fn takes_rest(selected: u64, total: u64, batch: u64, previous: u64) -> bool {
    selected.saturating_mul(2) >= total && batch.saturating_mul(2) >= previous
}

struct Scanned {
    crate_id: String,
    module: Vec<String>,
    len: u64,
    marked: bool,
    result: Result<(FileScan, bool), String>,
    /// A file of the first round, lowered from the text the scan read: the seeds' parse
    /// overlaps the scan of the other files, and no file is read twice.
    lowered: Option<Result<FileIr, String>>,
}

thread_local! {
    /// The scan's read buffer, reused from file to file: a fresh allocation per file made the
    /// allocator map and fault in the whole tree's size again.
    static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The largest read buffer a thread keeps between files.
const KEPT_BUFFER: usize = 4 << 20;

/// Runs `f` on the text of a Rust file, read into this thread's buffer.
fn with_text<T>(
    path: &std::path::Path,
    f: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, String> {
    use std::io::Read;
    BUFFER.with(|buffer| {
        let mut buffer = buffer.borrow_mut();
        buffer.clear();
        std::fs::File::open(path)
            .and_then(|mut file| file.read_to_end(&mut buffer))
            .map_err(|e| e.to_string())?;
        let result = f(std::str::from_utf8(&buffer).map_err(crate::frontend::not_utf8)?);
        if buffer.capacity() > KEPT_BUFFER {
            // A rare huge file's buffer is not kept for the rest of the run.
            *buffer = Vec::new();
        }
        result
    })
}

/// How much resolution work the fixpoint may do before parsing the rest instead.
///
/// The bound on a run: the scan, at most `budget(bytes scanned)` units of resolution, and at most
/// one parse of every file (a round that leaves less than it selected takes the rest,
/// `takes_rest`). A unit (a posting entry read, a table probe, a key or lead made) costs about
/// as much CPU as lowering a byte of source (measured on hopper and joshuto: 350-450 ns per unit,
/// 150-400 ns per byte lowered), so the default lets a fixpoint that ends up parsing every file
/// anyway cost at most about an eighth of a full parse more.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Work units allowed per KiB of the files scanned.
    pub units_per_kib: u64,
    /// Work units allowed per file scanned: a file's parse also costs its open, read and
    /// parser setup, whatever its size, so a tree of many tiny files costs more than its bytes.
    pub per_file: u64,
    /// Units always allowed, whatever the size of the tree.
    pub floor: u64,
    /// Once the files parsed hold more source bytes than this, each round ends by dropping the
    /// bodies of the functions that do not matter yet; a file whose body is asked for later is
    /// parsed again. A parsed body takes several times its source in memory.
    pub bodies_above: u64,
}

impl Limits {
    /// The work units allowed on a tree of `files` holding `bytes` scanned.
    pub fn budget(&self, files: u64, bytes: u64) -> u64 {
        self.units_per_kib.saturating_mul(bytes) / 1024
            + self.per_file.saturating_mul(files)
            + self.floor
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            units_per_kib: 128,
            per_file: 16,
            floor: 1 << 14,
            bodies_above: 8 << 20,
        }
    }
}

/// Runs the prefilter over `files` (sorted) and lowers the files it selects.
/// `always[i]` makes file `i` parsed whatever its identifiers.
pub fn run(files: &[PathBuf], always: &[bool], layout: &Layout, catalog: &Catalog) -> Outcome {
    run_with(files, always, layout, catalog, Limits::default())
}

/// [`run`] with a work budget of the caller's choosing.
pub fn run_with(
    files: &[PathBuf],
    always: &[bool],
    layout: &Layout,
    catalog: &Catalog,
    limits: Limits,
) -> Outcome {
    let start = Instant::now();
    let conditions = seed_conditions(catalog);
    let total: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    // Bytes of the first round's files so far, and bytes scanned.
    let first = AtomicU64::new(0);
    let scanned_bytes = AtomicU64::new(0);
    let reads = AtomicUsize::new(0);
    let scanned: Vec<Scanned> = files
        .par_iter()
        .enumerate()
        .with_max_len(1)
        .map(|(i, path)| {
            let place = layout.place(path);
            let mut len = 0;
            let mut marked = false;
            let mut lowered = None;
            // The first round holds half the tree: it will take the rest, so what is left is
            // only parsed.
            let seeds = first.load(Relaxed);
            let whole = takes_rest(seeds, total, seeds, 0);
            let result = with_text(path, |text| {
                reads.fetch_add(1, Relaxed);
                marked = crate::gate::suppress::holds_marker(text.as_bytes());
                rust::check_size(text.len())?;
                let (s, seed) = if whole {
                    (FileScan::default(), true)
                } else {
                    let s = scan::scan(text.as_bytes());
                    rust::check_nesting(s.nesting)?;
                    scanned_bytes.fetch_add(text.len() as u64, Relaxed);
                    // A program's root that shares modules with its library (`mod pty;` in both)
                    // calls into them through names no scan of theirs can lead to.
                    let seed = s.module_decl
                        || !place.shared.is_empty()
                        || always.get(i).copied().unwrap_or(false)
                        || conditions.iter().any(|c| c.iter().all(|&k| s.has(k)));
                    (s, seed)
                };
                len = text.len() as u64;
                if seed {
                    first.fetch_add(len, Relaxed);
                    lowered = Some(crate::pipeline::lower_text(path, text, layout));
                }
                Ok((s, seed))
            });
            Scanned {
                crate_id: place.crate_id,
                module: place.module,
                len,
                marked,
                result,
                lowered,
            }
        })
        .collect();
    let index = {
        let keys: Vec<&[u32]> = scanned
            .iter()
            .map(|s| match &s.result {
                Ok((scan, _)) => scan.keys.as_slice(),
                Err(_) => &[],
            })
            .collect();
        Index::build(&keys)
    };
    memory::trace_rss("after the index");
    let scan = start.elapsed();
    if std::env::var_os("FORKLINT_PREFILTER_TRACE").is_some() {
        eprintln!("prefilter: scan {:.3}s", scan.as_secs_f64());
    }
    let mut outcome = fixpoint::drive(files, layout, catalog, limits, index, scanned);
    outcome.scan = scan;
    outcome.scanned = scanned_bytes.into_inner();
    outcome.reads += reads.into_inner();
    outcome
}
