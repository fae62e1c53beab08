//! Replays the committed fuzz corpora (`fuzz/corpus/<target>/`, minimised) and the inputs that
//! once crashed or hung a target (`fuzz/regressions/<target>/`) through the same code the fuzz
//! targets run, so the normal test suite keeps what fuzzing found without a fuzzer.

use forklint::catalog::Catalog;
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

/// What the `check_source` target does with one input. The frontend runs on a thread with the
/// stack `check` gives it; the analysis on this thread, as in `check`.
fn check_source(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let text = text.to_string();
    let lowered = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || forklint::frontend::rust::lower_source("fuzz.rs", &text, "fuzz", Vec::new()))
        .unwrap()
        .join()
        .expect("the frontend panicked");
    if let Ok(ir) = lowered {
        let (findings, _) = forklint::analysis::analyze(vec![ir], Catalog::builtin());
        let report = forklint::check::CheckReport {
            files: 1,
            findings,
            ..Default::default()
        };
        let fingerprints = vec![String::new(); report.findings.len()];
        let ctx = forklint::report::Context {
            report: &report,
            fingerprints: &fingerprints,
            tally: Default::default(),
            root: std::path::PathBuf::from("."),
            quiet: false,
        };
        let _ = forklint::report::json::render(&ctx);
    }
}

/// What the `rule_toml` target does with one input.
fn rule_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut catalog = Catalog::default();
    if catalog.add_toml("fuzz.toml", text).is_ok() {
        let program = "fn main() { let h = std::thread::spawn(|| {}); my::api(); x.method(); \
            m!(); let pid = unsafe { libc::fork() }; if pid == 0 { println!(\"c\"); } }";
        let ir = forklint::frontend::rust::lower_source("p.rs", program, "p", Vec::new()).unwrap();
        let _ = forklint::analysis::analyze(vec![ir], &catalog);
    }
}

/// What the `proc_parsers` target does with one input: the first byte picks the parser.
fn proc_parsers(data: &[u8]) {
    use forklint::inspect::{fdinfo, locks, maps, net, proc};
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match which % 9 {
        0 => {
            let _ = proc::parse_stat(&text);
        }
        1 => {
            let _ = proc::parse_status(&text);
        }
        2 => {
            let args = proc::parse_cmdline(rest);
            let _ = proc::display_command(&args);
        }
        3 | 4 => {
            let protocol = if which % 9 == 3 { "tcp" } else { "udp" };
            let inet = net::parse_inet_table(protocol, &text);
            let index = net::SocketIndex::from_tables(inet, Vec::new());
            let _ = index.get(0);
        }
        5 => {
            let unix = net::parse_unix_table(&text);
            let _ = net::SocketIndex::from_tables(Vec::new(), unix);
        }
        6 => {
            let _ = maps::parse_maps(&text);
        }
        7 => {
            let _ = locks::parse_proc_locks(&text);
        }
        _ => {
            let _ = fdinfo::parse_fdinfo(&text);
        }
    }
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
