//! Ground truth for `inspect`: real processes built with real libraries (from the venv that
//! `scripts/setup.sh` makes under target/inspect-venv) and real servers, each of which is also
//! forked for real by the scenario process itself. A test asserts that inspect's verdict agrees
//! with what happened to the child: unsafe exactly when the child hung, failed, or ended up on
//! the parent's connection.
//!
//! Under CI=true a missing prerequisite fails the test; elsewhere the test says why it skipped.
#![cfg(target_os = "linux")]

mod prereq;

use prereq::{missing, venv_python};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// Seconds a forked child gets before it counts as hung. The children's work takes well under
/// a second; the margin is for a loaded CI machine.
const CHILD_TIMEOUT: &str = "6";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A scenario process: killed and reaped when dropped.
struct Scenario {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    ready: Value,
}

impl Scenario {
    fn start(mut command: Command) -> Scenario {
        command
            .env("FORK_SCENARIO_TIMEOUT", CHILD_TIMEOUT)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        let mut child = command.spawn().expect("start the scenario");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let ready = read_json(&mut stdout);
        assert_eq!(ready["ready"], true, "{ready}");
        Scenario {
            child,
            stdin,
            stdout,
            ready,
        }
    }

    fn pid(&self) -> i64 {
        self.ready["pid"].as_i64().expect("pid")
    }

    /// Forks for real and returns the outcome: fine, hung or failed.
    fn fork(&mut self) -> String {
        writeln!(self.stdin, "fork").unwrap();
        self.stdin.flush().unwrap();
        let v = read_json(&mut self.stdout);
        v["outcome"].as_str().expect("outcome").to_string()
    }
}

impl Drop for Scenario {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_json(from: &mut impl BufRead) -> Value {
    let mut line = String::new();
    from.read_line(&mut line).expect("read the scenario");
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("scenario printed {line:?}: {e}"))
}

fn python_scenario(python: &Path, args: &[&str], env: &[(&str, &str)]) -> Scenario {
    let mut cmd = Command::new(python);
    cmd.arg(root().join("tests/helpers/fork_scenarios.py"))
        .args(args)
        .env_remove("TOKENIZERS_PARALLELISM")
        .envs(env.iter().copied());
    Scenario::start(cmd)
}

fn inspect(pid: i64) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_forklint"))
        .args(["inspect", "--format", "json", &pid.to_string()])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn errors(report: &Value) -> Vec<&Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .collect()
}

/// The verdict agrees with the real fork: unsafe exactly when the child did not come out fine.
fn assert_agrees(report: &Value, outcome: &str) {
    let unsafe_now = report["verdict"] == "unsafe";
    assert_eq!(
        unsafe_now,
        outcome != "fine",
        "inspect said {} but the real child was {outcome}:\n{:#}",
        report["verdict"],
        report["findings"]
    );
}

fn threads_attributed_to(report: &Value, library: &str) -> usize {
    report["threads"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["library"] == library && t["attributed_by"] == "start_routine")
        .count()
}

