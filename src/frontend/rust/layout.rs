//! Where a file sits: the crate it belongs to and its module path, found from the files
//! themselves so that every spelling of the same files gives the same places. Inside a package
//! (the nearest `Cargo.toml` above the file, however the path was written) the conventional
//! layout decides (`src/lib.rs`, `src/a/mod.rs`, `src/a/b.rs`, `src/bin/x.rs`, `tests/x.rs`, ...);
//! elsewhere a file belongs to the `main.rs`/`lib.rs` above it whose `mod` declarations lead to
//! it, as rustc would resolve them. `#[path]` declarations are applied later, once every file is
//! lowered.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::source::paths::absolute;

/// The crate a file belongs to and its module path inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// Unique per compilation unit: `name` for the library, `name#bin/x` for others, the root
    /// file's absolute path for a crate without a manifest.
    pub crate_id: String,
    pub module: Vec<String>,
    /// The package's manifest sets no edition (or 2015): every `use` path starts at the crate
    /// root. A file under no manifest says nothing (rustc's own default would be 2015, but code
    /// found without a manifest is most often newer): the extra lookup stays off there.
    pub edition_2015: bool,
    /// The crate is a library (a package's `lib` target, or a `lib.rs` root without a
    /// manifest): its public functions are called by code outside it.
    pub library: bool,
    /// For a binary's root: its modules that are the library's files too (`mod pty;` in both
    /// roots), as (`self::pty`, the library's `pty`): its calls through them reach those files.
    pub shared: Vec<(String, String)>,
}

/// What a manifest says about where its crates' roots are.
#[derive(Debug, Clone)]
struct Package {
    root: PathBuf,
    /// The library's crate name (`[lib] name`, else the package's, `-` turned into `_`); the
    /// other targets' ids start with it too.
    name: String,
    /// `[lib] path`, when given.
    lib: Option<PathBuf>,
    /// `[[bin]]` targets with a `path`: name and root file.
    bins: Vec<(String, PathBuf)>,
    /// Normal dependencies (any target's), by library crate name.
    links: Vec<String>,
    /// `package.edition` is absent or "2015".
    edition_2015: bool,
}

impl Package {
    /// The library's root file, when there is one.
    fn lib_root(&self) -> Option<PathBuf> {
        let conventional = self.root.join("src/lib.rs");
        self.lib
            .clone()
            .filter(|l| l.is_file())
            .or_else(|| conventional.is_file().then_some(conventional))
    }

    /// The root files of the package's programs: `[[bin]]` paths and `src/main.rs`.
    fn program_roots(&self) -> impl Iterator<Item = PathBuf> + '_ {
        let main = self.root.join("src/main.rs");
        self.bins
            .iter()
            .map(|(_, p)| p.clone())
            .chain(main.is_file().then_some(main))
    }
}

/// Caches the package found for each folder holding a `Cargo.toml`, and the `mod` names each
/// file declares.
#[derive(Default)]
pub struct Layout {
    packages: Mutex<HashMap<PathBuf, Option<Package>>>,
    declared: Mutex<HashMap<PathBuf, HashSet<String>>>,
}

/// How many folders up a file without a manifest looks for the root that declares it.
const MAX_LOOSE_DEPTH: usize = 16;

impl Layout {
    pub fn place(&self, file: &Path) -> Place {
        let file = absolute(file);
        let Some(package) = self.package_of(&file) else {
            return self.loose(&file, None);
        };
        let mut place = self.place_in(&package, &file);
        // A module a binary's root declares as well as the library's (`mod sandbox;` in both,
        // beside each other) is compiled into the program too: its callers are in the tree,
        // and the binary's calls through its own `mod` reach the library's copy.
        let Some(lib) = package.lib_root() else {
            return place;
        };
        let dir = lib.parent().unwrap_or(&package.root);
        let programs: Vec<PathBuf> = package
            .program_roots()
            .filter(|p| *p != lib && p.parent() == Some(dir))
            .collect();
        if place.library && !place.module.is_empty() {
            place.library = !programs
                .iter()
                .any(|p| self.declares_chain(p, dir, &place.module));
        }
        if programs.contains(&file) {
            let mut shared: Vec<String> = self
                .declared_in(&file)
                .into_iter()
                .filter(|m| self.declares(&lib, m))
                .collect();
            shared.sort();
            place.shared = shared
                .into_iter()
                .map(|m| (format!("self::{m}"), format!("{}::{m}", package.name)))
                .collect();
        }
        place
    }

