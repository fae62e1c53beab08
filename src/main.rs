//! The forklint binary: parses arguments, calls the library, maps the outcome to an exit code.

use clap::Parser;
use forklint::cli::Cli;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match forklint::commands::run(&cli) {
        Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
        Err(e) => {
            eprintln!("forklint: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
