//! Macro bodies that hold code: format and log macros (their arguments are expressions),
//! `lazy_static!` and `thread_local!` (globals with initialisers), and unknown macros whose
//! tokens parse as items or statements (`cfg_if!`, `feature! { .. }`).

use super::cfg::Cfg;
use super::lower::{range, Lowerer, Value, MAX_DEPTH};
use crate::ir::{Callee, Node};
use proc_macro2::{Delimiter, TokenStream, TokenTree};
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;

/// Macros whose arguments are comma-separated expressions (after an optional format string).
const EXPR_MACROS: &[&str] = &[
    "format",
    "print",
    "println",
    "eprint",
    "eprintln",
    "write",
    "writeln",
    "panic",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "format_args",
    "unreachable",
    "todo",
    "unimplemented",
    "dbg",
    "vec",
    "error",
    "warn",
    "info",
    "debug",
    "trace",
    "log",
    "crit",
    "slog_crit",
    "slog_error",
    "slog_warn",
    "slog_info",
    "slog_debug",
    "slog_trace",
    "slog_log",
    "event",
    "anyhow",
    "bail",
    "ensure",
    "matches",
    "try",
    "die",
];

/// Names of globals a `lazy_static!`/`thread_local!` item macro declares.
pub fn declared_statics(m: &syn::ItemMacro) -> Vec<String> {
    let name = macro_name(&m.mac.path);
    if name != "lazy_static" && name != "thread_local" {
        return Vec::new();
    }
    parse_statics(m.mac.tokens.clone())
        .into_iter()
        .map(|(n, _)| n.to_string())
        .collect()
}

fn macro_name(path: &syn::Path) -> String {
    path.segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
}

/// `[pub] static [ref] NAME: Ty = expr;` repeated (lazy_static! and thread_local! bodies).
fn parse_statics(tokens: TokenStream) -> Vec<(syn::Ident, syn::Expr)> {
    if !super::within_chain_limit(&tokens) {
        return Vec::new();
    }
    let parser = |input: ParseStream| {
        let mut out = Vec::new();
        while !input.is_empty() {
            input.call(syn::Attribute::parse_outer)?;
            input.parse::<syn::Visibility>()?;
            input.parse::<syn::Token![static]>()?;
            if input.peek(syn::Token![ref]) {
                input.parse::<syn::Token![ref]>()?;
            }
            let name: syn::Ident = input.parse()?;
            input.parse::<syn::Token![:]>()?;
            input.parse::<syn::Type>()?;
            input.parse::<syn::Token![=]>()?;
            if input.peek(syn::Token![const]) {
                input.parse::<syn::Token![const]>()?;
            }
            let expr: syn::Expr = input.parse()?;
            out.push((name, expr));
            if input.peek(syn::Token![;]) {
                input.parse::<syn::Token![;]>()?;
            }
        }
        Ok(out)
    };
    parser.parse2(tokens).unwrap_or_default()
}

pub fn lower_item_macro(l: &mut Lowerer, m: &syn::ItemMacro) {
    let name = macro_name(&m.mac.path);
    if name == "lazy_static" || name == "thread_local" {
        for (global, expr) in parse_statics(m.mac.tokens.clone()) {
            let path = format!("{}::{global}", l.scopes[l.current].path);
            l.lower_init(path, &expr, global.span());
        }
        return;
    }
    if name == "macro_rules" {
        if let Some(ident) = &m.ident {
            lower_macro_rules(l, &ident.to_string(), m.mac.tokens.clone());
        }
        return;
    }
    lower_unknown_items(l, m.mac.tokens.clone(), 0);
}

