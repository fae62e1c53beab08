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
    /// Functions the server calls after that, before the fork (gunicorn's master hooks), as
    /// `::` paths.
    pub hooks: Vec<(String, Span)>,
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

/// The value of a setting a configuration file computes (`threads = 2 * cpu_count() + 1`):
/// known to be set, not to what.
pub const COMPUTED: &str = "<computed>";

/// The start of every server fork's path; the server's name follows (`gunicorn`, `uwsgi`,
/// `celery`, `rq`).
pub const PREFORK_PREFIX: &str = "forklint::python::prefork@";

/// Calls that start a server in the calling process, whose fork therefore comes after what
/// that process made: Celery's `app.worker_main(argv)` runs the `worker` command in-process
/// (celery/celery celery/app/base.py), with the prefork pool by default.
const IN_PROCESS_SERVERS: &[(&str, &str)] = &[("celery::Celery::worker_main", "celery")];

/// The server whose fork a catalogue path is (`forklint::python::prefork@gunicorn#hooks` →
/// `gunicorn`, `celery::Celery::worker_main` → `celery`).
pub fn server_of_fork(path: &str) -> Option<&str> {
    match path.strip_prefix(PREFORK_PREFIX) {
        Some(rest) => rest.split('#').next(),
        None => IN_PROCESS_SERVERS
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, server)| *server),
    }
}

/// The first argument of a server's fork launched from a file that only runs on Linux (a
/// Dockerfile, a systemd unit): macOS never makes that fork, so its Objective-C state is no
/// hazard at it.
pub const LINUX_ONLY: &str = "linux";

