//! The prefilter: decides, from a byte scan of every file, which files `check` must parse, so
//! that the findings are exactly those of parsing every file.
//!
//! Most files of a tree neither fork nor sit on a call path to a fork. The analysis only ever
//! reports from functions that reach a fork point (or run in a fork child), and what it reports
//! depends only on those functions, on everything they call (transitively), and on how their
//! calls resolve. So the prefilter parses, to a fixpoint:
//!
//! 1. the seeds: files whose identifiers could spell a call to a catalogue entry that forks or
//!    registers child code (derived from the catalogue in use, so user extensions count), and
//!    files holding `#[path]` (they move other files in the module tree);
//! 2. callers: for every function that may reach a fork, every file that could call it — any file
//!    holding its name, in a crate that can name its crate (directly or through other crates);
//! 3. resolution: for every call of a function whose summary matters (the ones above and all
//!    they call), every file that could add an entry to a table the call's resolution reads: a
//!    function or global with the looked-up path, a `use` that binds that path or one of its
//!    prefixes, a method of that name in the crate.
//!
//! Names are matched by identifier, so the answer is a superset of what resolution finds: a file
//! parsed for nothing costs time, a file wrongly skipped would change a finding. The invariants it
//! rests on, kept by the frontend and `analysis::program`: a path's segments come from the file's
//! own identifiers (or are `std`/`core`/`alloc`, `self`/`super`/`crate`); every table key of a
//! function, method, global or `use` ends with the identifier that defines it; functions follow
//! `fn`, globals follow `static` (`static ref`, `static mut`), macros follow `macro_rules!`; only
//! `#[path = ..]` moves files; a method's receiver type is a path of the file or one of the
//! catalogue's `returns` types; the only findings not rooted at a fork point are those of packages
//! with Python entry points (`#[pyfunction]`, `#[pymodule]`, `#[pymethods]`), whose files are all
//! parsed.

mod leads;
pub mod scan;

use crate::analysis::program::for_each_call;
use crate::catalog::{Catalog, Effect};
use crate::frontend::rust::{self, layout::Layout};
use crate::ir::{Call, Callee, FileIr, FnKind};
use crate::resolve::moves;
use crate::resolve::path::prefix_ends;
use crate::resolve::steps::{steps, Chain, Step};
use crate::resolve::{absolute, last_segment, package_of, MAX_ALIAS_STEPS, STD_METHODS};
use leads::Lead;
use rayon::prelude::*;
use scan::{FileScan, Index, ANY, AS, DEF, USE};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What the prefilter did: each parsed (or unreadable) file's result, by position in the list.
#[derive(Debug, Default)]
pub struct Outcome {
    pub results: Vec<(usize, Result<FileIr, String>)>,
    /// Files handed to the parser.
    pub parsed: usize,
    pub rounds: usize,
    pub scan: Duration,
    pub parse: Duration,
    /// Bytes of the files scanned (readable ones).
    pub bytes: u64,
    /// Work units the fixpoint spent.
    pub work: u64,
    /// The fixpoint would have cost more than parsing the files left, so every file was parsed.
    pub gave_up: bool,
    /// A round selected most of what was left, so the rest was parsed in that round's batch.
    pub took_rest: bool,
    /// Per file: whether the scan found the suppression marker in it.
    pub marked: Vec<bool>,
}

/// Whether a round should parse every file left instead of its own `batch` bytes, given the
/// `rest` bytes it would leave unparsed out of `total` scanned. A round that selects at least as
/// much as it leaves can save at most the bytes it parses, and a small rest saves less than
/// the next round's wait for its slowest file and its resolution: one balanced batch costs less.
pub fn takes_rest(batch: u64, rest: u64, total: u64) -> bool {
    rest <= batch || rest.saturating_mul(REST_FRACTION) <= total
}

/// A rest under `1 / REST_FRACTION` of the bytes scanned is parsed with the round that leaves it.
const REST_FRACTION: u64 = 8;

type FnRef = (u32, u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileState {
    Skipped,
    Queued,
    Parsed,
    /// Unreadable, not UTF-8, too deep, or rejected by the parser: reported, never analysed.
    Failed,
}

fn is_fork_effect(e: &Effect) -> bool {
    matches!(
        e,
        Effect::Fork | Effect::Daemon | Effect::Vfork | Effect::ChildClosure
    )
}

fn strip_raw(name: &str) -> &str {
    name.strip_prefix("r#").unwrap_or(name)
}

fn is_identifier(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b >= 0x80)
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80)
}

/// For each catalogue entry that forks or runs code in a child, the identifiers a file must
/// hold to call it: the last segment (the name written at the call) and the crate, unless the
/// crate is `std` (its paths may come from the prelude or from `core::`/`alloc::`).
pub fn seed_conditions(catalog: &Catalog) -> Vec<Vec<u32>> {
    // A builder chain may carry a catalogue `returns` type into a file that never names its crate.
    let carried: HashSet<&str> = catalog
        .apis
        .iter()
        .filter_map(|a| a.returns.as_deref())
        .filter_map(|t| t.split("::").next())
        .collect();
    let names = |api: &crate::catalog::Api| -> Vec<u32> {
        let mut names: Vec<&str> = Vec::new();
        if let Some(path) = &api.path {
            let mut named: Vec<&str> = path
                .split("::")
                .map(|s| s.split('#').next().unwrap_or(s))
                .filter(|s| *s != "*")
                .collect();
            if let Some(last) = named.pop() {
                names.push(last);
            }
            if let Some(first) = named.first() {
                if !matches!(*first, "std" | "core" | "alloc") && !carried.contains(first) {
                    names.push(first);
                } else if let Some(ty) = named.last().filter(|t| t.starts_with(char::is_uppercase))
                {
                    // `Command::env`: the frontend types a receiver only from names its file
                    // holds (a constructor, a parameter, a field, an import).
                    names.push(ty);
                }
            }
        } else if let Some(name) = api.method.as_ref().or(api.macro_name.as_ref()) {
            names.push(name);
            if let Some(k) = &api.krate {
                names.push(k);
            }
        }
        names.iter().map(|n| scan::key(n, ANY)).collect()
    };
    let with = |pred: fn(&Effect) -> bool| -> Vec<Vec<u32>> {
        catalog
            .apis
            .iter()
            .filter(|a| a.effects.iter().any(pred))
            .map(names)
            .collect()
    };
    // Packages loaded into Python are reported on without a fork point (the frontend's
    // `python_entry` attributes).
    let mut out: Vec<Vec<u32>> = PYTHON_ATTRIBUTES
        .iter()
        .map(|a| vec![scan::key(a, ANY)])
        .collect();
    out.extend(with(is_fork_effect));
    // A command spawned after a call that makes std fork+exec it (same function).
    let triggers = with(is_spawn_trigger);
    for spawn in with(|e| *e == Effect::SpawnsCommand) {
        for trigger in &triggers {
            out.push(spawn.iter().chain(trigger).copied().collect());
        }
    }
    out
}

/// Calls that may make a later `spawn` of the same command fork+exec.
fn is_spawn_trigger(e: &Effect) -> bool {
    matches!(e, Effect::ForcesFork | Effect::SetsEnv)
}

/// The attributes that make the frontend set `python_entry`.
const PYTHON_ATTRIBUTES: &[&str] = &["pyfunction", "pymodule", "pymethods"];