/// Tries the tokens as items; failing that, each brace group inside them (`cfg_if!`'s arms).
fn lower_unknown_items(l: &mut Lowerer, tokens: TokenStream, depth: usize) {
    if depth > 8 || l.depth > MAX_DEPTH || !super::within_chain_limit(&tokens) {
        return;
    }
    if let Ok(file) = syn::parse2::<syn::File>(tokens.clone()) {
        if !file.items.is_empty() {
            l.declare_items(&file.items);
            l.lower_items(&file.items);
            return;
        }
    }
    let mut arms = CfgIfArms::default();
    for tt in tokens {
        if let TokenTree::Group(g) = &tt {
            if g.delimiter() == Delimiter::Brace {
                if !arms.next_arm_absent() {
                    lower_unknown_items(l, g.stream(), depth + 1);
                }
                continue;
            }
        }
        arms.step(&tt);
    }
}

/// The predicates of a `cfg_if!` chain (`if #[cfg(a)] { .. } else if #[cfg(b)] { .. } else
/// { .. }`) as its tokens go by, to leave out the arms no Unix build compiles: an arm holds
/// when its own predicate does and no earlier one did.
#[derive(Default)]
struct CfgIfArms {
    /// The earlier arms' predicates; `None` once one of them could not be read.
    earlier: Option<Vec<Cfg>>,
    /// The `#[cfg(..)]` just read, for the brace group that follows.
    pending: Option<Cfg>,
    after_else: bool,
    after_hash: bool,
}

impl CfgIfArms {
    fn step(&mut self, tt: &TokenTree) {
        match tt {
            TokenTree::Ident(i) if i == "if" && !self.after_else => {
                self.earlier = Some(Vec::new());
                self.pending = None;
            }
            TokenTree::Ident(i) if i == "else" => self.after_else = true,
            TokenTree::Punct(p) if p.as_char() == '#' => {
                self.after_hash = true;
                return;
            }
            TokenTree::Group(g) if self.after_hash && g.delimiter() == Delimiter::Bracket => {
                let mut inner = g.stream().into_iter();
                let cfg = match (inner.next(), inner.next()) {
                    (Some(TokenTree::Ident(name)), Some(TokenTree::Group(args)))
                        if name == "cfg" =>
                    {
                        Cfg::parse(args.stream())
                    }
                    _ => None,
                };
                if cfg.is_none() {
                    self.earlier = None;
                }
                self.pending = cfg;
            }
            _ => {}
        }
        self.after_hash = false;
    }

    /// Whether the brace group that comes now is an arm no Unix build compiles; moves past it.
    fn next_arm_absent(&mut self) -> bool {
        let own = self.pending.take();
        let bare_else = std::mem::take(&mut self.after_else) && own.is_none();
        let Some(earlier) = self.earlier.as_mut() else {
            return false;
        };
        let none_before = Cfg::Not(Box::new(Cfg::Any(earlier.clone())));
        let absent = match (&own, bare_else) {
            (Some(own), _) => Cfg::All(vec![none_before, own.clone()]).never_on_unix(),
            (None, true) => none_before.never_on_unix(),
            (None, false) => false,
        };
        match own {
            Some(own) => earlier.push(own),
            None => self.earlier = None,
        }
        absent
    }
}

fn split_top_level(tokens: TokenStream) -> Vec<TokenStream> {
    let mut parts = vec![TokenStream::new()];
    for tt in tokens {
        if let TokenTree::Punct(p) = &tt {
            if p.as_char() == ',' || p.as_char() == ';' {
                parts.push(TokenStream::new());
                continue;
            }
        }
        if let Some(last) = parts.last_mut() {
            last.extend(std::iter::once(tt));
        }
    }
    parts.retain(|p| !p.is_empty());
    parts
}

/// The first token of the macro's path.
fn mac_start(mac: &syn::Macro) -> proc_macro2::Span {
    mac.path
        .segments
        .first()
        .map(|s| s.ident.span())
        .unwrap_or_else(proc_macro2::Span::call_site)
}

/// From the macro's name to its closing delimiter (see `lower::range` on why not `Spanned`).
fn mac_span(mac: &syn::Macro) -> crate::ir::Span {
    range(mac_start(mac), mac.delimiter.span().close())
}

