//! Runs `check` over `fixtures/` and compares the findings with the `//~ FLxxx` markers exactly:
//! a missing finding and an extra finding both fail.

use forklint::catalog::Catalog;
use forklint::check::{self, CheckOptions};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

type Key = (String, u32, String);

fn expected(root: &Path) -> BTreeMap<Key, usize> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(root) {
        let entry = entry.unwrap();
        // Rust marks with `//~`, Python with `#~`.
        let marker = match entry.path().extension().and_then(|e| e.to_str()) {
            Some("rs") => "//~",
            Some("py") => "#~",
            _ => continue,
        };
        let text = std::fs::read_to_string(entry.path()).unwrap();
        for (i, line) in text.lines().enumerate() {
            if let Some((_, marks)) = line.split_once(marker) {
                for rule in marks.split_whitespace() {
                    let key = (
                        entry.path().display().to_string(),
                        i as u32 + 1,
                        rule.to_string(),
                    );
                    *out.entry(key).or_default() += 1;
                }
            }
        }
    }
    out
}

fn actual(root: &Path, prefilter: bool) -> BTreeMap<Key, usize> {
    let report = check::run(
        &[root.to_path_buf()],
        Catalog::builtin(),
        &CheckOptions {
            prefilter,
            ..Default::default()
        },
    )
    .unwrap();
    // Only the files under `errors/` are broken, each reported by name; the rest still count.
    let broken: Vec<&str> = report.errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        broken,
        [Path::new("fixtures/python/errors/broken_syntax.py")
            .display()
            .to_string()],
        "fixtures must parse: {:?}",
        report.errors
    );
    let mut out = BTreeMap::new();
    for f in report.findings {
        let loc = f.location.unwrap();
        *out.entry((loc.path, loc.line, f.rule)).or_default() += 1;
    }
    out
}

fn diff(expected: &BTreeMap<Key, usize>, actual: &BTreeMap<Key, usize>) -> Vec<String> {
    let mut problems = Vec::new();
    for (k, n) in expected {
        let got = actual.get(k).copied().unwrap_or(0);
        if got < *n {
            problems.push(format!(
                "missing: {}:{} {} (expected {n}, got {got})",
                k.0, k.1, k.2
            ));
        }
    }
    for (k, n) in actual {
        let want = expected.get(k).copied().unwrap_or(0);
        if *n > want {
            problems.push(format!(
                "extra:   {}:{} {} (expected {want}, got {n})",
                k.0, k.1, k.2
            ));
        }
    }
    problems
}

fn fixtures() -> PathBuf {
    PathBuf::from("fixtures")
}

#[test]
fn every_marker_fires_and_nothing_else() {
    let want = expected(&fixtures());
    assert!(want.len() > 30, "the fixtures carry markers");
    let got = actual(&fixtures(), true);
    let problems = diff(&want, &got);
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn every_rule_has_firing_and_silent_fixtures() {
    let want = expected(&fixtures());
    for rule in forklint::catalog::rules::all() {
        assert!(
            want.keys().any(|k| k.2 == rule.id),
            "no fixture fires {}",
            rule.id
        );
    }
    let silent = std::fs::read_dir(fixtures().join("silent"))
        .unwrap()
        .count();
    assert!(silent >= 15, "only {silent} silent fixtures");
}

#[test]
fn prefilter_never_changes_findings() {
    assert_eq!(actual(&fixtures(), true), actual(&fixtures(), false));
}
