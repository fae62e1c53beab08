//! syn → IR: walks items and expressions in evaluation order and emits the IR's events, resolving
//! names through `scope` and tracking the types of locals, parameters and fields so that method
//! calls and builder chains resolve to `Type::method` paths.

use super::cfg::absent_on_unix;
use super::forktest;
use super::macros;
use super::scope::{flatten_use, ModScope};
use crate::ir::*;
use std::collections::HashMap;
use syn::punctuated::Punctuated;

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
    /// The type a lock guard of this value dereferences to (`Mutex<T>` → `T`).
    pub guards: Option<String>,
    /// The type of the elements a collection or an iterator over it holds (`Vec<T>`, `&[T]`).
    pub elem: Option<String>,
    /// The type an `Option<T>` or `Result<T, _>` holds: what `unwrap`, `?` and a `Some(x)`
    /// pattern give.
    pub wraps: Option<String>,
    /// The error type a `Result` holds, when `map_err` names it (`.map_err(Error::Io)`).
    pub err: Option<String>,
}

#[derive(Debug, Default, Clone)]
struct Local {
    ty: Option<String>,
    closure: Option<usize>,
    /// For `for h in handles`: `h` stands for an element of `handles`.
    alias_of: Option<String>,
    /// The type a lock guard of it dereferences to.
    guards: Option<String>,
    /// The type of its elements, for a collection.
    elem: Option<String>,
    /// The type it holds, for an `Option` or a `Result`.
    wraps: Option<String>,
    /// `CLONE_*` flags named in its initialiser (flags handed to `clone` through a local).
    clone_flags: Vec<String>,
    /// A parameter, as (function index, parameter index): a closure or function handed in.
    param: Option<(usize, u32)>,
    /// The call whose value it was bound to.
    made_by: Option<u32>,
}

/// What a file assigns to a field: (its type, the type it holds as an `Option`/`Result`).
type Assigned = (Option<String>, Option<String>);

/// Methods giving an iterator over a collection's elements, or over an iterator's own.
const ELEMENTS: &[&str] = &["iter", "iter_mut", "into_iter", "drain", "rev"];

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

/// Methods of a lock that return a guard dereferencing to the protected value.
const GUARD: &[&str] = &[
    "lock",
    "read",
    "write",
    "try_lock",
    "try_read",
    "try_write",
    "blocking_lock",
    "blocking_read",
    "blocking_write",
];

/// Methods of an `Option`/`Result` that give the held value itself.
const UNWRAP: &[&str] = &[
    "unwrap",
    "expect",
    "unwrap_or",
    "unwrap_or_else",
    "unwrap_or_default",
    "unwrap_unchecked",
];

