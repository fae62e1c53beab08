//! The flow walk of one function: events in control-flow order (branches as alternatives, loops
//! with their back edge, early returns, `?`), deciding what may be alive at each call. The same
//! walk computes a function's summary, pushes entry states into callees, and collects what each
//! fork's child does.

use super::program::{FnRef, Program, Target};
use super::record::{
    add_op, ChildCall, ChildSite, ForcedFork, ForkKind, ForkRec, Summary, WalkRecord,
};
use super::state::{append, join, prepend, Hazard, Op, State, Step};
use crate::catalog::{Api, ClosureRole, Effect};
use crate::ir::{Block, Branch, Call, Callee, Node, Side, Span, Subject};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// Where the code being walked runs, if in a fork child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildOf {
    Fork(u32),
    /// A child closure (`pre_exec`, an atfork child handler).
    Closure,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Summary,
    Propagate,
    Report,
}

pub struct Ctx<'a> {
    pub prog: &'a Program<'a>,
    pub summaries: &'a HashMap<FnRef, Summary>,
    /// Closures and handlers that run in a fork child, with the registering call.
    pub child_closures: &'a HashMap<FnRef, ChildSite>,
    /// Closures passed to `thread::scope` and the like.
    pub scoped_closures: &'a HashSet<FnRef>,
    /// Functions only test code calls: they run with libtest's threads alive.
    pub test_only: &'a HashSet<FnRef>,
}

/// What a `Command` builder has been told so far.
#[derive(Debug, Clone, Default)]
struct CommandState {
    /// A `pre_exec` closure was registered (and reported there).
    pre_exec: bool,
    /// Where, so that an `exec()` of the same command (which forks nothing) takes the report back.
    pre_exec_at: Option<Span>,
    bare_name: bool,
    path_env: bool,
    forced_by: Option<String>,
    /// Where the setting that moves std onto fork+exec was made, and its display.
    forced_at: Option<(Span, String)>,
}

#[derive(Default)]
struct LoopFrame {
    brk: Option<State>,
    cont: Option<State>,
    /// The child whose code the loop is in (`None`: the parent's loop).
    child: Option<ChildOf>,
    /// The fork whose child, made inside the loop, breaks out of it; and whether anything
    /// else does (another fork's child, or the code the loop is in).
    child_breaks: Option<u32>,
    other_breaks: bool,
}

pub struct Walker<'a> {
    ctx: &'a Ctx<'a>,
    me: FnRef,
    mode: Mode,
    exit: Option<State>,
    loops: Vec<LoopFrame>,
    /// The locals of the blocks being walked, innermost last: a `return` drops them all.
    block_locals: Vec<Vec<String>>,
    child: Option<ChildOf>,
    /// What the reporting walk saw (forks, child closures, forced forks).
    pub rec: WalkRecord,
    fork_vars: HashMap<String, u32>,
    pub ops: Vec<Op>,
    /// The first call that is not known async-signal-safe (for the summary).
    not_safe: Option<Step>,
    /// Connections and files whose value no local holds, by the call that made them: a
    /// method that only tests the value (`.is_ok()`) ends them with its statement.
    temporaries: HashMap<u32, Vec<super::state::HazardKey>>,
    /// Threads a call's closures started that no local holds yet, by the call: the local a
    /// later call of the chain binds holds them (`.map(|_| spawn(..)).collect()`).
    chain_threads: HashMap<u32, Vec<super::state::HazardKey>>,
    /// Python: what each local was built from, for the objects a loader's workers hold.
    built_from: super::workers::BuiltFrom,
    execs: bool,
    reaches_fork: bool,
    /// Entry states pushed to callees (Propagate).
    pub entries: Vec<(FnRef, State)>,
    returns: HashSet<String>,
    /// `Command` builders seen, by the id of their `Command::new` call.
    commands: HashMap<u32, CommandState>,
    /// Calls (and locals) that hold a builder, to its `Command::new` id.
    command_of_call: HashMap<u32, u32>,
    command_vars: HashMap<String, u32>,
    /// Globals locked here or in callees.
    globals: std::collections::BTreeSet<String>,
    /// A fork whose child fell out of its branch: code that follows may run in the child.
    child_maybe: Option<u32>,
    /// Where that child's branch ended (its last statement), for a Python child that then
    /// falls off the function.
    child_fell_at: Option<Span>,
    /// The fork whose parent side is being walked (`if pid > 0 { .. }`): inside an outer
    /// fork's child, an exit there ends the middle process of a double fork.
    parent_arm: Option<u32>,
    /// The fork whose child's arm is being walked (`Ok(Fork::Child) => { .. }`): after a
    /// catalogued double fork, an exit outside it ends the middle process that got the
    /// parent's value back.
    child_arm: Option<u32>,
    /// Some path leaves on the error path (`?`, `return Err`).
    error_exit: bool,
    /// Locals whose threads were joined, by the loops being walked (innermost last).
    joined: Vec<HashSet<String>>,
    /// Python: fields of `self` whose threads this function joins (see `Summary::joins_fields`).
    joins_fields: std::collections::BTreeSet<String>,
    /// Python: this function closes its own object (see `Summary::drops_self`).
    drops_self: bool,
    /// Module globals whose lazy clients this function sends commands to (see `Summary::wakes`).
    wakes: std::collections::BTreeSet<String>,
    /// `return`s and `?`s walked so far: a loop that contains one has a way out.
    leaves: usize,
    /// Catalogued exits that run atexit handlers and flush stdio, walked so far.
    flushing_exits: usize,
    /// The function is Python code.
    python: bool,
    /// The call whose result is a method call's receiver, by the method call's id.
    receiver_calls: HashMap<u32, u32>,
    /// Calls whose value is a fork's result with its error adapted (`fork().map_err(..)`), by
    /// call id: the fork.
    carries_fork: HashMap<u32, u32>,
    /// The last call walked returns only errors (every callee's summary says so).
    last_call_only_errors: bool,
    /// The shape of the values the last call walked returns, when its callees agree on one.
    last_call_value: Option<String>,
    /// The shape of the value the last branch walked ends with, when every arm that goes on
    /// past it agrees (`Err(_) => leave(1), Ok(Child) => Ok(Side::Daemon(fd))`: `Daemon`).
    last_branch_value: Option<String>,
    /// Calls that can only have failed if they return (exec, a function that only returns
    /// errors, `.map(..)` of one): the paths that need their `Ok` cannot run.
    failing_calls: HashSet<u32>,
    /// Locals bound to such a call's value (`let r = execv(..);`).
    failing_vars: HashSet<String>,
    /// Calls whose value is surely present: `.err()` of a call that can only have failed is
    /// always `Some`, so unwrapping it cannot panic.
    present_values: HashSet<u32>,
    /// Parameters whose value (a closure handed in) is called in a fork child.
    child_params: std::collections::BTreeSet<u32>,
    /// Parameters whose value is called (see `Summary::run_params`).
    run_params: std::collections::BTreeSet<u32>,
    /// Parameters handed to `pre_exec` (see `Summary::pre_exec_params`).
    pre_exec_params: std::collections::BTreeSet<u32>,
    /// Parameters of enclosing functions this closure calls (see `Summary::captured_runs`).
    captured_runs: std::collections::BTreeSet<(u32, u32)>,
    /// When set, every thread alive before some call of the function (see `threads_seen`).
    threads_seen: Option<State>,
    /// Some path runs the program's code forever.
    endless: bool,
    /// The function is walked as fork-child code (see `in_child_code`).
    child_code: bool,
    /// Some path returns (or bails out) in the calling process, not in a fork's child.
    returns_in_caller: bool,
    /// A closure's summary is being applied at a call that catches its panics.
    catching: bool,
    /// Calls walked so far, and their number when the rest of the function became a child's.
    calls: usize,
    calls_after_fall: Option<usize>,
    /// Calls whose unsafe operations were recorded in child code, by id, with the primary they
    /// were recorded at: a method called on such a call's value (`CString::new(..).unwrap()`)
    /// is the same statement, and its operations join that finding.
    statement_of: HashMap<u32, Step>,
    /// While a call is walked: the primary its unsafe operations join, from `statement_of`.
    fold_into: Option<Step>,
    /// Unsafe operations recorded in child code so far.
    recorded: usize,
    /// See `Summary::unwinds`.
    unwinds: Option<Op>,
}

impl<'a> Walker<'a> {
    pub fn new(ctx: &'a Ctx<'a>, me: FnRef, mode: Mode) -> Self {
        let returns = ctx.prog.function(me).returns.iter().cloned().collect();
        Walker {
            ctx,
            me,
            mode,
            exit: None,
            loops: Vec::new(),
            block_locals: Vec::new(),
            child: None,
            rec: WalkRecord::default(),
            fork_vars: HashMap::new(),
            ops: Vec::new(),
            not_safe: None,
            temporaries: HashMap::new(),
            chain_threads: HashMap::new(),
            built_from: HashMap::new(),
            execs: false,
            reaches_fork: false,
            entries: Vec::new(),
            returns,
            joined: Vec::new(),
            joins_fields: Default::default(),
            wakes: Default::default(),
            drops_self: false,
            leaves: 0,
            flushing_exits: 0,
            error_exit: false,
            child_maybe: None,
            child_fell_at: None,
            parent_arm: None,
            child_arm: None,
            commands: HashMap::new(),
            command_of_call: HashMap::new(),
            command_vars: HashMap::new(),
            globals: std::collections::BTreeSet::new(),
            receiver_calls: HashMap::new(),
            carries_fork: HashMap::new(),
            last_call_only_errors: false,
            last_call_value: None,
            last_branch_value: None,
            failing_calls: HashSet::new(),
            failing_vars: HashSet::new(),
            present_values: HashSet::new(),
            child_params: std::collections::BTreeSet::new(),
            run_params: std::collections::BTreeSet::new(),
            pre_exec_params: std::collections::BTreeSet::new(),
            captured_runs: std::collections::BTreeSet::new(),
            threads_seen: None,
            statement_of: HashMap::new(),
            endless: false,
            child_code: false,
            returns_in_caller: false,
            catching: false,
            calls: 0,
            calls_after_fall: None,
            fold_into: None,
            recorded: 0,
            unwinds: None,
            python: super::program::is_python(&ctx.prog.files[me.0 as usize].path),
        }
    }

    /// What a Python module's import leaves alive for `me`, a function of it that code outside
    /// the tree calls: the importer ran the module's top-level code first, so its summary is
    /// applied as a call of it made where `me` is defined (its globals become the module's).
    pub fn after_import(mut self) -> State {
        let mut state = State::default();
        let file = &self.ctx.prog.files[self.me.0 as usize];
        let module = format!("self::{}", crate::frontend::python::MODULE_FN);
        let Some(top) = file.functions.iter().position(|g| g.path == module) else {
            return state;
        };
        let callee = (self.me.0, top as u32);
        let Some(summary) = self.ctx.summaries.get(&callee) else {
            return state;
        };
        let span = self.ctx.prog.function(self.me).span;
        let call = Call::new(u32::MAX, Callee::Path(vec![module]), span);
        let here = self.step(span, "the module's top-level code (its import)".to_string());
        self.apply_summary(&mut state, &call, &here, callee, summary, false);
        state
    }

    /// Records the threads alive before each call this walk makes, for [`Walker::threads_seen`].
    pub fn collecting_threads(mut self) -> Self {
        self.threads_seen = Some(State::default());
        self
    }

    /// The threads alive before some call of the walk (with [`Walker::collecting_threads`]).
    pub fn threads_seen(&mut self) -> State {
        self.threads_seen.take().unwrap_or_default()
    }

    fn step(&self, span: Span, text: impl Into<Arc<str>>) -> Step {
        Step {
            file: self.me.0,
            span,
            text: text.into(),
        }
    }

    /// Walks the function as code that runs only in a fork's child: its unsafe calls and exits
    /// are recorded per statement, as a child closure's are.
    pub fn in_child_code(mut self) -> Self {
        self.child_code = true;
        self
    }

    /// Walks the function from `entry` and returns its summary.
    pub fn run(&mut self, entry: State) -> Summary {
        let f = self.ctx.prog.function(self.me);
        if self.child_code || self.ctx.child_closures.contains_key(&self.me) {
            self.child = Some(ChildOf::Closure);
        }
        let mut entry = entry;
        // A child closure's entry names the threads its fork copied (its findings' evidence),
        // but its code runs in the child, where only the forking thread is left: a fork or a
        // spawn it makes copies a single-threaded process.
        if self.child == Some(ChildOf::Closure) {
            into_child(&mut entry);
        }
        let mut st = Some(entry);
        for call in &f.implied {
            self.call(&mut st, call);
        }
        self.block(&mut st, &f.body);
        // `fn replace() -> Result<()> { execvp(..).map(|_| ()) }`: its value is exec's error.
        if let (Some(Node::Call(c)), Some(_), false) = (f.body.nodes.last(), &st, self.python) {
            if self.failing_calls.contains(&c.id) {
                self.error_exit = true;
                st = None;
            }
        }
        let fell_through = st.is_some();
        if fell_through {
            self.note_return();
        }
        if let (Some(ChildOf::Fork(id)), true) = (self.child, fell_through) {
            self.child_continues(id, true);
            // The child is the rest of the function: it hands back the function's value.
            let value = f.value.as_ref().or(f.tail_value.as_ref());
            if let (Some(rec), Some(v)) = (self.rec.forks.get_mut(&id), value) {
                rec.returns_in_child.get_or_insert_with(|| v.clone());
            }
        }
        // A child that falls out of its branch and off the end of `main` or of a test returns
        // into the runtime. One that called into the program's own code there is taken to end
        // in it (a serve loop), and one that is the rest of the function after the parent left
        // is the program's continuation, as after `daemon()`.
        let fell_off = self
            .child_maybe
            .filter(|_| fell_through && self.child.is_none())
            .filter(|id| {
                self.rec
                    .forks
                    .get(id)
                    .is_some_and(|r| !r.child_calls_program && !r.child_runs_more)
            });
        if let Some(id) = fell_off {
            let end = match self.child_fell_at {
                Some(at) => at,
                None if f.end == Span::default() => f.span,
                None => f.end,
            };
            self.child = Some(ChildOf::Fork(id));
            self.leave_root(end);
            self.child = None;
        }
        join(&mut self.exit, st.as_ref());
        let diverges = self.exit.is_none() && !self.error_exit;
        let only_errors = self.exit.is_none() && self.error_exit;
        let mut alive = Vec::new();
        if let Some(exit) = self.exit.take() {
            for h in exit.live.into_values() {
                // Hazards that came in from a caller are the caller's business.
                if !h.up.is_empty() {
                    continue;
                }
                let mut h = h;
                if self.dies_with_local(&h, false) {
                    match self.derived_survivor(&h) {
                        Some(holder) => h.bind = Some(holder),
                        None => continue,
                    }
                }
                alive.push(h);
            }
        }
        let is_main = self.ctx.prog.function(self.me).is_main;
        // `fn fork() -> nix::Result<ForkResult> { unsafe { nix::unistd::fork() } }`: the fork is
        // the function's value (a Python function's last expression is not its value).
        let tail = match f.body.nodes.last() {
            Some(Node::Call(c)) if !self.python => Some(c.id),
            _ => None,
        };
        // A child that falls through to the function's end hands its caller the pid only when
        // that is the value as a whole: `pid + 1` or `Handle { pid }` is no side to branch on.
        let whole = f.returns_whole.as_ref().unwrap_or(&f.returns);
        let handed_back: HashSet<u32> = self
            .rec
            .forks
            .keys()
            .copied()
            .filter(|id| {
                tail == Some(*id)
                    || self
                        .fork_vars
                        .iter()
                        .any(|(v, fork)| fork == id && whole.contains(v))
            })
            .collect();
        let returned = |id: &u32| {
            tail == Some(*id)
                || tail.and_then(|t| self.carries_fork.get(&t)) == Some(id)
                || self
                    .fork_vars
                    .iter()
                    .any(|(v, fork)| fork == id && self.returns.contains(v))
        };
        // A wrapper either tells the caller which side it is on (`Ok(Fork::Child)`), or hands
        // back the raw result for the caller's own `pid == 0` test.
        // The child's branch must hand back a value that tells it apart (`Ok(Forked::Child)`,
        // `None`); one that returns `()` like the parent is a child that goes on.
        let tells_side = |id: &u32, r: &ForkRec| {
            // Setting the child up in the program's own code (`Fork::from_pts(..)`) is still a
            // wrapper's when what it hands back names the child's side.
            let named = (!r.child_runs_code || r.returns_in_child.as_deref() == Some("Child"))
                && r.returns_in_child.as_deref() != Some("()");
            match self.python {
                // A Python function hands back `None` on every path that returns nothing: the
                // child's own `return` tells it apart, or the pid handed back whole after the
                // child's work (`if pid == 0: work()`, then `return pid`).
                true => handed_back.contains(id) || (named && r.returns_in_child.is_some()),
                false => named,
            }
        };
        let wrapped = self.rec.forks.iter().find(|(id, r)| {
            r.kind == ForkKind::Fork
                && !r.traits.returns_object
                && ((r.has_child && r.child_leaves_ok && !r.child_runs_more && tells_side(id, r))
                    || (!r.has_child && returned(id)))
        });
        // A `macro_rules!` body's fork is made at each invocation, with what that caller has
        // alive, as a wrapper's is: unless the body holds the child's own code, which stays
        // the body's to report.
        let macro_fork = f.is_macro_body()
            && !self.rec.forks.is_empty()
            && self
                .rec
                .forks
                .values()
                .all(|r| r.kind == ForkKind::Fork && !r.child_runs_code);
        let wraps_fork = !is_main && (wrapped.is_some() || macro_fork);
        let child_value =
            wrapped.and_then(|(_, r)| r.returns_in_child.clone().or(r.child_value.clone()));
        let wrapped_fork = wrapped
            .filter(|_| wraps_fork && !f.is_macro_body())
            .map(|(_, r)| r.fork_call().clone());
        if wraps_fork {
            // Callers report the fork at their call, with what they had alive; an error the
            // child returns is theirs to tell apart too.
            for rec in self.rec.forks.values_mut() {
                rec.live.remove_where(|h| !h.up.is_empty());
                rec.error_return = None;
                rec.exec_error_return = None;
            }
        }
        let closure_fork = self
            .rec
            .forks
            .values()
            .find(|r| r.runs_handed_in && !r.execs);
        let forks_closure = closure_fork.map(|r| r.fork_call().clone());
        let forks_closure_not_safe = closure_fork.and_then(|r| r.child_not_safe.clone());
        self.falls_into_caller(fell_through, wraps_fork, &handed_back);
        let returns_only_in_child = !diverges && self.reaches_fork && !self.returns_in_caller;
        // Python's daemonize idiom is judged in the function that holds it.
        let daemon = self.rec.forks.values().find(|r| r.kind == ForkKind::Daemon);
        let daemonizes = daemon
            .filter(|_| returns_only_in_child && !is_main && !self.python)
            .filter(|_| self.rec.forks.values().all(|r| r.kind == ForkKind::Daemon))
            .map(|r| r.fork_call().clone());
        Summary {
            alive,
            ops: std::mem::take(&mut self.ops),
            diverges,
            only_errors,
            execs: self.execs,
            returns_only_in_child,
            daemonizes,
            reaches_fork: self.reaches_fork,
            wraps_fork,
            wrapped_fork,
            globals: std::mem::take(&mut self.globals).into_iter().collect(),
            not_safe: self.not_safe.take(),
            child_value: if wraps_fork { child_value } else { None },
            child_params: std::mem::take(&mut self.child_params).into_iter().collect(),
            run_params: std::mem::take(&mut self.run_params).into_iter().collect(),
            pre_exec_params: std::mem::take(&mut self.pre_exec_params)
                .into_iter()
                .collect(),
            captured_runs: std::mem::take(&mut self.captured_runs)
                .into_iter()
                .collect(),
            endless: self.endless,
            forks_closure,
            forks_closure_not_safe,
            unwinds: self.unwinds.take(),
            joins_fields: std::mem::take(&mut self.joins_fields).into_iter().collect(),
            drops_self: self.drops_self,
            wakes: std::mem::take(&mut self.wakes).into_iter().collect(),
        }
    }

