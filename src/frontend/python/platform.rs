//! Tests of the platform a branch runs on. fork exists only off Windows, so code under
//! `if sys.platform == "win32":` never runs in a process that forks, and code under its
//! negation always does.

use ruff_python_ast::{self as ast, Expr};

/// `Some(true)` when `test` holds exactly on Windows (`sys.platform == "win32"`,
/// `sys.platform.startswith("win")`, `os.name == "nt"`, `platform.system() == "Windows"`),
/// `Some(false)` when it holds exactly off Windows (their negations, `hasattr(os, "fork")`, a
/// fork method among `get_all_start_methods()`), `None` otherwise.
/// Cygwin's `sys.platform` is "cygwin", which has fork: it is not Windows here.
pub fn windows_only(test: &Expr) -> Option<bool> {
    match test {
        Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not => windows_only(&u.operand).map(|w| !w),
        Expr::Compare(c) if c.ops.len() == 1 && c.comparators.len() == 1 => {
            if let Some(off) = fork_method_listed(&c.left, c.ops[0], &c.comparators[0]) {
                return Some(!off);
            }
            let equal = match c.ops[0] {
                ast::CmpOp::Eq => true,
                ast::CmpOp::NotEq => false,
                _ => return None,
            };
            let (a, b) = (&*c.left, &c.comparators[0]);
            let names_windows = |subject: &Expr, value: &Expr| {
                let Expr::StringLiteral(s) = value else {
                    return false;
                };
                let s = s.value.to_str();
                match dotted(subject).as_deref() {
                    Some("sys.platform") => s == "win32",
                    Some("os.name") => s == "nt",
                    Some("platform.system()") => s == "Windows",
                    _ => false,
                }
            };
            (names_windows(a, b) || names_windows(b, a)).then_some(equal)
        }
        // `hasattr(os, "fork")` holds exactly where fork exists.
        Expr::Call(call)
            if dotted(&call.func).as_deref() == Some("hasattr")
                && call.arguments.args.len() == 2
                && dotted(&call.arguments.args[0]).as_deref() == Some("os")
                && matches!(&call.arguments.args[1], Expr::StringLiteral(s) if s.value.to_str() == "fork") =>
        {
            Some(false)
        }
        Expr::Call(call) => {
            let Expr::Attribute(m) = &*call.func else {
                return None;
            };
            let prefix = match call.arguments.args.first() {
                Some(Expr::StringLiteral(s)) if call.arguments.args.len() == 1 => s.value.to_str(),
                _ => return None,
            };
            (m.attr.id.as_str() == "startswith"
                && dotted(&m.value).as_deref() == Some("sys.platform")
                && prefix == "win")
                .then_some(true)
        }
        _ => None,
    }
}

/// `"forkserver" in multiprocessing.get_all_start_methods()` (or `"fork"`): `Some(true)` when the
/// test holds exactly off Windows, `Some(false)` for `not in`. Both methods exist on every
/// platform that has fork, and neither on Windows.
fn fork_method_listed(left: &Expr, op: ast::CmpOp, right: &Expr) -> Option<bool> {
    let Expr::StringLiteral(s) = left else {
        return None;
    };
    if !matches!(s.value.to_str(), "fork" | "forkserver") {
        return None;
    }
    let Expr::Call(c) = right else { return None };
    let lists = dotted(&c.func)
        .is_some_and(|f| f == "get_all_start_methods" || f.ends_with(".get_all_start_methods"));
    if !lists || !c.arguments.args.is_empty() {
        return None;
    }
    match op {
        ast::CmpOp::In => Some(true),
        ast::CmpOp::NotIn => Some(false),
        _ => None,
    }
}

/// `a.b.c`, or `a.b()` for a call without arguments.
fn dotted(e: &Expr) -> Option<String> {
    match e {
        Expr::Name(n) => Some(n.id.to_string()),
        Expr::Attribute(a) => Some(format!("{}.{}", dotted(&a.value)?, a.attr.id)),
        Expr::Call(c) if c.arguments.args.is_empty() && c.arguments.keywords.is_empty() => {
            Some(format!("{}()", dotted(&c.func)?))
        }
        _ => None,
    }
}
