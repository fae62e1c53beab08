//! Turns the records of the reporting walks into findings: one per (rule, primary location), the
//! hazards as related locations, the call chain as the trace. One constructor per finding shape;
//! each only says what the finding is, `push` merges it with an earlier one at the same place.

use super::outside::{self, is_outside};
use super::program::{is_python, FnRef, Program};
use super::record::{ChildCall, ChildSite, ForcedFork, ForkKind, ForkRec, WalkRecord};
use super::state::{Hazard, HazardKey, Op, State, Step};
use crate::catalog::Effect;
use crate::diagnostic::{Finding, Location, Related, Severity};
use crate::ir::Span;
use crate::rules::{Extra, RuleId};
use std::collections::{BTreeMap, HashMap, HashSet};

pub struct Findings<'p> {
    prog: &'p Program<'p>,
    by_key: BTreeMap<(RuleId, u32, crate::ir::Span), Finding>,
    /// The labels of the threads libtest itself runs (each test on a worker thread).
    harness: Vec<&'p str>,
    /// The threads that may be running at each Rust spawn a `pre_exec` closure forces onto
    /// fork+exec, by the registering call: that closure's calls are reported only with them.
    spawn_threads: HashMap<(u32, crate::ir::Span), Vec<Hazard>>,
    /// The statements of functions only fork children call, by the calls to them.
    bodies: super::child_fns::ChildBodies,
    /// FL008 at a `pre_exec` whose only threads are those callers outside the analysed code
    /// may have, by the registering call: it stands when the closure's own calls are not
    /// async-signal-safe (a closure of `setsid` and `dup2` must run there, and nothing says the
    /// callers have threads).
    outside_forced: HashMap<(u32, crate::ir::Span), (Step, String, Extra)>,
}

/// How a panic in a child's code ends, for the note that gathers its panic paths.
#[derive(Clone, Copy)]
enum PanicEnd {
    /// A forked child's: the hook runs and the child unwinds.
    Unwinds,
    /// A `pre_exec` closure's: std set `panic::always_abort` first.
    Aborts,
    /// Inside a closure `catch_unwind` runs: the hook runs, the unwinding stops there.
    Caught,
}

/// The remedy for a child that unwinds after a failed exec.
const UNWINDS_HELP: &str =
    "end the child with `_exit` (or exec) on every path: `libc::_exit(127)` after a failed exec";

/// The threads alive at the fork whose state the child inherits.
fn live_threads(rec: &ForkRec) -> impl Iterator<Item = &Hazard> {
    rec.live
        .live
        .values()
        .filter(|h| h.effect == Effect::StartsThread && !renewed(rec, h))
}

/// A library thread whose state the child makes afresh: it runs multiprocessing's after-fork
/// registry, where the library registered that state.
fn renewed(rec: &ForkRec, h: &Hazard) -> bool {
    h.renewed_after_fork && rec.traits.runs_after_forkers
}

/// The child call's exit ends a double fork's middle process (the parent side of a fork made
/// in the callee).
fn ends_parent(call: &ChildCall) -> bool {
    call.ops.first().is_some_and(|op| op.ends_parent)
}

/// One statement, one finding: calls on one line (`CString::new(p.to_str().unwrap()).unwrap()`,
/// an argument's `unwrap` included) join the first of them, their operations its evidence.
fn same_line_once(calls: Vec<ChildCall>) -> Vec<ChildCall> {
    let mut out: Vec<ChildCall> = Vec::with_capacity(calls.len());
    for call in calls {
        let line = (call.primary.file, call.primary.span.line);
        match out
            .iter_mut()
            .find(|c| (c.primary.file, c.primary.span.line) == line)
        {
            Some(first) => {
                for op in &call.ops {
                    super::record::add_op(&mut first.ops, op);
                }
            }
            None => out.push(call),
        }
    }
    out
}

/// A finding's severity at this fork: at most what the fork point's catalogue entry allows (a
/// fork that only happens under a default start method is a warning).
fn capped(rec: &ForkRec, rule: RuleId, severity: Option<Severity>) -> Option<Severity> {
    match rec.traits.cap {
        Some(cap) => Some(severity.unwrap_or(rule.default_severity()).min(cap)),
        None => severity,
    }
}

/// The rule a hazard of this kind falls under when it is alive at a fork whose child goes on.
fn hazard_rule(effect: Effect) -> Option<RuleId> {
    match effect {
        Effect::StartsThread => Some(RuleId::FL001),
        Effect::OpensConnection => Some(RuleId::FL002),
        Effect::TouchesObjc => Some(RuleId::FL003),
        Effect::TakesGlobalLock => Some(RuleId::FL004),
        _ => None,
    }
}

impl<'p> Findings<'p> {
    pub fn new(prog: &'p Program<'p>) -> Self {
        let harness = super::harness::labels(prog);
        Findings {
            prog,
            by_key: BTreeMap::new(),
            harness,
            spawn_threads: HashMap::new(),
            bodies: Default::default(),
            outside_forced: HashMap::new(),
        }
    }

    /// Functions only fork children call: their statements are reported as the child's own.
    pub fn child_bodies(&mut self, bodies: super::child_fns::ChildBodies) {
        self.bodies = bodies;
    }

    fn location(&self, step: &Step) -> Location {
        Location {
            path: self.prog.files[step.file as usize].path.clone(),
            line: step.span.line,
            column: step.span.col,
            end_line: step.span.end_line,
            end_column: step.span.end_col,
        }
    }

    fn related(&self, step: &Step, message: String) -> Related {
        Related {
            location: self.location(step),
            message,
        }
    }

    /// Adds a finding, or merges its related locations into the one already at that place.
    fn push(&mut self, rule: RuleId, primary: &Step, message: String, extra: Extra) {
        let key = (rule, primary.file, primary.span);
        let location = self.location(primary);
        // A fork in Python code gets the Python remedy.
        let python = is_python(&location.path);
        let entry = self.by_key.entry(key).or_insert_with(|| {
            let mut f = rule.at(location, message);
            f.severity = extra.severity.unwrap_or(f.severity);
            f.trace = extra.trace;
            if let Some(help) = extra.help {
                f.help = help;
            } else if let Some(help) = python
                .then(|| crate::catalog::python::help(rule.as_str()))
                .flatten()
            {
                f.help = help.to_string();
            }
            f
        });
        for r in extra.related {
            if !entry.related.contains(&r) {
                entry.related.push(r);
            }
        }
        if let Some(s) = extra.severity {
            entry.severity = entry.severity.max(s);
        }
    }

