//! `#[cfg(..)]` predicates as boolean formulas over their options (`unix`, `feature = "x"`), to
//! tell when two pieces of code are never compiled together, and when a piece of code is never
//! compiled for a Unix target. Of the options a build sets it knows only those every Unix target
//! fixes (`unix` is set, `windows` is not); the rest (features, `target_os = "linux"`, `test`)
//! stay free.

use proc_macro2::{Delimiter, TokenStream, TokenTree};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cfg {
    All(Vec<Cfg>),
    Any(Vec<Cfg>),
    Not(Box<Cfg>),
    /// `unix`, `feature="x"`.
    Option(String),
}

/// Predicates over more options than this are not compared (2^n assignments are tried).
const MAX_OPTIONS: usize = 10;

impl Cfg {
    /// The predicate inside `cfg(..)`; `None` when it is not one.
    pub fn parse(tokens: TokenStream) -> Option<Cfg> {
        let mut list = parse_list(tokens)?;
        (list.len() == 1).then(|| list.remove(0))
    }

    /// No assignment of the options makes both true: the two are never compiled together.
    pub fn excludes(&self, other: &Cfg) -> bool {
        never(&[self, other], &|_| None)
    }

    /// False on every Unix target, whatever the free options: code under it can never fork.
    pub fn never_on_unix(&self) -> bool {
        never(&[self], &unix_value)
    }

    fn options<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Cfg::All(list) | Cfg::Any(list) => list.iter().for_each(|c| c.options(out)),
            Cfg::Not(inner) => inner.options(out),
            Cfg::Option(name) => out.push(name),
        }
    }

    fn eval(&self, set: &dyn Fn(&str) -> bool) -> bool {
        match self {
            Cfg::All(list) => list.iter().all(|c| c.eval(set)),
            Cfg::Any(list) => list.iter().any(|c| c.eval(set)),
            Cfg::Not(inner) => !inner.eval(set),
            Cfg::Option(name) => set(name),
        }
    }
}

/// No assignment of the options that `fixed` leaves free makes all of `cfgs` true (too many free
/// options: answered `false`).
fn never(cfgs: &[&Cfg], fixed: &dyn Fn(&str) -> Option<bool>) -> bool {
    let mut options = Vec::new();
    cfgs.iter().for_each(|c| c.options(&mut options));
    options.retain(|o| fixed(o).is_none());
    options.sort();
    options.dedup();
    if options.len() > MAX_OPTIONS {
        return false;
    }
    (0u32..1 << options.len()).all(|mask| {
        let set = |name: &str| {
            fixed(name).unwrap_or_else(|| {
                options
                    .iter()
                    .position(|o| *o == name)
                    .is_some_and(|i| mask & (1 << i) != 0)
            })
        };
        !cfgs.iter().all(|c| c.eval(&set))
    })
}

/// The value every Unix target gives an option, when they agree on one. Emscripten is the one
/// target of the `wasm` family that is also `unix`, and it cannot fork.
fn unix_value(option: &str) -> Option<bool> {
    match option {
        "unix" | "target_family=\"unix\"" => Some(true),
        "windows"
        | "target_family=\"windows\""
        | "target_family=\"wasm\""
        | "target_os=\"windows\"" => Some(false),
        _ => None,
    }
}

/// Attributes that leave their item out of every Unix build: a `#[cfg(..)]` among them is
/// never true there (all of an item's `cfg`s must hold).
pub fn absent_on_unix(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| match &a.meta {
        syn::Meta::List(l) if l.path.is_ident("cfg") => {
            Cfg::parse(l.tokens.clone()).is_some_and(|c| c.never_on_unix())
        }
        _ => false,
    })
}

/// Comma-separated predicates.
fn parse_list(tokens: TokenStream) -> Option<Vec<Cfg>> {
    let mut out = Vec::new();
    let mut iter = tokens.into_iter().peekable();
    while let Some(tt) = iter.next() {
        let TokenTree::Ident(name) = tt else {
            return None;
        };
        let name = name.to_string();
        let cfg = match iter.peek() {
            Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis => {
                let inner = parse_list(g.stream())?;
                iter.next();
                match name.as_str() {
                    "all" => Cfg::All(inner),
                    "any" => Cfg::Any(inner),
                    "not" if inner.len() == 1 => Cfg::Not(Box::new(inner.into_iter().next()?)),
                    _ => return None,
                }
            }
            Some(TokenTree::Punct(p)) if p.as_char() == '=' => {
                iter.next();
                let Some(TokenTree::Literal(value)) = iter.next() else {
                    return None;
                };
                Cfg::Option(format!("{name}={value}"))
            }
            _ => Cfg::Option(name),
        };
        out.push(cfg);
        match iter.next() {
            None => break,
            Some(TokenTree::Punct(p)) if p.as_char() == ',' => {}
            Some(_) => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(text: &str) -> Cfg {
        Cfg::parse(text.parse().unwrap()).unwrap()
    }

    #[test]
    fn exclusive_predicates() {
        let w = "feature = \"wayland\"";
        let x = "feature = \"x11\"";
        let arms = [
            format!("all({w}, {x})"),
            format!("all(not({w}), {x})"),
            format!("all({w}, not({x}))"),
            format!("not(any({w}, {x}))"),
        ];
        for (i, a) in arms.iter().enumerate() {
            for b in &arms[i + 1..] {
                assert!(cfg(a).excludes(&cfg(b)), "{a} / {b}");
            }
        }
        assert!(cfg("unix").excludes(&cfg("not(unix)")));
        assert!(!cfg("unix").excludes(&cfg("target_os = \"linux\"")));
        assert!(!cfg("any(unix, windows)").excludes(&cfg("unix")));
        assert!(Cfg::parse("test,".parse().unwrap()).is_some());
    }

    #[test]
    fn never_on_unix() {
        for absent in [
            "windows",
            "target_os = \"windows\"",
            "target_family = \"windows\"",
            "target_family = \"wasm\"",
            "not(unix)",
            "all(windows, feature = \"x\")",
            "all(not(unix), not(target_os = \"linux\"))",
            "any(windows, target_family = \"wasm\")",
            "all(unix, windows)",
        ] {
            assert!(cfg(absent).never_on_unix(), "{absent}");
        }
        for present in [
            "unix",
            "any(unix, windows)",
            "not(windows)",
            "feature = \"x\"",
            "target_os = \"linux\"",
            "any(windows, feature = \"x\")",
            "not(test)",
        ] {
            assert!(!cfg(present).never_on_unix(), "{present}");
        }
        assert!(Cfg::parse("a b".parse().unwrap()).is_none());
    }
}
