//! Every output format of `check` on the same project, every exit code, the SARIF output
//! checked by the official validator (`@microsoft/sarif-multitool`, installed by
//! `scripts/setup.sh`), and the GitLab output checked against GitLab's own schema
//! (`tests/schemas/gitlab-codeclimate.json`, whose source `tests/schemas/README.md` names).

mod common;
mod prereq;

use common::{forklint, project, CHILD_EXIT, CLEAN, THREAD_FORK};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn two_findings() -> tempfile::TempDir {
    project(&[("src/fork.rs", THREAD_FORK), ("src/child.rs", CHILD_EXIT)])
}

#[test]
fn human_format() {
    let dir = two_findings();
    let run = forklint(dir.path(), &["check", "src"]);
    assert_eq!(run.code, 1, "{run:?}");
    insta::assert_snapshot!(run.stdout);
}

/// Checks `value` against a JSON schema that uses only the keywords GitLab's schema uses; any other
/// keyword fails the test, so a newer schema cannot be half-checked without notice.
fn check_schema(schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(rules) = schema.as_object() else {
        return errors.push(format!("{at}: the schema is not an object"));
    };
    for (keyword, rule) in rules {
        match keyword.as_str() {
            "$schema" | "description" => {}
            "type" => {
                let ok = match rule.as_str() {
                    Some("object") => value.is_object(),
                    Some("string") => value.is_string(),
                    Some("integer") => value.is_i64() || value.is_u64(),
                    Some("array") => value.is_array(),
                    other => {
                        errors.push(format!("{at}: unsupported type {other:?}"));
                        true
                    }
                };
                if !ok {
                    errors.push(format!("{at}: expected {rule}, found {value}"));
                }
            }
            "required" => {
                for key in rule.as_array().into_iter().flatten() {
                    let key = key.as_str().unwrap_or_default();
                    if value.is_object() && value.get(key).is_none() {
                        errors.push(format!("{at}: `{key}` is required"));
                    }
                }
            }
            "properties" => {
                for (key, sub) in rule.as_object().into_iter().flatten() {
                    if let Some(v) = value.get(key) {
                        check_schema(sub, v, &format!("{at}.{key}"), errors);
                    }
                }
            }
            "additionalProperties" => {
                if rule != &Value::Bool(true) {
                    errors.push(format!("{at}: unsupported additionalProperties {rule}"));
                }
            }
            other => errors.push(format!("{at}: unsupported schema keyword `{other}`")),
        }
    }
}

#[test]
fn gitlab_report_matches_gitlab_schema() {
    let schema: Value = serde_json::from_str(include_str!("schemas/gitlab-codeclimate.json"))
        .expect("the vendored schema is JSON");
    let dir = two_findings();
    common::write(
        dir.path(),
        &[
            (".git/HEAD", "ref: refs/heads/main\n"),
            ("src/broken.rs", "fn main( {\n"),
        ],
    );
    let run = forklint(
        &dir.path().join("src"),
        &["check", ".", "broken.rs", "--format", "gitlab"],
    );
    assert_eq!(run.code, 1, "{run:?}");
    let report: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let issues = report.as_array().expect("a JSON array of issues");
    assert_eq!(
        issues.len(),
        3,
        "two findings and a file that does not parse: {report}"
    );
    let mut errors = Vec::new();
    for (i, issue) in issues.iter().enumerate() {
        check_schema(&schema, issue, &format!("[{i}]"), &mut errors);
    }
    assert!(errors.is_empty(), "{errors:#?}\n{report}");
    // What GitLab's documentation adds to the schema.
    let mut fingerprints = std::collections::HashSet::new();
    for issue in issues {
        assert!(issue["check_name"].is_string(), "{issue}");
        assert!(
            ["info", "minor", "major", "critical", "blocker"]
                .contains(&issue["severity"].as_str().unwrap()),
            "{issue}"
        );
        let line = issue["location"]["lines"]["begin"]
            .as_u64()
            .or(issue["location"]["positions"]["begin"]["line"].as_u64());
        assert!(line.is_some_and(|l| l >= 1), "{issue}");
        assert!(
            fingerprints.insert(issue["fingerprint"].as_str().unwrap().to_string()),
            "fingerprints are unique: {report}"
        );
    }
    // Paths from the repository root, whatever folder forklint ran in.
    let places: Vec<(String, String, u64)> = issues
        .iter()
        .map(|i| {
            (
                i["check_name"].as_str().unwrap().to_string(),
                i["location"]["path"].as_str().unwrap().to_string(),
                i["location"]["positions"]["begin"]["line"]
                    .as_u64()
                    .or(i["location"]["lines"]["begin"].as_u64())
                    .unwrap(),
            )
        })
        .collect();
    assert_eq!(
        places,
        [
            ("FL006".to_string(), "src/child.rs".to_string(), 4),
            ("FL001".to_string(), "src/fork.rs".to_string(), 4),
            ("input-error".to_string(), "src/broken.rs".to_string(), 1),
        ]
    );
    assert_eq!(issues[1]["severity"], "major");
    assert_eq!(issues[0]["severity"], "minor");
}

