//! The command line: clap definitions (`args`), the settings of a check resolved once from flags
//! and configuration (`settings`), one module per subcommand, and the output helpers. Nothing
//! below this layer sees a clap type; `main.rs` and `cargo-forklint` only call [`main_with`].

pub mod args;
pub mod check;
pub mod explain;
pub mod init;
pub mod inspect;
pub mod output;
pub mod rules;
pub mod settings;
pub mod trace;

use args::{Cli, Command};
use std::ffi::OsString;
use std::process::ExitCode;

pub fn run(cli: &Cli) -> anyhow::Result<i32> {
    match &cli.command {
        Command::Check(args) => check::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Trace(args) => trace::run(args),
        Command::Rules(args) => rules::run(args),
        Command::Explain { rule } => explain::run(rule),
        Command::Init { dir, force } => init::run(dir.as_deref(), *force),
    }
}

/// Both binaries: parse, run, and map the outcome to an exit code. A panic is a bug of ours and
/// exits 2 ("could not run"), never 101 or 0. `bin_name` is the program's name in usage lines.
pub fn main_with(args: Vec<OsString>, bin_name: &str) -> ExitCode {
    let cli = match args::parse_from(args, bin_name) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match std::panic::catch_unwind(|| run(&cli)) {
        Ok(Ok(code)) => ExitCode::from(code.clamp(0, 255) as u8),
        Ok(Err(e)) => {
            eprintln!("forklint: error: {e:#}");
            ExitCode::from(2)
        }
        Err(_) => {
            eprintln!("forklint: internal error (a bug in forklint); please report it with the input that caused it");
            ExitCode::from(2)
        }
    }
}
