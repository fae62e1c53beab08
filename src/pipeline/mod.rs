//! From paths to findings: walk the given paths, lower each Rust and Python file in parallel,
//! analyse the whole program, and hand back findings and per-file errors (the gate and the
//! report are not here).

use crate::analysis::{self, Stats};
use crate::catalog::Catalog;
use crate::diagnostic::{Finding, InputError};
use crate::frontend::{self, rust::layout::Layout, Language};
use crate::ir::FileIr;
use crate::prefilter;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod walk;
pub use walk::{collect_files, PathError};

/// What one `check` run produced.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub findings: Vec<Finding>,
    pub errors: Vec<InputError>,
    pub files: usize,
    pub stats: RunStats,
    /// Per file analysed, in order: whether its text held the suppression marker, when the
    /// prefilter's scan recorded it (`None`: suppressions read the files themselves).
    pub marked: Option<Vec<bool>>,
}

#[derive(Debug, Default, Clone)]
pub struct RunStats {
    pub files_seen: usize,
    pub files_parsed: usize,
    pub files_skipped: usize,
    /// Files the prefilter parsed a second time for bodies it had dropped to save memory.
    pub files_reparsed: usize,
    pub bytes: u64,
    pub analysis: Stats,
    /// Rounds of the prefilter's fixpoint (0 without it).
    pub rounds: usize,
    /// Work units the prefilter's fixpoint spent (bounded by a small multiple of `bytes`).
    pub prefilter_work: u64,
    /// The prefilter's fixpoint cost more than parsing the rest, so every file was parsed.
    pub prefilter_gave_up: bool,
    /// The files the prefilter selected held half the tree, so every file was parsed.
    pub prefilter_took_rest: bool,
    pub walk: Duration,
    /// The prefilter's byte scan of every file (part of `parse`).
    pub scan: Duration,
    /// Scanning and lowering, with the prefilter's fixpoint.
    pub parse: Duration,
    pub analyse: Duration,
}

#[derive(Debug, Default, Clone)]
pub struct CheckOptions {
    pub prefilter: bool,
    /// Files named on the command line: always parsed, so that a gate run on a file that does
    /// not parse fails whether or not the prefilter would have needed it.
    pub named: Vec<PathBuf>,
    /// Rust sources under this many bytes in all are parsed whole even with `prefilter`: the
    /// prefilter's fixed cost (a scan, a round of seeds waiting on its slowest file) is then
    /// more than it can save. 0 runs the prefilter on any tree; the CLI uses [`WHOLE_BELOW`].
    pub whole_below: u64,
}

/// The size under which the CLI parses a tree whole: trees of a few hundred KB took 1-19% more
/// CPU with the prefilter than without.
pub const WHOLE_BELOW: u64 = 320 << 10;

/// Whether the files' sizes add up to less than `limit` bytes (stops reading sizes at `limit`).
fn smaller_than<'a>(files: impl IntoIterator<Item = &'a PathBuf>, limit: u64) -> bool {
    let mut total = 0;
    for f in files {
        total += std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
        if total >= limit {
            return false;
        }
    }
    true
}

/// Reads one file as UTF-8 text; an error names the reason.
pub fn read_source(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    frontend::decode(path, bytes)
}

/// Reads and lowers one file; an error names the reason.
pub fn lower_file(path: &Path, layout: &Layout) -> Result<FileIr, String> {
    lower_marked(path, layout).0
}

/// Reads and lowers one file, and says whether its text holds the suppression marker (a file
/// that cannot be read has no directive either). The IR is trimmed here, on the lowering
/// thread: it stays in memory until the analysis.
fn lower_marked(path: &Path, layout: &Layout) -> (Result<FileIr, String>, bool) {
    match read_source(path) {
        Ok(text) => (
            lower_text(path, &text, layout),
            crate::gate::suppress::holds_marker(text.as_bytes()),
        ),
        Err(e) => (Err(e), false),
    }
}

/// Lowers one file's text, trimmed: the IR stays in memory until the analysis.
pub fn lower_text(path: &Path, text: &str, layout: &Layout) -> Result<FileIr, String> {
    frontend::lower(path, text, layout).map(|mut ir| {
        ir.shrink_to_fit();
        ir
    })
}

/// Runs `f` on a pool whose threads have room for deep syntax trees.
pub fn with_pool<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    match rayon::ThreadPoolBuilder::new()
        .stack_size(256 << 20)
        .build()
    {
        Ok(pool) => pool.install(f),
        Err(_) => f(),
    }
}

/// Lowers every file, largest first so that no thread is left alone with a big one; with each
/// result, whether the file's text holds the suppression marker, so that suppressions need not
/// read every file again.
fn lower_all(files: &[PathBuf], layout: &Layout) -> Vec<(usize, Result<FileIr, String>, bool)> {
    let mut order: Vec<(u64, usize)> = files
        .iter()
        .enumerate()
        .map(|(i, p)| (std::fs::metadata(p).map(|m| m.len()).unwrap_or(0), i))
        .collect();
    order.sort_by(|a, b| b.cmp(a));
    let mut results: Vec<(usize, Result<FileIr, String>, bool)> = order
        .par_iter()
        .with_max_len(1)
        .map(|&(_, i)| {
            let (ir, marked) = lower_marked(&files[i], layout);
            (i, ir, marked)
        })
        .collect();
    results.sort_by_key(|(i, _, _)| *i);
    results
}

