//! Looked-up keys and names: a node per key a call may look up, with edges along the `use`s that
//! rewrite it and the glob re-exports a lookup may follow (one per lookup, so a key reached
//! through a glob has a node of its own); being hot flows back along them, being closed flows
//! forward.

use super::*;
use crate::prefilter::scan::{self, ANY, DEF, GLOB, USE};
use crate::resolve::path::{glob_ends, prefix_ends, rewrite};
use crate::resolve::MAX_ALIAS_STEPS;

impl Closure<'_> {
    /// The node of a key a call looks up, made (and its tables' files requested) on first use.
    pub(super) fn node(&mut self, key: &str, steps: usize) -> Option<u32> {
        self.node_at(key, steps, false)
    }

    /// The nodes of a key: as a call looks it up, and as reached through a glob.
    pub(super) fn nodes_at<'k>(&'k self, key: &'k str) -> impl Iterator<Item = u32> + 'k {
        [&self.key_ids, &self.globbed_ids]
            .into_iter()
            .filter_map(move |ids| ids.get(key).copied())
    }

    /// The node of a looked-up key; `globbed` when the lookup has followed its one glob
    /// re-export (`resolve::path::glob_ends`) and may follow only `use`s from there.
    fn node_at(&mut self, key: &str, steps: usize, globbed: bool) -> Option<u32> {
        if steps > MAX_ALIAS_STEPS {
            return None;
        }
        let ids = if globbed {
            &self.globbed_ids
        } else {
            &self.key_ids
        };
        if let Some(&id) = ids.get(key) {
            if steps < self.nodes[id as usize].steps {
                self.nodes[id as usize].steps = steps;
                self.expand(id);
            }
            return Some(id);
        }
        self.charge(1 + key.len() as u64 / 8);
        let id = self.nodes.len() as u32;
        if globbed {
            self.globbed_ids.insert(key.to_string(), id);
        } else {
            self.key_ids.insert(key.to_string(), id);
        }
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
            globbed,
            ..Default::default()
        });
        if !globbed {
            // The files that may hold a `pub use target::*` in the modules a lookup of the key
            // reads for one: each names the module's path and holds the scan's glob mark.
            for end in glob_ends(key) {
                let module = &key[..end];
                let marked = format!("{module}::{GLOB}");
                for c in self.crates_of(&marked) {
                    self.request_definers(USE, &marked, c);
                }
                self.glob_watchers
                    .entry(module.to_string())
                    .or_default()
                    .push(id);
            }
        }
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

    /// Follows the `use`s known so far at the key and at its prefixes, and, before the lookup
    /// has followed a glob, the globs known so far where it reads them.
    pub(super) fn expand(&mut self, id: u32) {
        let key = self.key_strs[id as usize].clone();
        let node = &self.nodes[id as usize];
        let (steps, globbed) = (node.steps + 1, node.globbed);
        for end in prefix_ends(&key) {
            let targets = self.aliases.get(&key[..end]).cloned().unwrap_or_default();
            for target in targets {
                self.edge(id, &rewrite(&key, end, &target), steps, globbed);
            }
        }
        if !globbed {
            for end in glob_ends(&key) {
                let targets = self.globs.get(&key[..end]).cloned().unwrap_or_default();
                for target in targets {
                    self.glob_edge(id, &key, end, &target);
                }
            }
        }
    }

    /// The edge a glob of module `key[..end]` with this target gives node `id`, if the target
    /// may bind the name the rest of the key starts with.
    pub(super) fn glob_edge(&mut self, id: u32, key: &str, end: usize, target: &str) {
        let first = key[end + 2..].split("::").next().unwrap_or_default();
        if self.may_bind(target, first) {
            let steps = self.nodes[id as usize].steps + 1;
            self.edge(id, &rewrite(key, end, target), steps, true);
        }
    }

    /// An edge from a node to the key a `use` (or, with `glob`, a glob) rewrites it to: a
    /// lookup that has followed a glob stays past it.
    pub(super) fn edge(&mut self, from: u32, to_key: &str, steps: usize, glob: bool) {
        self.charge(1);
        let globbed = glob || self.nodes[from as usize].globbed;
        let Some(to) = self.node_at(to_key, steps, globbed) else {
            return;
        };
        if to == from || self.nodes[from as usize].fwd.contains(&to) {
            return;
        }
        self.nodes[from as usize].fwd.push(to);
        self.types_version += 1;
        self.nodes[to as usize].rev.push(from);
        if self.nodes[from as usize].closing {
            self.set_closing(to);
        }
        // The lookup now goes on to `to`: whoever reads types here may find more.
        let typers = self.nodes[from as usize].typers.clone();
        for f in typers {
            if !self.nodes[to as usize].typers.contains(&f) {
                self.add_typer(to, f);
                self.work.push(Work::Retype(f));
            }
        }
        if self.nodes[to as usize].hot {
            self.set_hot(from);
        }
    }

    pub(super) fn set_closing(&mut self, id: u32) {
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

    pub(super) fn set_hot(&mut self, id: u32) {
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

    pub(super) fn macro_node(&mut self, package: &str, name: &str) -> &mut NameNode {
        let k = (package.to_string(), name.to_string());
        if !self.macro_nodes.contains_key(&k) {
            for c in self
                .package_crates
                .get(package)
                .cloned()
                .unwrap_or_default()
            {
                // Only `macro_rules!` defines a macro the tables hold, so its file holds that
                // word: a crate's many `fn` of the same name are no definers.
                let keys = vec![scan::key(name, DEF), scan::key("macro_rules", ANY)];
                self.request_keys(keys, Scope::Crate(c), &|| format!("macro {name}!"));
            }
            let node = NameNode::defined_by(self.macro_defs.get(&k), &self.hot);
            self.macro_nodes.insert(k.clone(), node);
        }
        self.macro_nodes.get_mut(&k).expect("inserted above")
    }

    pub(super) fn method_node(&mut self, krate: &str, name: &str) -> &mut NameNode {
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

    pub(super) fn global_node(&mut self, key: &str) -> &mut NameNode {
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
}
