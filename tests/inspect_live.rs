//! Live inspection of helper processes with known threads, sockets, files and locks: through the
//! library API and through the `forklint` binary. Linux only: elsewhere there is no /proc.
#![cfg(target_os = "linux")]

mod prereq;

use forklint::inspect::model::{Report, Verdict};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;

/// The helper program, an example target (so that `cargo install` leaves it out). `cargo test`
/// builds examples, but not when asked for this test alone, so it is built here through cargo,
/// which also keeps it up to date with its source.
fn helper_program() -> &'static Path {
    static PROGRAM: OnceLock<PathBuf> = OnceLock::new();
    PROGRAM.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
        let out = Command::new(cargo)
            .args(["build", "--example", "forklint-test-helper"])
            .args(["--message-format", "json-render-diagnostics"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stderr(Stdio::inherit())
            .output()
            .expect("run cargo to build the helper");
        assert!(out.status.success(), "cargo could not build the helper");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|m| m["target"]["name"] == "forklint-test-helper")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo names the helper's executable")
    })
}

/// A running helper; killed and reaped when dropped, so a failing test leaves nothing behind.
struct Helper {
    child: Child,
    facts: Value,
    _dir: tempfile::TempDir,
}

impl Helper {
    fn start(args: &[&str]) -> Helper {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(helper_program())
            .args(args)
            .arg("--dir")
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the helper");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("helper stdout");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read helper facts");
        let facts: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("helper printed {line:?}: {e}"));
        Helper {
            child,
            facts,
            _dir: dir,
        }
    }

    fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    fn fd(&self, key: &str) -> i64 {
        self.facts[key][0]
            .as_i64()
            .unwrap_or_else(|| panic!("helper fact {key} missing in {}", self.facts))
    }

    fn fds(&self, key: &str) -> Vec<i64> {
        self.facts[key]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default()
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn forklint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_forklint"))
        .args(args)
        .output()
        .expect("run forklint")
}

fn json_report(pid: i32) -> (Value, i32) {
    let out = forklint(&["inspect", "--format", "json", &pid.to_string()]);
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {text}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (v, out.status.code().unwrap_or(-1))
}

const FULL: &[&str] = &[
    "--thread",
    "tokio-runtime-worker*2",
    "--thread",
    "polars-0",
    "--tcp",
    "--unix",
    "--files",
    "4",
    "--locks",
];

