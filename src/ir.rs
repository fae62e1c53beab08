//! The language-neutral intermediate representation that frontends produce and the analysis reads.
//!
//! Nothing here knows about syn: a function is an ordered tree of events (calls, branches, loops,
//! returns) with spans, and names are plain `::`-joined paths. Paths are written relative to the
//! file's module: `self::a::f` is `f` in module `a` of this file's module, `super::..` climbs out of
//! it, `crate::..` starts at the crate root and anything else names another crate.

use serde::{Deserialize, Serialize};
use thin_vec::ThinVec;

/// The method name prefix of a marker call for the attribute a method is called through
/// (`db.session.add(..)` is preceded by `<attr>session` called on `db`): never a real name.
pub const THROUGH_ATTRIBUTE: &str = "<attr>";

/// The callee a test attribute implies (`#[test]`): the catalogue says what libtest's threads are.
pub const TEST_HARNESS: &str = "test#harness";
/// Joins a struct's or variant's path and a field's name (`app::Call::Run#field#0`) in the type
/// of a value a pattern binds in a file other than the one declaring the type: the linker
/// reads the field's declared type (`FileIr::field_types`).
pub const FIELD_OF: &str = "#field#";
/// The callees a pytest test implies when its project runs pytest with threads beside each
/// test: the faulthandler watchdog (`faulthandler_timeout`) and pytest-xdist's receiver (`-n`).
pub const PYTEST_WATCHDOG: &str = "pytest#faulthandler";
pub const PYTEST_XDIST: &str = "pytest#xdist";
/// Every callee that stands for a test runner's own threads.
pub const TEST_RUNNERS: [&str; 3] = [TEST_HARNESS, PYTEST_WATCHDOG, PYTEST_XDIST];

/// A 1-based source range inside the file that holds it (the end column is exclusive).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Span {
    pub line: u32,
    pub col: u32,
    pub end_line: u32,
    pub end_col: u32,
}

