//! Post-fork hooks across modules: a hook in one module (gunicorn's `post_fork` in its
//! configuration, a uWSGI `@postfork` or Celery `worker_process_init` handler) that recreates,
//! closes or disposes of a global of another module makes that global's object each process's
//! own. Once every file is lowered, each call that binds such a global gets the frontend's
//! per-process marker after it, as a pid check would.

use super::lower::PER_PROCESS;
use crate::frontend::Language;
use crate::ir::{Block, Call, Callee, FileIr, Node};
use std::collections::HashSet;
use std::path::Path;

/// Marks the objects that some hook of the program resets in every child.
pub fn link(irs: &mut [FileIr]) {
    let resets: HashSet<&str> = irs
        .iter()
        .flat_map(|ir| ir.resets_in_child.iter().map(String::as_str))
        .collect();
    if resets.is_empty() {
        return;
    }
    let resets: Vec<String> = resets.into_iter().map(str::to_string).collect();
    for ir in irs.iter_mut() {
        if Language::of(Path::new(&ir.path)) != Some(Language::Python) {
            continue;
        }
        let prefix = std::iter::once(ir.crate_name.as_str())
            .chain(ir.module.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("::");
        let is_reset = |name: &str| {
            let global = format!("{prefix}::{name}");
            resets
                .iter()
                .any(|r| *r == global || r.starts_with(&format!("{global}::")))
        };
        let mut next = max_id(ir) + 1;
        for f in &mut ir.functions {
            mark(&mut f.body, &is_reset, &mut next);
        }
    }
}

fn max_id(ir: &FileIr) -> u32 {
    let mut max = 0;
    for f in &ir.functions {
        crate::analysis::program::for_each_call(&f.body, &mut |c| max = max.max(c.id));
    }
    max
}

/// Inserts the marker after each call whose result a reset global receives.
fn mark(block: &mut Block, is_reset: &dyn Fn(&str) -> bool, next: &mut u32) {
    let mut i = 0;
    while i < block.nodes.len() {
        let marker = match &mut block.nodes[i] {
            Node::Call(c) => c
                .bind
                .as_deref()
                .filter(|b| is_reset(b))
                .map(|b| (b.to_string(), c.span)),
            Node::Branch(b) => {
                for arm in &mut b.arms {
                    mark(&mut arm.body, is_reset, next);
                }
                None
            }
            Node::Loop { body, .. } | Node::Block(body) => {
                mark(body, is_reset, next);
                None
            }
            _ => None,
        };
        if let Some((var, span)) = marker {
            let mut c = Call::new(*next, Callee::Path(vec![PER_PROCESS.to_string()]), span);
            *next += 1;
            c.receiver = Some(var.clone());
            c.arg_vars = vec![var];
            block.nodes.insert(i + 1, Node::Call(c));
            i += 1;
        }
        i += 1;
    }
}