pub fn lower_expr_macro(l: &mut Lowerer, mac: &syn::Macro, out: &mut Vec<Node>) -> Value {
    let name = macro_name(&mac.path);
    let segs: Vec<String> = mac
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    // A body too deep to parse safely is left as tokens: the macro is still a call.
    if !super::within_chain_limit(&mac.tokens) {
        let path = resolve_macro(l, &segs);
        let call = l.call(Callee::Macro(path), mac_span(mac));
        let id = call.id;
        out.push(Node::Call(call));
        return Value {
            call: Some(id),
            ..Default::default()
        };
    }
    // `vec![]` is `Vec::new()`: nothing is allocated until an element is pushed.
    if name == "vec" && mac.tokens.is_empty() {
        return Value::default();
    }
    if EXPR_MACROS.contains(&name.as_str()) {
        // Arguments first (they run before the macro's own work), then the macro itself.
        if let Ok(args) =
            Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated.parse2(mac.tokens.clone())
        {
            let mut args = args.iter();
            // `writeln!(dst, ..)` is `dst.write_fmt(format_args!(..))`: what writing does
            // depends on the destination (`io::stderr()` takes its lock).
            let writes = matches!(name.as_str(), "write" | "writeln");
            if let Some(dst) = writes.then(|| args.next()).flatten() {
                let receiver = l.lower_expr(dst, out);
                let mut call = l.call(
                    Callee::Method {
                        name: "write_fmt".into(),
                        ty: receiver.ty.clone(),
                    },
                    mac_span(mac),
                );
                call.receiver = receiver.var;
                call.receiver_global = receiver.global;
                call.receiver_call = receiver.call;
                for arg in args.by_ref() {
                    l.lower_expr(arg, out);
                }
                out.push(Node::Call(call));
            }
            for arg in args {
                l.lower_expr(arg, out);
            }
        } else {
            for part in split_top_level(mac.tokens.clone()) {
                if let Ok(expr) = syn::parse2::<syn::Expr>(part) {
                    l.lower_expr(&expr, out);
                }
            }
        }
        let path = resolve_macro(l, &segs);
        let call = l.call(Callee::Macro(path), mac_span(mac));
        let id = call.id;
        out.push(Node::Call(call));
        return Value {
            call: Some(id),
            ..Default::default()
        };
    }
    if matches!(name.as_str(), "lazy_static" | "thread_local") {
        for (global, expr) in parse_statics(mac.tokens.clone()) {
            let path = format!("{}::{global}", l.scopes[l.current].path);
            l.lower_init(path, &expr, global.span());
        }
        return Value::default();
    }
    if matches!(name.as_str(), "select" | "select_biased") {
        if let Some(select) = parse_select(mac.tokens.clone()) {
            lower_select(l, &select, mac_span(mac), out);
            let path = resolve_macro(l, &segs);
            let call = l.call(Callee::Macro(path), mac_span(mac));
            out.push(Node::Call(call));
            return Value::default();
        }
    }
    if let Some(args) = argument_list(mac.tokens.clone()) {
        return lower_argument_macro(l, &segs, mac, &args, out);
    }
    // Unknown macro in statement or expression position: its body often is code. Where the
    // macro puts it is unknown (a `fork_and_return!` runs it in the child, after its own fork):
    // code that cannot leave the enclosing function is handed to the macro as a closure, run
    // after the macro's own work; code that may `return`, `?`, `break` or `continue` out of it
    // stays in place, before the macro.
    if let Ok(stmts) = (syn::Block::parse_within).parse2(mac.tokens.clone()) {
        if !stmts.is_empty() {
            let path = resolve_macro(l, &segs);
            let mut call = l.call(Callee::Macro(path), mac_span(mac));
            if escapes(&stmts) {
                let block = l.lower_stmts(&stmts);
                out.push(Node::Block(block));
            } else {
                let body = syn::Expr::Block(syn::ExprBlock {
                    attrs: Vec::new(),
                    label: None,
                    block: syn::Block {
                        brace_token: syn::token::Brace(mac.delimiter.span().join()),
                        stmts,
                    },
                });
                call.closures
                    .push(l.lower_closure(&body, Vec::new(), mac_start(mac)));
            }
            out.push(Node::Call(call));
            return Value::default();
        }
    }
    // `ptyknot!(knot, slave, @ tty)`: the leading arguments that are expressions are the
    // call's, bound to the macro's leading metavariables.
    let leading: Vec<syn::Expr> = split_top_level(mac.tokens.clone())
        .into_iter()
        .map_while(|part| syn::parse2::<syn::Expr>(part).ok())
        .collect();
    let path = resolve_macro(l, &segs);
    let mut call = l.call(Callee::Macro(path), mac_span(mac));
    l.lower_args(leading.iter(), out, &mut call);
    out.push(Node::Call(call));
    Value::default()
}

