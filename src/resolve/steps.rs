//! The lookups a call's resolution tries, in order. A catalogue entry ends the list: once the
//! catalogue knows a path, no table of the program is read for it.

use super::path::{absolute, crate_rooted, is_relative, last_segment, package_of, STD_METHODS};
use crate::catalog::Catalog;
use crate::ir::{Call, Callee, FileIr};
use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::rc::Rc;

/// One lookup of a call's resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Catalogue entries (indices into `Catalog::apis`).
    Apis(Vec<usize>),
    /// The program's functions at this key, through the `use`s that rewrite it; with
    /// `reexport`, when an exact chain of `use`s leads out of the program instead, the catalogue
    /// entries where it ends (`crate::sys::fork` declared in an `extern "C"` block is
    /// `libc::fork`).
    Key { key: String, reexport: bool },
    /// The crate's only method of this name, for a receiver of unknown type.
    Method { krate: String, name: String },
    /// The lazily-initialised global at this key.
    Global(String),
    /// A `macro_rules!` macro of the package, by name (they are scoped by text, not by path).
    Macro { package: String, name: String },
}

/// What is known of the type a builder chain gives a method call's receiver.
#[derive(Debug, Clone, Copy)]
pub enum Chain<'a> {
    /// The linker's: the type learnt from the call that made the receiver, if any.
    Known(Option<&'a str>),
    /// Before the chain is linked: any of these when the receiver is a call's value (the
    /// catalogue's `returns` types, then the types the program's functions the call may reach
    /// declare).
    AnyOf(&'a Returns, &'a [String]),
}

/// The types catalogue entries return, and the lookups a method call on each gives, made once
/// per method name: the same dozen paths are otherwise spelt and looked up in the catalogue
/// for every method call with a receiver that the prefilter reads.
#[derive(Debug, Default)]
pub struct Returns {
    types: Vec<String>,
    by_name: RefCell<FxHashMap<String, Rc<[Step]>>>,
}

impl Returns {
    /// The `returns` types of `catalog`'s entries, sorted, each once.
    pub fn of(catalog: &Catalog) -> Returns {
        let mut types: Vec<String> = catalog
            .apis
            .iter()
            .filter_map(|a| a.returns.clone())
            .collect();
        types.sort();
        types.dedup();
        Returns {
            types,
            by_name: RefCell::default(),
        }
    }

    pub fn types(&self) -> &[String] {
        &self.types
    }

    /// For each type, in order: the catalogue entries of its method `name`, or the key the
    /// program's tables would hold it at.
    fn steps(&self, name: &str, catalog: &Catalog) -> Rc<[Step]> {
        if let Some(found) = self.by_name.borrow().get(name) {
            return found.clone();
        }
        let made: Rc<[Step]> = self
            .types
            .iter()
            .map(|t| chain_step(t, name, catalog))
            .collect();
        self.by_name
            .borrow_mut()
            .insert(name.to_string(), made.clone());
        made
    }
}

/// The lookup of method `name` on a chain's type `t`: the catalogue's entries, else the
/// program's key.
fn chain_step(t: &str, name: &str, catalog: &Catalog) -> Step {
    let path = format!("{t}::{name}");
    let apis = catalog.by_path(&path);
    if apis.is_empty() {
        Step::Key {
            key: path,
            reexport: false,
        }
    } else {
        Step::Apis(apis)
    }
}

/// The call whose value a method is called on: the receiver expression itself
/// (`make().run()`), or the call a local receiver was bound to (`let t = make(); t.run()`).
pub fn receiver(call: &Call) -> Option<u32> {
    call.receiver_call.or(call.receiver_from)
}

/// The keys a path written at `place` names in the program: its absolute key, then, in an
/// edition-2015 crate, the same path read from the crate root.
fn push_keys(out: &mut Vec<Step>, place: &FileIr, path: &str, reexport: bool) {
    out.push(Step::Key {
        key: absolute(place, path),
        reexport,
    });
    if let Some(key) = crate_rooted(place, path) {
        out.push(Step::Key {
            key,
            reexport: false,
        });
    }
}

/// Every lookup resolving `call` may try, in order, for a file at `place` (its crate and
/// module) that names `crates_used`. A catalogue hit ends the list, except one that only a
/// chain type the caller may not know would reach (`Chain::AnyOf`).
pub fn steps(
    place: &FileIr,
    crates_used: &[String],
    call: &Call,
    catalog: &Catalog,
    chain: Chain,
) -> Vec<Step> {
    let mut out = Vec::new();
    match &call.callee {
        Callee::Path(candidates) => {
            for cand in candidates {
                if !is_relative(cand) {
                    let apis = catalog.by_path(cand);
                    if !apis.is_empty() {
                        out.push(Step::Apis(apis));
                        return out;
                    }
                }
                push_keys(&mut out, place, cand, true);
            }
        }
        Callee::Method { name, ty } => {
            let python = crate::frontend::Language::of(std::path::Path::new(&place.path))
                == Some(crate::frontend::Language::Python);
            // A field of a type the linker did not find is of unknown type.
            let written = ty.as_deref().filter(|t| !t.contains(crate::ir::FIELD_OF));
            let ty = match chain {
                Chain::Known(Some(known)) => Some(known),
                Chain::Known(None) => written,
                Chain::AnyOf(returns, more) => {
                    if receiver(call).is_some() {
                        out.extend(returns.steps(name, catalog).iter().cloned());
                        out.extend(more.iter().map(|t| chain_step(t, name, catalog)));
                    }
                    written
                }
            };
            // The linked type first; the receiver's type as written if that names no method.
            let second = written.filter(|w| Some(*w) != ty);
            for ty in ty.into_iter().chain(second) {
                let path = format!("{ty}::{name}");
                if !is_relative(&path) {
                    let apis = catalog.by_path(&path);
                    if !apis.is_empty() {
                        out.push(Step::Apis(apis));
                        return out;
                    }
                }
                push_keys(&mut out, place, &path, false);
            }
            // `receiver = "global"` entries are Rust statics' guards; a Python module global
            // (which the Python frontend also marks) is no lock.
            let global = call.receiver_global.is_some() && !python;
            let mut apis = catalog.by_method(name, crates_used, global);
            apis.retain(|&a| catalog.apis[a].min_args.is_none_or(|n| call.args >= n));
            if !apis.is_empty() {
                out.push(Step::Apis(apis));
                return out;
            }
            // A receiver of unknown type may be the crate's only type with that method in Rust;
            // in Python any object may have it (duck typing, and the library's objects are not
            // in the tables), so the name alone says nothing.
            if ty.is_none() && !python && !STD_METHODS.contains(&name.as_str()) {
                out.push(Step::Method {
                    krate: place.crate_name.clone(),
                    name: name.clone(),
                });
            }
        }
        Callee::Macro(path) => {
            let apis = catalog.by_macro(path, crates_used);
            if !apis.is_empty() {
                out.push(Step::Apis(apis));
                return out;
            }
            out.push(Step::Macro {
                package: package_of(&place.crate_name).to_string(),
                name: last_segment(path).to_string(),
            });
        }
        Callee::Local(_) => {}
        Callee::Global(path) => {
            out.push(Step::Global(absolute(place, path)));
            if !is_relative(path) {
                let apis = catalog.by_path(path);
                if !apis.is_empty() {
                    out.push(Step::Apis(apis));
                }
            }
        }
    }
    out
}
