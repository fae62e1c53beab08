//! Where a Python file sits: its dotted module name (from the `__init__.py` files above it) and
//! the Python versions its project declares (`requires-python` in `pyproject.toml`, or
//! `.python-version`), which decide multiprocessing's default start method, and whether it
//! depends on a green-thread library (eventlet, gevent), which servers then run on.

use crate::ir::{PYTEST_WATCHDOG, PYTEST_XDIST};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// A file's module: the top-level package (or the module itself) and the rest of the dotted name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub package: String,
    pub module: Vec<String>,
    /// The file is a package's `__init__.py`: relative imports start at the package itself.
    pub is_init: bool,
}

/// The module name of `path`, climbing through folders that hold an `__init__.py`, and through
/// folders without one that sit inside such a package: PEP 420 makes `pkg/scripts/` a namespace
/// package `pkg.scripts` when `pkg` is a regular package, so `pkg/scripts/fix.py` is imported as
/// `pkg.scripts.fix`.
pub fn place(path: &Path) -> Place {
    // A script loaded by path (`app.wsgi`) is no module anyone imports by name: it keeps its
    // extension, so that it never stands for the module `app.py` beside it.
    let name = match path.extension() {
        Some(e) if e != "py" => path.file_name(),
        _ => path.file_stem(),
    };
    let stem = name
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let is_init = stem == "__init__";
    let mut parts = Vec::new();
    if !is_init {
        parts.push(stem.clone());
    }
    let mut dir = path.parent().map(Path::to_path_buf);
    // Packages nest a few levels deep; the bound keeps a pathological tree cheap.
    for _ in 0..32 {
        let Some(d) = dir else { break };
        let name = d.file_name().map(|n| n.to_string_lossy().into_owned());
        match name {
            Some(name) if d.join("__init__.py").is_file() || inside_package(&d) => {
                parts.push(name);
                dir = d.parent().map(Path::to_path_buf);
            }
            _ => break,
        }
    }
    parts.reverse();
    if parts.is_empty() {
        parts.push(stem);
    }
    let package = parts.remove(0);
    Place {
        package,
        module: parts,
        is_init,
    }
}

/// `dir` holds no `__init__.py` but lies, through a few more such folders, inside a regular
/// package: a namespace portion of that package (PEP 420). A folder that only climbs to folders
/// without one is a plain directory on the path, not a package.
fn inside_package(dir: &Path) -> bool {
    dir.ancestors()
        .skip(1)
        .take(4)
        .take_while(|d| d.file_name().is_some())
        .any(|d| d.join("__init__.py").is_file())
}

/// What the project says about multiprocessing's default start method on Linux: fork up to
/// Python 3.13, forkserver from 3.14 (python/cpython#101556).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaultStart {
    /// The declared versions include one that forks by default (the text says which).
    Fork(String),
    /// Every declared version is 3.14 or newer.
    Forkserver,
    /// Nothing declared: fork is assumed (Python 3.13 or older).
    Assumed,
}

/// What the project holding `path` says, found once per folder.
type PerFolder<T> = OnceLock<Mutex<HashMap<PathBuf, T>>>;

fn per_folder<T: Clone>(cache: &PerFolder<T>, path: &Path, find: fn(&Path) -> T) -> T {
    let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let cache = cache.get_or_init(Default::default);
    if let Some(found) = cache.lock().ok().and_then(|c| c.get(&dir).cloned()) {
        return found;
    }
    let found = find(&dir);
    if let Ok(mut c) = cache.lock() {
        c.insert(dir, found.clone());
    }
    found
}

/// The default start method for the project holding `path`.
pub fn default_start(path: &Path) -> DefaultStart {
    static CACHE: PerFolder<DefaultStart> = OnceLock::new();
    per_folder(&CACHE, path, find_declared)
}

/// The project holding `path` lists eventlet or gevent among its requirements: Flask-SocketIO
/// and similar servers then run handlers on green threads, not threads.
pub fn green_threads(path: &Path) -> bool {
    static CACHE: PerFolder<bool> = OnceLock::new();
    per_folder(&CACHE, path, find_green)
}

