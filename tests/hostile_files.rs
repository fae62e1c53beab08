//! Hostile single files: huge, long, wide and deeply nested. Each runs the real binary beside a
//! witness file and must end on its own, within its time and memory bounds, with either a clean
//! analysis or an error that names the file, and the witness still analysed.

mod support;

use std::path::Path;
use std::time::Duration;
use support::run::{check_json, Outcome};
use support::trees::{self, WITNESS};

/// Peak memory allowed for one run on these inputs.
const MAX_RSS: u64 = 3 << 30;

/// Runs `check` on a folder holding `name` (written by `make`) and `witness.rs`.
fn run_case(name: &str, make: impl FnOnce(&Path)) -> (Outcome, serde_json::Value) {
    let dir = trees::tempdir();
    make(&dir.path().join(name));
    trees::write(&dir.path().join("witness.rs"), WITNESS);
    let out = check_json(dir.path(), &["."], Duration::from_secs(300));
    out.assert_clean(name);
    assert!(
        out.max_rss < MAX_RSS,
        "{name}: peak memory {} MiB",
        out.max_rss >> 20
    );
    let report = out.json();
    assert!(
        trees::has_witness(&report, "witness.rs"),
        "{name}: the witness was not analysed: {report}"
    );
    (out, report)
}

/// The case either analysed cleanly or reported an error naming the file; returns the error.
fn error_for(report: &serde_json::Value, name: &str) -> Option<String> {
    let errors = trees::errors(report);
    for (path, _) in &errors {
        assert_eq!(path, &name.to_string(), "unexpected error: {errors:?}");
    }
    errors.into_iter().next().map(|(_, m)| m)
}

/// Over the frontend's size limit: refused by name, without reading it into a syntax tree.
#[test]
fn fifty_megabyte_file_is_refused_by_name() {
    // ~50 MB of small functions, with a finding at the very end.
    let unit = "fn f() { let v = vec![1, 2, 3]; let _ = v.len(); }\n";
    let count = (50 << 20) / unit.len();
    let tail = "fn main() {\n    let _t = std::thread::spawn(|| {});\n    let _ = unsafe { libc::fork() };\n}\n";
    let (out, report) = run_case("big.rs", |p| {
        trees::write_repeated(p, "", unit, count, tail)
    });
    let message = error_for(&report, "big.rs").expect("an error for big.rs");
    assert!(
        message.contains("MB, larger than the limit of 16 MB"),
        "{message}"
    );
    assert!(out.max_rss < 1 << 30, "peak {} MiB", out.max_rss >> 20);
    eprintln!("50 MB: {:?}, {} MiB peak", out.elapsed, out.max_rss >> 20);
}

#[test]
fn million_lines_keep_their_numbers() {
    // 15 MB: inside the size limit, so analysed whole.
    let head = "fn main() {\n    let _t = std::thread::spawn(|| {});\n";
    let tail = "    let _ = unsafe { libc::fork() };\n}\n";
    let (_, report) = run_case("long.rs", |p| {
        trees::write_repeated(p, head, "    let x = 1;\n", 1_000_000, tail)
    });
    assert_eq!(error_for(&report, "long.rs"), None);
    assert!(
        trees::findings(&report).contains(&("long.rs".into(), 1_000_003, "FL001".into())),
        "{report}"
    );
}

#[test]
fn megabyte_lines() {
    // A 1 MB string literal, a 1 MB comment and a 1 MB array on one line each, then a finding
    // whose column sits past them.
    let (_, report) = run_case("wide.rs", |p| {
        let mb = 1 << 20;
        let text = format!(
            "const S: &str = \"{}\";\n// {}\nconst A: [u8; {}] = [{}];\nfn main() {{ let _t = std::thread::spawn(|| {{}}); {} let _ = unsafe {{ libc::fork() }}; }}\n",
            "x".repeat(mb),
            "y".repeat(mb),
            mb / 2,
            "1,".repeat(mb / 2),
            "();".repeat(mb / 3),
        );
        trees::write(p, &text);
    });
    assert_eq!(error_for(&report, "wide.rs"), None);
    assert!(
        trees::findings(&report)
            .iter()
            .any(|(p, line, rule)| p == "wide.rs" && *line == 4 && rule == "FL001"),
        "{report}"
    );
}

