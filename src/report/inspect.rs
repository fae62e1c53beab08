//! Prints an inspection [`Report`]: JSON exactly as the report model serialises, or a human
//! summary that reads at a glance (header, threads, fds, sockets, locks, libraries, verdict).

use crate::diagnostic::Severity;
use crate::inspect::model::{Fd, PeerScope, Report, Verdict};
use colored::{ColoredString, Colorize};
use std::collections::BTreeMap;
use std::fmt::Write;

pub fn json(report: &Report) -> String {
    // The model holds only strings, numbers and options: serialising it cannot fail.
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

struct Paint {
    color: bool,
}

impl Paint {
    fn apply(&self, text: &str, f: impl Fn(&str) -> ColoredString) -> String {
        if self.color {
            f(text).to_string()
        } else {
            text.to_string()
        }
    }
    fn bold(&self, t: &str) -> String {
        self.apply(t, |s| s.bold())
    }
    fn dim(&self, t: &str) -> String {
        self.apply(t, |s| s.dimmed())
    }
    fn severity(&self, s: Severity) -> String {
        match s {
            Severity::Error => self.apply("error", |t| t.red().bold()),
            Severity::Warning => self.apply("warning", |t| t.yellow().bold()),
            Severity::Info => self.apply("info", |t| t.cyan().bold()),
        }
    }
    fn verdict(&self, v: Verdict) -> String {
        match v {
            Verdict::Safe => self.apply("SAFE", |t| t.green().bold()),
            Verdict::Unsafe => self.apply("UNSAFE", |t| t.red().bold()),
            Verdict::Unknown => self.apply("UNKNOWN", |t| t.yellow().bold()),
        }
    }
}

/// How many rows of a long list the human view shows before summarising the rest.
const ROWS: usize = 12;

pub fn human(report: &Report, color: bool, quiet: bool) -> String {
    // `colored` makes its own tty guess; the caller has already decided.
    if color {
        colored::control::set_override(true);
    }
    let p = Paint { color };
    let mut out = String::new();
    if !quiet {
        header(&mut out, &p, report);
        threads(&mut out, &p, report);
        fds(&mut out, &p, report);
        sockets(&mut out, &p, report);
        locks(&mut out, &p, report);
        libraries(&mut out, &p, report);
        if !report.environment.is_empty() {
            let _ = writeln!(out, "{}", p.bold("environment (as launched)"));
            for e in &report.environment {
                let _ = writeln!(out, "  {}={}  {}", e.name, e.value, p.dim(&e.effect));
            }
            out.push('\n');
        }
        if !report.not_checked.is_empty() {
            let _ = writeln!(out, "{}", p.bold("not checked"));
            for n in &report.not_checked {
                let _ = writeln!(out, "  {:<18} {}", n.check, n.reason);
            }
            out.push('\n');
        }
    }
    for f in &report.findings {
        let _ = writeln!(
            out,
            "{}{}: {}",
            p.severity(f.severity),
            p.bold(&format!("[{}]", f.rule)),
            p.bold(&f.message)
        );
        let _ = writeln!(out, "  {} {}: {}", p.dim("="), p.bold("help"), f.help);
    }
    if !report.findings.is_empty() {
        out.push('\n');
    }
    let why = match report.verdict {
        Verdict::Safe => "forking this process now looks safe",
        Verdict::Unsafe => "forking this process now is unsafe",
        Verdict::Unknown => {
            "could not tell: some checks that matter did not run (see \"not checked\")"
        }
    };
    let _ = writeln!(out, "verdict: {}  {}", p.verdict(report.verdict), why);
    out
}

fn header(out: &mut String, p: &Paint, r: &Report) {
    let _ = writeln!(out, "{} {}", p.bold("pid"), p.bold(&r.pid.to_string()));
    let _ = writeln!(out, "  command     {}", r.command);
    let exe = r.executable.as_deref().unwrap_or("?");
    if r.executable_imports.is_empty() {
        let _ = writeln!(out, "  executable  {exe}");
    } else {
        let _ = writeln!(
            out,
            "  executable  {exe}  {}",
            p.dim(&format!("(imports {})", r.executable_imports.join(", ")))
        );
    }
    out.push('\n');
}

fn threads(out: &mut String, p: &Paint, r: &Report) {
    let _ = writeln!(out, "{}", p.bold(&format!("threads ({})", r.threads.len())));
    // Group by name: 50 pool workers are one line.
    let mut groups: BTreeMap<(bool, &str), Vec<&crate::inspect::model::Thread>> = BTreeMap::new();
    for t in &r.threads {
        groups
            .entry((t.tid != r.pid, t.name.as_str()))
            .or_default()
            .push(t);
    }
    for ((other, name), members) in groups {
        let mut states: BTreeMap<&str, usize> = BTreeMap::new();
        for t in &members {
            *states.entry(t.state.as_str()).or_default() += 1;
        }
        // One state for the whole group reads as that state; a mix says how many are in each.
        let states: Vec<String> = if states.len() == 1 {
            states.keys().map(|s| s.to_string()).collect()
        } else {
            states.iter().map(|(s, n)| format!("{n} {s}")).collect()
        };
        let tid = if members.len() == 1 {
            members[0].tid.to_string()
        } else {
            format!("{} threads", members.len())
        };
        let note = if !other {
            "main thread".to_string()
        } else {
            owners(&members)
        };
        let row = format!(
            "  {tid:>11}  {:<16} {:<8} {}",
            name,
            states.join(", "),
            p.dim(&note)
        );
        let _ = writeln!(out, "{}", row.trim_end());
    }
    out.push('\n');
}

/// Who started a group of same-named threads: each distinct owner with its count, and whether
/// it is a guess from the name.
fn owners(members: &[&crate::inspect::model::Thread]) -> String {
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    for t in members {
        let label = match (&t.owner, t.attributed_by.as_deref()) {
            (Some(o), Some("name" | "python_name")) => format!("{o} (by name: a guess)"),
            (Some(o), _) => o.clone(),
            (None, _) => "creator unknown".to_string(),
        };
        *by.entry(label).or_default() += 1;
    }
    let single = by.len() == 1;
    by.into_iter()
        .map(|(label, n)| {
            if single {
                label
            } else {
                format!("{n}: {label}")
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn cloexec(fd: &Fd) -> &'static str {
    match fd.cloexec {
        Some(true) => "cloexec",
        Some(false) => "no-cloexec",
        None => "cloexec?",
    }
}

fn fds(out: &mut String, p: &Paint, r: &Report) {
    // An empty list the fds could not be read for is not "no fds": say so instead of a count.
    if r.fds.is_empty() && r.not_checked.iter().any(|n| n.check == "fds") {
        let _ = writeln!(
            out,
            "{}  {}\n",
            p.bold("fds"),
            p.dim("not read (see \"not checked\")")
        );
        return;
    }
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &r.fds {
        *kinds.entry(f.kind.as_str()).or_default() += 1;
    }
    let summary: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let leaking = r.fds.iter().filter(|f| f.cloexec == Some(false)).count();
    let _ = writeln!(
        out,
        "{}  {}",
        p.bold(&format!("fds ({})", r.fds.len())),
        p.dim(&format!(
            "{}; {leaking} without close-on-exec",
            summary.join(", ")
        ))
    );
    let rows: Vec<&Fd> = r.fds.iter().filter(|f| f.kind != "socket").collect();
    for f in rows.iter().take(ROWS) {
        let mut extra = String::new();
        if let Some(a) = &f.access {
            extra.push_str(a);
        }
        if let Some(off) = f.offset {
            let _ = write!(extra, " offset {off}");
        }
        let _ = writeln!(
            out,
            "  {:>5}  {:<9} {:<16} {}  {}",
            f.fd,
            f.kind,
            cloexec(f),
            f.target,
            p.dim(extra.trim())
        );
    }
    if rows.len() > ROWS {
        let _ = writeln!(
            out,
            "  {}",
            p.dim(&format!(
                "... and {} more (--format json lists all)",
                rows.len() - ROWS
            ))
        );
    }
    out.push('\n');
}

fn sockets(out: &mut String, p: &Paint, r: &Report) {
    let socks: Vec<&Fd> = r.fds.iter().filter(|f| f.socket.is_some()).collect();
    if socks.is_empty() {
        return;
    }
    let _ = writeln!(out, "{}", p.bold(&format!("sockets ({})", socks.len())));
    for f in socks.iter().take(ROWS * 2) {
        let Some(s) = &f.socket else { continue };
        let ends = match (&s.local, &s.peer) {
            (Some(l), Some(peer)) => format!("{l} -> {peer}"),
            (Some(l), None) => l.clone(),
            (None, Some(peer)) => format!("-> {peer}"),
            (None, None) => f.target.clone(),
        };
        let mut who = s.service.clone().unwrap_or_default();
        match (&s.peer_process, s.peer_scope) {
            (_, Some(PeerScope::SameProcess)) => who.push_str(" (other end in this process)"),
            (Some(pp), Some(PeerScope::Family)) => {
                let _ = write!(who, " (its own {} pid {})", pp.name, pp.pid);
            }
            (Some(pp), None) => {
                let _ = write!(who, " ({} pid {})", pp.name, pp.pid);
            }
            (None, _) => {}
        }
        if !s.shared_with.is_empty() {
            let pids: Vec<String> = s.shared_with.iter().map(|p| p.pid.to_string()).collect();
            let _ = write!(who, " [also open in {}]", pids.join(", "));
        }
        let _ = writeln!(
            out,
            "  {:>5}  {:<6} {:<44} {:<12} {:<16} {}",
            f.fd,
            s.protocol,
            ends,
            s.state,
            cloexec(f),
            p.bold(who.trim())
        );
    }
    if socks.len() > ROWS * 2 {
        let _ = writeln!(
            out,
            "  {}",
            p.dim(&format!("... and {} more", socks.len() - ROWS * 2))
        );
    }
    out.push('\n');
}

fn locks(out: &mut String, p: &Paint, r: &Report) {
    if r.locks.is_empty() {
        return;
    }
    let _ = writeln!(out, "{}", p.bold(&format!("locks ({})", r.locks.len())));
    for l in &r.locks {
        let fd = l.fd.map(|f| f.to_string()).unwrap_or_else(|| "-".into());
        let path = l.path.clone().unwrap_or_else(|| l.file_id.clone());
        let state = if l.waiting { "waiting" } else { "held" };
        let _ = writeln!(
            out,
            "  {fd:>5}  {:<6} {:<6} {state:<8} {path}  {}",
            l.kind,
            l.mode,
            p.dim(&format!("child: {}", l.inherited))
        );
    }
    out.push('\n');
}

fn libraries(out: &mut String, p: &Paint, r: &Report) {
    if r.libraries.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "{}",
        p.bold(&format!("libraries of note ({})", r.libraries.len()))
    );
    for l in &r.libraries {
        let handlers = if l.atfork {
            "has fork handlers"
        } else {
            "no fork handlers"
        };
        let confirmed = match l.confirmed {
            Some(true) => "",
            Some(false) => ", identity not confirmed",
            None => ", not readable",
        };
        let _ = writeln!(
            out,
            "  {:<14} {}  {}",
            l.matched,
            l.path,
            p.dim(&format!("{} ({handlers}{confirmed})", l.description))
        );
    }
    out.push('\n');
}
