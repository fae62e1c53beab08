//! The parameter whose call a function hands back: `fn retry<F: FnMut() -> io::Result<T>>(mut f:
//! F) -> io::Result<T> { loop { match f() { Err(e) if interrupted(&e) => continue, r => return r
//! } } }` or `let r = f(); if r < 0 { return Err(..) } Ok(r)`. What the closure handed there
//! returns comes back out of the call, so a fork made in it is the caller's to tell apart.

use std::collections::HashMap;

/// The parameter every non-error value of the body is the result of calling (as is, in
/// `Ok(..)`, through `?`, a local bound to it or a `match` arm binding it), and whether some of
/// those values pass through another function first, which only the analysis can tell hands
/// them back: the call handed to a function of one argument (`match cvt(f()) { .. }`), or the
/// parameter itself handed on (`retry(f)`).
pub fn called_param_of_body(block: &syn::Block, params: &[String]) -> Option<(u32, bool)> {
    let mut bound = Bindings(HashMap::new());
    syn::visit::Visit::visit_block(&mut bound, block);
    let mut found: Option<u32> = None;
    let mut through = false;
    for leaf in super::forktest::value_leaves(block) {
        let p = match source(leaf, &bound.0, params, 0)? {
            Source::Nothing => continue,
            Source::Param(p) => p,
            Source::Through(p) => {
                through = true;
                p
            }
        };
        if found.is_some_and(|f| f != p) {
            return None;
        }
        found = Some(p);
    }
    found.map(|p| (p, through))
}

enum Source {
    /// An error, a jump or a panic: no value the caller goes on with.
    Nothing,
    Param(u32),
    /// The parameter's call handed to another function first.
    Through(u32),
}

/// Locals bound to an expression's value as a whole: `let r = ..;` and `match .. { r => ..,
/// Ok(r) => .. }`. A name bound twice is dropped: which value it holds is not known.
struct Bindings<'a>(HashMap<String, Option<&'a syn::Expr>>);

impl Bindings<'_> {
    fn bind<'a>(
        map: &mut HashMap<String, Option<&'a syn::Expr>>,
        pat: &syn::Pat,
        e: &'a syn::Expr,
    ) {
        let Some(name) = whole_binding(pat) else {
            return;
        };
        map.entry(name)
            .and_modify(|old| *old = None)
            .or_insert(Some(e));
    }
}

