//! Recognises the conditions that tell a fork's child from its parent, in their common spellings:
//! `pid == 0`, `0 == pid`, `pid > 0`, `pid < 0`, `.is_child()`, `ForkResult::Child`,
//! `Ok(Fork::Child)`, a `0 =>` arm, `Err(_)`.

use super::lower::Value;
use crate::ir::{ForkTest, Side, Subject};

pub fn subject(value: &Value) -> Option<Subject> {
    if let Some(call) = value.call {
        return Some(Subject::Call(call));
    }
    value.var.clone().map(Subject::Var)
}

/// The test of the other arm: not the child is the parent and not the parent the child (an
/// error, rare, is taken with the parent's side of `pid > 0`); but not the error (`pid >= 0`
/// after `pid < 0`) is both the parent and the child, so the arm tells nothing apart.
pub fn negate(test: ForkTest) -> Option<ForkTest> {
    let side = match test.side {
        Side::Child => Side::Parent,
        Side::Parent => Side::Child,
        Side::Error => return None,
    };
    Some(ForkTest {
        subject: test.subject,
        side,
        variant: test.variant,
        via: test.via,
    })
}

fn int_value(e: &syn::Expr) -> Option<i64> {
    match e {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => i.base10_parse().ok(),
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => int_value(&u.expr).map(|v| -v),
        syn::Expr::Paren(p) => int_value(&p.expr),
        _ => None,
    }
}

/// The subject of one side of a comparison: a local or the call it evaluates (through
/// `unsafe { .. }`, parentheses and `?`: `if fork_retry()? == 0`).
fn operand(e: &syn::Expr, value: &Value) -> Option<Subject> {
    match e {
        syn::Expr::Path(p) if p.path.segments.len() == 1 => {
            Some(Subject::Var(p.path.segments[0].ident.to_string()))
        }
        syn::Expr::Paren(p) => operand(&p.expr, value),
        syn::Expr::Try(t) => operand(&t.expr, value),
        syn::Expr::Call(_) | syn::Expr::MethodCall(_) | syn::Expr::Unsafe(_) => {
            value.call.map(Subject::Call)
        }
        _ => None,
    }
}

/// A test from a comparison such as `pid == 0`, given what each side evaluated to.
pub fn from_binary(b: &syn::ExprBinary, left: &Value, right: &Value) -> Option<ForkTest> {
    use syn::BinOp as B;
    let (subject_expr, value, n, flipped) = match (int_value(&b.left), int_value(&b.right)) {
        (None, Some(n)) => (&*b.left, left, n, false),
        (Some(n), None) => (&*b.right, right, n, true),
        _ => return None,
    };
    let subject = operand(subject_expr, value)?;
    let side = match (&b.op, n, flipped) {
        (B::Eq(_), 0, _) => Side::Child,
        (B::Ne(_), 0, _) => Side::Parent,
        (B::Gt(_), 0, false) | (B::Lt(_), 0, true) => Side::Parent,
        (B::Lt(_), 0, false) | (B::Gt(_), 0, true) => Side::Error,
        (B::Eq(_), -1, _) => Side::Error,
        _ => return None,
    };
    Some(ForkTest {
        subject,
        side,
        variant: None,
        via: None,
    })
}

/// A test from an `if` condition (`value` is what lowering the condition produced).
pub fn from_condition(cond: &syn::Expr, value: &Value) -> Option<ForkTest> {
    condition(cond, value, true)
}

