//! The analysis: summaries solved to a fixpoint over the call graph, entry states pushed from
//! callers into the functions that reach a fork, then one reporting walk per such function.

mod child_fns;
mod findings;
mod harness;
mod lazy;
mod orphans;
mod outside;
pub mod program;
pub mod record;
mod state;
mod walk;
mod waves;
mod workers;

use crate::catalog::{Catalog, ClosureRole, Effect};
use crate::diagnostic::Finding;
use crate::ir::FileIr;
use program::{for_each_call, FnRef, Program, Target};
use record::{ChildSite, Summary};
use state::{State, Step};
use std::collections::{HashMap, HashSet, VecDeque};
use walk::{Ctx, Mode, Walker};

/// Counts for `--stats`.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub functions: usize,
    pub call_edges: usize,
    pub summary_walks: usize,
    pub propagate_walks: usize,
}

/// Bounds on the fixpoints: each function is re-walked at most this many times.
const MAX_SUMMARY_ROUNDS: usize = 12;
const MAX_ENTRY_ROUNDS: usize = 8;

pub fn analyze(files: Vec<FileIr>, catalog: &Catalog) -> (Vec<Finding>, Stats) {
    let prog = Program::link(files, catalog);
    let mut stats = Stats {
        functions: prog.files.iter().map(|f| f.functions.len()).sum(),
        call_edges: prog.callers.values().map(Vec::len).sum(),
        ..Default::default()
    };
    let (mut child_closures, scoped_closures) = closure_roles(&prog);
    let test_only = test_only(&prog);
    let all: Vec<FnRef> = prog
        .files
        .iter()
        .enumerate()
        .flat_map(|(fi, f)| (0..f.functions.len()).map(move |i| (fi as u32, i as u32)))
        .collect();

    // 1. Summaries, bottom-up: callees' final summaries before their callers' walk.
    let (summaries, walks) = waves::solve(
        &all,
        &prog.callers,
        MAX_SUMMARY_ROUNDS,
        |f, summaries| {
            let ctx = Ctx {
                prog: &prog,
                summaries,
                child_closures: &child_closures,
                scoped_closures: &scoped_closures,
                test_only: &test_only,
            };
            Walker::new(&ctx, f, Mode::Summary).run(State::default())
        },
        |old, new| old.fingerprint() == new.fingerprint(),
    );
    stats.summary_walks = walks;

    closures_called_in_child(&prog, &summaries, &mut child_closures);

    // 2. Entry states, top-down, only into functions on a path to a fork.
    let mut entries: HashMap<FnRef, State> = HashMap::new();
    let relevant: Vec<FnRef> = all
        .iter()
        .copied()
        .filter(|f| {
            summaries.get(f).is_some_and(|s| s.reaches_fork) || child_closures.contains_key(f)
        })
        .collect();
    // Summaries are final from here on: the propagation and the report read one context.
    let ctx = Ctx {
        prog: &prog,
        summaries: &summaries,
        child_closures: &child_closures,
        scoped_closures: &scoped_closures,
        test_only: &test_only,
    };
    entries.extend(orphans::seeds(&ctx, &relevant));
    for (f, state) in outside::seeds(&ctx, &relevant) {
        entries.entry(f).or_default().merge(&state);
    }
    let harness = harness::labels(&prog);
    stats.propagate_walks = worklist(relevant.iter().copied(), MAX_ENTRY_ROUNDS, |f| {
        let mut walker = Walker::new(&ctx, f, Mode::Propagate);
        walker.run(entries.get(&f).cloned().unwrap_or_default());
        let mut grew = Vec::new();
        for (callee, mut state) in walker.entries {
            // What a test, bench or example started runs with the library's code only in that
            // binary: a cause of test-level findings (warnings), not of the program's.
            for h in state.live.values_mut() {
                if !prog.runs_with(h.site.file, callee.0) {
                    h.severity = Some(crate::diagnostic::Severity::Warning);
                }
            }
            harness::narrow(&prog, &test_only, &harness, f, callee, &mut state);
            if entries.entry(callee).or_default().merge(&state) {
                grew.push(callee);
            }
        }
        grew
    });

    // 3. Report. A `pre_exec` closure's calls depend on the threads at its spawn, which the
    // registering function's walk records: closures come after every other function.
    let mut order = relevant.clone();
    order.sort_by_key(|f| child_closures.get(f).is_some_and(|s| s.pre_exec));
    let mut out = findings::Findings::new(&prog);
    let walks: Vec<(FnRef, record::WalkRecord)> = order
        .iter()
        .map(|&f| {
            let mut walker = Walker::new(&ctx, f, Mode::Report);
            walker.run(entries.get(&f).cloned().unwrap_or_default());
            (f, walker.rec)
        })
        .collect();
    out.child_bodies(child_fns::ChildBodies::find(&ctx, &walks));
    for (f, rec) in &walks {
        out.add_walk(*f, rec, child_closures.get(f), entries.get(f));
    }
    python_extensions(&prog, &summaries, &mut out);
    (out.finish(), stats)
}

