//! Which files a `check` of some folders reads: Rust and Python sources, minus build output,
//! installed Python packages and what git ignores. `.gitignore` says which files git leaves
//! untracked, so it applies only inside a git work tree and never to a file git tracks (a
//! pattern such as `src/` in a project's `.gitignore` must not hide its tracked sources).

use crate::diagnostic::InputError;
use crate::frontend::Language;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A path the user named that could not be used at all (missing): the run cannot proceed.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct PathError {
    pub path: String,
    pub reason: String,
}

/// Rust and Python files under the given paths, honouring `.gitignore` for files git does not
/// track and skipping build output; symlinks are not followed, so a walk never leaves the roots
/// or loops.
pub fn collect_files(
    paths: &[PathBuf],
    errors: &mut Vec<InputError>,
) -> Result<Vec<PathBuf>, PathError> {
    let mut out = Vec::new();
    for root in paths {
        let meta = std::fs::metadata(root).map_err(|e| PathError {
            path: root.display().to_string(),
            reason: match e.kind() {
                std::io::ErrorKind::NotFound => "no such file or folder".to_string(),
                _ => e.to_string(),
            },
        })?;
        if meta.is_file() {
            out.push(root.clone());
            continue;
        }
        let walker = ignore::WalkBuilder::new(root)
            .hidden(false)
            .git_ignore(true)
            .git_exclude(true)
            .parents(true)
            .require_git(true)
            .follow_links(false)
            .filter_entry(|e| {
                !(e.file_type().is_some_and(|t| t.is_dir()) && is_skipped_dir(e.path()))
            })
            .build();
        for entry in walker {
            match entry {
                Ok(e) => {
                    if e.file_type().is_some_and(|t| t.is_file())
                        && Language::of(e.path()).is_some()
                    {
                        out.push(e.into_path());
                    }
                }
                Err(e) => errors.push(InputError::whole(error_path(&e, root), walk_reason(&e))),
            }
        }
        out.extend(tracked_but_ignored(root, &out));
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// `.git`; cargo's build folders: a `target` marked with `CACHEDIR.TAG` or beside a
/// `Cargo.toml` (any other folder named `target` holds sources like any folder); and installed
/// Python packages, which are other projects' code: a virtual environment (marked by its
/// `pyvenv.cfg`, PEP 405) and the `site-packages`/`dist-packages` folders installers write
/// (also those of old virtualenvs and committed environments, which have no `pyvenv.cfg`).
/// Only folders below a root are skipped: a folder named on the command line is read.
fn is_skipped_dir(dir: &Path) -> bool {
    match dir.file_name() {
        Some(name) if name == ".git" => true,
        Some(name) if name == "target" => {
            dir.join("CACHEDIR.TAG").is_file()
                || dir.parent().is_some_and(|p| p.join("Cargo.toml").is_file())
        }
        Some(name) if name == "site-packages" || name == "dist-packages" => true,
        _ => dir.join("pyvenv.cfg").is_file(),
    }
}

fn error_path(e: &ignore::Error, root: &Path) -> String {
    match e {
        ignore::Error::WithPath { path, .. } => path.display().to_string(),
        ignore::Error::WithDepth { err, .. } => error_path(err, root),
        ignore::Error::Loop { child, .. } => child.display().to_string(),
        _ => root.display().to_string(),
    }
}

fn walk_reason(e: &ignore::Error) -> String {
    match e {
        ignore::Error::WithPath { err, .. } | ignore::Error::WithDepth { err, .. } => {
            walk_reason(err)
        }
        ignore::Error::Loop { .. } => "symbolic link loop; not followed".to_string(),
        ignore::Error::Io(io) => io.to_string(),
        other => other.to_string(),
    }
}

/// Source files git tracks under `root` that the walk left out because a `.gitignore` pattern
/// matches them. Asks git only when `root` is in a work tree; without git nothing is added (the
/// walk then honoured `.gitignore` as git would for untracked files).
fn tracked_but_ignored(root: &Path, found: &[PathBuf]) -> Vec<PathBuf> {
    let in_work_tree = root
        .canonicalize()
        .is_ok_and(|r| r.ancestors().any(|d| d.join(".git").exists()));
    if !in_work_tree {
        return Vec::new();
    }
    let Ok(output) = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["ls-files", "-z", "--cached", "--", "."])
        .stderr(std::process::Stdio::null())
        .output()
    else {
        return Vec::new();
    };
    if !output.status.success() {
        return Vec::new();
    }
    let seen: BTreeSet<&Path> = found.iter().map(PathBuf::as_path).collect();
    output
        .stdout
        .split(|&b| b == 0)
        .filter(|name| !name.is_empty())
        .filter_map(|name| std::str::from_utf8(name).ok())
        .map(|name| root.join(name))
        .filter(|path| {
            Language::of(path).is_some()
                && !seen.contains(path.as_path())
                && path.is_file()
                && !path
                    .strip_prefix(root)
                    .unwrap_or(path)
                    .ancestors()
                    .any(|d| d.parent().is_some() && is_skipped_dir(&root.join(d)))
        })
        .collect()
}
