//! Rendering of the finding model: human, json, sarif, github and concise all render the same
//! `Context`; colour decisions are shared by every renderer.

pub mod concise;
pub mod github;
pub mod human;
pub mod inspect;
pub mod json;
pub mod sarif;

use crate::check::CheckReport;
use crate::cli::{ColorChoice, Format};
use crate::source::Sources;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

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
}

/// Renders in one format.
pub fn render(format: Format, ctx: &Context<'_>, sources: &mut Sources) -> String {
    match format {
        Format::Human => human::render(ctx, sources),
        Format::Json => json::render(ctx),
        Format::Sarif => sarif::render(ctx),
        Format::Github => github::render(ctx),
        Format::Concise => concise::render(ctx),
    }
}

/// The folder machine formats make paths relative to: the nearest ancestor of `start` holding
/// `.git`, else the current folder.
pub fn project_root(start: &Path) -> PathBuf {
    let abs = crate::config::paths::absolute(start);
    let mut dir = Some(abs.as_path());
    while let Some(d) = dir {
        if d.join(".git").exists() {
            return d.to_path_buf();
        }
        dir = d.parent();
    }
    crate::config::paths::absolute(Path::new("."))
}

/// A finding path relative to `root` with `/` separators (no `./`), or `None` when outside it.
pub fn relative(root: &Path, path: &str) -> Option<String> {
    crate::config::paths::relative_to(Path::new(path), root)
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