struct Scanned {
    crate_id: String,
    module: Vec<String>,
    len: u64,
    marked: bool,
    result: Result<(FileScan, bool), String>,
}

/// How much resolution work the fixpoint may do before parsing the rest instead.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Work units allowed per byte of the files not parsed yet. A unit (a posting entry read, a
    /// table probe, a key or lead made) costs less than lowering a byte of source.
    pub per_byte: u64,
    /// Units always allowed, whatever is left to parse.
    pub floor: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_byte: 1,
            floor: 1 << 16,
        }
    }
}

/// Runs the prefilter over `files` (sorted) and lowers the files it selects.
/// `always[i]` makes file `i` parsed whatever its identifiers.
pub fn run(files: &[PathBuf], always: &[bool], layout: &Layout, catalog: &Catalog) -> Outcome {
    run_with(files, always, layout, catalog, Limits::default())
}

/// [`run`] with a work budget of the caller's choosing.
pub fn run_with(
    files: &[PathBuf],
    always: &[bool],
    layout: &Layout,
    catalog: &Catalog,
    limits: Limits,
) -> Outcome {
    let start = Instant::now();
    let conditions = seed_conditions(catalog);
    let scanned: Vec<Scanned> = files
        .par_iter()
        .with_max_len(1)
        .map(|path| {
            let place = layout.place(path);
            let mut len = 0;
            let mut marked = false;
            let result = crate::pipeline::read_source(path).and_then(|text| {
                marked = crate::gate::suppress::holds_marker(text.as_bytes());
                rust::precheck(&text)?;
                len = text.len() as u64;
                let s = scan::scan(text.as_bytes());
                let seed = conditions.iter().any(|c| c.iter().all(|&k| s.has(k)));
                Ok((s, seed))
            });
            Scanned {
                crate_id: place.crate_id,
                module: place.module,
                len,
                marked,
                result,
            }
        })
        .collect();
    let index = {
        let keys: Vec<&[u32]> = scanned
            .iter()
            .map(|s| match &s.result {
                Ok((scan, _)) => scan.keys.as_slice(),
                Err(_) => &[],
            })
            .collect();
        Index::build(&keys)
    };
    trace_rss("after the index");
    let mut st = Closure::new(files, catalog, index);
    st.limits = limits;
    let mut outcome = Outcome::default();
    let mut first = Vec::new();
    for (i, s) in scanned.into_iter().enumerate() {
        let id = st.intern_crate(s.crate_id);
        st.crate_of.push(id);
        st.module.push(s.module);
        st.len.push(s.len);
        outcome.marked.push(s.marked);
        match s.result {
            Ok((scan, seed)) => {
                st.state.push(FileState::Skipped);
                outcome.bytes += s.len;
                if seed || scan.path_attr || always.get(i).copied().unwrap_or(false) {
                    first.push(i);
                } else {
                    st.unparsed += s.len;
                }
            }
            Err(message) => {
                st.state.push(FileState::Failed);
                outcome.results.push((i, Err(message)));
            }
        }
    }
    outcome.scan = start.elapsed();

    let start = Instant::now();
    if st.trace {
        eprintln!("prefilter: {} seeds", first.len());
    }
    let mut batch = first;
    let mut round = 0;
    while !batch.is_empty() {
        for &f in &batch {
            st.state[f] = FileState::Queued;
        }
        if !st.gave_up && !outcome.took_rest {
            let bytes: u64 = batch.iter().map(|&f| st.len[f]).sum();
            if takes_rest(bytes, st.unparsed, outcome.bytes) {
                outcome.took_rest = true;
                for f in 0..st.state.len() {
                    st.want(f, &|| {
                        "the round selected most of what was left".to_string()
                    });
                }
                batch.append(&mut st.next);
            }
        }
        let parse_all = st.gave_up || outcome.took_rest;
        let t = Instant::now();
        let mut lowered = st.lower(&batch, layout);
        let lower_time = t.elapsed();
        lowered.sort_by_key(|(i, _)| *i);
        outcome.parsed += lowered.len();
        let mut ok = Vec::new();
        for (i, result) in lowered {
            match result {
                Ok(mut ir) => {
                    compact(&mut ir);
                    st.irs.insert(i, ir);
                    st.state[i] = FileState::Parsed;
                    ok.push(i);
                }
                Err(message) => {
                    st.state[i] = FileState::Failed;
                    outcome.results.push((i, Err(message)));
                }
            }
        }
        if parse_all {
            // Every file is parsed and keeps its body: the run is a plain parse, with nothing
            // left to resolve.
            round += 1;
            if st.trace {
                eprintln!(
                    "prefilter: round {round}: every file left, {} files",
                    batch.len()
                );
            }
            batch = std::mem::take(&mut st.next);
            continue;
        }
        if round == 0 {
            // Every file holding `#[path]` is in the first round: where each file sits in its
            // crate is known before any name is placed.
            st.compute_moves();
            st.compute_mentions();
        }
        for i in ok {
            st.integrate(i);
        }
        st.process();
        if st.gave_up {
            // Parsing what is left costs less than resolving further: the run becomes a plain
            // parse of every file.
            for f in 0..st.state.len() {
                st.want(f, &|| "the fixpoint gave up".to_string());
            }
        }
        round += 1;
        if st.trace {
            let bytes: u64 = batch.iter().map(|&f| st.len[f]).sum();
            eprintln!(
                "prefilter: round {round}: {} files, {} KB lowered in {:.3}s; resolution {:.3}s",
                batch.len(),
                bytes >> 10,
                lower_time.as_secs_f64(),
                (t.elapsed() - lower_time).as_secs_f64()
            );
            trace_rss(&format!("after round {round}"));
        }
        batch = std::mem::take(&mut st.next);
    }
    outcome.rounds = round;
    outcome.parse = start.elapsed();
    outcome.work = st.spent.get();
    outcome.gave_up = st.gave_up;
    if st.trace {
        eprintln!(
            "prefilter: scan {:.3}s ({} index entries), {} rounds, parse {:.3}s, {} parsed, {} hot, {} closed, {} resolved, {} keys, {} leads, {} work units for {} bytes{}",
            outcome.scan.as_secs_f64(),
            st.index.len(),
            round,
            outcome.parse.as_secs_f64(),
            outcome.parsed,
            st.hot.len(),
            st.closed.len(),
            st.resolved.len(),
            st.nodes.len(),
            st.leads.len(),
            outcome.work,
            outcome.bytes,
            if st.gave_up { ", gave up" } else { "" }
        );
    }
    // A function the fixpoint did not close is called by no function whose summary matters and
    // reaches no fork: only its place in the tables (its path) can matter, not its body.
    let closed = std::mem::take(&mut st.closed);
    let strip = !st.gave_up && !outcome.took_rest;
    outcome
        .results
        .extend(st.irs.into_iter().map(|(i, mut ir)| {
            for (fi, f) in ir.functions.iter_mut().enumerate() {
                if strip && !closed.contains(&(i as u32, fi as u32)) {
                    f.body = Default::default();
                    f.implied = Vec::new();
                }
            }
            (i, Ok(ir))
        }));
    outcome.results.sort_by_key(|(i, _)| *i);
    outcome
}

