//! The subcommands: what each prints and the exit code it returns.

use crate::catalog::rules;
use crate::check::CheckReport;
use crate::cli::{Cli, Command, Format, OutputArgs};
use crate::config;
use std::ffi::OsString;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

pub fn run(cli: &Cli) -> anyhow::Result<i32> {
    match &cli.command {
        Command::Check(args) => crate::lint::run(args),
        Command::Inspect(args) => crate::inspect::run(args),
        Command::Rules(args) => list_rules(args),
        Command::Explain { rule } => explain(rule),
        Command::Init { dir, force } => init(dir.as_deref(), *force),
    }
}

/// Both binaries: parse, run, and map the outcome to an exit code. A panic is a bug of ours and
/// exits 2 ("could not run"), never 101 or 0.
pub fn main_with(args: Vec<OsString>) -> ExitCode {
    let cli = match crate::cli::parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match std::panic::catch_unwind(|| run(&cli)) {
        Ok(Ok(code)) => ExitCode::from(code.clamp(0, 255) as u8),
        Ok(Err(e)) => {
            eprintln!("forklint: error: {e:#}");
            ExitCode::from(2)
        }
        Err(_) => {
            eprintln!("forklint: internal error (a bug in forklint); please report it with the input that caused it");
            ExitCode::from(2)
        }
    }
}

pub(crate) fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        // A closed pipe (`| head`) is not an error of ours.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Counts and timings of a run, for `--stats`, on stderr.
pub(crate) fn print_stats(report: &CheckReport) {
    let s = &report.stats;
    eprintln!(
        "files seen {}, parsed {}, skipped by prefilter {}, functions {}, call edges {}, summary walks {}, propagation walks {}, prefilter rounds {} ({} work units for {} bytes scanned{})\nwalk {:.3}s, scan {:.3}s, parse {:.3}s, analysis {:.3}s",
        s.files_seen,
        s.files_parsed,
        s.files_skipped,
        s.analysis.functions,
        s.analysis.call_edges,
        s.analysis.summary_walks,
        s.analysis.propagate_walks,
        s.rounds,
        s.prefilter_work,
        s.bytes,
        if s.prefilter_gave_up {
            ", gave up and parsed every file"
        } else if s.prefilter_took_rest {
            ", a round selected most of what was left and took the rest"
        } else {
            ""
        },
        s.walk.as_secs_f64(),
        s.scan.as_secs_f64(),
        s.parse.saturating_sub(s.scan).as_secs_f64(),
        s.analyse.as_secs_f64()
    );
}

fn init(dir: Option<&Path>, force: bool) -> anyhow::Result<i32> {
    let dir = dir.unwrap_or(Path::new("."));
    let file = dir.join("forklint.toml");
    if file.exists() && !force {
        anyhow::bail!(
            "{} already exists; pass --force to overwrite it",
            file.display()
        );
    }
    std::fs::write(&file, config::template::TEMPLATE)
        .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", file.display()))?;
    eprintln!("forklint: wrote {}", file.display());
    Ok(0)
}

fn list_rules(args: &OutputArgs) -> anyhow::Result<i32> {
    let rules: Vec<_> = rules::every().collect();
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
            let ids: Vec<String> = rules::every()
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
