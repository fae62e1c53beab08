//! Adopting forklint on existing code: inline suppressions (used, unused, malformed, without a
//! reason), the baseline round trip, `--new-from-rev` on a real git repository, stdin for editors,
//! and `cargo forklint`.

mod common;

use common::{
    cargo_forklint, concise, forklint, forklint_stdin, project, rules, write, CHILD_EXIT,
    THREAD_FORK,
};
use std::path::Path;

fn check(dir: &Path, args: &[&str]) -> common::Run {
    let mut all = vec!["check", "--format", "concise", "-q"];
    all.extend_from_slice(args);
    forklint(dir, &all)
}

const SUPPRESSED: &str = r#"// forklint: allow-file(exit-in-child, reason = "the child runs no destructors here")
fn main() {
    let worker = std::thread::spawn(|| loop { std::thread::park(); });
    let pid = unsafe { libc::fork() }; // forklint: allow(FL001, reason = "audited")
    if pid == 0 {
        serve();
    }
    // forklint: allow(thread-before-fork, connection-before-fork)
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        serve();
    }
    let s = "// forklint: allow(FL001)";
    let pid = unsafe { libc::fork() }; let _ = s;
    if pid == 0 {
        serve();
    }
    // forklint: allow(FL01, reason = "typo")
    let _ = 1; // forklint: allow(FL004, reason = "stale")
    drop(worker);
    match unsafe { libc::fork() } {
        0 => std::process::exit(0),
        _ => {}
    }
}

fn serve() {}
"#;

#[test]
fn suppressions_used_unused_invalid_and_reasons() {
    let dir = project(&[("src/main.rs", SUPPRESSED)]);
    let run = check(dir.path(), &["src"]);
    let got: Vec<(u32, String)> = concise(&run.stdout)
        .into_iter()
        .map(|(_, l, r)| (l, r))
        .collect();
    assert_eq!(
        got,
        [
            (8, "FL000".to_string()),
            (14, "FL001".to_string()),
            (18, "FL900".to_string()),
            (19, "FL000".to_string()),
            // The child leaves through `exit`, which is not async-signal-safe.
            (21, "FL001".to_string()),
        ],
        "{run:?}"
    );
    assert!(run.stdout.contains("src/main.rs:8:5: FL000 unused suppression: no FL002 (connection-before-fork) finding on line 9"), "{run:?}");
    assert!(
        run.stdout.contains(
            "FL900 invalid suppression comment: unknown rule `FL01`; did you mean `FL001`?"
        ),
        "{run:?}"
    );
    assert!(
        run.stdout
            .contains("FL000 unused suppression: no FL004 (lock-across-fork) finding on line 19"),
        "{run:?}"
    );
    assert_eq!(run.code, 1, "the FL001 on line 14 is an error");
    // Meta-rules have levels like every rule; reasons are reported only when asked for.
    let run = check(
        dir.path(),
        &["src", "-A", "FL000", "-A", "FL900", "-A", "FL001"],
    );
    assert!(run.stdout.is_empty(), "{run:?}");
    let run = check(
        dir.path(),
        &["src", "--require-reasons", "--select", "FL901"],
    );
    assert_eq!(
        concise(&run.stdout),
        [("src/main.rs".to_string(), 8, "FL901".to_string())],
        "{run:?}"
    );
    // The human summary counts what was suppressed.
    let human = forklint(dir.path(), &["check", "src"]);
    assert!(
        human.stdout.contains("(3 suppressed not shown)."),
        "{human:?}"
    );
    // A suppression of a rule that is off is not "unused".
    let run = check(dir.path(), &["src", "--ignore", "FL002,FL004"]);
    assert_eq!(rules(&run.stdout), ["FL001", "FL900", "FL001"], "{run:?}");
}

#[test]
fn suppressions_in_files_the_prefilter_skips_and_parses() {
    // `quiet.rs` reaches no fork, so the prefilter never parses it (it is most of the tree, so no
    // round takes it along, and large enough for the prefilter to run); its directive is still
    // read (and is unused), and those in `main.rs` still apply.
    let mut quiet =
        "pub fn helper() {\n    // forklint: allow(FL003, reason = \"kept\")\n    let _ = 1;\n}\n"
            .to_string();
    for i in 0..9000 {
        quiet.push_str(&format!("pub fn filler_{i}() -> u32 {{ {i} + 1 }}\n"));
    }
    let dir = project(&[("src/main.rs", SUPPRESSED), ("src/quiet.rs", &quiet)]);
    let with = check(dir.path(), &["src", "--stats"]);
    let without = check(dir.path(), &["src", "--no-prefilter"]);
    assert!(with.stderr.contains("skipped by prefilter 1"), "{with:?}");
    assert_eq!(with.stdout, without.stdout);
    assert!(
        with.stdout
            .contains("src/quiet.rs:2:5: FL000 unused suppression"),
        "{with:?}"
    );
    assert!(!with.stdout.contains("main.rs:22"), "{with:?}");
}