/// A looked-up path: the lookup reads the functions and `use`s bound there, and goes on to the
/// keys those `use`s rewrite it to.
#[derive(Debug, Default)]
struct KeyNode {
    /// `use`s followed to get here (the lookup gives up after `MAX_ALIAS_STEPS`).
    steps: usize,
    /// The functions found here matter: a closed function may call them.
    closing: bool,
    /// A function found here, or through a `use` from here, may reach a fork.
    hot: bool,
    /// Resolved functions with a call that looks this key up.
    subscribers: Vec<FnRef>,
    fwd: Vec<u32>,
    rev: Vec<u32>,
}

/// A method name in a crate (the unique-name fallback), or a global's path.
#[derive(Debug, Default)]
struct NameNode {
    closing: bool,
    hot: bool,
    subscribers: Vec<FnRef>,
}

impl NameNode {
    /// A node for a name whose known definitions are `defs`: hot if one of them is.
    fn defined_by(defs: Option<&Vec<FnRef>>, hot: &HashSet<FnRef>) -> NameNode {
        NameNode {
            hot: defs.into_iter().flatten().any(|f| hot.contains(f)),
            ..Default::default()
        }
    }
}

/// Where the files of a request may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Scope {
    /// In the crate (or moved into it by `#[path]`).
    Crate(u32),
    /// In a crate that can reach it.
    Reaching(u32),
    /// Anywhere.
    Anywhere,
    /// May define an item in the crate, with the tag of the last segment.
    Defines(u32, u32),
}

/// What resolving one call reads.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Probe {
    Key(String),
    Method(String, String),
    Global(String),
    /// A `macro_rules!` macro of a package, by name.
    Macro(String, String),
    /// A closure of the same file, called or passed.
    Inner(u32),
}

enum Work {
    /// May reach a fork: its callers matter, and it must be closed.
    Hot(FnRef),
    /// Its summary matters: its calls must resolve as in a full run, and its callees are closed.
    Close(FnRef),
    /// It calls a name that something hot bears: find out, exactly, whether those calls make it
    /// hot.
    Resolve(FnRef, String),
    /// Keys that lead to a hot function (its own, or ones a `use` rewrites to it): parse every
    /// file that may call them.
    Lead(Lead),
}

/// The growing set of parsed files and what the fixpoint has asked of them.
struct Closure<'a> {
    files: &'a [PathBuf],
    catalog: &'a Catalog,
    index: Index,
    crate_ids: Vec<String>,
    crate_index: HashMap<String, u32>,
    crate_of: Vec<u32>,
    /// Each file's module in its crate, from the layout.
    module: Vec<Vec<String>>,
    len: Vec<u64>,
    state: Vec<FileState>,
    next: Vec<usize>,
    irs: HashMap<usize, FileIr>,
    /// Where each parsed file may sit (crate, module): its own place, and every place a
    /// `#[path]` may move it to.
    places: HashMap<usize, Vec<FileIr>>,
    moves: HashMap<usize, Vec<(String, Vec<String>)>>,
    moved_crates: HashMap<usize, Vec<u32>>,
    /// The files of each crate (and those `#[path]` may move into it).
    crate_files: Vec<Vec<u32>>,
    /// The files of each (crate, module), where the layout puts them.
    files_by_module: HashMap<(u32, String), Vec<u32>>,
    /// For each crate, the files `#[path]` may move into it.
    moved_into: Vec<Vec<u32>>,
    /// For each crate, the crates with a file naming it.
    named_by: Vec<Vec<u32>>,
    reaching: HashMap<u32, Vec<bool>>,
    // What the parsed files define, as the analysis's tables will.
    defs: HashMap<String, Vec<FnRef>>,
    methods: HashMap<(String, String), Vec<FnRef>>,
    globals: HashMap<String, Vec<FnRef>>,
    aliases: HashMap<String, Vec<String>>,
    callers_by_name: HashMap<String, Vec<FnRef>>,
    enclosing: HashMap<FnRef, Vec<FnRef>>,
    // The fixpoint itself.
    hot: HashSet<FnRef>,
    closed: HashSet<FnRef>,
    resolved: HashSet<(FnRef, String)>,
    hot_names: HashSet<String>,
    leads: Vec<Lead>,
    lead_ids: HashMap<Lead, u32>,
    /// Leads by each prefix of their head (the head included): a `use` whose target is one of
    /// them gives the lead's keys another name.
    leads_by_prefix: HashMap<String, Vec<u32>>,
    /// Leads with a tail, by head: a `use` whose target runs past the head may rename them.
    leads_by_head: HashMap<String, Vec<u32>>,
    /// `use`s by target: (bound key, crate).
    aliases_by_target: HashMap<String, Vec<(String, String)>>,
    /// `use`s by each proper prefix of their target: (bound key, crate, target).
    aliases_into: HashMap<String, Vec<(String, String, String)>>,
    /// Work units spent by the fixpoint (posting entries read, keys and leads made, aliases
    /// followed), held against what parsing the files left would cost.
    spent: std::cell::Cell<u64>,
    /// Bytes of the files neither parsed nor queued.
    unparsed: u64,
    /// The fixpoint cost more than parsing the files left: every file is parsed, every body kept.
    gave_up: bool,
    limits: Limits,
    asked_all: HashSet<(Vec<u32>, Scope)>,
    key_ids: HashMap<String, u32>,
    key_strs: Vec<String>,
    nodes: Vec<KeyNode>,
    watchers: HashMap<String, Vec<u32>>,
    method_nodes: HashMap<(String, String), NameNode>,
    macro_nodes: HashMap<(String, String), NameNode>,
    /// `macro_rules!` bodies by (package, name), as `analysis::program` finds them.
    macro_defs: HashMap<(String, String), Vec<FnRef>>,
    /// Types a catalogue entry returns: builder chains carry them to method calls.
    returns: Vec<String>,
    python_packages: HashSet<String>,
    /// The crates of each package (library, binaries, tests, examples).
    package_crates: HashMap<String, Vec<u32>>,
    global_nodes: HashMap<String, NameNode>,
    asked: HashSet<(u32, u32)>,
    work: Vec<Work>,
    trace: bool,
}

impl<'a> Closure<'a> {
    fn new(files: &'a [PathBuf], catalog: &'a Catalog, index: Index) -> Self {
        Closure {
            files,
            catalog,
            index,
            crate_ids: Vec::new(),
            crate_index: HashMap::new(),
            crate_of: Vec::with_capacity(files.len()),
            module: Vec::with_capacity(files.len()),
            len: Vec::with_capacity(files.len()),
            state: Vec::with_capacity(files.len()),
            next: Vec::new(),
            irs: HashMap::new(),
            places: HashMap::new(),
            moves: HashMap::new(),
            moved_crates: HashMap::new(),
            crate_files: Vec::new(),
            files_by_module: HashMap::new(),
            moved_into: Vec::new(),
            named_by: Vec::new(),
            reaching: HashMap::new(),
            defs: HashMap::new(),
            methods: HashMap::new(),
            globals: HashMap::new(),
            aliases: HashMap::new(),
            callers_by_name: HashMap::new(),
            enclosing: HashMap::new(),
            hot: HashSet::new(),
            closed: HashSet::new(),
            resolved: HashSet::new(),
            hot_names: HashSet::new(),
            leads: Vec::new(),
            lead_ids: HashMap::new(),
            leads_by_prefix: HashMap::new(),
            leads_by_head: HashMap::new(),
            aliases_by_target: HashMap::new(),
            aliases_into: HashMap::new(),
            spent: std::cell::Cell::new(0),
            unparsed: 0,
            gave_up: false,
            limits: Limits::default(),
            asked_all: HashSet::new(),
            key_ids: HashMap::new(),
            key_strs: Vec::new(),
            nodes: Vec::new(),
            watchers: HashMap::new(),
            method_nodes: HashMap::new(),
            macro_nodes: HashMap::new(),
            macro_defs: HashMap::new(),
            returns: {
                let mut r: Vec<String> = catalog
                    .apis
                    .iter()
                    .filter_map(|a| a.returns.clone())
                    .collect();
                r.sort();
                r.dedup();
                r
            },
            python_packages: HashSet::new(),
            package_crates: HashMap::new(),
            global_nodes: HashMap::new(),
            asked: HashSet::new(),
            work: Vec::new(),
            trace: std::env::var_os("FORKLINT_PREFILTER_TRACE").is_some(),
        }
    }

