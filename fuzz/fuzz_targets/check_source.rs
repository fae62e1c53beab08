//! Fuzz target: arbitrary bytes as one `.rs` file through the whole `check` pipeline (frontend,
//! linking, analysis) with the built-in catalogue, then rendered as JSON.
#![no_main]

use forklint::catalog::Catalog;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // `check` refuses non-UTF-8 files before the frontend sees them; do the same.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let text = text.to_string();
    // As in `check`: the frontend runs on a thread with a 256 MB stack, the analysis on the
    // calling thread (here libFuzzer's main thread, 8 MB like a default main thread).
    let lowered = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || forklint::frontend::rust::lower_source("fuzz.rs", &text, "fuzz", Vec::new()))
        .expect("spawn")
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
});
