//! A library's entry points: public functions (and trait methods no `main` of the tree runs)
//! that no call in the analysed code reaches, whose callers are outside it. Nothing says what
//! threads those callers have, and unknown is not safe: each entry point starts with one hazard
//! that stands for them. It is a warning's cause where the rule's condition is "while the parent
//! may be multithreaded" (code between fork and exec), and no cause at all where the rule needs
//! threads known to be alive (a child that goes on, FL001).
//!
//! Python has no `pub`: a module's API is its names without a leading underscore, and every
//! module is importable. What its callers surely ran first is the module's import: what the
//! module's top-level code (and the imports it makes) left alive is known, and is a cause like
//! any other. The callers' own threads are left out there: a Python child goes on running the
//! interpreter, which is FL001's case, where unknown threads are no cause.

use super::orphans;
use super::program::{is_python, FnRef};
use super::state::{Hazard, State, Step};
use super::walk::{Ctx, Mode, Walker};
use crate::catalog::Effect;
use crate::diagnostic::Severity;
use crate::ir::FnKind;

/// The label of the hazard that stands for the callers' threads.
pub const CALLERS_THREADS: &str = "threads of callers outside the analysed code";

/// The hazard stands for the threads of callers outside the analysed code.
pub fn is_outside(h: &Hazard) -> bool {
    h.effect == Effect::StartsThread && h.label.as_ref() == CALLERS_THREADS
}

/// What a finding says of that hazard, at the entry point it came in through.
pub fn cause(h: &Hazard) -> String {
    format!(
        "{} is a library entry point: its callers are outside the analysed code and may have threads running",
        h.site.text
    )
}

/// Entry states for the library entry points among `relevant`.
pub fn seeds(ctx: &Ctx, relevant: &[FnRef]) -> Vec<(FnRef, State)> {
    relevant
        .iter()
        .copied()
        .filter(|&f| is_entry_point(ctx, f))
        .map(|f| {
            let function = ctx.prog.function(f);
            let name = function
                .path
                .strip_prefix("self::")
                .unwrap_or(&function.path);
            if is_python(&ctx.prog.files[f.0 as usize].path) {
                return (f, Walker::new(ctx, f, Mode::Summary).after_import());
            }
            let mut state = State::default();
            let site = Step {
                file: f.0,
                span: function.span,
                text: format!("`{name}`").into(),
            };
            state.add(Hazard {
                severity: Some(Severity::Warning),
                ..Hazard::unbound(Effect::StartsThread, site, CALLERS_THREADS)
            });
            (f, state)
        })
        .collect()
}

/// `f` belongs to a library, code outside the tree may call it, and no call inside reaches it
/// (its own recursion aside). A trait's method that some `main` of the tree may run gets that
/// `main`'s threads instead (`orphans`). Test code and fork-child code are not entry points.
fn is_entry_point(ctx: &Ctx, f: FnRef) -> bool {
    let prog = ctx.prog;
    let file = &prog.files[f.0 as usize];
    let function = prog.function(f);
    let python = is_python(&file.path);
    let callable = match function.kind {
        FnKind::Free | FnKind::Method if python => python_api(&function.path),
        FnKind::Free => function.public,
        FnKind::Method if file.trait_methods.contains(&f.1) => {
            !orphans::entry_points(prog).any(|m| orphans::runs_in_binary_of(prog, m, f))
        }
        FnKind::Method => function.public,
        _ => false,
    };
    callable
        && (file.library || python)
        && !prog.own_binary(f.0)
        && !function.is_main
        && !function.is_test
        && !function.is_test_root()
        && !ctx.test_only.contains(&f)
        && !ctx.child_closures.contains_key(&f)
        && prog
            .callers
            .get(&f)
            .is_none_or(|callers| callers.iter().all(|&c| c == f))
}

/// A Python function or method whose name is the module's API: no leading underscore (a
/// dunder method is called by Python itself on objects made outside), and no name of the
/// frontend's own (`<module>`, `<main>`).
fn python_api(path: &str) -> bool {
    let name = path.rsplit("::").next().unwrap_or(path);
    let dunder = name.len() > 4 && name.starts_with("__") && name.ends_with("__");
    !name.starts_with('<') && (dunder || !name.starts_with('_'))
}

#[cfg(test)]
mod tests {
    use super::python_api;

    #[test]
    fn python_api_is_names_without_a_leading_underscore() {
        assert!(python_api("self::run_job"));
        assert!(python_api("self::Runner::detach"));
        assert!(python_api("self::Runner::__call__"));
        assert!(!python_api("self::_fork_worker"));
        assert!(!python_api("self::Runner::_spawn"));
        assert!(!python_api("self::Runner::__spawn"));
        assert!(!python_api("self::<module>"));
        assert!(!python_api("self::<entry>"));
    }
}
