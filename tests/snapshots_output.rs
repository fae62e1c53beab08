//! Snapshots of the human and JSON renderings on fixtures with related locations and traces.

use std::process::Command;

fn forklint(args: &[&str]) -> (String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_forklint"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        out.status.code().unwrap(),
    )
}

#[test]
fn human_with_trace() {
    let (out, code) = forklint(&[
        "check",
        "--color",
        "never",
        "fixtures/fl001/runtime_in_helper_fn.rs",
    ]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(out);
}

#[test]
fn human_child_call_through_helpers() {
    let (out, _) = forklint(&[
        "check",
        "--color",
        "never",
        "fixtures/fl005/pre_exec_through_helper.rs",
    ]);
    insta::assert_snapshot!(out);
}

#[test]
fn json_schema_v1() {
    let (out, code) = forklint(&[
        "check",
        "--format",
        "json",
        "fixtures/fl002/pool_before_prefork.rs",
    ]);
    assert_eq!(code, 1);
    let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(parsed["version"], 1);
    assert_eq!(parsed["summary"]["findings"], 2);
    insta::assert_snapshot!(out);
}

#[test]
fn output_format_is_an_alias() {
    let (a, _) = forklint(&["check", "--format", "json", "fixtures/fl004"]);
    let (b, _) = forklint(&["check", "--output-format", "json", "fixtures/fl004"]);
    assert_eq!(a, b);
}

#[test]
fn color_always_colours_and_never_does_not() {
    let (plain, _) = forklint(&["check", "--color", "never", "fixtures/fl004"]);
    let (colored, _) = forklint(&["check", "--color", "always", "fixtures/fl004"]);
    assert!(!plain.contains('\u{1b}'));
    assert!(colored.contains("\u{1b}["));
}

#[test]
fn silent_tree_exits_zero() {
    let (out, code) = forklint(&["check", "fixtures/silent"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("No fork hazards found in"), "{out}");
}

#[test]
fn human_related_locations_name_their_file_again() {
    // The second finding's related locations go to `main.rs` and back to `probe.rs`: each switch of
    // file gets its own `:::` header.
    let (out, _) = forklint(&[
        "check",
        "--color",
        "never",
        "fixtures/crates/field_assigned_elsewhere",
    ]);
    insta::assert_snapshot!(out);
}
