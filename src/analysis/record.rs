//! What the walks leave behind: a function's summary as its callers see it, and the records of
//! one reporting walk (each fork point and what its child does, forced forks, child closures,
//! returns out of `main`). The walker writes these; `findings` reads only these.

use super::state::{Hazard, Op, State, Step};
use crate::catalog::Effect;
use crate::ir::Span;
use std::collections::{BTreeMap, HashSet};

/// The parts of a summary the fixpoint compares.
pub type Fingerprint = (
    Vec<((Effect, u32, Span), bool)>,
    Vec<(Effect, u32, Span)>,
    [bool; 13],
    Vec<String>,
    Option<String>,
    Vec<u32>,
    Vec<u32>,
    Vec<u32>,
    Vec<String>,
    Vec<String>,
);

/// What a function does, seen from its callers.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Hazards that may still be alive when it returns.
    pub alive: Vec<Hazard>,
    /// Child-relevant operations it may perform (allocation, printing, exit, ...): a bounded
    /// number of each kind, never a kind dropped.
    pub ops: Vec<Op>,
    /// No path returns normally.
    pub diverges: bool,
    /// Some path calls exec.
    pub execs: bool,
    /// It returns, but only in the child of a fork of its own: the calling process never comes
    /// back (`fn detach() -> Daemon`, whose process exits after its fork and hands the
    /// grandchild back). For that process it ends as a diverging function does.
    pub returns_only_in_child: bool,
    /// For a function that returns only in the child of a `daemon()`-like call of its own
    /// (`fn detach() { Daemonize::new().start().expect(..) }`): that call. Its callers go on
    /// as the daemon, as after the call itself.
    pub daemonizes: Option<Step>,
    /// Every path that returns returns an error (`?`, `return Err`): `f()?` goes on nowhere.
    pub only_errors: bool,
    /// Some path reaches a fork point or registers a child closure.
    pub reaches_fork: bool,
    /// It forks and hands the result to its caller, whose branch tells child from parent
    /// (`fn fork_process() -> io::Result<Fork>`): callers treat a call to it as a fork point.
    pub wraps_fork: bool,
    /// For a function wrapper: the fork call it makes (directly or through a wrapper it calls),
    /// where the callers' hazards are reported. `None` for a macro body, whose fork is made at
    /// each invocation.
    pub wrapped_fork: Option<Step>,
    /// Globals it locks (directly or through callees), for FL004 in a child.
    pub globals: Vec<String>,
    /// The first call it makes (directly or through callees) that is not known to be
    /// async-signal-safe: a child that calls this function goes on running the program.
    pub not_safe: Option<Step>,
    /// For a fork wrapper: the value it returns in the child (`None`, `Child`, `0`), which its
    /// callers' patterns are matched against.
    pub child_value: Option<String>,
    /// Parameters whose value it calls in a fork child (a closure handed in, called there
    /// directly or by a callee it hands the closure on to).
    pub child_params: Vec<u32>,
    /// Parameters whose value it calls wherever it runs (directly, through a callee or an API
    /// that calls what it is handed, as `catch_unwind`): at a call in a fork child, what is
    /// passed there runs in that child.
    pub run_params: Vec<u32>,
    /// Parameters it hands to `pre_exec` (directly or through a callee that does): a closure
    /// given there at a call is a `pre_exec` closure registered at that call.
    pub pre_exec_params: Vec<u32>,
    /// A closure's calls of parameters of the functions it is defined in (see
    /// `Function::captured_calls`), directly or through closures it runs: each is run where the
    /// defining function runs this closure.
    pub captured_runs: Vec<(u32, u32)>,
    /// Some path runs the program's code forever (`loop { serve() }`, directly or in a callee).
    pub endless: bool,
    /// It forks and runs a closure handed in as the child, which does not exec (`fn fork<F:
    /// FnOnce()>(child: F)`): a fork at each call, where the caller's threads are that call's
    /// finding. The fork it makes (directly or through a callee).
    pub forks_closure: Option<Step>,
    /// The first call of that fork's child, other than the closure's, that is not known to be
    /// async-signal-safe: with an async-signal-safe closure, the child of a call is brief.
    pub forks_closure_not_safe: Option<Step>,
    /// A panic on a path that always reaches it once its exec has failed (`execvp(..).expect(..)`,
    /// `unreachable!()` after an exec), in it or a callee, outside a fork child of its own and not
    /// caught there: called in a fork's child, that child unwinds out through the parent's frames.
    pub unwinds: Option<Op>,
    /// Python: fields of `self` whose thread it joins (`self.worker.join()`, directly or in a
    /// method of `self` it calls): the caller's receiver's threads held there end.
    pub joins_fields: Vec<String>,
    /// Python: it closes its own object (`asyncore.dispatcher.close(self)`, directly or in a
    /// method of `self` it calls): what the caller's receiver holds ends.
    pub drops_self: bool,
    /// Module globals whose lazily connecting clients it sends a command to (directly or in a
    /// callee): the caller's client held there is connected after the call.
    pub wakes: Vec<String>,
}

