//! Tests of the platform a branch runs on. fork exists only off Windows, so code under
//! `if sys.platform == "win32":` never runs in a process that forks, and code under its
//! negation always does.

use ruff_python_ast::{self as ast, Expr};

/// `Some(true)` when `test` holds exactly on Windows (`sys.platform == "win32"`,
/// `sys.platform.startswith("win")`, `os.name == "nt"`, `platform.system() == "Windows"`),
/// `Some(false)` when it holds exactly off Windows (their negations), `None` otherwise.
/// Cygwin's `sys.platform` is "cygwin", which has fork: it is not Windows here.
pub fn windows_only(test: &Expr) -> Option<bool> {
    match test {
        Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not => windows_only(&u.operand).map(|w| !w),
        Expr::Compare(c) if c.ops.len() == 1 && c.comparators.len() == 1 => {
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
