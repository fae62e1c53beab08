//! The forklint binary: parses arguments, calls the library, maps the outcome to an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    forklint::commands::main_with(std::env::args_os().collect())
}
