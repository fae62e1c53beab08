//! The clap definitions of every subcommand and flag, as close to the flags as possible (no I/O);
//! `settings` turns a check's into what the run uses.

use crate::gate::config::{FailOn, Level};
use crate::report::{ColorChoice, Format};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
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
#[allow(
    clippy::large_enum_variant,
    reason = "parsed once per process; boxing would only obscure the clap definitions"
)]
pub enum Command {
    /// Analyse Rust sources for fork hazards.
    Check(CheckArgs),
    /// Inspect a live process: is it safe to fork it now?
    Inspect(InspectArgs),
    /// Run a command (or attach to a pid) and report every fork as it happens.
    Trace(TraceArgs),
    /// List the rules.
    Rules(RulesArgs),
    /// Print a rule's full documentation.
    Explain {
        /// A rule id (FL001) or name (thread-before-fork).
        rule: String,
    },
    /// Write a commented forklint.toml template.
    Init {
        /// The folder to write it in (default: the current folder).
        dir: Option<PathBuf>,
        /// Overwrite an existing forklint.toml.
        #[arg(long)]
        force: bool,
    },
}

/// The formats of `inspect` and `rules`: a report for people or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TextOrJson {
    Human,
    Json,
}

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

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Files or folders to analyse (default: the current folder).
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, alias = "output-format", value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// When to use colours (NO_COLOR is honoured by `auto`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print only findings (no summary line).
    #[arg(short, long)]
    pub quiet: bool,
    /// Parse every file instead of skipping those that cannot matter (same findings, slower).
    #[arg(long)]
    pub no_prefilter: bool,
    /// Print counts and the time spent in each phase to stderr.
    #[arg(long)]
    pub stats: bool,
    /// Read the configuration from this file (a forklint.toml, or a Cargo.toml with a
    /// [package.metadata.forklint] table) instead of searching upwards from the first path.
    #[arg(long, value_name = "PATH", conflicts_with = "isolated")]
    pub config: Option<PathBuf>,
    /// Ignore every configuration file.
    #[arg(long)]
    pub isolated: bool,
    /// Only these rules (ids or names, comma-separated); replaces the configuration's `select`.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Vec<String>,
    /// Never these rules (ids or names, comma-separated), in addition to the configuration's.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,
    /// Turn a rule off (id or name; repeatable; later -A/-W/-D flags win).
    #[arg(short = 'A', long = "allow", value_name = "RULE")]
    pub allow: Vec<String>,
    /// Report a rule as a warning (repeatable).
    #[arg(short = 'W', long = "warn", value_name = "RULE")]
    pub warn: Vec<String>,
    /// Report a rule as an error (repeatable); `-D warnings` means `--fail-on warning`.
    #[arg(short = 'D', long = "deny", value_name = "RULE")]
    pub deny: Vec<String>,
    /// The -A/-W/-D flags in command-line order (filled by `parse_from`).
    #[arg(skip)]
    pub level_flags: Vec<(Level, String)>,
    /// The lowest severity that makes the exit code 1 [default: error].
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_on: Option<FailOn>,
    /// Exit 0 even with findings (still 2 when forklint cannot run); same as --fail-on never.
    #[arg(short = 'e', long)]
    pub exit_zero: bool,
    /// Report suppression comments that give no `reason = "..."` (FL901).
    #[arg(long)]
    pub require_reasons: bool,
    /// Hide the findings recorded in this baseline file (see --write-baseline).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record the current findings in the --baseline file instead of reporting them.
    #[arg(long, requires = "baseline")]
    pub write_baseline: bool,
    /// Report only findings on lines changed since this git revision (and in untracked files).
    #[arg(long, value_name = "REV")]
    pub new_from_rev: Option<String>,
    /// With `-` as the path: the file name the text on stdin stands for (for config and output).
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,
    /// Apply `exclude` to files named on the command line too (for pre-commit and editors).
    #[arg(long)]
    pub force_exclude: bool,
}

