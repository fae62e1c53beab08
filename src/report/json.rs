//! `--format json`: the version-1 schema of DESIGN.md (flat locations, `related`, `errors`,
//! `summary`), plus a `trace` array per finding.

use crate::check::CheckReport;
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

fn finding(f: &Finding) -> Option<JsonFinding<'_>> {
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
    })
}

pub fn render(report: &CheckReport) -> String {
    let out = JsonReport {
        version: 1,
        findings: report.findings.iter().filter_map(finding).collect(),
        errors: &report.errors,
        summary: Summary {
            files: report.files,
            findings: report.findings.len(),
            errors: report.errors.len(),
        },
    };
    let mut text =
        serde_json::to_string_pretty(&out).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}