#[test]
fn gitlab_schema_check_catches_what_gitlab_refuses() {
    let schema: Value =
        serde_json::from_str(include_str!("schemas/gitlab-codeclimate.json")).unwrap();
    let bad = serde_json::json!({"description": "d", "severity": "major",
        "location": {"path": "a.rs", "lines": {"begin": "one"}}});
    let mut errors = Vec::new();
    check_schema(&schema, &bad, "issue", &mut errors);
    errors.sort();
    assert_eq!(
        errors,
        [
            "issue.location.lines.begin: expected \"integer\", found \"one\"",
            "issue: `fingerprint` is required",
        ]
    );
}

#[test]
fn concise_format() {
    let dir = two_findings();
    let run = forklint(dir.path(), &["check", "src", "--format", "concise"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stdout,
        "src/child.rs:4:13: FL006 the child of fork() leaves through `std::process::exit`: atexit handlers and the parent's buffered output run again\n\
         src/fork.rs:4:24: FL001 fork() while a thread may be running\n\
         Found 2 findings (1 error, 1 warning) in 2 files. \
         Exit code 1: fork hazards at or above `--fail-on error` were found.\n"
    );
    let quiet = forklint(
        dir.path(),
        &["check", "src", "--output-format", "concise", "-q"],
    );
    assert_eq!(quiet.stdout.lines().count(), 2, "{quiet:?}");
}

#[test]
fn json_format() {
    let dir = two_findings();
    let run = forklint(dir.path(), &["check", "src", "--format", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["version"], 1);
    let f = &v["findings"][1];
    assert_eq!(f["rule"], "FL001");
    assert_eq!(f["name"], "thread-before-fork");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["path"], "src/fork.rs");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(4), Some(24))
    );
    assert_eq!(f["related"][0]["line"], 2);
    assert_eq!(f["fingerprint"].as_str().unwrap().len(), 16);
    assert_eq!(v["findings"][0]["severity"], "warning");
    assert_eq!(v["summary"]["findings"], 2);
    assert_eq!(v["summary"]["files"], 2);
    assert_eq!(v["summary"]["suppressed"], 0);
}

#[test]
fn github_format() {
    let dir = project(&[
        ("src/we,ird:name.rs", THREAD_FORK),
        ("src/child.rs", CHILD_EXIT),
    ]);
    let run = forklint(dir.path(), &["check", "src", "--format", "github", "-q"]);
    assert_eq!(run.code, 1, "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{run:?}");
    assert!(
        lines[0].starts_with("::warning file=src/child.rs,line=4,endLine=4,col=13,endColumn=34,title=forklint FL006 exit-in-child::the child of fork() leaves through `std::process::exit`"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("::error file=src/we%2Cird%3Aname.rs,line=4,endLine=4,col=24,endColumn=36,title=forklint FL001 thread-before-fork::fork() while a thread may be running%0Aa thread created here"),
        "{}",
        lines[1]
    );
    assert!(lines[1].contains("%0Ahelp: fork before"), "{}", lines[1]);
}

#[test]
fn github_format_caps_annotations_per_level() {
    let files: Vec<(String, &str)> = (0..12)
        .map(|i| (format!("src/f{i:02}.rs"), THREAD_FORK))
        .collect();
    let refs: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), *b)).collect();
    let dir = project(&refs);
    let run = forklint(dir.path(), &["check", "src", "--format", "github", "-q"]);
    let annotations = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error"))
        .count();
    assert_eq!(annotations, 10, "{run:?}");
    assert!(run.stdout.contains("src/f11.rs:4:24: FL001"), "{run:?}");
    assert!(
        run.stdout
            .contains("::notice title=forklint::2 more findings are listed in the log only"),
        "{run:?}"
    );
}

