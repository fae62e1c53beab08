//! The API catalogue (`rules/*.toml` other than `rules.toml`): which calls start threads, open
//! connections, touch Objective-C, fork, run closures in a child, are async-signal-safe or inert.
//! Teaching forklint a new API is an entry in one of those files, never code.

use crate::diagnostic::Severity;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::OnceLock;

/// What a catalogued call does, as far as forks are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Effect {
    StartsThread,
    OpensConnection,
    TouchesObjc,
    OpensFile,
    TakesGlobalLock,
    Fork,
    Daemon,
    Vfork,
    ChildClosure,
    Allocates,
    Prints,
    Logs,
    Locks,
    Panics,
    Env,
    Nss,
    Dlopen,
    ExecAllocates,
    ProcessExit,
    ImmediateExit,
    Exec,
    AsyncSignalSafe,
    Inert,
    Joins,
    Drops,
    Scoped,
    /// Never returns (`panic!`, `unreachable!`).
    Diverges,
    /// Runs the closure it is handed and stops a panic there (`catch_unwind`): nothing unwinds
    /// past the call.
    CatchesPanics,
    /// Stops the program on purpose by unwinding (`panic!` on an error path), where
    /// `unreachable!` or `todo!` only assert that the path is never taken: in a fork's child, a
    /// way out like `exit`.
    Unwinds,
    /// Builds a `Command` (its program name decides std's spawn path).
    NewCommand,
    /// Changes a `Command`'s environment (`PATH` there sends a bare program name to the fork path).
    SetsEnv,
    /// Makes std spawn the command with fork+exec instead of posix_spawn (`uid`, `gid`, `groups`).
    ForcesFork,
    /// Spawns a `Command`.
    SpawnsCommand,
    /// Hands back its first argument's value (`Errno::result(libc::fork())`): a fork's result
    /// passes through it.
    PassesArgument,
    /// Hands back a part of its receiver that keeps the receiver's object (a database or
    /// collection read off a client): the value bound shares what the receiver holds.
    Derives,
    /// Makes the file just opened the global logger's output (`env_logger::Target::Pipe`):
    /// every logging call writes it from then on.
    FeedsLogger,
    /// Leaves work for the interpreter's normal exit (an atexit handler, output held in a
    /// block-buffered stream): a forked child that leaves through that exit does it again.
    LeavesExitWork,
}

impl Effect {
    /// Operations that are not async-signal-safe in a fork child (FL005).
    pub fn is_child_unsafe(self) -> bool {
        matches!(
            self,
            Effect::Allocates
                | Effect::Prints
                | Effect::Logs
                | Effect::Locks
                | Effect::Panics
                | Effect::Env
                | Effect::Nss
                | Effect::Dlopen
                | Effect::ExecAllocates
                | Effect::StartsThread
        )
    }

    /// A phrase for messages: "... allocates", "... prints".
    pub fn verb(self) -> &'static str {
        match self {
            Effect::Allocates => "allocates",
            Effect::Prints => "prints (takes the stdout/stderr lock)",
            Effect::Logs => "logs (takes the logger's locks and allocates)",
            Effect::Locks => "takes a lock",
            Effect::Panics => "may panic (the panic machinery allocates and locks)",
            Effect::Env => "reads or writes the environment (env lock, allocation)",
            Effect::Nss => "looks up users or hosts through NSS (may dlopen, allocate and lock)",
            Effect::Dlopen => "enters the dynamic linker (its lock may be held)",
            Effect::ExecAllocates => "allocates while searching PATH before exec",
            Effect::StartsThread => "starts a thread",
            Effect::ProcessExit => {
                "exits through exit(), running atexit handlers and flushing stdio"
            }
            _ => "runs",
        }
    }
}

