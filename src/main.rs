//! The forklint binary: parses arguments, calls the library, maps the outcome to an exit code.

use std::process::ExitCode;

// Parsing allocates and frees millions of small nodes; glibc's allocator spent a third of a run
// there.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    forklint::cli::main_with(std::env::args_os().collect(), "forklint")
}
