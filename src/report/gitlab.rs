//! `--format gitlab`: a GitLab Code Quality report (the subset of the Code Climate issue format
//! that GitLab reads), for `artifacts:reports:codequality`. Paths are relative to the repository
//! root, as GitLab resolves them against the checked-out project. GitLab keeps one issue per
//! fingerprint and compares fingerprints between the merge request and its target branch, so each
//! issue carries the baseline's line-independent fingerprint, made unique within the report.

use super::Context;
use crate::diagnostic::Severity;
use crate::gate::fingerprint;
use serde_json::{json, Value};
use std::collections::HashMap;

/// GitLab's scale is info, minor, major, critical, blocker; an error is what fails the gate.
fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "major",
        Severity::Warning => "minor",
        Severity::Info => "info",
    }
}

/// Repeats of one fingerprint (the same hazard twice in one function) get a count, so that
/// GitLab does not merge them into one issue.
struct Unique(HashMap<String, usize>);

impl Unique {
    fn of(&mut self, fingerprint: &str) -> String {
        let n = self.0.entry(fingerprint.to_string()).or_default();
        *n += 1;
        if *n == 1 {
            fingerprint.to_string()
        } else {
            fingerprint::hash(&format!("{fingerprint}\0{n}"))
        }
    }
}

pub fn render(ctx: &Context<'_>) -> String {
    let path = |p: &str| super::relative(&ctx.root, p).unwrap_or_else(|| p.to_string());
    let mut unique = Unique(HashMap::new());
    let mut issues: Vec<Value> = Vec::new();
    for (f, fp) in ctx.report.findings.iter().zip(ctx.fingerprints) {
        let Some(l) = &f.location else { continue };
        issues.push(json!({
            "type": "issue",
            "check_name": f.rule,
            "description": format!("{} {}: {}", f.rule, f.name, f.message),
            "content": {"body": format!("{}\n\nRun `forklint explain {}` for details.", f.help, f.rule)},
            "categories": ["Bug Risk"],
            "severity": severity(f.severity),
            "fingerprint": unique.of(fp),
            "location": {
                "path": path(&l.path),
                "positions": {
                    "begin": {"line": l.line, "column": l.column},
                    "end": {"line": l.end_line, "column": l.end_column},
                },
            },
        }));
    }
    for e in &ctx.report.errors {
        issues.push(json!({
            "type": "issue",
            "check_name": "input-error",
            "description": if e.partial {
                format!("analysed in part: {}", e.message)
            } else {
                format!("could not be analysed: {}", e.message)
            },
            "categories": ["Bug Risk"],
            "severity": "major",
            "fingerprint": unique.of(&fingerprint::hash(&format!("{}\0{}", e.path, e.message))),
            "location": {"path": path(&e.path), "lines": {"begin": e.line.unwrap_or(1)}},
        }));
    }
    // A list of plain values cannot fail to serialise.
    serde_json::to_string_pretty(&issues).unwrap_or_default() + "\n"
}