    fn charge(&self, units: u64) {
        self.spent.set(self.spent.get() + units);
    }

    /// The fixpoint has cost more than parsing every file not parsed yet would (plus a floor,
    /// so that a small tree is never parsed whole for a few lookups).
    fn over_budget(&self) -> bool {
        self.spent.get() > self.limits.per_byte * self.unparsed + self.limits.floor
    }

    fn intern_crate(&mut self, id: String) -> u32 {
        if let Some(&i) = self.crate_index.get(&id) {
            return i;
        }
        let i = self.crate_ids.len() as u32;
        self.crate_index.insert(id.clone(), i);
        self.package_crates
            .entry(package_of(&id).to_string())
            .or_default()
            .push(i);
        self.crate_ids.push(id);
        i
    }

    /// Lowers a batch in parallel, largest first so that no thread is left with a big file.
    fn lower(&self, batch: &[usize], layout: &Layout) -> Vec<(usize, Result<FileIr, String>)> {
        let mut order = batch.to_vec();
        order.sort_by_key(|&i| std::cmp::Reverse(self.len[i]));
        order
            .par_iter()
            .with_max_len(1)
            .map(|&i| (i, crate::pipeline::lower_file(&self.files[i], layout)))
            .collect()
    }

    /// Where `#[path]` declarations may move files, as `analysis::program` applies them.
    fn compute_moves(&mut self) {
        let targets = moves::declared(self.irs.values());
        for (i, places) in moves::moved(self.files, &targets) {
            let crates = places
                .iter()
                .filter_map(|(c, _)| self.crate_index.get(c).copied())
                .collect();
            self.moved_crates.insert(i, crates);
            self.moves.insert(i, places.to_vec());
        }
    }

    /// Which crates name which: a call can only resolve into a crate its file names, or one
    /// reached through `use`s of crates it names.
    fn compute_mentions(&mut self) {
        let mut crate_files: Vec<Vec<u32>> = vec![Vec::new(); self.crate_ids.len()];
        for (f, &c) in self.crate_of.iter().enumerate() {
            crate_files[c as usize].push(f as u32);
        }
        for (&f, crates) in &self.moved_crates {
            for &c in crates {
                crate_files[c as usize].push(f as u32);
            }
        }
        for list in &mut crate_files {
            list.sort_unstable();
            list.dedup();
        }
        self.crate_files = crate_files;
        for (f, &c) in self.crate_of.iter().enumerate() {
            self.files_by_module
                .entry((c, self.module[f].join("::")))
                .or_default()
                .push(f as u32);
        }
        self.moved_into = vec![Vec::new(); self.crate_ids.len()];
        for (&f, crates) in &self.moved_crates {
            for &c in crates {
                self.moved_into[c as usize].push(f as u32);
            }
        }
        let mut named_by: Vec<Vec<u32>> = vec![Vec::new(); self.crate_ids.len()];
        for (a, id) in self.crate_ids.iter().enumerate() {
            if !is_identifier(id) {
                continue;
            }
            let mut by: Vec<u32> = Vec::new();
            for f in self.index.files(scan::key(id, ANY)) {
                by.push(self.crate_of[f]);
                by.extend(self.moved_crates.get(&f).into_iter().flatten());
            }
            by.sort_unstable();
            by.dedup();
            named_by[a] = by;
        }
        self.named_by = named_by;
    }

    /// The crates whose files may call into `krate`, itself included.
    fn reaching(&mut self, krate: u32) -> &Vec<bool> {
        let n = self.crate_ids.len();
        let everyone = matches!(
            self.crate_ids[krate as usize].as_str(),
            "std" | "core" | "alloc"
        );
        let named_by = &self.named_by;
        let spent = &self.spent;
        self.reaching.entry(krate).or_insert_with(|| {
            if everyone {
                return vec![true; n];
            }
            spent.set(spent.get() + n as u64);
            let mut seen = vec![false; n];
            let mut stack = vec![krate];
            seen[krate as usize] = true;
            while let Some(c) = stack.pop() {
                for &b in named_by.get(c as usize).into_iter().flatten() {
                    spent.set(spent.get() + 1);
                    if !seen[b as usize] {
                        seen[b as usize] = true;
                        stack.push(b);
                    }
                }
            }
            seen
        })
    }

    fn want(&mut self, f: usize, why: &dyn Fn() -> String) {
        if self.state[f] == FileState::Skipped {
            if self.trace {
                eprintln!("prefilter: {} <- {}", self.files[f].display(), why());
            }
            self.state[f] = FileState::Queued;
            self.unparsed -= self.len[f];
            self.next.push(f);
        }
    }

    fn in_crate(&self, f: usize, krate: u32) -> bool {
        self.crate_of[f] == krate
            || self
                .moved_crates
                .get(&f)
                .is_some_and(|c| c.contains(&krate))
    }

    /// Files of `krate` (or that may be moved into it) holding `name` with this tag.
    fn request(&mut self, kind: u32, name: &str, krate: u32) {
        let key = scan::key(name, kind);
        if !self.asked.insert((key, krate)) {
            return;
        }
        let found = self.crate_files_with(&[key], krate);
        let krate_name = self.crate_ids[krate as usize].clone();
        for f in found {
            self.want(f, &|| {
                let tag = ["any", "def", "use"][kind as usize];
                format!("{tag} {name} in {krate_name}")
            });
        }
    }

    fn reaches(&mut self, f: usize, via: u32) -> bool {
        let crate_of = self.crate_of[f];
        let moved = self.moved_crates.get(&f).cloned();
        let reach = self.reaching(via);
        reach[crate_of as usize] || moved.is_some_and(|cs| cs.iter().any(|&c| reach[c as usize]))
    }

