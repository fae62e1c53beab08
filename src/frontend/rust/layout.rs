//! Where a file sits: the crate it belongs to (the nearest `Cargo.toml`) and its module path,
//! from the conventional layout (`src/lib.rs`, `src/a/mod.rs`, `src/a/b.rs`, `src/bin/x.rs`,
//! `tests/x.rs`, ...). `#[path]` declarations are applied later, once every file is lowered.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The crate a file belongs to and its module path inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// Unique per compilation unit: `name` for the library, `name#bin/x` for others.
    pub crate_id: String,
    pub module: Vec<String>,
}

/// Caches the package name found for each folder holding a `Cargo.toml`.
#[derive(Default)]
pub struct Layout {
    packages: Mutex<HashMap<PathBuf, Option<(PathBuf, String)>>>,
}

impl Layout {
    pub fn place(&self, file: &Path) -> Place {
        let Some((root, name)) = self.package_of(file) else {
            // A loose file is a crate of its own.
            return Place {
                crate_id: file.to_string_lossy().into_owned(),
                module: Vec::new(),
            };
        };
        let rel = file.strip_prefix(&root).unwrap_or(file);
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
                Place {
                    crate_id: format!("{name}#bin/{unit}"),
                    module,
                }
            }
            Some("src") => {
                let rest = &parts[1..];
                // Without a library, the other files under src/ are the binary's modules.
                let is_bin_root = rest == ["main.rs"] && root.join("src/lib.rs").is_file();
                let crate_id = if is_bin_root {
                    format!("{name}#bin/main")
                } else {
                    name.clone()
                };
                Place {
                    crate_id,
                    module: modules_of(rest),
                }
            }
            Some(dir @ ("tests" | "examples" | "benches")) if parts.len() >= 2 => {
                let unit = stem(&parts[1]);
                let module = if parts.len() == 2 {
                    Vec::new()
                } else {
                    modules_of(&parts[2..])
                };
                Place {
                    crate_id: format!("{name}#{dir}/{unit}"),
                    module,
                }
            }
            // build.rs, fixtures, scripts: each is a crate of its own.
            _ => Place {
                crate_id: file.to_string_lossy().into_owned(),
                module: Vec::new(),
            },
        }
    }

    fn package_of(&self, file: &Path) -> Option<(PathBuf, String)> {
        let mut dir = file.parent()?;
        loop {
            if let Some(found) = self.cached(dir) {
                return found;
            }
            let manifest = dir.join("Cargo.toml");
            if manifest.is_file() {
                let name = package_name(&manifest);
                let found = name.map(|n| (dir.to_path_buf(), n));
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

    fn cached(&self, dir: &Path) -> Option<Option<(PathBuf, String)>> {
        let map = self.packages.lock().unwrap_or_else(|e| e.into_inner());
        map.get(dir).cloned().filter(|v| v.is_some())
    }
}

/// `["a", "b.rs"]` → `[a, b]`; `["a", "mod.rs"]` → `[a]`; `["lib.rs"]` → `[]`.
fn modules_of(parts: &[String]) -> Vec<String> {
    let mut out: Vec<String> = parts
        .iter()
        .map(|p| p.strip_suffix(".rs").unwrap_or(p).to_string())
        .collect();
    if matches!(out.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        out.pop();
    }
    out
}

/// The `[package] name` of a manifest, `-` turned into `_` as rustc does.
fn package_name(manifest: &Path) -> Option<String> {
    let text = std::fs::read_to_string(manifest).ok()?;
    let value: toml::Table = toml::from_str(&text).ok()?;
    let name = value.get("package")?.get("name")?.as_str()?;
    Some(name.replace('-', "_"))
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
        std::fs::write(root.join("src/lib.rs"), "").unwrap();
        let layout = Layout::default();
        let place = |p: &str| layout.place(&root.join(p));
        assert_eq!(
            place("src/lib.rs"),
            Place {
                crate_id: "my_app".into(),
                module: vec![]
            }
        );
        assert_eq!(place("src/net/mod.rs").module, ["net"]);
        assert_eq!(place("src/net/tcp.rs").module, ["net", "tcp"]);
        assert_eq!(place("src/main.rs").crate_id, "my_app#bin/main");
        assert_eq!(
            place("src/bin/tool.rs"),
            Place {
                crate_id: "my_app#bin/tool".into(),
                module: vec![]
            }
        );
        assert_eq!(place("tests/it.rs").crate_id, "my_app#tests/it");
    }
}
