//! The gate: what of the analysis's findings is reported, and whether the run fails. Rule levels
//! from the configuration (`config`), suppression comments (`suppress`), the baseline of accepted
//! findings (`baseline`), the lines changed since a revision (`diffscope`) and the fingerprints
//! the baseline keys on (`fingerprint`), applied in that order by [`apply`]. It finds nothing
//! itself and prints nothing.

pub mod baseline;
pub mod config;
pub mod diffscope;
pub mod fingerprint;
pub mod suppress;

use crate::diagnostic::Finding;
use crate::source::Sources;
use baseline::{Baseline, BaselineUse};
use config::Levels;
use diffscope::Changed;
use std::path::Path;

/// The steps of one run's gate, as the settings resolved them.
pub struct Steps<'a> {
    pub levels: &'a Levels,
    /// A suppression comment without a reason does not suppress.
    pub require_reasons: bool,
    pub baseline: Option<&'a BaselineUse>,
    /// Keep only findings on lines changed since this revision, in the repository that holds
    /// the path (`--new-from-rev`).
    pub new_from_rev: Option<(&'a str, &'a Path)>,
}

/// What passed the gate, sorted, with their fingerprints in the same order, and how many each
/// step held back.
#[derive(Debug, Default)]
pub struct Gated {
    pub findings: Vec<Finding>,
    pub fingerprints: Vec<String>,
    /// By suppression comments.
    pub suppressed: usize,
    /// Recorded in the baseline (compared, or just written).
    pub baselined: usize,
    /// Not on a changed line.
    pub unchanged: usize,
    /// Baseline entries that match no finding any more.
    pub stale: usize,
}

/// Runs every step on the analysis's `findings`. `files` are the files analysed (`marked`: which
/// of them the scan saw a suppression marker in); `sources` serves and caches their text.
pub fn apply(
    findings: Vec<Finding>,
    files: &[String],
    marked: Option<&[bool]>,
    sources: &mut Sources,
    steps: &Steps,
) -> Result<Gated, String> {
    let findings = apply_levels(findings, steps.levels);
    let outcome = suppress::apply(
        findings,
        files,
        marked,
        sources,
        steps.levels,
        steps.require_reasons,
    );
    let mut findings = apply_levels(outcome.findings, steps.levels);
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let fingerprints: Vec<String> = findings
        .iter()
        .map(|f| fingerprint::of(f, sources))
        .collect();
    let mut gated = Gated {
        findings,
        fingerprints,
        suppressed: outcome.suppressed,
        ..Default::default()
    };

    match steps.baseline {
        Some(BaselineUse::Write(file)) => {
            gated.baselined = Baseline::write(file, &gated.findings, &gated.fingerprints)?;
            gated.findings.clear();
            gated.fingerprints.clear();
        }
        Some(BaselineUse::Compare(file)) => {
            let matched = Baseline::load(file)?.apply(
                std::mem::take(&mut gated.findings),
                std::mem::take(&mut gated.fingerprints),
            );
            gated.findings = matched.findings;
            gated.fingerprints = matched.fingerprints;
            gated.baselined = matched.baselined;
            gated.stale = matched.stale;
        }
        None => {}
    }

    if let Some((rev, anchor)) = steps.new_from_rev {
        let changed = Changed::since(rev, anchor)?;
        let before = gated.findings.len();
        let (kept, kept_fps): (Vec<Finding>, Vec<String>) = std::mem::take(&mut gated.findings)
            .into_iter()
            .zip(std::mem::take(&mut gated.fingerprints))
            .filter(|(f, _)| changed.is_new(f))
            .unzip();
        gated.unchanged = before - kept.len();
        gated.findings = kept;
        gated.fingerprints = kept_fps;
    }
    Ok(gated)
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