/// Marks the server forks of a file's `<prefork>` functions as made on Linux only.
pub fn mark_linux_only(ir: &mut FileIr) {
    let base = format!("self::{}", PREFORK_FN.trim_end_matches('>'));
    for f in ir
        .functions
        .iter_mut()
        .filter(|f| f.path.starts_with(&base))
    {
        for node in &mut f.body.nodes {
            if let Node::Call(c) = node {
                let fork = matches!(&c.callee, Callee::Path(p)
                    if p.first().is_some_and(|p| p.starts_with(PREFORK_PREFIX)));
                if fork {
                    c.str_arg = Some(LINUX_ONLY.to_string());
                }
            }
        }
    }
}

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
    for (hook, span) in &prefork.hooks {
        nodes.push(call(hook.clone(), *span));
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

/// The function a server worker becomes (`<worker@shop.wsgi>`, named by its application): the
/// worker imports the application (unless the master
/// preloaded it), runs its request threads when configured so, and calls the program's request
/// handlers (link.rs adds one arm per module that has them).
pub const WORKER_FN: &str = "<worker>";

/// The start of the catalogue paths of a worker's request threads; the server's name follows.
pub const REQUEST_THREADS_PREFIX: &str = "forklint::python::request_threads@";

/// The application module (as a `::` path) of a worker function's path
/// (`self::<worker@shop.wsgi>`, `self::<worker@shop.wsgi#2>`).
pub fn worker_app(path: &str) -> Option<String> {
    let rest = path.strip_prefix("self::")?;
    let rest = rest
        .strip_prefix(WORKER_FN.trim_end_matches('>'))?
        .strip_prefix('@')?;
    let app = rest.strip_suffix('>')?;
    let app = app.split('#').next()?;
    Some(app.replace('.', "::"))
}

/// A server worker that serves the application's requests.
pub struct Worker {
    /// The application module the worker imports, and the factory it calls.
    pub app: (String, Span),
    pub factory: Option<(String, Span)>,
    /// The master loaded the application before forking: what its import started (threads)
    /// runs in the master only, not in the worker (gunicorn docs, preload_app: "Load
    /// application code before the worker processes are forked"; uwsgi-docs Options.rst,
    /// lazy-apps: "Load apps in each worker instead of the master", off by default). Without
    /// it the worker imports the application itself and its import-time threads run there.
    pub preload: bool,
    /// Where the configuration gives each worker several request threads.
    pub threads: Option<Span>,
    /// `gunicorn` or `uwsgi`.
    pub server: &'static str,
}

/// Adds a `<worker>` function to a file's IR (`<worker#2>`, ... for a file that starts several).
pub fn add_worker(ir: &mut FileIr, worker: Worker, next_call: &mut u32) {
    let mut call = |callee: String, span: Span| {
        let c = Call::new(*next_call, Callee::Path(vec![callee]), span);
        *next_call += 1;
        Node::Call(c)
    };
    let mut nodes = Vec::new();
    if !worker.preload {
        let (module, span) = &worker.app;
        nodes.push(call(format!("{module}::{}", super::MODULE_FN), *span));
        if let Some((factory, span)) = &worker.factory {
            nodes.push(call(factory.clone(), *span));
        }
    }
    if let Some(span) = worker.threads {
        nodes.push(call(
            format!("{REQUEST_THREADS_PREFIX}{}", worker.server),
            span,
        ));
    }
    let span = worker.app.1;
    let name = WORKER_FN.trim_end_matches('>');
    let base = format!("self::{name}@{}", worker.app.0.replace("::", "."));
    let earlier = ir
        .functions
        .iter()
        .filter(|f| f.path.starts_with(&base))
        .count();
    let path = match earlier {
        0 => format!("{base}>"),
        n => format!("{base}#{}>", n + 1),
    };
    let body = Block {
        nodes,
        locals: Vec::new(),
    };
    ir.functions
        .push(super::lower::function(path, FnKind::Free, span, body));
}

/// gunicorn runs a worker's requests on several threads with `threads` above 1 (the sync
/// worker then becomes gthread) or with the gthread worker class (gunicorn docs, settings:
/// threads "Run each worker with the specified number of threads ... If you try to use the sync
/// worker type and set the threads setting to more than 1, the gthread worker type will be used
/// instead"; the setting "only affects the Gthread worker type"). Other classes (gevent,
/// eventlet, uvicorn's) serve on one thread or green threads.
pub fn gunicorn_threaded(threads: Option<&str>, worker_class: Option<&str>) -> bool {
    let class = worker_class.map(|c| c.trim().trim_matches(|q| q == '"' || q == '\''));
    // A count computed when gunicorn reads its configuration (`2 * cpu_count() + 1`, an
    // environment variable) may be above 1: only a literal 0 or 1 is a single thread.
    let many = threads.is_some_and(|t| t.trim().parse::<u32>().map_or(true, |n| n > 1));
    match class {
        None | Some("sync") => many,
        Some(c) => c == "gthread" || c.ends_with(".GThreadWorker"),
    }
}

/// gunicorn's configuration-file settings as `name = value` lines at the top level, read as
/// text (for a command line that names the file): booleans, numbers and strings as written.
pub fn gunicorn_file_settings(text: &str) -> Vec<(String, String, Span)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with([' ', '\t']))
        .filter_map(|(i, raw)| {
            let code = raw.split('#').next().unwrap_or(raw);
            let (key, value) = code.split_once('=')?;
            let key = key.trim();
            let ok = !key.is_empty() && key.chars().all(|c| c.is_alphanumeric() || c == '_');
            let value = value.trim().trim_matches(|q| q == '"' || q == '\'');
            ok.then(|| {
                (
                    key.to_string(),
                    value.to_string(),
                    line_span(i as u32 + 1, raw),
                )
            })
        })
        .collect()
}

/// A gunicorn worker from a configuration file's settings: its `wsgi_app`, `threads`,
/// `worker_class` and `preload_app`; `app` is the application a command line names instead.
pub fn gunicorn_worker(
    dir: &Path,
    settings: &[(String, String, Span)],
    app: Option<(&str, Span)>,
    extra: &GunicornFlags,
) -> Option<Worker> {
    let get = |key: &str| settings.iter().rev().find(|(k, _, _)| k == key);
    let (spec, span) = match app {
        Some(a) => a,
        None => get("wsgi_app").map(|(_, v, s)| (v.as_str(), *s))?,
    };
    let threads_setting = get("threads");
    let class_setting = get("worker_class");
    let threads = extra
        .threads
        .as_deref()
        .or(threads_setting.map(|(_, v, _)| v.as_str()));
    let class = extra
        .class
        .as_deref()
        .or(class_setting.map(|(_, v, _)| v.as_str()));
    let threaded = gunicorn_threaded(threads, class).then(|| {
        extra
            .at
            .filter(|_| extra.threads.is_some() || extra.class.is_some())
            .or(threads_setting.map(|(_, _, s)| *s))
            .or(class_setting.map(|(_, _, s)| *s))
            .unwrap_or(span)
    });
    let preload = extra.preload || get("preload_app").is_some_and(|(_, v, _)| v == "True");
    let chdir = extra
        .chdir
        .as_deref()
        .or(get("chdir").map(|(_, v, _)| v.as_str()));
    let (module, factory) = app_in_chdir(dir, chdir, spec)?;
    Some(Worker {
        app: (module, span),
        factory: factory.map(|f| (f, span)),
        preload,
        threads: threaded,
        server: "gunicorn",
    })
}

