//! What one Python module cannot know alone, joined once every file is lowered:
//! - worker counts read from command-line options: a DataLoader given an option that starts at
//!   0 forks no worker by default (`options`);
//! - post-fork hooks across modules: a hook that recreates, closes or disposes of a global of
//!   any module makes that global's object each process's own. An `os.register_at_fork` hook
//!   runs after every fork: each call that binds such a global gets the per-process marker
//!   after it, as a pid check would. A server's hook (gunicorn's `post_fork` in its
//!   configuration, a uWSGI `@postfork`, a Celery `worker_process_init` handler) runs only in
//!   that server's workers: the marker goes just before that server's fork;
//! - Celery's task modules: a worker imports every module that defines tasks (its `include`,
//!   `imports` and autodiscovery) before the prefork pool forks, so each Celery fork (a
//!   `celery worker` command, an in-process `app.worker_main()`) gets the imports of those
//!   under its app's source root first, then the handlers of the main process's signals;
//! - methods inherited across modules: `w.work()` on a class whose bases (through aliases and
//!   other modules) lead to `rq.worker.Worker` is looked up on the class that defines it;
//! - constructors of subclasses of a library class: `Prefetcher(..)` on `class Prefetcher(Thread)`
//!   runs the library's constructor and then the class's own `__init__` (which may start the
//!   thread, `self.start()`), not the library's alone;
//! - abstract methods: a method whose body only raises `NotImplementedError` runs one of the
//!   subclasses' overrides (`self.execute_job(..)` in a base class's loop);
//! - namespace packages: `import util.misc` names `util/misc.py` even when `util/` has no
//!   `__init__.py` (the file's own module name starts below such a folder), and
//!   `import api.config` names `src/api/config/` when `src/` is on the path;
//! - scripts' folders: a script run from a folder that is also a package has that folder on
//!   `sys.path`, so `import helper` there names `helper.py` beside it;
//! - request handlers of threading servers: when a package builds a `ThreadingTCPServer`,
//!   `ThreadingHTTPServer` or a `ThreadingMixIn` server, the `handle`/`do_*` methods of its
//!   `BaseRequestHandler` classes run on one thread per request, beside the serving thread;
//! - request handlers of RPC servers: a function registered with a server (`register_function`,
//!   through a list of another module, or an object's methods) runs inside that package's serve
//!   calls, where the server serves (`rpc`);
//! - thread bodies: `run()` of a class whose bases lead to a library class runs where that
//!   class's `start()` puts it; the catalogue's `<class>@run` entry says what runs beside it
//!   (a `threading.Thread` or Qt `QThread` subclass: the thread that called `start()`);
//! - DataLoaders handed to a function of the program (`train_one_epoch(model, loader)`) are
//!   iterated there: their workers fork at that call; a Lightning trainer asks the program's
//!   modules for theirs (`lightning`);
//! - DataLoader subclasses: a class of the program given workers forks them as a DataLoader
//!   does when its bases (through other modules and classes) lead to one;
//! - the start method: `set_start_method` in one module holds for the fork points of all
//!   (`start_method`);
//! - registrations: a function handed to a function of the program that only stores it
//!   (`connections.add_factory(make_client)` appending to a list) is not run by that call, nor
//!   is a job added to a scheduler the program never starts (`schedulers`).

use super::lower::{DATA_LOADERS, LOADER_HANDED, LOADER_SUBCLASS, PER_PROCESS, SUBCLASS_SEP};
use crate::frontend::Language;
use crate::ir::{Arm, Block, Branch, Call, Callee, FileIr, FnKind, Node};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Marks the objects that some hook of the program resets in every child, and retypes method
/// calls to the class that defines the method.
pub fn link(irs: &mut [FileIr]) {
    super::options::link(irs);
    namespace_packages(irs);
    script_siblings(irs);
    super::start_method::link(irs);
    // Class bases and method paths, read once: no pass from here on renames a path, a
    // re-export or a method.
    let classes = hierarchy(irs);
    inherit_methods(irs, &classes);
    own_inits_of_library_subclasses(irs, &classes);
    threaded_handlers(irs, &classes);
    super::rpc::link(irs);
    thread_bodies(irs, &classes);
    hand_loaders(irs);
    loader_subclasses(irs, &classes);
    super::lightning::link(irs, &classes);
    dispatch_abstract(irs, &classes);
    stored_not_called(irs);
    super::schedulers::link(irs);
    // The task modules are imported before the pool forks, and before the resets placed there.
    import_celery_tasks(irs);
    serve_web(irs);
    reset_in_child(irs);
}

