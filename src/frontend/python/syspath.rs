//! Folders a module adds to `sys.path` itself (`sys.path.append(os.path.join(
//! os.path.dirname(__file__), ".."))`, `sys.path.insert(0, str(Path(__file__).parent / "lib"))`):
//! its later absolute imports are found there first, as Python finds them, and are named by the
//! place the found file has in the tree.

use super::project;
use crate::source::paths::lexical;
use ruff_python_ast::{self as ast, Expr, Operator, Stmt};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The folders the module's top-level code adds to `sys.path`, in the order it adds them,
/// when their paths are built from `__file__`.
pub fn added_folders(file: &Path, body: &[Stmt]) -> Vec<PathBuf> {
    let mut names: HashMap<String, PathBuf> = HashMap::new();
    let mut out = Vec::new();
    for stmt in body {
        match stmt {
            Stmt::Assign(a) => {
                if let ([Expr::Name(n)], Some(p)) = (&a.targets[..], folder(file, &a.value, &names))
                {
                    names.insert(n.id.to_string(), p);
                }
            }
            Stmt::Expr(e) => {
                let Expr::Call(c) = &*e.value else { continue };
                let Expr::Attribute(m) = &*c.func else {
                    continue;
                };
                let on_sys_path = matches!(&*m.value, Expr::Attribute(p)
                    if p.attr.id.as_str() == "path"
                        && matches!(&*p.value, Expr::Name(s) if s.id.as_str() == "sys"));
                let arg = match m.attr.id.as_str() {
                    "append" => c.arguments.args.first(),
                    "insert" => c.arguments.args.get(1),
                    _ => None,
                };
                if let (true, Some(p)) = (on_sys_path, arg.and_then(|a| folder(file, a, &names))) {
                    out.push(p);
                }
            }
            _ => {}
        }
    }
    out
}

/// The folder a path expression names, when it is built from `__file__` by `os.path` calls,
/// `pathlib.Path` and string parts.
fn folder(file: &Path, e: &Expr, names: &HashMap<String, PathBuf>) -> Option<PathBuf> {
    let call_name = |c: &ast::ExprCall| match &*c.func {
        Expr::Attribute(a) => Some(a.attr.id.to_string()),
        Expr::Name(n) => Some(n.id.to_string()),
        _ => None,
    };
    match e {
        Expr::Name(n) if n.id.as_str() == "__file__" => Some(file.to_path_buf()),
        Expr::Name(n) => names.get(n.id.as_str()).cloned(),
        Expr::StringLiteral(_) => None,
        Expr::Call(c) => {
            let args = &c.arguments.args;
            match call_name(c)?.as_str() {
                "dirname" => Some(parent(&folder(file, args.first()?, names)?)),
                "abspath" | "realpath" | "normpath" | "str" | "Path" | "PurePath" | "resolve"
                | "absolute" => match args.first() {
                    Some(a) => folder(file, a, names),
                    // `Path(__file__).resolve()`: the receiver is the path.
                    None => match &*c.func {
                        Expr::Attribute(a) => folder(file, &a.value, names),
                        _ => None,
                    },
                },
                "join" => {
                    let mut p = folder(file, args.first()?, names)?;
                    for part in &args[1..] {
                        p = p.join(part.as_string_literal_expr()?.value.to_str());
                    }
                    Some(lexical(&p))
                }
                _ => None,
            }
        }
        Expr::Attribute(a) if a.attr.id.as_str() == "parent" => {
            Some(parent(&folder(file, &a.value, names)?))
        }
        Expr::Subscript(s) => {
            let Expr::Attribute(a) = &*s.value else {
                return None;
            };
            let Expr::NumberLiteral(n) = &*s.slice else {
                return None;
            };
            let up = n.value.as_int()?.as_u64()?;
            let mut p =
                folder(file, &a.value, names).filter(|_| a.attr.id.as_str() == "parents")?;
            for _ in 0..=up {
                p = parent(&p);
            }
            Some(p)
        }
        Expr::BinOp(b) if b.op == Operator::Div => {
            let base = folder(file, &b.left, names)?;
            Some(lexical(
                &base.join(b.right.as_string_literal_expr()?.value.to_str()),
            ))
        }
        _ => None,
    }
}

fn parent(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The `::` path of the top-level module `first` as found in one of `folders`, named by its
/// place in the tree (`lib/helpers.py` under a package `lib` is `lib::helpers`).
pub fn resolve(folders: &[PathBuf], first: &str) -> Option<String> {
    folders.iter().find_map(|f| {
        let file = [
            f.join(first).join("__init__.py"),
            f.join(format!("{first}.py")),
        ]
        .into_iter()
        .find(|p| p.is_file())?;
        let place = project::place(&file);
        let mut parts = vec![place.package];
        parts.extend(place.module);
        Some(parts.join("::"))
    })
}

#[cfg(test)]
mod tests {
    use super::added_folders;
    use std::path::{Path, PathBuf};

    fn folders(source: &str) -> Vec<PathBuf> {
        let parsed = ruff_python_parser::parse_module(source).expect("parses");
        added_folders(Path::new("site/jobs/run.py"), &parsed.into_syntax().body)
    }

    #[test]
    fn paths_built_from_the_file_are_followed() {
        let via_name = "import os, sys\nhere = os.path.dirname(os.path.abspath(__file__))\nsys.path.append(os.path.join(here, '..'))\n";
        assert_eq!(folders(via_name), vec![PathBuf::from("site")]);
        let via_pathlib = "import sys\nfrom pathlib import Path\nsys.path.insert(0, str(Path(__file__).parents[1] / 'lib'))\n";
        assert_eq!(folders(via_pathlib), vec![PathBuf::from("site/lib")]);
        assert!(folders("import sys\nsys.path.append('/opt/lib')\n").is_empty());
    }
}