impl Summary {
    /// The parts the fixpoint compares.
    pub fn fingerprint(&self) -> Fingerprint {
        // A lazy client and a connected one are different facts for the caller.
        let mut alive: Vec<_> = self.alive.iter().map(|h| (h.key(), h.lazy)).collect();
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
                self.only_errors,
                self.execs,
                self.reaches_fork,
                self.wraps_fork,
                self.not_safe.is_some(),
                self.endless,
                self.forks_closure.is_some(),
                self.forks_closure_not_safe.is_some(),
                self.drops_self,
                self.returns_only_in_child,
                self.unwinds.is_some(),
                self.daemonizes.is_some(),
            ],
            self.globals.clone(),
            self.child_value.clone(),
            self.child_params.clone(),
            self.run_params.clone(),
            self.pre_exec_params.clone(),
            self.joins_fields.clone(),
            self.wakes.clone(),
        )
    }
}

/// A call in a child's own code that does something unsafe there, and what.
#[derive(Debug, Clone)]
pub struct ChildCall {
    pub primary: Step,
    pub ops: Vec<Op>,
    /// The calls in the fork's child that lead to `primary` when it is in a function only
    /// fork children call (the child's own code too), outermost first.
    pub via: Vec<Step>,
}

/// Operations kept per kind in a summary or a child call: enough to name the problem, and
/// every kind (an exit, an exec, each hazard) survives the bound.
pub const MAX_PER_KIND: usize = 4;