/// `outer`: the condition's value is this expression's own (not a receiver of `.is_ok()`), so an
/// unknown method named here is the call `value` holds.
fn condition(cond: &syn::Expr, value: &Value, outer: bool) -> Option<ForkTest> {
    let from_condition = |cond: &syn::Expr, value: &Value| condition(cond, value, false);
    match cond {
        syn::Expr::Paren(p) => condition(&p.expr, value, outer),
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => {
            condition(&u.expr, value, outer).and_then(negate)
        }
        syn::Expr::Binary(b) => from_binary(b, value, value),
        syn::Expr::MethodCall(m) => {
            let side = match m.method.to_string().as_str() {
                "is_child" => Side::Child,
                "is_parent" => Side::Parent,
                // `fork.is_child().is_ok()`: pty's tests return a `Result`.
                "is_ok" => return from_condition(&m.receiver, value),
                "is_some" => {
                    return from_condition(&m.receiver, value).or_else(|| named(value, "Some"))
                }
                "is_err" => return from_condition(&m.receiver, value).and_then(negate),
                // `spawn()?.is_some()` on a wrapper that returns `None` in the child.
                "is_none" => {
                    return from_condition(&m.receiver, value)
                        .and_then(negate)
                        .or_else(|| named(value, "None"))
                }
                // Any other method of the value: its body may compare with the child's value.
                _ if outer && m.args.is_empty() && value.call.is_some() => {
                    let subject = match &*m.receiver {
                        syn::Expr::Path(p) if p.path.segments.len() == 1 => {
                            Subject::Var(p.path.segments[0].ident.to_string())
                        }
                        _ => value.call.map(Subject::Call)?,
                    };
                    return Some(ForkTest {
                        subject,
                        side: Side::Child,
                        variant: None,
                        via: value.call,
                    });
                }
                _ => return None,
            };
            let subject = match &*m.receiver {
                syn::Expr::Path(p) if p.path.segments.len() == 1 => {
                    Subject::Var(p.path.segments[0].ident.to_string())
                }
                _ => value.call.map(Subject::Call)?,
            };
            Some(ForkTest {
                subject,
                side,
                variant: None,
                via: None,
            })
        }
        syn::Expr::Let(l) => {
            // `if let Ok(slave) = fork.is_child()`, `if let Some(m) = fork.is_parent().ok()`.
            if let Some(test) = result_of_side_test(&l.pat, &l.expr, value) {
                return Some(test);
            }
            test_of_pattern(&l.pat, value)
        }
        _ => None,
    }
}

/// What a pattern matched against a value says: a side by itself (`ForkResult::Child`, `0`), or
/// a named value whose side the wrapper's child value tells (`Some(pid)`, `None`).
pub fn test_of_pattern(pat: &syn::Pat, value: &Value) -> Option<ForkTest> {
    if let Some(side) = side_of_pattern(pat, None) {
        return Some(ForkTest {
            subject: subject(value)?,
            side,
            variant: None,
            via: None,
        });
    }
    named(value, &variant_of_pattern(pat)?)
}

/// The arm is taken when the value is the one named.
fn named(value: &Value, variant: &str) -> Option<ForkTest> {
    Some(ForkTest {
        subject: subject(value)?,
        side: Side::Child,
        variant: Some(variant.to_string()),
        via: None,
    })
}

/// `Err(..)`: the pattern takes only the error.
pub fn is_err_pattern(pat: &syn::Pat) -> bool {
    matches!(pat, syn::Pat::TupleStruct(t) if last_ident(&t.path) == "Err")
}

/// `Ok(..)`: the pattern a `Result`'s value matches.
pub fn is_ok_pattern(pat: &syn::Pat) -> bool {
    matches!(pat, syn::Pat::TupleStruct(t) if last_ident(&t.path) == "Ok")
}

/// The name of the value a pattern matches, through `Ok(..)`: `Some(pid)` → `Some`,
/// `Spawned::Child` → `Child`. A bare binding or `_` matches anything and names nothing.
pub fn variant_of_pattern(pat: &syn::Pat) -> Option<String> {
    match pat {
        syn::Pat::TupleStruct(t) => match last_ident(&t.path).as_str() {
            "Ok" => t.elems.first().and_then(variant_of_pattern),
            "Err" => None,
            name => Some(name.to_string()),
        },
        syn::Pat::Path(p) => Some(last_ident(&p.path)),
        syn::Pat::Struct(s) => Some(last_ident(&s.path)),
        syn::Pat::Ident(i)
            if i.subpat.is_none() && i.ident.to_string().starts_with(char::is_uppercase) =>
        {
            Some(i.ident.to_string())
        }
        syn::Pat::Paren(p) => variant_of_pattern(&p.pat),
        _ => None,
    }
}

