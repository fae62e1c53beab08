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
