//! The flow walk of one function: events in control-flow order (branches as alternatives, loops
//! with their back edge, early returns, `?`), deciding what may be alive at each call. The same
//! walk computes a function's summary, pushes entry states into callees, and collects what each
//! fork's child does.

use super::program::{FnRef, Program, Target};
use super::state::{append, join, prepend, Hazard, Op, State, Step};
use crate::catalog::{ClosureRole, Effect};
use crate::ir::{Block, Branch, Call, Node, Side, Span, Subject};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// The parts of a summary the fixpoint compares.
pub type Fingerprint = (
    Vec<(Effect, u32, Span)>,
    Vec<(Effect, u32, Span)>,
    [bool; 4],
    Vec<String>,
);

/// What a function does, seen from its callers.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Hazards that may still be alive when it returns.
    pub alive: Vec<Hazard>,
    /// Child-relevant operations it may perform (allocation, printing, exit, ...).
    pub ops: Vec<Op>,
    /// No path returns normally.
    pub diverges: bool,
    /// Some path calls exec.
    pub execs: bool,
    /// Some path reaches a fork point or registers a child closure.
    pub reaches_fork: bool,
    /// It forks and hands the result to its caller, whose branch tells child from parent
    /// (`fn fork_process() -> io::Result<Fork>`): callers treat a call to it as a fork point.
    pub wraps_fork: bool,
    /// Globals it locks (directly or through callees), for FL004 in a child.
    pub globals: Vec<String>,
}

