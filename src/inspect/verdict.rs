//! The verdict: turns what was seen into findings (FL001 threads, FL002 sockets, FL003 Apple
//! frameworks, FL004 locks, FL007 fds), each with a concrete remedy, and decides safe, unsafe or
//! unknown. Warnings explain; only errors make a process unsafe to fork.

use crate::diagnostic::{Finding, Location, Related, Severity};
use crate::inspect::catalog::{self, Catalog, Remedy};
use crate::inspect::model::{EnvVar, Fd, Library, PeerScope, Report, Verdict};
use crate::rules::RuleId;
use std::collections::BTreeMap;

/// Checks without which "safe" would be a guess.
const ESSENTIAL_CHECKS: [&str; 3] = ["threads", "fds", "libraries"];

pub fn evaluate(report: &mut Report) {
    let cat = catalog::get();
    let mut findings = Vec::new();
    findings.extend(threads_finding(report, cat));
    findings.extend(socket_findings(report, cat));
    findings.extend(library_findings(report, cat));
    findings.extend(lock_finding(report));
    findings.extend(fd_findings(report, cat));
    findings.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.rule.cmp(&b.rule)));
    let unsafe_now = findings.iter().any(|f| f.severity == Severity::Error);
    let blind = report
        .not_checked
        .iter()
        .any(|n| ESSENTIAL_CHECKS.contains(&n.check.as_str()));
    report.verdict = if unsafe_now {
        Verdict::Unsafe
    } else if blind {
        Verdict::Unknown
    } else {
        Verdict::Safe
    };
    report.findings = findings;
}

fn finding(rule: RuleId, severity: Severity, message: String, help: String) -> Finding {
    Finding {
        severity,
        help,
        ..rule.finding(message)
    }
}

/// The general advice for a rule, fitted to the program's runtime when it is known.
fn general_help(report: &Report, cat: &Catalog, rule: RuleId) -> String {
    let runtime = report.runtime.as_deref().and_then(|r| cat.runtime(r));
    match (rule, runtime) {
        (RuleId::FL001, Some(rt)) => rt.threads.clone(),
        (RuleId::FL002, Some(rt)) => rt.connections.clone(),
        _ => rule.doc().help.clone(),
    }
}

/// A remedy for this process's runtime.
fn remedy(report: &Report, r: &Remedy) -> Option<String> {
    r.for_runtime(report.runtime.as_deref()).map(str::to_string)
}

/// Distinct remedies, or the general advice when nothing more specific is known; alternatives
/// already in force (an environment variable the process was launched with at that value) are
/// left out.
fn join_help(report: &Report, cat: &Catalog, mut remedies: Vec<String>, rule: RuleId) -> String {
    if remedies.is_empty() {
        remedies.push(general_help(report, cat, rule));
    }
    let mut seen: Vec<String> = Vec::new();
    for r in remedies {
        let kept: Vec<&str> = r
            .split(", or ")
            .filter(|alt| !already_applied(report, alt))
            .collect();
        let r = kept.join(", or ");
        if !r.is_empty() && !seen.contains(&r) {
            seen.push(r);
        }
    }
    seen.join("; ")
}

/// The alternative asks for `NAME=VALUE` and the process already runs with it.
fn already_applied(report: &Report, alternative: &str) -> bool {
    report.environment.iter().any(|e| {
        let setting = format!("{}={}", e.name, e.value);
        alternative
            .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
            .any(|word| word == setting)
    })
}

fn env_value<'a>(report: &'a Report, name: &str) -> Option<&'a str> {
    env_in(&report.environment, name)
}

fn env_in<'a>(environment: &'a [EnvVar], name: &str) -> Option<&'a str> {
    environment
        .iter()
        .find(|e| e.name == name)
        .map(|e| e.value.as_str())
}

fn mitigated(report: &Report, cat: &Catalog, key: &str) -> bool {
    mitigated_in(cat, &report.libraries, &report.environment, key)
}

/// A library whose fork handlers make its hazard harmless for the child, and the launcher did
/// not switch that behaviour off. Only a thread tied to such a library can be covered: for every
/// other thread, who started it cannot change the verdict.
pub fn mitigated_in(
    cat: &Catalog,
    libraries: &[Library],
    environment: &[EnvVar],
    key: &str,
) -> bool {
    let Some(entry) = cat.library(key) else {
        return false;
    };
    if let Some(var) = &entry.atfork_unless_env {
        if env_in(environment, var).is_some() {
            return false;
        }
    }
    entry.atfork_mitigates && libraries.iter().any(|l| l.matched == key && l.atfork)
}