/// The functions the project installs as commands (`[project.scripts]`,
/// `[tool.poetry.scripts]`, `console_scripts` in `setup.cfg`/`setup.py`), as
/// `(dotted module, function)`: the command imports the module, then calls the function.
pub fn console_scripts(path: &Path) -> Vec<(String, String)> {
    static CACHE: PerFolder<Vec<(String, String)>> = OnceLock::new();
    per_folder(&CACHE, path, find_scripts)
}

fn find_scripts(dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    up_to_root(dir, &mut |d| {
        if let Ok(text) = std::fs::read_to_string(d.join("pyproject.toml")) {
            found.extend(pyproject_scripts(&text));
        }
        for name in ["setup.cfg", "setup.py"] {
            if let Ok(text) = std::fs::read_to_string(d.join(name)) {
                found.extend(entry_point_specs(&text));
            }
        }
        !found.is_empty()
    });
    found
}

fn pyproject_scripts(text: &str) -> Vec<(String, String)> {
    let Ok(value) = toml::from_str::<toml::Value>(text) else {
        return Vec::new();
    };
    let tables = [
        value.get("project").and_then(|p| p.get("scripts")),
        value.get("project").and_then(|p| p.get("gui-scripts")),
        value
            .get("tool")
            .and_then(|t| t.get("poetry"))
            .and_then(|p| p.get("scripts")),
    ];
    tables
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_table())
        .flat_map(|t| t.values())
        // Poetry also takes `{ callable = "module:function" }`.
        .filter_map(|v| v.as_str().or_else(|| v.get("callable")?.as_str()))
        .filter_map(script_target)
        .collect()
}

/// `name = pkg.cli:main` items anywhere in a `setup.cfg` or `setup.py` (their entry points).
fn entry_point_specs(text: &str) -> Vec<(String, String)> {
    text.split(['\n', ',', '[', ']', '"', '\''])
        .filter_map(|item| item.split_once('='))
        .filter(|(name, _)| {
            let name = name.trim();
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
        .filter_map(|(_, target)| script_target(target))
        .collect()
}

/// `pkg.cli:main` (an extra in brackets after it is ignored).
fn script_target(spec: &str) -> Option<(String, String)> {
    let spec = spec.split('[').next()?.trim();
    let (module, function) = spec.split_once(':')?;
    let ident = |s: &str, dots: bool| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_alphanumeric() || c == '_' || (dots && c == '.'))
    };
    (ident(module, true) && ident(function, false))
        .then(|| (module.to_string(), function.to_string()))
}

/// Files that list a project's dependencies.
const REQUIREMENT_FILES: &[&str] = &[
    "requirements.txt",
    "requirements.in",
    "setup.py",
    "setup.cfg",
    "pyproject.toml",
    "Pipfile",
];

fn find_green(dir: &Path) -> bool {
    requires(dir, &["eventlet", "gevent"])
}

/// The threads pytest runs beside every test of the project holding `path`, as catalogue
/// paths: the faulthandler watchdog when the project configures `faulthandler_timeout`
/// (`pytest.ini`, `tox.ini`, `setup.cfg`, `pyproject.toml`: pytest arms
/// `faulthandler.dump_traceback_later` around every test, and CPython runs that timer on a
/// thread of its own), and execnet's receiver thread when its tests run under pytest-xdist
/// (`-n` in `addopts`, or on a pytest command line of tox or a CI workflow): each xdist worker
/// is an execnet worker gateway, which reads its channel on a receiver thread while the tests
/// run on the main thread.
pub fn pytest_threads(path: &Path) -> Vec<&'static str> {
    static CACHE: PerFolder<Vec<&'static str>> = OnceLock::new();
    per_folder(&CACHE, path, find_test_threads)
}

const PYTEST_CONFIGS: [&str; 4] = ["pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml"];

fn find_test_threads(dir: &Path) -> Vec<&'static str> {
    let (mut watchdog, mut xdist) = (false, false);
    up_to_root(dir, &mut |d| {
        let mut texts: Vec<String> = PYTEST_CONFIGS
            .iter()
            .filter_map(|name| std::fs::read_to_string(d.join(name)).ok())
            .collect();
        if let Ok(entries) = std::fs::read_dir(d.join(".github").join("workflows")) {
            texts.extend(
                entries
                    .flatten()
                    .filter(|e| {
                        let name = e.file_name();
                        let name = name.to_string_lossy();
                        name.ends_with(".yml") || name.ends_with(".yaml")
                    })
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok()),
            );
        }
        for text in &texts {
            watchdog |= text.lines().any(arms_watchdog);
            xdist |= runs_xdist(text);
        }
        watchdog && xdist
    });
    let mut found = Vec::new();
    if watchdog {
        found.push(PYTEST_WATCHDOG);
    }
    if xdist {
        found.push(PYTEST_XDIST);
    }
    found
}

