//! `--baseline FILE` / `--write-baseline`: the findings a project accepted when it adopted
//! forklint. Entries are keyed by rule, path (relative to the baseline file) and fingerprint, with
//! a count, never a line number, so that edits elsewhere in a file do not bring them back.

use crate::diagnostic::Finding;
use crate::gate::config::paths;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What to do with the baseline file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaselineUse {
    /// Hide the findings it records.
    Compare(PathBuf),
    /// Record the current findings in it.
    Write(PathBuf),
}

#[derive(Debug, Serialize, Deserialize)]
struct File {
    version: u32,
    #[serde(default)]
    about: String,
    findings: Vec<Entry>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    rule: String,
    path: String,
    fingerprint: String,
    count: usize,
    /// For the reader of the file; not matched.
    #[serde(default)]
    message: String,
}

type Key = (String, String, String);

#[derive(Debug)]
pub struct Baseline {
    dir: PathBuf,
    entries: BTreeMap<Key, usize>,
}

/// What matching against a baseline left.
#[derive(Debug, Default)]
pub struct Matched {
    pub findings: Vec<Finding>,
    pub fingerprints: Vec<String>,
    pub baselined: usize,
    /// Baseline entries (counted with multiplicity) that matched no finding any more.
    pub stale: usize,
}

fn dir_of(file: &Path) -> PathBuf {
    crate::source::paths::absolute(file)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// A finding's path as stored: relative to the baseline's folder, `/`-separated.
fn stored_path(dir: &Path, path: &str) -> String {
    paths::relative_to(Path::new(path), dir).unwrap_or_else(|| {
        crate::source::paths::absolute(Path::new(path))
            .display()
            .to_string()
    })
}

fn key(dir: &Path, f: &Finding, fingerprint: &str) -> Key {
    let path = f.location.as_ref().map(|l| l.path.as_str()).unwrap_or("");
    (
        f.rule.clone(),
        stored_path(dir, path),
        fingerprint.to_string(),
    )
}

impl Baseline {
    pub fn load(file: &Path) -> Result<Baseline, String> {
        let text = std::fs::read_to_string(file).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "{}: baseline file not found; create it with `--write-baseline`",
                    file.display()
                )
            } else {
                format!("{}: cannot read the baseline: {e}", file.display())
            }
        })?;
        let parsed: File = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}: not a forklint baseline (line {}, column {}): {e}",
                file.display(),
                e.line(),
                e.column()
            )
        })?;
        if parsed.version != 1 {
            return Err(format!(
                "{}: baseline version {} is not supported (expected 1)",
                file.display(),
                parsed.version
            ));
        }
        let mut entries = BTreeMap::new();
        for e in parsed.findings {
            *entries.entry((e.rule, e.path, e.fingerprint)).or_default() += e.count;
        }
        Ok(Baseline {
            dir: dir_of(file),
            entries,
        })
    }

    /// Writes the findings as the new baseline; returns the number of findings recorded.
    pub fn write(
        file: &Path,
        findings: &[Finding],
        fingerprints: &[String],
    ) -> Result<usize, String> {
        let dir = dir_of(file);
        let mut entries: BTreeMap<Key, (usize, String)> = BTreeMap::new();
        for (f, fp) in findings.iter().zip(fingerprints) {
            let slot = entries.entry(key(&dir, f, fp)).or_default();
            slot.0 += 1;
            if slot.1.is_empty() {
                slot.1 = f.message.clone();
            }
        }
        let out = File {
            version: 1,
            about: "forklint baseline: findings accepted when it was written. Regenerate with `forklint check --baseline FILE --write-baseline`.".into(),
            findings: entries
                .into_iter()
                .map(|((rule, path, fingerprint), (count, message))| Entry {
                    rule,
                    path,
                    fingerprint,
                    count,
                    message,
                })
                .collect(),
        };
        let mut text = serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?;
        text.push('\n');
        std::fs::write(file, text)
            .map_err(|e| format!("{}: cannot write the baseline: {e}", file.display()))?;
        Ok(findings.len())
    }

    /// Removes the findings the baseline accounts for (up to each entry's count).
    pub fn apply(&self, findings: Vec<Finding>, fingerprints: Vec<String>) -> Matched {
        let mut left = self.entries.clone();
        let mut out = Matched::default();
        for (f, fp) in findings.into_iter().zip(fingerprints) {
            match left.get_mut(&key(&self.dir, &f, &fp)) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    out.baselined += 1;
                }
                _ => {
                    out.findings.push(f);
                    out.fingerprints.push(fp);
                }
            }
        }
        out.stale = left.values().sum();
        out
    }
}
