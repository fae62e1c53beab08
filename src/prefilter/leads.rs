//! Leads: the keys a call may look up and still reach a hot function, through `use` aliases.
//!
//! A `use` binding `bound` to `target` makes every key starting with `target` also reachable as
//! `bound` followed by the same rest. Spelling each such key out follows every path of the alias
//! graph: two modules that import each other (`use crate::dist` in `compiler`, `use
//! crate::compiler` in `dist`) give exponentially many keys
//! (`compiler::clang::dist::pkg::dist::http::...`). A lead keeps only what the requests and the
//! next aliases read: the exact head (an alias's bound, or the hot key itself) and, past it, the
//! name and the method's type. Leads are then bounded by the aliases times the names, and every
//! key the old expansion spelt out is covered by a lead: an alias whose target runs into the
//! forgotten tail is taken to match whenever it could.

/// What follows the head of a lead.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Tail {
    /// The key is the head itself.
    Exact,
    /// The key is `head::name`.
    One,
    /// The key is `head::..::name`, two segments or more past the head; `ty` is the segment
    /// before the name, kept for methods.
    Many { ty: Option<String> },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lead {
    /// The crate whose files hold the head.
    pub krate: String,
    pub head: String,
    pub tail: Tail,
    /// The last segment of the keys.
    pub name: String,
    pub method: bool,
}

fn last(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path)
}

/// The segment before the last one, if any.
fn second_last(path: &str) -> Option<&str> {
    let mut it = path.rsplit("::");
    it.next();
    it.next()
}

impl Lead {
    /// A hot function's own key.
    pub fn exact(krate: String, key: String, method: bool) -> Lead {
        Lead {
            name: last(&key).to_string(),
            krate,
            head: key,
            tail: Tail::Exact,
            method,
        }
    }

    /// A method's type segment (the segment before its name), as the requests ask for it.
    pub fn ty(&self) -> Option<&str> {
        if !self.method {
            return None;
        }
        let past_crate = |s: &str| s.len() > self.krate.len() && s != self.krate;
        match &self.tail {
            Tail::Exact => second_last(&self.head)
                .filter(|_| past_crate(&self.head[..self.head.len() - self.name.len() - 2])),
            Tail::One => Some(last(&self.head)).filter(|_| past_crate(&self.head)),
            Tail::Many { ty } => ty.as_deref(),
        }
    }

    /// Whether `key` may be one of the lead's keys.
    pub fn may_be(&self, key: &str) -> bool {
        let Some(rest) = key
            .strip_prefix(self.head.as_str())
            .filter(|r| r.is_empty() || r.starts_with("::"))
        else {
            return false;
        };
        match &self.tail {
            Tail::Exact => rest.is_empty(),
            Tail::One => rest.strip_prefix("::") == Some(self.name.as_str()),
            Tail::Many { ty } => {
                let segs: Vec<&str> = rest.split("::").skip(1).collect();
                segs.len() >= 2
                    && segs.last() == Some(&self.name.as_str())
                    && ty.as_deref().is_none_or(|t| segs[segs.len() - 2] == t)
            }
        }
    }

    /// The leads a `use` binding `bound` to `target` makes from this one (with `glob`, a `pub
    /// use target::*` in module `bound`): whether the target is a prefix of the head or runs
    /// into the tail.
    pub fn through(&self, krate: &str, bound: &str, target: &str, glob: bool) -> Vec<Lead> {
        let under_target = self
            .head
            .strip_prefix(target)
            .is_some_and(|r| r.is_empty() || r.starts_with("::"));
        match (under_target, glob) {
            (true, false) => vec![self.through_prefix(krate, bound, target)],
            (false, false) => self.through_tail(krate, bound, target),
            (true, true) => self.through_glob_prefix(krate, bound, target),
            (false, true) => self.through_glob_tail(krate, bound, target),
        }
    }

    /// A glob re-exports what is under its target, never the target itself: the keys past the
    /// target keep their rest under the glob's module.
    fn through_glob_prefix(&self, krate: &str, module: &str, target: &str) -> Vec<Lead> {
        if self.head == target && self.tail == Tail::Exact {
            return Vec::new();
        }
        vec![self.through_prefix(krate, module, target)]
    }

    /// A glob whose target runs into the tail: the rest past the target is the name (for a
    /// method, when the target ends at its type), or more.
    fn through_glob_tail(&self, krate: &str, module: &str, target: &str) -> Vec<Lead> {
        let mut out: Vec<Lead> = self
            .through_tail(krate, module, target)
            .into_iter()
            .filter(|l| l.tail != Tail::Exact)
            .collect();
        let one = Lead {
            krate: krate.to_string(),
            head: module.to_string(),
            tail: Tail::One,
            name: self.name.clone(),
            method: self.method,
        };
        if let Tail::Many { ty } = &self.tail {
            if ty.as_deref().is_none_or(|t| t == last(target)) && !out.contains(&one) {
                out.push(one);
            }
        }
        out
    }