    /// Files of `krate` that may define the item at `key` with this tag on its last segment: the
    /// file's module is a strict prefix of the key's path, and the rest of the path (inline
    /// modules, a type, the item) are identifiers in the file.
    fn request_definers(&mut self, kind: u32, key: &str, krate: u32) {
        let tail = &key[self.crate_ids[krate as usize].len()..];
        let segs: Vec<&str> = tail
            .strip_prefix("::")
            .unwrap_or(tail)
            .split("::")
            .map(strip_raw)
            .collect();
        let Some((&last, _)) = segs.split_last() else {
            return;
        };
        let last_key = scan::key(last, kind);
        let seg_keys: Vec<u32> = segs.iter().map(|s| scan::key(s, ANY)).collect();
        if !self
            .asked_all
            .insert((seg_keys.clone(), Scope::Defines(krate, kind)))
        {
            return;
        }
        // Candidates by module (each strict prefix of the path names one), not by the name's
        // posting list: a crate where many files define a `new` pulls only the right ones.
        let holds = |f: usize| self.index.contains(last_key, f);
        let mut found: Vec<usize> = self
            .moved_into
            .get(krate as usize)
            .into_iter()
            .flatten()
            .map(|&f| f as usize)
            .filter(|&f| holds(f))
            .collect();
        let mut module = String::new();
        for (depth, seg) in segs.iter().enumerate() {
            let list = self.files_by_module.get(&(krate, module.clone()));
            self.charge(1 + list.map_or(0, |l| l.len() as u64));
            found.extend(
                list.into_iter()
                    .flatten()
                    .map(|&f| f as usize)
                    .filter(|&f| {
                        holds(f) && seg_keys[depth..].iter().all(|&k| self.index.contains(k, f))
                    }),
            );
            if !module.is_empty() {
                module.push_str("::");
            }
            module.push_str(seg);
        }
        for f in found {
            self.want(f, &|| format!("{kind}:{key}"));
        }
    }

    /// The files of `krate` holding every key: by the crate's own files or by the shortest
    /// posting list, whichever is shorter, so that many crates sharing a name stay linear.
    fn crate_files_with(&self, keys: &[u32], krate: u32) -> Vec<usize> {
        let own = &self.crate_files[krate as usize];
        let Some(&first) = keys.iter().min_by_key(|&&k| self.index.files(k).len()) else {
            return Vec::new();
        };
        self.charge((own.len().min(self.index.files(first).len()) * keys.len()) as u64 + 1);
        if own.len() <= self.index.files(first).len() {
            return own
                .iter()
                .map(|&f| f as usize)
                .filter(|&f| keys.iter().all(|&k| self.index.contains(k, f)))
                .collect();
        }
        self.index
            .files(first)
            .filter(|&f| self.in_crate(f, krate))
            .filter(|&f| keys.iter().all(|&k| self.index.contains(k, f)))
            .collect()
    }

    /// Files in `scope` holding every one of `names` with this tag.
    fn request_all(&mut self, kind: u32, names: &[&str], scope: Scope) {
        let keys: Vec<u32> = names.iter().map(|n| scan::key(n, kind)).collect();
        if !self.asked_all.insert((keys.clone(), scope)) {
            return;
        }
        if let Scope::Crate(c) = scope {
            let found = self.crate_files_with(&keys, c);
            for f in found {
                self.want(f, &|| format!("{kind}:{} {scope:?}", names.join("+")));
            }
            return;
        }
        // Driven by the shortest posting list, the others probed: a common name costs nothing
        // when asked for with a rare one.
        let Some(&first) = keys.iter().min_by_key(|&&k| self.index.files(k).len()) else {
            return;
        };
        self.charge((self.index.files(first).len() * keys.len()) as u64);
        let found: Vec<usize> = self
            .index
            .files(first)
            .filter(|&f| {
                keys.iter()
                    .all(|&k| k == first || self.index.contains(k, f))
            })
            .collect();
        for f in found {
            let inside = match scope {
                Scope::Crate(c) => self.in_crate(f, c),
                Scope::Reaching(c) => self.reaches(f, c),
                Scope::Anywhere => true,
                Scope::Defines(..) => true,
            };
            if inside {
                self.want(f, &|| format!("{kind}:{} {scope:?}", names.join("+")));
            }
        }
    }

    /// The scanned crates a key may belong to (a crate id followed by `::`).
    fn crates_of(&self, key: &str) -> Vec<u32> {
        key.match_indices("::")
            .filter_map(|(i, _)| self.crate_index.get(&key[..i]).copied())
            .collect()
    }

    /// Records what a parsed file defines and calls.
    fn integrate(&mut self, fi: usize) {
        let Some(ir) = self.irs.remove(&fi) else {
            return;
        };
        let mut places = vec![FileIr {
            crate_name: ir.crate_name.clone(),
            module: ir.module.clone(),
            ..Default::default()
        }];
        for (crate_name, module) in self.moves.get(&fi).into_iter().flatten() {
            places.push(FileIr {
                crate_name: crate_name.clone(),
                module: module.clone(),
                ..Default::default()
            });
        }
        for (i, f) in ir.functions.iter().enumerate() {
            let me = (fi as u32, i as u32);
            if matches!(f.kind, FnKind::Free | FnKind::Method) {
                for place in &places {
                    let key = absolute(place, &f.path);
                    if f.kind == FnKind::Method {
                        let m = (place.crate_name.clone(), last_segment(&key).to_string());
                        if self.method_nodes.get(&m).is_some_and(|n| n.closing) {
                            self.work.push(Work::Close(me));
                        }
                        self.methods.entry(m).or_default().push(me);
                    }
                    if let Some(&id) = self.key_ids.get(&key) {
                        if self.nodes[id as usize].closing {
                            self.work.push(Work::Close(me));
                        }
                    }
                    self.defs.entry(key).or_default().push(me);
                }
            }
            let (mut forks, mut spawns, mut triggers) = (false, false, false);
            let mut calls = 0;
            let mut visit = |call: &Call| {
                calls += 1;
                if let Callee::Local(c) = call.callee {
                    self.enclosing.entry((me.0, c as u32)).or_default().push(me);
                }
                for &c in &call.closures {
                    self.enclosing.entry((me.0, c as u32)).or_default().push(me);
                }
                for name in call_names(call) {
                    let name = strip_raw(name);
                    if self.hot_names.contains(name) {
                        self.work.push(Work::Resolve(me, name.to_string()));
                    }
                    self.callers_by_name
                        .entry(name.to_string())
                        .or_default()
                        .push(me);
                }
                for e in call_effects(self.catalog, &self.returns, &ir, call) {
                    forks |= is_fork_effect(&e);
                    spawns |= e == Effect::SpawnsCommand;
                    triggers |= is_spawn_trigger(&e);
                }
            };
            for call in &f.implied {
                visit(call);
            }
            for_each_call(&f.body, &mut visit);
            self.charge(calls);
            if forks || (spawns && triggers) {
                self.work.push(Work::Hot(me));
            }
        }
        for g in &ir.globals {
            for place in &places {
                let key = absolute(place, &g.path);
                let init = (fi as u32, g.init as u32);
                if self.global_nodes.get(&key).is_some_and(|n| n.closing) {
                    self.work.push(Work::Close(init));
                }
                self.globals.entry(key).or_default().push(init);
            }
        }
        let mut new_aliases = Vec::new();
        for (alias, target) in &ir.reexports {
            for place in &places {
                let key = absolute(place, alias);
                let target = absolute(place, target);
                let through: Vec<u32> = self
                    .leads_by_prefix
                    .get(&target)
                    .cloned()
                    .unwrap_or_default();
                self.charge(through.len() as u64 + 1);
                for id in through {
                    let lead =
                        self.leads[id as usize].through_prefix(&place.crate_name, &key, &target);
                    self.push_lead(lead);
                }
                for end in prefix_ends(&target) {
                    let prefix = &target[..end];
                    if end == target.len() || self.crate_index.contains_key(prefix) {
                        continue;
                    }
                    let into: Vec<u32> =
                        self.leads_by_head.get(prefix).cloned().unwrap_or_default();
                    self.charge(into.len() as u64 + 1);
                    for id in into {
                        let made =
                            self.leads[id as usize].through_tail(&place.crate_name, &key, &target);
                        for l in made {
                            self.push_lead(l);
                        }
                    }
                    self.aliases_into
                        .entry(prefix.to_string())
                        .or_default()
                        .push((key.clone(), place.crate_name.clone(), target.clone()));
                }
                self.aliases_by_target
                    .entry(target.clone())
                    .or_default()
                    .push((key.clone(), place.crate_name.clone()));
                self.aliases
                    .entry(key.clone())
                    .or_default()
                    .push(target.clone());
                new_aliases.push((key, target));
            }
        }
        for (name, index) in &ir.macros {
            let body = (fi as u32, *index as u32);
            for place in &places {
                let k = (package_of(&place.crate_name).to_string(), name.clone());
                if self.macro_nodes.get(&k).is_some_and(|n| n.closing) {
                    self.work.push(Work::Close(body));
                }
                self.macro_defs.entry(k).or_default().push(body);
            }
        }
        let mut python = Vec::new();
        for place in &places {
            let package = package_of(&place.crate_name).to_string();
            if ir.python_entry && self.python_packages.insert(package.clone()) {
                python.push(package.clone());
            }
            if self.python_packages.contains(&package) {
                // Every function of a package loaded into Python may be reported on.
                for i in 0..ir.functions.len() {
                    self.work.push(Work::Close((fi as u32, i as u32)));
                }
            }
        }
        self.places.insert(fi, places);
        self.irs.insert(fi, ir);
        for package in python {
            self.python_package(&package);
        }
        for (key, target) in new_aliases {
            let watchers = self.watchers.get(&key).cloned().unwrap_or_default();
            for id in watchers {
                let rewritten = format!("{target}{}", &self.key_strs[id as usize][key.len()..]);
                let steps = self.nodes[id as usize].steps + 1;
                self.edge(id, &rewritten, steps);
            }
        }
    }

