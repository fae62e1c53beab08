//! Path matching for `exclude` and `per-file-ignores`: one glob dialect everywhere (gitignore's),
//! relative to the folder of the configuration that wrote the pattern.

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use std::path::{Path, PathBuf};

use crate::source::paths::absolute;

/// `path` relative to `base` with `/` separators, or `None` when it is outside `base`.
pub fn relative_to(path: &Path, base: &Path) -> Option<String> {
    let rel = absolute(path);
    let rel = rel.strip_prefix(absolute(base)).ok()?;
    Some(
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
    )
}

/// A set of gitignore-style patterns (later lines win, `!` re-includes).
#[derive(Debug, Clone)]
pub struct Glob {
    base: PathBuf,
    matcher: Gitignore,
    /// A `per-file-ignores` key written `!pattern`: matches the files the pattern does not.
    negate: bool,
}

impl Glob {
    pub fn new(base: &Path, patterns: &[String]) -> Result<Glob, String> {
        let base = absolute(base);
        let mut builder = GitignoreBuilder::new(&base);
        for p in patterns {
            builder
                .add_line(None, p)
                .map_err(|e| format!("invalid glob `{p}`: {e}"))?;
        }
        let matcher = builder.build().map_err(|e| e.to_string())?;
        Ok(Glob {
            base,
            matcher,
            negate: false,
        })
    }

    /// One `per-file-ignores` key: `tests/**`, or `!src/**` for every file outside `src/`.
    pub fn per_file(base: &Path, key: &str) -> Result<Glob, String> {
        let (negate, pattern) = match key.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, key),
        };
        let mut glob = Glob::new(base, &[pattern.to_string()])?;
        glob.negate = negate;
        Ok(glob)
    }

    pub fn is_empty(&self) -> bool {
        self.matcher.is_empty()
    }

    /// Whether a file (as given: relative to the current folder, or absolute) matches.
    pub fn matches(&self, path: &str) -> bool {
        let abs = absolute(Path::new(path));
        let hit = match abs.strip_prefix(&self.base) {
            Ok(rel) => self
                .matcher
                .matched_path_or_any_parents(rel, false)
                .is_ignore(),
            Err(_) => false,
        };
        hit != self.negate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gitignore_dialect_relative_to_the_base() {
        let base = Path::new("/proj");
        let g = Glob::new(
            base,
            &[
                "generated/".into(),
                "**/*_pb.rs".into(),
                "!keep_pb.rs".into(),
            ],
        )
        .unwrap();
        assert!(g.matches("/proj/generated/a/b.rs"));
        assert!(g.matches("/proj/src/x_pb.rs"));
        assert!(!g.matches("/proj/src/keep_pb.rs"));
        assert!(!g.matches("/proj/src/main.rs"));
        assert!(!g.matches("/elsewhere/generated/a.rs"));
        let not_src = Glob::per_file(base, "!src/**").unwrap();
        assert!(not_src.matches("/proj/tests/a.rs"));
        assert!(!not_src.matches("/proj/src/a.rs"));
    }

    #[test]
    fn relative_to_base() {
        assert_eq!(
            relative_to(Path::new("/a/b/c.rs"), Path::new("/a")).as_deref(),
            Some("b/c.rs")
        );
        assert_eq!(relative_to(Path::new("/x/c.rs"), Path::new("/a")), None);
    }
}
