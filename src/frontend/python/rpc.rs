//! Request handlers handed to an RPC server, and the serve calls that run them. A registration
//! (catalogue `registers_handlers`: XML-RPC's `register_function(f)`, `register_instance(obj)`)
//! calls nothing: the server calls the handler while it serves (`serves_handlers`:
//! `serve_forever()`), on the thread that serves, one request after another. So each handler
//! registered in a package runs inside each serve call of that package's servers of the same
//! library, with what is alive there: the thread that serves (a `threading.Thread` the program
//! started) and whatever the program started before it, the server's listening socket among it.
//!
//! The lowering records a registration's handlers in the call's `fn_args`, each as
//! `library|handler` (a function's path, a list global's items as `LIST@items`, an object's
//! methods as `Class@methods`), and puts a marker after each serve call, its library in
//! `str_arg`; the linker replaces the marker with a loop over the handlers.

use super::link::{absolute, is_python, max_id, prefix};
use crate::catalog::Catalog;
use crate::ir::{Arm, Block, Branch, Call, Callee, FileIr, FnKind, Node};
use std::collections::{HashMap, HashSet};

/// The marker after a serve call, its library in `str_arg`.
pub const SERVES: &str = "forklint::python::serves_handlers";
/// A handler reference's suffix for the items of a list of functions.
pub const ITEMS: &str = "@items";
/// A handler reference's suffix for the public methods of an object's class.
pub const METHODS: &str = "@methods";
/// Between a handler reference's library and the handler.
pub const SEP: char = '|';

/// What a call does with request handlers, by its catalogue entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Registers,
    Serves,
}

/// The role of a method call and the library whose entry says so (the first segment of the
/// entry's path or its `crate`), if it has one.
pub fn role(name: &str, ty: Option<&str>, crates_used: &[String]) -> Option<(Role, String)> {
    let catalog = Catalog::builtin();
    // A receiver of a known type is that type's, or its library's by the method's name.
    let found = match ty {
        Some(ty) => {
            let library = ty.split("::").next().unwrap_or(ty);
            let mut found = catalog.by_path(&format!("{ty}::{name}"));
            found.extend(
                catalog
                    .by_method(name, crates_used, false)
                    .into_iter()
                    .filter(|&i| catalog.apis[i].krate.as_deref() == Some(library)),
            );
            found
        }
        None => catalog.by_method(name, crates_used, false),
    };
    found.into_iter().find_map(|i| {
        let api = &catalog.apis[i];
        let role = if api.registers_handlers {
            Role::Registers
        } else if api.serves_handlers {
            Role::Serves
        } else {
            return None;
        };
        let library = api.krate.clone().or_else(|| {
            api.path
                .as_deref()
                .and_then(|p| p.split("::").next())
                .map(str::to_string)
        })?;
        Some((role, library))
    })
}

