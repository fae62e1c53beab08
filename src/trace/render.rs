//! Writes the trace: per fork a human block or a JSON line, then a summary grouping the forks
//! by call site. It writes to stderr or a file, never to the program's stdout.

use crate::diagnostic::Severity;
use crate::inspect::model::{Fd, Verdict};
use crate::trace::Format;
use crate::trace::record::{ChildFate, Fate, ForkRecord};
use crate::trace::session::Output;
use crate::trace::tracer::ForkKind;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;

/// How many threads or fds a block lists before summarising the rest.
const ROWS: usize = 10;

pub struct Writer {
    out: Box<dyn Write>,
    format: Format,
}

impl Writer {
    pub fn new(out: Box<dyn Write>, format: Format) -> Writer {
        Writer { out, format }
    }

    fn write(&mut self, text: &str) {
        // A reader that went away (`| head`) must not stop the traced program.
        let _ = self.out.write_all(text.as_bytes());
        let _ = self.out.flush();
    }

    pub fn summary(&mut self, summary: &Summary) {
        let text = match self.format {
            Format::Json => json_line(summary),
            Format::Human => human_summary(summary),
        };
        self.write(&text);
    }
}

impl Output for Writer {
    fn fork(&mut self, record: &ForkRecord) {
        let text = match self.format {
            Format::Json => json_line(record),
            Format::Human => human_block(record),
        };
        self.write(&text);
    }
}

fn json_line<T: Serialize>(value: &T) -> String {
    // Strings, numbers and options only: serialising cannot fail.
    serde_json::to_string(value).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")) + "\n"
}

pub fn fate_text(fate: &ChildFate) -> String {
    match fate.fate {
        Fate::Exec { after_ms } => format!(
            "exec {} after {after_ms} ms",
            fate.program.as_deref().unwrap_or("?")
        ),
        Fate::Exit { code, after_ms } => format!("exited {code} after {after_ms} ms without exec"),
        Fate::Killed { signal, after_ms } => {
            format!("killed by signal {signal} after {after_ms} ms without exec")
        }
        Fate::Running { for_ms } => format!("still running without exec after {for_ms} ms"),
    }
}

fn verdict_text(record: &ForkRecord) -> &'static str {
    match (record.verdict, record.kind) {
        (Verdict::Safe, ForkKind::Vfork) => "benign (vfork/posix_spawn)",
        (Verdict::Safe, _)
            if matches!(
                record.child_fate.as_ref().map(|f| f.fate),
                Some(Fate::Exec { .. })
            ) =>
        {
            "benign (fork then exec)"
        }
        (Verdict::Safe, _) => "SAFE",
        (Verdict::Unsafe, _) => "UNSAFE",
        (Verdict::Unknown, _) => "UNKNOWN",
    }
}

pub fn human_block(r: &ForkRecord) -> String {
    let mut out = String::new();
    let fate = r.child_fate.as_ref().map(fate_text).unwrap_or_default();
    let _ = writeln!(
        out,
        "fork #{}  {:.3}s  pid {} ({}) thread {} -> child {}  [{}; child {}]  {}",
        r.number,
        r.time,
        r.pid,
        r.command,
        r.tid,
        r.child,
        r.kind.as_str(),
        fate,
        verdict_text(r)
    );
    let _ = writeln!(out, "  forked at {}", r.site);
    // A safe fork is two lines; its warnings (fds exec would keep) are in the JSON.
    if r.verdict == Verdict::Safe {
        out.push('\n');
        return out;
    }
    {
        threads(&mut out, r);
        sockets(&mut out, r);
        if !r.locks.is_empty() {
            let list: Vec<String> = r
                .locks
                .iter()
                .map(|l| {
                    format!(
                        "{} {} on {}",
                        l.kind,
                        l.mode,
                        l.path.as_deref().unwrap_or(&l.file_id)
                    )
                })
                .collect();
            let _ = writeln!(out, "  locks: {}", list.join(", "));
        }
        if !r.libraries.is_empty() {
            let list: Vec<String> = r
                .libraries
                .iter()
                .map(|l| {
                    let base = l.path.rsplit('/').next().unwrap_or(&l.path);
                    format!("{base} ({})", l.matched)
                })
                .collect();
            let _ = writeln!(out, "  libraries: {}", list.join(", "));
        }
    }
    for f in &r.findings {
        let _ = writeln!(
            out,
            "  {}[{}] {}: {}",
            f.severity, f.rule, f.name, f.message
        );
        if f.severity >= Severity::Warning {
            let _ = writeln!(out, "    help: {}", f.help);
        }
    }
    for n in &r.not_checked {
        let _ = writeln!(out, "  not checked: {n}");
    }
    for n in &r.full_stack.notes {
        let _ = writeln!(out, "  note: {n}");
    }
    out.push('\n');
    out
}

fn threads(out: &mut String, r: &ForkRecord) {
    if r.threads.is_empty() {
        return;
    }
    let _ = writeln!(out, "  threads alive ({}):", r.threads.len());
    for t in r.threads.iter().take(ROWS) {
        let mut line = format!("    {} {}", t.tid, t.name);
        if let Some(p) = &t.python_name {
            let _ = write!(line, " \"{p}\"");
        }
        if let Some(o) = &t.owner {
            let _ = write!(line, " ({o})");
        }
        if t.forking {
            line.push_str(" forking");
        } else if let Some(site) = &t.started_at {
            let _ = write!(line, " started at {site}");
        } else if t.tid == r.pid {
            line.push_str(" main thread");
        } else {
            line.push_str(" started before the trace");
        }
        let _ = writeln!(out, "{line}");
    }
    if r.threads.len() > ROWS {
        let _ = writeln!(out, "    ... and {} more", r.threads.len() - ROWS);
    }
}

