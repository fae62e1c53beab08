//! The `main`s whose threads matter. A trait's method that may reach a fork but that no caller
//! reaches runs with the threads of its binary's `main` (`analysis::orphans`): so every `main` of
//! a unit holding such a method, or of the binaries linking its library (the package's own, or
//! those of packages depending on it), is parsed and closed.

use super::*;
use crate::analysis::program::is_own_binary;
use crate::prefilter::scan::{self, DEF};
use crate::resolve::package_of;

impl Closure<'_> {
    /// `f` may reach a fork: when it is a trait's method, the `main`s of the binaries it runs in
    /// matter.
    pub(super) fn entries_of(&mut self, f: FnRef) {
        let (Some(ir), Some(places)) = (
            self.irs.get(&(f.0 as usize)),
            self.places.get(&(f.0 as usize)),
        ) else {
            return;
        };
        if !ir.trait_methods.contains(&f.1) || ir.functions[f.1 as usize].is_test {
            return;
        }
        let crates: Vec<u32> = places
            .iter()
            .filter_map(|p| self.crate_index.get(&p.crate_name).copied())
            .collect();
        for c in crates {
            let package = package_of(&self.crate_ids[c as usize]);
            let dependents = self.dependents.get(package).into_iter().flatten();
            let units: Vec<u32> = std::iter::once(package)
                .chain(dependents.map(String::as_str))
                .filter_map(|p| self.package_crates.get(p))
                .flatten()
                .copied()
                .filter(|&d| d == c || !is_own_binary(&self.crate_ids[d as usize]))
                .collect();
            for d in units {
                self.entry_unit(d);
            }
        }
    }

    /// The `main` of unit `d` matters: its crate root is parsed (when it may define `main`),
    /// and a `main` already parsed is closed.
    fn entry_unit(&mut self, d: u32) {
        if !self.entry_units.insert(d) {
            return;
        }
        let key = scan::key("main", DEF);
        let roots = self
            .files_by_module
            .get(&(d, String::new()))
            .cloned()
            .unwrap_or_default();
        for f in roots.into_iter().map(|f| f as usize) {
            if !self.index.contains(key, f) {
                continue;
            }
            match self.state[f] {
                FileState::Skipped => {
                    let unit = self.crate_ids[d as usize].clone();
                    self.want(f, &|| format!("the `main` of {unit}, which may fork"));
                }
                FileState::Parsed => self.close_entries(f),
                FileState::Queued | FileState::Failed => {}
            }
        }
    }

    /// Closes the `main` a parsed file defines, when its unit's `main` matters.
    pub(super) fn close_entries(&mut self, fi: usize) {
        let (Some(ir), Some(places)) = (self.irs.get(&fi), self.places.get(&fi)) else {
            return;
        };
        let wanted = places.iter().any(|p| {
            self.crate_index
                .get(&p.crate_name)
                .is_some_and(|c| self.entry_units.contains(c))
        });
        if !wanted {
            return;
        }
        let mains: Vec<FnRef> = ir
            .functions
            .iter()
            .enumerate()
            .filter(|(_, f)| f.is_main)
            .map(|(i, _)| (fi as u32, i as u32))
            .collect();
        self.work.extend(mains.into_iter().map(Work::Close));
    }
}
