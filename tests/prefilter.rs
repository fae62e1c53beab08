//! The prefilter must never change what `check` reports. A generated workspace of several crates
//! calls its fork points across files and crates through re-exports, `use` aliases, renamed
//! types, methods (typed and by unique name), lazy globals, `#[path]` modules, closures and a
//! `macro_rules!`, next to a Python extension (reported on without a fork point),
//! beside many unrelated files that share names with them; `check` must report exactly the same
//! with the prefilter as without it, and must skip files.
//!
//! Its cost is bounded by what it scans, whatever the tree: on generated trees built to defeat
//! it (modules importing each other in a cycle, many modules defining the same common names,
//! deep re-export chains, glob re-exports in cycles and chains, many crates, one huge crate) the
//! fixpoint's work, counted in units and never in time, stays within a small multiple of the
//! bytes scanned, or within its budget, past which the run turns into a full parse with the same
//! report.

use forklint::catalog::Catalog;
use forklint::frontend::rust::layout::Layout;
use forklint::pipeline::{self, CheckOptions, CheckReport};
use forklint::prefilter::{self, Limits};
use std::fmt::Write as _;
use std::path::Path;

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn manifest(name: &str) -> String {
    format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n")
}

/// A workspace whose forks are reached only through indirections, plus `noise` files.
fn generate(root: &Path, noise: usize) {
    // forker: the fork points, behind re-exports and renames.
    write(root, "forker/Cargo.toml", &manifest("forker"));
    write(
        root,
        "forker/src/lib.rs",
        "pub mod imp;\n#[path = \"platform_unix.rs\"]\nmod platform;\n\
         pub use imp::spawn_all as start_all;\npub use imp::Pool as WorkerPool;\n\
         pub use platform::daemonize_now;\n",
    );
    write(
        root,
        "forker/src/imp/mod.rs",
        "pub mod detail;\n\
         pub fn spawn_all() {\n    detail::fork_child();\n}\n\
         pub struct Pool;\n\
         impl Pool {\n    pub fn launch(&self) {\n        spawn_all();\n    }\n}\n",
    );
    write(
        root,
        "forker/src/imp/detail.rs",
        "pub fn fork_child() {\n    match unsafe { libc::fork() } {\n        0 => {\n            \
         println!(\"in the child\");\n            std::process::exit(0);\n        }\n        \
         _ => {}\n    }\n}\n",
    );
    write(
        root,
        "forker/src/platform_unix.rs",
        "pub fn daemonize_now() {\n    unsafe { libc::daemon(0, 0) };\n    \
         log::info!(\"daemonized\");\n}\n",
    );
    // app: hazards created in other files, then the forks called through every indirection.
    write(root, "app/Cargo.toml", &manifest("app"));
    write(
        root,
        "app/src/main.rs",
        "mod setup;\nmod pool;\nmod runner;\n\
         use forker::start_all as go;\nuse forker::WorkerPool as Workers;\n\
         fn main() {\n    setup::init();\n    let _ = pool::POOL.current_num_threads();\n    \
         go();\n    let w = Workers;\n    w.launch();\n    runner::Runner::new().kick_off();\n    \
         forker::daemonize_now();\n    std::thread::spawn(|| runner::later());\n}\n",
    );
    write(
        root,
        "app/src/setup.rs",
        "use std::thread;\npub fn init() {\n    thread::spawn(|| loop {});\n}\n",
    );
    write(
        root,
        "app/src/pool.rs",
        "use once_cell::sync::Lazy;\n\
         pub static POOL: Lazy<rayon::ThreadPool> =\n    \
         Lazy::new(|| rayon::ThreadPoolBuilder::new().build().unwrap());\n",
    );
    write(
        root,
        "app/src/runner.rs",
        "pub struct Runner;\nimpl Runner {\n    pub fn new() -> Self {\n        Runner\n    }\n    \
         pub fn kick_off(&self) {\n        let mut c = std::process::Command::new(\"true\");\n        \
         unsafe {\n            std::os::unix::process::CommandExt::pre_exec(&mut c, || {\n                \
         eprintln!(\"pre\");\n                Ok(())\n            });\n        }\n    }\n}\n\
         pub fn later() {\n    crate::setup::init();\n    forker::start_all();\n}\n",
    );
    // tool: reaches forker only through app-like re-exports of its own.
    write(root, "tool/Cargo.toml", &manifest("tool"));
    write(
        root,
        "tool/src/lib.rs",
        "#[macro_use]\nmod macros;\npub mod via;\n\
         pub mod reexp {\n    pub use forker::imp as engine;\n}\n\
         pub fn run_tool() {\n    let _t = std::thread::spawn(|| ());\n    \
         crate::reexp::engine::spawn_all();\n}\n",
    );
    write(
        root,
        "tool/tests/it.rs",
        "#[test]\nfn forks_in_a_test() {\n    tool::run_tool();\n}\n",
    );
    // A `macro_rules!` that forks, defined in one file and used in another of the package.
    write(
        root,
        "tool/src/macros.rs",
        "#[macro_export]\nmacro_rules! boom {\n    () => {\n        \
         match unsafe { libc::fork() } {\n            0 => println!(\"child\"),\n            \
         _ => {}\n        }\n    };\n}\n",
    );
    write(
        root,
        "tool/src/via.rs",
        "pub fn via_macro() {\n    let _t = std::thread::spawn(|| ());\n    boom!();\n}\n",
    );
    // A Python extension: reported on without any fork point, from a file naming none.
    write(root, "pyext/Cargo.toml", &manifest("pyext"));
    write(
        root,
        "pyext/src/lib.rs",
        "mod rt;\nuse pyo3::prelude::*;\n#[pyfunction]\nfn work() {\n    rt::get();\n}\n",
    );
    write(
        root,
        "pyext/src/rt.rs",
        "use std::sync::OnceLock;\nstatic RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();\n\
         pub fn get() {\n    RT.get_or_init(|| tokio::runtime::Runtime::new().unwrap());\n}\n",
    );
    // noise: unrelated crates and files that reuse the same names.
    let mut lib = String::new();
    for i in 0..noise {
        writeln!(lib, "pub mod m{i};").unwrap();
        write(
            root,
            &format!("noise/src/m{i}.rs"),
            &format!(
                "pub struct Pool;\nimpl Pool {{\n    pub fn launch(&self) {{}}\n    \
                 pub fn new() -> Self {{ Pool }}\n}}\n\
                 pub fn spawn_all() {{ let _ = std::thread::spawn(|| {i}); }}\n\
                 pub fn helper_{i}() {{ spawn_all(); Pool::new().launch(); }}\n"
            ),
        );
    }
    write(root, "noise/Cargo.toml", &manifest("noise"));
    write(root, "noise/src/lib.rs", &lib);
}