/// Worker options given on a gunicorn command line, which win over the configuration file's.
#[derive(Default)]
pub struct GunicornFlags {
    pub threads: Option<String>,
    pub class: Option<String>,
    pub preload: bool,
    /// `--chdir`: the folder gunicorn imports the application from.
    pub chdir: Option<String>,
    /// The command's place.
    pub at: Option<Span>,
}

/// A gunicorn configuration file (`gunicorn.conf.py`, `gunicorn_config.py`, ...).
pub fn is_gunicorn_config(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("gunicorn") && n.ends_with(".py"))
}

/// gunicorn: `preload_app = True` with `wsgi_app = "module:app"`, both at the top level; `dir`
/// is the configuration's folder.
pub fn gunicorn(dir: &Path, settings: &[(String, String, Span)]) -> Option<Prefork> {
    let get = |key: &str| settings.iter().rev().find(|(k, _, _)| k == key);
    let (_, preload, fork_span) = get("preload_app")?;
    if preload != "True" {
        return None;
    }
    let (_, app, module_span) = get("wsgi_app")?;
    let chdir = get("chdir").map(|(_, v, _)| v.as_str());
    let (module, factory) = app_in_chdir(dir, chdir, app)?;
    Some(Prefork {
        modules: vec![(module, *module_span)],
        factory: factory.map(|f| (f, *module_span)),
        hooks: Vec::new(),
        fork: "forklint::python::prefork@gunicorn",
        fork_span: *fork_span,
    })
}

/// The application module and factory of a gunicorn `module:app` spec, as `::` paths. gunicorn
/// imports the module from its working directory, which `chdir` sets, often to a path inside
/// a container (`/app/src/api`): the module is looked for under each tail of that path
/// (`app/src/api`, `src/api`, `api`) from `dir` and each folder above it, and a file found
/// there is named as the frontend names it. Without `chdir`, or when nothing is found, the
/// module is the spec's.
pub fn app_in_chdir(
    dir: &Path,
    chdir: Option<&str>,
    spec: &str,
) -> Option<(String, Option<String>)> {
    let module = app_module(spec)?;
    let factory = app_factory(spec);
    let found = chdir.and_then(|c| module_file(dir, c, &module));
    let Some(file) = found else {
        return Some((module, factory));
    };
    let named = module_of_file(&file);
    let factory = factory.map(|f| match f.strip_prefix(&format!("{module}::")) {
        Some(name) => format!("{named}::{name}"),
        None => f,
    });
    Some((named, factory))
}

/// The file of a module (a `::` path) imported from the folder `folder` names (a working
/// directory or an import path, often one of the machine the program runs on), found as
/// `under_tails` finds it: `pkg/mod.py`, else the package `pkg/mod/__init__.py`.
pub fn module_file(dir: &Path, folder: &str, module: &str) -> Option<std::path::PathBuf> {
    let relative = module.replace("::", "/");
    let files = [format!("{relative}.py"), format!("{relative}/__init__.py")];
    under_tails(dir, folder, &files)
}