pub fn run(
    paths: &[PathBuf],
    catalog: &Catalog,
    options: &CheckOptions,
) -> Result<CheckReport, PathError> {
    let start = Instant::now();
    let mut errors = Vec::new();
    let files = collect_files(paths, &mut errors)?;
    let walk = start.elapsed();
    let options = CheckOptions {
        named: paths.iter().filter(|p| p.is_file()).cloned().collect(),
        ..options.clone()
    };
    let mut report = analyse_files(files, catalog, &options);
    report.stats.walk = walk;
    report.errors.extend(errors);
    report.errors.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(report)
}

/// Analyses files already found by a walk: one that has gone since is reported by name.
pub fn analyse_files(
    files: Vec<PathBuf>,
    catalog: &Catalog,
    options: &CheckOptions,
) -> CheckReport {
    let mut report = CheckReport::default();
    report.stats.files_seen = files.len();
    report.files = files.len();
    let layout = Layout::default();
    let start = Instant::now();
    // The prefilter reads Rust; every Python file is parsed.
    let (python, rust): (Vec<usize>, Vec<usize>) =
        (0..files.len()).partition(|&i| Language::of(&files[i]) == Some(Language::Python));
    let prefilter =
        options.prefilter && !smaller_than(rust.iter().map(|&i| &files[i]), options.whole_below);
    let results = if prefilter {
        let rust_files: Vec<PathBuf> = rust.iter().map(|&i| files[i].clone()).collect();
        let python_files: Vec<PathBuf> = python.iter().map(|&i| files[i].clone()).collect();
        let named: std::collections::HashSet<&Path> =
            options.named.iter().map(PathBuf::as_path).collect();
        let always: Vec<bool> = rust_files
            .iter()
            .map(|f| named.contains(f.as_path()))
            .collect();
        let outcome = with_pool(|| prefilter::run(&rust_files, &always, &layout, catalog));
        report.stats.files_parsed = outcome.parsed + python.len();
        report.stats.files_reparsed = outcome.reparsed;
        report.stats.scan = outcome.scan;
        report.stats.rounds = outcome.rounds;
        report.stats.bytes = outcome.bytes;
        report.stats.prefilter_work = outcome.work;
        report.stats.prefilter_gave_up = outcome.gave_up;
        report.stats.prefilter_took_rest = outcome.took_rest;
        // The scan recorded the marker of Rust files; lowering records it for Python files.
        let mut marked = vec![true; files.len()];
        for (k, held) in outcome.marked.iter().enumerate() {
            marked[rust[k]] = *held;
        }
        let mut results: Vec<(usize, Result<FileIr, String>)> = outcome
            .results
            .into_iter()
            .map(|(i, r)| (rust[i], r))
            .collect();
        // A pool's fresh threads fault in fresh allocator pages: none is started for no file.
        if !python_files.is_empty() {
            for (i, r, held) in with_pool(|| lower_all(&python_files, &layout)) {
                marked[python[i]] = held;
                results.push((python[i], r));
            }
        }
        report.marked = Some(marked);
        results.sort_by_key(|(i, _)| *i);
        results
    } else {
        report.stats.files_parsed = files.len();
        let mut marked = Vec::with_capacity(files.len());
        let results = with_pool(|| lower_all(&files, &layout))
            .into_iter()
            .map(|(i, r, held)| {
                marked.push(held);
                (i, r)
            })
            .collect();
        report.marked = Some(marked);
        results
    };
    report.stats.files_skipped = files.len() - report.stats.files_parsed;
    report.stats.parse = start.elapsed();
    let mut irs = Vec::with_capacity(results.len());
    for (i, result) in results {
        match result {
            Ok(mut ir) => {
                if let Some(recovered) = ir.recovered.take() {
                    let path = files[i].display().to_string();
                    report.errors.push(InputError::partial(path, recovered));
                }
                irs.push(ir);
            }
            Err(message) => report
                .errors
                .push(InputError::whole(files[i].display().to_string(), message)),
        }
    }
    // A binary runs the code of every package it links: its `main`'s file names them.
    for ir in irs
        .iter_mut()
        .filter(|ir| ir.functions.iter().any(|f| f.is_main))
    {
        ir.links = layout.linked(crate::resolve::package_of(&ir.crate_name));
    }
    // Linking and the analysis work per file in parallel, on threads with the room that deep
    // bodies need.
    with_pool(|| frontend::link(&mut irs));
    let start = Instant::now();
    let (findings, stats) = with_pool(|| analysis::analyze(irs, catalog));
    report.stats.analyse = start.elapsed();
    report.stats.analysis = stats;
    report.findings = findings;
    report.errors.sort_by(|a, b| a.path.cmp(&b.path));
    report
}
