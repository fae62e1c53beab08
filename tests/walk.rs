//! Which files a folder's check reads: `.gitignore` decides for files git does not track, never
//! for tracked ones, and means nothing outside a git work tree; installed Python packages are
//! other projects' code, unless named on the command line.

mod common;
mod prereq;

use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> bool {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Paths (relative, sorted) of the files with findings when checking `dir`.
fn reported(dir: &Path) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_forklint"))
        .args(["check", "--format", "json", "."])
        .current_dir(dir)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut paths: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

fn project(dir: &Path) {
    for (path, text) in [
        (".gitignore", "src/\ngen/\n"),
        ("src/main.rs", common::THREAD_FORK),
        ("gen/out.rs", common::THREAD_FORK),
    ] {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

#[test]
fn tracked_sources_are_read_whatever_gitignore_says() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    if !git(dir.path(), &["init", "-q"]) {
        return prereq::missing("git");
    }
    // Tracked although `.gitignore` matches it, as a project may have done before adding the
    // pattern; `gen/out.rs` stays untracked.
    assert!(git(dir.path(), &["add", "-f", ".gitignore", "src/main.rs"]));
    assert_eq!(reported(dir.path()), ["src/main.rs"]);
}

#[test]
fn gitignore_means_nothing_outside_a_work_tree() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    assert_eq!(reported(dir.path()), ["gen/out.rs", "src/main.rs"]);
}

/// A Python program whose fork follows a started thread: FL001 wherever it is read.
const PY_THREAD_FORK: &str = "import os, threading\n\nthreading.Thread(target=print).start()\nif os.fork() == 0:\n    print('child')\n";

#[test]
fn installed_python_packages_are_not_the_projects_code() {
    let dir = tempfile::tempdir().unwrap();
    for path in [
        "app.py",
        // A committed old-style virtualenv has no `pyvenv.cfg`, only its `site-packages`.
        "venv/lib/python2.7/site-packages/billiard/pool.py",
        "deb/usr/lib/python3/dist-packages/celery/worker.py",
        // A PEP 405 environment, whatever its folder is called.
        "py311/bin/tool.py",
    ] {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, PY_THREAD_FORK).unwrap();
    }
    std::fs::write(dir.path().join("py311/pyvenv.cfg"), "home = /usr/bin\n").unwrap();
    assert_eq!(reported(dir.path()), ["app.py"]);
    // Named on the command line, an environment's files are read like any others.
    let out = Command::new(env!("CARGO_BIN_EXE_forklint"))
        .args(["check", "--format", "json", "py311"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"][0]["path"], "py311/bin/tool.py");
}
