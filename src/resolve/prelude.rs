//! `#[macro_use] extern crate x;` in a crate root puts x's macros in scope in every module of the
//! crate (rustc's `macro_use` prelude): files that call `error!(..)` without naming `slog` still
//! call slog's.

use crate::ir::FileIr;
use std::collections::HashMap;

/// Puts the crates a crate root imports with `#[macro_use] extern crate` among the crates every
/// file of that crate names: their macros are in scope there (rustc's `macro_use` prelude).
pub fn apply(files: &mut [FileIr]) {
    let mut by_crate: HashMap<String, Vec<String>> = HashMap::new();
    for f in files.iter().filter(|f| f.module.is_empty()) {
        by_crate
            .entry(f.crate_name.clone())
            .or_default()
            .extend(f.macro_crates.iter().cloned());
    }
    for f in files.iter_mut() {
        for krate in by_crate.get(&f.crate_name).into_iter().flatten() {
            if !f.crates_used.contains(krate) {
                f.crates_used.push(krate.clone());
            }
        }
    }
}