/// Methods of an `Option`/`Result` that give another `Option`/`Result` of the same value (or a
/// reference to it, which methods auto-deref).
const REWRAP: &[&str] = &[
    "as_ref",
    "as_mut",
    "as_deref",
    "as_deref_mut",
    "as_pin_mut",
    "take",
    "ok",
    "or",
    "or_else",
    "filter",
    "inspect",
    "map_err",
    "context",
    "with_context",
    "clone",
    "cloned",
    "copied",
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
    /// `self::Type` → field → the type its lock guards (`Mutex<T>` → `T`).
    field_guards: HashMap<String, HashMap<String, String>>,
    /// `self::Type` → field → the type of its elements (`Vec<T>` → `T`).
    field_elems: HashMap<String, HashMap<String, String>>,
    /// `self::Type` → field → the type an `Option`/`Result` field holds.
    field_wraps: HashMap<String, HashMap<String, String>>,
    /// Fields of types declared in another file, typed by what this file assigns to them
    /// (`self.source = Some(Source::new()?)`): type → field → (type, held type).
    assigned_fields: HashMap<String, HashMap<String, Assigned>>,
    /// Statics of this file that are locks, by path → the type their guard dereferences to.
    static_guards: HashMap<String, String>,
    next_call: u32,
    locals: Vec<HashMap<String, Local>>,
    fn_uses: Vec<HashMap<String, String>>,
    self_ty: Option<String>,
    fn_path: String,
    /// The error type the function (or annotated closure) being lowered returns: what `?`
    /// converts an error into through `From`.
    error_ty: Option<String>,
    closure_count: usize,
    /// The function (or closure) being lowered, by index in `ir.functions`.
    fn_index: usize,
    in_test: bool,
    /// `Err(..)` calls that are a function's value (its tail, through `if`/`match`/blocks), by
    /// the span of `Err`: leaving with them is a `return Err(..)`.
    error_tails: std::collections::HashSet<Span>,
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
            field_elems: HashMap::new(),
            field_wraps: HashMap::new(),
            assigned_fields: HashMap::new(),
            field_guards: HashMap::new(),
            static_guards: HashMap::new(),
            next_call: 0,
            locals: Vec::new(),
            fn_uses: Vec::new(),
            self_ty: None,
            error_ty: None,
            fn_path: String::new(),
            closure_count: 0,
            fn_index: 0,
            in_test: false,
            error_tails: std::collections::HashSet::new(),
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
        let items: Vec<&syn::Item> = on_unix(items).collect();
        for &item in &items {
            let name = match item {
                syn::Item::Fn(f) => Some(f.sig.ident.to_string()),
                syn::Item::Struct(s) => Some(s.ident.to_string()),
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
                    // In the crate root it puts the crate's macros in every module's scope.
                    let root = self.current == 0 && self.ir.module.is_empty();
                    if root && e.attrs.iter().any(|a| a.path().is_ident("macro_use")) {
                        self.ir.macro_crates.push(real.clone());
                    }
                    self.externs.insert(alias, real);
                    None
                }
                syn::Item::Macro(m) => {
                    for name in macros::declared_statics(m) {
                        self.scopes[self.current].items.insert(name);
                    }
                    None
                }
                syn::Item::ForeignMod(f) => {
                    self.declare_foreign(f);
                    None
                }
                _ => None,
            };
            if let Some(name) = name {
                self.scopes[self.current].items.insert(name);
            }
        }
        for &item in &items {
            if let syn::Item::Use(u) = item {
                let public = !matches!(u.vis, syn::Visibility::Inherited);
                self.add_use(&u.tree, false, public);
            }
        }
        // Field and static types name imported types (`shell: Shell` after `use shell::Shell`):
        // read them once the module's imports are known.
        for &item in &items {
            match item {
                syn::Item::Struct(s) => {
                    let key = format!("{}::{}", self.scope().path, s.ident);
                    // A getter of an `Option` field hands back `Option<&T>`-like values whose
                    // `Some(x)` is the `T` a call is made on.
                    let getters = super::getters::derived(&s.attrs, &s.fields);
                    for f in s.fields.iter() {
                        let Some(name) = f.ident.as_ref().map(|i| i.to_string()) else {
                            continue;
                        };
                        let ty = self.wrapped_type(&f.ty).or_else(|| self.type_path(&f.ty));
                        if let (true, Some(ty)) = (getters.contains(&name), ty) {
                            self.ir.getters.push((key.clone(), name, ty));
                        }
                    }
                    self.declare_fields(key, &s.fields);
                }
                // `State::Ready { command }` and `Call::Run(action)` patterns read a variant's
                // fields.
                syn::Item::Enum(e) => {
                    for v in &e.variants {
                        if !matches!(v.fields, syn::Fields::Unit) {
                            let key = format!("{}::{}::{}", self.scope().path, e.ident, v.ident);
                            self.declare_fields(key, &v.fields);
                        }
                    }
                }
                syn::Item::Static(s) => {
                    if let Some(inner) = self.guarded_type(&s.ty) {
                        let path = format!("{}::{}", self.scope().path, s.ident);
                        self.static_guards.insert(path, inner);
                    }
                }
                _ => {}
            }
        }
    }

    /// Functions of an `extern "C"` block are the C library's functions of that name: the
    /// project's own `fn fork() -> pid_t;` is libc's `fork`, so the catalogue's knowledge of
    /// `libc::fork`, `libc::_exit`, `libc::execvp` applies to calls of it, here and through
    /// this module's path from other files.
    fn declare_foreign(&mut self, f: &syn::ItemForeignMod) {
        let c_abi = f
            .abi
            .name
            .as_ref()
            .is_none_or(|n| matches!(n.value().as_str(), "C" | "C-unwind" | "system"));
        if !c_abi {
            return;
        }
        for item in &f.items {
            let syn::ForeignItem::Fn(func) = item else {
                continue;
            };
            if absent_on_unix(&func.attrs) {
                continue;
            }
            let name = func.sig.ident.to_string();
            // `#[link_name = "__libc_fork"] fn fork_real()`: the symbol, not the Rust name, says
            // which C function it is (glibc's `__libc_` aliases are the public functions).
            let symbol = link_name(&func.attrs).unwrap_or_else(|| name.clone());
            let symbol = symbol.strip_prefix("__libc_").unwrap_or(&symbol);
            let target = format!("libc::{symbol}");
            let module = self.scope().path.clone();
            self.ir
                .reexports
                .push((format!("{module}::{name}"), target.clone()));
            self.scopes[self.current].uses.insert(name, target);
        }
    }

    fn declare_fields(&mut self, key: String, fields: &syn::Fields) {
        let (mut map, mut guards, mut elems) = (HashMap::new(), HashMap::new(), HashMap::new());
        let mut wraps = HashMap::new();
        // A tuple variant's or tuple struct's fields are named by position, as its patterns
        // (`Call::Run(action)`) bind them.
        for (i, field) in fields.iter().enumerate() {
            let name = field
                .ident
                .as_ref()
                .map_or(i.to_string(), |n| n.to_string());
            if let Some(held) = self.wrapped_type(&field.ty) {
                wraps.insert(name.to_string(), held);
            }
            if let Some(ty) = self.type_path(&field.ty) {
                self.ir
                    .field_types
                    .push((key.clone(), name.clone(), ty.clone()));
                map.insert(name.to_string(), ty);
            }
            if let Some(elem) = self.elem_type(&field.ty) {
                elems.insert(name.to_string(), elem);
            }
            if let Some(inner) = self.guarded_type(&field.ty) {
                guards.insert(name.to_string(), inner);
            }
        }
        self.fields.insert(key.clone(), map);
        self.field_elems.insert(key.clone(), elems);
        self.field_wraps.insert(key.clone(), wraps);
        self.field_guards.insert(key, guards);
    }

    /// `public`: a `pub use`, whose globs re-export the target's items from this module.
    fn add_use(&mut self, tree: &syn::UseTree, in_fn: bool, public: bool) {
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
            if public && !in_fn {
                let module = self.scope().path.clone();
                self.ir.glob_reexports.push((module, target.clone()));
            }
            self.scopes[self.current].globs.push(target);
        }
    }

    pub fn lower_items(&mut self, items: &[syn::Item]) {
        for item in items {
            match item {
                syn::Item::Mod(m) if absent_on_unix(&m.attrs) => {
                    if m.content.is_none() {
                        let path = format!("{}::{}", self.scope().path, m.ident);
                        self.ir.absent_mods.push(path);
                    }
                }
                _ if absent_on_unix(item_attrs(item)) => {}
                _ => self.lower_item(item),
            }
        }
    }

    fn lower_item(&mut self, item: &syn::Item) {
        match item {
            syn::Item::Fn(f) => {
                self.ir.python_entry |= has_attr(&f.attrs, &["pyfunction", "pymodule"]);
                let test = self.in_test || is_test_attrs(&f.attrs);
                let path = format!("{}::{}", self.scope().path, f.sig.ident);
                let (at, public) = (self.ir.functions.len(), self.api(&f.vis));
                self.lower_fn(path, FnKind::Free, &f.sig, &f.attrs, &f.block, test, None);
                self.ir.functions[at].public = public;
            }
            syn::Item::Impl(imp) => {
                self.ir.python_entry |= has_attr(&imp.attrs, &["pymethods"]);
                let Some(ty) = self.type_path(&imp.self_ty) else {
                    return;
                };
                let test = self.in_test || is_test_attrs(&imp.attrs);
                let base = impl_base(&ty, &self.scope().path);
                let trait_path = imp
                    .trait_
                    .as_ref()
                    .and_then(|(_, p, _)| self.resolve(&path_segs(p)).into_iter().next());
                for it in &imp.items {
                    if let syn::ImplItem::Fn(m) = it {
                        if absent_on_unix(&m.attrs) {
                            continue;
                        }
                        let path = format!("{base}::{}", m.sig.ident);
                        let t = test || is_test_attrs(&m.attrs);
                        if imp.trait_.is_some() {
                            self.ir.trait_methods.push(self.ir.functions.len() as u32);
                        }
                        if let Some(tr) = &trait_path {
                            let at = self.ir.functions.len() as u32;
                            self.ir
                                .trait_impls
                                .push((format!("{tr}::{}", m.sig.ident), at));
                        }
                        let at = self.ir.functions.len();
                        let public = imp.trait_.is_none() && self.api(&m.vis);
                        self.lower_fn(
                            path,
                            FnKind::Method,
                            &m.sig,
                            &m.attrs,
                            &m.block,
                            t,
                            Some(ty.clone()),
                        );
                        self.ir.functions[at].public = public;
                    }
                }
            }
            syn::Item::Trait(tr) => {
                let ty = format!("{}::{}", self.scope().path, tr.ident);
                for it in &tr.items {
                    if let syn::TraitItem::Fn(m) = it {
                        if absent_on_unix(&m.attrs) {
                            continue;
                        }
                        if let Some(block) = &m.default {
                            let path = format!("{ty}::{}", m.sig.ident);
                            self.ir.trait_methods.push(self.ir.functions.len() as u32);
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

    /// Adds the body of a `macro_rules!` arm as the function its invocations call, its
    /// leading metavariables the parameters the invocation's arguments bind.
    pub fn lower_macro_body(&mut self, name: &str, params: &[String], stmts: &[syn::Stmt]) {
        let path = format!("{}::{name}!", self.scope().path);
        let index = self.begin_fn(
            path,
            FnKind::Free,
            proc_macro2::Span::call_site(),
            self.in_test,
        );
        let saved_index = std::mem::replace(&mut self.fn_index, index);
        for (position, param) in params.iter().enumerate() {
            let local = Local {
                param: Some((index, position as u32)),
                ..Default::default()
            };
            self.set_local(param, local);
            self.ir.functions[index].params.push(param.clone());
        }
        let block = self.lower_stmts(stmts);
        self.fn_index = saved_index;
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

    /// An item declared `pub` outside any function body: a library's callers may name it.
    fn api(&self, vis: &syn::Visibility) -> bool {
        matches!(vis, syn::Visibility::Public(_)) && self.locals.is_empty()
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
            end: Span::default(),
            tests_variant: None,
            tail_value: None,
            value: None,
            passes_arg: None,
            returns_call_of: None,
            returns_call_through: false,
            returns_closure: None,
            public: false,
            captured_calls: Vec::new(),
            returns_whole: None,
            generator: false,
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
        let saved_index = std::mem::replace(&mut self.fn_index, index);
        self.fn_uses.push(HashMap::new());
        if let syn::ReturnType::Type(_, ty) = &sig.output {
            // `fn load<T>() -> Result<T>`: the caller chooses `T`, no type of this file's.
            if let Some(t) = self.value_type(ty).filter(|t| !names_type_param(sig, t)) {
                self.ir.fn_types.push((index as u32, t));
            }
        }
        let error_ty = self.error_type(&sig.output);
        let saved_error = std::mem::replace(&mut self.error_ty, error_ty);
        let is_main = sig.ident == "main" && self.current == 0 && self.ir.module.is_empty();
        self.ir.functions[index].is_main = is_main;
        let implied = runtime_attr(attrs)
            .into_iter()
            .chain(runs_on_test_thread(attrs).then(|| crate::ir::TEST_HARNESS.to_string()))
            .map(|p| self.call(Callee::Path(vec![p]), span_of(sig.ident.span())))
            .collect::<Vec<_>>();
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
                        let guards = self.guarded_type(&t.ty);
                        let elem = self.elem_type(&t.ty);
                        let wraps = self.wrapped_type(&t.ty);
                        let name = id.ident.to_string();
                        let position = self.ir.functions[index].params.len() as u32;
                        self.set_local(
                            &name,
                            Local {
                                ty,
                                guards,
                                elem,
                                wraps,
                                param: Some((index, position)),
                                ..Default::default()
                            },
                        );
                        self.ir.functions[index].params.push(name);
                    }
                }
            }
        }
        error_tails_of_block(block, &mut self.error_tails);
        let (body, tail) = self.lower_block_value(block);
        self.ir.functions[index].returns_closure = tail.closure;
        self.ir.functions[index].returns = returned_vars(block);
        self.ir.functions[index].returns_whole = Some(forktest::whole_returned_locals(block));
        self.ir.functions[index].end = span_of(block.brace_token.span.close());
        self.ir.functions[index].tests_variant = forktest::variant_test_of_body(block);
        self.ir.functions[index].value = forktest::ok_value_of_body(block);
        self.ir.functions[index].tail_value = forktest::block_shape(block);
        let params = self.ir.functions[index].params.clone();
        self.ir.functions[index].passes_arg = forktest::passed_param_of_body(block, &params);
        if let Some((p, through)) = super::param_value::called_param_of_body(block, &params) {
            self.ir.functions[index].returns_call_of = Some(p);
            self.ir.functions[index].returns_call_through = through;
        }
        self.fn_uses.pop();
        self.end_fn(index, body);
        self.self_ty = saved.0;
        self.fn_path = saved.1;
        self.closure_count = saved.2;
        self.error_ty = saved_error;
        self.fn_index = saved_index;
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

    /// The type of the elements of a collection type: `Vec<T>`, `[T]`, `[T; N]`, `&mut [T]`,
    /// `VecDeque<T>`, the sets, `Box<[T]>`.
    fn elem_type(&self, ty: &syn::Type) -> Option<String> {
        const COLLECTIONS: &[&str] = &[
            "Vec",
            "VecDeque",
            "LinkedList",
            "HashSet",
            "BTreeSet",
            "BinaryHeap",
        ];
        self.inner_type(ty, COLLECTIONS, &["Box", "Rc", "Arc"], true)
    }

    /// The type of the value a function hands back: its declared type, looking through
    /// `Result<T, _>`, `Option<T>` (and aliases named `Result`) to `T`.
    fn value_type(&self, ty: &syn::Type) -> Option<String> {
        if let syn::Type::Path(p) = ty {
            let last = p.path.segments.last()?;
            if matches!(last.ident.to_string().as_str(), "Result" | "Option") {
                let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
                    return None;
                };
                return match args.args.first() {
                    Some(syn::GenericArgument::Type(inner)) => self.value_type(inner),
                    _ => None,
                };
            }
        }
        self.type_path(ty)
    }

    /// The type an `Option<T>` or a `Result<T, _>` holds (looking through `Box<T>` inside it, as
    /// methods auto-deref): `self.source.as_mut().unwrap().start()` is `T`'s `start`.
    fn wrapped_type(&self, ty: &syn::Type) -> Option<String> {
        self.inner_type(ty, &["Option", "Result"], &["Box"], false)
    }

    /// For a lock (`Mutex<T>`, `RwLock<T>`, also behind `Arc`, `&`, `Lazy`, `OnceLock`), the
    /// type its guard dereferences to: a method called through the guard is `T`'s method.
    pub fn guarded_type(&self, ty: &syn::Type) -> Option<String> {
        const LOCKS: &[&str] = &["Mutex", "RwLock", "ReentrantMutex", "FairMutex"];
        const THROUGH: &[&str] = &[
            "Arc", "Rc", "Box", "Lazy", "LazyLock", "OnceLock", "OnceCell", "Option",
        ];
        self.inner_type(ty, LOCKS, THROUGH, false)
    }

    /// The type a `holders` wrapper holds (`Mutex<T>`, `Vec<T>` → `T`), looking through
    /// references and the wrappers in `through`; with `slices`, `[T]` and `[T; N]` hold `T` too.
    fn inner_type(
        &self,
        ty: &syn::Type,
        holders: &[&str],
        through: &[&str],
        slices: bool,
    ) -> Option<String> {
        let again = |t: &syn::Type| self.inner_type(t, holders, through, slices);
        match ty {
            syn::Type::Reference(r) => again(&r.elem),
            syn::Type::Paren(p) => again(&p.elem),
            syn::Type::Group(g) => again(&g.elem),
            syn::Type::Slice(s) if slices => self.type_path(&s.elem),
            syn::Type::Array(a) if slices => self.type_path(&a.elem),
            syn::Type::Path(p) => {
                let last = p.path.segments.last()?;
                let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
                    return None;
                };
                let Some(syn::GenericArgument::Type(inner)) = args.args.first() else {
                    return None;
                };
                let name = last.ident.to_string();
                if holders.contains(&name.as_str()) {
                    self.type_path(inner)
                } else if through.contains(&name.as_str()) {
                    again(inner)
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    fn resolve(&self, segs: &[String]) -> Vec<String> {
        let scope = self.scope();
        let mut out = scope.resolve(
            segs,
            self.self_ty.as_deref(),
            self.fn_uses.last(),
            &self.externs,
        );
        // `mod tests { use super::*; .. os::spawn(..) }`: a module or `use` of a module of this
        // file that a glob imports starts the path there, before any crate of that name.
        let Some(first) = segs.first().filter(|_| segs.len() > 1) else {
            return out;
        };
        let own = scope.uses.contains_key(first)
            || scope.items.contains(first)
            || self.fn_uses.last().is_some_and(|u| u.contains_key(first));
        if own {
            return out;
        }
        for glob in &scope.globs {
            let Some(target) = self.scopes.iter().find(|s| &s.path == glob) else {
                continue;
            };
            if target.items.contains(first) || target.uses.contains_key(first) {
                for c in target
                    .resolve(segs, None, None, &self.externs)
                    .into_iter()
                    .rev()
                {
                    if !out.contains(&c) {
                        out.insert(0, c);
                    }
                }
            }
        }
        out
    }

    /// The error type a declared `Result<_, E>` (or `io::Result<_>`) return type converts into.
    fn error_type(&self, output: &syn::ReturnType) -> Option<String> {
        let syn::ReturnType::Type(_, ty) = output else {
            return None;
        };
        let syn::Type::Path(p) = &**ty else {
            return None;
        };
        let last = p.path.segments.last()?;
        if last.ident != "Result" {
            return None;
        }
        let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        let types: Vec<&syn::Type> = args
            .args
            .iter()
            .filter_map(|a| match a {
                syn::GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect();
        match types.as_slice() {
            [_, error] => self.type_path(error),
            [_] if self
                .resolve(&path_segs(&p.path))
                .first()
                .map(String::as_str)
                == Some("std::io::Result") =>
            {
                Some("std::io::Error".to_string())
            }
            _ => None,
        }
    }

    /// The type an error constructor builds: `Error::Io` (a variant named as a function) or a
    /// closure whose value is `Error::Io(e)`.
    fn constructed_type(&self, arg: &syn::Expr) -> Option<String> {
        let path = match arg {
            syn::Expr::Path(p) => &p.path,
            syn::Expr::Closure(c) => match &*c.body {
                syn::Expr::Call(call) => match &*call.func {
                    syn::Expr::Path(p) => &p.path,
                    _ => return None,
                },
                _ => return None,
            },
            _ => return None,
        };
        let segs = path_segs(path);
        let upper = |i: usize| segs.get(i).is_some_and(|s| starts_upper(s));
        if segs.len() < 2 || !upper(segs.len() - 1) || !upper(segs.len() - 2) {
            return None;
        }
        let resolved = self.resolve(&segs).into_iter().next()?;
        resolved.rsplit_once("::").map(|(ty, _)| ty.to_string())
    }

    /// `?` on an error of type `from` (or `Err(e.into())`) in a function returning another error
    /// type calls that type's `From::from`: the program's own impl, when it has one, runs here.
    fn convert_error(&mut self, from: Option<&str>, span: Span, out: &mut Vec<Node>) {
        let (Some(from), Some(into)) = (from, self.error_ty.clone()) else {
            return;
        };
        if from == into {
            return;
        }
        let mut call = self.call(Callee::Path(vec![format!("{into}::from")]), span);
        call.converts_error = true;
        out.push(Node::Call(call));
    }

    /// `self.source = Some(Source::new()?)` where `self`'s type is declared in another file: the
    /// field's type, as far as this file is concerned, is what it assigns.
    fn note_assigned_field(&mut self, left: &syn::Expr, value: &Value) {
        let syn::Expr::Field(f) = left else { return };
        let (syn::Member::Named(name), syn::Expr::Path(base)) = (&f.member, &*f.base) else {
            return;
        };
        let Some(owner) = base
            .path
            .get_ident()
            .and_then(|b| self.local(&b.to_string()))
            .and_then(|l| l.ty.clone())
        else {
            return;
        };
        if self.fields.contains_key(&owner) || (value.ty.is_none() && value.wraps.is_none()) {
            return;
        }
        self.assigned_fields
            .entry(owner)
            .or_default()
            .insert(name.to_string(), (value.ty.clone(), value.wraps.clone()));
    }

    fn local(&self, name: &str) -> Option<&Local> {
        self.locals.iter().rev().find_map(|l| l.get(name))
    }

    /// The position of the function's own parameter `name` stands for (not a captured one).
    fn param_index(&self, name: &str) -> Option<u32> {
        self.local(name)
            .and_then(|l| l.param)
            .filter(|(f, _)| *f == self.fn_index)
            .map(|(_, p)| p)
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
        self.lower_stmts_value(stmts).0
    }

    /// A block and the value of its tail expression.
    fn lower_block_value(&mut self, block: &syn::Block) -> (Block, Value) {
        self.lower_stmts_value(&block.stmts)
    }

    fn lower_stmts_value(&mut self, stmts: &[syn::Stmt]) -> (Block, Value) {
        let mut out = Block::default();
        let mut tail = Value::default();
        if self.depth > MAX_DEPTH {
            return (out, tail);
        }
        self.depth += 1;
        self.locals.push(HashMap::new());
        let mut i = 0;
        while i < stmts.len() {
            let stmt = &stmts[i];
            if absent_on_unix(stmt_attrs(stmt)) {
                i += 1;
                continue;
            }
            // `#[cfg(x)] let r = a(); #[cfg(not(x))] let r = b();`: one build has one of them.
            let group = cfg_alternatives(&stmts[i..]);
            if group > 1 {
                let mut arms = Vec::new();
                let alternatives = &stmts[i..i + group];
                for alternative in alternatives
                    .iter()
                    .filter(|s| !absent_on_unix(stmt_attrs(s)))
                {
                    let mut body = Block::default();
                    self.lower_stmt(alternative, &mut body);
                    arms.push(Arm {
                        test: None,
                        body,
                        span: Span::default(),
                        ..Default::default()
                    });
                }
                out.nodes.push(Node::Branch(Branch {
                    span: Span::default(),
                    arms,
                    exhaustive: true,
                }));
                i += group;
                continue;
            }
            match stmt {
                syn::Stmt::Expr(e, None) if i + 1 == stmts.len() => {
                    tail = self.lower_expr(e, &mut out.nodes);
                }
                _ => self.lower_stmt(stmt, &mut out),
            }
            i += 1;
        }
        self.locals.pop();
        self.depth -= 1;
        (out, tail)
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
                            // `let Parent(pid) = fork()? else { .. }`: the `else` is the other side.
                            let test = forktest::test_of_pattern(&local.pat, &v)
                                .and_then(forktest::negate);
                            out.nodes.push(Node::Branch(Branch {
                                span: span_of(init.eq_token.span),
                                arms: vec![Arm {
                                    test,
                                    body: arm,
                                    span: span_of(init.eq_token.span),
                                    ..Default::default()
                                }],
                                exhaustive: false,
                            }));
                        }
                        v
                    }
                    None => Value::default(),
                };
                if let (syn::Pat::Wild(_), Some(call)) = (&local.pat, value.call) {
                    discard_call(&mut out.nodes, call);
                }
                let (name, annotated) = pat_binding(&local.pat);
                if let Some(name) = name {
                    let ty = annotated
                        .and_then(|t| self.type_path(t))
                        .or(value.ty.clone());
                    let guards = annotated
                        .and_then(|t| self.guarded_type(t))
                        .or(value.guards.clone());
                    let elem = annotated
                        .and_then(|t| self.elem_type(t))
                        .or(value.elem.clone());
                    let wraps = annotated
                        .and_then(|t| self.wrapped_type(t))
                        .or(value.wraps.clone());
                    if let Some(call) = value.call {
                        bind_call(&mut out.nodes, call, &name);
                    }
                    let clone_flags = local
                        .init
                        .as_ref()
                        .map(|init| clone_flags_of(&init.expr))
                        .unwrap_or_default();
                    self.set_local(
                        &name,
                        Local {
                            ty,
                            closure: value.closure,
                            alias_of: None,
                            guards,
                            elem,
                            wraps,
                            clone_flags,
                            param: None,
                            made_by: value.call,
                        },
                    );
                    out.locals.push(name);
                } else {
                    // `let (rx, tx) = pipe()?`: each name is a local, not a function item
                    // handed on when it is passed as an argument.
                    self.bind_pattern(&local.pat, None);
                }
            }
            syn::Stmt::Item(item) => match item {
                syn::Item::Use(u) => self.add_use(&u.tree, true, false),
                syn::Item::Fn(_) | syn::Item::Static(_) | syn::Item::Macro(_) => {
                    // A function declared in a body is lowered into the module; calls and
                    // references by its name (a thread's `extern "C" fn` body) reach it there.
                    if let syn::Item::Fn(f) = item {
                        self.scopes[self.current]
                            .items
                            .insert(f.sig.ident.to_string());
                    }
                    let saved = self.closure_count;
                    self.lower_item(item);
                    self.closure_count = saved;
                }
                _ => {}
            },
            syn::Stmt::Expr(e, semi) => {
                let value = self.lower_expr(e, &mut out.nodes);
                if let (Some(call), Some(_)) = (value.call, semi) {
                    discard_call(&mut out.nodes, call);
                }
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
            E::Call(c) => {
                let value = self.lower_call(c, out);
                if let Some(span) = err_call_span(c).filter(|s| self.error_tails.contains(s)) {
                    out.push(Node::Return {
                        span,
                        error: true,
                        value: None,
                    });
                }
                value
            }
            E::MethodCall(m) => self.lower_method(m, out),
            E::Macro(m) => macros::lower_expr_macro(self, &m.mac, out),
            E::Path(p) => self.lower_path_expr(&p.path, out),
            E::Closure(c) => {
                let error_ty = self.error_type(&c.output);
                let saved = std::mem::replace(&mut self.error_ty, error_ty);
                let index = self.lower_closure(
                    &c.body,
                    c.inputs.iter().filter_map(pat_name).collect(),
                    c.or1_token.span,
                );
                self.error_ty = saved;
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
                // `on_event({ let name = ..; move |e| .. })`: the block's value is its tail.
                let (block, tail) = self.lower_block_value(&b.block);
                out.push(Node::Block(block));
                Value {
                    ty: tail.ty,
                    closure: tail.closure,
                    ..Default::default()
                }
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
                        ..Default::default()
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
                            ty: iter.elem,
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
                    value: forktest::value_shape(expr),
                });
                Value::default()
            }
            E::Try(t) => {
                let v = self.lower_expr(&t.expr, out);
                self.convert_error(v.err.as_deref(), span_of(t.question_token.span), out);
                out.push(Node::Try(span_of(t.question_token.span)));
                match v.wraps {
                    Some(held) => Value {
                        ty: Some(held),
                        wraps: None,
                        ..v
                    },
                    None => v,
                }
            }
            E::Await(a) => {
                let value = self.lower_expr(&a.base, out);
                // `async { .. }.await` runs the block here: a call of it.
                match (&*a.base, value.closure) {
                    (syn::Expr::Async(_), Some(index)) => {
                        let call = self.call(Callee::Local(index), span_of(a.await_token.span));
                        let id = call.id;
                        out.push(Node::Call(call));
                        Value {
                            call: Some(id),
                            ..Default::default()
                        }
                    }
                    _ => value,
                }
            }
            E::Break(b) => {
                if let Some(e) = &b.expr {
                    self.lower_expr(e, out);
                }
                out.push(Node::Break(span_of(b.break_token.span)));
                Value::default()
            }
            E::Continue(c) => {
                out.push(Node::Continue(span_of(c.continue_token.span)));
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
                let guards = match (&f.member, &base.ty) {
                    (syn::Member::Named(name), Some(ty)) => self
                        .field_guards
                        .get(ty)
                        .and_then(|m| m.get(&name.to_string()))
                        .cloned(),
                    _ => None,
                };
                let elem = match (&f.member, &base.ty) {
                    (syn::Member::Named(name), Some(ty)) => self
                        .field_elems
                        .get(ty)
                        .and_then(|m| m.get(&name.to_string()))
                        .cloned(),
                    _ => None,
                };
                let (ty, wraps) = match (&f.member, &base.ty) {
                    (syn::Member::Named(name), Some(owner)) => {
                        let name = name.to_string();
                        let wraps = self.field_wraps.get(owner).and_then(|m| m.get(&name));
                        // A type declared in another file: what this file assigned to the field.
                        let assigned = self.assigned_fields.get(owner).and_then(|m| m.get(&name));
                        match (self.fields.contains_key(owner), assigned) {
                            (false, Some((t, w))) => (t.clone(), w.clone()),
                            _ => (ty, wraps.cloned()),
                        }
                    }
                    _ => (ty, None),
                };
                // `pty.fork_result`: a field of a local stands for the local (its fork result).
                Value {
                    ty,
                    guards,
                    elem,
                    wraps,
                    var: base.var,
                    ..Default::default()
                }
            }
            E::Assign(a) => {
                let v = self.lower_expr(&a.right, out);
                let left = self.lower_expr(&a.left, out);
                self.note_assigned_field(&a.left, &v);
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
                // `Job { .. }` is a `Job`.
                let ty = match &s.qself {
                    None => self.resolve(&path_segs(&s.path)).into_iter().next(),
                    Some(q) => self.type_path(&q.ty),
                };
                Value {
                    ty,
                    ..Default::default()
                }
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
                    guards: local.guards.clone(),
                    elem: local.elem.clone(),
                    wraps: local.wraps.clone(),
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
                guards: self.static_guards.get(&resolved).cloned(),
                global: Some(resolved),
                ..Default::default()
            };
        }
        Value::default()
    }

    pub fn lower_closure(
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
            end: Span::default(),
            tests_variant: None,
            tail_value: None,
            value: None,
            passes_arg: None,
            returns_call_of: None,
            returns_call_through: false,
            returns_closure: None,
            public: false,
            captured_calls: Vec::new(),
            returns_whole: None,
            generator: false,
        });
        self.locals.push(HashMap::new());
        for p in &params {
            self.set_local(p, Local::default());
        }
        let mut block = Block::default();
        let saved_count = self.closure_count;
        let saved_index = std::mem::replace(&mut self.fn_index, index);
        self.lower_expr(body, &mut block.nodes);
        self.fn_index = saved_index;
        self.closure_count = saved_count;
        self.locals.pop();
        self.ir.functions[index].body = block;
        index
    }

    /// A function named as an argument (`cmd.pre_exec(become_leader)`, `spawn(worker)`,
    /// `.map_err(io::Error::other)`) is the closure `|..| f(..)`: what it does happens wherever
    /// the callee runs its closures.
    fn fn_item_closure(&mut self, arg: &syn::Expr, value: &Value) -> Option<usize> {
        let syn::Expr::Path(p) = arg else {
            return None;
        };
        let last = p.path.segments.last()?.ident.to_string();
        let function = p.qself.is_none()
            && value.var.is_none()
            && value.global.is_none()
            && last.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && !matches!(last.as_str(), "self" | "super" | "crate");
        if !function {
            return None;
        }
        let start = p.path.segments.first()?.ident.span();
        let end = p.path.segments.last()?.ident.span();
        let mut parens =
            proc_macro2::Group::new(proc_macro2::Delimiter::Parenthesis, Default::default());
        parens.set_span(end);
        let body = syn::Expr::Call(syn::ExprCall {
            attrs: Vec::new(),
            func: Box::new(arg.clone()),
            paren_token: syn::token::Paren(parens.delim_span()),
            args: Punctuated::new(),
        });
        Some(self.lower_closure(&body, Vec::new(), start))
    }

    /// Lowers call arguments, collecting the closures and locals passed.
    pub(super) fn lower_args<'e>(
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
            if let Some(path) = named_fn(arg) {
                let segs = path_segs(path);
                let is_local = segs.len() == 1 && self.local(&segs[0]).is_some();
                let is_fn = segs.last().is_some_and(|s| !starts_upper(s));
                if let (false, true, Some(resolved)) =
                    (is_local, is_fn, self.resolve(&segs).into_iter().next())
                {
                    call.fn_args.push((i as u32, resolved));
                }
            }
            let v = self.lower_expr(arg, out);
            if let Some(c) = v.call {
                call.arg_calls.push((i as u32, c));
            }
            if let Some(c) = v.closure.or_else(|| self.fn_item_closure(arg, &v)) {
                call.closures.push(c);
                call.closure_args.push((i as u32, c));
            }
            if let Some(var) = &v.var {
                call.arg_vars.push(var.clone());
                if let Some(p) = self.param_index(var) {
                    call.param_args.push((i as u32, p));
                }
            }
            // `Target::Pipe(Box::new(file))`: a local wrapped on its way in is passed too.
            if let syn::Expr::Call(inner) = arg {
                for var in wrapped_locals(inner) {
                    if self.local(&var).is_some() && !call.arg_vars.contains(&var) {
                        call.arg_vars.push(self.root_var(&var));
                    }
                    // `catch_unwind(AssertUnwindSafe(body))`: the parameter is handed on.
                    if let Some(p) = self.param_index(&var) {
                        call.param_args.push((i as u32, p));
                    }
                }
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
                } else if let Some(p) = self.param_index(&segs[0]) {
                    // `pre_exec(&path)` on a `pre_exec: impl FnOnce(..)` parameter: what runs
                    // is the caller's, known at each call of this function.
                    call.calls_param = Some(p);
                } else if let Some((owner, p)) = local.param {
                    let captured = (call.id, owner as u32, p);
                    self.ir.functions[self.fn_index]
                        .captured_calls
                        .push(captured);
                } else {
                    return Value::default();
                }
                let id = call.id;
                out.push(Node::Call(call));
                return Value {
                    call: Some(id),
                    ..Default::default()
                };
            }
        }
        let last = segs.last().cloned().unwrap_or_default();
        let mut call = self.call(Callee::Path(Vec::new()), span);
        let values = self.lower_args(c.args.iter(), out, &mut call);
        // `Some(x)`, `Ok(x)`, `Wrapper(x)`: constructors, not calls.
        let only_arg = c.args.first().filter(|_| c.args.len() == 1);
        if let ("Err", Some(syn::Expr::MethodCall(m)), [converted]) =
            (last.as_str(), only_arg, values.as_slice())
        {
            if m.method == "into" {
                self.convert_error(converted.ty.as_deref(), span_of(m.method.span()), out);
            }
        }
        if starts_upper(&last) {
            return match (last.as_str(), values.as_slice()) {
                ("Some" | "Ok", [held]) => Value {
                    wraps: held.ty.clone(),
                    ..Default::default()
                },
                // `catch_unwind(AssertUnwindSafe(|| ..))`: the wrapper is called as the closure
                // it holds (it implements `FnOnce` by calling it).
                ("AssertUnwindSafe", [held]) if held.closure.is_some() => Value {
                    closure: held.closure,
                    ..Default::default()
                },
                // `Error::Io(e)`: a value of the enum.
                _ if segs.len() >= 2 => Value {
                    ty: self.constructed_type(&c.func),
                    ..Default::default()
                },
                _ => Value::default(),
            };
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
        let flags = self.clone_flags_passed(&c.args);
        let candidates = candidates
            .into_iter()
            .map(|p| raw_clone_variant(p, &c.args, &flags))
            .map(|p| fatal_signal_variant(p, &c.args))
            .collect::<Vec<_>>();
        let ty = candidates.first().and_then(|p| constructor_type(p));
        if let Some(first) = segs.first() {
            self.note_crate(&first.clone());
        }
        // `Box::new(|| ..)`: the box is called as the closure it holds (a `Box<dyn FnMut()>`
        // handed to `clone`), which runs where the box is called, not where it is made.
        let boxed = match (segs.as_slice(), values.as_slice()) {
            ([.., ty, new], [held]) if ty == "Box" && new == "new" => held.closure,
            _ => None,
        };
        if boxed.is_some() {
            call.closures.clear();
            call.closure_args.clear();
        }
        let id = call.id;
        call.callee = Callee::Path(candidates);
        out.push(Node::Call(call));
        Value {
            ty,
            call: Some(id),
            closure: boxed,
            ..Default::default()
        }
    }

    /// The `CLONE_*` flags a call's arguments after the first name, directly or through locals
    /// (`let flags = CLONE_VM | ..; syscall(SYS_clone, flags, ..)`, `&args` of `clone3`).
    fn clone_flags_passed(&self, args: &Punctuated<syn::Expr, syn::Token![,]>) -> Vec<String> {
        let mut names = Names::default();
        for arg in args.iter().skip(1) {
            syn::visit::Visit::visit_expr(&mut names, arg);
        }
        let mut flags: Vec<String> = Vec::new();
        for name in &names.0 {
            if name.starts_with("CLONE_") {
                flags.push(name.clone());
            } else if let Some(local) = self.local(name) {
                flags.extend(local.clone_flags.iter().cloned());
            }
        }
        flags
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
        call.args = u8::try_from(m.args.len()).unwrap_or(u8::MAX);
        call.receiver_global = receiver.global.clone();
        call.receiver_call = receiver.call;
        call.receiver_from = receiver
            .var
            .as_deref()
            .and_then(|v| self.local(v))
            .and_then(|l| l.made_by);
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
        if name == "map_err" {
            let err = m.args.first().and_then(|a| self.constructed_type(a));
            return Value {
                call: receiver.call.or(Some(id)),
                err,
                ..receiver
            };
        }
        if let (true, Some(held)) = (UNWRAP.contains(&name.as_str()), &receiver.wraps) {
            return Value {
                ty: Some(held.clone()),
                wraps: None,
                call: receiver.call.or(Some(id)),
                ..receiver
            };
        }
        if let (true, Some(_)) = (REWRAP.contains(&name.as_str()), &receiver.wraps) {
            return Value {
                call: receiver.call.or(Some(id)),
                ..receiver
            };
        }
        if PASSTHROUGH.contains(&name.as_str()) {
            return Value {
                call: receiver.call.or(Some(id)),
                ..receiver
            };
        }
        // `self.child.iter_mut()` on an `Option`: an iterator over its one value.
        if let (true, None, Some(held)) = (
            ELEMENTS.contains(&name.as_str()),
            &receiver.elem,
            &receiver.wraps,
        ) {
            return Value {
                call: Some(id),
                elem: Some(held.clone()),
                ..Default::default()
            };
        }
        // `self.items.iter_mut()`: an iterator over the collection's elements.
        if let (true, Some(elem)) = (ELEMENTS.contains(&name.as_str()), &receiver.elem) {
            return Value {
                call: Some(id),
                elem: Some(elem.clone()),
                ..Default::default()
            };
        }
        // `STATE.lock().unwrap().serve()`: the guard dereferences to the protected value.
        if let (true, Some(inner)) = (GUARD.contains(&name.as_str()), &receiver.guards) {
            return Value {
                ty: Some(inner.clone()),
                call: Some(id),
                ..Default::default()
            };
        }
        Value {
            ty: receiver.ty,
            call: Some(id),
            ..Default::default()
        }
    }

    /// A call's result matched by patterns (`if let Ok(c) = connect()`, `match open() { .. }`)
    /// lives in no `let`: bind it to a name of its own that each arm drops, unless the arm moves
    /// what its pattern binds. Returns that name and the names the patterns bind.
    fn scrutinee_local(
        &mut self,
        value: &Value,
        pats: &[&syn::Pat],
        out: &mut [Node],
    ) -> Option<(String, Vec<String>)> {
        let (Some(id), None) = (value.call, &value.var) else {
            return None;
        };
        let mut names = Vec::new();
        for pat in pats {
            pattern_names(pat, &mut names);
        }
        if names.is_empty() {
            return None;
        }
        let name = format!("{{scrutinee#{id}}}");
        bind_call(out, id, &name);
        Some((name, names))
    }

    /// The names a pattern binds are locals of the arm or branch it guards (`Ok(result) =>
    /// match result { .. }` tests the bound value, not an item named `result`).
    /// `matched`: the value matched; the name `Some(x)` / `Ok(x)` binds is what it holds.
    fn bind_pattern(&mut self, pat: &syn::Pat, matched: Option<&Value>) {
        let mut names = Vec::new();
        pattern_names(pat, &mut names);
        let types = self.field_bindings(pat);
        let held = matched
            .filter(|v| v.wraps.is_some() || v.guards.is_some())
            .zip(held_binding(pat));
        // `Some(cmd)` of a call's value whose type only the linker learns (a derived getter of
        // an `Option` field): `cmd`'s methods are typed by what that call hands back.
        let unwrapped = matched
            .filter(|v| v.wraps.is_none() && v.guards.is_none())
            .and_then(|v| Some((v.call?, held_binding(pat)?)));
        for name in names {
            let ty = types.get(&name).cloned();
            let local = match (&held, &unwrapped) {
                (None, Some((call, bound))) if *bound == name => Local {
                    ty,
                    made_by: Some(*call),
                    ..Default::default()
                },
                _ => match &held {
                    Some((v, bound)) if *bound == name => Local {
                        ty: v.wraps.clone(),
                        guards: v.guards.clone(),
                        ..Default::default()
                    },
                    _ => Local {
                        ty,
                        ..Default::default()
                    },
                },
            };
            self.set_local(&name, local);
        }
    }

    /// The declared types of the fields a struct pattern binds by name
    /// (`State::Ready { command }` binds `command` to the variant's `command` field).
    fn field_bindings(&self, pat: &syn::Pat) -> HashMap<String, String> {
        let mut out = HashMap::new();
        let pat = match pat {
            syn::Pat::Reference(r) => &*r.pat,
            other => other,
        };
        // (field, the pattern that binds it): by name, or by position in a tuple variant.
        let (path, bound): (_, Vec<(String, &syn::Pat)>) = match pat {
            syn::Pat::Struct(s) => (
                &s.path,
                s.fields
                    .iter()
                    .filter_map(|f| match &f.member {
                        syn::Member::Named(m) => Some((m.to_string(), &*f.pat)),
                        syn::Member::Unnamed(_) => None,
                    })
                    .collect(),
            ),
            syn::Pat::TupleStruct(t) => (
                &t.path,
                t.elems
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (i.to_string(), p))
                    .collect(),
            ),
            _ => return out,
        };
        let segs = path_segs(path);
        if let [only] = segs.as_slice() {
            if matches!(only.as_str(), "Some" | "Ok" | "Err") {
                return out;
            }
        }
        let keys = self.resolve(&segs);
        let fields = keys.iter().find_map(|key| self.fields.get(key));
        for (member, pat) in bound {
            let (Some(name), _) = pat_binding(pat) else {
                continue;
            };
            // A type declared in another file: the linker reads the field's type there.
            let ty = match (fields, keys.first()) {
                (Some(fields), _) => fields.get(&member).cloned(),
                (None, Some(key)) => Some(format!("{key}{FIELD_OF}{member}")),
                (None, None) => None,
            };
            if let Some(ty) = ty {
                out.insert(name, ty);
            }
        }
        out
    }

    fn lower_if(&mut self, i: &syn::ExprIf, out: &mut Vec<Node>) -> Value {
        let mut scrutinee = None;
        let mut cond_subject = None;
        let mut ok_of = None;
        let mut held = None;
        // What holds the value the condition matches: on the side where it is an `Err`, no
        // connection, file or thread made by the call is in it.
        let mut holders = Vec::new();
        let test = match &*i.cond {
            syn::Expr::Binary(b) => {
                let left = self.lower_expr(&b.left, out);
                let right = self.lower_expr(&b.right, out);
                forktest::from_binary(b, &left, &right)
            }
            cond => {
                let value = self.lower_expr(cond, out);
                held = Some(value.clone());
                if let syn::Expr::Let(l) = cond {
                    scrutinee = self.scrutinee_local(&value, &[&*l.pat], out);
                    holders.extend(scrutinee.as_ref().map(|(name, _)| name.clone()));
                    holders.extend(value.var.as_deref().map(|v| self.root_var(v)));
                    ok_of = value.call.filter(|_| forktest::is_err_pattern(&l.pat));
                }
                cond_subject = forktest::subject(&value);
                forktest::from_condition(cond, &value)
            }
        };
        self.locals.push(HashMap::new());
        if let syn::Expr::Let(l) = &*i.cond {
            self.bind_pattern(&l.pat, held.as_ref());
        }
        let mut then = self.lower_block(&i.then_branch);
        self.locals.pop();
        if let Some((name, names)) = &scrutinee {
            if !moves_any(names, |v| syn::visit::Visit::visit_block(v, &i.then_branch)) {
                then.locals.push(name.clone());
            }
        }
        let alias = match &*i.cond {
            syn::Expr::Let(l) => forktest::alias_of_pattern(&l.pat).zip(cond_subject),
            _ => None,
        };
        let mut arms = vec![Arm {
            test: test.clone(),
            body: then,
            span: span_of(i.if_token.span),
            value: test
                .as_ref()
                .and_then(|_| forktest::block_shape(&i.then_branch)),
            alias,
            ok_of: None,
            empty: if_let_pattern(&i.cond)
                .filter(|p| forktest::is_err_pattern(p))
                .map_or_else(Vec::new, |_| holders.clone()),
        }];
        let else_empty = if_let_pattern(&i.cond)
            .filter(|p| forktest::is_ok_pattern(p))
            .map_or_else(Vec::new, |_| holders.clone());
        let mut exhaustive = i.else_branch.is_some();
        if let Some((_, e)) = &i.else_branch {
            let mut body = Block::default();
            self.lower_expr(e, &mut body.nodes);
            body.locals
                .extend(scrutinee.as_ref().map(|(name, _)| name.clone()));
            arms.push(Arm {
                value: test.as_ref().and_then(|_| forktest::value_shape(e)),
                test: test.and_then(forktest::negate),
                body,
                span: span_of(i.if_token.span),
                alias: None,
                ok_of,
                empty: else_empty,
            });
        } else if scrutinee.is_some() || ok_of.is_some() {
            // The value that did not match is dropped at once.
            arms.push(Arm {
                test: None,
                body: Block {
                    nodes: Vec::new(),
                    locals: scrutinee.iter().map(|(name, _)| name.clone()).collect(),
                },
                span: span_of(i.if_token.span),
                ok_of,
                empty: else_empty,
                ..Default::default()
            });
            exhaustive = true;
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
        // `forks.push(fork()?); match forks[i] { .. }`: an element of the collection the
        // fork's value was stored in is that value.
        if let syn::Expr::Index(ix) = &*m.expr {
            if let syn::Expr::Path(p) = &*ix.expr {
                if let (Some(id), true) = (p.path.get_ident(), subject.var.is_none()) {
                    subject = Value {
                        var: Some(self.root_var(&id.to_string())),
                        ..Default::default()
                    };
                }
            }
        }
        let on_unix: Vec<&syn::Arm> = m
            .arms
            .iter()
            .filter(|a| !absent_on_unix(&a.attrs))
            .collect();
        let sides: Vec<Option<Side>> = on_unix
            .iter()
            .map(|a| forktest::side_of_pattern(&a.pat, a.guard.as_ref().map(|g| &*g.1)))
            .collect();
        let subject_of = forktest::subject(&subject);
        let any_child = sides.contains(&Some(Side::Child));
        let any_parent = sides.contains(&Some(Side::Parent));
        let pats: Vec<&syn::Pat> = on_unix.iter().map(|a| &a.pat).collect();
        let scrutinee = self.scrutinee_local(&subject, &pats, out);
        let failed = subject
            .call
            .filter(|_| pats.iter().any(|p| forktest::is_err_pattern(p)));
        // On an `Err` arm the matched value holds nothing the call made.
        let holders: Vec<String> = scrutinee
            .iter()
            .map(|(name, _)| name.clone())
            .chain(subject.var.clone())
            .collect();
        let mut arms = Vec::new();
        for (arm, side) in on_unix.into_iter().zip(sides) {
            let side = match side {
                None if any_child && forktest::is_catch_all(&arm.pat) => Some(Side::Parent),
                // `Ok(Parent { .. }) => .., _ => ..`: the arm that takes the rest takes the child.
                None if any_parent && forktest::is_catch_all(&arm.pat) => Some(Side::Child),
                s => s,
            };
            let test = match side {
                Some(side) => forktest::subject(&subject).map(|subject| ForkTest {
                    subject,
                    side,
                    variant: None,
                    via: None,
                }),
                // `Some(pid) =>`, `None =>`: the wrapper's child value tells the side.
                None if arm.guard.is_none() => forktest::test_of_pattern(&arm.pat, &subject),
                None => None,
            };
            let value = test.as_ref().and_then(|_| forktest::value_shape(&arm.body));
            let alias = forktest::alias_of_pattern(&arm.pat).zip(subject_of.clone());
            let mut body = Block::default();
            self.locals.push(HashMap::new());
            self.bind_pattern(&arm.pat, Some(&subject));
            if let Some((_, guard)) = &arm.guard {
                self.lower_expr(guard, &mut body.nodes);
            }
            self.lower_expr(&arm.body, &mut body.nodes);
            self.locals.pop();
            if let Some((name, names)) = &scrutinee {
                if !moves_any(names, |v| syn::visit::Visit::visit_expr(v, &arm.body)) {
                    body.locals.push(name.clone());
                }
            }
            arms.push(Arm {
                test,
                body,
                span: span_of(arm.fat_arrow_token.spans[0]),
                value,
                alias,
                ok_of: failed.filter(|_| !forktest::is_err_pattern(&arm.pat)),
                empty: if forktest::is_err_pattern(&arm.pat) {
                    holders.clone()
                } else {
                    Vec::new()
                },
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

/// The function an argument names without calling it: `handler`, `Some(handler)`,
/// `handler as extern "C" fn()`.
fn named_fn(arg: &syn::Expr) -> Option<&syn::Path> {
    match arg {
        syn::Expr::Path(p) if p.qself.is_none() => Some(&p.path),
        syn::Expr::Call(c) if c.args.len() == 1 => match &*c.func {
            syn::Expr::Path(f) if f.path.is_ident("Some") => named_fn(&c.args[0]),
            _ => None,
        },
        syn::Expr::Cast(c) => named_fn(&c.expr),
        syn::Expr::Paren(p) => named_fn(&p.expr),
        _ => None,
    }
}

/// The pattern of an `if let` condition.
fn if_let_pattern(cond: &syn::Expr) -> Option<&syn::Pat> {
    match cond {
        syn::Expr::Let(l) => Some(&l.pat),
        _ => None,
    }
}

/// The name `Some(x)` / `Ok(x)` (also `&mut Some(ref mut x)`) binds to the value held.
fn held_binding(pat: &syn::Pat) -> Option<String> {
    match pat {
        syn::Pat::Reference(r) => held_binding(&r.pat),
        syn::Pat::TupleStruct(t) => {
            let last = t.path.segments.last()?.ident.to_string();
            match (last.as_str(), t.elems.first(), t.elems.len()) {
                ("Some" | "Ok", Some(syn::Pat::Ident(id)), 1) => Some(id.ident.to_string()),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Whether `ty`, a type the signature's output was resolved to, is one of the function's own
/// type parameters (resolved as if it were an item: `T` through a glob import).
fn names_type_param(sig: &syn::Signature, ty: &str) -> bool {
    let last = ty.rsplit("::").next().unwrap_or(ty);
    sig.generics.type_params().any(|p| p.ident == last)
}

/// The names a pattern binds (`Ok(conn)`, `Some((a, b))`), not the unit variants it names.
fn pattern_names(pat: &syn::Pat, out: &mut Vec<String>) {
    struct Names<'o>(&'o mut Vec<String>);
    impl<'ast> syn::visit::Visit<'ast> for Names<'_> {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            let name = p.ident.to_string();
            if name != "_" && !starts_upper(&name) {
                self.0.push(name);
            }
            syn::visit::visit_pat_ident(self, p);
        }
    }
    syn::visit::Visit::visit_pat(&mut Names(out), pat);
}

/// Whether the code `visit` walks moves one of `names` out (returns it, stores it, passes it by
/// value): a value only borrowed, formatted or used as a method's receiver is dropped with its
/// scope.
fn moves_any(names: &[String], visit: impl FnOnce(&mut MoveFinder)) -> bool {
    let mut finder = MoveFinder {
        names,
        moved: false,
    };
    visit(&mut finder);
    finder.moved
}

struct MoveFinder<'n> {
    names: &'n [String],
    moved: bool,
}

impl MoveFinder<'_> {
    fn is_name(&self, e: &syn::Expr) -> bool {
        matches!(e, syn::Expr::Path(p) if p.qself.is_none()
            && p.path.segments.len() == 1
            && self.names.iter().any(|n| p.path.is_ident(n)))
    }
}

impl<'ast> syn::visit::Visit<'ast> for MoveFinder<'_> {
    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        match e {
            _ if self.is_name(e) => self.moved = true,
            syn::Expr::Reference(r) if self.is_name(&r.expr) => {}
            syn::Expr::Field(f) if self.is_name(&f.base) => {}
            syn::Expr::MethodCall(m) if self.is_name(&m.receiver) => {
                if m.method.to_string().starts_with("into") {
                    self.moved = true;
                }
                for arg in &m.args {
                    self.visit_expr(arg);
                }
            }
            _ => syn::visit::visit_expr(self, e),
        }
    }
    // Format macros borrow their arguments.
    fn visit_macro(&mut self, _: &'ast syn::Macro) {}
}

/// Sets `bind` on the call with this id among the nodes just emitted.
/// The call's value is dropped by the statement that makes it.
fn discard_call(nodes: &mut [Node], id: u32) {
    for node in nodes.iter_mut().rev() {
        if let Node::Call(c) = node {
            if c.id == id {
                c.discarded = true;
                return;
            }
        }
    }
}

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

/// Raw process creation is told apart by its arguments: `syscall(SYS_fork)` forks and
/// `syscall(SYS_vfork)` vforks; `syscall(SYS_clone | SYS_clone3, ..)` and `libc::clone(..)` make
/// a thread with `CLONE_THREAD` and share the parent's memory with `CLONE_VM` (clone(2)). The
/// variant goes after a `#` (`libc::syscall#SYS_clone#vm`) for the catalogue to name.
fn raw_clone_variant(
    path: String,
    args: &Punctuated<syn::Expr, syn::Token![,]>,
    passed: &[String],
) -> String {
    let flags = || {
        if passed.iter().any(|n| n == "CLONE_THREAD") {
            "#thread"
        } else if passed.iter().any(|n| n == "CLONE_VM") {
            "#vm"
        } else {
            ""
        }
    };
    match path.as_str() {
        "libc::syscall" => {
            let Some(syn::Expr::Path(p)) = args.first() else {
                return path;
            };
            let Some(number) = p.path.segments.last().map(|s| s.ident.to_string()) else {
                return path;
            };
            match number.as_str() {
                "SYS_fork" | "SYS_vfork" => format!("{path}#{number}"),
                "SYS_clone" | "SYS_clone3" => format!("{path}#{number}{}", flags()),
                _ => path,
            }
        }
        "libc::clone" | "nix::sched::clone" => {
            let flags = flags();
            format!("{path}{flags}")
        }
        _ => path,
    }
}

/// Signals whose default action ends the process and that a program sends itself to die:
/// `kill(getpid(), SIGKILL)` and `raise(SIGTERM)` leave like `_exit` (signal(7); SIGKILL cannot
/// be caught, the others end the process unless a handler was installed).
const FATAL_SIGNALS: &[&str] = &[
    "SIGKILL", "SIGTERM", "SIGABRT", "SIGQUIT", "SIGINT", "SIGHUP", "SIGSEGV",
];

/// `raise(SIGKILL)` → `..::raise#fatal`; `kill(getpid(), SIGKILL)` (or pid 0, its own process
/// group) → `..::kill#self_fatal`: the catalogue names these as ways of leaving.
fn fatal_signal_variant(path: String, args: &Punctuated<syn::Expr, syn::Token![,]>) -> String {
    fn last_name(e: &syn::Expr) -> Option<String> {
        match e {
            syn::Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            syn::Expr::Paren(p) => last_name(&p.expr),
            syn::Expr::Call(c) => last_name(&c.func),
            syn::Expr::Unsafe(u) => match u.block.stmts.as_slice() {
                [syn::Stmt::Expr(e, None)] => last_name(e),
                _ => None,
            },
            _ => None,
        }
    }
    let fatal = |e: &syn::Expr| last_name(e).is_some_and(|n| FATAL_SIGNALS.contains(&n.as_str()));
    let to_self = |e: &syn::Expr| {
        matches!(e, syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) if i.base10_digits() == "0")
            || matches!(last_name(e).as_deref(), Some("getpid" | "this"))
    };
    // The program's own `kill` is its own business.
    if ["self::", "crate::", "super::"]
        .iter()
        .any(|own| path.starts_with(own))
    {
        return path;
    }
    let args: Vec<&syn::Expr> = args.iter().collect();
    match (path.rsplit("::").next(), args.as_slice()) {
        (Some("raise"), [sig]) if fatal(sig) => format!("{path}#fatal"),
        (Some("kill"), [pid, sig]) if to_self(pid) && fatal(sig) => format!("{path}#self_fatal"),
        _ => path,
    }
}

/// The `CLONE_*` names in an expression.
fn clone_flags_of(expr: &syn::Expr) -> Vec<String> {
    let mut names = Names::default();
    syn::visit::Visit::visit_expr(&mut names, expr);
    names.0.retain(|n| n.starts_with("CLONE_"));
    names.0
}

/// Every identifier in an expression (the flags of a `clone`).
#[derive(Default)]
struct Names(Vec<String>);

impl<'ast> syn::visit::Visit<'ast> for Names {
    fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
        self.0.push(i.to_string());
    }
}

/// The items of a list that a Unix build compiles.
fn on_unix(items: &[syn::Item]) -> impl Iterator<Item = &syn::Item> {
    items
        .iter()
        .filter(|item| !absent_on_unix(item_attrs(item)))
}

fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    use syn::Item as I;
    match item {
        I::Const(i) => &i.attrs,
        I::Enum(i) => &i.attrs,
        I::ExternCrate(i) => &i.attrs,
        I::Fn(i) => &i.attrs,
        I::ForeignMod(i) => &i.attrs,
        I::Impl(i) => &i.attrs,
        I::Macro(i) => &i.attrs,
        I::Mod(i) => &i.attrs,
        I::Static(i) => &i.attrs,
        I::Struct(i) => &i.attrs,
        I::Trait(i) => &i.attrs,
        I::TraitAlias(i) => &i.attrs,
        I::Type(i) => &i.attrs,
        I::Union(i) => &i.attrs,
        I::Use(i) => &i.attrs,
        _ => &[],
    }
}