#[derive(Debug, Clone, Args)]
pub struct InspectArgs {
    /// The process id to inspect.
    pub pid: String,
    /// Output format.
    #[arg(long, alias = "output-format", value_enum, default_value_t = TextOrJson::Human)]
    pub format: TextOrJson,
    /// When to use colours (NO_COLOR is honoured by `auto`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print only the findings and the verdict (no threads, fds, sockets, locks or libraries).
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Args)]
pub struct RulesArgs {
    /// Output format: a table, or a JSON list of id, name, severity and summary.
    #[arg(long, alias = "output-format", value_enum, default_value_t = TextOrJson::Human)]
    pub format: TextOrJson,
}

/// Parses the command line; unlike `Cli::parse`, it also records the order of -A/-W/-D flags,
/// which decides which of two conflicting flags wins. `bin_name` is what usage lines call the
/// program (`forklint`, or `cargo forklint` for the cargo subcommand).
pub fn parse_from<I, T>(args: I, bin_name: &str) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let matches = Cli::command()
        .bin_name(bin_name)
        .try_get_matches_from(args)?;
    let mut cli = Cli::from_arg_matches(&matches)?;
    if let (Command::Check(check), Some(sub)) =
        (&mut cli.command, matches.subcommand_matches("check"))
    {
        let mut flags = Vec::new();
        for (id, level) in [
            ("allow", Level::Allow),
            ("warn", Level::Warn),
            ("deny", Level::Deny),
        ] {
            if let (Some(values), Some(indices)) = (sub.get_many::<String>(id), sub.indices_of(id))
            {
                for (value, index) in values.zip(indices) {
                    flags.push((index, level, value.clone()));
                }
            }
        }
        flags.sort_by_key(|f| f.0);
        check.level_flags = flags.into_iter().map(|(_, l, v)| (l, v)).collect();
    }
    Ok(cli)
}

/// The arguments of `cargo forklint ...`: cargo runs `cargo-forklint forklint ...`, so the
/// inserted `forklint` is dropped, and `check` is implied when no subcommand is named.
pub fn cargo_args(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut args: Vec<OsString> = args.into_iter().collect();
    if args.len() > 1 && args[1] == "forklint" {
        args.remove(1);
    }
    if args.is_empty() {
        args.push("cargo-forklint".into());
    }
    let explicit = args.get(1).and_then(|a| a.to_str()).is_some_and(|a| {
        matches!(
            a,
            "check"
                | "inspect"
                | "trace"
                | "rules"
                | "explain"
                | "init"
                | "help"
                | "-h"
                | "--help"
                | "-V"
                | "--version"
        )
    });
    if !explicit {
        args.insert(1, "check".into());
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_flags_keep_command_line_order() {
        let cli = parse_from(
            [
                "forklint", "check", "-D", "FL001", "-A", "FL002", "--warn", "FL001", "-A", "FL001",
            ],
            "forklint",
        )
        .unwrap();
        let Command::Check(c) = cli.command else {
            panic!()
        };
        assert_eq!(
            c.level_flags,
            [
                (Level::Deny, "FL001".to_string()),
                (Level::Allow, "FL002".to_string()),
                (Level::Warn, "FL001".to_string()),
                (Level::Allow, "FL001".to_string()),
            ]
        );
    }

    #[test]
    fn cargo_subcommand_arguments() {
        let to = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            cargo_args(to(&["cargo-forklint", "forklint"])),
            to(&["cargo-forklint", "check"])
        );
        assert_eq!(
            cargo_args(to(&["cargo-forklint", "forklint", "check", "src"])),
            to(&["cargo-forklint", "check", "src"])
        );
        assert_eq!(
            cargo_args(to(&["cargo-forklint", "forklint", "--format", "json"])),
            to(&["cargo-forklint", "check", "--format", "json"])
        );
        assert_eq!(
            cargo_args(to(&["cargo-forklint", "forklint", "rules"])),
            to(&["cargo-forklint", "rules"])
        );
    }
}