/// Puts the imports of the task modules before each Celery fork, then the handlers of the
/// signals the worker's main process sends before its pool starts: those of the modules under the
/// source root of the app the worker imports (the folder holding its top-level package, where
/// `include`, `imports` and Django's autodiscovery find them), or, when the app is not in the
/// tree, all.
fn import_celery_tasks(irs: &mut [FileIr]) {
    let roots = source_roots(irs);
    let marked = |marker: &str| {
        let marker = format!("self::{marker}");
        irs.iter()
            .filter(|ir| is_python(ir) && ir.functions.iter().any(|f| f.path == marker))
            .map(|ir| {
                let module = prefix(ir);
                let root = roots.get(&module);
                (module, root)
            })
            .collect::<Vec<_>>()
    };
    let tasks = marked(super::lower::CELERY_TASKS_FN);
    let masters = marked(super::lower::CELERY_MASTER_FN);
    // Each task module's import, then each module's signal handlers.
    let modules: Vec<(String, Option<&std::path::PathBuf>)> = tasks
        .into_iter()
        .map(|(m, r)| (format!("{m}::{}", super::MODULE_FN), r))
        .chain(
            masters
                .into_iter()
                .map(|(m, r)| (format!("{m}::{}", super::lower::CELERY_MASTER_FN), r)),
        )
        .collect();
    if modules.is_empty() {
        return;
    }
    let module_fn = format!("::{}", super::MODULE_FN);
    irs.par_iter_mut()
        .filter(|ir| is_python(ir))
        .for_each(|ir| {
            let mut next = max_id(ir) + 1;
            let own = roots.get(&prefix(ir));
            for f in &mut ir.functions {
                let Some((at, span)) = f.body.nodes.iter().enumerate().find_map(|(i, n)| match n {
                    Node::Call(c) if fork_server(&c.callee).as_deref() == Some("celery") => {
                        Some((i, c.span))
                    }
                    _ => None,
                }) else {
                    continue;
                };
                let mut app_roots: Vec<&std::path::PathBuf> = f.body.nodes[..at]
                    .iter()
                    .filter_map(|n| match n {
                        Node::Call(Call {
                            callee: Callee::Path(p),
                            ..
                        }) => roots.get(p.last()?.strip_suffix(module_fn.as_str())?),
                        _ => None,
                    })
                    .collect();
                app_roots.extend(own);
                let chosen = modules.iter().filter(|(_, root)| {
                    app_roots.is_empty() || root.is_some_and(|r| app_roots.contains(&r))
                });
                for (k, (callee, _)) in chosen.enumerate() {
                    let import = Callee::Path(vec![callee.clone()]);
                    f.body
                        .nodes
                        .insert(at + k, Node::Call(Call::new(next, import, span)));
                    next += 1;
                }
            }
        });
}

/// The server whose fork a call is: a path (`forklint::python::prefork@celery`) or a method of
/// a known type (`app.worker_main()` on a `celery::Celery`).
fn fork_server(callee: &Callee) -> Option<String> {
    let path = match callee {
        Callee::Path(p) => p.first()?.clone(),
        Callee::Method { name, ty: Some(ty) } => format!("{ty}::{name}"),
        _ => return None,
    };
    super::servers::server_of_fork(&path).map(str::to_string)
}

/// The source root of each Python module of the tree: the folder that holds its top-level
/// package (`src/` for `src/shop/web.py`, named `shop::web`). Command files and server
/// configurations (`<commands>`, `<uwsgi>`) are no module.
fn source_roots(irs: &[FileIr]) -> HashMap<String, std::path::PathBuf> {
    irs.iter()
        .filter(|ir| is_python(ir) && !ir.crate_name.starts_with('<'))
        .filter_map(|ir| {
            let module = prefix(ir);
            let path = Path::new(&ir.path);
            let init = path.file_stem().is_some_and(|s| s == "__init__");
            let depth = module.split("::").count() + usize::from(init);
            Some((module, path.ancestors().nth(depth)?.to_path_buf()))
        })
        .collect()
}

/// Each server worker (`<worker@app>`) goes on to call one of the request handlers of its
/// application: an arm per module under the application's folder that has them (its `<web>`).
/// A module whose handlers no worker serves runs them after its own import, as it runs its
/// other registered functions.
fn serve_web(irs: &mut [FileIr]) {
    let web = format!("self::{}", super::lower::WEB_FN);
    let modules: Vec<(String, String)> = irs
        .iter()
        .filter(|ir| is_python(ir) && ir.functions.iter().any(|f| f.path == web))
        .map(|ir| (prefix(ir), ir.path.clone()))
        .collect();
    if modules.is_empty() {
        return;
    }
    let roots = source_roots(irs);
    let mut served: HashSet<&str> = HashSet::new();
    for ir in irs.iter_mut() {
        let mut next = max_id(ir) + 1;
        let config_dir = Path::new(&ir.path)
            .parent()
            .unwrap_or(Path::new(""))
            .to_path_buf();
        for f in ir.functions.iter_mut() {
            let Some(app) = super::servers::worker_app(&f.path) else {
                continue;
            };
            let root = roots.get(&app).unwrap_or(&config_dir);
            let arms: Vec<Arm> = modules
                .iter()
                .filter(|(_, file)| Path::new(file).starts_with(root))
                .map(|(module, _)| {
                    served.insert(module);
                    let callee = Callee::Path(vec![format!("{module}::{}", super::lower::WEB_FN)]);
                    next += 1;
                    Arm {
                        test: None,
                        body: Block {
                            nodes: vec![Node::Call(Call::new(next, callee, f.span))],
                            locals: Vec::new(),
                        },
                        span: f.span,
                        ..Arm::default()
                    }
                })
                .collect();
            if !arms.is_empty() {
                f.body.nodes.push(Node::Branch(Branch {
                    span: f.span,
                    arms,
                    exhaustive: false,
                }));
            }
        }
    }
    let served: HashSet<String> = served.into_iter().map(str::to_string).collect();
    for ir in irs.iter_mut().filter(|ir| is_python(ir)) {
        if served.contains(&prefix(ir)) {
            continue;
        }
        let mut next = max_id(ir) + 1;
        for f in ir.functions.iter_mut().filter(|f| f.path == web) {
            let import = Callee::Path(vec![format!("self::{}", super::MODULE_FN)]);
            next += 1;
            f.body
                .nodes
                .insert(0, Node::Call(Call::new(next, import, f.span)));
        }
    }
}