/// The outer attributes of a statement (those of an expression statement's expression).
fn stmt_attrs(stmt: &syn::Stmt) -> &[syn::Attribute] {
    use syn::Expr as E;
    match stmt {
        syn::Stmt::Local(l) => &l.attrs,
        syn::Stmt::Macro(m) => &m.attrs,
        syn::Stmt::Item(item) => item_attrs(item),
        syn::Stmt::Expr(e, _) => match e {
            E::Array(e) => &e.attrs,
            E::Assign(e) => &e.attrs,
            E::Async(e) => &e.attrs,
            E::Await(e) => &e.attrs,
            E::Binary(e) => &e.attrs,
            E::Block(e) => &e.attrs,
            E::Call(e) => &e.attrs,
            E::Closure(e) => &e.attrs,
            E::ForLoop(e) => &e.attrs,
            E::If(e) => &e.attrs,
            E::Let(e) => &e.attrs,
            E::Loop(e) => &e.attrs,
            E::Macro(e) => &e.attrs,
            E::Match(e) => &e.attrs,
            E::MethodCall(e) => &e.attrs,
            E::Path(e) => &e.attrs,
            E::Return(e) => &e.attrs,
            E::Try(e) => &e.attrs,
            E::Unsafe(e) => &e.attrs,
            E::While(e) => &e.attrs,
            _ => &[],
        },
    }
}

