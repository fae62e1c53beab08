//! syn → IR: walks items and expressions in evaluation order and emits the IR's events, resolving
//! names through `scope` and tracking the types of locals, parameters and fields so that method
//! calls and builder chains resolve to `Type::method` paths.

use super::forktest;
use super::macros;
use super::scope::{flatten_use, ModScope};
use crate::ir::*;
use std::collections::HashMap;

/// What an expression evaluates to, as far as the analysis cares.
#[derive(Debug, Default, Clone)]
pub struct Value {
    /// The receiver type path, when known (`rayon::ThreadPoolBuilder`).
    pub ty: Option<String>,
    /// The call that produced the value, looking through `unwrap`, `expect`, `?` and `.await`.
    pub call: Option<u32>,
    /// The expression is this local.
    pub var: Option<String>,
    /// The expression is this closure (index in the file's functions).
    pub closure: Option<usize>,
    /// The expression is this global.
    pub global: Option<String>,
}

#[derive(Debug, Default, Clone)]
struct Local {
    ty: Option<String>,
    closure: Option<usize>,
    /// For `for h in handles`: `h` stands for an element of `handles`.
    alias_of: Option<String>,
}

/// Methods whose result is the receiver's value (same type, same producing call).
const PASSTHROUGH: &[&str] = &[
    "unwrap",
    "expect",
    "unwrap_or",
    "unwrap_or_else",
    "unwrap_or_default",
    "ok",
    "context",
    "with_context",
    "map_err",
    "clone",
    "as_ref",
    "as_mut",
    "borrow",
    "into",
    "await",
    "unwrap_unchecked",
];

/// Methods that put an argument into the receiver collection (`handles.push(spawn(..))`).
const STORE: &[&str] = &["push", "push_back", "push_front", "insert", "extend"];

pub struct Lowerer<'a> {
    pub ir: FileIr,
    pub scopes: Vec<ModScope>,
    /// Index into `scopes` of the module being lowered.
    pub current: usize,
    pub externs: HashMap<String, String>,
    /// `self::Type` → field → type path, for `self.field.method()`.
    pub fields: HashMap<String, HashMap<String, String>>,
    next_call: u32,
    locals: Vec<HashMap<String, Local>>,
    fn_uses: Vec<HashMap<String, String>>,
    self_ty: Option<String>,
    fn_path: String,
    closure_count: usize,
    in_test: bool,
    pub depth: usize,
    _src: std::marker::PhantomData<&'a ()>,
}

/// Deeper nesting than this is cut off: each level costs stack, and no real code needs it.
pub const MAX_DEPTH: usize = 200;

/// From the start of `a` to the end of `b`. Spans are taken from single tokens only: syn's
/// `Spanned` on an expression re-tokenizes the whole subtree, which is quadratic on nested code.
pub fn range(a: proc_macro2::Span, b: proc_macro2::Span) -> Span {
    let (start, end) = (span_of(a), span_of(b));
    Span {
        line: start.line,
        col: start.col,
        end_line: end.end_line,
        end_col: end.end_col,
    }
}

pub fn span_of(s: proc_macro2::Span) -> Span {
    let (a, b) = (s.start(), s.end());
    Span {
        line: a.line as u32,
        col: a.column as u32 + 1,
        end_line: b.line as u32,
        end_col: b.column as u32 + 1,
    }
}

fn path_segs(path: &syn::Path) -> Vec<String> {
    let mut segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    if path.leading_colon.is_some() {
        segs.insert(0, String::new());
    }
    segs
}

/// The span of a path, from its first to its last segment.
fn path_span(path: &syn::Path) -> (proc_macro2::Span, Span) {
    let first = path
        .segments
        .first()
        .map(|s| s.ident.span())
        .unwrap_or_else(proc_macro2::Span::call_site);
    let last = path
        .segments
        .last()
        .map(|s| s.ident.span())
        .unwrap_or(first);
    (first, range(first, last))
}

