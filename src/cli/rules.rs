//! `forklint rules`: the catalogue as an aligned table or as JSON.

use super::args::{RulesArgs, TextOrJson};
use crate::catalog::rules;

pub fn run(args: &RulesArgs) -> anyhow::Result<i32> {
    let rules: Vec<_> = rules::every().collect();
    let text = match args.format {
        TextOrJson::Json => {
            let list: Vec<_> = rules
                .iter()
                .map(|r| serde_json::json!({"id": r.id, "name": r.name, "severity": r.severity, "summary": r.summary}))
                .collect();
            serde_json::to_string_pretty(&list)? + "\n"
        }
        TextOrJson::Human => {
            let width = rules.iter().map(|r| r.name.len()).max().unwrap_or(0);
            let mut out = String::new();
            for r in rules {
                out.push_str(&format!(
                    "{}  {:<width$}  {:<7}  {}\n",
                    r.id,
                    r.name,
                    r.severity.as_str(),
                    r.summary
                ));
            }
            out
        }
    };
    super::output::print(&text)?;
    Ok(0)
}