/// Adds `op` to `ops` unless that operation is there already or its kind is full.
pub fn add_op(ops: &mut Vec<Op>, op: &Op) -> bool {
    let same_kind = ops.iter().filter(|o| o.effect == op.effect).count();
    if same_kind >= MAX_PER_KIND
        || ops
            .iter()
            .any(|o| o.effect == op.effect && o.site == op.site)
    {
        return false;
    }
    ops.push(op.clone());
    true
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
    /// Objective-C / CoreFoundation / Security use in the child's own code (FL003 whether or
    /// not the parent touched it first: the frameworks refuse to run on the child side).
    pub child_objc: BTreeMap<Span, ChildCall>,
    /// Locals the child's own code uses, with the first use.
    pub child_uses: BTreeMap<String, Step>,
    /// Locals the child's own code closes before any other use (it does not share them).
    pub child_closed: HashSet<String>,
    pub parent_uses: HashSet<String>,
    /// Locals the parent gives up after the fork (`drop(listener)`).
    pub parent_drops: HashSet<String>,
    /// The child's code was identified (a branch, or the rest after `daemon()`).
    pub has_child: bool,
    /// The child goes on past its own code (falls out of its branch or returns).
    pub child_continues: bool,
    /// The child goes on with a value other than an error (falls out of its branch, or returns
    /// `Ok`): a wrapper's callers tell the sides apart by it. A child that only leaves on the
    /// error path after its exec failed is FL006's business, not a child that runs on.
    pub child_leaves_ok: bool,
    /// The parent's side ends the process at once (`if pid != 0 { exit(0) }`, or a fork entry
    /// for the daemonize idiom): the child is the program's continuation, whose error path is
    /// the program's, and nothing it inherits is used by two live processes.
    pub parent_exits: bool,
    /// The parent's side ends the process, at once or after some work (not by returning): what
    /// follows the fork in the caller runs in the child alone.
    pub parent_ends: bool,
    /// The parent leaves through `exit`, which flushes stdio and runs atexit handlers: a child
    /// that does the same does it a second time.
    pub parent_flushes: bool,
    /// The parent's side ends through `_exit` (or a wrapper of it) after whatever work it does
    /// first: it runs none of the program's end (atexit handlers, flushes, destructors).
    pub parent_quits: bool,
    /// The first diverging panic (`unreachable!()`, `panic!`) in the child's own code: the child
    /// unwinds through the parent's frames. Each deliberate `panic!` is a way out of its own.
    pub unwinds: Vec<Step>,
    /// Calls in the child's own code of functions that unwind after their exec failed (see
    /// `Summary::unwinds`), by span: the panic is the call's operation.
    pub unwinds_in_callees: BTreeMap<Span, ChildCall>,
    /// The child calls functions of the program (not only catalogued system calls).
    pub child_runs_code: bool,
    /// After the child's branch falls through, the function makes more calls.
    pub child_runs_more: bool,
    /// The child's last call is of a function of the program itself (a serve loop it is taken
    /// to end in); a catalogued call after it shows the child came back from it.
    pub child_calls_program: bool,
    /// The child's code runs forever (a worker's serve loop): it goes on with the program.
    pub child_endless: bool,
    /// Globals the child's own code touches, with the first touch.
    pub child_globals: BTreeMap<String, Step>,
    /// The first call of the child's own code that is neither known async-signal-safe nor a
    /// catalogued unsafe operation: unknown code, or the program's code that does more.
    pub child_unknown: Option<Step>,
    /// The first call of the child's own code that is not known async-signal-safe.
    pub child_not_safe: Option<Step>,
    /// The fork is in test code (libtest's threads are the parent's): its findings are warnings.
    pub in_test: bool,
    /// The fork point is in the child of another fork of the same function (a `daemon()` in a
    /// forked child): what its child does runs in that outer child too.
    pub outer: Option<u32>,
    /// For a wrapper's fork seen from its caller: the value the wrapper returns in the child.
    pub child_value: Option<String>,
    /// In the wrapper itself: the value the child's branch evaluates to when it falls out.
    pub returns_in_child: Option<String>,
    /// The first `?` or `return Err(..)` by which the child leaves the function into its caller.
    pub error_return: Option<Step>,
    /// The first such return after the child's exec was called: the exec failed, and the
    /// child's main path goes back into the caller (a setup error before it is another path).
    pub exec_error_return: Option<Step>,
    /// Where the child goes back into the caller of a function that is neither `main`, a test
    /// nor a fork wrapper, with a value (it falls out of its branch and off the end, or
    /// `return`s): the caller runs the parent's code on in the child.
    pub leaves_into_caller: Option<Step>,
    /// The `continue` or `break` by which the child leaves its branch into the loop of the
    /// parent's code that the fork was made in, and whether it is a `break`.
    pub leaves_into_loop: Option<(Step, bool)>,
    /// The child falls out of its branch (or, when nothing tells it apart, out of the fork
    /// itself) into code the parent runs next: where it falls, and the first call it runs there.
    pub runs_parent_code: Option<(Step, Step)>,
    /// Some arm tests the fork's value for the child's side.
    pub child_tested: bool,
    /// What the catalogue says of the fork point itself (severity cap, platform, parent exit).
    pub traits: ForkTraits,
    /// The child calls a closure handed in (`fn fork<F: FnOnce()>(child: F)`): each caller's
    /// call is a fork of its own, with the threads that caller had.
    pub runs_handed_in: bool,
    /// The first call of that closure in the child: not known to be async-signal-safe here,
    /// judged at each caller's call, where the closure is known.
    pub handed_in: Option<Step>,
    /// The fork point is a call of a function that forks to run the closure it is handed: the
    /// fork that call leads to.
    pub forks_in_callee: Option<Step>,
    /// The fork point is a call of a function that forks (a wrapper, or one that runs the
    /// closure it is handed in its child): the fork call expression inside it. The hazards the
    /// caller had alive are reported there, once for all the calls that lead to it, each call
    /// a related location (the call itself is not the fork).
    pub made_in_callee: Option<Step>,
    /// For a fork whose children run only what they are handed (a DataLoader's workers): what
    /// that is and reaches; the parent's other hazards are not theirs.
    pub workers: Option<super::workers::Workers>,
}

