//! `forklint check`: walk the given paths, lower each Rust file in parallel, analyse the whole
//! program, and hand back findings and per-file errors.

use crate::analysis::{self, Stats};
use crate::catalog::Catalog;
use crate::diagnostic::{Finding, InputError};
use crate::frontend::rust::{self, layout::Layout};
use crate::ir::FileIr;
use crate::prefilter;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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
    pub bytes: u64,
    pub analysis: Stats,
    /// Rounds of the prefilter's fixpoint (0 without it).
    pub rounds: usize,
    /// Work units the prefilter's fixpoint spent (bounded by a small multiple of `bytes`).
    pub prefilter_work: u64,
    /// The prefilter's fixpoint cost more than parsing the rest, so every file was parsed.
    pub prefilter_gave_up: bool,
    /// A round of the prefilter selected most of what was left, so every file was parsed.
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
}

/// A path the user named that could not be used at all (missing): the run cannot proceed.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct PathError {
    pub path: String,
    pub reason: String,
}

/// Rust files under the given paths, honouring `.gitignore` and skipping `target/`; symlinks are
/// not followed, so a walk never leaves the roots or loops.
pub fn collect_files(
    paths: &[PathBuf],
    errors: &mut Vec<InputError>,
) -> Result<Vec<PathBuf>, PathError> {
    let mut out = Vec::new();
    for root in paths {
        let meta = std::fs::metadata(root).map_err(|e| PathError {
            path: root.display().to_string(),
            reason: match e.kind() {
                std::io::ErrorKind::NotFound => "no such file or folder".to_string(),
                _ => e.to_string(),
            },
        })?;
        if meta.is_file() {
            out.push(root.clone());
            continue;
        }
        let walker = ignore::WalkBuilder::new(root)
            .hidden(false)
            .git_ignore(true)
            .git_exclude(true)
            .parents(true)
            .require_git(false)
            .follow_links(false)
            .filter_entry(|e| {
                let name = e.file_name();
                !(e.file_type().is_some_and(|t| t.is_dir()) && (name == "target" || name == ".git"))
            })
            .build();
        for entry in walker {
            match entry {
                Ok(e) => {
                    if e.file_type().is_some_and(|t| t.is_file())
                        && e.path().extension().is_some_and(|x| x == "rs")
                    {
                        out.push(e.into_path());
                    }
                }
                Err(e) => errors.push(InputError {
                    path: error_path(&e, root),
                    message: walk_reason(&e),
                }),
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn error_path(e: &ignore::Error, root: &Path) -> String {
    match e {
        ignore::Error::WithPath { path, .. } => path.display().to_string(),
        ignore::Error::WithDepth { err, .. } => error_path(err, root),
        ignore::Error::Loop { child, .. } => child.display().to_string(),
        _ => root.display().to_string(),
    }
}

fn walk_reason(e: &ignore::Error) -> String {
    match e {
        ignore::Error::WithPath { err, .. } | ignore::Error::WithDepth { err, .. } => {
            walk_reason(err)
        }
        ignore::Error::Loop { .. } => "symbolic link loop; not followed".to_string(),
        ignore::Error::Io(io) => io.to_string(),
        other => other.to_string(),
    }
}

/// Reads one file as UTF-8 text; an error names the reason.
pub fn read_source(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    String::from_utf8(bytes)
        .map_err(|e| format!("not valid UTF-8 (byte {})", e.utf8_error().valid_up_to()))
}

/// Reads and lowers one file; an error names the reason.
pub fn lower_file(path: &Path, layout: &Layout) -> Result<FileIr, String> {
    let text = read_source(path)?;
    let place = layout.place(path);
    rust::lower_source(
        &path.display().to_string(),
        &text,
        &place.crate_id,
        place.module,
    )
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

/// Lowers every file, largest first so that no thread is left alone with a big one.
fn lower_all(files: &[PathBuf], layout: &Layout) -> Vec<(usize, Result<FileIr, String>)> {
    let mut order: Vec<(u64, usize)> = files
        .iter()
        .enumerate()
        .map(|(i, p)| (std::fs::metadata(p).map(|m| m.len()).unwrap_or(0), i))
        .collect();
    order.sort_by(|a, b| b.cmp(a));
    let mut results: Vec<(usize, Result<FileIr, String>)> = order
        .par_iter()
        .with_max_len(1)
        .map(|&(_, i)| (i, lower_file(&files[i], layout)))
        .collect();
    results.sort_by_key(|(i, _)| *i);
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
    let results = if options.prefilter {
        let named: std::collections::HashSet<&Path> =
            options.named.iter().map(PathBuf::as_path).collect();
        let always: Vec<bool> = files.iter().map(|f| named.contains(f.as_path())).collect();
        let outcome = with_pool(|| prefilter::run(&files, &always, &layout, catalog));
        report.stats.files_parsed = outcome.parsed;
        report.stats.scan = outcome.scan;
        report.stats.rounds = outcome.rounds;
        report.stats.bytes = outcome.bytes;
        report.stats.prefilter_work = outcome.work;
        report.stats.prefilter_gave_up = outcome.gave_up;
        report.stats.prefilter_took_rest = outcome.took_rest;
        report.marked = Some(outcome.marked);
        outcome.results
    } else {
        report.stats.files_parsed = files.len();
        with_pool(|| lower_all(&files, &layout))
    };
    report.stats.files_skipped = files.len() - report.stats.files_parsed;
    report.stats.parse = start.elapsed();
    let mut irs = Vec::with_capacity(results.len());
    for (i, result) in results {
        match result {
            Ok(ir) => irs.push(ir),
            Err(message) => report.errors.push(InputError {
                path: files[i].display().to_string(),
                message,
            }),
        }
    }
    let start = Instant::now();
    let (findings, stats) = analysis::analyze(irs, catalog);
    report.stats.analyse = start.elapsed();
    report.stats.analysis = stats;
    report.findings = findings;
    report.errors.sort_by(|a, b| a.path.cmp(&b.path));
    report
}
