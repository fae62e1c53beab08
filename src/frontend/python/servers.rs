//! Prefork servers: configuration that makes a server import the application in its master
//! process and then fork the workers from it. Each becomes a function `<prefork>` that imports
//! the application module (its top-level code runs) and then reaches the server's fork, placed at
//! the configuration line that causes it: gunicorn's `preload_app = True` (a `gunicorn*.py`
//! configuration naming its `wsgi_app`), and uWSGI settings without `lazy-apps` (an `.ini` file
//! here, a command line in `commands`).

use crate::ir::{Block, Call, Callee, FileIr, FnKind, Node, Span};
use std::path::Path;

/// The function a prefork configuration becomes.
pub const PREFORK_FN: &str = "<prefork>";

/// A loaded application and the server's fork after it.
pub struct Prefork {
    /// The modules imported before the fork (the application's), as `::` paths, in order.
    pub modules: Vec<(String, Span)>,
    /// The application factory the server calls after the imports (gunicorn's
    /// `module:create_app()`), as a `::` path.
    pub factory: Option<(String, Span)>,
    /// The catalogue path of the server's fork.
    pub fork: &'static str,
    pub fork_span: Span,
}

pub fn line_span(line: u32, text: &str) -> Span {
    Span {
        line,
        col: 1,
        end_line: line,
        end_col: text.chars().count() as u32 + 1,
    }
}

/// `pkg.wsgi:create_app()` → `pkg::wsgi::create_app`: gunicorn imports the name from the
/// module and calls it to get the application (gunicorn docs, "Running Gunicorn": the variable
/// name can also be a function call).
pub fn app_factory(spec: &str) -> Option<String> {
    let spec = spec.trim().trim_matches(|c| c == '"' || c == '\'');
    let (_, call) = spec.split_once(':')?;
    let (name, _) = call.trim().split_once('(')?;
    let ok = !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    let module = app_module(spec).filter(|_| ok)?;
    Some(format!("{module}::{name}"))
}

/// `pkg.wsgi:application` → `pkg::wsgi`.
pub fn app_module(spec: &str) -> Option<String> {
    let module = spec.trim().trim_matches(|c| c == '"' || c == '\'');
    let module = module.split(':').next()?.trim();
    let ok = !module.is_empty()
        && module
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.');
    ok.then(|| module.replace('.', "::"))
}

/// The start of every server fork's path; the server's name follows (`gunicorn`, `uwsgi`,
/// `celery`, `rq`).
pub const PREFORK_PREFIX: &str = "forklint::python::prefork@";

/// Adds a `<prefork>` function to a file's IR (`<prefork#2>`, ... when a file starts several).
pub fn add(ir: &mut FileIr, prefork: Prefork, next_call: &mut u32) {
    let mut call = |callee: String, span: Span| {
        let c = Call::new(*next_call, Callee::Path(vec![callee]), span);
        *next_call += 1;
        Node::Call(c)
    };
    let mut nodes: Vec<Node> = prefork
        .modules
        .iter()
        .map(|(module, span)| call(format!("{module}::{}", super::MODULE_FN), *span))
        .collect();
    if let Some((factory, span)) = &prefork.factory {
        nodes.push(call(factory.clone(), *span));
    }
    nodes.push(call(prefork.fork.to_string(), prefork.fork_span));
    let body = Block {
        nodes,
        locals: Vec::new(),
    };
    let base = format!("self::{PREFORK_FN}");
    let earlier = ir
        .functions
        .iter()
        .filter(|f| f.path.starts_with(base.trim_end_matches('>')))
        .count();
    let path = match earlier {
        0 => base,
        n => format!("self::<prefork#{}>", n + 1),
    };
    ir.functions.push(super::lower::function(
        path,
        FnKind::Free,
        prefork.fork_span,
        body,
    ));
}

/// A gunicorn configuration file (`gunicorn.conf.py`, `gunicorn_config.py`, ...).
pub fn is_gunicorn_config(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("gunicorn") && n.ends_with(".py"))
}

/// gunicorn: `preload_app = True` with `wsgi_app = "module:app"`, both at the top level.
pub fn gunicorn(settings: &[(String, String, Span)]) -> Option<Prefork> {
    let get = |key: &str| settings.iter().rev().find(|(k, _, _)| k == key);
    let (_, preload, fork_span) = get("preload_app")?;
    if preload != "True" {
        return None;
    }
    let (_, app, module_span) = get("wsgi_app")?;
    Some(Prefork {
        modules: vec![(app_module(app)?, *module_span)],
        factory: app_factory(app).map(|f| (f, *module_span)),
        fork: "forklint::python::prefork@gunicorn",
        fork_span: *fork_span,
    })
}

/// A uWSGI configuration: an `.ini` file with `uwsgi` in its path (`uwsgi.ini`,
/// `deploy/uwsgi/prod.ini`); its `[uwsgi]` section is read.
pub fn is_uwsgi_ini(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "ini")
        && path
            .to_string_lossy()
            .to_ascii_lowercase()
            .contains("uwsgi")
}