/// Everything one source file contributes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FileIr {
    /// The path as the user spelled it (or as the walk found it under a path the user gave).
    pub path: String,
    /// The crate this file belongs to (its package name, `-` turned into `_`), if known.
    pub crate_name: String,
    /// The file's module inside its crate, e.g. `["net", "tcp"]`; empty for the crate root.
    pub module: Vec<String>,
    pub functions: Vec<Function>,
    /// Globals whose first use runs an initialiser (`lazy_static!`, `Lazy`, `LazyLock`, ...).
    pub globals: Vec<Global>,
    /// `#[path = ".."] mod name;` declarations, to place the named files in the module tree.
    pub mod_paths: Vec<ModPath>,
    /// `mod m;` declarations that no Unix build compiles (`#[cfg(windows)]`), relative to the file
    /// (`self::m`, `self::inner::m`): the files of those modules are never part of a program that
    /// can fork.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub absent_mods: Vec<String>,
    /// Rust: the crate is edition 2015, where every `use` path starts at the crate root.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub edition_2015: bool,
    /// Rust: the file belongs to a library target (a package's `lib`, or a `lib.rs` root found
    /// without a manifest): its public functions are an API that code outside the tree calls.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub library: bool,
    /// Crates this file names in `use`, `extern crate` or paths: a cheap filter for method-only
    /// catalogue entries such as rayon's `par_iter`.
    pub crates_used: Vec<String>,
    /// `#[macro_use] extern crate x;` in a crate root: the crates whose macros every module of
    /// the crate may call without naming them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub macro_crates: Vec<String>,
    /// Module-level `use` declarations, `(self::alias, target)`: calls through a path that
    /// re-exports an item follow them.
    pub reexports: Vec<(String, String)>,
    /// Module-level `pub use target::*;`, `(self::module, target)`: a path through the module
    /// may name any item of the target.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub glob_reexports: Vec<(String, String)>,
    /// For a file defining a `main`: the packages of the analysed tree whose libraries its
    /// package links (its manifest's normal dependencies, theirs, and so on).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
    /// The file defines Python entry points (`#[pymodule]`, `#[pyfunction]`, `#[pymethods]`):
    /// its package is loaded into Python processes that may fork.
    pub python_entry: bool,
    /// `macro_rules!` definitions: name → index of a function holding the first arm's body.
    pub macros: Vec<(String, usize)>,
    /// Python: module globals (absolute `::` paths) that a hook running in every forked child
    /// recreates, closes or disposes of (gunicorn `post_fork`, uWSGI `@postfork`, Celery
    /// `worker_process_init`, `os.register_at_fork(after_in_child=..)`). A server's hook is
    /// written `server:path` (`gunicorn:app::db::engine`): it runs only in that server's workers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resets_in_child: Vec<String>,
    /// Declared return types, as (function index, type path as this file names it), looking
    /// through references, `Result`, `Option` and `Box`: the type a call's value has, where a
    /// method's value is not the receiver's (`builder.build_tracer()` → `Tracer`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fn_types: Vec<(u32, String)>,
    /// Functions code outside the file's crate may call without naming them (indices): methods
    /// of an `impl Trait for T` and a trait's default bodies, reached through `dyn Trait` or a
    /// framework's generic code.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trait_methods: Vec<u32>,
    /// Methods of an `impl Trait for T` under the trait's path (`Trait::m`, index): a call
    /// written `Trait::m(&mut x, ..)` reaches them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trait_impls: Vec<(String, u32)>,
    /// Python: the start method this file gives multiprocessing with `set_start_method(..)`
    /// (`fork`, `spawn`, `forkserver`): it holds for the whole process from then on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sets_start_method: Option<String>,
    /// Syntax errors the parser recovered from: the statements they touch were left out, so
    /// the file is only partly understood and the user is told so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovered: Option<Recovered>,
    /// Python: values given to command-line options and to attributes in this module, as
    /// (name, a literal 0, an option definition): a DataLoader whose worker count is an option
    /// that only ever starts at 0 forks no worker by default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub option_settings: Vec<(String, bool, bool)>,
    /// Python: module globals bound to a list or tuple of functions (`EXPORTED = [start,
    /// stop]`), as (`self::NAME`, the functions' paths as this file names them): a loop over
    /// one that hands each to a server registers them all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub function_lists: Vec<(String, Vec<String>)>,
    /// Declared field types of structs and enum variants, as (type or variant path, field,
    /// field type), each as this file names it; a tuple's fields are named `0`, `1`, ..: a
    /// pattern in another file (`Call::Run(action)`) types what it binds through them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub field_types: Vec<(String, String, String)>,
    /// Fields a derive macro generates a getter of the same name for (`#[derive(Getters)]`):
    /// (struct key, field, the type a call on the getter's value is made on), as this file
    /// names them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub getters: Vec<(String, String, String)>,
}

/// The first syntax error of a file lowered in part (its reason with `line:col`, and how many
/// more there are), and where it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recovered {
    pub message: String,
    pub line: u32,
    pub column: u32,
}