    fn process(&mut self) {
        while let Some(w) = self.work.pop() {
            self.charge(1);
            if self.over_budget() {
                self.gave_up = true;
                self.work.clear();
                return;
            }
            match w {
                Work::Hot(f) => self.hot(f),
                Work::Close(f) => self.close(f),
                Work::Resolve(f, name) => self.resolve(f, Some(&name)),
                Work::Lead(lead) => self.lead(lead),
            }
        }
    }

    /// The node of a looked-up key, made (and its tables' files requested) on first use.
    fn node(&mut self, key: &str, steps: usize) -> Option<u32> {
        if steps > MAX_ALIAS_STEPS {
            return None;
        }
        if let Some(&id) = self.key_ids.get(key) {
            if steps < self.nodes[id as usize].steps {
                self.nodes[id as usize].steps = steps;
                self.expand(id);
            }
            return Some(id);
        }
        self.charge(1 + key.len() as u64 / 8);
        let id = self.nodes.len() as u32;
        self.key_ids.insert(key.to_string(), id);
        self.key_strs.push(key.to_string());
        let hot = self
            .defs
            .get(key)
            .into_iter()
            .flatten()
            .any(|f| self.hot.contains(f));
        self.nodes.push(KeyNode {
            steps,
            hot,
            ..Default::default()
        });
        let crates = self.crates_of(key);
        if crates.is_empty() {
            // No scanned crate: nothing defines it and no `use` rewrites it.
            return Some(id);
        }
        for &c in &crates {
            self.request_definers(DEF, key, c);
        }
        for end in prefix_ends(key) {
            let prefix = &key[..end];
            if self.crate_index.contains_key(prefix) {
                continue;
            }
            for c in self.crates_of(prefix) {
                self.request_definers(USE, prefix, c);
            }
            self.watchers
                .entry(prefix.to_string())
                .or_default()
                .push(id);
        }
        self.expand(id);
        Some(id)
    }

    /// Follows the `use`s known so far at the key and at its prefixes.
    fn expand(&mut self, id: u32) {
        let key = self.key_strs[id as usize].clone();
        let steps = self.nodes[id as usize].steps + 1;
        for end in prefix_ends(&key) {
            let targets = self.aliases.get(&key[..end]).cloned().unwrap_or_default();
            for target in targets {
                self.edge(id, &format!("{target}{}", &key[end..]), steps);
            }
        }
    }

    fn edge(&mut self, from: u32, to_key: &str, steps: usize) {
        self.charge(1);
        let Some(to) = self.node(to_key, steps) else {
            return;
        };
        if to == from || self.nodes[from as usize].fwd.contains(&to) {
            return;
        }
        self.nodes[from as usize].fwd.push(to);
        self.nodes[to as usize].rev.push(from);
        if self.nodes[from as usize].closing {
            self.set_closing(to);
        }
        if self.nodes[to as usize].hot {
            self.set_hot(from);
        }
    }

    fn set_closing(&mut self, id: u32) {
        let mut stack = vec![id];
        while let Some(id) = stack.pop() {
            self.charge(1);
            let node = &mut self.nodes[id as usize];
            if node.closing {
                continue;
            }
            node.closing = true;
            stack.extend(node.fwd.iter().copied());
            for &f in self
                .defs
                .get(&self.key_strs[id as usize])
                .into_iter()
                .flatten()
            {
                self.work.push(Work::Close(f));
            }
        }
    }

    fn set_hot(&mut self, id: u32) {
        let mut stack = vec![id];
        while let Some(id) = stack.pop() {
            self.charge(1);
            let node = &mut self.nodes[id as usize];
            if node.hot {
                continue;
            }
            node.hot = true;
            stack.extend(node.rev.iter().copied());
            self.work
                .extend(node.subscribers.iter().map(|&g| Work::Hot(g)));
        }
    }

    /// Parses every file of a package with Python entry points, and closes what is parsed.
    fn python_package(&mut self, package: &str) {
        let crates = self
            .package_crates
            .get(package)
            .cloned()
            .unwrap_or_default();
        let files: Vec<usize> = crates
            .iter()
            .flat_map(|&c| self.crate_files[c as usize].iter().map(|&f| f as usize))
            .collect();
        for f in files {
            self.want(f, &|| format!("package {package} is loaded into Python"));
        }
        let parsed: Vec<usize> = self
            .irs
            .iter()
            .filter(|(_, ir)| package_of(&ir.crate_name) == package)
            .map(|(&f, _)| f)
            .collect();
        for f in parsed {
            let n = self.irs[&f].functions.len();
            for i in 0..n {
                self.work.push(Work::Close((f as u32, i as u32)));
            }
        }
    }

    fn macro_node(&mut self, package: &str, name: &str) -> &mut NameNode {
        let k = (package.to_string(), name.to_string());
        if !self.macro_nodes.contains_key(&k) {
            for c in self
                .package_crates
                .get(package)
                .cloned()
                .unwrap_or_default()
            {
                self.request_all(DEF, &[strip_raw(name)], Scope::Crate(c));
            }
            let node = NameNode::defined_by(self.macro_defs.get(&k), &self.hot);
            self.macro_nodes.insert(k.clone(), node);
        }
        self.macro_nodes.get_mut(&k).expect("inserted above")
    }

