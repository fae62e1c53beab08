//! Hostile folder trees: a crowded folder, symlink loops and symlinks out of the root, files
//! deleted or made unreadable while the walk runs, names that are not UTF-8, a `mod` cycle
//! through `#[path]`, a FIFO named like a source file. Each must end on its own, report the
//! problem by name where one is due, and analyse every other file.

mod prereq;
mod support;

use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::Duration;
use support::run::{check_json, forklint};
use support::trees::{self, WITNESS};

const LIMIT: Duration = Duration::from_secs(300);

#[test]
fn hundred_thousand_files_in_one_folder() {
    let dir = trees::tempdir();
    let n = 100_000;
    trees::crowded_folder(&dir.path().join("many"), n);
    let out = check_json(dir.path(), &["many"], LIMIT);
    out.assert_clean("100,000 files");
    let report = out.json();
    assert_eq!(report["summary"]["files"].as_u64(), Some(n as u64));
    assert_eq!(report["summary"]["errors"].as_u64(), Some(0));
    assert_eq!(trees::findings(&report).len(), n, "one finding per file");
    assert!(out.max_rss < 4 << 30, "peak {} MiB", out.max_rss >> 20);
    eprintln!(
        "100,000 files: {:?}, {} MiB peak",
        out.elapsed,
        out.max_rss >> 20
    );
}

#[test]
fn symlink_loops_do_not_hang() {
    let dir = trees::tempdir();
    let root = dir.path().join("root");
    trees::write(&root.join("a/witness.rs"), WITNESS);
    symlink("..", root.join("a/up")).unwrap();
    symlink(".", root.join("a/self")).unwrap();
    symlink(root.join("a"), root.join("a/abs")).unwrap();
    symlink("loop2", root.join("loop1")).unwrap();
    symlink("loop1", root.join("loop2")).unwrap();
    symlink("loop1.rs", root.join("loop1.rs")).unwrap();
    let out = check_json(dir.path(), &["root"], LIMIT);
    out.assert_clean("symlink loops");
    let report = out.json();
    assert!(trees::has_witness(&report, "root/a/witness.rs"), "{report}");
    assert_eq!(report["summary"]["files"].as_u64(), Some(1), "{report}");
}

/// The security rule: a symlink inside the root that points outside it is never followed, so the
/// hazardous file it leads to is not analysed (nor any file through a link to a file).
#[test]
fn symlinks_out_of_the_root_are_not_followed() {
    let dir = trees::tempdir();
    let outside = dir.path().join("outside");
    trees::write(&outside.join("secret.rs"), WITNESS);
    let root = dir.path().join("root");
    trees::write(&root.join("mine.rs"), "fn main() {}\n");
    symlink(&outside, root.join("linked_dir")).unwrap();
    symlink(outside.join("secret.rs"), root.join("linked_file.rs")).unwrap();
    symlink("../outside", root.join("relative_link")).unwrap();
    let out = check_json(dir.path(), &["root"], LIMIT);
    out.assert_clean("symlinks out of the root");
    let report = out.json();
    assert_eq!(trees::findings(&report), Vec::new(), "{report}");
    assert_eq!(report["summary"]["files"].as_u64(), Some(1), "{report}");
    assert_eq!(out.code, Some(0));
}

#[test]
fn names_that_are_not_utf8_are_analysed() {
    use std::os::unix::ffi::OsStrExt;
    let dir = trees::tempdir();
    let root = dir.path().join("root");
    let bad_dir = root.join(std::ffi::OsStr::from_bytes(b"d\xff\xfe"));
    std::fs::create_dir_all(&bad_dir).unwrap();
    let bad = bad_dir.join(std::ffi::OsStr::from_bytes(b"x\x80y.rs"));
    if std::fs::write(&bad, WITNESS).is_err() {
        return prereq::missing("this file system refuses names that are not UTF-8");
    }
    trees::write(&root.join("witness.rs"), WITNESS);
    let out = check_json(dir.path(), &["root"], LIMIT);
    out.assert_clean("non-UTF-8 names");
    let report = out.json();
    let found = trees::findings(&report);
    assert_eq!(found.len(), 2, "{report}");
    assert!(
        found
            .iter()
            .any(|(p, _, _)| p.starts_with("root/d") && p.ends_with("y.rs")),
        "{found:?}"
    );
    // The human output prints such a path too (lossily), without failing.
    let human = forklint(dir.path(), &["check", "root"], LIMIT);
    human.assert_clean("non-UTF-8 names, human output");
    assert_eq!(human.code, Some(1));
}

#[test]
fn mod_cycle_through_path_attributes() {
    let dir = trees::tempdir();
    let root = dir.path().join("root");
    trees::write(
        &root.join("Cargo.toml"),
        "[package]\nname = \"cyc\"\nversion = \"0.1.0\"\n",
    );
    trees::write(
        &root.join("src/main.rs"),
        "#[path = \"a.rs\"]\nmod a;\nfn main() {\n    let _t = std::thread::spawn(|| {});\n    a::go();\n}\n",
    );
    trees::write(
        &root.join("src/a.rs"),
        "#[path = \"b.rs\"]\nmod b;\npub fn go() {\n    b::go();\n}\n",
    );
    trees::write(
        &root.join("src/b.rs"),
        "#[path = \"a.rs\"]\nmod a;\n#[path = \"b.rs\"]\nmod me;\npub fn go() {\n    let _ = unsafe { libc::fork() };\n    a::go();\n}\n",
    );
    let out = check_json(dir.path(), &["root"], LIMIT);
    out.assert_clean("mod cycle");
    let report = out.json();
    assert_eq!(report["summary"]["files"].as_u64(), Some(3), "{report}");
    assert_eq!(report["summary"]["errors"].as_u64(), Some(0), "{report}");
}