fn run(root: &Path, prefilter: bool) -> CheckReport {
    pipeline::run(
        &[root.to_path_buf()],
        Catalog::builtin(),
        &CheckOptions {
            prefilter,
            ..Default::default()
        },
    )
    .unwrap()
}

#[test]
fn generated_workspace_same_findings_with_and_without_prefilter() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), 60);
    let with = run(dir.path(), true);
    let without = run(dir.path(), false);
    assert!(with.errors.is_empty(), "{:?}", with.errors);
    let a = format!("{:#?}\n{:#?}", with.findings, with.errors);
    let b = format!("{:#?}\n{:#?}", without.findings, without.errors);
    assert_eq!(a, b);
    for file in [
        "pyext/src/rt.rs",
        "tool/src/via.rs",
        "platform_unix.rs",
        "detail.rs",
    ] {
        assert!(
            with.findings
                .iter()
                .any(|f| f.location.as_ref().is_some_and(|l| l.path.ends_with(file))),
            "no finding in {file}: {a}"
        );
    }
    let rules: std::collections::BTreeSet<&str> =
        with.findings.iter().map(|f| f.rule.as_str()).collect();
    for rule in ["FL001", "FL005"] {
        assert!(rules.contains(rule), "{rule} missing from {a}");
    }
    assert!(
        with.stats.files_skipped >= 50,
        "the noise is skipped: {:?}",
        with.stats
    );
    assert_eq!(without.stats.files_skipped, 0);
    assert_eq!(
        with.stats.files_parsed + with.stats.files_skipped,
        with.stats.files_seen
    );
}

#[test]
fn moved_files_and_functions_named_like_a_macro_are_not_definers() {
    // A forking function calls `table::Table::new` and a `quiet!` macro. Twenty files that
    // `#[path]` moves under `generated` define a `new`, and ten modules define a `fn quiet`:
    // none can hold what those lookups find, so none is parsed.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "gen/Cargo.toml", &manifest("gen"));
    let mut lib = String::from("mod table;\nmod generated;\n");
    for i in 0..10 {
        writeln!(lib, "mod q{i};").unwrap();
        write(
            root,
            &format!("gen/src/q{i}.rs"),
            &format!("pub fn quiet() -> u32 {{ {i} }}\n"),
        );
    }
    lib.push_str(
        "macro_rules! quiet { () => {} }\n\
         pub fn start() {\n    let _t = std::thread::spawn(|| ());\n    \
         table::Table::new();\n    quiet!();\n    let _ = unsafe { libc::fork() };\n}\n",
    );
    write(root, "gen/src/lib.rs", &lib);
    write(
        root,
        "gen/src/table.rs",
        "pub struct Table;\nimpl Table {\n    pub fn new() -> Self { Table }\n}\n",
    );
    let mut generated = String::new();
    for i in 0..20 {
        writeln!(generated, "#[path = \"CF{i}.rs\"]\nmod cf{i};").unwrap();
        write(
            root,
            &format!("gen/src/generated/CF{i}.rs"),
            &format!(
                "pub struct Cf{i};\nimpl Cf{i} {{\n    pub fn new() -> Self {{ Cf{i} }}\n}}\n"
            ),
        );
    }
    write(root, "gen/src/generated/mod.rs", &generated);
    let with = run(root, true);
    let without = run(root, false);
    assert_eq!(
        format!("{:#?}", with.findings),
        format!("{:#?}", without.findings)
    );
    assert!(
        with.findings.iter().any(|f| f.rule == "FL001"),
        "{:#?}",
        with.findings
    );
    // lib.rs, table.rs and generated/mod.rs (it holds `#[path]`).
    assert_eq!(with.stats.files_parsed, 3, "{:?}", with.stats);
}

