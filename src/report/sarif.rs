//! `--format sarif`: one SARIF 2.1.0 run for GitHub code scanning and other viewers. The driver
//! lists every rule with the documentation `forklint explain` prints; results carry a primary
//! location relative to the repository root (`uriBaseId` `%SRCROOT%`), related locations for the
//! hazards, a code flow for the trace, and the baseline's fingerprint as
//! `partialFingerprints.primaryLocationLineHash`. Columns count Unicode code points, as declared.

use super::Context;
use crate::catalog::rules::{self, RuleDoc};
use crate::diagnostic::{Finding, Location, Related, Severity};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const BASE: &str = "%SRCROOT%";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A `file://` URI for an absolute path, percent-encoding what a URI cannot hold.
pub fn file_uri(path: &Path, dir: bool) -> String {
    let mut text = path.to_string_lossy().replace('\\', "/");
    if !text.starts_with('/') {
        text.insert(0, '/');
    }
    if dir && !text.ends_with('/') {
        text.push('/');
    }
    format!("file://{}", encode(&text))
}

/// Percent-encodes everything but unreserved characters and `/`.
pub fn encode(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn sentence(text: &str) -> String {
    let t = text.trim();
    if t.ends_with(['.', '!', '?']) {
        t.to_string()
    } else {
        format!("{t}.")
    }
}

fn artifact(ctx: &Context<'_>, path: &str) -> Value {
    match super::relative(&ctx.root, path) {
        Some(rel) => json!({"uri": encode(&rel), "uriBaseId": BASE}),
        None => {
            json!({"uri": file_uri(&crate::source::paths::absolute(Path::new(path)), false)})
        }
    }
}

fn physical(ctx: &Context<'_>, l: &Location) -> Value {
    let mut region = json!({"startLine": l.line, "startColumn": l.column});
    if l.end_line >= l.line {
        region["endLine"] = json!(l.end_line);
        if l.end_line > l.line || l.end_column > l.column {
            region["endColumn"] = json!(l.end_column);
        }
    }
    json!({"artifactLocation": artifact(ctx, &l.path), "region": region})
}

fn located(ctx: &Context<'_>, r: &Related, id: Option<usize>) -> Value {
    let mut v = json!({
        "physicalLocation": physical(ctx, &r.location),
        "message": {"text": sentence(&r.message)},
    });
    if let Some(id) = id {
        v["id"] = json!(id);
    }
    v
}

fn rule(doc: &RuleDoc) -> Value {
    let help = super::explain::text(doc);
    json!({
        "id": doc.id,
        "name": doc.name,
        "shortDescription": {"text": sentence(&doc.summary)},
        "fullDescription": {"text": sentence(&format!("{} {}", doc.what.trim(), doc.why.trim()).replace('\n', " "))},
        "help": {"text": help, "markdown": help},
        "defaultConfiguration": {"level": level(doc.severity)},
        "properties": {
            "tags": ["fork-safety", doc.name],
            "problem.severity": match doc.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "recommendation",
            },
        },
    })
}

fn result(ctx: &Context<'_>, f: &Finding, index: usize, fingerprint: &str) -> Value {
    let mut v = json!({
        "ruleId": f.rule,
        "ruleIndex": index,
        "level": level(f.severity),
        "message": {"text": sentence(&f.message)},
    });
    if let Some(l) = &f.location {
        v["locations"] = json!([{"physicalLocation": physical(ctx, l)}]);
    }
    if !fingerprint.is_empty() {
        v["partialFingerprints"] = json!({"primaryLocationLineHash": fingerprint});
    }
    if !f.related.is_empty() {
        v["relatedLocations"] = Value::Array(
            f.related
                .iter()
                .enumerate()
                .map(|(i, r)| located(ctx, r, Some(i + 1)))
                .collect(),
        );
    }
    if !f.trace.is_empty() {
        let steps: Vec<Value> = f
            .trace
            .iter()
            .map(|r| json!({"location": located(ctx, r, None)}))
            .collect();
        v["codeFlows"] = json!([{"threadFlows": [{"locations": steps}]}]);
    }
    if !f.help.is_empty() {
        v["properties"] = json!({"help": f.help});
    }
    v
}

pub fn render(ctx: &Context<'_>) -> String {
    let docs: Vec<&RuleDoc> = rules::every().collect();
    let index: HashMap<&str, usize> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    // Equal fingerprints in one file would merge into one alert: number the repeats.
    let mut seen: HashMap<(String, &str), usize> = HashMap::new();
    let results: Vec<Value> = ctx
        .report
        .findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let fp = ctx.fingerprints.get(i).map(String::as_str).unwrap_or("");
            let path = f
                .location
                .as_ref()
                .map(|l| l.path.clone())
                .unwrap_or_default();
            let n = seen.entry((path, fp)).or_default();
            *n += 1;
            let fp = if fp.is_empty() {
                String::new()
            } else {
                format!("{fp}:{n}")
            };
            result(
                ctx,
                f,
                index.get(f.rule.as_str()).copied().unwrap_or(0),
                &fp,
            )
        })
        .collect();
    let notifications: Vec<Value> = ctx
        .report
        .errors
        .iter()
        .map(|e| {
            let what = if e.partial {
                "could only be analysed in part"
            } else {
                "could not be analysed"
            };
            let mut physical = json!({"artifactLocation": artifact(ctx, &e.path)});
            if let (Some(line), Some(column)) = (e.line, e.column) {
                physical["region"] = json!({"startLine": line, "startColumn": column});
            }
            json!({
                "level": "error",
                "message": {"text": sentence(&format!("{} {what}: {}", e.path, e.message))},
                "locations": [{"physicalLocation": physical}],
            })
        })
        .collect();
    let cwd = crate::source::paths::absolute(Path::new("."));
    let mut invocation = json!({
        "executionSuccessful": true,
        "workingDirectory": {"uri": file_uri(&cwd, true)},
    });
    if !notifications.is_empty() {
        invocation["toolExecutionNotifications"] = Value::Array(notifications);
    }
    let mut driver = json!({
        "name": "forklint",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "rules": docs.iter().map(|d| rule(d)).collect::<Vec<_>>(),
    });
    if let Some(uri) = option_env!("CARGO_PKG_REPOSITORY").filter(|u| !u.is_empty()) {
        driver["informationUri"] = json!(uri);
    }
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "automationDetails": {"id": "forklint/"},
            "originalUriBaseIds": {BASE: {"uri": file_uri(&ctx.root, true)}},
            "invocations": [invocation],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(encode("src/my file#1.rs"), "src/my%20file%231.rs");
        assert_eq!(file_uri(Path::new("/a b/"), true), "file:///a%20b/");
    }
}
