//! The linker's tables of what the program defines, and the first definition a lookup finds.

use super::path::{glob_ends, is_relative, last_segment, prefix_ends, rewrite, MAX_ALIAS_STEPS};
use super::steps::Step;
use super::FnRef;
use crate::catalog::Catalog;
use std::collections::{HashMap, HashSet};

/// What the program's files define, by absolute key.
#[derive(Debug, Default)]
pub struct Tables {
    pub fns: HashMap<String, Vec<FnRef>>,
    /// Methods of impls for another crate's type (`impl From<X> for std::path::PathBuf`), by
    /// that type's key: (the impl's package, the method). Only calls from the same package reach
    /// them, and another package's files that name the impl's crate (`use utils::CommandRunExt`
    /// brings the trait, and with it the method, into scope there).
    pub foreign: HashMap<String, Vec<(String, FnRef)>>,
    /// Methods by (crate, name), with their type's name: the fallback for a receiver of
    /// unknown type.
    pub methods: HashMap<(String, String), Vec<(String, FnRef)>>,
    /// Methods of `impl Trait for T` blocks and trait default bodies.
    pub trait_impls: HashSet<FnRef>,
    pub globals: HashMap<String, FnRef>,
    /// `use` declarations: bound key → target key.
    pub aliases: HashMap<String, String>,
    /// `pub use target::*;` declarations: module key → target keys.
    pub globs: HashMap<String, Vec<String>>,
    /// `macro_rules!` bodies by (package, name).
    pub macros: HashMap<(String, String), Vec<FnRef>>,
    /// Declared field types by struct or variant key, then field (`FileIr::field_types`).
    pub fields: HashMap<String, HashMap<String, String>>,
    /// Fields with a derived getter of their name, by struct key, with the type a call on the
    /// getter's value is made on (`FileIr::getters`).
    pub getters: HashMap<String, HashMap<String, String>>,
}

/// Where a call is made: its package, and the crates its file names.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    pub package: &'a str,
    pub crates_used: &'a [String],
}

impl Caller<'_> {
    /// Whether a method that `package` implements for another crate's type is in scope here.
    fn reaches_impls_of(&self, package: &str) -> bool {
        self.package == package || self.crates_used.iter().any(|c| c == package)
    }
}

/// What a lookup found.
#[derive(Debug, Clone)]
pub enum Hit {
    Apis(Vec<usize>),
    Fns(Vec<FnRef>),
}

impl Tables {
    /// Gives a `use` and an item bound to the same key both definitions: only exclusive
    /// `#[cfg]`s let a module hold the two, and either may be the one compiled.
    pub fn join_cfg_twins(&mut self) {
        let twins: Vec<(String, String)> = self
            .aliases
            .iter()
            .filter(|(alias, target)| {
                self.fns.contains_key(*alias) && self.fns.contains_key(*target)
            })
            .map(|(alias, target)| (alias.clone(), target.clone()))
            .collect();
        for (alias, target) in twins {
            let mut both = self.fns.get(&alias).cloned().unwrap_or_default();
            for f in self.fns.get(&target).cloned().unwrap_or_default() {
                if !both.contains(&f) {
                    both.push(f);
                }
            }
            self.fns.insert(alias, both.clone());
            self.fns.insert(target, both);
        }
    }

    /// Files each method of an `impl` written against an imported name (`use super::Inner;`
    /// then `impl Inner { .. }` in a sibling file) under every type path the `use`s lead that
    /// name to as well: a call typed with the defining path finds it. (The prefilter files them
    /// the same way: `prefilter::fixpoint::defs`.)
    pub fn join_imported_impls(&mut self, methods: &[(String, FnRef)]) {
        for (key, f) in methods {
            let name = last_segment(key);
            let Some(mut ty) = key.strip_suffix(name).and_then(|k| k.strip_suffix("::")) else {
                continue;
            };
            for _ in 0..MAX_ALIAS_STEPS {
                let Some(target) = self.aliases.get(ty) else {
                    break;
                };
                let list = self.fns.entry(format!("{target}::{name}")).or_default();
                if !list.contains(f) {
                    list.push(*f);
                }
                ty = target;
            }
        }
    }

    /// The first lookup of `steps`, for a call from `caller`, that finds something.
    pub fn first_hit(&self, steps: &[Step], catalog: &Catalog, caller: Caller) -> Option<Hit> {
        steps
            .iter()
            .find_map(|step| self.hit(step, catalog, caller))
    }