/// A catalogued fork point's own properties, from its entry.
#[derive(Debug, Clone, Default)]
pub struct ForkTraits {
    /// Findings at this fork are at most this severity (a fork that depends on a default).
    pub cap: Option<crate::diagnostic::Severity>,
    /// It forks only on Linux: Objective-C state is no hazard at it.
    pub linux_only: bool,
    /// The fork's value is an object managing the children, never the child's side.
    pub returns_object: bool,
    /// The caller's own process never returns from it: what follows is a forked child's.
    pub double_fork: bool,
    /// The child runs multiprocessing's after-fork registry first (`Api::runs_after_forkers`).
    pub runs_after_forkers: bool,
}

impl ForkRec {
    pub fn new(site: Step, kind: ForkKind, in_test: bool) -> Self {
        ForkRec {
            site,
            kind,
            live: State::default(),
            execs: false,
            unsafe_calls: BTreeMap::new(),
            exits: BTreeMap::new(),
            child_objc: BTreeMap::new(),
            child_uses: BTreeMap::new(),
            child_closed: HashSet::new(),
            parent_uses: HashSet::new(),
            parent_drops: HashSet::new(),
            has_child: false,
            child_continues: false,
            child_leaves_ok: false,
            unwinds: Vec::new(),
            unwinds_in_callees: BTreeMap::new(),
            parent_exits: false,
            parent_ends: false,
            parent_flushes: false,
            parent_quits: false,
            child_runs_code: false,
            child_runs_more: false,
            child_calls_program: false,
            child_endless: false,
            child_globals: BTreeMap::new(),
            child_unknown: None,
            child_not_safe: None,
            in_test,
            outer: None,
            child_value: None,
            returns_in_child: None,
            error_return: None,
            exec_error_return: None,
            leaves_into_caller: None,
            leaves_into_loop: None,
            runs_parent_code: None,
            child_tested: false,
            traits: ForkTraits::default(),
            runs_handed_in: false,
            handed_in: None,
            forks_in_callee: None,
            made_in_callee: None,
            workers: None,
        }
    }

    /// The fork call expression: the fork point itself, or the fork inside the function it calls.
    pub fn fork_call(&self) -> &Step {
        self.made_in_callee.as_ref().unwrap_or(&self.site)
    }

    /// Everything the child runs before exec or `_exit` is known async-signal-safe: what other
    /// threads held does not matter to it. A call the catalogue does not know is not safe.
    pub fn child_is_brief(&self) -> bool {
        match self.kind {
            ForkKind::Vfork => true,
            ForkKind::Daemon => false,
            ForkKind::Fork => {
                self.has_child
                    && !self.child_continues
                    && self.child_not_safe.is_none()
                    && self.handed_in.is_none()
                    && !self.uses_inherited()
            }
        }
    }

    /// The parent's side is gone: it ended the process at once, or (in Rust) through `_exit`
    /// after some work of its own. The child alone runs the program's end.
    pub fn parent_gone(&self, python: bool) -> bool {
        self.parent_exits || (!python && self.parent_quits)
    }

    /// The child is the program's continuation (the daemonize idiom, by hand or through a
    /// catalogued daemonizing call): its returns, error paths, panics and exits are the
    /// program's own way out, taken once. A Python parent that left through `sys.exit` flushed
    /// its block-buffered stdout and ran its atexit handlers, which the child does again when
    /// any were left at the fork; Rust's stdout is line-buffered and its destructors do not
    /// run at `exit`, so a Rust parent's `exit` leaves the child nothing to run a second time.
    pub fn child_is_program(&self, python: bool) -> bool {
        self.kind == ForkKind::Daemon
            || self.traits.double_fork
            || (self.parent_gone(python)
                && !(python && self.parent_flushes && self.inherits_exit_work()))
    }

    /// Something the interpreter's exit does (an atexit handler, buffered output) was left
    /// before the fork: a child that leaves through that exit does it a second time.
    pub fn inherits_exit_work(&self) -> bool {
        self.live
            .live
            .values()
            .any(|h| h.effect == crate::catalog::Effect::LeavesExitWork)
    }

    /// The child runs the program's state on: past its own code, or through code that may use
    /// what it inherited. A child that only makes catalogued calls (even unsafe ones, FL005's
    /// business) and then execs or `_exit`s does not share connections, ObjC state or guards.
    pub fn child_goes_on(&self) -> bool {
        match self.kind {
            ForkKind::Vfork => false,
            ForkKind::Daemon => true,
            ForkKind::Fork => {
                !self.has_child
                    || self.child_continues
                    || self.child_unknown.is_some()
                    || self.uses_inherited()
            }
        }
    }

