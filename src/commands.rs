//! The subcommands: what each prints and the exit code it returns.

use crate::catalog::{rules, Catalog};
use crate::check::{self, CheckOptions};
use crate::cli::{CheckArgs, Cli, Command, Format, OutputArgs};
use crate::diagnostic::Severity;
use crate::report;
use std::io::Write;
use std::path::PathBuf;

pub fn run(cli: &Cli) -> anyhow::Result<i32> {
    match &cli.command {
        Command::Check(args) => check(args),
        Command::Inspect(args) => crate::inspect::run(args),
        Command::Rules(args) => list_rules(args),
        Command::Explain { rule } => explain(rule),
    }
}

fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        // A closed pipe (`| head`) is not an error of ours.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn check(args: &CheckArgs) -> anyhow::Result<i32> {
    colored::control::set_override(report::use_color(args.output.color));
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let catalog = Catalog::builtin();
    let report = match check::run(
        &paths,
        catalog,
        &CheckOptions {
            prefilter: !args.no_prefilter,
        },
    ) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("forklint: error: {e}");
            return Ok(2);
        }
    };
    let text = match args.output.format {
        Format::Json => report::json::render(&report),
        Format::Human => report::human::render(&report, args.output.quiet),
        other => anyhow::bail!("--format {other:?} is not supported by check yet"),
    };
    print(&text)?;
    if args.stats {
        let s = &report.stats;
        eprintln!(
            "files seen {}, parsed {}, skipped by prefilter {}, functions {}, call edges {}, summary walks {}, propagation walks {}\nwalk {:.3}s, parse {:.3}s, analysis {:.3}s",
            s.files_seen,
            s.files_parsed,
            s.files_skipped,
            s.analysis.functions,
            s.analysis.call_edges,
            s.analysis.summary_walks,
            s.analysis.propagate_walks,
            s.walk.as_secs_f64(),
            s.parse.as_secs_f64(),
            s.analyse.as_secs_f64()
        );
    }
    let failing = report
        .findings
        .iter()
        .any(|f| f.severity >= Severity::Warning)
        || !report.errors.is_empty();
    Ok(if failing { 1 } else { 0 })
}

fn list_rules(args: &OutputArgs) -> anyhow::Result<i32> {
    let rules = rules::all();
    let text = match args.format {
        Format::Json => {
            let list: Vec<_> = rules
                .iter()
                .map(|r| serde_json::json!({"id": r.id, "name": r.name, "severity": r.severity, "summary": r.summary}))
                .collect();
            serde_json::to_string_pretty(&list)? + "\n"
        }
        _ => {
            let mut out = String::new();
            for r in rules {
                out.push_str(&format!(
                    "{}  {:<24} {:<8} {}\n",
                    r.id,
                    r.name,
                    r.severity.as_str(),
                    r.summary
                ));
            }
            out
        }
    };
    print(&text)?;
    Ok(0)
}

/// The full documentation of one rule, as markdown-ish text.
pub fn explain_text(doc: &rules::RuleDoc) -> String {
    let mut out = format!(
        "# {} {}\n\nDefault severity: {}\n\n{}\n",
        doc.id, doc.name, doc.severity, doc.summary
    );
    out.push_str(&format!("\n## What it does\n{}\n", doc.what.trim()));
    out.push_str(&format!("\n## Why is this bad?\n{}\n", doc.why.trim()));
    out.push_str(&format!(
        "\n## Example\n```rust\n{}\n```\n",
        doc.example.trim()
    ));
    out.push_str(&format!(
        "\n## Use instead\n{}\n\n```rust\n{}\n```\n",
        doc.fix.trim(),
        doc.fixed.trim()
    ));
    out.push_str(&format!(
        "\n## Known problems\n{}\n",
        doc.known_problems.trim()
    ));
    out.push_str("\n## References\n");
    for r in &doc.references {
        out.push_str(&format!("- {r}\n"));
    }
    out
}

fn explain(key: &str) -> anyhow::Result<i32> {
    match rules::find(key) {
        Some(doc) => {
            print(&explain_text(doc))?;
            Ok(0)
        }
        None => {
            let ids: Vec<String> = rules::all()
                .iter()
                .map(|r| format!("{} ({})", r.id, r.name))
                .collect();
            eprintln!(
                "forklint: error: unknown rule `{key}`; the rules are: {}",
                ids.join(", ")
            );
            Ok(2)
        }
    }
}
