//! Python remedies (`rules/python/remedies.toml`): the help line of a finding whose fork point is
//! in a Python file, where the Rust remedy of `rules/rules.toml` would not apply.

use serde::Deserialize;
use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Remedies {
    help: HashMap<String, String>,
}

const REMEDIES_TOML: &str = include_str!("../../rules/python/remedies.toml");

/// The Python help text of a rule, if it has one.
pub fn help(rule: &str) -> Option<&'static str> {
    static HELP: OnceLock<HashMap<String, String>> = OnceLock::new();
    HELP.get_or_init(|| {
        toml::from_str::<Remedies>(REMEDIES_TOML)
            .unwrap_or_else(|e| panic!("embedded rules/python/remedies.toml is invalid: {e}"))
            .help
    })
    .get(rule)
    .map(String::as_str)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_rule_has_a_python_remedy() {
        for rule in super::super::rules::all() {
            assert!(super::help(&rule.id).is_some(), "{}", rule.id);
        }
    }
}