#[test]
fn library_api_reports_threads_sockets_files_and_locks() {
    let h = Helper::start(FULL);
    let r: Report = forklint::inspect::inspect(h.pid()).expect("inspect the helper");
    assert_eq!(r.pid, h.pid());
    assert_eq!(r.threads.len(), 4, "{:?}", r.threads);
    assert_eq!(r.threads[0].tid, h.pid(), "main thread first");
    let tokio: Vec<_> = r
        .threads
        .iter()
        .filter(|t| t.name == "tokio-runtime-w")
        .collect();
    assert_eq!(
        tokio.len(),
        2,
        "names are truncated to 15 bytes by the kernel"
    );
    assert_eq!(tokio[0].owner.as_deref(), Some("tokio runtime (Rust)"));
    assert!(r
        .threads
        .iter()
        .any(|t| t.name == "polars-0" && t.owner.is_some()));

    let fd = |n: i64| {
        r.fds
            .iter()
            .find(|f| i64::from(f.fd) == n)
            .unwrap_or_else(|| panic!("fd {n} missing"))
    };
    let port = h.fd("tcp_port");
    let client = fd(h.fd("tcp_client"));
    let sock = client.socket.as_ref().expect("client is a socket");
    assert_eq!(client.kind, "socket");
    assert_eq!(sock.protocol, "tcp");
    assert_eq!(sock.state, "ESTABLISHED");
    assert_eq!(
        sock.peer.as_deref(),
        Some(format!("127.0.0.1:{port}").as_str())
    );
    assert_eq!(
        sock.peer_process.as_ref().map(|p| p.pid),
        Some(h.pid()),
        "the other end of the loopback connection is the helper itself"
    );
    let listener = fd(h.fd("tcp_listener"));
    assert_eq!(
        listener.socket.as_ref().map(|s| s.state.as_str()),
        Some("LISTEN")
    );
    for n in h.fds("unix") {
        let s = fd(n).socket.clone().expect("unix socket");
        assert_eq!(
            (s.protocol.as_str(), s.state.as_str()),
            ("unix", "CONNECTED")
        );
    }
    for n in h.fds("cloexec") {
        assert_eq!(fd(n).cloexec, Some(true), "fd {n}");
        assert_eq!(fd(n).offset, Some(10));
        assert_eq!(fd(n).kind, "file");
    }
    for n in h.fds("no_cloexec") {
        assert_eq!(fd(n).cloexec, Some(false), "fd {n}");
    }

    let lock = |key: &str| {
        let n = h.fd(key) as i32;
        r.locks
            .iter()
            .find(|l| l.fd == Some(n))
            .unwrap_or_else(|| panic!("no lock on fd {n} ({key}): {:?}", r.locks))
    };
    assert_eq!(
        (lock("flock").kind.as_str(), lock("flock").mode.as_str()),
        ("flock", "write")
    );
    assert_eq!(lock("posix").kind, "posix");
    assert!(lock("posix").inherited.starts_with("not inherited"));
    assert_eq!(
        (lock("ofd").kind.as_str(), lock("ofd").mode.as_str()),
        ("ofd", "read")
    );
    assert!(lock("ofd").inherited.starts_with("shared"));
    assert!(r.locks.iter().all(|l| !l.waiting));

    assert_eq!(r.verdict, Verdict::Unsafe);
    let rules: Vec<&str> = r.findings.iter().map(|f| f.rule.as_str()).collect();
    for rule in ["FL001", "FL002", "FL004", "FL007"] {
        assert!(rules.contains(&rule), "{rule} missing from {rules:?}");
    }
    let fl001 = r.findings.iter().find(|f| f.rule == "FL001").unwrap();
    assert!(
        fl001.message.contains("3 other threads"),
        "{}",
        fl001.message
    );
    assert!(fl001.help.contains("tokio runtime"), "{}", fl001.help);
    assert!(r.not_checked.is_empty(), "{:?}", r.not_checked);
    assert!(r.executable_imports.iter().any(|i| i == "pthread_create"));
}

