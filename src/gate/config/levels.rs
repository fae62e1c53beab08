//! Rule levels (allow/warn/deny), the failure threshold, and how config and command-line settings
//! combine into one level per rule and file. Precedence, lowest first: the rule's default, config
//! `select`/`ignore`/`[lints]`, config `per-file-ignores`, `--select`/`--ignore`, then `-A/-W/-D`
//! in command-line order.

use super::suggest;
use crate::catalog::rules::{self, RuleDoc};
use crate::diagnostic::Severity;

/// A rule's level, in Cargo's `[lints]` words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Allow,
    Warn,
    Deny,
}

impl Level {
    pub fn parse(word: &str) -> Option<Level> {
        match word {
            "allow" => Some(Level::Allow),
            "warn" => Some(Level::Warn),
            "deny" => Some(Level::Deny),
            _ => None,
        }
    }

    pub const WORDS: [&'static str; 3] = ["allow", "warn", "deny"];

    fn severity(self) -> Option<Severity> {
        match self {
            Level::Allow => None,
            Level::Warn => Some(Severity::Warning),
            Level::Deny => Some(Severity::Error),
        }
    }
}

/// The lowest severity that makes `check` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Never,
}

impl FailOn {
    pub fn parse(word: &str) -> Option<FailOn> {
        match word {
            "error" => Some(FailOn::Error),
            "warning" => Some(FailOn::Warning),
            "never" => Some(FailOn::Never),
            _ => None,
        }
    }

    pub fn fails(self, severity: Severity) -> bool {
        match self {
            FailOn::Error => severity >= Severity::Error,
            FailOn::Warning => severity >= Severity::Warning,
            FailOn::Never => false,
        }
    }
}

/// A rule by id or name, or an error that suggests the closest one.
pub fn resolve_rule(key: &str) -> Result<&'static RuleDoc, String> {
    rules::find(key.trim()).ok_or_else(|| {
        let names: Vec<&str> = rules::every()
            .flat_map(|r| [r.id.as_str(), r.name.as_str()])
            .collect();
        let hint = suggest::hint(key, names);
        let hint = if hint.is_empty() {
            "; `forklint rules` lists them".to_string()
        } else {
            hint
        };
        format!("unknown rule `{key}`{hint}")
    })
}

/// One step of level setting, applied in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Only these rules stay on (every other is allowed).
    Select(Vec<String>),
    /// These rules are allowed.
    Ignore(Vec<String>),
    Set(String, Level),
}

/// The ordered steps: global ones, then per-file ignores at their place in the order.
#[derive(Debug, Clone, Default)]
pub struct Levels {
    /// Steps from the configuration (before per-file ignores).
    pub config: Vec<Step>,
    /// (gitignore-style matcher, rule ids) from `per-file-ignores`.
    pub per_file: Vec<(super::paths::Glob, Vec<String>)>,
    /// Steps from the command line (after per-file ignores).
    pub cli: Vec<Step>,
}

fn apply(level: &mut Option<Severity>, default: Severity, id: &str, step: &Step) {
    match step {
        Step::Select(ids) => {
            if ids.iter().any(|i| i == id) {
                if level.is_none() {
                    *level = Some(default);
                }
            } else {
                *level = None;
            }
        }
        Step::Ignore(ids) => {
            if ids.iter().any(|i| i == id) {
                *level = None;
            }
        }
        Step::Set(rule, l) => {
            if rule == id {
                *level = l.severity();
            }
        }
    }
}

impl Levels {
    /// The severity a rule's findings get in a file, `None` when the rule is off there.
    /// `path` is the file as given; per-file globs match it relative to the config's folder.
    pub fn severity(&self, id: &str, path: &str) -> Option<Severity> {
        let default = rules::find(id)
            .map(|r| r.severity)
            .unwrap_or(Severity::Warning);
        let mut level = Some(default);
        for step in &self.config {
            apply(&mut level, default, id, step);
        }
        for (glob, ids) in &self.per_file {
            if ids.iter().any(|i| i == id) && glob.matches(path) {
                level = None;
            }
        }
        for step in &self.cli {
            apply(&mut level, default, id, step);
        }
        level
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_steps_win() {
        let levels = Levels {
            config: vec![
                Step::Set("FL007".into(), Level::Deny),
                Step::Ignore(vec!["FL002".into()]),
            ],
            per_file: vec![],
            cli: vec![
                Step::Set("FL002".into(), Level::Warn),
                Step::Set("FL001".into(), Level::Allow),
                Step::Set("FL001".into(), Level::Warn),
            ],
        };
        assert_eq!(levels.severity("FL007", "a.rs"), Some(Severity::Error));
        assert_eq!(levels.severity("FL002", "a.rs"), Some(Severity::Warning));
        assert_eq!(levels.severity("FL001", "a.rs"), Some(Severity::Warning));
        assert_eq!(levels.severity("FL003", "a.rs"), Some(Severity::Error));
        assert_eq!(levels.severity("FL006", "a.rs"), Some(Severity::Warning));
    }

    #[test]
    fn select_keeps_only_named_rules() {
        let levels = Levels {
            config: vec![Step::Select(vec!["FL001".into()])],
            ..Default::default()
        };
        assert!(levels.severity("FL001", "a.rs").is_some());
        assert!(levels.severity("FL002", "a.rs").is_none());
    }

    #[test]
    fn rules_resolve_by_id_or_name_with_suggestions() {
        assert_eq!(resolve_rule("fl004").unwrap().id, "FL004");
        assert_eq!(resolve_rule("lock_across_fork").unwrap().id, "FL004");
        assert_eq!(resolve_rule("unused-suppression").unwrap().id, "FL000");
        let err = resolve_rule("thread-before-frok").unwrap_err();
        assert!(err.contains("did you mean `thread-before-fork`"), "{err}");
    }
}
