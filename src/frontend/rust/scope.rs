//! Name resolution inside one file: `use` trees (aliases, groups, globs, nested paths), `extern
//! crate .. as ..`, `self`/`super`/`crate`, and the items each module defines.
//!
//! Paths come out relative to the file's module (`self::..`, `super::..`, `crate::..`, or another
//! crate's name); the analysis places them in the crate once it knows where the file sits.

use std::collections::{HashMap, HashSet};

/// One module's namespace (the file's top level, or an inline `mod { .. }`).
#[derive(Debug, Default, Clone)]
pub struct ModScope {
    /// `self` for the file's module, `self::inner` for an inline module inside it.
    pub path: String,
    pub uses: HashMap<String, String>,
    pub globs: Vec<String>,
    pub items: HashSet<String>,
}

/// Names in the prelude that are never user items, so a bare call to them needs no candidates.
const PRELUDE: &[&str] = &[
    "drop", "Some", "None", "Ok", "Err", "Box", "Vec", "String", "Option", "Result", "Default",
];

impl ModScope {
    pub fn new(path: String) -> Self {
        ModScope {
            path,
            ..Default::default()
        }
    }

    /// The module path one level up from this one (`self::a::b` → `self::a`, `self` → `super`).
    fn parent_path(&self) -> String {
        parent_of(&self.path)
    }

    /// Absolute-ish form of a path as written in a `use` (first segment decides).
    pub fn canonical_use(&self, segs: &[String], externs: &HashMap<String, String>) -> String {
        let Some(first) = segs.first() else {
            return String::new();
        };
        let rest = &segs[1..];
        let base = match first.as_str() {
            "crate" => "crate".to_string(),
            // `extern crate pty;` puts the crate in the module: `use self::pty::..`.
            "self" => match rest.first().and_then(|n| externs.get(n)) {
                Some(real) if !self.items.contains(&rest[0]) => return join_rest(real, &rest[1..]),
                _ => self.path.clone(),
            },
            "super" => self.parent_path(),
            "" => {
                return join_rest(
                    externs.get(&segs[1]).unwrap_or(&segs[1]).as_str(),
                    &segs[2..],
                )
            }
            name if self.items.contains(name) => format!("{}::{name}", self.path),
            name => match self.uses.get(name) {
                Some(target) => target.clone(),
                None => externs
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| name.to_string()),
            },
        };
        join_rest(&base, rest)
    }

    /// Candidates for a path in an expression or type, best first.
    pub fn resolve(
        &self,
        segs: &[String],
        self_ty: Option<&str>,
        locals: Option<&HashMap<String, String>>,
        externs: &HashMap<String, String>,
    ) -> Vec<String> {
        let Some(first) = segs.first() else {
            return Vec::new();
        };
        let rest = &segs[1..];
        match first.as_str() {
            "crate" | "self" | "super" | "" => {
                return vec![normalize(&self.canonical_use(segs, externs))]
            }
            "Self" => {
                if let Some(ty) = self_ty {
                    return vec![join_rest(ty, rest)];
                }
            }
            _ => {}
        }
        if let Some(target) = locals
            .and_then(|l| l.get(first))
            .or_else(|| self.uses.get(first))
        {
            return vec![normalize(&join_rest(target, rest))];
        }
        if self.items.contains(first) {
            return vec![join_rest(&format!("{}::{first}", self.path), rest)];
        }
        if let Some(real) = externs.get(first) {
            return vec![normalize(&join_rest(real, rest))];
        }
        if segs.len() == 1 && PRELUDE.contains(&first.as_str()) {
            return vec![first.clone()];
        }
        let mut out: Vec<String> = Vec::new();
        // A glob brings in names; a type's path (`Fork::new` after `use pty::fork::*`) starts
        // with one too.
        if segs.len() == 1 || first.starts_with(char::is_uppercase) {
            for glob in &self.globs {
                out.push(normalize(&join_rest(&format!("{glob}::{first}"), rest)));
            }
        }
        out.push(normalize(&segs.join("::")));
        // A module a glob brings in (`tty::Fork::new` after `use shell::*`, where the crate
        // has `pub use pty::prelude as tty`), after the path as written.
        if segs.len() > 1 && !first.starts_with(char::is_uppercase) {
            for glob in &self.globs {
                out.push(normalize(&join_rest(&format!("{glob}::{first}"), rest)));
            }
        }
        out
    }
}

