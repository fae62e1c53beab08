//! Configuration from the command line's point of view: discovery, `--config`, `--isolated`,
//! precedence of config and flags, every key, catalogue extensions, malformed files, `init`.

mod common;

use common::{concise, forklint, project, rules, write, CHILD_EXIT, THREAD_FORK};

fn check(dir: &std::path::Path, args: &[&str]) -> common::Run {
    let mut all = vec!["check", "--format", "concise", "-q"];
    all.extend_from_slice(args);
    forklint(dir, &all)
}

#[test]
fn discovery_walks_up_from_the_first_path() {
    let dir = project(&[
        ("forklint.toml", "ignore = [\"FL001\"]\n"),
        ("crate/src/deep/fork.rs", THREAD_FORK),
    ]);
    // Found from a folder two levels below, and from a file.
    assert_eq!(
        rules(&check(dir.path(), &["crate/src/deep"]).stdout),
        Vec::<String>::new()
    );
    assert_eq!(
        rules(&check(&dir.path().join("crate"), &["src/deep/fork.rs"]).stdout),
        Vec::<String>::new()
    );
    // `.forklint.toml` is found too, and the closest file wins.
    write(
        dir.path(),
        &[("crate/.forklint.toml", "ignore = [\"FL006\"]\n")],
    );
    assert_eq!(rules(&check(dir.path(), &["crate/src"]).stdout), ["FL001"]);
    // --isolated ignores it; --config names another.
    assert_eq!(
        rules(&check(dir.path(), &["--isolated", "crate/src"]).stdout),
        ["FL001"]
    );
    write(dir.path(), &[("other.toml", "[lints]\nFL001 = \"warn\"\n")]);
    let run = check(
        dir.path(),
        &[
            "--config",
            "other.toml",
            "crate/src",
            "--fail-on",
            "warning",
        ],
    );
    assert_eq!(rules(&run.stdout), ["FL001"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        check(dir.path(), &["--config", "other.toml", "crate/src"]).code,
        0,
        "FL001 is a warning now"
    );
}

#[test]
fn cargo_toml_metadata_tables() {
    let dir = project(&[
        (
            "Cargo.toml",
            "[workspace]\nmembers = [\"app\"]\n\n[workspace.metadata.forklint]\nignore = [\"FL001\"]\n",
        ),
        ("app/Cargo.toml", "[package]\nname = \"app\"\nversion = \"0.1.0\"\n"),
        ("app/src/main.rs", THREAD_FORK),
        ("app/src/bin/child.rs", CHILD_EXIT),
    ]);
    assert_eq!(rules(&check(dir.path(), &["app"]).stdout), ["FL006"]);
    // A package table is closer than the workspace's.
    write(
        dir.path(),
        &[(
            "app/Cargo.toml",
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\n\n[package.metadata.forklint]\nignore = [\"FL006\"]\n",
        )],
    );
    assert_eq!(rules(&check(dir.path(), &["app"]).stdout), ["FL001"]);
    // --config accepts a Cargo.toml.
    assert_eq!(
        rules(&check(dir.path(), &["--config", "Cargo.toml", "app"]).stdout),
        ["FL006"]
    );
    let run = check(dir.path(), &["--config", "app/src/main.rs", "app"]);
    assert_eq!(run.code, 2, "{run:?}");
}

#[test]
fn command_line_beats_config_and_later_flags_win() {
    let dir = project(&[
        (
            "forklint.toml",
            "select = [\"FL001\"]\n[lints]\nthread-before-fork = \"warn\"\n",
        ),
        ("src/fork.rs", THREAD_FORK),
        ("src/child.rs", CHILD_EXIT),
    ]);
    let run = check(dir.path(), &["src"]);
    assert_eq!(rules(&run.stdout), ["FL001"]);
    assert_eq!(run.code, 0, "config made FL001 a warning: {run:?}");
    assert_eq!(check(dir.path(), &["src", "-D", "FL001"]).code, 1);
    assert_eq!(
        check(
            dir.path(),
            &["src", "-D", "FL001", "-W", "thread-before-fork"]
        )
        .code,
        0
    );
    assert_eq!(
        check(dir.path(), &["src", "-W", "FL001", "--deny", "FL001"]).code,
        1
    );
    assert!(rules(&check(dir.path(), &["src", "-D", "FL001", "-A", "FL001"]).stdout).is_empty());
    // --select replaces the config's select; -W can turn on a rule the config's select left out.
    assert_eq!(
        rules(&check(dir.path(), &["src", "--select", "FL006"]).stdout),
        ["FL006"]
    );
    assert_eq!(
        rules(&check(dir.path(), &["src", "-W", "exit-in-child"]).stdout),
        ["FL006", "FL001"]
    );
    assert!(rules(&check(dir.path(), &["src", "--ignore", "FL001"]).stdout).is_empty());
}

#[test]
fn exclude_per_file_ignores_fail_on_and_lints() {
    let dir = project(&[
        (
            "forklint.toml",
            r#"
exclude = ["generated/"]
fail-on = "warning"

[per-file-ignores]
"tests/**" = ["FL001"]
"!src/**" = ["exit-in-child"]

[lints]
FL006 = "deny"
"#,
        ),
        ("src/fork.rs", THREAD_FORK),
        ("src/child.rs", CHILD_EXIT),
        ("tests/fork.rs", THREAD_FORK),
        ("tests/child.rs", CHILD_EXIT),
        ("generated/fork.rs", THREAD_FORK),
    ]);
    let run = check(dir.path(), &["."]);
    let got: Vec<(String, String)> = concise(&run.stdout)
        .into_iter()
        .map(|(p, _, r)| (p, r))
        .collect();
    assert_eq!(
        got,
        [
            ("src/child.rs".to_string(), "FL006".to_string()),
            ("src/fork.rs".to_string(), "FL001".to_string()),
        ],
        "{run:?}"
    );
    let json = forklint(dir.path(), &["check", ".", "--format", "json"]);
    assert!(
        json.stdout.contains("\"severity\": \"error\""),
        "lints made FL006 deny"
    );
    assert!(!json.stdout.contains("\"severity\": \"warning\""));
    // A file named on the command line is checked even when excluded, unless --force-exclude.
    assert_eq!(
        rules(&check(dir.path(), &["generated/fork.rs"]).stdout),
        ["FL001"]
    );
    assert!(rules(&check(dir.path(), &["--force-exclude", "generated/fork.rs"]).stdout).is_empty());
    // fail-on from the config; the flag wins.
    write(dir.path(), &[("forklint.toml", "fail-on = \"warning\"\n")]);
    assert_eq!(check(dir.path(), &["src/child.rs"]).code, 1);
    assert_eq!(
        check(dir.path(), &["src/child.rs", "--fail-on", "error"]).code,
        0
    );
    write(dir.path(), &[("forklint.toml", "fail-on = \"never\"\n")]);
    assert_eq!(check(dir.path(), &["src/fork.rs"]).code, 0);
}

const WRAPPERS: &str = "use std::os::unix::process::CommandExt;

fn main() {
    acme::pool::start();
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        serve();
    }
    let stream = acme::db::connect(\"db:5432\");
    match unsafe { libc::fork() } {
        0 => {
            talk(&stream);
            unsafe { libc::_exit(0) };
        }
        _ => talk(&stream),
    }
    let mut cmd = std::process::Command::new(\"/bin/true\");
    unsafe {
        cmd.pre_exec(|| {
            acme_sys::write_raw(2);
            Ok(())
        });
    }
    let _ = cmd.spawn();
}

fn serve() {}
fn talk<T>(_s: &T) {}
";

const FORK_WRAPPER: &str = "fn main() {
    std::thread::spawn(|| {});
    if acme::proc::fork_worker() == 0 {
        serve();
    }
}

fn serve() {}
";

#[test]
fn catalogue_extensions_teach_forklint_a_teams_wrappers() {
    let files = [
        ("app/Cargo.toml", "[package]\nname = \"app\"\nversion = \"0.1.0\"\n"),
        ("app/src/main.rs", WRAPPERS),
        ("app/src/bin/worker.rs", FORK_WRAPPER),
        ("sys/Cargo.toml", "[package]\nname = \"acme-sys\"\nversion = \"0.1.0\"\n"),
        (
            "sys/src/lib.rs",
            "pub fn write_raw(fd: i32) {\n    let msg = format!(\"fd {fd}\");\n    let _ = msg;\n}\n",
        ),
    ];
    let dir = project(&files);
    // Without configuration no thread is known, so the allocation in the `pre_exec` closure
    // holds no lock that another thread could own: nothing is reported.
    let before = check(dir.path(), &["."]);
    assert_eq!(concise(&before.stdout), [], "{before:?}");
    write(
        dir.path(),
        &[(
            "forklint.toml",
            r#"
[[extra-thread-spawners]]
path = "acme::pool::start"
reason = "starts the worker pool"

[[extra-connection-constructors]]
path = "acme::db::connect"
reason = "opens a PostgreSQL connection"

[[extra-fork-functions]]
path = "acme::proc::fork_worker"
reason = "wraps libc::fork"

[[allowed-in-child]]
path = "acme_sys::write_raw"
reason = "reviewed: only write(2) in release builds"
"#,
        )],
    );
    let after = check(dir.path(), &["."]);
    let got: Vec<(u32, String)> = concise(&after.stdout)
        .into_iter()
        .filter(|f| f.0.ends_with("main.rs"))
        .map(|(_, l, r)| (l, r))
        .collect();
    assert_eq!(
        got,
        [
            (5, "FL001".into()),
            (10, "FL001".into()),
            (10, "FL002".into()),
            // The first child falls out of its branch and runs the rest of `main`: building
            // and spawning the Command allocate there.
            (17, "FL005".into()),
            // The pre_exec closure makes std fork while the pool's threads run (FL008); the
            // call inside it is allowed, so no FL005.
            (19, "FL008".into()),
            (24, "FL005".into())
        ],
        "{after:?}"
    );
    assert!(
        after
            .stdout
            .contains("fork() while threads started by `acme::pool::start` may be running"),
        "{after:?}"
    );
    assert!(
        after.stdout.contains("app/src/bin/worker.rs:3:8: FL001 `acme::proc::fork_worker` while a thread may be running"),
        "{after:?}"
    );
}

#[test]
fn require_reasons_from_config() {
    let dir = project(&[
        ("forklint.toml", "require-reasons = true\n"),
        (
            "a.rs",
            "fn main() {\n    let w = std::thread::spawn(|| {});\n    // forklint: allow(FL001)\n    let pid = unsafe { libc::fork() };\n    if pid == 0 { serve(); }\n    drop(w);\n}\nfn serve() {}\n",
        ),
    ]);
    let run = check(dir.path(), &["a.rs"]);
    assert_eq!(
        concise(&run.stdout),
        [("a.rs".to_string(), 3, "FL901".to_string())],
        "{run:?}"
    );
}

#[test]
fn malformed_configuration_is_an_error_naming_file_line_and_nearest_key() {
    let dir = project(&[("src/fork.rs", THREAD_FORK)]);
    let cases: &[(&str, &str)] = &[
        ("selct = [\"FL001\"]\n", "forklint.toml:1:1: unknown key `selct`; did you mean `select`?"),
        ("ignore = [\"FL001\"]\n[lints]\nFL002 = \"deni\"\n", "forklint.toml:3:9: unknown level `deni` (allow, warn or deny); did you mean `deny`?"),
        ("ignore = [\"trhead-before-fork\"]\n", "forklint.toml:1:11: unknown rule `trhead-before-fork`; did you mean `thread-before-fork`?"),
        ("[[extra-thread-spawners]]\npath = \"a::b\"\n", "needs a `reason`"),
        ("[[extra-fork-functions]]\npath = \"a::b\"\nreason = \"r\"\nknd = \"fork\"\n", "forklint.toml:4:1: unknown key `knd` in a `extra-fork-functions` entry; did you mean `kind`?"),
        ("exclude = \"target\"\n", "forklint.toml:1:11: `exclude` must be an array of strings, not string"),
        ("exclude = [\n", "forklint.toml:"),
        ("require-reasons = \"yes\"\n", "`require-reasons` must be true or false"),
    ];
    for (text, want) in cases {
        write(dir.path(), &[("forklint.toml", text)]);
        let run = check(dir.path(), &["src"]);
        assert_eq!(run.code, 2, "{text}: {run:?}");
        assert!(
            run.stderr.contains(want),
            "{text}: wanted {want:?} in {run:?}"
        );
        assert!(run.stdout.is_empty(), "{run:?}");
    }
    std::fs::remove_file(dir.path().join("forklint.toml")).unwrap();
    write(
        dir.path(),
        &[(
            "Cargo.toml",
            "[package]\nname = \"x\"\n[package.metadata.forklint]\nignroe = []\n",
        )],
    );
    let run = check(dir.path(), &["src"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("Cargo.toml:4:1: unknown key `ignroe` in [package.metadata.forklint]; did you mean `ignore`?"),
        "{run:?}"
    );
    let run = check(dir.path(), &["--config", "nope.toml", "src"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("nope.toml: cannot read the configuration"),
        "{run:?}"
    );
}

#[test]
fn init_writes_a_commented_template_that_check_accepts() {
    let dir = project(&[("src/fork.rs", THREAD_FORK)]);
    let run = forklint(dir.path(), &["init"]);
    assert_eq!(run.code, 0, "{run:?}");
    let text = std::fs::read_to_string(dir.path().join("forklint.toml")).unwrap();
    assert!(text.contains("# [[extra-thread-spawners]]"));
    assert_eq!(rules(&check(dir.path(), &["src"]).stdout), ["FL001"]);
    let again = forklint(dir.path(), &["init"]);
    assert_eq!(again.code, 2);
    assert!(
        again.stderr.contains("already exists; pass --force"),
        "{again:?}"
    );
    assert_eq!(forklint(dir.path(), &["init", "--force"]).code, 0);
}