impl Summary {
    /// The parts the fixpoint compares.
    pub fn fingerprint(&self) -> Fingerprint {
        let mut alive: Vec<_> = self.alive.iter().map(|h| h.key()).collect();
        alive.sort();
        let mut ops: Vec<_> = self
            .ops
            .iter()
            .map(|o| (o.effect, o.site.file, o.site.span))
            .collect();
        ops.sort();
        (
            alive,
            ops,
            [
                self.diverges,
                self.execs,
                self.reaches_fork,
                self.wraps_fork,
            ],
            self.globals.clone(),
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Summary,
    Propagate,
    Report,
}

/// Where the code being walked runs, if in a fork child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildOf {
    Fork(u32),
    /// A `pre_exec` closure.
    Closure,
}

/// A call in a child's own code that does something unsafe there, and what.
#[derive(Debug, Clone)]
pub struct ChildCall {
    pub primary: Step,
    pub ops: Vec<Op>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForkKind {
    Fork,
    Daemon,
    Vfork,
}

/// One fork point in the walked function and what was seen around it.
#[derive(Debug, Clone)]
pub struct ForkRec {
    pub site: Step,
    pub kind: ForkKind,
    pub live: State,
    pub execs: bool,
    pub unsafe_calls: BTreeMap<Span, ChildCall>,
    pub exits: BTreeMap<Span, ChildCall>,
    pub child_uses: HashSet<String>,
    pub parent_uses: HashSet<String>,
    /// The child's code was identified (a branch, or the rest after `daemon()`).
    pub has_child: bool,
    /// The child goes on past its own code (falls out of its branch or returns).
    pub child_continues: bool,
    /// The child calls functions of the program (not only catalogued system calls).
    pub child_runs_code: bool,
    /// After the child's branch falls through, the function makes more calls.
    pub child_runs_more: bool,
    /// Globals the child's own code touches.
    pub child_globals: HashSet<String>,
}

impl ForkRec {
    /// A child that only makes system calls and then execs or `_exit`s: what threads held does
    /// not matter to it beyond the calls themselves (FL005).
    pub fn child_is_brief(&self) -> bool {
        match self.kind {
            ForkKind::Vfork => true,
            ForkKind::Daemon => false,
            ForkKind::Fork => self.has_child && !self.child_continues && !self.child_runs_code,
        }
    }
}

pub struct Ctx<'a> {
    pub prog: &'a Program<'a>,
    pub summaries: &'a HashMap<FnRef, Summary>,
    /// Closures that run in a fork child, with the registering call's label.
    pub child_closures: &'a HashMap<FnRef, Step>,
    /// Closures passed to `thread::scope` and the like.
    pub scoped_closures: &'a HashSet<FnRef>,
}

/// What a `Command` builder has been told so far.
#[derive(Debug, Clone, Default)]
struct CommandState {
    /// A `pre_exec` closure was registered (and reported there).
    pre_exec: bool,
    bare_name: bool,
    path_env: bool,
    forced_by: Option<String>,
}

/// A spawn or `pre_exec` that makes std fork while threads may be running.
#[derive(Debug, Clone)]
pub struct ForcedFork {
    pub site: Step,
    pub why: String,
    pub threads: Vec<Hazard>,
}

struct LoopFrame {
    brk: Option<State>,
    cont: Option<State>,
}

pub struct Walker<'a> {
    ctx: &'a Ctx<'a>,
    me: FnRef,
    mode: Mode,
    exit: Option<State>,
    loops: Vec<LoopFrame>,
    child: Option<ChildOf>,
    pub forks: BTreeMap<u32, ForkRec>,
    fork_vars: HashMap<String, u32>,
    pub ops: Vec<Op>,
    op_keys: HashSet<(Effect, u32, Span)>,
    execs: bool,
    reaches_fork: bool,
    /// Entry states pushed to callees (Propagate).
    pub entries: Vec<(FnRef, State)>,
    /// Unsafe calls inside a `pre_exec` closure (Report).
    pub closure_calls: BTreeMap<Span, ChildCall>,
    /// `return`/`?` leaving `main` from a child, (span, fork).
    pub main_returns: Vec<(Span, u32)>,
    returns: HashSet<String>,
    /// `Command` builders seen, by the id of their `Command::new` call.
    commands: HashMap<u32, CommandState>,
    /// Calls (and locals) that hold a builder, to its `Command::new` id.
    command_of_call: HashMap<u32, u32>,
    command_vars: HashMap<String, u32>,
    /// Spawns that std makes with fork+exec, with what was alive (Report).
    pub forced_forks: BTreeMap<Span, ForcedFork>,
    /// Globals locked here or in callees (bounded).
    globals: std::collections::BTreeSet<String>,
    /// A fork whose child fell out of its branch: code that follows may run in the child.
    child_maybe: Option<u32>,
    /// Some path leaves on the error path (`?`, `return Err`).
    error_exit: bool,
    /// Locals whose threads were joined, by the loops being walked (innermost last).
    joined: Vec<HashSet<String>>,
    /// The function is Python code.
    python: bool,
}

/// Summaries record at most this many operations: enough to name the problem.
const MAX_OPS: usize = 12;

impl<'a> Walker<'a> {
    pub fn new(ctx: &'a Ctx<'a>, me: FnRef, mode: Mode) -> Self {
        let returns = ctx.prog.function(me).returns.iter().cloned().collect();
        Walker {
            ctx,
            me,
            mode,
            exit: None,
            loops: Vec::new(),
            child: None,
            forks: BTreeMap::new(),
            fork_vars: HashMap::new(),
            ops: Vec::new(),
            op_keys: HashSet::new(),
            execs: false,
            reaches_fork: false,
            entries: Vec::new(),
            closure_calls: BTreeMap::new(),
            main_returns: Vec::new(),
            returns,
            joined: Vec::new(),
            error_exit: false,
            child_maybe: None,
            commands: HashMap::new(),
            command_of_call: HashMap::new(),
            command_vars: HashMap::new(),
            forced_forks: BTreeMap::new(),
            globals: std::collections::BTreeSet::new(),
            python: crate::frontend::Language::of(std::path::Path::new(
                &ctx.prog.files[me.0 as usize].path,
            )) == Some(crate::frontend::Language::Python),
        }
    }

    fn step(&self, span: Span, text: impl Into<Arc<str>>) -> Step {
        Step {
            file: self.me.0,
            span,
            text: text.into(),
        }
    }