/// The local a pattern binds to the whole tested value, through `Ok(..)`/`Some(..)`:
/// `if let Ok(r) = fork()` makes `r` the fork's result.
pub fn alias_of_pattern(pat: &syn::Pat) -> Option<String> {
    match pat {
        syn::Pat::TupleStruct(t) if matches!(last_ident(&t.path).as_str(), "Ok") => {
            match t.elems.first()? {
                syn::Pat::Ident(i) if i.subpat.is_none() && t.elems.len() == 1 => {
                    Some(i.ident.to_string())
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The shape of the value an arm evaluates to, for a wrapper's callers: the last name of a
/// constructor (`Ok(Forked::Child)` → `Child`, `Ok(None)` → `None`), an integer, or `()`.
pub fn value_shape(expr: &syn::Expr) -> Option<String> {
    match expr {
        syn::Expr::Paren(p) => value_shape(&p.expr),
        syn::Expr::Return(r) => r
            .expr
            .as_deref()
            .map_or(Some("()".to_string()), value_shape),
        syn::Expr::Block(b) => block_shape(&b.block),
        syn::Expr::Unsafe(u) => block_shape(&u.block),
        syn::Expr::Tuple(t) if t.elems.is_empty() => Some("()".to_string()),
        // An `if` without `else` and a `for` or `while` loop are `()`; a branch's value is its
        // arms' when they agree.
        syn::Expr::If(i) => match &i.else_branch {
            None => Some("()".to_string()),
            Some((_, other)) => {
                let then = block_shape(&i.then_branch)?;
                (value_shape(other)? == then).then_some(then)
            }
        },
        syn::Expr::ForLoop(_) | syn::Expr::While(_) => Some("()".to_string()),
        // An arm that never has a value (`Ok(_) => unreachable!()` after an exec) does not
        // take part.
        syn::Expr::Match(m) => {
            let mut shapes = m
                .arms
                .iter()
                .filter(|a| !never_a_value(&a.body))
                .map(|a| value_shape(&a.body));
            let first = shapes.next()??;
            shapes.all(|s| s.as_ref() == Some(&first)).then_some(first)
        }
        syn::Expr::Lit(_) | syn::Expr::Unary(_) => int_value(expr).map(|n| n.to_string()),
        syn::Expr::Path(p) => {
            let name = last_ident(&p.path);
            name.starts_with(char::is_uppercase).then_some(name)
        }
        syn::Expr::Call(c) => {
            let syn::Expr::Path(p) = &*c.func else {
                return None;
            };
            match last_ident(&p.path).as_str() {
                "Ok" => c.args.first().and_then(value_shape),
                name if name.starts_with(char::is_uppercase) => Some(name.to_string()),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The shape every value a function body evaluates to or returns has, leaving errors aside
/// (`Err(..)`): `Some` only when there is one and they all agree.
pub fn ok_value_of_body(block: &syn::Block) -> Option<String> {
    let mut shapes = Vec::new();
    let mut returns = Returns(&mut shapes);
    syn::visit::Visit::visit_block(&mut returns, block);
    tail_shapes(block, &mut shapes);
    let mut ok = shapes.into_iter().filter(|s| s.as_deref() != Some("Err"));
    let first = ok.next()??;
    ok.all(|s| s.as_deref() == Some(first.as_str()))
        .then_some(first)
}

/// The parameter every value a function body evaluates to or returns is, as is or in `Ok(..)`,
/// leaving errors aside: `fn cerr(res: c_int) -> io::Result<c_int> { if res == -1 { Err(..) }
/// else { Ok(res) } }` passes its argument 0 through.
pub fn passed_param_of_body(block: &syn::Block, params: &[String]) -> Option<u32> {
    let leaves = value_leaves(block);
    let name = |e: &syn::Expr| -> Option<String> {
        let e = match e {
            syn::Expr::Call(c) => match &*c.func {
                syn::Expr::Path(p) if p.path.is_ident("Err") => return Some(String::new()),
                syn::Expr::Path(p) if p.path.is_ident("Ok") && c.args.len() == 1 => &c.args[0],
                _ => return None,
            },
            e => e,
        };
        match e {
            syn::Expr::Path(p) if p.path.segments.len() == 1 => {
                Some(p.path.segments[0].ident.to_string())
            }
            _ => None,
        }
    };
    let names: Vec<String> = leaves.into_iter().map(name).collect::<Option<_>>()?;
    let mut ok = names.iter().filter(|n| !n.is_empty());
    let first = ok.next()?;
    if !ok.all(|n| n == first) {
        return None;
    }
    params.iter().position(|p| p == first).map(|i| i as u32)
}

/// The expressions a body's value may be: its tail values (through blocks, `if` and `match`)
/// and its `return`s'.
pub(super) fn value_leaves(block: &syn::Block) -> Vec<&syn::Expr> {
    let mut leaves: Vec<&syn::Expr> = Vec::new();
    collect_tails(block, &mut leaves);
    let mut returns = ReturnExprs(Vec::new());
    syn::visit::Visit::visit_block(&mut returns, block);
    leaves.extend(returns.0);
    leaves
}

/// The locals that are one of a body's values as a whole: as is, in `Ok(..)` or `Some(..)`, or
/// only converted (`pid as u32`, `pid.into()`, `Pid::from_raw(pid)`). What the caller gets is
/// then that value itself (a fork's pid it may test), not something computed from it
/// (`pid + 1`, `Handle { pid }`).
pub fn whole_returned_locals(block: &syn::Block) -> Vec<String> {
    fn local(e: &syn::Expr) -> Option<String> {
        match e {
            syn::Expr::Path(p) if p.path.segments.len() == 1 => {
                Some(p.path.segments[0].ident.to_string())
            }
            syn::Expr::Paren(p) => local(&p.expr),
            syn::Expr::Cast(c) => local(&c.expr),
            syn::Expr::Block(b) => match b.block.stmts.last() {
                Some(syn::Stmt::Expr(e, None)) => local(e),
                _ => None,
            },
            syn::Expr::Call(c) if c.args.len() == 1 => match &*c.func {
                syn::Expr::Path(p)
                    if matches!(
                        last_ident(&p.path).as_str(),
                        "Ok" | "Some" | "from_raw" | "from"
                    ) =>
                {
                    local(&c.args[0])
                }
                _ => None,
            },
            syn::Expr::MethodCall(m) if m.args.is_empty() && m.method == "into" => {
                local(&m.receiver)
            }
            _ => None,
        }
    }
    let mut out: Vec<String> = value_leaves(block).into_iter().filter_map(local).collect();
    out.sort();
    out.dedup();
    out
}

/// The expressions of `return`s, outside closures and nested items.
struct ReturnExprs<'a>(Vec<&'a syn::Expr>);

impl<'a> syn::visit::Visit<'a> for ReturnExprs<'a> {
    fn visit_expr_return(&mut self, r: &'a syn::ExprReturn) {
        if let Some(e) = r.expr.as_deref() {
            self.0.push(e);
        }
    }
    fn visit_expr_closure(&mut self, _: &'a syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'a syn::ExprAsync) {}
    fn visit_item(&mut self, _: &'a syn::Item) {}
}

/// A block's tail value expressions, through `if`, `match` and blocks; `()` has none.
fn collect_tails<'a>(block: &'a syn::Block, out: &mut Vec<&'a syn::Expr>) {
    if let Some(syn::Stmt::Expr(e, None)) = block.stmts.last() {
        match e {
            syn::Expr::Block(b) => collect_tails(&b.block, out),
            syn::Expr::Unsafe(u) => collect_tails(&u.block, out),
            syn::Expr::If(i) => {
                collect_tails(&i.then_branch, out);
                match i.else_branch.as_ref().map(|(_, e)| &**e) {
                    Some(syn::Expr::Block(b)) => collect_tails(&b.block, out),
                    // `else if ..`: followed no further, so no pass-through is claimed.
                    Some(e) => out.push(e),
                    None => {}
                }
            }
            syn::Expr::Match(m) => {
                for arm in &m.arms {
                    out.push(&arm.body);
                }
            }
            e => out.push(e),
        }
    }
}

/// The shapes of `return` values, outside closures and nested items.
struct Returns<'v>(&'v mut Vec<Option<String>>);

impl<'ast> syn::visit::Visit<'ast> for Returns<'_> {
    fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
        self.0.push(
            r.expr
                .as_deref()
                .map_or(Some("()".to_string()), value_shape),
        );
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// The shapes of a block's tail values, through `if`, `match` and blocks.
fn tail_shapes(block: &syn::Block, out: &mut Vec<Option<String>>) {
    match block.stmts.last() {
        Some(syn::Stmt::Expr(e, None)) => expr_tail_shapes(e, out),
        // Ends in `return`, a diverging call or `;`: the returns say it, or it has no value.
        Some(syn::Stmt::Expr(syn::Expr::Return(_), Some(_))) => {}
        _ => out.push(Some("()".to_string())),
    }
}

fn expr_tail_shapes(e: &syn::Expr, out: &mut Vec<Option<String>>) {
    match e {
        syn::Expr::Paren(p) => expr_tail_shapes(&p.expr, out),
        syn::Expr::Block(b) => tail_shapes(&b.block, out),
        syn::Expr::Unsafe(u) => tail_shapes(&u.block, out),
        syn::Expr::If(i) => {
            tail_shapes(&i.then_branch, out);
            match &i.else_branch {
                Some((_, e)) => expr_tail_shapes(e, out),
                None => out.push(Some("()".to_string())),
            }
        }
        syn::Expr::Match(m) => {
            for arm in &m.arms {
                expr_tail_shapes(&arm.body, out);
            }
        }
        syn::Expr::Return(_) => {}
        _ => out.push(value_shape(e)),
    }
}

/// The shape of a block's tail value (`()` when it has none).
pub fn block_shape(block: &syn::Block) -> Option<String> {
    match block.stmts.last() {
        Some(syn::Stmt::Expr(e, None)) => value_shape(e),
        _ => Some("()".to_string()),
    }
}

/// An expression that leaves instead of having a value: a panicking macro, `continue`, `break`.
fn never_a_value(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Macro(m) => matches!(
            last_ident(&m.mac.path).as_str(),
            "unreachable" | "panic" | "todo" | "unimplemented"
        ),
        syn::Expr::Continue(_) | syn::Expr::Break(_) => true,
        _ => false,
    }
}

fn last_ident(path: &syn::Path) -> String {
    path.segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
}

/// A pattern matched against the `Result`/`Option` of an `is_child()`/`is_parent()` test:
/// `Ok`/`Some` take that side, `Err`/`None` the other.
fn result_of_side_test(pat: &syn::Pat, expr: &syn::Expr, value: &Value) -> Option<ForkTest> {
    let outer = expr;
    let mut expr = expr;
    while let syn::Expr::MethodCall(m) = expr {
        if !matches!(m.method.to_string().as_str(), "ok" | "err") {
            break;
        }
        expr = &m.receiver;
    }
    let syn::Expr::MethodCall(m) = expr else {
        return None;
    };
    // Another method called on the value itself (`if let Ok(m) = session.is_leader()`): its
    // body may say which value it answers `Ok` for.
    let test = if matches!(m.method.to_string().as_str(), "is_child" | "is_parent") {
        from_condition(expr, value)?
    } else if std::ptr::eq(expr, outer) {
        condition(expr, value, true)?
    } else {
        return None;
    };
    let name = match pat {
        syn::Pat::TupleStruct(t) => last_ident(&t.path),
        syn::Pat::Path(p) => last_ident(&p.path),
        syn::Pat::Ident(i) => i.ident.to_string(),
        _ => return None,
    };
    match name.as_str() {
        "Ok" | "Some" => Some(test),
        "Err" | "None" => negate(test),
        _ => None,
    }
}

fn side_of_name(name: &str) -> Option<Side> {
    match name {
        "Child" => Some(Side::Child),
        // rustix's `Fork::ParentOf(pid)`.
        "Parent" | "ParentOf" => Some(Side::Parent),
        // `match pid.cmp(&0) { Ordering::Equal => .. }`
        "Equal" => Some(Side::Child),
        "Greater" => Some(Side::Parent),
        "Less" => Some(Side::Error),
        _ => None,
    }
}

/// `pid.cmp(&0)`: the local compared with zero.
pub fn cmp_with_zero(expr: &syn::Expr) -> Option<String> {
    let syn::Expr::MethodCall(m) = expr else {
        return None;
    };
    if m.method != "cmp" || m.args.len() != 1 {
        return None;
    }
    let arg = match &m.args[0] {
        syn::Expr::Reference(r) => &*r.expr,
        other => other,
    };
    if int_value(arg) != Some(0) {
        return None;
    }
    match &*m.receiver {
        syn::Expr::Path(p) if p.path.segments.len() == 1 => {
            Some(p.path.segments[0].ident.to_string())
        }
        _ => None,
    }
}

/// What a `match` arm's pattern (and guard) says about the side.
pub fn side_of_pattern(pat: &syn::Pat, guard: Option<&syn::Expr>) -> Option<Side> {
    match pat {
        syn::Pat::Lit(l) => match int_value(&syn::Expr::Lit(l.clone()))? {
            0 => Some(Side::Child),
            -1 => Some(Side::Error),
            _ => Some(Side::Parent),
        },
        syn::Pat::Range(_) => Some(Side::Parent),
        syn::Pat::Path(p) => side_of_name(&last_ident(&p.path)),
        syn::Pat::Ident(i) => {
            if let Some(s) = side_of_name(&i.ident.to_string()) {
                return Some(s);
            }
            let guard = guard?;
            from_condition(
                guard,
                &Value {
                    var: Some(i.ident.to_string()),
                    ..Default::default()
                },
            )
            .map(|t| t.side)
        }
        syn::Pat::Struct(s) => side_of_name(&last_ident(&s.path)),
        syn::Pat::TupleStruct(t) => {
            let name = last_ident(&t.path);
            match name.as_str() {
                "Ok" => t.elems.first().and_then(|p| side_of_pattern(p, guard)),
                "Err" => Some(Side::Error),
                _ => side_of_name(&name),
            }
        }
        syn::Pat::Paren(p) => side_of_pattern(&p.pat, guard),
        syn::Pat::Or(o) => o.cases.first().and_then(|p| side_of_pattern(p, guard)),
        _ => None,
    }
}

/// `_` or a bare binding: the arm that takes whatever the other arms did not.
pub fn is_catch_all(pat: &syn::Pat) -> bool {
    matches!(pat, syn::Pat::Wild(_)) || matches!(pat, syn::Pat::Ident(i) if i.subpat.is_none())
}

/// A method body that only compares `self` with a named value: `*self == Fork::Child`,
/// `self != &Fork::Child`, `matches!(self, Fork::Child)`, or a `match *self` whose arms answer
/// (`Fork::Child(_) => Err(..)`, `Fork::Parent(_, ref m) => Ok(m.clone())`). The name and
/// whether equality answers true (`Ok`, `Some`, `true`).
pub fn variant_test_of_body(block: &syn::Block) -> Option<(String, bool)> {
    let [syn::Stmt::Expr(e, None)] = block.stmts.as_slice() else {
        return None;
    };
    fn is_self(e: &syn::Expr) -> bool {
        match e {
            syn::Expr::Path(p) => p.path.is_ident("self"),
            syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => is_self(&u.expr),
            syn::Expr::Reference(r) => is_self(&r.expr),
            syn::Expr::Paren(p) => is_self(&p.expr),
            _ => false,
        }
    }
    fn named(e: &syn::Expr) -> Option<String> {
        match e {
            syn::Expr::Path(p) if p.path.segments.len() > 1 => Some(last_ident(&p.path)),
            syn::Expr::Reference(r) => named(&r.expr),
            syn::Expr::Paren(p) => named(&p.expr),
            _ => None,
        }
    }
    match e {
        syn::Expr::Binary(b) => {
            let equal = match b.op {
                syn::BinOp::Eq(_) => true,
                syn::BinOp::Ne(_) => false,
                _ => return None,
            };
            let name = match (is_self(&b.left), is_self(&b.right)) {
                (true, false) => named(&b.right)?,
                (false, true) => named(&b.left)?,
                _ => return None,
            };
            Some((name, equal))
        }
        syn::Expr::Match(m) if is_self(&m.expr) && m.arms.len() >= 2 => {
            let answer = |e: &syn::Expr| -> Option<bool> {
                match e {
                    syn::Expr::Lit(l) => match &l.lit {
                        syn::Lit::Bool(b) => Some(b.value),
                        _ => None,
                    },
                    syn::Expr::Path(p) if p.path.is_ident("None") => Some(false),
                    syn::Expr::Call(c) => match &*c.func {
                        syn::Expr::Path(p) if p.path.is_ident("Ok") || p.path.is_ident("Some") => {
                            Some(true)
                        }
                        syn::Expr::Path(p) if p.path.is_ident("Err") => Some(false),
                        _ => None,
                    },
                    _ => None,
                }
            };
            // Every arm answers; the first that names a value says which and how.
            let answers: Vec<bool> = m
                .arms
                .iter()
                .map(|a| a.guard.is_none().then(|| answer(&a.body)).flatten())
                .collect::<Option<_>>()?;
            if answers.iter().all(|a| *a == answers[0]) {
                return None;
            }
            m.arms
                .iter()
                .zip(answers)
                .find_map(|(a, yes)| variant_of_pattern(&a.pat).map(|name| (name, yes)))
        }
        syn::Expr::Macro(m) if m.mac.path.is_ident("matches") => {
            let (subject, pat) = m
                .mac
                .parse_body_with(|input: syn::parse::ParseStream| {
                    let subject: syn::Expr = input.parse()?;
                    input.parse::<syn::Token![,]>()?;
                    let pat = syn::Pat::parse_multi_with_leading_vert(input)?;
                    Ok((subject, pat))
                })
                .ok()?;
            (is_self(&subject) && !input_has_guard(&m.mac.tokens))
                .then(|| variant_of_pattern(&pat))
                .flatten()
                .map(|name| (name, true))
        }
        _ => None,
    }
}

/// `matches!(self, X if cond)`: a guard makes the answer more than the comparison.
fn input_has_guard(tokens: &proc_macro2::TokenStream) -> bool {
    tokens
        .clone()
        .into_iter()
        .any(|t| matches!(t, proc_macro2::TokenTree::Ident(i) if i == "if"))
}
