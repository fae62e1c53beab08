//! CPython stacks of a traced process, read from its memory with py-spy (without stopping it:
//! the thread of interest is already in a ptrace stop, and py-spy cannot attach a second tracer).

use crate::inspect::parse::maps::Region;
use crate::trace::stack::{Frame, FrameKind};
use py_spy::config::{Config, LineNo, LockingStrategy};
use py_spy::PythonSpy;
use std::collections::hash_map::{Entry, HashMap};

/// After this many failures to find the interpreter in a process, stop trying.
const ATTEMPTS: u32 = 3;

/// One Python thread at the instant it was read.
#[derive(Debug, Clone)]
pub struct PythonThread {
    pub tid: Option<i32>,
    pub name: Option<String>,
    pub holds_gil: bool,
    pub frames: Vec<Frame>,
}

#[derive(Default)]
pub struct PythonStacks {
    spies: HashMap<i32, PythonSpy>,
    failures: HashMap<i32, (u32, String)>,
}

impl PythonStacks {
    /// Forgets what was learnt about `pid` (it exec'd or ended).
    pub fn forget(&mut self, pid: i32) {
        self.spies.remove(&pid);
        self.failures.remove(&pid);
    }

    /// Every Python thread of `pid`; Ok(None) when the process does not run CPython.
    pub fn threads(
        &mut self,
        pid: i32,
        maps: &[Region],
    ) -> Result<Option<Vec<PythonThread>>, String> {
        if !runs_python(maps) {
            return Ok(None);
        }
        if let Some((n, why)) = self.failures.get(&pid) {
            if *n >= ATTEMPTS {
                return Err(why.clone());
            }
        }
        let spy = match self.spies.entry(pid) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(v) => {
                let config = Config {
                    blocking: LockingStrategy::NonBlocking,
                    native: false,
                    lineno: LineNo::LastInstruction,
                    collect_thread_names: true,
                    ..Config::default()
                };
                match PythonSpy::new(pid, &config) {
                    Ok(spy) => v.insert(spy),
                    Err(e) => return Err(self.failed(pid, format!("{e:#}"))),
                }
            }
        };
        let traces = match spy.get_stack_traces() {
            Ok(t) => t,
            Err(e) => return Err(self.failed(pid, format!("{e:#}"))),
        };
        Ok(Some(
            traces
                .into_iter()
                .map(|t| PythonThread {
                    tid: t.os_thread_id.and_then(|id| i32::try_from(id).ok()),
                    name: t.thread_name,
                    holds_gil: t.owns_gil,
                    frames: t.frames.into_iter().map(frame).collect(),
                })
                .collect(),
        ))
    }

    fn failed(&mut self, pid: i32, why: String) -> String {
        let why = format!("Python stack not read: {why}");
        let entry = self.failures.entry(pid).or_insert((0, String::new()));
        entry.0 += 1;
        entry.1 = why.clone();
        why
    }
}

/// The Python thread that is `tid`, or the one holding the GIL (which the thread calling
/// `os.fork()` or starting a thread does) when the interpreter does not record native ids.
/// A thread state made for a thread about to start carries its creator's id and no frames
/// yet, so the one with frames wins.
pub fn thread_of(threads: &[PythonThread], tid: i32) -> Option<&PythonThread> {
    let with_frames = |t: &&PythonThread| !t.frames.is_empty();
    threads
        .iter()
        .filter(with_frames)
        .find(|t| t.tid == Some(tid))
        .or_else(|| {
            threads
                .iter()
                .filter(with_frames)
                .find(|t| t.tid.is_none() && t.holds_gil)
        })
}

fn runs_python(maps: &[Region]) -> bool {
    maps.iter().filter_map(Region::path).any(|path| {
        let base = path.rsplit('/').next().unwrap_or(path);
        base.starts_with("python") || base.starts_with("libpython")
    })
}

fn frame(f: py_spy::Frame) -> Frame {
    Frame {
        kind: FrameKind::Python,
        function: Some(f.name),
        file: Some(f.filename),
        line: u32::try_from(f.line).ok().filter(|l| *l > 0),
        module: None,
        address: None,
    }
}
