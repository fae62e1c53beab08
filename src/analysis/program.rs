//! The linked program: every scanned file's IR placed in its crate, each call resolved to the
//! catalogue entries or the scanned functions it may reach, and the reverse call graph.

use crate::catalog::{Catalog, Effect};
use crate::ir::{Block, Callee, FileIr, FnKind, Node};
use std::collections::HashMap;

/// A function: (file index, function index in that file).
pub type FnRef = (u32, u32);

/// What a call may reach.
#[derive(Debug, Clone, Default)]
pub enum Target {
    #[default]
    Unknown,
    /// Catalogue entries (indices into `Catalog::apis`).
    Apis(Vec<usize>),
    /// Scanned functions (several when cfg variants share a name).
    Fns(Vec<FnRef>),
}

pub struct Program<'c> {
    pub files: Vec<FileIr>,
    pub catalog: &'c Catalog,
    /// Per file, indexed by call id.
    pub targets: Vec<Vec<Target>>,
    /// Callers of each function (with the call's file), for the summary worklist.
    pub callers: HashMap<FnRef, Vec<FnRef>>,
    /// Functions named as arguments, by (file, call id): (argument index, function).
    fn_refs: HashMap<(u32, u32), Vec<(u32, FnRef)>>,
}

/// A path lookup follows at most this many `use` re-exports (the prefilter follows as many).
pub const MAX_ALIAS_STEPS: usize = 6;

/// Methods so common that a call by name alone never links to a user method.
pub const STD_METHODS: &[&str] = &[
    "new",
    "push",
    "pop",
    "insert",
    "remove",
    "get",
    "get_mut",
    "len",
    "is_empty",
    "iter",
    "iter_mut",
    "into_iter",
    "map",
    "next",
    "read",
    "write",
    "lock",
    "send",
    "recv",
    "clone",
    "join",
    "spawn",
    "run",
    "start",
    "wait",
    "from",
    "into",
    "build",
    "take",
    "extend",
    "flush",
    "close",
    "drop",
    "fmt",
    "eq",
    "cmp",
    "hash",
    "default",
    "contains",
    "call",
    "poll",
    "as_str",
    "to_string",
    "parse",
    "with",
    "set",
    "update",
    "apply",
    "handle",
    "process",
    "execute",
    "open",
    "connect",
    "bind",
    "accept",
    "serve",
    "listen",
    "shutdown",
    "stop",
    "kill",
    "status",
    "output",
    "finish",
    "init",
    "load",
    "resolve",
    "visit",
    "check",
    "reset",
    "clear",
    "len_hint",
    "size",
    "exec",
    "fork",
];

