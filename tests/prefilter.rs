//! The prefilter must never change what `check` reports. A generated workspace of several crates
//! calls its fork points across files and crates through re-exports, `use` aliases, renamed
//! types, methods (typed and by unique name), lazy globals, `#[path]` modules, closures and a
//! `macro_rules!`, next to a Python extension (reported on without a fork point),
//! beside many unrelated files that share names with them; `check` must report exactly the same
//! with the prefilter as without it, and must skip files.

use forklint::catalog::Catalog;
use forklint::pipeline::{self, CheckOptions, CheckReport};
use std::fmt::Write as _;
use std::path::Path;

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn manifest(name: &str) -> String {
    format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n")
}

/// A workspace whose forks are reached only through indirections, plus `noise` files.
fn generate(root: &Path, noise: usize) {
    // forker: the fork points, behind re-exports and renames.
    write(root, "forker/Cargo.toml", &manifest("forker"));
    write(
        root,
        "forker/src/lib.rs",
        "pub mod imp;\n#[path = \"platform_unix.rs\"]\nmod platform;\n\
         pub use imp::spawn_all as start_all;\npub use imp::Pool as WorkerPool;\n\
         pub use platform::daemonize_now;\n",
    );
    write(
        root,
        "forker/src/imp/mod.rs",
        "pub mod detail;\n\
         pub fn spawn_all() {\n    detail::fork_child();\n}\n\
         pub struct Pool;\n\
         impl Pool {\n    pub fn launch(&self) {\n        spawn_all();\n    }\n}\n",
    );
    write(
        root,
        "forker/src/imp/detail.rs",
        "pub fn fork_child() {\n    match unsafe { libc::fork() } {\n        0 => {\n            \
         println!(\"in the child\");\n            std::process::exit(0);\n        }\n        \
         _ => {}\n    }\n}\n",
    );
    write(
        root,
        "forker/src/platform_unix.rs",
        "pub fn daemonize_now() {\n    unsafe { libc::daemon(0, 0) };\n    \
         log::info!(\"daemonized\");\n}\n",
    );
    // app: hazards created in other files, then the forks called through every indirection.
    write(root, "app/Cargo.toml", &manifest("app"));
    write(
        root,
        "app/src/main.rs",
        "mod setup;\nmod pool;\nmod runner;\n\
         use forker::start_all as go;\nuse forker::WorkerPool as Workers;\n\
         fn main() {\n    setup::init();\n    let _ = pool::POOL.current_num_threads();\n    \
         go();\n    let w = Workers;\n    w.launch();\n    runner::Runner::new().kick_off();\n    \
         forker::daemonize_now();\n    std::thread::spawn(|| runner::later());\n}\n",
    );
    write(
        root,
        "app/src/setup.rs",
        "use std::thread;\npub fn init() {\n    thread::spawn(|| loop {});\n}\n",
    );
    write(
        root,
        "app/src/pool.rs",
        "use once_cell::sync::Lazy;\n\
         pub static POOL: Lazy<rayon::ThreadPool> =\n    \
         Lazy::new(|| rayon::ThreadPoolBuilder::new().build().unwrap());\n",
    );
    write(
        root,
        "app/src/runner.rs",
        "pub struct Runner;\nimpl Runner {\n    pub fn new() -> Self {\n        Runner\n    }\n    \
         pub fn kick_off(&self) {\n        let mut c = std::process::Command::new(\"true\");\n        \
         unsafe {\n            std::os::unix::process::CommandExt::pre_exec(&mut c, || {\n                \
         eprintln!(\"pre\");\n                Ok(())\n            });\n        }\n    }\n}\n\
         pub fn later() {\n    crate::setup::init();\n    forker::start_all();\n}\n",
    );
    // tool: reaches forker only through app-like re-exports of its own.
    write(root, "tool/Cargo.toml", &manifest("tool"));
    write(
        root,
        "tool/src/lib.rs",
        "#[macro_use]\nmod macros;\npub mod via;\n\
         pub mod reexp {\n    pub use forker::imp as engine;\n}\n\
         pub fn run_tool() {\n    let _t = std::thread::spawn(|| ());\n    \
         crate::reexp::engine::spawn_all();\n}\n",
    );
    write(
        root,
        "tool/tests/it.rs",
        "#[test]\nfn forks_in_a_test() {\n    tool::run_tool();\n}\n",
    );
    // A `macro_rules!` that forks, defined in one file and used in another of the package.
    write(
        root,
        "tool/src/macros.rs",
        "#[macro_export]\nmacro_rules! boom {\n    () => {\n        \
         match unsafe { libc::fork() } {\n            0 => println!(\"child\"),\n            \
         _ => {}\n        }\n    };\n}\n",
    );
    write(
        root,
        "tool/src/via.rs",
        "pub fn via_macro() {\n    let _t = std::thread::spawn(|| ());\n    boom!();\n}\n",
    );
    // A Python extension: reported on without any fork point, from a file naming none.
    write(root, "pyext/Cargo.toml", &manifest("pyext"));
    write(
        root,
        "pyext/src/lib.rs",
        "mod rt;\nuse pyo3::prelude::*;\n#[pyfunction]\nfn work() {\n    rt::get();\n}\n",
    );
    write(
        root,
        "pyext/src/rt.rs",
        "use std::sync::OnceLock;\nstatic RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();\n\
         pub fn get() {\n    RT.get_or_init(|| tokio::runtime::Runtime::new().unwrap());\n}\n",
    );
    // noise: unrelated crates and files that reuse the same names.
    let mut lib = String::new();
    for i in 0..noise {
        writeln!(lib, "pub mod m{i};").unwrap();
        write(
            root,
            &format!("noise/src/m{i}.rs"),
            &format!(
                "pub struct Pool;\nimpl Pool {{\n    pub fn launch(&self) {{}}\n    \
                 pub fn new() -> Self {{ Pool }}\n}}\n\
                 pub fn spawn_all() {{ let _ = std::thread::spawn(|| {i}); }}\n\
                 pub fn helper_{i}() {{ spawn_all(); Pool::new().launch(); }}\n"
            ),
        );
    }
    write(root, "noise/Cargo.toml", &manifest("noise"));
    write(root, "noise/src/lib.rs", &lib);
}