/// Deep nesting: bracketed beyond the limit is refused by name; within it, and every
/// unbracketed recursive shape, must not overflow the stack.
#[test]
fn deep_nesting_never_overflows() {
    // (name, head, open, middle, close, tail, depth): head open^n middle close^n tail.
    type Case = (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        usize,
    );
    let n = 100_000;
    let cases: &[Case] = &[
        ("parens.rs", "fn p() { let _ = ", "(", "1", ")", "; }", n),
        ("blocks.rs", "fn b() ", "{ ", "", "}", "", n),
        ("modules.rs", "", "mod m { ", "fn f() {}", "}", "", n),
        ("arrays.rs", "const A: ", "[", "u8", "; 1]", " = 0;", n),
        ("generics.rs", "type T = ", "Box<", "u8", ">", ";", n),
        (
            "parens_at_limit.rs",
            "fn p() { let _ = ",
            "(",
            "1",
            ")",
            "; }",
            1400,
        ),
        (
            "blocks_at_limit.rs",
            "fn b() ",
            "{ ",
            "std::thread::spawn(|| {}); ",
            "}",
            "",
            1400,
        ),
        (
            "modules_at_limit.rs",
            "",
            "mod m { ",
            "fn f() {}",
            "}",
            "",
            1400,
        ),
        (
            "closures_in_calls.rs",
            "fn c() { ",
            "f(|| ",
            "1",
            ")",
            "; }",
            1400,
        ),
        ("unary.rs", "fn u() { let _ = ", "!", "x", "", "; }", n),
        ("negation.rs", "fn u() { let _ = ", "- ", "x", "", "; }", n),
        ("deref.rs", "fn u() { let _ = ", "*", "x", "", "; }", n),
        ("refs.rs", "fn u() { let _ = ", "&", "x", "", "; }", n),
        ("ref_types.rs", "type T = ", "&'static ", "u8", "", ";", n),
        ("ptr_types.rs", "type T = ", "*const ", "u8", "", ";", n),
        ("fn_types.rs", "type T = ", "fn() -> ", "u8", "", ";", n),
        ("closures.rs", "fn c() { let _ = ", "|| ", "1", "", "; }", n),
        ("returns.rs", "fn r() { ", "return ", "1", "", "; }", n),
        ("assign_chain.rs", "fn a() { ", "x = ", "1", "", "; }", n),
        (
            "ref_patterns.rs",
            "fn p() { let ",
            "&",
            "x",
            "",
            " = y; }",
            n,
        ),
        (
            "else_if.rs",
            "fn e() { if a {} ",
            "else if a {} ",
            "",
            "",
            "}",
            n,
        ),
        ("method_chain.rs", "fn m() { x", "", "", ".f()", "; }", n),
        ("field_chain.rs", "fn m() { x", "", "", ".f", "; }", n),
        ("try_chain.rs", "fn m() { x", "", "", "?", "; }", n),
        ("cast_chain.rs", "fn m() { x", "", "", " as u8", "; }", n),
        ("binary_chain.rs", "fn m() { 1", "", "", " + 1", "; }", n),
        ("index_chain.rs", "fn m() { x", "", "", "[0]", "; }", n),
        ("call_chain.rs", "fn m() { f", "", "", "()", "; }", n),
        // Just inside the chain limit, the costliest shapes must parse on the parser's stack
        // in this unoptimised build.
        (
            "generics_under_limit.rs",
            "type T = ",
            "Box<",
            "u8",
            ">",
            ";",
            1_660,
        ),
        (
            "dyn_under_limit.rs",
            "type T = ",
            "Box<dyn Fn() -> ",
            "u8",
            ">",
            ";",
            620,
        ),
        (
            "ref_types_under_limit.rs",
            "type T = ",
            "&",
            "u8",
            "",
            ";",
            4_990,
        ),
        (
            "fn_types_under_limit.rs",
            "type T = ",
            "fn() -> ",
            "u8",
            "",
            ";",
            1_240,
        ),
        (
            "unary_under_limit.rs",
            "fn u() { let _ = ",
            "!",
            "x",
            "",
            "; }",
            4_980,
        ),
        (
            "closures_under_limit.rs",
            "fn c() { let _ = ",
            "|| ",
            "1",
            "",
            "; }",
            2_490,
        ),
        (
            "returns_under_limit.rs",
            "fn r() { ",
            "return ",
            "1",
            "",
            "; }",
            4_980,
        ),
        (
            "assign_under_limit.rs",
            "fn a() { ",
            "x = ",
            "1",
            "",
            "; }",
            2_490,
        ),
        (
            "method_chain_under_limit.rs",
            "fn m() { x",
            "",
            "",
            ".f()",
            "; }",
            1_660,
        ),
    ];
    let only = std::env::var("HOSTILE_CASE").ok();
    let mut failures = Vec::new();
    for &(name, head, open, middle, close, tail, depth) in cases {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let result = std::panic::catch_unwind(|| {
            let (_, report) = run_case(name, |p| {
                trees::write_nested(p, head, open, middle, close, tail, depth)
            });
            error_for(&report, name)
        });
        match result {
            Ok(Some(err)) if name.contains("under_limit") => {
                failures.push(format!("{name}: refused inside the limit: {err}"))
            }
            Ok(err) => eprintln!("{name}: {}", err.as_deref().unwrap_or("analysed")),
            Err(e) => failures.push(format!(
                "{name}: {}",
                e.downcast_ref::<String>().cloned().unwrap_or_default()
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