    /// Walks the function from `entry` and returns its summary.
    pub fn run(&mut self, entry: State) -> Summary {
        let f = self.ctx.prog.function(self.me);
        if self.ctx.child_closures.contains_key(&self.me) {
            self.child = Some(ChildOf::Closure);
        }
        let mut st = Some(entry);
        for call in &f.implied {
            self.call(&mut st, call);
        }
        self.block(&mut st, &f.body);
        let fell_through = st.is_some();
        if let (Some(ChildOf::Fork(id)), true) = (self.child, fell_through) {
            self.child_continues(id);
        }
        join(&mut self.exit, st.as_ref());
        let diverges = self.exit.is_none() && !self.error_exit;
        let mut alive = Vec::new();
        if let Some(exit) = self.exit.take() {
            for h in exit.live.into_values() {
                // Hazards that came in from a caller are the caller's business.
                if !h.up.is_empty() {
                    continue;
                }
                if self.dies_with_local(&h) {
                    continue;
                }
                alive.push(h);
            }
        }
        let is_main = self.ctx.prog.function(self.me).is_main;
        let wraps_fork = !is_main
            && self.forks.values().any(|r| {
                r.kind == ForkKind::Fork
                    && r.has_child
                    && r.child_continues
                    && !r.child_runs_code
                    && !r.child_runs_more
            });
        if wraps_fork {
            // Callers report the fork at their call, with what they had alive.
            for rec in self.forks.values_mut() {
                rec.live.remove_where(|h| !h.up.is_empty());
            }
        }
        Summary {
            alive,
            ops: std::mem::take(&mut self.ops),
            diverges,
            execs: self.execs,
            reaches_fork: self.reaches_fork,
            wraps_fork,
            globals: std::mem::take(&mut self.globals).into_iter().collect(),
        }
    }

    /// Guards, connections and files held by a local are dropped with it (unless returned).
    fn dies_with_local(&self, h: &Hazard) -> bool {
        let Some(bind) = &h.bind else { return false };
        match h.effect {
            Effect::TakesGlobalLock => true,
            Effect::OpensConnection | Effect::OpensFile => !self.returns.contains(bind),
            _ => false,
        }
    }

    fn block(&mut self, st: &mut Option<State>, block: &Block) {
        for node in &block.nodes {
            if st.is_none() {
                break;
            }
            self.node(st, node);
        }
        if let Some(state) = st {
            if !block.locals.is_empty() {
                let locals: HashSet<&str> = block.locals.iter().map(String::as_str).collect();
                let dying: Vec<_> = state
                    .live
                    .iter()
                    .filter(|(_, h)| {
                        h.bind.as_deref().is_some_and(|b| locals.contains(b))
                            && self.dies_with_local(h)
                    })
                    .map(|(k, _)| *k)
                    .collect();
                for k in dying {
                    state.live.remove(&k);
                }
            }
        }
    }

    fn node(&mut self, st: &mut Option<State>, node: &Node) {
        match node {
            Node::Call(call) => self.call(st, call),
            Node::Branch(b) => self.branch(st, b),
            Node::Loop {
                body,
                at_least_once,
            } => self.lp(st, body, *at_least_once),
            Node::Block(b) => self.block(st, b),
            Node::Return { span, error } => {
                self.leave_main(*span);
                if let Some(ChildOf::Fork(id)) = self.child {
                    self.child_continues(id);
                }
                // Hazards leaving on the error path are not the caller's: it bails out too.
                if *error {
                    self.error_exit = true;
                } else {
                    join(&mut self.exit, st.as_ref());
                }
                *st = None;
            }
            Node::Try(_) => self.error_exit = true,
            Node::Break => {
                if let Some(frame) = self.loops.last_mut() {
                    join(&mut frame.brk, st.as_ref());
                }
                *st = None;
            }
            Node::Continue => {
                if let Some(frame) = self.loops.last_mut() {
                    join(&mut frame.cont, st.as_ref());
                }
                *st = None;
            }
            Node::Use { var, .. } => self.note_use(var),
        }
    }