#[test]
fn baseline_round_trip_survives_unrelated_edits() {
    let dir = project(&[("src/fork.rs", THREAD_FORK), ("src/child.rs", CHILD_EXIT)]);
    let run = check(
        dir.path(),
        &[
            "src",
            "--baseline",
            "forklint-baseline.json",
            "--write-baseline",
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("recorded 2 findings in the baseline"),
        "{run:?}"
    );
    let text = std::fs::read_to_string(dir.path().join("forklint-baseline.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["findings"][0]["rule"], "FL001");
    assert_eq!(v["findings"][0]["path"], "src/fork.rs");
    assert_eq!(v["findings"][0]["count"], 1);
    assert!(
        !text.contains("\"line\""),
        "no line numbers in the baseline"
    );
    // Nothing new.
    let run = check(dir.path(), &["src", "--baseline", "forklint-baseline.json"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{run:?}");
    // Unrelated edits move the findings down and reformat around them: still nothing new.
    let moved = format!(
        "// A new header comment.\nuse std::io;\n\n{}\nfn added() -> io::Result<()> {{ Ok(()) }}\n",
        THREAD_FORK.replace("let _ = 1;", "let _ = 2;\n    let _ = 3;")
    );
    write(dir.path(), &[("src/fork.rs", &moved)]);
    let run = check(dir.path(), &["src", "--baseline", "forklint-baseline.json"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{run:?}");
    let human = forklint(
        dir.path(),
        &["check", "src", "--baseline", "forklint-baseline.json"],
    );
    assert!(
        human.stdout.contains("(2 in the baseline not shown)."),
        "{human:?}"
    );
    // A second copy of the same hazard is new: the baseline counts.
    write(dir.path(), &[("src/fork2.rs", THREAD_FORK)]);
    let run = check(dir.path(), &["src", "--baseline", "forklint-baseline.json"]);
    assert_eq!(
        concise(&run.stdout),
        [("src/fork2.rs".to_string(), 4, "FL001".to_string())]
    );
    assert_eq!(run.code, 1);
    // The baseline path is relative to the baseline file, so another folder works too.
    let run = check(
        &dir.path().join("src"),
        &[".", "--baseline", "../forklint-baseline.json"],
    );
    assert_eq!(rules(&run.stdout), ["FL001"], "{run:?}");
    // A fixed finding leaves a stale entry, reported on stderr.
    write(dir.path(), &[("src/child.rs", "fn main() {}\n")]);
    let run = forklint(
        dir.path(),
        &[
            "check",
            "src/child.rs",
            "--baseline",
            "forklint-baseline.json",
        ],
    );
    assert!(run.stderr.contains("match no finding any more"), "{run:?}");
}

#[test]
fn malformed_or_missing_baseline_is_an_error_naming_the_file() {
    let dir = project(&[("src/fork.rs", THREAD_FORK)]);
    let run = check(dir.path(), &["src", "--baseline", "none.json"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("none.json: baseline file not found; create it with `--write-baseline`"),
        "{run:?}"
    );
    for (text, want) in [
        (
            "{ not json",
            "bad.json: not a forklint baseline (line 1, column 3)",
        ),
        (
            "{\"version\": 7, \"findings\": []}",
            "bad.json: baseline version 7 is not supported",
        ),
        (
            "{\"version\": 1, \"findings\": [{\"rule\": \"FL001\"}]}",
            "bad.json: not a forklint baseline",
        ),
    ] {
        write(dir.path(), &[("bad.json", text)]);
        let run = check(dir.path(), &["src", "--baseline", "bad.json"]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(run.stderr.contains(want), "wanted {want:?}: {run:?}");
    }
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = common::isolated("git", dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .env("GIT_CEILING_DIRECTORIES", dir.parent().unwrap())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

const FORK_ONLY: &str = "fn main() {
    let _ = 1;
    let _ = 2;
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        serve();
    }
}

fn serve() {}
";

#[test]
fn new_from_rev_reports_only_findings_on_changed_lines() {
    let dir = project(&[("src/old.rs", THREAD_FORK), ("src/grows.rs", FORK_ONLY)]);
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    // Never commit anywhere but the temporary repository.
    assert_eq!(
        Path::new(&git(root, &["rev-parse", "--show-toplevel"]))
            .canonicalize()
            .unwrap(),
        root.canonicalize().unwrap()
    );
    git(root, &["config", "user.name", "forklint tests"]);
    git(root, &["config", "user.email", "tests@forklint.invalid"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "base"]);
    // Nothing changed: the old finding is not new.
    let run = check(root, &["src", "--new-from-rev", "HEAD"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{run:?}");
    // A thread spawn added above an unchanged fork makes that fork's finding new; an edit far
    // from the old finding does not; an untracked file is new as a whole.
    write(
        root,
        &[
            (
                "src/grows.rs",
                &FORK_ONLY.replace("let _ = 2;", "let _w = std::thread::spawn(|| {});"),
            ),
            (
                "src/old.rs",
                &format!("{THREAD_FORK}\nfn unrelated() {{}}\n"),
            ),
            ("src/new.rs", CHILD_EXIT),
        ],
    );
    git(root, &["add", "src/grows.rs"]);
    git(root, &["commit", "-q", "-m", "spawn"]);
    let run = check(root, &["src", "--new-from-rev", "HEAD~1"]);
    assert_eq!(
        concise(&run.stdout),
        [
            ("src/grows.rs".to_string(), 4, "FL001".to_string()),
            ("src/new.rs".to_string(), 4, "FL006".to_string()),
        ],
        "{run:?}"
    );
    let human = forklint(root, &["check", "src", "--new-from-rev", "HEAD~1"]);
    assert!(
        human.stdout.contains("(1 on unchanged lines not shown)."),
        "{human:?}"
    );
    // Clear errors for a bad revision and outside a repository.
    let run = check(root, &["src", "--new-from-rev", "no-such-rev"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("--new-from-rev: `no-such-rev` is not a commit of the repository"),
        "{run:?}"
    );
    let outside = project(&[("a.rs", THREAD_FORK)]);
    let run = check(outside.path(), &["a.rs", "--new-from-rev", "HEAD"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("is not inside a git repository"),
        "{run:?}"
    );
}

#[test]
fn stdin_with_a_file_name_for_editors() {
    let dir = project(&[
        (
            "forklint.toml",
            "[per-file-ignores]\n\"generated/**\" = [\"FL001\"]\n",
        ),
        (
            "src/lib.rs",
            "// the text on disk differs from the editor's buffer\n",
        ),
    ]);
    let run = forklint_stdin(
        dir.path(),
        &[
            "check",
            "-",
            "--stdin-filename",
            "src/lib.rs",
            "--format",
            "concise",
        ],
        THREAD_FORK,
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .starts_with("src/lib.rs:4:24: FL001 fork() while a thread may be running\n"),
        "{run:?}"
    );
    // Path-based configuration applies to the name given.
    let run = forklint_stdin(
        dir.path(),
        &[
            "check",
            "-",
            "--stdin-filename",
            "generated/x.rs",
            "--format",
            "concise",
            "-q",
        ],
        THREAD_FORK,
    );
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{run:?}");
    // Suppressions are read from the buffer, and the human snippet shows the buffer.
    let buffer = THREAD_FORK.replace(
        "libc::fork() };",
        "libc::fork() }; // forklint: allow(FL001, reason = \"r\")",
    );
    let run = forklint_stdin(
        dir.path(),
        &["check", "-", "--stdin-filename", "src/lib.rs"],
        &buffer,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let run = forklint_stdin(
        dir.path(),
        &["check", "-", "--stdin-filename", "src/lib.rs"],
        THREAD_FORK,
    );
    assert!(
        run.stdout
            .contains("4 |     let pid = unsafe { libc::fork() };"),
        "{run:?}"
    );
    let run = forklint_stdin(dir.path(), &["check", "-", "src"], "");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("cannot be combined"), "{run:?}");
    let run = forklint_stdin(
        dir.path(),
        &["check", "-", "--format", "concise", "-q"],
        "fn main( {",
    );
    assert_eq!(run.code, 1);
    assert!(run.stdout.starts_with("<stdin>: error: "), "{run:?}");
}

#[test]
fn cargo_subcommand_passes_arguments_through() {
    let dir = project(&[
        (
            "Cargo.toml",
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\n",
        ),
        ("src/main.rs", THREAD_FORK),
    ]);
    let run = cargo_forklint(dir.path(), &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("error[FL001]"), "{run:?}");
    let run = cargo_forklint(dir.path(), &["check", "src", "--format", "concise", "-q"]);
    assert_eq!(
        run.stdout,
        "src/main.rs:4:24: FL001 fork() while a thread may be running\n"
    );
    let run = cargo_forklint(dir.path(), &["--format", "json", "--exit-zero"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("\"rule\": \"FL001\""), "{run:?}");
    let run = cargo_forklint(dir.path(), &["explain", "FL001"]);
    assert!(
        run.stdout.starts_with("# FL001 thread-before-fork"),
        "{run:?}"
    );
}
