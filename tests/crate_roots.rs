//! Findings depend on the files, not on where `check` runs or how their paths are spelled: the
//! crate root is found from the files themselves (the `Cargo.toml` above them, or without one the
//! `mod` declarations), and only cargo's build output is skipped, not every folder named `target`.

mod common;

use common::{forklint, project};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Each finding as one line: rule, place, message and related places, with every path made
/// relative to `base` so that runs from different folders compare.
fn findings(cwd: &Path, args: &[&str], base: &Path) -> Vec<String> {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let run = forklint(cwd, &all);
    assert!(run.code == 0 || run.code == 1, "{run:?}");
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    let base = base.canonicalize().unwrap();
    let rel = |p: &Value| -> String {
        let Some(p) = p.as_str() else {
            return String::new();
        };
        let abs = cwd.join(p).canonicalize().unwrap();
        abs.strip_prefix(&base).unwrap().display().to_string()
    };
    let mut out: Vec<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let related: Vec<String> = f["related"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| format!("{}:{} {}", rel(&r["path"]), r["line"], r["message"]))
                .collect();
            format!(
                "{} {}:{}:{} {} {related:?}",
                f["rule"],
                rel(&f["path"]),
                f["line"],
                f["column"],
                f["message"]
            )
        })
        .collect();
    out.sort();
    out
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn prefork_app() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/crates/prefork_app")
}

#[test]
fn same_findings_from_every_folder_and_spelling() {
    let root = prefork_app();
    let src = root.join("src");
    let want = findings(&root, &["."], &src);
    assert_eq!(want.len(), 4, "{want:#?}");
    let abs = src.display().to_string();
    for (cwd, args) in [
        (src.clone(), vec!["."]),
        (src.join("net"), vec![".."]),
        (src.join("net"), vec!["../../src"]),
        (root.clone(), vec!["./src/../src"]),
        (root.parent().unwrap().to_path_buf(), vec!["prefork_app"]),
        (std::env::temp_dir(), vec![abs.as_str()]),
    ] {
        assert_eq!(
            findings(&cwd, &args, &src),
            want,
            "from {cwd:?} with {args:?}"
        );
    }

    // The same files without their manifest, and the whole crate elsewhere.
    let copy = tempfile::tempdir().unwrap();
    copy_tree(&src, copy.path());
    assert!(!copy.path().join("Cargo.toml").exists());
    assert_eq!(
        findings(copy.path(), &["."], copy.path()),
        want,
        "no Cargo.toml"
    );
    let nested = copy.path().join("net");
    assert_eq!(
        findings(&nested, &[".."], copy.path()),
        want,
        "no Cargo.toml, from net/"
    );
    let whole = tempfile::tempdir().unwrap();
    copy_tree(&root, whole.path());
    let whole_src = whole.path().join("src");
    assert_eq!(
        findings(&whole_src, &["."], &whole_src),
        want,
        "copied crate"
    );
}

#[test]
fn only_build_output_is_skipped() {
    let fork_after_thread = "pub fn run() {\n    let t = std::thread::spawn(|| {});\n    if unsafe { libc::fork() } == 0 {\n        serve();\n    }\n    drop(t);\n}\n\nfn serve() -> ! {\n    loop {\n        accept();\n    }\n}\n";
    let dir = project(&[
        (
            "Cargo.toml",
            "[package]\nname = \"cc\"\nversion = \"0.1.0\"\n",
        ),
        (
            "src/main.rs",
            "mod target;\n\nfn main() {\n    target::run();\n}\n",
        ),
        // A module that happens to be called `target`: source, not build output.
        ("src/target/mod.rs", fork_after_thread),
        // Cargo's build folder beside the manifest.
        ("target/debug/build/out/gen.rs", fork_after_thread),
        // A build folder marked by its tag elsewhere.
        (
            "tools/target/CACHEDIR.TAG",
            "Signature: 8a477f597d28d172789f06886806bc55\n",
        ),
        ("tools/target/gen.rs", fork_after_thread),
    ]);
    let got = findings(dir.path(), &["."], dir.path());
    assert_eq!(got.len(), 1, "{got:#?}");
    assert!(got[0].contains("src/target/mod.rs:3:"), "{got:#?}");
}
