//! `forklint trace` on real programs: Rust programs built here from `tests/trace_programs/`, and
//! CPython's multiprocessing. The traced program is always a child process of forklint; nothing
//! forks inside the test harness. Linux only (ptrace).
#![cfg(target_os = "linux")]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const FORKLINT: &str = env!("CARGO_BIN_EXE_forklint");

fn programs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/trace_programs")
}

/// A prerequisite is missing: a failure under CI=true, a printed skip elsewhere.
fn missing(what: &str) -> bool {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{what} is required under CI=true");
    }
    eprintln!("skipped: {what} is not available");
    false
}

/// The 1-based line of the line holding `marker` in a test program.
fn line_of(file: &str, marker: &str) -> usize {
    let text = std::fs::read_to_string(programs().join(file)).expect("test program");
    text.lines()
        .position(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("{marker} not in {file}"))
        + 1
}

/// Builds a test program with debug info into `dir`.
fn build(dir: &Path, file: &str) -> PathBuf {
    let out = dir.join(file.trim_end_matches(".rs"));
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let status = Command::new(rustc)
        .args(["-g", "--edition", "2021", "-o"])
        .arg(&out)
        .arg(programs().join(file))
        .status()
        .expect("run rustc");
    assert!(status.success(), "rustc failed on {file}");
    out
}

/// The CPython interpreter itself (not a shell shim in front of it).
fn python() -> Option<PathBuf> {
    let out = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .ok()?;
    let path = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !path.is_empty()).then(|| PathBuf::from(path))
}

struct Traced {
    output: Output,
    lines: Vec<Value>,
}

impl Traced {
    fn code(&self) -> Option<i32> {
        self.output.status.code()
    }
    fn forks(&self) -> Vec<&Value> {
        self.lines.iter().filter(|l| l["event"] == "fork").collect()
    }
    fn summary(&self) -> &Value {
        let last = self.lines.last().expect("a summary line");
        assert_eq!(last["event"], "summary", "last line: {last}");
        last
    }
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).to_string()
    }
}

/// Runs `forklint trace --format json -o FILE <flags> -- <command>`.
fn trace(flags: &[&str], command: &[&dyn AsRef<std::ffi::OsStr>]) -> Traced {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("trace.jsonl");
    let output = Command::new(FORKLINT)
        .args(["trace", "--format", "json", "-o"])
        .arg(&file)
        .args(flags)
        .arg("--")
        .args(command.iter().map(|c| c.as_ref()))
        .stdin(Stdio::null())
        .output()
        .expect("run forklint");
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let lines = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect();
    Traced { output, lines }
}