    /// A child that reaches the end of a function other than `main` or a test goes back into
    /// its caller, which runs the parent's code on in the child. Not when the function hands
    /// the fork's result back for its caller to branch on: a wrapper, a function that returns
    /// the pid, or a child that returns a value of its own (`Ok(None)`, `0`).
    fn falls_into_caller(&mut self, fell_through: bool, wraps_fork: bool, returned: &HashSet<u32>) {
        let f = self.ctx.prog.function(self.me);
        let root = returns_out_of_program(f);
        let name = f.path.rsplit("::").next().unwrap_or(&f.path);
        // The child's branch was the function's last work: it leaves where its branch ends.
        let end = match self.calls_after_fall == Some(self.calls) {
            true => self.child_fell_at,
            false => last_span(&f.body),
        };
        let whole = match self.child {
            Some(ChildOf::Fork(id)) if fell_through => end.map(|at| {
                let text = format!("reaches the end of `{name}`");
                (id, self.step(at, text))
            }),
            _ => None,
        };
        // A fork made in an earlier fork's child (a pty fork in a daemon) has a child of its
        // own that falls out of its branch just the same.
        let branch = match self.child_maybe {
            Some(id) if fell_through && self.child != Some(ChildOf::Fork(id)) => {
                self.child_fell_at.map(|at| {
                    // Falling from the fork itself: no test ever told the child apart.
                    let at_fork = self.rec.forks.get(&id).is_some_and(|r| r.site.span == at);
                    let how = match at_fork {
                        true => "is not told apart from the parent and runs",
                        false => "falls out of its branch and",
                    };
                    let text = format!("{how} off the end of `{name}`");
                    (id, self.step(at, text))
                })
            }
            _ => None,
        };
        for (id, step) in whole.into_iter().chain(branch).filter(|_| !root) {
            if let Some(rec) = self.rec.forks.get_mut(&id) {
                rec.leaves_into_caller.get_or_insert(step);
            }
        }
        // A value the child hands back may tell it apart (`Outcome::Child(..)`) unless it is
        // known to be `()`, or the function declares none.
        let declares_value = self.ctx.prog.files[self.me.0 as usize]
            .fn_types
            .iter()
            .any(|(i, _)| *i == self.me.1);
        for (id, rec) in self.rec.forks.iter_mut() {
            let tells_apart = match rec.returns_in_child.as_deref() {
                Some(v) => v != "()",
                None => declares_value,
            };
            if root
                || wraps_fork
                || rec.kind != ForkKind::Fork
                || rec.traits.double_fork
                || rec.parent_ends
                || returned.contains(id)
                || tells_apart
            {
                rec.leaves_into_caller = None;
            }
        }
    }

    /// Guards, connections and files held by a local are dropped with it (unless returned).
    fn dies_with_local(&self, h: &Hazard, block_end: bool) -> bool {
        let Some(bind) = &h.bind else { return false };
        // A matched value (`{scrutinee#..}`) ends in the arms that do not move it; one an arm
        // moves out may be the function's value.
        if bind.starts_with('{') {
            return block_end
                && matches!(
                    h.effect,
                    Effect::TakesGlobalLock | Effect::OpensConnection | Effect::OpensFile
                );
        }
        // A field of an object that outlives the function (`self.client`) outlives it too.
        let outlives = |b: &str| {
            self.returns.contains(b)
                || (self.python
                    && b.split_once('.')
                        .is_some_and(|(base, _)| self.returns.contains(base)))
        };
        // A Python module global holds the object too (`_client = Client(..)` in a lazy
        // getter, whose caller only keeps the returned value in a local): the local's end
        // leaves it open.
        let held_by_global = self.python && h.global.is_some();
        match h.effect {
            Effect::TakesGlobalLock => true,
            Effect::OpensConnection | Effect::OpensFile => !held_by_global && !outlives(bind),
            Effect::StartsThread => h.joined_on_drop && !outlives(bind),
            _ => false,
        }
    }

    /// A value read off a dying holder that outlives the function (`self.orders =
    /// client.shop.orders`, or returned) keeps the holder's object: it holds the hazard from
    /// then on. A lazy client nothing sent a command to has connected nothing that it could keep.
    fn derived_survivor(&self, h: &Hazard) -> Option<String> {
        if h.lazy {
            return None;
        }
        h.derived.iter().find_map(|d| {
            let held = Hazard {
                bind: Some(d.clone()),
                derived: Vec::new(),
                ..h.clone()
            };
            (!self.dies_with_local(&held, false)).then(|| d.clone())
        })
    }

    /// A `return` leaves every enclosing block: what their locals hold dies with them, as at
    /// each block's end (a connection only borrowed in a `match` arm that returns early).
    fn drop_block_locals(&self, st: &mut Option<State>) {
        let Some(state) = st else { return };
        if self.block_locals.iter().all(Vec::is_empty) {
            return;
        }
        let locals: HashSet<&str> = self
            .block_locals
            .iter()
            .flatten()
            .map(String::as_str)
            .collect();
        state.remove_where(|h| {
            h.bind.as_deref().is_some_and(|b| locals.contains(b)) && self.dies_with_local(h, true)
        });
    }

