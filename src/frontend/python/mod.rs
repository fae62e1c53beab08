//! The Python frontend: parses a file with `ruff_python_parser` and lowers it to the IR. No ruff
//! type leaves it.

mod argv;
pub mod commands;
pub mod encoding;
mod generator;
pub mod lex;
mod lightning;
pub mod link;
mod local_imports;
mod lower;
mod oneshot;
mod options;
mod platform;
pub mod project;
mod recover;
mod rpc;
mod schedulers;
pub mod servers;
mod star_imports;
mod start_method;
mod syspath;
pub mod workers;

use crate::ir::{FileIr, Recovered};
use ruff_python_ast::PySourceType;
use ruff_text_size::TextRange;
use std::path::Path;

pub use lower::{DISCARDED_VAR, MAIN_FN, MODULE_FN, RETURNED};

/// Parses and lowers one file, placing it by the packages around it and reading its project's
/// Python version for multiprocessing's default start method.
pub fn lower(path: &Path, text: &str) -> Result<FileIr, String> {
    if path.extension().is_none_or(|e| e != "py") && commands::is_command_file(path) {
        return Ok(commands::lower(path, text));
    }
    if servers::is_uwsgi_ini(path) {
        let mut ir = FileIr {
            path: path.display().to_string(),
            crate_name: "<uwsgi>".to_string(),
            ..Default::default()
        };
        let mut next_call = 0;
        if let Some(prefork) = servers::uwsgi(path, text) {
            servers::add(&mut ir, prefork, &mut next_call);
        }
        if let Some(worker) = servers::uwsgi_ini_worker(path, text) {
            servers::add_worker(&mut ir, worker, &mut next_call);
        }
        return Ok(ir);
    }
    let place = project::place(path);
    let default = project::default_start(path);
    let green = project::green_threads(path);
    let rq = project::uses_rq(path);
    let test_threads = if is_test_module(path) {
        project::pytest_threads(path)
    } else {
        Vec::new()
    };
    let dotted = std::iter::once(place.package.as_str())
        .chain(place.module.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(".");
    let scripts = project::console_scripts(path)
        .into_iter()
        .filter(|(module, _)| *module == dotted)
        .map(|(_, function)| function)
        .collect();
    lower_with_scripts(
        &path.display().to_string(),
        text,
        &place,
        &default,
        green,
        (scripts, rq, test_threads),
    )
}

/// Test code of a Python project: a module pytest collects tests from, a `conftest.py`, or a
/// module under a `tests`/`test` folder (helpers the tests import).
pub fn is_test_code(path: &Path) -> bool {
    is_test_module(path)
        || path.file_stem().is_some_and(|s| s == "conftest")
        || path.parent().is_some_and(|d| {
            d.components()
                .any(|c| matches!(c.as_os_str().to_str(), Some("tests" | "test")))
        })
}

/// A module pytest collects tests from by default: `test_*.py` or `*_test.py`.
fn is_test_module(path: &Path) -> bool {
    path.file_stem()
        .and_then(|s| s.to_str())
        .is_some_and(|s| s.starts_with("test_") || s.ends_with("_test"))
}

/// Parses and lowers text placed at `place`.
pub fn lower_source(
    display_path: &str,
    text: &str,
    place: &project::Place,
    default: &project::DefaultStart,
    green_threads: bool,
) -> Result<FileIr, String> {
    lower_with_scripts(
        display_path,
        text,
        place,
        default,
        green_threads,
        (Vec::new(), false, Vec::new()),
    )
}

/// As `lower_source`, with the module's functions that the project installs as commands, and
/// whether the project depends on RQ.
fn lower_with_scripts(
    display_path: &str,
    text: &str,
    place: &project::Place,
    default: &project::DefaultStart,
    green_threads: bool,
    (scripts, rq, test_threads): (Vec<String>, bool, Vec<&'static str>),
) -> Result<FileIr, String> {
    // The same size and bracket-depth limits as Rust files: the syntax tree and the walks over
    // it are recursive.
    crate::frontend::rust::precheck(text)?;
    let parsed = ruff_python_parser::parse_unchecked_source(text, PySourceType::Python);
    let errors: Vec<(String, TextRange)> = parsed
        .errors()
        .iter()
        .map(|e| (e.error.to_string(), e.location))
        .collect();
    let mut module = parsed.into_syntax();
    let recovered = if errors.is_empty() {
        None
    } else {
        let lines = recover::Lines::new(text);
        let ranges: Vec<TextRange> = errors.iter().map(|(_, r)| *r).collect();
        recover::prune(&mut module.body, &ranges, &lines);
        let (message, line, column) = recover::describe(text, &lines, &errors);
        Some(Recovered {
            message,
            line,
            column,
        })
    };
    let ir = FileIr {
        path: display_path.to_string(),
        crate_name: place.package.clone(),
        module: place.module.clone(),
        recovered,
        ..Default::default()
    };
    // Relative imports start at the file's package: the module path without its own name,
    // unless the file is the package's `__init__.py`.
    let mut package: Vec<String> = std::iter::once(place.package.clone())
        .chain(place.module.iter().cloned())
        .collect();
    if !place.is_init {
        package.pop();
    }
    let mut lowerer = lower::Lowerer::new(text, ir, package, default);
    lowerer.green_threads = green_threads;
    lowerer.scripts = scripts;
    lowerer.rq = rq;
    lowerer.test_threads = test_threads;
    lowerer.lower_module(&module.body);
    Ok(lowerer.ir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Callee, Node};

    fn lower(text: &str) -> FileIr {
        let place = project::Place {
            package: "app".into(),
            module: vec!["jobs".into()],
            is_init: false,
        };
        lower_source(
            "app/jobs.py",
            text,
            &place,
            &project::DefaultStart::Assumed,
            false,
        )
        .unwrap()
    }

    fn paths(ir: &FileIr, f: &str) -> Vec<String> {
        let mut out = Vec::new();
        let func = ir.functions.iter().find(|x| x.path == f).unwrap();
        crate::analysis::program::for_each_call(&func.body, &mut |c| {
            if let Callee::Path(p) = &c.callee {
                out.extend(p.first().cloned());
            }
            if let Callee::Method { name, ty } = &c.callee {
                out.push(format!("{}.{name}", ty.clone().unwrap_or_default()));
            }
        });
        out
    }

    #[test]
    fn imports_resolve_to_paths() {
        let ir = lower("import os.path as p\nfrom . import db\nfrom .db import client as c\nimport multiprocessing as mp\np.join('a')\nc.close()\ndb.connect()\n");
        let calls = paths(&ir, "self::<module>");
        assert!(calls.contains(&"os::path::join".to_string()), "{calls:?}");
        assert!(calls.contains(&"app::db::connect".to_string()), "{calls:?}");
        assert!(
            calls.contains(&"app::db::<module>".to_string()),
            "{calls:?}"
        );
    }

    #[test]
    fn start_methods_are_folded_into_paths() {
        let ir = lower("import multiprocessing\nctx = multiprocessing.get_context('spawn')\nctx.Pool(2)\nmultiprocessing.Process(target=print).start()\nfrom concurrent.futures import ProcessPoolExecutor\nProcessPoolExecutor(mp_context=multiprocessing.get_context('fork'))\n");
        let calls = paths(&ir, "self::<module>");
        assert!(
            calls.contains(&"multiprocessing::Pool@spawn".to_string()),
            "{calls:?}"
        );
        assert!(
            calls.contains(&"multiprocessing::Process@assumed.start".to_string()),
            "{calls:?}"
        );
        assert!(
            calls.contains(&"concurrent::futures::ProcessPoolExecutor@fork".to_string()),
            "{calls:?}"
        );
    }

    #[test]
    fn main_guard_is_the_entry_point_and_fork_tests_are_seen() {
        let ir = lower("import os\ndef main():\n    pid = os.fork()\n    if pid == 0:\n        os._exit(0)\nif __name__ == '__main__':\n    main()\n");
        let main = ir
            .functions
            .iter()
            .find(|f| f.path == "self::<main>")
            .unwrap();
        assert!(main.is_main);
        // A guard inside an `and` is still the entry point: importers do not run its body.
        let guarded = lower("import pty\nif sys.platform != 'win32' and __name__ == '__main__':\n    pty.spawn(['sh'])\n");
        assert!(!paths(&guarded, "self::<module>").contains(&"pty::spawn".to_string()));
        assert!(paths(&guarded, "self::<main>").contains(&"pty::spawn".to_string()));
        // A second guard further down is the entry point too, not import-time code.
        let twice = lower("import os\nif __name__ == '__main__':\n    import sys\ndef run():\n    os.fork()\nif __name__ == '__main__':\n    run()\n");
        assert!(!paths(&twice, "self::<module>").contains(&"self::run".to_string()));
        assert!(paths(&twice, "self::<main>").contains(&"self::run".to_string()));
        let f = ir
            .functions
            .iter()
            .find(|f| f.path == "self::main")
            .unwrap();
        let branch = f.body.nodes.iter().find_map(|n| match n {
            Node::Branch(b) => Some(b),
            _ => None,
        });
        let test = branch.unwrap().arms[0].test.clone().unwrap();
        assert_eq!(test.side, crate::ir::Side::Child);
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let place = project::place(Path::new("deep.py"));
        let text = format!("x = {}1{}\n", "(".repeat(5000), ")".repeat(5000));
        let err = lower_source(
            "deep.py",
            &text,
            &place,
            &project::DefaultStart::Assumed,
            false,
        )
        .unwrap_err();
        assert!(err.contains("nesting"), "{err}");
    }

    #[test]
    fn syntax_errors_name_the_place_and_the_rest_is_lowered() {
        let place = project::place(Path::new("x.py"));
        let ir = lower_source(
            "x.py",
            "import os\ndef f(:\n    pass\nos.fork()\n",
            &place,
            &project::DefaultStart::Assumed,
            false,
        )
        .unwrap();
        let recovered = ir.recovered.clone().unwrap();
        assert_eq!((recovered.line, recovered.column), (2, 7), "{recovered:?}");
        assert!(paths(&ir, "self::<module>").contains(&"os::fork".to_string()));
        assert!(!ir.functions.iter().any(|f| f.path.ends_with("::f")));
    }
}