/// One of `files` in the folder `folder` names, which is often a path of the machine the
/// server runs on (`/app/src/api`, `/home/me/site`): looked for under each tail of it
/// (`app/src/api`, `src/api`, `api`, then the folder itself) from `dir` and each folder above.
fn under_tails(dir: &Path, folder: &str, files: &[String]) -> Option<std::path::PathBuf> {
    let parts: Vec<&str> = folder
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    (0..=parts.len()).find_map(|skip| {
        let tail: std::path::PathBuf = parts[skip..].iter().collect();
        dir.ancestors().find_map(|d| {
            files
                .iter()
                .map(|f| d.join(&tail).join(f))
                .find(|p| p.is_file())
        })
    })
}

/// The gunicorn configuration file `-c` names (a path, or `python:pkg.module`), found in the
/// tree as `config_file` finds it.
pub fn gunicorn_config_file(dir: &Path, config: &str) -> Option<std::path::PathBuf> {
    let config = match config.strip_prefix("python:") {
        Some(module) => format!("{}.py", module.replace('.', "/")),
        None => config.to_string(),
    };
    config_file(dir, &config)
}

/// A configuration file a command line names, found in the tree from `dir` (the folder of the
/// command line) even when the path is one of the machine the server runs on
/// (`/app/deploy/app.ini`).
pub fn config_file(dir: &Path, config: &str) -> Option<std::path::PathBuf> {
    let direct = dir.join(config);
    if direct.is_file() {
        return Some(direct);
    }
    let (folder, file) = config.rsplit_once('/').unwrap_or(("", config));
    under_tails(dir, folder, &[file.to_string()])
}

/// gunicorn's hooks that its master (the arbiter) runs before it forks the workers:
/// `on_starting` "just before the master process is initialized", `when_ready` "just after the
/// server is started" (both in `Arbiter.start()`, before `manage_workers()` spawns any worker),
/// and `pre_fork` "just prior to forking the worker subprocess". What they start or import stays
/// in the master and is forked into every worker (benoitc/gunicorn#3074).
pub const GUNICORN_MASTER_HOOKS: &[&str] = &["on_starting", "when_ready", "pre_fork"];

/// gunicorn's fork of workers whose application is not preloaded, after master hooks ran (the
/// server, `gunicorn`, is the part before `#`).
pub const GUNICORN_HOOKS_FORK: &str = "forklint::python::prefork@gunicorn#hooks";

/// The master hooks a gunicorn configuration file defines at its top level, in the order the
/// master runs them, with the line of each `def`.
pub fn gunicorn_master_hooks(text: &str) -> Vec<(&'static str, Span)> {
    let mut found: Vec<(&'static str, Span)> = text
        .lines()
        .enumerate()
        .filter_map(|(i, raw)| {
            let rest = raw.strip_prefix("def ")?;
            let name = rest.split('(').next()?.trim();
            let hook = GUNICORN_MASTER_HOOKS.iter().find(|h| **h == name)?;
            Some((*hook, line_span(i as u32 + 1, raw)))
        })
        .collect();
    found.sort_by_key(|(h, _)| GUNICORN_MASTER_HOOKS.iter().position(|x| x == h));
    found
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
    uwsgi_settings(path.parent().unwrap_or(Path::new("")), &ini_settings(text))
}

/// The worker an ini file's `[uwsgi]` section configures.
pub fn uwsgi_ini_worker(path: &Path, text: &str) -> Option<Worker> {
    uwsgi_worker(path.parent().unwrap_or(Path::new("")), &ini_settings(text))
}

/// The settings of a uWSGI configuration file a command line loads (`--ini`, `--yaml`, or the
/// file as its argument): an ini file's `[uwsgi]` section, or a YAML file's `uwsgi:` mapping
/// (uwsgi-docs Configuration.rst: "uwsgi --ini myconf.ini", "uwsgi --yaml myconf.yaml"), each
/// at its line.
pub fn uwsgi_file_settings(path: &Path, text: &str) -> Vec<(String, String, Span)> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("yaml" | "yml") => yaml_settings(text),
        _ => ini_settings(text),
    }
}

/// The `key: value` lines of a YAML file's top-level `uwsgi:` mapping.
fn yaml_settings(text: &str) -> Vec<(String, String, Span)> {
    // A top-level key opens a mapping; the indented lines under it are its entries.
    let opens = |raw: &str, line: &str| (!raw.starts_with([' ', '\t'])).then(|| line == "uwsgi:");
    section_settings(text, opens, ':', &['#'], true)
}