/// The `#[cfg(..)]` predicate of a statement.
fn stmt_cfg(stmt: &syn::Stmt) -> Option<super::cfg::Cfg> {
    stmt_attrs(stmt).iter().find_map(|a| match &a.meta {
        syn::Meta::List(l) if l.path.is_ident("cfg") => super::cfg::Cfg::parse(l.tokens.clone()),
        _ => None,
    })
}

/// How many statements from the first are compiled under pairwise exclusive `#[cfg]`
/// predicates (no build has two of them); 0 or 1 when there is no such run.
fn cfg_alternatives(stmts: &[syn::Stmt]) -> usize {
    let mut seen: Vec<super::cfg::Cfg> = Vec::new();
    for stmt in stmts {
        let Some(cfg) = stmt_cfg(stmt) else { break };
        if !seen.iter().all(|s| s.excludes(&cfg)) {
            break;
        }
        seen.push(cfg);
    }
    seen.len()
}

/// Where an `impl` block's methods live: at the type's own path when the type is this crate's
/// (`impl Case` in `exec.rs` for `crate::model::Case`) or a path into another crate
/// (`impl LeadSession for std::process::Command`), so that a call on a value of that type finds
/// them; a bare name from the prelude (`impl From<X> for String`) stays in the impl's module,
/// where it cannot take over every `String::from`.
fn impl_base(ty: &str, module: &str) -> String {
    if ty.contains("::") {
        return ty.to_string();
    }
    format!("{module}::{ty}")
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
            || p.is_ident("bench")
            || p.segments.last().is_some_and(|s| s.ident == "test") && p.segments.len() == 2
            || is_test_wrapper(p)
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

/// `#[test]`, `#[tokio::test]`, `#[rstest]`, `#[test_case(..)]`: libtest runs the function on a
/// worker thread of its own while the main thread (and other tests) run; so it does a `#[bench]`,
/// which `cargo test` runs once as a test.
fn runs_on_test_thread(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        is_test_wrapper(a.path())
            || a.path().segments.last().is_some_and(|s| {
                matches!(
                    s.ident.to_string().as_str(),
                    "test" | "rstest" | "test_case" | "bench"
                )
            })
    })
}