    /// Where `file` sits in `package`, by its manifest and the conventional layout.
    fn place_in(&self, package: &Package, file: &Path) -> Place {
        let file = file.to_path_buf();
        let (root, name) = (&package.root, &package.name);
        let edition_2015 = package.edition_2015;
        // Without a library, the files under src/ are the binary's modules, named as one.
        let has_lib = || package.lib_root().is_some();
        let place = |crate_id: String, module: Vec<String>| Place {
            library: crate_id == *name && has_lib(),
            crate_id,
            module,
            edition_2015,
            shared: Vec::new(),
        };
        // Targets the manifest places itself (`[lib] path = "lib.rs"`, `[[bin]] path = ..`).
        let declared = package.lib.iter().map(|lib| (lib, name.clone())).chain(
            package
                .bins
                .iter()
                .map(|(bin, path)| (path, format!("{name}#bin/{bin}"))),
        );
        for (target, crate_id) in declared {
            if let Some(module) = self.module_under(target, &file) {
                return place(crate_id, module);
            }
        }
        let rel = file.strip_prefix(root).unwrap_or(&file);
        let parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let stem = |s: &str| s.strip_suffix(".rs").unwrap_or(s).to_string();
        match parts.first().map(String::as_str) {
            Some("src") if parts.get(1).map(String::as_str) == Some("bin") => {
                let unit = stem(parts.get(2).map(String::as_str).unwrap_or("main"));
                let module = modules_of(&parts[3.min(parts.len())..]);
                let module = if parts.len() == 3 { Vec::new() } else { module };
                place(format!("{name}#bin/{unit}"), module)
            }
            Some("src") => {
                let rest = &parts[1..];
                let is_bin_root = rest == ["main.rs"] && has_lib();
                let crate_id = if is_bin_root {
                    format!("{name}#bin/main")
                } else {
                    name.clone()
                };
                place(crate_id, modules_of(rest))
            }
            Some(dir @ ("tests" | "examples" | "benches")) if parts.len() >= 2 => {
                if parts.len() > 2 {
                    // `tests/common/mod.rs` is no target of its own: it is the `common` module
                    // of each target beside it that declares `mod common;` (the first, by name,
                    // stands for all of them).
                    let module = modules_of(&parts[1..]);
                    if let Some(unit) = self.declaring_target(&root.join(dir), &module) {
                        return place(format!("{name}#{dir}/{unit}"), module);
                    }
                }
                let unit = stem(&parts[1]);
                let module = if parts.len() == 2 {
                    Vec::new()
                } else {
                    modules_of(&parts[2..])
                };
                place(format!("{name}#{dir}/{unit}"), module)
            }
            // build.rs, fixtures, scripts: crates of their own, unless a root beside them
            // declares them.
            _ => self.loose(&file, Some(root)),
        }
    }

    /// A file outside a package's conventional layout: a module of the nearest `main.rs` or
    /// `lib.rs` above it (not above `stop`) whose chain of `mod` declarations reaches it;
    /// otherwise a crate of its own.
    fn loose(&self, file: &Path, stop: Option<&Path>) -> Place {
        let mut dir = file.parent();
        for _ in 0..MAX_LOOSE_DEPTH {
            let Some(d) = dir else { break };
            let rel: Vec<String> = file
                .strip_prefix(d)
                .unwrap_or(file)
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            let module = modules_of(&rel);
            for root in ["main.rs", "lib.rs"] {
                let root = d.join(root);
                if root != file && !module.is_empty() && self.declares_chain(&root, d, &module) {
                    return Place {
                        library: root.ends_with("lib.rs"),
                        shared: Vec::new(),
                        crate_id: root.to_string_lossy().into_owned(),
                        module,
                        edition_2015: false,
                    };
                }
            }
            if stop == Some(d) {
                break;
            }
            dir = d.parent();
        }
        Place {
            library: file.ends_with("lib.rs"),
            shared: Vec::new(),
            crate_id: file.to_string_lossy().into_owned(),
            module: Vec::new(),
            edition_2015: false,
        }
    }

