//! The human rendering, rustc-style: `error[FL001]: ...`, `--> path:line:col`, the source line with
//! an underline, labelled related locations, the trace, `= help:` and a pointer to `explain`.

use super::Context;
use crate::diagnostic::{Finding, Location, Severity};
use crate::gate::config::FailOn;
use crate::source::Sources;
use colored::{ColoredString, Colorize};
use std::fmt::Write;

fn severity_label(s: Severity, rule: &str) -> ColoredString {
    let text = format!("{}[{rule}]", s.as_str());
    match s {
        Severity::Error => text.red().bold(),
        Severity::Warning => text.yellow().bold(),
        Severity::Info => text.cyan().bold(),
    }
}

fn snippet(
    out: &mut String,
    sources: &mut Sources,
    loc: &Location,
    label: &str,
    primary: bool,
    gutter: usize,
) {
    let pipe = "|".blue().bold();
    let Some(text) = sources.line(&loc.path, loc.line) else {
        return;
    };
    let text = text.replace('\t', "    ");
    let width = gutter;
    let _ = writeln!(out, "{:width$} {pipe}", "");
    let _ = writeln!(
        out,
        "{} {pipe} {}",
        format!("{:>width$}", loc.line).blue().bold(),
        text
    );
    let start = loc.column.saturating_sub(1) as usize;
    let end = if loc.end_line == loc.line && loc.end_column > loc.column {
        loc.end_column.saturating_sub(1) as usize
    } else {
        text.chars().count().max(start + 1)
    };
    let marks = if primary { "^" } else { "-" }.repeat(end.saturating_sub(start).max(1));
    let underline = format!("{}{} {}", " ".repeat(start), marks, label)
        .trim_end()
        .to_string();
    let underline = if primary {
        underline.red().bold()
    } else {
        underline.blue().bold()
    };
    let _ = writeln!(out, "{:width$} {pipe} {underline}", "");
}

fn render_finding(out: &mut String, sources: &mut Sources, f: &Finding) {
    let _ = writeln!(
        out,
        "{}{} {}",
        severity_label(f.severity, &f.rule),
        ":".bold(),
        f.message.bold()
    );
    let gutter = std::iter::once(f.location.as_ref())
        .flatten()
        .chain(f.related.iter().map(|r| &r.location))
        .map(|l| l.line.to_string().len())
        .max()
        .unwrap_or(1);
    let arrow = "-->".blue().bold();
    if let Some(loc) = &f.location {
        let _ = writeln!(
            out,
            "{:gutter$}{arrow} {}:{}:{}",
            "", loc.path, loc.line, loc.column
        );
        snippet(out, sources, loc, "", true, gutter);
    }
    // As rustc does: a related location gets a `:::` header whenever its file is not the one shown
    // just above it, so a snippet never sits under another file's name.
    let mut shown = f.location.as_ref().map(|l| l.path.as_str());
    for r in &f.related {
        if shown != Some(r.location.path.as_str()) {
            let _ = writeln!(
                out,
                "{:gutter$}{} {}:{}:{}",
                "",
                ":::".blue().bold(),
                r.location.path,
                r.location.line,
                r.location.column
            );
            shown = Some(r.location.path.as_str());
        }
        snippet(out, sources, &r.location, &r.message, false, gutter);
    }
    let eq = "=".blue().bold();
    let _ = writeln!(out, "{:gutter$} {}", "", "|".blue().bold());
    if !f.trace.is_empty() {
        let _ = writeln!(out, "{:gutter$} {eq} {}", "", "trace:".bold());
        for (i, step) in f.trace.iter().enumerate() {
            let _ = writeln!(
                out,
                "{:gutter$}     {}. {}:{}:{}: {}",
                "",
                i + 1,
                step.location.path,
                step.location.line,
                step.location.column,
                step.message
            );
        }
    }
    let _ = writeln!(out, "{:gutter$} {eq} {} {}", "", "help:".bold(), f.help);
    let _ = writeln!(
        out,
        "{:gutter$} {eq} {} run `forklint explain {}` for details",
        "",
        "note:".bold(),
        f.rule
    );
    out.push('\n');
}

pub fn render(ctx: &Context<'_>, sources: &mut Sources) -> String {
    let report = ctx.report;
    let mut out = String::new();
    for f in &report.findings {
        render_finding(&mut out, sources, f);
    }
    for e in &report.errors {
        let _ = writeln!(
            out,
            "{}{} {}: {}",
            "error".red().bold(),
            ":".bold(),
            e.place(),
            e.message
        );
    }
    if !ctx.quiet {
        out.push_str(&summary_line(ctx));
        out.push('\n');
    }
    out
}

/// `Found 2 findings (1 error, 1 warning) in 12 files; 1 file could not be analysed.`, then what
/// was hidden: `(3 suppressed, 5 in the baseline, 2 on unchanged lines)`.
pub fn summary_line(ctx: &Context<'_>) -> String {
    let report = ctx.report;
    let count = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    let mut parts = Vec::new();
    for (s, word) in [
        (Severity::Error, "error"),
        (Severity::Warning, "warning"),
        (Severity::Info, "note"),
    ] {
        let n = count(s);
        if n > 0 {
            parts.push(plural(n, word));
        }
    }
    let mut line = if report.findings.is_empty() {
        format!("No fork hazards found in {}.", plural(report.files, "file"))
    } else {
        format!(
            "Found {} ({}) in {}.",
            plural(report.findings.len(), "finding"),
            parts.join(", "),
            plural(report.files, "file")
        )
    };
    let part = report.errors.iter().filter(|e| e.partial).count();
    let whole = report.errors.len() - part;
    if whole > 0 {
        line.pop();
        let _ = write!(line, "; {} could not be analysed.", plural(whole, "file"));
    }
    if part > 0 {
        line.pop();
        let _ = write!(
            line,
            "; {} could only be analysed in part.",
            plural(part, "file")
        );
    }
    let t = ctx.tally;
    let mut hidden = Vec::new();
    if t.suppressed > 0 {
        hidden.push(format!("{} suppressed", t.suppressed));
    }
    if t.baselined > 0 {
        hidden.push(format!("{} in the baseline", t.baselined));
    }
    if t.unchanged > 0 {
        hidden.push(format!("{} on unchanged lines", t.unchanged));
    }
    if !hidden.is_empty() {
        line.pop();
        let _ = write!(line, " ({} not shown).", hidden.join(", "));
    }
    if ctx.exit_code() == 1 {
        let why = if ctx.findings_fail() {
            let level = match ctx.fail_on {
                FailOn::Warning => "warning",
                _ => "error",
            };
            format!("fork hazards at or above `--fail-on {level}` were found")
        } else {
            "a file could not be analysed".to_string()
        };
        let _ = write!(line, " Exit code 1: {why}.");
    }
    line
}