#[test]
fn binary_json_matches_the_contract() {
    let h = Helper::start(FULL);
    let (v, code) = json_report(h.pid());
    assert_eq!(code, 1, "unsafe exits 1");
    assert_eq!(v["version"], 1);
    assert_eq!(v["pid"], h.pid());
    assert_eq!(v["verdict"], "unsafe");
    for key in [
        "command",
        "executable",
        "threads",
        "fds",
        "locks",
        "libraries",
        "findings",
        "not_checked",
    ] {
        assert!(!v[key].is_null(), "{key} missing");
    }
    assert!(v["command"]
        .as_str()
        .unwrap()
        .contains("forklint-test-helper"));
    let threads = v["threads"].as_array().unwrap();
    assert_eq!(threads.len(), 4);
    assert!(threads
        .iter()
        .all(|t| t["tid"].is_i64() && t["state"].is_string()));
    let client = h.fd("tcp_client");
    let fd = v["fds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["fd"] == client)
        .expect("client fd");
    assert_eq!(fd["kind"], "socket");
    assert_eq!(fd["cloexec"], true);
    assert_eq!(fd["socket"]["protocol"], "tcp");
    assert_eq!(fd["socket"]["state"], "ESTABLISHED");
    assert!(fd["target"].as_str().unwrap().starts_with("socket:["));
    let finding = &v["findings"][0];
    assert_eq!(finding["severity"], "error");
    for key in ["rule", "name", "message", "help"] {
        assert!(finding[key].is_string(), "finding.{key}");
    }
    let locks = v["locks"].as_array().unwrap();
    assert!(locks
        .iter()
        .any(|l| l["kind"] == "flock" && l["fd"] == h.fd("flock")));
}

#[test]
fn binary_human_output_is_readable_and_uncoloured_on_request() {
    let h = Helper::start(FULL);
    let out = forklint(&["inspect", "--color", "never", &h.pid().to_string()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains('\u{1b}'),
        "no ANSI escapes with --color never"
    );
    let header = format!("pid {}", h.pid());
    for needle in [
        header.as_str(),
        "executable",
        "threads (4)",
        "tokio-runtime-w",
        "sockets",
        "ESTABLISHED",
        "locks (3)",
        "error[FL001]",
        "verdict: UNSAFE",
    ] {
        assert!(text.contains(needle), "{needle:?} missing in:\n{text}");
    }
    let coloured = forklint(&["inspect", "--color", "always", &h.pid().to_string()]);
    assert!(String::from_utf8_lossy(&coloured.stdout).contains('\u{1b}'));
    let quiet = forklint(&["inspect", "-q", "--color", "never", &h.pid().to_string()]);
    let quiet = String::from_utf8_lossy(&quiet.stdout);
    assert!(!quiet.contains("threads (4)") && quiet.contains("verdict: UNSAFE"));
}

#[test]
fn single_threaded_process_without_hazards_is_safe() {
    let h = Helper::start(&[]);
    let (v, code) = json_report(h.pid());
    assert_eq!(v["verdict"], "safe", "{v:#}");
    assert_eq!(code, 0);
    assert_eq!(v["threads"].as_array().unwrap().len(), 1);
    let errors = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .count();
    assert_eq!(errors, 0);
}

/// Runs `script` in python3, inspects it once its first line is printed, and hands back its pid,
/// that line and the report (the process is gone by then).
fn inspect_python(script: &str) -> (i32, String, Report) {
    inspect_python_when(script, |_| {})
}

/// [`inspect_python`], inspecting only once `ready` (given the pid) has returned.
fn inspect_python_when(script: &str, ready: impl FnOnce(i32)) -> (i32, String, Report) {
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 must be installed for this test");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let pid = child.id() as i32;
    ready(pid);
    let result = forklint::inspect::inspect(pid);
    let _ = child.kill();
    let _ = child.wait();
    let r = result.expect("inspect python3");
    (pid, line, r)
}

#[test]
fn python_process_with_a_thread_and_a_socket() {
    let script = r#"
import socket, sys, threading, time
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
cli = socket.create_connection(srv.getsockname())
conn, _ = srv.accept()
threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
print(cli.fileno(), srv.getsockname()[1], flush=True)
sys.stdin.read()
"#;
    let (pid, line, r) = inspect_python(script);
    let mut parts = line.split_whitespace();
    let fd: i32 = parts.next().and_then(|s| s.parse().ok()).expect("fd");
    let port: u16 = parts.next().and_then(|s| s.parse().ok()).expect("port");
    assert_eq!(r.threads.len(), 2, "{:?}", r.threads);
    let cli = r.fds.iter().find(|f| f.fd == fd).expect("client fd");
    let s = cli.socket.as_ref().unwrap();
    assert_eq!(s.state, "ESTABLISHED");
    assert_eq!(
        s.peer.as_deref(),
        Some(format!("127.0.0.1:{port}").as_str())
    );
    assert_eq!(r.verdict, Verdict::Unsafe);
    // The OS-level name is the process name, and the start routine is in the interpreter. No
    // loaded library's fork handlers could cover the thread, so its Python name cannot change
    // the verdict: the interpreter is not read, and the report says so.
    let thread = r.threads.iter().find(|t| t.tid != pid).unwrap();
    assert_eq!(thread.name, "python3");
    assert_eq!(thread.python_name, None, "{thread:?}");
    assert_eq!(thread.attributed_by.as_deref(), Some("start_routine"));
    assert!(
        r.not_checked
            .iter()
            .any(|n| n.check == "python-threads" && n.reason.contains("cannot change the verdict")),
        "{:?}",
        r.not_checked
    );
    let fl001 = fl001(&r);
    assert_eq!(fl001.severity, forklint::diagnostic::Severity::Error);
    assert!(
        fl001.message.contains("CPython thread"),
        "{}",
        fl001.message
    );
}

fn fl001(r: &Report) -> &forklint::diagnostic::Finding {
    r.findings
        .iter()
        .find(|f| f.rule == "FL001")
        .unwrap_or_else(|| panic!("no FL001 in {:?}", r.findings))
}

/// When a loaded library's fork handlers cover the threads its catalogue pattern names (here a
/// stand-in for PyMongo 4.3+: an extension under `pymongo/` beside a `pymongo-4.5.0.dist-info`),
/// a Python name can change the verdict, so the interpreter is read: the thread named like
/// PyMongo's monitors is covered, the other one is not.
#[test]
fn python_names_are_read_when_a_fork_handler_could_cover_the_thread() {
    let script = r#"
import ctypes, os, shutil, sys, tempfile, threading, time, _ctypes
site = tempfile.mkdtemp()
os.makedirs(os.path.join(site, "pymongo"))
os.makedirs(os.path.join(site, "pymongo-4.5.0.dist-info"))
ext = os.path.join(site, "pymongo", "_cmessage.cpython-311-x86_64-linux-gnu.so")
shutil.copy(_ctypes.__file__, ext)
ctypes.CDLL(ext)
threading.Thread(target=time.sleep, args=(600,), name="pymongo_kill_cursors_thread", daemon=True).start()
threading.Thread(target=time.sleep, args=(600,), name="ledger", daemon=True).start()
print(site, flush=True)
sys.stdin.read()
"#;
    let (pid, line, r) = inspect_python(script);
    let _ = std::fs::remove_dir_all(line.trim());
    let name_of = |python: &str| {
        r.threads
            .iter()
            .find(|t| t.python_name.as_deref() == Some(python))
            .unwrap_or_else(|| panic!("no thread {python:?} in {:?}", r.threads))
    };
    let monitor = name_of("pymongo_kill_cursors_thread");
    assert_eq!(monitor.library.as_deref(), Some("pymongo"));
    assert_ne!(monitor.tid, pid);
    assert_eq!(name_of("ledger").library, None);
    assert!(
        r.libraries
            .iter()
            .any(|l| l.matched == "pymongo" && l.atfork),
        "{:?}",
        r.libraries
    );
    let message = &fl001(&r).message;
    assert!(message.contains("no fork handler covers 1:"), "{message}");
    assert_eq!(r.verdict, Verdict::Unsafe);
}

/// A thread blocked waiting for a file lock is seen in its syscall line, and only then is
/// /proc/locks read: the lock it waits for is listed as waited for, not held (no FL004).
#[test]
fn a_thread_waiting_for_a_lock_is_reported_as_waiting() {
    use std::os::fd::AsRawFd;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.pid");
    let held = std::fs::File::create(&path).unwrap();
    // SAFETY: a valid open fd; LOCK_NB so the test never blocks.
    let rc = unsafe { libc::flock(held.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    assert_eq!(rc, 0, "take the lock");
    let script = format!(
        r#"
import fcntl, sys, threading
f = open({path:?}, "r+")
threading.Thread(target=fcntl.flock, args=(f.fileno(), fcntl.LOCK_EX), daemon=True).start()
print(f.fileno(), flush=True)
sys.stdin.read()
"#,
        path = path.to_str().unwrap()
    );
    // The thread is waiting once the kernel lists it behind the lock.
    let (_, line, r) = inspect_python_when(&script, |pid| {
        let waiter = format!("-> FLOCK  ADVISORY  WRITE {pid} ");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !std::fs::read_to_string("/proc/locks").is_ok_and(|t| t.contains(&waiter)) {
            assert!(
                std::time::Instant::now() < deadline,
                "the thread never blocked"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    });
    let fd: i32 = line.trim().parse().expect("fd");
    let waiting: Vec<_> = r.locks.iter().filter(|l| l.waiting).collect();
    assert_eq!(waiting.len(), 1, "{:?}", r.locks);
    assert_eq!(
        (waiting[0].kind.as_str(), waiting[0].fd),
        ("flock", Some(fd))
    );
    assert!(
        r.findings.iter().all(|f| f.rule != "FL004"),
        "{:?}",
        r.findings
    );
    drop(held);
}

/// A Python thread that names itself at the OS level (as CPython 3.14 does for every
/// threading.Thread) says who it is without the interpreter being read: no Python names are
/// looked up, and the OS name is what the report shows. A thread carrying the process name
/// still has its Python name read (the test above).
#[test]
fn python_threads_named_at_the_os_level_need_no_interpreter_read() {
    let script = r#"
import ctypes, sys, threading, time
def work():
    ctypes.CDLL(None).prctl(15, b"ledger-flusher", 0, 0, 0)
    ready.set()
    time.sleep(600)
ready = threading.Event()
threading.Thread(target=work, name="flusher", daemon=True).start()
ready.wait()
print("ready", flush=True)
sys.stdin.read()
"#;
    let (pid, _, r) = inspect_python(script);
    assert_eq!(r.threads.len(), 2, "{:?}", r.threads);
    let thread = r.threads.iter().find(|t| t.tid != pid).unwrap();
    assert_eq!(thread.name, "ledger-flusher");
    assert!(
        r.threads.iter().all(|t| t.python_name.is_none()),
        "{:?}",
        r.threads
    );
    assert_eq!(r.verdict, Verdict::Unsafe);
    let message = &fl001(&r).message;
    assert!(message.contains("ledger-flusher"), "{message}");
}

#[test]
fn bad_arguments_and_missing_processes_exit_2_with_a_message() {
    let out = forklint(&["inspect", "abc"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a process id"));
    let out = forklint(&["inspect", "-5"]);
    assert_eq!(out.status.code(), Some(2));

    // A pid that existed and was reaped: nothing there now (pid reuse within the test is
    // practically impossible on a 4M pid space).
    let mut gone = Command::new("true").spawn().unwrap();
    let pid = gone.id();
    gone.wait().unwrap();
    let out = forklint(&["inspect", &pid.to_string()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!("no process with pid {pid}")),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let h = Helper::start(&[]);
    for format in ["sarif", "github", "concise"] {
        let out = forklint(&["inspect", "--format", format, &h.pid().to_string()]);
        assert_eq!(out.status.code(), Some(2), "{format}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("possible values: human, json"));
    }
}

#[test]
fn zombie_is_reported_not_inspected() {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id() as i32;
    // Not reaped yet: once it has exited it is a zombie until wait().
    let stat = format!("/proc/{pid}/stat");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !std::fs::read_to_string(&stat)
        .map(|s| {
            s.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(false)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "child never became a zombie"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let out = forklint(&["inspect", &pid.to_string()]);
    child.wait().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("zombie"));
}

/// A kernel thread of this pid namespace, if one is visible (not inside most containers).
fn find_kernel_thread() -> Option<i32> {
    std::fs::read_dir("/proc")
        .ok()?
        .filter_map(|e| e.ok())
        .find_map(|e| {
            let pid: i32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let flags: u64 = stat
                .rsplit(')')
                .next()?
                .split_whitespace()
                .nth(6)?
                .parse()
                .ok()?;
            (flags & 0x0020_0000 != 0).then_some(pid)
        })
}

#[test]
fn kernel_thread_is_reported_not_inspected() {
    let Some(pid) = find_kernel_thread() else {
        return prereq::missing("no kernel thread is visible in this pid namespace");
    };
    let out = forklint(&["inspect", &pid.to_string()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("kernel thread"));
}

#[test]
fn fds_closing_during_the_walk_are_tolerated() {
    let h = Helper::start(&["--churn"]);
    for _ in 0..30 {
        let r =
            forklint::inspect::inspect(h.pid()).expect("a churning process is still inspectable");
        assert_eq!(
            r.verdict,
            Verdict::Unsafe,
            "the churn thread makes it multithreaded"
        );
        assert!(r.fds.iter().all(|f| !f.target.is_empty()));
    }
}

#[test]
fn processes_exiting_during_inspection_never_panic() {
    for _ in 0..20 {
        let mut child = Command::new("sleep").arg("0.005").spawn().unwrap();
        let pid = child.id() as i32;
        let result = forklint::inspect::inspect(pid);
        let _ = child.wait();
        if let Err(e) = result {
            let text = e.to_string();
            assert!(
                text.contains("exited") || text.contains("zombie") || text.contains("no process"),
                "{text}"
            );
        }
    }
}

#[test]
fn sysinfo_fallback_says_what_it_could_not_check() {
    let h = Helper::start(&["--thread", "worker*2"]);
    let r = forklint::inspect::offlinux::inspect(h.pid()).expect("sysinfo sees the helper");
    assert_eq!(r.threads.len(), 3, "{:?}", r.threads);
    assert_eq!(r.verdict, Verdict::Unsafe);
    let skipped: Vec<&str> = r.not_checked.iter().map(|n| n.check.as_str()).collect();
    for check in ["fds", "sockets", "locks", "libraries"] {
        assert!(
            skipped.contains(&check),
            "{check} not listed in {skipped:?}"
        );
    }
    let single = Helper::start(&[]);
    let r = forklint::inspect::offlinux::inspect(single.pid()).unwrap();
    assert_eq!(
        r.verdict,
        Verdict::Unknown,
        "never 'safe' without the fd and library checks"
    );
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

/// Runs forklint as an unprivileged user against a root-owned helper: fds, maps and environ are
/// refused, threads are not.
#[test]
fn another_users_process_gives_a_partial_report() {
    if !is_root() || !std::path::Path::new("/usr/bin/setpriv").exists() {
        return prereq::missing("needs root and setpriv to switch to another user");
    }
    let run_as_nobody = |pid: i32| {
        let out = Command::new("/usr/bin/setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(env!("CARGO_BIN_EXE_forklint"))
            .args(["inspect", "--format", "json", &pid.to_string()])
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        (v, out.status.code())
    };
    let threaded = Helper::start(&["--thread", "tokio-runtime-worker", "--tcp"]);
    let (v, code) = run_as_nobody(threaded.pid());
    assert_eq!(
        v["threads"].as_array().unwrap().len(),
        2,
        "threads stay visible"
    );
    assert_eq!(v["verdict"], "unsafe", "the threads alone decide it");
    assert_eq!(code, Some(1));
    let not_checked = v["not_checked"].as_array().unwrap();
    let fds = not_checked
        .iter()
        .find(|n| n["check"] == "fds")
        .expect("fds not checked");
    assert!(fds["reason"].as_str().unwrap().contains("CAP_SYS_PTRACE"));
    assert!(not_checked.iter().any(|n| n["check"] == "libraries"));

    let single = Helper::start(&[]);
    let (v, code) = run_as_nobody(single.pid());
    assert_eq!(
        v["verdict"], "unknown",
        "no certainty without fds and libraries"
    );
    assert_eq!(code, Some(2));
}

#[test]
fn sock_diag_and_proc_tables_agree() {
    use forklint::inspect::parse::net::parse_inet_table;
    let h = Helper::start(&["--tcp"]);
    let diag = forklint::inspect::live::sockdiag::inet_sockets().expect("sock_diag dump");
    let text = std::fs::read_to_string(format!("/proc/{}/net/tcp", h.pid())).unwrap();
    let table = parse_inet_table("tcp", &text);
    let port = h.fd("tcp_port") as u16;
    let ours = |entries: &[forklint::inspect::parse::net::InetEntry]| {
        let mut v: Vec<_> = entries
            .iter()
            .filter(|e| e.local.port() == port || e.remote.port() == port)
            .filter(|e| e.inode != 0)
            .map(|e| (e.inode, e.local, e.remote, e.state))
            .collect();
        v.sort();
        v
    };
    let from_diag = ours(&diag);
    assert_eq!(
        from_diag.len(),
        3,
        "listener, client, accepted: {from_diag:?}"
    );
    assert_eq!(from_diag, ours(&table));
}