/// A project's own test attribute (`#[nativelink_test]`, `#[sqlx_test]`): an attribute macro
/// named `<something>_test` expands to `#[test]` (or `#[tokio::test]`) around the function.
fn is_test_wrapper(path: &syn::Path) -> bool {
    path.segments
        .last()
        .is_some_and(|s| s.ident.to_string().ends_with("_test"))
}

/// `#[tokio::main]` and friends (`#[rocket::main]`, `#[async_std::main]`): the catalogue path of
/// the runtime they would start if multi-threaded, `{attribute}#multi_thread`. A `main` runtime
/// is multi-threaded unless its `flavor` says `current_thread`; a `test` one only with
/// `flavor = "multi_thread"` (tokio's defaults). Which attributes start threads at all is the
/// catalogue's to say: an attribute it lists no entry for (`#[actix_web::main]`, whose actix
/// System runs on the current thread) starts none.
fn runtime_attr(attrs: &[syn::Attribute]) -> Option<String> {
    for a in attrs {
        let segs: Vec<String> = a
            .path()
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        let Some((last, _)) = segs.split_last().filter(|_| segs.len() >= 2) else {
            continue;
        };
        let args = match &a.meta {
            syn::Meta::List(l) => l.tokens.to_string().replace(' ', ""),
            _ => String::new(),
        };
        let multi = match last.as_str() {
            "main" => !args.contains("flavor=\"current_thread\""),
            "test" => args.contains("flavor=\"multi_thread\""),
            _ => continue,
        };
        if multi {
            let path = super::scope::normalize(&segs.join("::"));
            return Some(format!("{path}#multi_thread"));
        }
    }
    None
}

