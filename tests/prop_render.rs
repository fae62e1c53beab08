//! Property tests of rendering: the JSON report of any finding set parses back into the same
//! findings (every field the schema carries), and the human renderer never panics on them.

use forklint::diagnostic::{Finding, InputError, Location, Related, Severity};
use forklint::pipeline::CheckReport;
use forklint::report::Context;
use proptest::prelude::*;

/// Any text, including control characters, quotes, backslashes and non-ASCII.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        proptest::collection::vec(any::<char>(), 0..20).prop_map(|c| c.into_iter().collect()),
        Just("\u{0}\"\\\n\r\t\u{7f}\u{202e}😀".to_string()),
    ]
}

fn location() -> impl Strategy<Value = Location> {
    (text(), 1..u32::MAX, 1..u32::MAX, 1..u32::MAX, 1..u32::MAX).prop_map(
        |(path, line, column, end_line, end_column)| Location {
            path,
            line,
            column,
            end_line,
            end_column,
        },
    )
}

fn related() -> impl Strategy<Value = Related> {
    (location(), text()).prop_map(|(location, message)| Related { location, message })
}

fn finding() -> impl Strategy<Value = Finding> {
    (
        "FL00[1-7]",
        text(),
        prop_oneof![
            Just(Severity::Info),
            Just(Severity::Warning),
            Just(Severity::Error)
        ],
        location(),
        text(),
        proptest::collection::vec(related(), 0..3),
        proptest::collection::vec(related(), 0..3),
        text(),
    )
        .prop_map(
            |(rule, name, severity, loc, message, related, trace, help)| Finding {
                rule,
                name,
                severity,
                location: Some(loc),
                message,
                related,
                trace,
                help,
            },
        )
}

fn report() -> impl Strategy<Value = CheckReport> {
    (
        proptest::collection::vec(finding(), 0..6),
        proptest::collection::vec((text(), text()), 0..3),
        0..1_000_000usize,
    )
        .prop_map(|(findings, errors, files)| CheckReport {
            findings,
            errors: errors
                .into_iter()
                .map(|(path, message)| InputError::whole(path, message))
                .collect(),
            files,
            ..Default::default()
        })
}

fn context<'a>(report: &'a CheckReport, fingerprints: &'a [String], quiet: bool) -> Context<'a> {
    Context {
        report,
        fingerprints,
        tally: Default::default(),
        root: std::path::PathBuf::from("."),
        quiet,
        fail_on: forklint::gate::config::FailOn::Error,
    }
}

fn str_of(v: &serde_json::Value) -> String {
    v.as_str().expect("a string").to_string()
}

fn u32_of(v: &serde_json::Value) -> u32 {
    u32::try_from(v.as_u64().expect("a number")).expect("fits u32")
}

/// Reads a `related`/`trace` entry back. The schema carries no end position for these, so the
/// comparison projects it away.
fn related_back(v: &serde_json::Value) -> (String, u32, u32, String) {
    (
        str_of(&v["path"]),
        u32_of(&v["line"]),
        u32_of(&v["column"]),
        str_of(&v["message"]),
    )
}

fn related_proj(r: &Related) -> (String, u32, u32, String) {
    (
        r.location.path.clone(),
        r.location.line,
        r.location.column,
        r.message.clone(),
    )
}

fn finding_back(v: &serde_json::Value) -> Finding {
    Finding {
        rule: str_of(&v["rule"]),
        name: str_of(&v["name"]),
        severity: Severity::parse(v["severity"].as_str().expect("severity")).expect("known"),
        location: Some(Location {
            path: str_of(&v["path"]),
            line: u32_of(&v["line"]),
            column: u32_of(&v["column"]),
            end_line: u32_of(&v["end_line"]),
            end_column: u32_of(&v["end_column"]),
        }),
        message: str_of(&v["message"]),
        related: Vec::new(),
        trace: Vec::new(),
        help: str_of(&v["help"]),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn json_round_trips(report in report(), fingerprints in proptest::collection::vec(text(), 6)) {
        let fingerprints = &fingerprints[..report.findings.len()];
        let text = forklint::report::json::render(&context(&report, fingerprints, false));
        let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        prop_assert_eq!(v["version"].as_u64(), Some(1));
        let list = v["findings"].as_array().expect("findings");
        prop_assert_eq!(list.len(), report.findings.len());
        for ((back, orig), fp) in list.iter().zip(&report.findings).zip(fingerprints) {
            prop_assert_eq!(back["fingerprint"].as_str(), Some(fp.as_str()));
            let mut bare = orig.clone();
            bare.related.clear();
            bare.trace.clear();
            prop_assert_eq!(finding_back(back), bare);
            let rel: Vec<_> = back["related"].as_array().expect("related").iter().map(related_back).collect();
            prop_assert_eq!(rel, orig.related.iter().map(related_proj).collect::<Vec<_>>());
            let tr: Vec<_> = back["trace"].as_array().expect("trace").iter().map(related_back).collect();
            prop_assert_eq!(tr, orig.trace.iter().map(related_proj).collect::<Vec<_>>());
        }
        let errors: Vec<InputError> = serde_json::from_value(v["errors"].clone()).expect("errors");
        prop_assert_eq!(&errors, &report.errors);
        prop_assert_eq!(v["summary"]["files"].as_u64(), Some(report.files as u64));
        prop_assert_eq!(v["summary"]["findings"].as_u64(), Some(report.findings.len() as u64));
        prop_assert_eq!(v["summary"]["errors"].as_u64(), Some(report.errors.len() as u64));
    }

    #[test]
    fn human_rendering_never_panics(report in report(), quiet in any::<bool>()) {
        let fingerprints = vec![String::new(); report.findings.len()];
        let mut sources = forklint::source::Sources::default();
        let _ = forklint::report::human::render(&context(&report, &fingerprints, quiet), &mut sources);
    }
}