impl FileIr {
    /// Gives back the growth slack of the IR's vectors: a file's IR stays in memory until the
    /// analysis, and a block that holds one node would otherwise keep room for four.
    pub fn shrink_to_fit(&mut self) {
        fn block(b: &mut Block) {
            for node in &mut b.nodes {
                match node {
                    Node::Call(c) => call(c),
                    Node::Branch(br) => {
                        for arm in &mut br.arms {
                            block(&mut arm.body);
                        }
                        br.arms.shrink_to_fit();
                    }
                    Node::Loop { body, .. } | Node::Block(body) => block(body),
                    _ => {}
                }
            }
            b.nodes.shrink_to_fit();
            b.locals.shrink_to_fit();
        }
        fn call(c: &mut Call) {
            if let Callee::Path(p) = &mut c.callee {
                p.shrink_to_fit();
            }
            c.arg_vars.shrink_to_fit();
            c.closures.shrink_to_fit();
        }
        for f in &mut self.functions {
            block(&mut f.body);
            f.implied.iter_mut().for_each(call);
            f.implied.shrink_to_fit();
            f.params.shrink_to_fit();
            f.returns.shrink_to_fit();
        }
        self.functions.shrink_to_fit();
        self.globals.shrink_to_fit();
        self.reexports.shrink_to_fit();
        self.glob_reexports.shrink_to_fit();
        self.crates_used.shrink_to_fit();
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModPath {
    /// The declaring module, relative to the file (`self` or `self::inner`).
    pub parent: String,
    pub name: String,
    /// The `#[path]` value, relative to the declaring file's folder.
    pub file: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Global {
    /// `self::POOL`, `self::Type::CONST`, ...
    pub path: String,
    /// Index of the initialiser in `FileIr::functions`.
    pub init: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FnKind {
    Free,
    Method,
    Closure,
    /// The initialiser of a lazily-initialised global.
    GlobalInit,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Function {
    /// `self::serve`, `self::Server::run`, `self::main::{closure#2}`.
    pub path: String,
    pub kind: FnKind,
    pub span: Span,
    /// Compiled only for tests (`#[test]`, `#[cfg(test)]`).
    pub is_test: bool,
    /// The program's entry point: a `return` out of it ends the process.
    pub is_main: bool,
    /// Calls implied by attributes, run before the body (`#[tokio::main]` builds a runtime).
    pub implied: Vec<Call>,
    /// Parameter names, in order (`self` included).
    pub params: Vec<String>,
    /// Locals that appear in its return values (they outlive it).
    pub returns: Vec<String>,
    pub body: Block,
    /// Where the body ends (its closing brace): falling off the end returns from there.
    #[serde(default)]
    pub end: Span,
    /// A method whose whole body compares `self` with a named value (`*self == Fork::Child`,
    /// `matches!(self, Fork::Child)`): that name, and whether it answers true when equal.
    #[serde(default)]
    pub tests_variant: Option<(String, bool)>,
    /// The shape every non-error value of the function has (`Ok(Fork::Child(s))` → `Child`), when
    /// they all agree: a fork wrapper's child branch may hand back what such a function returns.
    #[serde(default)]
    pub value: Option<String>,
    /// The shape of the value its body ends with (`Side::Daemon` after earlier `return
    /// Side::Parent`s): what a fork's child hands back when it is the rest of the function.
    #[serde(default)]
    pub tail_value: Option<String>,
    /// Every non-error value of the function is this parameter, as is or in `Ok(..)`
    /// (`fn cerr(res: c_int) -> io::Result<c_int>`): a fork's result passes through it.
    #[serde(default)]
    pub passes_arg: Option<u32>,
    /// Every non-error value of the function is what calling this parameter returns (`match
    /// f() { Err(e) if interrupted(&e) => continue, r => return r }`): what the closure handed
    /// there returns, a fork's result among others, comes back out of the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returns_call_of: Option<u32>,
    /// Some of those values pass through a function of one argument first (`match cvt(f())
    /// { .. }`): they are the call's only where that function hands its argument back.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub returns_call_through: bool,
    /// The closure its body's tail value is (`fn hook() -> impl Fn() { move || .. }`): a caller
    /// hands on that closure wherever it passes the call's result (`cmd.pre_exec(hook())`).
    #[serde(default)]
    pub returns_closure: Option<usize>,
    /// Declared `pub` (not `pub(crate)` or narrower) at a module's level or in an inherent
    /// `impl`: in a library, code outside the analysed tree may call it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub public: bool,
    /// In a closure: its calls of a parameter of a function it is defined in, as (call id, that
    /// function's index in the file, parameter index). That function runs the closure handed in
    /// wherever it runs this closure (`catch_unwind(AssertUnwindSafe(|| body()))`).
    #[serde(default)]
    pub captured_calls: Vec<(u32, u32, u32)>,
    /// Of `returns`, the locals that are a return value as a whole (`pid`, `Ok(pid)`, `pid as
    /// u32`), not a part of one (`pid + 1`, `Handle { pid }`); `None` when the frontend does
    /// not tell them apart.
    #[serde(default)]
    pub returns_whole: Option<Vec<String>>,
    /// A Python generator function: a call makes the generator and runs none of the body
    /// (iterating it does).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub generator: bool,
}

impl Function {
    /// The body of a `macro_rules!` arm, the function its invocations call.
    pub fn is_macro_body(&self) -> bool {
        self.path.ends_with('!')
    }

    /// A `#[test]` function: libtest calls it on a worker thread and goes on after it returns.
    pub fn is_test_root(&self) -> bool {
        self.implied
            .iter()
            .any(|c| matches!(&c.callee, Callee::Path(p) if p.iter().any(|p| p == TEST_HARNESS)))
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Block {
    pub nodes: Vec<Node>,
    /// Locals declared in this block; their guards are dropped when it ends.
    pub locals: Vec<String>,
}

// Calls are most of the nodes: boxing them would cost an allocation each for the few others.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Node {
    Call(Call),
    /// Alternatives: `if`/`else`, `match` arms, `if let`. Without `exhaustive`, control may also
    /// skip every arm (an `if` without `else`).
    Branch(Branch),
    /// A loop body that may run again after it ends; `at_least_once` for `loop {}`.
    Loop {
        body: Block,
        at_least_once: bool,
    },
    /// A nested scope (`{ .. }`, `unsafe { .. }`).
    Block(Block),
    /// `return`; `error` for `return Err(..)` and `bail!`, which leave on the error path.
    Return {
        span: Span,
        error: bool,
        /// The shape of the returned value, as `Arm::value` (`return Ok(None)` → `None`).
        #[serde(default)]
        value: Option<String>,
    },
    /// `?`: may return early, on the error path.
    Try(Span),
    /// `break` and `continue`, where they are.
    Break(Span),
    Continue(Span),
    /// A local variable is read or written (receiver or argument of something not modelled).
    Use {
        var: String,
        span: Span,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Branch {
    pub span: Span,
    pub arms: Vec<Arm>,
    pub exhaustive: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Arm {
    /// What this arm's condition says about a fork result, if anything.
    pub test: Option<ForkTest>,
    pub body: Block,
    pub span: Span,
    /// The shape of the value the arm evaluates to, when the arm tells a fork's side apart:
    /// the last name of a constructor (`Ok(Forked::Child)` → `Child`, `Ok(None)` → `None`), an
    /// integer, or `()`. A wrapper's callers match their patterns against it.
    #[serde(default)]
    pub value: Option<String>,
    /// A local the arm's pattern binds to the tested value (`if let Ok(r) = fork()`), with
    /// what it holds.
    #[serde(default)]
    pub alias: Option<(String, Subject)>,
    /// The arm runs only when the call with this id returned something other than an error
    /// (`if let Err(e) = exec(..) { .. } else { here }`): it cannot run when that call only fails.
    #[serde(default)]
    pub ok_of: Option<u32>,
    /// Locals the arm's condition says hold nothing (`if pool is None:`, the `else` of `if
    /// pool:`): what was bound to them is not alive on this arm.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub empty: Vec<String>,
}

/// A branch condition that tells the processes of a fork apart (`pid == 0`, `ForkResult::Child`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForkTest {
    pub subject: Subject,
    pub side: Side,
    /// The test matches a value by name (`Some(pid)`, `None`, `Spawned::Child`) whose side only
    /// the fork wrapper's child value tells: `side` is `Child` when the arm is taken on that
    /// value, `Parent` when it is taken on any other.
    #[serde(default)]
    pub variant: Option<String>,
    /// The test is a call of the program's own method on the value (`r.in_child()`), by call
    /// id: the method's body says which value it compares with.
    #[serde(default)]
    pub via: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Subject {
    /// A local holding the result.
    Var(String),
    /// The call whose result is tested directly (`match fork() { .. }`), by `Call::id`.
    Call(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Side {
    Child,
    Parent,
    Error,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Call {
    /// Unique within the file.
    pub id: u32,
    pub callee: Callee,
    pub span: Span,
    /// The local that receives the result (`let x = ..`), through `unwrap`/`expect`/`?`.
    pub bind: Option<String>,
    /// The method receiver, when it is a local.
    pub receiver: Option<String>,
    /// Locals passed as arguments.
    pub arg_vars: ThinVec<String>,
    /// The receiver is a global (`STATE.lock()`), by path.
    pub receiver_global: Option<String>,
    /// Closures passed as arguments, by index in `FileIr::functions`.
    pub closures: ThinVec<usize>,
    /// The first argument, when it is a string literal (`Command::new("sh")`, `.env("PATH", ..)`).
    pub str_arg: Option<String>,
    /// The call whose result is this method call's receiver (builder chains).
    pub receiver_call: Option<u32>,
    /// Functions named (not called) as arguments, by argument index: the child handler of
    /// `pthread_atfork(None, None, Some(on_child))`.
    #[serde(default)]
    pub fn_args: ThinVec<(u32, String)>,
    /// Arguments that are calls' values, as (argument index, call id): `cerr(fork())`.
    #[serde(default)]
    pub arg_calls: ThinVec<(u32, u32)>,
    /// Closures passed as arguments, as (argument index, closure): which parameter each binds.
    #[serde(default)]
    pub closure_args: ThinVec<(u32, usize)>,
    /// Arguments that are the calling function's own parameters, as (argument index, parameter
    /// index): a closure handed in and handed on.
    #[serde(default)]
    pub param_args: ThinVec<(u32, u32)>,
    /// The call calls the function's own parameter (a closure or function handed in), by index.
    #[serde(default)]
    pub calls_param: Option<u32>,
    /// For a method on a local: the call whose value the local was bound to (`let t = make();
    /// t.run()`), whose type may be known only once calls are linked.
    #[serde(default)]
    pub receiver_from: Option<u32>,
    /// How many arguments a method call passes (saturating): `handle.join()` is not
    /// `path.join(name)`.
    #[serde(default)]
    pub args: u8,
    /// The `From::from` that `?` calls on an error before it returns it: it runs only on the
    /// way out, so what the call before it says about the value (an exec that only ever
    /// returns an error) still holds at the `?`.
    #[serde(default)]
    pub converts_error: bool,
    /// The value is dropped where it is made (`let _ = fork();`, `fork();`): nothing tells
    /// its processes apart afterwards.
    #[serde(default)]
    pub discarded: bool,
}

impl Call {
    /// A call with nothing known about its arguments and result yet.
    pub fn new(id: u32, callee: Callee, span: Span) -> Call {
        Call {
            id,
            callee,
            span,
            bind: None,
            receiver: None,
            arg_vars: ThinVec::new(),
            receiver_global: None,
            closures: ThinVec::new(),
            str_arg: None,
            receiver_call: None,
            fn_args: ThinVec::new(),
            arg_calls: ThinVec::new(),
            closure_args: ThinVec::new(),
            param_args: ThinVec::new(),
            calls_param: None,
            receiver_from: None,
            converts_error: false,
            discarded: false,
            args: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Callee {
    /// A path call; several candidates when glob imports leave it ambiguous, best first.
    Path(Vec<String>),
    /// A method call; `ty` is the receiver's type path when known.
    Method { name: String, ty: Option<String> },
    /// A macro invocation, by its resolved path (`std::println`, `log::info`).
    Macro(String),
    /// A closure stored in a local and called, by index in `FileIr::functions`.
    Local(usize),
    /// The use of a global, which may run its lazy initialiser.
    Global(String),
}

impl Callee {
    /// A short human name for traces: `fork()`, `.build()`, `println!`.
    pub fn display(&self) -> String {
        fn last(path: &str) -> &str {
            let mut parts = path.rsplit("::");
            let name = parts.next().unwrap_or(path);
            match parts.next() {
                Some(ty) if ty.starts_with(char::is_uppercase) => {
                    &path[path.len() - name.len() - ty.len() - 2..]
                }
                _ => name,
            }
        }
        match self {
            // A Python module's top-level code, run by an import.
            Callee::Path(c) if c.first().is_some_and(|p| p.ends_with("::<module>")) => {
                match c[0].trim_end_matches("::<module>") {
                    "self" => "this module's top-level code".to_string(),
                    module => format!("import {}", module.replace("::", ".")),
                }
            }
            Callee::Path(c) => {
                let path = c.first().map(String::as_str).unwrap_or("?");
                // `libc::syscall#SYS_fork`: the variant is the catalogue's, not the call's name.
                let path = path.split('#').next().unwrap_or(path);
                format!("{}()", last(path))
            }
            Callee::Method { name, .. } => format!(".{name}()"),
            Callee::Macro(p) => format!("{}!", p.rsplit("::").next().unwrap_or(p)),
            Callee::Local(_) => "closure call".to_string(),
            Callee::Global(p) => p.rsplit("::").next().unwrap_or(p).to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Every file's IR stays in memory until the analysis, and most nodes are calls: a field
    // added to `Call` is paid once per call of every parsed file.
    #[test]
    fn nodes_stay_small() {
        let node = std::mem::size_of::<Node>();
        assert!(node <= 240, "a Node takes {node} bytes");
    }
}
