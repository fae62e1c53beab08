//! What a parsed file contributes: its functions, methods, globals, `use`s and macros in the
//! tables, as the linker will place them, and the work they start.

use super::*;
use crate::analysis::program::for_each_call;
use crate::catalog::Effect;
use crate::ir::{Call, Callee, FileIr, FnKind};
use crate::prefilter::seeds::{call_effects, is_fork_effect, is_spawn_trigger};
use crate::resolve::path::{in_own_crate, prefix_ends, rewrite};
use crate::resolve::{absolute, last_segment, package_of, MAX_ALIAS_STEPS};

impl Closure<'_> {
    /// Function `me` is defined at `key`: work waiting for a definition there resumes.
    fn define(&mut self, key: String, me: FnRef, typed: bool) {
        let ids: Vec<u32> = self.nodes_at(&key).collect();
        for id in ids {
            let node = &self.nodes[id as usize];
            resume(&mut self.work, node.closing, &node.typers, me, typed);
        }
        self.defs.entry(key).or_default().push(me);
        self.types_version += 1;
    }

    /// Method `me` defined at `key` is also defined under every type path the `use`s known so
    /// far lead its type's name to (`Tables::join_imported_impls`); `use`s found later add theirs.
    fn define_method(&mut self, key: &str, me: FnRef, typed: bool) {
        let name = last_segment(key);
        let Some(ty) = key.strip_suffix(name).and_then(|k| k.strip_suffix("::")) else {
            return;
        };
        self.methods_by_type
            .entry(ty.to_string())
            .or_default()
            .push((name.to_string(), me, typed));
        self.define_through(ty, name, me, typed);
    }

    /// Defines `name` under the types the `use`s lead `ty` to, as the linker follows them.
    fn define_through(&mut self, ty: &str, name: &str, me: FnRef, typed: bool) {
        let mut from = vec![ty.to_string()];
        for _ in 0..MAX_ALIAS_STEPS {
            let next: Vec<String> = from
                .iter()
                .flat_map(|t| self.aliases.get(t).cloned().unwrap_or_default())
                .collect();
            if next.is_empty() {
                break;
            }
            for t in &next {
                let key = format!("{t}::{name}");
                if !self.defs.get(&key).is_some_and(|d| d.contains(&me)) {
                    self.define(key, me, typed);
                }
            }
            from = next;
        }
    }

    /// Records what a parsed file defines and calls.
    pub(super) fn integrate(&mut self, fi: usize) {
        let Some(ir) = self.irs.remove(&fi) else {
            return;
        };
        self.want_macro_roots(fi);
        let mut places = vec![FileIr {
            crate_name: ir.crate_name.clone(),
            module: ir.module.clone(),
            edition_2015: ir.edition_2015,
            ..Default::default()
        }];
        for (crate_name, module) in self.moves.get(&fi).into_iter().flatten() {
            places.push(FileIr {
                crate_name: crate_name.clone(),
                module: module.clone(),
                edition_2015: ir.edition_2015,
                ..Default::default()
            });
        }
        for (i, f) in ir.functions.iter().enumerate() {
            let me = (fi as u32, i as u32);
            // A value of a declared type: methods called on it are looked up under that type.
            let typed = Self::is_typed(&ir, i);
            if matches!(f.kind, FnKind::Free | FnKind::Method) {
                for place in &places {
                    let key = absolute(place, &f.path);
                    if f.kind == FnKind::Method {
                        let m = (place.crate_name.clone(), last_segment(&key).to_string());
                        if let Some(node) = self.method_nodes.get(&m) {
                            resume(&mut self.work, node.closing, &node.typers, me, typed);
                        }
                        self.methods.entry(m).or_default().push(me);
                        self.types_version += 1;
                    }
                    if f.kind == FnKind::Method {
                        self.define_method(&key, me, typed);
                    }
                    self.define(key, me, typed);
                }
            }
            // `Trait::m(&mut x, ..)` reaches this method too (`analysis::program`).
            for (path, _) in ir.trait_impls.iter().filter(|(_, at)| *at == i as u32) {
                for place in &places {
                    let key = absolute(place, path);
                    if in_own_crate(place, &key) {
                        self.define(key, me, typed);
                    }
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
        let (mut new_aliases, mut new_globs) = (Vec::new(), Vec::new());
        // A `pub use target::*` renames what is under its target as a `use` of the target would,
        // for the leads; lookups follow it only where and as often as the linker does
        // (`keys`).
        let globs = ir.glob_reexports.iter().map(|r| (r, true));
        for ((alias, target), glob) in ir.reexports.iter().map(|r| (r, false)).chain(globs) {
            for place in &places {
                let key = absolute(place, alias);
                let target = absolute(place, target);
                // A lead asks for its crate's name wherever a `use` of the crate's root renames
                // it; a glob of the root re-exports the crate's items under another path.
                let renames_root = glob || !self.crate_index.contains_key(&target);
                let through: Vec<u32> = self
                    .leads_by_prefix
                    .get(&target)
                    .filter(|_| renames_root)
                    .cloned()
                    .unwrap_or_default();
                self.charge(through.len() as u64 + 1);
                for id in through {
                    let made =
                        self.leads[id as usize].through(&place.crate_name, &key, &target, glob);
                    for l in made {
                        self.push_lead(l);
                    }
                }
                for end in prefix_ends(&target) {
                    let prefix = &target[..end];
                    if end == target.len() || (!glob && self.crate_index.contains_key(prefix)) {
                        continue;
                    }
                    let into: Vec<u32> =
                        self.leads_by_head.get(prefix).cloned().unwrap_or_default();
                    self.charge(into.len() as u64 + 1);
                    for id in into {
                        let made =
                            self.leads[id as usize].through(&place.crate_name, &key, &target, glob);
                        for l in made {
                            self.push_lead(l);
                        }
                    }
                    self.aliases_into
                        .entry(prefix.to_string())
                        .or_default()
                        .push((key.clone(), place.crate_name.clone(), target.clone(), glob));
                }
                self.aliases_by_target
                    .entry(target.clone())
                    .or_default()
                    .push((key.clone(), place.crate_name.clone(), glob));
                let (table, new) = if glob {
                    (&mut self.globs, &mut new_globs)
                } else {
                    (&mut self.aliases, &mut new_aliases)
                };
                table.entry(key.clone()).or_default().push(target.clone());
                new.push((key, target));
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
        self.close_entries(fi);
        for (key, target) in new_aliases {
            let methods = self.methods_by_type.get(&key).cloned().unwrap_or_default();
            for (name, me, typed) in methods {
                self.define_through(&key, &name, me, typed);
            }
            self.rewrite_watchers(&key, &target);
        }
        for (module, target) in new_globs {
            let watchers = self.glob_watchers.get(&module).cloned().unwrap_or_default();
            for id in watchers {
                let key = self.key_strs[id as usize].clone();
                self.glob_edge(id, &key, module.len(), &target);
            }
        }
    }

    /// The nodes a new `use` bound at `key` rewrites get their edge to the rewritten key.
    fn rewrite_watchers(&mut self, key: &str, target: &str) {
        let watchers = self.watchers.get(key).cloned().unwrap_or_default();
        for id in watchers {
            let rewritten = rewrite(&self.key_strs[id as usize], key.len(), target);
            let node = &self.nodes[id as usize];
            let (steps, globbed) = (node.steps + 1, node.globbed);
            self.edge(id, &rewritten, steps, globbed);
        }
    }
}

/// Work waiting at a node for a definition resumes once function `me` is found there: closing
/// it when the node's functions matter, and typing again what waited for a typed one.
fn resume(work: &mut Vec<Work>, closing: bool, typers: &[FnRef], me: FnRef, typed: bool) {
    if closing {
        work.push(Work::Close(me));
    }
    if typed {
        work.extend(typers.iter().map(|&g| Work::Retype(g)));
    }
}
