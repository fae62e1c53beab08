//! Inline suppressions: `// forklint: allow(..)` on a finding's line or the line above it, and
//! `// forklint: allow-file(..)`. Applies them to the findings, and reports the directives that
//! suppressed nothing (FL000), are malformed (FL900) or give no reason when reasons are required
//! (FL901).

pub mod directive;

use crate::catalog::rules;
use crate::diagnostic::{Finding, Location};
use crate::gate::config::Levels;
use crate::rules::RuleId;
use crate::source::lex::{Lexed, LineComment};
use crate::source::Sources;
use directive::Directive;
use rayon::prelude::*;
use std::collections::BTreeMap;

struct Placed {
    comment: LineComment,
    parsed: Result<Directive, String>,
    /// The line it covers; `None` for `allow-file`.
    target: Option<u32>,
    used: Vec<bool>,
}

/// What applying the suppressions left.
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub suppressed: usize,
}

/// The line a directive comment covers: its own line when it trails code, otherwise the next
/// line that is not only a comment (so stacked comments above a statement all apply to it).
fn target_line(comment: &LineComment, lexed: &Lexed) -> u32 {
    if !comment.own_line {
        return comment.line;
    }
    let comment_lines: std::collections::HashSet<u32> =
        lexed.comments.iter().map(|c| c.line).collect();
    let mut line = comment.line + 1;
    while line <= lexed.line_count() && !lexed.is_code_line(line) && comment_lines.contains(&line) {
        line += 1;
    }
    line
}

/// Whether the file on disk holds the directive marker (an unreadable file is left to `Sources`,
/// which reports nothing for it either).
fn mentions_directive(path: &str) -> bool {
    std::fs::read(path).is_ok_and(|bytes| holds_marker(&bytes))
}

/// Whether `text` holds the marker every directive starts with: a file without it has none.
pub fn holds_marker(text: &[u8]) -> bool {
    memchr::memmem::find(text, MARKER).is_some()
}

const MARKER: &[u8] = b"forklint:";

fn directives(path: &str, sources: &mut Sources) -> Vec<Placed> {
    let Some(text) = sources.text(path) else {
        return Vec::new();
    };
    if !holds_marker(text.as_bytes()) {
        return Vec::new();
    }
    let Some(lexed) = sources.lexed(path) else {
        return Vec::new();
    };
    lexed
        .comments
        .iter()
        .filter_map(|c| {
            if c.doc {
                return None;
            }
            let parsed = directive::parse(&c.text)?;
            let (target, n) = match &parsed {
                Ok(d) if d.file_wide => (None, d.rules.len()),
                Ok(d) => (Some(target_line(c, lexed)), d.rules.len()),
                Err(_) => (None, 0),
            };
            Some(Placed {
                comment: c.clone(),
                parsed,
                target,
                used: vec![false; n],
            })
        })
        .collect()
}

fn meta(id: RuleId, path: &str, c: &LineComment, message: String) -> Finding {
    let location = Location {
        path: path.to_string(),
        line: c.line,
        column: c.column,
        end_line: c.line,
        end_column: c.end_column,
    };
    id.at(location, message)
}