/// `api` re-exports `model`, which re-exports its `till` submodule; the forking method is
/// written in `imp.rs` on the type `imp` imports with `use crate::model::*`, so it is keyed
/// `model::Till::open` although no file of `model` names `Till`. `front` calls it as
/// `api::Till::open`: one glob from `api` to `model` reaches it. Twelve unrelated modules
/// outweigh the rest.
fn glob_imported_impl(root: &Path) {
    write(root, "shop/Cargo.toml", &manifest("shop"));
    let mut lib = String::from("pub mod api;\npub mod model;\nmod imp;\npub mod front;\n");
    for i in 0..12 {
        writeln!(lib, "pub mod shelf{i};").unwrap();
        let mut shelf = String::new();
        for k in 0..20 {
            writeln!(shelf, "pub fn count_{k}(n: u32) -> u32 {{ n * {k} + {i} }}").unwrap();
        }
        write(root, &format!("shop/src/shelf{i}.rs"), &shelf);
    }
    write(root, "shop/src/lib.rs", &lib);
    write(root, "shop/src/api.rs", "pub use crate::model::*;\n");
    write(root, "shop/src/model.rs", "mod till;\npub use till::*;\n");
    write(root, "shop/src/model/till.rs", "pub struct Till;\n");
    write(
        root,
        "shop/src/imp.rs",
        &format!("use crate::model::*;\nimpl Till {{\n    pub fn open() {{ {FORK} }}\n}}\n"),
    );
    write(
        root,
        "shop/src/front.rs",
        "pub fn start() {\n    let _t = std::thread::spawn(|| ());\n    crate::api::Till::open();\n}\n",
    );
}

#[test]
fn a_method_keyed_through_a_glob_import_is_reached_through_a_glob_re_export() {
    let with = compare("glob-imported impl", glob_imported_impl);
    assert!(
        with.findings.iter().any(|f| f.rule == "FL001"),
        "{:#?}",
        with.findings
    );
    assert!(with.stats.files_skipped >= 10, "{:?}", with.stats);
}

#[test]
fn a_tree_without_fork_points_parses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "quiet/Cargo.toml", &manifest("quiet"));
    write(
        dir.path(),
        "quiet/src/lib.rs",
        "pub fn spawn() { std::thread::spawn(|| ()); }\n",
    );
    let report = run(dir.path(), true);
    assert_eq!(report.stats.files_parsed, 0);
    assert_eq!(report.stats.files_skipped, 1);
    assert!(report.findings.is_empty());
}

#[test]
fn a_grammar_error_is_reported_where_the_file_is_parsed() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing in it can reach a fork: the prefilter skips it, a full parse reports it. It is
    // larger than the file that forks, so that no round has selected most of the tree.
    let mut broken = String::new();
    for i in 0..20 {
        writeln!(broken, "fn fine_{i}() {{ let _ = {i}; }}").unwrap();
    }
    broken.push_str("fn helper() { let x = ; }\n");
    write(dir.path(), "broken.rs", &broken);
    write(
        dir.path(),
        "forks.rs",
        "fn main() { let _t = std::thread::spawn(|| ()); let _ = unsafe { libc::fork() }; }\n",
    );
    let with = run(dir.path(), true);
    let without = run(dir.path(), false);
    // FL001 at the fork, and FL006 there: its dropped result leaves the child to return out
    // of `main`.
    assert_eq!(with.findings.len(), 2, "{:?}", with.findings);
    assert_eq!(
        format!("{:?}", with.findings),
        format!("{:?}", without.findings)
    );
    assert!(with.errors.is_empty(), "{:?}", with.errors);
    assert_eq!(without.errors.len(), 1, "{:?}", without.errors);
    assert!(without.errors[0].path.ends_with("broken.rs"));
}

/// Work units allowed per byte scanned on trees the fixpoint resolves without its budget.
const BOUND: u64 = 4;

const FORK: &str = "match unsafe { libc::fork() } { 0 => { println!(\"child\"); } _ => {} }";

/// Modules that import each other: every `a` module names every `b` module and back, so the
/// aliases form cycles through which a hot key can be spelt in exponentially many ways.
fn cyclic_imports(root: &Path, n: usize) {
    write(root, "cyc/Cargo.toml", &manifest("cyc"));
    let mut lib = String::from("pub mod deep;\n");
    for i in 0..n {
        writeln!(lib, "pub mod a{i};\npub mod b{i};").unwrap();
        let mut a = String::new();
        let mut b = String::new();
        for j in 0..n {
            writeln!(a, "use crate::b{j};").unwrap();
            writeln!(b, "use crate::a{j};").unwrap();
        }
        writeln!(
            a,
            "pub fn call_{i}() {{ let _t = std::thread::spawn(|| ()); b0::relay(); }}"
        )
        .unwrap();
        writeln!(
            b,
            "pub fn relay() {{ crate::deep::Reader::version(); }}\npub fn other_{i}() {{ a0::call_0(); }}"
        )
        .unwrap();
        write(root, &format!("cyc/src/a{i}.rs"), &a);
        write(root, &format!("cyc/src/b{i}.rs"), &b);
    }
    write(root, "cyc/src/lib.rs", &lib);
    write(
        root,
        "cyc/src/deep.rs",
        &format!("pub struct Reader;\nimpl Reader {{\n    pub fn version() {{ {FORK} }}\n}}\n"),
    );
}

/// Many modules defining the same common names (`new`, `run`, `Pool::launch`), one of which
/// forks, all calling each other.
fn common_names(root: &Path, n: usize) {
    write(root, "common/Cargo.toml", &manifest("common"));
    let mut lib = String::new();
    for i in 0..n {
        writeln!(lib, "pub mod m{i};").unwrap();
        let next = (i + 1) % n;
        let body = if i == 0 { FORK } else { "" };
        write(
            root,
            &format!("common/src/m{i}.rs"),
            &format!(
                "pub struct Pool;\nimpl Pool {{\n    pub fn new() -> Self {{ Pool }}\n    \
                 pub fn launch(&self) {{ {body} }}\n}}\n\
                 pub fn new() -> Pool {{ Pool::new() }}\n\
                 pub fn run() {{\n    let _t = std::thread::spawn(|| ());\n    \
                 let p = crate::m{next}::Pool::new();\n    p.launch();\n}}\n"
            ),
        );
    }
    write(root, "common/src/lib.rs", &lib);
}

