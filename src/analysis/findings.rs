//! Turns what the reporting walks saw into findings: one per (rule, primary location), the
//! hazards as related locations, the call chain as the trace, the rule's help text.

use super::program::{FnRef, Program};
use super::state::{Hazard, Op, Step};
use super::walk::{ChildCall, ForcedFork, ForkKind, ForkRec, Walker};
use crate::catalog::{rules, Effect};
use crate::diagnostic::{Finding, Location, Related, Severity};
use std::collections::BTreeMap;

pub struct Findings<'p> {
    prog: &'p Program<'p>,
    by_key: BTreeMap<(String, u32, crate::ir::Span), Finding>,
}

impl<'p> Findings<'p> {
    pub fn new(prog: &'p Program<'p>) -> Self {
        Findings {
            prog,
            by_key: BTreeMap::new(),
        }
    }

    fn location(&self, file: u32, span: crate::ir::Span) -> Location {
        Location {
            path: self.prog.files[file as usize].path.clone(),
            line: span.line,
            column: span.col,
            end_line: span.end_line,
            end_column: span.end_col,
        }
    }

    fn related(&self, step: &Step, message: String) -> Related {
        Related {
            location: self.location(step.file, step.span),
            message,
        }
    }

    fn push(
        &mut self,
        rule: &str,
        primary: &Step,
        message: String,
        severity: Option<Severity>,
        related: Vec<Related>,
        trace: Vec<Related>,
    ) {
        self.push_with_help(rule, primary, message, severity, related, trace, None);
    }

    #[allow(clippy::too_many_arguments)]
    fn push_with_help(
        &mut self,
        rule: &str,
        primary: &Step,
        message: String,
        severity: Option<Severity>,
        related: Vec<Related>,
        trace: Vec<Related>,
        help: Option<String>,
    ) {
        let doc = rules::get(rule);
        let key = (rule.to_string(), primary.file, primary.span);
        let entry = self.by_key.entry(key).or_insert_with(|| Finding {
            rule: doc.id.clone(),
            name: doc.name.clone(),
            severity: severity.unwrap_or(doc.severity),
            location: Some(Location {
                path: self.prog.files[primary.file as usize].path.clone(),
                line: primary.span.line,
                column: primary.span.col,
                end_line: primary.span.end_line,
                end_column: primary.span.end_col,
            }),
            message,
            related: Vec::new(),
            trace,
            help: help.unwrap_or_else(|| {
                // A fork in Python code gets the Python remedy.
                let path = &self.prog.files[primary.file as usize].path;
                match crate::frontend::Language::of(std::path::Path::new(path)) {
                    Some(crate::frontend::Language::Python) => crate::catalog::python::help(rule)
                        .map_or_else(|| doc.help.clone(), str::to_string),
                    _ => doc.help.clone(),
                }
            }),
        });
        for r in related {
            if !entry.related.contains(&r) {
                entry.related.push(r);
            }
        }
        if let Some(s) = severity {
            entry.severity = entry.severity.max(s);
        }
    }

    /// The chain from the function that ordered creation and fork: down to the creation, then
    /// down again to the fork.
    fn hazard_trace(&self, h: &Hazard, fork: &Step) -> Vec<Related> {
        let mut out = Vec::new();
        for s in &h.down {
            out.push(self.related(s, format!("calls {}", s.text)));
        }
        out.push(self.related(&h.site, format!("{} created here", h.label)));
        for s in &h.up {
            out.push(self.related(s, format!("then calls {}", s.text)));
        }
        out.push(self.related(fork, format!("{} here", fork.text)));
        out
    }

