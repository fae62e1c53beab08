//! The seeds: which catalogue entries make a file worth parsing before anything else is known,
//! and which effects of a call make its function reach a fork.

use super::scan::{self, ANY};
use crate::catalog::{Catalog, Effect};
use crate::ir::{Call, FileIr};
use crate::resolve::steps::{steps, Chain, Returns, Step};
use std::collections::HashSet;

pub(super) fn is_fork_effect(e: &Effect) -> bool {
    matches!(
        e,
        Effect::Fork | Effect::Daemon | Effect::Vfork | Effect::ChildClosure
    )
}

/// For each catalogue entry that forks or runs code in a child, the identifiers a file must
/// hold to call it: the last segment (the name written at the call) and the crate, unless the
/// crate is `std` (its paths may come from the prelude or from `core::`/`alloc::`).
pub fn seed_conditions(catalog: &Catalog) -> Vec<Vec<u32>> {
    // A builder chain may carry a catalogue `returns` type into a file that never names its crate.
    let carried: HashSet<&str> = catalog
        .apis
        .iter()
        .filter_map(|a| a.returns.as_deref())
        .filter_map(|t| t.split("::").next())
        .collect();
    let names = |api: &crate::catalog::Api| -> Vec<u32> {
        let mut names: Vec<&str> = Vec::new();
        if let Some(path) = &api.path {
            let mut named: Vec<&str> = path
                .split("::")
                .map(|s| s.split('#').next().unwrap_or(s))
                .filter(|s| *s != "*")
                .collect();
            if let Some(last) = named.pop() {
                names.push(last);
            }
            if let Some(first) = named.first() {
                if !matches!(*first, "std" | "core" | "alloc") && !carried.contains(first) {
                    names.push(first);
                } else if let Some(ty) = named.last().filter(|t| t.starts_with(char::is_uppercase))
                {
                    // `Command::env`: the frontend types a receiver only from names its file
                    // holds (a constructor, a parameter, a field, an import).
                    names.push(ty);
                }
            }
        } else if let Some(name) = api.method.as_ref().or(api.macro_name.as_ref()) {
            names.push(name);
            if let Some(k) = &api.krate {
                names.push(k);
            }
        }
        names.iter().map(|n| scan::key(n, ANY)).collect()
    };
    let with = |pred: fn(&Effect) -> bool| -> Vec<Vec<u32>> {
        catalog
            .apis
            .iter()
            .filter(|a| a.effects.iter().any(pred))
            .map(names)
            .collect()
    };
    // Packages loaded into Python are reported on without a fork point (the frontend's
    // `python_entry` attributes).
    let mut out: Vec<Vec<u32>> = PYTHON_ATTRIBUTES
        .iter()
        .map(|a| vec![scan::key(a, ANY)])
        .collect();
    out.extend(with(is_fork_effect));
    // `#[link_name = "__libc_fork"]` on an `extern` declaration names glibc's alias of a libc
    // function: the file may hold no other word of it.
    out.extend(
        catalog
            .apis
            .iter()
            .filter(|a| a.effects.iter().any(is_fork_effect))
            .filter_map(|a| a.path.as_deref()?.strip_prefix("libc::"))
            .map(|name| vec![scan::key(&format!("__libc_{name}"), ANY)]),
    );
    // A command spawned after a call that makes std fork+exec it (same function).
    let triggers = with(is_spawn_trigger);
    for spawn in with(|e| *e == Effect::SpawnsCommand) {
        for trigger in &triggers {
            out.push(spawn.iter().chain(trigger).copied().collect());
        }
    }
    out
}

/// Calls that may make a later `spawn` of the same command fork+exec.
pub(super) fn is_spawn_trigger(e: &Effect) -> bool {
    matches!(e, Effect::ForcesFork | Effect::SetsEnv)
}

/// The attributes that make the frontend set `python_entry`.
const PYTHON_ATTRIBUTES: &[&str] = &["pyfunction", "pymodule", "pymethods"];

/// Every effect of the catalogue entries a call could resolve to, in any order of the
/// resolution's steps (a builder chain's `returns` types included).
pub(super) fn call_effects(
    catalog: &Catalog,
    returns: &Returns,
    ir: &FileIr,
    call: &Call,
) -> Vec<Effect> {
    // The catalogue's steps are the same wherever the file sits.
    steps(
        ir,
        &ir.crates_used,
        call,
        catalog,
        Chain::AnyOf(returns, &[]),
    )
    .into_iter()
    .filter_map(|step| match step {
        Step::Apis(apis) => Some(apis),
        _ => None,
    })
    .flatten()
    .flat_map(|i| catalog.apis[i].effects.iter().copied())
    .collect()
}