/// A chain of crates, each re-exporting the previous one's fork under a new name and module.
fn reexport_chain(root: &Path, n: usize) {
    for i in 0..n {
        let name = format!("chain{i}");
        write(root, &format!("{name}/Cargo.toml"), &manifest(&name));
        let text = if i == 0 {
            format!("pub mod inner {{\n    pub fn go0() {{ {FORK} }}\n}}\npub use inner::go0;\n")
        } else {
            let prev = i - 1;
            format!(
                "pub mod inner {{\n    pub use chain{prev}::go{prev} as go{i};\n    \
                 pub use chain{prev}::inner as before;\n}}\npub use inner::go{i};\n\
                 pub fn start() {{ let _t = std::thread::spawn(|| ()); go{i}(); inner::before::go{prev}(); }}\n"
            )
        };
        write(root, &format!("{name}/src/lib.rs"), &text);
    }
}

/// Many crates, each calling the next one's `run` and sharing all their other names.
fn many_crates(root: &Path, n: usize) {
    for i in 0..n {
        let name = format!("k{i}");
        write(root, &format!("{name}/Cargo.toml"), &manifest(&name));
        let call = if i + 1 < n {
            format!("k{}::run();", i + 1)
        } else {
            FORK.to_string()
        };
        write(
            root,
            &format!("{name}/src/lib.rs"),
            &format!(
                "pub mod util;\npub fn run() {{ {call} }}\n\
                 pub fn start() {{ let _t = std::thread::spawn(|| ()); run(); util::helper(); }}\n"
            ),
        );
        write(
            root,
            &format!("{name}/src/util.rs"),
            "pub fn helper() { crate::run(); }\npub fn new() -> u8 { 0 }\n",
        );
    }
}

/// One crate of many files, each calling into the next, one forking at the end.
fn huge_crate(root: &Path, n: usize) {
    write(root, "huge/Cargo.toml", &manifest("huge"));
    let mut lib = String::new();
    for i in 0..n {
        writeln!(lib, "pub mod f{i};").unwrap();
        let mut text = String::new();
        for k in 0..5 {
            let call = if k < 4 {
                format!("step{}();", k + 1)
            } else if i + 1 < n {
                format!("crate::f{}::step0();", i + 1)
            } else {
                FORK.to_string()
            };
            writeln!(text, "pub fn step{k}() {{ {call} }}").unwrap();
        }
        writeln!(
            text,
            "pub fn entry_{i}() {{ let _t = std::thread::spawn(|| ()); step0(); }}"
        )
        .unwrap();
        write(root, &format!("huge/src/f{i}.rs"), &text);
    }
    write(root, "huge/src/lib.rs", &lib);
}

/// Glob re-exports built to make a lookup go round: every module re-exports its own submodule
/// (`pub use self::inner::*`) and the next module (a cycle through all of them), each calling
/// the next one's items by their re-exported paths; and a long chain of modules each
/// re-exporting the next, whose end forks, called from the start. The linker follows one glob
/// per lookup, so neither can make a lookup longer than its `use`s.
fn glob_mazes(root: &Path, n: usize) {
    write(root, "maze/Cargo.toml", &manifest("maze"));
    let mut lib = String::new();
    for i in 0..n {
        let next = (i + 1) % n;
        writeln!(
            lib,
            "pub mod m{i};
pub mod g{i};"
        )
        .unwrap();
        write(
            root,
            &format!("maze/src/m{i}/mod.rs"),
            &format!(
                "mod inner;
pub use self::inner::*;
pub use crate::m{next}::*;
"
            ),
        );
        let body = if i == 0 { FORK } else { "" };
        write(
            root,
            &format!("maze/src/m{i}/inner.rs"),
            &format!(
                "pub struct Pool;
impl Pool {{
    pub fn launch(&self) {{ {body} }}
}}
                 pub fn run_{i}() {{
    let _t = std::thread::spawn(|| ());
                     crate::m{next}::run_{next}();
    crate::m{i}::Pool::launch(&crate::m{next}::Pool);
}}
"
            ),
        );
        let text = if i + 1 < n {
            format!(
                "pub use crate::g{next}::*;
pub fn step_{i}() {{ crate::g{next}::step_{next}(); }}
"
            )
        } else {
            format!(
                "pub fn step_{i}() {{ {FORK} }}
pub fn deep() {{ {FORK} }}
"
            )
        };
        write(root, &format!("maze/src/g{i}.rs"), &text);
    }
    lib.push_str(
        "pub fn start() {
    let _t = std::thread::spawn(|| ());
             g0::step_0();
    g0::deep();
}
",
    );
    write(root, "maze/src/lib.rs", &lib);
}

/// The fixpoint stops within one work item of its budget (a few hundred units at most).
const OVERSHOOT: u64 = 1 << 12;

