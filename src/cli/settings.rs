//! The settings of one `check` run, resolved once from the command line and the configuration
//! it names or finds. Past [`Settings::resolve`] nothing reads a flag; every way the request
//! cannot be met is an error (exit 2) naming the flag or file at fault.

use super::args::CheckArgs;
use crate::gate::baseline::BaselineUse;
use crate::gate::config::levels::resolve_rule;
use crate::gate::config::{self, Config, FailOn, Level, Levels, Step};
use crate::report::Format;
use anyhow::{anyhow, bail};
use std::path::{Path, PathBuf};

/// What to analyse.
pub enum Input {
    /// Files and folders, without a leading `./`.
    Paths(Vec<PathBuf>),
    /// The text on stdin, as the file `name`.
    Stdin { name: String },
}

pub struct Settings {
    pub input: Input,
    /// Where configuration discovery, the repository root and `--new-from-rev` start from.
    pub anchor: PathBuf,
    pub config: Config,
    pub levels: Levels,
    pub fail_on: FailOn,
    pub require_reasons: bool,
    pub prefilter: bool,
    /// Apply `exclude` to files named on the command line too.
    pub force_exclude: bool,
    pub baseline: Option<BaselineUse>,
    pub new_from_rev: Option<String>,
    pub format: Format,
    pub color: bool,
    pub quiet: bool,
    pub stats: bool,
}

impl Settings {
    pub fn resolve(args: &CheckArgs) -> anyhow::Result<Settings> {
        let stdin = args.paths.iter().any(|p| p == Path::new("-"));
        if stdin && args.paths.len() > 1 {
            bail!("`-` (read stdin) cannot be combined with other paths");
        }
        if args.stdin_filename.is_some() && !stdin {
            bail!("--stdin-filename needs `-` as the path");
        }
        if args.write_baseline && args.new_from_rev.is_some() {
            bail!(
                "--write-baseline records every finding; it cannot be combined with --new-from-rev"
            );
        }
        let (input, anchor) = if stdin {
            let name = args
                .stdin_filename
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "<stdin>".to_string());
            let anchor = args
                .stdin_filename
                .clone()
                .unwrap_or_else(|| PathBuf::from("."));
            (Input::Stdin { name }, anchor)
        } else {
            let paths: Vec<PathBuf> = if args.paths.is_empty() {
                vec![PathBuf::from(".")]
            } else {
                args.paths.iter().map(|p| tidy(p)).collect()
            };
            let anchor = paths[0].clone();
            (Input::Paths(paths), anchor)
        };
        let config = if args.isolated {
            Config::default()
        } else if let Some(file) = &args.config {
            config::load(file).map_err(|e| anyhow!(e))?
        } else {
            config::discover(&anchor)
                .map_err(|e| anyhow!(e))?
                .unwrap_or_default()
        };
        let (levels, fail_on) = levels(args, &config)?;
        let baseline = args.baseline.clone().map(|file| {
            if args.write_baseline {
                BaselineUse::Write(file)
            } else {
                BaselineUse::Compare(file)
            }
        });
        Ok(Settings {
            input,
            anchor,
            require_reasons: args.require_reasons || config.require_reasons,
            config,
            levels,
            fail_on,
            prefilter: !args.no_prefilter,
            force_exclude: args.force_exclude,
            baseline,
            new_from_rev: args.new_from_rev.clone(),
            format: args.format,
            color: crate::report::use_color(args.color),
            quiet: args.quiet,
            stats: args.stats,
        })
    }
}

fn rule_list(flag: &str, keys: &[String]) -> anyhow::Result<Vec<String>> {
    keys.iter()
        .filter(|k| !k.trim().is_empty())
        .map(|k| {
            resolve_rule(k)
                .map(|r| r.id.clone())
                .map_err(|e| anyhow!("{flag}: {e}"))
        })
        .collect()
}

/// Rule levels and the failure threshold: the configuration's, then the flags' in order.
fn levels(args: &CheckArgs, config: &Config) -> anyhow::Result<(Levels, FailOn)> {
    let mut levels = config.levels().map_err(|e| anyhow!(e))?;
    if !args.select.is_empty() {
        levels
            .cli
            .push(Step::Select(rule_list("--select", &args.select)?));
    }
    if !args.ignore.is_empty() {
        levels
            .cli
            .push(Step::Ignore(rule_list("--ignore", &args.ignore)?));
    }
    let mut fail_on = config.fail_on.unwrap_or(FailOn::Error);
    for (level, key) in &args.level_flags {
        let flag = match level {
            Level::Allow => "-A",
            Level::Warn => "-W",
            Level::Deny => "-D",
        };
        // clippy's spelling for "warnings fail the run".
        if key == "warnings" {
            if *level == Level::Deny {
                fail_on = FailOn::Warning;
            }
            continue;
        }
        let id = resolve_rule(key)
            .map_err(|e| anyhow!("{flag}: {e}"))?
            .id
            .clone();
        levels.cli.push(Step::Set(id, *level));
    }
    if let Some(f) = args.fail_on {
        fail_on = f;
    }
    if args.exit_zero {
        fail_on = FailOn::Never;
    }
    Ok((levels, fail_on))
}

/// A path without a leading `./` (`./src/main.rs` is printed `src/main.rs`, as rustc and ruff
/// print it); `.` itself stays.
pub(super) fn tidy(path: &Path) -> PathBuf {
    let rest: PathBuf = path
        .components()
        .skip_while(|c| matches!(c, std::path::Component::CurDir))
        .collect();
    if rest.as_os_str().is_empty() {
        path.to_path_buf()
    } else {
        rest
    }
}
