//! The rule documentation (`rules/rules.toml`): ids, names, default severities and the one text
//! that `explain`, `rules`, the human `= help:` lines and SARIF metadata are all rendered from.

use crate::diagnostic::Severity;
use serde::Deserialize;
use std::sync::OnceLock;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDoc {
    pub id: String,
    pub name: String,
    pub severity: Severity,
    pub summary: String,
    pub help: String,
    pub what: String,
    pub why: String,
    pub example: String,
    pub fixed: String,
    pub fix: String,
    pub known_problems: String,
    pub references: Vec<String>,
    /// The help line of a finding in Python code.
    #[serde(default)]
    pub python_help: Option<String>,
    /// The rule's example and its fix in Python, where the rule applies to Python code.
    #[serde(default)]
    pub python_example: Option<String>,
    #[serde(default)]
    pub python_fixed: Option<String>,
}

#[derive(Deserialize)]
struct RulesFile {
    rule: Vec<RuleDoc>,
}

const RULES_TOML: &str = include_str!("../../rules/rules.toml");
const META_TOML: &str = include_str!("../../rules/meta.toml");

fn load(name: &str, text: &str) -> Vec<RuleDoc> {
    let file: RulesFile =
        toml::from_str(text).unwrap_or_else(|e| panic!("embedded {name} is invalid: {e}"));
    let mut rules = file.rule;
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    rules
}

/// Every rule of the analysis, in id order.
pub fn all() -> &'static [RuleDoc] {
    static RULES: OnceLock<Vec<RuleDoc>> = OnceLock::new();
    RULES.get_or_init(|| load("rules/rules.toml", RULES_TOML))
}

/// The meta-rules about suppression comments (`rules/meta.toml`), in id order.
pub fn meta() -> &'static [RuleDoc] {
    static RULES: OnceLock<Vec<RuleDoc>> = OnceLock::new();
    RULES.get_or_init(|| load("rules/meta.toml", META_TOML))
}

/// The analysis rules, then the meta-rules.
pub fn every() -> impl Iterator<Item = &'static RuleDoc> {
    all().iter().chain(meta())
}

/// A rule by id (`FL001`, any case) or by name (`thread-before-fork`, or `thread_before_fork`).
pub fn find(key: &str) -> Option<&'static RuleDoc> {
    let name = key.replace('_', "-");
    every().find(|r| r.id.eq_ignore_ascii_case(key) || r.name.eq_ignore_ascii_case(&name))
}

/// A rule by id; the ids used in code are fixed, so a miss is a programming error.
pub fn get(id: &str) -> &'static RuleDoc {
    find(id).unwrap_or_else(|| panic!("unknown rule id {id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_rules_with_stable_ids() {
        let ids: Vec<&str> = all().iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            ["FL001", "FL002", "FL003", "FL004", "FL005", "FL006", "FL007", "FL008"]
        );
        assert_eq!(find("lock-across-fork").unwrap().id, "FL004");
        assert_eq!(find("fl002").unwrap().name, "connection-before-fork");
        assert!(find("FL999").is_none());
    }
}