    fn method_node(&mut self, krate: &str, name: &str) -> &mut NameNode {
        let k = (krate.to_string(), name.to_string());
        if !self.method_nodes.contains_key(&k) {
            if let Some(&c) = self.crate_index.get(krate) {
                self.request(DEF, strip_raw(name), c);
            }
            let node = NameNode::defined_by(self.methods.get(&k), &self.hot);
            self.method_nodes.insert(k.clone(), node);
        }
        self.method_nodes.get_mut(&k).expect("inserted above")
    }

    fn global_node(&mut self, key: &str) -> &mut NameNode {
        if !self.global_nodes.contains_key(key) {
            for c in self.crates_of(key) {
                self.request_definers(DEF, key, c);
            }
            let hot = self
                .globals
                .get(key)
                .into_iter()
                .flatten()
                .any(|f| self.hot.contains(f));
            self.global_nodes.insert(
                key.to_string(),
                NameNode {
                    hot,
                    ..Default::default()
                },
            );
        }
        self.global_nodes.get_mut(key).expect("inserted above")
    }

    /// `f` may reach a fork: it and all it calls matter, and so do its callers.
    fn hot(&mut self, f: FnRef) {
        if !self.hot.insert(f) {
            return;
        }
        self.work.push(Work::Close(f));
        let fi = f.0 as usize;
        let (Some(ir), Some(places)) = (self.irs.get(&fi), self.places.get(&fi)) else {
            return;
        };
        let mut keys = Vec::new();
        let macros: Vec<(String, String)> = ir
            .macros
            .iter()
            .filter(|(_, i)| *i == f.1 as usize)
            .flat_map(|(name, _)| {
                places
                    .iter()
                    .map(move |p| (package_of(&p.crate_name).to_string(), name.clone()))
            })
            .collect();
        for (package, name) in macros {
            let node = self.macro_node(&package, &name);
            node.hot = true;
            let subs = node.subscribers.clone();
            self.work.extend(subs.into_iter().map(Work::Hot));
            self.note_hot_name(&name);
            for c in self
                .package_crates
                .get(&package)
                .cloned()
                .unwrap_or_default()
            {
                self.request_all(ANY, &[strip_raw(&name)], Scope::Crate(c));
            }
        }
        let (Some(ir), Some(places)) = (self.irs.get(&fi), self.places.get(&fi)) else {
            return;
        };
        let function = &ir.functions[f.1 as usize];
        match function.kind {
            FnKind::Closure => {
                let enclosing = self.enclosing.get(&f).cloned().unwrap_or_default();
                self.work.extend(enclosing.into_iter().map(Work::Hot));
            }
            FnKind::GlobalInit => {
                for g in ir.globals.iter().filter(|g| g.init == f.1 as usize) {
                    for place in places {
                        keys.push((place.crate_name.clone(), absolute(place, &g.path), false));
                    }
                }
            }
            FnKind::Free | FnKind::Method => {
                for place in places {
                    let method = function.kind == FnKind::Method;
                    keys.push((
                        place.crate_name.clone(),
                        absolute(place, &function.path),
                        method,
                    ));
                }
            }
        }
        let global = function.kind == FnKind::GlobalInit;
        for (krate, key, method) in keys {
            let name = last_segment(&key).to_string();
            if global {
                let node = self.global_node(&key);
                node.hot = true;
                let subs = node.subscribers.clone();
                self.work.extend(subs.into_iter().map(Work::Hot));
            } else {
                if let Some(&id) = self.key_ids.get(&key) {
                    self.set_hot(id);
                }
                if method {
                    let node = self.method_node(&krate, &name);
                    node.hot = true;
                    let subs = node.subscribers.clone();
                    self.work.extend(subs.into_iter().map(Work::Hot));
                }
            }
            self.work.push(Work::Lead(Lead::exact(krate, key, method)));
        }
    }

    /// Name-level: functions calling a hot name are resolved.
    fn note_hot_name(&mut self, name: &str) {
        if self.hot_names.insert(name.to_string()) {
            for &g in self.callers_by_name.get(name).into_iter().flatten() {
                self.work.push(Work::Resolve(g, name.to_string()));
            }
        }
    }

    /// Parses every file that may call a key of the lead:
    /// - in its crate, files holding its name (for a method `T::m`: `m` and `T`, or only `m`
    ///   where the unique-method-name fallback applies);
    /// - in other crates that can reach it, files that also hold the crate's name (a path into
    ///   another crate starts with that crate's name, or goes through a `use` that does);
    /// - files whose `use`s may bind a prefix of the key under another name (a module or type
    ///   re-exported or renamed): each such `use` makes another lead, in its own crate.
    fn lead(&mut self, lead: Lead) {
        if self.lead_ids.contains_key(&lead) {
            return;
        }
        self.charge(8);
        let id = self.leads.len() as u32;
        self.lead_ids.insert(lead.clone(), id);
        self.leads.push(lead.clone());
        let name = strip_raw(&lead.name).to_string();
        self.note_hot_name(&name);
        if let Some(&c) = self.crate_index.get(&lead.krate) {
            self.lead_requests(&lead, &name, c);
        }
        // `use`s already seen whose target is the head or one of its prefixes, or runs past it.
        for end in prefix_ends(&lead.head) {
            let prefix = &lead.head[..end];
            if self.crate_index.contains_key(prefix) {
                continue;
            }
            let aliases = self
                .aliases_by_target
                .get(prefix)
                .cloned()
                .unwrap_or_default();
            self.charge(aliases.len() as u64 + 1);
            for (bound, bound_crate) in aliases {
                self.push_lead(lead.through_prefix(&bound_crate, &bound, prefix));
            }
            self.leads_by_prefix
                .entry(prefix.to_string())
                .or_default()
                .push(id);
        }
        if lead.tail != leads::Tail::Exact {
            let aliases = self
                .aliases_into
                .get(&lead.head)
                .cloned()
                .unwrap_or_default();
            self.charge(aliases.len() as u64);
            for (bound, bound_crate, target) in aliases {
                for l in lead.through_tail(&bound_crate, &bound, &target) {
                    self.push_lead(l);
                }
            }
            self.leads_by_head
                .entry(lead.head.clone())
                .or_default()
                .push(id);
        }
    }

    fn push_lead(&mut self, lead: Lead) {
        // A lead costs a few strings and a hash: more than one posting entry.
        self.charge(4);
        if !self.lead_ids.contains_key(&lead) {
            self.work.push(Work::Lead(lead));
        }
    }

    /// The files a lead's keys may be called from, or renamed in.
    fn lead_requests(&mut self, lead: &Lead, name: &str, c: u32) {
        let ty = lead.ty().map(|t| strip_raw(t).to_string());
        let mut names = vec![name];
        names.extend(ty.as_deref());
        self.request_all(ANY, &names, Scope::Crate(c));
        if lead.method && !STD_METHODS.contains(&name) {
            self.request_all(ANY, &[name], Scope::Crate(c));
        }
        if let Some(ty) = &ty {
            self.request_all(AS, &[ty], Scope::Crate(c));
        }
        if lead.method
            && self
                .returns
                .iter()
                .any(|t| lead.may_be(&format!("{t}::{}", lead.name)))
        {
            // A builder chain reaches it from any file calling the method by name.
            self.request_all(ANY, &[name], Scope::Anywhere);
        }
        let krate = lead.krate.as_str();
        if is_identifier(krate) {
            names.push(krate);
            self.request_all(ANY, &names, Scope::Reaching(c));
            // A `use` binding a prefix of a key names the crate and the key's first segment
            // past it; the head's other segments and the name are asked for too.
            let tail = lead
                .head
                .strip_prefix(krate)
                .and_then(|t| t.strip_prefix("::"))
                .unwrap_or(&lead.head);
            let mut segs: Vec<&str> = tail.split("::").map(strip_raw).collect();
            segs.push(name);
            segs.extend(ty.as_deref());
            for seg in segs {
                self.request_all(USE, &[krate, seg], Scope::Reaching(c));
            }
        }
    }

