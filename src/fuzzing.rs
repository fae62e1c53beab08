//! The work of each fuzz target, in one place: `fuzz/fuzz_targets/*` call these, and
//! `tests/fuzz_replay.rs` replays the committed corpora through the same code.
#![doc(hidden)]

use crate::catalog::Catalog;

/// What the `check_source` target does with one input. The frontend runs on a thread with the
/// stack `check` gives it; the analysis on this thread, as in `check`.
pub fn check_source(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let text = text.to_string();
    let lowered = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || crate::frontend::rust::lower_source("fuzz.rs", &text, "fuzz", Vec::new()))
        .unwrap()
        .join()
        .expect("the frontend panicked");
    if let Ok(ir) = lowered {
        let (findings, _) = crate::analysis::analyze(vec![ir], Catalog::builtin());
        let report = crate::pipeline::CheckReport {
            files: 1,
            findings,
            ..Default::default()
        };
        let fingerprints = vec![String::new(); report.findings.len()];
        let ctx = crate::report::Context {
            report: &report,
            fingerprints: &fingerprints,
            tally: Default::default(),
            root: std::path::PathBuf::from("."),
            quiet: false,
            fail_on: crate::gate::config::FailOn::Error,
        };
        let _ = crate::report::json::render(&ctx);
    }
}

/// What the `rule_toml` target does with one input.
pub fn rule_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut catalog = Catalog::default();
    if catalog.add_toml("fuzz.toml", text).is_ok() {
        let program = "fn main() { let h = std::thread::spawn(|| {}); my::api(); x.method(); \
            m!(); let pid = unsafe { libc::fork() }; if pid == 0 { println!(\"c\"); } }";
        let ir = crate::frontend::rust::lower_source("p.rs", program, "p", Vec::new()).unwrap();
        let _ = crate::analysis::analyze(vec![ir], &catalog);
    }
}

#[cfg(target_os = "linux")]
/// What the `proc_parsers` target does with one input: the first byte picks the parser.
pub fn proc_parsers(data: &[u8]) {
    use crate::inspect::parse::{fdinfo, locks, maps, net, proc};
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
