//! The forklint binary: parses arguments, calls the library, maps the outcome to an exit code.

use std::process::ExitCode;

// Parsing allocates and frees millions of small nodes; glibc's allocator spent a third of a run
// there.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (the 16th entry of `mi_option_e` in its `mimalloc.h`):
/// "memory purging is delayed by N milli seconds; use 0 for immediate purging or -1 for no
/// purging at all".
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // A check frees the syntax trees of thousands of files while it builds the IR: purged after
    // the default 10 ms, their pages went back to the kernel and were faulted in and zeroed
    // again for the next files (a third of a large check's system time). Kept, they serve the
    // process's later allocations; all of it is returned at exit.
    // SAFETY: sets an option before any thread is started; mimalloc reads it on each purge.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) };
    forklint::cli::main_with(std::env::args_os().collect(), "forklint")
}