#[test]
fn fifo_named_like_a_source_file_is_not_opened() {
    let dir = trees::tempdir();
    let root = dir.path().join("root");
    trees::write(&root.join("witness.rs"), WITNESS);
    let fifo = root.join("pipe.rs");
    let ok = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        return prereq::missing("mkfifo is not available");
    }
    // In a folder: skipped as not a regular file. Named directly: refused, not read (a read
    // would block forever with no writer).
    let out = check_json(dir.path(), &["root"], Duration::from_secs(60));
    out.assert_clean("fifo in a folder");
    assert!(trees::has_witness(&out.json(), "root/witness.rs"));
    let out = check_json(
        dir.path(),
        &["root/pipe.rs", "root/witness.rs"],
        Duration::from_secs(60),
    );
    out.assert_clean("fifo named");
}

/// Files deleted, replaced by folders and made unreadable while the walk runs: every error names a
/// file, and the files left alone are all analysed.
#[test]
fn files_changing_during_the_walk() {
    let dir = trees::tempdir();
    let root = dir.path().join("root");
    let stable = root.join("stable");
    let churn = root.join("churn");
    trees::crowded_folder(&stable, 2_000);
    trees::crowded_folder(&churn, 20_000);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let churner = {
        let (churn, stop) = (churn.clone(), stop.clone());
        std::thread::spawn(move || churn_files(&churn, &stop))
    };
    let out = check_json(dir.path(), &["root"], LIMIT);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    churner.join().unwrap();
    out.assert_clean("files changing during the walk");
    let report = out.json();
    for (path, message) in trees::errors(&report) {
        assert!(path.starts_with("root/churn/"), "{path}: {message}");
        assert!(!message.is_empty());
    }
    let found = trees::findings(&report);
    for i in 0..2_000 {
        let path = format!("root/stable/f{i:06}.rs");
        assert!(
            found.iter().any(|(p, _, _)| *p == path),
            "{path} was not analysed"
        );
    }
}

/// Deletes, recreates, truncates and swaps files for folders until told to stop.
fn churn_files(dir: &Path, stop: &std::sync::atomic::AtomicBool) {
    let mut i = 0usize;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let path = dir.join(format!("f{:06}.rs", i % 20_000));
        match i % 4 {
            0 => {
                let _ = std::fs::remove_file(&path);
            }
            1 => {
                let _ = std::fs::remove_file(&path);
                let _ = std::fs::create_dir(&path);
            }
            2 => {
                let _ = std::fs::remove_dir(&path);
                let _ = std::fs::write(&path, &WITNESS.as_bytes()[..i % WITNESS.len()]);
            }
            _ => {
                let _ = std::fs::write(&path, WITNESS);
            }
        }
        i = i.wrapping_add(7);
    }
}

/// A file and a folder without read permission: each is reported by name, the rest analysed.
/// Root reads anything, so as root the run drops to `nobody` through `setpriv` when it can; if
/// it cannot, the case is skipped with a message rather than pretended.
#[test]
fn unreadable_files_and_folders_are_reported_by_name() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix("hostile")
        .tempdir()
        .unwrap();
    let root = dir.path().join("root");
    trees::write(&root.join("witness.rs"), WITNESS);
    trees::write(&root.join("locked.rs"), WITNESS);
    trees::write(&root.join("closed/inner.rs"), WITNESS);
    let perms = |p: &Path, mode: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    perms(dir.path(), 0o755);
    perms(&root, 0o755);
    perms(&root.join("witness.rs"), 0o644);
    perms(&root.join("locked.rs"), 0o000);
    perms(&root.join("closed"), 0o000);
    let bin = env!("CARGO_BIN_EXE_forklint");
    let is_root = unsafe { libc::geteuid() } == 0;
    let out = if is_root {
        // The binary must be reachable by `nobody` too.
        let probe = std::process::Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "test",
                "-x",
                bin,
            ])
            .status();
        if !probe.is_ok_and(|s| s.success()) {
            return prereq::missing(
                "running as root without setpriv to drop to an unprivileged user",
            );
        }
        support::run::command(
            dir.path(),
            "setpriv",
            &[
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                bin,
                "check",
                "--format",
                "json",
                "root",
            ],
            LIMIT,
        )
    } else {
        check_json(dir.path(), &["root"], LIMIT)
    };
    perms(&root.join("closed"), 0o755);
    out.assert_clean("unreadable files");
    let report = out.json();
    let errors = trees::errors(&report);
    assert!(
        errors
            .iter()
            .any(|(p, m)| p == "root/locked.rs" && m.contains("ermission")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|(p, m)| p == "root/closed" && m.contains("ermission")),
        "{errors:?}"
    );
    assert!(trees::has_witness(&report, "root/witness.rs"), "{report}");
    assert_eq!(out.code, Some(1));
}