fn join_rest(base: &str, rest: &[String]) -> String {
    let mut out = base.to_string();
    for seg in rest {
        out.push_str("::");
        out.push_str(seg);
    }
    out
}

/// `self::a::b` → `self::a`; `self` → `super`; `super` → `super::super`.
pub fn parent_of(path: &str) -> String {
    if path == "self" {
        return "super".to_string();
    }
    if path.starts_with("super") && path.split("::").all(|s| s == "super") {
        return format!("{path}::super");
    }
    match path.rfind("::") {
        Some(i) => path[..i].to_string(),
        None => "super".to_string(),
    }
}

/// `core::` and `alloc::` paths name std items.
pub fn normalize(path: &str) -> String {
    crate::catalog::api::normalize(path).into_owned()
}

/// Flattens a `use` tree into (alias, segments) pairs and glob prefixes.
pub fn flatten_use(
    tree: &syn::UseTree,
    prefix: &mut Vec<String>,
    out: &mut Vec<(String, Vec<String>)>,
    globs: &mut Vec<Vec<String>>,
) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            flatten_use(&p.tree, prefix, out, globs);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let name = n.ident.to_string();
            if name == "self" {
                if let Some(last) = prefix.last() {
                    out.push((last.clone(), prefix.clone()));
                }
            } else {
                let mut segs = prefix.clone();
                segs.push(name.clone());
                out.push((name, segs));
            }
        }
        syn::UseTree::Rename(r) => {
            let alias = r.rename.to_string();
            let mut segs = prefix.clone();
            if r.ident != "self" {
                segs.push(r.ident.to_string());
            }
            if alias != "_" {
                out.push((alias, segs));
            }
        }
        syn::UseTree::Glob(_) => globs.push(prefix.clone()),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                flatten_use(t, prefix, out, globs);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(p: &str) -> Vec<String> {
        p.split("::").map(str::to_string).collect()
    }

    #[test]
    fn resolves_aliases_items_globs_and_relatives() {
        let mut m = ModScope::new("self::inner".into());
        m.uses
            .insert("tp".into(), "rayon::ThreadPoolBuilder".into());
        m.items.insert("helper".into());
        m.globs.push("libc".into());
        let ex = HashMap::from([("c".to_string(), "core_foundation".to_string())]);
        assert_eq!(
            m.resolve(&segs("tp::new"), None, None, &ex),
            ["rayon::ThreadPoolBuilder::new"]
        );
        assert_eq!(
            m.resolve(&segs("helper"), None, None, &ex),
            ["self::inner::helper"]
        );
        assert_eq!(
            m.resolve(&segs("fork"), None, None, &ex),
            ["libc::fork", "fork"]
        );
        assert_eq!(m.resolve(&segs("super::x"), None, None, &ex), ["self::x"]);
        assert_eq!(
            m.resolve(&segs("c::string::CFString::new"), None, None, &ex)[0],
            "core_foundation::string::CFString::new"
        );
        assert_eq!(
            m.resolve(&segs("Self::new"), Some("self::inner::Pool"), None, &ex),
            ["self::inner::Pool::new"]
        );
        assert_eq!(
            m.resolve(&segs("core::mem::drop"), None, None, &ex)[0],
            "std::mem::drop"
        );
        // A module a glob may bring in comes after the path as written.
        assert_eq!(
            m.resolve(&segs("term::Fork::new"), None, None, &ex),
            ["term::Fork::new", "libc::term::Fork::new"]
        );
    }

    #[test]
    fn flattens_nested_groups() {
        let tree: syn::ItemUse =
            syn::parse_str("use std::{thread::{self, spawn as sp}, process::*};").unwrap();
        let (mut out, mut globs) = (Vec::new(), Vec::new());
        flatten_use(&tree.tree, &mut Vec::new(), &mut out, &mut globs);
        assert_eq!(
            out,
            [
                ("thread".to_string(), segs("std::thread")),
                ("sp".to_string(), segs("std::thread::spawn"))
            ]
        );
        assert_eq!(globs, [segs("std::process")]);
        assert_eq!(parent_of("self"), "super");
        assert_eq!(parent_of("self::a"), "self");
    }
}