/// Runs `check` on a generated tree with and without the prefilter; the reports must agree.
fn compare(name: &str, generate: impl Fn(&Path)) -> CheckReport {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path());
    let with = run(dir.path(), true);
    let without = run(dir.path(), false);
    let a = format!("{:#?}\n{:#?}", with.findings, with.errors);
    let b = format!("{:#?}\n{:#?}", without.findings, without.errors);
    assert_eq!(a, b, "{name}: the prefilter changed the report");
    assert!(!with.findings.is_empty(), "{name}: the tree has findings");
    with
}

fn assert_bounded(name: &str, generate: impl Fn(&Path)) {
    let with = compare(name, generate);
    let s = &with.stats;
    assert!(
        !s.prefilter_gave_up,
        "{name}: the fixpoint needed the fallback: {s:?}"
    );
    assert!(
        s.prefilter_work <= BOUND * s.bytes,
        "{name}: {} work units for {} bytes scanned",
        s.prefilter_work,
        s.bytes
    );
}

/// A tree where resolving costs more than parsing: the budget stops the fixpoint, every file is
/// parsed, and the report is that of a full parse.
fn assert_capped(name: &str, generate: impl Fn(&Path)) -> CheckReport {
    let with = compare(name, generate);
    let s = &with.stats;
    let budget = Limits::default();
    assert!(
        s.prefilter_work <= budget.budget(s.files_seen as u64, s.bytes) + OVERSHOOT,
        "{name}: {} work units for {} bytes scanned",
        s.prefilter_work,
        s.bytes
    );
    with
}

#[test]
fn modules_importing_each_other() {
    // Spelling out every key a lookup could meet through these cycles took minutes at n = 12
    // (12^6 keys); leads make it a few hundred per distinct hot name.
    let small = assert_capped("cyclic imports", |root| cyclic_imports(root, 3));
    assert!(!small.stats.prefilter_gave_up, "{:?}", small.stats);
    assert_capped("cyclic imports", |root| cyclic_imports(root, 12));
    assert_capped("cyclic imports", |root| {
        cyclic_imports(root, 12);
        huge_crate(root, 200);
    });
}

#[test]
fn many_modules_with_the_same_names() {
    assert_bounded("common names", |root| common_names(root, 150));
}

#[test]
fn deep_reexport_chains() {
    // A 40-crate chain in 8 KB walks back one crate per round: its resolution costs more than
    // an eighth of parsing 8 KB, so the budget (`Limits`) stops it and every file is parsed,
    // within the budget and within `BOUND` per byte; a shorter chain needs no fallback.
    let long = assert_capped("re-export chain", |root| reexport_chain(root, 40));
    assert!(long.stats.prefilter_work <= BOUND * long.stats.bytes);
    assert_bounded("a short re-export chain", |root| reexport_chain(root, 8));
}

#[test]
fn glob_cycles_self_globs_and_glob_chains() {
    assert_bounded("glob mazes", |root| glob_mazes(root, 120));
    assert_bounded("glob mazes beside the other trees", |root| {
        glob_mazes(root, 40);
        common_names(root, 40);
        reexport_chain(root, 12);
    });
}

#[test]
fn many_crates_calling_each_other() {
    // A chain of 150 crates of one tiny file each (27 KB in all) walks back one crate per round:
    // its resolution costs more than an eighth of parsing 27 KB, so the budget (`Limits`, a
    // share of the parse's cost) stops it and every file is parsed. Its work stays within the
    // budget, and within `BOUND` per byte; a shorter chain is resolved without the fallback.
    let long = assert_capped("many crates", |root| many_crates(root, 150));
    assert!(long.stats.prefilter_work <= BOUND * long.stats.bytes);
    assert_bounded("a few crates", |root| many_crates(root, 20));
}

#[test]
fn one_huge_crate() {
    assert_bounded("huge crate", |root| huge_crate(root, 300));
}

/// Runs the prefilter with `limits` on the tree at `root`, checks that the files it parsed give
/// the findings of a full parse, and returns what it did (without its results) and the number
/// of files in the tree.
fn outcome_like_a_full_parse(root: &Path, limits: Limits) -> (prefilter::Outcome, usize) {
    let mut errors = Vec::new();
    let files = pipeline::collect_files(&[root.to_path_buf()], &mut errors).unwrap();
    let always = vec![false; files.len()];
    let catalog = Catalog::builtin();
    let mut outcome = prefilter::run_with(&files, &always, &Layout::default(), catalog, limits);
    let irs = std::mem::take(&mut outcome.results)
        .into_iter()
        .map(|(_, r)| r.unwrap())
        .collect();
    let (findings, _) = forklint::analysis::analyze(irs, catalog);
    let without = run(root, false);
    assert!(!findings.is_empty());
    assert_eq!(format!("{findings:#?}"), format!("{:#?}", without.findings));
    (outcome, files.len())
}

#[test]
fn an_exhausted_budget_parses_every_file_and_reports_the_same() {
    let dir = tempfile::tempdir().unwrap();
    cyclic_imports(dir.path(), 4);
    common_names(dir.path(), 20);
    let limits = Limits {
        units_per_kib: 0,
        per_file: 0,
        floor: 0,
        ..Default::default()
    };
    let (outcome, files) = outcome_like_a_full_parse(dir.path(), limits);
    assert!(outcome.gave_up);
    assert_eq!(outcome.parsed, files, "every file is parsed");
}

