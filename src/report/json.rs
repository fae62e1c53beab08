//! `--format json`: the version-1 schema of DESIGN.md (flat locations, `related`, `errors`,
//! `summary`), plus per finding a `trace` array and the `fingerprint` the baseline keys on, and in
//! the summary the counts of files analysed in part, and of suppressed, baselined and
//! unchanged-line findings.

use super::Context;
use crate::diagnostic::{Finding, Related};
use serde::Serialize;

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    findings: Vec<JsonFinding<'a>>,
    errors: &'a [crate::diagnostic::InputError],
    summary: Summary,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    findings: usize,
    errors: usize,
    /// Of `errors`, the files analysed without the statements their syntax errors touch.
    partial: usize,
    suppressed: usize,
    baselined: usize,
    unchanged: usize,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    name: &'a str,
    severity: &'a str,
    path: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    message: &'a str,
    related: Vec<JsonRelated<'a>>,
    trace: Vec<JsonRelated<'a>>,
    help: &'a str,
    fingerprint: &'a str,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    path: &'a str,
    line: u32,
    column: u32,
    message: &'a str,
}

fn related(r: &Related) -> JsonRelated<'_> {
    JsonRelated {
        path: &r.location.path,
        line: r.location.line,
        column: r.location.column,
        message: &r.message,
    }
}

fn finding<'a>(f: &'a Finding, fingerprint: &'a str) -> Option<JsonFinding<'a>> {
    let loc = f.location.as_ref()?;
    Some(JsonFinding {
        rule: &f.rule,
        name: &f.name,
        severity: f.severity.as_str(),
        path: &loc.path,
        line: loc.line,
        column: loc.column,
        end_line: loc.end_line,
        end_column: loc.end_column,
        message: &f.message,
        related: f.related.iter().map(related).collect(),
        trace: f.trace.iter().map(related).collect(),
        help: &f.help,
        fingerprint,
    })
}

pub fn render(ctx: &Context<'_>) -> String {
    let report = ctx.report;
    let out = JsonReport {
        version: 1,
        findings: report
            .findings
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                finding(f, ctx.fingerprints.get(i).map(String::as_str).unwrap_or(""))
            })
            .collect(),
        errors: &report.errors,
        summary: Summary {
            files: report.files,
            findings: report.findings.len(),
            errors: report.errors.len(),
            partial: report.errors.iter().filter(|e| e.partial).count(),
            suppressed: ctx.tally.suppressed,
            baselined: ctx.tally.baselined,
            unchanged: ctx.tally.unchanged,
        },
    };
    let mut text =
        serde_json::to_string_pretty(&out).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}
