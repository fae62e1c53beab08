//! multiprocessing's start method is one setting of the process: `set_start_method("spawn")` in
//! a training script's `main` decides how a `DataLoader` or a `Pool` built by a module it calls
//! starts its workers. Each file folds its own call into its fork points when it is lowered;
//! here the setting reaches the default-context fork points of the modules the setting module
//! calls into, directly or through others. A module with its own `set_start_method`, or one
//! reached from modules that set different methods, keeps its own reading.

use super::link::{for_each_call_mut, is_python, prefix};
use crate::ir::{Callee, FileIr};
use std::collections::{HashMap, HashSet};

/// The markers the lowerer leaves on a fork point that uses the default context.
const DEFAULT_MARKERS: [&str; 2] = ["@default", "@assumed"];

pub fn link(irs: &mut [FileIr]) {
    if !irs.iter().any(|ir| ir.sets_start_method.is_some()) {
        return;
    }
    let by_module: HashMap<String, usize> = irs
        .iter()
        .enumerate()
        .filter(|(_, ir)| is_python(ir))
        .map(|(i, ir)| (prefix(ir), i))
        .collect();
    // file -> the start methods of the setting modules that reach it.
    let mut set_by: HashMap<usize, HashSet<String>> = HashMap::new();
    for (i, ir) in irs.iter().enumerate() {
        let Some(method) = ir.sets_start_method.as_deref() else {
            continue;
        };
        for reached in reached_from(irs, &by_module, i) {
            set_by
                .entry(reached)
                .or_default()
                .insert(method.to_string());
        }
    }
    for (i, methods) in set_by {
        let ir = &mut irs[i];
        if ir.sets_start_method.is_some() || methods.len() != 1 {
            continue;
        }
        let Some(to) = methods.iter().next().map(|m| format!("@{m}")) else {
            continue;
        };
        let retype = |path: &mut String| {
            for marker in DEFAULT_MARKERS {
                if path.contains(marker) {
                    *path = path.replace(marker, &to);
                }
            }
        };
        for f in &mut ir.functions {
            for_each_call_mut(&mut f.body, &mut |call| match &mut call.callee {
                Callee::Path(paths) => paths.iter_mut().for_each(retype),
                Callee::Method { ty: Some(ty), .. } => retype(ty),
                _ => {}
            });
        }
    }
}

/// The modules whose functions `start` calls, and those they call, by the call paths.
fn reached_from(irs: &[FileIr], by_module: &HashMap<String, usize>, start: usize) -> Vec<usize> {
    let mut seen = HashSet::from([start]);
    let mut todo = vec![start];
    let mut out = Vec::new();
    while let Some(i) = todo.pop() {
        let mut paths = Vec::new();
        for f in &irs[i].functions {
            crate::analysis::program::for_each_call(&f.body, &mut |call| {
                if let Callee::Path(p) = &call.callee {
                    paths.extend(p.iter().cloned());
                }
            });
        }
        for path in paths {
            // `pkg::mod::fn` names the module `pkg::mod` (or `pkg`, for a package's function).
            let mut end = path.len();
            while let Some(at) = path[..end].rfind("::") {
                end = at;
                if let Some(&j) = by_module.get(&path[..end]) {
                    if seen.insert(j) {
                        out.push(j);
                        todo.push(j);
                    }
                    break;
                }
            }
        }
    }
    out
}
