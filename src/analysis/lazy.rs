//! Which module globals may hold a lazily connecting client (a redis-py client connects on its
//! first command): the only globals whose commands a summary must carry up to its callers.
//!
//! A lazy client gets its global in two ways: the constructor's value is bound to the global
//! (`_client = Redis()`), or a method called on the global keeps, in a field of that object, a
//! lazy client its callee made (`conn.setup()` storing `self.client`). Both are calls whose
//! receiver is the global and whose targets may hand back a lazy client: a lazy constructor, or a
//! function from which one is reachable through the calls summaries are carried along.

use super::program::{for_each_call, FnRef, Target};
use crate::catalog::Catalog;
use crate::ir::{Callee, FileIr};
use crate::resolve::absolute;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The absolute paths of the globals that may hold a lazy client, given each file's call
/// targets (by call id), the callers of each function and the functions calls name as
/// arguments; with each, the members that send it a command when its constructor is bound to
/// it directly and lists them (else none: any method does).
pub fn lazy_globals(
    files: &[FileIr],
    targets: &[Vec<Target>],
    callers: &HashMap<FnRef, Vec<FnRef>>,
    fn_refs: &HashMap<(u32, u32), Vec<(u32, FnRef)>>,
    catalog: &Catalog,
) -> HashMap<String, Arc<[String]>> {
    let target = |fi: usize, id: u32| targets.get(fi).and_then(|t| t.get(id as usize));
    let lazy_api = |t: Option<&Target>| match t {
        Some(Target::Apis(list)) => list.iter().any(|&i| catalog.apis[i].lazy),
        _ => false,
    };
    // Functions that call a lazy constructor, then everything that calls them.
    let mut reaching: HashSet<FnRef> = HashSet::new();
    for (fi, file) in files.iter().enumerate() {
        for (i, f) in file.functions.iter().enumerate() {
            let mut found = false;
            let mut visit = |call: &crate::ir::Call| found |= lazy_api(target(fi, call.id));
            f.implied.iter().for_each(&mut visit);
            for_each_call(&f.body, &mut visit);
            if found {
                reaching.insert((fi as u32, i as u32));
            }
        }
    }
    if reaching.is_empty() {
        return HashMap::new();
    }
    // The files whose calls name each function: which function of the file holds the call does
    // not matter here, every function of such a file is taken (once per file, not per name).
    let mut naming_files: HashMap<FnRef, Vec<u32>> = HashMap::new();
    for (&(fi, _), refs) in fn_refs {
        for &(_, f) in refs {
            naming_files.entry(f).or_default().push(fi);
        }
    }
    let mut files_taken: HashSet<u32> = HashSet::new();
    let mut stack: Vec<FnRef> = reaching.iter().copied().collect();
    while let Some(f) = stack.pop() {
        let mut up: Vec<FnRef> = callers.get(&f).cloned().unwrap_or_default();
        for &fi in naming_files.get(&f).into_iter().flatten() {
            if files_taken.insert(fi) {
                up.extend((0..files[fi as usize].functions.len()).map(|i| (fi, i as u32)));
            }
        }
        for g in up {
            if reaching.insert(g) {
                stack.push(g);
            }
        }
    }
    let mut out: HashMap<String, Arc<[String]>> = HashMap::new();
    for (fi, file) in files.iter().enumerate() {
        for f in &file.functions {
            let mut visit = |call: &crate::ir::Call| {
                let global = match &call.callee {
                    Callee::Global(g) => Some(g),
                    _ => call.receiver_global.as_ref(),
                };
                let Some(global) = global else {
                    return;
                };
                let t = target(fi, call.id);
                let hands_back = lazy_api(t)
                    || matches!(t, Some(Target::Fns(list)) if list.iter().any(|g| reaching.contains(g)))
                    || call
                        .closures
                        .iter()
                        .any(|&c| reaching.contains(&(fi as u32, c as u32)))
                    || fn_refs
                        .get(&(fi as u32, call.id))
                        .is_some_and(|refs| refs.iter().any(|(_, g)| reaching.contains(g)));
                if hands_back {
                    let commands: Arc<[String]> = match t {
                        Some(Target::Apis(list)) => list
                            .iter()
                            .map(|&i| &catalog.apis[i])
                            .find(|a| a.lazy)
                            .map_or_else(Default::default, |a| a.commands.as_slice().into()),
                        _ => Default::default(),
                    };
                    // Held by more than one client: any method may be a command.
                    out.entry(absolute(file, global))
                        .and_modify(|known| {
                            if *known != commands {
                                *known = Default::default();
                            }
                        })
                        .or_insert(commands);
                }
            };
            f.implied.iter().for_each(&mut visit);
            for_each_call(&f.body, &mut visit);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::analysis::program::Program;
    use crate::catalog::Catalog;
    use crate::frontend::rust::layout::Layout;
    use std::path::Path;

    fn globals(source: &str) -> Vec<String> {
        let ir = crate::frontend::lower(Path::new("jobs.py"), source, &Layout::default())
            .expect("the source lowers");
        let prog = Program::link(vec![ir], Catalog::builtin());
        let mut out: Vec<String> = prog.lazy_globals.keys().cloned().collect();
        out.sort();
        out
    }

    #[test]
    fn only_the_global_bound_to_a_lazy_client_counts() {
        let found = globals(
            "import redis\n\
             queue = redis.StrictRedis(host='q')\n\
             seen = {}\n\
             def remember(user):\n    queue.set('user', user)\n    seen.get(user)\n",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].ends_with("queue"), "{found:?}");
    }

    #[test]
    fn a_global_a_lazy_client_is_stored_in_through_a_method_counts() {
        let found = globals(
            "import redis\n\
             class Box:\n    def fill(self):\n        self.client = redis.StrictRedis(host='q')\n\
             box = Box()\n\
             names = []\n\
             def setup():\n    box.fill()\n    names.append('x')\n",
        );
        assert!(found.iter().any(|g| g.ends_with("box")), "{found:?}");
        assert!(!found.iter().any(|g| g.ends_with("names")), "{found:?}");
    }

    #[test]
    fn without_a_lazy_constructor_no_global_counts() {
        let found = globals("cache = {}\ndef f(k):\n    return cache.get(k)\n");
        assert!(found.is_empty(), "{found:?}");
    }
}
