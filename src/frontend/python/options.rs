//! Command-line options as a count of workers: a DataLoader's `num_workers=opt.n_threads` is the
//! option's default unless the user passes it. The frontend records each module's option
//! definitions (argparse `add_argument`, optparse `add_option`, `set_defaults`) and stores to
//! attributes of that name; the linker then says, for the whole program, which options start at
//! 0 workers, and a loader whose count is such an option forks no worker by default.

use super::lower::{is_zero, PIN_MEMORY_THREAD, SUBCLASS_SEP, UNKNOWN_WORKERS};
use crate::ir::{Block, Call, Callee, FileIr, Node};
use rayon::prelude::*;
use ruff_python_ast::{self as ast, Expr, Stmt};
use std::collections::{HashMap, HashSet};

/// Joins a DataLoader fork's unknown-count suffix (`@workers`) to the option it reads.
pub const OPTION_SEP: &str = "=";

/// A value an option (or an attribute of that name) is given in one place: its name, whether
/// the value is a literal 0, and whether the place defines the option (not an attribute store).
pub type Setting = (String, bool, bool);

/// The option an expression reads as a worker count: `opt.n_threads`, `int(args.workers)`,
/// `self.opt.workers` (the last attribute's name).
pub fn read_option(e: &Expr) -> Option<&str> {
    match e {
        Expr::Attribute(a) => Some(a.attr.id.as_str()),
        Expr::Call(c)
            if matches!(&*c.func, Expr::Name(n) if n.id.as_str() == "int")
                && c.arguments.args.len() == 1
                && c.arguments.keywords.is_empty() =>
        {
            read_option(&c.arguments.args[0])
        }
        _ => None,
    }
}

/// Every option definition and attribute store of a module, with whether it gives 0.
pub fn settings(body: &[Stmt]) -> Vec<Setting> {
    struct Finder(Vec<Setting>);
    impl<'a> ast::visitor::Visitor<'a> for Finder {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if let Stmt::Assign(a) = stmt {
                for target in &a.targets {
                    if let Expr::Attribute(t) = target {
                        self.0
                            .push((t.attr.id.to_string(), is_zero(&a.value), false));
                    }
                }
            }
            if let Stmt::AugAssign(a) = stmt {
                if let Expr::Attribute(t) = &*a.target {
                    self.0.push((t.attr.id.to_string(), false, false));
                }
            }
            ast::visitor::walk_stmt(self, stmt);
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Call(c) = expr {
                if let Expr::Attribute(m) = &*c.func {
                    match m.attr.id.as_str() {
                        "add_argument" | "add_option" => self.0.extend(definition(c)),
                        // `set_defaults(**saved)` restores values read back from a run of the
                        // same parser: only named keywords give new ones.
                        "set_defaults" => {
                            self.0.extend(c.arguments.keywords.iter().filter_map(|k| {
                                Some((k.arg.as_ref()?.id.to_string(), is_zero(&k.value), true))
                            }))
                        }
                        _ => {}
                    }
                }
            }
            ast::visitor::walk_expr(self, expr);
        }
    }
    let mut finder = Finder(Vec::new());
    for stmt in body {
        ast::visitor::Visitor::visit_stmt(&mut finder, stmt);
    }
    finder.0
}

/// An option's name (its `dest=`, else its first long flag, else its first flag, `-` read as
/// `_`) and whether its default is a literal 0 (no default is `None`).
fn definition(c: &ast::ExprCall) -> Option<Setting> {
    let flags: Vec<&str> = c
        .arguments
        .args
        .iter()
        .filter_map(|a| match a {
            Expr::StringLiteral(s) => Some(s.value.to_str()),
            _ => None,
        })
        .collect();
    let keyword = |name: &str| {
        c.arguments
            .keywords
            .iter()
            .find(|k| k.arg.as_ref().is_some_and(|a| a.id.as_str() == name))
            .map(|k| &k.value)
    };
    let dest = match keyword("dest") {
        Some(Expr::StringLiteral(s)) => s.value.to_str().to_string(),
        Some(_) => return None,
        None => {
            let flag = flags
                .iter()
                .find(|f| f.starts_with("--"))
                .or_else(|| flags.first())?;
            flag.trim_start_matches('-').replace('-', "_")
        }
    };
    Some((dest, keyword("default").is_some_and(is_zero), true))
}

