//! Straight-line Rust programs built from random events (hazard creations, joins, forks with a
//! child branch), each rendered together with what a reference model says must be reported.

use std::collections::BTreeSet;

/// What the child branch of a fork does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Child {
    /// Calls only async-signal-safe functions and execs (values prepared before the fork).
    Exec,
    /// Goes on running program code (which calls a library the catalogue does not know), then
    /// `_exit`s.
    Work,
    /// The same, handing the latest connection (if any) to that code: the child uses it.
    Serve,
    /// Starts and joins a thread of its own (library calls only), then `_exit`s: the thread never
    /// reaches the parent.
    SpawnThenExit,
}

/// One statement of `main`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Spawn,
    Runtime,
    Connect,
    /// Joins the n-th (modulo the count) thread that is still running; nothing if none is.
    Join(usize),
    Fork(Child),
    /// A call with no effect, between the others.
    Noise,
}

/// A rendered program and the findings the reference model expects, as (rule, line).
#[derive(Debug, Clone)]
pub struct Program {
    pub source: String,
    pub expected: BTreeSet<(String, u32)>,
}

/// Renders `events` as the body of `main` and runs the reference model over them. A child that
/// only makes async-signal-safe calls before exec or `_exit` is brief: nothing is reported. Any
/// other child gets FL001 iff a spawned thread not yet joined, or a runtime, exists, and FL005 on
/// each call of its own that is not async-signal-safe while one does (FL006 for one that can
/// only panic: it unwinds out of the child). A child that ends in its
/// own code (`_exit`) shares a connection only by using it: FL002 iff it is handed one.
/// Nothing a child creates reaches the parent.
pub fn render(events: &[Event]) -> Program {
    let mut lines: Vec<String> = vec!["fn main() {".into()];
    let mut expected = BTreeSet::new();
    let mut running: Vec<String> = Vec::new();
    let (mut threads, mut runtimes, mut conns, mut forks) = (0usize, 0usize, 0usize, 0usize);
    for &event in events {
        match event {
            Event::Spawn => {
                let name = format!("t{threads}");
                threads += 1;
                lines.push(format!("    let {name} = std::thread::spawn(|| {{}});"));
                running.push(name);
            }
            Event::Runtime => {
                lines.push(format!(
                    "    let rt{runtimes} = tokio::runtime::Runtime::new().unwrap();"
                ));
                runtimes += 1;
            }
            Event::Connect => {
                lines.push(format!(
                    "    let s{conns} = std::net::TcpStream::connect(\"127.0.0.1:9\").unwrap();"
                ));
                conns += 1;
            }
            Event::Join(n) => {
                if !running.is_empty() {
                    let name = running.remove(n % running.len());
                    lines.push(format!("    {name}.join().unwrap();"));
                }
            }
            Event::Noise => lines.push("    work();".into()),
            Event::Fork(child) => {
                let k = forks;
                forks += 1;
                if child == Child::Exec {
                    lines.push(format!(
                        "    let prog{k} = std::ffi::CString::new(\"/bin/true\").unwrap();"
                    ));
                    lines.push(format!(
                        "    let argv{k} = [prog{k}.as_ptr(), std::ptr::null()];"
                    ));
                }
                lines.push(format!("    let pid{k} = unsafe {{ libc::fork() }};"));
                let line = lines.len() as u32;
                let threads_alive = !running.is_empty() || runtimes > 0;
                if child != Child::Exec && threads_alive {
                    expected.insert(("FL001".to_string(), line));
                }
                if child == Child::Serve && conns > 0 {
                    expected.insert(("FL002".to_string(), line));
                }
                lines.push(format!("    if pid{k} == 0 {{"));
                match child {
                    Child::Exec => {
                        lines.push(format!(
                            "        unsafe {{ libc::execv(prog{k}.as_ptr(), argv{k}.as_ptr()) }};"
                        ));
                    }
                    Child::Work => lines.push("        work();".into()),
                    Child::Serve if conns > 0 => {
                        lines.push(format!("        serve_on(&s{});", conns - 1));
                    }
                    Child::Serve => lines.push("        work();".into()),
                    Child::SpawnThenExit => {
                        lines.push("        let c = std::thread::spawn(|| {});".into());
                        lines.push("        c.join().unwrap();".into());
                        if threads_alive {
                            let n = lines.len() as u32;
                            expected.insert(("FL005".to_string(), n - 1));
                            // `join().unwrap()` only panics: the unwinding out of the child.
                            expected.insert(("FL006".to_string(), n));
                        }
                    }
                }
                lines.push("        unsafe { libc::_exit(0) };".into());
                lines.push("    }".into());
            }
        }
    }
    lines.push("}".into());
    lines.push(String::new());
    lines.push("fn work() {\n    app::serve();\n}".into());
    lines.push(String::new());
    lines.push("fn serve_on(s: &std::net::TcpStream) {\n    app::serve_on(s);\n}".into());
    lines.push(String::new());
    Program {
        source: lines.join("\n"),
        expected,
    }
}