    fn hit(&self, step: &Step, catalog: &Catalog, caller: Caller) -> Option<Hit> {
        match step {
            Step::Apis(apis) => Some(Hit::Apis(apis.clone())),
            Step::Key { key, reexport } => {
                if let Some(found) = self.functions(key, caller) {
                    return Some(Hit::Fns(found));
                }
                let real = self.reexported(key).filter(|_| *reexport)?;
                let apis = catalog.by_path(&real);
                (!apis.is_empty()).then_some(Hit::Apis(apis))
            }
            // One type's method: the same type defined in modules under exclusive `#[cfg]`s
            // (a `noop` one for wasm) is still one type. A trait's method implemented for
            // several types (`impl SendWithFd for UnixStream`, `.. for UnixDatagram`) is one
            // operation: the call runs one of the impls.
            Step::Method { krate, name } => self
                .methods
                .get(&(krate.clone(), name.clone()))
                .filter(|found| {
                    found.iter().all(|(ty, _)| *ty == found[0].0)
                        || found.iter().all(|(_, f)| self.trait_impls.contains(f))
                })
                .map(|found| Hit::Fns(found.iter().map(|&(_, f)| f).collect())),
            Step::Global(key) => self.globals.get(key).map(|&init| Hit::Fns(vec![init])),
            Step::Macro { package, name } => self
                .macros
                .get(&(package.clone(), name.clone()))
                .map(|found| Hit::Fns(found.clone())),
        }
    }

    /// The functions at `key` that a call from `caller` reaches, following at most
    /// `MAX_ALIAS_STEPS` `use`s. At each key the `use` bound at its longest proper prefix is
    /// followed first, then one bound at the key itself; where none is, a module's `pub use
    /// target::*` may hold the name.
    pub fn functions(&self, key: &str, caller: Caller) -> Option<Vec<FnRef>> {
        self.functions_within(key.to_string(), caller, MAX_ALIAS_STEPS, true)
    }

    /// `glob`: whether a glob re-export may still be followed (one per lookup: `glob_ends`).
    fn functions_within(
        &self,
        mut key: String,
        caller: Caller,
        steps: usize,
        glob: bool,
    ) -> Option<Vec<FnRef>> {
        for left in (0..steps).rev() {
            let found: Vec<FnRef> = self
                .fns
                .get(&key)
                .into_iter()
                .flatten()
                .copied()
                .chain(
                    self.foreign
                        .get(&key)
                        .into_iter()
                        .flatten()
                        .filter(|(p, _)| caller.reaches_impls_of(p))
                        .map(|&(_, f)| f),
                )
                .collect();
            if !found.is_empty() {
                return Some(found);
            }
            let ends = prefix_ends(&key);
            let (whole, proper) = ends.split_last().expect("a key has an end");
            let next = proper
                .iter()
                .rev()
                .chain(std::iter::once(whole))
                .find_map(|&end| self.aliases.get(&key[..end]).map(|t| rewrite(&key, end, t)));
            match next {
                Some(n) if n != key => key = n,
                _ if glob => return self.through_globs(&key, caller, left),
                _ => return None,
            }
        }
        None
    }

    /// The functions a glob re-export leads to, where `glob_ends` looks for one.
    fn through_globs(&self, key: &str, caller: Caller, steps: usize) -> Option<Vec<FnRef>> {
        glob_ends(key).find_map(|end| {
            self.globs.get(&key[..end])?.iter().find_map(|target| {
                let next = rewrite(key, end, target);
                (next != key)
                    .then(|| self.functions_within(next, caller, steps, false))
                    .flatten()
            })
        })
    }

    /// The declared type of a field written `key#field#name` (`ir::FIELD_OF`), following the
    /// `use`s that lead the key to its declaration.
    pub fn field_type(&self, written: &str) -> Option<&String> {
        let (key, field) = written.split_once(crate::ir::FIELD_OF)?;
        let key = self.declared(key, &self.fields)?;
        self.fields.get(&key)?.get(field)
    }

    /// The type a derived getter (`#[derive(Getters)]`) named `name` of type `ty` hands back:
    /// its field's, by reference (the held type of an `Option` field).
    pub fn getter_type(&self, ty: &str, name: &str) -> Option<&String> {
        let key = self.declared(ty, &self.getters)?;
        self.getters.get(&key)?.get(name)
    }

    /// The key `map` holds a declaration at, from `key` through the `use`s that lead there.
    fn declared<V>(&self, key: &str, map: &HashMap<String, V>) -> Option<String> {
        let mut key = key.to_string();
        for _ in 0..MAX_ALIAS_STEPS {
            if map.contains_key(&key) {
                return Some(key);
            }
            let ends = prefix_ends(&key);
            let next = ends
                .iter()
                .rev()
                .find_map(|&end| self.aliases.get(&key[..end]).map(|t| rewrite(&key, end, t)))?;
            if next == key {
                return None;
            }
            key = next;
        }
        None
    }

    /// Where a chain of `use`s of this key, or of a module it is in (`pub use pty::prelude as
    /// tty` for `tty::Fork::from_ptmx`), ends, when it leaves the program.
    pub fn reexported(&self, key: &str) -> Option<String> {
        let mut key = key.to_string();
        let mut moved = false;
        for _ in 0..MAX_ALIAS_STEPS {
            let ends = prefix_ends(&key);
            let next = ends
                .iter()
                .rev()
                .find_map(|&end| self.aliases.get(&key[..end]).map(|t| rewrite(&key, end, t)));
            match next {
                Some(n) if n != key => {
                    key = n;
                    moved = true;
                }
                _ => break,
            }
        }
        (moved && !is_relative(&key)).then_some(key)
    }
}
