//! Code that reaches a fork but that no caller in the analysed code reaches, though code outside
//! it may: a trait's method (a gRPC handler a framework calls, a `dyn Trait` method, a scripting
//! binding's `add_methods` whose closures the interpreter runs). It runs while the program runs,
//! so with the threads its `main` has started: each such function starts from those threads
//! instead of from nothing. A library's public functions no call reaches start from their
//! outside callers' unknown threads instead (`outside`); other functions no call reaches are dead
//! code (or calls this analysis failed to resolve to them), and stay silent.

use super::program::{is_python, package_of, FnRef, Program};
use super::state::{State, Step};
use super::walk::{Ctx, Mode, Walker};
use crate::catalog::Effect;
use crate::ir::FnKind;
use std::collections::HashMap;

/// Entry states for the functions among `relevant` that no caller reaches: the threads alive
/// at some call of a `main` of the same binary (or of a binary that links their library, from
/// its own package or one whose manifest depends on it, directly or through other packages).
pub fn seeds(ctx: &Ctx, relevant: &[FnRef]) -> Vec<(FnRef, State)> {
    let prog = ctx.prog;
    let orphans: Vec<FnRef> = relevant
        .iter()
        .copied()
        .filter(|&f| is_orphan(ctx, f))
        .collect();
    if orphans.is_empty() {
        return Vec::new();
    }
    let mut mains: HashMap<FnRef, State> = HashMap::new();
    let mut out = Vec::new();
    for o in orphans {
        let mut entry = State::default();
        for m in entry_points(prog).filter(|m| runs_in_binary_of(prog, *m, o)) {
            let threads = mains.entry(m).or_insert_with(|| threads_of_main(ctx, m));
            let function = prog.function(o);
            let name = function
                .path
                .strip_prefix("self::")
                .unwrap_or(&function.path);
            let step = Step {
                file: o.0,
                span: function.span,
                text: format!(
                    "`{name}`, which no call in the analysed code reaches: it runs while `main` runs"
                )
                .into(),
            };
            for h in threads.live.values() {
                let mut h = h.clone();
                h.up = vec![step.clone()];
                h.bind = None;
                h.owner = None;
                entry.add(h);
            }
        }
        if !entry.live.is_empty() {
            out.push((o, entry));
        }
    }
    out
}

/// The program's `main` functions, test code aside.
pub(super) fn entry_points<'a>(prog: &'a Program) -> impl Iterator<Item = FnRef> + 'a {
    prog.files.iter().enumerate().flat_map(|(fi, file)| {
        file.functions
            .iter()
            .enumerate()
            .filter(|(_, f)| f.is_main && !f.is_test)
            .map(move |(i, _)| (fi as u32, i as u32))
    })
}

/// `main` starts the binary that `f` runs in: the same unit, or a binary (not a test, bench or
/// example) of a package that links the library `f` belongs to: its own, or one depending on it.
/// (The prefilter parses the same `main`s: `prefilter::fixpoint::entries`.)
pub(super) fn runs_in_binary_of(prog: &Program, main: FnRef, f: FnRef) -> bool {
    let unit = |x: FnRef| prog.files[x.0 as usize].crate_name.as_str();
    let package = package_of(unit(f));
    unit(main) == unit(f)
        || (!prog.own_binary(main.0)
            && (prog.same_package(main.0, f.0)
                || prog.files[main.0 as usize]
                    .links
                    .iter()
                    .any(|l| l == package)))
}

/// `f` is a trait's method that no call in the analysed code reaches (its own recursion aside),
/// and it is neither test code nor code that runs in a fork's child.
fn is_orphan(ctx: &Ctx, f: FnRef) -> bool {
    let function = ctx.prog.function(f);
    function.kind == FnKind::Method
        && ctx.prog.files[f.0 as usize].trait_methods.contains(&f.1)
        && !function.is_main
        && !function.is_test
        && !function.is_test_root()
        && !ctx.test_only.contains(&f)
        && !ctx.child_closures.contains_key(&f)
        && !is_python(&ctx.prog.files[f.0 as usize].path)
        && ctx
            .prog
            .callers
            .get(&f)
            .is_none_or(|callers| callers.iter().all(|&c| c == f))
}

/// The threads alive before some call of `main`, or when it returns.
fn threads_of_main(ctx: &Ctx, main: FnRef) -> State {
    let mut walker = Walker::new(ctx, main, Mode::Summary).collecting_threads();
    let summary = walker.run(State::default());
    let mut out = walker.threads_seen();
    for h in summary.alive {
        if h.effect == Effect::StartsThread {
            out.add(h);
        }
    }
    out
}