    /// The module path of `file` in the crate whose root file is `target`: empty for the root
    /// itself, the chain of `mod` declarations from it otherwise.
    fn module_under(&self, target: &Path, file: &Path) -> Option<Vec<String>> {
        if file == target {
            return Some(Vec::new());
        }
        let dir = target.parent()?;
        let rel: Vec<String> = file
            .strip_prefix(dir)
            .ok()?
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let module = modules_of(&rel);
        (!module.is_empty() && self.declares_chain(target, dir, &module)).then_some(module)
    }

    /// The first target file directly in `dir` (`tests/it.rs`, by name) whose chain of `mod`
    /// declarations reaches `module`, as its unit name.
    fn declaring_target(&self, dir: &Path, module: &[String]) -> Option<String> {
        if module.is_empty() {
            return None;
        }
        let mut roots: Vec<PathBuf> = std::fs::read_dir(dir)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "rs") && p.is_file())
            .collect();
        roots.sort();
        roots
            .into_iter()
            .find(|root| self.declares_chain(root, dir, module))
            .and_then(|root| Some(root.file_stem()?.to_string_lossy().into_owned()))
    }

    /// Whether `root` (in `dir`) declares `mod a;`, its file `a.rs` or `a/mod.rs` declares
    /// `mod b;`, and so on down `module`.
    fn declares_chain(&self, root: &Path, dir: &Path, module: &[String]) -> bool {
        let (mut declarer, mut dir) = (root.to_path_buf(), dir.to_path_buf());
        for (i, name) in module.iter().enumerate() {
            if !self.declares(&declarer, name) {
                return false;
            }
            if i + 1 == module.len() {
                return true;
            }
            let flat = dir.join(format!("{name}.rs"));
            dir = dir.join(name);
            declarer = if flat.is_file() {
                flat
            } else {
                dir.join("mod.rs")
            };
        }
        false
    }

    fn declares(&self, file: &Path, name: &str) -> bool {
        self.with_declared(file, |mods| mods.contains(name))
    }

    /// The `mod name;` declarations of `file`.
    fn declared_in(&self, file: &Path) -> Vec<String> {
        self.with_declared(file, |mods| mods.iter().cloned().collect())
    }

    fn with_declared<T>(&self, file: &Path, read: impl FnOnce(&HashSet<String>) -> T) -> T {
        let mut cache = self.declared.lock().unwrap_or_else(|e| e.into_inner());
        read(cache.entry(file.to_path_buf()).or_insert_with(|| {
            std::fs::read_to_string(file)
                .map(|text| declared_mods(&text))
                .unwrap_or_default()
        }))
    }

    fn package_of(&self, file: &Path) -> Option<Package> {
        let mut dir = file.parent()?;
        loop {
            if let Some(found) = self.cached(dir) {
                return found;
            }
            let manifest = dir.join("Cargo.toml");
            if manifest.is_file() {
                let found = read_package(dir, &manifest);
                self.packages
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(dir.to_path_buf(), found.clone());
                if found.is_some() {
                    return found;
                }
            }
            dir = dir.parent()?;
        }
    }

    /// The packages whose libraries a package's binaries link: its dependencies among the
    /// packages placed so far, and theirs, by library crate name (the package itself aside).
    pub fn linked(&self, package: &str) -> Vec<String> {
        let map = self.packages.lock().unwrap_or_else(|e| e.into_inner());
        let by_name: HashMap<&str, &Package> = map
            .values()
            .flatten()
            .map(|p| (p.name.as_str(), p))
            .collect();
        let mut seen: HashSet<&str> = HashSet::from([package]);
        let mut todo = vec![package];
        while let Some(p) = todo.pop() {
            for next in by_name
                .get(p)
                .map(|p| p.links.as_slice())
                .unwrap_or_default()
            {
                if by_name.contains_key(next.as_str()) && seen.insert(next) {
                    todo.push(next);
                }
            }
        }
        seen.remove(package);
        let mut out: Vec<String> = seen.into_iter().map(str::to_string).collect();
        out.sort();
        out
    }

    fn cached(&self, dir: &Path) -> Option<Option<Package>> {
        let map = self.packages.lock().unwrap_or_else(|e| e.into_inner());
        map.get(dir).cloned().filter(|v| v.is_some())
    }
}