/// uWSGI: the app named by `module`/`wsgi`/`wsgi-file` is loaded in the master before the workers
/// are forked, unless `lazy-apps` (or `lazy`) is on; only with a master or several workers. The
/// `[uwsgi]` section of an ini file is read here.
pub fn uwsgi(path: &Path, text: &str) -> Option<Prefork> {
    let mut in_section = false;
    let mut settings = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with('[') {
            in_section = line == "[uwsgi]";
            continue;
        }
        if !in_section || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            let span = line_span(i as u32 + 1, raw);
            settings.push((key.trim().to_string(), value.trim().to_string(), span));
        }
    }
    uwsgi_settings(path.parent().unwrap_or(Path::new("")), &settings)
}

/// The uWSGI decision over `(option, value, place)` settings, from a file or a command line;
/// `wsgi-file` paths are relative to `dir`.
pub fn uwsgi_settings(dir: &Path, settings: &[(String, String, Span)]) -> Option<Prefork> {
    let mut app = None;
    let mut lazy = false;
    let mut forks = None;
    for (key, value, span) in settings {
        let key = key.replace('_', "-");
        let on = matches!(
            value.to_ascii_lowercase().as_str(),
            "true" | "1" | "yes" | "on"
        );
        match key.as_str() {
            "module" | "wsgi" => app = app_module(value).map(|m| (m, *span)),
            "wsgi-file" | "file" => app = Some((file_module(dir, value), *span)),
            // `mount = /prefix=app`: the app is a module (`pkg.wsgi:app`) or a file
            // (uwsgi-docs Options.rst, mount: "load application under mountpoint").
            "mount" => {
                let spec = value.split_once('=').map_or(value.as_str(), |(_, a)| a);
                app = match spec.ends_with(".py") || spec.contains('/') {
                    true => Some((file_module(dir, spec), *span)),
                    false => app_module(spec).map(|m| (m, *span)),
                }
                .or(app);
            }
            "lazy-apps" | "lazy" => lazy |= on,
            "master" if on => forks = forks.or(Some(*span)),
            "processes" | "workers" if value.parse::<u32>().is_ok_and(|n| n > 1) => {
                forks = Some(*span)
            }
            _ => {}
        }
    }
    if lazy {
        return None;
    }
    Some(Prefork {
        modules: vec![app?],
        factory: None,
        fork: "forklint::python::prefork@uwsgi",
        fork_span: forks?,
    })
}

/// The module a Python file given by path is, as a `::` path. uWSGI reads the path from its
/// working directory (`chdir`), which is seldom the configuration's folder: the path is looked
/// up from `dir` and then each folder above it, and the first that holds the file is taken.
fn file_module(dir: &Path, file: &str) -> String {
    let found = dir
        .ancestors()
        .map(|d| d.join(file))
        .find(|p| p.is_file())
        .unwrap_or_else(|| dir.join(file));
    let place = super::project::place(&found);
    std::iter::once(place.package)
        .chain(place.module)
        .collect::<Vec<_>>()
        .join("::")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uwsgi_without_lazy_apps_preforks() {
        let ini = "[uwsgi]\nmodule = shop.wsgi:application\nmaster = true\nprocesses = 4\n";
        let p = uwsgi(Path::new("deploy/uwsgi.ini"), ini).unwrap();
        assert_eq!(p.modules[0].0, "shop::wsgi");
        assert_eq!(p.fork_span.line, 4);
        assert!(uwsgi(Path::new("u.ini"), &format!("{ini}lazy-apps = true\n")).is_none());
        assert!(uwsgi(Path::new("u.ini"), "[other]\nmodule = a:b\nmaster = true\n").is_none());
        let mounted = "[uwsgi]\nmaster = true\nmount = /shop=shop.wsgi:app\n";
        let p = uwsgi(Path::new("u.ini"), mounted).unwrap();
        assert_eq!(p.modules[0].0, "shop::wsgi");
        // A file is placed as `wsgi-file` places it (by the packages around it on disk).
        let module = |ini: &str| uwsgi(Path::new("u.ini"), ini).unwrap().modules[0].0.clone();
        assert_eq!(
            module("[uwsgi]\nmaster = 1\nmount = /=blog/wsgi.py\n"),
            module("[uwsgi]\nmaster = 1\nwsgi-file = blog/wsgi.py\n")
        );
    }

    #[test]
    fn gunicorn_preload_needs_the_app() {
        let s = |k: &str, v: &str, line| (k.to_string(), v.to_string(), line_span(line, "x"));
        let p = gunicorn(&[
            s("wsgi_app", "\"shop.wsgi:app\"", 1),
            s("preload_app", "True", 2),
        ]);
        assert_eq!(p.unwrap().modules[0].0, "shop::wsgi");
        assert!(gunicorn(&[s("wsgi_app", "\"a:b\"", 1), s("preload_app", "False", 2)]).is_none());
    }

    #[test]
    fn a_factory_is_called_only_when_the_spec_calls_it() {
        assert_eq!(
            app_factory("'shop.web:create_app()'").as_deref(),
            Some("shop::web::create_app")
        );
        assert_eq!(
            app_factory("shop:make(\"prod\")").as_deref(),
            Some("shop::make")
        );
        assert_eq!(app_factory("shop.web:app"), None);
        assert_eq!(app_factory("shop.web"), None);
    }
}
