//! `forklint inspect PID`: validates the request, runs the platform's inspection and prints the
//! report; the exit code is the verdict's.

use super::args::{InspectArgs, TextOrJson};
use crate::report::inspect as render;
use std::io::Write;

/// Runs the inspection and prints the report; returns the exit code (0 safe, 1 unsafe, 2 could
/// not inspect or could not tell).
pub fn run(args: &InspectArgs) -> anyhow::Result<i32> {
    let pid = match crate::inspect::parse_pid(&args.pid) {
        Ok(pid) => pid,
        Err(e) => {
            eprintln!("forklint: error: {e}");
            return Ok(2);
        }
    };
    let report = match crate::inspect::inspect(pid) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("forklint: error: {e}");
            return Ok(2);
        }
    };
    let text = match args.format {
        TextOrJson::Json => render::json(&report),
        TextOrJson::Human => {
            render::human(&report, crate::report::use_color(args.color), args.quiet)
        }
    };
    // A closed pipe (`| head`) is the reader's choice, not an error worth a panic.
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{}", text.trim_end());
    Ok(report.verdict.exit_code())
}