    fn child_continues(&mut self, id: u32) {
        if let Some(f) = self.forks.get_mut(&id) {
            f.child_continues = true;
        }
    }

    fn leave_main(&mut self, span: Span) {
        if let Some(ChildOf::Fork(id)) = self.child {
            if self.ctx.prog.function(self.me).is_main
                && self
                    .forks
                    .get(&id)
                    .is_some_and(|f| f.kind != ForkKind::Daemon)
            {
                self.main_returns.push((span, id));
            }
        }
    }

    fn note_use(&mut self, var: &str) {
        match self.child {
            Some(ChildOf::Fork(id)) => {
                if let Some(f) = self.forks.get_mut(&id) {
                    f.child_uses.insert(var.to_string());
                }
            }
            Some(ChildOf::Closure) => {}
            None => {
                for f in self.forks.values_mut() {
                    f.parent_uses.insert(var.to_string());
                }
            }
        }
    }

    fn fork_of(&self, subject: &Subject) -> Option<u32> {
        match subject {
            Subject::Call(id) => self.forks.contains_key(id).then_some(*id),
            Subject::Var(v) => self.fork_vars.get(v).copied(),
        }
    }

    fn branch(&mut self, st: &mut Option<State>, b: &Branch) {
        let entry = st.clone();
        let mut out: Option<State> = None;
        let mut parent_left = None;
        let mut saw_child = false;
        let mut fell_out = None;
        for arm in &b.arms {
            let mut s = entry.clone();
            let fork = arm
                .test
                .as_ref()
                .and_then(|t| self.fork_of(&t.subject).map(|id| (id, t.side)));
            let saved = self.child;
            if let Some((id, Side::Child)) = fork {
                saw_child = true;
                self.child = Some(ChildOf::Fork(id));
                if let Some(f) = self.forks.get_mut(&id) {
                    f.has_child = true;
                }
            }
            self.block(&mut s, &arm.body);
            if let (Some((id, Side::Child)), Some(_)) = (fork, &s) {
                self.child_continues(id);
                fell_out = Some(id);
            }
            self.child = saved;
            // Only the parent's leaving says that what follows is the child; leaving on the
            // error (`pid < 0`) leaves both the parent and the child after it.
            if let Some((id, Side::Parent)) = fork {
                if s.is_none() {
                    parent_left = Some(id);
                }
            }
            join(&mut out, s.as_ref());
        }
        if !b.exhaustive {
            join(&mut out, entry.as_ref());
        }
        if fell_out.is_some() {
            self.child_maybe = fell_out;
        }
        // `if pid != 0 { return }`: what follows runs in the child.
        if let (Some(id), false) = (parent_left, saw_child) {
            if !b.exhaustive || b.arms.len() == 2 {
                self.child = Some(ChildOf::Fork(id));
                if let Some(f) = self.forks.get_mut(&id) {
                    f.has_child = true;
                }
            }
        }
        *st = out;
    }

    fn lp(&mut self, st: &mut Option<State>, body: &Block, at_least_once: bool) {
        let Some(mut head) = st.clone() else { return };
        self.loops.push(LoopFrame {
            brk: None,
            cont: None,
        });
        self.joined.push(HashSet::new());
        for _ in 0..4 {
            let mut s = Some(head.clone());
            self.block(&mut s, body);
            let cont = self.loops.last_mut().and_then(|f| f.cont.take());
            let mut changed = false;
            if let Some(s) = &s {
                changed |= head.merge(s);
            }
            if let Some(c) = &cont {
                changed |= head.merge(c);
            }
            if !changed {
                break;
            }
        }
        let frame = self.loops.pop().unwrap_or(LoopFrame {
            brk: None,
            cont: None,
        });
        let mut out = if at_least_once { None } else { Some(head) };
        join(&mut out, frame.brk.as_ref());
        // `for h in handles { h.join() }` joins every handle, although a may-analysis of the
        // loop alone would keep the zero-iteration path.
        let joined = self.joined.pop().unwrap_or_default();
        if let Some(out) = &mut out {
            out.remove_where(|h| {
                h.effect == Effect::StartsThread
                    && h.bind.as_ref().is_some_and(|b| joined.contains(b))
            });
        }
        if let Some(outer) = self.joined.last_mut() {
            outer.extend(joined);
        }
        *st = out;
    }

