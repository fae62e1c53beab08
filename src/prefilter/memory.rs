//! Memory: parsed files stay resident until the fixpoint ends, so their vectors are trimmed;
//! and, with `FORKLINT_PREFILTER_TRACE`, what the process holds at each step.

use crate::ir::{Call, Callee, FileIr};

/// Gives back the growth slack of an IR's vectors: parsed files stay in memory until the
/// fixpoint ends.
pub(super) fn compact(ir: &mut FileIr) {
    fn block(b: &mut crate::ir::Block) {
        for node in &mut b.nodes {
            match node {
                crate::ir::Node::Call(c) => call(c),
                crate::ir::Node::Branch(br) => {
                    for arm in &mut br.arms {
                        block(&mut arm.body);
                    }
                    br.arms.shrink_to_fit();
                }
                crate::ir::Node::Loop { body, .. } | crate::ir::Node::Block(body) => block(body),
                _ => {}
            }
        }
        b.nodes.shrink_to_fit();
        b.locals.shrink_to_fit();
    }
    fn call(c: &mut Call) {
        if let Callee::Path(p) = &mut c.callee {
            p.shrink_to_fit();
        }
        c.arg_vars.shrink_to_fit();
        c.closures.shrink_to_fit();
    }
    for f in &mut ir.functions {
        block(&mut f.body);
        f.implied.iter_mut().for_each(call);
        f.implied.shrink_to_fit();
        f.params.shrink_to_fit();
        f.returns.shrink_to_fit();
    }
    ir.functions.shrink_to_fit();
    ir.globals.shrink_to_fit();
    ir.reexports.shrink_to_fit();
    ir.crates_used.shrink_to_fit();
}

/// With `FORKLINT_PREFILTER_TRACE`, the resident memory at a point of the run.
pub(super) fn trace_rss(at: &str) {
    if std::env::var_os("FORKLINT_PREFILTER_TRACE").is_none() {
        return;
    }
    if let Ok(statm) = std::fs::read_to_string("/proc/self/statm") {
        if let Some(pages) = statm
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u64>().ok())
        {
            eprintln!("prefilter: {} MB resident {at}", (pages * 4096) >> 20);
        }
    }
}
