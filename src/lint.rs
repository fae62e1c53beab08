//! `forklint check` from end to end: configuration, file selection, analysis, rule levels,
//! suppressions, baseline, `--new-from-rev`, rendering, and the exit code. Every way it can fail
//! to do what was asked is an error (exit 2) naming the file or flag at fault.

use crate::analysis;
use crate::baseline::Baseline;
use crate::catalog::Catalog;
use crate::check::{self, CheckOptions, CheckReport};
use crate::cli::CheckArgs;
use crate::config::levels::resolve_rule;
use crate::config::{self, Config, FailOn, Level, Levels, Step};
use crate::diagnostic::{Finding, InputError};
use crate::diffscope::Changed;
use crate::fingerprint;
use crate::frontend::rust::{self, layout::Layout};
use crate::report::{self, Context, Tally};
use crate::source::Sources;
use crate::suppress;
use anyhow::{anyhow, bail, Context as _};
use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The settings of one run, after config and command line are combined.
struct Settings {
    config: Config,
    levels: Levels,
    fail_on: FailOn,
    require_reasons: bool,
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

fn settings(args: &CheckArgs, anchor: &Path) -> anyhow::Result<Settings> {
    let config = if args.isolated {
        Config::default()
    } else if let Some(file) = &args.config {
        config::load(file).map_err(|e| anyhow!(e))?
    } else {
        config::discover(anchor)
            .map_err(|e| anyhow!(e))?
            .unwrap_or_default()
    };
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
    Ok(Settings {
        require_reasons: args.require_reasons || config.require_reasons,
        config,
        levels,
        fail_on,
    })
}

/// Analyses text from stdin as the one file `name`.
fn analyse_text(name: &str, text: &str, catalog: &Catalog) -> CheckReport {
    let mut report = CheckReport {
        files: 1,
        ..Default::default()
    };
    let place = Layout::default().place(Path::new(name));
    let lowered =
        check::with_pool(|| rust::lower_source(name, text, &place.crate_id, place.module));
    match lowered {
        Ok(ir) => {
            let (findings, stats) = check::with_pool(|| analysis::analyze(vec![ir], catalog));
            report.findings = findings;
            report.stats.analysis = stats;
            report.stats.files_parsed = 1;
        }
        Err(message) => report.errors.push(InputError {
            path: name.to_string(),
            message,
        }),
    }
    report.stats.files_seen = 1;
    report
}

/// Sets each finding's severity from the levels, dropping the findings of rules turned off.
fn apply_levels(findings: Vec<Finding>, levels: &Levels) -> Vec<Finding> {
    findings
        .into_iter()
        .filter_map(|mut f| {
            let path = f
                .location
                .as_ref()
                .map(|l| l.path.clone())
                .unwrap_or_default();
            f.severity = levels.severity(&f.rule, &path)?;
            Some(f)
        })
        .collect()
}

fn read_stdin() -> anyhow::Result<String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .context("cannot read stdin")?;
    String::from_utf8(bytes).map_err(|e| {
        anyhow!(
            "stdin is not valid UTF-8 (byte {})",
            e.utf8_error().valid_up_to()
        )
    })
}