    fn record_op(&mut self, op: Op, primary: &Step) {
        let key = (op.effect, op.site.file, op.site.span);
        if self.ops.len() < MAX_OPS && self.op_keys.insert(key) {
            self.ops.push(op.clone());
        }
        if self.mode != Mode::Report {
            return;
        }
        let exit = op.effect == Effect::ProcessExit;
        let entry = |map: &mut BTreeMap<Span, ChildCall>| {
            let c = map.entry(primary.span).or_insert_with(|| ChildCall {
                primary: primary.clone(),
                ops: Vec::new(),
            });
            if c.ops.len() < MAX_OPS
                && !c
                    .ops
                    .iter()
                    .any(|o| o.effect == op.effect && o.site == op.site)
            {
                c.ops.push(op.clone());
            }
        };
        match self.child {
            Some(ChildOf::Fork(id)) => {
                if let Some(f) = self.forks.get_mut(&id) {
                    if exit {
                        entry(&mut f.exits);
                    } else if op.effect.is_child_unsafe() {
                        entry(&mut f.unsafe_calls);
                    }
                }
            }
            Some(ChildOf::Closure) if op.effect.is_child_unsafe() || exit => {
                entry(&mut self.closure_calls)
            }
            Some(ChildOf::Closure) => {}
            None => {}
        }
    }

    /// The global a call locks or uses, as an absolute path.
    fn absolute_global(&self, call: &Call) -> Option<String> {
        let g = match &call.callee {
            crate::ir::Callee::Global(g) => Some(g),
            _ => call.receiver_global.as_ref(),
        }?;
        Some(super::program::absolute(
            &self.ctx.prog.files[self.me.0 as usize],
            g,
        ))
    }

    fn touch_global(&mut self, global: &str) {
        if self.globals.len() < MAX_OPS {
            self.globals.insert(global.to_string());
        }
        if let Some(ChildOf::Fork(id)) = self.child {
            if let Some(f) = self.forks.get_mut(&id) {
                f.child_globals.insert(global.to_string());
            }
        }
    }

    fn mark_exec(&mut self) {
        self.execs = true;
        if let Some(ChildOf::Fork(id)) = self.child {
            if let Some(f) = self.forks.get_mut(&id) {
                f.execs = true;
            }
        }
    }