/// A pytest command line (`pytest -n auto`, `python -m pytest -n4`) or an `addopts` value (and
/// its continuation lines) that asks pytest-xdist for workers: `-n`/`--numprocesses` with a
/// value other than 0.
fn runs_xdist(text: &str) -> bool {
    let mut in_addopts = false;
    for line in text.lines() {
        let continued = line.starts_with([' ', '\t']) && !line.trim().is_empty();
        let key = line.split_once('=').map(|(k, _)| k.trim());
        if key == Some("addopts") {
            in_addopts = true;
        } else if !continued {
            in_addopts = false;
        }
        let pytest_line = in_addopts || line.contains("pytest") || line.contains("py.test");
        if pytest_line && asks_for_workers(line) {
            return true;
        }
    }
    false
}

fn asks_for_workers(line: &str) -> bool {
    let words: Vec<&str> = line
        .split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '[' | ']'))
        .filter(|w| !w.is_empty())
        .collect();
    let workers = |v: &str| !v.is_empty() && v != "0";
    words.iter().enumerate().any(|(i, w)| {
        let next = words.get(i + 1).copied().unwrap_or("");
        match *w {
            "-n" | "--numprocesses" => workers(next),
            _ => {
                let joined = w
                    .strip_prefix("--numprocesses=")
                    .or_else(|| w.strip_prefix("-n="))
                    .or_else(|| {
                        w.strip_prefix("-n")
                            .filter(|v| *v == "auto" || *v == "logical" || v.parse::<u32>().is_ok())
                    });
                joined.is_some_and(workers)
            }
        }
    })
}

/// `faulthandler_timeout = 30` (or `"30"` in TOML) with a timeout above zero.
fn arms_watchdog(line: &str) -> bool {
    let Some((key, value)) = line.split_once('=') else {
        return false;
    };
    key.trim() == "faulthandler_timeout"
        && value
            .trim()
            .trim_matches(|c| c == '"' || c == '\'')
            .parse::<f64>()
            .is_ok_and(|t| t > 0.0)
}

/// The project holding `path` lists RQ among its requirements: a settings module of its own
/// may be the one its workers are started with (`rq worker -c`).
pub fn uses_rq(path: &Path) -> bool {
    static CACHE: PerFolder<bool> = OnceLock::new();
    per_folder(&CACHE, path, |dir| requires(dir, &["rq"]))
}

/// One of `names` appears as a word in a requirements file of the project around `dir`.
fn requires(dir: &Path, names: &[&str]) -> bool {
    let mut found = false;
    up_to_root(dir, &mut |d| {
        found = REQUIREMENT_FILES.iter().any(|name| {
            std::fs::read_to_string(d.join(name)).is_ok_and(|text| {
                text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                    .any(|word| names.contains(&word))
            })
        });
        found
    });
    found
}

/// Calls `visit` on `dir` and each folder above it up to the repository's root, until it
/// returns true.
fn up_to_root(dir: &Path, visit: &mut dyn FnMut(&Path) -> bool) {
    let mut here = Some(dir.to_path_buf());
    for _ in 0..64 {
        let Some(d) = here else { break };
        let d = if d.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            d
        };
        if visit(&d) {
            return;
        }
        // The repository's root ends the search: nothing above it belongs to the project.
        if d.join(".git").exists() {
            break;
        }
        here = d
            .canonicalize()
            .ok()
            .and_then(|c| c.parent().map(Path::to_path_buf));
    }
}