/// Applies the directives of `files` (every analysed file, so that unused ones are found too) to
/// `findings`, and appends the meta-findings about the directives themselves. `marked[i]`, when
/// given, says whether `files[i]` held the marker when it was read; without it each file is read.
pub fn apply(
    findings: Vec<Finding>,
    files: &[String],
    marked: Option<&[bool]>,
    sources: &mut Sources,
    levels: &Levels,
    require_reasons: bool,
) -> Outcome {
    // Most files carry no directive: find the few that may, in parallel and without keeping
    // their text.
    let candidates: Vec<&String> = files
        .par_iter()
        .enumerate()
        .filter(|&(i, path)| {
            sources.contains(path)
                || match marked.and_then(|m| m.get(i)) {
                    Some(&held) => held,
                    None => mentions_directive(path),
                }
        })
        .map(|(_, path)| path)
        .collect();
    let mut by_file: BTreeMap<String, Vec<Placed>> = BTreeMap::new();
    for path in candidates {
        let found = directives(path, sources);
        if !found.is_empty() {
            by_file.insert(path.clone(), found);
        }
    }
    let mut out = Outcome::default();
    for f in findings {
        let hit = f.location.as_ref().and_then(|loc| {
            let placed = by_file.get_mut(&loc.path)?;
            placed.iter_mut().find_map(|p| {
                let Ok(d) = &p.parsed else { return None };
                if p.target.is_some_and(|t| t != loc.line) {
                    return None;
                }
                let i = d.rules.iter().position(|r| *r == f.rule)?;
                p.used[i] = true;
                Some(())
            })
        });
        match hit {
            Some(()) => out.suppressed += 1,
            None => out.findings.push(f),
        }
    }
    for (path, placed) in &by_file {
        for p in placed {
            match &p.parsed {
                Err(e) => out.findings.push(meta(
                    RuleId::FL900,
                    path,
                    &p.comment,
                    format!("invalid suppression comment: {e}"),
                )),
                Ok(d) => {
                    for (rule, used) in d.rules.iter().zip(&p.used) {
                        if !used && levels.severity(rule, path).is_some() {
                            let name = &rules::get(rule).name;
                            let place = match p.target {
                                Some(line) => format!("on line {line}"),
                                None => "in this file".to_string(),
                            };
                            out.findings.push(meta(
                                RuleId::FL000,
                                path,
                                &p.comment,
                                format!("unused suppression: no {rule} ({name}) finding {place}"),
                            ));
                        }
                    }
                    if require_reasons && d.reason.is_none() {
                        out.findings.push(meta(
                            RuleId::FL901,
                            path,
                            &p.comment,
                            format!("suppression of {} gives no reason", d.rules.join(", ")),
                        ));
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(path: &str, line: u32, rule: &str) -> Finding {
        let place = Location {
            path: path.into(),
            line,
            column: 1,
            end_line: line,
            end_column: 2,
        };
        RuleId::parse(rule).unwrap().at(place, "m".into())
    }

    #[test]
    fn same_line_line_above_file_wide_and_unused() {
        let text = "fn main() {\n    a(); // forklint: allow(FL001, reason = \"r\")\n    // forklint: allow(FL002)\n    // another comment\n    b();\n    c(); // forklint: allow(FL003, reason = \"nothing here\")\n    let s = \"// forklint: allow(FL004)\";\n}\n// forklint: allow-file(FL007, reason = \"r\")\n// forklint: allow(FL01)\n";
        let mut sources = Sources::default();
        sources.insert("m.rs", text.to_string());
        let findings = vec![
            finding("m.rs", 2, "FL001"),
            finding("m.rs", 5, "FL002"),
            finding("m.rs", 7, "FL004"),
            finding("m.rs", 1, "FL007"),
            finding("m.rs", 5, "FL001"),
        ];
        let out = apply(
            findings,
            &["m.rs".to_string()],
            None,
            &mut sources,
            &Levels::default(),
            true,
        );
        assert_eq!(out.suppressed, 3);
        let got = lines_and_rules(&out.findings);
        assert_eq!(
            got,
            [
                (7, "FL004"),
                (5, "FL001"),
                (3, "FL901"),
                (6, "FL000"),
                (10, "FL900")
            ]
        );
        assert!(out.findings[3]
            .message
            .contains("no FL003 (objc-before-fork) finding on line 6"));
    }

    fn lines_and_rules(findings: &[Finding]) -> Vec<(u32, &str)> {
        findings
            .iter()
            .map(|f| (f.location.as_ref().unwrap().line, f.rule.as_str()))
            .collect()
    }

    #[test]
    fn doc_comments_are_documentation_not_directives() {
        let text = "//! forklint: allow(FL01) is how a typo reads\n/// Writes `forklint: allow(FL001)` above a fork.\nfn f() {\n    g();\n}\n// forklint: allow(FL01)\n";
        let mut sources = Sources::default();
        sources.insert("d.rs", text.to_string());
        let out = apply(
            vec![finding("d.rs", 3, "FL001")],
            &["d.rs".to_string()],
            None,
            &mut sources,
            &Levels::default(),
            true,
        );
        assert_eq!(out.suppressed, 0, "a doc comment suppresses nothing");
        let got = lines_and_rules(&out.findings);
        assert_eq!(
            got,
            [(3, "FL001"), (6, "FL900")],
            "a plain comment still is a directive"
        );
    }
}