/// How closures passed to a call run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClosureRole {
    /// In the caller, at the call (the default: `map`, `get_or_init`, ...).
    #[default]
    Inline,
    /// On another thread (`thread::spawn`): none of its effects happen in the caller.
    Thread,
    /// In a fork child before exec (`pre_exec`).
    Child,
    /// In the caller; threads it starts end when it returns (`thread::scope`).
    Scoped,
    /// Stored and run later, elsewhere (a daemon's privileged action runs in the child).
    Deferred,
    /// In a worker process of a pool (`pool.schedule(f)`, `executor.submit(f)`): neither its
    /// effects nor its forks happen in the caller.
    Worker,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReceiverKind {
    /// The receiver must be a global (`static`).
    Global,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Api {
    /// A function, `Type::method` or a prefix ending in `::*`.
    pub path: Option<String>,
    /// A method name, matched on any receiver whose type is unknown.
    pub method: Option<String>,
    /// A macro name (the last segment of its path).
    #[serde(rename = "macro")]
    pub macro_name: Option<String>,
    /// For `method`/`macro`: only in files that use this crate.
    #[serde(rename = "crate")]
    pub krate: Option<String>,
    pub receiver: Option<ReceiverKind>,
    pub effects: Vec<Effect>,
    pub label: String,
    #[serde(default)]
    pub closure: ClosureRole,
    pub severity: Option<Severity>,
    /// The type the call returns, when it starts a builder chain of another type
    /// (`reqwest::Client::builder()` returns a `reqwest::ClientBuilder`).
    pub returns: Option<String>,
    /// The state it creates is process-wide and outlives the call (rayon's global pool; in
    /// Python, a connection the library registers for the process, which a caller that drops
    /// the call's result does not close).
    #[serde(default)]
    pub global: bool,
    /// For `child-closure`: the (0-based) argument that names a function run in every forked
    /// child (`pthread_atfork`'s child handler), instead of closures passed to the call.
    pub child_arg: Option<usize>,
    /// For a fork: the (0-based) argument that is the child's whole code (`clone`'s callback).
    /// The call returns in the parent only, and the child ends when the callback returns.
    pub child_fn: Option<u32>,
    /// For a fork: it forks only where multiprocessing's default start method is fork (Linux);
    /// macOS has spawned by default since Python 3.8, so Objective-C state does not matter there.
    #[serde(default)]
    pub linux_only: bool,
    /// For a fork: the child runs multiprocessing's after-fork registry before any code of the
    /// program (`BaseProcess._bootstrap` calls `util._run_after_forkers()`), so what a library
    /// registered there with `util.register_after_fork` is made afresh in it.
    #[serde(default)]
    pub runs_after_forkers: bool,
    /// For a fork: the parent leaves at once (the daemonize idiom), so nothing the child
    /// inherits is used by two live processes.
    #[serde(default)]
    pub parent_exits: bool,
    /// For a fork: the call hands back an object that manages the children (a pool, a loader),
    /// not a process id: a function that returns it does not wrap a fork for its caller.
    #[serde(default)]
    pub returns_object: bool,
    /// For a fork: a double fork that hands back its second fork's result. The calling process
    /// exits inside the call, so both sides the caller tells apart are forked children: the
    /// middle process (the "parent" side) and the grandchild.
    #[serde(default)]
    pub double_fork: bool,
    /// For a fork: its children run only the code the call hands them, then end (a DataLoader's
    /// workers run the dataset's item methods, `collate_fn` and `worker_init_fn`): the
    /// frontend names that code as the fork call's function arguments and the objects handed
    /// as its argument locals, and only what those reach is the children's.
    #[serde(default)]
    pub handed_only: bool,
    /// A thread-like state that is the whole process's, not one object's (the CUDA context):
    /// code that touches an entry with the same name meets it, whatever object it goes through.
    pub process_state: Option<String>,
    /// For a fork: the library's own code is the whole child, and it ends in an exec
    /// (ptyprocess's `spawn`): nothing of the program runs on in the child, though that code is
    /// not async-signal-safe.
    #[serde(default)]
    pub child_execs: bool,
    /// For a connection: the constructor connects nothing, the first command does (redis-py's
    /// client and pool): only a client used before the fork holds a connection there.
    #[serde(default)]
    pub lazy: bool,
    /// For a lazy client: the members that send a command (a method called on the client, or
    /// any call made through an attribute of it: `db.session.execute(..)` for `session`).
    /// Empty: every method does, and so does handing the client to other code.
    #[serde(default)]
    pub commands: Vec<String>,
    /// For threads: the library registers their state with multiprocessing's after-fork
    /// registry, and the only lock they can hold is shared between processes and released by
    /// the parent's thread: a child that runs that registry holds nothing of theirs.
    #[serde(default)]
    pub renewed_after_fork: bool,
    /// For threads: the value the call returns joins them when it is dropped (tokio's
    /// `Runtime`, whose drop waits for its workers): `drop(rt)` or the end of its local ends them.
    #[serde(default)]
    pub joined_on_drop: bool,
    /// For a socket or file: the descriptor is opened close-on-exec, so a child that execs
    /// does not keep it.
    #[serde(default)]
    pub cloexec: bool,
    /// For `allocates`: only a path argument of at least this many bytes is copied to the heap
    /// (std turns a shorter one into a C string on the stack), so a shorter string literal as the
    /// first argument allocates nothing.
    pub heap_path_from: Option<usize>,
    /// The call keeps the objects handed to it and sends them no command (SQLAlchemy's
    /// `sessionmaker(bind=engine)`): a lazily connecting client handed to it stays unconnected.
    #[serde(default)]
    pub keeps: bool,
    /// It calls the closures handed to it before it returns (`catch_unwind`): a closure the
    /// caller was handed and passes on runs at the call.
    #[serde(default)]
    pub calls_args: bool,
    /// For a server's method that registers request handlers (`register_function`,
    /// `register_instance`): the functions handed to it, or the public methods of the object
    /// handed to it, are not called here but where the server serves (`serves_handlers`).
    #[serde(default)]
    pub registers_handlers: bool,
    /// For a server's method that serves requests (`serve_forever`): the handlers registered
    /// with the program's servers of that library run inside it, on the thread that calls it,
    /// one request after another.
    #[serde(default)]
    pub serves_handlers: bool,
    /// Besides its effects, the call runs code the catalogue cannot see (`print` calls each
    /// argument's `__str__`, a write goes to whatever stream the program set): in a fork's
    /// child it is as unknown as a call the catalogue does not list.
    #[serde(default)]
    pub runs_code: bool,
    /// For `method`: only a call passing at least this many arguments is this entry (a `join`
    /// with an argument builds a path or a string; `JoinHandle::join()` takes none).
    pub min_args: Option<u8>,
    pub source: String,
}

#[derive(Deserialize)]
struct ApiFile {
    #[serde(default)]
    api: Vec<Api>,
}

/// The embedded catalogue files, by name.
pub const FILES: &[(&str, &str)] = &[
    (
        "rules/threads.toml",
        include_str!("../../rules/threads.toml"),
    ),
    (
        "rules/connections.toml",
        include_str!("../../rules/connections.toml"),
    ),
    ("rules/objc.toml", include_str!("../../rules/objc.toml")),
    ("rules/locks.toml", include_str!("../../rules/locks.toml")),
    ("rules/fork.toml", include_str!("../../rules/fork.toml")),
    ("rules/child.toml", include_str!("../../rules/child.toml")),
    ("rules/safe.toml", include_str!("../../rules/safe.toml")),
    (
        "rules/command.toml",
        include_str!("../../rules/command.toml"),
    ),
    (
        "rules/python/threads.toml",
        include_str!("../../rules/python/threads.toml"),
    ),
    (
        "rules/python/connections.toml",
        include_str!("../../rules/python/connections.toml"),
    ),
    (
        "rules/python/objc.toml",
        include_str!("../../rules/python/objc.toml"),
    ),
    (
        "rules/python/fork.toml",
        include_str!("../../rules/python/fork.toml"),
    ),
];

/// The catalogue, indexed for lookup by path, method name and macro name. `Clone` lets a
/// configuration extend a copy of the built-in one.
#[derive(Debug, Default, Clone)]
pub struct Catalog {
    pub apis: Vec<Api>,
    by_path: HashMap<String, Vec<usize>>,
    prefixes: Vec<(String, usize)>,
    by_method: HashMap<String, Vec<usize>>,
    by_macro: HashMap<String, Vec<usize>>,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

impl Catalog {
    /// The built-in catalogue.
    pub fn builtin() -> &'static Catalog {
        static BUILTIN: OnceLock<Catalog> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            let mut catalog = Catalog::default();
            for (name, text) in FILES {
                catalog
                    .add_toml(name, text)
                    .unwrap_or_else(|e| panic!("embedded catalogue is invalid: {e}"));
            }
            catalog
        })
    }

    /// Adds the `[[api]]` entries of one TOML text, validating each.
    pub fn add_toml(&mut self, file: &str, text: &str) -> Result<(), CatalogError> {
        let parsed: ApiFile = toml::from_str(text).map_err(|e| CatalogError::Invalid {
            file: file.to_string(),
            message: e.to_string(),
        })?;
        for api in parsed.api {
            self.add(file, api)?;
        }
        Ok(())
    }

    pub fn add(&mut self, file: &str, api: Api) -> Result<(), CatalogError> {
        let keys = [&api.path, &api.method, &api.macro_name]
            .iter()
            .filter(|k| k.is_some())
            .count();
        if keys != 1 {
            return Err(CatalogError::Invalid {
                file: file.to_string(),
                message: format!(
                    "entry `{}` must have exactly one of `path`, `method`, `macro`",
                    api.label
                ),
            });
        }
        let index = self.apis.len();
        if let Some(path) = &api.path {
            match path.strip_suffix("::*") {
                Some(prefix) => self.prefixes.push((format!("{prefix}::"), index)),
                None => self.by_path.entry(path.clone()).or_default().push(index),
            }
        } else if let Some(method) = &api.method {
            self.by_method
                .entry(method.clone())
                .or_default()
                .push(index);
        } else if let Some(name) = &api.macro_name {
            self.by_macro.entry(name.clone()).or_default().push(index);
        }
        self.apis.push(api);
        Ok(())
    }

    /// The process-wide state a hazard made by an entry with this label is (`cuda`), if any.
    pub fn process_state(&self, label: &str) -> Option<&str> {
        self.apis
            .iter()
            .find(|api| api.label == label && api.process_state.is_some())
            .and_then(|api| api.process_state.as_deref())
    }

    /// The names of `module` the catalogue knows (`fork` of `os`, `Pool` of `multiprocessing`):
    /// its functions and classes, not its submodules (`multiprocessing::pool::ThreadPool`).
    /// What a star import (`from os import *`) is known to bind.
    pub fn names_in(&self, module: &str) -> std::collections::BTreeSet<String> {
        let prefix = format!("{module}::");
        self.apis
            .iter()
            .filter_map(|api| api.path.as_deref()?.strip_prefix(prefix.as_str()))
            .filter_map(|rest| {
                let (first, more) = match rest.split_once("::") {
                    Some((first, _)) => (first, true),
                    None => (rest, false),
                };
                let name = first.split('@').next().unwrap_or(first);
                let class = name.starts_with(char::is_uppercase);
                (!name.is_empty() && name != "*" && (class || !more)).then(|| name.to_string())
            })
            .collect()
    }

    /// Entries for a fully resolved path (`std::thread::spawn`, `rayon::ThreadPoolBuilder::build`).
    pub fn by_path(&self, path: &str) -> Vec<usize> {
        let path = normalize(path);
        if let Some(found) = self.by_path.get(path.as_ref()) {
            return found.clone();
        }
        self.prefixes
            .iter()
            .filter(|(prefix, _)| path.starts_with(prefix.as_str()))
            .map(|(_, i)| *i)
            .collect()
    }

    /// Entries for a method whose receiver type is unknown.
    pub fn by_method(
        &self,
        name: &str,
        crates_used: &[String],
        receiver_global: bool,
    ) -> Vec<usize> {
        self.by_method
            .get(name)
            .map(|found| {
                found
                    .iter()
                    .copied()
                    .filter(|&i| {
                        let api = &self.apis[i];
                        crate_ok(api, crates_used)
                            && (api.receiver != Some(ReceiverKind::Global) || receiver_global)
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Entries for a macro, by its resolved path (only the last segment and crate matter).
    pub fn by_macro(&self, path: &str, crates_used: &[String]) -> Vec<usize> {
        let mut parts = path.rsplit("::");
        let name = parts.next().unwrap_or(path);
        let krate = path.split("::").next().filter(|_| path.contains("::"));
        self.by_macro
            .get(name)
            .map(|found| {
                found
                    .iter()
                    .copied()
                    .filter(|&i| match (&self.apis[i].krate, krate) {
                        (Some(want), Some(have)) => want == have,
                        (Some(_), None) => crate_ok(&self.apis[i], crates_used),
                        (None, _) => true,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn crate_ok(api: &Api, crates_used: &[String]) -> bool {
    api.krate
        .as_ref()
        .is_none_or(|k| crates_used.iter().any(|c| c == k))
}

pub use crate::resolve::reexports::normalize;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_module_s_known_names_are_its_functions_and_classes() {
        let c = Catalog::builtin();
        let os = c.names_in("os");
        assert!(os.contains("fork") && os.contains("_exit"), "{os:?}");
        let mp = c.names_in("multiprocessing");
        assert!(mp.contains("Pool") && mp.contains("Process"), "{mp:?}");
        // Submodules (`multiprocessing.pool`) are not names a star import binds.
        assert!(!mp.contains("pool") && !mp.contains("dummy"), "{mp:?}");
        assert!(c.names_in("no_such_module").is_empty());
    }

    #[test]
    fn builtin_catalogue_loads_and_indexes() {
        let c = Catalog::builtin();
        let spawn = c.by_path("std::thread::spawn");
        assert_eq!(c.apis[spawn[0]].effects, [Effect::StartsThread]);
        assert_eq!(c.apis[spawn[0]].closure, ClosureRole::Thread);
        assert!(!c
            .by_path("core_foundation::string::CFString::new")
            .is_empty());
        assert!(c.by_path("std::thread::yield_now").is_empty());
        assert_eq!(
            c.apis[c.by_path("std::thread::sleep")[0]].effects,
            [Effect::AsyncSignalSafe]
        );
        assert_eq!(
            c.apis[c.by_path("core::mem::drop")[0]].effects,
            [Effect::Drops]
        );
        assert_eq!(
            c.apis[c.by_path("nix::libc::_exit")[0]].effects,
            [Effect::ImmediateExit]
        );
        assert!(
            c.by_method("par_iter", &[], false).is_empty(),
            "par_iter needs rayon in scope"
        );
        assert!(!c.by_method("par_iter", &["rayon".into()], false).is_empty());
        assert!(
            c.by_method("lock", &[], false).is_empty(),
            "lock guards only of globals"
        );
        assert!(!c.by_method("lock", &[], true).is_empty());
        assert!(!c.by_macro("std::println", &[]).is_empty());
        assert!(
            c.by_macro("info", &[]).is_empty(),
            "info! is log's only when log is used"
        );
        assert!(!c.by_macro("log::info", &[]).is_empty());
    }

    #[test]
    fn an_entry_needs_exactly_one_key() {
        let mut c = Catalog::default();
        let err = c
            .add_toml(
                "x.toml",
                "[[api]]\neffects = []\nlabel = \"l\"\nsource = \"s\"\n",
            )
            .unwrap_err();
        assert!(err.to_string().contains("exactly one of"), "{err}");
        let err = c.add_toml("y.toml", "[[api]]\npath = 3\n").unwrap_err();
        assert!(err.to_string().starts_with("y.toml:"), "{err}");
    }
}