    fn call(&mut self, st: &mut Option<State>, call: &Call) {
        let Some(state) = st.as_mut() else { return };
        let prog = self.ctx.prog;
        let target = prog.target(self.me.0, call.id);
        if let Some(v) = &call.receiver {
            self.note_use(v);
        }
        for v in &call.arg_vars {
            self.note_use(v);
        }
        if let Some(id) = self.child_maybe {
            if let Some(f) = self.forks.get_mut(&id) {
                f.child_runs_more = true;
            }
        }
        if let Some(ChildOf::Fork(id)) = self.child {
            if let (Some(g), true) = (self.absolute_global(call), self.forks.contains_key(&id)) {
                if let Some(f) = self.forks.get_mut(&id) {
                    f.child_globals.insert(g);
                }
            }
        }
        let root = call
            .receiver_call
            .and_then(|c| self.command_of_call.get(&c))
            .or_else(|| {
                call.receiver
                    .as_ref()
                    .and_then(|v| self.command_vars.get(v))
            })
            .copied();
        if let Some(root) = root {
            self.command_of_call.insert(call.id, root);
        }
        // In Python every call the catalogue does not know runs interpreted code (a library's
        // or the program's): a child making one is not a brief fork-then-exec child.
        if let (Some(ChildOf::Fork(id)), Target::Unknown, true) = (self.child, target, self.python)
        {
            if let Some(f) = self.forks.get_mut(&id) {
                f.child_runs_code = true;
            }
        }
        // Most calls reach nothing known: skip naming them (formatting is the walk's main cost).
        if matches!(target, Target::Unknown)
            && call.closures.is_empty()
            && !self.ctx.scoped_closures.contains(&self.me)
        {
            return;
        }
        let text = call.callee.display();
        let here = self.step(call.span, format!("`{text}`"));
        let mut role = ClosureRole::Inline;
        let mut diverges = false;
        match target {
            Target::Apis(list) => {
                for &i in list {
                    let api = &prog.catalog.apis[i];
                    if api.closure != ClosureRole::Inline {
                        role = api.closure;
                    }
                    for &effect in &api.effects {
                        diverges |= self.effect(state, call, &here, effect, api);
                    }
                }
            }
            Target::Fns(list) => {
                // The program's own functions, not library code that happens to be scanned too.
                let own = list.iter().any(|f| prog.same_package(f.0, self.me.0));
                if let (Some(ChildOf::Fork(id)), true) = (self.child, own) {
                    if let Some(f) = self.forks.get_mut(&id) {
                        f.child_runs_code = true;
                    }
                }
                let mut all_diverge = !list.is_empty();
                let mut wrapper = false;
                for &callee in list {
                    let Some(summary) = self.ctx.summaries.get(&callee) else {
                        all_diverge = false;
                        continue;
                    };
                    self.apply_summary(state, call, &here, callee, summary);
                    all_diverge &= summary.diverges;
                    wrapper |= summary.wraps_fork;
                }
                diverges |= all_diverge;
                if wrapper {
                    let label = format!("`{text}` (which forks)");
                    self.fork_point(state, call, &label, ForkKind::Fork);
                }
            }
            Target::Unknown => {
                if self.ctx.scoped_closures.contains(&self.me) && self.is_scope_spawn(call) {
                    state.add(Hazard {
                        effect: Effect::StartsThread,
                        site: self.step(call.span, "a scoped thread"),
                        label: "a scoped thread".into(),
                        severity: None,
                        down: Vec::new(),
                        up: Vec::new(),
                        bind: call.bind.clone(),
                        global: None,
                    });
                }
            }
        }
        for &c in &call.closures {
            let closure = (self.me.0, c as u32);
            match role {
                ClosureRole::Inline | ClosureRole::Scoped => {
                    let before: HashSet<_> = state.live.keys().copied().collect();
                    if let Some(summary) = self.ctx.summaries.get(&closure) {
                        self.apply_summary(state, call, &here, closure, summary);
                    }
                    if role == ClosureRole::Scoped {
                        state.remove_where(|h| {
                            h.effect == Effect::StartsThread && !before.contains(&h.key())
                        });
                    }
                }
                ClosureRole::Thread => {
                    self.reaches_fork |= self.reaches(closure);
                    if self.mode == Mode::Propagate && self.reaches(closure) {
                        let mut entry = self.entry_for_callee(state, &here);
                        entry.add(Hazard {
                            effect: Effect::StartsThread,
                            site: here.clone(),
                            label: "the thread this closure runs on".into(),
                            severity: None,
                            down: Vec::new(),
                            up: vec![here.clone()],
                            bind: None,
                            global: None,
                        });
                        self.entries.push((closure, entry));
                    }
                }
                ClosureRole::Deferred => {}
                ClosureRole::Child => {
                    if self.mode == Mode::Propagate && self.reaches(closure) {
                        let entry = self.entry_for_callee(state, &here);
                        self.entries.push((closure, entry));
                    }
                }
            }
        }
        if diverges {
            *st = None;
        }
    }

    /// `s.spawn(..)` where `s` is the scope closure's parameter.
    fn is_scope_spawn(&self, call: &Call) -> bool {
        let f = self.ctx.prog.function(self.me);
        matches!(&call.callee, crate::ir::Callee::Method { name, .. } if name == "spawn")
            && call.receiver.is_some()
            && call.receiver.as_ref() == f.params.first()
    }