/// The names of `mod name;` declarations in a file's text (the ones that load another file).
fn declared_mods(text: &str) -> HashSet<String> {
    let mut out = HashSet::new();
    let bytes = text.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut from = 0;
    while let Some(at) = text[from..].find("mod").map(|i| i + from) {
        from = at + 3;
        if at > 0 && word(bytes[at - 1])
            || !bytes.get(from).is_some_and(|b| b.is_ascii_whitespace())
        {
            continue;
        }
        let rest = text[from..].trim_start();
        let rest = rest.strip_prefix("r#").unwrap_or(rest);
        let len = rest.bytes().take_while(|&b| word(b)).count();
        if len > 0 && rest[len..].trim_start().starts_with(';') {
            out.insert(rest[..len].to_string());
        }
    }
    out
}

/// `["a", "b.rs"]` → `[a, b]`; `["a", "mod.rs"]` → `[a]`; `["lib.rs"]` → `[]`. Only a crate
/// root is named `lib.rs`/`main.rs`: below it (`a/main.rs` of `pub mod main;`) that is a module
/// like any other.
fn modules_of(parts: &[String]) -> Vec<String> {
    let mut out: Vec<String> = parts
        .iter()
        .map(|p| p.strip_suffix(".rs").unwrap_or(p).to_string())
        .collect();
    let root = out.len() == 1 && matches!(out[0].as_str(), "lib" | "main");
    if root || out.last().is_some_and(|p| p == "mod") {
        out.pop();
    }
    out
}

/// A manifest's package: its library's crate name (`-` turned into `_` as rustc does) and the
/// target roots it declares; `None` for a manifest without `[package]` (a workspace).
fn read_package(root: &Path, manifest: &Path) -> Option<Package> {
    let text = std::fs::read_to_string(manifest).ok()?;
    let value: toml::Table = toml::from_str(&text).ok()?;
    let package_table = value.get("package")?;
    let package = package_table.get("name")?.as_str()?;
    // A workspace-inherited edition (`edition.workspace = true`) is a table: never 2015 in practice.
    let edition_2015 = package_table
        .get("edition")
        .is_none_or(|e| e.as_str() == Some("2015"));
    let lib = value.get("lib");
    let name = lib
        .and_then(|l| l.get("name"))
        .and_then(|n| n.as_str())
        .unwrap_or(package)
        .replace('-', "_");
    let path_of = |t: &toml::Value| {
        t.get("path")
            .and_then(|p| p.as_str())
            .map(|p| absolute(&root.join(p)))
    };
    let bins = value
        .get("bin")
        .and_then(|b| b.as_array())
        .into_iter()
        .flatten()
        .filter_map(|b| {
            let bin = b.get("name").and_then(|n| n.as_str()).unwrap_or(package);
            Some((bin.to_string(), path_of(b)?))
        })
        .collect();
    Some(Package {
        root: root.to_path_buf(),
        name,
        lib: lib.and_then(path_of),
        bins,
        links: dependencies(&value),
        edition_2015,
    })
}

