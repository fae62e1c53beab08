//! The abstract state of the flow analysis: which hazards may be alive, where each was created and
//! the call chains that connect it to the function being analysed.

use crate::catalog::Effect;
use crate::diagnostic::Severity;
use crate::ir::Span;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Chains longer than this are cut: the first steps name the path well enough.
pub const MAX_CHAIN: usize = 12;

/// A place in a scanned file with a short text: a call on the way, or the operation itself.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Step {
    pub file: u32,
    pub span: Span,
    pub text: Arc<str>,
}

/// A hazard that may be alive: a thread, a connection, ObjC state, an open file, a lock guard.
#[derive(Debug, Clone)]
pub struct Hazard {
    pub effect: Effect,
    /// The catalogue call that created it.
    pub site: Step,
    pub label: Arc<str>,
    pub severity: Option<Severity>,
    /// Calls from the current function down to the site (each "calls `init()`").
    pub down: Vec<Step>,
    /// Calls from the function that ordered creation and fork down to the current function.
    pub up: Vec<Step>,
    /// The local of the current function that holds it, for joins and drops.
    pub bind: Option<String>,
    /// Python: names holding a value read off the holder (`coll = client.shop.orders`, a
    /// database a client hands out): they keep the holder's object, so the hazard outlives its
    /// holder's local while one of them does, and ends with the holder when it is closed.
    pub derived: Vec<String>,
    /// The local whose method created it (`tok.encode_batch(..)` starts threads for `tok`):
    /// a use of that local in a child is a use of what the hazard belongs to.
    pub owner: Option<String>,
    /// For a lock guard: the global it locks.
    pub global: Option<String>,
    /// A client that connects at its first command (redis-py): no connection exists until a
    /// method is called on what holds it, or it is handed to other code.
    pub lazy: bool,
    /// For a lazy client: the members that send it a command (`Api::commands`); empty, any
    /// method does.
    pub commands: Arc<[String]>,
    /// Threads that their owner joins when it is dropped (a tokio runtime's workers): the end
    /// of the local that holds it ends them.
    pub joined_on_drop: bool,
    /// Threads whose state multiprocessing's after-fork registry renews in a child
    /// (`Api::renewed_after_fork`): no hazard at a fork whose child runs that registry.
    pub renewed_after_fork: bool,
    /// A descriptor opened close-on-exec (std's sockets and files): an exec closes the
    /// child's copy.
    pub cloexec: bool,
}

/// Hazards are told apart by kind and creation site; the first chain found is kept.
pub type HazardKey = (Effect, u32, Span);

impl Hazard {
    /// A hazard of `effect` made at `site` that no local, object or global holds, with no
    /// chain yet.
    pub fn unbound(effect: Effect, site: Step, label: impl Into<Arc<str>>) -> Self {
        Hazard {
            effect,
            site,
            label: label.into(),
            severity: None,
            down: Vec::new(),
            up: Vec::new(),
            bind: None,
            derived: Vec::new(),
            owner: None,
            global: None,
            lazy: false,
            joined_on_drop: false,
            renewed_after_fork: false,
            cloexec: false,
            commands: Default::default(),
        }
    }

    pub fn key(&self) -> HazardKey {
        (self.effect, self.site.file, self.site.span)
    }
}

/// An operation that matters in a fork child (allocation, printing, exit, ...), with its chain.
#[derive(Debug, Clone)]
pub struct Op {
    pub effect: Effect,
    pub site: Step,
    pub down: Vec<Step>,
    /// An exit that ends the parent of a fork its function makes, right after that fork: in a
    /// fork child that calls the function, it is a double fork's middle process leaving.
    pub ends_parent: bool,
    /// A panic inside a closure that `catch_unwind` runs: the panic does not unwind past it.
    pub caught: bool,
}

/// The hazards that may be alive at a program point.
#[derive(Debug, Clone, Default)]
pub struct State {
    pub live: BTreeMap<HazardKey, Hazard>,
}

impl State {
    pub fn add(&mut self, hazard: Hazard) -> bool {
        let key = hazard.key();
        match self.live.get_mut(&key) {
            Some(existing) => {
                // A binding seen on any path lets a later join on that path end the hazard.
                if existing.bind.is_none() && hazard.bind.is_some() {
                    existing.bind = hazard.bind;
                }
                for d in hazard.derived {
                    if !existing.derived.contains(&d) {
                        existing.derived.push(d);
                    }
                }
                // Connected on some path: connected, as far as a fork after the join knows.
                if existing.lazy && !hazard.lazy {
                    existing.lazy = false;
                    return true;
                }
                false
            }
            None => {
                self.live.insert(key, hazard);
                true
            }
        }
    }

    /// Joins another path's state into this one; true when something was added.
    pub fn merge(&mut self, other: &State) -> bool {
        let mut changed = false;
        for hazard in other.live.values() {
            changed |= self.add(hazard.clone());
        }
        changed
    }

    pub fn remove_where(&mut self, mut pred: impl FnMut(&Hazard) -> bool) {
        self.live.retain(|_, h| !pred(h));
    }
}

/// Merges `b` into the optional state `a` (None is "unreachable").
pub fn join(a: &mut Option<State>, b: Option<&State>) {
    if let Some(b) = b {
        match a {
            Some(a) => {
                a.merge(b);
            }
            None => *a = Some(b.clone()),
        }
    }
}

/// `chain` with `step` in front, cut at `MAX_CHAIN`.
pub fn prepend(step: &Step, chain: &[Step]) -> Vec<Step> {
    let mut out = Vec::with_capacity(chain.len() + 1);
    out.push(step.clone());
    out.extend(chain.iter().take(MAX_CHAIN - 1).cloned());
    out
}

/// `chain` with `step` at the end, cut at `MAX_CHAIN`.
pub fn append(chain: &[Step], step: &Step) -> Vec<Step> {
    let mut out: Vec<Step> = chain.iter().take(MAX_CHAIN - 1).cloned().collect();
    out.push(step.clone());
    out
}