    fn reaches(&self, f: FnRef) -> bool {
        self.ctx.summaries.get(&f).is_some_and(|s| s.reaches_fork)
            || self.ctx.child_closures.contains_key(&f)
    }

    /// The state as a callee sees it at entry: every hazard now has this call on its way down.
    fn entry_for_callee(&self, state: &State, here: &Step) -> State {
        let mut entry = State::default();
        for h in state.live.values() {
            let mut h = h.clone();
            h.up = append(&h.up, here);
            h.bind = None;
            entry.add(h);
        }
        entry
    }

    fn apply_summary(
        &mut self,
        state: &mut State,
        call: &Call,
        here: &Step,
        callee: FnRef,
        summary: &Summary,
    ) {
        if self.mode == Mode::Propagate && summary.reaches_fork {
            let entry = self.entry_for_callee(state, here);
            self.entries.push((callee, entry));
        }
        for h in &summary.alive {
            let mut h = h.clone();
            h.down = prepend(here, &h.down);
            h.bind = call.bind.clone();
            state.add(h);
        }
        for op in &summary.ops {
            let op = Op {
                effect: op.effect,
                site: op.site.clone(),
                down: prepend(here, &op.down),
            };
            self.record_op(op, here);
        }
        if summary.execs {
            self.mark_exec();
        }
        for g in &summary.globals {
            self.touch_global(g);
        }
        self.reaches_fork |= summary.reaches_fork;
    }

    fn forced_fork(&mut self, state: &State, call: &Call, why: String) {
        if self.mode != Mode::Report {
            return;
        }
        let threads: Vec<Hazard> = state
            .live
            .values()
            .filter(|h| h.effect == Effect::StartsThread)
            .cloned()
            .collect();
        if threads.is_empty() {
            return;
        }
        let site = self.step(call.span, call.callee.display());
        self.forced_forks
            .insert(call.span, ForcedFork { site, why, threads });
    }

    /// Records a fork point at `call`: what is alive there, and the local holding its result.
    fn fork_point(&mut self, state: &State, call: &Call, label: &str, kind: ForkKind) {
        self.reaches_fork = true;
        let site = self.step(call.span, label.to_string());
        let rec = self.forks.entry(call.id).or_insert_with(|| ForkRec {
            site,
            kind,
            live: State::default(),
            execs: false,
            unsafe_calls: BTreeMap::new(),
            exits: BTreeMap::new(),
            child_uses: HashSet::new(),
            parent_uses: HashSet::new(),
            has_child: false,
            child_continues: false,
            child_runs_code: false,
            child_runs_more: false,
            child_globals: HashSet::new(),
        });
        rec.live.merge(state);
        if let Some(v) = &call.bind {
            self.fork_vars.insert(v.clone(), call.id);
        }
        if kind == ForkKind::Daemon {
            rec.has_child = true;
            self.child = Some(ChildOf::Fork(call.id));
        }
    }

