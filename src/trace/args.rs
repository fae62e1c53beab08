//! The `trace` subcommand's flags, kept beside the code that reads them so the command line
//! gains a single variant.

use clap::{Args, ValueEnum};
use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TraceFormat {
    /// One block per fork as it happens, then a summary by call site.
    Human,
    /// JSON lines: one object per fork, then a summary object.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TraceFailOn {
    /// Exit 1 when a fork whose child went on running was unsafe.
    Unsafe,
    /// Keep the program's own exit code.
    Never,
}

#[derive(Debug, Clone, Args)]
pub struct TraceArgs {
    /// Attach to this running process (and every thread and child it creates from then on)
    /// instead of starting a command; Ctrl-C detaches and leaves it running.
    #[arg(long, value_name = "PID", conflicts_with = "command")]
    pub pid: Option<String>,
    /// Output format (written to stderr, or to --output).
    #[arg(long, alias = "output-format", value_enum, default_value_t = TraceFormat::Human)]
    pub format: TraceFormat,
    /// Write the report to this file instead of stderr.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// `unsafe`: exit 1 when an unsafe fork happened and the program itself exited 0.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = TraceFailOn::Never)]
    pub fail_on: TraceFailOn,
    /// A child that execs within this many milliseconds of its fork counts as fork-then-exec.
    #[arg(long, value_name = "MS", default_value_t = 500)]
    pub exec_within: u64,
    /// The command to run and its arguments, after `--`.
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}
