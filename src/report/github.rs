//! `--format github`: GitHub Actions workflow commands (`::error file=..,line=..::message`) that
//! annotate the pull request. Escaping follows `@actions/core`: `%`, `\r`, `\n` in the message, and
//! also `:` and `,` in properties. GitHub shows at most 10 annotations of each level per step, so
//! the rest are printed as plain log lines with one notice saying so.

use super::Context;
use crate::diagnostic::{Finding, Severity};
use std::fmt::Write;

/// Annotations GitHub keeps per level and step; more are dropped silently.
pub const PER_LEVEL: usize = 10;

/// Escapes the message part of a workflow command.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (`file=`, `title=`).
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn command(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

fn annotation(ctx: &Context<'_>, f: &Finding) -> String {
    let mut props = Vec::new();
    if let Some(l) = &f.location {
        let file = super::relative(&ctx.root, &l.path).unwrap_or_else(|| l.path.clone());
        props.push(format!("file={}", escape_property(&file)));
        props.push(format!("line={}", l.line));
        props.push(format!("endLine={}", l.end_line));
        // Columns mean nothing to GitHub on a multi-line range.
        if l.end_line == l.line {
            props.push(format!("col={}", l.column));
            props.push(format!("endColumn={}", l.end_column));
        }
    }
    props.push(format!(
        "title={}",
        escape_property(&format!("forklint {} {}", f.rule, f.name))
    ));
    let mut message = f.message.clone();
    for r in &f.related {
        let path =
            super::relative(&ctx.root, &r.location.path).unwrap_or_else(|| r.location.path.clone());
        let _ = write!(
            message,
            "\n{}: {path}:{}:{}",
            r.message, r.location.line, r.location.column
        );
    }
    if !f.help.is_empty() {
        let _ = write!(message, "\nhelp: {}", f.help);
    }
    format!(
        "::{} {}::{}",
        command(f.severity),
        props.join(","),
        escape_data(&message)
    )
}

pub fn render(ctx: &Context<'_>) -> String {
    let mut out = String::new();
    let mut shown = [0usize; 3];
    let mut overflow = 0usize;
    for f in &ctx.report.findings {
        let slot = &mut shown[f.severity as usize];
        if *slot < PER_LEVEL {
            *slot += 1;
            out.push_str(&annotation(ctx, f));
        } else {
            overflow += 1;
            match &f.location {
                Some(l) => {
                    let _ = write!(
                        out,
                        "{}:{}:{}: {} {}",
                        l.path, l.line, l.column, f.rule, f.message
                    );
                }
                None => {
                    let _ = write!(out, "{} {}", f.rule, f.message);
                }
            }
        }
        out.push('\n');
    }
    for e in &ctx.report.errors {
        let file = super::relative(&ctx.root, &e.path).unwrap_or_else(|| e.path.clone());
        let (place, title) = match (e.line, e.column) {
            (Some(l), Some(c)) => (
                format!(",line={l},col={c}"),
                "forklint: file analysed in part",
            ),
            _ => (String::new(), "forklint: file not analysed"),
        };
        let _ = writeln!(
            out,
            "::error file={}{place},title={}::{}",
            escape_property(&file),
            escape_property(title),
            escape_data(&e.message)
        );
    }
    if overflow > 0 {
        let _ = writeln!(
            out,
            "::notice title=forklint::{}",
            escape_data(&format!(
                "{overflow} more findings are listed in the log only (GitHub shows {PER_LEVEL} annotations per level); use --format sarif for all of them in code scanning"
            ))
        );
    }
    if !ctx.quiet {
        out.push_str(&super::human::summary_line(ctx));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_matches_actions_toolkit() {
        assert_eq!(
            escape_data("50% done\r\nnext: a,b"),
            "50%25 done%0D%0Anext: a,b"
        );
        assert_eq!(escape_property("src/a,b:c%.rs\n"), "src/a%2Cb%3Ac%25.rs%0A");
    }
}
