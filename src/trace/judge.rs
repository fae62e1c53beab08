//! The verdict on one fork, in the finding model and rule ids of `inspect`: the parent's
//! findings at the fork count when the child went on running the program (or exited without
//! exec); a child that exec'd promptly leaves only what exec keeps (fds without close-on-exec,
//! FL007); a vfork/posix_spawn child shares the suspended parent's memory until its exec.

use crate::diagnostic::{Location, Related, Severity};
use crate::inspect::model::Verdict;
use crate::rules::RuleId;
use crate::trace::record::{Fate, ForkRecord};
use crate::trace::remedy;
use crate::trace::tracer::ForkKind;

/// Rules whose hazard lives in the child's copy of the parent's memory, gone at exec.
const MEMORY_RULES: [RuleId; 3] = [RuleId::FL001, RuleId::FL003, RuleId::FL004];

pub fn judge(record: &mut ForkRecord, exec_within_ms: u64) {
    let fate = record.child_fate.as_ref().map(|f| f.fate);
    if record.kind == ForkKind::Vfork {
        record.verdict = Verdict::Safe;
        record.findings.clear();
        return;
    }
    let Some(report) = &record.report else {
        record.verdict = Verdict::Unknown;
        return;
    };
    let prompt_exec = matches!(fate, Some(Fate::Exec { after_ms }) if after_ms <= exec_within_ms);
    if prompt_exec {
        record.findings = report
            .findings
            .iter()
            .filter(|f| f.rule == RuleId::FL007)
            .cloned()
            .collect();
        record.verdict = Verdict::Safe;
        return;
    }
    let remedy = remedy::for_fork(&record.full_stack, &record.command);
    let location = record.full_stack.own_frame().and_then(location_of);
    let starters: Vec<_> = record
        .threads
        .iter()
        .filter(|t| !t.forking && t.started_at.is_some())
        .collect();
    let mut findings = report.findings.clone();
    for finding in &mut findings {
        finding.location = location.clone();
        if !MEMORY_RULES.iter().any(|r| finding.rule == *r) {
            continue;
        }
        if finding.severity == Severity::Error {
            finding.help = format!("{remedy}; {}", finding.help);
        }
        if finding.rule == RuleId::FL001 && !starters.is_empty() {
            let named: Vec<String> = starters
                .iter()
                .map(|t| {
                    format!(
                        "{} `{}` at {}",
                        t.tid,
                        t.python_name.as_deref().unwrap_or(&t.name),
                        t.started_at.as_deref().unwrap_or("?")
                    )
                })
                .collect();
            finding.message = format!("{}; started: {}", finding.message, named.join(", "));
            finding.related.extend(starters.iter().filter_map(|t| {
                Some(Related {
                    location: t.start_location.clone()?,
                    message: format!("thread {} started here", t.tid),
                })
            }));
        }
    }
    record.findings = findings;
    record.verdict = report.verdict;
}

pub fn location_of(frame: &crate::trace::stack::Frame) -> Option<Location> {
    let line = frame.line?;
    Some(Location {
        path: frame.file.clone()?,
        line,
        column: 1,
        end_line: line,
        end_column: 1,
    })
}
