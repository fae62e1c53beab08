//! Path rules: a path written in a file made absolute in its crate, which paths stay inside the
//! crate, compilation units and packages, and the prefixes of a key a `use` may rewrite.

use crate::ir::FileIr;

/// A lookup follows at most this many `use` re-exports, in the linker and in the prefilter.
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

/// The package of a compilation unit id (`app#bin/tool` → `app`).
pub fn package_of(crate_id: &str) -> &str {
    crate_id.split('#').next().unwrap_or(crate_id)
}

/// `self::..`, `super::..`, `crate::..`: a path inside the file's own crate.
pub fn is_relative(path: &str) -> bool {
    path.starts_with("self") || path.starts_with("super") || path.starts_with("crate")
}

/// The key a path that leaves the program by its first segment has when that segment is one of
/// the crate's own top-level modules instead: in edition 2015 every `use` path starts at the
/// crate root (`use cmd::Request;` in any module names the crate's `cmd`). Tried after the key
/// outside the program, so a crate of that name that is scanned comes first. Later editions
/// never read a path so: there, trying it would only make work.
pub fn crate_rooted(place: &FileIr, path: &str) -> Option<String> {
    if !place.edition_2015 {
        return None;
    }
    let (first, _) = path.split_once("::")?;
    let own = first == place.crate_name || first == package_of(&place.crate_name);
    let outside = matches!(first, "" | "std" | "core" | "alloc" | "libc");
    (!is_relative(path) && !own && !outside).then(|| format!("{}::{path}", place.crate_name))
}

/// The last segment of a path: the name a call or a definition is written with.
pub fn last_segment(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path)
}

/// A file-relative path made absolute: `{crate_id}::module::..::item`.
/// Whether a function's key lies in its own file's crate. A method of `impl From<X> for
/// std::path::PathBuf` (or of an impl for another crate's type) is keyed under the other
/// crate's path, and only its own package's calls reach it (`Tables::foreign`).
pub fn in_own_crate(file: &FileIr, key: &str) -> bool {
    key.strip_prefix(file.crate_name.as_str())
        .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
}

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

/// The ends of a key's prefixes at `::` boundaries, shortest first, then the whole key: where a
/// `use` bound at `key[..end]` rewrites the key to its target followed by `key[end..]`.
pub fn prefix_ends(key: &str) -> Vec<usize> {
    let mut ends: Vec<usize> = key.match_indices("::").map(|(i, _)| i).collect();
    ends.push(key.len());
    ends
}

/// Where a lookup that found nothing at `key`, and no `use` to follow, looks for a module's
/// `pub use target::*`: the module of the key's item, then the module of its type
/// (`sys::detach`, `sys::Pty::open`), as ends of the key's prefixes. A lookup follows one glob
/// at most: a glob names every item of its target, so a second one would only multiply guesses
/// (and a module that globs its own submodule, `pub use self::imp::*`, would go round forever).
pub fn glob_ends(key: &str) -> impl Iterator<Item = usize> + '_ {
    key.rmatch_indices("::").map(|(i, _)| i).take(2)
}

/// The key a `use` bound at `key[..end]` with this target rewrites `key` to.
pub fn rewrite(key: &str, end: usize, target: &str) -> String {
    format!("{target}{}", &key[end..])
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

    #[test]
    fn prefixes_and_rewrites() {
        let key = "app::sys::Pool::new";
        let ends = prefix_ends(key);
        let prefixes: Vec<&str> = ends.iter().map(|&e| &key[..e]).collect();
        assert_eq!(prefixes, ["app", "app::sys", "app::sys::Pool", key]);
        assert_eq!(rewrite(key, ends[1], "nix"), "nix::Pool::new");
        let globs: Vec<&str> = glob_ends(key).map(|e| &key[..e]).collect();
        assert_eq!(globs, ["app::sys::Pool", "app::sys"]);
        assert_eq!(glob_ends("app").count(), 0);
    }
}
