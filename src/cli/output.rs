//! What the subcommands print and how: stdout for results (a closed pipe is not an error), stderr
//! for counts and messages about the run.

use crate::pipeline::CheckReport;
use std::io::Write;

/// Writes a subcommand's result to stdout.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        // A closed pipe (`| head`) is not an error of ours.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Counts and timings of a run, for `--stats`, on stderr.
pub fn print_stats(report: &CheckReport) {
    let s = &report.stats;
    eprintln!(
        "files seen {}, parsed {}, skipped by prefilter {}, functions {}, call edges {}, summary walks {}, propagation walks {}, prefilter rounds {} ({} work units for {} bytes scanned, {} files parsed again{})\nwalk {:.3}s, scan {:.3}s, parse {:.3}s, analysis {:.3}s",
        s.files_seen,
        s.files_parsed,
        s.files_skipped,
        s.analysis.functions,
        s.analysis.call_edges,
        s.analysis.summary_walks,
        s.analysis.propagate_walks,
        s.rounds,
        s.prefilter_work,
        s.bytes,
        s.files_reparsed,
        if s.prefilter_gave_up {
            ", gave up and parsed every file"
        } else if s.prefilter_took_rest {
            ", the files selected held half the tree and took the rest"
        } else {
            ""
        },
        s.walk.as_secs_f64(),
        s.scan.as_secs_f64(),
        s.parse.saturating_sub(s.scan).as_secs_f64(),
        s.analyse.as_secs_f64()
    );
}
