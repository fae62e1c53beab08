//! One trace: turns the tracer's events into fork records (snapshot through `inspect`, stacks,
//! thread origins), decides each child's fate, and hands each finished record to the output as
//! soon as its child's fate is known or the exec window has passed.

use crate::inspect;
use crate::inspect::model::Verdict;
use crate::trace::judge::{judge, location_of};
use crate::trace::memory;
use crate::trace::native;
use crate::trace::python::{self, PythonStacks, PythonThread};
use crate::trace::record::{ChildFate, Fate, ForkRecord, ThreadAtFork, ThreadStart};
use crate::trace::stack::Stack;
use crate::trace::symbols::Symbolizer;
use crate::trace::tracer::{Ending, ForkKind, Observer};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Receives each finished fork record.
pub trait Output {
    fn fork(&mut self, record: &ForkRecord);
}

pub struct Session<'a> {
    started: Instant,
    exec_within: Duration,
    symbols: Symbolizer,
    python: PythonStacks,
    starts: HashMap<i32, ThreadStart>,
    /// A forked child -> (its record, when it was forked).
    children: HashMap<i32, (usize, Instant)>,
    pub records: Vec<ForkRecord>,
    /// Records not yet written out, with the instant of their fork.
    pending: Vec<(usize, Instant)>,
    pub threads_started: usize,
    output: &'a mut dyn Output,
}

