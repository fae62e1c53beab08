//! Runs `check` over `fixtures/` and compares the findings with the `//~ FLxxx` markers exactly:
//! a missing finding and an extra finding both fail.

use forklint::catalog::Catalog;
use forklint::pipeline::{self, CheckOptions};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

type Key = (String, u32, String);

fn expected(root: &Path) -> BTreeMap<Key, usize> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(root) {
        let entry = entry.unwrap();
        // Rust marks with `//~`; Python, and the command lines read with it, with `#~`.
        let marker = match forklint::frontend::Language::of(entry.path()) {
            Some(forklint::frontend::Language::Rust) => "//~",
            Some(forklint::frontend::Language::Python) => "#~",
            None => continue,
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

fn check(root: &Path, prefilter: bool) -> pipeline::CheckReport {
    pipeline::run(
        &[root.to_path_buf()],
        Catalog::builtin(),
        &CheckOptions {
            prefilter,
            ..Default::default()
        },
    )
    .unwrap()
}

fn actual(root: &Path, prefilter: bool) -> BTreeMap<Key, usize> {
    let report = check(root, prefilter);
    // Only the files under `errors/` are broken, each reported by name and analysed in part;
    // the rest still count.
    let broken: Vec<&str> = report.errors.iter().map(|e| e.path.as_str()).collect();
    let dir = Path::new("fixtures/python/errors");
    let mut want: Vec<String> = std::fs::read_dir(root.join("python/errors"))
        .unwrap()
        .map(|e| dir.join(e.unwrap().file_name()).display().to_string())
        .collect();
    want.sort();
    assert_eq!(broken, want, "fixtures must parse: {:?}", report.errors);
    assert!(report.errors.iter().all(|e| e.partial && e.line.is_some()));
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

/// The whole report: findings with their related locations and traces, and errors.
fn whole_report(root: &Path, prefilter: bool) -> String {
    let report = check(root, prefilter);
    format!("{:#?}\n{:#?}", report.findings, report.errors)
}

#[test]
fn prefilter_never_changes_findings() {
    assert_eq!(actual(&fixtures(), true), actual(&fixtures(), false));
    // Most of the whole folder's bytes are seeds, so it is parsed whole; each crate alone is a
    // tree the prefilter selects files from and drops bodies in.
    let mut roots = vec![fixtures()];
    let mut crates: Vec<PathBuf> = std::fs::read_dir(fixtures().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    crates.sort();
    roots.extend(crates);
    for root in roots {
        let with = whole_report(&root, true);
        assert_eq!(with, whole_report(&root, false), "{}", root.display());
        // Methods the linker finds only through a declared return type, or in an `impl`
        // written in another module than the type (under its own name or another, or as the
        // self type of a trait's `impl`).
        for (name, reached) in [
            ("handle_from_library", "reaches Box::new"),
            ("impl_in_child_module", "reaches format!"),
            ("impl_under_another_name", "reaches format!"),
            ("trait_impl_in_child_module", "reaches format!"),
            // Reached only through `pub use ..::*` and a rename of the re-exported path.
            ("kiln_behind_globs", "then calls `start_firing()`"),
        ] {
            if root.ends_with(name) {
                assert!(with.contains(reached), "{with}");
            }
        }
    }
}

#[test]
fn an_exit_in_the_child_is_named_as_called() {
    let path = fixtures().join("fl006/nix_reexported_libc_exit.rs");
    let report = pipeline::run(&[path], Catalog::builtin(), &CheckOptions::default()).unwrap();
    let messages: Vec<&str> = report.findings.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].contains("leaves through `libc::exit`"),
        "{messages:?}"
    );
}

fn findings_of(file: &str) -> Vec<forklint::diagnostic::Finding> {
    pipeline::run(
        &[fixtures().join(file)],
        Catalog::builtin(),
        &CheckOptions::default(),
    )
    .unwrap()
    .findings
}

#[test]
fn findings_in_test_code_are_warnings() {
    let found = findings_of("fl005/test_fork_child_allocates.rs");
    assert!(!found.is_empty());
    for f in found {
        assert_eq!(
            f.severity,
            forklint::diagnostic::Severity::Warning,
            "{}",
            f.message
        );
    }
}

/// Python severities follow what the hazard depends on: an explicit fork with a thread is an
/// error; a fork that only happens under the default start method is at most a warning.
#[test]
fn python_severities_follow_what_the_fork_depends_on() {
    use forklint::diagnostic::Severity;
    let severities = |file: &str| -> Vec<(String, Severity)> {
        findings_of(file)
            .into_iter()
            .map(|f| (f.rule, f.severity))
            .collect()
    };
    assert_eq!(
        severities("python/fl001/daemonize_after_watchdog.py"),
        [("FL001".to_string(), Severity::Error)]
    );
    assert_eq!(
        severities("python/fl001/dataloader_subclass_iterates_itself.py"),
        [("FL001".to_string(), Severity::Warning)]
    );
}

#[test]
fn a_library_fork_reached_only_from_tests_gives_warnings() {
    use forklint::diagnostic::Severity;
    let found = findings_of("crates/terminal_fork");
    assert!(found.len() >= 3, "{found:?}");
    assert!(found.iter().all(|f| f.severity == Severity::Warning));
    // The program's own thread makes the other fork of the same library an error.
    let found = findings_of("crates/lib_with_tests");
    let at = |line: u32| {
        found
            .iter()
            .find(|f| {
                f.location
                    .as_ref()
                    .is_some_and(|l| l.line == line && l.path.ends_with("src/lib.rs"))
            })
            .map(|f| f.severity)
    };
    assert_eq!(at(6), Some(Severity::Error));
    assert_eq!(at(12), Some(Severity::Warning));
    // A test reaches the first fork as well: the message still leads with the program's thread.
    let first = found
        .iter()
        .find(|f| f.location.as_ref().is_some_and(|l| l.line == 6))
        .unwrap();
    assert!(!first.message.contains("libtest"), "{}", first.message);
}

#[test]
fn process_group_is_suggested_only_for_a_closure_that_does_no_more() {
    let only = findings_of("fl008/pre_exec_new_process_group.rs");
    assert!(
        only[0].help.contains("process_group(0)"),
        "{}",
        only[0].help
    );
    let session = findings_of("fl008/pre_exec_session_and_terminal.rs");
    assert!(
        !session[0].help.contains("process_group(0)"),
        "{}",
        session[0].help
    );
}

#[test]
fn a_use_in_the_child_of_what_the_parent_made_is_shown() {
    for file in [
        "fl002/queue_popped_in_child.rs",
        "fl001/runtime_entered_in_child.rs",
        "fl004/guard_held_child_locks_again.rs",
    ] {
        let found = findings_of(file);
        assert!(
            found[0]
                .related
                .iter()
                .any(|r| r.message.contains("used in the child here")),
            "{file}: {:?}",
            found[0].related
        );
    }
}

/// Code between fork and exec in a library whose callers are all outside the tree: their threads
/// are unknown, so its findings are warnings that name the entry point and say why.
#[test]
fn a_library_entry_point_spawns_with_its_callers_threads_unknown() {
    use forklint::diagnostic::Severity;
    for krate in ["crates/launcher_api", "crates/pty_fork_api"] {
        let found = findings_of(krate);
        assert!(!found.is_empty(), "{krate}");
        for f in &found {
            assert_eq!(f.severity, Severity::Warning, "{}", f.message);
            assert!(
                f.related
                    .iter()
                    .any(|r| r.message.contains("callers are outside the analysed code")),
                "{krate}: {:?}",
                f.related
            );
        }
    }
}

/// A fork made in a helper is one finding at the helper's fork call; each call of the helper
/// made while the thread runs is a related location, and a call made before it is not.
#[test]
fn a_fork_in_a_helper_names_each_call_that_leads_to_it() {
    let found = findings_of("fl001/fork_helper_reported_once_at_its_fork.rs");
    let calls_at = |line: u32| -> Vec<u32> {
        let f = found
            .iter()
            .find(|f| f.rule == "FL001" && f.location.as_ref().is_some_and(|l| l.line == line))
            .unwrap_or_else(|| panic!("no FL001 at line {line}: {found:?}"));
        f.related
            .iter()
            .filter(|r| r.message.ends_with("(which forks) called here"))
            .map(|r| r.location.line)
            .collect()
    };
    assert_eq!(calls_at(10), [34, 39]);
    assert_eq!(calls_at(14), [43, 44, 45]);
}