/// Methods of a container that keep their argument without calling it.
const STORING_METHODS: &[&str] = &[
    "append",
    "appendleft",
    "add",
    "insert",
    "extend",
    "setdefault",
];

/// Builtin containers built from their arguments (`dict(send=f)`): they keep a function given,
/// and call none.
const STORING_BUILTINS: &[&str] = &[
    "builtins::dict",
    "builtins::list",
    "builtins::tuple",
    "builtins::set",
    "builtins::frozenset",
];

/// The program's functions that keep what they are given without calling any of it: no call
/// through an unknown callee (a parameter called), and each parameter only stored, by
/// assignment or into a container.
fn only_store(irs: &[FileIr]) -> HashSet<String> {
    let mut out = HashSet::new();
    for ir in irs.iter().filter(|ir| is_python(ir)) {
        let p = prefix(ir);
        for f in &ir.functions {
            let params: Vec<&str> = f
                .params
                .iter()
                .map(String::as_str)
                .filter(|n| *n != "self")
                .collect();
            if params.is_empty() {
                continue;
            }
            let mut stores = true;
            crate::analysis::program::for_each_call(&f.body, &mut |c| {
                let hands_on = c
                    .arg_vars
                    .iter()
                    .skip(usize::from(c.receiver.is_some()))
                    .any(|v| params.contains(&v.as_str()));
                stores &= match &c.callee {
                    Callee::Path(p) if p.is_empty() => false,
                    Callee::Method { name, .. } if hands_on => {
                        STORING_METHODS.contains(&name.as_str())
                    }
                    _ => !hands_on,
                };
            });
            if stores {
                out.insert(absolute(&p, &f.path));
            }
        }
    }
    out
}

fn stored_not_called(irs: &mut [FileIr]) {
    let stores = only_store(irs);
    for_each_python_call(irs, |p, call| {
        if call.closures.is_empty() {
            return;
        }
        // A class's candidates are the class and its `__init__`.
        let stored = match &call.callee {
            Callee::Path(c) => c.iter().any(|c| {
                STORING_BUILTINS.contains(&c.as_str()) || stores.contains(&absolute(p, c))
            }),
            Callee::Method { name, ty: Some(ty) } => {
                stores.contains(&format!("{}::{name}", absolute(p, ty)))
            }
            _ => false,
        };
        if stored {
            call.closures.clear();
        }
    });
}

/// Runs `f` on every call of every Python file's functions, with the file's module path; files
/// in parallel.
fn for_each_python_call(irs: &mut [FileIr], f: impl Fn(&str, &mut Call) + Sync) {
    irs.par_iter_mut()
        .filter(|ir| is_python(ir))
        .for_each(|ir| {
            let p = prefix(ir);
            for function in &mut ir.functions {
                for_each_call_mut(&mut function.body, &mut |call| f(&p, call));
            }
        });
}

pub(super) fn is_python(ir: &FileIr) -> bool {
    Language::of(Path::new(&ir.path)) == Some(Language::Python)
}