#[test]
fn sarif_format() {
    let dir = two_findings();
    let run = forklint(dir.path(), &["check", "src", "--format", "sarif"]);
    assert_eq!(run.code, 1, "{run:?}");
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let r = &v["runs"][0];
    assert_eq!(r["columnKind"], "unicodeCodePoints");
    let rules = r["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "FL001", "FL002", "FL003", "FL004", "FL005", "FL006", "FL007", "FL008", "FL000",
            "FL900", "FL901"
        ]
    );
    assert!(rules[0]["fullDescription"]["text"]
        .as_str()
        .unwrap()
        .starts_with("Reports a fork point"));
    assert!(rules[0]["help"]["text"]
        .as_str()
        .unwrap()
        .contains("## Why is this bad?"));
    let base = r["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        base.starts_with("file:///") && base.ends_with('/'),
        "{base}"
    );
    let results = r["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    let fl001 = &results[1];
    assert_eq!(fl001["ruleId"], "FL001");
    assert_eq!(ids[fl001["ruleIndex"].as_u64().unwrap() as usize], "FL001");
    assert_eq!(fl001["level"], "error");
    assert_eq!(results[0]["level"], "warning");
    let loc = &fl001["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "src/fork.rs");
    assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(loc["region"]["startLine"], 4);
    assert_eq!(loc["region"]["startColumn"], 24);
    assert_eq!(loc["region"]["endColumn"], 36);
    let related = &fl001["relatedLocations"][0];
    assert_eq!(related["physicalLocation"]["region"]["startLine"], 2);
    assert!(related["message"]["text"]
        .as_str()
        .unwrap()
        .contains("a thread"));
    let hash = fl001["partialFingerprints"]["primaryLocationLineHash"]
        .as_str()
        .unwrap();
    assert!(hash.ends_with(":1") && hash.len() == 18, "{hash}");
    let flow = &results[0]["codeFlows"][0]["threadFlows"][0]["locations"];
    assert!(!flow.as_array().unwrap().is_empty(), "{}", results[0]);
}

/// The validator: `FORKLINT_SARIF_MULTITOOL`, else where `scripts/setup.sh` installs it.
fn validator() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("FORKLINT_SARIF_MULTITOOL") {
        return Some(PathBuf::from(p));
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/tools/node_modules/.bin/sarif-multitool");
    p.exists().then_some(p)
}

/// Runs `sarif-multitool validate` with one rule kind; returns the (rule, level, text) it reports.
fn validate(tool: &Path, sarif: &Path, kind: Option<&str>) -> Vec<(String, String, String)> {
    let out = sarif.with_extension(format!("{}.json", kind.unwrap_or("default")));
    let mut cmd = std::process::Command::new(tool);
    cmd.arg("validate")
        .arg(sarif)
        .arg("-o")
        .arg(&out)
        .args(["--log", "ForceOverwrite"]);
    if let Some(kind) = kind {
        cmd.args(["--rule-kind", kind]);
    }
    let run = cmd.output().expect("run sarif-multitool");
    let text = std::fs::read_to_string(&out).unwrap_or_else(|e| {
        panic!(
            "sarif-multitool wrote no report ({e}); stdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        )
    });
    let log: Value = serde_json::from_str(&text).unwrap();
    let run0 = &log["runs"][0];
    assert_eq!(
        run0["invocations"][0]["executionSuccessful"], true,
        "the validator did not run: {}",
        run0["invocations"]
    );
    run0["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap_or("").to_string(),
                r["level"].as_str().unwrap_or("warning").to_string(),
                r["message"].to_string(),
            )
        })
        .collect()
}

