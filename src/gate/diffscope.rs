//! `--new-from-rev REV`: the lines changed since a git revision (committed, staged or not, and
//! untracked files), from `git diff -U0 REV`. A finding is new when its primary location, a
//! related location or a step of its trace is on a changed line: adding a thread spawn before an
//! old fork makes the fork's finding new.

use crate::diagnostic::Finding;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Lines {
    /// A file git does not track: all of it is new.
    All,
    /// 1-based inclusive ranges.
    Ranges(Vec<(u32, u32)>),
}

#[derive(Debug)]
pub struct Changed {
    root: PathBuf,
    files: HashMap<String, Lines>,
}

fn git(dir: &Path, args: &[&str]) -> Result<std::process::Output, String> {
    // The repository is the one holding the checked path, even when run from a git hook or
    // `rebase --exec`, which export GIT_DIR and friends for their own repository.
    Command::new("git")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_COMMON_DIR")
        .env_remove("GIT_PREFIX")
        .arg("-C")
        .arg(dir)
        .args(["-c", "core.quotePath=false"])
        .args(args)
        .output()
        .map_err(|e| format!("--new-from-rev: cannot run git: {e}"))
}

/// Undoes git's C-style quoting of unusual file names (`"a\tb.rs"`).
fn unquote(name: &str) -> String {
    let Some(inner) = name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) else {
        return name.to_string();
    };
    let mut bytes = Vec::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next() {
            Some('n') => bytes.push(b'\n'),
            Some('t') => bytes.push(b'\t'),
            Some(d @ '0'..='7') => {
                let mut value = d.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    if let Some(n) = chars.peek().and_then(|c| c.to_digit(8)) {
                        value = value * 8 + n;
                        chars.next();
                    }
                }
                bytes.push(value as u8);
            }
            Some(other) => {
                let mut buf = [0u8; 4];
                bytes.extend_from_slice(other.encode_utf8(&mut buf).as_bytes());
            }
            None => {}
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The added or changed line ranges of each file in a `git diff -U0` text. A pure deletion marks
/// the lines on both sides of it, since removing a `join()` changes what the next lines mean.
pub fn parse_diff(text: &str) -> Vec<(String, Vec<(u32, u32)>)> {
    let mut out: Vec<(String, Vec<(u32, u32)>)> = Vec::new();
    let mut current: Option<usize> = None;
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("+++ ") {
            current = if name == "/dev/null" {
                None
            } else {
                let name = unquote(name);
                let name = name.strip_prefix("b/").unwrap_or(&name).to_string();
                out.push((name, Vec::new()));
                Some(out.len() - 1)
            };
        } else if let Some(hunk) = line.strip_prefix("@@ ") {
            let (Some(i), Some(plus)) = (current, hunk.split(' ').find(|p| p.starts_with('+')))
            else {
                continue;
            };
            let mut parts = plus[1..].splitn(2, ',');
            let start: u32 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            let count: u32 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(1);
            let range = if count == 0 {
                (start.max(1), start + 1)
            } else {
                (start, start + count - 1)
            };
            out[i].1.push(range);
        }
    }
    out
}

impl Changed {
    /// Asks git, from the folder of `start`, what changed since `rev`.
    pub fn since(rev: &str, start: &Path) -> Result<Changed, String> {
        let abs = crate::source::paths::absolute(start);
        let dir = if abs.is_dir() {
            abs.clone()
        } else {
            abs.parent().map(Path::to_path_buf).unwrap_or(abs.clone())
        };
        let top = git(&dir, &["rev-parse", "--show-toplevel"])?;
        if !top.status.success() {
            return Err(format!(
                "--new-from-rev: {} is not inside a git repository",
                dir.display()
            ));
        }
        let root = PathBuf::from(String::from_utf8_lossy(&top.stdout).trim());
        let verify = git(
            &root,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{rev}^{{commit}}"),
            ],
        )?;
        if rev.starts_with('-') || !verify.status.success() {
            return Err(format!(
                "--new-from-rev: `{rev}` is not a commit of the repository at {}",
                root.display()
            ));
        }
        let diff = git(
            &root,
            &["diff", "-U0", "--no-color", "--no-ext-diff", rev, "--"],
        )?;
        if !diff.status.success() {
            return Err(format!(
                "--new-from-rev: git diff {rev} failed: {}",
                String::from_utf8_lossy(&diff.stderr).trim()
            ));
        }
        let mut files: HashMap<String, Lines> = parse_diff(&String::from_utf8_lossy(&diff.stdout))
            .into_iter()
            .map(|(name, ranges)| (name, Lines::Ranges(ranges)))
            .collect();
        let untracked = git(&root, &["ls-files", "--others", "--exclude-standard", "-z"])?;
        for name in String::from_utf8_lossy(&untracked.stdout).split('\0') {
            if !name.is_empty() {
                files.insert(name.to_string(), Lines::All);
            }
        }
        let root = std::fs::canonicalize(&root).unwrap_or(root);
        Ok(Changed { root, files })
    }

    /// The repository-relative name of a file as given on the command line.
    fn name_of(&self, path: &str) -> Option<String> {
        let abs = crate::source::paths::absolute(Path::new(path));
        let abs = std::fs::canonicalize(&abs).unwrap_or(abs);
        crate::gate::config::paths::relative_to(&abs, &self.root)
    }

    pub fn touches(&self, path: &str, line: u32) -> bool {
        let Some(name) = self.name_of(path) else {
            return false;
        };
        match self.files.get(&name) {
            Some(Lines::All) => true,
            Some(Lines::Ranges(ranges)) => ranges.iter().any(|&(a, b)| a <= line && line <= b),
            None => false,
        }
    }

    /// Whether any location of the finding is on a changed line.
    pub fn is_new(&self, f: &Finding) -> bool {
        f.location
            .iter()
            .map(|l| (&l.path, l.line))
            .chain(
                f.related
                    .iter()
                    .chain(&f.trace)
                    .map(|r| (&r.location.path, r.location.line)),
            )
            .any(|(path, line)| self.touches(path, line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunks_of_a_zero_context_diff() {
        let diff = "diff --git a/src/a.rs b/src/a.rs\nindex 1..2 100644\n--- a/src/a.rs\n+++ b/src/a.rs\n@@ -3,0 +4,2 @@ fn main() {\n+x\n+y\n@@ -10 +12 @@\n-a\n+b\n@@ -20,2 +21,0 @@\n-c\n-d\ndiff --git a/gone.rs b/gone.rs\n--- a/gone.rs\n+++ /dev/null\n@@ -1 +0,0 @@\n-z\ndiff --git \"a/we\\tird.rs\" \"b/we\\tird.rs\"\n+++ \"b/we\\tird.rs\"\n@@ -1 +1 @@\n";
        assert_eq!(
            parse_diff(diff),
            [
                ("src/a.rs".to_string(), vec![(4, 5), (12, 12), (21, 22)]),
                ("we\tird.rs".to_string(), vec![(1, 1)]),
            ]
        );
        assert_eq!(unquote("\"caf\\303\\251.rs\""), "café.rs");
    }
}
