//! Looked-up keys and names: a node per key a call may look up, with edges along the `use`s that
//! rewrite it; being hot flows back along them, being closed flows forward.

use super::*;
use crate::prefilter::scan::{self, ANY, DEF, USE};
use crate::resolve::path::prefix_ends;
use crate::resolve::MAX_ALIAS_STEPS;

impl Closure<'_> {
    /// The node of a looked-up key, made (and its tables' files requested) on first use.
    pub(super) fn node(&mut self, key: &str, steps: usize) -> Option<u32> {
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
    pub(super) fn expand(&mut self, id: u32) {
        let key = self.key_strs[id as usize].clone();
        let steps = self.nodes[id as usize].steps + 1;
        for end in prefix_ends(&key) {
            let targets = self.aliases.get(&key[..end]).cloned().unwrap_or_default();
            for target in targets {
                self.edge(id, &format!("{target}{}", &key[end..]), steps);
            }
        }
    }

    pub(super) fn edge(&mut self, from: u32, to_key: &str, steps: usize) {
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