#[test]
fn asyncio_self_pipe_is_not_shared_with_anyone() {
    let Some(python) = venv_python(&["asyncio"]) else {
        return;
    };
    let mut s = python_scenario(&python, &["asyncio"], &[]);
    let report = inspect(s.pid());
    let outcome = s.fork();
    assert_eq!(outcome, "fine");
    assert_agrees(&report, &outcome);
    let pair: Vec<&Value> = report["fds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["socket"]["peer_scope"] == "same_process")
        .collect();
    assert_eq!(
        pair.len(),
        2,
        "the self-pipe's two ends: {:#}",
        report["fds"]
    );
    assert!(errors(&report).iter().all(|f| f["rule"] != "FL002"));
}

#[test]
fn tokenizers_with_parallelism_at_its_default_forks_fine() {
    let Some(python) = venv_python(&["tokenizers"]) else {
        return;
    };
    let mut s = python_scenario(&python, &["tokenizers"], &[]);
    let report = inspect(s.pid());
    let outcome = s.fork();
    assert_eq!(
        outcome, "fine",
        "tokenizers' fork handler turns the pool off"
    );
    assert_agrees(&report, &outcome);
    assert!(
        threads_attributed_to(&report, "tokenizers") > 0,
        "{report:#}"
    );
}

#[test]
fn tokenizers_with_parallelism_forced_on_hangs() {
    let Some(python) = venv_python(&["tokenizers"]) else {
        return;
    };
    let env = [("TOKENIZERS_PARALLELISM", "true")];
    let mut s = python_scenario(&python, &["tokenizers"], &env);
    let report = inspect(s.pid());
    let outcome = s.fork();
    assert_eq!(outcome, "hung");
    assert_agrees(&report, &outcome);
    let fl001 = errors(&report)
        .into_iter()
        .find(|f| f["rule"] == "FL001")
        .expect("FL001 error");
    assert!(fl001["message"].as_str().unwrap().contains("tokenizers"));
    // The variable is set to true: the remedy may not be "set it to true".
    assert!(!fl001["help"]
        .as_str()
        .unwrap()
        .contains("TOKENIZERS_PARALLELISM=true"));
}

#[test]
fn numpy_openblas_pool_forks_fine() {
    let Some(python) = venv_python(&["numpy"]) else {
        return;
    };
    let mut s = python_scenario(&python, &["numpy"], &[]);
    let report = inspect(s.pid());
    let outcome = s.fork();
    assert_eq!(outcome, "fine", "OpenBLAS' fork handlers");
    assert_agrees(&report, &outcome);
    assert!(threads_attributed_to(&report, "openblas") > 0, "{report:#}");
}

#[test]
fn pymongo_client_threads_are_named_and_its_fork_handlers_cover_them() {
    let Some(python) = venv_python(&["pymongo"]) else {
        return;
    };
    let mut s = python_scenario(&python, &["pymongo"], &[]);
    let report = inspect(s.pid());
    let outcome = s.fork();
    assert_eq!(
        outcome, "fine",
        "PyMongo 4.3+ resets the client in the child"
    );
    assert_agrees(&report, &outcome);
    let monitors = report["threads"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| {
            t["python_name"]
                .as_str()
                .is_some_and(|n| n.starts_with("pymongo_"))
                && t["library"] == "pymongo"
        })
        .count();
    assert!(monitors > 0, "{:#}", report["threads"]);
    let pymongo = report["libraries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["matched"] == "pymongo")
        .expect("pymongo's extension is loaded");
    assert_eq!(pymongo["atfork"], true, "{pymongo:#}");
}

#[test]
fn multiprocessing_fork_after_a_thread_holding_a_lock_hangs() {
    let Some(python) = venv_python(&["multiprocessing"]) else {
        return;
    };
    let mut s = python_scenario(&python, &["thread-then-multiprocessing"], &[]);
    let report = inspect(s.pid());
    let outcome = s.fork();
    assert_eq!(outcome, "hung");
    assert_agrees(&report, &outcome);
    let help = errors(&report)
        .into_iter()
        .find(|f| f["rule"] == "FL001")
        .and_then(|f| f["help"].as_str())
        .unwrap_or_default()
        .to_string();
    assert!(help.contains("forkserver"), "{help}");
    assert!(!help.contains("std::process::Command"), "{help}");
}

#[test]
fn c_program_after_an_openmp_region_hangs() {
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("omp_fork");
    let built = Command::new("gcc")
        .args(["-O1", "-fopenmp", "-o"])
        .arg(&exe)
        .arg(root().join("tests/helpers/omp_fork.c"))
        .status();
    if !built.is_ok_and(|s| s.success()) {
        missing("gcc with -fopenmp (libgomp) could not build the OpenMP program");
        return;
    }
    let mut s = Scenario::start(Command::new(&exe));
    let report = inspect(s.pid());
    let outcome = s.fork();
    assert_eq!(outcome, "hung", "libgomp has no fork handler");
    assert_agrees(&report, &outcome);
    assert_eq!(report["runtime"], "native");
    assert!(threads_attributed_to(&report, "openmp") > 0, "{report:#}");
    let help = errors(&report)[0]["help"].as_str().unwrap().to_string();
    for python_or_rust in ["multiprocessing", "std::process::Command"] {
        assert!(!help.contains(python_or_rust), "{help}");
    }
}

/// A throwaway PostgreSQL cluster on a free loopback port, stopped when dropped.
struct Postgres {
    server: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

fn postgres_bin(name: &str) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| Some(e.ok()?.path().join("bin").join(name)))
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    found.pop()
}

fn start_postgres() -> Option<Postgres> {
    let (Some(initdb), Some(postgres)) = (postgres_bin("initdb"), postgres_bin("postgres")) else {
        missing("PostgreSQL is not installed (Debian package postgresql)");
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // PostgreSQL refuses to run as root: run it as the postgres user the package creates.
    let as_root = is_root();
    let run_as = |bin: &Path| {
        let mut c = if as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(bin);
            c
        } else {
            Command::new(bin)
        };
        c.stdout(Stdio::null()).stderr(Stdio::null());
        c
    };
    if as_root {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    let ok = run_as(&initdb)
        .arg("-D")
        .arg(&data)
        .args(["-A", "trust", "-U", "postgres", "--no-sync"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "initdb failed");
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = run_as(&postgres)
        .arg("-D")
        .arg(&data)
        .args(["-p", &port.to_string(), "-k"])
        .arg(dir.path())
        .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
        .spawn()
        .expect("start postgres");
    let pg = Postgres {
        server,
        port,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "postgres did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Accepting connections comes a moment after listening.
    std::thread::sleep(Duration::from_millis(300));
    Some(pg)
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

#[test]
fn prefork_master_with_and_without_a_connection_opened_before_the_fork() {
    let Some(python) = venv_python(&["psycopg2"]) else {
        return;
    };
    let Some(pg) = start_postgres() else {
        return;
    };
    let dsn = format!(
        "host=127.0.0.1 port={} user=postgres dbname=postgres",
        pg.port
    );

    // Like uWSGI without lazy-apps or gunicorn --preload: the app connects at import time in the
    // master, and the forked workers end up on the master's backend.
    let preload = python_scenario(&python, &["prefork-preload", &dsn], &[]);
    assert_eq!(preload.ready["outcome"], "shared", "{}", preload.ready);
    let report = inspect(preload.pid());
    assert_agrees(&report, "shared");
    let fl002 = errors(&report)
        .into_iter()
        .find(|f| f["rule"] == "FL002")
        .expect("FL002 error");
    let message = fl002["message"].as_str().unwrap();
    assert!(message.contains("postgres"), "{message}");
    assert!(message.contains("open in 3 processes"), "{message}");
    for w in preload.ready["workers"].as_array().unwrap() {
        assert!(message.contains(&w.to_string()), "worker {w}: {message}");
    }
    assert_eq!(fl002["related"].as_array().unwrap().len(), 1, "{fl002:#}");
    let help = fl002["help"].as_str().unwrap();
    assert!(help.contains("engine.dispose(close=False)"), "{help}");
    assert!(help.contains("lazy-apps"), "{help}");
    let peer = report["fds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["socket"]["protocol"] == "tcp")
        .map(|f| f["socket"]["peer_process"]["name"].clone());
    assert_eq!(
        peer,
        Some(Value::from("postgres")),
        "the backend, never the postmaster"
    );
    // A worker sees the same shared connection.
    let worker = preload.ready["workers"][0].as_i64().unwrap();
    let report = inspect(worker);
    assert_eq!(report["verdict"], "unsafe");

    // Like uWSGI with lazy-apps or gunicorn without --preload: each worker connects after the
    // fork. The master keeps only its channels to the workers.
    let lazy = python_scenario(&python, &["prefork-lazy", &dsn], &[]);
    assert_eq!(lazy.ready["outcome"], "fine", "{}", lazy.ready);
    let report = inspect(lazy.pid());
    assert_agrees(&report, "fine");
    let channels = report["fds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["socket"]["peer_scope"] == "family")
        .count();
    assert_eq!(channels, 2, "a channel to each worker: {:#}", report["fds"]);
}