/// The arguments of an unknown macro written like a call (`check!(fork(), Kind::Fork)`):
/// comma-separated expressions, none a block (a block may be code the macro runs elsewhere, as
/// a closure is).
fn argument_list(tokens: TokenStream) -> Option<Vec<syn::Expr>> {
    let args = Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated
        .parse2(tokens)
        .ok()?;
    let block = |e: &syn::Expr| matches!(e, syn::Expr::Block(_));
    (!args.is_empty() && !args.iter().any(block)).then(|| args.into_iter().collect())
}

/// A call-like macro evaluates its arguments where it stands; the value it gives is taken to be
/// its first argument's, checked or wrapped (`let pid = check!(fork(), ..)?;` holds the pid).
fn lower_argument_macro(
    l: &mut Lowerer,
    segs: &[String],
    mac: &syn::Macro,
    args: &[syn::Expr],
    out: &mut Vec<Node>,
) -> Value {
    // Evaluated in place, as a call's arguments are: a function or closure it is handed may be
    // run by it or kept to be run later (`routes![index, upload]` registers handlers that the
    // server runs on its threads), as by a library function given them.
    let path = resolve_macro(l, segs);
    let mut call = l.call(Callee::Macro(path), mac_span(mac));
    let values = l.lower_args(args.iter(), out, &mut call);
    out.push(Node::Call(call));
    values.into_iter().next().unwrap_or_default()
}

/// The arms of a `select!` (tokio, futures): each `pattern = future (, if guard)? => handler`,
/// and `else => handler`.
struct Select {
    futures: Vec<syn::Expr>,
    handlers: Vec<syn::Expr>,
}

fn parse_select(tokens: TokenStream) -> Option<Select> {
    let tts: Vec<TokenTree> = tokens.into_iter().collect();
    let is = |tt: &TokenTree, c: char| matches!(tt, TokenTree::Punct(p) if p.as_char() == c);
    let joint = |tt: &TokenTree| matches!(tt, TokenTree::Punct(p) if p.spacing() == proc_macro2::Spacing::Joint);
    let mut select = Select {
        futures: Vec::new(),
        handlers: Vec::new(),
    };
    let mut i = 0;
    // `biased;`
    if matches!(tts.first(), Some(TokenTree::Ident(id)) if id == "biased")
        && tts.get(1).is_some_and(|t| is(t, ';'))
    {
        i = 2;
    }
    while i < tts.len() {
        // The head runs to `=>`: a pattern, then `= future` unless it is `else`.
        let start = i;
        let mut arrow = None;
        let mut assign = None;
        while i < tts.len() {
            if is(&tts[i], '=') && joint(&tts[i]) && tts.get(i + 1).is_some_and(|t| is(t, '>')) {
                arrow = Some(i);
                break;
            }
            let lone = is(&tts[i], '=')
                && !joint(&tts[i])
                && !(i > start && joint(&tts[i - 1]) && matches!(tts[i - 1], TokenTree::Punct(_)));
            if lone && assign.is_none() {
                assign = Some(i);
            }
            i += 1;
        }
        let arrow = arrow?;
        if let Some(eq) = assign {
            // `, if guard` ends the future.
            let end = (eq + 1..arrow)
                .find(|&j| {
                    is(&tts[j], ',')
                        && matches!(tts.get(j + 1), Some(TokenTree::Ident(id)) if id == "if")
                })
                .unwrap_or(arrow);
            let future: TokenStream = tts[eq + 1..end].iter().cloned().collect();
            select.futures.push(syn::parse2(future).ok()?);
        }
        i = arrow + 2;
        let body_start = i;
        let braced =
            matches!(tts.get(i), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace);
        if braced {
            i += 1;
        } else {
            while i < tts.len() && !is(&tts[i], ',') {
                i += 1;
            }
        }
        let handler: TokenStream = tts[body_start..i].iter().cloned().collect();
        select.handlers.push(syn::parse2(handler).ok()?);
        if tts.get(i).is_some_and(|t| is(t, ',')) {
            i += 1;
        }
    }
    (!select.handlers.is_empty()).then_some(select)
}

