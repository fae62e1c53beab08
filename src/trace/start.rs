//! Getting a program under ptrace: a launched command is forked stopped, seized and let go into
//! its exec; a running process has each of its threads seized. Failures name what is missing.

use crate::trace::permission::Facts;
use crate::trace::tracer::{options, read_tgid};
use nix::errno::Errno;
use nix::sys::ptrace;
use nix::sys::signal::{self, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{self, ForkResult, Pid};
use std::collections::HashMap;
use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "no command given: write `forklint trace -- CMD [ARGS...]` or `forklint trace --pid PID`"
    )]
    NoCommand,
    #[error("`{0}`: command not found (not a file, nor on PATH)")]
    NotFound(String),
    #[error("`{0}` is not executable")]
    NotExecutable(String),
    #[error("`{0}` contains a NUL byte")]
    Nul(String),
    #[error("`{0}` is not a process id (expected a positive whole number)")]
    BadPid(String),
    #[error("no process with pid {0}")]
    NoSuchProcess(i32),
    #[error("cannot trace pid {pid}: {reason}")]
    Refused { pid: i32, reason: String },
    #[error("{0}")]
    System(String),
}

/// Finds `program` the way execvp would: a name with a `/` as is, else on PATH.
pub fn resolve(program: &OsStr) -> Result<PathBuf, StartError> {
    let shown = program.to_string_lossy().to_string();
    let candidates: Vec<PathBuf> = if program.as_bytes().contains(&b'/') {
        vec![PathBuf::from(program)]
    } else {
        std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).map(|d| d.join(program)).collect())
            .unwrap_or_default()
    };
    let mut seen_file = false;
    for path in candidates {
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        seen_file = true;
        if meta.permissions().mode() & 0o111 != 0 {
            return Ok(path);
        }
    }
    Err(if seen_file {
        StartError::NotExecutable(shown)
    } else {
        StartError::NotFound(shown)
    })
}

fn c_string(bytes: &[u8]) -> Result<CString, StartError> {
    CString::new(bytes).map_err(|_| StartError::Nul(String::from_utf8_lossy(bytes).to_string()))
}

/// The number of threads of forklint itself.
fn own_threads() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Threads:"))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Starts `command` under ptrace and returns its pid. The child stops itself before exec so
/// that it can be seized first; its exec is then the first event traced.
pub fn launch(command: &[OsString]) -> Result<i32, StartError> {
    let program = command.first().ok_or(StartError::NoCommand)?;
    let path = resolve(program)?;
    let path = c_string(path.as_os_str().as_bytes())?;
    let args = command
        .iter()
        .map(|a| c_string(a.as_bytes()))
        .collect::<Result<Vec<_>, _>>()?;
    // Everything the child needs is allocated above: it only stops itself and execs.
    if own_threads() != 1 {
        return Err(StartError::System(
            "forklint must be single-threaded to start the command".to_string(),
        ));
    }
    // SAFETY: forklint is single-threaded here (checked above), so the child cannot inherit a
    // lock held by another thread; between fork and exec it only raises a signal and execs.
    match unsafe { unistd::fork() } {
        Ok(ForkResult::Child) => {
            let _ = signal::raise(Signal::SIGSTOP);
            let _ = unistd::execv(&path, &args);
            // SAFETY: _exit ends the child at once, without running the parent's atexit
            // handlers or flushing its buffers a second time.
            unsafe { libc::_exit(127) }
        }
        Ok(ForkResult::Parent { child }) => {
            match waitpid(child, Some(WaitPidFlag::WUNTRACED)) {
                Ok(WaitStatus::Stopped(_, _)) => {}
                other => {
                    return Err(StartError::System(format!(
                        "the command did not start: {other:?}"
                    )))
                }
            }
            ptrace::seize(child, options(true))
                .map_err(|e| StartError::System(format!("cannot trace the command: {e}")))?;
            signal::kill(child, Signal::SIGCONT)
                .map_err(|e| StartError::System(format!("cannot resume the command: {e}")))?;
            Ok(child.as_raw())
        }
        Err(e) => Err(StartError::System(format!("cannot start the command: {e}"))),
    }
}

pub fn parse_pid(text: &str) -> Result<i32, StartError> {
    match text.trim().parse::<i32>() {
        Ok(pid) if pid > 0 => Ok(pid),
        _ => Err(StartError::BadPid(text.to_string())),
    }
}

fn task_ids(pid: i32) -> Result<Vec<i32>, StartError> {
    let dir = std::fs::read_dir(format!("/proc/{pid}/task"))
        .map_err(|_| StartError::NoSuchProcess(pid))?;
    Ok(dir
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect())
}

/// Seizes every thread of `pid` (listing again until no new thread appears) and returns them,
/// each mapped to `pid`.
pub fn attach(pid: i32) -> Result<HashMap<i32, i32>, StartError> {
    if !Path::new(&format!("/proc/{pid}")).exists() {
        return Err(StartError::NoSuchProcess(pid));
    }
    if read_tgid(pid) != Some(pid) {
        return Err(StartError::Refused {
            pid,
            reason: format!(
                "{pid} is a thread of process {}, not a process; give the process id",
                read_tgid(pid).map_or("?".to_string(), |p| p.to_string())
            ),
        });
    }
    let mut tasks = HashMap::new();
    loop {
        let mut added = false;
        for tid in task_ids(pid)? {
            if tasks.contains_key(&tid) {
                continue;
            }
            match ptrace::seize(Pid::from_raw(tid), options(false)) {
                Ok(()) => {
                    tasks.insert(tid, pid);
                    added = true;
                }
                // A thread that ended between listing and seizing.
                Err(Errno::ESRCH) if tid != pid => {}
                Err(Errno::ESRCH) => return Err(StartError::NoSuchProcess(pid)),
                Err(Errno::EPERM) => {
                    return Err(StartError::Refused {
                        pid,
                        reason: Facts::read(pid).explain(pid),
                    })
                }
                Err(e) => {
                    return Err(StartError::Refused {
                        pid,
                        reason: e.to_string(),
                    })
                }
            }
        }
        if !added {
            return Ok(tasks);
        }
    }
}