impl<'a> syn::visit::Visit<'a> for Bindings<'a> {
    fn visit_local(&mut self, l: &'a syn::Local) {
        if let Some(init) = &l.init {
            Self::bind(&mut self.0, &l.pat, &init.expr);
        }
        syn::visit::visit_local(self, l);
    }
    fn visit_expr_match(&mut self, m: &'a syn::ExprMatch) {
        for arm in &m.arms {
            Self::bind(&mut self.0, &arm.pat, &m.expr);
        }
        syn::visit::visit_expr_match(self, m);
    }
    fn visit_expr_closure(&mut self, _: &'a syn::ExprClosure) {}
    fn visit_item(&mut self, _: &'a syn::Item) {}
}

/// The name a pattern binds to the matched value, or to what its `Ok`/`Some` holds.
fn whole_binding(pat: &syn::Pat) -> Option<String> {
    match pat {
        syn::Pat::Ident(i) if i.subpat.is_none() => Some(i.ident.to_string()),
        syn::Pat::Type(t) => whole_binding(&t.pat),
        syn::Pat::TupleStruct(t) if t.elems.len() == 1 => {
            let last = t.path.segments.last()?.ident.to_string();
            matches!(last.as_str(), "Ok" | "Some")
                .then(|| whole_binding(&t.elems[0]))
                .flatten()
        }
        _ => None,
    }
}

/// Where a value the body may evaluate to comes from; `None` when it is something else.
fn source(
    e: &syn::Expr,
    bound: &HashMap<String, Option<&syn::Expr>>,
    params: &[String],
    depth: u32,
) -> Option<Source> {
    // Bindings of bindings: a chain longer than this is no pass-through worth claiming.
    if depth > 8 {
        return None;
    }
    let next = |e: &syn::Expr| source(e, bound, params, depth + 1);
    match e {
        syn::Expr::Paren(p) => next(&p.expr),
        syn::Expr::Try(t) => next(&t.expr),
        syn::Expr::Return(_) | syn::Expr::Continue(_) => Some(Source::Nothing),
        syn::Expr::Break(b) if b.expr.is_none() => Some(Source::Nothing),
        // A loop's value is what its `break`s carry: without one it only leaves by `return`.
        syn::Expr::Loop(l) => (!breaks_with_value(&l.body)).then_some(Source::Nothing),
        syn::Expr::Macro(m) => {
            let name = m.mac.path.segments.last()?.ident.to_string();
            matches!(name.as_str(), "panic" | "unreachable" | "bail" | "todo")
                .then_some(Source::Nothing)
        }
        syn::Expr::Call(c) => {
            let syn::Expr::Path(f) = &*c.func else {
                return None;
            };
            let name = f.path.get_ident().map(|i| i.to_string());
            let last = f.path.segments.last()?.ident.to_string();
            if let Some(p) = name.and_then(|n| params.iter().position(|p| *p == n)) {
                return Some(Source::Param(p as u32));
            }
            // `retry(f)`: the parameter handed on to a function that may hand back its call.
            let handed: Vec<u32> = c
                .args
                .iter()
                .filter_map(|a| param_named(a, params))
                .collect();
            match (last.as_str(), c.args.len(), handed.as_slice()) {
                ("Err", _, _) => Some(Source::Nothing),
                ("Ok", 1, _) => next(&c.args[0]),
                (_, _, [p]) => Some(Source::Through(*p)),
                (_, 1, _) => match next(&c.args[0])? {
                    Source::Param(p) | Source::Through(p) => Some(Source::Through(p)),
                    Source::Nothing => None,
                },
                _ => None,
            }
        }
        syn::Expr::Path(p) => {
            let name = p.path.get_ident()?.to_string();
            next(bound.get(&name).copied().flatten()?)
        }
        _ => None,
    }
}

/// The parameter an expression names as is.
fn param_named(e: &syn::Expr, params: &[String]) -> Option<u32> {
    let syn::Expr::Path(p) = e else {
        return None;
    };
    let name = p.path.get_ident()?.to_string();
    params.iter().position(|p| *p == name).map(|p| p as u32)
}

fn breaks_with_value(body: &syn::Block) -> bool {
    struct Breaks(bool);
    impl<'a> syn::visit::Visit<'a> for Breaks {
        fn visit_expr_break(&mut self, b: &'a syn::ExprBreak) {
            self.0 |= b.expr.is_some();
        }
        fn visit_expr_closure(&mut self, _: &'a syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'a syn::Item) {}
    }
    let mut v = Breaks(false);
    syn::visit::Visit::visit_block(&mut v, body);
    v.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(src: &str) -> Option<(u32, bool)> {
        let f: syn::ItemFn = syn::parse_str(src).unwrap();
        let params: Vec<String> = f
            .sig
            .inputs
            .iter()
            .filter_map(|a| match a {
                syn::FnArg::Typed(t) => match &*t.pat {
                    syn::Pat::Ident(i) => Some(i.ident.to_string()),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        called_param_of_body(&f.block, &params)
    }

    #[test]
    fn retry_loop_hands_back_the_call() {
        let src = "fn retry<F: FnMut() -> io::Result<T>>(mut f: F) -> io::Result<T> {
            loop { match f() { Err(e) if e.kind() == Interrupted => continue, other => return other } }
        }";
        assert_eq!(of(src), Some((0, false)));
    }

    #[test]
    fn error_check_on_the_call_is_noted() {
        let src = "fn cvt_r<T, F: FnMut() -> T>(mut f: F) -> io::Result<T> {
            loop { match cvt(f()) { Err(ref e) if e.kind() == Interrupted => {} other => return other } }
        }";
        assert_eq!(of(src), Some((0, true)));
    }

    #[test]
    fn parameter_handed_on_is_noted() {
        let src =
            "fn fork_retry<F: FnMut() -> io::Result<i32>>(f: F) -> io::Result<i32> { retry(f) }";
        assert_eq!(of(src), Some((0, true)));
    }

    #[test]
    fn checked_local_is_the_call() {
        let src = "fn syscall(name: &str, f: impl FnOnce() -> i32) -> io::Result<i32> {
            let r = f();
            if r < 0 { return Err(io::Error::last_os_error()); }
            Ok(r)
        }";
        assert_eq!(of(src), Some((1, false)));
    }

    #[test]
    fn computed_value_is_not() {
        assert_eq!(
            of("fn twice(f: impl Fn() -> i32) -> i32 { f() + f() }"),
            None
        );
        assert_eq!(of("fn run(f: impl Fn() -> i32) -> i32 { f(); 0 }"), None);
        assert_eq!(
            of("fn run(f: impl Fn() -> i32) -> i32 { let r = f(); let r = 1; r }"),
            None
        );
    }
}