/// A crate shaped like a typical application: a small file that forks, `n` large modules that
/// call it, and a small file that spawns a thread and calls them all. The fixpoint walks back
/// from the fork one call depth per round: the fork's file, then the large modules, then the
/// small caller, each round waiting for its slowest file.
fn wide_then_narrow(root: &Path, n: usize) {
    write(root, "app/Cargo.toml", &manifest("app"));
    let mut lib = "pub mod hub;\npub mod forker;\n".to_string();
    let mut hub = "pub fn start() {\n    let _t = std::thread::spawn(|| ());\n".to_string();
    for i in 0..n {
        writeln!(lib, "pub mod part{i};").unwrap();
        writeln!(hub, "    crate::part{i}::work();").unwrap();
        let mut part = "pub fn work() {\n".to_string();
        for k in 0..60 {
            writeln!(
                part,
                "    let value_{k} = {k} * 3 + 1;\n    let _ = value_{k};"
            )
            .unwrap();
        }
        writeln!(part, "    crate::forker::fork_now();\n}}").unwrap();
        write(root, &format!("app/src/part{i}.rs"), &part);
    }
    hub.push_str("}\n");
    write(root, "app/src/lib.rs", &lib);
    write(root, "app/src/hub.rs", &hub);
    write(
        root,
        "app/src/forker.rs",
        &format!("pub fn fork_now() {{ {FORK} }}\n"),
    );
}

#[test]
fn a_round_that_selects_most_of_what_is_left_takes_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    wide_then_narrow(dir.path(), 30);
    let (outcome, files) = outcome_like_a_full_parse(dir.path(), Limits::default());
    assert!(
        !outcome.gave_up,
        "within the budget: {} units",
        outcome.work
    );
    assert!(outcome.took_rest);
    assert_eq!(outcome.parsed, files, "every file is parsed");
    assert_eq!(
        outcome.rounds, 2,
        "the fork's file, then the large modules with the small caller left"
    );
}

#[test]
fn the_first_round_is_lowered_from_the_text_the_scan_read() {
    // The fork's file is a seed: it is lowered while the scan holds its text, so only the files
    // of the later round are read a second time.
    let dir = tempfile::tempdir().unwrap();
    wide_then_narrow(dir.path(), 30);
    let (outcome, files) = outcome_like_a_full_parse(dir.path(), Limits::default());
    assert_eq!(outcome.parsed, files, "every file is parsed");
    assert_eq!(outcome.reads, files + outcome.parsed - 1, "{outcome:?}");
}

/// A crate whose every module forks and starts a thread: every file but `lib.rs` is a seed.
fn forks_everywhere(root: &Path, n: usize) {
    write(root, "app/Cargo.toml", &manifest("app"));
    let mut lib = String::new();
    for i in 0..n {
        writeln!(lib, "pub mod part{i};").unwrap();
        let mut part = format!(
            "pub fn run_{i}() {{\n    let _t = std::thread::spawn(|| ());\n    {FORK}\n}}\n"
        );
        for k in 0..40 {
            writeln!(part, "pub fn helper_{k}() -> u32 {{ {k} * 3 + 1 }}").unwrap();
        }
        write(root, &format!("app/src/part{i}.rs"), &part);
    }
    write(root, "app/src/lib.rs", &lib);
}

#[test]
fn a_tree_of_seeds_is_parsed_whole_without_scanning_past_half_of_it() {
    // Once the first round holds half of the tree's bytes it takes the rest: the files left are
    // parsed without a scan, and no file is read twice. Counted in bytes and reads.
    let dir = tempfile::tempdir().unwrap();
    forks_everywhere(dir.path(), 40);
    let (outcome, files) = outcome_like_a_full_parse(dir.path(), Limits::default());
    assert!(outcome.took_rest, "{outcome:?}");
    assert_eq!(outcome.parsed, files);
    // Only `lib.rs`, the one file that is not a seed, may be scanned before the switch and read
    // again to be parsed.
    assert!(outcome.reads <= files + 1, "{} reads", outcome.reads);
    let mut errors = Vec::new();
    let sizes: Vec<u64> = pipeline::collect_files(&[dir.path().to_path_buf()], &mut errors)
        .unwrap()
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .collect();
    let total: u64 = sizes.iter().sum();
    let largest = sizes.iter().copied().max().unwrap();
    // Each thread may have started one more file before the switch.
    let threads = rayon::current_num_threads() as u64;
    assert!(
        outcome.scanned <= total / 2 + (threads + 1) * largest,
        "{} of {total} bytes scanned",
        outcome.scanned
    );
    assert!(outcome.scanned < total, "{outcome:?}");
}

#[test]
fn parse_batches_follow_the_bytes_left() {
    // Once the files selected hold half the bytes, a round that is at least half the size of
    // the one before parses the rest with it; a round that shrinks faster is left to converge.
    assert!(prefilter::takes_rest(500, 1_000, 500, 0));
    assert!(!prefilter::takes_rest(499, 1_000, 499, 0));
    assert!(prefilter::takes_rest(501, 1_001, 200, 400));
    assert!(!prefilter::takes_rest(501, 1_001, 199, 400));
    assert!(!prefilter::takes_rest(0, 1, 0, 0));
    assert!(prefilter::takes_rest(0, 0, 0, 0));
}

/// `lines` lines of local arithmetic: bytes that call nothing.
fn filler(lines: usize) -> String {
    (0..lines)
        .map(|k| format!("    let value_{k} = {k} * 3 + 1;\n    let _ = value_{k};\n"))
        .collect()
}

