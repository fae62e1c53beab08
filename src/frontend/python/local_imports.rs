//! The names a function body binds with its own `import` statements (`def __init__(self):
//! import tensorflow as tf`). The body is lowered in order and its imports bind as it goes; this
//! reads them beforehand, for what is decided before any method is lowered (the types of a
//! class's `self.x` fields), so a function-local import resolves as a module one does.

use ruff_python_ast::{self as ast, Stmt};
use std::collections::HashMap;

/// Each name an import in `body` binds (at any depth of its blocks, not in nested functions or
/// classes), with the `::` path it holds; `target` resolves an import's `(level, module)` as
/// the lowerer does (relative imports, folders added to `sys.path`).
pub fn bindings(
    body: &[Stmt],
    target: &dyn Fn(u32, Option<&str>) -> String,
) -> HashMap<String, String> {
    let mut found = Found {
        target,
        names: HashMap::new(),
    };
    for stmt in body {
        ast::visitor::Visitor::visit_stmt(&mut found, stmt);
    }
    found.names
}

/// The name `import a.b [as c]` binds and the dotted module it holds: `import a.b` binds `a`
/// to `a`; `import a.b as c` binds `c` to `a.b`.
pub fn import_binding(alias: &ast::Alias) -> (&str, &str) {
    let dotted = alias.name.id.as_str();
    match &alias.asname {
        Some(a) => (a.id.as_str(), dotted),
        None => {
            let first = dotted.split('.').next().unwrap_or(dotted);
            (first, first)
        }
    }
}

/// The name `from <base> import n [as m]` binds and the `::` path it holds (`base::n`).
pub fn from_binding<'a>(base: &str, alias: &'a ast::Alias) -> (&'a str, String) {
    let name = alias.name.id.as_str();
    let bound = alias.asname.as_ref().map_or(name, |a| a.id.as_str());
    let path = match base.is_empty() {
        true => name.to_string(),
        false => format!("{base}::{name}"),
    };
    (bound, path)
}

struct Found<'t> {
    target: &'t dyn Fn(u32, Option<&str>) -> String,
    names: HashMap<String, String>,
}

impl<'a> ast::visitor::Visitor<'a> for Found<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            Stmt::Import(i) => {
                for alias in &i.names {
                    let (name, module) = import_binding(alias);
                    let path = (self.target)(0, Some(module));
                    self.names.insert(name.to_string(), path);
                }
            }
            Stmt::ImportFrom(i) => {
                let base = (self.target)(i.level, i.module.as_ref().map(|m| m.id.as_str()));
                for alias in i.names.iter().filter(|a| a.name.id.as_str() != "*") {
                    let (bound, path) = from_binding(&base, alias);
                    self.names.insert(bound.to_string(), path);
                }
            }
            _ => ast::visitor::walk_stmt(self, stmt),
        }
    }
}

/// The blocks a module-level `if` or `try` holds: names defined in any of them are bound on
/// some path, so whoever reads a module's definitions reads them all.
pub fn conditional_bodies(stmt: &Stmt) -> Vec<&[Stmt]> {
    match stmt {
        Stmt::If(s) => std::iter::once(&s.body[..])
            .chain(s.elif_else_clauses.iter().map(|c| &c.body[..]))
            .collect(),
        Stmt::Try(t) => std::iter::once(&t.body[..])
            .chain(t.handlers.iter().map(|h| {
                let ast::ExceptHandler::ExceptHandler(h) = h;
                &h.body[..]
            }))
            .chain([&t.orelse[..], &t.finalbody[..]])
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_bind_as_python_binds_them() {
        let text = "import tensorflow as tf\nimport os.path\nif x:\n    from .pool import Pool as P\ndef inner():\n    import threading\n";
        let parsed = ruff_python_parser::parse_module(text).unwrap();
        let target = |level: u32, module: Option<&str>| {
            let base = if level > 0 {
                "pkg".to_string()
            } else {
                String::new()
            };
            let parts = [base, module.unwrap_or("").replace('.', "::")];
            parts
                .iter()
                .filter(|p| !p.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join("::")
        };
        let names = bindings(&parsed.syntax().body, &target);
        assert_eq!(names["tf"], "tensorflow");
        assert_eq!(names["os"], "os");
        assert_eq!(names["P"], "pkg::pool::Pool");
        // A nested function's imports are its own.
        assert!(!names.contains_key("threading"));
    }
}