/// Locals named in a body's tail expression and `return` expressions.
/// Locals a constructor (`Some(x)`, `Target::Pipe(x)`) or `Box::new(x)`/`Arc::new(x)` wraps,
/// through nested ones.
fn wrapped_locals(c: &syn::ExprCall) -> Vec<String> {
    let syn::Expr::Path(p) = &*c.func else {
        return Vec::new();
    };
    let segs = path_segs(&p.path);
    let wraps = segs.last().is_some_and(|s| starts_upper(s))
        || matches!(
            segs.iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .as_slice(),
            [.., "Box" | "Arc" | "Rc", "new"]
        );
    if !wraps {
        return Vec::new();
    }
    c.args
        .iter()
        .flat_map(|a| match a {
            syn::Expr::Path(p) if p.path.segments.len() == 1 => {
                vec![p.path.segments[0].ident.to_string()]
            }
            syn::Expr::Call(inner) => wrapped_locals(inner),
            _ => Vec::new(),
        })
        .collect()
}

/// The span of `Err` in an `Err(..)` call.
fn err_call_span(c: &syn::ExprCall) -> Option<Span> {
    match &*c.func {
        syn::Expr::Path(p) if p.path.is_ident("Err") => {
            Some(span_of(p.path.segments[0].ident.span()))
        }
        _ => None,
    }
}