    /// What resolving each call of `f` (each call written with `name`, if given) reads.
    fn probes(&self, f: FnRef, name: Option<&str>) -> Vec<Probe> {
        let fi = f.0 as usize;
        let (Some(ir), Some(places)) = (self.irs.get(&fi), self.places.get(&fi)) else {
            return Vec::new();
        };
        let function = &ir.functions[f.1 as usize];
        let catalog = self.catalog;
        let mut out = Vec::new();
        let mut visit = |call: &Call| {
            if name.is_some_and(|n| !call_names(call).iter().any(|c| strip_raw(c) == n)) {
                return;
            }
            for &c in &call.closures {
                out.push(Probe::Inner(c as u32));
            }
            // A function named as an argument (an atfork child handler) is looked up too.
            for (_, path) in &call.fn_args {
                for place in places {
                    out.push(Probe::Key(absolute(place, path)));
                }
            }
            if let Callee::Local(c) = call.callee {
                out.push(Probe::Inner(c as u32));
            }
            for place in places {
                let chain = Chain::AnyOf(&self.returns);
                for step in steps(place, &ir.crates_used, call, catalog, chain) {
                    out.push(match step {
                        Step::Apis(_) => continue,
                        Step::Key { key, .. } => Probe::Key(key),
                        Step::Method { krate, name } => Probe::Method(krate, name),
                        Step::Global(key) => Probe::Global(key),
                        Step::Macro { package, name } => Probe::Macro(package, name),
                    });
                }
            }
        };
        for call in &function.implied {
            visit(call);
        }
        for_each_call(&function.body, &mut visit);
        // Places and chain types repeat keys.
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Completes the tables `f`'s calls read, and makes `f` hot if one of them leads to a hot
    /// function.
    fn resolve(&mut self, f: FnRef, name: Option<&str>) {
        if !self.resolved.insert((f, name.unwrap_or("").to_string())) {
            return;
        }
        let probes = self.probes(f, name);
        self.charge(probes.len() as u64);
        for probe in probes {
            let hot = match probe {
                Probe::Key(key) => match self.node(&key, 0) {
                    Some(id) => {
                        let node = &mut self.nodes[id as usize];
                        node.subscribers.push(f);
                        node.hot
                    }
                    None => false,
                },
                Probe::Method(krate, name) => {
                    let node = self.method_node(&krate, &name);
                    node.subscribers.push(f);
                    node.hot
                }
                Probe::Global(key) => {
                    let node = self.global_node(&key);
                    node.subscribers.push(f);
                    node.hot
                }
                Probe::Macro(package, name) => {
                    let node = self.macro_node(&package, &name);
                    node.subscribers.push(f);
                    node.hot
                }
                Probe::Inner(_) => false,
            };
            if hot {
                self.work.push(Work::Hot(f));
            }
        }
    }

    /// `f`'s summary matters: every call it makes must resolve as in a full run, and what it
    /// calls matters too.
    fn close(&mut self, f: FnRef) {
        if !self.closed.insert(f) {
            return;
        }
        self.resolve(f, None);
        for probe in self.probes(f, None) {
            match probe {
                Probe::Key(key) => {
                    if let Some(id) = self.node(&key, 0) {
                        self.set_closing(id);
                    }
                }
                Probe::Method(krate, name) => {
                    let node = self.method_node(&krate, &name);
                    if !node.closing {
                        node.closing = true;
                        let found = self.methods.get(&(krate, name)).cloned();
                        self.work
                            .extend(found.into_iter().flatten().map(Work::Close));
                    }
                }
                Probe::Global(key) => {
                    let node = self.global_node(&key);
                    if !node.closing {
                        node.closing = true;
                        let found = self.globals.get(&key).cloned();
                        self.work
                            .extend(found.into_iter().flatten().map(Work::Close));
                    }
                }
                Probe::Macro(package, name) => {
                    let node = self.macro_node(&package, &name);
                    if !node.closing {
                        node.closing = true;
                        let found = self.macro_defs.get(&(package, name)).cloned();
                        self.work
                            .extend(found.into_iter().flatten().map(Work::Close));
                    }
                }
                Probe::Inner(c) => self.work.push(Work::Close((f.0, c))),
            }
        }
    }
}

/// Gives back the growth slack of an IR's vectors: parsed files stay in memory until the
/// fixpoint ends.
fn compact(ir: &mut FileIr) {
    fn block(b: &mut crate::ir::Block) {
        for node in &mut b.nodes {
            match node {
                crate::ir::Node::Call(c) => call(c),
                crate::ir::Node::Branch(br) => {
                    for arm in &mut br.arms {
                        block(&mut arm.body);
                    }
                    br.arms.shrink_to_fit();
                }
                crate::ir::Node::Loop { body, .. } | crate::ir::Node::Block(body) => block(body),
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
    for f in &mut ir.functions {
        block(&mut f.body);
        f.implied.iter_mut().for_each(call);
        f.implied.shrink_to_fit();
        f.params.shrink_to_fit();
        f.returns.shrink_to_fit();
    }
    ir.functions.shrink_to_fit();
    ir.globals.shrink_to_fit();
    ir.reexports.shrink_to_fit();
    ir.crates_used.shrink_to_fit();
}

/// With `FORKLINT_PREFILTER_TRACE`, the resident memory at a point of the run.
fn trace_rss(at: &str) {
    if std::env::var_os("FORKLINT_PREFILTER_TRACE").is_none() {
        return;
    }
    if let Ok(statm) = std::fs::read_to_string("/proc/self/statm") {
        if let Some(pages) = statm
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u64>().ok())
        {
            eprintln!("prefilter: {} MB resident {at}", (pages * 4096) >> 20);
        }
    }
}

/// The names a call is written with: the last segment of each candidate path, the method name,
/// the global's name.
fn call_names(call: &Call) -> Vec<&str> {
    match &call.callee {
        Callee::Path(candidates) => candidates.iter().map(|c| last_segment(c)).collect(),
        Callee::Method { name, .. } => vec![name.as_str()],
        Callee::Global(path) | Callee::Macro(path) => vec![last_segment(path)],
        Callee::Local(_) => Vec::new(),
    }
}

/// Every effect of the catalogue entries a call could resolve to, in any order of the
/// resolution's steps (a builder chain's `returns` types included).
fn call_effects(catalog: &Catalog, returns: &[String], ir: &FileIr, call: &Call) -> Vec<Effect> {
    // The catalogue's steps are the same wherever the file sits.
    steps(ir, &ir.crates_used, call, catalog, Chain::AnyOf(returns))
        .into_iter()
        .filter_map(|step| match step {
            Step::Apis(apis) => Some(apis),
            _ => None,
        })
        .flatten()
        .flat_map(|i| catalog.apis[i].effects.iter().copied())
        .collect()
}
