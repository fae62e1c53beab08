//! What a new user meets first: every flag works where it is accepted (or is refused there), help
//! says only what is true, paths print as the user would write them, and mistakes get a message
//! that says what to do.

mod common;

use common::{cargo_forklint, forklint, project, CLEAN, THREAD_FORK};
use forklint::inspect::model::Report;

#[test]
fn rules_accepts_only_the_formats_it_prints() {
    let dir = project(&[]);
    let json = forklint(dir.path(), &["rules", "--format", "json"]);
    assert_eq!(json.code, 0, "{json:?}");
    let list: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(list[0]["id"], "FL001", "{list}");
    for args in [
        &["rules", "--format", "sarif"][..],
        &["rules", "--format", "github"],
        &["rules", "--format", "concise"],
        &["rules", "--format", "gitlab"],
        &["rules", "-q"],
        &["rules", "--color", "always"],
    ] {
        let run = forklint(dir.path(), args);
        assert_eq!(run.code, 2, "{args:?} is refused, not ignored: {run:?}");
        assert!(run.stdout.is_empty(), "{args:?}: {run:?}");
    }
}

#[test]
fn rules_table_columns_line_up() {
    let dir = project(&[]);
    let run = forklint(dir.path(), &["rules"]);
    assert_eq!(run.code, 0, "{run:?}");
    // The column after the name starts at the same place on every row, the longest name included.
    let starts: Vec<usize> = run
        .stdout
        .lines()
        .map(|l| {
            let after_name = l[7..].find(' ').unwrap() + 7;
            after_name + l[after_name..].find(|c: char| c != ' ').unwrap()
        })
        .collect();
    assert!(starts.len() >= 10, "{run:?}");
    assert!(
        starts.iter().all(|s| *s == starts[0]),
        "{starts:?}\n{run:?}"
    );
    assert!(run
        .stdout
        .contains("FL901  suppression-without-reason  warning"));
}

#[test]
fn inspect_help_offers_only_what_it_accepts() {
    let dir = project(&[]);
    let help = forklint(dir.path(), &["inspect", "--help"]);
    assert_eq!(help.code, 0, "{help:?}");
    assert!(
        help.stdout.contains("[possible values: human, json]"),
        "{help:?}"
    );
    for format in ["sarif", "github", "gitlab", "concise"] {
        assert!(!help.stdout.contains(format), "{format}: {help:?}");
        let run = forklint(dir.path(), &["inspect", "--format", format, "1"]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.stderr.contains("possible values: human, json"),
            "{run:?}"
        );
    }
    assert!(
        help.stdout
            .contains("Print only the findings and the verdict (no threads, fds,"),
        "{help:?}"
    );
}

