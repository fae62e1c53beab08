//! Replays the committed fuzz corpora (`fuzz/corpus/<target>/`, minimised) and the inputs that
//! once crashed or hung a target (`fuzz/regressions/<target>/`) through the same code the fuzz
//! targets run, so the normal test suite keeps what fuzzing found without a fuzzer.

#[cfg(target_os = "linux")]
use forklint::fuzzing::proc_parsers;
use forklint::fuzzing::{check_source, rule_toml};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The longest any single input may take in this (unoptimised) build.
const PER_INPUT: Duration = Duration::from_secs(20);

fn inputs(target: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for kind in ["corpus", "regressions"] {
        let dir = Path::new("fuzz").join(kind).join(target);
        if let Ok(entries) = std::fs::read_dir(&dir) {
            out.extend(
                entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.path())
                    .filter(|p| p.is_file()),
            );
        }
    }
    out.sort();
    out
}

fn replay(target: &str, run: fn(&[u8])) {
    let files = inputs(target);
    assert!(!files.is_empty(), "no corpus for {target}");
    for path in files {
        let data = std::fs::read(&path).unwrap();
        let start = Instant::now();
        let result = std::panic::catch_unwind(|| run(&data));
        assert!(result.is_ok(), "{} panicked", path.display());
        assert!(
            start.elapsed() < PER_INPUT,
            "{} took {:?}",
            path.display(),
            start.elapsed()
        );
    }
}

#[test]
fn check_source_corpus() {
    replay("check_source", check_source);
}

#[test]
fn rule_toml_corpus() {
    replay("rule_toml", rule_toml);
}

#[cfg(target_os = "linux")]
#[test]
fn proc_parsers_corpus() {
    replay("proc_parsers", proc_parsers);
}

/// The committed corpora stay small enough to live in the repository.
#[test]
fn corpora_are_small() {
    let total: u64 = ["corpus", "regressions"]
        .iter()
        .flat_map(|k| {
            ["check_source", "rule_toml", "proc_parsers"].map(|t| Path::new("fuzz").join(k).join(t))
        })
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flatten()
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    assert!(total < 2 << 20, "fuzz corpora hold {total} bytes");
}