/// Packages loaded into Python (`#[pymodule]`, `#[pyfunction]`): the fork happens in Python,
/// where no Rust fork point is visible, so the honest finding is on the process-wide thread state
/// the extension leaves behind (a global runtime, rayon's global pool).
fn python_extensions(
    prog: &Program,
    summaries: &HashMap<FnRef, Summary>,
    out: &mut findings::Findings,
) {
    let python: HashSet<&str> = prog
        .files
        .iter()
        .filter(|f| f.python_entry)
        .map(|f| program::package_of(&f.crate_name))
        .collect();
    if python.is_empty() {
        return;
    }
    for (fi, file) in prog.files.iter().enumerate() {
        if !python.contains(program::package_of(&file.crate_name)) {
            continue;
        }
        for f in file.functions.iter().filter(|f| !f.is_test) {
            // delta-rs's fix: remember the creating pid and fail fast in a forked child.
            let mut checks_pid = false;
            for_each_call(&f.body, &mut |call| {
                if let crate::ir::Callee::Path(c) = &call.callee {
                    checks_pid |= c
                        .iter()
                        .any(|p| p.ends_with("process::id") || p.ends_with("getpid"));
                }
            });
            for_each_call(&f.body, &mut |call| {
                // `static RT: OnceLock<Runtime>` + `RT.get_or_init(|| Runtime::new())`.
                let once = matches!(&call.callee, crate::ir::Callee::Method { name, .. }
                    if matches!(name.as_str(), "get_or_init" | "get_or_try_init" | "call_once" | "get_or_insert_with"));
                if once && call.receiver_global.is_some() && !checks_pid {
                    for &c in &call.closures {
                        let Some(summary) = summaries.get(&(fi as u32, c as u32)) else {
                            continue;
                        };
                        for h in summary
                            .alive
                            .iter()
                            .filter(|h| h.effect == Effect::StartsThread)
                        {
                            out.host_fork(&h.site, &h.label);
                        }
                    }
                }
                let Target::Apis(list) = prog.target(fi as u32, call.id) else {
                    return;
                };
                for &i in list {
                    let api = &prog.catalog.apis[i];
                    if api.global && api.effects.contains(&Effect::StartsThread) {
                        let site = Step {
                            file: fi as u32,
                            span: call.span,
                            text: api.label.as_str().into(),
                        };
                        out.host_fork(&site, &api.label);
                    }
                }
            });
        }
        for global in &file.globals {
            let Some(summary) = summaries.get(&(fi as u32, global.init as u32)) else {
                continue;
            };
            for h in summary
                .alive
                .iter()
                .filter(|h| h.effect == Effect::StartsThread)
            {
                out.host_fork(&h.site, &h.label);
            }
        }
    }
}

/// Functions that only test code calls (directly or through other such functions): a fork
/// there runs with libtest's threads alive. A function with no caller is a root of its own.
fn test_only(prog: &Program) -> HashSet<FnRef> {
    // Each function's callers, once each, and how many of them are not test code yet; a
    // function joins when that count reaches zero (linear in the call graph).
    let mut callees: HashMap<FnRef, Vec<FnRef>> = HashMap::new();
    let mut waiting: HashMap<FnRef, usize> = HashMap::new();
    for (&callee, callers) in &prog.callers {
        // A function that calls itself counts itself, which only test code already is.
        let distinct: HashSet<FnRef> = callers.iter().copied().collect();
        waiting.insert(callee, distinct.len());
        for caller in distinct {
            callees.entry(caller).or_default().push(callee);
        }
    }
    let mut out: HashSet<FnRef> = HashSet::new();
    let mut queue: VecDeque<FnRef> = VecDeque::new();
    for (fi, file) in prog.files.iter().enumerate() {
        for (i, f) in file.functions.iter().enumerate() {
            let me = (fi as u32, i as u32);
            if f.is_test && out.insert(me) {
                queue.push_back(me);
            }
        }
    }
    while let Some(f) = queue.pop_front() {
        for &callee in callees.get(&f).map(Vec::as_slice).unwrap_or(&[]) {
            let Some(left) = waiting.get_mut(&callee) else {
                continue;
            };
            *left = left.saturating_sub(1);
            if *left == 0 && out.insert(callee) {
                queue.push_back(callee);
            }
        }
    }
    out
}

/// Runs `step` on each queued function until nothing changes, each at most `max_rounds` times;
/// `step` returns the functions to revisit. Returns the number of steps taken.
fn worklist(
    initial: impl Iterator<Item = FnRef>,
    max_rounds: usize,
    mut step: impl FnMut(FnRef) -> Vec<FnRef>,
) -> usize {
    let mut queue: VecDeque<FnRef> = initial.collect();
    let mut queued: HashSet<FnRef> = queue.iter().copied().collect();
    let mut rounds: HashMap<FnRef, usize> = HashMap::new();
    let mut steps = 0;
    while let Some(f) = queue.pop_front() {
        queued.remove(&f);
        let r = rounds.entry(f).or_default();
        if *r >= max_rounds {
            continue;
        }
        *r += 1;
        steps += 1;
        for next in step(f) {
            if queued.insert(next) {
                queue.push_back(next);
            }
        }
    }
    steps
}