fn threads_finding(report: &Report, cat: &Catalog) -> Option<Finding> {
    let main_name = report
        .threads
        .iter()
        .find(|t| t.tid == report.pid)
        .map(|t| t.name.clone())
        .unwrap_or_default();
    let others: Vec<_> = report
        .threads
        .iter()
        .filter(|t| t.tid != report.pid)
        .collect();
    if others.is_empty() {
        return None;
    }
    // (name, owner) -> (count, how attributed, library)
    type Group<'a> = (usize, Option<&'a str>, Option<&'a str>);
    let mut groups: BTreeMap<(&str, Option<&str>), Group> = BTreeMap::new();
    for t in &others {
        let g = groups
            .entry((t.name.as_str(), t.owner.as_deref()))
            .or_insert((0, t.attributed_by.as_deref(), t.library.as_deref()));
        g.0 += 1;
    }
    let pool_libs: Vec<&str> = report
        .libraries
        .iter()
        .filter(|l| l.hazard == "threads" || l.hazard == "device")
        .map(|l| l.description.as_str())
        .collect();
    let mut covered_parts = Vec::new();
    let mut uncovered_parts = Vec::new();
    let mut remedies = Vec::new();
    let mut uncovered = 0;
    for ((name, owner), (count, how, library)) in &groups {
        let times = if *count > 1 {
            format!(" x{count}")
        } else {
            String::new()
        };
        let who = match (owner, *how) {
            (Some(o), Some("name")) => format!(" ({o}; by name, a guess)"),
            (Some(o), Some("python_name")) => format!(" ({o}; by its Python name, a guess)"),
            (Some(o), _) => format!(" ({o})"),
            (None, _) if *name == main_name && !pool_libs.is_empty() => format!(
                " (unnamed: inherits the process name, creator not found; loaded: {})",
                pool_libs.join(", ")
            ),
            (None, _) if *name == main_name => {
                " (unnamed: inherits the process name, creator not found)".to_string()
            }
            (None, _) if *name == "?" => " (names not readable)".to_string(),
            (None, _) => String::new(),
        };
        let text = format!("{name}{times}{who}");
        if let Some(p) = cat.thread_owner(name).filter(|_| *how == Some("name")) {
            remedies.extend(remedy(report, &p.remedy));
        }
        if let Some(entry) = library.and_then(|k| cat.library(k)) {
            remedies.extend(remedy(report, &entry.remedy));
        }
        if library.is_some_and(|lib| mitigated(report, cat, lib)) {
            covered_parts.push(text);
        } else {
            uncovered += count;
            uncovered_parts.push(text);
        }
    }
    let n = others.len();
    let noun = if n == 1 { "thread is" } else { "threads are" };
    let mut message = format!("{n} other {noun} alive");
    if !uncovered_parts.is_empty() {
        message.push_str(&format!(
            "; no fork handler covers {uncovered}: {}",
            uncovered_parts.join(", ")
        ));
    }
    if !covered_parts.is_empty() {
        message.push_str(&format!(
            "; their library's fork handlers make these harmless to the child: {}",
            covered_parts.join(", ")
        ));
    }
    let severity = if uncovered > 0 {
        Severity::Error
    } else {
        Severity::Info
    };
    let help = if uncovered > 0 {
        join_help(report, cat, remedies, RuleId::FL001)
    } else {
        "nothing needed while the fork handlers stay on; to be independent of them, fork before the pool starts".to_string()
    };
    Some(finding(RuleId::FL001, severity, message, help))
}

fn describe_socket(fd: &Fd) -> String {
    let Some(s) = &fd.socket else {
        return format!("fd {}", fd.fd);
    };
    let mut text = format!("fd {} {}", fd.fd, s.protocol);
    if let Some(peer) = &s.peer {
        text.push_str(&format!(" to {peer}"));
    } else if let Some(local) = &s.local {
        text.push_str(&format!(" {local}"));
    }
    let who = match (&s.service, &s.peer_process, s.peer_scope) {
        (_, _, Some(PeerScope::SameProcess)) => Some("the other end is in this process".into()),
        (_, Some(p), Some(PeerScope::Family)) => Some(format!(
            "{} pid {}, of its own process family",
            p.name, p.pid
        )),
        (Some(svc), Some(p), None) => Some(format!("{svc}, {} pid {}", p.name, p.pid)),
        (Some(svc), None, _) => Some(svc.clone()),
        (None, Some(p), _) => Some(format!("{} pid {}", p.name, p.pid)),
        (None, None, _) => None,
    };
    if let Some(who) = who {
        text.push_str(&format!(" ({who})"));
    }
    text
}