impl<'c> Program<'c> {
    pub fn link(mut files: Vec<FileIr>, catalog: &'c Catalog) -> Self {
        apply_path_attributes(&mut files);
        let mut fns: HashMap<String, Vec<FnRef>> = HashMap::new();
        let mut methods: HashMap<(String, String), Vec<FnRef>> = HashMap::new();
        let mut globals: HashMap<String, FnRef> = HashMap::new();
        let mut aliases: HashMap<String, String> = HashMap::new();
        // `macro_rules!` are scoped textually, not by path: find them by name in the package.
        let mut macros: HashMap<(String, String), Vec<FnRef>> = HashMap::new();
        for (fi, file) in files.iter().enumerate() {
            for (name, index) in &file.macros {
                macros
                    .entry((package_of(&file.crate_name).to_string(), name.clone()))
                    .or_default()
                    .push((fi as u32, *index as u32));
            }
            for (i, f) in file.functions.iter().enumerate() {
                if matches!(f.kind, FnKind::Closure | FnKind::GlobalInit) {
                    continue;
                }
                let key = absolute(file, &f.path);
                if f.kind == FnKind::Method {
                    let name = key.rsplit("::").next().unwrap_or("").to_string();
                    methods
                        .entry((file.crate_name.clone(), name))
                        .or_default()
                        .push((fi as u32, i as u32));
                }
                fns.entry(key).or_default().push((fi as u32, i as u32));
            }
            for g in &file.globals {
                globals.insert(absolute(file, &g.path), (fi as u32, g.init as u32));
            }
            for (alias, target) in &file.reexports {
                aliases.insert(absolute(file, alias), absolute(file, target));
            }
        }
        // A `use` and an item of the same name in one module can only both exist under
        // exclusive `#[cfg]`s (rustc rejects the clash otherwise): the name stands for both.
        let twins: Vec<(String, String)> = aliases
            .iter()
            .filter(|(alias, target)| fns.contains_key(*alias) && fns.contains_key(*target))
            .map(|(alias, target)| (alias.clone(), target.clone()))
            .collect();
        for (alias, target) in twins {
            let mut both = fns.get(&alias).cloned().unwrap_or_default();
            for f in fns.get(&target).cloned().unwrap_or_default() {
                if !both.contains(&f) {
                    both.push(f);
                }
            }
            fns.insert(alias, both.clone());
            fns.insert(target, both);
        }
        let lookup = |key: &str| -> Option<Vec<FnRef>> {
            let mut key = key.to_string();
            for _ in 0..MAX_ALIAS_STEPS {
                if let Some(found) = fns.get(&key) {
                    return Some(found.clone());
                }
                // Follow a re-export of the path or of one of its prefixes (a module or type).
                let mut next = None;
                let mut end = key.len();
                while let Some(i) = key[..end].rfind("::") {
                    if let Some(target) = aliases.get(&key[..i]) {
                        next = Some(format!("{target}{}", &key[i..]));
                        break;
                    }
                    end = i;
                }
                match next.or_else(|| aliases.get(&key).cloned()) {
                    Some(n) if n != key => key = n,
                    _ => return None,
                }
            }
            None
        };
        let mut targets = Vec::with_capacity(files.len());
        let mut callers: HashMap<FnRef, Vec<FnRef>> = HashMap::new();
        let mut fn_refs: HashMap<(u32, u32), Vec<(u32, FnRef)>> = HashMap::new();
        for (fi, file) in files.iter().enumerate() {
            let mut t: Vec<Target> = Vec::new();
            // Types that builder chains carry, learnt from the catalogue's `returns`.
            let mut chain_ty: HashMap<u32, String> = HashMap::new();
            for (i, f) in file.functions.iter().enumerate() {
                let me = (fi as u32, i as u32);
                let mut visit = |call: &crate::ir::Call| {
                    let known = call.receiver_call.and_then(|r| chain_ty.get(&r)).cloned();
                    let retyped;
                    let call = match (&call.callee, &known) {
                        (Callee::Method { name, .. }, Some(ty)) => {
                            retyped = crate::ir::Call {
                                callee: Callee::Method {
                                    name: name.clone(),
                                    ty: Some(ty.clone()),
                                },
                                ..call.clone()
                            };
                            &retyped
                        }
                        _ => call,
                    };
                    let target = match call.callee {
                        Callee::Local(index) => Target::Fns(vec![(fi as u32, index as u32)]),
                        _ => {
                            resolve_call(file, call, catalog, &lookup, &aliases, &methods, &globals)
                        }
                    };
                    let returns = match &target {
                        Target::Apis(list) => {
                            list.iter().find_map(|&a| catalog.apis[a].returns.clone())
                        }
                        _ => None,
                    };
                    if let Some(ty) = returns.or(known) {
                        chain_ty.insert(call.id, ty);
                    }
                    let target = match (&target, &call.callee) {
                        (Target::Unknown, Callee::Macro(path)) => {
                            let name = path.rsplit("::").next().unwrap_or(path).to_string();
                            match macros.get(&(package_of(&file.crate_name).to_string(), name)) {
                                Some(found) => Target::Fns(found.clone()),
                                None => target,
                            }
                        }
                        _ => target,
                    };
                    if let Target::Fns(list) = &target {
                        for callee in list {
                            callers.entry(*callee).or_default().push(me);
                        }
                    }
                    for &c in &call.closures {
                        callers.entry((fi as u32, c as u32)).or_default().push(me);
                    }
                    for (pos, path) in &call.fn_args {
                        for f in lookup(&absolute(file, path)).unwrap_or_default() {
                            fn_refs
                                .entry((fi as u32, call.id))
                                .or_default()
                                .push((*pos, f));
                        }
                    }
                    let id = call.id as usize;
                    if t.len() <= id {
                        t.resize(id + 1, Target::Unknown);
                    }
                    t[id] = target;
                };
                for call in &f.implied {
                    visit(call);
                }
                for_each_call(&f.body, &mut visit);
            }
            targets.push(t);
        }
        for list in callers.values_mut() {
            list.sort_unstable();
            list.dedup();
        }
        Program {
            files,
            catalog,
            targets,
            callers,
            fn_refs,
        }
    }

