//! Rendering of the finding model: human, json, sarif, github, gitlab and concise all render the same
//! `Context`; colour decisions are shared by every renderer.

pub mod concise;
pub mod explain;
pub mod github;
pub mod gitlab;
pub mod human;
pub mod inspect;
pub mod json;
pub mod sarif;

use crate::gate::config::FailOn;
use crate::pipeline::CheckReport;
use crate::source::Sources;
use clap::ValueEnum;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// The formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// rustc-style diagnostics with the code, for people.
    Human,
    /// forklint's JSON report (version 1).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and SARIF viewers.
    Sarif,
    /// GitHub Actions annotations.
    Github,
    /// A GitLab Code Quality report.
    Gitlab,
    /// One line per finding: `path:line:col: FL001 message`.
    Concise,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Counts of findings that were found but not reported, for summaries.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// By `// forklint: allow(..)` comments.
    pub suppressed: usize,
    /// Accounted for by `--baseline`.
    pub baselined: usize,
    /// Not on a line changed since `--new-from-rev`.
    pub unchanged: usize,
}

/// Everything a renderer needs: the findings to show, their fingerprints (same order), the
/// counts of hidden ones, and the folder that relative URIs start from.
pub struct Context<'a> {
    pub report: &'a CheckReport,
    pub fingerprints: &'a [String],
    pub tally: Tally,
    /// The repository root (the nearest folder holding `.git`), else the current folder.
    pub root: PathBuf,
    pub quiet: bool,
    /// The lowest severity that fails the run.
    pub fail_on: FailOn,
}

impl Context<'_> {
    /// Whether a shown finding is at or above `fail_on`.
    pub fn findings_fail(&self) -> bool {
        self.report
            .findings
            .iter()
            .any(|f| self.fail_on.fails(f.severity))
    }

    /// 1 when a shown finding is at or above `fail_on` or a file could not be analysed (unless
    /// nothing fails the run), else 0.
    pub fn exit_code(&self) -> i32 {
        let errors_fail = !self.report.errors.is_empty() && self.fail_on != FailOn::Never;
        i32::from(self.findings_fail() || errors_fail)
    }
}

/// Renders in one format.
pub fn render(format: Format, ctx: &Context<'_>, sources: &mut Sources) -> String {
    match format {
        Format::Human => human::render(ctx, sources),
        Format::Json => json::render(ctx),
        Format::Sarif => sarif::render(ctx),
        Format::Github => github::render(ctx),
        Format::Gitlab => gitlab::render(ctx),
        Format::Concise => concise::render(ctx),
    }
}

/// The folder machine formats make paths relative to: the nearest ancestor of `start` holding
/// `.git`, else the current folder.
pub fn project_root(start: &Path) -> PathBuf {
    let abs = crate::source::paths::absolute(start);
    let mut dir = Some(abs.as_path());
    while let Some(d) = dir {
        if d.join(".git").exists() {
            return d.to_path_buf();
        }
        dir = d.parent();
    }
    crate::source::paths::absolute(Path::new("."))
}

/// A finding path relative to `root` with `/` separators (no `./`), or `None` when outside it.
pub fn relative(root: &Path, path: &str) -> Option<String> {
    crate::gate::config::paths::relative_to(Path::new(path), root)
}

/// Whether to colour output on stdout: `always`/`never` win, `auto` honours `NO_COLOR` and a tty.
pub fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}