impl<'a> Session<'a> {
    pub fn new(exec_within_ms: u64, output: &'a mut dyn Output) -> Session<'a> {
        Session {
            started: Instant::now(),
            exec_within: Duration::from_millis(exec_within_ms),
            symbols: Symbolizer::default(),
            python: PythonStacks::default(),
            starts: HashMap::new(),
            children: HashMap::new(),
            records: Vec::new(),
            pending: Vec::new(),
            threads_started: 0,
            output,
        }
    }

    /// The stack of stopped thread `tid`, and the Python threads of its process when it runs
    /// CPython.
    fn stack(&mut self, pid: i32, tid: i32) -> (Stack, Option<Vec<PythonThread>>) {
        let mut stack = Stack::default();
        match native::stack(pid, tid, &mut self.symbols) {
            Ok(frames) => stack.native = frames,
            Err(e) => stack.notes.push(e),
        }
        let maps = memory::read_maps(pid).unwrap_or_default();
        let threads = match self.python.threads(pid, &maps) {
            Ok(threads) => threads,
            Err(e) => {
                stack.notes.push(e);
                None
            }
        };
        if let Some(t) = threads.as_deref().and_then(|t| python::thread_of(t, tid)) {
            stack.python = t.frames.clone();
        }
        (stack, threads)
    }

    fn ms_since(&self, t: Instant) -> u64 {
        u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn settle(&mut self, pid: i32, fate: Fate, program: Option<String>) {
        self.python.forget(pid);
        if let Some((index, _)) = self.children.remove(&pid) {
            let record = &mut self.records[index];
            if record.child_fate.is_none() {
                record.child_fate = Some(ChildFate { fate, program });
            }
        }
        self.flush(false);
    }

    /// Writes out every pending record whose child's fate is known or whose exec window has
    /// passed (all of them when `all`).
    pub fn flush(&mut self, all: bool) {
        let mut still = Vec::new();
        for (index, forked) in std::mem::take(&mut self.pending) {
            let waited = forked.elapsed();
            let record = &mut self.records[index];
            if record.child_fate.is_none() {
                if !all && waited < self.exec_within {
                    still.push((index, forked));
                    continue;
                }
                record.child_fate = Some(ChildFate {
                    fate: Fate::Running {
                        for_ms: u64::try_from(waited.as_millis()).unwrap_or(u64::MAX),
                    },
                    program: None,
                });
            }
            judge(
                record,
                u64::try_from(self.exec_within.as_millis()).unwrap_or(u64::MAX),
            );
            self.output.fork(record);
        }
        self.pending = still;
    }

    fn threads_at_fork(
        &self,
        report: &inspect::model::Report,
        tid: i32,
        python: Option<&[PythonThread]>,
    ) -> Vec<ThreadAtFork> {
        report
            .threads
            .iter()
            .map(|t| {
                let start = self.starts.get(&t.tid);
                ThreadAtFork {
                    tid: t.tid,
                    name: t.name.clone(),
                    state: t.state.clone(),
                    owner: t.owner.clone(),
                    python_name: python
                        .and_then(|p| p.iter().find(|p| p.tid == Some(t.tid)))
                        .and_then(|p| p.name.clone()),
                    started_at: start.map(|s| s.site.clone()),
                    started_by: start.map(|s| s.by),
                    forking: t.tid == tid,
                    start_location: start
                        .and_then(|s| s.stack.own_frame())
                        .and_then(location_of),
                }
            })
            .collect()
    }
}

fn command_of(pid: i32) -> String {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let words: Vec<String> = raw
        .split(|b| *b == 0)
        .filter(|w| !w.is_empty())
        .map(|w| String::from_utf8_lossy(w).to_string())
        .collect();
    words.join(" ")
}

impl Observer for Session<'_> {
    fn thread(&mut self, pid: i32, tid: i32, new: i32) {
        self.threads_started += 1;
        let (stack, _) = self.stack(pid, tid);
        self.starts.insert(
            new,
            ThreadStart {
                by: tid,
                site: stack.site(),
                stack,
            },
        );
    }

    fn process(&mut self, pid: i32, tid: i32, child: i32, kind: ForkKind) {
        let at = Instant::now();
        let time = self.started.elapsed().as_secs_f64();
        let (stack, python) = self.stack(pid, tid);
        // A vfork child borrows the suspended parent until it execs: there is no copy to judge.
        let (report, not_checked) = if kind == ForkKind::Vfork {
            (None, Vec::new())
        } else {
            match inspect::inspect(pid) {
                Ok(r) => (Some(r), Vec::new()),
                Err(e) => (None, vec![e.to_string()]),
            }
        };
        let threads = report
            .as_ref()
            .map(|r| self.threads_at_fork(r, tid, python.as_deref()))
            .unwrap_or_default();
        let mut not_checked = not_checked;
        if let Some(r) = &report {
            not_checked.extend(
                r.not_checked
                    .iter()
                    .map(|n| format!("{}: {}", n.check, n.reason)),
            );
        }
        let record = ForkRecord {
            version: 1,
            event: "fork",
            number: self.records.len() + 1,
            time,
            pid,
            tid,
            child,
            kind,
            command: report
                .as_ref()
                .map(|r| r.command.clone())
                .unwrap_or_else(|| command_of(pid)),
            site: stack.site(),
            frames: stack.frames().to_vec(),
            full_stack: stack,
            threads,
            fds: report.as_ref().map(|r| r.fds.clone()).unwrap_or_default(),
            locks: report.as_ref().map(|r| r.locks.clone()).unwrap_or_default(),
            libraries: report
                .as_ref()
                .map(|r| r.libraries.clone())
                .unwrap_or_default(),
            child_fate: None,
            verdict: Verdict::Unknown,
            findings: Vec::new(),
            not_checked,
            report,
        };
        self.records.push(record);
        let index = self.records.len() - 1;
        self.children.insert(child, (index, at));
        self.pending.push((index, at));
    }

    fn exec(&mut self, pid: i32) {
        let Some((_, forked)) = self.children.get(&pid).copied() else {
            self.python.forget(pid);
            return;
        };
        let program = std::fs::read_link(format!("/proc/{pid}/exe"))
            .ok()
            .map(|p| p.display().to_string());
        let after_ms = self.ms_since(forked);
        self.settle(pid, Fate::Exec { after_ms }, program);
    }

    fn ended(&mut self, pid: i32, how: Ending) {
        let Some((_, forked)) = self.children.get(&pid).copied() else {
            self.python.forget(pid);
            return;
        };
        let after_ms = self.ms_since(forked);
        let fate = match how {
            Ending::Exited(code) => Fate::Exit { code, after_ms },
            Ending::Killed(signal) => Fate::Killed { signal, after_ms },
        };
        self.settle(pid, fate, None);
    }

    fn tick(&mut self) {
        self.flush(false);
    }
}
