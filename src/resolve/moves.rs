//! `#[path = "x.rs"] mod m;` puts x.rs at `parent::m` of the declaring file, whatever its name
//! or folder: the one way a file's place in the module tree differs from its layout. And
//! `#[cfg(windows)] mod m;` takes the files at `parent::m` out of every Unix build.

use crate::ir::FileIr;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// A place in the module tree: (crate id, module).
pub type Place = (String, Vec<String>);

/// Where the `#[path]` declarations of `irs` put files: by the named file's canonical path, every
/// place a declaration gives it, in the order of `irs`.
pub fn declared<'a>(irs: impl IntoIterator<Item = &'a FileIr>) -> HashMap<PathBuf, Vec<Place>> {
    let mut targets: HashMap<PathBuf, Vec<Place>> = HashMap::new();
    for ir in irs {
        let Some(dir) = Path::new(&ir.path).parent() else {
            continue;
        };
        for decl in &ir.mod_paths {
            let Ok(target) = std::fs::canonicalize(dir.join(&decl.file)) else {
                continue;
            };
            let mut module = ir.module.clone();
            module.extend(decl.parent.split("::").skip(1).map(str::to_string));
            module.push(decl.name.clone());
            targets
                .entry(target)
                .or_default()
                .push((ir.crate_name.clone(), module));
        }
    }
    targets
}

/// The files (by position in `paths`) that declarations move, each with its places. Only files
/// whose name a declaration ends with are looked up on disk.
pub fn moved<P: AsRef<Path>>(
    paths: impl IntoIterator<Item = P>,
    targets: &HashMap<PathBuf, Vec<Place>>,
) -> Vec<(usize, &[Place])> {
    if targets.is_empty() {
        return Vec::new();
    }
    let names: HashSet<&std::ffi::OsStr> = targets.keys().filter_map(|t| t.file_name()).collect();
    let mut out = Vec::new();
    for (i, path) in paths.into_iter().enumerate() {
        let path = path.as_ref();
        if !path.file_name().is_some_and(|n| names.contains(n)) {
            continue;
        }
        if let Some(places) = std::fs::canonicalize(path)
            .ok()
            .and_then(|c| targets.get(&c))
        {
            out.push((i, places.as_slice()));
        }
    }
    out
}

/// Moves each file a declaration names to its place (the last declaration naming it wins).
pub fn apply(files: &mut [FileIr]) {
    let targets = declared(files.iter());
    let moves: Vec<(usize, Place)> = moved(files.iter().map(|f| Path::new(&f.path)), &targets)
        .into_iter()
        .filter_map(|(i, places)| places.last().map(|p| (i, p.clone())))
        .collect();
    // A moved file is of the kind (library or binary) of the crate it joins.
    let library: HashSet<String> = files
        .iter()
        .filter(|f| f.library)
        .map(|f| f.crate_name.clone())
        .collect();
    for (i, (crate_name, module)) in moves {
        files[i].library = library.contains(&crate_name);
        files[i].crate_name = crate_name;
        files[i].module = module;
    }
}

/// Leaves out the files of modules that a declaration compiles only off Unix (`#[cfg(windows)]
/// mod service;`): a thread such a module starts never runs in a process that can fork. Run
/// after [`apply`], so that a moved file is judged at its place.
pub fn drop_absent(files: &mut Vec<FileIr>) {
    // By crate, the module paths left out.
    let mut absent: HashMap<String, HashSet<Vec<String>>> = HashMap::new();
    for ir in files.iter() {
        for decl in &ir.absent_mods {
            let mut module = ir.module.clone();
            module.extend(decl.split("::").skip(1).map(str::to_string));
            absent
                .entry(ir.crate_name.clone())
                .or_default()
                .insert(module);
        }
    }
    if absent.is_empty() {
        return;
    }
    files.retain(|ir| {
        absent
            .get(&ir.crate_name)
            .is_none_or(|mods| !(1..=ir.module.len()).any(|n| mods.contains(&ir.module[..n])))
    });
}