/// A crate whose seed, the file that forks, holds a third of the bytes; `callers` modules that
/// call it hold a fifth, and a small hub calls them all; `idle` modules that nothing calls hold
/// the rest. The hub is one call depth further than the callers, so a fixpoint that resolved
/// the callers' round would need a third.
fn heavy_seed(root: &Path, callers: usize, idle: usize) {
    write(root, "app/Cargo.toml", &manifest("app"));
    let mut lib = "pub mod forker;\npub mod hub;\n".to_string();
    let mut hub = "pub fn start() {\n    let _t = std::thread::spawn(|| ());\n".to_string();
    for i in 0..callers {
        writeln!(lib, "pub mod caller{i};").unwrap();
        writeln!(hub, "    crate::caller{i}::call_{i}();").unwrap();
        let body = filler(30);
        let text = format!("pub fn call_{i}() {{\n{body}    crate::forker::fork_now();\n}}\n");
        write(root, &format!("app/src/caller{i}.rs"), &text);
    }
    hub.push_str("}\n");
    for i in 0..idle {
        writeln!(lib, "pub mod idle{i};").unwrap();
        let text = format!("pub fn idle_{i}() {{\n{}}}\n", filler(30));
        write(root, &format!("app/src/idle{i}.rs"), &text);
    }
    write(root, "app/src/lib.rs", &lib);
    write(root, "app/src/hub.rs", &hub);
    let body = filler(30 * (callers + idle) * 2 / 3);
    let forker = format!("pub fn fork_now() {{\n{body}    {FORK}\n}}\n");
    write(root, "app/src/forker.rs", &forker);
}

#[test]
fn once_the_seeds_and_their_callers_hold_half_the_tree_no_round_resolves_after_the_seeds() {
    // The seed holds a third of the bytes: the scan goes on past it. Its resolution asks for
    // the callers; with them the selection holds half the tree, so their round parses every
    // file left in one batch instead of resolving them (which would ask for the hub, a third
    // round). Counted in rounds and files, never in time.
    let dir = tempfile::tempdir().unwrap();
    let (callers, idle) = (6, 10);
    heavy_seed(dir.path(), callers, idle);
    let size = |name: &str| {
        std::fs::metadata(dir.path().join("app/src").join(name))
            .unwrap()
            .len()
    };
    let total = rust_bytes(dir.path());
    let seed = size("forker.rs");
    let called: u64 = (0..callers).map(|i| size(&format!("caller{i}.rs"))).sum();
    assert!(
        2 * seed < total,
        "the seed alone is under half: {seed} of {total}"
    );
    assert!(
        2 * (seed + called) >= total,
        "with its callers, half: {called}"
    );
    assert!(
        called < total - seed - called,
        "the callers' round leaves more than it parses"
    );
    let (outcome, files) = outcome_like_a_full_parse(dir.path(), Limits::default());
    assert!(outcome.took_rest && !outcome.gave_up, "{outcome:?}");
    assert_eq!(outcome.parsed, files, "every file is parsed once");
    assert_eq!(outcome.reparsed, 0);
    assert_eq!(
        outcome.rounds, 2,
        "the seeds' round, then every file left: {outcome:?}"
    );
}

#[test]
fn bodies_dropped_to_save_memory_are_parsed_again_when_they_matter() {
    // With no memory allowance every round drops the bodies of functions that do not matter
    // yet; those asked for later come back by parsing their file again, and the report is
    // that of a full parse.
    let limits = Limits {
        bodies_above: 0,
        ..Default::default()
    };
    let mut reparsed = 0;
    for generate in [
        (|root: &Path| generate(root, 40)) as fn(&Path),
        |root| common_names(root, 40),
        |root| reexport_chain(root, 12),
        |root| many_crates(root, 30),
    ] {
        let dir = tempfile::tempdir().unwrap();
        generate(dir.path());
        reparsed += outcome_like_a_full_parse(dir.path(), limits).0.reparsed;
    }
    assert!(reparsed > 0, "some body was asked for after its round");
}

/// The bytes of Rust source under `root`.
fn rust_bytes(root: &Path) -> u64 {
    let mut errors = Vec::new();
    pipeline::collect_files(&[root.to_path_buf()], &mut errors)
        .unwrap()
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum()
}