    /// The child's code was found and every path of it ends there (exec, `_exit`, `exit`):
    /// nothing of the program runs on in it, and no destructor of what it inherited runs.
    pub fn child_ends_in_own_code(&self) -> bool {
        self.kind == ForkKind::Fork
            && self.has_child
            && !self.child_continues
            && !self.child_endless
    }

    /// The parent uses, after the fork, the local or global a hazard lives in.
    pub fn parent_uses_value(&self, h: &Hazard) -> bool {
        [&h.bind, &h.owner, &h.global]
            .into_iter()
            .flatten()
            .any(|v| self.parent_uses.contains(v))
    }

    /// The child uses a value that a live hazard lives in: the strongest sign that it goes on
    /// with what it inherited.
    pub fn uses_inherited(&self) -> bool {
        self.live
            .live
            .values()
            .any(|h| self.child_use_of(h).is_some())
    }

    /// The child uses the value and the parent gives its copy up after the fork without using
    /// it: the value was made for the child.
    pub fn handed_to_child(&self, h: &Hazard) -> bool {
        h.bind.as_ref().is_some_and(|b| {
            self.child_uses.contains_key(b)
                && self.parent_drops.contains(b)
                && !self.parent_uses.contains(b)
        })
    }

    /// The child closes the value this hazard lives in before using it.
    pub fn child_closes(&self, h: &Hazard) -> bool {
        [&h.bind, &h.owner, &h.global]
            .into_iter()
            .flatten()
            .any(|v| self.child_closed.contains(v))
    }

    /// Where the child uses the value a hazard lives in (a connection, a runtime, a pool, the
    /// client that started a pool) or the global a held guard locks.
    pub fn child_use_of(&self, h: &Hazard) -> Option<&Step> {
        let by_local = [&h.bind, &h.owner]
            .into_iter()
            .flatten()
            .filter(|v| !self.child_closed.contains(*v))
            .find_map(|v| self.child_uses.get(v));
        by_local.or_else(|| {
            h.global
                .as_ref()
                .filter(|g| !self.child_closed.contains(*g))
                .and_then(|g| self.child_globals.get(g))
        })
    }
}

/// A spawn or `pre_exec` that makes std fork while threads may be running.
#[derive(Debug, Clone)]
pub struct ForcedFork {
    pub site: Step,
    pub why: String,
    pub threads: Vec<Hazard>,
    /// The `pre_exec` closure only puts the child in a new process group, which
    /// `Command::process_group(0)` does on the posix_spawn path.
    pub only_setpgid: bool,
    /// The child closure is the program's own code (a Python function of the tree), not a
    /// library function given by name (`preexec_fn=os.setsid`).
    pub runs_code: bool,
    /// The setting is a child closure (`pre_exec`), not a uid/gid setting: what it runs is
    /// known where the closure is walked.
    pub child_closure: bool,
}

/// Where a child closure runs, for messages.
#[derive(Debug, Clone)]
pub struct ChildSite {
    /// The registering call.
    pub step: Step,
    /// "the `pre_exec` closure (it runs in the child between fork and exec)".
    pub place: String,
    /// Handed to a function that calls it in the child of its fork: unsafe calls matter only
    /// while the parent may be multithreaded (a `pre_exec` closure's always do).
    pub in_fork: bool,
    /// A std `pre_exec` closure: std's child runs it with panics set to abort
    /// (`panic::always_abort`), and its calls matter only while the parent may be
    /// multithreaded at the spawn.
    pub pre_exec: bool,
}

/// What one reporting walk of a function saw.
#[derive(Debug, Default)]
pub struct WalkRecord {
    pub forks: BTreeMap<u32, ForkRec>,
    /// Unsafe calls inside a child closure (`pre_exec`, an atfork child handler).
    pub closure_calls: BTreeMap<Span, ChildCall>,
    /// `return`/`?` leaving `main` from a child, (span, fork).
    pub main_returns: Vec<(Span, u32)>,
    /// Spawns that std makes with fork+exec, with what was alive.
    pub forced_forks: BTreeMap<Span, ForcedFork>,
    /// Calls of one function of the program made in a fork's child, by call id: the
    /// function and the call's place.
    pub child_sites: BTreeMap<u32, (super::program::FnRef, Step)>,
}