#[test]
fn sarif_passes_the_official_validator() {
    let Some(tool) = validator() else {
        if std::env::var("FORKLINT_SKIP_SARIF_VALIDATOR").as_deref() == Ok("1") {
            return prereq::missing("FORKLINT_SKIP_SARIF_VALIDATOR=1: the SARIF validator is off");
        }
        panic!(
            "the SARIF validator @microsoft/sarif-multitool is not installed: run `bash scripts/setup.sh` \
             (installs it under target/tools), point FORKLINT_SARIF_MULTITOOL at it, or set \
             FORKLINT_SKIP_SARIF_VALIDATOR=1 to skip this test"
        );
    };
    // Every fixture (related locations, traces, both severities) plus an unparsable file.
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken dir");
    common::write(&broken, &[("bad.rs", "fn main( {\n")]);
    let run = forklint(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &[
            "check",
            fixtures.to_str().unwrap(),
            broken.to_str().unwrap(),
            "--format",
            "sarif",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let log: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(log["runs"][0]["results"].as_array().unwrap().len() > 30);
    let sarif = dir.path().join("forklint.sarif");
    std::fs::write(&sarif, &run.stdout).unwrap();
    let mut problems = Vec::new();
    for kind in [None, Some("Gh")] {
        for (rule, level, text) in validate(&tool, &sarif, kind) {
            // The crate declares no repository URL yet, so there is no `informationUri` to give.
            let accepted = rule == "SARIF2005" && text.contains("nformationUri");
            if !accepted && (level == "error" || level == "warning") {
                problems.push(format!("{rule} {level}: {text}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "sarif-multitool:\n{}",
        problems.join("\n")
    );
}

#[test]
fn exit_codes() {
    let dir = project(&[
        ("clean.rs", CLEAN),
        ("warn.rs", CHILD_EXIT),
        ("error.rs", THREAD_FORK),
        ("broken.rs", "fn main( {\n"),
    ]);
    let code = |args: &[&str]| {
        let run = forklint(dir.path(), args);
        (run.code, run)
    };
    assert_eq!(code(&["check", "clean.rs"]).0, 0);
    // Warnings do not fail by default; a threshold or `-D warnings` makes them.
    assert_eq!(code(&["check", "warn.rs"]).0, 0);
    assert_eq!(code(&["check", "warn.rs", "--fail-on", "warning"]).0, 1);
    assert_eq!(code(&["check", "warn.rs", "-D", "warnings"]).0, 1);
    assert_eq!(code(&["check", "warn.rs", "-D", "exit-in-child"]).0, 1);
    assert_eq!(code(&["check", "error.rs"]).0, 1);
    assert_eq!(code(&["check", "error.rs", "--fail-on", "never"]).0, 0);
    assert_eq!(code(&["check", "error.rs", "--exit-zero"]).0, 0);
    assert_eq!(code(&["check", "error.rs", "-e"]).0, 0);
    assert_eq!(code(&["check", "error.rs", "-W", "FL001"]).0, 0);
    // A file that cannot be parsed is named and fails the run, unless nothing may fail it.
    let (c, run) = code(&["check", "broken.rs", "clean.rs"]);
    assert_eq!(c, 1);
    assert!(run.stdout.contains("error: broken.rs: "), "{run:?}");
    assert_eq!(code(&["check", "broken.rs", "--exit-zero"]).0, 0);
    // Could not run at all: 2, naming what was wrong.
    let (c, run) = code(&["check", "missing.rs"]);
    assert_eq!(c, 2);
    assert!(
        run.stderr.contains("missing.rs: no such file or folder"),
        "{run:?}"
    );
    let (c, run) = code(&["check", "--fail-on", "sometimes"]);
    assert_eq!(c, 2);
    assert!(run.stderr.contains("--fail-on"), "{run:?}");
    let (c, run) = code(&["check", "error.rs", "-D", "thread-before-frok"]);
    assert_eq!(c, 2);
    assert!(
        run.stderr
            .contains("-D: unknown rule `thread-before-frok`; did you mean `thread-before-fork`?"),
        "{run:?}"
    );
    let (c, run) = code(&["check", "error.rs", "--select", "FL01"]);
    assert_eq!(c, 2);
    assert!(
        run.stderr.contains("--select: unknown rule `FL01`"),
        "{run:?}"
    );
    assert_eq!(
        code(&["check", "--write-baseline"]).0,
        2,
        "needs --baseline"
    );
    assert_eq!(code(&["explain", "FL999"]).0, 2);
}

#[test]
fn meta_rules_are_documented() {
    let dir = project(&[]);
    let run = forklint(dir.path(), &["rules"]);
    assert!(run.stdout.contains("FL000  unused-suppression"), "{run:?}");
    let run = forklint(dir.path(), &["explain", "unused-suppression"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.starts_with("# FL000 unused-suppression"),
        "{run:?}"
    );
}