fn run(root: &Path, prefilter: bool) -> CheckReport {
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

#[test]
fn generated_workspace_same_findings_with_and_without_prefilter() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), 60);
    let with = run(dir.path(), true);
    let without = run(dir.path(), false);
    assert!(with.errors.is_empty(), "{:?}", with.errors);
    let a = format!("{:#?}\n{:#?}", with.findings, with.errors);
    let b = format!("{:#?}\n{:#?}", without.findings, without.errors);
    assert_eq!(a, b);
    for file in [
        "pyext/src/rt.rs",
        "tool/src/via.rs",
        "platform_unix.rs",
        "detail.rs",
    ] {
        assert!(
            with.findings
                .iter()
                .any(|f| f.location.as_ref().is_some_and(|l| l.path.ends_with(file))),
            "no finding in {file}: {a}"
        );
    }
    let rules: std::collections::BTreeSet<&str> =
        with.findings.iter().map(|f| f.rule.as_str()).collect();
    for rule in ["FL001", "FL005"] {
        assert!(rules.contains(rule), "{rule} missing from {a}");
    }
    assert!(
        with.stats.files_skipped >= 50,
        "the noise is skipped: {:?}",
        with.stats
    );
    assert_eq!(without.stats.files_skipped, 0);
    assert_eq!(
        with.stats.files_parsed + with.stats.files_skipped,
        with.stats.files_seen
    );
}

#[test]
fn a_tree_without_fork_points_parses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "quiet/Cargo.toml", &manifest("quiet"));
    write(
        dir.path(),
        "quiet/src/lib.rs",
        "pub fn spawn() { std::thread::spawn(|| ()); }\n",
    );
    let report = run(dir.path(), true);
    assert_eq!(report.stats.files_parsed, 0);
    assert_eq!(report.stats.files_skipped, 1);
    assert!(report.findings.is_empty());
}

#[test]
fn a_grammar_error_is_reported_where_the_file_is_parsed() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing in it can reach a fork: the prefilter skips it, a full parse reports it.
    write(dir.path(), "broken.rs", "fn helper() { let x = ; }\n");
    write(
        dir.path(),
        "forks.rs",
        "fn main() { let _t = std::thread::spawn(|| ()); let _ = unsafe { libc::fork() }; }\n",
    );
    let with = run(dir.path(), true);
    let without = run(dir.path(), false);
    assert_eq!(with.findings.len(), 1, "{:?}", with.findings);
    assert_eq!(
        format!("{:?}", with.findings),
        format!("{:?}", without.findings)
    );
    assert!(with.errors.is_empty(), "{:?}", with.errors);
    assert_eq!(without.errors.len(), 1, "{:?}", without.errors);
    assert!(without.errors[0].path.ends_with("broken.rs"));
}
