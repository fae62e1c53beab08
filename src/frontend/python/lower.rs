//! ruff's Python AST → IR. Module-level code becomes a function (`<module>`) that importers call
//! and that runs at import; an `if __name__ == "__main__":` block becomes the entry point
//! (`<main>`), which runs the module's code first. Names resolve through imports (absolute and
//! relative, a function's own, and the names the catalogue knows of a star import's module) to
//! `::` paths; locals, module globals and `self` attributes carry the type of the object they
//! hold, so that `t.start()` resolves to `threading::Thread::start`. multiprocessing's start
//! method (explicit contexts, `set_start_method`, the project's default) is folded into the path
//! of the call that forks (`multiprocessing::Pool@fork`), so the catalogue decides what forks.

use super::project::DefaultStart;
use super::rpc;
use super::servers;
use crate::ir::*;
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};
use std::collections::{HashMap, HashSet};

/// The path of the function holding a module's top-level code.
pub const MODULE_FN: &str = "<module>";
/// The path of the function that imports the module and then calls one of the functions its
/// decorators registered with a framework.
pub const ENTRY_FN: &str = "<entry>";
/// Decorators that run each call of the function in a forked child, by the paths they are
/// imported from, with their catalogue fork. sagemath/sage src/sage/parallel/decorate.py:
/// `parallel(p_iter='fork', ncpus=None)`, re-exported by `sage.parallel.all` and `sage.all`.
const FORK_PER_CALL: &[(&str, &str)] = &[
    ("sage::parallel::decorate::parallel", SAGE_PARALLEL_FORK),
    ("sage::parallel::all::parallel", SAGE_PARALLEL_FORK),
    ("sage::all::parallel", SAGE_PARALLEL_FORK),
];
const SAGE_PARALLEL_FORK: &str = "sage::parallel::decorate::parallel@fork";

/// The path of the function that calls one of the module's web request handlers.
pub const WEB_FN: &str = "<web>";
/// The methods of a Django class-based view that `as_view()` dispatches requests to.
const VIEW_METHODS: &[&str] = &["get", "post", "put", "patch", "delete"];
/// The decorator methods that register a request handler for a URL: Flask's and Starlette's
/// `route`, and the per-method shortcuts of Flask 2, FastAPI and Django Ninja (`@bp.get("/")`).
const ROUTE_METHODS: &[&str] = &[
    "route",
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "api_route",
];
/// An empty function that marks a module defining Celery tasks.
pub const CELERY_TASKS_FN: &str = "<celery-tasks>";
/// The function that calls a module's handlers of the signals a Celery worker's main process
/// sends before its pool forks (link.rs puts it before each Celery fork).
pub const CELERY_MASTER_FN: &str = "<celery-master>";
/// Celery's signals sent in the worker's main process before the pool starts (Celery docs,
/// Signals: celeryd_init "the first signal sent when celeryd starts up", celeryd_after_setup
/// "sent after the worker instance is set up, but before it calls run", worker_init
/// "Dispatched before the worker is started"); the prefork pool forks when it starts.
const CELERY_MASTER_SIGNALS: &[&str] = &["celeryd_init", "celeryd_after_setup", "worker_init"];
/// The path of the function holding a script's `if __name__ == "__main__":` block.
pub const MAIN_FN: &str = "<main>";
/// A marker the frontend emits after an assignment whose object each process creates for
/// itself (under a pid check, or reassigned by an `after_in_child` hook): a catalogue entry ends
/// the hazards bound to the assigned names.
pub const PER_PROCESS: &str = "forklint::python::per_process";
/// A marker the frontend emits where a `with` block ends: a catalogue entry ends the threads of
/// the object the block managed (an executor's or pool's `__exit__` waits for its workers).
pub const WITH_EXIT: &str = "forklint::python::with_exit";
/// A marker where a `with contextlib.closing(x)` block ends: `x.close()` ends what `x` holds
/// (a socket, a connection), wherever it is kept (a module global outlives the block).
const CLOSED_BY_WITH: &str = "forklint::python::closed_by_with";

/// A marker the frontend emits after an assignment of a value read off a local (`orders =
/// client.shop["orders"]`, `self.cache = conn`): its receiver is that local, its bind the name
/// assigned, which keeps the same object (a catalogue entry says so).
pub const DERIVED: &str = "forklint::python::derived";

/// A marker the frontend emits after an expression statement whose result nothing keeps: a
/// catalogue entry closes what that call opened (not threads, which run on unreferenced).
pub const DISCARDED: &str = "forklint::python::discarded";
/// The name such a result is bound to (`<discarded#1>`).
pub const DISCARDED_VAR: &str = "<discarded#";
/// A marker the frontend emits where the function waits out a thread that runs once to its
/// end (`oneshot`): a catalogue entry ends that thread.
pub const WAITED_OUT: &str = "forklint::python::waited_out";

/// A marker the frontend emits just before a call that is given a DataLoader with workers (its
/// fork path as the string argument, at the loader's construction): when the callee is a
/// function of the program, the loader is iterated there, so its workers fork at that call.
pub const LOADER_HANDED: &str = "forklint::python::loader_handed";

/// The fork of a DataLoader with workers made by a class of the program, which is one when its
/// bases lead to a DataLoader: `<marker>|<class path>|<fork path>`, kept or dropped by the
/// linker once every module's classes are known.
pub const LOADER_SUBCLASS: &str = "forklint::python::loader_subclass";
pub const SUBCLASS_SEP: char = '|';

/// The local that a `return <call>` binds: the call's result is the function's value.
pub const RETURNED: &str = "<return>";

/// Deeper nesting than this is cut off: each level costs stack, and no real code needs it.
const MAX_DEPTH: usize = 200;

/// Keyword arguments that change what a constructor does, as a suffix of its path: a client
/// that does not connect yet (`connect=False`), a redis client that skips the pool's pid check,
/// a rich display without its refresh thread (`auto_refresh=False`), a Telegram bot without its
/// worker pool (`threaded=False`).
const KEYWORD_VARIANTS: &[(&str, &str)] = &[
    ("connect", "False"),
    ("single_connection_client", "True"),
    ("auto_refresh", "False"),
    ("threaded", "False"),
];

/// Counts of processes that make a constructor's object fork, as `(constructor, keyword)`: the
/// path gets `@keyword` unless the count is a literal 0 or 1. Sphinx builds in forked processes
/// when `parallel > 1`.
const PROCESS_COUNT_VARIANTS: &[(&str, &str)] = &[("sphinx::application::Sphinx", "parallel")];

/// String keywords that choose how a constructor's object runs its workers, as
/// `(constructor, keyword)`: a literal value is folded into the path as `@keyword=value`
/// (mpire's `WorkerPool(start_method="threading")`).
const STRING_KEYWORD_VARIANTS: &[(&str, &str)] = &[("mpire::WorkerPool", "start_method")];

/// Modules whose functions take a `device=` keyword: one that names an accelerator (see
/// `names_accelerator`) makes the tensor there, initialising CUDA, and is looked up as
/// `<path>@device` (`torch.zeros(3, device="cuda")`, as `x.to("cuda")` is `to@device`).
const DEVICE_KEYWORD_MODULES: &[&str] = &["torch::"];

/// `functools.partial`: it binds arguments to a callable and calls nothing.
const PARTIAL: &str = "functools::partial";

/// Builtins that iterate their argument before they return.
const ITERATING_BUILTINS: &[&str] = &["builtins::next", "builtins::iter", "builtins::list"];
/// Builtins that run their iterable argument to its end.
const EXHAUSTING: &[&str] = &[
    "builtins::list",
    "builtins::tuple",
    "builtins::sorted",
    "builtins::set",
    "builtins::frozenset",
    "builtins::dict",
    "builtins::sum",
];
/// Iterators that pass on the items of the iterables they are given, one after the other.
const PASSING_ON: &[&str] = &[
    "itertools::chain",
    "itertools::chain::from_iterable",
    "builtins::enumerate",
    "builtins::zip",
];

/// The thread an iterator of a DataLoader with workers and `pin_memory` starts in the parent,
/// after its workers forked; it is joined when the iterator is exhausted or dropped.
pub(super) const PIN_MEMORY_THREAD: &str = "torch::utils::data::DataLoader@pin_memory";

/// Classes outside `subprocess` that start a `subprocess.Popen` with the arguments they get.
const SUBPROCESS_WRAPPERS: &[&str] = &["psutil::Popen"];

/// The settings an RQ worker reads from its `-c` module (rq/rq rq/cli/helpers.py
/// read_config_file and rq/cli/cli.py: REDIS_URL, REDIS_HOST, REDIS_PORT, REDIS_DB,
/// REDIS_PASSWORD, REDIS_SSL, QUEUES).
const RQ_SETTINGS: &[&str] = &[
    "REDIS_URL",
    "REDIS_HOST",
    "REDIS_PORT",
    "REDIS_DB",
    "REDIS_PASSWORD",
    "REDIS_SSL",
    "QUEUES",
];
/// The RQ worker's fork of a work horse.
const RQ_FORK: &str = "forklint::python::prefork@rq";

/// The catalogue entry of a `Popen` given a `preexec_fn`: the last resort for any callable
/// given one.
const POPEN_PREEXEC: &str = "subprocess::Popen@preexec_fn";

/// Flask-SocketIO's server class, by the paths it is imported from.
const SOCKETIO_SERVERS: &[&str] = &["flask_socketio::SocketIO"];
/// The suffix of the catalogue entry for a Socket.IO server's handler threads.
const SOCKETIO_THREADING: &str = "@threading";
/// APScheduler's schedulers whose default executor is a thread pool: a job registered with
/// `@scheduler.scheduled_job(..)` runs on one of its threads.
pub(super) const THREAD_POOL_SCHEDULERS: &[&str] = &[
    "apscheduler::schedulers::background::BackgroundScheduler",
    "apscheduler::schedulers::blocking::BlockingScheduler",
];
/// The suffix of the catalogue entry for the executor thread a scheduler's job runs on.
pub(super) const SCHEDULER_JOB_THREAD: &str = "@job";

/// PyTorch's DataLoader, by the paths it is imported from, and the loaders of other libraries
/// that are one (a subclass) or build one from the same arguments: their workers fork as
/// PyTorch's do. webdataset/webdataset webdataset/compat.py: `WebLoader.__init__(*args, **kw)`
/// wraps `DataLoader(*args, **kw)`; Project-MONAI/MONAI monai/data/dataloader.py and
/// pyg-team/pytorch_geometric torch_geometric/loader/dataloader.py subclass
/// `torch.utils.data.DataLoader`.
pub(super) const DATA_LOADERS: &[&str] = &[
    "torch::utils::data::DataLoader",
    "torch::utils::data::dataloader::DataLoader",
    "webdataset::WebLoader",
    "webdataset::compat::WebLoader",
    "monai::data::DataLoader",
    "monai::data::dataloader::DataLoader",
    "torch_geometric::loader::DataLoader",
    "torch_geometric::loader::dataloader::DataLoader",
];

/// The suffix of a DataLoader's fork whose worker count is a value not known here (taken as
/// more than 0, and said so).
pub(super) const UNKNOWN_WORKERS: &str = "@workers";

/// Granian's server, by the paths it is imported from: emmett-framework/granian
/// granian/__init__.py exports `Server as Granian`, and granian/server/__init__.py makes `Server`
/// the process server `MPServer` on builds with the GIL (`MTServer`, threads, otherwise).
const GRANIAN_SERVERS: &[&str] = &[
    "granian::Granian",
    "granian::server::Server",
    "granian::server::MPServer",
    "granian::server::mp::MPServer",
];

/// pyzmq's devices that run in a `multiprocessing.Process`, by the paths they are imported from
/// (zeromq/pyzmq zmq/devices: basedevice.ProcessDevice and its subclasses
/// proxydevice.ProcessProxy, proxysteerabledevice.ProcessProxySteerable,
/// monitoredqueuedevice.ProcessMonitoredQueue, all exported by `zmq.devices`).
const ZMQ_PROCESS_DEVICES: &[&str] = &[
    "zmq::devices::ProcessDevice",
    "zmq::devices::basedevice::ProcessDevice",
    "zmq::devices::ProcessProxy",
    "zmq::devices::proxydevice::ProcessProxy",
    "zmq::devices::ProcessProxySteerable",
    "zmq::devices::proxysteerabledevice::ProcessProxySteerable",
    "zmq::devices::ProcessMonitoredQueue",
    "zmq::devices::monitoredqueuedevice::ProcessMonitoredQueue",
];

/// Types whose methods run the functions passed to them in other processes: their effects do
/// not happen in the caller.
const CHILD_RUNNERS: &[&str] = &[
    "multiprocessing::Process@",
    "multiprocessing::Pool@",
    "concurrent::futures::ProcessPoolExecutor@",
];

/// A call the catalogue says runs the functions handed to it in a pool's worker process
/// (`closure = "worker"`): they are not called here.
fn runs_in_worker(path: &str) -> bool {
    let catalog = crate::catalog::Catalog::builtin();
    catalog
        .by_path(path)
        .iter()
        .any(|&i| catalog.apis[i].closure == crate::catalog::ClosureRole::Worker)
}

/// A parameter named as a multiprocessing context is (`mp_context`, `context`, `ctx`,
/// `mp_ctx`): `ctx.Process(..)` on it makes a process of the context handed in.
fn is_context_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.ends_with("context") || name == "ctx" || name.ends_with("_ctx")
}

/// A multiprocessing start method, as the path suffix the catalogue knows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Start {
    Fork,
    Spawn,
    Forkserver,
    /// The default where the project's Python versions fork by default.
    Default,
    /// The default, with no declared Python version: fork assumed.
    Assumed,
}

impl Start {
    fn named(name: &str) -> Option<Start> {
        match name {
            "fork" => Some(Start::Fork),
            "spawn" => Some(Start::Spawn),
            "forkserver" => Some(Start::Forkserver),
            _ => None,
        }
    }

    fn suffix(&self) -> &'static str {
        match self {
            Start::Fork => "fork",
            Start::Spawn => "spawn",
            Start::Forkserver => "forkserver",
            Start::Default => "default",
            Start::Assumed => "assumed",
        }
    }
}

/// What an expression evaluates to, as far as the analysis cares.
#[derive(Debug, Clone, Default)]
struct Value {
    /// A module, function or class, by path.
    path: Option<String>,
    /// The type of the object, by path.
    ty: Option<String>,
    /// The variable holding it (`x`, `self.client`).
    var: Option<String>,
    /// The call that produced it.
    call: Option<u32>,
    /// A function of this file, by index.
    func: Option<usize>,
    /// A multiprocessing context (or the module) with this start method.
    start: Option<Start>,
    /// A start method's name (`"forkserver"`), or `None` for the default: what `get_context`
    /// given this value returns.
    method: Option<Start>,
    /// A DataLoader with workers (or an iterable made from one): its fork, by catalogue path,
    /// and where the loader was made.
    loader: Option<(String, Span)>,
    /// Made by a function or a class of a module (`tqdm(..)`), not by a method of another
    /// object: what it runs is its own, and ends with it.
    fresh: bool,
}

#[derive(Debug, Default)]
struct Class {
    methods: HashMap<String, usize>,
    base: Option<String>,
    fields: HashMap<String, String>,
    /// Methods that return a new object of a known class (a factory): its type.
    returns: HashMap<String, String>,
    /// Fields some method recreates under a pid check (`if os.getpid() != self.pid:
    /// self.session = Session()`): each process ends up with its own.
    per_process: HashSet<String>,
    /// Class attributes that name a library or program callable (`Child = staticmethod(Process)`,
    /// `Queue = MQueue`): `self.Child(..)` calls it.
    aliases: HashMap<String, String>,
}

/// A local whose type an `isinstance` test fixed inside one branch, with its binding before.
struct Narrowed {
    name: String,
    class: String,
    old: Option<Value>,
}

#[derive(Debug, Default)]
struct Scope {
    names: HashMap<String, Value>,
    globals: HashSet<String>,
    /// Locals bound, on some path, to what a function or class made (see `Value::fresh`).
    fresh: HashSet<String>,
    /// Locals first bound inside an `if` (or its `else`), with the names its condition reads.
    guarded: HashMap<String, HashSet<String>>,
}

pub struct Lowerer<'s> {
    src: &'s str,
    line_starts: Vec<usize>,
    pub ir: FileIr,
    /// The dotted package that relative imports start from.
    package: Vec<String>,
    /// Folders the module adds to `sys.path` (see `syspath`).
    sys_paths: Vec<std::path::PathBuf>,
    next_call: u32,
    module: HashMap<String, Value>,
    module_globals: Vec<String>,
    scopes: Vec<Scope>,
    classes: HashMap<String, Class>,
    /// Placeholders of module-level functions and methods, by the offset of their `def`.
    declared: HashMap<u32, usize>,
    /// Where the last top-level `def`/`class` of each name starts: an import of the same name
    /// before it is rebound by it.
    defined_at: HashMap<String, u32>,
    fn_path: String,
    returns: Vec<String>,
    nested: usize,
    depth: usize,
    file_start: Start,
    /// Module globals that a child hook assigns: each process has its own.
    per_process: HashSet<String>,
    /// Module-level functions that run in forked children, with the server whose fork runs them.
    hooks: HashMap<String, &'static str>,
    /// A child hook's body is being lowered (with its scope): what it reassigns or disposes of
    /// is recorded.
    in_hook: Option<&'static str>,
    /// Decorated module-level functions, which a framework calls after the import.
    registered: Vec<(String, Span)>,
    /// The module's web request handlers: routes its decorators register, views its URL
    /// patterns name.
    web: Vec<(String, Span)>,
    /// Registered functions whose decorator is a method of a module global (`@hub.on(..)`),
    /// with that global's name: the server it names decides where they run.
    handlers: HashMap<String, String>,
    /// The project runs its servers on green threads (eventlet or gevent are requirements).
    pub green_threads: bool,
    /// This module's functions that the project installs as commands (console scripts).
    pub scripts: Vec<String>,
    /// The project depends on RQ.
    pub rq: bool,
    /// A test module of a project whose pytest runs threads beside each test (its
    /// faulthandler watchdog, pytest-xdist's receiver): their catalogue paths.
    pub test_threads: Vec<&'static str>,
    /// The module's Socket.IO server picks an async mode other than threads.
    socketio_green: bool,
    /// The module defines Celery tasks (`@shared_task`, `@app.task`).
    celery_tasks: bool,
    pid_check: usize,
    with_count: usize,
    main_body: Vec<Node>,
    main_span: Option<Span>,
    /// The `finally:` bodies and `with` blocks around the statement being lowered, outermost
    /// first: a `return` or `raise` runs them (or the blocks' exits) on its way out.
    finally: Vec<Unwind>,
    /// DataLoaders with workers kept in a field (`self.dl = cycle(dl)`), by `Class.field`.
    loader_fields: HashMap<String, (String, Span)>,
    /// DataLoaders with workers that pin memory, by where they were made.
    pinned_loaders: HashSet<Span>,
    /// What the workers of each DataLoader with workers are handed, by where it was made.
    handed_loaders: HashMap<Span, super::workers::Handed>,
    /// The pin-memory threads of iterators made by `iter(..)`, by that call's id: ended when
    /// the iterator is handed straight to `next(..)` or `list(..)`, which drop it.
    kept_pins: HashMap<u32, u32>,
    /// How many `try:` bodies with handlers enclose the statement: an exception raised there
    /// is caught before it leaves the function.
    handled: usize,
    discarded: usize,
    /// The module's functions that run once to their end, and the names of this function
    /// that hold a thread running one (`oneshot`).
    one_shot_fns: HashSet<String>,
    one_shot_threads: Vec<String>,
    /// A flag the function being lowered tests more than once and never assigns, with the
    /// value assumed in this copy of its body.
    assume: Option<(String, bool)>,
    /// Functions of this module that return a multiprocessing context, by path (defined
    /// before the calls that use them).
    returns_start: HashMap<String, Start>,
    /// Functions of this file that return an object of one known class (`def manager():
    /// return _MANAGER` after `_MANAGER = Manager()`), by path; `None` when returns disagree.
    returns_ty: HashMap<String, Option<String>>,
    /// Functions of this module that return a DataLoader with workers (or a tuple holding
    /// one), by path: its fork and where it was made.
    returns_loader: HashMap<String, (String, Span)>,
    /// Keyword-argument dicts that carry a `preexec_fn` (`kw = {"preexec_fn": f}`,
    /// `kw["preexec_fn"] = f`), by `function:name`, with the function they carry.
    preexec_dicts: HashMap<String, Value>,
    /// What keyword-argument dicts built here say of a DataLoader's workers
    /// (`kw = dict(num_workers=n)`, `{"num_workers": n}`, `kw["num_workers"] = n`), by
    /// `function:name`. A dict not here (a setting, a parameter) may give any count.
    worker_dicts: HashMap<String, DictWorkers>,
    /// Module globals some function rebinds (`global ready; ready = True`): not fixed modes.
    rebound: HashSet<String>,
    /// Loop variables over a global of some module (`for f in api.EXPORTED`), by
    /// `function:name`: the global's path, whose items a server may be handed.
    items_of: HashMap<String, String>,
}

