//! The linker's tables of what the program defines, and the first definition a lookup finds.

use super::path::{glob_applies, is_relative, prefix_ends, rewrite, MAX_ALIAS_STEPS};
use super::steps::Step;
use super::FnRef;
use crate::catalog::Catalog;
use std::collections::HashMap;

/// What the program's files define, by absolute key.
#[derive(Debug, Default)]
pub struct Tables {
    pub fns: HashMap<String, Vec<FnRef>>,
    /// Methods by (crate, name): the fallback for a receiver of unknown type.
    pub methods: HashMap<(String, String), Vec<FnRef>>,
    pub globals: HashMap<String, FnRef>,
    /// `use` declarations: bound key → target key.
    pub aliases: HashMap<String, String>,
    /// Glob `use` declarations: module key → target keys.
    pub globs: HashMap<String, Vec<String>>,
    /// `macro_rules!` bodies by (package, name).
    pub macros: HashMap<(String, String), Vec<FnRef>>,
}

/// Keys one lookup may visit: globs branch (a module may glob several others, and modules
/// often glob each other), so the steps alone do not bound it.
const LOOKUP_KEYS: usize = 64;

/// What a lookup found.
#[derive(Debug, Clone)]
pub enum Hit {
    Apis(Vec<usize>),
    Fns(Vec<FnRef>),
}

impl Tables {
    /// The first lookup of `steps` that finds something.
    pub fn first_hit(&self, steps: &[Step], catalog: &Catalog) -> Option<Hit> {
        steps.iter().find_map(|step| self.hit(step, catalog))
    }

    fn hit(&self, step: &Step, catalog: &Catalog) -> Option<Hit> {
        match step {
            Step::Apis(apis) => Some(Hit::Apis(apis.clone())),
            Step::Key { key, reexport } => {
                if let Some(found) = self.functions(key) {
                    return Some(Hit::Fns(found.to_vec()));
                }
                if !*reexport {
                    return None;
                }
                self.reexported(key)
                    .iter()
                    .map(|real| catalog.by_path(real))
                    .find(|apis| !apis.is_empty())
                    .map(Hit::Apis)
            }
            Step::Method { krate, name } => self
                .methods
                .get(&(krate.clone(), name.clone()))
                .filter(|found| found.len() == 1)
                .map(|found| Hit::Fns(found.clone())),
            Step::Global(key) => self.globals.get(key).map(|&init| Hit::Fns(vec![init])),
            Step::Macro { package, name } => self
                .macros
                .get(&(package.clone(), name.clone()))
                .map(|found| Hit::Fns(found.clone())),
        }
    }

    /// The functions at `key`, following at most `MAX_ALIAS_STEPS` `use`s. At each key the `use`
    /// bound at its longest proper prefix is followed first, then one bound at the key itself;
    /// only where none is bound, the globs that may bind it, longest first, each to its end.
    pub fn functions(&self, key: &str) -> Option<&[FnRef]> {
        self.functions_within(key, MAX_ALIAS_STEPS, &mut { LOOKUP_KEYS })
    }

    fn functions_within(&self, key: &str, steps: usize, left: &mut usize) -> Option<&[FnRef]> {
        if let Some(found) = self.fns.get(key) {
            return Some(found);
        }
        if steps == 0 || *left == 0 {
            return None;
        }
        *left -= 1;
        let ends = prefix_ends(key);
        let (whole, proper) = ends.split_last().expect("a key has an end");
        let named = proper
            .iter()
            .rev()
            .chain(std::iter::once(whole))
            .find_map(|&end| self.aliases.get(&key[..end]).map(|t| rewrite(key, end, t)));
        if let Some(next) = named {
            return (next != key)
                .then(|| self.functions_within(&next, steps - 1, left))
                .flatten();
        }
        proper.iter().rev().find_map(|&end| {
            let targets = self
                .globs
                .get(&key[..end])
                .filter(|_| glob_applies(key, end))?;
            targets
                .iter()
                .map(|t| rewrite(key, end, t))
                .filter(|next| next != key)
                .find_map(|next| self.functions_within(&next, steps - 1, left))
        })
    }

    /// Where chains of `use`s of exactly this key end when they leave the program: a `use` bound
    /// at the key, or a glob of its module (`pub use libc::*` makes `sys::fork` `libc::fork`).
    pub fn reexported(&self, key: &str) -> Vec<String> {
        let mut ends = Vec::new();
        self.reexports_within(key, MAX_ALIAS_STEPS + 1, &mut { LOOKUP_KEYS }, &mut ends);
        ends.retain(|end| end != key && !is_relative(end));
        ends
    }

    fn reexports_within(&self, key: &str, steps: usize, left: &mut usize, ends: &mut Vec<String>) {
        let next: Vec<String> = match self.aliases.get(key) {
            Some(target) => vec![target.clone()],
            None => match key.rfind("::") {
                Some(i) => self.globs.get(&key[..i]).map_or_else(Vec::new, |targets| {
                    targets.iter().map(|t| rewrite(key, i, t)).collect()
                }),
                None => Vec::new(),
            },
        };
        let next: Vec<String> = next.into_iter().filter(|n| n != key).collect();
        if next.is_empty() || steps == 0 || *left == 0 {
            ends.push(key.to_string());
            return;
        }
        *left -= 1;
        for n in next {
            self.reexports_within(&n, steps - 1, left, ends);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables() -> Tables {
        let mut t = Tables::default();
        t.fns.insert("app::jobs::run_all".into(), vec![(1, 0)]);
        t.fns.insert("app::named::run_all".into(), vec![(2, 0)]);
        t.globs.insert("app".into(), vec!["app::jobs".into()]);
        t.globs.insert("app::sys".into(), vec!["libc".into()]);
        // Modules globbing each other, as `use super::*` in a child and `use child::*` above.
        t.globs.insert("app::a".into(), vec!["app::a::b".into()]);
        t.globs.insert("app::a::b".into(), vec!["app::a".into()]);
        t
    }

    #[test]
    fn globs_hand_on_names_that_nothing_binds() {
        let mut t = tables();
        assert_eq!(t.functions("app::run_all"), Some(&[(1, 0)][..]));
        assert_eq!(t.reexported("app::sys::fork"), ["libc::fork"]);
        assert_eq!(t.functions("app::a::missing"), None, "cycles end");
        // A name the module binds itself shadows the glob.
        t.aliases
            .insert("app::run_all".into(), "app::named::run_all".into());
        assert_eq!(t.functions("app::run_all"), Some(&[(2, 0)][..]));
    }
}