pub fn run(args: &CheckArgs) -> anyhow::Result<i32> {
    colored::control::set_override(report::use_color(args.output.color));
    let stdin = args.paths.iter().any(|p| p == Path::new("-"));
    if stdin && args.paths.len() > 1 {
        bail!("`-` (read stdin) cannot be combined with other paths");
    }
    if args.stdin_filename.is_some() && !stdin {
        bail!("--stdin-filename needs `-` as the path");
    }
    if args.write_baseline && args.new_from_rev.is_some() {
        bail!("--write-baseline records every finding; it cannot be combined with --new-from-rev");
    }
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let stdin_name = stdin.then(|| {
        args.stdin_filename
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "<stdin>".to_string())
    });
    let anchor = match (&stdin_name, &args.stdin_filename) {
        (Some(_), Some(name)) => name.clone(),
        (Some(_), None) => PathBuf::from("."),
        _ => paths[0].clone(),
    };
    let settings = settings(args, &anchor)?;
    let extended = config::extend::catalog(&settings.config).map_err(|e| anyhow!(e))?;
    let catalog = extended.as_ref().unwrap_or_else(|| Catalog::builtin());
    let exclude = settings.config.exclude_glob().map_err(|e| anyhow!(e))?;
    let mut sources = Sources::default();

    let (mut report, files) = match &stdin_name {
        Some(name) => {
            let text = read_stdin()?;
            if args.force_exclude && exclude.matches(name) {
                (CheckReport::default(), Vec::new())
            } else {
                let report = analyse_text(name, &text, catalog);
                sources.insert(name, text);
                (report, vec![name.clone()])
            }
        }
        None => {
            let mut walk_errors = Vec::new();
            let walk_start = std::time::Instant::now();
            let found = check::collect_files(&paths, &mut walk_errors).map_err(|e| anyhow!(e))?;
            let walk = walk_start.elapsed();
            let named: HashSet<&Path> = paths.iter().map(PathBuf::as_path).collect();
            let files: Vec<PathBuf> = found
                .into_iter()
                .filter(|f| {
                    let given = named.contains(f.as_path());
                    !((args.force_exclude || !given) && exclude.matches(&f.display().to_string()))
                })
                .collect();
            let mut report = check::analyse_files(
                files.clone(),
                catalog,
                &CheckOptions {
                    prefilter: !args.no_prefilter,
                    named: files
                        .iter()
                        .filter(|f| named.contains(f.as_path()))
                        .cloned()
                        .collect(),
                },
            );
            report.stats.walk = walk;
            report.errors.extend(walk_errors);
            report.errors.sort_by(|a, b| a.path.cmp(&b.path));
            let names = files.iter().map(|f| f.display().to_string()).collect();
            (report, names)
        }
    };

    let levels = &settings.levels;
    let findings = apply_levels(std::mem::take(&mut report.findings), levels);
    let outcome = suppress::apply(
        findings,
        &files,
        report.marked.as_deref(),
        &mut sources,
        levels,
        settings.require_reasons,
    );
    let mut findings = apply_levels(outcome.findings, levels);
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let mut fingerprints: Vec<String> = findings
        .iter()
        .map(|f| fingerprint::of(f, &mut sources))
        .collect();
    let mut tally = Tally {
        suppressed: outcome.suppressed,
        ..Default::default()
    };

    if let Some(file) = &args.baseline {
        if args.write_baseline {
            let n = Baseline::write(file, &findings, &fingerprints).map_err(|e| anyhow!(e))?;
            eprintln!(
                "forklint: recorded {n} finding{} in the baseline {}",
                if n == 1 { "" } else { "s" },
                file.display()
            );
            tally.baselined = n;
            findings.clear();
            fingerprints.clear();
        } else {
            let baseline = Baseline::load(file).map_err(|e| anyhow!(e))?;
            let matched = baseline.apply(findings, fingerprints);
            findings = matched.findings;
            fingerprints = matched.fingerprints;
            tally.baselined = matched.baselined;
            if matched.stale > 0 && !args.output.quiet {
                eprintln!(
                    "forklint: {} baseline entr{} of {} match no finding any more; rerun with --write-baseline to prune",
                    matched.stale,
                    if matched.stale == 1 { "y" } else { "ies" },
                    file.display()
                );
            }
        }
    }

    if let Some(rev) = &args.new_from_rev {
        let changed = Changed::since(rev, &anchor).map_err(|e| anyhow!(e))?;
        let before = findings.len();
        let (kept, kept_fps): (Vec<Finding>, Vec<String>) = findings
            .into_iter()
            .zip(fingerprints)
            .filter(|(f, _)| changed.is_new(f))
            .unzip();
        tally.unchanged = before - kept.len();
        findings = kept;
        fingerprints = kept_fps;
    }

    report.findings = findings;
    let ctx = Context {
        report: &report,
        fingerprints: &fingerprints,
        tally,
        root: report::project_root(&anchor),
        quiet: args.output.quiet,
    };
    let text = report::render(args.output.format, &ctx, &mut sources);
    crate::commands::print(&text)?;
    if args.stats {
        crate::commands::print_stats(&report);
    }
    let failing = report
        .findings
        .iter()
        .any(|f| settings.fail_on.fails(f.severity))
        || (!report.errors.is_empty() && settings.fail_on != FailOn::Never);
    Ok(i32::from(failing))
}
