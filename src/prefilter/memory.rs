//! Memory: with `FORKLINT_PREFILTER_TRACE`, what the process holds at each step.

/// With `FORKLINT_PREFILTER_TRACE`, the resident memory at a point of the run.
pub(super) fn trace_rss(at: &str) {
    if std::env::var_os("FORKLINT_PREFILTER_TRACE").is_none() {
        return;
    }
    if let Ok(statm) = std::fs::read_to_string("/proc/self/statm") {
        if let Some(pages) = statm
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u64>().ok())
        {
            eprintln!("prefilter: {} MB resident {at}", (pages * 4096) >> 20);
        }
    }
}
