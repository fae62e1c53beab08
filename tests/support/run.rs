//! Runs the `forklint` binary with a time limit and reports its exit, output and peak memory, so
//! a hostile input that hangs or balloons fails the test instead of the machine.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

pub struct Outcome {
    /// The exit code; `None` when killed (by the time limit or a signal such as SIGSEGV).
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub timed_out: bool,
    pub stdout: String,
    pub stderr: String,
    /// Peak resident memory of the process, in bytes.
    pub max_rss: u64,
    pub elapsed: Duration,
}

impl Outcome {
    /// Exited on its own with 0, 1 or 2 (not killed, not a panic's 101).
    pub fn assert_clean(&self, what: &str) {
        assert!(
            !self.timed_out,
            "{what}: timed out after {:?}",
            self.elapsed
        );
        assert!(
            matches!(self.code, Some(0..=2)),
            "{what}: exit {:?} signal {:?}\nstderr: {}",
            self.code,
            self.signal,
            tail(&self.stderr)
        );
        assert!(
            !self.stderr.contains("panicked"),
            "{what}: panicked\n{}",
            tail(&self.stderr)
        );
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("output is not JSON ({e}): {}", tail(&self.stdout)))
    }
}

fn tail(s: &str) -> &str {
    let start = s.len().saturating_sub(2000);
    let start = (start..=s.len())
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(s.len());
    &s[start..]
}

/// `forklint check --format json PATHS` with `dir` as working directory, killed after `limit`.
pub fn check_json(dir: &Path, paths: &[&str], limit: Duration) -> Outcome {
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(paths);
    forklint(dir, &args, limit)
}

/// Runs the binary built for these tests. The child is reaped with `wait4` to read its peak RSS;
/// a watchdog kills it at the limit (only while it is not yet reaped, so its pid cannot have been
/// reused).
pub fn forklint(dir: &Path, args: &[&str], limit: Duration) -> Outcome {
    command(dir, env!("CARGO_BIN_EXE_forklint"), args, limit)
}

/// Runs `program` (the binary, or a wrapper such as `setpriv` that execs it).
pub fn command(dir: &Path, program: &str, args: &[&str], limit: Duration) -> Outcome {
    let start = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn forklint");
    let pid = child.id() as libc::pid_t;
    let mut out_pipe = child.stdout.take().expect("stdout");
    let mut err_pipe = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = std::io::Read::read_to_end(&mut out_pipe, &mut s);
        String::from_utf8_lossy(&s).into_owned()
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = std::io::Read::read_to_end(&mut err_pipe, &mut s);
        String::from_utf8_lossy(&s).into_owned()
    });
    // (exited, killed by the watchdog)
    let state = Arc::new((Mutex::new((false, false)), Condvar::new()));
    let watchdog = {
        let state = state.clone();
        std::thread::spawn(move || {
            let (lock, cvar) = &*state;
            let guard = lock.lock().unwrap();
            let (mut guard, _) = cvar.wait_timeout_while(guard, limit, |s| !s.0).unwrap();
            if !guard.0 {
                // SAFETY: the child is not reaped yet (we hold the lock the reaper needs), so
                // the pid still names it.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                guard.1 = true;
            }
        })
    };
    // Wait without reaping, then mark it exited under the lock, then reap and read its usage.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: plain syscall on our own child.
        let r = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            break;
        }
    }
    let timed_out;
    {
        let (lock, cvar) = &*state;
        let mut guard = lock.lock().unwrap();
        guard.0 = true;
        timed_out = guard.1;
        cvar.notify_all();
    }
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: reaps our own child, which has exited.
    unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let _ = watchdog.join();
    let elapsed = start.elapsed();
    let (code, signal) = if libc::WIFEXITED(status) {
        (Some(libc::WEXITSTATUS(status)), None)
    } else if libc::WIFSIGNALED(status) {
        (None, Some(libc::WTERMSIG(status)))
    } else {
        (None, None)
    };
    // `Child` would try to reap it again on `wait`; it never does so on drop.
    drop(child);
    Outcome {
        code,
        signal,
        timed_out,
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
        max_rss: usage.ru_maxrss as u64 * 1024,
        elapsed,
    }
}
