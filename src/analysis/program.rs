//! The linked program: every scanned file's IR placed in its crate, each call resolved to the
//! catalogue entries or the scanned functions it may reach, and the reverse call graph.

use crate::catalog::{Catalog, Effect};
use crate::ir::{Block, Callee, FileIr, FnKind, Node, FIELD_OF};
use crate::resolve::path::{crate_rooted, in_own_crate};
use crate::resolve::steps::{receiver, steps, Chain};
use crate::resolve::tables::{Caller, Hit, Tables};
use crate::resolve::{last_segment, moves};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};

pub use crate::resolve::{absolute, is_relative, package_of, FnRef};

/// What a call may reach.
#[derive(Debug, Clone, Default)]
pub enum Target {
    #[default]
    Unknown,
    /// Catalogue entries (indices into `Catalog::apis`).
    Apis(Vec<usize>),
    /// Scanned functions (several when cfg variants share a name).
    Fns(Vec<FnRef>),
}

pub struct Program<'c> {
    pub files: Vec<FileIr>,
    pub catalog: &'c Catalog,
    /// Per file, indexed by call id.
    pub targets: Vec<Vec<Target>>,
    /// Callers of each function (with the call's file), for the summary worklist.
    pub callers: HashMap<FnRef, Vec<FnRef>>,
    /// Functions named as arguments, by (file, call id): (argument index, function).
    fn_refs: HashMap<(u32, u32), Vec<(u32, FnRef)>>,
    /// The closure that stands for a function named as an argument (`ptyknot(slave, ..)` is
    /// `ptyknot(|| slave(), ..)`): the functions it names.
    item_closures: HashMap<FnRef, Vec<FnRef>>,
    /// The module globals that may hold a lazily connecting client: only a command to one of
    /// them can connect one (summaries carry no other globals they send commands to). With
    /// each, the members that send a command (`Api::commands`; empty: any method).
    pub lazy_globals: HashMap<String, std::sync::Arc<[String]>>,
}