    /// Applies one catalogue effect; true when the call does not return.
    fn effect(
        &mut self,
        state: &mut State,
        call: &Call,
        here: &Step,
        effect: Effect,
        api: &crate::catalog::Api,
    ) -> bool {
        match effect {
            Effect::StartsThread
            | Effect::OpensConnection
            | Effect::TouchesObjc
            | Effect::OpensFile
            | Effect::TakesGlobalLock => {
                // A guard that no `let` holds is a temporary, dropped at the end of its statement.
                if effect == Effect::TakesGlobalLock && call.bind.is_none() {
                    if let Some(g) = self.absolute_global(call) {
                        self.touch_global(&g);
                    }
                    return false;
                }
                if effect == Effect::StartsThread {
                    self.record_op(
                        Op {
                            effect,
                            site: self.step(call.span, api.label.clone()),
                            down: Vec::new(),
                        },
                        here,
                    );
                }
                state.add(Hazard {
                    effect,
                    site: self.step(call.span, api.label.clone()),
                    label: api.label.as_str().into(),
                    severity: api.severity,
                    down: Vec::new(),
                    up: Vec::new(),
                    bind: call.bind.clone(),
                    global: self.absolute_global(call),
                });
                if let (Effect::TakesGlobalLock, Some(g)) = (effect, self.absolute_global(call)) {
                    self.touch_global(&g);
                }
                false
            }
            Effect::Fork | Effect::Daemon | Effect::Vfork => {
                let kind = match effect {
                    Effect::Daemon => ForkKind::Daemon,
                    Effect::Vfork => ForkKind::Vfork,
                    _ => ForkKind::Fork,
                };
                self.fork_point(state, call, api.label.as_str(), kind);
                false
            }
            Effect::ChildClosure => {
                self.reaches_fork = true;
                let root = self.command_of_call.get(&call.id).copied();
                if let Some(cmd) = root.and_then(|r| self.commands.get_mut(&r)) {
                    cmd.pre_exec = true;
                }
                self.forced_fork(state, call, "this `pre_exec` closure makes std spawn the command with fork+exec instead of posix_spawn".into());
                false
            }
            Effect::NewCommand => {
                let bare_name = call.str_arg.as_deref().is_some_and(|p| !p.contains('/'));
                self.commands.insert(
                    call.id,
                    CommandState {
                        bare_name,
                        ..Default::default()
                    },
                );
                self.command_of_call.insert(call.id, call.id);
                if let Some(v) = &call.bind {
                    self.command_vars.insert(v.clone(), call.id);
                }
                false
            }
            Effect::SetsEnv | Effect::ForcesFork => {
                let root = self.command_of_call.get(&call.id).copied();
                if let Some(cmd) = root.and_then(|r| self.commands.get_mut(&r)) {
                    if effect == Effect::ForcesFork {
                        cmd.forced_by = Some(api.label.clone());
                    } else if call.str_arg.as_deref() != Some("PATH")
                        && api.label.ends_with("::env")
                    {
                        // Some other variable: the spawn path does not change.
                    } else {
                        cmd.path_env = true;
                    }
                }
                false
            }
            Effect::SpawnsCommand => {
                let root = self.command_of_call.get(&call.id).copied();
                if let Some(cmd) = root
                    .and_then(|r| self.commands.get(&r))
                    .cloned()
                    .filter(|c| !c.pre_exec)
                {
                    let why = match (&cmd.forced_by, cmd.bare_name && cmd.path_env) {
                        (Some(by), _) => Some(format!("`{by}` makes std spawn this command with fork+exec instead of posix_spawn")),
                        (None, true) => Some("a bare program name with `PATH` set in the command's environment makes std spawn it with fork+exec instead of posix_spawn".to_string()),
                        (None, false) => None,
                    };
                    if let Some(why) = why {
                        self.reaches_fork = true;
                        self.forced_fork(state, call, why);
                    }
                }
                false
            }
            Effect::ProcessExit => {
                self.record_op(
                    Op {
                        effect,
                        site: self.step(call.span, api.label.clone()),
                        down: Vec::new(),
                    },
                    here,
                );
                true
            }
            Effect::ImmediateExit | Effect::Diverges => true,
            Effect::Exec => {
                self.mark_exec();
                false
            }
            Effect::Joins => {
                if let Some(v) = &call.receiver {
                    state.remove_where(|h| {
                        h.effect == Effect::StartsThread && h.bind.as_deref() == Some(v)
                    });
                    if let Some(joined) = self.joined.last_mut() {
                        joined.insert(v.clone());
                    }
                }
                false
            }
            Effect::Drops => {
                for v in &call.arg_vars {
                    state.remove_where(|h| {
                        h.effect != Effect::StartsThread && h.bind.as_deref() == Some(v)
                    });
                }
                false
            }
            e if e.is_child_unsafe() => {
                self.record_op(
                    Op {
                        effect,
                        site: self.step(call.span, api.label.clone()),
                        down: Vec::new(),
                    },
                    here,
                );
                false
            }
            _ => false,
        }
    }
}
