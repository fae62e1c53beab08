//! The fixpoint's steps: a function that may reach a fork makes its callers worth parsing, a
//! function whose summary matters makes every lookup of its calls and all it calls matter.

use super::*;
use crate::analysis::program::for_each_call;
use crate::ir::{Call, Callee, FnKind};
use crate::prefilter::leads::{self, Lead};
use crate::prefilter::scan::ANY;
use crate::resolve::path::prefix_ends;
use crate::resolve::steps::{receiver, steps, Chain, Step};
use crate::resolve::{absolute, last_segment, package_of, FnRef};

impl Closure<'_> {
    /// `f` may reach a fork: it and all it calls matter, and so do its callers.
    pub(super) fn hot(&mut self, f: FnRef) {
        if !self.hot.insert(f) {
            return;
        }
        self.work.push(Work::Close(f));
        self.entries_of(f);
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
                let ids: Vec<u32> = self.nodes_at(&key).collect();
                for id in ids {
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
    pub(super) fn note_hot_name(&mut self, name: &str) {
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
    pub(super) fn lead(&mut self, lead: Lead) {
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
            // Of the `use`s of a crate's root, only globs make leads (as in `defs`).
            let root = self.crate_index.contains_key(prefix);
            let aliases: Vec<(String, String, bool)> = self
                .aliases_by_target
                .get(prefix)
                .into_iter()
                .flatten()
                .filter(|(_, _, glob)| *glob || !root)
                .cloned()
                .collect();
            self.charge(aliases.len() as u64 + 1);
            for (bound, bound_crate, glob) in aliases {
                for l in lead.through(&bound_crate, &bound, prefix, glob) {
                    self.push_lead(l);
                }
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
            for (bound, bound_crate, target, glob) in aliases {
                for l in lead.through(&bound_crate, &bound, &target, glob) {
                    self.push_lead(l);
                }
            }
            self.leads_by_head
                .entry(lead.head.clone())
                .or_default()
                .push(id);
        }
    }

    pub(super) fn push_lead(&mut self, lead: Lead) {
        // A lead costs a few strings and a hash: more than one posting entry.
        self.charge(4);
        if !self.lead_ids.contains_key(&lead) {
            self.work.push(Work::Lead(lead));
        }
    }

    /// What resolving each call of `f` (each call written with `name`, if given) reads.
    pub(super) fn probes(&self, f: FnRef, name: Option<&str>) -> Vec<Probe> {
        self.probes_typed(f, name, &self.receiver_types(f).0)
    }

    /// [`Self::probes`], with the receiver types of `f`'s calls known.
    fn probes_typed(
        &self,
        f: FnRef,
        name: Option<&str>,
        types: &HashMap<u32, Vec<String>>,
    ) -> Vec<Probe> {
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
            let program_types = receiver(call)
                .and_then(|r| types.get(&r))
                .map_or(&[][..], Vec::as_slice);
            for place in places {
                for step in steps(
                    place,
                    &ir.crates_used,
                    call,
                    catalog,
                    Chain::AnyOf(&self.returns, program_types),
                ) {
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
    pub(super) fn resolve(&mut self, f: FnRef, name: Option<&str>) {
        if !self.resolved.insert((f, name.unwrap_or("").to_string())) {
            return;
        }
        let probes = self.probes(f, name);
        self.subscribe(f, &probes);
    }

    /// Subscribes `f` to what its calls read, and makes it hot if one of them is.
    fn subscribe(&mut self, f: FnRef, probes: &[Probe]) {
        self.charge(probes.len() as u64);
        for probe in probes {
            let hot = match probe {
                Probe::Key(key) => match self.node(key, 0) {
                    Some(id) => {
                        let node = &mut self.nodes[id as usize];
                        node.subscribers.push(f);
                        node.hot
                    }
                    None => false,
                },
                Probe::Method(krate, name) => {
                    let node = self.method_node(krate, name);
                    node.subscribers.push(f);
                    node.hot
                }
                Probe::Global(key) => {
                    let node = self.global_node(key);
                    node.subscribers.push(f);
                    node.hot
                }
                Probe::Macro(package, name) => {
                    let node = self.macro_node(package, name);
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
    pub(super) fn close(&mut self, f: FnRef) {
        if !self.closed.insert(f) {
            return;
        }
        // The receiver types are read once, and again only where resolving (or closing) has
        // changed what they read (`types_version`): each reading costs as much as the rest.
        let mut version = self.types_version;
        let (types, mut reads) = self.receiver_types(f);
        let mut probes = self.probes_typed(f, None, &types);
        if self.resolved.insert((f, String::new())) {
            self.subscribe(f, &probes);
            if self.types_version != version {
                version = self.types_version;
                let (types, again) = self.receiver_types(f);
                probes = self.probes_typed(f, None, &types);
                reads = again;
            }
        }
        for probe in probes {
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
        if self.types_version != version {
            reads = self.receiver_types(f).1;
        }
        self.watch_types(f, reads);
    }
}