/// Resolves every DataLoader fork whose count is an option: no fork (nor the pin-memory thread
/// of its workers) when every definition of the option and every store to an attribute of its
/// name gives 0; else the fork of a count not known here.
pub fn link(irs: &mut [FileIr]) {
    // By name: whether every value given is 0, and whether some place defines the option.
    let mut given: HashMap<&str, (bool, bool)> = HashMap::new();
    for ir in irs.iter() {
        for (name, is_zero, defines) in &ir.option_settings {
            let entry = given.entry(name).or_insert((true, false));
            entry.0 &= *is_zero;
            entry.1 |= *defines;
        }
    }
    let zero: HashSet<String> = given
        .into_iter()
        .filter(|(_, (all_zero, defined))| *all_zero && *defined)
        .map(|(name, _)| name.to_string())
        .collect();
    irs.par_iter_mut().for_each(|ir| {
        for f in &mut ir.functions {
            resolve(&mut f.body, &zero);
        }
    });
}

/// The option a fork path (or a marker carrying one) reads, and the path without it.
fn split(path: &str) -> Option<(String, &str)> {
    // Every call's path and string argument is asked: the marker is looked for in place.
    let at = path
        .match_indices(UNKNOWN_WORKERS)
        .map(|(at, _)| at)
        .find(|&at| path[at + UNKNOWN_WORKERS.len()..].starts_with(OPTION_SEP))?;
    let rest = &path[at + UNKNOWN_WORKERS.len() + OPTION_SEP.len()..];
    let end = rest.find(SUBCLASS_SEP).unwrap_or(rest.len());
    let option = &rest[..end];
    let plain = format!("{}{}{}", &path[..at], UNKNOWN_WORKERS, &rest[end..]);
    Some((plain, option))
}

fn resolve(block: &mut Block, zero: &HashSet<String>) {
    let mut dropped_at = None;
    for node in &mut block.nodes {
        match node {
            Node::Call(c) => {
                if dropped_at.take() == Some(c.span) && is_path(c, PIN_MEMORY_THREAD) {
                    *node = Node::Block(Block::default());
                    continue;
                }
                if let Some(drop) = resolve_call(c, zero) {
                    if drop {
                        dropped_at = Some(c.span);
                        *node = Node::Block(Block::default());
                    }
                }
            }
            Node::Branch(b) => {
                for arm in &mut b.arms {
                    resolve(&mut arm.body, zero);
                }
            }
            Node::Loop { body, .. } | Node::Block(body) => resolve(body, zero),
            _ => {}
        }
    }
}

fn is_path(c: &Call, path: &str) -> bool {
    matches!(&c.callee, Callee::Path(p) if p.first().is_some_and(|p| p == path))
}

/// Rewrites a call whose path or string argument carries an option; `Some(true)` when the
/// call is a fork of 0 workers, to be dropped.
fn resolve_call(c: &mut Call, zero: &HashSet<String>) -> Option<bool> {
    if let Callee::Path(p) = &mut c.callee {
        if let Some((plain, option)) = p.first().and_then(|p| split(p)) {
            if zero.contains(option) {
                return Some(true);
            }
            p[0] = plain;
            return Some(false);
        }
    }
    let (plain, option) = c.str_arg.as_deref().and_then(split)?;
    if zero.contains(option) {
        return Some(true);
    }
    c.str_arg = Some(plain);
    Some(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings_of(text: &str) -> Vec<Setting> {
        let parsed = ruff_python_parser::parse_module(text).unwrap();
        settings(&parsed.syntax().body)
    }

    #[test]
    fn options_are_named_as_argparse_names_them() {
        let found = settings_of(
            "def p(parser):\n    parser.add_argument('-n', '--n-threads', default=0)\n    parser.add_argument('-j', dest='jobs', default=2)\n    parser.add_argument('--depth')\n    parser.set_defaults(batch=0)\n",
        );
        assert_eq!(
            found,
            [
                ("n_threads".to_string(), true, true),
                ("jobs".to_string(), false, true),
                ("depth".to_string(), false, true),
                ("batch".to_string(), true, true),
            ]
        );
    }

    #[test]
    fn stores_to_attributes_count_as_values() {
        let found = settings_of("opt.n_threads = 4\nopt.batch = 0\nopt.jobs += 1\n");
        assert_eq!(
            found,
            [
                ("n_threads".to_string(), false, false),
                ("batch".to_string(), true, false),
                ("jobs".to_string(), false, false),
            ]
        );
    }

    #[test]
    fn a_fork_path_names_its_option() {
        let (plain, option) =
            split("torch::utils::data::DataLoader@assumed@workers=n_threads").unwrap();
        assert_eq!(
            (plain.as_str(), option),
            (
                "torch::utils::data::DataLoader@assumed@workers",
                "n_threads"
            )
        );
    }
}
