//! What `cargo install` gives a user: the two programs and nothing else (the inspect tests' helper
//! process is an example target), built without debug information.

use std::path::Path;

fn manifest() -> toml::Table {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .expect("read Cargo.toml");
    text.parse().expect("Cargo.toml is TOML")
}

fn names(table: &toml::Table, key: &str) -> Vec<String> {
    table
        .get(key)
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("name").and_then(|n| n.as_str()).map(str::to_string))
        .collect()
}

#[test]
fn install_gives_forklint_and_cargo_forklint_only() {
    let m = manifest();
    assert_eq!(names(&m, "bin"), ["forklint", "cargo-forklint"]);
    assert_eq!(names(&m, "example"), ["forklint-test-helper"]);
}

#[test]
fn release_builds_carry_no_debug_information() {
    let m = manifest();
    let release = m["profile"]["release"]
        .as_table()
        .expect("[profile.release]");
    assert!(
        release
            .get("debug")
            .is_none_or(|d| matches!(d.as_integer(), Some(0)) || d.as_bool() == Some(false)),
        "debug info makes the installed binaries several times larger: {release:?}"
    );
}
