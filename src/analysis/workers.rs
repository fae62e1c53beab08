//! The children of a fork that run only what they are handed (a DataLoader's workers, the
//! catalogue's `handed_only`): which objects they hold and what their code touches. A hazard
//! the parent has at the fork is theirs only when that reaches it: through a handed object
//! (or what it was built from), a module global their code uses, or process-wide state
//! (`process_state`) their code touches. Code that is not known here may touch any global and
//! any thread.

use super::program::{absolute, for_each_call, FnRef, Program, Target};
use super::state::{Hazard, HazardKey};
use crate::catalog::Effect;
use crate::frontend::python::workers::{DATASET_CODE, UNKNOWN_CODE};
use crate::ir::{Call, Callee, FnKind};
use std::collections::{HashMap, HashSet};

/// Functions of the workers' code followed at most: enough for a dataset's helpers.
const MAX_FUNCTIONS: usize = 256;

/// What each local of the walked function was built from: the locals handed to the call that
/// made it (its receiver among them) and the hazards of unbound calls passed to it.
pub type BuiltFrom = HashMap<String, (Vec<String>, Vec<HazardKey>)>;

/// The name `BuiltFrom` knows the value of a call by (never a local's: locals have no `<`).
pub fn call_name(id: u32) -> String {
    format!("<call#{id}>")
}

#[derive(Debug, Clone, Default)]
pub struct Workers {
    /// Locals (and fields) whose objects the workers hold.
    names: HashSet<String>,
    /// Hazards of unbound calls whose values went into a handed object.
    keys: HashSet<HazardKey>,
    /// Process-wide states the workers' code touches.
    states: HashSet<String>,
    /// Module globals the workers' code uses.
    globals: HashSet<String>,
    /// The workers may run code not known here.
    unknown: bool,
}

impl Workers {
    /// The workers of the fork `call` in `file`, with what the walk knows of its locals.
    pub fn at(prog: &Program, file: u32, call: &Call, built_from: &BuiltFrom) -> Self {
        let mut w = Workers::default();
        let mut todo: Vec<String> = call.arg_vars.iter().cloned().collect();
        todo.extend(call.arg_calls.iter().map(|(_, c)| call_name(*c)));
        while let Some(name) = todo.pop() {
            if !w.names.insert(name.clone()) {
                continue;
            }
            if let Some((from, keys)) = built_from.get(&name) {
                todo.extend(from.iter().cloned());
                w.keys.extend(keys.iter().copied());
            }
        }
        let code: Vec<FnRef> = prog.fn_refs(file, call.id).iter().map(|r| r.1).collect();
        let dataset_known = prog
            .fn_refs(file, call.id)
            .iter()
            .any(|(pos, _)| *pos == DATASET_CODE);
        // A fork the frontend named no code for (a loader subclass starting its own workers)
        // hands them what is not known here.
        w.unknown = call.fn_args.is_empty()
            || call.fn_args.iter().any(|(_, p)| p == UNKNOWN_CODE)
            || (call.fn_args.iter().any(|(pos, _)| *pos == DATASET_CODE) && !dataset_known);
        w.follow(prog, code);
        w
    }

    /// Walks the workers' code through the program's call graph.
    fn follow(&mut self, prog: &Program, mut todo: Vec<FnRef>) {
        let program = ProgramNames::of(prog);
        let mut seen: HashSet<FnRef> = HashSet::new();
        while let Some(f) = todo.pop() {
            if seen.len() >= MAX_FUNCTIONS {
                self.unknown = true;
                return;
            }
            if !seen.insert(f) {
                continue;
            }
            let file = &prog.files[f.0 as usize];
            let function = prog.function(f);
            let mut visit = |c: &Call| {
                if let Some(g) = &c.receiver_global {
                    self.globals.insert(absolute(file, g));
                }
                if let Callee::Global(g) = &c.callee {
                    self.globals.insert(absolute(file, g));
                }
                if c.calls_param.is_some() {
                    self.unknown = true;
                }
                match prog.target(f.0, c.id) {
                    Target::Apis(list) => self.states.extend(
                        list.iter()
                            .filter_map(|&i| prog.catalog.apis[i].process_state.clone()),
                    ),
                    Target::Fns(list) => todo.extend(list.iter().copied()),
                    Target::Unknown => {
                        // `self.transform(x)`: a callable kept in a field, or a method of a
                        // library base class that may call back into the object.
                        let own_object = c.receiver.as_deref() == Some("self");
                        self.unknown |= own_object || program.may_run(file, &c.callee)
                    }
                }
            };
            function.implied.iter().for_each(&mut visit);
            for_each_call(&function.body, &mut visit);
        }
    }

    /// Adds what the workers of another walk of the same fork hold and touch.
    pub fn merge(&mut self, other: Workers) {
        self.names.extend(other.names);
        self.keys.extend(other.keys);
        self.states.extend(other.states);
        self.globals.extend(other.globals);
        self.unknown |= other.unknown;
    }

    /// The workers reach the hazard: they hold the object it lives in, use the global that
    /// holds it, or touch the process-wide state it is (`state`, from its catalogue entry).
    pub fn reach(&self, h: &Hazard, state: Option<&str>) -> bool {
        let held = |n: &String| {
            self.names.iter().any(|v| {
                n == v
                    || n.strip_prefix(v.as_str())
                        .is_some_and(|rest| rest.starts_with('.'))
            })
        };
        let by_object = [&h.bind, &h.owner]
            .into_iter()
            .flatten()
            .chain(&h.derived)
            .any(held)
            || self.keys.contains(&h.key());
        let by_global = h
            .global
            .as_ref()
            .is_some_and(|g| self.unknown || self.globals.contains(g));
        let by_state = state.is_some_and(|s| self.states.contains(s));
        // Code not known here may reach a library's thread through the library itself (its
        // module-level run, its class-level monitor), not only through an object handed.
        let by_unknown = self.unknown && h.effect == Effect::StartsThread;
        by_object || by_global || by_state || by_unknown
    }
}

/// The program's method names and classes: a call the linker left unresolved may be one of
/// them when its receiver's type is not known, or is a class of the program (a callable kept in
/// a field, a method a base class defines).
struct ProgramNames {
    methods: HashSet<String>,
    classes: HashSet<String>,
}

impl ProgramNames {
    fn of(prog: &Program) -> Self {
        let mut names = ProgramNames {
            methods: HashSet::new(),
            classes: HashSet::new(),
        };
        for file in &prog.files {
            for f in file.functions.iter().filter(|f| f.kind == FnKind::Method) {
                if let Some((class, name)) = f.path.rsplit_once("::") {
                    names.methods.insert(name.to_string());
                    names.classes.insert(absolute(file, class));
                }
            }
        }
        names
    }

    /// An unresolved call may run the program's code: a method of an unknown receiver that some
    /// class of the program defines, any call on an object of a class of the program, or a
    /// name of the calling module that did not resolve (a library's call runs only its own).
    fn may_run(&self, file: &crate::ir::FileIr, callee: &Callee) -> bool {
        match callee {
            Callee::Method { name, ty: None } => self.methods.contains(name),
            Callee::Method { ty: Some(ty), .. } => self.classes.contains(&absolute(file, ty)),
            Callee::Path(candidates) => candidates.iter().any(|c| c.starts_with("self::")),
            Callee::Local(_) => true,
            Callee::Macro(_) | Callee::Global(_) => false,
        }
    }
}