fn name_of(e: &Expr) -> Option<&str> {
    match e {
        Expr::Name(n) => Some(n.id.as_str()),
        _ => None,
    }
}

fn starts_upper(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
}

fn last_segment(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path)
}

fn str_lit(e: &Expr) -> Option<&str> {
    match e {
        Expr::StringLiteral(s) => Some(s.value.to_str()),
        _ => None,
    }
}

/// The method name a call on a value of unknown type is looked up by: `x.to(device)` moves
/// tensors or modules to an accelerator (initialising CUDA) when its device argument names one
/// (a `"cuda…"` string, `torch.device("cuda…")`, or a name/attribute that says device, cuda or
/// gpu); `x.to(torch.float16)` or `x.to("cpu")` does not.
fn method_key<'a>(name: &'a str, c: &ast::ExprCall) -> std::borrow::Cow<'a, str> {
    let device = c.arguments.args.first().or_else(|| {
        c.arguments
            .keywords
            .iter()
            .find(|k| k.arg.as_ref().is_some_and(|a| a.id.as_str() == "device"))
            .map(|k| &k.value)
    });
    match device {
        Some(arg) if name == "to" && names_accelerator(arg) => format!("{name}@device").into(),
        _ => name.into(),
    }
}

fn names_accelerator(e: &Expr) -> bool {
    let said = |text: &str| {
        let t = text.to_ascii_lowercase();
        ["device", "cuda", "gpu"].iter().any(|w| t.contains(w))
    };
    match e {
        Expr::StringLiteral(s) => s.value.to_str().starts_with("cuda"),
        Expr::Name(n) => said(n.id.as_str()),
        Expr::Attribute(a) => said(a.attr.id.as_str()),
        Expr::Call(c) => match &*c.func {
            Expr::Attribute(a) if a.attr.id.as_str() == "device" => {
                c.arguments.args.first().is_some_and(names_accelerator)
            }
            // A helper that picks the device (`get_device()`, `dist_util.dev()`).
            Expr::Attribute(a) => said(a.attr.id.as_str()) || a.attr.id.as_str() == "dev",
            Expr::Name(n) => said(n.id.as_str()) || n.id.as_str() == "dev",
            _ => false,
        },
        _ => false,
    }
}

/// Decorators that only wrap a function the program itself calls (not a registration).
const WRAPPING_DECORATORS: &[&str] = &[
    "contextmanager",
    "asynccontextmanager",
    "lru_cache",
    "cache",
    "wraps",
    "overload",
    "abstractmethod",
    "staticmethod",
    "classmethod",
    "property",
];

/// A decorator that hands the function to a framework object (`@app.route(..)`,
/// `@socketio.on(..)`, `@cli.command()`), as opposed to one that wraps it for the program's own
/// callers (`@retry(..)`, `@functools.lru_cache`).
fn registers(e: &Expr) -> bool {
    let target = match e {
        Expr::Call(c) => &*c.func,
        other => other,
    };
    match target {
        Expr::Attribute(a) => !WRAPPING_DECORATORS.contains(&a.attr.id.as_str()),
        _ => false,
    }
}

/// A route decorator: `@x.route("/path")`, `@x.get("/path")` (a URL rule as first argument, so
/// that `@cache.get(key)` and the like are not taken for one).
fn is_route(e: &Expr) -> bool {
    let Expr::Call(c) = e else { return false };
    let Expr::Attribute(a) = &*c.func else {
        return false;
    };
    ROUTE_METHODS.contains(&a.attr.id.as_str())
        && c.arguments
            .args
            .first()
            .and_then(str_lit)
            .is_some_and(|rule| rule.is_empty() || rule.starts_with('/'))
}

/// Module constants equal to the pid a fork returns in the child: CPython Lib/pty.py defines
/// `CHILD = 0` for comparing `pty.fork()`'s result.
const CHILD_PID_CONSTANTS: &[&str] = &["pty::CHILD"];

/// What a `return` or `raise` runs on its way out of the statement being lowered.
enum Unwind {
    /// A `finally:` body.
    Finally(Vec<ast::Stmt>),
    /// The exits of a `with` statement's managers.
    With(Vec<Managed>),
}

/// A context manager of a `with` statement.
struct Managed {
    /// The `as` name (or a placeholder).
    var: String,
    /// What `__exit__` is called on, for a class of this file that manages itself.
    receiver: String,
    own: Option<String>,
    span: Span,
    /// The variable the manager was held in before the `with` (`with pool as p:`).
    held: Option<String>,
    /// What the end of the block calls on the object besides `__exit__` of a class of this
    /// file: `x.close()` for `contextlib.closing(x)` (a marker), a library class's
    /// `__exit__` (`socket.socket`'s closes it), for the catalogue to say what it ends.
    exit: Option<String>,
}

pub(super) fn is_zero(e: &Expr) -> bool {
    matches!(e, Expr::NumberLiteral(n) if matches!(&n.value, ast::Number::Int(i) if *i == ast::Int::ZERO))
}

/// The string-keyed items of a dict literal (`{"k": v}`) or a `dict(k=v)` call.
fn keyword_items(e: &Expr) -> Option<Vec<(&str, &Expr)>> {
    match e {
        Expr::Dict(d) => Some(
            d.items
                .iter()
                .filter_map(|item| Some((item.key.as_ref().and_then(str_lit)?, &item.value)))
                .collect(),
        ),
        Expr::Call(c) if name_of(&c.func) == Some("dict") => Some(
            c.arguments
                .keywords
                .iter()
                .filter_map(|k| Some((k.arg.as_ref()?.id.as_str(), &k.value)))
                .collect(),
        ),
        _ => None,
    }
}

/// What a dict of keyword arguments says of a DataLoader's `num_workers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum DictWorkers {
    /// No workers: no such key (and nothing spread in that could hold one), or a literal 0.
    None,
    /// A literal count above 0.
    Literal,
    /// A count not known here (`opt.workers`), or a dict whose items are not all known
    /// (`{**defaults}`, a setting, a parameter): taken as more than 0.
    Unknown,
}

impl DictWorkers {
    /// What a `num_workers` value gives.
    fn of_count(e: &Expr) -> DictWorkers {
        match e {
            _ if is_zero(e) => DictWorkers::None,
            Expr::NumberLiteral(_) => DictWorkers::Literal,
            _ => DictWorkers::Unknown,
        }
    }

    /// What a dict literal (`{"k": v}`, `dict(k=v)`) gives; `None` for any other expression.
    fn of_literal(e: &Expr) -> Option<DictWorkers> {
        let items = keyword_items(e)?;
        if let Some((_, count)) = items.iter().find(|(k, _)| *k == "num_workers") {
            return Some(DictWorkers::of_count(count));
        }
        // Items spread in from another dict (`{**base}`, `dict(base, k=v)`, `dict(**base)`),
        // or keys that are not strings, may hold the count.
        let opaque = match e {
            Expr::Dict(d) => d
                .items
                .iter()
                .any(|i| i.key.as_ref().is_none_or(|k| str_lit(k).is_none())),
            Expr::Call(c) => {
                !c.arguments.args.is_empty() || c.arguments.keywords.iter().any(|k| k.arg.is_none())
            }
            _ => false,
        };
        Some(if opaque {
            DictWorkers::Unknown
        } else {
            DictWorkers::None
        })
    }
}

/// `os.fork()`, `os.forkpty()` or `pty.fork()` as a statement or an assignment's value.
fn forks_here(stmt: &Stmt) -> bool {
    let value = match stmt {
        Stmt::Expr(e) => &*e.value,
        Stmt::Assign(a) => &*a.value,
        _ => return false,
    };
    let Expr::Call(c) = value else { return false };
    match &*c.func {
        Expr::Attribute(a) => matches!(
            (name_of(&a.value), a.attr.id.as_str()),
            (Some("os"), "fork" | "forkpty") | (Some("pty"), "fork")
        ),
        Expr::Name(n) => matches!(n.id.as_str(), "fork" | "forkpty"),
        _ => false,
    }
}

/// An `except` clause whose last statement leaves: `raise`, `return`, `sys.exit(..)`,
/// `os._exit(..)`.
fn handler_leaves(h: &ast::ExceptHandler) -> bool {
    let ast::ExceptHandler::ExceptHandler(h) = h;
    match h.body.last() {
        Some(Stmt::Raise(_) | Stmt::Return(_)) => true,
        Some(Stmt::Expr(e)) => match &*e.value {
            Expr::Call(c) => match &*c.func {
                Expr::Attribute(a) => matches!(
                    (name_of(&a.value), a.attr.id.as_str()),
                    (Some("sys"), "exit") | (Some("os"), "_exit")
                ),
                Expr::Name(n) => matches!(n.id.as_str(), "exit" | "quit"),
                _ => false,
            },
            _ => false,
        },
        _ => false,
    }
}

/// An `except` clause for `OSError` (or one of its old names), alone or in a tuple.
fn catches_os_error(h: &ast::ExceptHandler) -> bool {
    let ast::ExceptHandler::ExceptHandler(h) = h;
    let is_os_error = |e: &Expr| match e {
        Expr::Name(n) => matches!(n.id.as_str(), "OSError" | "EnvironmentError" | "IOError"),
        Expr::Attribute(a) => name_of(&a.value) == Some("os") && a.attr.id.as_str() == "error",
        _ => false,
    };
    match h.type_.as_deref() {
        Some(Expr::Tuple(t)) => t.elts.iter().any(is_os_error),
        Some(e) => is_os_error(e),
        None => false,
    }
}

/// `if __name__ == "__main__":`, also as one operand of an `and`
/// (`if sys.platform != "win32" and __name__ == "__main__":`).
fn is_main_guard(test: &Expr) -> bool {
    if let Expr::BoolOp(b) = test {
        return b.op == ast::BoolOp::And && b.values.iter().any(is_main_guard);
    }
    let Expr::Compare(c) = test else { return false };
    if c.ops.len() != 1 || c.ops[0] != ast::CmpOp::Eq {
        return false;
    }
    let (a, b) = (&*c.left, &c.comparators[0]);
    (name_of(a) == Some("__name__") && str_lit(b) == Some("__main__"))
        || (name_of(b) == Some("__name__") && str_lit(a) == Some("__main__"))
}

/// The string passed to a call named `name` (`set_start_method("spawn")`) anywhere in the file.
fn find_call_arg(body: &[Stmt], name: &str) -> Option<String> {
    struct Finder<'n> {
        name: &'n str,
        found: Option<String>,
    }
    impl<'a> ast::visitor::Visitor<'a> for Finder<'_> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Call(c) = expr {
                let callee = match &*c.func {
                    Expr::Attribute(a) => Some(a.attr.id.as_str()),
                    Expr::Name(n) => Some(n.id.as_str()),
                    _ => None,
                };
                if callee == Some(self.name) && self.found.is_none() {
                    self.found = c
                        .arguments
                        .args
                        .first()
                        .or_else(|| c.arguments.keywords.first().map(|k| &k.value))
                        .and_then(str_lit)
                        .map(str::to_string);
                }
            }
            ast::visitor::walk_expr(self, expr);
        }
    }
    let mut f = Finder { name, found: None };
    for stmt in body {
        ast::visitor::Visitor::visit_stmt(&mut f, stmt);
    }
    f.found
}

/// The method a `set_start_method(..)` call sets when the module's code reaches it under no test
/// but the main guard: at module level, in a function, a `try:` or a `with` block.
fn unconditional_start_method(body: &[Stmt]) -> Option<String> {
    body.iter().find_map(|stmt| match stmt {
        Stmt::Expr(e) => match &*e.value {
            Expr::Call(c) if tail(&c.func) == Some("set_start_method") => c
                .arguments
                .args
                .first()
                .or_else(|| {
                    c.arguments
                        .keywords
                        .iter()
                        .find(|k| k.arg.as_ref().is_some_and(|a| a.id.as_str() == "method"))
                        .map(|k| &k.value)
                })
                .and_then(str_lit)
                .map(str::to_string),
            _ => None,
        },
        Stmt::FunctionDef(f) => unconditional_start_method(&f.body),
        Stmt::With(w) => unconditional_start_method(&w.body),
        Stmt::Try(t) => unconditional_start_method(&t.body),
        Stmt::If(i) if is_main_guard(&i.test) => unconditional_start_method(&i.body),
        _ => None,
    })
}

/// The names an expression reads.
fn names_read(e: &Expr) -> HashSet<String> {
    struct Names(HashSet<String>);
    impl<'a> ast::visitor::Visitor<'a> for Names {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Name(n) = expr {
                self.0.insert(n.id.to_string());
            }
            ast::visitor::walk_expr(self, expr);
        }
    }
    let mut names = Names(HashSet::new());
    ast::visitor::Visitor::visit_expr(&mut names, e);
    names.0
}

/// The names a block's own statements assign (`x = ..`), not those of nested blocks.
fn assigned_names(body: &[Stmt]) -> impl Iterator<Item = &str> {
    body.iter().flat_map(|stmt| match stmt {
        Stmt::Assign(a) => a.targets.iter().filter_map(name_of).collect(),
        Stmt::AnnAssign(a) => name_of(&a.target).into_iter().collect(),
        _ => Vec::new(),
    })
}