/// Every future is created (they race), then one handler runs: the handlers are alternatives.
fn lower_select(l: &mut Lowerer, select: &Select, span: crate::ir::Span, out: &mut Vec<Node>) {
    for future in &select.futures {
        l.lower_expr(future, out);
    }
    let mut arms = Vec::new();
    for handler in &select.handlers {
        let mut body = crate::ir::Block::default();
        l.lower_expr(handler, &mut body.nodes);
        arms.push(crate::ir::Arm {
            test: None,
            body,
            span,
            ..Default::default()
        });
    }
    out.push(Node::Branch(crate::ir::Branch {
        span,
        arms,
        exhaustive: true,
    }));
}

/// Whether statements may leave the function that holds them (`return`, `?`, or a `break` or
/// `continue` of a loop around them); closures, async blocks and items are their own functions.
fn escapes(stmts: &[syn::Stmt]) -> bool {
    #[derive(Default)]
    struct Escape {
        found: bool,
        loops: usize,
    }
    impl<'ast> syn::visit::Visit<'ast> for Escape {
        fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
            self.found = true;
        }
        fn visit_expr_try(&mut self, _: &'ast syn::ExprTry) {
            self.found = true;
        }
        fn visit_expr_break(&mut self, _: &'ast syn::ExprBreak) {
            self.found |= self.loops == 0;
        }
        fn visit_expr_continue(&mut self, _: &'ast syn::ExprContinue) {
            self.found |= self.loops == 0;
        }
        fn visit_expr_loop(&mut self, e: &'ast syn::ExprLoop) {
            self.loops += 1;
            syn::visit::visit_expr_loop(self, e);
            self.loops -= 1;
        }
        fn visit_expr_while(&mut self, e: &'ast syn::ExprWhile) {
            self.loops += 1;
            syn::visit::visit_expr_while(self, e);
            self.loops -= 1;
        }
        fn visit_expr_for_loop(&mut self, e: &'ast syn::ExprForLoop) {
            self.loops += 1;
            syn::visit::visit_expr_for_loop(self, e);
            self.loops -= 1;
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            // `bail!`, `try!` and unknown macros may return: look at what they hold.
            let name = macro_name(&m.path);
            self.found |= matches!(name.as_str(), "bail" | "try" | "ensure");
        }
    }
    let mut v = Escape::default();
    for stmt in stmts {
        syn::visit::Visit::visit_stmt(&mut v, stmt);
    }
    v.found
}

/// A macro's path: `log::info` when written so or imported with `use log::info`, else its name.
fn resolve_macro(l: &Lowerer, segs: &[String]) -> String {
    if segs.len() > 1 {
        return segs.join("::");
    }
    let name = segs.first().cloned().unwrap_or_default();
    match l.scopes[l.current].uses.get(&name) {
        Some(target) => target.clone(),
        None => name,
    }
}

