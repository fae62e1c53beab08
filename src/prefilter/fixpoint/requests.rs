//! Requests: from names the fixpoint needs, the files to parse, read off the scan's index within a
//! crate, the crates that reach it, or a module's files.

use super::*;
use crate::prefilter::leads::{Lead, Tail};
use crate::prefilter::scan::{self, ANY, AS, DEF, GLOB, GLOB_UP, IMPL, USE};
use crate::resolve::STD_METHODS;

impl Closure<'_> {
    /// Files of `krate` (or that may be moved into it) holding `name` with this tag.
    pub(super) fn request(&mut self, kind: u32, name: &str, krate: u32) {
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

    /// Files of `krate` that may define the item at `key` with this tag on its last segment: the
    /// file's module is a strict prefix of the key's path, and the rest of the path (inline
    /// modules, a type, the item) are identifiers in the file; for a function, also the files of
    /// the crate with an `impl` of the segment before its name.
    pub(super) fn request_definers(&mut self, kind: u32, key: &str, krate: u32) {
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
        let found = self.placed_definers(kind, krate, &segs);
        for (f, route) in found {
            self.want(f, &|| format!("{kind}:{key} ({route})"));
        }
        if kind == DEF && segs.len() >= 2 {
            // A method is keyed by its type's path but defined wherever an `impl` of the type
            // is (`impl super::Feeder` in a child module): the files of the crate that define
            // the name and name the type in an `impl` header, or bind it under another name
            // (`use super::Feeder as F; impl F`, `use a::Feeder::{self as F}`), the only ways
            // the type's last segment is not written in the header. These depend on the type's
            // name alone, not on its module: asked once for every path a lookup meets it by.
            let ty = segs[segs.len() - 2];
            for (keys, route) in [
                (vec![last_key, scan::key(ty, IMPL)], "impl"),
                (vec![last_key, scan::key(ty, AS)], "as"),
                (
                    vec![last_key, scan::key(ty, USE), scan::key("self", AS)],
                    "self as",
                ),
            ] {
                self.request_keys(keys, Scope::Crate(krate), &|| {
                    format!("{kind}:{key} ({route})")
                });
            }
        }
    }

    /// The files of `krate` holding every key: by the crate's own files or by the shortest
    /// posting list, whichever is shorter, so that many crates sharing a name stay linear.
    pub(super) fn crate_files_with(&self, keys: &[u32], krate: u32) -> Vec<usize> {
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
    pub(super) fn request_all(&mut self, kind: u32, names: &[&str], scope: Scope) {
        let keys: Vec<u32> = names.iter().map(|n| scan::key(n, kind)).collect();
        self.request_keys(keys, scope, &|| format!("{kind}:{}", names.join("+")));
    }

    /// Files in `scope` holding every key; `what` names the request in the trace.
    pub(super) fn request_keys(&mut self, keys: Vec<u32>, scope: Scope, what: &dyn Fn() -> String) {
        if !self.asked_all.insert((keys.clone(), scope)) {
            return;
        }
        if let Scope::Crate(c) = scope {
            let found = self.crate_files_with(&keys, c);
            for f in found {
                self.want(f, &|| format!("{} {scope:?}", what()));
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
                self.want(f, &|| format!("{} {scope:?}", what()));
            }
        }
    }

    /// The files of `krate` placed where they may define the item at path `segs` (past the
    /// crate), with the tag `kind` on its last segment. Candidates by module (each strict prefix
    /// of the path names one), not by the name's posting list: a crate where many files define
    /// a `new` pulls only the right ones.
    fn placed_definers(&self, kind: u32, krate: u32, segs: &[&str]) -> Vec<(usize, &'static str)> {
        let Some(&last) = segs.last() else {
            return Vec::new();
        };
        let last_key = scan::key(last, kind);
        let seg_keys: Vec<u32> = segs.iter().map(|s| scan::key(s, ANY)).collect();
        let holds = |f: usize| self.index.contains(last_key, f);
        // A file at module `segs[..depth]` may define the key only if it holds the rest of the
        // path; one that `#[path]` moves into the crate, at each module it is moved to.
        let may_define = |f: usize, depth: usize| {
            holds(f) && seg_keys[depth..].iter().all(|&k| self.index.contains(k, f))
        };
        let krate_name = &self.crate_ids[krate as usize];
        let moved = self.moved_into.get(krate as usize).into_iter().flatten();
        self.charge(1 + moved.clone().count() as u64);
        let mut found: Vec<(usize, &str)> = moved
            .map(|&f| f as usize)
            .filter(|&f| {
                self.moves.get(&f).into_iter().flatten().any(|(c, module)| {
                    c == krate_name
                        && module.len() < segs.len()
                        && module.iter().zip(segs).all(|(m, s)| strip_raw(m) == *s)
                        && may_define(f, module.len())
                })
            })
            .map(|f| (f, "moved"))
            .collect();
        let mut module = String::new();
        for (depth, seg) in segs.iter().enumerate() {
            let list = self.files_by_module.get(&(krate, module.clone()));
            self.charge(1 + list.map_or(0, |l| l.len() as u64));
            found.extend(
                list.into_iter()
                    .flatten()
                    .map(|&f| f as usize)
                    .filter(|&f| may_define(f, depth))
                    .map(|f| (f, "module")),
            );
            if !module.is_empty() {
                module.push_str("::");
            }
            module.push_str(seg);
        }
        found
    }

    /// Whether module `target` may bind `first`, so that a glob of it may lead a lookup on: a
    /// file placed at the module (or above it, with inline modules) names it, or a file that
    /// `use`s the module names it in a `use` or an `impl` header (a method written in an `impl`
    /// of a type imported from the module, by name or by a glob, is keyed under the module's
    /// path). Read off the scan alone, so a glob of a module that cannot hold the name costs no
    /// node.
    pub(super) fn may_bind(&mut self, target: &str, first: &str) -> bool {
        let path = format!("{target}::{first}");
        if let Some(&known) = self.bindable.get(&path) {
            return known;
        }
        let mut found = false;
        for c in self.crates_of(&path) {
            let tail = &path[self.crate_ids[c as usize].len() + 2..];
            let segs: Vec<&str> = tail.split("::").map(strip_raw).collect();
            // `use crate::module::First;` (or `use crate::module::*;` then `impl First`) names
            // the module's last segment too, unless the module is the crate's root.
            let module = (segs.len() >= 2).then(|| scan::key(segs[segs.len() - 2], USE));
            let imported = |tag| -> Vec<u32> {
                std::iter::once(scan::key(strip_raw(first), tag))
                    .chain(module)
                    .collect()
            };
            found = !self.placed_definers(ANY, c, &segs).is_empty()
                || !self.crate_files_with(&imported(USE), c).is_empty()
                || !self.crate_files_with(&imported(IMPL), c).is_empty();
            if found {
                break;
            }
        }
        self.bindable.insert(path, found);
        found
    }

    /// The files that may hold a glob re-export of a module the lead's keys are under
    /// (`leads::Lead::through`): a public glob whose `use` names one of the head's modules,
    /// the crate (from another crate), or the module's parent or root.
    fn glob_requests(&mut self, segs: &[&str], krate: &str, c: u32) {
        let glob = scan::key(GLOB, USE);
        let named = segs
            .iter()
            .copied()
            .chain(Some(krate).filter(|k| is_identifier(k)));
        for seg in named {
            self.request_keys(vec![scan::key(seg, USE), glob], Scope::Reaching(c), &|| {
                format!("glob of {seg}")
            });
        }
        self.request_keys(vec![scan::key(GLOB_UP, USE)], Scope::Reaching(c), &|| {
            "glob of a parent".to_string()
        });
    }

    /// The files a lead's keys may be called from, or renamed in.
    pub(super) fn lead_requests(&mut self, lead: &Lead, name: &str, c: u32) {
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
                .types()
                .iter()
                .any(|t| lead.may_be(&format!("{t}::{}", lead.name)))
        {
            // A builder chain reaches it from any file calling the method by name.
            self.request_all(ANY, &[name], Scope::Anywhere);
        }
        // The head's segments past the crate, the name and the type.
        let krate = lead.krate.as_str();
        let tail = lead
            .head
            .strip_prefix(krate)
            .and_then(|t| t.strip_prefix("::"))
            .unwrap_or(&lead.head);
        let mut segs: Vec<&str> = tail.split("::").map(strip_raw).collect();
        // A glob's target is a module, never the function the head may end with.
        let modules = segs.len() - usize::from(lead.tail == Tail::Exact);
        self.glob_requests(&segs[..modules], krate, c);
        segs.push(name);
        segs.extend(ty.as_deref());
        if is_identifier(krate) {
            names.push(krate);
            self.request_all(ANY, &names, Scope::Reaching(c));
            // A `use` binding a prefix of a key names the crate and the key's first segment
            // past it; the head's other segments and the name are asked for too.
            for seg in segs {
                self.request_all(USE, &[krate, seg], Scope::Reaching(c));
            }
        }
    }
}