/// "this postgres connection is open in 3 processes: 20079 (this one), 20084, 20085".
fn already_shared(pid: i32, fd: &Fd) -> Option<String> {
    let s = fd.socket.as_ref()?;
    if s.shared_with.is_empty() {
        return None;
    }
    let what = s.service.as_deref().unwrap_or(&s.protocol);
    let mut pids = vec![format!("{pid} (this one)")];
    pids.extend(
        s.shared_with
            .iter()
            .map(|p| format!("{} {}", p.name, p.pid)),
    );
    Some(format!(
        "this {what} connection (fd {}) is already open in {} processes: {}",
        fd.fd,
        pids.len(),
        pids.join(", ")
    ))
}

/// A process-level place for `related`: the fd as /proc names it (there is no source line).
fn fd_place(pid: i32, fd: &Fd, message: String) -> Related {
    Related {
        location: Location {
            path: format!("/proc/{pid}/fd/{}", fd.fd),
            line: 0,
            column: 0,
            end_line: 0,
            end_column: 0,
        },
        message,
    }
}

fn socket_findings(report: &Report, cat: &Catalog) -> Vec<Finding> {
    let mut connections = Vec::new();
    let mut inside = Vec::new();
    let mut listening = Vec::new();
    for fd in &report.fds {
        let Some(s) = &fd.socket else { continue };
        match s.state.as_str() {
            "LISTEN" => listening.push(fd),
            "ESTABLISHED" | "SYN_SENT" | "SYN_RECV" | "CLOSE_WAIT" | "CONNECTED" | "CONNECTING" => {
                // Standard streams are meant to be inherited; a socket whose other end stays in
                // the program is its own channel. Neither is shared with a service.
                if fd.fd <= 2 || s.peer_scope.is_some() {
                    inside.push(fd);
                } else {
                    connections.push(fd);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    if !connections.is_empty() {
        let remedies: Vec<String> = connections
            .iter()
            .filter_map(|fd| fd.socket.as_ref()?.service.as_deref())
            .filter_map(|svc| cat.service(svc))
            .filter_map(|s| remedy(report, &s.remedy))
            .collect();
        let n = connections.len();
        let list: Vec<String> = connections.iter().map(|fd| describe_socket(fd)).collect();
        let mut message = format!(
            "{n} connection{} to other processes would be shared with the child (both processes read and write one stream): {}",
            if n == 1 { "" } else { "s" },
            list.join(", ")
        );
        let shared: Vec<String> = connections
            .iter()
            .filter_map(|fd| already_shared(report.pid, fd))
            .collect();
        if !shared.is_empty() {
            message.push_str(&format!("; already shared: {}", shared.join("; ")));
        }
        let mut f = finding(
            RuleId::FL002,
            Severity::Error,
            message,
            join_help(report, cat, remedies, RuleId::FL002),
        );
        f.related = connections
            .iter()
            .map(|fd| {
                let text = already_shared(report.pid, fd).unwrap_or_else(|| describe_socket(fd));
                fd_place(report.pid, fd, text)
            })
            .collect();
        out.push(f);
    }
    if !inside.is_empty() {
        let list: Vec<String> = inside.iter().map(|fd| describe_socket(fd)).collect();
        let mut f = finding(
            RuleId::FL002,
            Severity::Info,
            format!(
                "{} connected socket{} stay{} inside the program (standard streams, socketpairs such as an event loop's self-pipe, a server's master-worker channels), not shared with any service: {}",
                inside.len(),
                if inside.len() == 1 { "" } else { "s" },
                if inside.len() == 1 { "s" } else { "" },
                list.join(", ")
            ),
            "nothing to do for these; a child that does not use them can close its copies".to_string(),
        );
        f.related = inside
            .iter()
            .map(|fd| fd_place(report.pid, fd, describe_socket(fd)))
            .collect();
        out.push(f);
    }
    if !listening.is_empty() {
        let list: Vec<String> = listening.iter().map(|fd| describe_socket(fd)).collect();
        out.push(finding(
            RuleId::FL002,
            Severity::Info,
            format!(
                "{} listening socket{} would be shared with the child: {} (intended in a prefork server that accepts in every worker)",
                listening.len(),
                if listening.len() == 1 { "" } else { "s" },
                list.join(", ")
            ),
            "close the listener in children that do not serve, or exec right after the fork".to_string(),
        ));
    }
    out
}

fn library_findings(report: &Report, cat: &Catalog) -> Vec<Finding> {
    let multithreaded = report.threads.len() > 1;
    let gpu_open = report
        .fds
        .iter()
        .any(|f| f.kind == "device" && f.target.starts_with("/dev/nvidia"));
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for lib in &report.libraries {
        if seen.contains(&lib.matched) || lib.confirmed == Some(false) {
            continue;
        }
        seen.push(lib.matched.clone());
        let Some(entry) = cat.library(&lib.matched) else {
            continue;
        };
        let mut notes = Vec::new();
        let severity = match entry.hazard.as_str() {
            "device" if gpu_open => {
                notes.push("a /dev/nvidia* device is open: the driver is initialised".to_string());
                Severity::Error
            }
            "objc" if multithreaded => Severity::Error,
            _ if mitigated(report, cat, &lib.matched) => {
                notes.push(match &lib.version {
                    Some(v) => format!("version {v} registers fork handlers that cover this"),
                    None => {
                        "it registers fork handlers (imports __register_atfork) that cover this"
                            .to_string()
                    }
                });
                Severity::Info
            }
            "threads" | "device" | "objc" if !multithreaded => {
                notes.push(
                    "the process is single-threaded now, so its pool is not running yet"
                        .to_string(),
                );
                Severity::Info
            }
            _ => entry.severity,
        };
        if let Some(var) = &entry.atfork_unless_env {
            if let Some(value) = env_value(report, var).filter(|_| lib.atfork) {
                notes.push(format!(
                    "{var} is set ({var}={value}), so its fork handlers leave the pool as configured in the child"
                ));
            }
        }
        if lib.atfork && !entry.atfork_mitigates {
            notes.push("it has fork handlers, but they do not make the child safe".to_string());
        }
        let mut message = format!("{} is loaded ({})", entry.name, lib.path);
        if !notes.is_empty() {
            message.push_str(&format!(": {}", notes.join("; ")));
        }
        out.push(finding(
            entry.rule,
            severity,
            message,
            join_help(
                report,
                cat,
                remedy(report, &entry.remedy).into_iter().collect(),
                entry.rule,
            ),
        ));
    }
    out
}

fn lock_finding(report: &Report) -> Option<Finding> {
    let held: Vec<_> = report.locks.iter().filter(|l| !l.waiting).collect();
    if held.is_empty() {
        return None;
    }
    let list: Vec<String> = held
        .iter()
        .map(|l| {
            let place = match (&l.fd, &l.path) {
                (Some(fd), Some(path)) => format!("fd {fd} {path}"),
                _ => format!("file {}", l.file_id),
            };
            let inherit = if l.kind == "posix" {
                "not inherited by the child"
            } else {
                "shared with the child"
            };
            format!("{} {} lock on {place} ({inherit})", l.kind, l.mode)
        })
        .collect();
    Some(finding(
        RuleId::FL004,
        Severity::Warning,
        format!(
            "{} file lock{} held: {}",
            held.len(),
            if held.len() == 1 { "" } else { "s" },
            list.join(", ")
        ),
        "take pidfile and daemon locks after the fork, in the process that must hold them; release flock/OFD locks in the child with close(), not LOCK_UN (which releases them for the parent too)".to_string(),
    ))
}

fn fd_findings(report: &Report, cat: &Catalog) -> Vec<Finding> {
    let mut out = Vec::new();
    let leaking: Vec<&Fd> = report
        .fds
        .iter()
        .filter(|f| f.fd > 2 && f.cloexec == Some(false))
        .collect();
    if !leaking.is_empty() {
        let list = first_few(&leaking, |f| format!("fd {} {}", f.fd, f.target));
        out.push(finding(
            RuleId::FL007,
            Severity::Warning,
            format!(
                "{} fd{} without close-on-exec would leak into any program the child execs: {list}",
                leaking.len(),
                if leaking.len() == 1 { "" } else { "s" },
            ),
            "open with O_CLOEXEC (Rust's std does by default; Python's os.open does since 3.4), or set FD_CLOEXEC with fcntl".to_string(),
        ));
    }
    let shared: Vec<&Fd> = report
        .fds
        .iter()
        .filter(|f| {
            f.fd > 2
                && f.kind == "file"
                && matches!(f.access.as_deref(), Some("write" | "read-write"))
        })
        .collect();
    if !shared.is_empty() {
        let list = first_few(&shared, |f| match f.offset {
            Some(off) => format!("fd {} {} at offset {off}", f.fd, f.target),
            None => format!("fd {} {}", f.fd, f.target),
        });
        out.push(finding(
            RuleId::FL007,
            Severity::Warning,
            format!(
                "{} file{} open for writing would share one offset with the child: {list}",
                shared.len(),
                if shared.len() == 1 { "" } else { "s" },
            ),
            join_help(report, cat, Vec::new(), RuleId::FL007),
        ));
    }
    out
}

/// The first six items, then how many more: a message stays readable with a thousand fds.
fn first_few<T>(items: &[T], show: impl Fn(&T) -> String) -> String {
    const SHOWN: usize = 6;
    let mut text = items
        .iter()
        .take(SHOWN)
        .map(show)
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOWN {
        text.push_str(&format!(", and {} more", items.len() - SHOWN));
    }
    text
}