    fn block(&mut self, st: &mut Option<State>, block: &Block) {
        self.block_locals.push(block.locals.clone());
        for node in &block.nodes {
            if st.is_none() {
                break;
            }
            self.node(st, node);
        }
        self.block_locals.pop();
        if let Some(state) = st {
            if !block.locals.is_empty() {
                let locals: HashSet<&str> = block.locals.iter().map(String::as_str).collect();
                let dying: Vec<_> = state
                    .live
                    .iter()
                    .filter(|(_, h)| {
                        h.bind.as_deref().is_some_and(|b| locals.contains(b))
                            && self.dies_with_local(h, true)
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
            Node::Call(call) if call.converts_error => {
                let only_errors = self.last_call_only_errors;
                self.call(st, call);
                self.last_call_only_errors = only_errors;
            }
            Node::Call(call) => self.call(st, call),
            Node::Branch(b) => self.branch(st, b),
            Node::Loop {
                body,
                at_least_once,
            } => self.lp(st, body, *at_least_once),
            Node::Block(b) => self.block(st, b),
            Node::Return { span, error, value } => {
                self.leaves += 1;
                self.note_return();
                self.leave_root(*span);
                if *error {
                    // Python: a `raise`, or a call that raises (`os.exec*` failing).
                    let how = if self.python {
                        "an exception"
                    } else {
                        "`return Err`"
                    };
                    self.child_error_return(*span, how);
                }
                // A Python child that raises unwinds like Rust's `?`: FL006 tells it, and it
                // does not make the function a fork wrapper whose callers tell the sides apart.
                if let Some(ChildOf::Fork(id)) = self.child.filter(|_| !(*error && self.python)) {
                    self.child_continues(id, !*error);
                    // `if pid == 0 { return Ok(None) }`: what a wrapper hands back in the child.
                    if let (Some(f), Some(v), false) = (self.rec.forks.get_mut(&id), value, *error)
                    {
                        f.returns_in_child.get_or_insert_with(|| v.clone());
                    }
                    if !*error {
                        let f = self.ctx.prog.function(self.me);
                        let name = f.path.rsplit("::").next().unwrap_or(&f.path);
                        let step = self.step(*span, format!("returns from `{name}`"));
                        if let Some(f) = self.rec.forks.get_mut(&id) {
                            f.leaves_into_caller.get_or_insert(step);
                        }
                    }
                }
                // Hazards leaving on the error path are not the caller's: it bails out too.
                if *error {
                    self.error_exit = true;
                } else {
                    self.drop_block_locals(st);
                    join(&mut self.exit, st.as_ref());
                }
                *st = None;
            }
            Node::Try(span) => {
                self.leaves += 1;
                self.note_return();
                self.error_exit = true;
                self.leave_root(*span);
                self.child_error_return(*span, "`?`");
                // `step()?` on a function that only ever returns an error: nothing follows.
                if self.last_call_only_errors {
                    *st = None;
                }
            }
            Node::Break(span) => {
                self.child_leaves_loop(st.is_some(), *span, true);
                if let (Some(frame), true) = (self.loops.last_mut(), st.is_some()) {
                    match self.child {
                        Some(ChildOf::Fork(id))
                            if frame.child != self.child
                                && frame.child_breaks.is_none_or(|c| c == id) =>
                        {
                            frame.child_breaks = Some(id)
                        }
                        _ => frame.other_breaks = true,
                    }
                    join(&mut frame.brk, st.as_ref());
                }
                *st = None;
            }
            Node::Continue(span) => {
                self.child_leaves_loop(st.is_some(), *span, false);
                if let Some(frame) = self.loops.last_mut() {
                    join(&mut frame.cont, st.as_ref());
                }
                *st = None;
            }
            Node::Use { var, span } => self.note_use(var, *span),
        }
    }

    /// `continue` or `break` in a fork's child, out of a loop the fork was made in: the child
    /// leaves its branch into the parent's loop and runs the parent's code on (`brk`: by `break`).
    fn child_leaves_loop(&mut self, reached: bool, span: Span, brk: bool) {
        let Some(ChildOf::Fork(id)) = self.child else {
            return;
        };
        let parents = self.loops.last().is_some_and(|l| l.child != self.child);
        if !reached || !parents || self.mode != Mode::Report {
            return;
        }
        let step = self.step(span, if brk { "`break`" } else { "`continue`" });
        if let Some(rec) = self.rec.forks.get_mut(&id) {
            if rec.kind == ForkKind::Fork && !rec.traits.double_fork {
                rec.leaves_into_loop.get_or_insert((step, brk));
            }
        }
    }

    /// A path leaves the function here: in the calling process unless in a fork's child.
    fn note_return(&mut self) {
        self.returns_in_caller |= !matches!(self.child, Some(ChildOf::Fork(_)));
    }

    /// The child of fork `id` goes on past its own code; `ok`: with a value, not an error.
    fn child_continues(&mut self, id: u32, ok: bool) {
        if let Some(f) = self.rec.forks.get_mut(&id) {
            f.child_continues = true;
            f.child_leaves_ok |= ok;
        }
    }

    /// The exits recorded so far in the child of the fork that `inner` was made in.
    fn outer_exits(&self, inner: Option<u32>) -> HashSet<Span> {
        let outer = inner
            .and_then(|id| self.rec.forks.get(&id))
            .and_then(|f| f.outer)
            .and_then(|o| self.rec.forks.get(&o));
        outer
            .map(|f| f.exits.keys().copied().collect())
            .unwrap_or_default()
    }

    /// The parent of fork `inner` ended at once, and that parent is the child of an outer fork:
    /// the exits it made there (not in `before`) end a double fork's middle process. A Python
    /// middle process replays at its exit only what was left for it when `inner` forked (atexit
    /// handlers, buffered output): with nothing left, its exit is as harmless as `_exit`.
    fn middle_exits(&mut self, inner: u32, before: &HashSet<Span>) {
        let Some(f) = self.rec.forks.get(&inner) else {
            return;
        };
        let Some(outer) = f.outer.filter(|_| !self.python || f.inherits_exit_work()) else {
            return;
        };
        if let Some(f) = self.rec.forks.get_mut(&outer) {
            for (_, call) in f.exits.iter_mut().filter(|(k, _)| !before.contains(k)) {
                for op in &mut call.ops {
                    op.ends_parent |= op.effect == Effect::ProcessExit && op.down.is_empty();
                }
            }
        }
    }

    /// `match fork() { 0 => {}, _ => exit(0) }`: when the child's arm is the only one that goes
    /// on past the branch, what follows is that child's code, as after `if pid != 0 { return }`
    /// (a fork made there is a fork in its child, whose parent side is that child too).
    fn only_child_goes_on(&mut self, fell_out: Option<u32>, other_goes_on: bool) {
        let Some(id) = fell_out.filter(|_| !other_goes_on) else {
            return;
        };
        // In an outer fork's child, the fork made there (a double fork's second) is the one
        // whose child goes on: what follows is that grandchild's, and the outer child's too.
        let Some(f) = self.rec.forks.get(&id) else {
            return;
        };
        let outer = f.outer.map(ChildOf::Fork);
        if f.kind != ForkKind::Fork || (self.child.is_some() && self.child != outer) {
            return;
        }
        self.rest_is_child(id);
    }

    /// The rest of the function is the child's own code, as after `if pid != 0 { exit(0) }`:
    /// whether the child goes on past it, and with what, is that rest's to say.
    fn rest_is_child(&mut self, id: u32) {
        self.child = Some(ChildOf::Fork(id));
        self.child_maybe = None;
        self.calls_after_fall = Some(self.calls);
        if let Some(f) = self.rec.forks.get_mut(&id) {
            f.child_continues = false;
            f.child_leaves_ok = false;
            f.returns_in_child = None;
        }
    }

    /// This path runs the program's code forever: in a fork's child, a worker that goes on.
    fn runs_forever(&mut self) {
        self.endless = true;
        if let Some(ChildOf::Fork(id)) = self.child {
            if let Some(f) = self.rec.forks.get_mut(&id) {
                f.child_endless = true;
            }
        }
    }

    /// Leaving `main` or a test from a fork's child returns into the runtime (or libtest's
    /// harness), which goes on as the parent would. Each `return` is a way out of its own, as
    /// each `exit` is.
    fn leave_root(&mut self, span: Span) {
        if let Some(ChildOf::Fork(id)) = self.child {
            let f = self.ctx.prog.function(self.me);
            if returns_out_of_program(f)
                && self
                    .rec
                    .forks
                    .get(&id)
                    .is_some_and(|f| f.kind != ForkKind::Daemon)
                && !self.rec.main_returns.contains(&(span, id))
            {
                self.rec.main_returns.push((span, id));
            }
        }
    }

    /// `?` or `return Err(..)` in a fork's child: the child returns into the caller, which runs
    /// the parent's code on (unless the function is a wrapper whose caller tells the sides apart).
    /// `how`: the statement that leaves, as the message names it (`?`, `raise`).
    fn child_error_return(&mut self, span: Span, how: &str) {
        let Some(ChildOf::Fork(id)) = self.child else {
            return;
        };
        let f = self.ctx.prog.function(self.me);
        if f.is_main || f.is_test_root() || self.mode != Mode::Report {
            return;
        }
        let step = self.step(span, how);
        if let Some(rec) = self.rec.forks.get_mut(&id) {
            // After a double fork the caller's own process is gone: the child handing an error
            // back is the program going on, as when it falls out of its branch.
            if rec.kind == ForkKind::Fork && !rec.traits.double_fork {
                if rec.execs {
                    rec.exec_error_return.get_or_insert(step.clone());
                }
                rec.error_return.get_or_insert(step);
            }
        }
    }

    /// A closure run at `call` that hands back a fork's result (`timed(|| fork())`) forks
    /// there; unless the call hands that result on (a wrapper, see `returned_closures`), the
    /// value that tells the sides apart is out of view and the child is unknown.
    fn closure_wraps_fork(
        &mut self,
        state: &State,
        call: &Call,
        (closure, s): (usize, &Summary),
        role: ClosureRole,
    ) {
        if !s.wraps_fork || role != ClosureRole::Inline || self.rec.forks.contains_key(&call.id) {
            return;
        }
        // The program's own function runs it only where its body calls it; what else takes
        // it is taken to run it at once, as any inline closure.
        let prog = self.ctx.prog;
        if let Target::Fns(list) = prog.target(self.me.0, call.id) {
            let runs = run_args(prog, self.ctx.summaries, call, list);
            let arg = call.closure_args.iter().find(|(_, c)| *c == closure);
            if !arg.is_some_and(|(a, _)| runs.contains(a)) {
                return;
            }
        }
        let label = format!(
            "`{}` (which runs a closure that forks)",
            call.callee.display()
        );
        self.fork_point(state, call, &label, ForkKind::Fork);
        // What the call hands back is not the fork's result.
        self.fork_vars.retain(|_, id| *id != call.id);
        if let Some(rec) = self.rec.forks.get_mut(&call.id) {
            rec.made_in_callee = s.wrapped_fork.clone();
        }
    }

    /// This function's parameters that closures a callee calls in its fork's child call
    /// (`fork_fn(|| f())`): handed on into that child as if passed by name.
    fn forwarded_params(&self, in_child: &HashSet<usize>) -> Vec<u32> {
        let mut out = Vec::new();
        for &c in in_child {
            let Some(summary) = self.ctx.summaries.get(&(self.me.0, c as u32)) else {
                continue;
            };
            for &(owner, p) in &summary.captured_runs {
                if owner == self.me.1 {
                    out.push(p);
                }
            }
        }
        out
    }

    /// The summaries of the fork-wrapping closures `call` hands to a parameter whose call's
    /// value each of `list`'s functions returns (`Function::returns_call_of`).
    fn returned_closures(&self, call: &Call, list: &[FnRef]) -> Vec<&'a Summary> {
        let prog = self.ctx.prog;
        let mut out = Vec::new();
        for &f in list {
            let callee = prog.function(f);
            let Some(p) = callee.returns_call_of else {
                continue;
            };
            if callee.returns_call_through && !passes_param_call(prog, f, p) {
                continue;
            }
            let Some(arg) = p.checked_sub(receiver_params(call, callee)) else {
                continue;
            };
            for &(_, c) in call.closure_args.iter().filter(|(a, _)| *a == arg) {
                let summary = self.ctx.summaries.get(&(self.me.0, c as u32));
                out.extend(summary.filter(|s| s.wraps_fork));
            }
        }
        out
    }

    /// `call` hands back its argument `index`: when that is a fork's value, so is the call's.
    fn passes_fork(&mut self, call: &Call, index: u32) {
        let fork = call
            .arg_calls
            .iter()
            .find(|(a, _)| *a == index)
            .map(|(_, c)| *c)
            .filter(|c| self.rec.forks.contains_key(c));
        if let Some(fork) = fork {
            self.receiver_calls.insert(call.id, fork);
            // `|| cvt(fork())`: as the tail, it hands the fork's result back.
            self.carries_fork.insert(call.id, fork);
            if let Some(v) = &call.bind {
                self.fork_vars.insert(v.clone(), fork);
            }
        }
    }

    /// A panic that always happens on this path (`unreachable!()`, `panic!`) after the child's
    /// exec: the exec failed, and the child unwinds through the parent's frames. Before any
    /// exec, an assertion (`unreachable!()`) guards an invariant of the child's own, like an
    /// `unwrap`; a `panic!` (`deliberate`) is how that path leaves (`setsid` failed), as `exit`.
    fn child_unwinds(&mut self, at: &Step, deliberate: bool) {
        let Some(ChildOf::Fork(id)) = self.child else {
            return;
        };
        if self.mode != Mode::Report {
            return;
        }
        if let Some(rec) = self.rec.forks.get_mut(&id) {
            let first = rec.unwinds.is_empty() && rec.execs;
            if rec.kind == ForkKind::Fork && (first || deliberate) && !rec.unwinds.contains(at) {
                rec.unwinds.push(at.clone());
            }
        }
    }

    /// A panic this function's code reaches only when its exec has failed: outside a fork child
    /// of its own, it is how a child that calls the function leaves (see `Summary::unwinds`).
    fn unwinds_after_exec(&mut self, op: Op) {
        if self.execs && !self.catching && !matches!(self.child, Some(ChildOf::Fork(_))) {
            self.unwinds.get_or_insert(op);
        }
    }

    /// `here` calls a function that unwinds once its exec has failed: in a fork's child, the
    /// child leaves that way; elsewhere the function does too, for its own callers.
    fn callee_unwinds(&mut self, op: Op, here: &Step) {
        if self.catching {
            return;
        }
        let Some(ChildOf::Fork(id)) = self.child else {
            // The exec the callee made is this function's too.
            self.unwinds_after_exec(op);
            return;
        };
        if self.mode != Mode::Report {
            return;
        }
        if let Some(rec) = self.rec.forks.get_mut(&id) {
            if rec.kind == ForkKind::Fork && !rec.traits.double_fork {
                let call = rec
                    .unwinds_in_callees
                    .entry(here.span)
                    .or_insert_with(|| ChildCall {
                        primary: here.clone(),
                        ops: Vec::new(),
                        via: Vec::new(),
                    });
                add_op(&mut call.ops, &op);
            }
        }
    }

    fn note_use(&mut self, var: &str, span: Span) {
        match self.child {
            Some(ChildOf::Fork(id)) => {
                if self
                    .rec
                    .forks
                    .get(&id)
                    .is_none_or(|f| f.child_uses.contains_key(var))
                {
                    return;
                }
                let step = self.step(span, format!("`{var}`"));
                if let Some(f) = self.rec.forks.get_mut(&id) {
                    f.child_uses.insert(var.to_string(), step);
                }
            }
            Some(ChildOf::Closure) => {}
            None => {
                for f in self.rec.forks.values_mut() {
                    f.parent_uses.insert(var.to_string());
                }
            }
        }
    }

    fn fork_of(&self, subject: &Subject) -> Option<u32> {
        // A call that forks to run the closure it is handed gives back what its parent side
        // computes (`waitpid`'s status), never a pid to test.
        let pid = |id: &u32| {
            self.rec
                .forks
                .get(id)
                .is_some_and(|r| r.forks_in_callee.is_none())
        };
        match subject {
            // `spawn()?.is_some()`: the method's receiver is the fork's result.
            Subject::Call(id) => [Some(*id), self.receiver_calls.get(id).copied()]
                .into_iter()
                .flatten()
                .find(pid),
            Subject::Var(v) => self.fork_vars.get(v).copied().filter(pid),
        }
    }

    /// The side an arm's test stands for: a named value is the child's when it is the value the
    /// fork wrapper returns there.
    fn side_of(&self, test: &crate::ir::ForkTest, id: u32) -> Option<Side> {
        let flip = |side: Side| match side {
            Side::Child => Side::Parent,
            _ => Side::Child,
        };
        // `r.in_child()`: the method's body names the value it compares with.
        let (variant, side) = match (test.via, &test.variant) {
            (Some(call), _) => {
                let Target::Fns(list) = self.ctx.prog.target(self.me.0, call) else {
                    return None;
                };
                let (name, equal) = list
                    .iter()
                    .find_map(|f| self.ctx.prog.function(*f).tests_variant.clone())?;
                (name, if equal { test.side } else { flip(test.side) })
            }
            (None, Some(variant)) => (variant.clone(), test.side),
            (None, None) => return Some(test.side),
        };
        let child_value = self.rec.forks.get(&id)?.child_value.as_ref()?;
        Some(if *child_value == variant {
            side
        } else {
            flip(side)
        })
    }

    fn branch(&mut self, st: &mut Option<State>, b: &Branch) {
        let entry = st.clone();
        let mut out: Option<State> = None;
        let mut parent_left = None;
        let mut saw_child = false;
        let mut fell_out = None;
        // An arm other than the child's that goes on past the branch.
        let mut other_goes_on = !b.exhaustive;
        // A fork whose child the rest of an arm became, and how many arms go on past the branch.
        let mut became_child = None;
        let mut going_on = 0;
        // The values of the arms that go on past the branch.
        let mut values: Vec<Option<String>> = Vec::new();
        // Every condition reads the fork result as it was when the branch began: an arm that
        // forks again into the same variable (`pid = fork()` in the child's arm) changes no
        // other arm's side.
        let sides: Vec<Option<(u32, Side)>> = b
            .arms
            .iter()
            .map(|arm| {
                arm.test.as_ref().and_then(|t| {
                    let id = self.fork_of(&t.subject)?;
                    Some((id, self.side_of(t, id)?))
                })
            })
            .collect();
        for (arm, &fork) in b.arms.iter().zip(&sides) {
            if arm.ok_of.is_some_and(|c| self.failing_calls.contains(&c)) {
                continue;
            }
            let leaves_before = self.leaves;
            let flushes_before = self.flushing_exits;
            let ops_before = self.ops.len();
            let mut s = entry.clone();
            // A local the condition says holds nothing holds no thread or client on this arm.
            if let (Some(s), false) = (&mut s, arm.empty.is_empty()) {
                s.remove_where(|h| h.bind.as_ref().is_some_and(|b| arm.empty.contains(b)));
            }
            let alias = arm
                .alias
                .as_ref()
                .and_then(|(name, subject)| Some((name.clone(), self.fork_of(subject)?)));
            if let Some((name, id)) = &alias {
                self.fork_vars.insert(name.clone(), *id);
            }
            let outer_exits = self.outer_exits(fork.map(|(id, _)| id));
            let saved = self.child;
            // `Err(e) => ..` on what `daemon()` returned: it may have failed before its fork.
            if let Some((id, Side::Error)) = fork {
                let daemon = self.rec.forks.get(&id).map(|f| f.kind) == Some(ForkKind::Daemon);
                if daemon && self.child == Some(ChildOf::Fork(id)) {
                    self.child = None;
                }
            }
            // `match forks[i] { Child => execvp(..).unwrap(), .. }` and a later test of the same
            // value: a child that ended in its earlier arm never reaches this one.
            if let Some((id, Side::Child)) = fork {
                let ended = self.rec.forks.get(&id).is_some_and(|f| {
                    f.child_tested && !f.child_continues && f.leaves_into_loop.is_none()
                });
                if ended && self.child.is_none() && !self.python {
                    s = None;
                }
            }
            if let Some((id, Side::Child)) = fork {
                saw_child = true;
                self.child = Some(ChildOf::Fork(id));
                if let Some(f) = self.rec.forks.get_mut(&id) {
                    f.has_child = true;
                    // `if pid == 0: break` and then `if pid == 0:` after the loop: the child
                    // left the loop to run its own code, which this test tells apart.
                    if f.leaves_into_loop.as_ref().is_some_and(|(_, brk)| *brk) {
                        f.leaves_into_loop = None;
                    }
                }
                if let Some(s) = &mut s {
                    into_child(s);
                }
            }
            let outer_parent_arm = self.parent_arm;
            match fork {
                Some((id, Side::Parent)) => self.parent_arm = Some(id),
                // A child arm is that fork's child, whatever side of another fork it is on.
                Some((_, Side::Child)) => self.parent_arm = None,
                _ => {}
            }
            let maybe_before = self.child_maybe;
            let outer_child_arm = self.child_arm;
            if let Some((id, Side::Child)) = fork {
                self.child_arm = Some(id);
                if let Some(f) = self.rec.forks.get_mut(&id) {
                    f.child_tested = true;
                }
            }
            self.block(&mut s, &arm.body);
            self.parent_arm = outer_parent_arm;
            self.child_arm = outer_child_arm;
            // A child that fell out of a branch inside this arm ended with the arm (`exit`).
            if s.is_none() {
                self.child_maybe = maybe_before;
            }
            // `else if pid != 0 { return .. }`: the rest of this arm became a fork's child.
            if let (None, Some(_), Some(ChildOf::Fork(id))) = (fork, &s, self.child) {
                if self.child != saved {
                    became_child = Some(id);
                }
            }
            going_on += usize::from(s.is_some());
            // An arm that ends with a branch has that branch's value.
            let ends_in_branch = matches!(arm.body.nodes.last(), Some(Node::Branch(_)));
            let arm_value = arm.value.clone().or_else(|| {
                ends_in_branch
                    .then(|| self.last_branch_value.clone())
                    .flatten()
            });
            if s.is_some() {
                values.push(arm_value.clone());
            }
            if let (Some((id, Side::Child)), Some(_)) = (fork, &s) {
                fell_out = Some(id);
                self.child_fell_at = last_span(&arm.body).or(Some(arm.span));
                // An outer arm (`else { if pid == 0 { .. } }`) keeps the inner arm's value; one
                // whose value is not a constructor hands back what its last call returned.
                // A Python block has no value: falling out of it hands back `None`.
                let value = match self.python {
                    true => Some("()".to_string()),
                    false => arm_value.or(self.last_call_value.clone()),
                };
                // `Ok(Child) => { let e = execvp(..).unwrap_err(); Err(e.into()) }` with the
                // match's value kept or returned later: the child carries an error out of its
                // branch, as a `return Err` would (the caller bails out in the child).
                let error = value.as_deref() == Some("Err");
                if let (true, Some(at)) = (error, self.child_fell_at) {
                    self.child_error_return(at, "`Err(..)`");
                }
                self.child_continues(id, !error);
                if let (Some(f), Some(v)) = (self.rec.forks.get_mut(&id), value) {
                    f.returns_in_child = Some(v);
                }
            }
            self.child = saved;
            other_goes_on |= s.is_some() && !matches!(fork, Some((_, Side::Child)));
            // Only the parent's leaving says that what follows is the child; leaving on the
            // error (`pid < 0`) leaves both the parent and the child after it.
            if let Some((id, Side::Parent)) = fork {
                if s.is_none() {
                    parent_left = Some(id);
                    if self.leaves == leaves_before {
                        // A parent that ends through `_exit` after work of its own (writing
                        // a pid file) runs none of the program's end: the child alone does.
                        let quits =
                            self.flushing_exits == flushes_before && self.ends_by_exit(&arm.body);
                        if let Some(f) = self.rec.forks.get_mut(&id) {
                            f.parent_ends = true;
                            f.parent_quits |= quits;
                        }
                    }
                    // `if pid != 0 { exit(0) }`: the parent ends at once, the child is the
                    // program from here on (daemonizing by hand), as after `daemon()`. A
                    // parent that works first and then exits shares that time with it.
                    // One call of the program's own that never returns (`wait_for_child(pid)`)
                    // is a parent that waits first, not one that ends at once.
                    if self.leaves == leaves_before
                        && calls_in(&arm.body) <= 1
                        && !self.calls_own_code(&arm.body)
                    {
                        if let Some(f) = self.rec.forks.get_mut(&id) {
                            f.parent_exits = true;
                            f.parent_flushes |= self.flushing_exits != flushes_before;
                        }
                        for op in self.ops.iter_mut().skip(ops_before) {
                            op.ends_parent |=
                                op.effect == Effect::ProcessExit && op.down.is_empty();
                        }
                        self.middle_exits(id, &outer_exits);
                    }
                }
            }
            join(&mut out, s.as_ref());
        }
        if !b.exhaustive {
            join(&mut out, entry.as_ref());
        }
        self.last_branch_value = match values.split_first() {
            Some((Some(first), rest))
                if b.exhaustive && rest.iter().all(|v| v.as_ref() == Some(first)) =>
            {
                Some(first.clone())
            }
            _ => None,
        };
        if fell_out.is_some() {
            self.child_maybe = fell_out;
        }
        // `if pid < 0 { exit(1) } else if pid != 0 { return .. }`: the only arm that goes on
        // is that child, and so is what follows the branch.
        if let (Some(id), 1, true) = (became_child, going_on, b.exhaustive) {
            self.child = Some(ChildOf::Fork(id));
        }
        self.only_child_goes_on(fell_out, other_goes_on);
        // `if fork()?.is_parent() { .. }` with no other arm: the child skips the branch and
        // goes on with what follows, from the fork on.
        let parent_only = sides
            .iter()
            .flatten()
            .find(|(_, side)| *side == Side::Parent);
        if let (Some(&(id, _)), None, false, false, None) = (
            parent_only,
            parent_left,
            saw_child,
            b.exhaustive,
            self.child,
        ) {
            let site = self.rec.forks.get(&id).map(|f| f.site.clone());
            if let Some(site) = site.filter(|s| s.file == self.me.0) {
                self.child_maybe = Some(id);
                self.child_fell_at = Some(site.span);
                self.child_continues(id, true);
            }
        }
        // `if pid != 0 { return }`: what follows runs in the child.
        if let (Some(id), false) = (parent_left, saw_child) {
            if !b.exhaustive || b.arms.len() == 2 {
                self.child = Some(ChildOf::Fork(id));
                if let Some(f) = self.rec.forks.get_mut(&id) {
                    f.has_child = true;
                }
                if let Some(s) = &mut out {
                    into_child(s);
                }
            }
        }
        *st = out;
    }

    fn lp(&mut self, st: &mut Option<State>, body: &Block, at_least_once: bool) {
        let Some(mut head) = st.clone() else { return };
        self.loops.push(LoopFrame {
            child: self.child,
            ..Default::default()
        });
        self.joined.push(HashSet::new());
        let mut comes_back = false;
        let leaves = self.leaves;
        for _ in 0..4 {
            let mut s = Some(head.clone());
            self.block(&mut s, body);
            let cont = self.loops.last_mut().and_then(|f| f.cont.take());
            comes_back |= s.is_some() || cont.is_some();
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
        let frame = self.loops.pop().unwrap_or_default();
        // `loop { serve() }` without a way out: code that runs on forever, never reaching exec.
        // A loop of async-signal-safe calls (`loop { pause() }`) is as brief as they are.
        if at_least_once && frame.brk.is_none() && comes_back && self.leaves == leaves {
            if let Some(span) = self.first_unsafe_call(body) {
                let step = self.step(span, "an endless loop");
                self.not_safe_here(step, false);
                self.runs_forever();
            }
        }
        let mut out = if at_least_once { None } else { Some(head) };
        join(&mut out, frame.brk.as_ref());
        // `loop { match fork() { 0 => break, pid => wait(pid) } }`: only the child leaves the
        // loop, so what follows it is the child's own code.
        if let (true, Some(id), false, None, Some(out)) = (
            at_least_once,
            frame.child_breaks,
            frame.other_breaks,
            frame.child,
            &mut out,
        ) {
            if let Some(f) = self.rec.forks.get_mut(&id) {
                f.leaves_into_loop = None;
                f.has_child = true;
            }
            into_child(out);
            self.rest_is_child(id);
        }
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
        self.summarise_op(&op);
        if self.mode != Mode::Report {
            return;
        }
        // One statement, one finding: what a method does to a value another unsafe call just
        // made (`.unwrap()` of `CString::new(..)`) is evidence of that call's finding.
        let primary = match &self.fold_into {
            Some(to) if op.effect.is_child_unsafe() => to.clone(),
            _ => primary.clone(),
        };
        self.file_op(op, &primary);
    }

    /// Adds `op` to what the function does, as its callers see it.
    fn summarise_op(&mut self, op: &Op) {
        // A fork's child leaving is that fork's finding; the function's callers get a pid back
        // and go on.
        let own_child_exit = op.effect == Effect::ProcessExit
            && matches!(self.child, Some(ChildOf::Fork(id))
                if self.rec.forks.get(&id).is_some_and(|f| f.kind == ForkKind::Fork));
        // What a fork made here runs in its child is not the caller's own work: a caller that is
        // itself a fork's child has one thread, and its child copies only that one.
        let own_child_op =
            op.effect.is_child_unsafe() && matches!(self.child, Some(ChildOf::Fork(_)));
        if !own_child_exit && !own_child_op {
            add_op(&mut self.ops, op);
        }
    }

    /// Files `op`, performed by the statement at `primary`, in the record of the child code
    /// being walked (a fork's child, a child closure, or what follows a child's branch).
    fn file_op(&mut self, op: Op, primary: &Step) {
        let exit = op.effect == Effect::ProcessExit;
        let in_child = self.child.is_some() || self.child_maybe.is_some();
        if in_child && op.effect.is_child_unsafe() {
            self.recorded += 1;
        }
        let entry = |map: &mut BTreeMap<Span, ChildCall>, op: &Op| {
            let c = map.entry(primary.span).or_insert_with(|| ChildCall {
                primary: primary.clone(),
                ops: Vec::new(),
                via: Vec::new(),
            });
            add_op(&mut c.ops, op);
        };
        // An exit on the parent side of a fork made in another fork's child ends that outer
        // child (the middle process of a double fork) while the new child goes on.
        // A Python one replays at that exit only what was left when it forked again.
        let replays = !self.python
            || self
                .parent_arm
                .and_then(|p| self.rec.forks.get(&p))
                .is_none_or(|f| f.inherits_exit_work());
        let mut middle = op.clone();
        middle.ends_parent = exit && op.down.is_empty() && replays;
        match self.child {
            Some(ChildOf::Fork(id)) => {
                // A fork inside a fork's child: its child runs in the outer child too.
                let mut next = Some(id);
                while let Some((at, f)) =
                    next.and_then(|id| Some((id, self.rec.forks.get_mut(&id)?)))
                {
                    let outer = self.parent_arm.is_some_and(|p| p != at);
                    // `if let Ok(Fork::Child) = daemon(..) { .. }` and then `exit`: the middle
                    // process, handed `Fork::Parent`, is the one that goes on to it.
                    let beside =
                        f.traits.double_fork && f.child_tested && self.child_arm != Some(at);
                    if exit {
                        entry(&mut f.exits, if outer || beside { &middle } else { &op });
                    } else if op.effect == Effect::TouchesObjc {
                        entry(&mut f.child_objc, &op);
                    } else if op.effect.is_child_unsafe() {
                        entry(&mut f.unsafe_calls, &op);
                    }
                    next = f.outer;
                }
            }
            Some(ChildOf::Closure) if op.effect.is_child_unsafe() || exit => {
                entry(&mut self.rec.closure_calls, &op)
            }
            Some(ChildOf::Closure) => {}
            // After a child branch falls through, what follows runs in that child too.
            None => {
                let fork = self.child_maybe.and_then(|id| self.rec.forks.get_mut(&id));
                if let (Some(f), true) = (fork, op.effect.is_child_unsafe()) {
                    entry(&mut f.unsafe_calls, &op);
                }
            }
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

    /// `bind` as the global it is when `callee` is a Python module's top-level code.
    fn module_global(&self, callee: FnRef, bind: Option<&str>) -> Option<String> {
        let name = bind.filter(|b| !b.contains('.') && !b.starts_with('<'))?;
        let file = &self.ctx.prog.files[callee.0 as usize];
        let f = file.functions.get(callee.1 as usize)?;
        let module = crate::frontend::python::MODULE_FN;
        (self.python && f.path.strip_prefix("self::") == Some(module))
            .then(|| super::program::absolute(file, &format!("self::{name}")))
    }

    /// A global locked or used here (directly, or by the callee called at `at`). Every one is
    /// kept: a lock the child takes again is a kind, not a repeat.
    fn touch_global(&mut self, global: &str, at: Span) {
        self.globals.insert(global.to_string());
        if self.child.is_none() {
            for f in self.rec.forks.values_mut() {
                f.parent_uses.insert(global.to_string());
            }
        }
        if let Some(ChildOf::Fork(id)) = self.child {
            let step = self.step(
                at,
                format!("`{}`", global.rsplit("::").next().unwrap_or(global)),
            );
            if let Some(f) = self.rec.forks.get_mut(&id) {
                f.child_globals.entry(global.to_string()).or_insert(step);
            }
        }
    }

    /// A method called on a lazily connecting client (a command), or the client handed to a
    /// call, connects it: on this path it holds a connection from here on. A client whose
    /// catalogue entry lists its commands connects only at those members, and not when handed
    /// on (Flask-SQLAlchemy's `db.Column(..)`, `Migrate(app, db)` send nothing).
    fn wake_lazy(&mut self, state: &mut State, call: &Call) {
        let method = matches!(call.callee, crate::ir::Callee::Method { .. });
        let lazy = &self.ctx.prog.lazy_globals;
        // A method of another module's global is called by its path (`store.engine.connect()`,
        // or `engine.connect()` after `from store import engine`): the global is a prefix of
        // it, and the member the segment after it (`db.session.add(..)`: `session`).
        let by_path = match &call.callee {
            // Without lazy globals no prefix can name one.
            crate::ir::Callee::Path(candidates) if self.python && !lazy.is_empty() => {
                candidates.first().and_then(|p| {
                    let file = &self.ctx.prog.files[self.me.0 as usize];
                    // Each `::` of the path, the last first: the global before it, the member
                    // after it.
                    let seps: Vec<usize> = p.match_indices("::").map(|(i, _)| i).collect();
                    seps.iter().enumerate().rev().find_map(|(k, &end)| {
                        let member = &p[end + 2..seps.get(k + 1).copied().unwrap_or(p.len())];
                        // `from store import engine` runs `store.engine`'s module code in case
                        // it is a module: no command to the global.
                        if member.starts_with('<') {
                            return None;
                        }
                        let g = super::program::absolute(file, &p[..end]);
                        let commands = lazy.get(&g)?;
                        // Through an attribute only where the commands are listed.
                        (k + 1 == seps.len() || !commands.is_empty())
                            .then(|| (g, member.to_string()))
                    })
                })
            }
            _ => None,
        };
        let (global, member) = match (self.absolute_global(call).filter(|_| method), by_path) {
            (Some(g), _) => (Some(g), member_called(call)),
            (None, Some((g, m))) => (Some(g), Some(m)),
            (None, None) => (None, None),
        };
        let sends = |commands: &[String]| {
            commands.is_empty() || member.as_ref().is_some_and(|m| commands.contains(m))
        };
        for h in state.live.values_mut().filter(|h| h.lazy) {
            // A value read off the client sends its commands (`orders.find_one()`).
            let by_derived = call
                .receiver
                .as_ref()
                .is_some_and(|r| h.derived.contains(r))
                && (h.commands.is_empty() || sends(&h.commands));
            let by_bind = by_derived
                || h.bind.as_ref().is_some_and(|b| {
                    if h.commands.is_empty() {
                        call.receiver.as_ref() == Some(b) || call.arg_vars.contains(b)
                    } else {
                        call.receiver.as_ref() == Some(b) && sends(&h.commands)
                    }
                });
            if by_bind || (global.is_some() && h.global == global && sends(&h.commands)) {
                h.lazy = false;
            }
        }
        if let Some(g) = global.filter(|g| lazy.get(g).is_some_and(|c| sends(c))) {
            self.wakes.insert(g);
        }
    }

    /// A callee sent a command to the lazy client in this module global.
    fn wake_global(&mut self, state: &mut State, global: &str) {
        for h in state.live.values_mut() {
            if h.lazy && h.global.as_deref() == Some(global) {
                h.lazy = false;
            }
        }
        self.wakes.insert(global.to_string());
    }

    fn mark_exec(&mut self) {
        self.execs = true;
        if let Some(ChildOf::Fork(id)) = self.child {
            if let Some(f) = self.rec.forks.get_mut(&id) {
                f.execs = true;
            }
        }
    }

    /// Parameter `p` (a closure handed in) is called at `call`: in a fork child, it is the
    /// caller's code run there.
    fn runs_param(&mut self, p: u32, call: &Call) {
        self.run_params.insert(p);
        if matches!(self.child, Some(ChildOf::Fork(_))) || self.child_maybe.is_some() {
            self.child_params.insert(p);
        }
        // The fork's child runs code this function does not know: the threads that
        // matter are each caller's, alive at its call (see `ForkRec::runs_handed_in`).
        if let Some(ChildOf::Fork(id)) = self.child {
            let name = self.ctx.prog.function(self.me).params.get(p as usize);
            let text = format!("`{}`", name.map(String::as_str).unwrap_or("the closure"));
            let step = self.step(call.span, text);
            // A macro's body is pasted where it is invoked: the invoker's threads reach it
            // through its entry, and no caller reports them at the invocation.
            let pasted = self.ctx.prog.function(self.me).is_macro_body();
            if let Some(f) = self.rec.forks.get_mut(&id) {
                f.runs_handed_in |= !pasted;
                f.handed_in.get_or_insert(step.clone());
                f.child_unknown.get_or_insert(step.clone());
            }
            // Outer forks' children run it too, unknown there.
            match self.rec.forks.get(&id).and_then(|f| f.outer) {
                Some(outer) => {
                    let saved = self.child.replace(ChildOf::Fork(outer));
                    self.not_safe_here(step, false);
                    self.child = saved;
                }
                None => {
                    self.not_safe.get_or_insert(step);
                }
            }
        }
    }

    /// The parameters `call` hands to what calls them at once: a callee that runs them
    /// (`Summary::run_params`), or an API that calls what it is handed (`catch_unwind`).
    fn passed_params_run(&self, call: &Call, target: &Target) -> Vec<u32> {
        if call.param_args.is_empty() {
            return Vec::new();
        }
        let prog = self.ctx.prog;
        let runs: HashSet<u32> = match target {
            Target::Fns(list) => run_args(prog, self.ctx.summaries, call, list),
            Target::Apis(list) if list.iter().any(|&i| prog.catalog.apis[i].calls_args) => {
                call.param_args.iter().map(|&(a, _)| a).collect()
            }
            _ => HashSet::new(),
        };
        call.param_args
            .iter()
            .filter(|(a, _)| runs.contains(a))
            .map(|&(_, p)| p)
            .collect()
    }

    fn call(&mut self, st: &mut Option<State>, call: &Call) {
        // `start().expect(..)`, `.map_err(|e| format!(..))` on what `daemon()` returns: they
        // act on its error, which may come back in the caller before any fork.
        let on_error = matches!(&call.callee, Callee::Method { name, .. }
            if ERROR_ADAPTERS.contains(&name.as_str()) || ERROR_HANDLERS.contains(&name.as_str()));
        let daemon = match self.child {
            Some(ChildOf::Fork(id)) if on_error => call
                .receiver_call
                .filter(|&r| self.chained_on(r, id))
                .filter(|_| {
                    self.rec
                        .forks
                        .get(&id)
                        .is_some_and(|f| f.kind == ForkKind::Daemon)
                }),
            _ => None,
        };
        if daemon.is_none() {
            return self.call_on(st, call);
        }
        let saved = self.child.take();
        self.call_on(st, call);
        self.child = saved;
    }

    /// The value of call `r` is made from call `id`'s by methods called on it
    /// (`start().map(..)`), or is it.
    fn chained_on(&self, mut r: u32, id: u32) -> bool {
        // Builder chains are short: a longer one is no result being handled.
        for _ in 0..8 {
            if r == id {
                return true;
            }
            match self.receiver_calls.get(&r) {
                Some(&next) => r = next,
                None => return false,
            }
        }
        false
    }

    fn call_on(&mut self, st: &mut Option<State>, call: &Call) {
        let Some(state) = st.as_mut() else { return };
        if let Some(seen) = &mut self.threads_seen {
            for h in state.live.values() {
                if h.effect == Effect::StartsThread {
                    seen.add(h.clone());
                }
            }
        }
        self.calls += 1;
        // A closure handed in is the caller's code: what it does is judged at each call of
        // this function, where it is known (its body runs as that fork child's code).
        let prog = self.ctx.prog;
        let target = prog.target(self.me.0, call.id);
        for p in self.passed_params_run(call, target) {
            self.runs_param(p, call);
        }
        if let Some(p) = call.calls_param {
            self.runs_param(p, call);
            return;
        }
        let captured = prog.function(self.me).captured_calls.iter();
        if let Some(&(_, owner, p)) = captured.into_iter().find(|c| c.0 == call.id) {
            self.captured_runs.insert((owner, p));
            return;
        }
        self.last_call_only_errors = false;
        self.last_call_value = None;
        // `pid.expect(..)` on a local holding a fork's result is that result too.
        let held_fork = call.receiver.as_ref().and_then(|v| self.fork_vars.get(v));
        if let Some(r) = call.receiver_call.or(held_fork.copied()) {
            self.receiver_calls.insert(call.id, r);
        }
        if let Some(v) = &call.receiver {
            self.note_use(v, call.span);
        }
        if !prog.has_effect(target, Effect::Drops) && !prog.keeps(target) {
            self.wake_lazy(state, call);
        }
        // Giving a value up (`drop(listener)`) is no use of it.
        if !prog.has_effect(target, Effect::Drops) {
            for v in &call.arg_vars {
                self.note_use(v, call.span);
            }
        } else if self.child.is_none() {
            for f in self.rec.forks.values_mut() {
                f.parent_drops.extend(call.arg_vars.iter().cloned());
            }
        }
        self.hands_on_commands(state, call, target);
        self.note_built_from(call);
        self.classify(call, target);
        self.end_temporaries(state, call);
        self.bind_chain_threads(state, call);
        if let Some(id) = self.child_maybe {
            // Outside any arm that tells the sides apart again, the child runs what the parent
            // runs: the first such call is the evidence.
            let shared = self.child.is_none() && self.parent_arm != Some(id) && call.id != id;
            let fell = self.child_fell_at.map(|at| self.step(at, ""));
            let here = self.step(call.span, format!("`{}`", call.callee.display()));
            if let Some(f) = self.rec.forks.get_mut(&id) {
                f.child_runs_more = true;
                if let (true, Some(fell)) = (shared, fell) {
                    f.runs_parent_code.get_or_insert((fell, here));
                }
            }
        }
        if let (Some(ChildOf::Fork(id)), Some(g)) = (self.child, self.absolute_global(call)) {
            let step = self.step(call.span, format!("`{}`", call.callee.display()));
            if let Some(f) = self.rec.forks.get_mut(&id) {
                f.child_globals.entry(g).or_insert(step);
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
            // `let cmd = command.pre_exec(..);`: the builder hands back the same command.
            if let Some(v) = &call.bind {
                self.command_vars.insert(v.clone(), root);
            }
        }
        // `exec(..).map(|_| ())`, `.map_err(..)`, `.context(..)`: still only the error.
        let adapts_error = matches!(&call.callee, Callee::Method { name, .. } if ERROR_ADAPTERS.contains(&name.as_str()));
        if let (Callee::Method { name, .. }, Some(r)) = (&call.callee, call.receiver_call) {
            if self.failing_calls.contains(&r) && (adapts_error || name == "map") {
                self.failing_calls.insert(call.id);
                self.last_call_only_errors = true;
            }
        }
        // `execv(..).err().unwrap()`, `let r = execv(..); r.err().unwrap()`: the error is there.
        if let Callee::Method { name, .. } = &call.callee {
            let failed = call
                .receiver_call
                .is_some_and(|r| self.failing_calls.contains(&r))
                || call
                    .receiver
                    .as_ref()
                    .is_some_and(|v| self.failing_vars.contains(v));
            if failed && name == "err" {
                self.present_values.insert(call.id);
            }
        }
        if let Some(v) = &call.bind {
            self.failing_vars.remove(v);
        }
        // `fork().map_err(|e| MyError::Fork(e))`: the same fork result, its error retyped.
        if adapts_error {
            let fork = match call.receiver_call {
                Some(r) if self.rec.forks.contains_key(&r) => Some(r),
                Some(r) => self.carries_fork.get(&r).copied(),
                None => call
                    .receiver
                    .as_ref()
                    .and_then(|v| self.fork_vars.get(v))
                    .copied(),
            };
            if let Some(fork) = fork {
                self.carries_fork.insert(call.id, fork);
                if let Some(v) = &call.bind {
                    self.fork_vars.insert(v.clone(), fork);
                }
            }
        }
        // In Python every call the catalogue does not know runs interpreted code (a library's
        // or the program's), and so does one it knows to run such code: a child making one is
        // not a brief fork-then-exec child.
        let runs_code = match target {
            Target::Unknown => true,
            Target::Apis(list) => list.iter().any(|&i| prog.catalog.apis[i].runs_code),
            Target::Fns(_) => false,
        };
        if let (Some(ChildOf::Fork(id)), true, true) = (self.child, runs_code, self.python) {
            if let Some(f) = self.rec.forks.get_mut(&id) {
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
        self.fold_into = call
            .receiver_call
            .filter(|_| !self.python)
            .and_then(|r| self.statement_of.get(&r))
            .cloned();
        let recorded = self.recorded;
        let mut role = ClosureRole::Inline;
        let mut diverges = false;
        // Closures the callee calls in its fork's child run there, not here.
        let mut in_child: HashSet<usize> = HashSet::new();
        // The state before the callee ran: what its child sees of the threads (one the callee
        // starts after its fork, in the parent, is not there).
        let mut before_call: Option<State> = None;
        // Closures the callee keeps for later, not run at the call.
        let mut stored: HashSet<usize> = HashSet::new();
        match target {
            Target::Apis(list) => {
                // A catalogued call after a call of the program's own code: the child came back
                // from that code, so it did not end there (`work(); println!("done")`).
                // (Python's module code hands control to whatever imported it: unchanged.)
                if let (Some(ChildOf::Fork(id)), false) = (self.child, self.python) {
                    if let Some(f) = self.rec.forks.get_mut(&id) {
                        f.child_calls_program = false;
                    }
                }
                for &i in list {
                    let api = &prog.catalog.apis[i];
                    if api.closure != ClosureRole::Inline {
                        role = api.closure;
                    }
                    let present = call
                        .receiver_call
                        .is_some_and(|r| self.present_values.contains(&r));
                    for &effect in &api.effects {
                        if present && effect == Effect::Panics {
                            continue;
                        }
                        diverges |= self.effect(state, call, &here, effect, api);
                    }
                    let on_failed = call
                        .receiver_call
                        .is_some_and(|r| self.failing_calls.contains(&r));
                    if api.effects.contains(&Effect::Panics)
                        && (api.effects.contains(&Effect::Diverges) || on_failed)
                    {
                        // `execv(..).expect(..)`: the value can only be the error.
                        diverges |= on_failed;
                        self.child_unwinds(&here, api.effects.contains(&Effect::Unwinds));
                        self.unwinds_after_exec(Op {
                            effect: Effect::Panics,
                            site: here.clone(),
                            down: Vec::new(),
                            ends_parent: false,
                            caught: false,
                        });
                    }
                    if api.effects.contains(&Effect::Exec) {
                        self.failing_calls.insert(call.id);
                        self.failing_vars.extend(call.bind.clone());
                        self.last_call_only_errors = true;
                    }
                }
            }
            Target::Fns(list) => {
                // The program's own functions, not library code that happens to be scanned too.
                let own = list.iter().any(|f| prog.same_package(f.0, self.me.0));
                // Reading a lazy global runs its initialiser once: no code the child ends in.
                let program = own
                    && list
                        .iter()
                        .any(|f| prog.function(*f).kind != crate::ir::FnKind::GlobalInit);
                if let (Some(ChildOf::Fork(id)), true) = (self.child, own) {
                    if let Some(f) = self.rec.forks.get_mut(&id) {
                        f.child_runs_code = true;
                        f.child_calls_program |= program;
                    }
                }
                // `cerr(fork())`: a function that hands its argument back carries the fork's
                // value to the caller's `pid == 0`.
                let passed = list
                    .iter()
                    .map(|f| prog.function(*f).passes_arg)
                    .reduce(|a, b| if a == b { a } else { None })
                    .flatten();
                if let Some(i) = passed {
                    self.passes_fork(call, i);
                }
                let args = child_args(prog, self.ctx.summaries, call, list);
                for &(a, p) in &call.param_args {
                    if args.contains(&a) {
                        self.child_params.insert(p);
                    }
                }
                let pre_exec = pre_exec_args(prog, self.ctx.summaries, call, list);
                for &(a, p) in &call.param_args {
                    if pre_exec.contains(&a) {
                        self.pre_exec_params.insert(p);
                    }
                }
                if call.closure_args.iter().any(|(a, _)| pre_exec.contains(a)) {
                    // The callee hands this closure to `pre_exec`: it is registered here.
                    self.reaches_fork = true;
                    self.registers_pre_exec(call);
                    let why = format!("this closure, which `{text}` hands on to std's `pre_exec`, makes std spawn the command with fork+exec instead of posix_spawn");
                    self.closure_forced_fork(state, call, why);
                }
                in_child = call
                    .closure_args
                    .iter()
                    .filter(|(a, _)| args.contains(a))
                    .map(|&(_, c)| c)
                    .collect();
                if !in_child.is_empty() && self.mode == Mode::Propagate {
                    before_call = Some(state.clone());
                }
                stored = stored_closures(prog, call, list);
                // In a child-only function's body too: a helper it hands the child on to is
                // the child's own code as well (`fatal()` → `quit()` → `exit`).
                let child_side = matches!(self.child, Some(ChildOf::Fork(_)))
                    || (self.child_code && self.child == Some(ChildOf::Closure));
                if let (true, [callee], Mode::Report) = (child_side, list.as_slice(), self.mode) {
                    self.rec
                        .child_sites
                        .insert(call.id, (*callee, here.clone()));
                }
                let mut all_diverge = !list.is_empty();
                let mut only_errors = !list.is_empty();
                let mut wrapper = false;
                let mut child_value = None;
                let mut wrapped_fork = None;
                let mut closure_fork = None;
                let mut helper_not_safe = None;
                let mut daemonizes = None;
                let forks_closure = |f: &FnRef| {
                    let summary = self.ctx.summaries.get(f);
                    summary.is_some_and(|s| s.forks_closure.is_some())
                };
                let threads_at_call = list.iter().any(forks_closure).then(|| threads_of(state));
                for &callee in list {
                    let Some(summary) = self.ctx.summaries.get(&callee) else {
                        all_diverge = false;
                        only_errors = false;
                        continue;
                    };
                    // A function handed in by name is the code handed in: in a child, its
                    // statements are the child's own, as a closure's written there would be.
                    let statements = prog
                        .named_by(self.me)
                        .contains(&callee)
                        .then(|| self.child_closure_statements(callee))
                        .flatten();
                    let filed = statements.is_some();
                    self.apply_summary(state, call, &here, callee, summary, filed);
                    if let Some(statements) = statements {
                        self.file_closure_statements(statements, &here);
                    }
                    // Calling a generator function hands back the generator at once, whatever
                    // its body does once iterated (`while True: yield i`).
                    all_diverge &= summary.diverges && !prog.function(callee).generator;
                    only_errors &= summary.only_errors;
                    wrapper |= summary.wraps_fork;
                    child_value = child_value.or(summary.child_value.clone());
                    wrapped_fork = wrapped_fork.or(summary.wrapped_fork.clone());
                    closure_fork = closure_fork.or(summary.forks_closure.clone());
                    daemonizes = daemonizes.or(summary.daemonizes.clone());
                    helper_not_safe = helper_not_safe.or(summary.forks_closure_not_safe.clone());
                }
                // `retry(|| fork())`: the callee hands back what the closure returns, so a
                // closure that wraps a fork makes this call the caller's fork too.
                for summary in self.returned_closures(call, list) {
                    wrapper = true;
                    child_value = child_value.or(summary.child_value.clone());
                    wrapped_fork = wrapped_fork.or(summary.wrapped_fork.clone());
                }
                // `fork(|| ..)`: the closure handed in is the child of a fork made at this call,
                // with the threads alive here; one only passed on makes this function such a
                // fork too.
                let handed = call.closure_args.iter().any(|(a, _)| args.contains(a));
                let forwarded = self.forwarded_params(&in_child);
                let passed_on =
                    call.param_args.iter().any(|(a, _)| args.contains(a)) || !forwarded.is_empty();
                for p in forwarded {
                    self.run_params.insert(p);
                    self.child_params.insert(p);
                }
                if let (Some(fork), Some(threads), true) =
                    (closure_fork, threads_at_call, handed || passed_on)
                {
                    let label = format!("`{text}` (which forks)");
                    self.fork_point(&threads, call, &label, ForkKind::Fork);
                    // The child is brief when the helper's own child code and each closure
                    // handed here are async-signal-safe; one passed on is judged further up.
                    let closure_not_safe = call
                        .closure_args
                        .iter()
                        .filter(|(a, _)| args.contains(a))
                        .find_map(
                            |&(_, c)| match self.ctx.summaries.get(&(self.me.0, c as u32)) {
                                Some(s) => s.not_safe.clone(),
                                None => Some(here.clone()),
                            },
                        );
                    if let Some(rec) = self.rec.forks.get_mut(&call.id) {
                        rec.has_child = true;
                        rec.runs_handed_in |= passed_on;
                        if passed_on {
                            rec.handed_in.get_or_insert(here.clone());
                        }
                        if let Some(step) = helper_not_safe.or(closure_not_safe) {
                            rec.child_not_safe.get_or_insert(step);
                        }
                        rec.made_in_callee = Some(fork.clone());
                        rec.forks_in_callee = Some(fork);
                    }
                }
                diverges |= all_diverge;
                self.last_call_only_errors = only_errors;
                if only_errors {
                    self.failing_calls.insert(call.id);
                }
                let values: HashSet<Option<&String>> = list
                    .iter()
                    .map(|f| prog.function(*f).value.as_ref())
                    .collect();
                if let [Some(v)] = values.into_iter().collect::<Vec<_>>().as_slice() {
                    self.last_call_value = Some((*v).clone());
                }
                let every = |f: &FnRef| {
                    let summary = self.ctx.summaries.get(f);
                    summary.is_some_and(|s| s.daemonizes.is_some())
                };
                if let (Some(fork), true) = (daemonizes, list.iter().all(every)) {
                    let label = format!("`{text}` (which daemonizes)");
                    self.fork_point(state, call, &label, ForkKind::Daemon);
                    into_child(state);
                    if let Some(rec) = self.rec.forks.get_mut(&call.id) {
                        rec.made_in_callee = Some(fork);
                    }
                }
                if wrapper {
                    let label = format!("`{text}` (which forks)");
                    self.fork_point(state, call, &label, ForkKind::Fork);
                    if let Some(rec) = self.rec.forks.get_mut(&call.id) {
                        rec.child_value = child_value;
                        rec.made_in_callee = wrapped_fork;
                    }
                    self.discarded_fork(call);
                }
            }
            Target::Unknown => {
                // Python: `.join()` on what holds a thread (a value of unknown type that a
                // thread start was bound to, or a field of `self`) joins that thread.
                let joins = self.python
                    && matches!(&call.callee, crate::ir::Callee::Method { name, .. } if name == "join");
                if let (true, Some(v)) = (joins, call.receiver.clone()) {
                    state.remove_where(|h| {
                        h.effect == Effect::StartsThread && h.bind.as_deref() == Some(v.as_str())
                    });
                    if let Some(field) = v.strip_prefix("self.") {
                        self.joins_fields.insert(field.to_string());
                    }
                }
                if self.ctx.scoped_closures.contains(&self.me) && self.is_scope_spawn(call) {
                    let site = self.step(call.span, "a scoped thread");
                    state.add(Hazard {
                        bind: call.bind.clone(),
                        ..Hazard::unbound(Effect::StartsThread, site, "a scoped thread")
                    });
                }
            }
        }
        if let Some(to) = self.fold_into.take() {
            self.statement_of.insert(call.id, to);
        } else if self.recorded != recorded {
            self.statement_of.insert(call.id, here.clone());
        }
        // `catch_unwind(|| ..)`: the closure's panics end there, not out of the child.
        let catches = matches!(target, Target::Apis(list) if list.iter().any(|&i| {
            prog.catalog.apis[i].effects.contains(&Effect::CatchesPanics)
        }));
        for &c in &call.closures {
            let closure = (self.me.0, c as u32);
            if in_child.contains(&c) {
                self.reaches_fork = true;
                if self.mode == Mode::Propagate {
                    let entry = self.entry_for_callee(before_call.as_ref().unwrap_or(state), &here);
                    self.entries.push((closure, entry));
                }
                continue;
            }
            if stored.contains(&c) {
                continue;
            }
            match role {
                ClosureRole::Inline | ClosureRole::Scoped => {
                    let before: HashSet<_> = state.live.keys().copied().collect();
                    let mut statements = self.child_closure_statements(closure);
                    if let Some(summary) = self.ctx.summaries.get(&closure) {
                        // `execv(..).unwrap_or_else(|_| _exit(127))`: an exec hands back only
                        // its error, so the closure given the error always runs; when it never
                        // returns, neither does the call.
                        diverges |= summary.diverges
                            && on_error_only(call)
                            && call
                                .receiver_call
                                .is_some_and(|r| self.failing_calls.contains(&r));
                        let filed = statements.is_some();
                        self.catching = catches;
                        self.apply_summary(state, call, &here, closure, summary, filed);
                        self.catching = false;
                        self.closure_wraps_fork(state, call, (c, summary), role);
                    }
                    let ops = statements.iter_mut().flat_map(|s| s.values_mut());
                    for op in ops.flat_map(|c| c.ops.iter_mut()).filter(|_| catches) {
                        op.caught |= op.effect == Effect::Panics;
                    }
                    if let Some(statements) = statements {
                        self.file_closure_statements(statements, &here);
                    }
                    if role == ClosureRole::Scoped {
                        state.remove_where(|h| {
                            h.effect == Effect::StartsThread && !before.contains(&h.key())
                        });
                    }
                }
                ClosureRole::Thread => {
                    // A thread a fork's child starts runs in that child: its `exit` ends the
                    // child process (what else it calls is the start's finding).
                    for call in self.child_closure_statements(closure).into_iter().flatten() {
                        let (_, call) = call;
                        for op in call.ops.iter().filter(|o| o.effect == Effect::ProcessExit) {
                            self.file_op(op.clone(), &call.primary);
                        }
                    }
                    self.reaches_fork |= self.reaches(closure);
                    if self.mode == Mode::Propagate && self.reaches(closure) {
                        let mut entry = self.entry_for_callee(state, &here);
                        let label = "the thread this closure runs on";
                        entry.add(Hazard {
                            up: vec![here.clone()],
                            ..Hazard::unbound(Effect::StartsThread, here.clone(), label)
                        });
                        self.entries.push((closure, entry));
                    }
                }
                ClosureRole::Deferred | ClosureRole::Worker => {}
                // The closure runs in a fresh single-threaded child whose own child execs: the
                // parent's state reaches nothing there (a fork inside it starts from nothing).
                ClosureRole::Child => {}
            }
        }
        if diverges {
            *st = None;
        }
    }

    /// Decides whether `call` is known to be async-signal-safe. The first call that is not
    /// becomes the summary's `not_safe`; in a fork child, one that is not a catalogued unsafe
    /// operation (those are FL005's) says the child runs code that may use what it inherited.
    fn classify(&mut self, call: &Call, target: &Target) {
        let in_child = matches!(self.child, Some(ChildOf::Fork(_)));
        if self.not_safe.is_some() && !in_child {
            return;
        }
        let apis = &self.ctx.prog.catalog.apis;
        let (safe, known) = match target {
            Target::Apis(list) => (
                list.iter().all(|&i| is_async_signal_safe(&apis[i])),
                list.iter().all(|&i| !apis[i].runs_code),
            ),
            // Not walked yet (recursion): the fixpoint walks this caller again once it is.
            // A function that execs and never returns but with an error is the exec's set-up:
            // what it runs first is FL005's, and it does not run the program on.
            Target::Fns(list) => {
                let summaries: Vec<_> = list.iter().map(|f| self.ctx.summaries.get(f)).collect();
                (
                    summaries
                        .iter()
                        .all(|s| s.is_none_or(|s| s.not_safe.is_none())),
                    !summaries.is_empty()
                        && summaries
                            .iter()
                            .all(|s| s.is_some_and(|s| s.execs && (s.diverges || s.only_errors))),
                )
            }
            // Macros the catalogue does not know expand to code whose calls are lowered as
            // arguments; a global without an initialiser is plain memory.
            Target::Unknown => (
                matches!(call.callee, Callee::Macro(_) | Callee::Global(_)),
                false,
            ),
        };
        if safe {
            return;
        }
        let step = self.step(call.span, format!("`{}`", call.callee.display()));
        self.not_safe_here(step, known);
    }

    /// Something here is not async-signal-safe. In a fork child that ends the child's being
    /// brief; unless the catalogue knows what it does, it also means the child goes on running
    /// code that may use what it inherited.
    fn not_safe_here(&mut self, step: Step, known: bool) {
        if self.not_safe.is_none() {
            self.not_safe = Some(step.clone());
        }
        if let Some(ChildOf::Fork(id)) = self.child {
            let mut next = Some(id);
            while let Some(f) = next.and_then(|id| self.rec.forks.get_mut(&id)) {
                if !known {
                    f.child_unknown.get_or_insert(step.clone());
                }
                f.child_not_safe.get_or_insert(step.clone());
                next = f.outer;
            }
        }
    }

    /// `let handles = (0..n).map(|_| spawn(..)).collect::<Vec<_>>()`: the threads the chain's
    /// closures started are held by the local its last call binds, and end when it is joined.
    fn bind_chain_threads(&mut self, state: &mut State, call: &Call) {
        let Some(keys) = call
            .receiver_call
            .and_then(|r| self.chain_threads.remove(&r))
        else {
            return;
        };
        let Some(var) = &call.bind else {
            self.chain_threads.entry(call.id).or_default().extend(keys);
            return;
        };
        for k in keys {
            if let Some(h) = state.live.get_mut(&k) {
                h.bind.get_or_insert_with(|| var.clone());
            }
        }
    }

    /// `UnixStream::connect(p).is_ok()`: a connection or file that only a test of the result
    /// sees is dropped at the end of that statement.
    fn end_temporaries(&mut self, state: &mut State, call: &Call) {
        let Callee::Method { name, .. } = &call.callee else {
            return;
        };
        let ends = TESTS_ONLY.contains(&name.as_str()) || self.closures_drop_argument(call);
        if !ends {
            return;
        }
        if let Some(keys) = call.receiver_call.and_then(|r| self.temporaries.remove(&r)) {
            for k in keys {
                state.live.remove(&k);
            }
        }
    }

    /// `connect(p).ok().and_then(|mut s| ping(&mut s).ok())`: the value moves into a closure
    /// that does not return it, and is dropped when the closure ends.
    fn closures_drop_argument(&self, call: &Call) -> bool {
        let prog = self.ctx.prog;
        !call.closures.is_empty()
            && call.closures.iter().all(|&c| {
                let f = prog.function((self.me.0, c as u32));
                f.params.first().is_some_and(|p| !f.returns.contains(p))
            })
    }

    /// Every closure passed to this `pre_exec` only calls `setpgid` (and reads `errno`): what
    /// `Command::process_group(0)` does without leaving posix_spawn.
    /// The command `call` is made on now runs a `pre_exec` closure: its spawn is std's fork.
    fn registers_pre_exec(&mut self, call: &Call) {
        let root = self.command_of_call.get(&call.id).copied();
        if let Some(cmd) = root.and_then(|r| self.commands.get_mut(&r)) {
            cmd.pre_exec = true;
            cmd.pre_exec_at = Some(call.span);
        }
    }

    fn closures_only_setpgid(&self, call: &Call) -> bool {
        let prog = self.ctx.prog;
        !call.closures.is_empty()
            && call.closures.iter().all(|&c| {
                let (mut setpgid, mut other) = (false, false);
                super::program::for_each_call(
                    &prog.function((self.me.0, c as u32)).body,
                    &mut |inner| {
                        let names: Vec<&str> = match prog.target(self.me.0, inner.id) {
                            Target::Apis(list) => list
                                .iter()
                                .filter_map(|&i| prog.catalog.apis[i].path.as_deref())
                                .collect(),
                            _ => Vec::new(),
                        };
                        if names.iter().any(|p| p.ends_with("::setpgid")) {
                            setpgid = true;
                        } else if !names.contains(&"std::io::Error::last_os_error") {
                            other = true;
                        }
                    },
                );
                setpgid && !other
            })
    }

    /// The span of the first call in a block that is not a catalogued async-signal-safe call.
    fn first_unsafe_call(&self, block: &Block) -> Option<Span> {
        let prog = self.ctx.prog;
        block.nodes.iter().find_map(|n| match n {
            Node::Call(c) => {
                let safe = match prog.target(self.me.0, c.id) {
                    Target::Apis(list) => list
                        .iter()
                        .all(|&i| is_async_signal_safe(&prog.catalog.apis[i])),
                    _ => false,
                };
                (!safe).then_some(c.span)
            }
            Node::Branch(b) => b.arms.iter().find_map(|a| self.first_unsafe_call(&a.body)),
            Node::Loop { body, .. } | Node::Block(body) => self.first_unsafe_call(body),
            _ => None,
        })
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

    /// A Python method's connection or file that it left in a field of `self` (`self.client =
    /// MongoClient(..)`), seen from the caller: the same field of the call's receiver.
    /// A thread it left in such a field is the receiver's too, unless the call's value was
    /// kept (`t = x.start_worker()`: `t.join()` joins it).
    /// A constructor's (`__init__`'s) object is the value the call is bound to: `r = Runner()`
    /// holds what `__init__` kept in `self.pool` in `r.pool`, where `r.shutdown()` joins it.
    fn held_by_receiver_field(&self, h: &Hazard, call: &Call, callee: FnRef) -> Option<String> {
        if !self.python {
            return None;
        }
        let constructs = || {
            call.receiver.is_none()
                && self.ctx.prog.function(callee).path.ends_with("::__init__")
                && h.effect == Effect::StartsThread
        };
        let receiver = match call.receiver.as_deref() {
            Some(r) => r,
            None if constructs() => call.bind.as_deref()?,
            None => return None,
        };
        match h.effect {
            Effect::OpensConnection | Effect::OpensFile => {}
            Effect::StartsThread if call.bind.as_deref().is_none_or(|b| b == receiver) => {}
            _ => return None,
        }
        let field = h.bind.as_deref()?.strip_prefix("self.")?;
        Some(format!("{receiver}.{field}"))
    }

    /// Python: the object `receiver` is closed: the connections and files it holds (bound to
    /// it or to one of its fields) end. Closing `self` makes the function one that closes its
    /// own object, for its callers.
    fn drop_object(&mut self, state: &mut State, receiver: Option<&str>) {
        let Some(r) = receiver else { return };
        let field = format!("{r}.");
        state.remove_where(|h| {
            h.effect != Effect::StartsThread
                && h.bind
                    .as_deref()
                    .is_some_and(|b| b == r || b.starts_with(&field))
        });
        if r == "self" {
            self.drops_self = true;
        }
    }

    /// Python: the call joins `field` of its receiver (`self.worker.join()`), or a method it
    /// calls on the receiver joins fields of it: the receiver's threads held there end.
    fn join_fields<'f>(
        &mut self,
        state: &mut State,
        call: &Call,
        fields: impl IntoIterator<Item = &'f String>,
    ) {
        let Some(receiver) = call.receiver.clone() else {
            return;
        };
        for field in fields {
            let held = format!("{receiver}.{field}");
            state.remove_where(|h| {
                h.effect == Effect::StartsThread && h.bind.as_deref() == Some(held.as_str())
            });
            if receiver == "self" {
                self.joins_fields.insert(field.clone());
            }
        }
    }

    /// The state as a callee sees it at entry: every hazard now has this call on its way down.
    fn entry_for_callee(&self, state: &State, here: &Step) -> State {
        let mut entry = State::default();
        for h in state.live.values() {
            let mut h = h.clone();
            h.up = append(&h.up, here);
            h.bind = None;
            h.derived.clear();
            entry.add(h);
        }
        entry
    }

    /// A run closure's code, when the walk is in a fork child's code: the child's own
    /// statements (`catch_unwind(|| ..)`, `in_fork(|| ..)`), each filed where it is. The
    /// closure is walked as child code; what it does in a fork of its own is that fork's.
    fn child_closure_statements(&self, closure: FnRef) -> Option<BTreeMap<Span, ChildCall>> {
        let in_child = self.child.is_some() || self.child_maybe.is_some();
        if self.mode != Mode::Report || self.python || !in_child {
            return None;
        }
        let mut walker = Walker::new(self.ctx, closure, Mode::Report).in_child_code();
        walker.run(State::default());
        Some(walker.rec.closure_calls)
    }

    /// Files a run closure's statements as the child's own. When the closure leaves through
    /// `exit` itself, the exits of the function that runs it (`in_fork`'s `exit(0)` after the
    /// closure returns) join that statement's finding rather than the call's.
    fn file_closure_statements(&mut self, statements: BTreeMap<Span, ChildCall>, here: &Step) {
        let mut own_exit = None;
        for call in statements.into_values() {
            for op in call.ops {
                if op.effect == Effect::ProcessExit && own_exit.is_none() {
                    own_exit = Some(call.primary.span);
                }
                self.file_op(op, &call.primary);
            }
        }
        let Some(own_exit) = own_exit else {
            return;
        };
        let maps = self
            .rec
            .forks
            .values_mut()
            .map(|f| &mut f.exits)
            .chain([&mut self.rec.closure_calls]);
        for map in maps {
            if !map.contains_key(&own_exit) {
                continue;
            }
            let Some(runner) = map.remove(&here.span) else {
                continue;
            };
            let (exits, rest): (Vec<Op>, Vec<Op>) = runner
                .ops
                .iter()
                .cloned()
                .partition(|o| o.effect == Effect::ProcessExit);
            if !rest.is_empty() {
                map.insert(
                    here.span,
                    ChildCall {
                        ops: rest,
                        ..runner
                    },
                );
            }
            if let Some(c) = map.get_mut(&own_exit) {
                for op in &exits {
                    add_op(&mut c.ops, op);
                }
            }
        }
    }

    /// Applies a callee's summary at `call`. `filed`: the callee is a run closure whose
    /// statements were filed one by one, so its unsafe calls and exits are not filed again here.
    fn apply_summary(
        &mut self,
        state: &mut State,
        call: &Call,
        here: &Step,
        callee: FnRef,
        summary: &Summary,
        filed: bool,
    ) {
        if self.mode == Mode::Propagate && summary.reaches_fork {
            let entry = self.entry_for_callee(state, here);
            self.entries.push((callee, entry));
        }
        for h in &summary.alive {
            let mut h = h.clone();
            h.down = prepend(here, &h.down);
            let field = self.held_by_receiver_field(&h, call, callee);
            // What a module's top-level code bound to a name is that module's global: its
            // importer holds it there (where later uses of the global find it).
            if h.global.is_none() {
                h.global = self.module_global(callee, h.bind.as_deref());
            }
            // An object a global holds is not the call's value unless the callee returned it:
            // `config = get_config()` does not make `config.get(..)` a command to the engine a
            // module imported on the way.
            let returned = h.bind.as_deref() == Some(crate::frontend::python::RETURNED);
            // The callee's names for what keeps the object are not the caller's.
            h.derived.clear();
            h.bind = match h.global {
                Some(_) if self.python && !returned => None,
                _ => call.bind.clone(),
            };
            if let Some(held) = &field {
                // What the method kept in a field of its object stays with that object: the
                // receiver's field, or the module global the receiver is.
                match self.absolute_global(call) {
                    Some(g) => {
                        h.bind = None;
                        h.global = Some(g);
                    }
                    None => h.bind = Some(held.clone()),
                }
            }
            h.owner = call.receiver.clone();
            // A lazy client kept where its uses cannot be followed (a field, a value nothing
            // binds) is taken as connected.
            h.lazy &= field.is_none() && (h.bind.is_some() || h.global.is_some());
            if call.bind.is_none()
                && field.is_none()
                && matches!(h.effect, Effect::OpensConnection | Effect::OpensFile)
            {
                self.temporaries.entry(call.id).or_default().push(h.key());
            }
            if call.bind.is_none() && field.is_none() && h.effect == Effect::StartsThread {
                self.chain_threads.entry(call.id).or_default().push(h.key());
            }
            state.add(h);
        }
        if self.python && !summary.joins_fields.is_empty() {
            self.join_fields(state, call, &summary.joins_fields);
        }
        if self.python && summary.drops_self {
            self.drop_object(state, call.receiver.as_deref());
        }
        for op in &summary.ops {
            let op = Op {
                effect: op.effect,
                site: op.site.clone(),
                down: prepend(here, &op.down),
                ends_parent: op.ends_parent,
                caught: op.caught || (op.effect == Effect::Panics && self.catching),
            };
            // The closure's statements carry its unsafe calls and exits; what else it does
            // (Objective-C use) stays with the call.
            let elsewhere = op.effect.is_child_unsafe() || op.effect == Effect::ProcessExit;
            if filed && elsewhere {
                self.summarise_op(&op);
            } else {
                self.record_op(op, here);
            }
        }
        self.run_captured(callee.0, &summary.captured_runs, call);
        if summary.execs {
            self.mark_exec();
        }
        if let Some(op) = &summary.unwinds {
            let op = Op {
                down: prepend(here, &op.down),
                ..op.clone()
            };
            self.callee_unwinds(op, here);
        }
        if summary.endless && !self.ctx.prog.function(callee).generator {
            self.runs_forever();
        }
        for g in &summary.globals {
            self.touch_global(g, here.span);
        }
        for g in &summary.wakes {
            self.wake_global(state, g);
        }
        self.reaches_fork |= summary.reaches_fork;
    }

    /// A command told to leave posix_spawn (`uid`, `gid`) and handed to another function is
    /// spawned out of view: the setting is where std's path changes.
    fn hands_on_commands(&mut self, state: &State, call: &Call, target: &Target) {
        if matches!(target, Target::Apis(_)) {
            return;
        }
        for v in &call.arg_vars {
            let Some(cmd) = self
                .command_vars
                .get(v)
                .and_then(|r| self.commands.get_mut(r))
            else {
                continue;
            };
            if cmd.pre_exec {
                continue;
            }
            let (Some(by), Some((span, shown))) = (cmd.forced_by.clone(), cmd.forced_at.take())
            else {
                continue;
            };
            self.reaches_fork = true;
            let why = format!(
                "`{by}` makes std spawn this command with fork+exec instead of posix_spawn"
            );
            self.forced_fork_at(state, span, shown, why, false, false);
        }
    }

    /// A closure in file `file` defined here that calls this function's parameter runs it at
    /// `call`; one that calls an enclosing function's parameter hands that on to it.
    fn run_captured(&mut self, file: u32, runs: &[(u32, u32)], call: &Call) {
        for &(owner, p) in runs {
            if file == self.me.0 && owner == self.me.1 {
                self.runs_param(p, call);
            } else {
                self.captured_runs.insert((owner, p));
            }
        }
    }

    /// The fork+exec a child closure registered at `call` forces.
    fn closure_forced_fork(&mut self, state: &State, call: &Call, why: String) {
        let only_setpgid = self.closures_only_setpgid(call);
        self.forced_fork(state, call, why, only_setpgid);
        if let Some(forced) = self.rec.forced_forks.get_mut(&call.span) {
            forced.child_closure = true;
        }
    }

    fn forced_fork(&mut self, state: &State, call: &Call, why: String, only_setpgid: bool) {
        let runs_code = !call.closures.is_empty();
        let shown = call.callee.display();
        self.forced_fork_at(state, call.span, shown, why, only_setpgid, runs_code);
    }

    fn forced_fork_at(
        &mut self,
        state: &State,
        span: Span,
        shown: String,
        why: String,
        only_setpgid: bool,
        runs_code: bool,
    ) {
        if self.mode != Mode::Report {
            return;
        }
        let threads: Vec<Hazard> = state
            .live
            .values()
            .filter(|h| h.effect == Effect::StartsThread)
            .cloned()
            .collect();
        // FL005/FL008 hold while the parent may be multithreaded: with no thread known, the
        // code run between fork and exec is as safe as any single-threaded child.
        if threads.is_empty() {
            return;
        }
        let site = self.step(span, shown);
        self.rec.forced_forks.insert(
            span,
            ForcedFork {
                site,
                why,
                threads,
                only_setpgid,
                runs_code,
                child_closure: false,
            },
        );
    }

    /// Records a fork point at `call`: what is alive there, and the local holding its result.
    fn fork_point(&mut self, state: &State, call: &Call, label: &str, kind: ForkKind) {
        self.reaches_fork = true;
        let site = self.step(call.span, label.to_string());
        let in_test =
            self.ctx.prog.function(self.me).is_test || self.ctx.test_only.contains(&self.me);
        let outer = match self.child {
            Some(ChildOf::Fork(o)) if o != call.id => Some(o),
            _ => None,
        };
        let rec = self.rec.forks.entry(call.id).or_insert_with(|| {
            let mut rec = ForkRec::new(site, kind, in_test);
            rec.outer = outer;
            rec
        });
        rec.live.merge(state);
        // A dropped result's `bind` is the receiver its effect stays in, not the fork's value.
        if let Some(v) = call.bind.as_ref().filter(|_| !call.discarded) {
            self.fork_vars.insert(v.clone(), call.id);
        }

        if kind == ForkKind::Daemon {
            rec.has_child = true;
            self.child = Some(ChildOf::Fork(call.id));
            // What follows is this fork's child, not the parent side of an earlier fork.
            if self.parent_arm.is_some_and(|p| p != call.id) {
                self.parent_arm = None;
            }
        }
    }

    /// Python: the value a call makes holds what it was handed (`ds = Wrapped(base)`, a
    /// connection made inline as an argument), as far as a loader's workers are concerned: by
    /// the local it binds, and by the call for the call it is an argument of.
    fn note_built_from(&mut self, call: &Call) {
        if !self.python || self.mode != Mode::Report {
            return;
        }
        let mut from: Vec<String> = call.arg_vars.iter().cloned().collect();
        from.extend(
            call.arg_calls
                .iter()
                .map(|(_, c)| super::workers::call_name(*c)),
        );
        let keys: Vec<_> = call
            .arg_calls
            .iter()
            .filter_map(|(_, c)| self.temporaries.get(c))
            .flatten()
            .copied()
            .collect();
        let names = [Some(super::workers::call_name(call.id)), call.bind.clone()];
        for name in names.into_iter().flatten() {
            let entry = self.built_from.entry(name.clone()).or_default();
            entry.0.extend(from.iter().filter(|v| **v != name).cloned());
            entry.1.extend(keys.iter().copied());
        }
    }

    /// The workers of a fork that run only what they are handed (see `workers`).
    fn note_workers(&mut self, call: &Call) {
        if self.mode != Mode::Report {
            return;
        }
        let w = super::workers::Workers::at(self.ctx.prog, self.me.0, call, &self.built_from);
        if let Some(rec) = self.rec.forks.get_mut(&call.id) {
            match &mut rec.workers {
                Some(known) => known.merge(w),
                None => rec.workers = Some(w),
            }
        }
    }

    /// `let _ = fork();`: a fork that returns twice whose value is dropped where it is made.
    /// Nothing tells the processes apart: the child goes on from the fork with the parent's code.
    fn discarded_fork(&mut self, call: &Call) {
        if !call.discarded || self.child.is_some() {
            return;
        }
        if let Some(rec) = self.rec.forks.get_mut(&call.id) {
            rec.child_continues = true;
            rec.child_leaves_ok = true;
            self.child_maybe = Some(call.id);
            self.child_fell_at = Some(call.span);
        }
    }

    /// `clone(cb, stack, flags, ..)`: the child is the callback handed at `arg`, and it ends when
    /// the callback returns (clone(2)). The call returns in the parent only, so its value tells
    /// no side apart. A callback the caller was handed runs in this fork's child.
    fn callback_child(&mut self, state: &State, call: &Call, here: &Step, arg: u32) {
        self.fork_vars.retain(|_, id| *id != call.id);
        let saved = self.child.replace(ChildOf::Fork(call.id));
        let mut not_safe = None;
        for &(_, c) in call.closure_args.iter().filter(|(a, _)| *a == arg) {
            let closure = (self.me.0, c as u32);
            let summary = self.ctx.summaries.get(&closure);
            not_safe = not_safe.or(match summary {
                Some(s) => s.not_safe.clone(),
                None => Some(here.clone()),
            });
            if let Some(s) = summary {
                self.run_captured(closure.0, &s.captured_runs, call);
            }
            if self.mode == Mode::Propagate {
                let entry = self.entry_for_callee(state, here);
                self.entries.push((closure, entry));
            }
        }
        for &(_, p) in call.param_args.iter().filter(|(a, _)| *a == arg) {
            self.runs_param(p, call);
        }
        self.child = saved;
        if let Some(rec) = self.rec.forks.get_mut(&call.id) {
            rec.has_child = true;
            if let Some(step) = not_safe {
                rec.child_unknown.get_or_insert(step.clone());
                rec.child_not_safe.get_or_insert(step);
            }
        }
    }

    /// Applies one catalogue effect; true when the call does not return.
    fn effect(
        &mut self,
        state: &mut State,
        call: &Call,
        here: &Step,
        effect: Effect,
        api: &Api,
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
                        self.touch_global(&g, call.span);
                    }
                    return false;
                }
                if matches!(effect, Effect::StartsThread | Effect::TouchesObjc) {
                    // Named by the call: "`spawn()` starts a thread".
                    self.record_op(
                        Op {
                            effect,
                            site: here.clone(),
                            down: Vec::new(),
                            ends_parent: false,
                            caught: false,
                        },
                        here,
                    );
                }
                // What a library keeps for the whole process (MongoEngine's registered
                // connection) lives in the library, not in the call's result: dropping that
                // result ends nothing, here or in a caller.
                let registered = self.python && api.global;
                let global = self
                    .absolute_global(call)
                    .or_else(|| registered.then(|| LIBRARY_REGISTRY.to_string()));
                // A lazily connecting client stays unconnected only where its uses can be
                // followed: in a local or a module global.
                let lazy = api.lazy
                    && effect == Effect::OpensConnection
                    && (global.is_some() || call.bind.as_ref().is_some_and(|b| !b.contains('.')));
                let bind = call.bind.clone().filter(|_| !registered);
                state.add(Hazard {
                    effect,
                    site: self.step(call.span, api.label.clone()),
                    label: api.label.as_str().into(),
                    severity: api.severity,
                    down: Vec::new(),
                    up: Vec::new(),
                    bind,
                    derived: Vec::new(),
                    owner: call.receiver.clone(),
                    global,
                    lazy,
                    joined_on_drop: api.joined_on_drop && effect == Effect::StartsThread,
                    renewed_after_fork: api.renewed_after_fork && effect == Effect::StartsThread,
                    cloexec: api.cloexec,
                    commands: api.commands.as_slice().into(),
                });
                // `Builder::new_multi_thread()..build()`: the local the chain ends in holds it.
                if effect == Effect::StartsThread && call.bind.is_none() {
                    let key = (effect, self.me.0, call.span);
                    self.chain_threads.entry(call.id).or_default().push(key);
                }
                if call.bind.is_none()
                    && !registered
                    && matches!(effect, Effect::OpensConnection | Effect::OpensFile)
                {
                    let key = (effect, self.me.0, call.span);
                    self.temporaries.entry(call.id).or_default().push(key);
                }
                if let (Effect::TakesGlobalLock, Some(g)) = (effect, self.absolute_global(call)) {
                    self.touch_global(&g, call.span);
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
                if let Some(rec) = self.rec.forks.get_mut(&call.id) {
                    rec.traits = super::record::ForkTraits {
                        cap: api.severity,
                        // A server launched from a Linux-only file (see the frontend's
                        // `servers::LINUX_ONLY`).
                        linux_only: api.linux_only
                            || (self.python
                                && call.str_arg.as_deref()
                                    == Some(crate::frontend::python::servers::LINUX_ONLY)),
                        returns_object: api.returns_object,
                        double_fork: api.double_fork,
                        runs_after_forkers: api.runs_after_forkers,
                    };
                    rec.parent_exits |= api.parent_exits;
                }
                if api.handed_only && self.python {
                    self.note_workers(call);
                }
                if kind == ForkKind::Daemon {
                    into_child(state);
                }
                match api.child_fn {
                    Some(arg) => self.callback_child(state, call, here, arg),
                    // Python's catalogued forks called for their effect are a framework's
                    // (`Process.start()`, a worker's `work()`): they return in the parent only.
                    None if kind == ForkKind::Fork
                        && !api.double_fork
                        && !api.child_execs
                        && !self.python =>
                    {
                        self.discarded_fork(call)
                    }
                    None => {}
                }
                // The caller's own process never returns from a double fork: whatever follows,
                // on either side of the result, runs in a forked child.
                if api.double_fork {
                    if let Some(rec) = self.rec.forks.get_mut(&call.id) {
                        rec.has_child = true;
                    }
                    self.child = Some(ChildOf::Fork(call.id));
                    into_child(state);
                }
                // A fork API whose whole child is its own code up to an exec: the child is
                // known and does not go on with the program, but it is not brief either.
                if let (true, Some(rec)) = (api.child_execs, self.rec.forks.get_mut(&call.id)) {
                    rec.has_child = true;
                    rec.child_not_safe.get_or_insert(Step {
                        file: self.me.0,
                        span: call.span,
                        text: format!(
                            "`{}` (its child runs the library's code before exec)",
                            api.label
                        )
                        .into(),
                    });
                }
                // A fork API whose own code runs unsafe calls in the child before returning
                // there (`Daemonize::execute()`): no child of it is brief.
                if let (Some(first), Some(rec)) = (
                    api.effects.iter().find(|e| e.is_child_unsafe()),
                    self.rec.forks.get_mut(&call.id),
                ) {
                    rec.child_not_safe.get_or_insert(Step {
                        file: self.me.0,
                        span: call.span,
                        text: format!("`{}` ({} in the child)", api.label, first.verb()).into(),
                    });
                }
                false
            }
            Effect::ChildClosure => {
                self.reaches_fork = true;
                // A handler taken by argument position (`pthread_atfork`) registers no command.
                if api.child_arg.is_some() {
                    return false;
                }
                // A closure handed in by the caller is registered at each call of this
                // function, with that call's threads (`Summary::pre_exec_params`).
                if call.closures.is_empty() && !call.param_args.is_empty() && !self.python {
                    self.pre_exec_params
                        .extend(call.param_args.iter().map(|&(_, p)| p));
                    return false;
                }
                self.registers_pre_exec(call);
                let why = if self.python {
                    format!(
                        "{} runs Python code in the child between fork and exec",
                        api.label
                    )
                } else {
                    "this `pre_exec` closure makes std spawn the command with fork+exec instead of posix_spawn".into()
                };
                self.closure_forced_fork(state, call, why);
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
                    // std leaves posix_spawn when `PATH` is set or removed in the command's
                    // environment, or the environment is cleared (`CommandEnv::have_changed_path`);
                    // any other key, or one that is not a literal, leaves it where it is.
                    if effect == Effect::ForcesFork {
                        cmd.forced_by.get_or_insert_with(|| api.label.clone());
                        cmd.forced_at
                            .get_or_insert_with(|| (call.span, call.callee.display()));
                    } else if call.str_arg.as_deref() == Some("PATH")
                        || api.label.ends_with("::env_clear")
                    {
                        cmd.path_env = true;
                    }
                } else if effect == Effect::ForcesFork {
                    // A command made out of view (a parameter, a field): its spawn is out of
                    // view too, and the setting is where std's path changes.
                    self.reaches_fork = true;
                    let why = format!(
                        "`{}` makes std spawn this command with fork+exec instead of posix_spawn",
                        api.label
                    );
                    self.forced_fork(state, call, why, false);
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
                        self.forced_fork(state, call, why, false);
                    }
                }
                false
            }
            Effect::ProcessExit => {
                self.flushing_exits += 1;
                self.record_op(
                    Op {
                        effect,
                        site: self.step(call.span, api.label.clone()),
                        down: Vec::new(),
                        ends_parent: false,
                        caught: false,
                    },
                    here,
                );
                true
            }
            Effect::ImmediateExit | Effect::Diverges => true,
            Effect::PassesArgument => {
                self.passes_fork(call, 0);
                false
            }
            Effect::Derives => {
                let (Some(from), Some(to)) = (&call.receiver, &call.bind) else {
                    return false;
                };
                for h in state.live.values_mut() {
                    let held = h.bind.as_ref() == Some(from) || h.derived.contains(from);
                    if held
                        && matches!(h.effect, Effect::OpensConnection | Effect::OpensFile)
                        && h.bind.as_ref() != Some(to)
                        && !h.derived.contains(to)
                    {
                        h.derived.push(to.clone());
                    }
                }
                false
            }
            // Held in the state as what the interpreter's exit will do: a child forked after it
            // and leaving through that exit does it again.
            Effect::LeavesExitWork => {
                let site = self.step(call.span, api.label.clone());
                state.add(Hazard::unbound(effect, site, api.label.as_str()));
                false
            }
            Effect::FeedsLogger => {
                // The file this function just opened (`Box::new(File::create(p)?)`, or the
                // local passed here) now lives in the logger: a logging call is a write to it.
                let args: HashSet<&String> = call.arg_vars.iter().collect();
                for h in state.live.values_mut() {
                    if h.effect == Effect::OpensFile
                        && h.up.is_empty()
                        && h.down.is_empty()
                        && h.bind.as_ref().is_none_or(|b| args.contains(b))
                    {
                        h.bind = None;
                        h.global = Some(LOGGER.to_string());
                    }
                }
                false
            }
            Effect::Exec => {
                // `CommandExt::exec` runs the hooks in this process and replaces it: no fork.
                let root = self.command_of_call.get(&call.id).copied();
                if let Some(at) = root
                    .and_then(|r| self.commands.get(&r))
                    .and_then(|c| c.pre_exec_at)
                {
                    self.rec.forced_forks.remove(&at);
                }
                self.mark_exec();
                false
            }
            Effect::Joins => {
                // A Python module global is the same object in every function.
                let global = self.python.then(|| self.absolute_global(call)).flatten();
                if let Some(g) = &global {
                    state.remove_where(|h| {
                        h.effect == Effect::StartsThread && h.global.as_ref() == Some(g)
                    });
                }
                if let Some(field) = call
                    .receiver
                    .as_deref()
                    .filter(|_| self.python)
                    .and_then(|v| v.strip_prefix("self."))
                {
                    self.joins_fields.insert(field.to_string());
                }
                if let Some(v) = &call.receiver {
                    // A Python object's threads end with it, whatever holds the values its
                    // methods returned (`infos = await loop.getaddrinfo(..)` runs on the loop's
                    // executor, which `loop.shutdown_default_executor()` joins).
                    let python = self.python;
                    state.remove_where(|h| {
                        h.effect == Effect::StartsThread
                            && (h.bind.as_deref() == Some(v)
                                || (python && h.owner.as_deref() == Some(v)))
                    });
                    if let Some(joined) = self.joined.last_mut() {
                        joined.insert(v.clone());
                    }
                }
                false
            }
            Effect::Drops => {
                // `asyncore.dispatcher.close(self)`: a base class's catalogued close called on
                // the object itself closes what it holds.
                if self.python
                    && call.receiver.is_none()
                    && call.arg_vars.first().is_some_and(|v| v == "self")
                {
                    self.drop_object(state, Some("self"));
                }
                // A child that closes what it inherited before any other use of it
                // (multiprocessing's forkserver closes the listener) does not share it.
                if let Some(ChildOf::Fork(id)) = self.child {
                    let global = self.absolute_global(call);
                    if let Some(f) = self.rec.forks.get_mut(&id) {
                        for v in &call.arg_vars {
                            if f.child_uses.get(v).is_some_and(|s| s.span == call.span) {
                                f.child_closed.insert(v.clone());
                            }
                        }
                        if let Some(g) = global {
                            if f.child_globals.get(&g).is_some_and(|s| s.span == call.span) {
                                f.child_closed.insert(g);
                            }
                        }
                    }
                }
                // A Python result nothing keeps ends only what that call made itself: what a
                // callee made may be kept elsewhere (a module global, a registry).
                let python = self.python;
                for v in &call.arg_vars {
                    let discarded = python && v.starts_with(crate::frontend::python::DISCARDED_VAR);
                    state.remove_where(|h| {
                        (h.effect != Effect::StartsThread || h.joined_on_drop)
                            && h.bind.as_deref() == Some(v)
                            && (!discarded || h.down.is_empty())
                    });
                }
                if let Some(g) = self.python.then(|| self.absolute_global(call)).flatten() {
                    state.remove_where(|h| {
                        h.effect != Effect::StartsThread && h.global.as_ref() == Some(&g)
                    });
                }
                false
            }
            // `File::open("/dev/null")`: a short literal path stays on the stack.
            Effect::Allocates
                if api
                    .heap_path_from
                    .is_some_and(|from| call.str_arg.as_ref().is_some_and(|p| p.len() < from)) =>
            {
                false
            }
            e if e.is_child_unsafe() => {
                // A logging call writes the logger's output, which may be a file.
                if e == Effect::Logs {
                    self.touch_global(LOGGER, call.span);
                }
                self.record_op(
                    Op {
                        effect,
                        site: self.step(call.span, api.label.clone()),
                        down: Vec::new(),
                        ends_parent: false,
                        caught: false,
                    },
                    here,
                );
                false
            }
            _ => false,
        }
    }
}

/// The global logger, as a global its output file lives in.
const LOGGER: &str = "log#logger";
/// A Python library's own registry (MongoEngine's connections), as a global what it keeps for
/// the process lives in.
const LIBRARY_REGISTRY: &str = "python#library-registry";

/// How many calls a block makes, nested blocks and branches included.
/// The most calls any one path through the block makes: a parent that leaves through one of
/// two exits (`_exit` or `exit`, by a flag) still makes only one call before it is gone.
impl Walker<'_> {
    /// A function of the program's own that only hands its arguments to an exit (`fn
    /// _exit(code) -> ! { unsafe { libc::_exit(code) } }`) is that exit, no work of the
    /// program's. One that drops an argument stands for work it does not show.
    fn exit_wrapper(&self, f: &FnRef) -> bool {
        let func = self.ctx.prog.function(*f);
        let mut calls = Vec::new();
        super::program::for_each_call(&func.body, &mut |c| {
            if !frontend_marker(c) {
                calls.push(c);
            }
        });
        let [call] = calls[..] else {
            return false;
        };
        (0..func.params.len() as u32).all(|p| call.param_args.iter().any(|&(_, q)| q == p))
            && self
                .ctx
                .summaries
                .get(f)
                .is_some_and(|s| s.diverges && !s.reaches_fork && !s.endless)
    }

    /// The block's last statement ends the process: a catalogued exit or a wrapper of one.
    fn ends_by_exit(&self, block: &Block) -> bool {
        match block.nodes.last() {
            Some(Node::Block(b)) => self.ends_by_exit(b),
            Some(Node::Call(call)) => match self.ctx.prog.target(self.me.0, call.id) {
                Target::Apis(list) => list.iter().any(|&a| {
                    self.ctx.prog.catalog.apis[a]
                        .effects
                        .iter()
                        .any(|e| matches!(e, Effect::ImmediateExit | Effect::ProcessExit))
                }),
                Target::Fns(list) => !list.is_empty() && list.iter().all(|f| self.exit_wrapper(f)),
                Target::Unknown => false,
            },
            _ => false,
        }
    }

    /// The block calls a function of the program (its own code, not a catalogued call).
    fn calls_own_code(&self, block: &Block) -> bool {
        block.nodes.iter().any(|n| match n {
            Node::Call(call) => matches!(
                self.ctx.prog.target(self.me.0, call.id),
                Target::Fns(list) if list.iter().any(|f| self.ctx.prog.same_package(f.0, self.me.0) && !self.exit_wrapper(f))
            ),
            Node::Block(b) | Node::Loop { body: b, .. } => self.calls_own_code(b),
            Node::Branch(b) => b.arms.iter().any(|a| self.calls_own_code(&a.body)),
            _ => false,
        })
    }
}

/// A method whose closure runs on a result's error (`unwrap_or_else`, `map_err`, `or_else`).
fn on_error_only(call: &Call) -> bool {
    matches!(&call.callee, Callee::Method { name, .. } if ERROR_CLOSURES.contains(&name.as_str()))
}

fn calls_in(block: &Block) -> usize {
    block
        .nodes
        .iter()
        .map(|n| match n {
            Node::Call(call) => usize::from(!frontend_marker(call)),
            Node::Block(b) | Node::Loop { body: b, .. } => calls_in(b),
            Node::Branch(b) => b.arms.iter().map(|a| calls_in(&a.body)).max().unwrap_or(0),
            _ => 0,
        })
        .sum()
}

/// A call the frontend adds to mark a point (a discarded result, a `with` block's end): no work
/// of the program's own.
fn frontend_marker(call: &Call) -> bool {
    matches!(&call.callee, Callee::Path(paths) if paths.iter().all(|p| p.starts_with("forklint::")))
}

/// Methods that only test a value: the value itself is not kept.
const TESTS_ONLY: &[&str] = &[
    "is_ok",
    "is_err",
    "is_some",
    "is_none",
    "is_ok_and",
    "is_err_and",
    "is_some_and",
    "is_none_or",
];

/// A catalogued call a fork child may make before exec: async-signal-safe (signal-safety(7)),
/// an exec (that may also never return, as Python's `os.exec*`), `_exit`, or the end of a value
/// (`drop`). Never returning is no safety of its own: a panic diverges too.
fn is_async_signal_safe(api: &Api) -> bool {
    api.effects.iter().any(|e| *e != Effect::Diverges)
        && api.effects.iter().all(|e| {
            matches!(
                e,
                Effect::AsyncSignalSafe
                    | Effect::Exec
                    | Effect::ImmediateExit
                    | Effect::Drops
                    | Effect::Diverges
            )
        })
}

/// The threads alive in `state`.
fn threads_of(state: &State) -> State {
    let mut out = state.clone();
    out.remove_where(|h| h.effect != Effect::StartsThread);
    out
}

/// The state of a fork's child: one thread, the one that forked. What else was inherited
/// (connections, guards, ObjC state) stays.
fn into_child(state: &mut State) {
    state.remove_where(|h| h.effect == Effect::StartsThread);
}

/// The arguments of `call` that one of `list`'s functions calls in a fork child (a closure it
/// hands to the child, directly or through further calls), by argument index.
pub fn child_args(
    prog: &Program,
    summaries: &HashMap<FnRef, Summary>,
    call: &Call,
    list: &[FnRef],
) -> HashSet<u32> {
    args_of(prog, summaries, call, list, |s| &s.child_params)
}

/// How many of `callee`'s parameters come before `call`'s arguments: a method call's arguments
/// follow its receiver, the callee's `self`.
fn receiver_params(call: &Call, callee: &crate::ir::Function) -> u32 {
    u32::from(
        matches!(call.callee, Callee::Method { .. })
            && callee.params.first().is_some_and(|p| p == "self"),
    )
}

/// In `f`, whose value is its parameter `p`'s call passed through another function first:
/// every function that call is handed to hands its argument back (`Function::passes_arg`,
/// `match cvt(f()) { .. }`), and every function `p` itself is handed to hands back its call
/// (`retry(f)`), so the value is still the call's.
fn passes_param_call(prog: &Program, f: FnRef, p: u32) -> bool {
    passes_param_call_within(prog, f, p, 4)
}

fn passes_param_call_within(prog: &Program, f: FnRef, p: u32, depth: u32) -> bool {
    if depth == 0 {
        return false;
    }
    let body = &prog.function(f).body;
    let mut calls_p = HashSet::new();
    super::program::for_each_call(body, &mut |c| {
        if c.calls_param == Some(p) {
            calls_p.insert(c.id);
        }
    });
    let (mut through, mut all) = (false, true);
    super::program::for_each_call(body, &mut |c| {
        let list = match prog.target(f.0, c.id) {
            Target::Fns(list) => list.as_slice(),
            _ => &[],
        };
        for &(i, _) in c.arg_calls.iter().filter(|(_, a)| calls_p.contains(a)) {
            through = true;
            all &= !list.is_empty() && list.iter().all(|g| prog.function(*g).passes_arg == Some(i));
        }
        for &(i, _) in c.param_args.iter().filter(|(_, q)| *q == p) {
            through = true;
            all &= !list.is_empty()
                && list.iter().all(|&g| {
                    let callee = prog.function(g);
                    let q = i + receiver_params(c, callee);
                    callee.returns_call_of == Some(q)
                        && (!callee.returns_call_through
                            || passes_param_call_within(prog, g, q, depth - 1))
                });
        }
    });
    through && all
}

/// The arguments of `call` that the callees in `list` call (wherever they run).
pub fn run_args(
    prog: &Program,
    summaries: &HashMap<FnRef, Summary>,
    call: &Call,
    list: &[FnRef],
) -> HashSet<u32> {
    args_of(prog, summaries, call, list, |s| &s.run_params)
}

/// The arguments of `call` that the callees in `list` hand to `pre_exec`.
pub fn pre_exec_args(
    prog: &Program,
    summaries: &HashMap<FnRef, Summary>,
    call: &Call,
    list: &[FnRef],
) -> HashSet<u32> {
    args_of(prog, summaries, call, list, |s| &s.pre_exec_params)
}

/// The arguments of `call` at the parameters `params` picks from each callee's summary.
fn args_of(
    prog: &Program,
    summaries: &HashMap<FnRef, Summary>,
    call: &Call,
    list: &[FnRef],
    params: impl Fn(&Summary) -> &Vec<u32>,
) -> HashSet<u32> {
    let mut out = HashSet::new();
    for f in list {
        let Some(summary) = summaries.get(f).filter(|s| !params(s).is_empty()) else {
            continue;
        };
        // A method call's arguments follow its receiver, the callee's `self`.
        let offset = u32::from(
            matches!(call.callee, Callee::Method { .. })
                && prog
                    .function(*f)
                    .params
                    .first()
                    .is_some_and(|p| p == "self"),
        );
        out.extend(params(summary).iter().filter_map(|p| p.checked_sub(offset)));
    }
    out
}

/// The closures of `call` that each of `list`'s functions only keeps (`Isolate::new(name, run)`
/// stores `run` in a field): a function named or written as an argument runs at the call only
/// when the callee calls it, hands it on or calls a method on it. A callee that calls the
/// program's own code or a method of a local, or has closures of its own, may run it there.
fn stored_closures(prog: &Program, call: &Call, list: &[FnRef]) -> HashSet<usize> {
    if list.is_empty() || call.closure_args.is_empty() {
        return HashSet::new();
    }
    let offset = usize::from(matches!(call.callee, Callee::Method { .. }));
    call.closure_args
        .iter()
        .filter(|&&(a, _)| {
            list.iter().all(|&f| {
                let callee = prog.function(f);
                let shift =
                    offset * usize::from(callee.params.first().is_some_and(|p| p == "self"));
                let p = a as usize + shift;
                callee
                    .params
                    .get(p)
                    .is_some_and(|name| keeps_param(prog, f, p as u32, name))
            })
        })
        .map(|&(_, c)| c)
        .collect()
}

/// `f` never calls, hands on or calls a method on parameter `p` (`name`), and runs nothing
/// that could reach it.
fn keeps_param(prog: &Program, f: FnRef, p: u32, name: &str) -> bool {
    let function = prog.function(f);
    let mut keeps = true;
    let mut visit = |c: &Call| {
        let mentions = c.calls_param == Some(p)
            || c.param_args.iter().any(|&(_, q)| q == p)
            || c.receiver.as_deref() == Some(name)
            || c.arg_vars.iter().any(|v| v == name);
        let own = matches!(prog.target(f.0, c.id), Target::Fns(_));
        let local_method = matches!(c.callee, Callee::Method { .. }) && c.receiver.is_some();
        keeps &= !mentions && !own && !local_method && c.closures.is_empty();
    };
    function.implied.iter().for_each(&mut visit);
    super::program::for_each_call(&function.body, &mut visit);
    keeps
}

/// The span of the last statement of a block that has one (a loop's, its body's last). A method
/// chain's statement starts at its first call (`opts.copy(..)` of `opts.copy(..).expect(..)`).
fn last_span(block: &Block) -> Option<Span> {
    block.nodes.iter().rev().find_map(|n| match n {
        Node::Call(c) => {
            let mut first = c;
            while let Some(prev) = first.receiver_call.and_then(|r| {
                block.nodes.iter().find_map(|n| match n {
                    Node::Call(p) if p.id == r => Some(p),
                    _ => None,
                })
            }) {
                first = prev;
            }
            Some(first.span)
        }
        Node::Branch(b) => Some(b.span),
        Node::Return { span, .. } | Node::Try(span) => Some(*span),
        Node::Loop { body, .. } | Node::Block(body) => last_span(body),
        _ => None,
    })
}

/// A function whose caller is no code of the program: `main`, a test (libtest's harness calls
/// it), and a Python module's top-level code (the interpreter runs it, and exits after it, or an
/// importer goes on). A child that falls off its end leaves the program's code without `_exit`.
/// Methods that hand back their receiver's success value and change only its error
/// (`map_err`, anyhow's `context`, eyre's `wrap_err`).
const ERROR_ADAPTERS: &[&str] = &["map_err", "context", "with_context", "wrap_err"];
/// Methods of a `Result` that take a closure run only on its error.
const ERROR_CLOSURES: &[&str] = &["unwrap_or_else", "map_err", "or_else"];
/// Methods of a `Result` whose own work (a panic, a closure) happens only on its error.
const ERROR_HANDLERS: &[&str] = &[
    "expect",
    "unwrap",
    "unwrap_or_else",
    "or_else",
    "inspect_err",
];

pub(super) fn returns_out_of_program(f: &crate::ir::Function) -> bool {
    f.is_main
        || f.is_test_root()
        || f.path.strip_prefix("self::") == Some(crate::frontend::python::MODULE_FN)
}

/// The member of the object a method call sends to: the method's name (`db.create_all()`), or
/// the attribute a marker call says a method is called through (`db.session.execute(..)`:
/// `session`).
fn member_called(call: &Call) -> Option<String> {
    match &call.callee {
        Callee::Method { name, .. } => Some(
            name.strip_prefix(crate::ir::THROUGH_ATTRIBUTE)
                .unwrap_or(name)
                .to_string(),
        ),
        _ => None,
    }
}
