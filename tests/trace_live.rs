//! `forklint trace` on real programs: Rust and C programs built here from `tests/trace_programs/`,
//! CPython's multiprocessing, tokenizers (from the venv under target/inspect-venv) and a uWSGI
//! master preforking its workers. The traced program is always a child process of forklint; nothing
//! forks inside the test harness. Linux only (ptrace).
#![cfg(target_os = "linux")]

mod prereq;

use prereq::{missing, venv_python};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const FORKLINT: &str = env!("CARGO_BIN_EXE_forklint");

fn programs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/trace_programs")
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
    trace_with_env(&[], flags, command)
}

/// As `trace`, with environment variables set (`Some`) or removed (`None`).
fn trace_with_env(
    env: &[(&str, Option<&str>)],
    flags: &[&str],
    command: &[&dyn AsRef<std::ffi::OsStr>],
) -> Traced {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("trace.jsonl");
    let mut forklint = Command::new(FORKLINT);
    for (name, value) in env {
        match value {
            Some(value) => forklint.env(name, value),
            None => forklint.env_remove(name),
        };
    }
    let output = forklint
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
        // The child leaves after 0.5 s: a window well past that keeps its exit its fate even
        // when a loaded machine delays the event.
        .args([
            "trace",
            "--format",
            "json",
            "--exec-within",
            "10000",
            "--pid",
            &pid,
        ])
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

/// The findings of `rule` on a fork event.
fn findings<'a>(fork: &'a Value, rule: &str) -> Vec<&'a Value> {
    fork["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

/// The threads of a fork event that forklint attributed to `owner`.
fn threads_owned_by(fork: &Value, owner: &str) -> usize {
    fork["threads"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["owner"].as_str().is_some_and(|o| o.contains(owner)))
        .count()
}

#[test]
fn tokenizers_pool_is_attributed_and_its_remedy_named() {
    let Some(python) = venv_python(&["tokenizers"]) else {
        return;
    };
    let script = programs().join("tokenizers_fork.py");
    let pool_line = line_of("tokenizers_fork.py", "# POOL");
    let fork_line = line_of("tokenizers_fork.py", "# FORK");
    for parallelism in [None, Some("true")] {
        let t = trace_with_env(
            &[("TOKENIZERS_PARALLELISM", parallelism)],
            &[],
            &[&python, &script],
        );
        assert_eq!(t.code(), Some(0), "stderr: {}", t.stderr());
        let forks = t.forks();
        assert_eq!(forks.len(), 1, "{:#?}", t.lines);
        let fork = forks[0];
        assert!(
            fork["site"]
                .as_str()
                .unwrap()
                .ends_with(&format!("tokenizers_fork.py:{fork_line}")),
            "{}",
            fork["site"]
        );
        assert!(
            threads_owned_by(fork, "tokenizers") > 0,
            "{}",
            fork["threads"]
        );
        for thread in fork["threads"].as_array().unwrap() {
            if thread["forking"] == false {
                assert!(
                    thread["started_at"]
                        .as_str()
                        .unwrap_or_default()
                        .contains(&format!("tokenizers_fork.py:{pool_line}")),
                    "{thread}"
                );
            }
        }
        let fl001 = findings(fork, "FL001");
        assert!(
            fl001
                .iter()
                .any(|f| f["message"].as_str().unwrap().contains("tokenizers")
                    && f["help"]
                        .as_str()
                        .unwrap()
                        .contains("TOKENIZERS_PARALLELISM=false")),
            "{fl001:#?}"
        );
        // Left unset, tokenizers' fork handler turns the pool off in the child; forced on, the
        // child inherits a pool without its threads.
        let forced = parallelism.is_some();
        assert_eq!(
            fork["verdict"],
            if forced { "unsafe" } else { "safe" },
            "{fl001:#?}"
        );
        assert_eq!(
            fl001.iter().any(|f| f["severity"] == "error"),
            forced,
            "{fl001:#?}"
        );
    }
}

#[test]
fn fork_after_an_openmp_region_is_unsafe_with_the_libgomp_threads() {
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("omp_fork");
    let built = Command::new("gcc")
        .args(["-g", "-O1", "-fopenmp", "-o"])
        .arg(&exe)
        .arg(programs().join("omp_fork.c"))
        .status();
    if !built.is_ok_and(|s| s.success()) {
        missing("gcc with -fopenmp (libgomp) could not build the OpenMP program");
        return;
    }
    let t = trace(&[], &[&exe]);
    assert_eq!(t.code(), Some(0), "stderr: {}", t.stderr());
    assert_eq!(String::from_utf8_lossy(&t.output.stdout), "1\n");
    let forks = t.forks();
    assert_eq!(forks.len(), 1, "{:#?}", t.lines);
    let fork = forks[0];
    assert_eq!(fork["verdict"], "unsafe");
    let fork_line = line_of("omp_fork.c", "/* FORK */");
    let site = fork["site"].as_str().unwrap();
    assert!(
        site.starts_with(&format!("omp_fork.c:{fork_line} "))
            || site.contains(&format!("/omp_fork.c:{fork_line} ")),
        "site {site}"
    );
    // num_threads(4): the forking thread and three parked libgomp workers.
    assert_eq!(threads_owned_by(fork, "libgomp"), 3, "{}", fork["threads"]);
    let error = findings(fork, "FL001")
        .into_iter()
        .find(|f| f["severity"] == "error")
        .expect("an FL001 error");
    assert!(error["message"].as_str().unwrap().contains("libgomp"));
    let help = error["help"].as_str().unwrap();
    assert!(help.contains("OMP_NUM_THREADS=1"), "{help}");
    // A C program is not told about Rust's or Python's APIs.
    for other in ["std::process::Command", "multiprocessing"] {
        assert!(!help.contains(other), "{help}");
    }
    assert_eq!(t.summary()["unsafe"], 1);
    assert_eq!(t.summary()["threads_started"], 3);
}

/// Killed with SIGKILL when dropped, unless already reaped: the processes of a uWSGI run.
struct KillOnDrop(Vec<i32>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        for &pid in &self.0 {
            // SAFETY: kill(2) with a pid this test read from uWSGI's own log.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

/// The signals `pid` has handlers for (SigCgt of /proc/PID/status), one bit per signal.
fn caught_signals(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .unwrap_or(0)
}

/// Traces a uWSGI master preforking 4 workers of `uwsgi_app.py` (which connects to `db_port` at
/// import), in the master or with `lazy` apps in each worker, stops the master with SIGINT once
/// all 4 are up with the app loaded, and returns the JSON lines.
fn trace_uwsgi(db_port: u16, lazy: bool) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("trace.jsonl");
    let mut tracer = Reaped(
        Command::new(FORKLINT)
            .args(["trace", "--format", "json", "-o"])
            .arg(&report)
            .args(["--", "uwsgi", "--need-plugin", "python3", "--master"])
            .args(["--processes", "4", "--need-app"])
            // A worker still starting when the master passes SIGINT on misses it; the master
            // then waits this long before it kills the worker (60 s by default).
            .args(["--worker-reload-mercy", "2", "--socket"])
            .arg(dir.path().join("uwsgi.sock"))
            .arg("--wsgi-file")
            .arg(programs().join("uwsgi_app.py"))
            .args(lazy.then_some("--lazy-apps"))
            .env("DB_PORT", db_port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run forklint"),
    );
    // uWSGI logs to stderr, which forklint passes through: the master's pid, then each worker's.
    let (lines, log) = std::sync::mpsc::channel();
    let stderr = tracer.0.stderr.take().unwrap();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr).lines() {
            if lines.send(line.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    let pid_in = |line: &str, after: &str| -> Option<i32> {
        let rest = &line[line.find(after)? + after.len()..];
        rest[..rest.find(|c: char| !c.is_ascii_digit())?]
            .parse()
            .ok()
    };
    let mut uwsgi = KillOnDrop(vec![]);
    let mut seen = String::new();
    let mut master = None;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    // The app is loaded once in the master, or once in each worker: a worker interrupted while
    // it loads the app makes the master exit with an error.
    let apps = if lazy { 4 } else { 1 };
    let mut ready = 0;
    while uwsgi.0.len() < 5 || ready < apps {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let line = log
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("uWSGI did not start 4 workers ({e}):\n{seen}"));
        if let Some(pid) = pid_in(&line, "spawned uWSGI master process (pid: ") {
            master = Some(pid);
            uwsgi.0.push(pid);
        }
        if let Some(pid) = pid_in(&line, "spawned uWSGI worker ").and(pid_in(&line, "(pid: ")) {
            uwsgi.0.push(pid);
        }
        if line.starts_with("WSGI app 0 (mountpoint='') ready") {
            ready += 1;
        }
        seen.push_str(&line);
        seen.push('\n');
    }
    // SIGTERM would make uWSGI reload its workers; SIGINT stops them and the master, once its
    // master loop has set its handlers (SIGINT, then SIGUSR1; SIGTSTP only there): before that a
    // SIGINT kills the master alone or is ignored.
    let master = master.expect("the master's pid");
    let loop_handlers = (1u64 << (libc::SIGUSR1 - 1)) | (1u64 << (libc::SIGTSTP - 1));
    while caught_signals(master) & loop_handlers != loop_handlers {
        assert!(
            std::time::Instant::now() < deadline,
            "the uWSGI master did not reach its loop:\n{seen}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: kill(2) on the master's pid, read from its log; it is traced by forklint, so it
    // stays unreaped (its pid not reused) until forklint has seen it end.
    assert_eq!(unsafe { libc::kill(master, libc::SIGINT) }, 0);
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = tracer.0.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() >= deadline {
            seen.extend(log.try_iter().map(|l| l + "\n"));
            panic!("forklint did not finish after SIGINT to the uWSGI master:\n{seen}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    uwsgi.0.clear();
    seen.extend(log.try_iter().map(|l| l + "\n"));
    assert_eq!(
        status.code(),
        Some(0),
        "forklint ended with {status}:\n{seen}"
    );
    let text = std::fs::read_to_string(&report).unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

#[test]
fn uwsgi_prefork_shares_the_connection_opened_at_import_unless_apps_are_lazy() {
    let ok = Command::new("uwsgi")
        .args(["--need-plugin", "python3", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        missing("uwsgi with its python3 plugin (Debian uwsgi-core, uwsgi-plugin-python3)");
        return;
    }
    // Stands in for the database: the kernel completes the handshakes, nobody needs to accept.
    let db = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = db.local_addr().unwrap().port();
    let peer = format!("127.0.0.1:{port}");

    let lines = trace_uwsgi(port, false);
    let forks: Vec<&Value> = lines.iter().filter(|l| l["event"] == "fork").collect();
    assert_eq!(forks.len(), 4, "{lines:#?}");
    for fork in &forks {
        assert_eq!(fork["verdict"], "unsafe", "{fork}");
        let shared = findings(fork, "FL002")
            .into_iter()
            .find(|f| f["severity"] == "error")
            .unwrap_or_else(|| panic!("no FL002 error in {fork}"));
        assert!(
            shared["message"].as_str().unwrap().contains(&peer),
            "{shared}"
        );
        assert!(
            shared["help"].as_str().unwrap().contains("lazy-apps"),
            "{shared}"
        );
    }
    let summary = lines.last().unwrap();
    assert_eq!(summary["event"], "summary");
    assert_eq!(
        (summary["forks"].as_u64(), summary["unsafe"].as_u64()),
        (Some(4), Some(4))
    );
    assert!(
        summary["sites"][0]["shared"][0]
            .as_str()
            .is_some_and(|s| s.contains(&peer)),
        "{summary}"
    );

    // Each worker loads the app itself: the master holds no connection when it forks.
    let lines = trace_uwsgi(port, true);
    let summary = lines.last().unwrap();
    assert_eq!(summary["event"], "summary");
    assert_eq!(
        (summary["forks"].as_u64(), summary["unsafe"].as_u64()),
        (Some(4), Some(0)),
        "{lines:#?}"
    );
    for fork in lines.iter().filter(|l| l["event"] == "fork") {
        assert!(
            findings(fork, "FL002")
                .iter()
                .all(|f| f["severity"] == "info"),
            "{fork}"
        );
    }
    drop(db);
}