impl<'c> Program<'c> {
    pub fn link(mut files: Vec<FileIr>, catalog: &'c Catalog) -> Self {
        moves::apply(&mut files);
        moves::drop_absent(&mut files);
        crate::resolve::prelude::apply(&mut files);
        let mut tables = Tables::default();
        let mut methods: Vec<(String, FnRef)> = Vec::new();
        for (fi, file) in files.iter().enumerate() {
            for (name, index) in &file.macros {
                tables
                    .macros
                    .entry((package_of(&file.crate_name).to_string(), name.clone()))
                    .or_default()
                    .push((fi as u32, *index as u32));
            }
            for (i, f) in file.functions.iter().enumerate() {
                if matches!(f.kind, FnKind::Closure | FnKind::GlobalInit) {
                    continue;
                }
                let key = absolute(file, &f.path);
                if f.kind == FnKind::Method {
                    let name = last_segment(&key).to_string();
                    let ty = key[..key.len() - name.len()].trim_end_matches("::");
                    tables
                        .methods
                        .entry((file.crate_name.clone(), name))
                        .or_default()
                        .push((last_segment(ty).to_string(), (fi as u32, i as u32)));
                    if file.trait_methods.contains(&(i as u32)) {
                        tables.trait_impls.insert((fi as u32, i as u32));
                    }
                }
                if in_own_crate(file, &key) {
                    // A Python class may rebind the name it imports (`class Loader(Loader)`).
                    if f.kind == FnKind::Method && !is_python(&file.path) {
                        methods.push((key.clone(), (fi as u32, i as u32)));
                    }
                    tables
                        .fns
                        .entry(key)
                        .or_default()
                        .push((fi as u32, i as u32));
                } else {
                    tables.foreign.entry(key).or_default().push((
                        package_of(&file.crate_name).to_string(),
                        (fi as u32, i as u32),
                    ));
                }
            }
            // `Trait::m(&mut x, ..)` for a trait of the crate reaches its impls' `m`.
            for (path, i) in &file.trait_impls {
                let key = absolute(file, path);
                if in_own_crate(file, &key) {
                    tables.fns.entry(key).or_default().push((fi as u32, *i));
                }
            }
            for g in &file.globals {
                tables
                    .globals
                    .insert(absolute(file, &g.path), (fi as u32, g.init as u32));
            }
            for (key, field, ty) in &file.field_types {
                tables
                    .fields
                    .entry(absolute(file, key))
                    .or_default()
                    .insert(field.clone(), absolute(file, ty));
            }
            for (key, field, ty) in &file.getters {
                tables
                    .getters
                    .entry(absolute(file, key))
                    .or_default()
                    .insert(field.clone(), absolute(file, ty));
            }
            for (alias, target) in &file.reexports {
                tables
                    .aliases
                    .insert(absolute(file, alias), absolute(file, target));
            }
            for (module, target) in &file.glob_reexports {
                tables
                    .globs
                    .entry(absolute(file, module))
                    .or_default()
                    .push(absolute(file, target));
            }
        }
        // A `use` and an item of the same name in one module can only both exist under
        // exclusive `#[cfg]`s (rustc rejects the clash otherwise): the name stands for both.
        tables.join_cfg_twins();
        tables.join_imported_impls(&methods);
        // Declared return types, as absolute paths, by function.
        let fn_types: HashMap<FnRef, String> = files
            .iter()
            .enumerate()
            .flat_map(|(fi, file)| {
                file.fn_types
                    .iter()
                    .map(move |(i, ty)| ((fi as u32, *i), absolute(file, ty)))
            })
            .collect();
        // Each file's calls resolve against the finished tables alone: files in parallel, their
        // edges merged in file order.
        let resolved: Vec<FileLinks> = files
            .par_iter()
            .enumerate()
            .map(|(fi, file)| {
                let caller = Caller {
                    package: package_of(&file.crate_name),
                    crates_used: &file.crates_used,
                };
                let mut t: Vec<Target> = Vec::new();
                let mut callers: Vec<(FnRef, FnRef)> = Vec::new();
                let mut fn_refs: Vec<((u32, u32), (u32, FnRef))> = Vec::new();
                let mut item_closures: Vec<(FnRef, FnRef)> = Vec::new();
                // Types that builder chains carry, learnt from the catalogue's `returns`.
                let mut chain_ty: HashMap<u32, String> = HashMap::new();
                for (i, f) in file.functions.iter().enumerate() {
                    let me = (fi as u32, i as u32);
                    let mut visit = |call: &crate::ir::Call| {
                        let known = receiver(call).and_then(|r| chain_ty.get(&r)).cloned();
                        // A value a pattern bound to a field of a type declared in another file.
                        let known = known.or_else(|| match &call.callee {
                            Callee::Method { ty: Some(ty), .. } => tables
                                .field_type(&absolute(file, ty))
                                .or_else(|| {
                                    crate_rooted(file, ty).and_then(|k| tables.field_type(&k))
                                })
                                .cloned(),
                            _ => None,
                        });
                        let target = match call.callee {
                            Callee::Local(index) => Target::Fns(vec![(fi as u32, index as u32)]),
                            _ => {
                                let chain = Chain::Known(known.as_deref());
                                let steps = steps(file, &file.crates_used, call, catalog, chain);
                                match tables.first_hit(&steps, catalog, caller) {
                                    Some(Hit::Apis(apis)) => Target::Apis(apis),
                                    Some(Hit::Fns(found)) => {
                                        Target::Fns(own_module_first(fi as u32, file, call, found))
                                    }
                                    None => Target::Unknown,
                                }
                            }
                        };
                        // A generator made and dropped at once (`scan(..)` as a statement) is
                        // never iterated: none of its body runs.
                        let dropped = call
                            .bind
                            .as_deref()
                            .is_some_and(|b| b.starts_with(crate::frontend::python::DISCARDED_VAR));
                        let target = match target {
                            Target::Fns(list)
                                if dropped
                                    && list.iter().all(|&(f, i)| {
                                        files[f as usize].functions[i as usize].generator
                                    }) =>
                            {
                                Target::Unknown
                            }
                            other => other,
                        };
                        let returns = match &target {
                            Target::Apis(list) => {
                                list.iter().find_map(|&a| catalog.apis[a].returns.clone())
                            }
                            // The program's functions: the type they declare, when they agree.
                            Target::Fns(list) => {
                                let types: HashSet<Option<&String>> =
                                    list.iter().map(|f| fn_types.get(f)).collect();
                                match types.into_iter().collect::<Vec<_>>().as_slice() {
                                    [Some(ty)] => Some((*ty).clone()),
                                    _ => None,
                                }
                            }
                            _ => None,
                        };
                        // A builder's method returns its receiver: `command.kill_on_drop(true)`
                        // is still the command, of the type its local was declared with.
                        let written = match &call.callee {
                            Callee::Method { ty: Some(ty), .. } if !ty.contains(FIELD_OF) => {
                                Some(absolute(file, ty))
                            }
                            _ => None,
                        };
                        // A getter a derive generated (`cli.cmd()`): its field's type.
                        let getter = match (&target, &call.callee) {
                            (Target::Unknown, Callee::Method { name, .. }) => known
                                .as_deref()
                                .or(written.as_deref())
                                .and_then(|ty| tables.getter_type(ty, name))
                                .cloned(),
                            _ => None,
                        };
                        if let Some(ty) = getter {
                            chain_ty.insert(call.id, ty);
                        } else if let Some(ty) = returns.or(known).or(written) {
                            chain_ty.insert(call.id, ty);
                        }
                        if let Target::Fns(list) = &target {
                            for callee in list {
                                callers.push((*callee, me));
                            }
                        }
                        for &c in &call.closures {
                            callers.push(((fi as u32, c as u32), me));
                        }
                        for (pos, path) in &call.fn_args {
                            let key = absolute(file, path);
                            for f in tables.functions(&key, caller).unwrap_or_default() {
                                fn_refs.push(((fi as u32, call.id), (*pos, f)));
                                for &(_, c) in call.closure_args.iter().filter(|(a, _)| a == pos) {
                                    item_closures.push(((fi as u32, c as u32), f));
                                }
                            }
                        }
                        let id = call.id as usize;
                        if t.len() <= id {
                            t.resize(id + 1, Target::Unknown);
                        }
                        t[id] = target;
                    };
                    for call in &f.implied {
                        visit(call);
                    }
                    for_each_call(&f.body, &mut visit);
                }
                FileLinks {
                    targets: t,
                    callers,
                    fn_refs,
                    item_closures,
                }
            })
            .collect();
        let mut targets = Vec::with_capacity(files.len());
        let mut callers: HashMap<FnRef, Vec<FnRef>> = HashMap::new();
        let mut fn_refs: HashMap<(u32, u32), Vec<(u32, FnRef)>> = HashMap::new();
        let mut item_closures: HashMap<FnRef, Vec<FnRef>> = HashMap::new();
        for links in resolved {
            targets.push(links.targets);
            for (callee, caller) in links.callers {
                callers.entry(callee).or_default().push(caller);
            }
            for (call, arg) in links.fn_refs {
                fn_refs.entry(call).or_default().push(arg);
            }
            for (closure, f) in links.item_closures {
                item_closures.entry(closure).or_default().push(f);
            }
        }
        for list in callers.values_mut() {
            list.sort_unstable();
            list.dedup();
        }
        let lazy_globals = super::lazy::lazy_globals(&files, &targets, &callers, &fn_refs, catalog);
        Program {
            files,
            catalog,
            targets,
            callers,
            fn_refs,
            item_closures,
            lazy_globals,
        }
    }