/// The locals a block's own statements call methods on (`pool.close()`).
fn used_objects(body: &[Stmt]) -> Vec<&str> {
    body.iter()
        .filter_map(|stmt| match stmt {
            Stmt::Expr(e) => match &*e.value {
                Expr::Call(c) => match &*c.func {
                    Expr::Attribute(a) => name_of(&a.value),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// The last name of a dotted expression (`uwsgidecorators.postfork` → `postfork`).
fn tail(e: &Expr) -> Option<&str> {
    match e {
        Expr::Name(n) => Some(n.id.as_str()),
        Expr::Attribute(a) => Some(a.attr.id.as_str()),
        _ => None,
    }
}

/// `worker_process_init.connect` (or `signals.worker_process_init.connect`).
fn is_celery_child_signal(e: &Expr) -> bool {
    matches!(e, Expr::Attribute(a) if a.attr.id.as_str() == "connect"
        && tail(&a.value) == Some("worker_process_init"))
}

/// A decorator that registers the function to run in every child a server forks, with that
/// server: uWSGI's `@postfork`, Celery's `@worker_process_init.connect` (also called with
/// arguments).
fn child_hook_decorator(e: &Expr) -> Option<&'static str> {
    let e = match e {
        Expr::Call(c) => &*c.func,
        other => other,
    };
    if tail(e) == Some("postfork") {
        Some("uwsgi")
    } else {
        is_celery_child_signal(e).then_some("celery")
    }
}

/// `worker_init.connect` (or `signals.celeryd_init.connect`): a signal of the worker's main
/// process, sent before the pool forks.
fn is_celery_master_signal(e: &Expr) -> bool {
    let e = match e {
        Expr::Call(c) => &*c.func,
        other => other,
    };
    matches!(e, Expr::Attribute(a) if a.attr.id.as_str() == "connect"
        && tail(&a.value).is_some_and(|s| CELERY_MASTER_SIGNALS.contains(&s)))
}

/// The module-level functions connected to those signals (decorated, or handed to
/// `connect(f)` at the top level), with where each is defined or connected.
fn celery_master_handlers(body: &[Stmt]) -> Vec<(String, TextRange)> {
    let mut out = Vec::new();
    for stmt in body {
        match stmt {
            Stmt::FunctionDef(f)
                if f.decorator_list
                    .iter()
                    .any(|d| is_celery_master_signal(&d.expression)) =>
            {
                out.push((f.name.id.to_string(), f.range()));
            }
            Stmt::Expr(e) => {
                if let Expr::Call(c) = &*e.value {
                    if is_celery_master_signal(&c.func) {
                        let name = c.arguments.args.first().and_then(name_of);
                        out.extend(name.map(|n| (n.to_string(), c.range())));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// `@shared_task`, `@app.task`, `@celery.task(bind=True)`: a Celery task.
fn is_celery_task_decorator(e: &Expr) -> bool {
    let e = match e {
        Expr::Call(c) => &*c.func,
        other => other,
    };
    match e {
        Expr::Name(n) => n.id.as_str() == "shared_task",
        Expr::Attribute(a) => matches!(a.attr.id.as_str(), "task" | "shared_task"),
        _ => false,
    }
}

/// gunicorn's hooks that run in each worker after the fork (gunicorn docs, server hooks).
const GUNICORN_CHILD_HOOKS: &[&str] = &["post_fork", "post_worker_init"];

/// The module-level functions that run in every forked child: `os.register_at_fork`'s
/// `after_in_child`, `worker_process_init.connect(f)`, decorated ones, and gunicorn's child hooks
/// when this is a gunicorn configuration.
/// The module-level functions that run in forked children, each with the server whose fork
/// runs it (`gunicorn`, `uwsgi`, `celery`), or `EVERY_FORK` for `os.register_at_fork`.
fn child_hooks(body: &[Stmt], gunicorn_config: bool) -> HashMap<String, &'static str> {
    struct Hooks(HashMap<String, &'static str>);
    impl<'a> ast::visitor::Visitor<'a> for Hooks {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Call(c) = expr {
                if tail(&c.func) == Some("register_at_fork") {
                    for k in &c.arguments.keywords {
                        if k.arg
                            .as_ref()
                            .is_some_and(|a| a.id.as_str() == "after_in_child")
                        {
                            if let Some(n) = name_of(&k.value) {
                                self.0.insert(n.to_string(), EVERY_FORK);
                            }
                        }
                    }
                }
                if is_celery_child_signal(&c.func) {
                    if let Some(n) = c.arguments.args.first().and_then(name_of) {
                        self.0.insert(n.to_string(), "celery");
                    }
                }
            }
            ast::visitor::walk_expr(self, expr);
        }
    }
    let mut hooks = Hooks(HashMap::new());
    for stmt in body {
        ast::visitor::Visitor::visit_stmt(&mut hooks, stmt);
        if let Stmt::FunctionDef(f) = stmt {
            let name = f.name.id.as_str();
            let decorated = f
                .decorator_list
                .iter()
                .find_map(|d| child_hook_decorator(&d.expression));
            if let Some(server) = decorated {
                hooks.0.insert(name.to_string(), server);
            } else if gunicorn_config && GUNICORN_CHILD_HOOKS.contains(&name) {
                hooks.0.insert(name.to_string(), "gunicorn");
            }
        }
    }
    hooks.0
}

/// The scope of an `os.register_at_fork(after_in_child=..)` hook: it runs after every fork.
pub const EVERY_FORK: &str = "";

/// The module globals that child hooks assign (`global client; client = MongoClient()`): those
/// objects are recreated in every child.
fn reset_in_child(body: &[Stmt], hooks: &HashMap<String, &'static str>) -> HashSet<String> {
    struct Assigned(HashSet<String>, HashSet<String>);
    impl<'a> ast::visitor::Visitor<'a> for Assigned {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            match stmt {
                Stmt::Global(g) => self.0.extend(g.names.iter().map(|n| n.id.to_string())),
                Stmt::Assign(a) => {
                    for t in &a.targets {
                        if let Some(n) = name_of(t) {
                            self.1.insert(n.to_string());
                        }
                    }
                }
                _ => {}
            }
            ast::visitor::walk_stmt(self, stmt);
        }
    }
    let mut out = HashSet::new();
    for stmt in body {
        if let Stmt::FunctionDef(f) = stmt {
            // A server's hook makes the object its workers' own, not every fork's: the linker
            // places that reset at the server's fork.
            if hooks.get(f.name.id.as_str()) == Some(&EVERY_FORK) {
                let mut a = Assigned(HashSet::new(), HashSet::new());
                for s in &f.body {
                    ast::visitor::Visitor::visit_stmt(&mut a, s);
                }
                out.extend(a.1.intersection(&a.0).cloned());
            }
        }
    }
    out
}

/// Methods that end an object's connections in the process that calls them (SQLAlchemy
/// `Engine.dispose`, DB-API and client `close`, redis-py `ConnectionPool.reset`/`disconnect`).
const RESET_METHODS: &[&str] = &["dispose", "close", "reset", "disconnect"];

impl<'s> Lowerer<'s> {
    pub fn new(src: &'s str, ir: FileIr, package: Vec<String>, default: &DefaultStart) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        let file_start = match default {
            DefaultStart::Fork(_) => Start::Default,
            DefaultStart::Forkserver => Start::Forkserver,
            DefaultStart::Assumed => Start::Assumed,
        };
        Lowerer {
            src,
            line_starts,
            ir,
            package,
            sys_paths: Vec::new(),
            next_call: 0,
            module: HashMap::new(),
            module_globals: Vec::new(),
            scopes: Vec::new(),
            classes: HashMap::new(),
            declared: HashMap::new(),
            defined_at: HashMap::new(),
            fn_path: String::new(),
            returns: Vec::new(),
            nested: 0,
            depth: 0,
            file_start,
            per_process: HashSet::new(),
            hooks: HashMap::new(),
            in_hook: None,
            registered: Vec::new(),
            web: Vec::new(),
            handlers: HashMap::new(),
            green_threads: false,
            scripts: Vec::new(),
            rq: false,
            test_threads: Vec::new(),
            socketio_green: false,
            celery_tasks: false,
            pid_check: 0,
            with_count: 0,
            main_body: Vec::new(),
            main_span: None,
            finally: Vec::new(),
            handled: 0,
            loader_fields: HashMap::new(),
            pinned_loaders: HashSet::new(),
            handed_loaders: HashMap::new(),
            kept_pins: HashMap::new(),
            discarded: 0,
            one_shot_fns: HashSet::new(),
            one_shot_threads: Vec::new(),
            assume: None,
            preexec_dicts: HashMap::new(),
            worker_dicts: HashMap::new(),
            returns_start: HashMap::new(),
            returns_ty: HashMap::new(),
            returns_loader: HashMap::new(),
            rebound: HashSet::new(),
            items_of: HashMap::new(),
        }
    }

    // ----- positions -----------------------------------------------------------------------

    fn pos(&self, offset: usize) -> (u32, u32) {
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let col = self
            .src
            .get(start..offset)
            .map_or(offset - start, |t| t.chars().count());
        (line as u32, col as u32 + 1)
    }

    fn span(&self, r: TextRange) -> Span {
        let (line, col) = self.pos(r.start().to_usize());
        let (end_line, end_col) = self.pos(r.end().to_usize());
        Span {
            line,
            col,
            end_line,
            end_col,
        }
    }

    fn call(&mut self, callee: Callee, span: Span) -> Call {
        let id = self.next_call;
        self.next_call += 1;
        Call::new(id, callee, span)
    }

    fn marker(&mut self, path: &str, span: Span, vars: Vec<String>, out: &mut Vec<Node>) {
        let mut c = self.call(Callee::Path(vec![path.to_string()]), span);
        c.receiver = vars.first().cloned();
        c.arg_vars = vars.into();
        out.push(Node::Call(c));
    }

    fn note_module(&mut self, name: &str) {
        if !name.is_empty() && !self.ir.crates_used.iter().any(|c| c == name) {
            self.ir.crates_used.push(name.to_string());
        }
    }

    // ----- the module ----------------------------------------------------------------------

    pub fn lower_module(&mut self, body: &[Stmt]) {
        // Python-only catalogue entries name this pseudo-module, so they never match Rust files.
        self.note_module("<python>");
        if let Some(method) = find_call_arg(body, "set_start_method").and_then(|m| Start::named(&m))
        {
            self.file_start = method;
        }
        // Only a setting made on every platform holds for the modules this one calls
        // (`if sys.platform == "darwin": set_start_method("spawn")` says nothing about Linux).
        self.ir.sets_start_method =
            unconditional_start_method(body).filter(|m| Start::named(m).is_some());
        let gunicorn = servers::is_gunicorn_config(std::path::Path::new(&self.ir.path));
        self.hooks = child_hooks(body, gunicorn);
        self.one_shot_fns = super::oneshot::one_shot_functions(body);
        self.per_process = reset_in_child(body, &self.hooks);
        self.rebound = declared_global(body);
        self.sys_paths = super::syspath::added_folders(std::path::Path::new(&self.ir.path), body);
        // Only unconditional definitions: `except ImportError: def f(..)` is a fallback.
        for stmt in body {
            let (name, at) = match stmt {
                Stmt::FunctionDef(f) => (&f.name, f.range.start()),
                Stmt::ClassDef(c) => (&c.name, c.range.start()),
                _ => continue,
            };
            self.defined_at.insert(name.id.to_string(), at.to_u32());
        }
        self.declare(body);
        self.ir.option_settings = super::options::settings(body);
        let index = self.ir.functions.len();
        let first_line = Span {
            line: 1,
            col: 1,
            end_line: 1,
            end_col: 1,
        };
        self.ir.functions.push(function(
            format!("self::{MODULE_FN}"),
            FnKind::Free,
            first_line,
            Block::default(),
        ));
        self.fn_path = format!("self::{MODULE_FN}");
        let block = self.lower_stmts(body);
        self.ir.functions[index].body = block;
        self.ir.functions[index].returns = std::mem::take(&mut self.module_globals);
        if gunicorn {
            let settings = self.settings(body);
            let path = std::path::PathBuf::from(&self.ir.path);
            let dir = path.parent().unwrap_or(std::path::Path::new("."));
            if let Some(prefork) = servers::gunicorn(dir, &settings) {
                servers::add(&mut self.ir, prefork, &mut self.next_call);
            }
            let flags = servers::GunicornFlags::default();
            if let Some(worker) = servers::gunicorn_worker(dir, &settings, None, &flags) {
                servers::add_worker(&mut self.ir, worker, &mut self.next_call);
            }
        }
        self.ir.function_lists = rpc::function_lists(body, &|e| self.quiet_path(e));
        self.add_entry();
        self.add_web(body);
        let path = std::path::PathBuf::from(&self.ir.path);
        for prefork in super::argv::preforks(&path, body, &|r| self.span(r)) {
            servers::add(&mut self.ir, prefork, &mut self.next_call);
        }
        if let Some(prefork) = self.rq_settings(body) {
            servers::add(&mut self.ir, prefork, &mut self.next_call);
        }
        if self.celery_tasks {
            // A Celery worker imports its task modules before its pool forks (link.rs).
            let span = Span::default();
            self.ir.functions.push(function(
                format!("self::{CELERY_TASKS_FN}"),
                FnKind::Free,
                span,
                Block::default(),
            ));
        }
        let handlers = celery_master_handlers(body);
        if !handlers.is_empty() {
            let nodes = handlers
                .into_iter()
                .map(|(name, range)| {
                    let span = self.span(range);
                    Node::Call(self.call(Callee::Path(vec![format!("self::{name}")]), span))
                })
                .collect();
            let body = Block {
                nodes,
                locals: Vec::new(),
            };
            self.ir.functions.push(function(
                format!("self::{CELERY_MASTER_FN}"),
                FnKind::Free,
                Span::default(),
                body,
            ));
        }
        if let Some(span) = self.main_span {
            let run = self.call(Callee::Path(vec![format!("self::{MODULE_FN}")]), span);
            let mut nodes = vec![Node::Call(run)];
            nodes.append(&mut self.main_body);
            let body = Block {
                nodes,
                locals: Vec::new(),
            };
            let mut main = function(format!("self::{MAIN_FN}"), FnKind::Free, span, body);
            main.is_main = true;
            self.ir.functions.push(main);
        }
    }

    /// A settings module of an RQ project (`*settings*.py` naming the Redis server or the
    /// queues at its top level, as `rq worker -c module` reads them): the worker imports it,
    /// then forks a work horse per job. The fork is placed at the module's last statement,
    /// where the import is over.
    fn rq_settings(&self, body: &[Stmt]) -> Option<servers::Prefork> {
        let stem = std::path::Path::new(&self.ir.path).file_stem()?.to_str()?;
        if !self.rq || !stem.contains("settings") {
            return None;
        }
        let names_server = body.iter().any(|stmt| match stmt {
            Stmt::Assign(a) => a
                .targets
                .iter()
                .any(|t| name_of(t).is_some_and(|n| RQ_SETTINGS.contains(&n))),
            Stmt::AnnAssign(a) => name_of(&a.target).is_some_and(|n| RQ_SETTINGS.contains(&n)),
            _ => false,
        });
        let last = body.last().filter(|_| names_server)?;
        let end = self.span(last.range());
        let at = Span {
            line: end.end_line,
            col: 1,
            end_line: end.end_line,
            end_col: end.end_col,
        };
        Some(servers::Prefork {
            modules: vec![("self".to_string(), at)],
            factory: None,
            hooks: Vec::new(),
            fork: RQ_FORK,
            fork_span: at,
        })
    }

    /// `<entry>`: the module is imported, then a framework calls one of its registered
    /// functions; each of them starts from what the import left alive.
    fn add_entry(&mut self) {
        if self.registered.is_empty() {
            return;
        }
        let first = Span {
            line: 1,
            col: 1,
            end_line: 1,
            end_col: 1,
        };
        let import = self.call(Callee::Path(vec![format!("self::{MODULE_FN}")]), first);
        // Request handlers run where a server worker runs them (`<web>`), after the import
        // that worker made, if any.
        let registered = std::mem::take(&mut self.registered);
        let web: HashSet<&str> = self.web.iter().map(|(p, _)| p.as_str()).collect();
        let registered: Vec<_> = registered
            .into_iter()
            .filter(|(p, _)| !web.contains(p.as_str()))
            .collect();
        if registered.is_empty() {
            return;
        }
        let arms = registered
            .into_iter()
            .map(|(path, span)| {
                let mut nodes = Vec::new();
                if let Some((threads, server)) = self.handler_threads(&path) {
                    let mut marker = self.call(Callee::Path(vec![threads]), span);
                    // The scheduler the job runs on, for the linker to see it started.
                    marker.receiver_global = server;
                    nodes.push(Node::Call(marker));
                }
                nodes.push(Node::Call(self.call(Callee::Path(vec![path]), span)));
                Arm {
                    test: None,
                    body: Block {
                        nodes,
                        locals: Vec::new(),
                    },
                    span,
                    ..Arm::default()
                }
            })
            .collect();
        let body = Block {
            nodes: vec![
                Node::Call(import),
                Node::Branch(Branch {
                    span: first,
                    arms,
                    exhaustive: false,
                }),
            ],
            locals: Vec::new(),
        };
        self.ir.functions.push(function(
            format!("self::{ENTRY_FN}"),
            FnKind::Free,
            first,
            body,
        ));
    }

    /// `<web>`: one arm per request handler of the module, in a loop (requests follow each
    /// other), which a server worker calls after
    /// importing the application (link.rs joins them to each `<worker>`). A `urls.py` names
    /// Django's views in its `path()`/`re_path()`/`url()` patterns (a class's `as_view()`
    /// runs its method handlers).
    fn add_web(&mut self, body: &[Stmt]) {
        let urls = std::path::Path::new(&self.ir.path)
            .file_stem()
            .is_some_and(|s| s == "urls");
        if urls {
            struct Patterns<'a>(Vec<&'a ast::ExprCall>);
            impl<'a> ast::visitor::Visitor<'a> for Patterns<'a> {
                fn visit_stmt(&mut self, stmt: &'a Stmt) {
                    // Module level only: a function's calls are not the module's patterns.
                    if !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
                        ast::visitor::walk_stmt(self, stmt);
                    }
                }
                fn visit_expr(&mut self, expr: &'a Expr) {
                    if let Expr::Call(c) = expr {
                        if matches!(tail(&c.func), Some("path" | "re_path" | "url")) {
                            self.0.push(c);
                        }
                    }
                    ast::visitor::walk_expr(self, expr);
                }
            }
            let mut found = Patterns(Vec::new());
            for stmt in body {
                ast::visitor::Visitor::visit_stmt(&mut found, stmt);
            }
            for c in found.0 {
                let Some(view) = c.arguments.args.get(1) else {
                    continue;
                };
                let span = self.span(view.range());
                match view {
                    Expr::Call(v) => {
                        let Expr::Attribute(a) = &*v.func else {
                            continue;
                        };
                        let Some(class) = self.quiet_path(&a.value) else {
                            continue;
                        };
                        if a.attr.id.as_str() == "as_view" {
                            for method in VIEW_METHODS {
                                self.web.push((format!("{class}::{method}"), span));
                            }
                        }
                    }
                    other => {
                        if let Some(path) = self.quiet_path(other) {
                            self.web.push((path, span));
                        }
                    }
                }
            }
        }
        if self.web.is_empty() {
            return;
        }
        let handlers = std::mem::take(&mut self.web);
        let first = handlers[0].1;
        let arms = handlers
            .into_iter()
            .map(|(path, span)| Arm {
                test: None,
                body: Block {
                    nodes: vec![Node::Call(self.call(Callee::Path(vec![path]), span))],
                    locals: Vec::new(),
                },
                span,
                ..Arm::default()
            })
            .collect();
        // A worker serves request after request, each by any handler: what one request left
        // running (the loop's default executor, a pool kept in a global) is there when a later
        // one forks.
        let body = Block {
            nodes: vec![Node::Loop {
                body: Block {
                    nodes: vec![Node::Branch(Branch {
                        span: first,
                        arms,
                        exhaustive: false,
                    })],
                    locals: Vec::new(),
                },
                at_least_once: false,
            }],
            locals: Vec::new(),
        };
        self.ir.functions.push(function(
            format!("self::{WEB_FN}"),
            FnKind::Free,
            first,
            body,
        ));
    }

    /// What runs beside a registered handler while its server calls it: Flask-SocketIO in
    /// threading mode (no eventlet or gevent in the project, no other `async_mode`) calls
    /// each handler on a request thread, beside the server's other threads; an APScheduler
    /// scheduler runs each job on its executor's pool thread.
    /// With a scheduler's job, the module global holding the scheduler.
    fn handler_threads(&self, path: &str) -> Option<(String, Option<String>)> {
        let server = self.handlers.get(path)?;
        let ty = self.module.get(server)?.ty.as_deref()?;
        if THREAD_POOL_SCHEDULERS.contains(&ty) {
            let global = format!("self::{server}");
            return Some((format!("{ty}{SCHEDULER_JOB_THREAD}"), Some(global)));
        }
        (SOCKETIO_SERVERS.contains(&ty) && !self.green_threads && !self.socketio_green)
            .then(|| (format!("{ty}{SOCKETIO_THREADING}"), None))
    }

    /// Top-level `name = value` settings (a configuration file's): literals as text, any
    /// other expression as [`servers::COMPUTED`] (gunicorn evaluates it when it reads the file).
    fn settings(&self, body: &[Stmt]) -> Vec<(String, String, Span)> {
        body.iter()
            .filter_map(|stmt| {
                let Stmt::Assign(a) = stmt else { return None };
                let [target] = a.targets.as_slice() else {
                    return None;
                };
                let value = match &*a.value {
                    Expr::BooleanLiteral(b) => if b.value { "True" } else { "False" }.to_string(),
                    Expr::StringLiteral(s) => s.value.to_str().to_string(),
                    Expr::NumberLiteral(n) => match &n.value {
                        ast::Number::Int(i) => i.to_string(),
                        _ => servers::COMPUTED.to_string(),
                    },
                    _ => servers::COMPUTED.to_string(),
                };
                Some((name_of(target)?.to_string(), value, self.span(a.range)))
            })
            .collect()
    }

    /// Placeholders for a class's methods, and for those of the classes nested in it
    /// (`Outer.Inner`, reached as `self.Inner()` from the outer class's methods).
    fn declare_class(&mut self, c: &ast::StmtClassDef, path: &str) {
        let mut class = Class::default();
        for item in &c.body {
            match item {
                Stmt::FunctionDef(m) => {
                    let index = self.placeholder(
                        format!("{path}::{}", m.name.id),
                        FnKind::Method,
                        m.name.range,
                    );
                    self.declared.insert(m.range.start().to_u32(), index);
                    class.methods.insert(m.name.id.to_string(), index);
                }
                Stmt::ClassDef(inner) => {
                    self.declare_class(inner, &format!("{path}::{}", inner.name.id));
                }
                _ => {}
            }
        }
        if let Some(fields) = generated_init_fields(c, &class) {
            // The generated `__init__` assigns each field and calls none of them: a
            // function handed to the constructor is stored, not run.
            let index = self.placeholder(format!("{path}::__init__"), FnKind::Method, c.name.range);
            self.ir.functions[index].params = fields;
            class.methods.insert("__init__".to_string(), index);
        }
        self.classes.insert(path.to_string(), class);
    }

    /// Placeholders for the module's functions, classes and methods, so that calls and
    /// references resolve before (and wherever) their `def` is lowered.
    fn declare(&mut self, body: &[Stmt]) {
        for stmt in body {
            match stmt {
                Stmt::FunctionDef(f) => {
                    let path = format!("self::{}", f.name.id);
                    let index = self.placeholder(path.clone(), FnKind::Free, f.name.range);
                    self.declared.insert(f.range.start().to_u32(), index);
                    // A command the project installs imports the module, then calls it.
                    let script = self.scripts.iter().any(|s| *s == f.name.id.as_str());
                    if script && f.decorator_list.is_empty() {
                        self.registered
                            .push((path.clone(), self.span(f.name.range)));
                        self.ir.functions[index].is_main = true;
                    }
                    // A decorator registers the function with a framework (a CLI command, a
                    // route, a task) that calls it after the module is imported.
                    if !f.decorator_list.is_empty() && !self.hooks.contains_key(f.name.id.as_str())
                    {
                        self.registered
                            .push((path.clone(), self.span(f.name.range)));
                        // What it returns goes back into the framework's code: a forked child
                        // that returns from it runs the framework on, like one leaving `main`.
                        self.ir.functions[index].is_main =
                            f.decorator_list.iter().all(|d| registers(&d.expression));
                        if f.decorator_list.iter().any(|d| is_route(&d.expression)) {
                            self.web.push((path.clone(), self.span(f.name.range)));
                        }
                        if let Some(server) = f.decorator_list.iter().find_map(|d| {
                            let Expr::Call(c) = &d.expression else {
                                return None;
                            };
                            let Expr::Attribute(a) = &*c.func else {
                                return None;
                            };
                            name_of(&a.value).map(str::to_string)
                        }) {
                            self.handlers.insert(path.clone(), server);
                        }
                    }
                    self.celery_tasks |= f
                        .decorator_list
                        .iter()
                        .any(|d| is_celery_task_decorator(&d.expression));
                    self.module.insert(
                        f.name.id.to_string(),
                        Value {
                            path: Some(path),
                            func: Some(index),
                            ..Default::default()
                        },
                    );
                }
                Stmt::ClassDef(c) => {
                    let path = format!("self::{}", c.name.id);
                    self.declare_class(c, &path);
                    self.module.insert(
                        c.name.id.to_string(),
                        Value {
                            path: Some(path),
                            ..Default::default()
                        },
                    );
                }
                Stmt::If(_) | Stmt::Try(_) => {
                    for body in super::local_imports::conditional_bodies(stmt) {
                        self.declare(body);
                    }
                }
                _ => {}
            }
        }
    }

    fn placeholder(&mut self, path: String, kind: FnKind, name: TextRange) -> usize {
        let index = self.ir.functions.len();
        let span = self.span(name);
        self.ir
            .functions
            .push(function(path, kind, span, Block::default()));
        index
    }

    /// Lowers a `def` into the function at `index`.
    fn lower_def(&mut self, index: usize, f: &ast::StmtFunctionDef, self_ty: Option<String>) {
        self.ir.functions[index].generator = super::generator::yields(&f.body);
        if is_pytest_test(f.name.as_str(), self_ty.as_deref()) {
            let span = self.span(f.name.range);
            for thread in self.test_threads.clone() {
                let call = self.call(Callee::Path(vec![thread.to_string()]), span);
                self.ir.functions[index].implied.push(call);
            }
        }
        let mut scope = Scope::default();
        let mut params = Vec::new();
        let p = &f.parameters;
        let all = p
            .posonlyargs
            .iter()
            .chain(&p.args)
            .chain(&p.kwonlyargs)
            .map(|a| &a.parameter)
            .chain(p.vararg.as_deref())
            .chain(p.kwarg.as_deref());
        for (i, param) in all.enumerate() {
            let name = param.name.id.to_string();
            let ty = if i == 0 { self_ty.clone() } else { None };
            // A multiprocessing context handed in (`mp_context`, `ctx`): the caller's value is
            // not known here, and the one a caller passes when it has no other is the module
            // or the default context.
            let start = is_context_param(&name).then(|| self.file_start.clone());
            scope.names.insert(
                name.clone(),
                Value {
                    var: Some(name.clone()),
                    ty,
                    start,
                    ..Default::default()
                },
            );
            params.push(name);
        }
        let saved = (
            std::mem::replace(&mut self.fn_path, self.ir.functions[index].path.clone()),
            std::mem::take(&mut self.returns),
            std::mem::take(&mut self.nested),
            std::mem::take(&mut self.one_shot_threads),
        );
        let outer_finally = std::mem::take(&mut self.finally);
        let hook = self
            .hooks
            .get(f.name.id.as_str())
            .copied()
            .filter(|_| self.scopes.is_empty() && self_ty.is_none());
        let outer_hook = std::mem::replace(&mut self.in_hook, hook);
        self.scopes.push(scope);
        let outer_assume = self.assume.take();
        // A mode fixed for the call: a parameter, or a module global no function rebinds.
        let fixed = |name: &str| {
            params.iter().any(|p| p == name)
                || (self.module.contains_key(name) && !self.rebound.contains(name))
        };
        let flag = correlated_flag(&f.body).filter(|n| fixed(n));
        let body = match flag {
            // Path sensitivity on that flag: one copy of the body per value, so a thread
            // started in one mode never meets a fork made only in the other.
            Some(flag) => {
                let span = self.span(f.name.range);
                let mut arms = Vec::new();
                for value in [true, false] {
                    self.assume = Some((flag.clone(), value));
                    arms.push(Arm {
                        test: None,
                        body: self.lower_stmts(&f.body),
                        span,
                        ..Default::default()
                    });
                }
                Block {
                    nodes: vec![Node::Branch(Branch {
                        span,
                        arms,
                        exhaustive: true,
                    })],
                    locals: Vec::new(),
                }
            }
            None => self.lower_stmts(&f.body),
        };
        let body = match self.fork_per_call(f) {
            Some(fork) => self.in_forked_child(fork, self.span(f.name.range), body),
            None => body,
        };
        self.assume = outer_assume;
        self.scopes.pop();
        self.in_hook = outer_hook;
        let mut returns = std::mem::replace(&mut self.returns, saved.1);
        // The object a method is called on outlives the call.
        if self_ty.is_some() {
            returns.extend(params.first().cloned());
        }
        self.fn_path = saved.0;
        self.nested = saved.2;
        self.one_shot_threads = saved.3;
        self.finally = outer_finally;
        let func = &mut self.ir.functions[index];
        func.params = params;
        func.returns = returns;
        func.body = body;
    }

    /// The local an exhausting builtin runs to its end: the argument itself, or the iterable
    /// of a wrapper that passes its items on (`chain.from_iterable(bar)`, `enumerate(bar)`),
    /// when a function or class made it (`bar = tqdm(..)`).
    fn exhausted(&self, e: &Expr) -> Option<String> {
        match e {
            Expr::Name(n) => {
                let name = n.id.as_str();
                let fresh = self.scopes.last().is_some_and(|s| s.fresh.contains(name));
                self.lookup(name).var.filter(|_| fresh)
            }
            Expr::Call(c) => {
                let path = self.quiet_path(&c.func)?;
                PASSING_ON.contains(&path.as_str()).then_some(())?;
                c.arguments.args.iter().find_map(|a| self.exhausted(a))
            }
            _ => None,
        }
    }

    /// The catalogue fork of a decorator that runs each call of the function in a forked child
    /// (Sage's `@parallel` with its default `p_iter`, "fork"; an integer first argument is the
    /// CPU count, `p_iter="multiprocessing"`/`"reference"` are not this fork).
    fn fork_per_call(&self, f: &ast::StmtFunctionDef) -> Option<&'static str> {
        f.decorator_list.iter().find_map(|d| {
            let (target, call) = match &d.expression {
                Expr::Call(c) => (&*c.func, Some(c)),
                other => (other, None),
            };
            let path = self.quiet_path(target)?;
            let (_, fork) = FORK_PER_CALL.iter().find(|(p, _)| *p == path)?;
            let p_iter = call.and_then(|c| {
                c.arguments
                    .keywords
                    .iter()
                    .find(|k| k.arg.as_ref().is_some_and(|a| a.id.as_str() == "p_iter"))
                    .map(|k| &k.value)
                    .or(c.arguments.args.first())
            });
            match p_iter {
                Some(Expr::StringLiteral(s)) if s.value.to_str() != "fork" => None,
                Some(Expr::StringLiteral(_) | Expr::NumberLiteral(_)) | None => Some(*fork),
                Some(_) => None,
            }
        })
    }

    /// A function body run in the child of a fork made at `span` for each call: the parent
    /// goes on without running it, the child runs it and leaves with `os._exit`.
    fn in_forked_child(&mut self, fork: &str, span: Span, mut body: Block) -> Block {
        let pid = "<forked-call>".to_string();
        let mut call = self.call(Callee::Path(vec![fork.to_string()]), span);
        call.bind = Some(pid.clone());
        let exit = self.call(Callee::Path(vec!["os::_exit".to_string()]), span);
        // The framework's child takes what the body returns (or raises) and leaves with
        // `os._exit`: a `return` ends the child there, it goes back into no caller.
        exit_on_return(&mut body, &exit);
        body.nodes.push(Node::Call(exit));
        let child = Arm {
            test: Some(ForkTest {
                subject: Subject::Var(pid.clone()),
                side: Side::Child,
                variant: None,
                via: None,
            }),
            body,
            span,
            ..Arm::default()
        };
        Block {
            nodes: vec![
                Node::Call(call),
                Node::Branch(Branch {
                    span,
                    arms: vec![child],
                    exhaustive: false,
                }),
            ],
            locals: vec![pid],
        }
    }

    fn lower_class(&mut self, c: &ast::StmtClassDef, path: String, out: &mut Vec<Node>) {
        // The first base, unless a later one is a context's process class (`class
        // Worker(Job, ctx.Process)`): that one decides how the object forks.
        let mut base = None;
        for (i, b) in c.arguments.iter().flat_map(|a| &a.args).enumerate() {
            let v = self.lower_expr(b, out);
            let of_context = match b {
                Expr::Attribute(a) => self
                    .quiet_start(&a.value)
                    .map(|s| self.with_start(&format!("multiprocessing::{}", a.attr.id), Some(&s))),
                _ => None,
            };
            let found = of_context.or_else(|| v.path.map(|p| self.with_start(&p, None)));
            if i == 0 {
                base = found;
            } else if let Some(f) = found.filter(|f| f.starts_with("multiprocessing::Process@")) {
                base = Some(f);
                break;
            }
        }
        // `self.x = ...` in any method gives the field its type for the others.
        let mut fields = HashMap::new();
        let mut returns = HashMap::new();
        let mut per_process = HashSet::new();
        for item in &c.body {
            if let Stmt::FunctionDef(m) = item {
                let imported = super::local_imports::bindings(&m.body, &|level, module| {
                    self.import_target(level, module)
                });
                let scope = StaticNames {
                    lowerer: self,
                    imported: &imported,
                };
                collect_fields(&m.body, &mut fields, &scope);
                pid_checked_fields(&m.body, &mut per_process);
                if let Some(ty) = returned_class(&m.body, &scope) {
                    returns.insert(m.name.id.to_string(), ty);
                }
            }
        }
        if let Some(b) = &base {
            self.reexport(c.name.id.as_str(), b);
        }
        let aliases = class_aliases(&c.body, self);
        if let Some(class) = self.classes.get_mut(&path) {
            class.base = base;
            class.fields = fields;
            class.returns = returns;
            class.per_process = per_process;
            class.aliases = aliases;
        }
        for item in &c.body {
            match item {
                Stmt::FunctionDef(m) => {
                    if let Some(&index) = self.declared.get(&m.range.start().to_u32()) {
                        self.lower_def(index, m, Some(path.clone()));
                    }
                }
                Stmt::ClassDef(inner) => {
                    let inner_path = format!("{path}::{}", inner.name.id);
                    self.lower_class(inner, inner_path, out);
                }
                // Class attributes are evaluated at import, like module code.
                other => self.lower_stmt(other, out),
            }
        }
        self.bind_method_attributes(c, &path);
    }

    /// `self.train_dataloader = self._train_dataloader` in a method: the attribute is that
    /// method, so the class answers a call of `train_dataloader` (from its own code or a
    /// framework's) with it. Each such attribute the class does not define becomes a method
    /// that calls the bound one.
    fn bind_method_attributes(&mut self, c: &ast::StmtClassDef, path: &str) {
        struct Bound<'a>(Vec<(&'a str, &'a str, TextRange)>);
        impl<'a> ast::visitor::Visitor<'a> for Bound<'a> {
            fn visit_stmt(&mut self, stmt: &'a Stmt) {
                if let Stmt::Assign(a) = stmt {
                    let attr_of_self = |e: &'a Expr| match e {
                        Expr::Attribute(x) if name_of(&x.value) == Some("self") => {
                            Some(x.attr.id.as_str())
                        }
                        _ => None,
                    };
                    if let Some(method) = attr_of_self(&a.value) {
                        for t in &a.targets {
                            if let Some(name) = attr_of_self(t) {
                                self.0.push((name, method, a.range));
                            }
                        }
                    }
                }
                match stmt {
                    // Nested functions and classes bind their own `self`.
                    Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
                    _ => ast::visitor::walk_stmt(self, stmt),
                }
            }
        }
        let mut bound = Bound(Vec::new());
        for item in &c.body {
            if let Stmt::FunctionDef(m) = item {
                for stmt in &m.body {
                    ast::visitor::Visitor::visit_stmt(&mut bound, stmt);
                }
            }
        }
        let Some(defined) = self
            .classes
            .get(path)
            .map(|c| c.methods.keys().cloned().collect::<HashSet<String>>())
        else {
            return;
        };
        let mut added: Vec<(String, usize)> = Vec::new();
        for (name, method, range) in bound.0 {
            if defined.contains(name)
                || !defined.contains(method)
                || added.iter().any(|(n, _)| n == name)
            {
                continue;
            }
            let span = self.span(range);
            let mut call = self.call(
                Callee::Method {
                    name: method.to_string(),
                    ty: Some(path.to_string()),
                },
                span,
            );
            call.receiver = Some("self".to_string());
            call.arg_vars.push("self".to_string());
            call.bind = Some(RETURNED.to_string());
            let mut f = function(
                format!("{path}::{name}"),
                FnKind::Method,
                span,
                Block {
                    nodes: vec![Node::Call(call)],
                    locals: Vec::new(),
                },
            );
            f.params = vec!["self".to_string()];
            f.returns = vec![RETURNED.to_string()];
            self.ir.functions.push(f);
            added.push((name.to_string(), self.ir.functions.len() - 1));
        }
        if let Some(class) = self.classes.get_mut(path) {
            class.methods.extend(added);
        }
    }

    // ----- names ---------------------------------------------------------------------------

    /// `super()` or `super(C, self)` in a method: `self` seen as its class's base, so a method
    /// called on it is the base's (or none known, never the calling method itself).
    fn super_of(&self, e: &Expr) -> Option<Value> {
        let Expr::Call(c) = e else { return None };
        if name_of(&c.func) != Some("super") {
            return None;
        }
        let this = self.lookup("self");
        let ty = this
            .ty
            .as_ref()
            .and_then(|t| self.classes.get(t))
            .and_then(|class| class.base.clone());
        Some(Value {
            var: Some("self".to_string()),
            ty,
            ..Default::default()
        })
    }

    fn lookup(&self, name: &str) -> Value {
        for scope in self.scopes.iter().rev() {
            if scope.globals.contains(name) {
                break;
            }
            if let Some(v) = scope.names.get(name) {
                return v.clone();
            }
        }
        if let Some(v) = self.module.get(name) {
            return v.clone();
        }
        Value {
            path: Some(format!("builtins::{name}")),
            ..Default::default()
        }
    }

    /// Binds `name` in the scope an assignment writes to; returns whether it is a module global.
    fn assign(&mut self, name: &str, value: &Value) -> bool {
        // `Worker = RedashWorker`, `BaseWorker = rq.worker.HerokuWorker`: a module-level name for
        // a class, function or module is an alias of it, which other modules may import.
        let alias = value
            .path
            .as_deref()
            .filter(|p| !p.starts_with("builtins::"))
            .filter(|_| value.call.is_none() && value.var.is_none() && value.func.is_none());
        // A local name for a class or function (`loader_cls = DataLoader`) calls what it names.
        if let (Some(path), Some(scope)) = (alias, self.scopes.last_mut()) {
            if !scope.globals.contains(name) {
                scope.names.insert(
                    name.to_string(),
                    Value {
                        path: Some(path.to_string()),
                        ..Default::default()
                    },
                );
                return false;
            }
        }
        // A function that rebinds the global to a module, class or function (`global api;
        // api = __import__("pkg.api").api` to reload it) keeps it an alias.
        let global_here = self
            .scopes
            .last()
            .is_none_or(|scope| scope.globals.contains(name));
        if let Some(path) = alias.filter(|_| global_here) {
            let path = path.to_string();
            self.reexport(name, &path);
            self.module.insert(
                name.to_string(),
                Value {
                    path: Some(path),
                    ..Default::default()
                },
            );
            return true;
        }
        let bound = Value {
            var: Some(name.to_string()),
            path: None,
            ..value.clone()
        };
        let global = match self.scopes.last_mut() {
            Some(scope) if !scope.globals.contains(name) => {
                if bound.fresh {
                    scope.fresh.insert(name.to_string());
                }
                scope.names.insert(name.to_string(), bound);
                false
            }
            _ => {
                self.module.insert(name.to_string(), bound);
                true
            }
        };
        if global {
            if self.scopes.is_empty() {
                if !self.module_globals.iter().any(|g| g == name) {
                    self.module_globals.push(name.to_string());
                }
            } else {
                self.returns.push(name.to_string());
            }
        }
        global
    }

    /// Records that `self::name` stands for `target` (an alias, or a class's base: the linker
    /// looks its methods up there).
    fn reexport(&mut self, name: &str, target: &str) {
        let entry = (format!("self::{name}"), target.to_string());
        if !self.ir.reexports.contains(&entry) {
            self.ir.reexports.push(entry);
        }
    }

    /// A path with the start method folded in for the multiprocessing calls that fork.
    fn with_start(&self, path: &str, start: Option<&Start>) -> String {
        let start = start.unwrap_or(&self.file_start);
        match path {
            "multiprocessing::Process" | "multiprocessing::context::Process" => {
                format!("multiprocessing::Process@{}", start.suffix())
            }
            "multiprocessing::Pool" | "multiprocessing::pool::Pool" => {
                format!("multiprocessing::Pool@{}", start.suffix())
            }
            "multiprocessing::Manager" => {
                format!("multiprocessing::Manager@{}", start.suffix())
            }
            // pyzmq's devices that run in a `multiprocessing.Process` of the default context.
            p if ZMQ_PROCESS_DEVICES.contains(&p) => {
                format!("{}@{}", ZMQ_PROCESS_DEVICES[0], start.suffix())
            }
            // Granian's process server starts its workers as `multiprocessing.Process`es of
            // the process-wide start method.
            p if GRANIAN_SERVERS.contains(&p) => {
                format!("{}@{}", GRANIAN_SERVERS[0], start.suffix())
            }
            "concurrent::futures::ProcessPoolExecutor"
            | "concurrent::futures::process::ProcessPoolExecutor" => {
                format!(
                    "concurrent::futures::ProcessPoolExecutor@{}",
                    start.suffix()
                )
            }
            other => other.to_string(),
        }
    }

    /// The type a method is looked up on: the class, or the base that defines the method.
    fn method_owner(&self, ty: &str, name: &str) -> String {
        let mut ty = ty.to_string();
        for _ in 0..8 {
            let Some(class) = self.classes.get(&ty) else {
                break;
            };
            if class.methods.contains_key(name) {
                break;
            }
            match &class.base {
                Some(base) => ty = base.clone(),
                None => break,
            }
        }
        ty
    }

    fn import_target(&self, level: u32, module: Option<&str>) -> String {
        let mut parts: Vec<String> = if level == 0 {
            Vec::new()
        } else {
            let keep = self
                .package
                .len()
                .saturating_sub(level.saturating_sub(1) as usize);
            self.package[..keep].to_vec()
        };
        if let Some(m) = module {
            parts.extend(m.split('.').map(str::to_string));
        }
        let joined = parts.join("::");
        if level == 0 {
            self.on_sys_path(&joined)
        } else {
            joined
        }
    }

    /// An absolute import's path, its first module looked for in the folders this module added
    /// to `sys.path`.
    fn on_sys_path(&self, target: &str) -> String {
        let (first, rest) = target.split_once("::").unwrap_or((target, ""));
        match super::syspath::resolve(&self.sys_paths, first) {
            Some(found) if rest.is_empty() => found,
            Some(found) => format!("{found}::{rest}"),
            None => target.to_string(),
        }
    }

    fn lower_import(&mut self, stmt: &Stmt, out: &mut Vec<Node>) {
        let span = self.span(stmt.range());
        let span_start = stmt.range().start().to_u32();
        match stmt {
            Stmt::Import(i) => {
                for alias in &i.names {
                    let dotted = alias.name.id.as_str();
                    let target = self.on_sys_path(&dotted.replace('.', "::"));
                    self.note_module(dotted.split('.').next().unwrap_or(dotted));
                    // `import a.b` runs `a` then `a.b`, and binds `a`.
                    let mut prefix = String::new();
                    for seg in target.split("::") {
                        if !prefix.is_empty() {
                            prefix.push_str("::");
                        }
                        prefix.push_str(seg);
                        let c =
                            self.call(Callee::Path(vec![format!("{prefix}::{MODULE_FN}")]), span);
                        out.push(Node::Call(c));
                    }
                    let (name, module) = super::local_imports::import_binding(alias);
                    let name = name.to_string();
                    let path = self.on_sys_path(&module.replace('.', "::"));
                    // The module is an attribute of the importing one: `from pkg.util import
                    // os` elsewhere reaches it through `import os` in `pkg/util/__init__.py`.
                    if self.scopes.is_empty() && !self.defined_at.contains_key(name.as_str()) {
                        self.reexport(&name, &path);
                    }
                    self.bind_import(&name, path, span_start);
                }
            }
            Stmt::ImportFrom(i) => {
                let base = self.import_target(i.level, i.module.as_ref().map(|m| m.id.as_str()));
                if let Some(first) = base.split("::").next() {
                    if i.level == 0 {
                        self.note_module(first);
                    }
                }
                if !base.is_empty() {
                    let c = self.call(Callee::Path(vec![format!("{base}::{MODULE_FN}")]), span);
                    out.push(Node::Call(c));
                }
                for alias in &i.names {
                    let name = alias.name.id.as_str();
                    if name == "*" {
                        self.bind_star(i.level, &base, span_start);
                        continue;
                    }
                    let (bound, path) = super::local_imports::from_binding(&base, alias);
                    // The name may be a submodule, whose code then runs too.
                    let c = self.call(Callee::Path(vec![format!("{path}::{MODULE_FN}")]), span);
                    out.push(Node::Call(c));
                    // A module's imported names are its attributes: `from .impl import Worker`
                    // in a package's `__init__` is how `from pkg import Worker` elsewhere
                    // reaches the class. A name the module also defines is left to the
                    // module's own bindings (the linker would take the two for alternatives).
                    if self.scopes.is_empty()
                        && !base.is_empty()
                        && !self.defined_at.contains_key(bound)
                    {
                        self.reexport(bound, &path);
                    }
                    self.bind_import(bound, path, span_start);
                }
            }
            _ => {}
        }
    }

    /// A star import binds what the program's module binds (read from its file), or else the
    /// names the catalogue knows for a library module (`from os import *` then `fork()`); a
    /// later import or definition rebinds them as it would any import. In a module's top level
    /// they are its attributes too, as a named import's are.
    fn bind_star(&mut self, level: u32, base: &str, at: u32) {
        if base.is_empty() {
            return;
        }
        let file = std::path::Path::new(&self.ir.path);
        let mut names = super::star_imports::names(file, &self.package, base);
        if names.is_empty() && level == 0 {
            names = crate::catalog::Catalog::builtin()
                .names_in(base)
                .into_iter()
                .map(|known| {
                    let path = format!("{base}::{known}");
                    (known, path)
                })
                .collect();
        }
        for (name, path) in names {
            if self.scopes.is_empty() && !self.defined_at.contains_key(name.as_str()) {
                self.reexport(&name, &path);
            }
            self.bind_import(&name, path, at);
        }
    }

    fn bind_import(&mut self, name: &str, path: String, at: u32) {
        // `from eval import extract` followed by `def extract(..)`: the module's own definition
        // is what the name holds once the module has run, for its functions and its
        // `__main__` block alike.
        if self.scopes.is_empty() && self.defined_at.get(name).is_some_and(|&d| d > at) {
            return;
        }
        let start = (path == "multiprocessing").then(|| self.file_start.clone());
        let value = Value {
            path: Some(path),
            start,
            ..Default::default()
        };
        match self.scopes.last_mut() {
            Some(scope) => {
                scope.names.insert(name.to_string(), value);
            }
            None => {
                self.module.insert(name.to_string(), value);
            }
        }
    }

    // ----- statements ----------------------------------------------------------------------

    fn lower_stmts(&mut self, stmts: &[Stmt]) -> Block {
        let mut out = Block::default();
        if self.depth > MAX_DEPTH {
            return out;
        }
        self.depth += 1;
        for stmt in stmts {
            self.lower_stmt(stmt, &mut out.nodes);
        }
        self.depth -= 1;
        out
    }

    fn lower_stmt(&mut self, stmt: &Stmt, out: &mut Vec<Node>) {
        match stmt {
            Stmt::FunctionDef(f) => {
                if let (true, Some(&index)) = (
                    self.scopes.is_empty(),
                    self.declared.get(&f.range.start().to_u32()),
                ) {
                    self.lower_def(index, f, None);
                    return;
                }
                // A nested `def` is a closure of the enclosing function.
                let path = format!("{}::{{closure#{}}}", self.fn_path, self.nested);
                self.nested += 1;
                let index = self.placeholder(path, FnKind::Closure, f.name.range);
                self.assign(
                    f.name.id.as_str(),
                    &Value {
                        func: Some(index),
                        ..Default::default()
                    },
                );
                self.lower_def(index, f, None);
            }
            Stmt::ClassDef(c) => {
                if self.scopes.is_empty() {
                    self.lower_class(c, format!("self::{}", c.name.id), out);
                }
            }
            Stmt::Return(r) => {
                if let Some(v) = &r.value {
                    // `return loader, dataset`: the caller's tuple may hold the loader.
                    let value = match v.as_ref() {
                        Expr::Tuple(t) => {
                            let items: Vec<Value> =
                                t.elts.iter().map(|e| self.lower_expr(e, out)).collect();
                            Value {
                                loader: items.into_iter().find_map(|i| i.loader),
                                ..Default::default()
                            }
                        }
                        _ => self.lower_expr(v, out),
                    };
                    // `def create_dataloader(..): return DataLoader(..)`: where its callers
                    // iterate the value, the workers fork.
                    if let Some(loader) = &value.loader {
                        self.returns_loader
                            .insert(self.fn_path.clone(), loader.clone());
                    }
                    // `def mp_context(): return multiprocessing.get_context("fork")`: its
                    // callers get that context.
                    if let Some(start) = &value.start {
                        self.returns_start
                            .insert(self.fn_path.clone(), start.clone());
                    }
                    if let Some(ty) = &value.ty {
                        let known = self
                            .returns_ty
                            .entry(self.fn_path.clone())
                            .or_insert_with(|| Some(ty.clone()));
                        if known.as_ref() != Some(ty) {
                            *known = None;
                        }
                    }
                    if let Some(var) = value.var {
                        self.returns.push(var);
                    } else if let Some(id) = value.call {
                        // `return os.fork()`: the call's result is the function's value.
                        bind_call(out, id, RETURNED);
                        self.returns.push(RETURNED.to_string());
                    }
                }
                self.run_finally(out);
                out.push(Node::Return {
                    span: self.span(r.range),
                    error: false,
                    value: None,
                });
            }
            Stmt::Raise(r) => {
                if let Some(e) = &r.exc {
                    self.lower_expr(e, out);
                }
                self.run_finally(out);
                out.push(Node::Return {
                    span: self.span(r.range),
                    error: true,
                    value: None,
                });
            }
            Stmt::Delete(d) => {
                for t in &d.targets {
                    self.lower_expr(t, out);
                }
            }
            Stmt::Assign(a) => {
                // `except ImportError: pty = None`: the stand-in for an optional module that is
                // missing; where it is present, the name is the module and its calls resolve.
                let imported = |t: &Expr| {
                    name_of(t)
                        .and_then(|n| self.module.get(n))
                        .is_some_and(|v| v.path.is_some() && v.var.is_none())
                };
                if self.scopes.is_empty()
                    && a.value.is_none_literal_expr()
                    && a.targets.iter().all(imported)
                {
                    return;
                }
                if let Some(var) = super::oneshot::one_shot_thread(stmt, &self.one_shot_fns) {
                    self.one_shot_threads.push(var);
                }
                let value = self.lower_expr(&a.value, out);
                for t in &a.targets {
                    self.lower_target(t, &value, out);
                }
                self.note_keyword_dict(&a.targets, &a.value, &value);
            }
            Stmt::AnnAssign(a) => {
                if let Some(v) = &a.value {
                    let value = self.lower_expr(v, out);
                    self.lower_target(&a.target, &value, out);
                }
            }
            Stmt::AugAssign(a) => {
                self.lower_expr(&a.value, out);
                self.lower_expr(&a.target, out);
            }
            Stmt::TypeAlias(_) | Stmt::Pass(_) | Stmt::IpyEscapeCommand(_) | Stmt::Nonlocal(_) => {}
            Stmt::Global(g) => {
                if let Some(scope) = self.scopes.last_mut() {
                    scope
                        .globals
                        .extend(g.names.iter().map(|n| n.id.to_string()));
                }
            }
            Stmt::For(f) => {
                let iter = self.lower_expr(&f.iter, out);
                let pinning = self.iterate(&iter, out);
                // An object made for the loop alone (`for x in tqdm(items)`) is exhausted and
                // dropped when the loop ends, like a `with` block's: what it runs (a progress
                // bar's monitor thread) ends there.
                let made = match (iter.call, &iter.var) {
                    (Some(id), None) => {
                        self.with_count += 1;
                        let var = format!("<with#{}>", self.with_count);
                        bind_call(out, id, &var);
                        Some((var, self.span(f.iter.range())))
                    }
                    _ => None,
                };
                if let Some(n) = name_of(&f.target) {
                    let key = format!("{}:{n}", self.fn_path);
                    match (&iter.path, &iter.var) {
                        (Some(list), None) => self.items_of.insert(key, list.clone()),
                        _ => self.items_of.remove(&key),
                    };
                    self.assign(
                        n,
                        &Value {
                            var: iter.var,
                            ty: iter.ty.clone(),
                            ..Default::default()
                        },
                    );
                }
                let body = self.lower_stmts(&f.body);
                self.push_loop(body, &f.orelse, out);
                if let Some((var, span)) = made {
                    self.marker(WITH_EXIT, span, vec![var], out);
                }
                let span = self.span(f.iter.range());
                self.end_iteration(pinning, span, out);
            }
            // `while True:` ends only by `break`, `return` or `raise`, and never runs its `else`.
            Stmt::While(w) if always_true(&w.test) => {
                let body = self.lower_stmts(&w.body);
                out.push(Node::Loop {
                    body,
                    at_least_once: true,
                });
            }
            Stmt::While(w) => {
                let mut body = Block::default();
                self.lower_expr(&w.test, &mut body.nodes);
                let inner = self.lower_stmts(&w.body);
                let span = self.span(w.test.range());
                body.nodes.push(Node::Branch(Branch {
                    span,
                    arms: vec![Arm {
                        test: None,
                        body: inner,
                        span,
                        ..Default::default()
                    }],
                    exhaustive: false,
                }));
                self.push_loop(body, &w.orelse, out);
            }
            Stmt::If(i) => {
                // Every guarded block of a script runs once, after the module's code: a second
                // guard is no more part of what an import runs than the first.
                if self.scopes.is_empty() && is_main_guard(&i.test) {
                    if self.main_span.is_none() {
                        self.main_span = Some(self.span(i.test.range()));
                    }
                    let block = self.lower_stmts(&i.body);
                    self.main_body.extend(block.nodes);
                    for clause in &i.elif_else_clauses {
                        let b = self.lower_stmts(&clause.body);
                        out.push(Node::Block(b));
                    }
                    return;
                }
                // The flag this copy of the function assumes decides the test statically.
                let assumed = self.assume.as_ref().and_then(|(flag, value)| {
                    flag_test(&i.test).and_then(|(name, positive)| {
                        (name == flag.as_str()).then_some(*value == positive)
                    })
                });
                let platform = super::platform::windows_only(&i.test);
                match assumed.map(|holds| !holds).or(platform) {
                    // Only the other clauses can run where fork exists.
                    Some(true) => {
                        if let Some((first, rest)) = i.elif_else_clauses.split_first() {
                            match &first.test {
                                Some(test) => self.lower_if(test, &first.body, rest, out),
                                None => {
                                    let block = self.lower_stmts(&first.body);
                                    out.push(Node::Block(block));
                                }
                            }
                        }
                    }
                    Some(false) => {
                        let block = self.lower_stmts(&i.body);
                        out.push(Node::Block(block));
                    }
                    None => self.lower_if(&i.test, &i.body, &i.elif_else_clauses, out),
                }
            }
            Stmt::With(w) => {
                let mut managed = Vec::new();
                for item in &w.items {
                    let value = self.lower_expr(&item.context_expr, out);
                    let var = match item.optional_vars.as_deref().and_then(name_of) {
                        Some(n) => n.to_string(),
                        None => {
                            self.with_count += 1;
                            format!("<with#{}>", self.with_count)
                        }
                    };
                    // `contextlib.closing(x)` hands `x` to the block and closes it at the end:
                    // the object managed is `x`.
                    let closed = match &item.context_expr {
                        Expr::Call(c)
                            if self.quiet_path(&c.func).as_deref()
                                == Some("contextlib::closing") =>
                        {
                            let inner = c.arguments.args.first().map(|a| self.span(a.range()));
                            out.iter().rev().find_map(|n| match n {
                                Node::Call(call) if Some(call.span) == inner => Some(call.id),
                                _ => None,
                            })
                        }
                        _ => None,
                    };
                    // The object's class: its type, else the path of the call that made it
                    // (`socket.socket(..)`, a lower-case class).
                    let made_by = value.call.and_then(|id| {
                        out.iter().rev().find_map(|n| match n {
                            Node::Call(c) if c.id == id => match &c.callee {
                                Callee::Path(p) => p.first().cloned(),
                                _ => None,
                            },
                            _ => None,
                        })
                    });
                    let library = value
                        .ty
                        .clone()
                        .or(made_by)
                        .filter(|t| !self.classes.contains_key(t))
                        .map(|t| format!("{t}::__exit__"));
                    let exit = match closed {
                        Some(_) => Some(CLOSED_BY_WITH.to_string()),
                        None => library,
                    };
                    if let Some(id) = closed.or(value.call) {
                        bind_call(out, id, &var);
                    }
                    if let Some(target) = item.optional_vars.as_deref() {
                        self.lower_target(target, &value, out);
                    }
                    let span = self.span(item.context_expr.range());
                    // A class of this file that manages itself: `with worker:` runs its
                    // `__enter__` (which may start a thread) and, at the end, its `__exit__`,
                    // which by the protocol's convention ends what `__enter__` set up (the
                    // analysis does not carry a callee's joins back to its caller).
                    let receiver = value.var.clone().unwrap_or_else(|| var.clone());
                    let own = value.ty.as_deref().filter(|t| {
                        self.classes
                            .get(&self.method_owner(t, "__enter__"))
                            .is_some_and(|c| c.methods.contains_key("__enter__"))
                    });
                    let own = own.map(str::to_string);
                    if let Some(ty) = &own {
                        self.dunder(ty, "__enter__", &receiver, span, out);
                    }
                    // `with pool_made_earlier as p:` ends the object the variable holds, not
                    // only what its `__enter__` returned.
                    let held = value.var.clone().filter(|v| *v != var);
                    managed.push(Managed {
                        var,
                        receiver,
                        own,
                        span,
                        held,
                        exit,
                    });
                }
                // A `return` in the block leaves through the exits as well.
                self.finally.push(Unwind::With(managed));
                let body = self.lower_stmts(&w.body);
                out.push(Node::Block(body));
                if let Some(Unwind::With(managed)) = self.finally.pop() {
                    self.exit_managed(&managed, out);
                }
            }
            Stmt::Match(m) => {
                self.lower_expr(&m.subject, out);
                let mut arms = Vec::new();
                for case in &m.cases {
                    let mut body = Block::default();
                    if let Some(g) = &case.guard {
                        self.lower_expr(g, &mut body.nodes);
                    }
                    let inner = self.lower_stmts(&case.body);
                    body.nodes.push(Node::Block(inner));
                    arms.push(Arm {
                        test: None,
                        body,
                        span: self.span(case.range),
                        ..Default::default()
                    });
                }
                out.push(Node::Branch(Branch {
                    span: self.span(m.range),
                    arms,
                    exhaustive: false,
                }));
            }
            Stmt::Try(t) => {
                // A `finally:` also runs when the body or a handler returns or raises: what it
                // closes or joins is not alive past those exits (`pool.close(); pool.join()`).
                if !t.finalbody.is_empty() {
                    self.finally.push(Unwind::Finally(t.finalbody.to_vec()));
                }
                let caught = usize::from(!t.handlers.is_empty());
                self.handled += caught;
                // A handler that runs late, after the body's other statements, runs when the
                // last one raised: a call that raises has not done what it does (`try: pool =
                // Pool() except OSError: ..` holds no pool in the handler).
                let split = t.body.len().saturating_sub(1);
                let body = self.lower_stmts(&t.body[..split]);
                let last = self.lower_stmts(&t.body[split..]);
                self.handled -= caught;
                // `except OSError:` around `pid = os.fork()` is the fork's failure: it runs in
                // the one process there is, never after the body in a child or parent.
                let forks = t.body.iter().any(forks_here);
                let after: Vec<_> = t
                    .handlers
                    .iter()
                    .filter(|h| !(forks && catches_os_error(h)))
                    .cloned()
                    .collect();
                // When each handler is such a failure and leaves, the body's paths are the
                // code after the `try`: a child that goes on once its parent exited
                // (`if pid > 0: sys.exit(0)`) is the process that runs what follows.
                if forks && after.is_empty() && t.handlers.iter().all(handler_leaves) {
                    let span = self.span(t.range);
                    let mut failed = self.handler_arms(&t.handlers);
                    failed.push(Arm {
                        test: None,
                        body: Block::default(),
                        span,
                        ..Default::default()
                    });
                    out.push(Node::Branch(Branch {
                        span,
                        arms: failed,
                        exhaustive: true,
                    }));
                    out.push(Node::Block(body));
                    out.push(Node::Block(last));
                    let orelse = self.lower_stmts(&t.orelse);
                    out.push(Node::Block(orelse));
                    if !t.finalbody.is_empty() {
                        self.finally.pop();
                    }
                    let fin = self.lower_stmts(&t.finalbody);
                    out.push(Node::Block(fin));
                    return;
                }
                let mut arms = self.handler_arms(&after);
                // A handler also runs when the body raised before it finished: a body that ends
                // the process (`os._exit`) or loops forever does not make the handler, or the
                // `finally:` after it, unreachable.
                let mut early = self.handler_arms(&t.handlers);
                let mut orelse = self.lower_stmts(&t.orelse);
                orelse.nodes.insert(0, Node::Block(last));
                arms.push(Arm {
                    test: None,
                    body: orelse,
                    span: self.span(t.range),
                    ..Default::default()
                });
                if !t.finalbody.is_empty() {
                    self.finally.pop();
                }
                let mut completed = Block::default();
                completed.nodes.push(Node::Block(body));
                completed.nodes.push(Node::Branch(Branch {
                    span: self.span(t.range),
                    arms,
                    exhaustive: true,
                }));
                early.push(Arm {
                    test: None,
                    body: completed,
                    span: self.span(t.range),
                    ..Default::default()
                });
                out.push(Node::Branch(Branch {
                    span: self.span(t.range),
                    arms: early,
                    exhaustive: true,
                }));
                let fin = self.lower_stmts(&t.finalbody);
                out.push(Node::Block(fin));
            }
            Stmt::Assert(a) => {
                self.lower_expr(&a.test, out);
            }
            Stmt::Import(_) | Stmt::ImportFrom(_) => self.lower_import(stmt, out),
            Stmt::Expr(e) => {
                let value = self.lower_expr(&e.value, out);
                if super::oneshot::waits_out(&e.value) {
                    let span = self.span(e.range);
                    for var in self.one_shot_threads.clone() {
                        self.marker(WAITED_OUT, span, vec![var], out);
                    }
                }
                // A method called for its effect leaves that effect in its receiver
                // (`t.start()`: the thread is `t`'s, and `t.join()` ends it).
                if let (Some(id), Expr::Call(c)) = (value.call, &*e.value) {
                    // Its value is dropped: a fork's result that no test tells apart.
                    if let Some(call) = emitted_call(out, id) {
                        call.discarded = true;
                    }
                    let receiver = match &*c.func {
                        Expr::Attribute(a) => self.lower_expr_quiet(&a.value),
                        _ => None,
                    };
                    match receiver {
                        Some(var) => bind_call(out, id, &var),
                        // Nothing holds the result: CPython's reference count closes a socket
                        // or connection made here at the end of the statement.
                        None if matches!(&*c.func, Expr::Attribute(_) | Expr::Name(_)) => {
                            self.discarded += 1;
                            let var = format!("{DISCARDED_VAR}{}>", self.discarded);
                            bind_call(out, id, &var);
                            let span = self.span(e.range);
                            self.marker(DISCARDED, span, vec![var], out);
                        }
                        None => {}
                    }
                }
            }
            Stmt::Break(b) => out.push(Node::Break(self.span(b.range))),
            Stmt::Continue(c) => out.push(Node::Continue(self.span(c.range))),
        }
    }

    /// A call of the special method `name` on `receiver`, an object of the class `ty`.
    fn dunder(&mut self, ty: &str, name: &str, receiver: &str, span: Span, out: &mut Vec<Node>) {
        let owner = self.method_owner(ty, name);
        let mut c = self.call(
            Callee::Method {
                name: name.to_string(),
                ty: Some(owner),
            },
            span,
        );
        c.receiver = Some(receiver.to_string());
        c.arg_vars = thin_vec::thin_vec![receiver.to_string()];
        // What `__enter__` starts is the managed object's.
        c.bind = Some(receiver.to_string());
        out.push(Node::Call(c));
    }

    /// One arm per `except` clause, each running its handler.
    fn handler_arms(&mut self, handlers: &[ast::ExceptHandler]) -> Vec<Arm> {
        handlers
            .iter()
            .map(|ast::ExceptHandler::ExceptHandler(h)| Arm {
                test: None,
                body: self.lower_stmts(&h.body),
                span: self.span(h.range),
                ..Default::default()
            })
            .collect()
    }

    /// Iterating a DataLoader with workers forks them: the fork is placed here, where the
    /// parent's threads and connections are judged, and reported where the loader was made
    /// (several iterations of one loader are one finding). A loader that pins memory then
    /// starts its pin-memory thread: that call's id is returned for the caller to end it where
    /// the iterator is exhausted or dropped.
    fn iterate(&mut self, v: &Value, out: &mut Vec<Node>) -> Option<u32> {
        let (path, span) = v.loader.as_ref()?;
        let mut c = self.call(Callee::Path(vec![path.clone()]), *span);
        if let Some(h) = self.handed_loaders.get(span) {
            h.write(&mut c, &self.fn_path, v.var.as_deref());
        }
        out.push(Node::Call(c));
        if !self.pinned_loaders.contains(span) {
            return None;
        }
        let pin = self.call(Callee::Path(vec![PIN_MEMORY_THREAD.to_string()]), *span);
        let id = pin.id;
        out.push(Node::Call(pin));
        Some(id)
    }

    /// Ends what an iteration started (its pin-memory thread) at `span`: the iterator was
    /// exhausted or dropped there.
    fn end_iteration(&mut self, started: Option<u32>, span: Span, out: &mut Vec<Node>) {
        if let Some(id) = started {
            self.with_count += 1;
            let var = format!("<with#{}>", self.with_count);
            bind_call(out, id, &var);
            self.marker(WITH_EXIT, span, vec![var], out);
        }
    }

    /// A path on which the statement raises out of the function (after its `finally:` bodies).
    fn may_raise(&mut self, span: Span, out: &mut Vec<Node>) {
        let mut body = Block::default();
        self.run_finally(&mut body.nodes);
        body.nodes.push(Node::Return {
            span,
            error: true,
            value: None,
        });
        out.push(Node::Branch(Branch {
            span,
            arms: vec![Arm {
                test: None,
                body,
                span,
                ..Default::default()
            }],
            exhaustive: false,
        }));
    }

    /// Lowers the enclosing `finally:` bodies, innermost first, before a `return` or `raise`.
    fn run_finally(&mut self, out: &mut Vec<Node>) {
        let stack = std::mem::take(&mut self.finally);
        for unwind in stack.iter().rev() {
            match unwind {
                Unwind::Finally(body) => {
                    let block = self.lower_stmts(body);
                    out.push(Node::Block(block));
                }
                Unwind::With(managed) => self.exit_managed(managed, out),
            }
        }
        self.finally = stack;
    }

    /// The end of a `with` block: each manager's exit, innermost first.
    fn exit_managed(&mut self, managed: &[Managed], out: &mut Vec<Node>) {
        for m in managed.iter().rev() {
            let ended = match &m.own {
                Some(ty) => {
                    self.dunder(ty, "__exit__", &m.receiver, m.span, out);
                    m.receiver.clone()
                }
                None => m.var.clone(),
            };
            if let Some(held) = m.held.clone().filter(|h| *h != ended) {
                self.marker(WITH_EXIT, m.span, vec![held], out);
            }
            if let Some(exit) = m.exit.as_deref().filter(|_| m.own.is_none()) {
                self.marker(exit, m.span, vec![ended.clone()], out);
            }
            self.marker(WITH_EXIT, m.span, vec![ended], out);
        }
    }

    /// A loop that may run no time, then its `else:` block (run when it did not `break`).
    fn push_loop(&mut self, body: Block, orelse: &[Stmt], out: &mut Vec<Node>) {
        out.push(Node::Loop {
            body,
            at_least_once: false,
        });
        let orelse = self.lower_stmts(orelse);
        out.push(Node::Block(orelse));
    }

    /// The start method an argument of `get_context` names: a literal, or a variable a literal
    /// was assigned to.
    fn start_method_of(&self, e: &Expr) -> Option<Start> {
        match e {
            Expr::StringLiteral(lit) => Start::named(lit.value.to_str()),
            Expr::NoneLiteral(_) => Some(self.file_start.clone()),
            Expr::Name(n) => self.lookup(n.id.as_str()).method,
            _ => None,
        }
    }

    /// The variable an expression names, without emitting anything.
    /// The start method of a context named without emitting anything: a local holding one,
    /// a table entry keyed by a method's name (`contexts["fork"]`), `get_context("spawn")`.
    fn quiet_start(&self, e: &Expr) -> Option<Start> {
        match e {
            Expr::Name(n) => self.lookup(n.id.as_str()).start,
            Expr::Subscript(s) => str_lit(&s.slice).and_then(Start::named),
            Expr::Call(c) if matches!(&*c.func, Expr::Attribute(a) if a.attr.id.as_str() == "get_context") => {
                c.arguments
                    .args
                    .first()
                    .and_then(str_lit)
                    .and_then(Start::named)
            }
            _ => None,
        }
    }

    fn lower_expr_quiet(&self, e: &Expr) -> Option<String> {
        match e {
            Expr::Name(n) => self.lookup(n.id.as_str()).var,
            Expr::Attribute(a) => {
                let base = self.lower_expr_quiet(&a.value)?;
                Some(if base == "self" {
                    format!("self.{}", a.attr.id)
                } else {
                    base
                })
            }
            _ => None,
        }
    }

    /// Binds an assignment target to the value (and the call that made it).
    fn lower_target(&mut self, target: &Expr, value: &Value, out: &mut Vec<Node>) {
        let span = self.span(target.range());
        let name = match target {
            Expr::Name(n) => {
                let name = n.id.to_string();
                if self.in_hook.is_some() && self.is_global(&name) {
                    self.note_reset(None, Some(&name));
                }
                self.assign(&name, value);
                Some(name)
            }
            Expr::Attribute(a) => {
                if self.in_hook.is_some() {
                    let module = self.quiet_path(&a.value);
                    self.note_reset(module.map(|m| format!("{m}::{}", a.attr.id)), None);
                }
                let base = self.lower_expr_quiet(&a.value);
                match base.as_deref() {
                    Some("self") => {
                        let name = format!("self.{}", a.attr.id);
                        if let (Some(l), Some(t)) = (&value.loader, self.lookup("self").ty) {
                            self.loader_fields
                                .insert(format!("{t}.{}", a.attr.id), l.clone());
                        }
                        self.returns.push(name.clone());
                        Some(name)
                    }
                    Some(_) => base,
                    None => None,
                }
            }
            // `pid, fd = pty.fork()`, `self.pid, self.fd = pty.fork()`: the first target holds
            // what the analysis follows.
            Expr::Tuple(t) => {
                // `model, opt, dl = accelerator.prepare(model, opt, dl)`: the loader may be any.
                let rest = Value {
                    loader: value.loader.clone(),
                    ..Default::default()
                };
                for other in t.elts.iter().skip(1) {
                    self.lower_target(other, &rest, out);
                }
                if let Some(first) = t.elts.first() {
                    self.lower_target(first, value, out);
                }
                return;
            }
            _ => None,
        };
        let Some(name) = name else { return };
        if let Some(id) = value.call {
            bind_call(out, id, &name);
            // A module global keeps its name across calls and imports: the object made here is
            // the one a child later uses or closes.
            if !name.starts_with("self.") && self.global_path(&name).is_some() {
                set_global(out, id, &name);
            }
        }
        let read_off = value.var.as_deref().filter(|v| *v != name);
        if let (None, None, Some(from)) = (value.call, value.func, read_off) {
            let mut c = self.call(Callee::Path(vec![DERIVED.to_string()]), span);
            c.receiver = Some(from.to_string());
            c.bind = Some(name.clone());
            out.push(Node::Call(c));
        }
        let own_field = name.strip_prefix("self.").is_some_and(|field| {
            self.lookup("self")
                .ty
                .and_then(|t| self.classes.get(&t))
                .is_some_and(|c| c.per_process.contains(field))
        });
        let reset = self.pid_check > 0
            || own_field
            || (self.per_process.contains(&name) && self.is_global(&name));
        if reset && value.call.is_some() {
            self.marker(PER_PROCESS, span, vec![name], out);
        }
    }

    fn is_global(&self, name: &str) -> bool {
        match self.scopes.last() {
            None => true,
            Some(s) => s.globals.contains(name),
        }
    }

    /// The absolute path of a module global of this file, when `name` names one here.
    fn global_path(&self, name: &str) -> Option<String> {
        for scope in self.scopes.iter().rev() {
            if scope.globals.contains(name) {
                break;
            }
            if scope.names.contains_key(name) {
                return None;
            }
        }
        self.module.get(name)?;
        let mut parts = self.package_path();
        parts.push(name.to_string());
        Some(parts.join("::"))
    }

    /// This file's module as path segments.
    fn package_path(&self) -> Vec<String> {
        std::iter::once(self.ir.crate_name.clone())
            .chain(self.ir.module.iter().cloned())
            .collect()
    }

    /// Inside a child hook: the object at `path` (or the global named `var`) is recreated or
    /// disposed of in every child.
    fn note_reset(&mut self, path: Option<String>, var: Option<&str>) {
        let Some(scope) = self.in_hook else {
            return;
        };
        let found = path.or_else(|| var.and_then(|v| self.global_path(v)));
        if let Some(p) = found {
            let p = if scope == EVERY_FORK {
                p
            } else {
                format!("{scope}:{p}")
            };
            if !self.ir.resets_in_child.contains(&p) {
                self.ir.resets_in_child.push(p);
            }
        }
    }

    /// The module path a dotted expression names, without emitting anything.
    fn quiet_path(&self, e: &Expr) -> Option<String> {
        match e {
            Expr::Name(n) => {
                let v = self.lookup(n.id.as_str());
                v.var.is_none().then_some(v.path).flatten()
            }
            Expr::Attribute(a) => self
                .quiet_path(&a.value)
                .map(|p| format!("{p}::{}", a.attr.id)),
            _ => None,
        }
    }

    fn lower_if(
        &mut self,
        test: &Expr,
        body: &[Stmt],
        clauses: &[ast::ElifElseClause],
        out: &mut Vec<Node>,
    ) {
        let (fork_test, pid_check) = self.lower_condition(test, out);
        if let (Some(t), true) = (&fork_test, clauses.is_empty()) {
            if t.side == Side::Parent && self.only_exits(body) {
                mark_daemonize(out, &t.subject);
            }
        }
        let span = self.span(test.range());
        self.pid_check += usize::from(pid_check);
        let read = names_read(test);
        let unbound: Vec<&str> = std::iter::once(body)
            .chain(clauses.iter().map(|c| c.body.as_slice()))
            .flat_map(assigned_names)
            .filter(|n| self.lookup(n).var.is_none())
            .collect();
        let narrowed = self.narrow(test);
        let then = self.lower_stmts(body);
        if let Some(undo) = narrowed {
            self.widen(undo);
        }
        let (empty_then, mut empty_else) = self.emptied_by(test);
        // `if n > 1: pool.close()` after `if n <= 1: .. else: pool = Pool(n)`: the block uses
        // a local that only a branch on the same names bound, so it runs where that branch
        // bound it (elsewhere the name is unbound and the use would raise). The way past it
        // is where that branch did not bind it: nothing is held there.
        if clauses.is_empty() {
            if let Some(scope) = self.scopes.last() {
                empty_else.extend(
                    used_objects(body)
                        .into_iter()
                        .filter(|v| scope.guarded.get(*v).is_some_and(|g| !g.is_disjoint(&read)))
                        .map(str::to_string),
                );
            }
        }
        let mut arms = vec![Arm {
            test: fork_test.clone(),
            body: then,
            span,
            empty: empty_then,
            ..Default::default()
        }];
        let then_loaders = self.bound_loaders();
        let exhaustive = clauses.last().is_some_and(|c| c.test.is_none());
        if let Some((first, rest)) = clauses.split_first() {
            let else_body = match &first.test {
                Some(t) => {
                    let mut nodes = Vec::new();
                    self.lower_if(t, &first.body, rest, &mut nodes);
                    Block {
                        nodes,
                        locals: Vec::new(),
                    }
                }
                None => self.lower_stmts(&first.body),
            };
            arms.push(Arm {
                test: fork_test.and_then(negate),
                body: else_body,
                span,
                empty: empty_else,
                ..Default::default()
            });
        } else if !empty_else.is_empty() {
            // `if pool is not None: ..` with no `else`: the way past it holds nothing there.
            arms.push(Arm {
                test: fork_test.and_then(negate),
                span,
                empty: empty_else,
                ..Default::default()
            });
        }
        self.pid_check -= usize::from(pid_check);
        if let Some(scope) = self.scopes.last_mut() {
            for name in unbound {
                scope.guarded.insert(name.to_string(), read.clone());
            }
        }
        self.keep_loaders(then_loaders);
        let exhaustive = exhaustive || arms.len() > 1;
        out.push(Node::Branch(Branch {
            span,
            arms,
            exhaustive,
        }));
    }

    /// The locals a condition says hold nothing, on the arm it guards and on the other one:
    /// `x is None` and `not x` empty `x` there, `x is not None` and a bare `x` on the way past.
    /// (A pool, an executor, a client or a thread is never false; a list of them is false only
    /// when it is empty.)
    fn emptied_by(&self, test: &Expr) -> (Vec<String>, Vec<String>) {
        let local = |e: &Expr| {
            let name = name_of(e)?;
            self.lookup(name).var.is_some().then(|| name.to_string())
        };
        let none = |e: &Expr| matches!(e, Expr::NoneLiteral(_));
        let found = match test {
            Expr::Compare(c) if c.ops.len() == 1 && none(&c.comparators[0]) => {
                match (c.ops[0], local(&c.left)) {
                    (ast::CmpOp::Is, Some(v)) => Some((true, v)),
                    (ast::CmpOp::IsNot, Some(v)) => Some((false, v)),
                    _ => None,
                }
            }
            Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not => local(&u.operand).map(|v| (true, v)),
            e => local(e).map(|v| (false, v)),
        };
        match found {
            Some((true, v)) => (vec![v], Vec::new()),
            Some((false, v)) => (Vec::new(), vec![v]),
            None => (Vec::new(), Vec::new()),
        }
    }

    /// `isinstance(x, Class)` gives the local `x` that class inside the branch it guards, so
    /// that `x.handle(..)` there reaches `Class.handle` (a value taken from a queue or a list
    /// has no type of its own). Returns what to put back when the branch ends.
    fn narrow(&mut self, test: &Expr) -> Option<Narrowed> {
        let Expr::Call(c) = test else {
            return None;
        };
        if self.quiet_path(&c.func).as_deref() != Some("builtins::isinstance")
            || c.arguments.args.len() != 2
        {
            return None;
        }
        let name = name_of(&c.arguments.args[0])?;
        // A tuple of classes leaves the type open.
        let class = self.quiet_path(&c.arguments.args[1])?;
        if !(starts_upper(last_segment(&class)) || self.classes.contains_key(&class)) {
            return None;
        }
        let before = self.lookup(name);
        before.var.as_ref()?;
        let narrowed = Value {
            ty: Some(class.clone()),
            ..before.clone()
        };
        let scope = self.scopes.last_mut()?;
        let old = scope.names.insert(name.to_string(), narrowed);
        Some(Narrowed {
            name: name.to_string(),
            class,
            old,
        })
    }

    /// Ends an `isinstance` narrowing, unless the branch rebound the name.
    fn widen(&mut self, undo: Narrowed) {
        let Some(scope) = self.scopes.last_mut() else {
            return;
        };
        let still = scope
            .names
            .get(&undo.name)
            .is_some_and(|v| v.ty.as_deref() == Some(undo.class.as_str()));
        if !still {
            return;
        }
        match undo.old {
            Some(v) => scope.names.insert(undo.name, v),
            None => scope.names.remove(&undo.name),
        };
    }

    /// The block only leaves the process (`os._exit(0)`, `sys.exit()`): the daemonize idiom's
    /// parent side.
    fn only_exits(&self, body: &[Stmt]) -> bool {
        !body.is_empty()
            && body.iter().all(|stmt| match stmt {
                Stmt::Expr(e) => match &*e.value {
                    Expr::Call(c) => self
                        .quiet_path(&c.func)
                        .is_some_and(|p| PARENT_EXITS.contains(&p.as_str())),
                    _ => false,
                },
                _ => false,
            })
    }

    /// The names of the current scope that hold a loader with workers.
    fn bound_loaders(&self) -> Vec<(String, (String, Span))> {
        let names = match self.scopes.last() {
            Some(scope) => &scope.names,
            None => &self.module,
        };
        names
            .iter()
            .filter_map(|(n, v)| Some((n.clone(), v.loader.clone()?)))
            .collect()
    }

    /// After a branch: a name that held a loader at the end of one arm and was rebound to
    /// something else in another may hold either (`if web: dl = WebLoader(..) else: dl =
    /// DataLoader(..)`), so it keeps the loader.
    fn keep_loaders(&mut self, saved: Vec<(String, (String, Span))>) {
        let names = match self.scopes.last_mut() {
            Some(scope) => &mut scope.names,
            None => &mut self.module,
        };
        for (name, loader) in saved {
            if let Some(v) = names.get_mut(&name) {
                v.loader.get_or_insert(loader);
            }
        }
    }

    /// `0`, or a library constant that is the child's fork result (`pty.CHILD`).
    fn is_zero_pid(&self, e: &Expr) -> bool {
        is_zero(e)
            || self
                .quiet_path(e)
                .is_some_and(|p| CHILD_PID_CONSTANTS.contains(&p.as_str()))
    }

    /// Lowers a branch condition; says what it tells about a fork result, and whether it
    /// compares the process id (code under it runs again in a new process).
    fn lower_condition(&mut self, test: &Expr, out: &mut Vec<Node>) -> (Option<ForkTest>, bool) {
        let first = self.next_call;
        let subject = |e: &Expr, v: &Value| match e {
            Expr::Call(_) => v.call.map(Subject::Call),
            _ => v.var.clone().map(Subject::Var),
        };
        let fork_test = match test {
            Expr::Compare(c)
                if c.ops.len() == 1
                    && (self.is_zero_pid(&c.comparators[0]) || self.is_zero_pid(&c.left)) =>
            {
                let zero_left = self.is_zero_pid(&c.left);
                let e = if zero_left {
                    &c.comparators[0]
                } else {
                    &*c.left
                };
                let v = self.lower_expr(e, out);
                let side = match (c.ops[0], zero_left) {
                    (ast::CmpOp::Eq, _) => Some(Side::Child),
                    (ast::CmpOp::NotEq, _) => Some(Side::Parent),
                    (ast::CmpOp::Gt, false) | (ast::CmpOp::Lt, true) => Some(Side::Parent),
                    (ast::CmpOp::Lt, false) | (ast::CmpOp::Gt, true) => Some(Side::Error),
                    _ => None,
                };
                side.zip(subject(e, &v)).map(|(side, subject)| ForkTest {
                    subject,
                    side,
                    variant: None,
                    via: None,
                })
            }
            Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not => {
                let v = self.lower_expr(&u.operand, out);
                subject(&u.operand, &v).map(|subject| ForkTest {
                    subject,
                    side: Side::Child,
                    variant: None,
                    via: None,
                })
            }
            _ => {
                let v = self.lower_expr(test, out);
                match test {
                    Expr::Name(_) | Expr::Call(_) | Expr::Attribute(_) => {
                        subject(test, &v).map(|subject| ForkTest {
                            subject,
                            side: Side::Parent,
                            variant: None,
                            via: None,
                        })
                    }
                    _ => None,
                }
            }
        };
        let pid_check = out.iter().any(|n| {
            matches!(n, Node::Call(c) if c.id >= first
                && matches!(&c.callee, Callee::Path(p) if p.first().is_some_and(|p| p == "os::getpid")))
        });
        (fork_test, pid_check)
    }

    // ----- expressions ---------------------------------------------------------------------

    fn lower_expr(&mut self, e: &Expr, out: &mut Vec<Node>) -> Value {
        if self.depth > MAX_DEPTH {
            return Value::default();
        }
        self.depth += 1;
        let v = self.lower_expr_inner(e, out);
        self.depth -= 1;
        v
    }

    fn lower_all<'e>(&mut self, es: impl IntoIterator<Item = &'e Expr>, out: &mut Vec<Node>) {
        for e in es {
            self.lower_expr(e, out);
        }
    }

    fn lower_comprehension(&mut self, gens: &[ast::Comprehension], out: &mut Vec<Node>) {
        for g in gens {
            let iter = self.lower_expr(&g.iter, out);
            let pinning = self.iterate(&iter, out);
            self.lower_all(&g.ifs, out);
            let span = self.span(g.iter.range());
            self.end_iteration(pinning, span, out);
        }
    }

    fn lower_expr_inner(&mut self, e: &Expr, out: &mut Vec<Node>) -> Value {
        match e {
            Expr::Call(c) => {
                let v = self.lower_call(c, out);
                match self.imported_by(c) {
                    Some(module) => Value {
                        path: Some(module),
                        ..Default::default()
                    },
                    None => v,
                }
            }
            Expr::Name(n) => self.lookup(n.id.as_str()),
            Expr::Attribute(a) => {
                let base = self.lower_expr(&a.value, out);
                let attr = a.attr.id.as_str();
                if let (Some(path), None) = (&base.path, &base.var) {
                    return Value {
                        path: Some(format!("{path}::{attr}")),
                        ..Default::default()
                    };
                }
                let method = base
                    .ty
                    .as_ref()
                    .and_then(|t| self.classes.get(&self.method_owner(t, attr)))
                    .and_then(|c| c.methods.get(attr))
                    .copied();
                if method.is_some() {
                    return Value {
                        func: method,
                        ..Default::default()
                    };
                }
                match base.var.as_deref() {
                    Some("self") => {
                        let ty = base
                            .ty
                            .as_ref()
                            .and_then(|t| self.classes.get(t))
                            .and_then(|c| c.fields.get(attr))
                            .cloned();
                        let loader = base
                            .ty
                            .as_ref()
                            .and_then(|t| self.loader_fields.get(&format!("{t}.{attr}")))
                            .cloned();
                        Value {
                            var: Some(format!("self.{attr}")),
                            ty,
                            loader,
                            ..Default::default()
                        }
                    }
                    Some(v) => Value {
                        var: Some(v.to_string()),
                        ..Default::default()
                    },
                    // A part of what a call made (`client.get_database("shop").orders`) keeps
                    // that object, as an item of it does.
                    None => Value {
                        call: base.call,
                        ..Default::default()
                    },
                }
            }
            Expr::Lambda(l) => {
                let path = format!("{}::{{closure#{}}}", self.fn_path, self.nested);
                self.nested += 1;
                let index = self.placeholder(path, FnKind::Closure, l.range);
                let mut body = Block::default();
                self.scopes.push(Scope::default());
                let saved =
                    std::mem::replace(&mut self.fn_path, self.ir.functions[index].path.clone());
                self.lower_expr(&l.body, &mut body.nodes);
                self.fn_path = saved;
                self.scopes.pop();
                self.ir.functions[index].body = body;
                Value {
                    func: Some(index),
                    ..Default::default()
                }
            }
            Expr::Named(n) => {
                let value = self.lower_expr(&n.value, out);
                self.lower_target(&n.target, &value, out);
                value
            }
            Expr::Await(ast::ExprAwait { value, .. })
            | Expr::Starred(ast::ExprStarred { value, .. })
            | Expr::YieldFrom(ast::ExprYieldFrom { value, .. }) => self.lower_expr(value, out),
            // `mp_context or multiprocessing.get_context()`: a context either way.
            Expr::BoolOp(b) if b.op == ast::BoolOp::Or => {
                let values: Vec<Value> = b.values.iter().map(|v| self.lower_expr(v, out)).collect();
                Value {
                    start: values.into_iter().find_map(|v| v.start),
                    ..Default::default()
                }
            }
            Expr::BoolOp(ast::ExprBoolOp { values: elts, .. })
            | Expr::Set(ast::ExprSet { elts, .. })
            | Expr::List(ast::ExprList { elts, .. })
            | Expr::Tuple(ast::ExprTuple { elts, .. }) => {
                self.lower_all(elts, out);
                Value::default()
            }
            Expr::BinOp(b) => {
                self.lower_expr(&b.left, out);
                self.lower_expr(&b.right, out);
                Value::default()
            }
            Expr::UnaryOp(u) => {
                self.lower_expr(&u.operand, out);
                Value::default()
            }
            Expr::If(i) => {
                self.lower_expr(&i.test, out);
                let mut a = Block::default();
                let mut b = Block::default();
                let first = self.lower_expr(&i.body, &mut a.nodes);
                let second = self.lower_expr(&i.orelse, &mut b.nodes);
                // Either value may be a loader with workers: iterating the result may fork them.
                let loader = first.loader.or(second.loader);
                let span = self.span(i.range);
                out.push(Node::Branch(Branch {
                    span,
                    arms: vec![
                        Arm {
                            test: None,
                            body: a,
                            span,
                            ..Default::default()
                        },
                        Arm {
                            test: None,
                            body: b,
                            span,
                            ..Default::default()
                        },
                    ],
                    exhaustive: true,
                }));
                Value {
                    loader,
                    ..Default::default()
                }
            }
            Expr::Dict(d) => {
                for item in &d.items {
                    if let Some(k) = &item.key {
                        self.lower_expr(k, out);
                    }
                    self.lower_expr(&item.value, out);
                }
                Value::default()
            }
            Expr::ListComp(ast::ExprListComp {
                elt, generators, ..
            })
            | Expr::SetComp(ast::ExprSetComp {
                elt, generators, ..
            })
            | Expr::Generator(ast::ExprGenerator {
                elt, generators, ..
            }) => {
                self.lower_comprehension(generators, out);
                // The items are what `elt` makes (`[Process(..) for i in range(n)]`): a loop
                // over the list binds values of that type, and their methods are looked up there.
                let item = self.lower_expr(elt, out);
                Value {
                    ty: item.ty,
                    ..Default::default()
                }
            }
            Expr::DictComp(c) => {
                self.lower_comprehension(&c.generators, out);
                if let Some(k) = &c.key {
                    self.lower_expr(k, out);
                }
                self.lower_expr(&c.value, out);
                Value::default()
            }
            Expr::Yield(y) => {
                if let Some(v) = &y.value {
                    self.lower_expr(v, out);
                }
                Value::default()
            }
            Expr::Compare(c) => {
                self.lower_expr(&c.left, out);
                self.lower_all(c.comparators.iter(), out);
                Value::default()
            }
            Expr::Subscript(s) => {
                let base = self.lower_expr(&s.value, out);
                self.lower_expr(&s.slice, out);
                // A table of contexts keyed by start method (`contexts["fork"]`): that
                // method's context.
                // An item of what a call made (`MongoClient(..)["db"]`) keeps that object: the
                // name bound to it holds the call's value.
                Value {
                    var: base.var,
                    call: base.call,
                    start: str_lit(&s.slice).and_then(Start::named),
                    ..Default::default()
                }
            }
            Expr::Slice(s) => {
                for part in [&s.lower, &s.upper, &s.step].into_iter().flatten() {
                    self.lower_expr(part, out);
                }
                Value::default()
            }
            Expr::StringLiteral(lit) => Value {
                method: Start::named(lit.value.to_str()),
                ..Default::default()
            },
            Expr::NoneLiteral(_) => Value {
                method: Some(self.file_start.clone()),
                ..Default::default()
            },
            _ => Value::default(),
        }
    }

    fn lower_call(&mut self, c: &ast::ExprCall, out: &mut Vec<Node>) -> Value {
        // A method called on a receiver that spans lines (`Server(\n..\n).serve()`) is placed
        // at its name, where the call is read.
        let span = match &*c.func {
            Expr::Attribute(a)
                if self.span(a.value.range()).line != self.span(a.attr.range).line =>
            {
                self.span(TextRange::new(a.attr.range.start(), c.range().end()))
            }
            _ => self.span(c.range()),
        };
        // The callee: a path (module function, class), a method on a value, or a local function.
        let (mut callee, receiver) = match &*c.func {
            Expr::Attribute(a) => {
                let base = match self.super_of(&a.value) {
                    Some(base) => base,
                    None => self.lower_expr(&a.value, out),
                };
                let name = a.attr.id.as_str();
                let alias = base
                    .ty
                    .as_ref()
                    .filter(|_| base.var.as_deref() == Some("self"))
                    .and_then(|ty| self.classes.get(ty))
                    .and_then(|class| class.aliases.get(name));
                // A class nested in the receiver's (`self.Loader()`) is made like any class.
                let nested = base
                    .ty
                    .as_ref()
                    .map(|ty| format!("{ty}::{name}"))
                    .filter(|inner| self.classes.contains_key(inner));
                match (&base.path, &base.var, alias.or(nested.as_ref())) {
                    (_, _, Some(alias)) => (Some(alias.clone()), None),
                    (Some(path), None, _) => (Some(format!("{path}::{name}")), Some(base)),
                    _ => (None, Some(base)),
                }
            }
            func => {
                let v = self.lower_expr(func, out);
                (v.path.clone(), Some(v))
            }
        };
        let receiver = receiver.unwrap_or_default();
        let method = match &*c.func {
            Expr::Attribute(a) => Some(a.attr.id.as_str()),
            _ => None,
        };
        if let Some(m) = method.filter(|m| RESET_METHODS.contains(m)) {
            let object = callee
                .as_deref()
                .and_then(|p| p.strip_suffix(&format!("::{m}")))
                .map(str::to_string);
            self.note_reset(object, receiver.var.as_deref());
        }
        // Functions given to a process (`Process(target=f)`, `pool.map(f, ..)`) run in another
        // process: their effects are not the caller's.
        let made = match (&callee, method, &receiver.start) {
            (Some(p), _, _) => Some(self.with_start(p, None)),
            (None, Some(m), Some(s)) => {
                Some(self.with_start(&format!("multiprocessing::{m}"), Some(s)))
            }
            _ => None,
        };
        let method_path = receiver
            .ty
            .as_deref()
            .zip(method)
            .map(|(ty, m)| format!("{ty}::{m}"));
        // A DataLoader calls none of the functions it is given when it is made: its workers
        // run `worker_init_fn` (in the child), and `collate_fn` runs where it is iterated.
        let runs_elsewhere = [receiver.ty.as_deref(), made.as_deref()]
            .into_iter()
            .flatten()
            .any(|t| CHILD_RUNNERS.iter().any(|r| t.starts_with(r)))
            || made.as_deref().is_some_and(|m| DATA_LOADERS.contains(&m))
            || [made.as_deref(), method_path.as_deref()]
                .into_iter()
                .flatten()
                .any(runs_in_worker);
        if callee.as_deref() == Some(PARTIAL) {
            return self.lower_partial(c, out);
        }
        // Arguments, in order; functions passed become the call's closures.
        let mut call = self.call(Callee::Path(Vec::new()), span);
        let mut context = None;
        let mut variants = Vec::new();
        let mut passed_loader = None;
        // Calls whose results are passed positionally (`next(iter(dl))`).
        let mut arg_calls = Vec::new();
        // What each positional argument would be as a server's request handler.
        let mut handlers: Vec<(u32, String)> = Vec::new();
        // What a DataLoader made here hands its workers: its dataset and functions.
        let mut dataset = None;
        let mut handed_fns = Vec::new();
        for (i, arg) in c.arguments.args.iter().enumerate() {
            if i == 0 {
                call.str_arg = str_lit(arg).map(str::to_string);
            }
            let v = self.lower_expr(arg, out);
            if i == 0 {
                dataset = Some(v.ty.clone());
            }
            passed_loader = passed_loader.or(v.loader.clone());
            arg_calls.extend(v.call);
            if let Some(handed) = self.handler_ref(arg, &v) {
                handlers.push((i as u32, handed));
            }
            call.arg_calls.extend(v.call.map(|id| (i as u32, id)));
            self.take_arg(&mut call, &v, runs_elsewhere);
        }
        let mut workers = false;
        let mut workers_unknown = false;
        // What `**dict` arguments give, unless `num_workers=` is also written out.
        let mut spread_workers = DictWorkers::None;
        let mut workers_named = false;
        // The command-line option the count is read from (`num_workers=opt.n_threads`).
        let mut workers_option = None;
        let mut pin_memory = false;
        // The `preexec_fn` given is a function known here (not a caller's value handed on).
        let mut preexec_named = false;
        let positional = c.arguments.args.len();
        for (i, k) in c.arguments.keywords.iter().enumerate() {
            let v = self.lower_expr(&k.value, out);
            passed_loader = passed_loader.or(v.loader.clone());
            call.arg_calls
                .extend(v.call.map(|id| ((positional + i) as u32, id)));
            let key = k.arg.as_ref().map(|a| a.id.as_str());
            match key {
                Some("dataset") => dataset = Some(v.ty.clone()),
                Some("collate_fn" | "worker_init_fn") if !k.value.is_none_literal_expr() => {
                    let named = v.func.map(|f| self.ir.functions[f].path.clone());
                    handed_fns.push(named.or(v.path.clone()));
                }
                Some("mp_context") => context = v.start.clone(),
                // PyTorch's DataLoader: a string or a context object.
                Some("multiprocessing_context") => {
                    context = str_lit(&k.value).and_then(Start::named).or(v.start.clone())
                }
                Some("pin_memory") => {
                    pin_memory = !matches!(&k.value, Expr::BooleanLiteral(b) if !b.value)
                }
                Some("num_workers") => {
                    workers_named = true;
                    workers = !is_zero(&k.value);
                    // A count read from a setting or an attribute is not known here.
                    workers_unknown = workers && !matches!(k.value, Expr::NumberLiteral(_));
                    workers_option = super::options::read_option(&k.value);
                }
                // `Popen(cmd, **kw)` with a `preexec_fn` put in `kw` earlier.
                None => {
                    spread_workers = spread_workers.max(self.workers_in_dict(&k.value));
                    if let Some(f) = self.preexec_in_dict(&k.value) {
                        variants.push("@preexec_fn".to_string());
                        self.take_arg(&mut call, &f, runs_elsewhere);
                    }
                }
                Some("async_mode")
                    if callee
                        .as_deref()
                        .is_some_and(|p| SOCKETIO_SERVERS.contains(&p)) =>
                {
                    self.socketio_green |= str_lit(&k.value).is_some_and(|m| m != "threading")
                }
                // subprocess: a function run in the child between fork and exec.
                Some("preexec_fn") if !k.value.is_none_literal_expr() => {
                    variants.push("@preexec_fn".to_string());
                    preexec_named |= v.func.is_some() || v.path.is_some();
                }
                _ => {}
            }
            let serial = matches!(&k.value, Expr::NumberLiteral(n)
                if matches!(&n.value, ast::Number::Int(i) if i.as_u8().is_some_and(|i| i <= 1)));
            if let (Some(key), Some(path)) = (key, callee.as_deref()) {
                if !serial && PROCESS_COUNT_VARIANTS.contains(&(path, key)) {
                    variants.push(format!("@{key}"));
                }
            }
            if let (Some(key), Some(path), Some(text)) = (key, callee.as_deref(), str_lit(&k.value))
            {
                if STRING_KEYWORD_VARIANTS.contains(&(path, key)) {
                    variants.push(format!("@{key}={text}"));
                }
            }
            if key == Some("device")
                && names_accelerator(&k.value)
                && callee
                    .as_deref()
                    .is_some_and(|p| DEVICE_KEYWORD_MODULES.iter().any(|m| p.starts_with(m)))
            {
                variants.push("@device".to_string());
            }
            if let (Some(key), Expr::BooleanLiteral(b)) = (key, &k.value) {
                let text = if b.value { "True" } else { "False" };
                if KEYWORD_VARIANTS.contains(&(key, text)) {
                    variants.push(format!("@{key}={text}"));
                }
            }
            self.take_arg(&mut call, &v, runs_elsewhere);
        }
        if !workers_named && spread_workers != DictWorkers::None {
            workers = true;
            workers_unknown = spread_workers == DictWorkers::Unknown;
        }
        // A local handed to a library function (`trace.set_tracer_provider(provider)`) may be
        // kept there: it outlives this function like a returned value. The `os` module's
        // functions are system calls that keep nothing (`os.waitpid(pid, 0)` leaves `pid` a
        // local, not the function's value).
        if callee.as_deref().is_some_and(|p| {
            !p.starts_with("self::") && !p.starts_with("builtins::") && !p.starts_with("os::")
        }) {
            let kept: Vec<String> = call
                .arg_vars
                .iter()
                .filter(|v| !v.starts_with("self") && self.global_path(v).is_none())
                .cloned()
                .collect();
            self.returns.extend(kept);
        }
        // multiprocessing contexts.
        if callee.as_deref() == Some("multiprocessing::get_context")
            || (method == Some("get_context") && receiver.start.is_some())
        {
            out.push(Node::Call(call));
            // A method held by a variable is known when a name or `None` was assigned to it; any
            // other value (a parameter, a setting) is not taken for fork: the context's pools
            // keep their threads, its fork is not assumed.
            let named = c.arguments.args.first().or_else(|| {
                c.arguments
                    .keywords
                    .iter()
                    .find(|k| k.arg.as_ref().is_some_and(|a| a.id.as_str() == "method"))
                    .map(|k| &k.value)
            });
            let start = match named {
                None => self.file_start.clone(),
                Some(arg) => self.start_method_of(arg).unwrap_or(Start::Spawn),
            };
            return Value {
                start: Some(start),
                ..Default::default()
            };
        }
        if let (Some(m), Some(start), None) = (method, &receiver.start, &callee) {
            callee = Some(self.with_start(&format!("multiprocessing::{m}"), Some(start)));
        } else if let Some(path) = &callee {
            callee = Some(self.with_start(path, context.as_ref()));
        }
        // A DataLoader with workers forks them (by its start method) when it is iterated. The
        // fork stays at the construction too, for a loader iterated where it cannot be followed.
        let mut made_loader = None;
        // A class of the program given workers may be a DataLoader subclass: only the linker
        // knows its bases, so its fork is a candidate the linker keeps or drops.
        let mut maybe_loader = None;
        if workers {
            let start = context.as_ref().unwrap_or(&self.file_start);
            let count = match (workers_unknown, workers_option) {
                (true, Some(option)) => {
                    format!("{UNKNOWN_WORKERS}{}{option}", super::options::OPTION_SEP)
                }
                (true, None) => UNKNOWN_WORKERS.to_string(),
                _ => String::new(),
            };
            let fork = format!("{}@{}{count}", DATA_LOADERS[0], start.suffix());
            let mut handed = super::workers::Handed::new(&self.fn_path, &call.arg_vars);
            handed.dataset(dataset.flatten().as_deref());
            for f in handed_fns {
                handed.function(f);
            }
            handed.write(&mut call, &self.fn_path, None);
            self.handed_loaders.insert(span, handed);
            match callee.as_deref() {
                Some(p) if DATA_LOADERS.contains(&p) => {
                    if pin_memory {
                        self.pinned_loaders.insert(span);
                    }
                    made_loader = Some((fork.clone(), span));
                    callee = Some(fork);
                }
                Some(p)
                    if !p.starts_with("builtins::")
                        && (starts_upper(last_segment(p)) || self.classes.contains_key(p)) =>
                {
                    let candidate =
                        format!("{LOADER_SUBCLASS}{SUBCLASS_SEP}{p}{SUBCLASS_SEP}{fork}");
                    made_loader = Some((candidate.clone(), span));
                    maybe_loader = Some(candidate);
                }
                _ => {}
            }
        }
        // What is made from a loader (`enumerate(dl)`, `tqdm(dl)`, `cycle(dl)`, the loader
        // `accelerator.prepare(dl)` returns) iterates it when iterated; `next(..)`, `iter(..)`
        // and `list(..)` iterate it at once.
        if made_loader.is_none()
            && callee
                .as_deref()
                .is_some_and(|p| ITERATING_BUILTINS.contains(&p))
        {
            let v = Value {
                loader: passed_loader.take(),
                ..Default::default()
            };
            let pinning = self.iterate(&v, out);
            // `next(..)` and `list(..)` are done with their iterator at once; the iterator
            // `iter(..)` returns is kept.
            if callee.as_deref() == Some("builtins::iter") {
                if let Some(pin) = pinning {
                    self.kept_pins.insert(call.id, pin);
                }
            } else {
                self.end_iteration(pinning, span, out);
            }
        }
        if callee
            .as_deref()
            .is_some_and(|p| p != "builtins::iter" && ITERATING_BUILTINS.contains(&p))
        {
            for made in &arg_calls {
                let pin = self.kept_pins.remove(made);
                self.end_iteration(pin, span, out);
            }
        }
        // `list(bar)`, `list(chain.from_iterable(bar))`: the builtin runs its iterable to the
        // end, and an object made to be iterated (a progress bar) is done there: its iterator
        // closes it (tqdm's `__iter__` closes the bar when exhausted).
        if callee.as_deref().is_some_and(|p| EXHAUSTING.contains(&p)) {
            if let Some(var) = c.arguments.args.first().and_then(|a| self.exhausted(a)) {
                self.marker(WITH_EXIT, span, vec![var], out);
            }
        }
        let handed = passed_loader.clone().filter(|_| made_loader.is_none());
        // A method of a loader hands back a pipeline over it (webdataset's fluent
        // `dl.slice(n)`, `dl.shuffle(k)`): iterating that iterates the loader.
        let from_receiver = receiver
            .loader
            .clone()
            .filter(|_| callee.is_none() && method.is_some_and(|m| !m.starts_with("__")));
        let loader = made_loader.or(passed_loader).or(from_receiver);
        // A DataLoader subclass that iterates itself (`super().__iter__()`) starts the workers
        // there; their number comes from its caller, so the default start method decides.
        if callee.is_none()
            && method == Some("__iter__")
            && receiver
                .ty
                .as_deref()
                .is_some_and(|t| DATA_LOADERS.contains(&t))
        {
            callee = Some(format!("{}@{}", DATA_LOADERS[0], self.file_start.suffix()));
        }
        // Any other callable given a function as `preexec_fn` hands it on to a `Popen` (a
        // library's own Popen subclass or wrapper): when nothing else is known of it, it is
        // taken as one. A builtin (`dict(preexec_fn=f)`) only holds it.
        let mut popen_like = false;
        if !callee
            .as_deref()
            .is_some_and(|p| p.starts_with("subprocess::") || SUBPROCESS_WRAPPERS.contains(&p))
        {
            popen_like = preexec_named
                && !callee
                    .as_deref()
                    .is_some_and(|p| p.starts_with("builtins::"));
            variants.retain(|v| v != "@preexec_fn");
        }
        // `os.exec*` raises OSError when it fails (no such program, no permission): unless a
        // handler of this function catches it, the error leaves the function on that path (at
        // module level it ends the interpreter, which FL006's caller-side message does not fit).
        if self.handled == 0
            && !self.scopes.is_empty()
            && callee.as_deref().is_some_and(|p| p.starts_with("os::exec"))
        {
            self.may_raise(span, out);
        }
        let id = call.id;
        let value = match callee {
            Some(path) => {
                let path = path + &variants.concat();
                let mut candidates = vec![path.clone()];
                let last = last_segment(&path);
                let is_class = starts_upper(last) || self.classes.contains_key(&path);
                if is_class {
                    candidates.push(format!("{path}::__init__"));
                }
                if popen_like {
                    candidates.push(POPEN_PREEXEC.to_string());
                }
                match receiver.func {
                    Some(index) if self.ir.functions[index].kind == FnKind::Closure => {
                        call.callee = Callee::Local(index);
                    }
                    _ => call.callee = Callee::Path(candidates),
                }
                if let Some(first) = path.split("::").next() {
                    self.note_module(first);
                }
                // Lightning's alternate constructors (`Trainer.from_argparse_args(..)`) make a
                // trainer. (Other libraries' `from_*` are left untyped: their objects' methods
                // are matched by name, `model.to(device)`.)
                let ty = is_class
                    .then(|| path.clone())
                    .or_else(|| {
                        let (class, name) = path.rsplit_once("::")?;
                        (name.starts_with("from_") && super::lightning::TRAINERS.contains(&class))
                            .then(|| class.to_string())
                    })
                    .or_else(|| self.returns_ty.get(&path).cloned().flatten());
                Value {
                    ty,
                    call: Some(id),
                    start: self.returns_start.get(&path).cloned(),
                    loader: self.returns_loader.get(&path).cloned(),
                    fresh: true,
                    ..Default::default()
                }
            }
            None => match (method, &receiver) {
                (Some(name), base) => {
                    let ty = base.ty.as_deref().map(|t| self.method_owner(t, name));
                    // A factory method's result has the class it returns.
                    let made = ty
                        .as_ref()
                        .and_then(|t| self.classes.get(t))
                        .and_then(|c| c.returns.get(name))
                        .cloned();
                    // A library type's `to(device)` (`nn.DataParallel(model).to(device)`) is
                    // the same move to the GPU as an untyped one; only a class of this file
                    // that defines the method itself keeps the plain name.
                    let own = ty
                        .as_ref()
                        .and_then(|t| self.classes.get(t))
                        .is_some_and(|class| class.methods.contains_key(name));
                    let name = if own {
                        name.into()
                    } else {
                        method_key(name, c)
                    };
                    call.callee = Callee::Method {
                        name: name.into_owned(),
                        ty: ty.clone(),
                    };
                    call.receiver = base.var.clone();
                    call.receiver_call = base.call;
                    call.receiver_global = base
                        .var
                        .as_deref()
                        .filter(|v| !v.starts_with("self.") && self.global_path(v).is_some())
                        .map(|v| format!("self::{v}"));
                    if let Some(v) = &base.var {
                        call.arg_vars.insert(0, v.clone());
                    }
                    // A method called through an attribute of a global (`db.session.add(..)`)
                    // is first a use of that attribute: a marker call names it, for clients
                    // that connect only at some members.
                    let through = match &*c.func {
                        Expr::Attribute(a) => match &*a.value {
                            Expr::Attribute(inner) if matches!(&*inner.value, Expr::Name(_)) => {
                                Some(inner.attr.id.as_str())
                            }
                            _ => None,
                        },
                        _ => None,
                    };
                    if let (Some(attr), Some(g)) = (through, call.receiver_global.clone()) {
                        let name = format!("{}{attr}", crate::ir::THROUGH_ATTRIBUTE);
                        let mut marker = self.call(Callee::Method { name, ty: None }, span);
                        marker.receiver = base.var.clone();
                        marker.receiver_global = Some(g);
                        out.push(Node::Call(marker));
                    }
                    Value {
                        ty: made,
                        call: Some(id),
                        ..Default::default()
                    }
                }
                (None, base) => {
                    if let Some(index) = base.func {
                        call.callee = Callee::Local(index);
                    }
                    Value {
                        call: Some(id),
                        ..Default::default()
                    }
                }
            },
        };
        if let Some((fork, made_at)) = handed {
            let mut marker = self.call(Callee::Path(vec![LOADER_HANDED.to_string()]), made_at);
            marker.str_arg = Some(fork);
            if let Some(h) = self.handed_loaders.get(&made_at) {
                h.write(&mut marker, &self.fn_path, None);
            }
            out.push(Node::Call(marker));
        }
        // As for PyTorch's own loader, the fork stays at the construction too.
        if let Some(candidate) = maybe_loader {
            let mut c = self.call(Callee::Path(vec![candidate]), span);
            if let Some(h) = self.handed_loaders.get(&span) {
                h.write(&mut c, &self.fn_path, None);
            }
            out.push(Node::Call(c));
        }
        let role = match &call.callee {
            Callee::Method { name, ty } => rpc::role(name, ty.as_deref(), &self.ir.crates_used),
            _ => None,
        };
        let serves = match role {
            // The server keeps what it is handed and calls it where it serves.
            Some((rpc::Role::Registers, library)) => {
                call.closures.clear();
                call.fn_args = handlers
                    .into_iter()
                    .map(|(i, h)| (i, format!("{library}{}{h}", rpc::SEP)))
                    .collect();
                None
            }
            Some((rpc::Role::Serves, library)) => Some(library),
            None => None,
        };
        out.push(Node::Call(call));
        if let Some(library) = serves {
            let mut marker = self.call(Callee::Path(vec![rpc::SERVES.to_string()]), span);
            marker.str_arg = Some(library);
            out.push(Node::Call(marker));
        }
        let loader = loader.or_else(|| value.loader.clone());
        Value { loader, ..value }
    }

    /// The module a call that imports by name hands back: `__import__("a.b")` the top-level
    /// package `a` (Python docs, `__import__`: with a dotted name and no `fromlist`, the
    /// top-level package is returned), `importlib.import_module("a.b")` the module `a.b`.
    fn imported_by(&self, c: &ast::ExprCall) -> Option<String> {
        let name = str_lit(c.arguments.args.first()?)?;
        if name.is_empty() || name.starts_with('.') || !c.arguments.keywords.is_empty() {
            return None;
        }
        match self.quiet_path(&c.func)?.as_str() {
            "builtins::__import__" if c.arguments.args.len() == 1 => {
                name.split('.').next().map(str::to_string)
            }
            "importlib::import_module" => Some(name.replace('.', "::")),
            _ => None,
        }
    }

    /// An argument as a server would take it for a request handler: a function (of this
    /// module or another), the items of a list global the loop it is in walks, or the methods
    /// of an object of a known class.
    fn handler_ref(&self, arg: &Expr, v: &Value) -> Option<String> {
        if let Some(list) =
            name_of(arg).and_then(|n| self.items_of.get(&format!("{}:{n}", self.fn_path)))
        {
            return Some(format!("{list}{}", rpc::ITEMS));
        }
        if let Some(f) = v.func {
            return Some(self.ir.functions[f].path.clone());
        }
        match (&v.path, &v.var, &v.ty) {
            (Some(path), None, _) => Some(path.clone()),
            (None, _, Some(ty)) => Some(format!("{ty}{}", rpc::METHODS)),
            _ => None,
        }
    }

    /// Remembers a dict of keyword arguments, for a later `**dict` in a call: one that names a
    /// `preexec_fn`, one that gives a DataLoader workers. A literal (`{"k": v}`, `dict(k=v)`)
    /// sets both facts; an item set by subscript (`kw["k"] = v`) adds to them.
    fn note_keyword_dict(&mut self, targets: &[Expr], value: &Expr, lowered: &Value) {
        const PREEXEC: &str = "preexec_fn";
        const WORKERS: &str = "num_workers";
        let items = keyword_items(value);
        let carried = items.as_ref().and_then(|items| {
            items.iter().find_map(|(key, v)| {
                // A C function given by name (`os.setsid`) carries no closure, but still
                // moves subprocess onto fork and exec.
                (*key == PREEXEC && !v.is_none_literal_expr())
                    .then(|| name_of(v).map(|n| self.lookup(n)).unwrap_or_default())
                    // A variable of unknown value (a `preexec_fn=None` parameter handed on) is
                    // the caller's choice, not a function this dict is known to carry.
                    .filter(|f| f.var.is_none() || f.func.is_some() || f.path.is_some())
            })
        });
        let workers = DictWorkers::of_literal(value);
        for target in targets {
            let (name, func, workers) = match target {
                Expr::Name(n) => (n.id.as_str(), carried.clone(), Some(workers)),
                Expr::Subscript(sub) => match (str_lit(&sub.slice), name_of(&sub.value)) {
                    (Some(PREEXEC), Some(n)) if !value.is_none_literal_expr() => {
                        (n, Some(lowered.clone()), None)
                    }
                    (Some(WORKERS), Some(n)) => (n, None, Some(Some(DictWorkers::of_count(value)))),
                    _ => continue,
                },
                _ => continue,
            };
            let key = format!("{}:{name}", self.fn_path);
            match func {
                Some(f) => {
                    self.preexec_dicts.insert(key.clone(), f);
                }
                // Rebinding the name to another dict forgets what it carried.
                None if matches!(target, Expr::Name(_)) => {
                    self.preexec_dicts.remove(&key);
                }
                None => {}
            }
            // Rebinding the name to a value that is not a literal dict forgets what it said.
            match workers {
                Some(Some(w)) => {
                    self.worker_dicts.insert(key, w);
                }
                Some(None) => {
                    self.worker_dicts.remove(&key);
                }
                None => {}
            }
        }
    }

    /// The function a `**name` argument passes as `preexec_fn`.
    fn preexec_in_dict(&self, e: &Expr) -> Option<Value> {
        let name = name_of(e)?;
        self.preexec_dicts
            .get(&format!("{}:{name}", self.fn_path))
            .cloned()
    }

    /// What a `**dict` argument gives a DataLoader: a literal's items, a dict this function
    /// (or, for a module global, the module) built, else an unknown count: a setting
    /// (`**cfg.loader`), a parameter or any other value may hold `num_workers`.
    fn workers_in_dict(&self, e: &Expr) -> DictWorkers {
        if let Some(w) = DictWorkers::of_literal(e) {
            return w;
        }
        let Some(name) = name_of(e) else {
            return DictWorkers::Unknown;
        };
        let module = self
            .global_path(name)
            .map(|_| format!("self::{MODULE_FN}:{name}"));
        std::iter::once(format!("{}:{name}", self.fn_path))
            .chain(module)
            .find_map(|key| self.worker_dicts.get(&key).copied())
            .unwrap_or(DictWorkers::Unknown)
    }

    /// `functools.partial(f, ..)` calls nothing: its value is `f` with arguments bound, so `f`
    /// runs where that value is called (in a pool's workers when handed to `Pool.imap`).
    fn lower_partial(&mut self, c: &ast::ExprCall, out: &mut Vec<Node>) -> Value {
        let mut wrapped = Value::default();
        for (i, arg) in c.arguments.args.iter().enumerate() {
            let v = self.lower_expr(arg, out);
            if i == 0 {
                wrapped = v;
            }
        }
        for k in &c.arguments.keywords {
            self.lower_expr(&k.value, out);
        }
        Value {
            path: wrapped.path,
            func: wrapped.func,
            ..Default::default()
        }
    }

    fn take_arg(&mut self, call: &mut Call, v: &Value, runs_elsewhere: bool) {
        if let Some(f) = v.func {
            if !runs_elsewhere {
                call.closures.push(f);
            }
        }
        if let Some(var) = &v.var {
            call.arg_vars.push(var.clone());
        }
    }
}

