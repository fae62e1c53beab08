//! `cargo forklint`: cargo runs this as `cargo-forklint forklint ARGS`; it drops the inserted
//! `forklint`, implies `check` when no subcommand is named, and runs forklint.

use std::process::ExitCode;

fn main() -> ExitCode {
    forklint::cli::main_with(
        forklint::cli::args::cargo_args(std::env::args_os()),
        "cargo forklint",
    )
}