fn ini_settings(text: &str) -> Vec<(String, String, Span)> {
    let opens = |_: &str, line: &str| line.starts_with('[').then(|| line == "[uwsgi]");
    section_settings(text, opens, '=', &['#', ';'], false)
}

/// The `key<sep>value` lines of one section of a configuration file, each at its line.
/// `opens(raw, trimmed)` says whether a line starts a section, and whether it is uWSGI's; YAML
/// quotes its strings (`unquote`), an ini file's value is the rest of the line.
fn section_settings(
    text: &str,
    opens: impl Fn(&str, &str) -> Option<bool>,
    sep: char,
    comments: &[char],
    unquote: bool,
) -> Vec<(String, String, Span)> {
    let mut in_section = false;
    let mut settings = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with(comments) {
            continue;
        }
        if let Some(ours) = opens(raw, line) {
            in_section = ours;
            continue;
        }
        if !in_section {
            continue;
        }
        if let Some((key, value)) = line.split_once(sep) {
            let value = match unquote {
                true => value.trim().trim_matches(['"', '\'']),
                false => value.trim(),
            };
            let span = line_span(i as u32 + 1, raw);
            settings.push((key.trim().to_string(), value.to_string(), span));
        }
    }
    settings
}

/// What uWSGI's settings say about the app and its workers.
#[derive(Default)]
struct UwsgiConfig {
    app: Option<(String, Span)>,
    lazy: bool,
    /// Where a master or several workers are asked for.
    forks: Option<Span>,
    /// Where each worker is given several threads.
    threads: Option<Span>,
}

/// Reads `(option, value, place)` settings, from a file or a command line; `wsgi-file` paths
/// are relative to `dir`.
fn uwsgi_config(dir: &Path, settings: &[(String, String, Span)]) -> UwsgiConfig {
    let mut c = UwsgiConfig::default();
    for (key, value, span) in settings {
        let key = key.replace('_', "-");
        let on = matches!(
            value.to_ascii_lowercase().as_str(),
            "true" | "1" | "yes" | "on"
        );
        let many = value.parse::<u32>().is_ok_and(|n| n > 1);
        match key.as_str() {
            "module" | "wsgi" => c.app = app_module(value).map(|m| (m, *span)),
            "wsgi-file" | "file" => c.app = Some((file_module(dir, value), *span)),
            // `mount = /prefix=app`: the app is a module (`pkg.wsgi:app`) or a file
            // (uwsgi-docs Options.rst, mount: "load application under mountpoint").
            "mount" => {
                let spec = value.split_once('=').map_or(value.as_str(), |(_, a)| a);
                c.app = match spec.ends_with(".py") || spec.contains('/') {
                    true => Some((file_module(dir, spec), *span)),
                    false => app_module(spec).map(|m| (m, *span)),
                }
                .or(c.app.take());
            }
            "lazy-apps" | "lazy" => c.lazy |= on,
            "master" if on => c.forks = c.forks.or(Some(*span)),
            "processes" | "workers" if many => c.forks = Some(*span),
            // uwsgi-docs Options.rst, threads: "run each worker in prethreaded mode with the
            // specified number of threads"; ThingsToKnow.rst: "Running uWSGI in
            // multithreading mode (with the threads options) will automatically enable
            // threading support".
            "threads" => c.threads = many.then_some(*span),
            _ => {}
        }
    }
    c
}

/// The uWSGI decision over `(option, value, place)` settings, from a file or a command line;
/// `wsgi-file` paths are relative to `dir`.
pub fn uwsgi_settings(dir: &Path, settings: &[(String, String, Span)]) -> Option<Prefork> {
    let c = uwsgi_config(dir, settings);
    if c.lazy {
        return None;
    }
    Some(Prefork {
        modules: vec![c.app?],
        factory: None,
        hooks: Vec::new(),
        fork: "forklint::python::prefork@uwsgi",
        fork_span: c.forks?,
    })
}