/// Class decorators that write the class's `__init__` from its annotated fields: dataclasses'
/// and attrs'.
const FIELD_INIT_DECORATORS: &[&str] = &["dataclass", "define", "frozen", "mutable", "attr.s"];

/// A class whose `__init__` its decorator writes (it defines none, nor a post-init hook that
/// could call a field): `self` and its annotated fields, the generated `__init__`'s parameters.
fn generated_init_fields(c: &ast::StmtClassDef, class: &Class) -> Option<Vec<String>> {
    let by_decorator = c.decorator_list.iter().any(|d| {
        let e = match &d.expression {
            Expr::Call(call) => &*call.func,
            other => other,
        };
        let name = match e {
            Expr::Name(n) => n.id.to_string(),
            Expr::Attribute(a) => match &*a.value {
                Expr::Name(m) if a.attr.id.as_str() == "s" => format!("{}.s", m.id),
                _ => a.attr.id.to_string(),
            },
            _ => return false,
        };
        FIELD_INIT_DECORATORS.contains(&name.as_str())
    });
    let own = ["__init__", "__post_init__", "__attrs_post_init__"];
    if !by_decorator || own.iter().any(|m| class.methods.contains_key(*m)) {
        return None;
    }
    let fields = c.body.iter().filter_map(|item| match item {
        Stmt::AnnAssign(a) => match &*a.target {
            Expr::Name(n) => Some(n.id.to_string()),
            _ => None,
        },
        _ => None,
    });
    Some(std::iter::once("self".to_string()).chain(fields).collect())
}