/// Closures and functions registered as fork-child code (`pre_exec`, an atfork child handler) and
/// closures whose threads are scoped.
fn closure_roles(prog: &Program) -> (HashMap<FnRef, ChildSite>, HashSet<FnRef>) {
    let mut child = HashMap::new();
    let mut scoped = HashSet::new();
    for (fi, file) in prog.files.iter().enumerate() {
        for f in &file.functions {
            for_each_call(&f.body, &mut |call| {
                let Target::Apis(list) = prog.target(fi as u32, call.id) else {
                    return;
                };
                for &i in list {
                    let api = &prog.catalog.apis[i];
                    let step = || Step {
                        file: fi as u32,
                        span: call.span,
                        text: api.label.as_str().into(),
                    };
                    if let (Some(arg), true) =
                        (api.child_arg, api.effects.contains(&Effect::ChildClosure))
                    {
                        for &(_, handler) in prog
                            .fn_refs(fi as u32, call.id)
                            .iter()
                            .filter(|(pos, _)| *pos as usize == arg)
                        {
                            let place = format!(
                                "the `{}` child handler (it runs in the child of every fork)",
                                api.label
                            );
                            child.insert(
                                handler,
                                ChildSite {
                                    step: step(),
                                    place,
                                    in_fork: false,
                                    pre_exec: false,
                                },
                            );
                        }
                        continue;
                    }
                    if let Some(arg) = api.child_fn {
                        for &(_, c) in call.closure_args.iter().filter(|(a, _)| *a == arg) {
                            child.insert(
                                (fi as u32, c as u32),
                                ChildSite {
                                    step: step(),
                                    place: format!("the child of `{}` (its callback)", api.label),
                                    in_fork: true,
                                    pre_exec: false,
                                },
                            );
                        }
                        continue;
                    }
                    let handed = call
                        .closures
                        .iter()
                        .map(|&c| (fi as u32, c as u32))
                        .chain(returned_closures(prog, fi as u32, call));
                    for key in handed {
                        match api.closure {
                            ClosureRole::Child if api.effects.contains(&Effect::ChildClosure) => {
                                let place = format!(
                                    "the {} closure (it runs in the child between fork and exec)",
                                    api.label
                                );
                                child.insert(
                                    key,
                                    ChildSite {
                                        step: step(),
                                        place,
                                        in_fork: false,
                                        pre_exec: true,
                                    },
                                );
                            }
                            ClosureRole::Scoped => {
                                scoped.insert(key);
                            }
                            _ => {}
                        }
                    }
                }
            });
        }
    }
    (child, scoped)
}

/// The closures an argument's call hands back (`cmd.pre_exec(drop_privileges(uid))`, whose
/// body ends in `move || { .. }`): passed on as if written in place.
fn returned_closures<'a>(
    prog: &'a Program,
    file: u32,
    call: &'a crate::ir::Call,
) -> impl Iterator<Item = FnRef> + 'a {
    call.arg_calls.iter().flat_map(move |&(_, inner)| {
        let fns = match prog.target(file, inner) {
            Target::Fns(list) => list.as_slice(),
            _ => &[],
        };
        fns.iter().filter_map(|&f| {
            let c = prog.function(f).returns_closure?;
            Some((f.0, c as u32))
        })
    })
}

/// Closures handed to a function that calls them in the child of its fork
/// (`spawn_in_pty(cmd, move |path| { .. })`), or that hands them to `pre_exec`: their bodies are
/// that child's code.
fn closures_called_in_child(
    prog: &Program,
    summaries: &HashMap<FnRef, Summary>,
    child: &mut HashMap<FnRef, ChildSite>,
) {
    for (fi, file) in prog.files.iter().enumerate() {
        for f in &file.functions {
            for_each_call(&f.body, &mut |call| {
                if call.closure_args.is_empty() {
                    return;
                }
                let Target::Fns(list) = prog.target(fi as u32, call.id) else {
                    return;
                };
                let text = call.callee.display();
                let site = |place: String, pre_exec: bool| ChildSite {
                    step: Step {
                        file: fi as u32,
                        span: call.span,
                        text: format!("`{text}`").into(),
                    },
                    place,
                    in_fork: !pre_exec,
                    pre_exec,
                };
                // `cmd.pre_exec(|| ..)` on a method that hands its closure to std's.
                let pre_exec = walk::pre_exec_args(prog, summaries, call, list);
                for &(_, c) in call
                    .closure_args
                    .iter()
                    .filter(|(a, _)| pre_exec.contains(a))
                {
                    let place = format!(
                        "the `{text}` closure (it runs in the child between fork and exec)"
                    );
                    child
                        .entry((fi as u32, c as u32))
                        .or_insert_with(|| site(place, true));
                }
                let args = walk::child_args(prog, summaries, call, list);
                for &(a, c) in call.closure_args.iter().filter(|(a, _)| args.contains(a)) {
                    let place = format!(
                        "a closure that `{text}` calls in the child of its fork (argument {})",
                        a + 1
                    );
                    child
                        .entry((fi as u32, c as u32))
                        .or_insert_with(|| site(place, false));
                }
            });
        }
    }
}
