//! `forklint trace`: runs a command (or attaches to a pid) under ptrace and reports every fork
//! as it happens: the parent's state at that instant through `inspect`, where the fork was
//! called, who started each live thread, and whether the child exec'd or went on.

use std::ffi::OsString;
use std::path::PathBuf;

/// What to trace and how to report it (the command line's `trace` flags, resolved).
#[derive(Debug, Clone)]
pub struct Options {
    /// Attach to this running process instead of starting `command`.
    pub pid: Option<String>,
    /// The program and its arguments.
    pub command: Vec<OsString>,
    /// Write the report here instead of stderr.
    pub output: Option<PathBuf>,
    pub format: Format,
    /// A child that execs within this many milliseconds of its fork counts as fork-then-exec.
    pub exec_within_ms: u64,
    /// Exit 1 when the program exited 0 after an unsafe fork.
    pub fail_on_unsafe: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One block per fork as it happens, then a summary by call site.
    Human,
    /// JSON lines: one object per fork, then a summary object.
    Json,
}

/// Declares the modules that use ptrace, /proc and the ELF files of a running process.
macro_rules! linux_modules {
    ($($name:ident),*) => { $(#[cfg(target_os = "linux")] pub mod $name;)* };
}

linux_modules!(
    judge, memory, native, permission, python, record, remedy, render, session, stack, start,
    symbols, tracer
);

/// Runs the trace; the exit code is the program's own (128 + signal when a signal ended it),
/// 1 under `--fail-on unsafe` when it exited 0 after an unsafe fork, 2 when tracing failed.
#[cfg(target_os = "linux")]
pub fn run(args: &Options) -> anyhow::Result<i32> {
    use std::io::Write;

    let out: Box<dyn Write> = match &args.output {
        Some(path) => match std::fs::File::create(path) {
            Ok(f) => Box::new(std::io::BufWriter::new(f)),
            Err(e) => {
                eprintln!("forklint: error: {}: cannot write: {e}", path.display());
                return Ok(2);
            }
        },
        None => Box::new(std::io::stderr()),
    };
    let started = match &args.pid {
        Some(pid) => start::parse_pid(pid).and_then(|pid| Ok((start::attach(pid)?, None))),
        None => start::launch(&args.command).map(|root| {
            let tasks = std::collections::HashMap::from([(root, root)]);
            (tasks, Some(root))
        }),
    };
    let (tasks, root) = match started {
        Ok(s) => s,
        Err(e) => {
            eprintln!("forklint: error: {e}");
            return Ok(2);
        }
    };
    if let Err(e) = tracer::catch_signals() {
        eprintln!("forklint: error: cannot install signal handlers: {e}");
        return Ok(2);
    }
    let mut writer = render::Writer::new(out, args.format);
    let mut session = session::Session::new(args.exec_within_ms, &mut writer);
    let mut tracer = tracer::Tracer::new(tasks, root);
    let ending = tracer.run(&mut session);
    session.flush(true);
    let unsafe_forks = session
        .records
        .iter()
        .any(|r| r.verdict == crate::inspect::model::Verdict::Unsafe);
    let program_exit = ending.as_ref().ok().and_then(|e| e.map(|e| e.exit_code()));
    let summary = render::Summary::new(&session.records, session.threads_started, program_exit);
    writer.summary(&summary);
    if let Err(e) = ending {
        eprintln!("forklint: error: tracing stopped: {e}");
        return Ok(2);
    }
    let code = program_exit.unwrap_or(0);
    Ok(if code == 0 && unsafe_forks && args.fail_on_unsafe {
        1
    } else {
        code
    })
}

#[cfg(not(target_os = "linux"))]
pub fn run(_args: &Options) -> anyhow::Result<i32> {
    eprintln!(
        "forklint: error: `trace` follows programs with Linux's ptrace and runs on Linux only"
    );
    Ok(2)
}