/// `self.x = Type(..)` (or `self.x: T = Type(..)`) in a method body, at any depth of its
/// blocks (a client made under `if`, in `try`): the field's type.
fn collect_fields(body: &[Stmt], fields: &mut HashMap<String, String>, lowerer: &StaticNames) {
    for stmt in body {
        let (targets, value): (&[Expr], &Expr) = match stmt {
            Stmt::Assign(a) => (&a.targets, &a.value),
            Stmt::AnnAssign(ast::StmtAnnAssign {
                target,
                value: Some(value),
                ..
            }) => (std::slice::from_ref(&**target), &**value),
            Stmt::If(i) => {
                collect_fields(&i.body, fields, lowerer);
                for clause in &i.elif_else_clauses {
                    collect_fields(&clause.body, fields, lowerer);
                }
                continue;
            }
            Stmt::Try(t) => {
                for block in [&t.body, &t.orelse, &t.finalbody] {
                    collect_fields(block, fields, lowerer);
                }
                for ast::ExceptHandler::ExceptHandler(h) in &t.handlers {
                    collect_fields(&h.body, fields, lowerer);
                }
                continue;
            }
            Stmt::With(w) => {
                collect_fields(&w.body, fields, lowerer);
                continue;
            }
            Stmt::For(f) => {
                collect_fields(&f.body, fields, lowerer);
                continue;
            }
            Stmt::While(w) => {
                collect_fields(&w.body, fields, lowerer);
                continue;
            }
            _ => continue,
        };
        let Expr::Call(c) = value else { continue };
        let Some(path) = static_path(&c.func, lowerer) else {
            continue;
        };
        let path = lowerer.lowerer.with_start(&path, None);
        if !starts_upper(last_segment(path.split('@').next().unwrap_or(&path))) {
            continue;
        }
        for t in targets {
            if let Expr::Attribute(attr) = t {
                if name_of(&attr.value) == Some("self") {
                    fields.insert(attr.attr.id.to_string(), path.clone());
                }
            }
        }
    }
}