    pub fn add_walk(&mut self, me: FnRef, walker: &Walker, child_closure: Option<&Step>) {
        for forced in walker.forced_forks.values() {
            self.forced_fork(forced);
        }
        for rec in walker.forks.values() {
            self.fork(rec);
        }
        if let Some(register) = child_closure {
            for call in walker.closure_calls.values() {
                self.unsafe_in_child(
                    call,
                    &format!(
                        "the {} closure (it runs in the child between fork and exec)",
                        register.text
                    ),
                );
            }
        }
        let is_main = self.prog.function(me).is_main;
        for (span, fork) in &walker.main_returns {
            if !is_main {
                continue;
            }
            let Some(rec) = walker.forks.get(fork) else {
                continue;
            };
            let primary = Step {
                file: me.0,
                span: *span,
                text: "return".into(),
            };
            let related = vec![self.related(&rec.site, format!("{} here", rec.site.text))];
            self.push(
                "FL006",
                &primary,
                format!("the child of {} returns out of `main`: the parent's destructors, atexit handlers and buffered output run again in the child", rec.site.text),
                None,
                related,
                Vec::new(),
            );
        }
    }

    fn fork(&mut self, rec: &ForkRec) {
        let brief = rec.child_is_brief();
        let threads: Vec<&Hazard> = rec
            .live
            .live
            .values()
            .filter(|h| h.effect == Effect::StartsThread)
            .collect();
        if !brief {
            for (rule, effect) in [
                ("FL001", Effect::StartsThread),
                ("FL002", Effect::OpensConnection),
                ("FL003", Effect::TouchesObjc),
                ("FL004", Effect::TakesGlobalLock),
            ] {
                let hazards: Vec<&Hazard> = rec
                    .live
                    .live
                    .values()
                    .filter(|h| h.effect == effect)
                    // A guard only matters to a child that goes on, or that takes the lock again.
                    .filter(|h| {
                        effect != Effect::TakesGlobalLock
                            || rec.child_continues
                            || !rec.has_child
                            || rec.kind == ForkKind::Daemon
                            || h.global
                                .as_ref()
                                .is_some_and(|g| rec.child_globals.contains(g))
                    })
                    .collect();
                if hazards.is_empty() {
                    continue;
                }
                self.hazards_at_fork(rule, rec, &hazards);
            }
        }
        let shared: Vec<&Hazard> = rec
            .live
            .live
            .values()
            .filter(|h| h.effect == Effect::OpensFile)
            .filter(|h| {
                h.bind
                    .as_ref()
                    .is_some_and(|b| rec.child_uses.contains(b) && rec.parent_uses.contains(b))
            })
            .collect();
        if !shared.is_empty() && rec.kind != ForkKind::Daemon {
            self.hazards_at_fork("FL007", rec, &shared);
        }
        let child_ends = rec.kind == ForkKind::Vfork || (rec.has_child && !rec.child_continues);
        if child_ends && !threads.is_empty() {
            let why = format!(
                "the child of {} while {} may be running",
                rec.site.text, threads[0].label
            );
            let first = threads[0];
            for call in rec.unsafe_calls.values() {
                let mut related =
                    vec![self.related(&first.site, format!("{} created here", first.label))];
                related.push(self.related(&rec.site, format!("{} here", rec.site.text)));
                self.unsafe_in_child_with(call, &why, related);
            }
        }
        if rec.kind != ForkKind::Daemon {
            for call in rec.exits.values() {
                let mut trace = Vec::new();
                if let Some(op) = call.ops.first() {
                    trace = self.op_trace(call, op);
                }
                let related = vec![self.related(&rec.site, format!("{} here", rec.site.text))];
                let message = if let Some(op) = call.ops.first().filter(|o| o.down.is_empty()) {
                    format!("the child of {} leaves through `{}`: atexit handlers and the parent's buffered output run again", rec.site.text, op.site.text)
                } else {
                    format!("the child of {} calls {}, which leaves through `exit`: atexit handlers and the parent's buffered output run again", rec.site.text, call.primary.text)
                };
                self.push("FL006", &call.primary, message, None, related, trace);
            }
        }
    }

