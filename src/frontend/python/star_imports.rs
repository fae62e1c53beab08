//! The names a star import of one of the program's own modules binds (`from utils import *`,
//! `from .dataset import *` in a package's `__init__.py`). Files are lowered one at a time, so
//! the module is read from disk here: its top-level definitions, the names its imports bind
//! (a class it imported from a library is the library's), and, in turn, its own star imports.
//! Python's rule applies: the names in a literal `__all__`, else every name not starting with
//! `_`. Library modules are not here: the catalogue names theirs.

use super::local_imports::{conditional_bodies, from_binding, import_binding};
use ruff_python_ast::{self as ast, Expr, Stmt};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// Star imports inside star-imported modules are followed this deep.
const MAX_DEPTH: usize = 6;

/// Each name the module `module` (a `::` path, absolute) binds for a star import in the file at
/// `file`, whose package (the dotted path relative imports start from) is `package`: the name
/// with the `::` path it holds. Empty when the module is not a file of the program.
pub fn names(file: &Path, package: &[String], module: &str) -> Vec<Binding> {
    let Some(found) = locate(&folders(file, package.len()), module) else {
        return Vec::new();
    };
    scanned(&found, 0)
}

/// Where a module is looked for: the folder holding the file's top-level package, then the
/// file's own folder (a script's folder is first on `sys.path`).
fn folders(file: &Path, packages: usize) -> Vec<PathBuf> {
    let own = file.parent().unwrap_or(Path::new("")).to_path_buf();
    let mut root = own.clone();
    for _ in 0..packages {
        root = root.parent().map(Path::to_path_buf).unwrap_or_default();
    }
    if root == own {
        vec![own]
    } else {
        vec![root, own]
    }
}

/// The file of `module` under one of `folders`: `a/b.py` or `a/b/__init__.py`.
fn locate(folders: &[PathBuf], module: &str) -> Option<PathBuf> {
    if module.is_empty() {
        return None;
    }
    let rel: PathBuf = module.split("::").collect();
    folders.iter().find_map(|dir| {
        let base = dir.join(&rel);
        [base.with_extension("py"), base.join("__init__.py")]
            .into_iter()
            .find(|p| p.is_file())
    })
}

/// A name a module binds, with the `::` path it holds.
type Binding = (String, String);

/// The names `found` binds, read once per file.
fn scanned(found: &Path, depth: usize) -> Vec<Binding> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Vec<Binding>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(names) = cache.lock().ok().and_then(|c| c.get(found).cloned()) {
        return names;
    }
    let names = scan(found, depth);
    if let Ok(mut c) = cache.lock() {
        c.insert(found.to_path_buf(), names.clone());
    }
    names
}

fn scan(found: &Path, depth: usize) -> Vec<Binding> {
    let Ok(text) = std::fs::read_to_string(found) else {
        return Vec::new();
    };
    let parsed = ruff_python_parser::parse_unchecked_source(&text, ast::PySourceType::Python);
    let place = super::project::place(found);
    let dotted: Vec<String> = std::iter::once(place.package.clone())
        .chain(place.module.iter().cloned())
        .collect();
    let mut package = dotted.clone();
    if !place.is_init {
        package.pop();
    }
    let mut scan = Scan {
        file: found,
        module: dotted.join("::"),
        package,
        depth,
        names: Vec::new(),
        all: None,
    };
    scan.block(&parsed.syntax().body);
    let Scan { names, all, .. } = scan;
    // Later bindings win, as at run time.
    let mut last: HashMap<String, String> = HashMap::new();
    let mut order = Vec::new();
    for (name, path) in names {
        if last.insert(name.clone(), path).is_none() {
            order.push(name);
        }
    }
    order
        .into_iter()
        .filter(|n| match &all {
            Some(all) => all.contains(n),
            None => !n.starts_with('_'),
        })
        .filter_map(|n| last.remove(&n).map(|p| (n, p)))
        .collect()
}

struct Scan<'f> {
    file: &'f Path,
    module: String,
    package: Vec<String>,
    depth: usize,
    names: Vec<Binding>,
    all: Option<Vec<String>>,
}