/// The names any function of the module declares `global` (and so may rebind).
fn declared_global(body: &[Stmt]) -> HashSet<String> {
    struct Globals(HashSet<String>);
    impl<'a> ast::visitor::Visitor<'a> for Globals {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if let Stmt::Global(g) = stmt {
                self.0.extend(g.names.iter().map(|n| n.id.to_string()));
            }
            ast::visitor::walk_stmt(self, stmt);
        }
    }
    let mut globals = Globals(HashSet::new());
    for stmt in body {
        ast::visitor::Visitor::visit_stmt(&mut globals, stmt);
    }
    globals.0
}

/// `if flag:` or `if not flag:`: the name, and whether the test holds when the flag is true.
fn flag_test(test: &Expr) -> Option<(&str, bool)> {
    match test {
        Expr::Name(n) => Some((n.id.as_str(), true)),
        Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not => name_of(&u.operand).map(|n| (n, false)),
        _ => None,
    }
}

/// A name the body tests (`if flag:` / `if not flag:`) at least twice and never assigns: a
/// parameter or module-level mode fixed for the call. Nested functions and classes are their
/// own.
fn correlated_flag(body: &[Stmt]) -> Option<String> {
    struct Flags {
        tested: Vec<String>,
        assigned: HashSet<String>,
    }
    impl<'a> ast::visitor::Visitor<'a> for Flags {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            match stmt {
                Stmt::FunctionDef(_) | Stmt::ClassDef(_) => return,
                Stmt::If(i) => {
                    let tests = std::iter::once(&*i.test)
                        .chain(i.elif_else_clauses.iter().filter_map(|c| c.test.as_ref()));
                    for t in tests {
                        if let Some((n, _)) = flag_test(t) {
                            self.tested.push(n.to_string());
                        }
                    }
                }
                _ => {}
            }
            ast::visitor::walk_stmt(self, stmt);
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Name(n) = expr {
                if n.ctx.is_store() {
                    self.assigned.insert(n.id.to_string());
                }
            }
            ast::visitor::walk_expr(self, expr);
        }
    }
    let mut flags = Flags {
        tested: Vec::new(),
        assigned: HashSet::new(),
    };
    for stmt in body {
        ast::visitor::Visitor::visit_stmt(&mut flags, stmt);
    }
    let mut seen = HashSet::new();
    flags
        .tested
        .iter()
        .find(|n| !seen.insert(n.as_str()) && !flags.assigned.contains(n.as_str()))
        .cloned()
}