    /// A spawn that std makes with fork+exec while threads may be running (perry, sp1, maki).
    fn forced_fork(&mut self, forced: &ForcedFork) {
        let first = &forced.threads[0];
        let message = format!("{} while {} may be running", forced.why, first.label);
        let related = forced
            .threads
            .iter()
            .map(|h| self.related(&h.site, format!("{} created here", h.label)))
            .collect();
        let trace = if first.down.is_empty() && first.up.is_empty() {
            Vec::new()
        } else {
            self.hazard_trace(first, &forced.site)
        };
        let help = "keep std on posix_spawn: use `process_group(0)` instead of `setsid` in a closure, set limits in the parent, give the program's absolute path; if a closure is needed, call only async-signal-safe functions in it".to_string();
        self.push_with_help(
            "FL001",
            &forced.site,
            message,
            Some(Severity::Warning),
            related,
            trace,
            Some(help),
        );
    }

    /// Thread state that outlives a call in a Python extension, for a parent that forks later.
    pub fn host_fork(&mut self, site: &Step, label: &str) {
        let message = format!(
            "{label} stays alive in this Python extension's process: a Python parent that forks afterwards (multiprocessing's fork start method, gunicorn --preload, uWSGI without lazy-apps) leaves its children with threads that do not exist"
        );
        let help = "record the pid that created it and rebuild it (or fail fast) in a forked child, or document that users must use the spawn start method".to_string();
        self.push_with_help(
            "FL001",
            site,
            message,
            Some(Severity::Warning),
            Vec::new(),
            Vec::new(),
            Some(help),
        );
    }

    fn hazards_at_fork(&mut self, rule: &str, rec: &ForkRec, hazards: &[&Hazard]) {
        let first = hazards[0];
        let more = match hazards.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        let message = match rule {
            "FL001" => format!(
                "{} while {} may be running{more}",
                rec.site.text, first.label
            ),
            "FL002" => format!(
                "{} while {} is open{more}: parent and child share it",
                rec.site.text, first.label
            ),
            "FL003" => format!(
                "{} after {} was used{more}: macOS kills a child that touches it",
                rec.site.text, first.label
            ),
            "FL004" => format!("{} while {} is held{more}", rec.site.text, first.label),
            _ => format!(
                "{} while {} is used by both processes{more}: they share one file offset",
                rec.site.text, first.label
            ),
        };
        let severity = hazards
            .iter()
            .map(|h| h.severity.unwrap_or(rules::get(rule).severity))
            .max();
        let related = hazards
            .iter()
            .map(|h| {
                let via = if h.down.is_empty() && h.up.is_empty() {
                    String::new()
                } else {
                    " (see trace)".to_string()
                };
                self.related(&h.site, format!("{} created here{via}", h.label))
            })
            .collect();
        let trace = if first.down.is_empty() && first.up.is_empty() {
            Vec::new()
        } else {
            self.hazard_trace(first, &rec.site)
        };
        self.push(rule, &rec.site, message, severity, related, trace);
    }

    fn op_trace(&self, call: &ChildCall, op: &Op) -> Vec<Related> {
        let mut out = vec![self.related(&call.primary, format!("calls {}", call.primary.text))];
        for s in op.down.iter().skip(1) {
            out.push(self.related(s, format!("calls {}", s.text)));
        }
        out.push(self.related(&op.site, format!("{} {}", op.site.text, op.effect.verb())));
        out
    }

    fn unsafe_in_child(&mut self, call: &ChildCall, place: &str) {
        self.unsafe_in_child_with(call, place, Vec::new());
    }

    fn unsafe_in_child_with(&mut self, call: &ChildCall, place: &str, mut related: Vec<Related>) {
        let Some(op) = call.ops.first() else { return };
        let direct = op.down.is_empty();
        let message = if direct {
            format!("{} {} in {place}", op.site.text, op.effect.verb())
        } else {
            format!(
                "{} in {place} reaches {}, which {}",
                call.primary.text,
                op.site.text,
                op.effect.verb()
            )
        };
        for other in call.ops.iter().skip(1) {
            related.push(self.related(
                &other.site,
                format!("{} {}", other.site.text, other.effect.verb()),
            ));
        }
        let trace = if direct {
            Vec::new()
        } else {
            self.op_trace(call, op)
        };
        self.push("FL005", &call.primary, message, None, related, trace);
    }

    pub fn finish(self) -> Vec<Finding> {
        let mut out: Vec<Finding> = self.by_key.into_values().collect();
        out.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        out
    }
}
