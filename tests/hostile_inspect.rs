//! Hostile processes for `inspect` (the zombie, exiting processes and fds closing during the walk
//! are covered in `inspect_live.rs`): a `comm` with spaces, parentheses and a newline, 10,000
//! threads, fds opened and closed thousands of times a second, a process in another network
//! namespace. Each runs a helper process (never a fork of the harness) and must give a report
//! that is complete or says what it could not check, within a time limit, never a crash.

mod prereq;
mod support;

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::run::forklint;

/// A python3 helper that prints `ready` once set up, then sleeps until killed.
struct Helper {
    child: Child,
}

impl Helper {
    fn start(program: &str, wrapper: &[&str]) -> Option<Helper> {
        let mut cmd = match wrapper.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg("python3");
                c
            }
            None => Command::new("python3"),
        };
        let mut child = cmd
            .args(["-c", program])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let mut line = String::new();
        let stdout = child.stdout.take()?;
        BufReader::new(stdout).read_line(&mut line).ok()?;
        if line.trim() != "ready" {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        Some(Helper { child })
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn inspect(pid: &str) -> (Value, Option<i32>) {
    let dir = std::env::temp_dir();
    let out = forklint(
        &dir,
        &["inspect", "--format", "json", pid],
        Duration::from_secs(120),
    );
    out.assert_clean("inspect");
    (out.json(), out.code)
}

fn have_python() -> bool {
    Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn comm_with_spaces_parentheses_and_a_newline() {
    if !have_python() {
        return prereq::missing("python3 is not available");
    }
    let comm = "a b) (c\nd";
    let program = format!(
        "import sys,time\nopen('/proc/self/comm','w').write({comm:?})\nprint('ready',flush=True)\ntime.sleep(600)"
    );
    let h = Helper::start(&program, &[]).expect("helper");
    let (report, code) = inspect(&h.pid());
    assert_eq!(code, Some(0), "one thread, nothing open: safe\n{report}");
    assert_eq!(report["verdict"], "safe");
    let threads = report["threads"].as_array().expect("threads");
    assert_eq!(threads.len(), 1, "{report}");
    assert_eq!(threads[0]["name"], comm, "{report}");
    assert_eq!(
        threads[0]["state"], "S",
        "the state after the last `)`: {report}"
    );
}

#[test]
fn ten_thousand_threads() {
    if !have_python() {
        return prereq::missing("python3 is not available");
    }
    let program = "import threading,time\nthreading.stack_size(65536)\nev=threading.Event()\n\
        ts=[threading.Thread(target=ev.wait,daemon=True) for _ in range(10000)]\n\
        [t.start() for t in ts]\nprint('ready',flush=True)\ntime.sleep(600)";
    let Some(h) = Helper::start(program, &[]) else {
        return prereq::missing("could not start 10,000 threads here (limits)");
    };
    let (report, code) = inspect(&h.pid());
    assert_eq!(code, Some(1), "{}", report["verdict"]);
    assert_eq!(report["verdict"], "unsafe");
    let threads = report["threads"].as_array().expect("threads").len();
    assert!(threads > 10_000, "{threads} threads listed");
    assert!(report["findings"]
        .as_array()
        .is_some_and(|f| f.iter().any(|f| f["rule"] == "FL001")));
}

#[test]
fn fds_opened_and_closed_thousands_of_times_a_second() {
    if !have_python() {
        return prereq::missing("python3 is not available");
    }
    let program = "import os,socket,threading,time\n\
        def churn():\n  while True:\n    fs=[os.open('/dev/null',os.O_RDONLY) for _ in range(50)]\n    \
        ss=[socket.socket() for _ in range(10)]\n    [os.close(f) for f in fs]\n    [s.close() for s in ss]\n\
        threading.Thread(target=churn,daemon=True).start()\nprint('ready',flush=True)\ntime.sleep(600)";
    let h = Helper::start(program, &[]).expect("helper");
    for _ in 0..5 {
        let (report, code) = inspect(&h.pid());
        // Two threads (the churner and the main one): unsafe, whatever the fds were.
        assert_eq!(code, Some(1), "{report}");
        assert_eq!(report["verdict"], "unsafe");
        for fd in report["fds"].as_array().expect("fds") {
            assert!(fd["fd"].as_u64().is_some(), "{fd}");
        }
    }
}

#[test]
fn process_in_another_network_namespace() {
    if !have_python() {
        return prereq::missing("python3 is not available");
    }
    let probe = Command::new("unshare")
        .args(["-n", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !probe {
        return prereq::missing("`unshare -n` is missing or not permitted here");
    }
    let program = "import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n\
        s.bind(('0.0.0.0',0))\nprint('ready',flush=True)\ntime.sleep(600)";
    let h = Helper::start(program, &["unshare", "-n"]).expect("helper");
    // `unshare` execs python3, so the helper's pid is the python process.
    let (report, _) = inspect(&h.pid());
    let fds = report["fds"].as_array().expect("fds");
    let sockets: Vec<&Value> = fds.iter().filter(|f| f["kind"] == "socket").collect();
    assert!(!sockets.is_empty(), "the socket fd is listed: {report}");
    // Either the socket was resolved (through the process's own view of /proc/PID/net) or the
    // report says what it could not check: never a silent gap.
    let resolved = sockets.iter().any(|s| s["socket"]["protocol"] == "udp");
    let said = report["not_checked"]
        .as_array()
        .is_some_and(|n| !n.is_empty());
    assert!(resolved || said, "{report}");
}