/// The uWSGI worker over the same settings: it imports the app itself with `lazy-apps`, else
/// it is forked from the master that loaded it.
pub fn uwsgi_worker(dir: &Path, settings: &[(String, String, Span)]) -> Option<Worker> {
    let c = uwsgi_config(dir, settings);
    Some(Worker {
        app: c.app?,
        factory: None,
        preload: !c.lazy,
        threads: c.threads,
        server: "uwsgi",
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
    module_of_file(&found)
}

/// The module a Python file is, as a `::` path (as the frontend names it).
pub fn module_of_file(file: &Path) -> String {
    let place = super::project::place(file);
    std::iter::once(place.package)
        .chain(place.module)
        .collect::<Vec<_>>()
        .join("::")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_yaml_configuration_is_read_as_an_ini_one() {
        let yaml = "uwsgi:\n  module: shop.wsgi:application\n  master: true\n  processes: 4\nother:\n  module: x:y\n";
        let settings = uwsgi_file_settings(Path::new("site.yaml"), yaml);
        let keys: Vec<&str> = settings.iter().map(|(k, _, _)| k.as_str()).collect();
        assert_eq!(keys, ["module", "master", "processes"]);
        let p = uwsgi_settings(Path::new(""), &settings).unwrap();
        assert_eq!(p.modules[0].0, "shop::wsgi");
        let lazy = format!("{yaml}uwsgi:\n  lazy-apps: 'true'\n");
        let settings = uwsgi_file_settings(Path::new("site.yml"), &lazy);
        assert!(uwsgi_settings(Path::new(""), &settings).is_none());
    }

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
    fn workers_are_threaded_by_their_settings() {
        assert!(gunicorn_threaded(Some("4"), None));
        assert!(gunicorn_threaded(Some("4"), Some("\"sync\"")));
        assert!(!gunicorn_threaded(Some("1"), None));
        assert!(gunicorn_threaded(
            Some("2 * multiprocessing.cpu_count() + 1"),
            None
        ));
        assert!(gunicorn_threaded(Some(COMPUTED), None));
        assert!(gunicorn_threaded(None, Some("gthread")));
        // Other worker classes ignore `threads`.
        assert!(!gunicorn_threaded(
            Some("8"),
            Some("uvicorn.workers.UvicornWorker")
        ));
        let ini = "[uwsgi]\nmodule = shop.wsgi:application\nmaster = true\nthreads = 4\n";
        let w = uwsgi_ini_worker(Path::new("u.ini"), ini).unwrap();
        assert_eq!((w.app.0.as_str(), w.preload), ("shop::wsgi", true));
        assert_eq!(w.threads.map(|s| s.line), Some(4));
        let lazy = uwsgi_ini_worker(
            Path::new("u.ini"),
            "[uwsgi]\nmodule = a:b\nlazy-apps = true\n",
        );
        assert!(lazy.is_some_and(|w| !w.preload && w.threads.is_none()));
        let settings =
            gunicorn_file_settings("wsgi_app = \"shop.web:app\"\nthreads = 3  # per worker\n");
        let w =
            gunicorn_worker(Path::new("."), &settings, None, &GunicornFlags::default()).unwrap();
        assert_eq!(w.threads.map(|s| s.line), Some(2));
        assert_eq!(
            worker_app("self::<worker@shop.web#2>").as_deref(),
            Some("shop::web")
        );
    }

    #[test]
    fn gunicorn_preload_needs_the_app() {
        let s = |k: &str, v: &str, line| (k.to_string(), v.to_string(), line_span(line, "x"));
        let p = gunicorn(
            Path::new("."),
            &[
                s("wsgi_app", "\"shop.wsgi:app\"", 1),
                s("preload_app", "True", 2),
            ],
        );
        assert_eq!(p.unwrap().modules[0].0, "shop::wsgi");
        assert!(gunicorn(
            Path::new("."),
            &[s("wsgi_app", "\"a:b\"", 1), s("preload_app", "False", 2)]
        )
        .is_none());
    }

    #[test]
    fn forks_name_their_server() {
        assert_eq!(
            server_of_fork("forklint::python::prefork@gunicorn#hooks"),
            Some("gunicorn")
        );
        assert_eq!(
            server_of_fork("celery::Celery::worker_main"),
            Some("celery")
        );
        assert_eq!(server_of_fork("os::fork"), None);
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
