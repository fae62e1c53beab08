//! The command line: clap definitions for every subcommand and flag.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "forklint",
    version,
    about = "Finds fork-safety bugs in Rust sources (check) and in live processes (inspect)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse Rust sources for fork hazards.
    Check(CheckArgs),
    /// Inspect a live process: is it safe to fork it now?
    Inspect(InspectArgs),
    /// List the rules.
    Rules(OutputArgs),
    /// Print a rule's full documentation.
    Explain {
        /// A rule id (FL001) or name (thread-before-fork).
        rule: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
    Concise,
}

#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, alias = "output-format", value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// When to use colours (NO_COLOR is honoured by `auto`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print only findings (no summary line).
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Files or folders to analyse (default: the current folder).
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Parse every file instead of skipping those that cannot matter (same findings, slower).
    #[arg(long)]
    pub no_prefilter: bool,
    /// Print counts and the time spent in each phase to stderr.
    #[arg(long)]
    pub stats: bool,
}

#[derive(Debug, Clone, Args)]
pub struct InspectArgs {
    /// The process id to inspect.
    pub pid: String,
    #[command(flatten)]
    pub output: OutputArgs,
}