/// The `Err(..)` calls a block evaluates to as its value, through `if`, `match` and blocks.
fn error_tails_of_block(block: &syn::Block, out: &mut std::collections::HashSet<Span>) {
    if let Some(syn::Stmt::Expr(tail, None)) = block.stmts.last() {
        error_tails_of(tail, out);
    }
}

fn error_tails_of(expr: &syn::Expr, out: &mut std::collections::HashSet<Span>) {
    use syn::Expr as E;
    match expr {
        E::Call(c) => out.extend(err_call_span(c)),
        E::Paren(p) => error_tails_of(&p.expr, out),
        E::Block(b) => error_tails_of_block(&b.block, out),
        E::Unsafe(u) => error_tails_of_block(&u.block, out),
        E::If(i) => {
            error_tails_of_block(&i.then_branch, out);
            if let Some((_, e)) = &i.else_branch {
                error_tails_of(e, out);
            }
        }
        E::Match(m) => {
            for arm in &m.arms {
                error_tails_of(&arm.body, out);
            }
        }
        _ => {}
    }
}

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
    // A local only borrowed (`f(&mut stream)`, `stream.peer_addr()`, `stream.field`) in a return
    // value is not returned: it is dropped when the function ends.
    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        let local = |e: &syn::Expr| matches!(e, syn::Expr::Path(p) if p.path.segments.len() == 1);
        match e {
            syn::Expr::Reference(r) if local(&r.expr) => {}
            syn::Expr::Field(f) if local(&f.base) => {}
            syn::Expr::MethodCall(m)
                if local(&m.receiver) && !m.method.to_string().starts_with("into") =>
            {
                for arg in &m.args {
                    self.visit_expr(arg);
                }
            }
            _ => syn::visit::visit_expr(self, e),
        }
    }
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

/// The value of a `#[link_name = ".."]` attribute.
fn link_name(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find_map(|a| match &a.meta {
        syn::Meta::NameValue(nv) if nv.path.is_ident("link_name") => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}