/// The file's module path, `pkg::mod`.
pub(super) fn prefix(ir: &FileIr) -> String {
    std::iter::once(ir.crate_name.as_str())
        .chain(ir.module.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join("::")
}

/// `self::X` of a file as an absolute path.
pub(super) fn absolute(prefix: &str, path: &str) -> String {
    match path.strip_prefix("self::") {
        Some(rest) => format!("{prefix}::{rest}"),
        None => path.to_string(),
    }
}

/// Aliases and class bases can chain; real hierarchies are shallow.
const MAX_STEPS: usize = 12;

fn inherit_methods(irs: &mut [FileIr], classes: &Hierarchy) {
    let (bases, methods) = classes;
    if bases.is_empty() {
        return;
    }
    for_each_python_call(irs, |p, call| {
        let Callee::Method { name, ty: Some(ty) } = &mut call.callee else {
            return;
        };
        let start = absolute(p, ty);
        let mut owner = start.clone();
        for _ in 0..MAX_STEPS {
            if methods.contains(&format!("{owner}::{name}")) {
                break;
            }
            match bases.get(&owner) {
                Some(next) if *next != owner => owner = next.clone(),
                _ => break,
            }
        }
        if owner != start {
            *ty = owner;
        }
    });
}

/// A constructor call of a class of the program that defines `__init__` and derives from a
/// library class (`class Prefetcher(threading.Thread)`) resolves to the library's catalogue
/// entry through the class's base, which ends its resolution: the class's own `__init__`
/// (`self.start()`, a pool it builds) is called right after it, bound to the same value, so
/// what it starts is the constructed object's.
fn own_inits_of_library_subclasses(irs: &mut [FileIr], classes: &Hierarchy) {
    let (bases, methods) = classes;
    if bases.is_empty() {
        return;
    }
    let classes: HashSet<&str> = methods
        .iter()
        .filter_map(|m| m.rsplit_once("::").map(|(class, _)| class))
        .chain(bases.keys().map(String::as_str))
        .collect();
    let library_root = |class: &str| {
        let at = last_base(bases, class);
        at != class && !classes.contains(at)
    };
    irs.par_iter_mut()
        .filter(|ir| is_python(ir))
        .for_each(|ir| {
            let p = prefix(ir);
            let mut next = max_id(ir) + 1;
            let own_init = |callee: &Callee| match callee {
                Callee::Path(c) if c.len() >= 2 && c[1] == format!("{}::__init__", c[0]) => {
                    (methods.contains(&absolute(&p, &c[1])) && library_root(&absolute(&p, &c[0])))
                        .then(|| c[1].clone())
                }
                _ => None,
            };
            for f in &mut ir.functions {
                call_own_inits(&mut f.body, &own_init, &mut next);
            }
        });
}

fn call_own_inits(block: &mut Block, own_init: &dyn Fn(&Callee) -> Option<String>, next: &mut u32) {
    for node in &mut block.nodes {
        match node {
            Node::Call(c) => {
                if let Some(init) = own_init(&c.callee) {
                    let mut then = c.clone();
                    then.id = *next;
                    *next += 1;
                    then.callee = Callee::Path(vec![init]);
                    let first = std::mem::replace(node, Node::Block(Block::default()));
                    *node = Node::Block(Block {
                        nodes: vec![first, Node::Call(then)],
                        locals: Vec::new(),
                    });
                }
            }
            Node::Branch(b) => {
                for arm in &mut b.arms {
                    call_own_inits(&mut arm.body, own_init, next);
                }
            }
            Node::Loop { body, .. } | Node::Block(body) => call_own_inits(body, own_init, next),
            _ => {}
        }
    }
}

/// Class paths to their base, and every method's absolute path.
pub(super) type Hierarchy = (HashMap<String, String>, HashSet<String>);

/// The program's [`Hierarchy`].
fn hierarchy(irs: &[FileIr]) -> Hierarchy {
    let mut bases: HashMap<String, String> = HashMap::new();
    let mut methods: HashSet<String> = HashSet::new();
    for ir in irs.iter().filter(|ir| is_python(ir)) {
        let p = prefix(ir);
        for (alias, target) in &ir.reexports {
            bases.insert(absolute(&p, alias), absolute(&p, target));
        }
        for f in ir.functions.iter().filter(|f| f.kind == FnKind::Method) {
            methods.insert(absolute(&p, &f.path));
        }
    }
    (bases, methods)
}

/// The last class `class`'s bases lead to (itself when it has none), within `MAX_STEPS`.
fn last_base<'a>(bases: &'a HashMap<String, String>, class: &'a str) -> &'a str {
    let mut at = class;
    for _ in 0..MAX_STEPS {
        match bases.get(at) {
            Some(next) if next != at => at = next,
            _ => break,
        }
    }
    at
}

/// `class` is one of `roots` or derives from one of them, through `bases`.
pub(super) fn derives_from(bases: &HashMap<String, String>, class: &str, roots: &[&str]) -> bool {
    let mut at = class.to_string();
    for _ in 0..MAX_STEPS {
        if roots.contains(&at.as_str()) {
            return true;
        }
        match bases.get(&at) {
            Some(next) if *next != at => at = next.clone(),
            _ => return false,
        }
    }
    false
}

/// A body that only raises `NotImplementedError`.
fn is_abstract(body: &Block) -> bool {
    let mut raises = false;
    for node in &body.nodes {
        match node {
            Node::Call(c) => match &c.callee {
                Callee::Path(p) if p.iter().any(|p| p.ends_with("NotImplementedError")) => {}
                _ => return false,
            },
            Node::Return { error: true, .. } => raises = true,
            _ => return false,
        }
    }
    raises
}

fn dispatch_abstract(irs: &mut [FileIr], classes: &Hierarchy) {
    let (bases, methods) = classes;
    let derives = |class: &str, base: &str| class != base && derives_from(bases, class, &[base]);
    // Methods by name, so that an abstract method reads only its namesakes: a scan of every
    // method per abstract method is quadratic on a large tree.
    let mut by_name: HashMap<&str, Vec<(&str, &String)>> = HashMap::new();
    for m in methods {
        if let Some((c, n)) = m.rsplit_once("::") {
            by_name.entry(n).or_default().push((c, m));
        }
    }
    irs.par_iter_mut()
        .filter(|ir| is_python(ir))
        .for_each(|ir| {
            let p = prefix(ir);
            let mut next = max_id(ir) + 1;
            for f in ir
                .functions
                .iter_mut()
                .filter(|f| f.kind == FnKind::Method && is_abstract(&f.body))
            {
                let path = absolute(&p, &f.path);
                let Some((class, name)) = path.rsplit_once("::") else {
                    continue;
                };
                let mut overrides: Vec<&String> = by_name
                    .get(name)
                    .into_iter()
                    .flatten()
                    .filter(|(c, _)| derives(c, class))
                    .map(|(_, m)| *m)
                    .collect();
                if overrides.is_empty() {
                    continue;
                }
                overrides.sort();
                let arms = overrides
                    .into_iter()
                    .map(|m| {
                        let (ty, _) = m.rsplit_once("::").unwrap_or((m, ""));
                        let mut c = Call::new(
                            next,
                            Callee::Method {
                                name: name.to_string(),
                                ty: Some(ty.to_string()),
                            },
                            f.span,
                        );
                        next += 1;
                        c.receiver = f.params.first().cloned();
                        c.arg_vars = f.params.as_slice().into();
                        Arm {
                            body: Block {
                                nodes: vec![Node::Call(c)],
                                ..Default::default()
                            },
                            span: f.span,
                            ..Default::default()
                        }
                    })
                    .collect();
                f.body = Block {
                    nodes: vec![Node::Branch(Branch {
                        span: f.span,
                        arms,
                        exhaustive: true,
                    })],
                    ..Default::default()
                };
            }
        });
}

/// `a::b::mod` for the names a file can be imported by through folders without `__init__.py`
/// (`util::misc` for `util/misc.py`), to the module name the file was lowered with (`misc`).
fn namespace_aliases(irs: &[FileIr]) -> Vec<(String, String)> {
    let tops: HashSet<&str> = irs
        .iter()
        .filter(|ir| is_python(ir))
        .map(|ir| ir.crate_name.as_str())
        .collect();
    let mut aliases = Vec::new();
    for ir in irs.iter().filter(|ir| is_python(ir)) {
        let path = Path::new(&ir.path);
        let is_init = path.file_stem().is_some_and(|s| s == "__init__");
        let folders: Vec<String> = path
            .parent()
            .into_iter()
            .flat_map(|p| p.components())
            .filter_map(|c| match c {
                std::path::Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect();
        // The folders that are the file's own packages sit at the end of the path.
        let packages = ir.module.len() + usize::from(is_init);
        let Some(outer) = folders.len().checked_sub(packages) else {
            continue;
        };
        let own = prefix(ir);
        for start in 0..outer {
            // A folder that is itself a module name of the program keeps its own meaning.
            if tops.contains(folders[start].as_str()) {
                continue;
            }
            let alias = format!("{}::{own}", folders[start..outer].join("::"));
            aliases.push((alias, own.clone()));
        }
        // A package inside another one imported from its parent folder (`from api.config
        // import ..` for `src/api/config/`, with `src/` on the path): the inner package's
        // name, when no module of the program has it, and at least two names deep (a bare
        // `config` is too often a library's).
        let parts: Vec<&str> = own.split("::").collect();
        for start in 1..parts.len().saturating_sub(1) {
            if !tops.contains(parts[start]) {
                aliases.push((parts[start..].join("::"), own.clone()));
            }
        }
    }
    // Longest first: `a::b::m` before `b::m`.
    aliases.sort_by(|x, y| y.0.len().cmp(&x.0.len()).then_with(|| x.cmp(y)));
    aliases.dedup();
    aliases
}

/// What the program defines, with every enclosing name: a renamed path must name one of them
/// (a folder named like a library, `celery/app.py`, leaves `celery.app` alone).
fn defined_paths(irs: &[FileIr]) -> HashSet<String> {
    let mut defined: HashSet<String> = HashSet::new();
    for ir in irs.iter().filter(|ir| is_python(ir)) {
        let p = prefix(ir);
        for f in &ir.functions {
            let mut path = absolute(&p, &f.path);
            while let Some((outer, _)) = path.rsplit_once("::") {
                let outer = outer.to_string();
                defined.insert(std::mem::replace(&mut path, outer));
            }
            defined.insert(path);
        }
    }
    defined
}

/// Renames each call target and re-export, given the path of the file it is in.
fn rename_paths(irs: &mut [FileIr], rename: impl Fn(&Path, &mut String) + Sync) {
    irs.par_iter_mut()
        .filter(|ir| is_python(ir))
        .for_each(|ir| {
            let file = std::path::PathBuf::from(&ir.path);
            let rename = |path: &mut String| rename(&file, path);
            for f in &mut ir.functions {
                for_each_call_mut(&mut f.body, &mut |call| match &mut call.callee {
                    Callee::Path(candidates) => candidates.iter_mut().for_each(rename),
                    Callee::Method { ty: Some(ty), .. } => rename(ty),
                    _ => {}
                });
            }
            for (_, target) in &mut ir.reexports {
                rename(target);
            }
        });
}

/// A script run from a folder that also holds an `__init__.py` has that folder first on
/// `sys.path`, so `import helper` (no program module is named `helper`) is `helper.py` beside
/// it, which was lowered under the package's dotted name (`pkg::helper`). So is it for every
/// module that script imports from the folder.
fn script_siblings(irs: &mut [FileIr]) {
    let tops: HashSet<String> = irs
        .iter()
        .filter(|ir| is_python(ir))
        .map(|ir| ir.crate_name.clone())
        .collect();
    // By folder, the modules of a package in it: their file stems to their dotted names.
    let mut folders: HashMap<std::path::PathBuf, HashMap<String, String>> = HashMap::new();
    for ir in irs
        .iter()
        .filter(|ir| is_python(ir) && !ir.module.is_empty())
    {
        let path = Path::new(&ir.path);
        let (Some(dir), Some(stem)) = (path.parent(), path.file_stem()) else {
            continue;
        };
        let stem = stem.to_string_lossy().into_owned();
        if stem != "__init__" && !tops.contains(&stem) {
            folders
                .entry(dir.to_path_buf())
                .or_default()
                .insert(stem, prefix(ir));
        }
    }
    if folders.is_empty() {
        return;
    }
    let defined = defined_paths(irs);
    rename_paths(irs, |file, path| {
        let Some(siblings) = file.parent().and_then(|dir| folders.get(dir)) else {
            return;
        };
        let (head, rest) = path.split_once("::").unwrap_or((path.as_str(), ""));
        let Some(own) = siblings.get(head) else {
            return;
        };
        let renamed = if rest.is_empty() {
            own.clone()
        } else {
            format!("{own}::{rest}")
        };
        if defined.contains(&renamed) {
            *path = renamed;
        }
    });
}

fn namespace_packages(irs: &mut [FileIr]) {
    let aliases = namespace_aliases(irs);
    if aliases.is_empty() {
        return;
    }
    let defined = defined_paths(irs);
    // By alias, its module names in the order of `aliases`: a path is looked up by each of its
    // `::`-bounded prefixes, longest first, instead of testing every alias against every path.
    let mut by_alias: HashMap<&str, Vec<&str>> = HashMap::new();
    for (alias, own) in &aliases {
        by_alias.entry(alias).or_default().push(own);
    }
    let renamed = |path: &str| {
        let bounds = (0..path.len())
            .rev()
            .filter(|&i| path.as_bytes()[i..].starts_with(b"::"));
        for end in std::iter::once(path.len()).chain(bounds) {
            let (head, rest) = path.split_at(end);
            for own in by_alias.get(head).into_iter().flatten() {
                let renamed = format!("{own}{rest}");
                if defined.contains(&renamed) {
                    return Some(renamed);
                }
            }
        }
        None
    };
    rename_paths(irs, |_, path| {
        if let Some(own) = renamed(path) {
            *path = own;
        }
    });
}

/// The standard library's threading servers, and the mixin that makes one.
const THREADING_SERVERS: &[&str] = &[
    "socketserver::ThreadingTCPServer",
    "socketserver::ThreadingUDPServer",
    "socketserver::ThreadingUnixStreamServer",
    "socketserver::ThreadingUnixDatagramServer",
    "http::server::ThreadingHTTPServer",
    "socketserver::ThreadingMixIn",
];
/// Base classes of the request handlers such servers call.
const REQUEST_HANDLERS: &[&str] = &[
    "socketserver::BaseRequestHandler",
    "socketserver::StreamRequestHandler",
    "socketserver::DatagramRequestHandler",
    "http::server::BaseHTTPRequestHandler",
    "http::server::SimpleHTTPRequestHandler",
    "http::server::CGIHTTPRequestHandler",
];
/// The catalogue entry for the threads beside a handler of a threading server.
const REQUEST_THREADS: &str = "socketserver::ThreadingMixIn@request_thread";

fn threaded_handlers(irs: &mut [FileIr], classes: &Hierarchy) {
    let (bases, _) = classes;
    let derives_from = |class: &str, roots: &[&str]| derives_from(bases, class, roots);
    // The packages (or top-level modules) that make a threading server: the standard classes,
    // or a class of their own that derives from them or from the mixin.
    let threading: HashSet<String> = irs
        .par_iter()
        .filter(|ir| is_python(ir))
        .filter(|ir| {
            let p = prefix(ir);
            let mut makes = false;
            for f in &ir.functions {
                crate::analysis::program::for_each_call(&f.body, &mut |c| {
                    if let Callee::Path(candidates) = &c.callee {
                        makes |= candidates
                            .first()
                            .is_some_and(|c| derives_from(&absolute(&p, c), THREADING_SERVERS));
                    }
                });
            }
            makes
        })
        .map(|ir| ir.crate_name.clone())
        .collect();
    if threading.is_empty() {
        return;
    }
    irs.par_iter_mut()
        .filter(|ir| is_python(ir) && threading.contains(&ir.crate_name))
        .for_each(|ir| {
            let p = prefix(ir);
            let mut next = max_id(ir) + 1;
            for f in ir.functions.iter_mut().filter(|f| f.kind == FnKind::Method) {
                let path = absolute(&p, &f.path);
                let Some((class, name)) = path.rsplit_once("::") else {
                    continue;
                };
                if !(name == "handle" || name.starts_with("do_"))
                    || !derives_from(class, REQUEST_HANDLERS)
                {
                    continue;
                }
                let call = Call::new(
                    next,
                    Callee::Path(vec![REQUEST_THREADS.to_string()]),
                    f.span,
                );
                next += 1;
                f.body.nodes.insert(0, Node::Call(call));
            }
        });
}

/// The method a thread class's `start()` runs on its new thread.
const THREAD_BODY: &str = "run";

/// Puts a call of `<root>@run` at the top of each `run()` whose class derives (through its
/// bases, in any module) from a class outside the program: a catalogue entry of that name (a
/// thread class's) says what runs beside the body; for other roots the call names nothing.
fn thread_bodies(irs: &mut [FileIr], classes: &Hierarchy) {
    let (bases, _) = classes;
    if bases.is_empty() {
        return;
    }
    let root_of = |class: &str| {
        let at = last_base(bases, class);
        (at != class && !bases.contains_key(at)).then(|| at.to_string())
    };
    irs.par_iter_mut()
        .filter(|ir| is_python(ir))
        .for_each(|ir| {
            let p = prefix(ir);
            let mut next = max_id(ir) + 1;
            for f in ir.functions.iter_mut().filter(|f| f.kind == FnKind::Method) {
                let path = absolute(&p, &f.path);
                let Some((class, THREAD_BODY)) = path.rsplit_once("::") else {
                    continue;
                };
                let Some(root) = root_of(class) else {
                    continue;
                };
                let marker = format!("{root}@{THREAD_BODY}");
                let call = Call::new(next, Callee::Path(vec![marker]), f.span);
                next += 1;
                f.body.nodes.insert(0, Node::Call(call));
            }
        });
}

/// Each loader-handed marker becomes the loader's fork when the call after it is a function of
/// the program (which iterates what it is given), and nothing otherwise.
fn hand_loaders(irs: &mut [FileIr]) {
    let mut functions: HashSet<String> = HashSet::new();
    for ir in irs.iter().filter(|ir| is_python(ir)) {
        let p = prefix(ir);
        functions.extend(ir.functions.iter().map(|f| absolute(&p, &f.path)));
    }
    irs.par_iter_mut()
        .filter(|ir| is_python(ir))
        .for_each(|ir| {
            let p = prefix(ir);
            let own = |callee: &Callee| match callee {
                Callee::Path(candidates) => candidates
                    .iter()
                    .any(|c| functions.contains(&absolute(&p, c))),
                Callee::Method { name, ty: Some(ty) } => {
                    functions.contains(&format!("{}::{name}", absolute(&p, ty)))
                }
                Callee::Local(_) => true,
                _ => false,
            };
            for f in &mut ir.functions {
                resolve_handed(&mut f.body, &own);
            }
        });
}

fn loader_subclasses(irs: &mut [FileIr], classes: &Hierarchy) {
    let (bases, _) = classes;
    // Classes whose constructor already iterates the loader (`super().__iter__()`): their
    // workers fork there, which is the one place to report.
    let mut self_iterating: HashSet<String> = HashSet::new();
    for ir in irs.iter().filter(|ir| is_python(ir)) {
        let p = prefix(ir);
        for f in ir.functions.iter().filter(|f| f.kind == FnKind::Method) {
            if let Some(class) = f.path.strip_suffix("::__init__") {
                if forks_loader(&f.body) {
                    self_iterating.insert(absolute(&p, class));
                }
            }
        }
    }
    let iterates_itself = |class: &str| {
        let mut at = class.to_string();
        for _ in 0..MAX_STEPS {
            if self_iterating.contains(&at) {
                return true;
            }
            match bases.get(&at) {
                Some(next) if *next != at => at = next.clone(),
                _ => return false,
            }
        }
        false
    };
    irs.par_iter_mut()
        .filter(|ir| is_python(ir))
        .for_each(|ir| {
            let p = prefix(ir);
            let is_loader = |class: &str| {
                let class = absolute(&p, class);
                derives_from(bases, &class, DATA_LOADERS) && !iterates_itself(&class)
            };
            for f in &mut ir.functions {
                resolve_subclass_forks(&mut f.body, &is_loader);
            }
        });
}

/// The block starts a DataLoader's workers.
fn forks_loader(block: &Block) -> bool {
    let fork = format!("{}@", DATA_LOADERS[0]);
    block.nodes.iter().any(|node| match node {
        Node::Call(c) => {
            matches!(&c.callee, Callee::Path(p) if p.iter().any(|p| p.starts_with(&fork)))
        }
        Node::Branch(b) => b.arms.iter().any(|arm| forks_loader(&arm.body)),
        Node::Loop { body, .. } | Node::Block(body) => forks_loader(body),
        _ => false,
    })
}

/// Turns each candidate fork of a class given workers into the DataLoader's fork when the class
/// is one, and removes it otherwise.
fn resolve_subclass_forks(block: &mut Block, is_loader: &dyn Fn(&str) -> bool) {
    for node in &mut block.nodes {
        match node {
            Node::Call(c) => {
                let Callee::Path(candidates) = &c.callee else {
                    continue;
                };
                let Some(rest) = candidates
                    .first()
                    .and_then(|p| p.strip_prefix(LOADER_SUBCLASS))
                    .and_then(|r| r.strip_prefix(SUBCLASS_SEP))
                else {
                    continue;
                };
                match rest.split_once(SUBCLASS_SEP) {
                    Some((class, fork)) if is_loader(class) => {
                        c.callee = Callee::Path(vec![fork.to_string()])
                    }
                    _ => *node = Node::Block(Block::default()),
                }
            }
            Node::Branch(b) => {
                for arm in &mut b.arms {
                    resolve_subclass_forks(&mut arm.body, is_loader);
                }
            }
            Node::Loop { body, .. } | Node::Block(body) => resolve_subclass_forks(body, is_loader),
            _ => {}
        }
    }
}

fn resolve_handed(block: &mut Block, own: &dyn Fn(&Callee) -> bool) {
    let marker = Callee::Path(vec![LOADER_HANDED.to_string()]);
    for i in 0..block.nodes.len() {
        let next_is_own = match block.nodes.get(i + 1) {
            Some(Node::Call(c)) => own(&c.callee),
            _ => false,
        };
        match &mut block.nodes[i] {
            Node::Call(c) if c.callee == marker => match c.str_arg.take() {
                Some(fork) if next_is_own => c.callee = Callee::Path(vec![fork]),
                _ => block.nodes[i] = Node::Block(Block::default()),
            },
            Node::Branch(b) => {
                for arm in &mut b.arms {
                    resolve_handed(&mut arm.body, own);
                }
            }
            Node::Loop { body, .. } | Node::Block(body) => resolve_handed(body, own),
            _ => {}
        }
    }
}

pub(super) fn for_each_call_mut(block: &mut Block, f: &mut dyn FnMut(&mut Call)) {
    for node in &mut block.nodes {
        match node {
            Node::Call(c) => f(c),
            Node::Branch(b) => {
                for arm in &mut b.arms {
                    for_each_call_mut(&mut arm.body, f);
                }
            }
            Node::Loop { body, .. } | Node::Block(body) => for_each_call_mut(body, f),
            _ => {}
        }
    }
}

fn reset_in_child(irs: &mut [FileIr]) {
    let all: HashSet<&str> = irs
        .iter()
        .flat_map(|ir| ir.resets_in_child.iter().map(String::as_str))
        .collect();
    // `server:path` for a server's hook, a bare path for a hook of every fork.
    let mut scoped: Vec<(String, String)> = Vec::new();
    let mut resets: Vec<String> = Vec::new();
    for r in all {
        match r
            .split_once(':')
            .filter(|(s, _)| !s.is_empty() && !s.contains("::"))
        {
            Some((server, path)) => scoped.push((server.to_string(), path.to_string())),
            None => resets.push(r.to_string()),
        }
    }
    if !scoped.is_empty() {
        reset_at_server_forks(irs, &scoped);
    }
    if resets.is_empty() {
        return;
    }
    irs.par_iter_mut()
        .filter(|ir| is_python(ir))
        .for_each(|ir| {
            let prefix = prefix(ir);
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
        });
}

/// Before each fork of a server, the per-process marker for every global that server's hooks
/// reset (each `::` prefix too: resetting `db.engine` resets the global `db`).
fn reset_at_server_forks(irs: &mut [FileIr], scoped: &[(String, String)]) {
    irs.par_iter_mut()
        .filter(|ir| is_python(ir))
        .for_each(|ir| {
            let mut next = max_id(ir) + 1;
            for f in &mut ir.functions {
                let mut i = 0;
                while i < f.body.nodes.len() {
                    let server = match &f.body.nodes[i] {
                        Node::Call(c) => fork_server(&c.callee).map(|s| (s, c.span)),
                        _ => None,
                    };
                    let Some((server, span)) = server else {
                        i += 1;
                        continue;
                    };
                    for (_, path) in scoped.iter().filter(|(s, _)| *s == server) {
                        let mut prefix = path.as_str();
                        while prefix.contains("::") {
                            let mut c =
                                Call::new(next, Callee::Path(vec![PER_PROCESS.to_string()]), span);
                            next += 1;
                            c.receiver_global = Some(prefix.to_string());
                            f.body.nodes.insert(i, Node::Call(c));
                            i += 1;
                            prefix = &prefix[..prefix.rfind("::").unwrap_or(0)];
                        }
                    }
                    i += 1;
                }
            }
        });
}

pub(super) fn max_id(ir: &FileIr) -> u32 {
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
            c.arg_vars = thin_vec::thin_vec![var];
            block.nodes.insert(i + 1, Node::Call(c));
            i += 1;
        }
        i += 1;
    }
}
