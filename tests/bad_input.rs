//! Bad input: each case gets a message naming the path and the reason, the right exit code, and
//! the other files are still analysed; no panic, no stack overflow, no hang.

use std::path::Path;
use std::process::Command;

const HAZARD: &str =
    "fn main() { let _t = std::thread::spawn(|| {}); unsafe { libc::daemon(0, 0) }; }\n";

fn forklint(args: &[&std::ffi::OsStr]) -> (String, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_forklint"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn check_json(dir: &Path) -> (serde_json::Value, i32) {
    let (out, err, code) = forklint(&[
        "check".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        dir.as_os_str(),
    ]);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    (v, code)
}

fn errors_for(v: &serde_json::Value, name: &str) -> Vec<String> {
    v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["path"].as_str().unwrap().ends_with(name))
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn broken_files_are_named_and_the_rest_is_analysed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("good.rs"), HAZARD).unwrap();
    // Grammar and token errors are found where a file is parsed: these fork, so they always are.
    std::fs::write(d.join("syntax.rs"), "fn main( { unsafe { libc::fork() };\n").unwrap();
    std::fs::write(d.join("latin1.rs"), b"fn main() { let s = \"caf\xe9\"; }\n").unwrap();
    std::fs::write(
        d.join("nested.rs"),
        format!(
            "fn f() {{ let x = {}1{}; }}\n",
            "(".repeat(100_000),
            ")".repeat(100_000)
        ),
    )
    .unwrap();
    let mut long = String::from("fn big() {\n");
    for i in 0..50_000 {
        long.push_str(&format!("    let v{i} = {i};\n"));
    }
    long.push_str("}\n");
    std::fs::write(d.join("long.rs"), long).unwrap();
    let (v, code) = check_json(d);
    assert_eq!(code, 1);
    assert_eq!(v["summary"]["files"], 5);
    assert_eq!(
        v["findings"].as_array().unwrap().len(),
        1,
        "good.rs is still analysed"
    );
    assert!(v["findings"][0]["path"]
        .as_str()
        .unwrap()
        .ends_with("good.rs"));
    assert!(
        errors_for(&v, "syntax.rs")[0].contains("does not tokenize"),
        "{v}"
    );
    std::fs::write(
        d.join("syntax.rs"),
        "fn main() { let x = ; unsafe { libc::fork() }; }\n",
    )
    .unwrap();
    let (v, _) = check_json(d);
    assert!(
        errors_for(&v, "syntax.rs")[0].contains("expected")
            && errors_for(&v, "syntax.rs")[0].contains("1:"),
        "{v}"
    );
    assert!(errors_for(&v, "latin1.rs")[0].contains("UTF-8"), "{v}");
    assert!(errors_for(&v, "nested.rs")[0].contains("nesting"), "{v}");
    assert!(
        errors_for(&v, "long.rs").is_empty(),
        "a 50,000-statement function is fine: {v}"
    );
    assert_eq!(v["summary"]["errors"], 3);
}

#[test]
fn missing_path_is_exit_2_with_its_name() {
    let (_, err, code) = forklint(&["check".as_ref(), "no/such/dir".as_ref()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no/such/dir") && err.contains("no such file"),
        "{err}"
    );
}

#[test]
fn empty_folder_is_clean_but_says_nothing_was_checked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "no Rust here").unwrap();
    let (out, err, code) = forklint(&["check".as_ref(), dir.path().as_os_str()]);
    assert_eq!(code, 0);
    assert!(out.contains("No fork hazards found in 0 files"), "{out}");
    assert!(
        err.contains("warning: no Rust or Python files found in")
            && err.contains(&dir.path().display().to_string())
            && err.contains("nothing was checked"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn symlink_loop_does_not_hang() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("a")).unwrap();
    std::os::unix::fs::symlink(d, d.join("a/loop")).unwrap();
    std::fs::write(d.join("a/m.rs"), HAZARD).unwrap();
    let (v, code) = check_json(d);
    assert_eq!(code, 1);
    assert_eq!(v["summary"]["files"], 1);
}

#[test]
fn bad_flag_and_unknown_rule_are_exit_2() {
    let (_, err, code) = forklint(&["check".as_ref(), "--format".as_ref(), "xml".as_ref()]);
    assert_eq!(code, 2);
    assert!(err.contains("xml"), "{err}");
    let (_, err, code) = forklint(&["explain".as_ref(), "FL999".as_ref()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown rule `FL999`") && !err.contains("FL001 ("),
        "{err}"
    );
}