fn is_upper_const(name: &str) -> bool {
    name.len() > 1
        && name.chars().any(|c| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn starts_upper(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
}

impl<'a> Lowerer<'a> {
    pub fn new(ir: FileIr) -> Self {
        Lowerer {
            ir,
            scopes: vec![ModScope::new("self".into())],
            current: 0,
            externs: HashMap::new(),
            fields: HashMap::new(),
            next_call: 0,
            locals: Vec::new(),
            fn_uses: Vec::new(),
            self_ty: None,
            fn_path: String::new(),
            closure_count: 0,
            in_test: false,
            depth: 0,
            _src: std::marker::PhantomData,
        }
    }

    fn scope(&self) -> &ModScope {
        &self.scopes[self.current]
    }

    fn note_crate(&mut self, name: &str) {
        if !name.is_empty()
            && !matches!(
                name,
                "crate" | "self" | "super" | "Self" | "std" | "core" | "alloc"
            )
            && !self.ir.crates_used.iter().any(|c| c == name)
        {
            self.ir.crates_used.push(name.to_string());
        }
    }

    // ----- module-level passes -------------------------------------------------------------

    /// Records the names a module defines and imports, before any body is lowered.
    pub fn declare_items(&mut self, items: &[syn::Item]) {
        for item in items {
            let name = match item {
                syn::Item::Fn(f) => Some(f.sig.ident.to_string()),
                syn::Item::Struct(s) => {
                    self.declare_fields(s);
                    Some(s.ident.to_string())
                }
                syn::Item::Enum(e) => Some(e.ident.to_string()),
                syn::Item::Static(s) => Some(s.ident.to_string()),
                syn::Item::Const(c) => Some(c.ident.to_string()),
                syn::Item::Mod(m) => Some(m.ident.to_string()),
                syn::Item::Trait(t) => Some(t.ident.to_string()),
                syn::Item::Type(t) => Some(t.ident.to_string()),
                syn::Item::Union(u) => Some(u.ident.to_string()),
                syn::Item::ExternCrate(e) => {
                    let real = e.ident.to_string();
                    let alias = e
                        .rename
                        .as_ref()
                        .map(|(_, a)| a.to_string())
                        .unwrap_or_else(|| real.clone());
                    self.note_crate(&real);
                    self.externs.insert(alias, real);
                    None
                }
                syn::Item::Macro(m) => {
                    for name in macros::declared_statics(m) {
                        self.scopes[self.current].items.insert(name);
                    }
                    None
                }
                _ => None,
            };
            if let Some(name) = name {
                self.scopes[self.current].items.insert(name);
            }
        }
        for item in items {
            if let syn::Item::Use(u) = item {
                self.add_use(&u.tree, false);
            }
        }
    }

    fn declare_fields(&mut self, s: &syn::ItemStruct) {
        let key = format!("{}::{}", self.scope().path, s.ident);
        let mut map = HashMap::new();
        for field in &s.fields {
            if let (Some(name), Some(ty)) = (&field.ident, self.type_path(&field.ty)) {
                map.insert(name.to_string(), ty);
            }
        }
        self.fields.insert(key, map);
    }

    fn add_use(&mut self, tree: &syn::UseTree, in_fn: bool) {
        let (mut pairs, mut globs) = (Vec::new(), Vec::new());
        flatten_use(tree, &mut Vec::new(), &mut pairs, &mut globs);
        for (alias, segs) in pairs {
            if let Some(first) = segs.first() {
                self.note_crate(&first.clone());
            }
            let target = self.scope().canonical_use(&segs, &self.externs);
            if in_fn {
                if let Some(top) = self.fn_uses.last_mut() {
                    top.insert(alias, target);
                }
            } else {
                let module = self.scope().path.clone();
                self.ir
                    .reexports
                    .push((format!("{module}::{alias}"), target.clone()));
                self.scopes[self.current].uses.insert(alias, target);
            }
        }
        for segs in globs {
            if let Some(first) = segs.first() {
                self.note_crate(&first.clone());
            }
            let target = self.scope().canonical_use(&segs, &self.externs);
            self.scopes[self.current].globs.push(target);
        }
    }

    pub fn lower_items(&mut self, items: &[syn::Item]) {
        for item in items {
            self.lower_item(item);
        }
    }

    fn lower_item(&mut self, item: &syn::Item) {
        match item {
            syn::Item::Fn(f) => {
                self.ir.python_entry |= has_attr(&f.attrs, &["pyfunction", "pymodule"]);
                let test = self.in_test || is_test_attrs(&f.attrs);
                let path = format!("{}::{}", self.scope().path, f.sig.ident);
                self.lower_fn(path, FnKind::Free, &f.sig, &f.attrs, &f.block, test, None);
            }
            syn::Item::Impl(imp) => {
                self.ir.python_entry |= has_attr(&imp.attrs, &["pymethods"]);
                let Some(ty) = self.type_path(&imp.self_ty) else {
                    return;
                };
                let test = self.in_test || is_test_attrs(&imp.attrs);
                let last = ty.rsplit("::").next().unwrap_or(&ty).to_string();
                let base = format!("{}::{last}", self.scope().path);
                for it in &imp.items {
                    if let syn::ImplItem::Fn(m) = it {
                        let path = format!("{base}::{}", m.sig.ident);
                        let t = test || is_test_attrs(&m.attrs);
                        self.lower_fn(
                            path,
                            FnKind::Method,
                            &m.sig,
                            &m.attrs,
                            &m.block,
                            t,
                            Some(ty.clone()),
                        );
                    }
                }
            }
            syn::Item::Trait(tr) => {
                let ty = format!("{}::{}", self.scope().path, tr.ident);
                for it in &tr.items {
                    if let syn::TraitItem::Fn(m) = it {
                        if let Some(block) = &m.default {
                            let path = format!("{ty}::{}", m.sig.ident);
                            self.lower_fn(
                                path,
                                FnKind::Method,
                                &m.sig,
                                &m.attrs,
                                block,
                                self.in_test,
                                Some(ty.clone()),
                            );
                        }
                    }
                }
            }
            syn::Item::Mod(m) => {
                let name = m.ident.to_string();
                if let Some(file) = path_attr(&m.attrs) {
                    self.ir.mod_paths.push(ModPath {
                        parent: self.scope().path.clone(),
                        name: name.clone(),
                        file,
                    });
                }
                let Some((_, items)) = &m.content else { return };
                if self.depth > MAX_DEPTH {
                    return;
                }
                self.depth += 1;
                let was_test = self.in_test;
                self.in_test |= is_test_attrs(&m.attrs);
                let parent = self.current;
                let path = format!("{}::{name}", self.scope().path);
                self.scopes.push(ModScope::new(path));
                self.current = self.scopes.len() - 1;
                self.declare_items(items);
                self.lower_items(items);
                self.current = parent;
                self.in_test = was_test;
                self.depth -= 1;
            }
            syn::Item::Static(s) => self.lower_global(&s.ident.to_string(), &s.expr, true),
            syn::Item::Const(c) => self.lower_global(&c.ident.to_string(), &c.expr, false),
            syn::Item::Macro(m) => macros::lower_item_macro(self, m),
            _ => {}
        }
    }

    /// A `static` whose initialiser runs code later (`Lazy::new(|| ..)`, `LazyLock::new(..)`) gets
    /// that code as an initialiser function, run at the global's first use.
    fn lower_global(&mut self, name: &str, init: &syn::Expr, is_static: bool) {
        let syn::Expr::Call(call) = init else { return };
        let syn::Expr::Path(func) = &*call.func else {
            return;
        };
        let segs = path_segs(&func.path);
        let lazy = segs.len() >= 2
            && matches!(
                segs[segs.len() - 2].as_str(),
                "Lazy" | "LazyLock" | "LazyCell" | "OnceCell"
            )
            && segs.last().is_some_and(|s| s == "new");
        if !lazy || !is_static {
            return;
        }
        let Some(syn::Expr::Closure(closure)) = call.args.first() else {
            return;
        };
        let path = format!("{}::{name}", self.scope().path);
        self.lower_init(path, &closure.body, closure.or1_token.span);
    }

    /// A file that is a fragment for `include!` (statements or an expression): its code becomes
    /// one function, so that what it calls is still seen.
    pub fn lower_fragment(&mut self, stmts: &[syn::Stmt]) {
        let index = self.begin_fn(
            "self::{include}".to_string(),
            FnKind::Free,
            proc_macro2::Span::call_site(),
            self.in_test,
        );
        let block = self.lower_stmts(stmts);
        self.end_fn(index, block);
    }

    /// Adds the body of a `macro_rules!` arm as the function its invocations call.
    pub fn lower_macro_body(&mut self, name: &str, stmts: &[syn::Stmt]) {
        let path = format!("{}::{name}!", self.scope().path);
        let index = self.begin_fn(
            path,
            FnKind::Free,
            proc_macro2::Span::call_site(),
            self.in_test,
        );
        let block = self.lower_stmts(stmts);
        self.end_fn(index, block);
        self.ir.macros.push((name.to_string(), index));
    }

    /// Adds a global with `body` as its initialiser.
    pub fn lower_init(&mut self, path: String, body: &syn::Expr, span: proc_macro2::Span) {
        let index = self.begin_fn(
            format!("{path}::{{init}}"),
            FnKind::GlobalInit,
            span,
            self.in_test,
        );
        let mut block = Block::default();
        self.lower_expr(body, &mut block.nodes);
        self.end_fn(index, block);
        self.ir.globals.push(Global { path, init: index });
    }

    fn begin_fn(
        &mut self,
        path: String,
        kind: FnKind,
        span: proc_macro2::Span,
        is_test: bool,
    ) -> usize {
        let index = self.ir.functions.len();
        self.ir.functions.push(Function {
            path,
            kind,
            span: span_of(span),
            is_test,
            is_main: false,
            implied: Vec::new(),
            params: Vec::new(),
            returns: Vec::new(),
            body: Block::default(),
        });
        self.locals.push(HashMap::new());
        index
    }

    fn end_fn(&mut self, index: usize, body: Block) {
        self.ir.functions[index].body = body;
        self.locals.pop();
    }

    #[allow(clippy::too_many_arguments)]
    fn lower_fn(
        &mut self,
        path: String,
        kind: FnKind,
        sig: &syn::Signature,
        attrs: &[syn::Attribute],
        block: &syn::Block,
        is_test: bool,
        self_ty: Option<String>,
    ) {
        let saved = (
            self.self_ty.take(),
            std::mem::replace(&mut self.fn_path, path.clone()),
            self.closure_count,
        );
        self.self_ty = self_ty;
        self.closure_count = 0;
        let index = self.begin_fn(path, kind, sig.ident.span(), is_test);
        self.fn_uses.push(HashMap::new());
        let is_main = sig.ident == "main" && self.current == 0 && self.ir.module.is_empty();
        self.ir.functions[index].is_main = is_main;
        let implied = runtime_attr(attrs)
            .map(|p| self.call(Callee::Path(vec![p]), span_of(sig.ident.span())));
        self.ir.functions[index].implied.extend(implied);
        for input in &sig.inputs {
            match input {
                syn::FnArg::Receiver(_) => {
                    let ty = self.self_ty.clone();
                    self.set_local(
                        "self",
                        Local {
                            ty,
                            ..Default::default()
                        },
                    );
                    self.ir.functions[index].params.push("self".into());
                }
                syn::FnArg::Typed(t) => {
                    if let syn::Pat::Ident(id) = &*t.pat {
                        let ty = self.type_path(&t.ty);
                        let name = id.ident.to_string();
                        self.set_local(
                            &name,
                            Local {
                                ty,
                                ..Default::default()
                            },
                        );
                        self.ir.functions[index].params.push(name);
                    }
                }
            }
        }
        let body = self.lower_block(block);
        self.ir.functions[index].returns = returned_vars(block);
        self.fn_uses.pop();
        self.end_fn(index, body);
        self.self_ty = saved.0;
        self.fn_path = saved.1;
        self.closure_count = saved.2;
    }

    // ----- types and names -----------------------------------------------------------------

    /// The path of a type, looking through references and smart pointers (methods auto-deref).
    pub fn type_path(&self, ty: &syn::Type) -> Option<String> {
        match ty {
            syn::Type::Reference(r) => self.type_path(&r.elem),
            syn::Type::Paren(p) => self.type_path(&p.elem),
            syn::Type::Group(g) => self.type_path(&g.elem),
            syn::Type::Path(p) => {
                let last = p.path.segments.last()?;
                let name = last.ident.to_string();
                if matches!(
                    name.as_str(),
                    "Box" | "Arc" | "Rc" | "RefCell" | "ManuallyDrop"
                ) {
                    if let syn::PathArguments::AngleBracketed(args) = &last.arguments {
                        if let Some(syn::GenericArgument::Type(inner)) = args.args.first() {
                            return self.type_path(inner);
                        }
                    }
                }
                let segs = path_segs(&p.path);
                self.resolve(&segs).into_iter().next()
            }
            _ => None,
        }
    }

    fn resolve(&self, segs: &[String]) -> Vec<String> {
        self.scope().resolve(
            segs,
            self.self_ty.as_deref(),
            self.fn_uses.last(),
            &self.externs,
        )
    }

    fn local(&self, name: &str) -> Option<&Local> {
        self.locals.iter().rev().find_map(|l| l.get(name))
    }

    fn set_local(&mut self, name: &str, local: Local) {
        if let Some(top) = self.locals.last_mut() {
            top.insert(name.to_string(), local);
        }
    }

    /// The local a name stands for, following `for h in handles` aliases.
    fn root_var(&self, name: &str) -> String {
        let mut name = name.to_string();
        for _ in 0..8 {
            match self.local(&name).and_then(|l| l.alias_of.clone()) {
                Some(next) => name = next,
                None => break,
            }
        }
        name
    }

    pub fn call(&mut self, callee: Callee, span: Span) -> Call {
        let id = self.next_call;
        self.next_call += 1;
        Call::new(id, callee, span)
    }

    // ----- statements and expressions ------------------------------------------------------

    pub fn lower_block(&mut self, block: &syn::Block) -> Block {
        self.lower_stmts(&block.stmts)
    }

    pub fn lower_stmts(&mut self, stmts: &[syn::Stmt]) -> Block {
        let mut out = Block::default();
        if self.depth > MAX_DEPTH {
            return out;
        }
        self.depth += 1;
        self.locals.push(HashMap::new());
        for stmt in stmts {
            self.lower_stmt(stmt, &mut out);
        }
        self.locals.pop();
        self.depth -= 1;
        out
    }

    fn lower_stmt(&mut self, stmt: &syn::Stmt, out: &mut Block) {
        match stmt {
            syn::Stmt::Local(local) => {
                let value = match &local.init {
                    Some(init) => {
                        let v = self.lower_expr(&init.expr, &mut out.nodes);
                        if let Some((_, diverge)) = &init.diverge {
                            let mut arm = Block::default();
                            self.lower_expr(diverge, &mut arm.nodes);
                            out.nodes.push(Node::Branch(Branch {
                                span: span_of(init.eq_token.span),
                                arms: vec![Arm {
                                    test: None,
                                    body: arm,
                                    span: span_of(init.eq_token.span),
                                }],
                                exhaustive: false,
                            }));
                        }
                        v
                    }
                    None => Value::default(),
                };
                let (name, annotated) = pat_binding(&local.pat);
                if let Some(name) = name {
                    let ty = annotated
                        .and_then(|t| self.type_path(t))
                        .or(value.ty.clone());
                    if let Some(call) = value.call {
                        bind_call(&mut out.nodes, call, &name);
                    }
                    self.set_local(
                        &name,
                        Local {
                            ty,
                            closure: value.closure,
                            alias_of: None,
                        },
                    );
                    out.locals.push(name);
                }
            }
            syn::Stmt::Item(item) => match item {
                syn::Item::Use(u) => self.add_use(&u.tree, true),
                syn::Item::Fn(_) | syn::Item::Static(_) | syn::Item::Macro(_) => {
                    let saved = self.closure_count;
                    self.lower_item(item);
                    self.closure_count = saved;
                }
                _ => {}
            },
            syn::Stmt::Expr(e, _) => {
                self.lower_expr(e, &mut out.nodes);
            }
            syn::Stmt::Macro(m) => {
                macros::lower_expr_macro(self, &m.mac, &mut out.nodes);
            }
        }
    }

    fn sub_block(&mut self, nodes: &mut Vec<Node>, block: &syn::Block) {
        let b = self.lower_block(block);
        nodes.push(Node::Block(b));
    }

    pub fn lower_expr(&mut self, expr: &syn::Expr, out: &mut Vec<Node>) -> Value {
        if self.depth > MAX_DEPTH {
            return Value::default();
        }
        self.depth += 1;
        let v = self.lower_expr_inner(expr, out);
        self.depth -= 1;
        v
    }

    fn lower_expr_inner(&mut self, expr: &syn::Expr, out: &mut Vec<Node>) -> Value {
        use syn::Expr as E;
        match expr {
            E::Call(c) => self.lower_call(c, out),
            E::MethodCall(m) => self.lower_method(m, out),
            E::Macro(m) => macros::lower_expr_macro(self, &m.mac, out),
            E::Path(p) => self.lower_path_expr(&p.path, out),
            E::Closure(c) => {
                let index = self.lower_closure(
                    &c.body,
                    c.inputs.iter().filter_map(pat_name).collect(),
                    c.or1_token.span,
                );
                Value {
                    closure: Some(index),
                    ..Default::default()
                }
            }
            E::Async(a) => {
                let body = syn::Expr::Block(syn::ExprBlock {
                    attrs: Vec::new(),
                    label: None,
                    block: a.block.clone(),
                });
                let index = self.lower_closure(&body, Vec::new(), a.async_token.span);
                Value {
                    closure: Some(index),
                    ..Default::default()
                }
            }
            E::Block(b) => {
                let block = self.lower_block(&b.block);
                out.push(Node::Block(block));
                Value::default()
            }
            E::Unsafe(u) => {
                // `unsafe { fork() }` is the fork's value: keep it visible to the caller.
                if let [syn::Stmt::Expr(inner, None)] = u.block.stmts.as_slice() {
                    return self.lower_expr(inner, out);
                }
                self.sub_block(out, &u.block);
                Value::default()
            }
            E::Const(c) => {
                self.sub_block(out, &c.block);
                Value::default()
            }
            E::If(i) => self.lower_if(i, out),
            E::Match(m) => self.lower_match(m, out),
            E::While(w) => {
                let mut body = Block::default();
                self.lower_expr(&w.cond, &mut body.nodes);
                let inner = self.lower_block(&w.body);
                body.nodes.push(Node::Branch(Branch {
                    span: span_of(w.while_token.span),
                    arms: vec![Arm {
                        test: None,
                        body: inner,
                        span: span_of(w.while_token.span),
                    }],
                    exhaustive: false,
                }));
                out.push(Node::Loop {
                    body,
                    at_least_once: false,
                });
                Value::default()
            }
            E::ForLoop(f) => {
                let iter = self.lower_expr(&f.expr, out);
                self.locals.push(HashMap::new());
                if let (Some(name), _) = pat_binding(&f.pat) {
                    let alias = iter.var.as_deref().map(|v| self.root_var(v));
                    self.set_local(
                        &name,
                        Local {
                            alias_of: alias,
                            ..Default::default()
                        },
                    );
                }
                let body = self.lower_block(&f.body);
                self.locals.pop();
                out.push(Node::Loop {
                    body,
                    at_least_once: false,
                });
                Value::default()
            }
            E::Loop(l) => {
                let body = self.lower_block(&l.body);
                out.push(Node::Loop {
                    body,
                    at_least_once: true,
                });
                Value::default()
            }
            E::Return(r) => {
                if let Some(e) = &r.expr {
                    self.lower_expr(e, out);
                }
                let error = matches!(r.expr.as_deref(), Some(syn::Expr::Call(c))
                    if matches!(&*c.func, syn::Expr::Path(p) if p.path.is_ident("Err")));
                out.push(Node::Return {
                    span: span_of(r.return_token.span),
                    error,
                });
                Value::default()
            }
            E::Try(t) => {
                let v = self.lower_expr(&t.expr, out);
                out.push(Node::Try(span_of(t.question_token.span)));
                v
            }
            E::Await(a) => self.lower_expr(&a.base, out),
            E::Break(b) => {
                if let Some(e) = &b.expr {
                    self.lower_expr(e, out);
                }
                out.push(Node::Break);
                Value::default()
            }
            E::Continue(_) => {
                out.push(Node::Continue);
                Value::default()
            }
            E::Let(l) => self.lower_expr(&l.expr, out),
            E::Paren(p) => self.lower_expr(&p.expr, out),
            E::Group(g) => self.lower_expr(&g.expr, out),
            E::Reference(r) => self.lower_expr(&r.expr, out),
            E::Unary(u) => self.lower_expr(&u.expr, out),
            E::Cast(c) => {
                self.lower_expr(&c.expr, out);
                Value::default()
            }
            E::Field(f) => {
                let base = self.lower_expr(&f.base, out);
                let ty = match (&f.member, &base.ty) {
                    (syn::Member::Named(name), Some(ty)) => self
                        .fields
                        .get(ty)
                        .and_then(|m| m.get(&name.to_string()))
                        .cloned(),
                    _ => None,
                };
                // `pty.fork_result`: a field of a local stands for the local (its fork result).
                Value {
                    ty,
                    var: base.var,
                    ..Default::default()
                }
            }
            E::Assign(a) => {
                let v = self.lower_expr(&a.right, out);
                let left = self.lower_expr(&a.left, out);
                if let (Some(var), Some(call)) = (left.var, v.call) {
                    let root = self.root_var(&var);
                    bind_call(out, call, &root);
                }
                Value::default()
            }
            E::Binary(b) => {
                self.lower_expr(&b.left, out);
                self.lower_expr(&b.right, out);
                Value::default()
            }
            E::Index(i) => {
                self.lower_expr(&i.expr, out);
                self.lower_expr(&i.index, out);
                Value::default()
            }
            E::Tuple(t) => {
                for e in &t.elems {
                    self.lower_expr(e, out);
                }
                Value::default()
            }
            E::Array(a) => {
                for e in &a.elems {
                    self.lower_expr(e, out);
                }
                Value::default()
            }
            E::Repeat(r) => {
                self.lower_expr(&r.expr, out);
                Value::default()
            }
            E::Struct(s) => {
                for f in &s.fields {
                    self.lower_expr(&f.expr, out);
                }
                if let Some(rest) = &s.rest {
                    self.lower_expr(rest, out);
                }
                Value::default()
            }
            E::Range(r) => {
                if let Some(e) = &r.start {
                    self.lower_expr(e, out);
                }
                if let Some(e) = &r.end {
                    self.lower_expr(e, out);
                }
                Value::default()
            }
            E::TryBlock(t) => {
                self.sub_block(out, &t.block);
                Value::default()
            }
            E::Yield(y) => {
                if let Some(e) = &y.expr {
                    self.lower_expr(e, out);
                }
                Value::default()
            }
            _ => Value::default(),
        }
    }

    fn lower_path_expr(&mut self, path: &syn::Path, out: &mut Vec<Node>) -> Value {
        let segs = path_segs(path);
        if segs.len() == 1 {
            if let Some(local) = self.local(&segs[0]) {
                let var = self.root_var(&segs[0]);
                return Value {
                    ty: local.ty.clone(),
                    closure: local.closure,
                    var: Some(var),
                    ..Default::default()
                };
            }
        }
        let last = segs.last().map(String::as_str).unwrap_or("");
        if is_upper_const(last) {
            let resolved = self.resolve(&segs).into_iter().next().unwrap_or_default();
            let c = self.call(Callee::Global(resolved.clone()), path_span(path).1);
            out.push(Node::Call(c));
            return Value {
                global: Some(resolved),
                ..Default::default()
            };
        }
        Value::default()
    }

    fn lower_closure(
        &mut self,
        body: &syn::Expr,
        params: Vec<String>,
        span: proc_macro2::Span,
    ) -> usize {
        let path = format!("{}::{{closure#{}}}", self.fn_path, self.closure_count);
        self.closure_count += 1;
        // Closures see the enclosing locals: keep the stack and push a frame.
        let index = self.ir.functions.len();
        self.ir.functions.push(Function {
            path,
            kind: FnKind::Closure,
            span: span_of(span),
            is_test: self.in_test,
            is_main: false,
            implied: Vec::new(),
            params: params.clone(),
            returns: returned_vars_of_expr(body),
            body: Block::default(),
        });
        self.locals.push(HashMap::new());
        for p in &params {
            self.set_local(p, Local::default());
        }
        let mut block = Block::default();
        let saved_count = self.closure_count;
        self.lower_expr(body, &mut block.nodes);
        self.closure_count = saved_count;
        self.locals.pop();
        self.ir.functions[index].body = block;
        index
    }

    /// Lowers call arguments, collecting the closures and locals passed.
    fn lower_args<'e>(
        &mut self,
        args: impl Iterator<Item = &'e syn::Expr>,
        out: &mut Vec<Node>,
        call: &mut Call,
    ) -> Vec<Value> {
        let mut values = Vec::new();
        for (i, arg) in args.enumerate() {
            if let (
                0,
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(text),
                    ..
                }),
            ) = (i, arg)
            {
                call.str_arg = Some(text.value());
            }
            let v = self.lower_expr(arg, out);
            if let Some(c) = v.closure {
                call.closures.push(c);
            }
            if let Some(var) = &v.var {
                call.arg_vars.push(var.clone());
            }
            values.push(v);
        }
        values
    }

    fn lower_call(&mut self, c: &syn::ExprCall, out: &mut Vec<Node>) -> Value {
        let span = match &*c.func {
            syn::Expr::Path(p) => range(path_span(&p.path).0, c.paren_token.span.close()),
            _ => span_of(c.paren_token.span.join()),
        };
        let syn::Expr::Path(func) = &*c.func else {
            self.lower_expr(&c.func, out);
            let mut call = self.call(Callee::Path(Vec::new()), span);
            self.lower_args(c.args.iter(), out, &mut call);
            return Value::default();
        };
        let segs = path_segs(&func.path);
        if segs.len() == 1 {
            if let Some(local) = self.local(&segs[0]).cloned() {
                let mut call = self.call(Callee::Path(Vec::new()), span);
                self.lower_args(c.args.iter(), out, &mut call);
                if let Some(index) = local.closure {
                    call.callee = Callee::Local(index);
                    let id = call.id;
                    out.push(Node::Call(call));
                    return Value {
                        call: Some(id),
                        ..Default::default()
                    };
                }
                return Value::default();
            }
        }
        let last = segs.last().cloned().unwrap_or_default();
        let mut call = self.call(Callee::Path(Vec::new()), span);
        self.lower_args(c.args.iter(), out, &mut call);
        // `Some(x)`, `Ok(x)`, `Wrapper(x)`: constructors, not calls.
        if starts_upper(&last) {
            return Value::default();
        }
        let candidates = match &func.qself {
            // `<Runtime>::new()`, `<Runtime as Trait>::new()`: the type, then what follows it.
            Some(q) => match self.type_path(&q.ty) {
                Some(ty) => {
                    let rest = func
                        .path
                        .segments
                        .iter()
                        .skip(q.position)
                        .map(|s| s.ident.to_string());
                    vec![std::iter::once(ty)
                        .chain(rest)
                        .collect::<Vec<_>>()
                        .join("::")]
                }
                None => self.resolve(&segs),
            },
            None => self.resolve(&segs),
        };
        let ty = candidates.first().and_then(|p| constructor_type(p));
        if let Some(first) = segs.first() {
            self.note_crate(&first.clone());
        }
        let id = call.id;
        call.callee = Callee::Path(candidates);
        out.push(Node::Call(call));
        Value {
            ty,
            call: Some(id),
            ..Default::default()
        }
    }

    fn lower_method(&mut self, m: &syn::ExprMethodCall, out: &mut Vec<Node>) -> Value {
        let receiver = self.lower_expr(&m.receiver, out);
        let name = m.method.to_string();
        let span = range(m.method.span(), m.paren_token.span.close());
        let mut call = self.call(
            Callee::Method {
                name: name.clone(),
                ty: receiver.ty.clone(),
            },
            span,
        );
        call.receiver = receiver.var.clone();
        call.receiver_global = receiver.global.clone();
        call.receiver_call = receiver.call;
        if let Some(index) = receiver.closure {
            call.closures.push(index);
        }
        let args = self.lower_args(m.args.iter(), out, &mut call);
        let id = call.id;
        out.push(Node::Call(call));
        if STORE.contains(&name.as_str()) {
            if let Some(var) = &receiver.var {
                for arg in &args {
                    if let Some(c) = arg.call {
                        bind_call(out, c, var);
                    }
                }
            }
        }
        if PASSTHROUGH.contains(&name.as_str()) {
            return Value {
                call: receiver.call.or(Some(id)),
                ..receiver
            };
        }
        Value {
            ty: receiver.ty,
            call: Some(id),
            ..Default::default()
        }
    }

    fn lower_if(&mut self, i: &syn::ExprIf, out: &mut Vec<Node>) -> Value {
        let test = match &*i.cond {
            syn::Expr::Binary(b) => {
                let left = self.lower_expr(&b.left, out);
                let right = self.lower_expr(&b.right, out);
                forktest::from_binary(b, &left, &right)
            }
            cond => {
                let value = self.lower_expr(cond, out);
                forktest::from_condition(cond, &value)
            }
        };
        let then = self.lower_block(&i.then_branch);
        let mut arms = vec![Arm {
            test: test.clone(),
            body: then,
            span: span_of(i.if_token.span),
        }];
        let exhaustive = i.else_branch.is_some();
        if let Some((_, e)) = &i.else_branch {
            let mut body = Block::default();
            self.lower_expr(e, &mut body.nodes);
            arms.push(Arm {
                test: test.map(forktest::negate),
                body,
                span: span_of(i.if_token.span),
            });
        }
        out.push(Node::Branch(Branch {
            span: span_of(i.if_token.span),
            arms,
            exhaustive,
        }));
        Value::default()
    }

    fn lower_match(&mut self, m: &syn::ExprMatch, out: &mut Vec<Node>) -> Value {
        let mut subject = self.lower_expr(&m.expr, out);
        if let Some(var) = forktest::cmp_with_zero(&m.expr) {
            subject = Value {
                var: Some(self.root_var(&var)),
                ..Default::default()
            };
        }
        let sides: Vec<Option<Side>> = m
            .arms
            .iter()
            .map(|a| forktest::side_of_pattern(&a.pat, a.guard.as_ref().map(|g| &*g.1)))
            .collect();
        let any_child = sides.contains(&Some(Side::Child));
        let mut arms = Vec::new();
        for (arm, side) in m.arms.iter().zip(sides) {
            let side = match side {
                None if any_child && forktest::is_catch_all(&arm.pat) => Some(Side::Parent),
                s => s,
            };
            let test = side.and_then(|side| {
                forktest::subject(&subject).map(|subject| ForkTest { subject, side })
            });
            let mut body = Block::default();
            self.locals.push(HashMap::new());
            if let Some((_, guard)) = &arm.guard {
                self.lower_expr(guard, &mut body.nodes);
            }
            self.lower_expr(&arm.body, &mut body.nodes);
            self.locals.pop();
            arms.push(Arm {
                test,
                body,
                span: span_of(arm.fat_arrow_token.spans[0]),
            });
        }
        out.push(Node::Branch(Branch {
            span: span_of(m.match_token.span),
            arms,
            exhaustive: true,
        }));
        Value::default()
    }
}

