//! Receiver types: a method called on a call's value (`lock.write().store(v)`) is looked up
//! under the type the linker learns for that value, the declared return type of the function
//! the call reaches (`resolve::steps`'s `Chain`). The fixpoint cannot know which function the
//! linker will pick, so it takes every type any function found at the call's lookups declares,
//! and looks again whenever a lookup finds another function or another `use` leads it on.

use super::*;
use crate::analysis::program::for_each_call;
use crate::ir::Function;
use crate::resolve::absolute;
use crate::resolve::steps::{receiver, steps, Chain, Step};

/// What the receiver types of a function's calls read: keys and (crate, method name) nodes.
#[derive(Debug, Default)]
pub(super) struct TypeReads {
    pub keys: Vec<String>,
    pub methods: Vec<(String, String)>,
}

impl Closure<'_> {
    /// For each call of `f` whose value a method is called on, every type the linker may give
    /// that value (the catalogue's `returns` come on top, for any receiver), with what finding
    /// them read.
    pub(super) fn receiver_types(&self, f: FnRef) -> (HashMap<u32, Vec<String>>, TypeReads) {
        let mut reads = TypeReads::default();
        let mut types = HashMap::default();
        let fi = f.0 as usize;
        let (Some(ir), Some(places)) = (self.irs.get(&fi), self.places.get(&fi)) else {
            return (types, reads);
        };
        let mut calls: HashMap<u32, &Call> = HashMap::default();
        let mut wanted = Vec::new();
        let function = &ir.functions[f.1 as usize];
        collect_calls(function, &mut |call| {
            wanted.extend(receiver(call));
            calls.insert(call.id, call);
        });
        if wanted.is_empty() {
            return (types, reads);
        }
        if wanted.iter().any(|id| !calls.contains_key(id)) {
            // A local bound in the enclosing function and used in a closure.
            for g in &ir.functions {
                collect_calls(g, &mut |call| {
                    calls.entry(call.id).or_insert(call);
                });
            }
        }
        let file = FileCalls {
            fi: f.0,
            ir,
            places,
            calls,
        };
        for id in wanted {
            self.value_types(&file, id, &mut types, &mut reads);
        }
        (types, reads)
    }

    /// The program types a call's value may have: those declared by every function its lookups
    /// find, and its receiver's (a method the program does not type hands its receiver on).
    fn value_types(
        &self,
        file: &FileCalls,
        id: u32,
        types: &mut HashMap<u32, Vec<String>>,
        reads: &mut TypeReads,
    ) {
        if types.contains_key(&id) {
            return;
        }
        // Cuts a (malformed) cycle of receivers.
        types.insert(id, Vec::new());
        let Some(call) = file.calls.get(&id) else {
            return;
        };
        let mut out = Vec::new();
        if let Some(r) = receiver(call) {
            self.value_types(file, r, types, reads);
            out.extend(types.get(&r).cloned().unwrap_or_default());
        }
        let mut found: Vec<FnRef> = Vec::new();
        if let Callee::Local(c) = call.callee {
            found.push((file.fi, c as u32));
        }
        let chain = Chain::AnyOf(&self.returns, &out);
        for place in file.places {
            for step in steps(place, &file.ir.crates_used, call, self.catalog, chain) {
                match step {
                    Step::Key { key, .. } => {
                        found.extend(self.found_at(&key));
                        reads.keys.push(key);
                    }
                    Step::Method { krate, name } => {
                        let k = (krate, name);
                        found.extend(self.methods.get(&k).into_iter().flatten().copied());
                        reads.methods.push(k);
                    }
                    Step::Apis(_) | Step::Global(_) | Step::Macro { .. } => {}
                }
            }
        }
        self.charge(found.len() as u64 + 1);
        for g in found {
            out.extend(self.declared_types(g));
        }
        out.sort();
        out.dedup();
        types.insert(id, out);
    }

    /// The functions defined at `key` or at a key the `use`s known so far rewrite it to.
    fn found_at(&self, key: &str) -> Vec<FnRef> {
        let Some(&start) = self.key_ids.get(key) else {
            return self.defs.get(key).cloned().unwrap_or_default();
        };
        let mut seen = HashSet::from_iter([start]);
        let mut stack = vec![start];
        let mut out = Vec::new();
        while let Some(id) = stack.pop() {
            self.charge(1);
            out.extend(
                self.defs
                    .get(&self.key_strs[id as usize])
                    .into_iter()
                    .flatten()
                    .copied(),
            );
            for &next in &self.nodes[id as usize].fwd {
                if seen.insert(next) {
                    stack.push(next);
                }
            }
        }
        out
    }

    /// The return type `g` declares, as a key in each place its file may sit.
    pub(super) fn declared_types(&self, g: FnRef) -> Vec<String> {
        let fi = g.0 as usize;
        let (Some(ir), Some(places)) = (self.irs.get(&fi), self.places.get(&fi)) else {
            return Vec::new();
        };
        ir.fn_types
            .iter()
            .filter(|(i, _)| *i == g.1)
            .flat_map(|(_, ty)| places.iter().map(move |p| absolute(p, ty)))
            .collect()
    }

    /// Whether `g` declares a return type (a value a method may be called on).
    pub(super) fn is_typed(ir: &FileIr, index: usize) -> bool {
        ir.fn_types.iter().any(|(i, _)| *i as usize == index)
    }

    /// Makes `f` looked at again when what its receiver types read changes: a function found
    /// at one of the keys (or a key a `use` leads them to), or a method of the name.
    pub(super) fn watch_types(&mut self, f: FnRef, reads: TypeReads) {
        for key in reads.keys {
            if let Some(id) = self.node(&key, 0) {
                self.add_typer(id, f);
            }
        }
        for (krate, name) in reads.methods {
            let node = self.method_node(&krate, &name);
            if !node.typers.contains(&f) {
                node.typers.push(f);
            }
        }
    }

    /// Adds a watcher to a key node and to every node `use`s lead it to.
    pub(super) fn add_typer(&mut self, id: u32, f: FnRef) {
        let mut stack = vec![id];
        while let Some(id) = stack.pop() {
            self.charge(1);
            let node = &mut self.nodes[id as usize];
            if node.typers.contains(&f) {
                continue;
            }
            node.typers.push(f);
            stack.extend(node.fwd.iter().copied());
        }
    }

    /// `f`'s receiver types may have grown: its calls are resolved and closed again (what was
    /// already asked is not asked twice).
    pub(super) fn retype(&mut self, f: FnRef) {
        if self.closed.remove(&f) {
            self.resolved.remove(&(f, String::new()));
            self.close(f);
        }
    }
}

/// A parsed file's calls by id, where it may sit.
struct FileCalls<'a> {
    fi: u32,
    ir: &'a FileIr,
    places: &'a [FileIr],
    calls: HashMap<u32, &'a Call>,
}

/// Every call of a function, its implied calls first (as the linker visits them).
fn collect_calls<'a>(function: &'a Function, visit: &mut dyn FnMut(&'a Call)) {
    for call in &function.implied {
        visit(call);
    }
    for_each_call(&function.body, visit);
}