    /// The chain from the function that ordered creation and fork: down to the creation, then
    /// down again to the fork.
    fn hazard_trace(&self, h: &Hazard, fork: &Step) -> Vec<Related> {
        if h.down.is_empty() && h.up.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for s in &h.down {
            out.push(self.related(s, format!("calls {}", s.text)));
        }
        out.push(self.related(&h.site, format!("{} created here", h.label)));
        for s in &h.up {
            out.push(self.related(s, format!("then calls {}", s.text)));
        }
        out.push(self.related(fork, format!("{} here", fork.text)));
        out
    }

    pub fn add_walk(
        &mut self,
        me: FnRef,
        rec: &WalkRecord,
        child_closure: Option<&ChildSite>,
        entry: Option<&State>,
    ) {
        for forced in rec.forced_forks.values() {
            self.forced_fork(forced);
        }
        // The daemon of a double fork (parent ends at once; its child forks again and that
        // middle process ends at once too) is the program from then on: its own exits, in the
        // records of both forks, are the program's, not a child's.
        let daemon_exits: HashSet<Span> = rec
            .forks
            .values()
            .filter(|g| {
                let python = is_python(&self.prog.files[g.site.file as usize].path);
                g.parent_gone(python)
                    && g.outer
                        .and_then(|o| rec.forks.get(&o))
                        .is_some_and(|o| o.parent_gone(python))
            })
            .flat_map(|g| g.exits.iter())
            .filter(|(_, c)| !ends_parent(c))
            .map(|(span, _)| *span)
            .collect();
        for fork in rec.forks.values() {
            let outer = fork.outer.and_then(|o| rec.forks.get(&o));
            self.fork(fork, outer, &daemon_exits, me);
        }
        match child_closure {
            Some(site) if site.in_fork => self.closure_in_fork_child(me, rec, site, entry),
            Some(site) if site.pre_exec && !is_python(&self.prog.files[me.0 as usize].path) => {
                self.pre_exec_closure(rec, site)
            }
            Some(site) => {
                let calls = rec.closure_calls.values().cloned().collect();
                self.child_code(calls, &site.place, Vec::new(), None, PanicEnd::Unwinds);
            }
            None => {}
        }
        let f = self.prog.function(me);
        if super::walk::returns_out_of_program(f) {
            // A Python function a framework calls (`@socketio.on(..)`) hands control back to it.
            let handler = f.path.rsplit("::").next().filter(|name| {
                is_python(&self.prog.files[me.0 as usize].path) && !name.starts_with('<')
            });
            let root = match handler {
                Some(name) if f.is_main => format!("`{name}` into the framework that calls it"),
                _ if f.is_main => "`main`".to_string(),
                _ if !f.is_test_root() => {
                    "the module's top-level code into the interpreter's exit (or the code importing it)".to_string()
                }
                _ => "the test into libtest's harness".to_string(),
            };
            let python = is_python(&self.prog.files[me.0 as usize].path);
            for (span, fork) in &rec.main_returns {
                if let Some(fork) = rec.forks.get(fork).filter(|f| !f.child_is_program(python)) {
                    let primary = Step {
                        file: me.0,
                        span: *span,
                        text: "return".into(),
                    };
                    self.return_from_root(&primary, fork, &root);
                }
            }
        }
    }

    /// The fork's children reach the hazard: any child that runs the program does; children
    /// that run only what they are handed, through that (see `workers`).
    fn reaches(&self, rec: &ForkRec, h: &Hazard) -> bool {
        rec.workers
            .as_ref()
            .is_none_or(|w| w.reach(h, self.prog.catalog.process_state(&h.label)))
    }