#[test]
fn rust_fork_after_thread_spawn_is_unsafe_and_names_the_thread() {
    let dir = tempfile::tempdir().unwrap();
    let bin = build(dir.path(), "fork_after_thread.rs");
    let t = trace(&[], &[&bin, &"3"]);
    // The program's stdout and exit code pass through; the report went to the file.
    assert_eq!(String::from_utf8_lossy(&t.output.stdout), "parent done\n");
    assert_eq!(t.code(), Some(3), "stderr: {}", t.stderr());
    let forks = t.forks();
    assert_eq!(forks.len(), 1, "{:#?}", t.lines);
    let fork = forks[0];
    assert_eq!(fork["kind"], "fork");
    assert_eq!(fork["verdict"], "unsafe");
    assert_eq!(fork["child_fate"]["exit"], 0, "{fork}");
    let fork_line = line_of("fork_after_thread.rs", "// FORK");
    let site = fork["site"].as_str().unwrap();
    assert!(
        site.starts_with(&format!("fork_after_thread.rs:{fork_line} "))
            || site.contains(&format!("/fork_after_thread.rs:{fork_line} ")),
        "site {site}"
    );
    let spawn_line = line_of("fork_after_thread.rs", "// SPAWN");
    let threads = fork["threads"].as_array().unwrap();
    let pool = threads
        .iter()
        .find(|t| t["name"] == "db-pool")
        .unwrap_or_else(|| panic!("no db-pool thread in {threads:?}"));
    let started = pool["started_at"].as_str().unwrap_or_default();
    assert!(
        started.contains(&format!("fork_after_thread.rs:{spawn_line}")),
        "started_at {started}"
    );
    assert!(threads
        .iter()
        .any(|t| t["forking"] == true && t["tid"] == fork["tid"]));
    let fl001 = fork["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "FL001")
        .expect("an FL001 finding");
    assert_eq!(fl001["severity"], "error");
    assert!(fl001["message"].as_str().unwrap().contains("db-pool"));
    assert_eq!(fl001["location"]["line"], fork_line);
    let summary = t.summary();
    assert_eq!(summary["forks"], 1);
    assert_eq!(summary["unsafe"], 1);
    assert_eq!(summary["program_exit"], 3);
    assert_eq!(summary["threads_started"], 1);
    let site0 = &summary["sites"][0];
    assert_eq!(site0["site"], fork["site"]);
    assert_eq!(
        (site0["forks"].as_u64(), site0["unsafe"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(site0["exit"], 1);
    assert_eq!(site0["rules"][0], "FL001");
}

#[test]
fn human_blocks_go_to_stderr_and_name_the_fork_site() {
    let dir = tempfile::tempdir().unwrap();
    let bin = build(dir.path(), "fork_after_thread.rs");
    let out = Command::new(FORKLINT)
        .arg("trace")
        .arg("--")
        .arg(&bin)
        .output()
        .expect("run forklint");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "parent done\n");
    let err = String::from_utf8_lossy(&out.stderr);
    let fork_line = line_of("fork_after_thread.rs", "// FORK");
    assert!(err.contains("[fork; child exited 0 after"), "{err}");
    assert!(
        err.contains(&format!("fork_after_thread.rs:{fork_line} (")),
        "{err}"
    );
    assert!(
        err.lines()
            .any(|l| l.contains(" db-pool ") && l.contains(" started at ")),
        "{err}"
    );
    assert!(err.contains("error[FL001] thread-before-fork"), "{err}");
    assert!(
        err.contains("forklint trace: 1 fork, 1 unsafe, 1 thread started"),
        "{err}"
    );
}

#[test]
fn fail_on_unsafe_turns_a_clean_exit_into_1() {
    let dir = tempfile::tempdir().unwrap();
    let bin = build(dir.path(), "fork_after_thread.rs");
    assert_eq!(
        trace(&["--fail-on", "unsafe"], &[&bin, &"0"]).code(),
        Some(1)
    );
    assert_eq!(trace(&[], &[&bin, &"0"]).code(), Some(0));
}

#[test]
fn rust_command_spawn_is_not_a_hazard() {
    let dir = tempfile::tempdir().unwrap();
    let bin = build(dir.path(), "spawn_command.rs");
    let t = trace(&["--fail-on", "unsafe"], &[&bin]);
    assert_eq!(t.code(), Some(0), "stderr: {}", t.stderr());
    let forks = t.forks();
    assert_eq!(forks.len(), 1, "{:#?}", t.lines);
    let spawn = forks[0];
    assert_eq!(spawn["kind"], "vfork", "{spawn}");
    assert_eq!(spawn["verdict"], "safe");
    assert!(spawn["child_fate"]["exec"]
        .as_str()
        .unwrap()
        .ends_with("/true"));
    let spawn_line = line_of("spawn_command.rs", "// SPAWN");
    assert!(
        spawn["site"]
            .as_str()
            .unwrap()
            .contains(&format!("spawn_command.rs:{spawn_line}")),
        "{}",
        spawn["site"]
    );
    assert_eq!(t.summary()["unsafe"], 0);
}

#[test]
fn multiprocessing_fork_context_is_reported_with_the_python_frame() {
    let Some(python) = python() else {
        missing("python3");
        return;
    };
    let script = programs().join("mp_context.py");
    let t = trace(&[], &[&python, &script, &"fork"]);
    assert_eq!(t.code(), Some(0), "stderr: {}", t.stderr());
    let unsafe_forks: Vec<_> = t
        .forks()
        .into_iter()
        .filter(|f| f["verdict"] == "unsafe")
        .collect();
    assert_eq!(unsafe_forks.len(), 1, "{:#?}", t.lines);
    let fork = unsafe_forks[0];
    let start_line = line_of("mp_context.py", "# START");
    let site = fork["site"].as_str().unwrap();
    assert!(
        site.contains(&format!(
            "mp_context.py:{start_line} (multiprocessing/popen_fork.py:"
        )),
        "site {site}"
    );
    assert_eq!(fork["stack"][0]["kind"], "python");
    let thread_line = line_of("mp_context.py", "# THREAD");
    let poller = fork["threads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["python_name"] == "poller")
        .unwrap_or_else(|| panic!("no poller thread in {}", fork["threads"]));
    assert!(
        poller["started_at"]
            .as_str()
            .unwrap_or_default()
            .contains(&format!("mp_context.py:{thread_line}")),
        "{poller}"
    );
    assert!(fork["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "FL001" && f["help"].as_str().unwrap().contains("spawn")));
}

#[test]
fn multiprocessing_spawn_context_has_no_fork_without_exec() {
    let Some(python) = python() else {
        missing("python3");
        return;
    };
    let script = programs().join("mp_context.py");
    let t = trace(&["--fail-on", "unsafe"], &[&python, &script, &"spawn"]);
    assert_eq!(t.code(), Some(0), "stderr: {}", t.stderr());
    let forks = t.forks();
    assert!(
        !forks.is_empty(),
        "the spawn context starts its worker through a fork/vfork+exec"
    );
    for fork in forks {
        assert_eq!(fork["verdict"], "safe", "{fork}");
        assert!(fork["child_fate"]["exec"].is_string(), "{fork}");
    }
}

#[test]
fn a_signal_death_maps_to_128_plus_the_signal() {
    let t = trace(&[], &[&"sh", &"-c", &"kill -TERM $$"]);
    assert_eq!(t.code(), Some(143));
}

fn forklint(args: &[&str]) -> Output {
    Command::new(FORKLINT)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run forklint")
}

#[test]
fn bad_input_is_a_clear_error_with_exit_2() {
    let out = forklint(&["trace", "--", "no-such-command-forklint"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`no-such-command-forklint`: command not found"),
        "{err}"
    );

    let out = forklint(&["trace"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no command given"));

    let out = forklint(&["trace", "--pid", "abc"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`abc` is not a process id"));

    // A pid that is gone: a child that has been reaped.
    let mut gone = Command::new("true").spawn().unwrap();
    let pid = gone.id().to_string();
    gone.wait().unwrap();
    let out = forklint(&["trace", "--pid", &pid]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("no process with pid {pid}")), "{err}");
}

/// Killed and reaped when dropped.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn attaching_without_permission_names_what_is_missing() {
    let is_root = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"));
    if !is_root || Command::new("setpriv").arg("--help").output().is_err() {
        missing("root and setpriv (to trace as another user)");
        return;
    }
    // The binary is copied where an unprivileged user may run it.
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("forklint");
    std::fs::copy(FORKLINT, &bin).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let target = Reaped(Command::new("sleep").arg("30").spawn().unwrap());
    let out = Command::new("setpriv")
        .args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
        .arg(&bin)
        .args(["trace", "--pid", &target.0.id().to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("belongs to uid 0") && err.contains("CAP_SYS_PTRACE"),
        "{err}"
    );
}

#[test]
fn attach_reports_forks_and_detaches_on_interrupt() {
    let Some(python) = python() else {
        missing("python3");
        return;
    };
    // Waits for a line on stdin, forks a child that goes on for a while, then keeps running.
    let code = "import os, sys, time, threading\n\
                threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n\
                sys.stdin.readline()\n\
                pid = os.fork()\n\
                if pid == 0:\n    time.sleep(0.5)\n    os._exit(0)\n\
                os.waitpid(pid, 0)\n\
                print('forked', flush=True)\n\
                time.sleep(30)\n";
    let mut target = Reaped(
        Command::new(&python)
            .args(["-c", code])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let pid = target.0.id().to_string();
    let tracer = Command::new(FORKLINT)
        .args(["trace", "--format", "json", "--pid", &pid])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Every thread of the target must be seized before it is told to fork.
    let traced = |tid: &str| {
        std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/status")).is_ok_and(|s| {
            s.lines()
                .any(|l| l.starts_with("TracerPid:") && l != "TracerPid:\t0")
        })
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let tasks: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/task"))
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        if tasks.len() == 2 && tasks.iter().all(|t| traced(t)) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "forklint did not attach"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    use std::io::{BufRead, Write};
    let mut stdin = target.0.stdin.take().unwrap();
    writeln!(stdin).unwrap();
    let mut line = String::new();
    std::io::BufReader::new(target.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "forked\n");
    let sig = Command::new("kill")
        .args(["-INT", &tracer.id().to_string()])
        .status()
        .unwrap();
    assert!(sig.success());
    let out = tracer.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let fork = lines
        .iter()
        .find(|l| l["event"] == "fork")
        .unwrap_or_else(|| panic!("no fork in {text}"));
    assert_eq!(fork["verdict"], "unsafe");
    assert_eq!(fork["child_fate"]["exit"], 0);
    // Detached, not killed: the target still runs, and is no longer traced.
    assert!(target.0.try_wait().unwrap().is_none());
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    assert!(status.lines().any(|l| l == "TracerPid:\t0"), "{status}");
}