    /// Functions a call names as arguments (not calls): (argument index, function).
    pub fn fn_refs(&self, file: u32, call: u32) -> &[(u32, FnRef)] {
        self.fn_refs
            .get(&(file, call))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The functions closure `f` stands for, when it is a function named as an argument.
    pub fn named_by(&self, f: FnRef) -> &[FnRef] {
        self.item_closures
            .get(&f)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Both files belong to the same package (its library, binaries, tests and examples).
    /// Whether state created by code of file `origin` can be alive in code of file `file`: the
    /// same compilation unit, or a library unit the other links. Tests, benches and examples are
    /// binaries of their own: what they start is alive at a fork in the library they call only
    /// in that binary.
    pub fn runs_with(&self, origin: u32, file: u32) -> bool {
        let unit = |f: u32| self.files[f as usize].crate_name.as_str();
        unit(origin) == unit(file) || !self.own_binary(origin)
    }

    /// The file belongs to a test, bench or example: a binary of its own, not the program.
    pub fn own_binary(&self, file: u32) -> bool {
        is_own_binary(&self.files[file as usize].crate_name)
    }

    pub fn same_package(&self, a: u32, b: u32) -> bool {
        let package = |f: u32| package_of(&self.files[f as usize].crate_name);
        a == b || package(a) == package(b)
    }

    pub fn target(&self, file: u32, call: u32) -> &Target {
        self.targets[file as usize]
            .get(call as usize)
            .unwrap_or(&Target::Unknown)
    }

    pub fn function(&self, f: FnRef) -> &crate::ir::Function {
        &self.files[f.0 as usize].functions[f.1 as usize]
    }

    /// Whether the catalogue entries a call reaches only keep what is handed to them.
    pub fn keeps(&self, target: &Target) -> bool {
        match target {
            Target::Apis(list) => {
                !list.is_empty() && list.iter().all(|&i| self.catalog.apis[i].keeps)
            }
            _ => false,
        }
    }

    /// The catalogued exit that a module's top-level code (or its `__main__` block) hands `f`'s
    /// value to (`sys.exit(main())`), with its file: where a process coming back out of `f`
    /// leaves.
    pub fn exit_taking_value_of(&self, f: FnRef) -> Option<(u32, &crate::ir::Call, &str)> {
        use crate::frontend::python::{MAIN_FN, MODULE_FN};
        let top_level = [format!("self::{MODULE_FN}"), format!("self::{MAIN_FN}")];
        self.files.iter().enumerate().find_map(|(i, file)| {
            let i = i as u32;
            let mut found = None;
            let tops = file
                .functions
                .iter()
                .filter(|g| top_level.contains(&g.path));
            tops.for_each(|top| {
                for_each_call(&top.body, &mut |c| {
                    let takes = c.arg_calls.iter().any(
                    |&(_, a)| matches!(self.target(i, a), Target::Fns(list) if list.contains(&f)),
                );
                    let exit = match self.target(i, c.id) {
                        Target::Apis(list) => list
                            .iter()
                            .map(|&a| &self.catalog.apis[a])
                            .find(|api| api.effects.contains(&Effect::ProcessExit)),
                        _ => None,
                    };
                    if let (None, true, Some(api)) = (&found, takes, exit) {
                        found = Some((i, c, api.label.as_str()));
                    }
                })
            });
            found
        })
    }

    /// Whether any catalogue entry a call reaches has this effect.
    pub fn has_effect(&self, target: &Target, effect: Effect) -> bool {
        match target {
            Target::Apis(list) => list
                .iter()
                .any(|&i| self.catalog.apis[i].effects.contains(&effect)),
            _ => false,
        }
    }
}

/// The unit is a test, bench or example: a binary of its own, not the program.
pub fn is_own_binary(unit: &str) -> bool {
    ["#tests/", "#benches/", "#examples/"]
        .iter()
        .any(|dir| unit.contains(dir))
}

impl Drop for Program<'_> {
    /// The files' IR is most of a large run's memory: it is freed on every thread.
    fn drop(&mut self) {
        std::mem::take(&mut self.files)
            .into_par_iter()
            .for_each(drop);
    }
}

/// A Python name of the calling module (`self::..`) is that file's own, even when another file
/// has the same module path (two `client.py` scripts in folders that are not packages).
fn own_module_first(
    fi: u32,
    file: &FileIr,
    call: &crate::ir::Call,
    found: Vec<FnRef>,
) -> Vec<FnRef> {
    let own_name = matches!(&call.callee, Callee::Path(c)
        if c.first().is_some_and(|p| p.starts_with("self::")));
    if own_name && is_python(&file.path) && found.iter().any(|f| f.0 == fi) {
        found.into_iter().filter(|f| f.0 == fi).collect()
    } else {
        found
    }
}

/// One file's resolved calls, before they join the program's tables.
struct FileLinks {
    /// By call id.
    targets: Vec<Target>,
    /// (callee, caller) edges, in call order.
    callers: Vec<(FnRef, FnRef)>,
    /// ((file, call id), (argument index, function)), in call order.
    fn_refs: Vec<((u32, u32), (u32, FnRef))>,
    /// (closure, function it stands for).
    item_closures: Vec<(FnRef, FnRef)>,
}

/// Every call in a block, in order (closures are separate functions and not entered).
pub fn for_each_call<'a>(block: &'a Block, f: &mut dyn FnMut(&'a crate::ir::Call)) {
    for node in &block.nodes {
        match node {
            Node::Call(c) => f(c),
            Node::Branch(b) => {
                for arm in &b.arms {
                    for_each_call(&arm.body, f);
                }
            }
            Node::Loop { body, .. } | Node::Block(body) => for_each_call(body, f),
            _ => {}
        }
    }
}

/// A path the Python frontend reads (sources, and the configurations and command lines it
/// turns into fork points).
pub fn is_python(path: &str) -> bool {
    crate::frontend::Language::of(std::path::Path::new(path))
        == Some(crate::frontend::Language::Python)
}