/// A named generator of adversarial trees.
type Generator = (&'static str, fn(&Path));

#[test]
fn a_tree_under_the_whole_parse_size_costs_no_prefilter_work() {
    // Below `WHOLE_BELOW` the CLI's run is the plain parse: no scan, no round, no work unit,
    // every file parsed once; above it the prefilter runs. Counted in work, never in time.
    let generators: [Generator; 6] = [
        ("wide then narrow", |root| wide_then_narrow(root, 200)),
        ("common names", |root| common_names(root, 20)),
        ("re-export chain", |root| reexport_chain(root, 10)),
        ("many crates", |root| many_crates(root, 20)),
        ("cyclic imports", |root| cyclic_imports(root, 3)),
        ("huge crate", |root| huge_crate(root, 300)),
    ];
    let (mut under, mut over) = (0, 0);
    for (name, generate) in generators {
        let dir = tempfile::tempdir().unwrap();
        generate(dir.path());
        let options = CheckOptions {
            prefilter: true,
            whole_below: pipeline::WHOLE_BELOW,
            ..Default::default()
        };
        let with =
            pipeline::run(&[dir.path().to_path_buf()], Catalog::builtin(), &options).unwrap();
        let without = run(dir.path(), false);
        assert_eq!(
            format!("{:#?}", with.findings),
            format!("{:#?}", without.findings),
            "{name}"
        );
        let s = &with.stats;
        if rust_bytes(dir.path()) < pipeline::WHOLE_BELOW {
            under += 1;
            assert_eq!(
                (s.rounds, s.prefilter_work, s.bytes, s.files_parsed),
                (0, 0, 0, s.files_seen),
                "{name}: {s:?}"
            );
        } else {
            over += 1;
            assert!(s.rounds > 0 && s.bytes > 0, "{name}: {s:?}");
        }
    }
    assert!(
        under > 0 && over > 0,
        "{under} trees under the size, {over} over"
    );
}

/// A crate whose seed defines `forks` functions that fork; `callers` large modules call every
/// one of them, and `idle` modules that nothing calls hold `idle` times the bytes of one caller.
fn many_forks_then_callers(root: &Path, forks: usize, callers: usize, idle: usize) {
    write(root, "app/Cargo.toml", &manifest("app"));
    let mut lib = "pub mod forker;\n".to_string();
    let mut forker = String::new();
    let mut calls = String::new();
    for k in 0..forks {
        writeln!(forker, "pub fn fork_{k}() {{ {FORK} }}").unwrap();
        writeln!(calls, "    crate::forker::fork_{k}();").unwrap();
    }
    write(root, "app/src/forker.rs", &forker);
    let body = filler(8 * forks);
    for i in 0..callers {
        writeln!(lib, "pub mod caller{i};").unwrap();
        let text = format!("pub fn call_{i}() {{\n{body}{calls}}}\n");
        write(root, &format!("app/src/caller{i}.rs"), &text);
    }
    for i in 0..idle {
        writeln!(lib, "pub mod idle{i};").unwrap();
        let text = format!(
            "pub fn idle_{i}() {{\n{body}{}}}\n",
            " ".repeat(calls.len())
        );
        write(root, &format!("app/src/idle{i}.rs"), &text);
    }
    write(root, "app/src/lib.rs", &lib);
}

#[test]
fn a_round_stops_resolving_once_the_next_one_takes_the_rest() {
    // The seed's round makes every fork function hot, one by one. The first one's callers bring
    // the selection to half the tree, so the next round takes the rest whatever the others
    // add: the round stops there instead of resolving the other functions. Its twin, with idle
    // bytes enough to keep the selection under half, resolves them all. Counted in work units
    // and rounds, never in time.
    let forks = 200;
    let dir = tempfile::tempdir().unwrap();
    many_forks_then_callers(dir.path(), forks, 4, 2);
    let (crossing, files) = outcome_like_a_full_parse(dir.path(), Limits::default());
    assert!(crossing.took_rest && !crossing.gave_up, "{crossing:?}");
    assert_eq!(crossing.parsed, files, "every file is parsed once");
    assert_eq!(crossing.reparsed, 0);
    assert_eq!(crossing.rounds, 2, "the seed's round, then every file left");
    let dir = tempfile::tempdir().unwrap();
    many_forks_then_callers(dir.path(), forks, 4, 12);
    let (resolved, _) = outcome_like_a_full_parse(dir.path(), Limits::default());
    assert!(!resolved.took_rest && !resolved.gave_up, "{resolved:?}");
    assert!(
        crossing.work * 4 < resolved.work,
        "{} work units stopping, {} resolving",
        crossing.work,
        resolved.work
    );
}

/// A crate where a thread's start reaches a fork through a chain of `n` modules, each calling
/// the next, beside idle modules that hold most of the bytes: the fixpoint walks back one link
/// per round, so every round's file is wanted while the round before it is still resolving.
fn call_chain(root: &Path, n: usize) {
    write(root, "app/Cargo.toml", &manifest("app"));
    let mut lib = String::new();
    for i in 0..n {
        writeln!(lib, "pub mod link{i};").unwrap();
        let next = if i + 1 == n {
            FORK.to_string()
        } else {
            format!("crate::link{}::step_{}();", i + 1, i + 1)
        };
        let start = if i == 0 {
            "    let _t = std::thread::spawn(|| ());\n"
        } else {
            ""
        };
        let text = format!("pub fn step_{i}() {{\n{start}    {next}\n}}\n");
        write(root, &format!("app/src/link{i}.rs"), &text);
    }
    for i in 0..4 {
        writeln!(lib, "pub mod idle{i};").unwrap();
        let body = filler(150);
        write(
            root,
            &format!("app/src/idle{i}.rs"),
            &format!("pub fn idle_{i}() {{\n{body}}}\n"),
        );
    }
    write(root, "app/src/lib.rs", &lib);
}

#[test]
fn files_wanted_during_a_round_are_lowered_once_whatever_the_threads() {
    // A file is lowered by a task on another thread as soon as it is wanted, or by its round
    // if no task took it first: with one thread the tasks wait for the round, with more they
    // run beside the resolution. Either way each file is read once after the scan (the fork's
    // file, the only seed, is lowered from the scan's text) and the findings are a full parse's.
    let dir = tempfile::tempdir().unwrap();
    call_chain(dir.path(), 6);
    let mut seen = Vec::new();
    for threads in [1, 2, 4] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .stack_size(64 << 20)
            .build()
            .unwrap();
        let (outcome, files) =
            pool.install(|| outcome_like_a_full_parse(dir.path(), Limits::default()));
        assert!(!outcome.took_rest && !outcome.gave_up, "{outcome:?}");
        assert!(outcome.rounds >= 6, "one link per round: {outcome:?}");
        assert!(outcome.parsed < files, "the idle modules are skipped");
        assert_eq!(outcome.reads, files + outcome.parsed - 1, "{outcome:?}");
        seen.push((outcome.parsed, outcome.rounds, outcome.reads));
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:?}");
}