/// `macro_rules! name { (..) => { body }; .. }`: the first arm's body, with metavariables made
/// inert, becomes a function that invocations of `name!` call. Crude, but a logging `die!` or a
/// `fatal!` that exits is what hides child-unsafe calls in real code.
fn lower_macro_rules(l: &mut Lowerer, name: &str, tokens: TokenStream) {
    let mut iter = tokens.into_iter();
    let mut matcher = TokenStream::new();
    let body = loop {
        match iter.next() {
            Some(TokenTree::Punct(p)) if p.as_char() == '>' => match iter.next() {
                Some(TokenTree::Group(g)) => break g.stream(),
                _ => return,
            },
            Some(TokenTree::Group(g)) => matcher = g.stream(),
            Some(_) => continue,
            None => return,
        }
    };
    let params = leading_metavariables(matcher);
    let body = inert_metavariables(body);
    if !super::within_chain_limit(&body) {
        return;
    }
    let Ok(stmts) = (syn::Block::parse_within).parse2(body) else {
        return;
    };
    l.lower_macro_body(name, &params, &stmts);
}

/// The metavariables a matcher starts with, each `$name:fragment` followed by a comma
/// (`($knot:ident, $slave:expr $(, ..)*)` → `knot`, `slave`), as the body's placeholders: the
/// invocation's leading comma-separated arguments bind them in order.
fn leading_metavariables(matcher: TokenStream) -> Vec<String> {
    let tts: Vec<TokenTree> = matcher.into_iter().collect();
    let punct =
        |i: usize, c: char| matches!(tts.get(i), Some(TokenTree::Punct(p)) if p.as_char() == c);
    let mut out = Vec::new();
    let mut i = 0;
    while punct(i, '$') && punct(i + 2, ':') {
        let (Some(TokenTree::Ident(name)), Some(TokenTree::Ident(_))) =
            (tts.get(i + 1), tts.get(i + 3))
        else {
            break;
        };
        out.push(format!("__metavar_{name}"));
        if !punct(i + 4, ',') {
            break;
        }
        i += 5;
    }
    out
}

/// `$x` → a placeholder identifier of its own; `$crate` → `crate` (the defining crate, whose paths the
/// body names); `$( .. ) sep *` → its contents once: a repetition's code may run, and the
/// body is written to parse with one of it.
fn inert_metavariables(tokens: TokenStream) -> TokenStream {
    let mut out = TokenStream::new();
    let mut iter = tokens.into_iter().peekable();
    while let Some(tt) = iter.next() {
        match tt {
            TokenTree::Punct(p) if p.as_char() == '$' => match iter.next() {
                Some(TokenTree::Ident(name)) if name == "crate" => {
                    out.extend([TokenTree::Ident(proc_macro2::Ident::new(
                        "crate",
                        name.span(),
                    ))]);
                }
                // Each metavariable keeps its own name: `$tty` bound by a `let` is a local,
                // `$slave` beside it is not.
                Some(TokenTree::Ident(name)) => {
                    out.extend([TokenTree::Ident(proc_macro2::Ident::new(
                        &format!("__metavar_{name}"),
                        p.span(),
                    ))]);
                }
                Some(TokenTree::Group(g)) => {
                    out.extend(inert_metavariables(g.stream()));
                    // Skip the separator and the repetition operator.
                    while let Some(TokenTree::Punct(q)) = iter.peek() {
                        let c = q.as_char();
                        iter.next();
                        if matches!(c, '*' | '+' | '?') {
                            break;
                        }
                    }
                }
                _ => {}
            },
            TokenTree::Group(g) => {
                let mut group =
                    proc_macro2::Group::new(g.delimiter(), inert_metavariables(g.stream()));
                group.set_span(g.span());
                out.extend([TokenTree::Group(group)]);
            }
            other => out.extend([other]),
        }
    }
    out
}
