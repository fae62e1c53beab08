//! The fixpoint: from the seeds, the growing set of parsed files, and what is asked of the files
//! not parsed yet, until every function whose summary matters has its calls resolved as in a
//! full run.

mod ahead;
mod chains;
mod crates;
mod defs;
mod entries;
mod keys;
mod propagate;
mod requests;

use super::leads::Lead;
use super::memory::trace_rss;
use super::scan::Index;
use super::{takes_rest, Limits, Outcome, Scanned};
use crate::catalog::Catalog;
use crate::frontend::rust::layout::Layout;
use crate::ir::{Call, Callee, FileIr};
use crate::resolve::steps::Returns;
use crate::resolve::{last_segment, FnRef};
use ahead::Ahead;
use rayon::prelude::*;
// The fixpoint's tables are keyed by paths and names it hashes many times over: Fx costs a
// fraction of SipHash per key (SipHash's resistance to chosen collisions buys nothing here: the
// work budget bounds the run, not the hash).
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::path::PathBuf;
use std::time::Instant;

/// Runs the fixpoint over the scanned files from the seeds, and lowers the files it selects.
pub(super) fn drive(
    files: &[PathBuf],
    layout: &Layout,
    catalog: &Catalog,
    limits: Limits,
    index: Index,
    scanned: Vec<Scanned>,
) -> Outcome {
    let ahead = Ahead::new(files.len());
    rayon::scope(|s| {
        let ahead = &ahead;
        let spawn = |f: usize| s.spawn(move |_| ahead.lower(f, &files[f], layout));
        let mut st = Closure::new(files, catalog, index, ahead, &spawn);
        st.limits = limits;
        drive_rounds(st, layout, scanned)
    })
}