impl Scan<'_> {
    fn block(&mut self, body: &[Stmt]) {
        for stmt in body {
            self.stmt(stmt);
        }
    }

    fn own(&mut self, name: &str) {
        self.names
            .push((name.to_string(), format!("{}::{name}", self.module)));
    }

    fn stmt(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::FunctionDef(f) => self.own(f.name.id.as_str()),
            Stmt::ClassDef(c) => self.own(c.name.id.as_str()),
            Stmt::Assign(a) => {
                for t in &a.targets {
                    self.target(t, &a.value);
                }
            }
            Stmt::AnnAssign(a) => {
                if let Some(v) = &a.value {
                    self.target(&a.target, v);
                }
            }
            Stmt::Import(i) => {
                for alias in &i.names {
                    let (name, module) = import_binding(alias);
                    self.names
                        .push((name.to_string(), module.replace('.', "::")));
                }
            }
            Stmt::ImportFrom(i) => {
                let base = self.target_of(i.level, i.module.as_ref().map(|m| m.id.as_str()));
                for alias in &i.names {
                    if alias.name.id.as_str() == "*" {
                        self.star(&base);
                        continue;
                    }
                    let (bound, path) = from_binding(&base, alias);
                    self.names.push((bound.to_string(), path));
                }
            }
            // Definitions under a condition or a `try:` are bound on some path: taken.
            Stmt::If(_) | Stmt::Try(_) => {
                for body in conditional_bodies(stmt) {
                    self.block(body);
                }
            }
            _ => {}
        }
    }

    fn target(&mut self, target: &Expr, value: &Expr) {
        let Expr::Name(n) = target else {
            return;
        };
        if n.id.as_str() == "__all__" {
            self.all = literal_names(value);
        } else {
            self.own(n.id.as_str());
        }
    }

    /// An import's module as a `::` path, relative imports from this module's package.
    fn target_of(&self, level: u32, module: Option<&str>) -> String {
        let keep = if level == 0 {
            0
        } else {
            self.package
                .len()
                .saturating_sub(level.saturating_sub(1) as usize)
        };
        let mut parts: Vec<String> = self.package[..keep].to_vec();
        parts.extend(
            module
                .into_iter()
                .flat_map(|m| m.split('.').map(str::to_string)),
        );
        parts.join("::")
    }

    fn star(&mut self, base: &str) {
        if self.depth >= MAX_DEPTH {
            return;
        }
        let found = locate(&folders(self.file, self.package.len()), base);
        match found {
            Some(found) if found != self.file => {
                let names = scanned(&found, self.depth + 1);
                self.names.extend(names);
            }
            Some(_) => {}
            None => {
                for known in crate::catalog::Catalog::builtin().names_in(base) {
                    let path = format!("{base}::{known}");
                    self.names.push((known, path));
                }
            }
        }
    }
}

/// The strings of a literal list or tuple (`__all__ = ["Loader", "Frames"]`).
fn literal_names(value: &Expr) -> Option<Vec<String>> {
    let elts = match value {
        Expr::List(l) => &l.elts,
        Expr::Tuple(t) => &t.elts,
        _ => return None,
    };
    elts.iter()
        .map(|e| match e {
            Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_package_star_import_binds_what_its_modules_bind() {
        let dir = std::env::temp_dir().join(format!("forklint-star-{}", std::process::id()));
        let pkg = dir.join("utils");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(
            pkg.join("__init__.py"),
            "from .data import *\nfrom .frames import Frames\n",
        )
        .unwrap();
        std::fs::write(
            pkg.join("data.py"),
            "from torch.utils.data import DataLoader\nimport numpy as np\n__all__ = ['DataLoader', 'Wrapped']\nclass Wrapped: pass\ndef hidden(): pass\n",
        )
        .unwrap();
        std::fs::write(pkg.join("frames.py"), "class Frames: pass\n").unwrap();
        let names: HashMap<String, String> = names(&dir.join("run.py"), &[], "utils")
            .into_iter()
            .collect();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(names["DataLoader"], "torch::utils::data::DataLoader");
        assert_eq!(names["Wrapped"], "utils::data::Wrapped");
        assert_eq!(names["Frames"], "utils::frames::Frames");
        // `__all__` leaves the rest of the module's names out.
        assert!(!names.contains_key("np") && !names.contains_key("hidden"));
    }
}