/// Sets `bind` on the call with this id among the nodes just emitted.
pub fn bind_call(nodes: &mut [Node], id: u32, var: &str) {
    for node in nodes.iter_mut().rev() {
        if let Node::Call(c) = node {
            if c.id == id {
                c.bind = Some(var.to_string());
                return;
            }
        }
    }
}

/// `a::b::Type::new` → `a::b::Type`: an associated function on a type returns that type, as far
/// as builder chains and constructors go.
fn constructor_type(path: &str) -> Option<String> {
    let (ty, _) = path.rsplit_once("::")?;
    let last = ty.rsplit("::").next()?;
    starts_upper(last).then(|| ty.to_string())
}

fn pat_name(pat: &syn::Pat) -> Option<String> {
    pat_binding(pat).0
}

/// The single name a pattern binds and its type annotation, if any.
fn pat_binding(pat: &syn::Pat) -> (Option<String>, Option<&syn::Type>) {
    match pat {
        syn::Pat::Ident(i) => (Some(i.ident.to_string()).filter(|n| n != "_"), None),
        syn::Pat::Type(t) => (pat_binding(&t.pat).0, Some(&t.ty)),
        syn::Pat::Reference(r) => pat_binding(&r.pat),
        _ => (None, None),
    }
}

pub fn is_test_attrs(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        let p = a.path();
        if p.is_ident("test")
            || p.segments.last().is_some_and(|s| s.ident == "test") && p.segments.len() == 2
        {
            return true;
        }
        if p.is_ident("cfg") {
            if let syn::Meta::List(list) = &a.meta {
                let text = list.tokens.to_string();
                return text == "test"
                    || text.starts_with("all (test")
                    || text.starts_with("all(test");
            }
        }
        false
    })
}

