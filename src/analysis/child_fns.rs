//! Functions that only fork children call and that never return to them (`fn run_child(..) -> !`
//! called from the child's branch and nowhere else, ending in exec or `_exit`, or one that returns
//! only in a grandchild it forks): the child hands itself over to them, so their statements are
//! the child's own code. Each offending statement in them is a finding's primary, with the call in
//! the child's branch in its trace. A helper the child returns from stays a call of the branch,
//! its operation named by the trace.

use super::program::{for_each_call, is_python, FnRef, Target};
use super::record::{ChildCall, WalkRecord};
use super::state::Step;
use super::walk::{Ctx, Mode, Walker};
use crate::ir::{FnKind, Span};
use std::collections::{HashMap, HashSet};

/// The statements of each child-only function, by the place of a call to it in a fork's child.
#[derive(Debug, Default)]
pub struct ChildBodies {
    by_site: HashMap<(u32, Span), (Step, Vec<ChildCall>)>,
}

impl ChildBodies {
    /// Finds the child-only functions the reporting walks called and walks each as child code.
    pub fn find(ctx: &Ctx, walks: &[(FnRef, WalkRecord)]) -> Self {
        let mut found: Vec<(FnRef, u32, u32, Step)> = Vec::new();
        for (f, rec) in walks {
            for (&id, (callee, step)) in &rec.child_sites {
                found.push((*callee, f.0, id, step.clone()));
            }
        }
        // A child-only function's own calls of further such functions are child code too: walk
        // the bodies found until no new function turns up (bounded by the program's size).
        let mut out = ChildBodies::default();
        let mut walked: HashSet<FnRef> = HashSet::new();
        loop {
            let (bodies, nested) = Self::walk_bodies(ctx, &found, &walked);
            if bodies.is_empty() {
                break;
            }
            for (callee, body, calls) in bodies {
                walked.insert(callee);
                for (file, step) in calls {
                    out.by_site.insert((file, step.span), (step, body.clone()));
                }
            }
            found.extend(nested);
        }
        out
    }

    /// Walks the child-only functions among `found` not `walked` yet: each body with the call
    /// sites it stands for, and the calls those bodies make of further functions.
    #[allow(clippy::type_complexity)]
    fn walk_bodies(
        ctx: &Ctx,
        found: &[(FnRef, u32, u32, Step)],
        walked: &HashSet<FnRef>,
    ) -> (
        Vec<(FnRef, Vec<ChildCall>, Vec<(u32, Step)>)>,
        Vec<(FnRef, u32, u32, Step)>,
    ) {
        let prog = ctx.prog;
        let mut sites: HashMap<FnRef, Vec<(u32, u32, Step)>> = HashMap::new();
        for (callee, file, id, step) in found {
            sites
                .entry(*callee)
                .or_default()
                .push((*file, *id, step.clone()));
        }
        sites.retain(|callee, _| {
            let f = prog.function(*callee);
            matches!(f.kind, FnKind::Free | FnKind::Method)
                && !f.is_main
                && !f.is_test
                && !is_python(&prog.files[callee.0 as usize].path)
                && !ctx.child_closures.contains_key(callee)
                && ctx
                    .summaries
                    .get(callee)
                    .is_some_and(|s| (s.diverges && !s.reaches_fork) || s.returns_only_in_child)
        });
        if sites.keys().all(|c| walked.contains(c)) {
            return (Vec::new(), Vec::new());
        }
        // Every call of the function in the program, and every place naming it as a value.
        let mut elsewhere: HashSet<FnRef> = HashSet::new();
        for (fi, file) in prog.files.iter().enumerate() {
            for f in &file.functions {
                let mut visit = |call: &crate::ir::Call| {
                    if let Target::Fns(list) = prog.target(fi as u32, call.id) {
                        for callee in list.iter().filter(|c| sites.contains_key(c)) {
                            let in_child = sites[callee]
                                .iter()
                                .any(|(file, id, _)| *file == fi as u32 && *id == call.id);
                            // A closure handed in is the caller's code, known only at this
                            // call (`in_fork(|| ..)`): the function stays a call of each child.
                            let hands_in_code = !call.closure_args.is_empty();
                            if !in_child || list.len() > 1 || hands_in_code {
                                elsewhere.insert(*callee);
                            }
                        }
                    }
                    for (_, named) in prog.fn_refs(fi as u32, call.id) {
                        elsewhere.insert(*named);
                    }
                };
                f.implied.iter().for_each(&mut visit);
                for_each_call(&f.body, &mut visit);
            }
        }
        let mut bodies = Vec::new();
        let mut nested = Vec::new();
        for (callee, calls) in sites {
            if elsewhere.contains(&callee) || walked.contains(&callee) {
                continue;
            }
            let mut walker = Walker::new(ctx, callee, Mode::Report).in_child_code();
            walker.run(Default::default());
            for (&id, (inner, step)) in &walker.rec.child_sites {
                nested.push((*inner, callee.0, id, step.clone()));
            }
            let body: Vec<ChildCall> = walker.rec.closure_calls.into_values().collect();
            let calls = calls
                .into_iter()
                .map(|(file, _, step)| (file, step))
                .collect();
            bodies.push((callee, body, calls));
        }
        (bodies, nested)
    }

    /// `calls` with each call of a child-only function replaced by that function's statements
    /// that do what `keep` asks (the unsafe calls, or the exits), the call leading there.
    pub fn expand<'c>(
        &self,
        calls: impl IntoIterator<Item = &'c ChildCall>,
        keep: impl Fn(&super::state::Op) -> bool,
    ) -> Vec<ChildCall> {
        let mut out = Vec::new();
        let mut todo: Vec<ChildCall> = calls.into_iter().cloned().collect();
        todo.reverse();
        while let Some(call) = todo.pop() {
            let key = (call.primary.file, call.primary.span);
            // A body that calls the helper it stands in (recursion) is not expanded again.
            let Some((site, body)) = self
                .by_site
                .get(&key)
                .filter(|(site, _)| !call.via.iter().any(|v| v.span == site.span))
            else {
                out.push(call);
                continue;
            };
            for inner in body {
                let ops: Vec<_> = inner.ops.iter().filter(|o| keep(o)).cloned().collect();
                if ops.is_empty() {
                    continue;
                }
                let mut via = call.via.clone();
                via.push(site.clone());
                via.extend(inner.via.iter().cloned());
                let next = ChildCall {
                    primary: inner.primary.clone(),
                    ops,
                    via,
                };
                // Another child-only helper called there: its statements in turn.
                match self
                    .by_site
                    .contains_key(&(next.primary.file, next.primary.span))
                {
                    true => todo.push(next),
                    false => out.push(next),
                }
            }
        }
        out
    }
}
