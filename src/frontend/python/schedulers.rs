//! APScheduler runs a job only once its scheduler is started: `scheduler.add_job(job, ..)` on a
//! background or blocking scheduler files the job, and the scheduler's `start()` (in any module:
//! `from jobs import scheduler; scheduler.start()`) begins running jobs on its executor's
//! threads. A job of a scheduler the program never starts, nor hands anywhere it could be
//! started, never runs: its `add_job` call runs nothing, and a job registered with
//! `@scheduler.scheduled_job(..)` is not one of the functions the module's `<entry>` runs.

use super::link::{absolute, for_each_call_mut, is_python, prefix};
use super::lower::{ENTRY_FN, SCHEDULER_JOB_THREAD, THREAD_POOL_SCHEDULERS};
use crate::ir::{Block, Call, Callee, FileIr, Node};
use std::collections::HashSet;

/// What holds a scheduler, as far as the calls on it tell.
#[derive(Hash, PartialEq, Eq)]
enum Holder {
    /// A module global, by absolute path.
    Global(String),
    /// A field of some object (`self.scheduler`), by name: any object's field of that name.
    Field(String),
    /// A local of one function, by the function's absolute path.
    Local(String, String),
}

/// Clears the jobs handed to `add_job` of schedulers never started.
pub fn link(irs: &mut [FileIr]) {
    // Most programs file no job: the holders of everything started need not be gathered then.
    if !irs.iter().filter(|ir| is_python(ir)).any(files_jobs) {
        return;
    }
    let started = started(irs);
    for ir in irs.iter_mut().filter(|ir| is_python(ir)) {
        let p = prefix(ir);
        for f in &mut ir.functions {
            let function = absolute(&p, &f.path);
            if f.path == format!("self::{ENTRY_FN}") {
                drop_unstarted_jobs(&mut f.body, &|held| {
                    !started.contains(&Holder::Global(absolute(&p, held)))
                });
            }
            for_each_call_mut(&mut f.body, &mut |call| {
                if call.closures.is_empty() || !adds_job(call) {
                    return;
                }
                let held = holder(&p, &function, call);
                if held.is_some_and(|h| !started.contains(&h)) {
                    call.closures.clear();
                }
            });
        }
    }
}

/// Removes the arms of `<entry>` that run a scheduler's job (they start with the marker of the
/// job's executor thread, on the scheduler's global) when that scheduler is never started.
fn drop_unstarted_jobs(block: &mut Block, unstarted: &dyn Fn(&str) -> bool) {
    for node in &mut block.nodes {
        let Node::Branch(b) = node else { continue };
        b.arms.retain(|arm| match arm.body.nodes.first() {
            Some(Node::Call(c)) => !is_job_thread(c)
                .then_some(c.receiver_global.as_deref())
                .flatten()
                .is_some_and(unstarted),
            _ => true,
        });
    }
}

/// The module adds a job to a thread-pool scheduler, or its `<entry>` runs a decorated job.
fn files_jobs(ir: &FileIr) -> bool {
    let entry = format!("self::{ENTRY_FN}");
    ir.functions.iter().any(|f| {
        let mut found = false;
        crate::analysis::program::for_each_call(&f.body, &mut |call| {
            found |= !call.closures.is_empty() && adds_job(call);
        });
        found
            || (f.path == entry
                && f.body.nodes.iter().any(|n| {
                    match n {
                Node::Branch(b) => b.arms.iter().any(
                    |arm| matches!(arm.body.nodes.first(), Some(Node::Call(c)) if is_job_thread(c)),
                ),
                _ => false,
            }
                }))
    })
}

/// The marker of the executor thread a scheduler's decorated job runs on.
fn is_job_thread(call: &Call) -> bool {
    matches!(&call.callee, Callee::Path(p) if p.iter().any(|p| {
        p.strip_suffix(SCHEDULER_JOB_THREAD)
            .is_some_and(|ty| THREAD_POOL_SCHEDULERS.contains(&ty))
    }))
}

/// `add_job` on a scheduler whose default executor is a thread pool.
fn adds_job(call: &Call) -> bool {
    matches!(&call.callee, Callee::Method { name, ty: Some(ty) }
        if name == "add_job" && THREAD_POOL_SCHEDULERS.contains(&ty.as_str()))
}

/// What the call's receiver is held in.
fn holder(prefix: &str, function: &str, call: &Call) -> Option<Holder> {
    if let Some(g) = &call.receiver_global {
        return Some(Holder::Global(absolute(prefix, g)));
    }
    let receiver = call.receiver.as_deref()?;
    Some(match receiver.rsplit_once('.') {
        Some((_, field)) => Holder::Field(field.to_string()),
        None => Holder::Local(function.to_string(), receiver.to_string()),
    })
}

/// The holders of everything the program starts (`x.start()`, `mod.x.start()`) or hands on to
/// another call or out of a function (which may start it), each under every name it may have.
fn started(irs: &[FileIr]) -> HashSet<Holder> {
    let mut out = HashSet::new();
    for ir in irs.iter().filter(|ir| is_python(ir)) {
        let p = prefix(ir);
        for f in &ir.functions {
            let function = absolute(&p, &f.path);
            // A module's globals are its `<module>` function's returns: held, not handed on.
            for v in &f.returns {
                out.insert(Holder::Local(function.clone(), v.clone()));
            }
            crate::analysis::program::for_each_call(&f.body, &mut |call| {
                match &call.callee {
                    Callee::Method { name, .. } if name == "start" => {
                        out.extend(holder(&p, &function, call));
                    }
                    Callee::Path(candidates) => {
                        for c in candidates {
                            if let Some(held) = c.strip_suffix("::start") {
                                out.insert(Holder::Global(absolute(&p, held)));
                            }
                        }
                    }
                    _ => {}
                }
                let handed = call
                    .arg_vars
                    .iter()
                    .skip(usize::from(call.receiver.is_some()));
                for v in handed {
                    out.extend(names(&p, &function, v));
                }
            });
        }
    }
    out
}

/// Every holder a variable handed on may be: a local, a global of the module, or a field.
fn names(prefix: &str, function: &str, var: &str) -> Vec<Holder> {
    match var.rsplit_once('.') {
        Some((_, field)) => vec![Holder::Field(field.to_string())],
        None => vec![
            Holder::Local(function.to_string(), var.to_string()),
            Holder::Global(format!("{prefix}::{var}")),
        ],
    }
}