    /// Functions a call names as arguments (not calls): (argument index, function).
    pub fn fn_refs(&self, file: u32, call: u32) -> &[(u32, FnRef)] {
        self.fn_refs
            .get(&(file, call))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Both files belong to the same package (its library, binaries, tests and examples).
    /// Whether state created by code of file `origin` can be alive in code of file `file`: the
    /// same compilation unit, or a library unit the other links. Tests, benches and examples are
    /// binaries of their own: what they start is no cause at a fork in the library they call.
    pub fn runs_with(&self, origin: u32, file: u32) -> bool {
        let unit = |f: u32| self.files[f as usize].crate_name.as_str();
        let (from, to) = (unit(origin), unit(file));
        from == to
            || !["#tests/", "#benches/", "#examples/"]
                .iter()
                .any(|dir| from.contains(dir))
    }

    pub fn same_package(&self, a: u32, b: u32) -> bool {
        let package = |f: u32| package_of(&self.files[f as usize].crate_name);
        a == b || package(a) == package(b)
    }

    pub fn target(&self, file: u32, call: u32) -> &Target {
        self.targets[file as usize]
            .get(call as usize)
            .unwrap_or(&Target::Unknown)
    }

    pub fn function(&self, f: FnRef) -> &crate::ir::Function {
        &self.files[f.0 as usize].functions[f.1 as usize]
    }

    /// Whether any catalogue entry a call reaches has this effect.
    pub fn has_effect(&self, target: &Target, effect: Effect) -> bool {
        match target {
            Target::Apis(list) => list
                .iter()
                .any(|&i| self.catalog.apis[i].effects.contains(&effect)),
            _ => false,
        }
    }
}

fn resolve_call(
    file: &FileIr,
    call: &crate::ir::Call,
    catalog: &Catalog,
    lookup: &dyn Fn(&str) -> Option<Vec<FnRef>>,
    aliases: &HashMap<String, String>,
    methods: &HashMap<(String, String), Vec<FnRef>>,
    globals: &HashMap<String, FnRef>,
) -> Target {
    let user = |path: &str| lookup(&absolute(file, path));
    match &call.callee {
        Callee::Path(candidates) => {
            for cand in candidates {
                if !is_relative(cand) {
                    let apis = catalog.by_path(cand);
                    if !apis.is_empty() {
                        return Target::Apis(apis);
                    }
                }
                if let Some(found) = user(cand) {
                    return Target::Fns(found);
                }
                // An item the program re-exports from a library, such as a C function its
                // `extern "C"` block declares (`crate::sys::fork` is `libc::fork`).
                if let Some(real) = reexported(aliases, &absolute(file, cand)) {
                    let apis = catalog.by_path(&real);
                    if !apis.is_empty() {
                        return Target::Apis(apis);
                    }
                }
            }
            Target::Unknown
        }
        Callee::Method { name, ty } => {
            if let Some(ty) = ty {
                let path = format!("{ty}::{name}");
                if !is_relative(&path) {
                    let apis = catalog.by_path(&path);
                    if !apis.is_empty() {
                        return Target::Apis(apis);
                    }
                }
                if let Some(found) = user(&path) {
                    return Target::Fns(found);
                }
            }
            // `receiver = "global"` entries are Rust statics' guards; a Python module global
            // (which the Python frontend also marks) is no lock.
            let python = crate::frontend::Language::of(std::path::Path::new(&file.path))
                == Some(crate::frontend::Language::Python);
            let global = call.receiver_global.is_some() && !python;
            let apis = catalog.by_method(name, &file.crates_used, global);
            if !apis.is_empty() {
                return Target::Apis(apis);
            }
            if ty.is_none() && !STD_METHODS.contains(&name.as_str()) {
                if let Some(found) = methods.get(&(file.crate_name.clone(), name.clone())) {
                    if found.len() == 1 {
                        return Target::Fns(found.clone());
                    }
                }
            }
            Target::Unknown
        }
        Callee::Macro(path) => {
            let apis = catalog.by_macro(path, &file.crates_used);
            if apis.is_empty() {
                Target::Unknown
            } else {
                Target::Apis(apis)
            }
        }
        Callee::Local(_) => Target::Unknown,
        Callee::Global(path) => {
            let key = absolute(file, path);
            if let Some(init) = globals.get(&key) {
                return Target::Fns(vec![*init]);
            }
            if !is_relative(path) {
                let apis = catalog.by_path(path);
                if !apis.is_empty() {
                    return Target::Apis(apis);
                }
            }
            Target::Unknown
        }
    }
}

/// The package of a compilation unit id (`app#bin/tool` → `app`).
pub fn package_of(crate_id: &str) -> &str {
    crate_id.split('#').next().unwrap_or(crate_id)
}

/// `self::..`, `super::..`, `crate::..`: a path inside the file's own crate.
pub fn is_relative(path: &str) -> bool {
    path.starts_with("self") || path.starts_with("super") || path.starts_with("crate")
}

/// A file-relative path made absolute: `{crate_id}::module::..::item`.
pub fn absolute(file: &FileIr, path: &str) -> String {
    let mut module: Vec<&str> = file.module.iter().map(String::as_str).collect();
    let mut rest = path;
    let base_crate;
    if let Some(r) = rest.strip_prefix("crate") {
        module.clear();
        rest = r.strip_prefix("::").unwrap_or(r);
        base_crate = true;
    } else if rest == "self"
        || rest.starts_with("self::")
        || rest == "super"
        || rest.starts_with("super::")
    {
        base_crate = true;
        let mut segs = rest.split("::").peekable();
        let mut consumed = 0;
        while let Some(&s) = segs.peek() {
            match s {
                "self" => {}
                "super" => {
                    module.pop();
                }
                _ => break,
            }
            consumed += s.len() + 2;
            segs.next();
        }
        rest = rest.get(consumed..).unwrap_or("");
    } else {
        base_crate = false;
    }
    if !base_crate {
        return path.to_string();
    }
    let mut out = file.crate_name.clone();
    for m in module {
        out.push_str("::");
        out.push_str(m);
    }
    if !rest.is_empty() {
        out.push_str("::");
        out.push_str(rest);
    }
    out
}

/// Every call in a block, in order (closures are separate functions and not entered).
pub fn for_each_call(block: &Block, f: &mut dyn FnMut(&crate::ir::Call)) {
    for node in &block.nodes {
        match node {
            Node::Call(c) => f(c),
            Node::Branch(b) => {
                for arm in &b.arms {
                    for_each_call(&arm.body, f);
                }
            }
            Node::Loop { body, .. } | Node::Block(body) => for_each_call(body, f),
            _ => {}
        }
    }
}

/// Where a chain of re-exports of exactly this path ends, when it leaves the program.
fn reexported(aliases: &HashMap<String, String>, key: &str) -> Option<String> {
    let mut key = aliases.get(key)?.clone();
    for _ in 0..MAX_ALIAS_STEPS {
        match aliases.get(&key) {
            Some(next) if *next != key => key = next.clone(),
            _ => break,
        }
    }
    (!is_relative(&key)).then_some(key)
}

/// `#[path = "x.rs"] mod m;` puts x.rs at `parent::m` of the declaring file, whatever its name.
fn apply_path_attributes(files: &mut [FileIr]) {
    let by_path: HashMap<std::path::PathBuf, usize> = files
        .iter()
        .enumerate()
        .filter_map(|(i, f)| std::fs::canonicalize(&f.path).ok().map(|p| (p, i)))
        .collect();
    let mut moves = Vec::new();
    for file in files.iter() {
        let Some(dir) = std::path::Path::new(&file.path).parent() else {
            continue;
        };
        for decl in &file.mod_paths {
            let Ok(target) = std::fs::canonicalize(dir.join(&decl.file)) else {
                continue;
            };
            if let Some(&index) = by_path.get(&target) {
                let mut module = file.module.clone();
                module.extend(decl.parent.split("::").skip(1).map(str::to_string));
                module.push(decl.name.clone());
                moves.push((index, file.crate_name.clone(), module));
            }
        }
    }
    for (index, crate_name, module) in moves {
        files[index].crate_name = crate_name;
        files[index].module = module;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_paths() {
        let file = FileIr {
            crate_name: "app".into(),
            module: vec!["net".into(), "tcp".into()],
            ..Default::default()
        };
        assert_eq!(absolute(&file, "self::connect"), "app::net::tcp::connect");
        assert_eq!(
            absolute(&file, "super::pool::Pool::new"),
            "app::net::pool::Pool::new"
        );
        assert_eq!(absolute(&file, "crate::main"), "app::main");
        assert_eq!(absolute(&file, "libc::fork"), "libc::fork");
        assert_eq!(absolute(&file, "self"), "app::net::tcp");
    }
}