/// A report as inspect builds it, from its JSON form.
fn report(fds: &str, not_checked: &str) -> Report {
    let threads: Vec<String> =
        std::iter::once(r#"{"tid": 10, "name": "app", "state": "S"}"#.to_string())
            .chain(
                (11..15).map(|t| format!(r#"{{"tid": {t}, "name": "stop-step", "state": "S"}}"#)),
            )
            .chain([
                r#"{"tid": 20, "name": "pool", "state": "S"}"#.to_string(),
                r#"{"tid": 21, "name": "pool", "state": "R"}"#.to_string(),
            ])
            .collect();
    let json = format!(
        r#"{{"version": 1, "pid": 10, "command": "server --port 1", "executable": null, "verdict": "unsafe",
            "threads": [{}], "fds": {fds}, "locks": [], "libraries": [], "executable_imports": [],
            "environment": [], "findings": [], "not_checked": {not_checked}, "platform": "linux"}}"#,
        threads.join(",")
    );
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

#[test]
fn inspect_says_when_fds_could_not_be_read() {
    let unread = report(
        "[]",
        r#"[{"check": "fds", "reason": "permission denied: run as the owner or with CAP_SYS_PTRACE"}]"#,
    );
    let text = forklint::report::inspect::human(&unread, false, false);
    assert!(!text.contains("fds (0)"), "{text}");
    assert!(
        text.contains("fds  not read (see \"not checked\")"),
        "{text}"
    );
    let none = report("[]", "[]");
    let text = forklint::report::inspect::human(&none, false, false);
    assert!(
        text.contains("fds (0)"),
        "a process with no fds has none: {text}"
    );
}

#[test]
fn inspect_groups_threads_by_name_with_a_count() {
    let text = forklint::report::inspect::human(&report("[]", "[]"), false, false);
    let row = |name: &str| {
        text.lines()
            .find(|l| l.split_whitespace().any(|w| w == name))
            .unwrap_or_else(|| panic!("no {name} row: {text}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(row("stop-step"), "4 threads stop-step S creator unknown");
    assert_eq!(row("pool"), "2 threads pool 1 R, 1 S creator unknown");
    assert_eq!(row("app"), "10 app S main thread");
}

#[test]
fn inspect_quiet_keeps_the_findings_and_the_verdict_only() {
    let text = forklint::report::inspect::human(&report("[]", "[]"), false, true);
    assert!(!text.contains("threads ("), "{text}");
    assert!(text.contains("verdict: UNSAFE"), "{text}");
}

#[test]
fn paths_under_the_current_folder_print_without_dot_slash() {
    let dir = project(&[("src/main.rs", THREAD_FORK), ("src/clean.rs", CLEAN)]);
    for args in [&["check"][..], &["check", "."], &["check", "./src"]] {
        let mut all = args.to_vec();
        all.extend(["--format", "concise"]);
        let run = forklint(dir.path(), &all);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.stdout.starts_with("src/main.rs:4:24: FL001 "),
            "{args:?}: {run:?}"
        );
    }
    let human = forklint(dir.path(), &["check", "."]);
    assert!(human.stdout.contains("--> src/main.rs:4:24"), "{human:?}");
    assert!(!human.stdout.contains("./src"), "{human:?}");
    let json = forklint(dir.path(), &["check", ".", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["findings"][0]["path"], "src/main.rs", "{v}");
}

#[test]
fn the_summary_says_what_exit_code_1_means() {
    let dir = project(&[("src/main.rs", THREAD_FORK)]);
    let run = forklint(dir.path(), &["check"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .trim_end()
            .ends_with("Exit code 1: fork hazards at or above `--fail-on error` were found."),
        "{run:?}"
    );
    let warned = forklint(
        dir.path(),
        &["check", "--fail-on", "warning", "-W", "FL001"],
    );
    assert!(
        warned.stdout.contains("at or above `--fail-on warning`"),
        "{warned:?}"
    );
    let passing = forklint(dir.path(), &["check", "--exit-zero"]);
    assert_eq!(passing.code, 0);
    assert!(!passing.stdout.contains("Exit code"), "{passing:?}");
    let broken = project(&[("src/main.rs", "fn main( {\n")]);
    let run = forklint(broken.path(), &["check", "src/main.rs"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("Exit code 1: a file could not be analysed."),
        "{run:?}"
    );
}

#[test]
fn explain_suggests_the_nearest_rule() {
    let dir = project(&[]);
    let run = forklint(dir.path(), &["explain", "thread-before-fok"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stdout.is_empty(), "no rule dumped: {run:?}");
    assert!(
        run.stderr
            .contains("unknown rule `thread-before-fok`; did you mean `thread-before-fork`?"),
        "{run:?}"
    );
    let far = forklint(dir.path(), &["explain", "nothing-like-a-rule"]);
    assert_eq!(far.code, 2);
    assert!(
        far.stderr.contains("`forklint rules` lists them"),
        "{far:?}"
    );
}

#[test]
fn cargo_subcommand_usage_says_cargo_forklint() {
    let dir = project(&[]);
    for args in [&["--help"][..], &["check", "--help"]] {
        let run = cargo_forklint(dir.path(), args);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stdout.contains("Usage: cargo forklint"), "{run:?}");
        assert!(!run.stdout.contains("cargo-forklint"), "{run:?}");
    }
    let direct = forklint(dir.path(), &["--help"]);
    assert!(direct.stdout.contains("Usage: forklint"), "{direct:?}");
}
