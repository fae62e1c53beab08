//! How far libtest's threads reach. A `#[test]` runs on a worker thread with others alive, so a
//! fork in the test, in test code it calls, or in the program's function the test calls forks a
//! multithreaded process. Further down, the test's values decide which paths run, and the
//! analysis cannot tell them apart (a unit test that expands a plain word is not the one that
//! reaches the command-substitution arm that forks): the harness's threads are passed only by
//! test code, and into a function's own closures.

use super::program::{FnRef, Program};
use super::state::State;
use crate::ir::FnKind;
use std::collections::HashSet;

/// The labels of the hazards a test implies: libtest's threads, and the threads pytest runs
/// beside a test (its faulthandler watchdog, pytest-xdist's receiver). A test may replace the
/// program's functions it calls (`monkeypatch.setattr(module, "Manager", FakeManager)`), so
/// the runner's threads, too, are carried only through test code.
pub fn labels<'c>(prog: &Program<'c>) -> Vec<&'c str> {
    let catalog = prog.catalog;
    crate::ir::TEST_RUNNERS
        .iter()
        .flat_map(|path| catalog.by_path(path))
        .map(|i| catalog.apis[i].label.as_str())
        .collect()
}

/// Drops libtest's threads from the entry `caller` pushes into `callee`, unless test code makes
/// the call or the callee is test code or one of the caller's closures.
pub fn narrow(
    prog: &Program,
    test_only: &HashSet<FnRef>,
    labels: &[&str],
    caller: FnRef,
    callee: FnRef,
    entry: &mut State,
) {
    let test_code = |f: FnRef| {
        prog.function(f).is_test
            || test_only.contains(&f)
            || prog.files[f.0 as usize].crate_name.contains("#tests/")
    };
    if prog.function(callee).kind == FnKind::Closure {
        return;
    }
    // A Python test reaches the program through functions it may have replaced
    // (`monkeypatch.setattr(module, "Manager", FakeManager)`): pytest's threads go into the
    // tests' own modules and helpers only.
    let callee_path = &prog.files[callee.0 as usize].path;
    if super::program::is_python(callee_path) {
        if python_test_code(callee_path) {
            return;
        }
    } else if test_code(caller) || test_code(callee) {
        return;
    }
    entry.remove_where(|h| labels.contains(&h.label.as_ref()));
}

/// A Python test module or a helper module of the tests.
fn python_test_code(path: &str) -> bool {
    super::program::is_python(path)
        && crate::frontend::python::is_test_code(std::path::Path::new(path))
}
