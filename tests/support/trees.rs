//! Generators of hostile inputs: huge and deeply nested files, crowded folders, symlink loops,
//! badly named files. They write into a temporary folder; nothing generated is committed.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A small program with one FL001 on line 3 (the fork): the "every other file is still analysed"
/// witness placed next to each hostile file.
pub const WITNESS: &str = "fn main() {\n    let _t = std::thread::spawn(|| {});\n    let pid = unsafe { libc::fork() };\n    if pid == 0 {\n        work();\n    }\n}\nfn work() {}\n";
pub const WITNESS_LINE: u64 = 3;

pub fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).unwrap();
    }
    fs::write(path, text).unwrap();
}

/// Writes `count` repetitions of `unit` between `head` and `tail`, streamed (never held whole).
pub fn write_repeated(path: &Path, head: &str, unit: &str, count: usize, tail: &str) {
    let mut f = BufWriter::with_capacity(1 << 20, fs::File::create(path).unwrap());
    f.write_all(head.as_bytes()).unwrap();
    for _ in 0..count {
        f.write_all(unit.as_bytes()).unwrap();
    }
    f.write_all(tail.as_bytes()).unwrap();
    f.flush().unwrap();
}

/// `head`, `open` repeated `n` times, `middle`, `close` repeated `n` times, `tail`.
pub fn write_nested(
    path: &Path,
    head: &str,
    open: &str,
    middle: &str,
    close: &str,
    tail: &str,
    n: usize,
) {
    let mut f = BufWriter::with_capacity(1 << 20, fs::File::create(path).unwrap());
    f.write_all(head.as_bytes()).unwrap();
    for _ in 0..n {
        f.write_all(open.as_bytes()).unwrap();
    }
    f.write_all(middle.as_bytes()).unwrap();
    for _ in 0..n {
        f.write_all(close.as_bytes()).unwrap();
    }
    f.write_all(tail.as_bytes()).unwrap();
    f.write_all(b"\n").unwrap();
    f.flush().unwrap();
}

/// `count` small files in one folder, every one a valid program with an FL001 on line 3.
pub fn crowded_folder(dir: &Path, count: usize) {
    fs::create_dir_all(dir).unwrap();
    for i in 0..count {
        fs::write(dir.join(format!("f{i:06}.rs")), WITNESS).unwrap();
    }
}

/// The findings of a JSON report, as (path, line, rule).
pub fn findings(report: &serde_json::Value) -> Vec<(String, u64, String)> {
    report["findings"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|f| {
                    (
                        f["path"].as_str().unwrap_or_default().to_string(),
                        f["line"].as_u64().unwrap_or_default(),
                        f["rule"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The errors of a JSON report, as (path, message).
pub fn errors(report: &serde_json::Value) -> Vec<(String, String)> {
    report["errors"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|e| {
                    (
                        e["path"].as_str().unwrap_or_default().to_string(),
                        e["message"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the report has the witness's FL001 for the file at `path`.
pub fn has_witness(report: &serde_json::Value, path: &str) -> bool {
    findings(report)
        .iter()
        .any(|(p, line, rule)| p == path && *line == WITNESS_LINE && rule == "FL001")
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

pub fn join(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}