fn find_declared(dir: &Path) -> DefaultStart {
    let mut found = DefaultStart::Assumed;
    up_to_root(dir, &mut |d| {
        if let Ok(text) = std::fs::read_to_string(d.join(".python-version")) {
            if let Some(v) = text.lines().map(str::trim).find(|l| !l.is_empty()) {
                found = from_version(v);
                return true;
            }
        }
        if let Ok(text) = std::fs::read_to_string(d.join("pyproject.toml")) {
            if let Some(spec) = requires_python(&text) {
                found = from_spec(&spec);
                return true;
            }
        }
        false
    });
    found
}

fn requires_python(text: &str) -> Option<String> {
    let value: toml::Value = toml::from_str(text).ok()?;
    value
        .get("project")?
        .get("requires-python")?
        .as_str()
        .map(str::to_string)
}

/// `3.12`, `3.14.1`, `cpython-3.11`: a single version.
fn from_version(text: &str) -> DefaultStart {
    match minor(text) {
        Some(m) if m >= 14 => DefaultStart::Forkserver,
        Some(_) => DefaultStart::Fork(format!(".python-version says {}", text.trim())),
        None => DefaultStart::Assumed,
    }
}

/// A specifier set such as `>=3.9,<4`: the lowest version it admits decides.
fn from_spec(spec: &str) -> DefaultStart {
    let lowest = spec
        .split(',')
        .filter_map(|clause| {
            let clause = clause.trim();
            let version = ["~=", ">=", "==", ">"]
                .iter()
                .find_map(|op| clause.strip_prefix(op))?;
            minor(version)
        })
        .min();
    match lowest {
        Some(m) if m >= 14 => DefaultStart::Forkserver,
        _ => DefaultStart::Fork(format!("requires-python = \"{spec}\"")),
    }
}

/// The minor version of a `3.N` version text.
fn minor(text: &str) -> Option<u32> {
    let text = text
        .trim()
        .trim_start_matches(|c: char| !c.is_ascii_digit());
    let mut parts = text.split('.');
    if parts.next()?.trim() != "3" {
        return None;
    }
    parts.next()?.trim_end_matches('*').trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xdist_workers_are_read_from_command_lines_and_addopts() {
        assert!(runs_xdist(
            "[testenv]\ncommands = pytest -vv -n auto {posargs}\n"
        ));
        assert!(runs_xdist(
            "[pytest]\naddopts =\n    --strict-markers\n    -n4\n"
        ));
        assert!(runs_xdist(
            "[tool.pytest.ini_options]\naddopts = [\"-n\", \"auto\"]\n"
        ));
        assert!(runs_xdist(
            "      - run: python -m pytest --numprocesses=2 tests\n"
        ));
        assert!(!runs_xdist("[testenv]\ncommands = pytest -n 0\n"));
        assert!(!runs_xdist(
            "[pytest]\naddopts = -ra\nmarkers =\n    slow: -n 2 is slow\n"
        ));
        assert!(!runs_xdist("[testenv]\ncommands = sort -n data.txt\n"));
    }

    #[test]
    fn versions_decide_the_default_start_method() {
        assert_eq!(from_spec(">=3.14"), DefaultStart::Forkserver);
        assert!(matches!(from_spec(">=3.9,<4"), DefaultStart::Fork(_)));
        assert!(matches!(from_spec("<3.15"), DefaultStart::Fork(_)));
        assert_eq!(from_version("3.14.0"), DefaultStart::Forkserver);
        assert!(matches!(from_version("3.12"), DefaultStart::Fork(_)));
        assert_eq!(from_version("pypy"), DefaultStart::Assumed);
    }

    #[test]
    fn console_scripts_name_module_and_function() {
        let toml = "[project.scripts]\nshop = \"shop.cli:main\"\n[tool.poetry.scripts]\nadm = { callable = \"shop.admin:run\" }\n";
        assert_eq!(
            pyproject_scripts(toml),
            [
                ("shop.cli".to_string(), "main".to_string()),
                ("shop.admin".to_string(), "run".to_string())
            ]
        );
        let setup = "entry_points={'console_scripts': ['shop = shop.cli:main', 'x=y']},\n";
        assert_eq!(
            entry_point_specs(setup),
            [("shop.cli".to_string(), "main".to_string())]
        );
        let cfg = "[options.entry_points]\nconsole_scripts =\n    shop = shop.cli:main [extra]\n";
        assert_eq!(
            entry_point_specs(cfg),
            [("shop.cli".to_string(), "main".to_string())]
        );
    }
}
