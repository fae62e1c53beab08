//! Threads that are over before the fork: a thread whose target runs once to its end (no
//! loop, nothing that serves or waits) and that its starter then waits out with a sleep of
//! a second or more (`t.start(); time.sleep(7)`) is gone by the time the starter goes on, as
//! a joined one is. Gone is not alive.

use ruff_python_ast::{self as ast, visitor, Expr, Stmt};
use std::collections::HashSet;

/// Calls that may run for as long as the process does (a server's loop, a wait on another
/// thread or a queue): a target making one is not known to end.
const OPEN_ENDED: &[&str] = &[
    "serve_forever",
    "run_forever",
    "run_until_complete",
    "forever",
    "run",
    "loop",
    "start",
    "join",
    "wait",
    "get",
    "accept",
    "recv",
    "recvfrom",
    "recv_into",
    "read",
    "readline",
    "readlines",
    "listen",
    "select",
    "poll",
    "sleep",
    "communicate",
    "expect",
    "input",
];

/// The module's functions whose body runs once to its end: no loop, no call of another
/// function of the module (which could loop), nothing open-ended.
pub fn one_shot_functions(body: &[Stmt]) -> HashSet<String> {
    let local: HashSet<&str> = body
        .iter()
        .filter_map(|s| match s {
            Stmt::FunctionDef(f) => Some(f.name.as_str()),
            Stmt::ClassDef(c) => Some(c.name.as_str()),
            _ => None,
        })
        .collect();
    body.iter()
        .filter_map(|s| match s {
            Stmt::FunctionDef(f) if !f.is_async && f.decorator_list.is_empty() => Some(f),
            _ => None,
        })
        .filter(|f| {
            let mut check = Check {
                local: &local,
                ends: true,
            };
            visitor::walk_body(&mut check, &f.body);
            check.ends
        })
        .map(|f| f.name.to_string())
        .collect()
}

struct Check<'a> {
    local: &'a HashSet<&'a str>,
    ends: bool,
}

impl<'a> visitor::Visitor<'a> for Check<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::For(_) | Stmt::While(_) | Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {
                self.ends = false
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Call(c) = expr {
            let name = match &*c.func {
                Expr::Name(n) => Some(n.id.as_str()),
                Expr::Attribute(a) => Some(a.attr.id.as_str()),
                _ => None,
            };
            let local = matches!(&*c.func, Expr::Name(n) if self.local.contains(n.id.as_str()));
            if local || name.is_none_or(|n| OPEN_ENDED.contains(&n)) {
                self.ends = false;
            }
        }
        if matches!(expr, Expr::Lambda(_) | Expr::Await(_)) {
            self.ends = false;
        }
        visitor::walk_expr(self, expr);
    }
}

/// `name = threading.Thread(target=f, ..)` with `f` one of `one_shot`: the name holding
/// the thread.
pub fn one_shot_thread(stmt: &Stmt, one_shot: &HashSet<String>) -> Option<String> {
    let Stmt::Assign(a) = stmt else { return None };
    let [Expr::Name(var)] = a.targets.as_slice() else {
        return None;
    };
    let Expr::Call(c) = &*a.value else {
        return None;
    };
    let is_thread = match &*c.func {
        Expr::Attribute(at) => {
            at.attr.id.as_str() == "Thread"
                && matches!(&*at.value, Expr::Name(m) if m.id.as_str() == "threading")
        }
        Expr::Name(n) => n.id.as_str() == "Thread",
        _ => false,
    };
    let target = c.arguments.find_keyword("target").map(|k| &k.value);
    match target {
        Some(Expr::Name(f)) if is_thread && one_shot.contains(f.id.as_str()) => {
            Some(var.id.to_string())
        }
        _ => None,
    }
}

/// `time.sleep(n)` with a literal `n` of a second or more: long enough to wait out a thread
/// that runs once to its end.
pub fn waits_out(e: &Expr) -> bool {
    let Expr::Call(c) = e else { return false };
    let sleeps = matches!(&*c.func, Expr::Attribute(a)
        if a.attr.id.as_str() == "sleep"
            && matches!(&*a.value, Expr::Name(m) if m.id.as_str() == "time"));
    let seconds = match c.arguments.args.first() {
        Some(Expr::NumberLiteral(n)) => match &n.value {
            ast::Number::Int(i) => i.as_u64().is_some_and(|i| i >= 1),
            ast::Number::Float(f) => *f >= 1.0,
            _ => false,
        },
        _ => false,
    };
    sleeps && seconds && c.arguments.len() == 1
}
