//! Crates: which crate each file belongs to (and where `#[path]` moves it), which crates can
//! name which, the crate roots whose `#[macro_use]` a file depends on, and the files of a package
//! loaded into Python.

use super::*;
use crate::prefilter::scan::{self, ANY};
use crate::resolve::moves;
use crate::resolve::package_of;

impl Closure<'_> {
    pub(super) fn intern_crate(&mut self, id: String) -> u32 {
        if let Some(&i) = self.crate_index.get(&id) {
            return i;
        }
        let i = self.crate_ids.len() as u32;
        self.crate_index.insert(id.clone(), i);
        self.package_crates
            .entry(package_of(&id).to_string())
            .or_default()
            .push(i);
        self.crate_ids.push(id);
        i
    }

    /// The roots of the crate `fi` belongs to that may hold `#[macro_use] extern crate`: which
    /// macros the file's calls reach depends on them (`resolve::prelude`).
    pub(super) fn want_macro_roots(&mut self, fi: usize) {
        let key = scan::key("macro_use", ANY);
        let c = self.crate_of[fi];
        let roots = self
            .files_by_module
            .get(&(c, String::new()))
            .cloned()
            .unwrap_or_default();
        for root in roots.into_iter().map(|r| r as usize) {
            if self.index.contains(key, root) {
                self.want(root, &|| {
                    "a crate root that may bring in macros".to_string()
                });
            }
        }
    }

    /// Where `#[path]` declarations may move files, as `analysis::program` applies them.
    pub(super) fn compute_moves(&mut self) {
        let targets = moves::declared(self.irs.values());
        for (i, places) in moves::moved(self.files, &targets) {
            let crates = places
                .iter()
                .filter_map(|(c, _)| self.crate_index.get(c).copied())
                .collect();
            self.moved_crates.insert(i, crates);
            self.moves.insert(i, places.to_vec());
        }
    }

    /// Which crates name which: a call can only resolve into a crate its file names, or one
    /// reached through `use`s of crates it names.
    pub(super) fn compute_mentions(&mut self) {
        let mut crate_files: Vec<Vec<u32>> = vec![Vec::new(); self.crate_ids.len()];
        for (f, &c) in self.crate_of.iter().enumerate() {
            crate_files[c as usize].push(f as u32);
        }
        for (&f, crates) in &self.moved_crates {
            for &c in crates {
                crate_files[c as usize].push(f as u32);
            }
        }
        for list in &mut crate_files {
            list.sort_unstable();
            list.dedup();
        }
        self.crate_files = crate_files;
        for (f, &c) in self.crate_of.iter().enumerate() {
            self.files_by_module
                .entry((c, self.module[f].join("::")))
                .or_default()
                .push(f as u32);
        }
        self.moved_into = vec![Vec::new(); self.crate_ids.len()];
        for (&f, crates) in &self.moved_crates {
            for &c in crates {
                self.moved_into[c as usize].push(f as u32);
            }
        }
        let mut named_by: Vec<Vec<u32>> = vec![Vec::new(); self.crate_ids.len()];
        for (a, id) in self.crate_ids.iter().enumerate() {
            if !is_identifier(id) {
                continue;
            }
            let mut by: Vec<u32> = Vec::new();
            for f in self.index.files(scan::key(id, ANY)) {
                by.push(self.crate_of[f]);
                by.extend(self.moved_crates.get(&f).into_iter().flatten());
            }
            by.sort_unstable();
            by.dedup();
            named_by[a] = by;
        }
        self.named_by = named_by;
    }

    /// The crates whose files may call into `krate`, itself included.
    pub(super) fn reaching(&mut self, krate: u32) -> &Vec<bool> {
        let n = self.crate_ids.len();
        let everyone = matches!(
            self.crate_ids[krate as usize].as_str(),
            "std" | "core" | "alloc"
        );
        let named_by = &self.named_by;
        let spent = &self.spent;
        self.reaching.entry(krate).or_insert_with(|| {
            if everyone {
                return vec![true; n];
            }
            spent.set(spent.get() + n as u64);
            let mut seen = vec![false; n];
            let mut stack = vec![krate];
            seen[krate as usize] = true;
            while let Some(c) = stack.pop() {
                for &b in named_by.get(c as usize).into_iter().flatten() {
                    spent.set(spent.get() + 1);
                    if !seen[b as usize] {
                        seen[b as usize] = true;
                        stack.push(b);
                    }
                }
            }
            seen
        })
    }

    pub(super) fn in_crate(&self, f: usize, krate: u32) -> bool {
        self.crate_of[f] == krate
            || self
                .moved_crates
                .get(&f)
                .is_some_and(|c| c.contains(&krate))
    }

    pub(super) fn reaches(&mut self, f: usize, via: u32) -> bool {
        let crate_of = self.crate_of[f];
        let moved = self.moved_crates.get(&f).cloned();
        let reach = self.reaching(via);
        reach[crate_of as usize] || moved.is_some_and(|cs| cs.iter().any(|&c| reach[c as usize]))
    }

    /// The scanned crates a key may belong to (a crate id followed by `::`).
    pub(super) fn crates_of(&self, key: &str) -> Vec<u32> {
        key.match_indices("::")
            .filter_map(|(i, _)| self.crate_index.get(&key[..i]).copied())
            .collect()
    }

    /// Parses every file of a package with Python entry points, and closes what is parsed.
    pub(super) fn python_package(&mut self, package: &str) {
        let crates = self
            .package_crates
            .get(package)
            .cloned()
            .unwrap_or_default();
        let files: Vec<usize> = crates
            .iter()
            .flat_map(|&c| self.crate_files[c as usize].iter().map(|&f| f as usize))
            .collect();
        for f in files {
            self.want(f, &|| format!("package {package} is loaded into Python"));
        }
        let parsed: Vec<usize> = self
            .irs
            .iter()
            .filter(|(_, ir)| package_of(&ir.crate_name) == package)
            .map(|(&f, _)| f)
            .collect();
        for f in parsed {
            let n = self.irs[&f].functions.len();
            for i in 0..n {
                self.work.push(Work::Close((f as u32, i as u32)));
            }
        }
    }
}