    /// The lead an alias makes whose target is the head or one of its prefixes (`target` ends
    /// at a segment boundary of the head).
    pub fn through_prefix(&self, krate: &str, bound: &str, target: &str) -> Lead {
        let rest = &self.head[target.len()..];
        let extra = rest.matches("::").count();
        let (tail, name) = match (&self.tail, extra) {
            (Tail::Exact, 0) => (Tail::Exact, last(bound).to_string()),
            (Tail::Exact, 1) | (Tail::One, 0) => (Tail::One, self.name.clone()),
            (Tail::Exact, _) => (
                Tail::Many {
                    ty: self
                        .method
                        .then(|| second_last(&self.head).map(str::to_string))
                        .flatten(),
                },
                self.name.clone(),
            ),
            (Tail::One, _) => (
                Tail::Many {
                    ty: self.method.then(|| last(&self.head).to_string()),
                },
                self.name.clone(),
            ),
            (Tail::Many { ty }, _) => (Tail::Many { ty: ty.clone() }, self.name.clone()),
        };
        Lead {
            krate: krate.to_string(),
            head: bound.to_string(),
            tail,
            name,
            method: self.method,
        }
    }

    /// The leads an alias makes whose target runs past the head into the tail: every way the
    /// target could end inside the forgotten segments.
    pub fn through_tail(&self, krate: &str, bound: &str, target: &str) -> Vec<Lead> {
        let Some(into) = target
            .strip_prefix(self.head.as_str())
            .and_then(|r| r.strip_prefix("::"))
        else {
            return Vec::new();
        };
        let lead = |tail: Tail, name: &str| Lead {
            krate: krate.to_string(),
            head: bound.to_string(),
            tail,
            name: name.to_string(),
            method: self.method,
        };
        match &self.tail {
            Tail::Exact => Vec::new(),
            Tail::One if into == self.name => vec![lead(Tail::Exact, last(bound))],
            Tail::One => Vec::new(),
            Tail::Many { ty } => {
                let end = last(into);
                let mut out = vec![lead(Tail::Many { ty: ty.clone() }, &self.name)];
                if end == self.name {
                    out.push(lead(Tail::Exact, last(bound)));
                }
                if self.method && ty.as_deref() == Some(end) {
                    out.push(lead(Tail::One, &self.name));
                }
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key of `key`'s alias closure (spelt out, as a lookup could meet it) is covered by a
    /// lead made from the same aliases.
    #[test]
    fn leads_cover_the_spelt_out_keys() {
        let k = Lead::exact("a".into(), "a::imp::Pool::launch".into(), true);
        assert_eq!(k.ty(), Some("Pool"));
        // `pub use imp::Pool as Workers;` in a's root
        let l = k.through_prefix("a", "a::Workers", "a::imp::Pool");
        assert!(l.may_be("a::Workers::launch"));
        assert_eq!(l.ty(), Some("Workers"));
        // `use a::imp as engine;` in b::reexp
        let m = k.through_prefix("b", "b::reexp::engine", "a::imp");
        assert!(m.may_be("b::reexp::engine::Pool::launch"));
        assert_eq!(m.ty(), Some("Pool"));
        // `use b::reexp::engine::Pool as P;` in c: the target runs into m's tail.
        let through = m.through_tail("c", "c::P", "b::reexp::engine::Pool");
        assert!(through.iter().any(|l| l.may_be("c::P::launch")));
        // A whole-key rename of a free function changes the name.
        let f = Lead::exact("a".into(), "a::imp::spawn_all".into(), false);
        let g = f.through_prefix("a", "a::start_all", "a::imp::spawn_all");
        assert!(g.may_be("a::start_all") && g.name == "start_all");
    }

    #[test]
    fn globs_keep_the_rest_past_their_target() {
        let k = Lead::exact("a".into(), "a::sys::unix::Pty::open".into(), true);
        // `pub use unix::*;` in a::sys
        let g = k.through("a", "a::sys", "a::sys::unix", true);
        assert!(g.iter().any(|l| l.may_be("a::sys::Pty::open")), "{g:?}");
        // A glob of the function's own key re-exports nothing.
        let f = Lead::exact("a".into(), "a::sys::detach".into(), false);
        assert!(f
            .through("a", "a::other", "a::sys::detach", true)
            .is_empty());
        // `use a::sys as s;` in b, then `pub use s::unix::*;` in b::plat: into the tail.
        let s = f.through("b", "b::s", "a::sys", false);
        assert!(s[0].may_be("b::s::detach"));
        let d = Lead::exact("a".into(), "a::sys::unix::detach".into(), false);
        let s = d.through("b", "b::s", "a::sys", false);
        let p = s[0].through("b", "b::plat", "b::s::unix", true);
        assert!(p.iter().any(|l| l.may_be("b::plat::detach")), "{p:?}");
    }

    #[test]
    fn a_cycle_of_module_imports_gives_no_new_lead() {
        let k = Lead::exact(
            "s".into(),
            "s::compiler::rust::Reader::version".into(),
            true,
        );
        // `use crate::compiler;` in s::dist, then `use crate::dist;` in s::compiler::clang.
        let a = k.through_prefix("s", "s::dist::compiler", "s::compiler");
        let b = a.through_prefix("s", "s::compiler::clang::dist", "s::dist");
        let c = b.through_prefix("s", "s::dist::compiler", "s::compiler");
        assert_eq!(
            a, c,
            "going round the cycle comes back to a lead already seen"
        );
    }
}
