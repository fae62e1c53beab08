//! `--format concise`: one line per finding, `path:line:col: FL001 message`, the shape editors'
//! problem matchers and `grep` expect; unreadable files as `path: error: reason`.

use super::Context;
use std::fmt::Write;

pub fn render(ctx: &Context<'_>) -> String {
    let mut out = String::new();
    for f in &ctx.report.findings {
        match &f.location {
            Some(l) => {
                let _ = writeln!(
                    out,
                    "{}:{}:{}: {} {}",
                    l.path, l.line, l.column, f.rule, f.message
                );
            }
            None => {
                let _ = writeln!(out, "{} {}", f.rule, f.message);
            }
        }
    }
    for e in &ctx.report.errors {
        let _ = writeln!(out, "{}: error: {}", e.place(), e.message);
    }
    if !ctx.quiet {
        out.push_str(&super::human::summary_line(ctx));
        out.push('\n');
    }
    out
}