/// Each serve marker becomes a loop over the handlers registered in its package with a server
/// of its library; a registration's handlers are resolved through the program's lists of
/// functions and classes.
pub fn link(irs: &mut [FileIr]) {
    let lists: HashMap<String, Vec<String>> = irs
        .iter()
        .filter(|ir| is_python(ir))
        .flat_map(|ir| {
            let p = prefix(ir);
            ir.function_lists.iter().map(move |(list, items)| {
                let items = items.iter().map(|i| absolute(&p, i)).collect();
                (absolute(&p, list), items)
            })
        })
        .collect();
    let mut methods: HashMap<String, Vec<String>> = HashMap::new();
    for ir in irs.iter().filter(|ir| is_python(ir)) {
        let p = prefix(ir);
        for f in ir.functions.iter().filter(|f| f.kind == FnKind::Method) {
            let path = absolute(&p, &f.path);
            if let Some((class, name)) = path.rsplit_once("::") {
                if !name.starts_with('_') {
                    methods
                        .entry(class.to_string())
                        .or_default()
                        .push(path.clone());
                }
            }
        }
    }
    // By (package, library): the handlers registered there.
    let mut handlers: HashMap<(String, String), Vec<String>> = HashMap::new();
    for ir in irs.iter().filter(|ir| is_python(ir)) {
        let p = prefix(ir);
        for f in &ir.functions {
            crate::analysis::program::for_each_call(&f.body, &mut |c| {
                for (_, handed) in &c.fn_args {
                    let Some((library, handed)) = handed.split_once(SEP) else {
                        continue;
                    };
                    let resolved = if let Some(list) = handed.strip_suffix(ITEMS) {
                        lists.get(&absolute(&p, list)).cloned().unwrap_or_default()
                    } else if let Some(class) = handed.strip_suffix(METHODS) {
                        methods
                            .get(&absolute(&p, class))
                            .cloned()
                            .unwrap_or_default()
                    } else {
                        vec![absolute(&p, handed)]
                    };
                    let found = handlers
                        .entry((ir.crate_name.clone(), library.to_string()))
                        .or_default();
                    for h in resolved {
                        if !found.contains(&h) {
                            found.push(h);
                        }
                    }
                }
            });
        }
    }
    for ir in irs.iter_mut().filter(|ir| is_python(ir)) {
        let mut next = max_id(ir) + 1;
        let package = ir.crate_name.clone();
        for f in &mut ir.functions {
            serve(&mut f.body, &mut |c| {
                let library = c.str_arg.clone().unwrap_or_default();
                let span = c.span;
                let arms: Vec<Arm> = handlers
                    .get(&(package.clone(), library))
                    .into_iter()
                    .flatten()
                    .map(|h| {
                        next += 1;
                        Arm {
                            body: Block {
                                nodes: vec![Node::Call(Call::new(
                                    next,
                                    Callee::Path(vec![h.clone()]),
                                    span,
                                ))],
                                locals: Vec::new(),
                            },
                            span,
                            ..Arm::default()
                        }
                    })
                    .collect();
                // Requests follow each other: what one handler left running is there when a
                // later one forks.
                Node::Loop {
                    body: Block {
                        nodes: vec![Node::Branch(Branch {
                            span,
                            arms,
                            exhaustive: false,
                        })],
                        locals: Vec::new(),
                    },
                    at_least_once: false,
                }
            });
        }
    }
}

/// Replaces each serve marker in the block with what `with` makes of it.
fn serve(block: &mut Block, with: &mut dyn FnMut(&Call) -> Node) {
    for node in &mut block.nodes {
        match node {
            Node::Call(c) if matches!(&c.callee, Callee::Path(p) if p.len() == 1 && p[0] == SERVES) => {
                *node = with(c)
            }
            Node::Branch(b) => {
                for arm in &mut b.arms {
                    serve(&mut arm.body, with);
                }
            }
            Node::Loop { body, .. } | Node::Block(body) => serve(body, with),
            _ => {}
        }
    }
}

/// Module globals bound to a list or tuple of functions (`EXPORTED = [start, stop]`), as
/// (`self::NAME`, the functions' paths): `resolve` names a function, or nothing.
pub fn function_lists(
    body: &[ruff_python_ast::Stmt],
    resolve: &dyn Fn(&ruff_python_ast::Expr) -> Option<String>,
) -> Vec<(String, Vec<String>)> {
    use ruff_python_ast::{Expr, Stmt};
    let mut out = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for stmt in body {
        let Stmt::Assign(a) = stmt else { continue };
        let [Expr::Name(target)] = a.targets.as_slice() else {
            continue;
        };
        let elements = match &*a.value {
            Expr::List(l) => &l.elts,
            Expr::Tuple(t) => &t.elts,
            _ => continue,
        };
        let items: Vec<String> = elements.iter().filter_map(resolve).collect();
        if !items.is_empty() && seen.insert(target.id.to_string()) {
            out.push((format!("self::{}", target.id), items));
        }
    }
    out
}
