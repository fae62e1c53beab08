//! `forklint explain RULE`: a rule's full documentation; a misspelt rule gets the nearest name.

use crate::gate::config::levels::resolve_rule;

pub fn run(key: &str) -> anyhow::Result<i32> {
    let doc = resolve_rule(key).map_err(anyhow::Error::msg)?;
    super::output::print(&crate::report::explain::text(doc))?;
    Ok(0)
}
