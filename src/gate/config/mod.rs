//! The project configuration: `forklint.toml`, `.forklint.toml`, or the `forklint` table of a
//! `Cargo.toml`'s `[workspace.metadata]`/`[package.metadata]`; how it is found, read and turned
//! into rule levels, file excludes and catalogue extensions.

pub mod extend;
pub mod levels;
pub mod paths;
pub mod read;
pub mod suggest;
pub mod template;

pub use levels::{FailOn, Level, Levels, Step};

use std::path::{Path, PathBuf};

/// What a catalogue extension teaches forklint about a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtensionKind {
    ThreadSpawner,
    ConnectionConstructor,
    ForkFunction,
    AllowedInChild,
}

/// One entry of `extra-thread-spawners`, `extra-connection-constructors`, `extra-fork-functions`
/// or `allowed-in-child`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    pub kind: ExtensionKind,
    pub path: Option<String>,
    pub method: Option<String>,
    pub macro_name: Option<String>,
    pub krate: Option<String>,
    pub reason: String,
    pub label: Option<String>,
    /// For fork functions: the parent exits and the child goes on (`daemon(3)`).
    pub daemon: bool,
    /// Where the entry starts in its file.
    pub line: u32,
}

/// A configuration as read; the default is "no configuration".
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file it was read from.
    pub file: Option<PathBuf>,
    /// The folder its globs are relative to.
    pub base: PathBuf,
    pub select: Option<Vec<String>>,
    pub ignore: Vec<String>,
    pub exclude: Vec<String>,
    pub per_file_ignores: Vec<(String, Vec<String>)>,
    pub lints: Vec<(String, Level)>,
    pub fail_on: Option<FailOn>,
    pub require_reasons: bool,
    pub extensions: Vec<Extension>,
}

/// The file names looked for in each folder, in order, before `Cargo.toml`.
pub const FILE_NAMES: &[&str] = &["forklint.toml", ".forklint.toml"];

const CARGO_TABLES: &[&[&str]] = &[
    &["package", "metadata", "forklint"],
    &["workspace", "metadata", "forklint"],
];

/// Reads a configuration file named on the command line: a `Cargo.toml` is read for its metadata
/// tables, anything else as a `forklint.toml`.
pub fn load(file: &Path) -> Result<Config, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("{}: cannot read the configuration: {e}", file.display()))?;
    if file.file_name().is_some_and(|n| n == "Cargo.toml") {
        for table in CARGO_TABLES {
            if let Some(c) = read::read(file, &text, table)? {
                return Ok(c);
            }
        }
        return Err(format!(
            "{}: has no [package.metadata.forklint] or [workspace.metadata.forklint] table",
            file.display()
        ));
    }
    Ok(read::read(file, &text, &[])?.unwrap_or_default())
}

/// Walks up from `start` (a file or folder) to the first folder holding a configuration:
/// `forklint.toml`, `.forklint.toml`, or a `Cargo.toml` with a `forklint` metadata table.
pub fn discover(start: &Path) -> Result<Option<Config>, String> {
    let start = crate::source::paths::absolute(start);
    let mut dir = if start.is_dir() {
        Some(start.as_path())
    } else {
        start.parent()
    };
    while let Some(d) = dir {
        for name in FILE_NAMES {
            let candidate = d.join(name);
            if candidate.is_file() {
                return load(&candidate).map(Some);
            }
        }
        let manifest = d.join("Cargo.toml");
        if manifest.is_file() {
            let text = std::fs::read_to_string(&manifest)
                .map_err(|e| format!("{}: cannot read: {e}", manifest.display()))?;
            // Only a manifest that mentions forklint is parsed: a broken Cargo.toml without our
            // table is cargo's business, not ours.
            if text.contains("forklint") {
                for table in CARGO_TABLES {
                    if let Some(c) = read::read(&manifest, &text, table)? {
                        return Ok(Some(c));
                    }
                }
            }
        }
        dir = d.parent();
    }
    Ok(None)
}

impl Config {
    /// The config's part of the level steps (select, ignore, `[lints]`) and its per-file ignores.
    pub fn levels(&self) -> Result<Levels, String> {
        let mut out = Levels::default();
        if let Some(select) = &self.select {
            out.config.push(Step::Select(select.clone()));
        }
        if !self.ignore.is_empty() {
            out.config.push(Step::Ignore(self.ignore.clone()));
        }
        for (id, level) in &self.lints {
            out.config.push(Step::Set(id.clone(), *level));
        }
        for (glob, ids) in &self.per_file_ignores {
            let g = paths::Glob::per_file(&self.base, glob).map_err(|e| self.name_error(e))?;
            out.per_file.push((g, ids.clone()));
        }
        Ok(out)
    }

    /// The `exclude` patterns as one matcher.
    pub fn exclude_glob(&self) -> Result<paths::Glob, String> {
        paths::Glob::new(&self.base, &self.exclude).map_err(|e| self.name_error(e))
    }

    fn name_error(&self, e: String) -> String {
        match &self.file {
            Some(f) => format!("{}: {e}", f.display()),
            None => e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_prefers_forklint_toml_then_cargo_metadata_walking_up() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("ws/member/src")).unwrap();
        std::fs::write(
            root.join("ws/Cargo.toml"),
            "[workspace]\nmembers = [\"member\"]\n[workspace.metadata.forklint]\nignore = [\"FL007\"]\n",
        )
        .unwrap();
        std::fs::write(
            root.join("ws/member/Cargo.toml"),
            "[package]\nname = \"member\"\n",
        )
        .unwrap();
        let found = discover(&root.join("ws/member/src")).unwrap().unwrap();
        assert_eq!(found.ignore, ["FL007"]);
        assert_eq!(found.file.unwrap(), root.join("ws/Cargo.toml"));
        std::fs::write(
            root.join("ws/member/forklint.toml"),
            "ignore = [\"FL002\"]\n",
        )
        .unwrap();
        let found = discover(&root.join("ws/member/src")).unwrap().unwrap();
        assert_eq!(found.ignore, ["FL002"]);
        assert!(discover(root).unwrap().is_none() || root.parent().is_some());
    }
}