/// The `self.x` fields a method assigns under a test of the process id.
fn pid_checked_fields(body: &[Stmt], out: &mut HashSet<String>) {
    struct Fields<'o>(&'o mut HashSet<String>, bool);
    impl<'a> ast::visitor::Visitor<'a> for Fields<'_> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            match stmt {
                Stmt::If(i) if tests_pid(&i.test) => {
                    let outer = std::mem::replace(&mut self.1, true);
                    ast::visitor::walk_stmt(self, stmt);
                    self.1 = outer;
                }
                Stmt::Assign(a) if self.1 => {
                    for t in &a.targets {
                        if let Expr::Attribute(attr) = t {
                            if name_of(&attr.value) == Some("self") {
                                self.0.insert(attr.attr.id.to_string());
                            }
                        }
                    }
                }
                Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
                _ => ast::visitor::walk_stmt(self, stmt),
            }
        }
    }
    let mut fields = Fields(out, false);
    for stmt in body {
        ast::visitor::Visitor::visit_stmt(&mut fields, stmt);
    }
}

/// The expression calls `getpid()`.
fn tests_pid(test: &Expr) -> bool {
    struct Finds(bool);
    impl<'a> ast::visitor::Visitor<'a> for Finds {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Call(c) = expr {
                self.0 |= tail(&c.func) == Some("getpid");
            }
            ast::visitor::walk_expr(self, expr);
        }
    }
    let mut f = Finds(false);
    ast::visitor::Visitor::visit_expr(&mut f, test);
    f.0
}