/// A socket as one phrase: `fd 13 tcp ESTABLISHED to 127.0.0.1:5432 (postgres)`.
fn describe_socket(fd: &Fd) -> Option<String> {
    let s = fd.socket.as_ref()?;
    let mut text = format!("fd {} {} {}", fd.fd, s.protocol, s.state);
    if let Some(peer) = &s.peer {
        let _ = write!(text, " to {peer}");
    } else if let Some(local) = &s.local {
        let _ = write!(text, " {local}");
    }
    if let Some(svc) = &s.service {
        let _ = write!(text, " ({svc})");
    }
    Some(text)
}

/// Sockets with a known service first, then network ones, then local (unix) ones.
fn by_interest(fds: &[Fd]) -> Vec<&Fd> {
    let mut sockets: Vec<&Fd> = fds.iter().filter(|f| f.socket.is_some()).collect();
    sockets.sort_by_key(|f| {
        let s = f.socket.as_ref();
        (
            s.and_then(|s| s.service.as_ref()).is_none(),
            s.is_some_and(|s| s.protocol == "unix"),
            f.fd,
        )
    });
    sockets
}

fn sockets(out: &mut String, r: &ForkRecord) {
    let list: Vec<String> = by_interest(&r.fds)
        .into_iter()
        .filter_map(describe_socket)
        .collect();
    if list.is_empty() {
        return;
    }
    let more = list.len().saturating_sub(ROWS);
    let mut line = list.into_iter().take(ROWS).collect::<Vec<_>>().join(", ");
    if more > 0 {
        let _ = write!(line, ", and {more} more");
    }
    let _ = writeln!(out, "  sockets: {line}");
}

/// The forks made at one call site.
#[derive(Debug, Default, Serialize)]
pub struct SiteSummary {
    pub site: String,
    pub forks: usize,
    #[serde(rename = "unsafe")]
    pub unsafe_forks: usize,
    pub exec: usize,
    pub exit: usize,
    pub running: usize,
    pub kinds: Vec<&'static str>,
    /// The rules of the error findings at this site.
    pub rules: Vec<String>,
    /// Network connections the unsafe forks shared with their children.
    pub shared: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub version: u32,
    pub event: &'static str,
    pub forks: usize,
    #[serde(rename = "unsafe")]
    pub unsafe_forks: usize,
    pub threads_started: usize,
    pub sites: Vec<SiteSummary>,
    /// The exit code of the traced command (absent when attached to a pid).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program_exit: Option<i32>,
}

impl Summary {
    pub fn new(
        records: &[ForkRecord],
        threads_started: usize,
        program_exit: Option<i32>,
    ) -> Summary {
        let mut sites: BTreeMap<&str, SiteSummary> = BTreeMap::new();
        for r in records {
            let s = sites.entry(r.site.as_str()).or_insert_with(|| SiteSummary {
                site: r.site.clone(),
                ..SiteSummary::default()
            });
            s.forks += 1;
            if r.verdict == Verdict::Unsafe {
                s.unsafe_forks += 1;
            }
            match r.child_fate.as_ref().map(|f| f.fate) {
                Some(Fate::Exec { .. }) => s.exec += 1,
                Some(Fate::Exit { .. } | Fate::Killed { .. }) => s.exit += 1,
                Some(Fate::Running { .. }) | None => s.running += 1,
            }
            if !s.kinds.contains(&r.kind.as_str()) {
                s.kinds.push(r.kind.as_str());
            }
            for f in r.findings.iter().filter(|f| f.severity == Severity::Error) {
                if !s.rules.contains(&f.rule) {
                    s.rules.push(f.rule.clone());
                }
            }
            if r.verdict == Verdict::Unsafe {
                // Connections to a network peer: what a pool or client opened before the fork.
                let connected = by_interest(&r.fds).into_iter().filter(|fd| {
                    fd.socket.as_ref().is_some_and(|s| {
                        s.protocol != "unix" && s.peer.is_some() && s.state != "LISTEN"
                    })
                });
                for text in connected.filter_map(describe_socket) {
                    if !s.shared.contains(&text) {
                        s.shared.push(text);
                    }
                }
            }
        }
        let mut sites: Vec<SiteSummary> = sites.into_values().collect();
        sites.sort_by(|a, b| {
            b.unsafe_forks
                .cmp(&a.unsafe_forks)
                .then(b.forks.cmp(&a.forks))
        });
        Summary {
            version: 1,
            event: "summary",
            forks: records.len(),
            unsafe_forks: records
                .iter()
                .filter(|r| r.verdict == Verdict::Unsafe)
                .count(),
            threads_started,
            sites,
            program_exit,
        }
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

pub fn human_summary(s: &Summary) -> String {
    let mut out = format!(
        "forklint trace: {}, {} unsafe, {} started\n",
        plural(s.forks, "fork"),
        s.unsafe_forks,
        plural(s.threads_started, "thread")
    );
    for site in &s.sites {
        let mut line = format!(
            "  {} ({}) at {}: {} unsafe",
            plural(site.forks, "fork"),
            site.kinds.join("/"),
            site.site,
            site.unsafe_forks
        );
        if !site.rules.is_empty() {
            let _ = write!(line, " ({})", site.rules.join(", "));
        }
        let _ = write!(
            line,
            "; children: {} exec'd, {} ended without exec, {} went on without exec",
            site.exec, site.exit, site.running
        );
        let _ = writeln!(out, "{line}");
        for shared in &site.shared {
            let _ = writeln!(out, "    shared: {shared}");
        }
    }
    out
}
