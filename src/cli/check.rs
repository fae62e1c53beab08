//! `forklint check` from end to end on resolved [`Settings`]: the files, the pipeline, the gate
//! (rule levels, suppressions, baseline, `--new-from-rev`), rendering, and the exit code.

use super::args::CheckArgs;
use super::output;
use super::settings::{tidy, BaselineUse, Input, Settings};
use crate::analysis;
use crate::catalog::Catalog;
use crate::diagnostic::{Finding, InputError};
use crate::frontend::{self, rust::layout::Layout};
use crate::gate::baseline::Baseline;
use crate::gate::config::{self, Levels};
use crate::gate::diffscope::Changed;
use crate::gate::{fingerprint, suppress};
use crate::pipeline::{self, CheckOptions, CheckReport};
use crate::report::{self, Context, Tally};
use crate::source::Sources;
use anyhow::{anyhow, Context as _};
use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Analyses text from stdin as the one file `name`.
fn analyse_text(name: &str, text: &str, catalog: &Catalog) -> CheckReport {
    let mut report = CheckReport {
        files: 1,
        ..Default::default()
    };
    let lowered =
        pipeline::with_pool(|| frontend::lower(Path::new(name), text, &Layout::default()));
    match lowered {
        Ok(ir) => {
            let mut irs = vec![ir];
            frontend::link(&mut irs);
            let (findings, stats) = pipeline::with_pool(|| analysis::analyze(irs, catalog));
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
            let level = levels.severity(&f.rule, &path)?;
            // At the rule's default level a finding keeps the severity the catalogue gave it
            // (a redis-py pool that resets itself in a child is a note); a level set in the
            // config or on the command line wins.
            let default = crate::catalog::rules::find(&f.rule).map(|r| r.severity);
            if Some(level) != default {
                f.severity = level;
            }
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
    execute(&Settings::resolve(args)?)
}

fn execute(settings: &Settings) -> anyhow::Result<i32> {
    colored::control::set_override(settings.color);
    let extended = config::extend::catalog(&settings.config).map_err(|e| anyhow!(e))?;
    let catalog = extended.as_ref().unwrap_or_else(|| Catalog::builtin());
    let exclude = settings.config.exclude_glob().map_err(|e| anyhow!(e))?;
    let mut sources = Sources::default();

    let (mut report, files) = match &settings.input {
        Input::Stdin { name } => {
            let text = read_stdin()?;
            if settings.force_exclude && exclude.matches(name) {
                (CheckReport::default(), Vec::new())
            } else {
                let report = analyse_text(name, &text, catalog);
                sources.insert(name, text);
                (report, vec![name.clone()])
            }
        }
        Input::Paths(paths) => {
            let mut walk_errors = Vec::new();
            let walk_start = std::time::Instant::now();
            let found = pipeline::collect_files(paths, &mut walk_errors).map_err(|e| anyhow!(e))?;
            let mut found: Vec<PathBuf> = found.iter().map(|f| tidy(f)).collect();
            // `.` and `./x.rs` both reach `x.rs` once tidied.
            found.sort();
            found.dedup();
            let walk = walk_start.elapsed();
            if found.is_empty() && walk_errors.is_empty() {
                let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                eprintln!(
                    "forklint: warning: no Rust or Python files found in {}; nothing was checked",
                    names.join(", ")
                );
            }
            let named: HashSet<&Path> = paths.iter().map(PathBuf::as_path).collect();
            let files: Vec<PathBuf> = found
                .into_iter()
                .filter(|f| {
                    let given = named.contains(f.as_path());
                    !((settings.force_exclude || !given)
                        && exclude.matches(&f.display().to_string()))
                })
                .collect();
            let mut report = pipeline::analyse_files(
                files.clone(),
                catalog,
                &CheckOptions {
                    prefilter: settings.prefilter,
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

    match &settings.baseline {
        Some(BaselineUse::Write(file)) => {
            let n = Baseline::write(file, &findings, &fingerprints).map_err(|e| anyhow!(e))?;
            eprintln!(
                "forklint: recorded {n} finding{} in the baseline {}",
                if n == 1 { "" } else { "s" },
                file.display()
            );
            tally.baselined = n;
            findings.clear();
            fingerprints.clear();
        }
        Some(BaselineUse::Compare(file)) => {
            let baseline = Baseline::load(file).map_err(|e| anyhow!(e))?;
            let matched = baseline.apply(findings, fingerprints);
            findings = matched.findings;
            fingerprints = matched.fingerprints;
            tally.baselined = matched.baselined;
            if matched.stale > 0 && !settings.quiet {
                eprintln!(
                    "forklint: {} baseline entr{} of {} match no finding any more; rerun with --write-baseline to prune",
                    matched.stale,
                    if matched.stale == 1 { "y" } else { "ies" },
                    file.display()
                );
            }
        }
        None => {}
    }

    if let Some(rev) = &settings.new_from_rev {
        let changed = Changed::since(rev, &settings.anchor).map_err(|e| anyhow!(e))?;
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
        root: report::project_root(&settings.anchor),
        quiet: settings.quiet,
        fail_on: settings.fail_on,
    };
    let text = report::render(settings.format, &ctx, &mut sources);
    output::print(&text)?;
    if settings.stats {
        output::print_stats(&report);
    }
    Ok(ctx.exit_code())
}