/// An attribute whose last path segment is one of `names` (`#[pyfunction]`, `#[pyo3::pymodule]`).
fn has_attr(attrs: &[syn::Attribute], names: &[&str]) -> bool {
    attrs.iter().any(|a| {
        a.path()
            .segments
            .last()
            .is_some_and(|s| names.iter().any(|n| s.ident == n))
    })
}

fn path_attr(attrs: &[syn::Attribute]) -> Option<String> {
    attrs
        .iter()
        .find(|a| a.path().is_ident("path"))
        .and_then(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
}

/// `#[tokio::main]` and friends: the catalogue path of the runtime they start, if multi-threaded.
fn runtime_attr(attrs: &[syn::Attribute]) -> Option<String> {
    for a in attrs {
        let segs: Vec<String> = a
            .path()
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        if segs.len() != 2 || !matches!(segs[1].as_str(), "main" | "test") {
            continue;
        }
        let args = match &a.meta {
            syn::Meta::List(l) => l.tokens.to_string().replace(' ', ""),
            _ => String::new(),
        };
        let multi = match (segs[0].as_str(), segs[1].as_str()) {
            ("tokio", "main") => !args.contains("flavor=\"current_thread\""),
            ("tokio", "test") => args.contains("flavor=\"multi_thread\""),
            ("actix_web" | "actix_rt" | "async_std", "main") => true,
            _ => continue,
        };
        if multi {
            return Some(format!("{}::{}#multi_thread", segs[0], segs[1]));
        }
    }
    None
}

/// Locals named in a body's tail expression and `return` expressions.
fn returned_vars(block: &syn::Block) -> Vec<String> {
    let mut v = ReturnVars::default();
    if let Some(syn::Stmt::Expr(tail, None)) = block.stmts.last() {
        syn::visit::Visit::visit_expr(&mut v, tail);
    }
    v.only_returns = true;
    for stmt in &block.stmts {
        syn::visit::Visit::visit_stmt(&mut v, stmt);
    }
    v.names
}

fn returned_vars_of_expr(expr: &syn::Expr) -> Vec<String> {
    let mut v = ReturnVars::default();
    syn::visit::Visit::visit_expr(&mut v, expr);
    v.names
}

#[derive(Default)]
struct ReturnVars {
    names: Vec<String>,
    only_returns: bool,
    in_return: bool,
}

impl<'ast> syn::visit::Visit<'ast> for ReturnVars {
    fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
        let was = self.in_return;
        self.in_return = true;
        syn::visit::visit_expr_return(self, r);
        self.in_return = was;
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
        if (!self.only_returns || self.in_return) && p.path.segments.len() == 1 {
            self.names.push(p.path.segments[0].ident.to_string());
        }
    }
    fn visit_field_value(&mut self, f: &'ast syn::FieldValue) {
        if let (syn::Member::Named(name), true) = (&f.member, f.colon_token.is_none()) {
            if !self.only_returns || self.in_return {
                self.names.push(name.to_string());
            }
        }
        syn::visit::visit_field_value(self, f);
    }
}
