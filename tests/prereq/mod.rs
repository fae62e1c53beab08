//! What a test does when something it needs from the machine is missing (a program, a kernel
//! feature, a permission): under CI that is a failure, since a test that passes without running
//! proves nothing; elsewhere the test says on stderr that it was skipped and why.

/// Whether the tests run under CI: `CI` set to anything but empty, `0` or `false`.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

/// Call as `return prereq::missing("why")` at the point a test cannot go on.
pub fn missing(why: &str) {
    assert!(
        !in_ci(),
        "prerequisite missing under CI: {why} (scripts/setup.sh installs what the tests need)"
    );
    eprintln!("skipped: {why}");
}

/// The interpreter of the venv `scripts/setup.sh` makes under target/inspect-venv, once it imports
/// every one of `modules`; else the prerequisite is missing.
#[allow(dead_code)] // only the tests that run real Python libraries use the venv
pub fn venv_python(modules: &[&str]) -> Option<std::path::PathBuf> {
    let python =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/inspect-venv/bin/python");
    if !python.is_file() {
        missing("no venv at target/inspect-venv");
        return None;
    }
    let import = format!("import {}", modules.join(", "));
    let ok = std::process::Command::new(&python)
        .args(["-c", &import])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        missing(&format!("the venv lacks {}", modules.join(", ")));
        return None;
    }
    Some(python)
}