/// The fixpoint's rounds, from the scanned files.
fn drive_rounds(mut st: Closure, layout: &Layout, scanned: Vec<Scanned>) -> Outcome {
    let mut outcome = Outcome::default();
    for (i, s) in scanned.into_iter().enumerate() {
        let id = st.intern_crate(s.crate_id);
        st.crate_of.push(id);
        st.module.push(s.module);
        st.len.push(s.len);
        outcome.marked.push(s.marked);
        if let Some(ir) = s.lowered {
            st.lowered.insert(i, ir);
        }
        match s.result {
            Ok((_, seed)) => {
                outcome.bytes += s.len;
                if seed {
                    st.state.push(FileState::Queued);
                    st.next.push(i);
                    st.next_bytes += s.len;
                } else {
                    st.state.push(FileState::Skipped);
                    st.unparsed += s.len;
                }
            }
            Err(message) => {
                st.state.push(FileState::Failed);
                outcome.results.push((i, Err(message)));
            }
        }
    }
    st.budget = st.limits.budget(st.len.len() as u64, outcome.bytes);
    st.total = outcome.bytes;
    let packages: Vec<String> = st.package_crates.keys().cloned().collect();
    for package in packages {
        for linked in layout.linked(&package) {
            st.dependents
                .entry(linked)
                .or_default()
                .push(package.clone());
        }
    }
    let start = Instant::now();
    if st.trace {
        eprintln!("prefilter: {} seeds", st.next.len());
    }
    let mut round = 0;
    loop {
        if !st.gave_up && !outcome.took_rest && st.rest_due() {
            outcome.took_rest = true;
            for f in 0..st.state.len() {
                st.want(f, &|| "the files selected hold half the tree".to_string());
            }
        }
        // Files whose dropped bodies are asked for again: parsed again, not integrated again.
        let mut again = std::mem::take(&mut st.reparse);
        let batch = std::mem::take(&mut st.next);
        if batch.is_empty() && again.is_empty() {
            break;
        }
        let bytes = std::mem::take(&mut st.next_bytes);
        st.round_bytes = bytes;
        let parse_all = st.gave_up || outcome.took_rest;
        if parse_all {
            // A plain parse keeps every body.
            again.extend(st.stripped.drain());
            st.deferred.clear();
        }
        again.sort_unstable();
        again.dedup();
        let t = Instant::now();
        let mut lowered = st.lower(&batch, &again, layout);
        outcome.reads += lowered.len();
        lowered.extend(
            batch
                .iter()
                .filter_map(|f| Some((*f, st.lowered.remove(f)?))),
        );
        let lower_time = t.elapsed();
        lowered.sort_by_key(|(i, _)| *i);
        outcome.parsed += batch.len();
        outcome.reparsed += again.len();
        let mut ok = Vec::new();
        for (i, result) in lowered {
            let restored = again.binary_search(&i).is_ok();
            st.stripped.remove(&i);
            match result {
                Ok(ir) => {
                    st.irs.insert(i, ir);
                    st.state[i] = FileState::Parsed;
                    if restored {
                        let work = st.deferred.remove(&i).unwrap_or_default();
                        st.work.extend(work);
                    } else {
                        ok.push(i);
                    }
                }
                Err(message) => {
                    st.irs.remove(&i);
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
            continue;
        }
        if round == 0 {
            // Every file holding `#[path]` is in the first round: where each file sits in its
            // crate is known before any name is placed.
            st.compute_moves();
            st.compute_mentions();
        }
        for i in ok {
            if st.rest_due() {
                break;
            }
            st.integrate(i);
        }
        st.process();
        if st.gave_up {
            // Parsing what is left costs less than resolving further: the run becomes a plain
            // parse of every file.
            for f in 0..st.state.len() {
                st.want(f, &|| "the fixpoint gave up".to_string());
            }
        } else {
            st.held += bytes;
            // The next round parses every file with its body: none is dropped to be parsed again.
            if st.held > st.limits.bodies_above && !st.rest_due() {
                st.drop_bodies();
            }
        }
        round += 1;
        if st.trace {
            eprintln!(
                "prefilter: round {round}: {} files, {} KB lowered in {:.3}s ({} parsed again); resolution {:.3}s{}",
                batch.len(),
                bytes >> 10,
                lower_time.as_secs_f64(),
                again.len(),
                (t.elapsed() - lower_time).as_secs_f64(),
                if st.rest_due() {
                    format!(", stopped with {} work items left: the next round takes the rest", st.work.len())
                } else {
                    String::new()
                }
            );
            trace_rss(&format!("after round {round}"));
        }
    }
    outcome.rounds = round;
    outcome.parse = start.elapsed();
    outcome.work = st.spent.get();
    outcome.gave_up = st.gave_up;
    if st.trace {
        eprintln!(
            "prefilter: {} index entries, {} rounds, parse {:.3}s, {} parsed, {} hot, {} closed, {} resolved, {} keys, {} leads, {} work units for {} bytes{}",
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileState {
    Skipped,
    Queued,
    Parsed,
    /// Unreadable, not UTF-8, too deep, or rejected by the parser: reported, never analysed.
    Failed,
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

/// A looked-up path: the lookup reads the functions and `use`s bound there, and goes on to the
/// keys those `use`s rewrite it to.
#[derive(Debug, Default)]
struct KeyNode {
    /// `use`s followed to get here (the lookup gives up after `MAX_ALIAS_STEPS`).
    steps: usize,
    /// Reached through a glob re-export: the lookup follows no other glob from here.
    globbed: bool,
    /// The functions found here matter: a closed function may call them.
    closing: bool,
    /// A function found here, or through a `use` from here, may reach a fork.
    hot: bool,
    /// Resolved functions with a call that looks this key up.
    subscribers: Vec<FnRef>,
    /// Closed functions whose receiver types read this key (`chains`).
    typers: Vec<FnRef>,
    fwd: Vec<u32>,
    rev: Vec<u32>,
}

/// A method name in a crate (the unique-name fallback), or a global's path.
#[derive(Debug, Default)]
struct NameNode {
    closing: bool,
    hot: bool,
    subscribers: Vec<FnRef>,
    /// Closed functions whose receiver types read this name (`chains`).
    typers: Vec<FnRef>,
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
    /// A lookup its receiver types read found another function: its calls may look up more.
    Retype(FnRef),
}

/// The growing set of parsed files and what the fixpoint has asked of them.
struct Closure<'a> {
    files: &'a [PathBuf],
    /// Files taken by a task ahead, and their IR (`ahead`).
    ahead: &'a Ahead,
    /// Starts the task ahead for a file just wanted.
    spawn: &'a (dyn Fn(usize) + 'a),
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
    /// The first round's files, lowered by the scan.
    lowered: HashMap<usize, Result<FileIr, String>>,
    /// Parsed files whose functions outside `closed` have no body any more.
    stripped: HashSet<usize>,
    /// Stripped files asked for a body, to parse again next round.
    reparse: Vec<usize>,
    /// Work on functions of stripped files, waiting for the file to be parsed again.
    deferred: HashMap<usize, Vec<Work>>,
    /// Source bytes of the files parsed so far.
    held: u64,
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
    /// `pub use target::*` declarations: module key → target keys.
    globs: HashMap<String, Vec<String>>,
    callers_by_name: HashMap<String, Vec<FnRef>>,
    enclosing: HashMap<FnRef, Vec<FnRef>>,
    /// Counts the changes to what receiver types read (a definition, a method, an edge from a
    /// key): a function's types read twice with no change between are the same.
    types_version: u64,
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
    /// `use`s and globs by target: (bound key or glob module, crate, glob).
    aliases_by_target: HashMap<String, Vec<(String, String, bool)>>,
    /// `use`s and globs by each proper prefix of their target: (bound key or glob module,
    /// crate, target, glob).
    aliases_into: HashMap<String, Vec<(String, String, String, bool)>>,
    /// Work units spent by the fixpoint (posting entries read, keys and leads made, aliases
    /// followed), held against what parsing the files left would cost.
    spent: std::cell::Cell<u64>,
    /// Bytes of the files neither parsed nor queued.
    unparsed: u64,
    /// Bytes of the readable files scanned.
    total: u64,
    /// Bytes of the batch of the round being resolved (0 before the first).
    round_bytes: u64,
    /// Bytes of the files queued for the next round (`next`).
    next_bytes: u64,
    /// The fixpoint cost more than parsing the files left: every file is parsed, every body kept.
    gave_up: bool,
    limits: Limits,
    /// Work units allowed for the whole run: `limits.budget` of the bytes scanned.
    budget: u64,
    asked_all: HashSet<(Vec<u32>, Scope)>,
    /// Nodes of keys as calls look them up, and as reached through a glob.
    key_ids: HashMap<String, u32>,
    globbed_ids: HashMap<String, u32>,
    key_strs: Vec<String>,
    nodes: Vec<KeyNode>,
    /// Nodes by each prefix of their key: a `use` bound there rewrites them.
    watchers: HashMap<String, Vec<u32>>,
    /// Nodes not reached through a glob, by each module a glob there would rewrite them at.
    glob_watchers: HashMap<String, Vec<u32>>,
    /// `module::name` paths a glob of the module may lead a lookup to (`may_bind`).
    bindable: HashMap<String, bool>,
    method_nodes: HashMap<(String, String), NameNode>,
    macro_nodes: HashMap<(String, String), NameNode>,
    /// `macro_rules!` bodies by (package, name), as `analysis::program` finds them.
    macro_defs: HashMap<(String, String), Vec<FnRef>>,
    /// Types a catalogue entry returns: builder chains carry them to method calls.
    returns: Returns,
    python_packages: HashSet<String>,
    /// The crates of each package (library, binaries, tests, examples).
    package_crates: HashMap<String, Vec<u32>>,
    /// Methods by the type path their `impl` names: (name, function, typed).
    methods_by_type: HashMap<String, Vec<(String, FnRef, bool)>>,
    /// The packages whose binaries link each package's library (directly or not).
    dependents: HashMap<String, Vec<String>>,
    global_nodes: HashMap<String, NameNode>,
    /// Units whose `main` matters (`entries`).
    entry_units: HashSet<u32>,
    asked: HashSet<(u32, u32)>,
    work: Vec<Work>,
    trace: bool,
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

impl<'a> Closure<'a> {
    fn new(
        files: &'a [PathBuf],
        catalog: &'a Catalog,
        index: Index,
        ahead: &'a Ahead,
        spawn: &'a (dyn Fn(usize) + 'a),
    ) -> Self {
        Closure {
            files,
            ahead,
            spawn,
            catalog,
            index,
            crate_ids: Vec::new(),
            crate_index: HashMap::default(),
            crate_of: Vec::with_capacity(files.len()),
            module: Vec::with_capacity(files.len()),
            len: Vec::with_capacity(files.len()),
            state: Vec::with_capacity(files.len()),
            next: Vec::new(),
            irs: HashMap::default(),
            lowered: HashMap::default(),
            stripped: HashSet::default(),
            reparse: Vec::new(),
            deferred: HashMap::default(),
            held: 0,
            places: HashMap::default(),
            moves: HashMap::default(),
            moved_crates: HashMap::default(),
            crate_files: Vec::new(),
            files_by_module: HashMap::default(),
            moved_into: Vec::new(),
            named_by: Vec::new(),
            reaching: HashMap::default(),
            defs: HashMap::default(),
            methods: HashMap::default(),
            globals: HashMap::default(),
            aliases: HashMap::default(),
            globs: HashMap::default(),
            callers_by_name: HashMap::default(),
            enclosing: HashMap::default(),
            types_version: 0,
            hot: HashSet::default(),
            closed: HashSet::default(),
            resolved: HashSet::default(),
            hot_names: HashSet::default(),
            leads: Vec::new(),
            lead_ids: HashMap::default(),
            leads_by_prefix: HashMap::default(),
            leads_by_head: HashMap::default(),
            aliases_by_target: HashMap::default(),
            aliases_into: HashMap::default(),
            spent: std::cell::Cell::new(0),
            unparsed: 0,
            total: 0,
            round_bytes: 0,
            next_bytes: 0,
            gave_up: false,
            limits: Limits::default(),
            budget: 0,
            asked_all: HashSet::default(),
            key_ids: HashMap::default(),
            globbed_ids: HashMap::default(),
            key_strs: Vec::new(),
            nodes: Vec::new(),
            watchers: HashMap::default(),
            glob_watchers: HashMap::default(),
            bindable: HashMap::default(),
            method_nodes: HashMap::default(),
            macro_nodes: HashMap::default(),
            macro_defs: HashMap::default(),
            returns: Returns::of(catalog),
            python_packages: HashSet::default(),
            package_crates: HashMap::default(),
            dependents: HashMap::default(),
            methods_by_type: HashMap::default(),
            global_nodes: HashMap::default(),
            entry_units: HashSet::default(),
            asked: HashSet::default(),
            work: Vec::new(),
            trace: std::env::var_os("FORKLINT_PREFILTER_TRACE").is_some(),
        }
    }

    fn charge(&self, units: u64) {
        self.spent.set(self.spent.get() + units);
    }

    /// The fixpoint has spent its share of what parsing the whole tree costs (`Limits`).
    fn over_budget(&self) -> bool {
        self.spent.get() > self.budget
    }

    fn want(&mut self, f: usize, why: &dyn Fn() -> String) {
        if self.state[f] == FileState::Skipped {
            if self.trace {
                eprintln!("prefilter: {} <- {}", self.files[f].display(), why());
            }
            self.state[f] = FileState::Queued;
            self.unparsed -= self.len[f];
            self.next_bytes += self.len[f];
            self.next.push(f);
            (self.spawn)(f);
        }
    }

    /// Whether the next round takes every file left (`takes_rest`, with this round as the one
    /// before it). Within a round the bytes selected and the next batch only grow, so once this
    /// holds it holds at the round's end: resolving further would be spent on a round that
    /// parses everything and resolves nothing, and it stops as soon as this holds.
    fn rest_due(&self) -> bool {
        !(self.next.is_empty() && self.reparse.is_empty())
            && takes_rest(
                self.total - self.unparsed,
                self.total,
                self.next_bytes,
                self.round_bytes,
            )
    }

    /// Lowers a batch in parallel, largest first so that no thread is left with a big file
    /// (the files the scan lowered are not read again, nor those a task ahead took: their IR is
    /// waited for). `again` holds files lowered before, whose dropped bodies are asked for.
    fn lower(
        &self,
        batch: &[usize],
        again: &[usize],
        layout: &Layout,
    ) -> Vec<(usize, Result<FileIr, String>)> {
        let mut order: Vec<(usize, bool)> = batch
            .iter()
            .filter(|f| !self.lowered.contains_key(f))
            .map(|&f| (f, false))
            .chain(again.iter().map(|&f| (f, true)))
            .collect();
        order.sort_by_key(|&(i, _)| std::cmp::Reverse(self.len[i]));
        let mut out: Vec<(usize, Option<Result<FileIr, String>>)> = order
            .par_iter()
            .with_max_len(1)
            .map(|&(i, again)| {
                let mine = again || self.ahead.take(i);
                (
                    i,
                    mine.then(|| crate::pipeline::lower_file(&self.files[i], layout)),
                )
            })
            .collect();
        let ahead: Vec<usize> = out
            .iter()
            .filter(|(_, ir)| ir.is_none())
            .map(|(i, _)| *i)
            .collect();
        let mut lowered: Vec<(usize, Result<FileIr, String>)> =
            out.drain(..).filter_map(|(i, ir)| Some((i, ir?))).collect();
        lowered.extend(self.ahead.wait_for(&ahead));
        lowered
    }

    /// Drops the bodies of the functions not closed in every file that still has them: only a
    /// closed function's calls are read again (a later `Close` or `Resolve` of another one
    /// parses its file again).
    fn drop_bodies(&mut self) {
        for (&fi, ir) in self.irs.iter_mut() {
            if !self.stripped.insert(fi) {
                continue;
            }
            for (i, f) in ir.functions.iter_mut().enumerate() {
                if !self.closed.contains(&(fi as u32, i as u32)) {
                    f.body = Default::default();
                    f.implied = Vec::new();
                }
            }
        }
    }

    fn process(&mut self) {
        while let Some(w) = self.work.pop() {
            if self.rest_due() {
                return;
            }
            self.charge(1);
            if self.over_budget() {
                self.gave_up = true;
                self.work.clear();
                return;
            }
            if let Work::Close(f) | Work::Resolve(f, _) = &w {
                let fi = f.0 as usize;
                if self.stripped.contains(&fi) && !self.closed.contains(f) {
                    // Its body was dropped: the work waits for the file to be parsed again.
                    let waiting = self.deferred.entry(fi).or_default();
                    if waiting.is_empty() {
                        self.reparse.push(fi);
                    }
                    waiting.push(w);
                    continue;
                }
            }
            match w {
                Work::Hot(f) => self.hot(f),
                Work::Close(f) => self.close(f),
                Work::Resolve(f, name) => self.resolve(f, Some(&name)),
                Work::Lead(lead) => self.lead(lead),
                Work::Retype(f) => self.retype(f),
            }
        }
    }
}