/// The library crate names of a manifest's normal dependencies, for every target (`[dependencies]`
/// and `[target.'cfg(..)'.dependencies]`): a renamed one (`x = { package = "y" }`) is `y`'s.
fn dependencies(manifest: &toml::Table) -> Vec<String> {
    let tables = manifest.get("dependencies").into_iter().chain(
        manifest
            .get("target")
            .and_then(|t| t.as_table())
            .into_iter()
            .flat_map(|t| t.values())
            .filter_map(|t| t.get("dependencies")),
    );
    let mut out: Vec<String> = tables
        .filter_map(|t| t.as_table())
        .flat_map(|t| t.iter())
        .map(|(key, spec)| {
            spec.get("package")
                .and_then(|p| p.as_str())
                .unwrap_or(key)
                .replace('-', "_")
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conventional_layout() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("Cargo.toml"), "[package]\nname = \"my-app\"\n").unwrap();
        std::fs::create_dir(root.join("src")).unwrap();
        let layout = Layout::default();
        assert_eq!(
            layout.place(&root.join("src/main.rs")).crate_id,
            "my_app",
            "no lib: one crate"
        );
        assert!(
            !layout.place(&root.join("src/cli.rs")).library,
            "a binary's module"
        );
        std::fs::write(root.join("src/lib.rs"), "").unwrap();
        let layout = Layout::default();
        let place = |p: &str| layout.place(&root.join(p));
        assert_eq!(
            place("src/lib.rs"),
            Place {
                crate_id: "my_app".into(),
                module: vec![],
                edition_2015: true,
                library: true,
                shared: Vec::new(),
            }
        );
        assert_eq!(place("src/net/mod.rs").module, ["net"]);
        assert_eq!(place("src/net/tcp.rs").module, ["net", "tcp"]);
        assert_eq!(place("src/main.rs").crate_id, "my_app#bin/main");
        assert_eq!(
            place("src/bin/tool.rs"),
            Place {
                crate_id: "my_app#bin/tool".into(),
                module: vec![],
                edition_2015: true,
                library: false,
                shared: Vec::new(),
            }
        );
        assert_eq!(place("tests/it.rs").crate_id, "my_app#tests/it");
        assert!(place("src/net/tcp.rs").library && !place("src/main.rs").library);
        assert!(!place("tests/it.rs").library);
        std::fs::write(
            root.join("Cargo.toml"),
            "[package]\nname = \"my-app\"\nedition = \"2021\"\n",
        )
        .unwrap();
        assert!(
            !Layout::default()
                .place(&root.join("src/lib.rs"))
                .edition_2015
        );
    }

    /// Writes `files` (path under `root`, text), making their folders.
    fn write_tree(root: &Path, files: &[(&str, &str)]) {
        for (name, text) in files {
            let path = root.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }

    #[test]
    fn a_module_of_both_roots_belongs_to_the_program() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let files = [
            (
                "Cargo.toml",
                "[package]\nname = \"two-roots\"\nedition = \"2021\"\n[lib]\npath = \"rs/lib.rs\"\n[[bin]]\nname = \"cli\"\npath = \"rs/main.rs\"\n",
            ),
            ("rs/lib.rs", "pub mod pty;\npub mod api;\n"),
            ("rs/main.rs", "mod pty;\nmod cli;\n"),
            ("rs/pty.rs", ""),
            ("rs/api.rs", ""),
            ("rs/cli.rs", ""),
        ];
        write_tree(root, &files);
        let layout = Layout::default();
        let place = |p: &str| layout.place(&root.join(p));
        assert_eq!(place("rs/pty.rs").crate_id, "two_roots");
        assert!(!place("rs/pty.rs").library, "the program compiles it too");
        assert!(place("rs/api.rs").library, "the library's alone");
        assert_eq!(
            place("rs/main.rs").shared,
            [("self::pty".to_string(), "two_roots::pty".to_string())]
        );
        assert!(place("rs/lib.rs").shared.is_empty());
    }

    #[test]
    fn without_a_manifest_mod_declarations_place_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let files = [
            ("main.rs", "mod net;\nmod pool;\n"),
            ("pool.rs", "pub fn f() {}\n"),
            ("net/mod.rs", "mod server;\n"),
            ("net/server.rs", "pub fn g() {}\n"),
            ("stray.rs", ""),
            ("tools/gen.rs", ""),
        ];
        write_tree(root, &files);
        let layout = Layout::default();
        let main = absolute(&root.join("main.rs"))
            .to_string_lossy()
            .into_owned();
        let place = |p: &str| layout.place(&root.join(p));
        assert_eq!(place("main.rs").crate_id, main);
        assert_eq!(
            place("net/server.rs"),
            Place {
                crate_id: main.clone(),
                module: vec!["net".into(), "server".into()],
                edition_2015: false,
                library: false,
                shared: Vec::new(),
            }
        );
        assert_eq!(place("net/mod.rs").module, ["net"]);
        assert_eq!(place("pool.rs").crate_id, main);
        assert_eq!(place("net/../net/./server.rs").crate_id, main);
        assert_ne!(
            place("stray.rs").crate_id,
            main,
            "not declared: its own crate"
        );
        assert_ne!(place("tools/gen.rs").crate_id, main);
    }

    #[test]
    fn declared_mods_are_file_modules_only() {
        let found = declared_mods(
            "mod a;\npub(crate) mod b ;\nmod c { }\nfn mode() {}\nmod r#d;\nmodx e;\n",
        );
        let mut found: Vec<_> = found.into_iter().collect();
        found.sort();
        assert_eq!(found, ["a", "b", "d"]);
    }
}