/// The class a method returns a new object of (`return TaskProcess(task)`), when every
/// top-level `return` of its body builds the same known class.
fn returned_class(body: &[Stmt], lowerer: &StaticNames) -> Option<String> {
    let mut found: Option<String> = None;
    for stmt in body {
        let Stmt::Return(r) = stmt else { continue };
        let Some(Expr::Call(c)) = r.value.as_deref() else {
            return None;
        };
        let path = lowerer
            .lowerer
            .with_start(&static_path(&c.func, lowerer)?, None);
        if !starts_upper(last_segment(path.split('@').next().unwrap_or(&path))) {
            return None;
        }
        if found.as_ref().is_some_and(|f| *f != path) {
            return None;
        }
        found = Some(path);
    }
    found
}

/// The names a dotted name may start with before a function is lowered: its own imports
/// (`def __init__(self): import tensorflow as tf`), then the module's.
struct StaticNames<'l, 'a> {
    lowerer: &'l Lowerer<'a>,
    imported: &'l HashMap<String, String>,
}

/// `Name = Callable` and `Name = staticmethod(Callable)` in a class body, for a callable the
/// module names (an import or a module-level definition).
fn class_aliases(body: &[Stmt], lowerer: &Lowerer) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for stmt in body {
        let Stmt::Assign(a) = stmt else { continue };
        let [Expr::Name(target)] = a.targets.as_slice() else {
            continue;
        };
        let value = match &*a.value {
            Expr::Call(c)
                if name_of(&c.func) == Some("staticmethod")
                    && c.arguments.args.len() == 1
                    && c.arguments.keywords.is_empty() =>
            {
                &c.arguments.args[0]
            }
            other => other,
        };
        let scope = StaticNames {
            lowerer,
            imported: &HashMap::new(),
        };
        if let Some(path) = static_path(value, &scope) {
            out.insert(target.id.to_string(), path);
        }
    }
    out
}

/// The path a dotted name resolves to, without lowering anything.
fn static_path(e: &Expr, lowerer: &StaticNames) -> Option<String> {
    match e {
        Expr::Name(n) => match lowerer.imported.get(n.id.as_str()) {
            Some(path) => Some(path.clone()),
            None => lowerer
                .lowerer
                .module
                .get(n.id.as_str())
                .and_then(|v| v.path.clone()),
        },
        Expr::Attribute(a) => static_path(&a.value, lowerer).map(|p| format!("{p}::{}", a.attr.id)),
        _ => None,
    }
}

/// A function pytest collects as a test: `test*` at module level, or a `test*` method of a
/// `Test*` class.
fn is_pytest_test(name: &str, self_ty: Option<&str>) -> bool {
    name.starts_with("test")
        && self_ty.is_none_or(|ty| {
            ty.rsplit([':', '.'])
                .next()
                .is_some_and(|class| class.starts_with("Test"))
        })
}

/// A function with nothing implied, no parameters and no returned locals yet.
pub fn function(path: String, kind: FnKind, span: Span, body: Block) -> Function {
    Function {
        path,
        kind,
        span,
        is_test: false,
        is_main: false,
        implied: Vec::new(),
        params: Vec::new(),
        returns: Vec::new(),
        body,
        end: Span::default(),
        tests_variant: None,
        tail_value: None,
        value: None,
        passes_arg: None,
        returns_call_of: None,
        returns_call_through: false,
        returns_closure: None,
        public: false,
        captured_calls: Vec::new(),
        returns_whole: None,
        generator: false,
    }
}

fn negate(t: ForkTest) -> Option<ForkTest> {
    let side = match t.side {
        Side::Child => Side::Parent,
        Side::Parent => Side::Child,
        Side::Error => return None,
    };
    Some(ForkTest { side, ..t })
}

/// Exits that end the parent of the daemonize idiom (`if os.fork(): os._exit(0)`).
const PARENT_EXITS: &[&str] = &["os::_exit", "sys::exit", "builtins::exit", "exit"];

/// Fork calls whose parent leaves at once get the daemonize variant of their path: what
/// follows the test is the child, and nothing is shared by two live processes.
fn mark_daemonize(nodes: &mut [Node], subject: &Subject) {
    for node in nodes.iter_mut().rev() {
        let Node::Call(c) = node else { continue };
        let hit = match subject {
            Subject::Call(id) => c.id == *id,
            Subject::Var(v) => c.bind.as_deref() == Some(v.as_str()),
        };
        if !hit {
            continue;
        }
        if let Callee::Path(paths) = &mut c.callee {
            if paths.first().is_some_and(|p| FORKS.contains(&p.as_str())) {
                paths[0].push_str("@daemonize");
            }
        }
        return;
    }
}

/// Plain fork calls, which the daemonize idiom turns into a daemon.
const FORKS: &[&str] = &["os::fork", "gevent::fork", "gevent::os::fork"];

/// Marks the call with this id as making the module global `name`.
fn set_global(nodes: &mut [Node], id: u32, name: &str) {
    for node in nodes.iter_mut().rev() {
        if let Node::Call(c) = node {
            if c.id == id {
                c.receiver_global
                    .get_or_insert_with(|| format!("self::{name}"));
                return;
            }
        }
    }
}

/// The call with this id among the nodes just emitted.
fn emitted_call(nodes: &mut [Node], id: u32) -> Option<&mut Call> {
    nodes.iter_mut().rev().find_map(|node| match node {
        Node::Call(c) if c.id == id => Some(c),
        _ => None,
    })
}

/// Sets `bind` on the call with this id among the nodes just emitted.
fn bind_call(nodes: &mut [Node], id: u32, var: &str) {
    if let Some(c) = emitted_call(nodes, id) {
        c.bind = Some(var.to_string());
    }
}

/// Each `return` (or `raise`) of `block`, outside nested functions, followed by `exit`: the code
/// that called the body ends the process with it.
fn exit_on_return(block: &mut Block, exit: &Call) {
    let mut nodes = Vec::with_capacity(block.nodes.len());
    for mut node in std::mem::take(&mut block.nodes) {
        match &mut node {
            Node::Return { .. } => {
                nodes.push(Node::Call(exit.clone()));
                continue;
            }
            Node::Branch(b) => b
                .arms
                .iter_mut()
                .for_each(|a| exit_on_return(&mut a.body, exit)),
            Node::Loop { body, .. } | Node::Block(body) => exit_on_return(body, exit),
            _ => {}
        }
        nodes.push(node);
    }
    block.nodes = nodes;
}

/// A loop condition that is always true: `True`, or a non-zero integer (`while 1:`).
fn always_true(test: &Expr) -> bool {
    match test {
        Expr::BooleanLiteral(b) => b.value,
        Expr::NumberLiteral(n) => matches!(&n.value, ast::Number::Int(i) if i.as_u64() != Some(0)),
        _ => false,
    }
}
