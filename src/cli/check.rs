//! `forklint check` from end to end on resolved [`Settings`]: the files, the pipeline, the gate
//! (rule levels, suppressions, baseline, `--new-from-rev`), rendering, and the exit code.

use super::args::CheckArgs;
use super::output;
use super::settings::{tidy, Input, Settings};
use crate::analysis;
use crate::catalog::Catalog;
use crate::diagnostic::InputError;
use crate::frontend::{self, rust::layout::Layout};
use crate::gate::baseline::BaselineUse;
use crate::gate::{self, config};
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
        Ok(mut ir) => {
            if let Some(recovered) = ir.recovered.take() {
                report
                    .errors
                    .push(InputError::partial(name.to_string(), recovered));
            }
            let mut irs = vec![ir];
            frontend::link(&mut irs);
            let (findings, stats) = pipeline::with_pool(|| analysis::analyze(irs, catalog));
            report.findings = findings;
            report.stats.analysis = stats;
            report.stats.files_parsed = 1;
        }
        Err(message) => report
            .errors
            .push(InputError::whole(name.to_string(), message)),
    }
    report.stats.files_seen = 1;
    report
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
                    whole_below: pipeline::WHOLE_BELOW,
                },
            );
            report.stats.walk = walk;
            report.errors.extend(walk_errors);
            report.errors.sort_by(|a, b| a.path.cmp(&b.path));
            let names = files.iter().map(|f| f.display().to_string()).collect();
            (report, names)
        }
    };

    let gated = gate::apply(
        std::mem::take(&mut report.findings),
        &files,
        report.marked.as_deref(),
        &mut sources,
        &gate::Steps {
            levels: &settings.levels,
            require_reasons: settings.require_reasons,
            baseline: settings.baseline.as_ref(),
            new_from_rev: settings
                .new_from_rev
                .as_deref()
                .map(|rev| (rev, settings.anchor.as_path())),
        },
    )
    .map_err(|e| anyhow!(e))?;
    match &settings.baseline {
        Some(BaselineUse::Write(file)) => eprintln!(
            "forklint: recorded {} finding{} in the baseline {}",
            gated.baselined,
            if gated.baselined == 1 { "" } else { "s" },
            file.display()
        ),
        Some(BaselineUse::Compare(file)) if gated.stale > 0 && !settings.quiet => eprintln!(
            "forklint: {} baseline entr{} of {} match no finding any more; rerun with --write-baseline to prune",
            gated.stale,
            if gated.stale == 1 { "y" } else { "ies" },
            file.display()
        ),
        _ => {}
    }
    let tally = Tally {
        suppressed: gated.suppressed,
        baselined: gated.baselined,
        unchanged: gated.unchanged,
    };
    let fingerprints = gated.fingerprints;

    report.findings = gated.findings;
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
