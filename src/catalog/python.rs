//! Python remedies: the help line of a finding whose fork point is in a Python file, where the
//! Rust remedy would not apply. The text is each rule's `python_help` in `rules/rules.toml`.

/// The Python help text of a rule, if it has one.
pub fn help(rule: &str) -> Option<&'static str> {
    super::rules::find(rule).and_then(|r| r.python_help.as_deref())
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