    /// `rec`'s hazards of `effect` that its fork's findings name.
    fn reported<'r>(&self, rec: &'r ForkRec, effect: Effect, python: bool) -> Vec<&'r Hazard> {
        let brief = rec.child_is_brief();
        let goes_on = rec.child_goes_on();
        rec.live
            .live
            .values()
            .filter(|h| h.effect == effect && !h.lazy && self.reaches(rec, h))
            .filter(|h| match effect {
                // Threads matter to any child that runs more than async-signal-safe calls; a
                // child that goes on needs threads known to be alive, not a library's callers'.
                Effect::StartsThread => !brief && !is_outside(h) && !renewed(rec, h),
                // A guard matters to a child that goes on, or that takes the lock again.
                Effect::TakesGlobalLock => {
                    rec.child_continues
                        || !rec.has_child
                        || rec.kind == ForkKind::Daemon
                        || rec.child_use_of(h).is_some()
                }
                // A connection made for the child and handed to it is the child's alone
                // when the parent never uses it after the fork; one the child closes
                // before using it is not shared either.
                Effect::OpensConnection
                    if rec.handed_to_child(h) || rec.child_closes(h) || rec.parent_exits =>
                {
                    false
                }
                // A child that ends in its exec without touching a close-on-exec descriptor
                // keeps nothing of it: the exec closes it (and `_exit` if the exec fails).
                Effect::OpensConnection
                    if h.cloexec
                        && rec.execs
                        && rec.child_ends_in_own_code()
                        && rec.child_use_of(h).is_none() =>
                {
                    false
                }
                // A child that ends in its own code (exec, `_exit`, `exit`) shares a connection
                // only by using it there, or while the parent uses its copy: an idle inherited
                // descriptor closed by the child's end is not two processes on one stream.
                Effect::OpensConnection if rec.child_ends_in_own_code() && !python => {
                    rec.child_use_of(h).is_some() || rec.parent_uses_value(h)
                }
                // A fork that macOS never makes cannot meet its Objective-C rule.
                Effect::TouchesObjc if rec.traits.linux_only => false,
                // Connections and ObjC state matter to a child that runs the program on.
                _ => goes_on || rec.child_use_of(h).is_some(),
            })
            .collect()
    }

    /// `outer`: the fork in whose child this one is (the second fork of a double fork).
    /// `daemon_exits`: exits made by a double fork's daemon, which is the program (see `add_walk`).
    fn fork(
        &mut self,
        rec: &ForkRec,
        outer: Option<&ForkRec>,
        daemon_exits: &HashSet<Span>,
        me: FnRef,
    ) {
        let brief = rec.child_is_brief();
        let python = is_python(&self.prog.files[rec.site.file as usize].path);
        for effect in [
            Effect::StartsThread,
            Effect::OpensConnection,
            Effect::TouchesObjc,
            Effect::TakesGlobalLock,
        ] {
            let Some(rule) = hazard_rule(effect) else {
                continue;
            };
            // What the outer fork's finding already names is that one finding, not another.
            let named: Vec<HazardKey> = outer
                .map(|o| {
                    self.reported(o, effect, python)
                        .iter()
                        .map(|h| h.key())
                        .collect()
                })
                .unwrap_or_default();
            // The threads of the callers of a function that forks to run the closure it is
            // handed are reported at each caller's call (see `Summary::forks_closure`).
            let callers = rec.runs_handed_in && !rec.execs && effect == Effect::StartsThread;
            let hazards: Vec<&Hazard> = self
                .reported(rec, effect, python)
                .into_iter()
                .filter(|h| !named.contains(&h.key()))
                .filter(|h| !callers || h.up.is_empty())
                .collect();
            if !hazards.is_empty() {
                self.hazards_at_fork(rule, rec, &hazards);
            }
        }
        let parent_objc = rec
            .live
            .live
            .values()
            .any(|h| h.effect == Effect::TouchesObjc);
        let child_objc = rec
            .child_objc
            .values()
            .find_map(|c| c.ops.first().map(|op| (c, op)));
        if let (Some((call, op)), true, false) =
            (child_objc, brief || !parent_objc, rec.traits.linux_only)
        {
            let message = format!(
                "the child of {} uses {}: macOS kills a forked child that touches it",
                rec.site.text, op.site.text
            );
            let mut related =
                vec![self.related(&call.primary, "used in the child here".to_string())];
            related.extend(self.call_of_fork(rec));
            let trace = self.op_trace(call, op);
            self.push(
                RuleId::FL003,
                rec.fork_call(),
                message,
                Extra::related(related).trace(trace),
            );
        }
        let shared: Vec<&Hazard> = rec
            .live
            .live
            .values()
            .filter(|h| h.effect == Effect::OpensFile)
            .filter(|h| match &rec.workers {
                // Workers read what they are handed through the one inherited handle, each
                // beside its siblings.
                Some(_) => self.reaches(rec, h),
                // A file held by a local, or one inside the global logger (every log call).
                None => {
                    h.bind.as_ref().is_some_and(|b| {
                        rec.child_uses.contains_key(b) && rec.parent_uses.contains(b)
                    }) || h.global.as_ref().is_some_and(|g| {
                        rec.child_globals.contains_key(g) && rec.parent_uses.contains(g)
                    })
                }
            })
            .collect();
        if !shared.is_empty() && rec.kind != ForkKind::Daemon && !rec.parent_exits {
            self.hazards_at_fork(RuleId::FL007, rec, &shared);
        }
        self.unsafe_calls_in_child(rec);
        // Once the parent has ended, the child is the program: its error path is the program's
        // own, and so is its `exit` when the parent left without flushing (`_exit`).
        // A catalogued double fork hands back only in processes whose caller is gone: its
        // child's exits are the daemon's own, as after a double fork by hand.
        if !rec.child_is_program(python) {
            // A Python child's exits are the branches of one `try:` (each handler's
            // `sys.exit`): its first direct exit (else its first) stands for the others.
            let direct = |c: &&ChildCall| c.ops.first().is_some_and(|o| o.down.is_empty());
            let expanded = self.bodies.expand(
                rec.exits
                    .iter()
                    .filter(|(span, _)| !daemon_exits.contains(span))
                    .map(|(_, call)| call),
                |o| o.effect == Effect::ProcessExit,
            );
            let mut exits: Vec<&ChildCall> = expanded.iter().collect();
            if python {
                let first = exits
                    .iter()
                    .copied()
                    .find(direct)
                    .or(exits.first().copied());
                exits = first.into_iter().collect();
            }
            for call in exits {
                self.exit_in_child(call, rec);
            }
        } else {
            // A middle process leaving after its own fork shares its buffers with the
            // grandchild that goes on, whoever ended first above it.
            for call in rec.exits.values().filter(|c| ends_parent(c)) {
                self.exit_in_child(call, rec);
            }
        }
        if rec.kind != ForkKind::Daemon && !rec.parent_gone(python) {
            if let Some(step) = rec
                .error_return
                .as_ref()
                .filter(|_| !python || rec.exits.is_empty())
            {
                self.error_return_in_child(step, rec, "");
            }
            // `let _ = cmd.exec(); Err(..)`: the exec's failure is the child's main way back.
            if let Some(step) = rec
                .exec_error_return
                .as_ref()
                .filter(|s| rec.error_return.as_ref() != Some(*s) && !python)
            {
                self.error_return_in_child(step, rec, "when its exec fails, ");
            }
            for step in &rec.unwinds {
                self.unwinds_in_child(step, rec);
            }
            // A function only the child calls is the child's own code: the panic is reported
            // where it stands in it, the call in the trace.
            for call in &rec.unwinds_in_callees {
                let panics = |o: &Op| o.effect == Effect::Panics;
                for call in self.bodies.expand([call.1], |o| {
                    panics(o) && call.1.ops.iter().any(|u| u.site.span == o.site.span)
                }) {
                    self.callee_unwinds_in_child(&call, rec);
                }
            }
            // A child that left the fork's loop into the parent's code left there: where it
            // goes from that code (off the function's end) is the same way out.
            // A Python child that comes back out of a function whose value the script hands to
            // `sys.exit` leaves there, through the interpreter's exit: that is its way out.
            let exit = match (&rec.leaves_into_caller, &rec.leaves_into_loop, python) {
                (Some(_), _, true) | (_, Some((_, true)), true) => self
                    .prog
                    .exit_taking_value_of(me)
                    .map(|(file, c, label)| Step {
                        file,
                        span: c.span,
                        text: format!("`{label}(..)`").into(),
                    }),
                _ => None,
            };
            if let Some(step) = rec
                .leaves_into_caller
                .as_ref()
                .filter(|_| rec.leaves_into_loop.is_none())
            {
                match &exit {
                    Some(exit) => self.child_exits_through_caller(exit, step, rec),
                    None => self.child_back_in_caller(step, rec),
                }
            }
            if let Some((fell, call)) = rec.runs_parent_code.as_ref().filter(|_| {
                rec.kind == ForkKind::Fork
                    && !rec.traits.double_fork
                    && !rec.child_endless
                    && (rec.execs || !rec.child_calls_program)
                    && rec.leaves_into_loop.is_none()
                    && !python
            }) {
                self.child_runs_parent_code(fell, call, rec);
            }
            if let (Some((step, true)), Some(exit)) = (&rec.leaves_into_loop, &exit) {
                self.child_exits_through_caller(exit, step, rec);
            } else if let Some((step, _)) = &rec.leaves_into_loop {
                let message = format!("the child of {} leaves its branch by {} into the parent's loop, and runs the parent's code on in the child", rec.site.text, step.text);
                let help = self.in_language(
                    rec,
                    "end the child with `_exit` (or exec) instead: `unsafe { libc::_exit(0) }`",
                    "end the child with `os._exit(0)` (or exec) instead",
                );
                self.child_leaves(step, rec, message, Some(help));
            }
        }
    }

    /// FL005 at each call of the child's own code that is not async-signal-safe, when the
    /// parent may be multithreaded: whether or not the child goes on afterwards.
    fn unsafe_calls_in_child(&mut self, rec: &ForkRec) {
        // A library's callers' threads matter to code run between fork and exec or `_exit`, as
        // a `pre_exec` closure's do; a child that goes on is the caller's program (FL001's).
        let ends = rec.child_ends_in_own_code();
        let threads = self.program_first(live_threads(rec).filter(|h| ends || !is_outside(h)));
        let Some(&first) = threads.first() else {
            return;
        };
        // A daemon is the program going on, but forked while those threads ran: its own code
        // finds their locks as they left them, as any child's does.
        // A Python child that never execs is the program going on in a second process: the
        // fork's FL001 names those threads, and each call of the child would say it again.
        // A child that execs runs Python only until then: FL005 names that stretch.
        let python = is_python(&self.prog.files[rec.site.file as usize].path);
        // Children that run only what they are handed are judged by what that reaches.
        if rec.workers.is_some()
            || (python
                && !rec.execs
                && !self.reported(rec, Effect::StartsThread, python).is_empty())
        {
            return;
        }
        let place = format!(
            "the child of {} while {} may be running",
            rec.site.text, first.label
        );
        let severity = capped(
            rec,
            RuleId::FL005,
            self.warning_level(rec).then_some(Severity::Warning),
        );
        // Python: whatever the child's own code calls first runs the interpreter, which
        // allocates and takes locks that another thread may have held at the fork. A child
        // that falls out of its branch runs the whole program on: FL001 already says that.
        let own_code = rec.has_child && !rec.child_continues;
        if let (true, true, Some(step)) = (python, own_code, &rec.child_not_safe) {
            if !rec.unsafe_calls.contains_key(&step.span) {
                let message = format!(
                    "{} runs Python code in {place}: the interpreter allocates and takes locks that thread may have held",
                    step.text
                );
                let related = vec![
                    self.cause(first),
                    self.related(&rec.site, format!("{} here", rec.site.text)),
                ];
                self.push(
                    RuleId::FL005,
                    step,
                    message,
                    Extra::related(related).severity(severity),
                );
            }
        }
        let calls = self
            .bodies
            .expand(rec.unsafe_calls.values(), |o| o.effect.is_child_unsafe());
        let related = vec![
            self.cause(first),
            self.related(&rec.site, format!("{} here", rec.site.text)),
        ];
        if threads.iter().all(|h| is_outside(h)) {
            self.premise_child_code(calls, &place, related, severity);
            return;
        }
        self.child_code(calls, &place, related, severity, PanicEnd::Unwinds);
    }

    /// Threads only a library's unknown callers may have are a premise, not a sighting: one
    /// finding per child code says it, at its first unsafe call, with the others as its
    /// evidence, rather than one per line on a premise that may not hold.
    fn premise_child_code(
        &mut self,
        calls: Vec<ChildCall>,
        place: &str,
        mut related: Vec<Related>,
        severity: Option<Severity>,
    ) {
        let calls = same_line_once(calls);
        let Some((head, rest)) = calls.split_first() else {
            return;
        };
        for other in rest {
            related.push(self.related(
                &other.primary,
                format!("{} is not async-signal-safe either", other.primary.text),
            ));
        }
        self.unsafe_in_child(head, place, related, severity);
    }

    /// The thread to name for a child closure's calls (the program's own before a test
    /// binary's), the place for messages, and the severity: a warning when every thread is a
    /// test binary's. None without threads.
    fn closure_threads<'h>(
        &self,
        site: &ChildSite,
        threads: impl IntoIterator<Item = &'h Hazard>,
    ) -> Option<(&'h Hazard, String, Option<Severity>)> {
        let threads = self.program_first(threads);
        let first = *threads.first()?;
        let place = format!("{} while {} may be running", site.place, first.label);
        let severity = threads
            .iter()
            .all(|h| self.weak_thread(h))
            .then_some(Severity::Warning);
        Some((first, place, severity))
    }

    /// FL005 in a closure a function calls in its fork's child, when threads the caller had
    /// may be running at that fork; FL006 at an exit there, with or without threads: the child
    /// leaves through it.
    fn closure_in_fork_child(
        &mut self,
        me: FnRef,
        rec: &WalkRecord,
        site: &ChildSite,
        entry: Option<&State>,
    ) {
        let (exits, calls) = split_exits(rec.closure_calls.values());
        let in_test = self.prog.function(me).is_test;
        for call in &exits {
            self.exit_in_child_closure(call, site, in_test);
        }
        // Whether the fork's child ends before the caller's code runs on is not known here: a
        // library's callers' threads are no cause for it.
        let threads = entry
            .into_iter()
            .flat_map(|e| e.live.values())
            .filter(|h| h.effect == Effect::StartsThread && !is_outside(h));
        let Some((first, place, severity)) = self.closure_threads(site, threads) else {
            return;
        };
        let related = vec![
            self.cause(first),
            self.related(
                &site.step,
                format!(
                    "{} forks and calls the closure in its child",
                    site.step.text
                ),
            ),
        ];
        self.child_code(calls, &place, related, severity, PanicEnd::Unwinds);
    }

    /// FL006: a closure that a function calls in its fork's child leaves through `exit`.
    fn exit_in_child_closure(&mut self, call: &ChildCall, site: &ChildSite, in_test: bool) {
        let Some(op) = call.ops.first() else {
            return;
        };
        let how = if op.down.is_empty() {
            format!("leaves through `{}`", op.site.text)
        } else {
            format!("calls {}, which leaves through `exit`", call.primary.text)
        };
        let message = format!(
            "the child {how} in {}: atexit handlers and the parent's buffered output run again",
            site.place
        );
        let related = vec![self.related(
            &site.step,
            format!(
                "{} forks and calls the closure in its child",
                site.step.text
            ),
        )];
        let trace = self.op_trace(call, op);
        let severity = in_test.then_some(Severity::Warning);
        let extra = Extra::related(related).trace(trace).severity(severity);
        self.push(RuleId::FL006, &call.primary, message, extra);
    }

    /// FL005 in a Rust `pre_exec` closure, only while threads may be running at its spawn (a
    /// single-threaded parent leaves no lock held in the child). std's child sets
    /// `panic::always_abort()` before running the closure, so a panic there unwinds nothing and
    /// runs no hook; it still formats its message (an error's `Debug`, `io::Error`'s included,
    /// may allocate) before aborting. The panic paths of one closure make one note.
    fn pre_exec_closure(&mut self, rec: &WalkRecord, site: &ChildSite) {
        let Some(threads) = self.spawn_threads.get(&(site.step.file, site.step.span)) else {
            return;
        };
        let threads = threads.clone();
        let Some((first, place, severity)) = self.closure_threads(site, &threads) else {
            return;
        };
        let cause = self.cause(first);
        let calls: Vec<ChildCall> = rec.closure_calls.values().cloned().collect();
        // A call whose hazards are more than a panic path gets a finding of its own.
        if calls
            .iter()
            .any(|c| c.ops.iter().any(|o| o.effect != Effect::Panics))
        {
            if let Some((step, message, extra)) = self
                .outside_forced
                .remove(&(site.step.file, site.step.span))
            {
                self.push(RuleId::FL008, &step, message, extra);
            }
        }
        if threads.iter().all(is_outside) {
            self.premise_child_code(calls, &place, vec![cause], severity);
            return;
        }
        self.child_code(calls, &place, vec![cause], severity, PanicEnd::Aborts);
    }

    /// FL005 at each statement of one child's code. The calls whose only hazard is a panic make
    /// one note at the first of them, the others its related locations: each is an error path,
    /// and what they share (the panic machinery) is one fact about the child. A call that also
    /// allocates, locks or logs keeps its own finding.
    fn child_code(
        &mut self,
        calls: Vec<ChildCall>,
        place: &str,
        related: Vec<Related>,
        severity: Option<Severity>,
        end: PanicEnd,
    ) {
        let panics_only =
            |c: &ChildCall| !c.ops.is_empty() && c.ops.iter().all(|o| o.effect == Effect::Panics);
        // Python's child findings keep their own placement (its frontend owns statements).
        let python = calls
            .first()
            .is_some_and(|c| is_python(&self.prog.files[c.primary.file as usize].path));
        let calls = if python { calls } else { same_line_once(calls) };
        let mut panics = Vec::new();
        let mut caught = Vec::new();
        for call in &calls {
            if panics_only(call) && call.ops.iter().all(|o| o.caught) {
                caught.push(call);
            } else if panics_only(call) {
                panics.push(call);
            } else {
                self.unsafe_in_child(call, place, related.clone(), severity);
            }
        }
        let caught_end = match end {
            PanicEnd::Unwinds => PanicEnd::Caught,
            other => other,
        };
        self.panic_paths(&caught, place, related.clone(), caught_end);
        self.panic_paths(&panics, place, related, end);
    }

    /// One note for the calls of a child's code whose only hazard is a panic, at the first.
    fn panic_paths(
        &mut self,
        panics: &[&ChildCall],
        place: &str,
        related: Vec<Related>,
        end: PanicEnd,
    ) {
        let Some((call, rest)) = panics.split_first() else {
            return;
        };
        let op = &call.ops[0];
        let mut related = related;
        for other in rest {
            related.push(self.related(
                &other.primary,
                format!("{} may panic too", other.primary.text),
            ));
        }
        let what = if op.down.is_empty() {
            op.site.text.to_string()
        } else {
            format!("{} (through {})", call.primary.text, op.site.text)
        };
        let more = match rest.len() {
            0 => String::new(),
            1 => " (and 1 more panic path)".to_string(),
            n => format!(" (and {n} more panic paths)"),
        };
        // In std's `pre_exec` child a panic aborts: what remains is formatting the message. In a
        // fork's own child it unwinds through the parent's frames: the child leaves (FL006).
        let (rule, how) = match end {
            PanicEnd::Aborts => (RuleId::FL005, "std's child aborts on a panic there (nothing unwinds, no hook runs), but the message is formatted first, and an error's `Debug` may allocate"),
            PanicEnd::Caught => (RuleId::FL005, "`catch_unwind` around it stops the unwinding, but the panic hook formats and prints its message first (the machinery allocates and takes locks)"),
            PanicEnd::Unwinds => (RuleId::FL006, "only on an error path, where the panic hook formats and prints its message and the child unwinds through the parent's frames, running their destructors, and ends through exit() (the machinery allocates and takes locks)"),
        };
        let message = format!("{what} may panic in {place}{more}: {how}");
        let trace = if op.down.is_empty() && call.via.is_empty() {
            Vec::new()
        } else {
            self.op_trace(call, op)
        };
        self.push(
            rule,
            &call.primary,
            message,
            Extra::related(related)
                .trace(trace)
                .severity(Some(Severity::Info)),
        );
    }

    /// The fork's child-code findings are warnings: it is in test code, or every thread alive
    /// at it is libtest's, was started by a test, bench or example before it called the library
    /// (alive only in that binary), or stands for a library's unknown callers.
    fn warning_level(&self, rec: &ForkRec) -> bool {
        let mut threads = live_threads(rec).peekable();
        rec.in_test || (threads.peek().is_some() && threads.all(|h| self.weak_thread(h)))
    }

    /// A thread that only a test binary has: libtest's own, or one a test, bench or example
    /// started before it called the library.
    fn test_thread(&self, hazard: &Hazard) -> bool {
        self.harness.contains(&hazard.label.as_ref()) || self.prog.own_binary(hazard.site.file)
    }

    /// A thread that makes a warning, not an error: a test binary's, or one a library's callers
    /// outside the analysed code may have.
    fn weak_thread(&self, hazard: &Hazard) -> bool {
        self.test_thread(hazard) || is_outside(hazard)
    }

    /// The hazards to name, the program's own before those its callers outside the analysed
    /// code may have and those only a test binary has, so a message leads with the cause that
    /// matters in production.
    fn program_first<'h>(&self, hazards: impl IntoIterator<Item = &'h Hazard>) -> Vec<&'h Hazard> {
        let mut hazards: Vec<&Hazard> = hazards.into_iter().collect();
        hazards.sort_by_key(|h| (self.test_thread(h), is_outside(h)));
        hazards
    }

    /// The related location that says why a thread may be running: where it was created, or
    /// the library entry point its callers come in through.
    fn cause(&self, h: &Hazard) -> Related {
        let message = if is_outside(h) {
            outside::cause(h)
        } else {
            format!("{} created here", h.label)
        };
        self.related(&h.site, message)
    }

    /// FL006: the child leaves through `exit`.
    fn exit_in_child(&mut self, call: &ChildCall, rec: &ForkRec) {
        let trace = call
            .ops
            .first()
            .map(|op| self.op_trace(call, op))
            .unwrap_or_default();
        let mut related = vec![self.related(&rec.site, format!("{} here", rec.site.text))];
        for other in call.ops.iter().skip(1) {
            related.push(self.related(
                &other.site,
                format!("{} may end the child too", other.site.text),
            ));
        }
        let severity = capped(rec, RuleId::FL006, None);
        // A double fork's middle process: the exit to change is the one that ends it, after
        // its own fork, not the call that leads there.
        if let (Some(op), true) = (call.ops.first(), ends_parent(call)) {
            related.push(self.related(&call.primary, format!("calls {}", call.primary.text)));
            let message = format!(
                "the child of {} forks again and leaves through `{}` as that fork's parent: atexit handlers and the parent's buffered output run again",
                rec.site.text, op.site.text
            );
            self.push(
                RuleId::FL006,
                &op.site,
                message,
                Extra::related(related).trace(trace).severity(severity),
            );
            return;
        }
        let message = if call.ops.first().is_some_and(|o| o.down.is_empty()) {
            format!("the child of {} leaves through `{}`: atexit handlers and the parent's buffered output run again", rec.site.text, call.ops[0].site.text)
        } else {
            format!("the child of {} calls {}, which leaves through `exit`: atexit handlers and the parent's buffered output run again", rec.site.text, call.primary.text)
        };
        self.push(
            RuleId::FL006,
            &call.primary,
            message,
            Extra::related(related).trace(trace).severity(severity),
        );
    }

    /// FL006: the child returns out of `main` or out of a test.
    fn return_from_root(&mut self, primary: &Step, rec: &ForkRec, root: &str) {
        let message = format!("the child of {} returns out of {root}: the parent's destructors, atexit handlers and buffered output run again in the child", rec.site.text);
        self.child_leaves(primary, rec, message, None);
    }

    /// The remedy written in the language of the fork's file.
    fn in_language(&self, rec: &ForkRec, rust: &'static str, python: &'static str) -> &'static str {
        match is_python(&self.prog.files[rec.site.file as usize].path) {
            true => python,
            false => rust,
        }
    }

    /// FL006: the child returns an error into the function's caller, which goes on as if it
    /// were the parent.
    fn error_return_in_child(&mut self, primary: &Step, rec: &ForkRec, when: &str) {
        let message = format!("{when}the child of {} may leave through {} with an error: it returns into the caller, which runs the parent's code on in the child", rec.site.text, primary.text);
        let help = self.in_language(
            rec,
            "end the child with `_exit` (or exec) on every path, including errors: `if let Err(e) = step() { libc::_exit(127) }`",
            "end the child with `os._exit` (or exec) on every path, including exceptions: `try: ... finally: os._exit(127)`",
        );
        self.child_leaves(primary, rec, message, Some(help));
    }

    /// FL006: the child goes back into the caller of the function that forked, with a value
    /// that does not tell it from the parent: the caller runs the parent's code on in it.
    fn child_back_in_caller(&mut self, primary: &Step, rec: &ForkRec) {
        let message = format!("the child of {} {}: it goes back into the caller, which runs the parent's code on in the child", rec.site.text, primary.text);
        let help = self.in_language(
            rec,
            "end the child with `_exit` (or exec) at the end of its branch: `unsafe { libc::_exit(0) }`",
            "end the child with `os._exit(0)` (or exec) at the end of its branch",
        );
        self.child_leaves(primary, rec, message, Some(help));
    }

    /// FL006: the child leaves its own code at `left` and comes back out of the function that
    /// forked into the script's `exit` (`sys.exit(main())`): it leaves through the interpreter's
    /// exit, running what the parent had left for it (atexit handlers, buffered output).
    fn child_exits_through_caller(&mut self, exit: &Step, left: &Step, rec: &ForkRec) {
        let message = format!("the child of {} leaves its own code ({}) and comes back out into {}: atexit handlers and buffered output the parent left run again in the child", rec.site.text, left.text, exit.text);
        let help = "end the child with `os._exit(0)` (or exec) where its own work ends";
        let mut related = vec![self.related(&rec.site, format!("{} here", rec.site.text))];
        let left_before = rec
            .live
            .live
            .values()
            .filter(|h| h.effect == Effect::LeavesExitWork);
        related.extend(
            left_before.map(|h| self.related(&h.site, format!("{} before the fork", h.label))),
        );
        let trace = vec![self.related(left, "the child leaves its own code here".to_string())];
        let severity = capped(rec, RuleId::FL006, rec.in_test.then_some(Severity::Warning));
        let extra = Extra::related(related)
            .severity(severity)
            .trace(trace)
            .help(help.to_string());
        self.push(RuleId::FL006, exit, message, extra);
    }

    /// FL006: the child goes on past its own code into what the parent runs next, from the end
    /// of its branch, or from the fork itself when nothing tells the processes apart.
    fn child_runs_parent_code(&mut self, fell: &Step, call: &Step, rec: &ForkRec) {
        let how = match (fell.span == rec.site.span, rec.execs) {
            (true, _) => "is not told apart from the parent: it goes on from the fork and",
            (false, true) => "falls out of its branch when its exec fails and",
            (false, false) => "falls out of its branch and",
        };
        let message = format!(
            "the child of {} {how} runs the parent's code that follows ({} here), as a second copy of the program",
            rec.site.text, call.text
        );
        let help = self.in_language(
            rec,
            "end the child's branch with `_exit` (after exec): `unsafe { libc::_exit(127) }`, and test the fork's result",
            "end the child's branch with `os._exit(127)` (after exec), and test the fork's result",
        );
        let primary = Step {
            text: rec.site.text.clone(),
            ..fell.clone()
        };
        let trace = vec![self.related(call, "the parent's code, run in the child".to_string())];
        self.child_leaves_traced(&primary, rec, message, Some(help), trace);
    }

    /// FL006: the child panics on a path that always does (after a failed exec, say): it
    /// unwinds through the parent's frames and ends as the parent would.
    fn unwinds_in_child(&mut self, primary: &Step, rec: &ForkRec) {
        let message = format!("the child of {} may leave by unwinding from {}: the parent's destructors, atexit handlers and buffered output run again in the child", rec.site.text, primary.text);
        self.child_leaves(primary, rec, message, Some(UNWINDS_HELP));
    }

    /// FL006: a call in the child's code reaches a panic that happens once an exec has failed
    /// (in a function only the child calls, the panic itself, the call in the trace).
    fn callee_unwinds_in_child(&mut self, call: &ChildCall, rec: &ForkRec) {
        let Some(op) = call.ops.first() else {
            return;
        };
        // Not expanded into a child-only function: the call in the child's branch leads there.
        let how = match call.via.is_empty() {
            true => format!(" (reached through {})", call.primary.text),
            false => String::new(),
        };
        let panic = op.site.text.trim_matches('`');
        let message = format!("the child of {} may leave by unwinding from `{panic}`{how} when its exec fails: the parent's destructors, atexit handlers and buffered output run again in the child", rec.site.text);
        let trace = self.op_trace(call, op);
        self.child_leaves_traced(&call.primary, rec, message, Some(UNWINDS_HELP), trace);
    }

    /// FL006 at `primary`, the fork as its related location; a warning in test code.
    fn child_leaves(&mut self, primary: &Step, rec: &ForkRec, message: String, help: Option<&str>) {
        self.child_leaves_traced(primary, rec, message, help, Vec::new());
    }

    /// [`Findings::child_leaves`] with the calls that lead to the way out.
    fn child_leaves_traced(
        &mut self,
        primary: &Step,
        rec: &ForkRec,
        message: String,
        help: Option<&str>,
        trace: Vec<Related>,
    ) {
        let related = vec![self.related(&rec.site, format!("{} here", rec.site.text))];
        let severity = capped(rec, RuleId::FL006, rec.in_test.then_some(Severity::Warning));
        let mut extra = Extra::related(related).severity(severity).trace(trace);
        if let Some(help) = help {
            extra = extra.help(help.to_string());
        }
        self.push(RuleId::FL006, primary, message, extra);
    }

    /// FL008: a spawn that std makes with fork+exec while threads may be running (perry, sp1,
    /// maki).
    fn forced_fork(&mut self, forced: &ForcedFork) {
        if !forced.threads.is_empty() {
            self.spawn_threads
                .entry((forced.site.file, forced.site.span))
                .or_default()
                .extend(forced.threads.iter().cloned());
        }
        let Some(first) = forced.threads.first() else {
            return;
        };
        let message = format!("{} while {} may be running", forced.why, first.label);
        let related = forced.threads.iter().map(|h| self.cause(h)).collect();
        let trace = self.hazard_trace(first, &forced.site);
        let mut extra = Extra::related(related).trace(trace);
        if forced.only_setpgid {
            extra = extra.help("the closure only starts a new process group: `Command::process_group(0)` does that on the posix_spawn path".to_string());
        }
        if !is_python(&self.prog.files[forced.site.file as usize].path) {
            if forced.child_closure && forced.threads.iter().all(is_outside) {
                self.outside_forced.insert(
                    (forced.site.file, forced.site.span),
                    (forced.site.clone(), message, extra),
                );
                return;
            }
            self.push(RuleId::FL008, &forced.site, message, extra);
            return;
        }
        // Python: `preexec_fn` moves subprocess off vfork/posix_spawn onto fork+exec (FL008,
        // a warning); a function of the program run there is Python code in the child of a
        // multithreaded parent as well (FL005; CPython's subprocess docs: it can deadlock
        // before exec when threads exist). A C function given by name (`os.setsid`) is not.
        if let Some(help) = crate::catalog::python::help("FL008") {
            extra = extra.help(help.to_string());
        }
        let forced_message = format!(
            "`preexec_fn` makes subprocess fork and exec instead of using vfork or posix_spawn while {} may be running",
            first.label
        );
        self.push(
            RuleId::FL008,
            &forced.site,
            forced_message,
            extra.clone().severity(Some(Severity::Warning)),
        );
        if forced.runs_code {
            self.push(RuleId::FL005, &forced.site, message, extra);
        }
    }

    /// Thread state that outlives a call in a Python extension, for a parent that forks later.
    pub fn host_fork(&mut self, site: &Step, label: &str) {
        let message = format!(
            "{label} stays alive in this Python extension's process: a Python parent that forks afterwards (multiprocessing's fork start method, gunicorn --preload, uWSGI without lazy-apps) leaves its children with threads that do not exist"
        );
        let help = "record the pid that created it and rebuild it (or fail fast) in a forked child, or document that users must use the spawn start method".to_string();
        self.push(
            RuleId::FL001,
            site,
            message,
            Extra::default()
                .severity(Some(Severity::Warning))
                .help(help),
        );
    }

    /// The call that leads to a fork made in the function it calls: a related location of the
    /// findings at that fork, one per call (each caller's hazards are named with it).
    fn call_of_fork(&self, rec: &ForkRec) -> Option<Related> {
        rec.made_in_callee
            .as_ref()
            .map(|_| self.related(&rec.site, format!("{} called here", rec.site.text)))
    }

    /// FL001-FL004, FL007: what was alive at a fork whose child it matters to.
    fn hazards_at_fork(&mut self, rule: RuleId, rec: &ForkRec, hazards: &[&Hazard]) {
        let hazards = self.program_first(hazards.iter().copied());
        let first = hazards[0];
        let more = match hazards.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        let fork = rec.fork_call();
        let message = match rule {
            RuleId::FL001 => format!("{} while {} may be running{more}", fork.text, first.label),
            RuleId::FL002 => format!(
                "{} while {} is open{more}: parent and child share it",
                fork.text, first.label
            ),
            RuleId::FL003 => format!(
                "{} after {} was used{more}: macOS kills a child that touches it",
                fork.text, first.label
            ),
            RuleId::FL004 => format!("{} while {} is held{more}", fork.text, first.label),
            _ => format!(
                "{} while {} is used by both processes{more}: they share one file offset",
                fork.text, first.label
            ),
        };
        let severity = capped(
            rec,
            rule,
            hazards
                .iter()
                .map(|h| h.severity.unwrap_or(rule.default_severity()))
                .max(),
        );
        let mut related: Vec<Related> = Vec::new();
        for h in hazards {
            let via = if h.down.is_empty() && h.up.is_empty() {
                ""
            } else {
                " (see trace)"
            };
            related.push(self.related(&h.site, format!("{} created here{via}", h.label)));
            if let Some(used) = rec.child_use_of(h) {
                related.push(self.related(used, format!("{} used in the child here", used.text)));
            }
        }
        if let (RuleId::FL001, Some(step)) = (rule, rec.child_unknown.as_ref()) {
            related.push(self.related(
                step,
                format!(
                    "the child goes on here: {} is not known to be async-signal-safe",
                    step.text
                ),
            ));
        }
        related.extend(self.call_of_fork(rec));
        let mut trace = self.hazard_trace(first, &rec.site);
        // A call of a function that forks: the fork it leads to ends the chain.
        if let Some(fork) = &rec.made_in_callee {
            if trace.is_empty() {
                trace.push(self.related(&first.site, format!("{} created here", first.label)));
            }
            if trace.last().map(|r| &r.location) == Some(&self.location(&rec.site)) {
                trace.pop();
            }
            trace.push(self.related(&rec.site, format!("then calls {}", rec.site.text)));
            trace.push(self.related(fork, format!("{} here", fork.text)));
        }
        self.push(
            rule,
            fork,
            message,
            Extra::related(related).trace(trace).severity(severity),
        );
    }

    fn op_trace(&self, call: &ChildCall, op: &Op) -> Vec<Related> {
        let mut out: Vec<Related> = call
            .via
            .iter()
            .map(|s| self.related(s, format!("calls {}", s.text)))
            .collect();
        out.push(self.related(&call.primary, format!("calls {}", call.primary.text)));
        for s in op.down.iter().skip(1) {
            out.push(self.related(s, format!("calls {}", s.text)));
        }
        out.push(self.related(&op.site, format!("{} {}", op.site.text, op.effect.verb())));
        out
    }

    /// FL005: a call in child code that is not async-signal-safe.
    fn unsafe_in_child(
        &mut self,
        call: &ChildCall,
        place: &str,
        mut related: Vec<Related>,
        severity: Option<Severity>,
    ) {
        // The statement's main hazard heads the finding; a panic on its error path is evidence.
        let Some(op) = call
            .ops
            .iter()
            .find(|o| o.effect != Effect::Panics)
            .or(call.ops.first())
        else {
            return;
        };
        let direct = op.down.is_empty();
        let message = if direct {
            format!("{} {} in {place}", op.site.text, op.effect.verb())
        } else {
            format!(
                "{} in {place} reaches {}, which {}",
                call.primary.text,
                op.site.text,
                op.effect.verb()
            )
        };
        for other in call.ops.iter().filter(|o| !std::ptr::eq(*o, op)) {
            related.push(self.related(
                &other.site,
                format!("{} {}", other.site.text, other.effect.verb()),
            ));
        }
        let trace = if direct && call.via.is_empty() {
            Vec::new()
        } else {
            self.op_trace(call, op)
        };
        let extra = Extra::related(related).trace(trace).severity(severity);
        self.push(RuleId::FL005, &call.primary, message, extra);
    }

    pub fn finish(self) -> Vec<Finding> {
        let mut out: Vec<Finding> = self.by_key.into_values().collect();
        out.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        out
    }
}

/// A child closure's calls split in two: the exits (each call with its exit operations) and the
/// rest (each call with its other operations).
fn split_exits<'c>(calls: impl Iterator<Item = &'c ChildCall>) -> (Vec<ChildCall>, Vec<ChildCall>) {
    let (mut exits, mut rest) = (Vec::new(), Vec::new());
    for call in calls {
        let (ends, others): (Vec<Op>, Vec<Op>) = call
            .ops
            .iter()
            .cloned()
            .partition(|o| o.effect == Effect::ProcessExit);
        if !ends.is_empty() {
            exits.push(ChildCall {
                ops: ends,
                ..call.clone()
            });
        }
        if !others.is_empty() || call.ops.is_empty() {
            rest.push(ChildCall {
                ops: others,
                ..call.clone()
            });
        }
    }
    (exits, rest)
}
